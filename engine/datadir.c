/* realpath() */
#define _XOPEN_SOURCE 700
#include "datadir.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static char dir[PATH_MAX];
static const char *origin = "none";
static int looked;

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* PREFIX/share/assure for PREFIX/bin/assure; BUILD/.. for a build tree. */
static int beside_binary(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return 0;
    *slash = '\0'; /* the binary's directory */
    char up[PATH_MAX], probe[PATH_MAX + 32];
    int w = snprintf(up, sizeof up, "%s/..", exe);
    if (w < 0 || (size_t)w >= sizeof up)
        return 0;
    snprintf(probe, sizeof probe, "%s/share/assure", up);
    if (is_dir(probe) && realpath(probe, dir)) {
        origin = "installed";
        return 1;
    }
    snprintf(probe, sizeof probe, "%s/mappings/standard", up);
    char rules[PATH_MAX + 32];
    snprintf(rules, sizeof rules, "%s/rules", up);
    if (is_dir(probe) && is_dir(rules) && realpath(up, dir)) {
        origin = "source tree";
        return 1;
    }
    return 0;
}

static void look(void)
{
    looked = 1;
    const char *env = getenv("ASSURE_DATADIR");
    if (env && *env) {
        if (strlen(env) < sizeof dir) {
            memcpy(dir, env, strlen(env) + 1);
            origin = "ASSURE_DATADIR";
        }
        return;
    }
    if (beside_binary())
        return;
    dir[0] = '\0';
#ifdef ASSURE_INSTALL_DATADIR
    /* /proc not mounted (a bare chroot): the prefix it was built for */
    if (is_dir(ASSURE_INSTALL_DATADIR) && strlen(ASSURE_INSTALL_DATADIR) < sizeof dir) {
        memcpy(dir, ASSURE_INSTALL_DATADIR, strlen(ASSURE_INSTALL_DATADIR) + 1);
        origin = "built-in";
    }
#endif
}

const char *asr_datadir(void)
{
    if (!looked)
        look();
    return dir[0] ? dir : NULL;
}

const char *asr_datadir_origin(void)
{
    if (!looked)
        look();
    return origin;
}

int asr_datadir_name(const char *name)
{
    return name && strncmp(name, ASR_DATADIR_PREFIX, strlen(ASR_DATADIR_PREFIX)) == 0;
}

char *asr_datadir_resolve(const char *name)
{
    const char *base = asr_datadir();
    if (!base)
        return NULL;
    const char *rest = name + strlen(ASR_DATADIR_PREFIX);
    while (*rest == '/')
        rest++;
    asr_buf b = {0};
    asr_buf_addf(&b, "%s%s%s", base, *rest ? "/" : "", rest);
    return b.data;
}
