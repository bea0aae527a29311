/* realpath() is XSI */
#define _XOPEN_SOURCE 700

#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct asr_input {
    char *path;
    char *what;
};

void asr_inputs_add(asr_inputs *in, const char *path, const char *what)
{
    if (!path || !*path)
        return;
    if (in->n == in->cap) {
        in->cap = in->cap ? in->cap * 2 : 16;
        in->items = asr_xrealloc(in->items, in->cap * sizeof *in->items);
    }
    in->items[in->n].path = asr_xstrdup(path);
    in->items[in->n++].what = asr_xstrdup(what);
}

void asr_inputs_add_db(asr_inputs *in, const char *db_path)
{
    static const char *const beside[] = {"-wal", "-shm", "-journal"};
    if (!db_path || !*db_path)
        return;
    asr_inputs_add(in, db_path, "the database");
    for (size_t i = 0; i < sizeof beside / sizeof beside[0]; i++) {
        asr_buf b = {0};
        asr_buf_addf(&b, "%s%s", db_path, beside[i]);
        char what[40];
        snprintf(what, sizeof what, "the database's %s file", beside[i] + 1);
        asr_inputs_add(in, b.data, what);
        asr_buf_free(&b);
    }
}

void asr_inputs_free(asr_inputs *in)
{
    for (size_t i = 0; i < in->n; i++) {
        free(in->items[i].path);
        free(in->items[i].what);
    }
    free(in->items);
    memset(in, 0, sizeof *in);
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return asr_xstrdup(".");
    if (slash == path)
        return asr_xstrdup("/");
    return asr_xstrndup(path, (size_t)(slash - path));
}

/* The name with its directory resolved (symbolic links, "..", the working
 * directory), so two spellings of one name compare equal even when no
 * file has it yet. NULL if the directory cannot be resolved. */
static char *canonical(const char *path)
{
    char *dir = dir_of(path);
    char *real = realpath(dir, NULL);
    free(dir);
    if (!real)
        return NULL;
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    asr_buf b = {0};
    asr_buf_addf(&b, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
    free(real);
    return b.data;
}

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

asr_status asr_outfile_check(const char *path, const char *label, const asr_inputs *inputs,
                             asr_diag *d)
{
    asr_loc l = {path, 0, 0};
    struct stat ls, st;
    int exists = 0;
    if (lstat(path, &ls) == 0 && stat(path, &st) == 0) {
        /* a symbolic link is followed; one that leads nowhere is replaced */
        if (!S_ISREG(st.st_mode)) {
            asr_error(d, &l, NULL,
                      "%s is %s%s; an output must be a regular file or a new name: refusing to "
                      "replace it",
                      label, S_ISLNK(ls.st_mode) ? "a symbolic link to " : "", kind_of(st.st_mode));
            return ASR_E_CANTCREATE;
        }
        exists = 1;
    }
    if (!inputs || !inputs->n)
        return ASR_OK;
    char *name = canonical(path);
    asr_status rc = ASR_OK;
    for (size_t i = 0; i < inputs->n && rc == ASR_OK; i++) {
        const struct asr_input *in = &inputs->items[i];
        struct stat is;
        int same =
            exists && stat(in->path, &is) == 0 && is.st_dev == st.st_dev && is.st_ino == st.st_ino;
        if (!same && name) {
            char *other = canonical(in->path);
            same = other && strcmp(other, name) == 0;
            free(other);
        }
        if (!same)
            continue;
        if (strcmp(in->path, path) == 0)
            asr_error(d, &l, NULL, "%s is %s%s; refusing to write over an input", label, in->what,
                      strncmp(in->what, "the ", 4) == 0 ? " itself" : "");
        else
            asr_error(d, &l, NULL, "%s is the same file as %s, %s; refusing to write over an input",
                      label, in->what, in->path);
        rc = ASR_E_CANTCREATE;
    }
    free(name);
    return rc;
}

/* ---- the temporary files live now, for a signal path to remove ---- */

#define MAX_LIVE 64
static char *live[MAX_LIVE];

static void live_add(char *tmp)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (!live[i]) {
            live[i] = tmp;
            return;
        }
}

static void live_remove(const char *tmp)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i] == tmp)
            live[i] = NULL;
}

void asr_outfile_remove_temps(void)
{
    for (int i = 0; i < MAX_LIVE; i++)
        if (live[i])
            unlink(live[i]);
}

asr_status asr_outfile_open(asr_outfile *o, const char *path, const char *label,
                            const asr_inputs *inputs, asr_diag *d)
{
    memset(o, 0, sizeof *o);
    asr_status st = asr_outfile_check(path, label, inputs, d);
    if (st != ASR_OK)
        return st;
    asr_loc l = {path, 0, 0};
    asr_buf tmp = {0};
    asr_buf_addf(&tmp, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp.data);
    if (fd < 0) {
        asr_error(d, &l, NULL, "cannot create the output file: %s", strerror(errno));
        asr_buf_free(&tmp);
        return ASR_E_CANTCREATE;
    }
    fchmod(fd, 0644);
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        unlink(tmp.data);
        asr_buf_free(&tmp);
        asr_error(d, &l, NULL, "cannot create the output file: %s", strerror(e));
        return ASR_E_CANTCREATE;
    }
    o->path = asr_xstrdup(path);
    o->tmp = tmp.data;
    live_add(o->tmp);
    return ASR_OK;
}

static void write_error(const asr_outfile *o, int err, asr_diag *d)
{
    asr_loc l = {o->path, 0, 0};
    asr_error(d, &l, NULL,
              "cannot write the output file: %s; the previous file, if any, is unchanged",
              strerror(err ? err : EIO));
}

static asr_status finish(asr_outfile *o, const char *label, const asr_inputs *inputs, asr_diag *d,
                         int replace)
{
    int failed = fflush(o->f) != 0 || ferror(o->f);
    int err = failed ? errno : 0;
    if (!failed && fsync(fileno(o->f)) != 0)
        failed = 1, err = errno;
    if (fclose(o->f) != 0 && !failed)
        failed = 1, err = errno;
    o->f = NULL;
    if (failed) {
        write_error(o, err, d);
        asr_outfile_abort(o);
        return ASR_E_IO;
    }
    /* what the name is now, not what it was when the file was opened */
    asr_status st = asr_outfile_check(o->path, label, inputs, d);
    if (st != ASR_OK) {
        asr_outfile_abort(o);
        return st;
    }
    if (!replace && link(o->tmp, o->path) != 0) {
        if (errno == EEXIST) {
            asr_loc l = {o->path, 0, 0};
            asr_error(d, &l, NULL, "%s: already exists; it was left as it was", label);
            asr_outfile_abort(o);
            return ASR_E_CANTCREATE;
        }
        write_error(o, errno, d);
        asr_outfile_abort(o);
        return ASR_E_IO;
    }
    if (!replace)
        unlink(o->tmp); /* the final name holds the file now */
    else if (rename(o->tmp, o->path) != 0) {
        write_error(o, errno, d);
        asr_outfile_abort(o);
        return ASR_E_IO;
    }
    /* Make the rename itself durable. */
    char *dir = dir_of(o->path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    free(dir);
    live_remove(o->tmp);
    free(o->tmp);
    o->tmp = NULL;
    free(o->path);
    o->path = NULL;
    return ASR_OK;
}

asr_status asr_outfile_commit(asr_outfile *o, const char *label, const asr_inputs *inputs,
                              asr_diag *d)
{
    return finish(o, label, inputs, d, 1);
}

asr_status asr_outfile_commit_new(asr_outfile *o, const char *label, asr_diag *d)
{
    return finish(o, label, NULL, d, 0);
}

asr_status asr_outfile_fail(asr_outfile *o, asr_diag *d)
{
    int err = errno;
    if (o->f) {
        /* The stream's error is sticky but errno is not: write again (the
         * file is being thrown away) to hear the reason from the system. */
        clearerr(o->f);
        fputc('\n', o->f);
        if (fflush(o->f) != 0)
            err = errno;
    }
    write_error(o, err, d);
    asr_outfile_abort(o);
    return ASR_E_IO;
}

void asr_outfile_abort(asr_outfile *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    if (o->tmp) {
        live_remove(o->tmp);
        unlink(o->tmp);
    }
    free(o->tmp);
    o->tmp = NULL;
    free(o->path);
    o->path = NULL;
}
