/* Runs a fuzz target once on each file named, or on every file in each
 * directory named: the regression inputs and the seed corpus, under ctest in
 * builds without libFuzzer (gcc, the sanitizer build, valgrind). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util.h"

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    size_t cap = 4096, n = 0, got;
    uint8_t *data = asr_xmalloc(cap);
    while ((got = fread(data + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            data = asr_xrealloc(data, cap *= 2);
    }
    fclose(f);
    /* exactly n bytes, so that a read past the end is caught */
    uint8_t *exact = asr_xmalloc(n ? n : 1);
    memcpy(exact, data, n);
    free(data);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 0;
}

static int run_path(const char *path, size_t *count)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: no %s\n", path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        (*count)++;
        return run_file(path);
    }
    DIR *dp = opendir(path);
    if (!dp)
        return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        char *p = asr_xmalloc(len);
        snprintf(p, len, "%s/%s", path, e->d_name);
        if (run_path(p, count))
            rc = -1;
        free(p);
    }
    closedir(dp);
    return rc;
}

int main(int argc, char **argv)
{
    size_t count = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++)
        if (run_path(argv[i], &count))
            rc = 1;
    printf("replayed %zu input%s\n", count, count == 1 ? "" : "s");
    return rc;
}
