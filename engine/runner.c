#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "confine.h"
#include "outfile.h"
#include "progress.h"
#include "sha256.h"
#include "store.h"
#include "wire.h"

/* MODE_PARK: load and run in one worker -- open the database, load the
 * rule, send its metadata, then wait for the parent's word (a 'G' byte on
 * its own pipe) to run it, or for the pipe to close. */
enum { MODE_LOAD, MODE_CHECK, MODE_PARK };

const char *asr_fail_kind_name(asr_fail_kind k)
{
    static const char *const names[] = {"none",    "timeout", "memory",  "output",
                                        "runtime", "crash",   "sandbox", "load"};
    return (size_t)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

void asr_runner_default_opts(asr_runner_opts *o)
{
    memset(o, 0, sizeof *o);
    o->budget.memory = 256u << 20;
    o->budget.instructions = 2000000000u;
    o->budget.seconds = 30;
    o->budget.max_source = ASR_RULE_MAX_SOURCE;
    o->output.max_findings = 10000;
    o->output.max_bytes = 16u << 20;
    o->grace_seconds = 2;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cores > 0 ? (int)cores : 1;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the worker ---- */

typedef struct {
    int mode;
    const char *file;
    const asr_map *map;
    const char *db;
    const char *as_of;
    const asr_runner_opts *o;
    int go;   /* MODE_PARK: the read end of the parent's pipe, in the worker */
    int held; /* in the worker: its file for findings beyond memory, or -1 */
} job;

static void send_error(int fd, asr_buf *msg, asr_fail_kind kind, const char *text)
{
    asr_wire_begin(msg, 'E');
    asr_wire_adds(msg, asr_fail_kind_name(kind));
    asr_wire_adds(msg, text);
    asr_wire_send(fd, msg);
}

/* The findings a worker holds in memory before it writes them to its
 * temporary file (heldsort). The default output budget fits: the file is
 * made only when the budget allows more. */
#define HELD_MEMORY ((size_t)16 << 20)

static int held_file_wanted(const job *j)
{
    return (j->mode == MODE_CHECK || j->mode == MODE_PARK) && j->o->output.max_bytes > HELD_MEMORY;
}

const char *asr_runner_tmpdir(const asr_runner_opts *o)
{
    const char *env = getenv("TMPDIR");
    return o->tmpdir && *o->tmpdir ? o->tmpdir : env && *env ? env : "/tmp";
}

int asr_runner_tmpdir_usable(const asr_runner_opts *o)
{
    if (o->output.max_bytes <= HELD_MEMORY)
        return 0;
    int fd = asr_heldsort_tmpfile(asr_runner_tmpdir(o));
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int worker_interrupt(void *ud)
{
    return asr_sandbox_past_deadline(ud);
}

static asr_fail_kind kind_of(asr_sandbox *sb, const asr_ctx *c, const char *err)
{
    if (c && c->output_exceeded)
        return ASR_FAIL_OUTPUT;
    switch (asr_sandbox_spent(sb)) {
    case ASR_SPENT_MEMORY:
        return ASR_FAIL_MEMORY;
    case ASR_SPENT_OUTPUT:
        return ASR_FAIL_OUTPUT;
    case ASR_SPENT_TIME:
    case ASR_SPENT_INSTRUCTIONS:
        return ASR_FAIL_TIMEOUT;
    default:
        break;
    }
    if (err && (strstr(err, ASR_SANDBOX_PREFIX) || strstr(err, "__gc metamethods")))
        return ASR_FAIL_SANDBOX;
    if (err && strstr(err, "not enough memory"))
        return ASR_FAIL_MEMORY;
    return ASR_FAIL_RUNTIME;
}

/* ---- coverage, in the worker ---- */

typedef struct {
    char chunk[600]; /* "@file", as Lua names the source */
    size_t n;        /* lines + 1 */
    unsigned char *executable, *executed, *seen_fn;
    asr_strset reads;
} cover;

static void add_active_lines(cover *cv, lua_State *L)
{
    /* the activelines table is on top */
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_Integer line = lua_tointeger(L, -2);
        if (line > 0 && (size_t)line < cv->n)
            cv->executable[line] = 1;
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

static void cover_line(void *ud, lua_State *L, lua_Debug *ar)
{
    cover *cv = ud;
    if (!lua_getinfo(L, "S", ar) || strcmp(ar->source, cv->chunk) != 0)
        return;
    if (ar->currentline > 0 && (size_t)ar->currentline < cv->n)
        cv->executed[ar->currentline] = 1;
    if (ar->linedefined > 0 && (size_t)ar->linedefined < cv->n && !cv->seen_fn[ar->linedefined]) {
        cv->seen_fn[ar->linedefined] = 1;
        if (lua_checkstack(L, 4) && lua_getinfo(L, "L", ar))
            add_active_lines(cv, L);
    }
}

/* The lines of every function reachable from the value on top of the stack
 * (through table fields and upvalues), before any of them runs. */
static void collect_static(cover *cv, lua_State *L, int depth)
{
    if (depth > 6 || !lua_checkstack(L, 6))
        return;
    int top = lua_gettop(L);
    if (lua_type(L, top) == LUA_TFUNCTION && !lua_iscfunction(L, top)) {
        lua_Debug ar;
        lua_pushvalue(L, top);
        if (lua_getinfo(L, ">SL", &ar) && strcmp(ar.source, cv->chunk) == 0) {
            if (ar.linedefined > 0 && (size_t)ar.linedefined < cv->n)
                cv->seen_fn[ar.linedefined] = 1;
            add_active_lines(cv, L);
        } else {
            lua_pop(L, 1);
        }
        for (int i = 1; lua_getupvalue(L, top, i); i++) {
            collect_static(cv, L, depth + 1);
            lua_pop(L, 1);
        }
    } else if (lua_type(L, top) == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, top)) {
            collect_static(cv, L, depth + 1);
            lua_pop(L, 1);
        }
    }
    lua_settop(L, top);
}

static void cover_read(void *ud, const char *table)
{
    cover *cv = ud;
    asr_strset_add(&cv->reads, table, strlen(table));
}

static void send_lines(int fd, asr_buf *msg, const cover *cv)
{
    asr_buf a = {0}, b = {0};
    for (size_t i = 1; i < cv->n; i++) {
        if (cv->executable[i] || cv->executed[i])
            asr_buf_addf(&a, "%zu,", i);
        if (cv->executed[i])
            asr_buf_addf(&b, "%zu,", i);
    }
    asr_wire_begin(msg, 'C');
    asr_wire_add(msg, asr_buf_str(&a), a.len);
    asr_wire_add(msg, asr_buf_str(&b), b.len);
    asr_wire_send(fd, msg);
    asr_buf_free(&a);
    asr_buf_free(&b);
    asr_wire_begin(msg, 'R');
    for (size_t i = 0; i < cv->reads.cap; i++)
        if (cv->reads.slots[i])
            asr_wire_adds(msg, cv->reads.slots[i]);
    asr_wire_send(fd, msg);
}

/* What a worker holds, freed before it exits: the worker's exit is
 * _exit(), but memory checkers look at what a process still holds. */
typedef struct {
    asr_buf msg;
    char *text;
    asr_sandbox *sb;
    asr_rule r;
    int have_rule;
    cover cv;
    asr_ro *ro;
    asr_ctx c;
    int have_ctx;
    int held_fd, have_held_fd; /* the file for held findings, until c has it */
} worker_state;

static void worker_exit(worker_state *w)
{
    if (w->have_ctx)
        asr_ctx_free(&w->c);
    if (w->have_held_fd)
        close(w->held_fd);
    asr_sandbox_free(w->sb); /* first: closing Lua finalizes its open queries */
    asr_ro_close(w->ro);
    if (w->have_rule)
        asr_rule_clear(&w->r);
    free(w->text);
    free(w->cv.executable);
    free(w->cv.executed);
    free(w->cv.seen_fn);
    asr_strset_free(&w->cv.reads);
    asr_buf_free(&w->msg);
    _exit(0);
}

/* ---- confinement, in the worker ---- */

/* A refused system call (the filter's SIGSYS): say which to the parent --
 * a 'Y' message with the call's number, framed as wire.h lays messages out,
 * built without allocating -- then die of the signal. */
static int sigsys_fd = -1;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char msg[ASR_WIRE_ONE_HEADER + 12], digits[12];
    size_t n = 0;
    unsigned v = si->si_syscall >= 0 ? (unsigned)si->si_syscall : 0;
    do
        digits[n++] = (char)('0' + v % 10);
    while ((v /= 10) && n < sizeof digits);
    for (size_t i = 0; i < n; i++)
        msg[ASR_WIRE_ONE_HEADER + i] = digits[n - 1 - i];
    msg[0] = 'Y';
    asr_be32_put(msg + 1, (uint32_t)(8 + n));
    asr_be32_put(msg + 5, 1);
    asr_be32_put(msg + 9, (uint32_t)n);
    if (write(sigsys_fd, msg, ASR_WIRE_ONE_HEADER + n) < 0)
        msg[0] = 0;
    /* SA_RESETHAND made the action the default again: the signal, pending
     * until this handler returns, ends the process. */
    raise(sig);
}

/* Seals the worker: from here on a system call outside the filter's list
 * is refused and reported. 0, or -1 with the reason sent as a failure. */
static int seal(int fd, asr_buf *msg)
{
    char err[256];
    sigsys_fd = fd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_sigsys;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0 || asr_confine_seal(err, sizeof err) != 0) {
        send_error(fd, msg, ASR_FAIL_CRASH, err);
        return -1;
    }
    return 0;
}

/* A test seam: ASSURE_TEST_SYSCALL=ID:CALL makes the worker of rule ID
 * attempt a system call the filter refuses, once the filter is in place:
 * exec (execve), socket, open (a file for writing) or kill (another
 * process). */
static void test_syscall(const char *id)
{
    const char *want = getenv("ASSURE_TEST_SYSCALL");
    size_t idlen = strlen(id);
    if (!want || strncmp(want, id, idlen) != 0 || want[idlen] != ':')
        return;
    const char *call = want + idlen + 1;
    if (strcmp(call, "exec") == 0) {
        char *const argv[] = {(char *)"/bin/sh", (char *)"-c", (char *)"true", NULL};
        execv("/bin/sh", argv);
    } else if (strcmp(call, "socket") == 0) {
        socket(AF_INET, SOCK_STREAM, 0);
    } else if (strcmp(call, "open") == 0) {
        open("assure-test-syscall", O_WRONLY | O_CREAT, 0600);
    } else if (strcmp(call, "kill") == 0) {
        kill(1, 0); /* another process: init */
    }
}

/* Runs in the child; never returns. */
static void worker_main(const job *j, int fd)
{
    static worker_state w; /* static: reachable from anywhere until the exit */
    memset(&w, 0, sizeof w);
    char err[1024];
    size_t len;
    w.text = asr_rule_read(j->file, &len, err, sizeof err);
    if (!w.text) {
        send_error(fd, &w.msg, ASR_FAIL_LOAD, err);
        worker_exit(&w);
    }
    w.sb = asr_sandbox_new(&j->o->budget);
    if (!w.sb) {
        send_error(fd, &w.msg, ASR_FAIL_MEMORY, "cannot start Lua");
        worker_exit(&w);
    }
    if (j->mode == MODE_CHECK || j->mode == MODE_PARK) {
        /* Everything the worker will read is opened, and read once (so
         * SQLite has its -wal and -shm open), before the filter goes on:
         * afterwards no file can be opened for writing. */
        asr_store_heap_limit((int64_t)j->o->budget.memory);
        w.ro = asr_ro_open(j->db, worker_interrupt, w.sb, err, sizeof err);
        if (!w.ro) {
            send_error(fd, &w.msg, ASR_FAIL_RUNTIME, err);
            worker_exit(&w);
        }
        if (j->o->classifier && j->o->classifier->open)
            j->o->classifier->open(j->o->classifier);
    }
    if (j->held >= 0) {
        w.held_fd = j->held; /* made by the parent (start_worker) */
        w.have_held_fd = 1;
    }
    if (seal(fd, &w.msg) != 0)
        worker_exit(&w);
    if (asr_rule_load(w.sb, j->file, w.text, len, &w.r, err, sizeof err)) {
        asr_fail_kind k =
            asr_sandbox_spent(w.sb) != ASR_SPENT_NONE ? kind_of(w.sb, NULL, err) : ASR_FAIL_LOAD;
        send_error(fd, &w.msg, k == ASR_FAIL_LOAD ? ASR_FAIL_LOAD : k, err);
        worker_exit(&w);
    }
    w.have_rule = 1;
    lua_State *L = asr_sandbox_lua(w.sb);
    int rule_table = lua_gettop(L);
    cover *cv = &w.cv;
    if (j->o->coverage) {
        snprintf(cv->chunk, sizeof cv->chunk, "@%s", j->file);
        cv->n = 2;
        for (size_t i = 0; i < len; i++)
            cv->n += w.text[i] == '\n';
        cv->executable = asr_xcalloc(cv->n, 1);
        cv->executed = asr_xcalloc(cv->n, 1);
        cv->seen_fn = asr_xcalloc(cv->n, 1);
        lua_pushvalue(L, rule_table);
        collect_static(cv, L, 0);
        lua_pop(L, 1);
    }
    free(w.text); /* compiled: the source is no longer needed */
    w.text = NULL;
    asr_buf *msg = &w.msg;
    asr_rule *r = &w.r;
    if (j->mode == MODE_LOAD) {
        asr_wire_begin(msg, 'M');
        asr_rule_encode(r, msg);
        asr_wire_send(fd, msg);
        if (j->o->coverage)
            send_lines(fd, msg, cv); /* the lines a rule has, run or not */
        asr_wire_begin(msg, 'D');
        asr_wire_send(fd, msg);
        worker_exit(&w);
    }
    if (j->mode == MODE_PARK) {
        /* The metadata, then wait: the parent checks the whole set before
         * any rule runs, and wakes only those to run. */
        asr_wire_begin(msg, 'M');
        asr_rule_encode(r, msg);
        asr_wire_send(fd, msg);
        asr_wire_begin(msg, 'P');
        asr_wire_send(fd, msg);
        char go = 0;
        ssize_t got;
        while ((got = read(j->go, &go, 1)) < 0 && errno == EINTR)
            ;
        if (got != 1 || go != 'G')
            worker_exit(&w);
    }

    /* A test seam: crash on purpose, to prove the parent survives it --
     * "ID" before the rule runs, "ID:sent" once its findings have been sent
     * (the parent must then drop them). */
    const char *crash = getenv("ASSURE_TEST_CRASH_RULE");
    size_t idlen = strlen(r->id);
    int crash_before = crash && strcmp(crash, r->id) == 0;
    int crash_after =
        crash && strncmp(crash, r->id, idlen) == 0 && strcmp(crash + idlen, ":sent") == 0;
    if (crash_before)
        raise(SIGSEGV);
    test_syscall(r->id);

    asr_ruleapi_strict_globals(L);
    if (j->o->coverage) {
        asr_sandbox_set_line_hook(w.sb, cover_line, cv);
        asr_ro_on_read(w.ro, cover_read, cv);
    }
    asr_ctx *c = &w.c;
    w.have_ctx = 1;
    c->reads = j->o->coverage ? &cv->reads : NULL;
    c->sb = w.sb;
    c->ro = w.ro;
    c->map = j->map;
    c->rule = r;
    c->as_of = j->as_of;
    c->out_fd = fd;
    c->budget = j->o->output;
    c->sink = j->o->sink;
    c->classifier = j->o->classifier;
    if (w.have_held_fd) {
        asr_heldsort_file(&c->held, w.held_fd, HELD_MEMORY); /* c->held closes it now */
        w.have_held_fd = 0;
    }

    double t0 = now_seconds();
    asr_sandbox_reset_budget(w.sb);
    lua_pushliteral(L, "check");
    lua_rawget(L, rule_table);
    asr_ruleapi_push_ctx(L, c);
    const char *cerr = NULL;
    int failed = asr_sandbox_call(w.sb, 1, 0, &cerr);
    double elapsed = (now_seconds() - t0) * 1000;
    if (!failed && !c->output_exceeded && asr_ctx_send_findings(c) != 0 && c->held_failed) {
        /* the findings could not be read back: those sent are dropped */
        send_error(fd, msg, ASR_FAIL_OUTPUT, asr_heldsort_error(&c->held));
        worker_exit(&w);
    }
    if (crash_after)
        raise(SIGSEGV);
    asr_ctx_flush(c);
    if (j->o->coverage)
        send_lines(fd, msg, cv);
    if (failed || c->output_exceeded) {
        asr_fail_kind k = kind_of(w.sb, c, cerr);
        char why[200];
        if (c->output_exceeded) {
            snprintf(why, sizeof why, "output budget spent: more than %zu findings or %zu bytes",
                     c->budget.max_findings, c->budget.max_bytes);
            cerr = why;
        } else if (c->held_failed) {
            snprintf(why, sizeof why, "%s", asr_heldsort_error(&c->held));
            cerr = why;
        }
        char at[400];
        if (failed && k == ASR_FAIL_RUNTIME && c->row[0]) {
            /* a failure inside a ctx:rows loop: the row it had reached */
            snprintf(at, sizeof at, "%s (at the row with %s)", cerr ? cerr : "failed", c->row);
            cerr = at;
        }
        send_error(fd, msg, k, cerr ? cerr : "failed");
        worker_exit(&w);
    }
    char num[4][32];
    snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)asr_sandbox_instructions(w.sb));
    snprintf(num[1], sizeof num[1], "%lld", asr_ro_rows_read(w.ro));
    snprintf(num[2], sizeof num[2], "%.3f", elapsed);
    snprintf(num[3], sizeof num[3], "%zu", asr_sandbox_memory_peak(w.sb));
    asr_wire_begin(msg, 'S');
    for (int i = 0; i < 4; i++)
        asr_wire_adds(msg, num[i]);
    asr_wire_send(fd, msg);
    asr_wire_begin(msg, 'D');
    asr_wire_send(fd, msg);
    worker_exit(&w);
}

/* ---- the parent ---- */

typedef struct {
    int busy;   /* running, its pipe polled */
    int parked; /* loaded and waiting (MODE_PARK), its pipes open */
    pid_t pid;
    int fd;
    int go; /* the write end of a parked worker's pipe, or -1 */
    size_t index;
    double kill_at;
    int killed, done, got_error;
    asr_wire_reader rd;
} slot;

typedef struct {
    asr_rule_result *results;
    asr_finding *findings;
    size_t n_findings, cap_findings;
    asr_spool *spool; /* for formatted findings ('B' messages) */
    void (*on_finding)(void *ud, size_t rule, const asr_finding *f, const char *wire,
                       size_t wire_len);
    void *on_finding_ud;
    const asr_runner_opts *o;
} collector;

static char *take(const asr_wire_msg *m, size_t i)
{
    return i < m->n ? asr_xstrndup(m->field[i], m->len[i]) : asr_xstrdup("");
}

static asr_fail_kind kind_from_name(const char *s, size_t len)
{
    for (int k = ASR_FAIL_TIMEOUT; k <= ASR_FAIL_LOAD; k++) {
        const char *n = asr_fail_kind_name((asr_fail_kind)k);
        if (strlen(n) == len && memcmp(n, s, len) == 0)
            return (asr_fail_kind)k;
    }
    return ASR_FAIL_CRASH;
}

static void on_message(collector *col, slot *s, const asr_wire_msg *m)
{
    asr_rule_result *res = &col->results[s->index];
    switch (m->type) {
    case 'M':
        if (asr_rule_decode(m->field, m->len, m->n, &res->rule) == 0)
            res->loaded = 1;
        break;
    case 'F': {
        if (col->on_finding) {
            asr_buf tmp = {0};
            asr_finding f;
            asr_buf_reserve(&tmp, asr_finding_decode_size(m));
            asr_finding_decode(m, tmp.data, &f);
            f.rule = s->index;
            if (f.waived)
                res->n_waived++;
            else
                res->n_findings++,
                    res->by_severity[asr_severity_index(asr_finding_severity(&f, &res->rule))]++;
            col->on_finding(col->on_finding_ud, s->index, &f, m->raw, m->raw_len);
            asr_buf_free(&tmp);
            break;
        }
        if (col->n_findings == col->cap_findings) {
            col->cap_findings = col->cap_findings ? col->cap_findings * 2 : 64;
            col->findings = asr_xrealloc(col->findings, col->cap_findings * sizeof *col->findings);
        }
        /* One block holds every string of the finding and its evidence:
         * a big exception list costs one allocation per finding. */
        asr_finding *f = &col->findings[col->n_findings++];
        asr_finding_decode(m, asr_xmalloc(asr_finding_decode_size(m)), f);
        f->rule = s->index;
        if (f->waived)
            res->n_waived++;
        else
            res->n_findings++,
                res->by_severity[asr_severity_index(asr_finding_severity(f, &res->rule))]++;
        break;
    }
    case 'B':
    case 'V': {
        asr_extent e;
        if (!col->spool || m->n != 1 || asr_spool_add(col->spool, m->field[0], m->len[0], &e))
            break; /* a failed spool is reported once the run is over */
        asr_extent **list = m->type == 'B' ? &res->blocks : &res->waived_blocks;
        size_t *n = m->type == 'B' ? &res->n_blocks : &res->n_waived_blocks;
        if ((*n & (*n - 1)) == 0) /* 0, 1, 2, 4, ...: grow */
            *list = asr_xrealloc(*list, (*n ? *n * 2 : 1) * sizeof **list);
        (*list)[(*n)++] = e;
        break;
    }
    case 'K':
        if (col->o && col->o->on_note && m->n == 1)
            col->o->on_note(col->o->on_note_ud, s->index, m->field[0], m->len[0]);
        break;
    case 'N':
        if (m->n == 5) {
            char *v[5];
            for (int i = 0; i < 5; i++)
                v[i] = take(m, (size_t)i);
            res->n_findings = strtoul(v[0], NULL, 10);
            for (int k = 0; k < 3; k++)
                res->by_severity[k] = strtoul(v[k + 1], NULL, 10);
            res->n_waived = strtoul(v[4], NULL, 10);
            for (int i = 0; i < 5; i++)
                free(v[i]);
        }
        break;
    case 'L':
        if (res->n_logs < 200) {
            res->logs = asr_xrealloc(res->logs, (res->n_logs + 1) * sizeof *res->logs);
            res->logs[res->n_logs++] = take(m, 0);
        } else {
            res->logs_dropped++;
        }
        break;
    case 'E':
        if (!s->got_error) {
            s->got_error = 1;
            res->fail = m->n ? kind_from_name(m->field[0], m->len[0]) : ASR_FAIL_CRASH;
            free(res->fail_message);
            res->fail_message = take(m, 1);
        }
        break;
    case 'S': {
        char *v[4];
        for (int i = 0; i < 4; i++)
            v[i] = take(m, (size_t)i);
        res->instructions = strtoull(v[0], NULL, 10);
        res->rows_read = strtoll(v[1], NULL, 10);
        res->elapsed_ms = strtod(v[2], NULL);
        res->memory_peak = strtoull(v[3], NULL, 10);
        for (int i = 0; i < 4; i++)
            free(v[i]);
        break;
    }
    case 'C': {
        /* executable lines, then executed lines, as "n,n,..." */
        for (int which = 0; which < 2 && (size_t)which < m->n; which++) {
            char *list = take(m, (size_t)which);
            for (char *p = list; *p;) {
                size_t line = strtoul(p, &p, 10);
                if (*p == ',')
                    p++;
                if (line == 0 || line > 1000000)
                    continue;
                if (line >= res->n_lines) {
                    res->executable = asr_xrealloc(res->executable, line + 1);
                    res->executed = asr_xrealloc(res->executed, line + 1);
                    memset(res->executable + res->n_lines, 0, line + 1 - res->n_lines);
                    memset(res->executed + res->n_lines, 0, line + 1 - res->n_lines);
                    res->n_lines = line + 1;
                }
                (which ? res->executed : res->executable)[line] = 1;
            }
            free(list);
        }
        break;
    }
    case 'R':
        for (size_t i = 0; i < m->n; i++) {
            res->reads = asr_xrealloc(res->reads, (res->n_reads + 1) * sizeof *res->reads);
            res->reads[res->n_reads++] = take(m, i);
        }
        break;
    case 'Y':
        /* the filter refused a system call (the worker's SIGSYS handler) */
        if (!s->got_error && m->n == 1) {
            char *nr = take(m, 0), name[64], text[200];
            s->got_error = 1;
            res->fail = ASR_FAIL_SANDBOX;
            snprintf(text, sizeof text,
                     "the rule's worker attempted a forbidden system call (%s) and was stopped",
                     asr_confine_syscall_name(atoi(nr), name, sizeof name));
            free(nr);
            free(res->fail_message);
            res->fail_message = asr_xstrdup(text);
        }
        break;
    case 'D':
        s->done = 1;
        break;
    case 'P':
        s->parked = 1;
        break;
    default:
        break;
    }
}

/* ---- SIGTERM, SIGINT and SIGHUP while workers run ----
 * The handler only records the signal and wakes the loop (a byte down a
 * pipe the loop polls); the loop then kills and reaps every worker,
 * removes the temporary output files the process has open, and dies of the
 * signal with its default action, so the exit status says what happened.
 * A signal whose disposition was not the default (SIGHUP under nohup) is
 * left as it was. */
static const int stop_signals[] = {SIGTERM, SIGINT, SIGHUP};
#define N_STOP (sizeof stop_signals / sizeof stop_signals[0])
static volatile sig_atomic_t stop_signal;
static int stop_pipe[2] = {-1, -1};

static void on_stop_signal(int sig)
{
    int saved = errno;
    stop_signal = sig;
    if (stop_pipe[1] >= 0) {
        ssize_t n = write(stop_pipe[1], "", 1); /* full: the loop is awake anyway */
        (void)n;
    }
    errno = saved;
}

typedef struct {
    struct sigaction old[N_STOP];
    int caught[N_STOP];
} stop_guard;

static void stop_guard_on(stop_guard *g)
{
    memset(g, 0, sizeof *g);
    stop_signal = 0;
    if (pipe(stop_pipe) != 0) {
        stop_pipe[0] = stop_pipe[1] = -1;
    } else {
        for (int k = 0; k < 2; k++)
            fcntl(stop_pipe[k], F_SETFL, O_NONBLOCK);
    }
    for (size_t k = 0; k < N_STOP; k++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        if (sigaction(stop_signals[k], NULL, &g->old[k]) == 0 && g->old[k].sa_handler == SIG_DFL)
            g->caught[k] = sigaction(stop_signals[k], &sa, NULL) == 0;
    }
}

static void stop_guard_off(stop_guard *g)
{
    for (size_t k = 0; k < N_STOP; k++)
        if (g->caught[k])
            sigaction(stop_signals[k], &g->old[k], NULL);
    for (int k = 0; k < 2; k++)
        if (stop_pipe[k] >= 0)
            close(stop_pipe[k]);
    stop_pipe[0] = stop_pipe[1] = -1;
}

/* In a new worker: the default actions, and not the parent's pipe. */
static void stop_guard_child(void)
{
    for (size_t k = 0; k < N_STOP; k++) {
        struct sigaction now;
        if (sigaction(stop_signals[k], NULL, &now) == 0 && now.sa_handler == on_stop_signal)
            signal(stop_signals[k], SIG_DFL);
    }
    for (int k = 0; k < 2; k++)
        if (stop_pipe[k] >= 0)
            close(stop_pipe[k]);
}

/* The parent was told to stop: no worker outlives it. */
static void stop_now(stop_guard *g, slot *slots, int width)
{
    int sig = (int)stop_signal;
    for (int i = 0; i < width; i++)
        if (slots[i].busy || slots[i].parked)
            kill(slots[i].pid, SIGKILL);
    for (int i = 0; i < width; i++) {
        if (!slots[i].busy && !slots[i].parked)
            continue;
        while (waitpid(slots[i].pid, NULL, 0) < 0 && errno == EINTR)
            ;
        close(slots[i].fd);
        if (slots[i].go >= 0)
            close(slots[i].go);
        slots[i].busy = slots[i].parked = 0;
    }
    asr_outfile_remove_temps();
    stop_guard_off(g);
    signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
}

/* Starts the worker for j in slots[i] (of width). 0, or -1 with why. */
static int start_worker(slot *slots, int width, int i, const job *j, char *why, size_t size)
{
    slot *s = &slots[i];
    int fd, go[2] = {-1, -1}, held = -1;
    snprintf(why, size, "could not start a worker process: %s", strerror(errno = EAGAIN));
    if (held_file_wanted(j)) {
        /* the worker's file for findings beyond memory, made here: the
         * filter will not let the worker create one */
        if ((held = asr_heldsort_tmpfile(j->o->tmpdir)) < 0) {
            snprintf(why, size, "cannot create a temporary file for the rule's findings in %s: %s",
                     asr_runner_tmpdir(j->o), strerror(errno));
            return -1;
        }
    }
    if (j->mode == MODE_PARK && pipe(go) != 0) {
        snprintf(why, size, "could not start a worker process: %s", strerror(errno));
        if (held >= 0)
            close(held);
        return -1;
    }
    long pid = asr_fork_piped(&fd);
    if (pid < 0) {
        snprintf(why, size, "could not start a worker process: %s", strerror(errno));
        if (go[0] >= 0)
            close(go[0]), close(go[1]);
        if (held >= 0)
            close(held);
        return -1;
    }
    if (pid == 0) {
        /* Confined at once (confine), the kernel's limits in place before
         * any of the rule's bytes are read; the other workers' pipes are
         * not this one's to read. */
        signal(SIGPIPE, SIG_DFL);
        stop_guard_child();
        for (int k = 0; k < width; k++) {
            if (k == i || !(slots[k].busy || slots[k].parked))
                continue;
            close(slots[k].fd);
            if (slots[k].go >= 0)
                close(slots[k].go); /* no worker may wake another */
        }
        job mine = *j;
        if (go[1] >= 0)
            close(go[1]);
        mine.go = go[0];
        mine.held = held;
        asr_confine_limits lim;
        char err[256];
        asr_confine_limits_for(j->o->budget.seconds, j->o->grace_seconds, j->o->budget.memory,
                               held_file_wanted(j) ? j->o->output.max_bytes : 0, &lim);
        if (asr_confine_limits_set(&lim, err, sizeof err) != 0) {
            asr_buf msg = {0};
            send_error(fd, &msg, ASR_FAIL_CRASH, err);
            asr_buf_free(&msg);
            _exit(0);
        }
        worker_main(&mine, fd);
    }
    if (go[0] >= 0)
        close(go[0]);
    if (held >= 0)
        close(held); /* the worker's own */
    s->pid = (pid_t)pid;
    s->fd = fd;
    s->go = go[1];
    s->parked = 0;
    s->kill_at = now_seconds() + j->o->budget.seconds + j->o->grace_seconds;
    s->killed = s->done = s->got_error = 0;
    memset(&s->rd, 0, sizeof s->rd);
    return 0;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV (invalid memory access)";
    case SIGABRT:
        return "SIGABRT (aborted)";
    case SIGBUS:
        return "SIGBUS";
    case SIGFPE:
        return "SIGFPE";
    case SIGILL:
        return "SIGILL";
    case SIGKILL:
        return "SIGKILL";
    case SIGXFSZ:
        return "SIGXFSZ (file size limit)";
    default:
        return "a signal";
    }
}

static void finish_worker(collector *col, slot *s, const asr_runner_opts *o)
{
    int status = 0;
    while (waitpid(s->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(s->fd);
    if (s->go >= 0)
        close(s->go);
    s->go = -1;
    asr_wire_reader_free(&s->rd);
    asr_rule_result *res = &col->results[s->index];
    char msg[200];
    if (s->got_error)
        return;
    if (s->killed) {
        res->fail = ASR_FAIL_TIMEOUT;
        snprintf(msg, sizeof msg,
                 "did not finish within %.0f s and was stopped (a long pattern match or query "
                 "cannot be interrupted from inside)",
                 o->budget.seconds);
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
        res->fail = ASR_FAIL_SANDBOX;
        snprintf(msg, sizeof msg,
                 "the rule's worker attempted a forbidden system call and was stopped");
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
        res->fail = ASR_FAIL_TIMEOUT;
        snprintf(msg, sizeof msg,
                 "used more CPU time than its limit (%.0f s) and was stopped by the kernel",
                 o->budget.seconds + o->grace_seconds + 1);
    } else if (WIFSIGNALED(status)) {
        res->fail = ASR_FAIL_CRASH;
        snprintf(msg, sizeof msg, "the worker running the rule died with %s",
                 signal_name(WTERMSIG(status)));
    } else if (!s->done) {
        res->fail = ASR_FAIL_CRASH;
        snprintf(msg, sizeof msg, "the worker running the rule ended without reporting (exit %d)",
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    } else {
        return;
    }
    free(res->fail_message);
    res->fail_message = asr_xstrdup(msg);
}

/* The rules' state for a progress display: finished of those to run,
 * findings so far and the rules at work. */
static void tell_progress(asr_progress *prog, const slot *slots, int width, const collector *col,
                          size_t n, size_t done, size_t total, int force)
{
    if (!prog)
        return;
    const char *work[8];
    size_t n_work = 0, findings = 0;
    for (int i = 0; i < width; i++)
        if (slots[i].busy && n_work < sizeof work / sizeof work[0])
            work[n_work++] = col->results[slots[i].index].rule.id;
    for (size_t i = 0; i < n; i++)
        findings += col->results[i].n_findings;
    asr_progress_rules(prog, done, total, findings, work, n_work, force);
}

/* Runs jobs[i] for every i with todo[i], at most o->jobs at a time; tells
 * prog (if not NULL) how far they have got.
 * With park (MODE_PARK jobs), every job starts at once in slot i, and a
 * worker that has loaded its rule and waits counts as done: the slots are
 * returned, those workers parked in them. With parked (such slots), the
 * jobs are not started but woken, at most o->jobs at a time. */
static slot *run_jobs_in(const job *jobs, const int *todo, size_t n, const asr_runner_opts *o,
                         collector *col, asr_progress *prog, int park, slot *parked)
{
    int limit = o->jobs > 0 ? o->jobs : 1;
    int width = park || parked ? (int)n : limit;
    slot *slots = parked ? parked : asr_xcalloc(n && width ? (size_t)width : 1, sizeof *slots);
    if (!parked)
        for (int i = 0; i < width; i++)
            slots[i].go = -1;
    struct pollfd *pfd = asr_xcalloc((size_t)width + 1, sizeof *pfd);
    int active = 0;
    size_t next = 0, done = 0, total = 0;
    int first = 1; /* the first progress is drawn at once */
    for (size_t i = 0; i < n; i++)
        total += todo[i] != 0;
    void (*old_pipe)(int) = signal(SIGPIPE, SIG_IGN);
    stop_guard guard;
    stop_guard_on(&guard);
    for (;;) {
        if (stop_signal)
            stop_now(&guard, slots, width);
        /* Wake parked workers, up to the limit. */
        while (parked && next < n && active < limit) {
            if (!todo[next]) {
                next++;
                continue;
            }
            slot *s = &slots[next];
            asr_rule_result *res = &col->results[next++];
            if (!s->parked || write(s->go, "G", 1) != 1) {
                /* never loaded (already reaped), or it died while it waited */
                if (s->parked) {
                    kill(s->pid, SIGKILL);
                    s->parked = 0;
                    finish_worker(col, s, o);
                }
                if (res->fail == ASR_FAIL_NONE) {
                    res->fail = ASR_FAIL_CRASH;
                    res->fail_message = asr_xstrdup("the worker ended before the rule ran");
                }
                done++;
                continue;
            }
            s->parked = 0;
            s->busy = 1;
            s->kill_at = now_seconds() + o->budget.seconds + o->grace_seconds;
            active++;
        }
        /* Fill free slots. */
        for (int i = 0; !parked && i < width && next < n; i++) {
            if (slots[i].busy || slots[i].parked)
                continue;
            while (next < n && !todo[next])
                next++;
            if (next == n)
                break;
            slots[i].index = next;
            char why[512];
            if (start_worker(slots, width, i, &jobs[next], why, sizeof why) != 0) {
                asr_rule_result *res = &col->results[next];
                res->fail = ASR_FAIL_CRASH;
                res->fail_message = asr_xstrdup(why);
                done++;
            } else {
                slots[i].busy = 1;
                active++;
            }
            next++;
        }
        tell_progress(prog, slots, width, col, n, done, total, first);
        first = 0;
        if (active == 0 && next >= n)
            break;
        if (active == 0)
            continue;
        double now = now_seconds(), wait = prog ? 0.25 : 1.0;
        for (int i = 0; i < width; i++) {
            pfd[i].fd = slots[i].busy ? slots[i].fd : -1;
            pfd[i].events = POLLIN;
            pfd[i].revents = 0;
            if (slots[i].busy && !slots[i].killed && slots[i].kill_at - now < wait)
                wait = slots[i].kill_at - now;
        }
        pfd[width].fd = stop_pipe[0];
        pfd[width].events = POLLIN;
        pfd[width].revents = 0;
        int timeout = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
        int r = poll(pfd, (nfds_t)width + 1, timeout);
        if (stop_signal)
            stop_now(&guard, slots, width);
        if (r < 0 && errno != EINTR)
            break;
        now = now_seconds();
        for (int i = 0; i < width; i++) {
            slot *s = &slots[i];
            if (!s->busy)
                continue;
            if (!s->killed && now >= s->kill_at) {
                kill(s->pid, SIGKILL);
                s->killed = 1;
            }
            if (r > 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
                char buf[65536];
                ssize_t got = read(s->fd, buf, sizeof buf);
                if (got > 0) {
                    asr_wire_feed(&s->rd, buf, (size_t)got);
                    asr_wire_msg m;
                    int k;
                    while ((k = asr_wire_next(&s->rd, &m)) == 1)
                        on_message(col, s, &m);
                    if (k < 0 && !s->killed) {
                        kill(s->pid, SIGKILL);
                        s->killed = 1;
                    }
                    if (park && s->parked && !s->killed) {
                        /* loaded, and waiting to be woken */
                        s->busy = 0;
                        active--;
                        done++;
                    }
                    continue;
                }
                if (got < 0 && errno == EINTR)
                    continue;
                finish_worker(col, s, o);
                s->busy = 0;
                active--;
                done++;
            }
        }
    }
    if (prog) {
        tell_progress(prog, slots, width, col, n, done, total, 0); /* the totals, for the end */
        asr_progress_end(prog);
    }
    stop_guard_off(&guard);
    signal(SIGPIPE, old_pipe);
    free(pfd);
    if (park)
        return slots;
    if (!parked)
        free(slots);
    return NULL;
}

static void run_jobs(const job *jobs, const int *todo, size_t n, const asr_runner_opts *o,
                     collector *col, asr_progress *prog)
{
    run_jobs_in(jobs, todo, n, o, col, prog, 0, NULL);
}

struct asr_runner_park {
    const char *db, *as_of; /* what the workers are started for */
    slot *slots;            /* slots[i]: the worker of results[i] */
    size_t n;
};

/* Kills and reaps every worker still waiting in p. */
static void park_drop(asr_runner_park *p)
{
    for (size_t i = 0; p->slots && i < p->n; i++) {
        slot *s = &p->slots[i];
        if (!s->parked)
            continue;
        kill(s->pid, SIGKILL);
        while (waitpid(s->pid, NULL, 0) < 0 && errno == EINTR)
            ;
        close(s->fd);
        if (s->go >= 0)
            close(s->go);
        asr_wire_reader_free(&s->rd);
        s->parked = 0;
    }
}

void asr_runner_park_free(asr_runner_park *p)
{
    if (!p)
        return;
    park_drop(p);
    free(p->slots);
    free(p);
}

static void load_files(char *const *files, size_t n, const asr_map *map, const asr_runner_opts *o,
                       asr_rule_result *results, asr_diag *d, asr_runner_park *park)
{
    job *jobs = asr_xcalloc(n ? n : 1, sizeof *jobs);
    int *todo = asr_xcalloc(n ? n : 1, sizeof *todo);
    for (size_t i = 0; i < n; i++) {
        jobs[i] = park ? (job){MODE_PARK, files[i], map, park->db, park->as_of, o, -1, -1}
                       : (job){MODE_LOAD, files[i], map, NULL, NULL, o, -1, -1};
        todo[i] = 1;
        memset(&results[i], 0, sizeof results[i]);
    }
    collector col = {results, NULL, 0, 0, NULL, NULL, NULL, o};
    if (park) {
        park->slots = run_jobs_in(jobs, todo, n, o, &col, NULL, 1, NULL);
        park->n = n;
    } else {
        run_jobs(jobs, todo, n, o, &col, NULL);
    }
    for (size_t i = 0; i < n; i++) {
        asr_rule_result *r = &results[i];
        if (r->loaded && r->fail == ASR_FAIL_NONE)
            continue;
        r->fail = ASR_FAIL_LOAD;
        /* Messages from Lua start "file:line: "; keep that as the place. */
        const char *msg = r->fail_message ? r->fail_message : "could not be loaded";
        asr_loc loc = {files[i], 0, 0};
        size_t fl = strlen(files[i]);
        if (strncmp(msg, files[i], fl) == 0 && msg[fl] == ':') {
            char *end;
            unsigned long line = strtoul(msg + fl + 1, &end, 10);
            if (end != msg + fl + 1 && *end == ':') {
                loc.line = (unsigned)line;
                msg = end + 1;
            } else {
                msg += fl + 1;
            }
            while (*msg == ' ')
                msg++;
        }
        asr_error(d, &loc, NULL, "%s", msg);
    }
    free(jobs);
    free(todo);
}

void asr_runner_load(char *const *files, size_t n, const asr_map *map, const asr_runner_opts *o,
                     asr_rule_result *results, asr_diag *d)
{
    load_files(files, n, map, o, results, d, NULL);
}

/* Each worker sends its rule's findings already sorted by subject and
 * message (asr_ctx_send_findings), and one pipe keeps them in order; the
 * parent only puts the rules' blocks in rule-id order: a stable counting
 * sort by rule, O(n). */
size_t *asr_rule_results_by_id(const asr_rule_result *r, size_t n)
{
    size_t *order = asr_xcalloc(n ? n : 1, sizeof *order);
    for (size_t i = 0; i < n; i++) {
        const char *id = r[i].rule.id ? r[i].rule.id : "";
        size_t k = i;
        for (; k > 0 && strcmp(r[order[k - 1]].rule.id ? r[order[k - 1]].rule.id : "", id) > 0; k--)
            order[k] = order[k - 1];
        order[k] = i;
    }
    return order;
}

static void order_by_rule(asr_finding *f, size_t n, const asr_rule_result *res, size_t nrules)
{
    if (n < 2)
        return;
    size_t *order = asr_rule_results_by_id(res, nrules);
    size_t *rank = asr_xcalloc(nrules + 1, sizeof *rank);
    size_t *start = asr_xcalloc(nrules + 1, sizeof *start);
    for (size_t k = 0; k < nrules; k++)
        rank[order[k]] = k;
    for (size_t i = 0; i < n; i++)
        start[rank[f[i].rule] + 1]++;
    for (size_t r = 1; r <= nrules; r++)
        start[r] += start[r - 1];
    asr_finding *out = asr_xmalloc(n * sizeof *out);
    for (size_t i = 0; i < n; i++)
        out[start[rank[f[i].rule]]++] = f[i];
    memcpy(f, out, n * sizeof *f);
    free(out);
    free(start);
    free(rank);
    free(order);
}

static void free_finding(asr_finding *f)
{
    free(f->evidence); /* the block holding every string of the finding */
}

static void keep_finished(asr_rule_result *results, size_t n, collector *c, asr_finding **findings,
                          size_t *n_findings);

void asr_runner_check(asr_rule_result *results, const int *run, size_t n, const asr_map *map,
                      const char *db_path, const char *as_of, const asr_runner_opts *o,
                      asr_spool *spool, asr_finding **findings, size_t *n_findings)
{
    job *jobs = asr_xcalloc(n ? n : 1, sizeof *jobs);
    for (size_t i = 0; i < n; i++)
        jobs[i] = (job){MODE_CHECK, results[i].rule.file, map, db_path, as_of, o, -1, -1};
    collector col = {results, NULL, 0, 0, spool, o->on_finding, o->on_finding_ud, o};
    run_jobs(jobs, run, n, o, &col, o->progress);
    free(jobs);
    keep_finished(results, n, &col, findings, n_findings);
}

void asr_runner_check_parked(asr_runner_park *park, asr_rule_result *results, const int *run,
                             size_t n, const asr_runner_opts *o, asr_spool *spool,
                             asr_finding **findings, size_t *n_findings)
{
    collector col = {results, NULL, 0, 0, spool, o->on_finding, o->on_finding_ud, o};
    if (park->n != n) { /* not the set it was started for: nothing runs */
        for (size_t i = 0; i < n; i++)
            if (run[i] && results[i].fail == ASR_FAIL_NONE) {
                results[i].fail = ASR_FAIL_CRASH;
                results[i].fail_message = asr_xstrdup("no worker for this rule");
            }
    } else {
        run_jobs_in(NULL, run, n, o, &col, o->progress, 0, park->slots);
    }
    park_drop(park); /* those not run */
    keep_finished(results, n, &col, findings, n_findings);
}

static void keep_finished(asr_rule_result *results, size_t n, collector *c, asr_finding **findings,
                          size_t *n_findings)
{
    collector col = *c;

    /* Keep only the findings of rules that finished. */
    for (size_t i = 0; i < n; i++) {
        if (results[i].fail == ASR_FAIL_NONE)
            continue;
        results[i].n_findings = 0;
        results[i].n_waived = 0;
        memset(results[i].by_severity, 0, sizeof results[i].by_severity);
        free(results[i].blocks);
        results[i].blocks = NULL;
        results[i].n_blocks = 0;
        free(results[i].waived_blocks);
        results[i].waived_blocks = NULL;
        results[i].n_waived_blocks = 0;
    }
    size_t kept = 0;
    for (size_t i = 0; i < col.n_findings; i++) {
        asr_finding *f = &col.findings[i];
        if (results[f->rule].fail != ASR_FAIL_NONE) {
            free_finding(f);
            continue;
        }
        col.findings[kept++] = *f;
    }
    order_by_rule(col.findings, kept, results, n);
    *findings = col.findings;
    *n_findings = kept;
}

void asr_findings_free(asr_finding *f, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free_finding(&f[i]);
    free(f);
}

void asr_rule_results_free(asr_rule_result *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        asr_rule_clear(&r[i].rule);
        free(r[i].fail_message);
        for (size_t k = 0; k < r[i].n_logs; k++)
            free(r[i].logs[k]);
        free(r[i].logs);
        free(r[i].executable);
        free(r[i].executed);
        free(r[i].blocks);
        free(r[i].waived_blocks);
        for (size_t k = 0; k < r[i].n_reads; k++)
            free(r[i].reads[k]);
        free(r[i].reads);
    }
    free(r);
}

/* Loads the metadata of every rule file in dir and checks the set: ids
 * unique, what rules cover and the map's parameter overrides valid. Returns
 * ASR_OK with the results, or ASR_E_CONFIG / ASR_E_NOINPUT with problems. */
const char *asr_rules_path_label(const char *dirs, char *buf, size_t size)
{
    size_t n = 0;
    for (const char *p = dirs; *p && n + 3 < size; p++) {
        if (*p == ASR_RULES_SEP[0]) {
            buf[n++] = ',';
            buf[n++] = ' ';
        } else {
            buf[n++] = *p;
        }
    }
    buf[n] = '\0';
    return buf;
}

static asr_status load_dir(const char *dirs, const asr_map *m, const asr_runner_opts *o,
                           asr_diag *d, asr_rule_result **out, size_t *count, asr_runner_park *park)
{
    *out = NULL;
    *count = 0;
    /* every directory's files, in order; from[i] is the directory of files[i] */
    char **files = NULL;
    size_t n = 0, cap = 0, n_dirs = 0;
    size_t *from = NULL;
    char err[512];
    for (const char *p = dirs; *p;) {
        size_t len = strcspn(p, ASR_RULES_SEP);
        char *dir = asr_xstrndup(p, len);
        char **f;
        size_t nf;
        if (asr_rule_files(dir, &f, &nf, err, sizeof err)) {
            asr_error(d, NULL, NULL, "%s", err);
            free(dir);
            asr_rule_files_free(files, n);
            free(from);
            return ASR_E_NOINPUT;
        }
        if (nf == 0) {
            asr_loc l = {dir, 0, 0};
            asr_error(d, &l, NULL, "no rule files (*.lua) in this directory");
            free(dir);
            asr_rule_files_free(f, nf);
            asr_rule_files_free(files, n);
            free(from);
            return ASR_E_NOINPUT;
        }
        free(dir);
        if (n + nf > cap) {
            cap = (n + nf) * 2;
            files = asr_xrealloc(files, cap * sizeof *files);
            from = asr_xrealloc(from, cap * sizeof *from);
        }
        for (size_t i = 0; i < nf; i++) {
            files[n] = f[i];
            from[n++] = n_dirs;
        }
        free(f); /* the names now belong to files */
        n_dirs++;
        p += len;
        if (*p)
            p++;
    }
    asr_rule_result *res = asr_xcalloc(n ? n : 1, sizeof *res);
    size_t errors = d->errors;
    load_files(files, n, m, o, res, d, park);
    /* Ids are unique within a directory; a later directory's rule replaces
     * an earlier one's of the same id (local rules over the library's). */
    unsigned char *gone = asr_xcalloc(n + 1, 1);
    for (size_t i = 0; i < n; i++) {
        if (!res[i].loaded)
            continue;
        for (size_t k = 0; k < i; k++) {
            if (gone[k] || !res[k].loaded || strcmp(res[k].rule.id, res[i].rule.id) != 0)
                continue;
            asr_loc l = {files[i], res[i].rule.id_line, 0};
            if (from[k] == from[i]) {
                asr_error(d, &l, NULL, "duplicate rule id '%s' (also in %s)", res[i].rule.id,
                          files[k]);
            } else {
                asr_warn(d, &l, NULL, "rule '%s' here replaces the one in %s", res[i].rule.id,
                         files[k]);
                gone[k] = 1;
            }
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (park && park->slots) {
            /* the workers follow their rules */
            slot keep = park->slots[i];
            if (gone[i] && keep.parked) {
                asr_runner_park one = {NULL, NULL, &keep, 1};
                park_drop(&one);
            }
            if (!gone[i]) {
                keep.index = kept;
                park->slots[kept] = keep;
            }
        }
        if (gone[i]) {
            asr_rule_result one = res[i];
            asr_rule_result *copy = asr_xmalloc(sizeof *copy);
            *copy = one;
            asr_rule_results_free(copy, 1);
            continue;
        }
        res[kept++] = res[i];
    }
    for (size_t i = 0; m && i < kept; i++)
        if (res[i].loaded)
            asr_rule_check_against_map(&res[i].rule, m, d);
    /* Overrides in the map for rules that do not exist. */
    for (size_t p = 0; m && p < m->n_params; p++) {
        int known = 0;
        for (size_t i = 0; i < kept; i++)
            known |= res[i].loaded && strcmp(res[i].rule.id, m->params[p].rule) == 0;
        if (!known) {
            char path[160];
            snprintf(path, sizeof path, "params.%s", m->params[p].rule);
            char label[400];
            asr_warn(d, &m->params[p].loc, path,
                     "no rule with id '%s' in %s; this override has no effect", m->params[p].rule,
                     asr_rules_path_label(dirs, label, sizeof label));
        }
    }
    free(gone);
    free(from);
    asr_rule_files_free(files, n);
    *out = res;
    *count = kept;
    if (park)
        park->n = kept;
    return d->errors > errors ? ASR_E_CONFIG : ASR_OK;
}

asr_status asr_runner_load_dir(const char *dirs, const asr_map *m, const asr_runner_opts *o,
                               asr_diag *d, asr_rule_result **out, size_t *count)
{
    return load_dir(dirs, m, o, d, out, count, NULL);
}

asr_status asr_runner_park_dir(const char *dirs, const asr_map *m, const char *db_path,
                               const char *as_of, const asr_runner_opts *o, asr_diag *d,
                               asr_rule_result **out, size_t *count, asr_runner_park **park)
{
    asr_runner_park *p = asr_xcalloc(1, sizeof *p);
    p->db = db_path;
    p->as_of = as_of;
    asr_status st = load_dir(dirs, m, o, d, out, count, p);
    if (st != ASR_OK) {
        asr_runner_park_free(p);
        p = NULL;
    }
    *park = p;
    return st;
}
