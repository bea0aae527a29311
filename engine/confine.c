#include "confine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

/* Under valgrind (which runs the test suite once) the filter cannot work:
 * valgrind makes the program's system calls itself, and its own, and has no
 * seccomp(). Its client request is a no-op instruction sequence anywhere
 * else, so nothing outside valgrind can make a worker skip the filter. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define ASR_UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef ASR_UNDER_VALGRIND
#define ASR_UNDER_VALGRIND() 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define ASR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASR_ASAN 1
#endif
#endif

/* What a worker may map beyond what it holds when it starts: its Lua heap
 * and SQLite's heap are each capped at the memory budget, so twice that,
 * and 256 MiB for the rest -- the stack, the libraries' data, SQLite's
 * page cache past its soft limit, the malloc arenas' slack. Measured:
 * docs/security.md. */
#define HEADROOM ((size_t)256 << 20)

#ifndef ASR_ASAN
/* Pages the process maps now (its address space as it starts: the parent's
 * heap, the libraries), or 0 when it cannot be read. */
static size_t mapped_now(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    unsigned long pages = 0;
    if (fscanf(f, "%lu", &pages) != 1)
        pages = 0;
    fclose(f);
    long page = sysconf(_SC_PAGESIZE);
    return (size_t)pages * (size_t)(page > 0 ? page : 4096);
}
#endif

/* The highest descriptor open now. A worker keeps those it inherits:
 * SQLite's table of open files, copied from the parent by fork, refers to
 * them. */
static int highest_fd(void)
{
    int high = 2;
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 64;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        high = fd > high ? fd : high;
    }
    closedir(d);
    return high;
}

void asr_confine_limits_for(double seconds, double grace, size_t memory, size_t held,
                            asr_confine_limits *l)
{
    memset(l, 0, sizeof *l);
    /* The parent kills at seconds + grace of wall-clock time; CPU time can
     * not run ahead of it in a process of one thread, so this fires only
     * when the parent has failed to. */
    l->cpu_seconds = (unsigned long)ceil(seconds + grace) + 1;
#ifndef ASR_ASAN
    l->address_space = mapped_now() + 2 * memory + HEADROOM;
#else
    /* AddressSanitizer reserves terabytes of shadow memory: no limit there. */
    (void)memory;
#endif
    /* what the worker's file of held findings may reach: no more than the
     * output budget lets the rule flag */
    l->file_size = (size_t)64 << 20;
    if (held > l->file_size - ((size_t)1 << 20))
        l->file_size = held + ((size_t)1 << 20);
    /* what it holds, and room for the database, its -wal and -shm, the
     * history's connection and the rule file */
    l->open_files = (unsigned long)highest_fd() + 1 + 16;
}

static int set_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit now;
    if (getrlimit(resource, &now) != 0)
        return -1;
    /* never above what is already allowed */
    if (now.rlim_max != RLIM_INFINITY && hard > now.rlim_max)
        hard = now.rlim_max;
    if (soft > hard)
        soft = hard;
    struct rlimit want = {soft, hard};
    if (setrlimit(resource, &want) == 0)
        return 0;
    /* valgrind keeps the hard limit of descriptors its own: the soft one is
     * still lowered (and the filter refuses setrlimit afterwards) */
    want.rlim_max = now.rlim_max;
    return setrlimit(resource, &want);
}

int asr_confine_limits_set(const asr_confine_limits *l, char *err, size_t errsize)
{
    const char *what = NULL;
    if (l->cpu_seconds && set_limit(RLIMIT_CPU, l->cpu_seconds, l->cpu_seconds + 1))
        what = "CPU time";
    else if (l->address_space && set_limit(RLIMIT_AS, l->address_space, l->address_space))
        what = "address space";
    else if (set_limit(RLIMIT_FSIZE, l->file_size, l->file_size))
        what = "file size";
    else if (set_limit(RLIMIT_NOFILE, l->open_files, l->open_files))
        what = "open files";
    else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        what = "no_new_privs";
    if (what) {
        snprintf(err, errsize, "cannot limit the worker (%s): %s", what, strerror(errno));
        return -1;
    }
    return 0;
}

/* Every system call a worker makes once its database is open and read
 * (found by running the test suite under the filter and with strace -f;
 * docs/security.md). */
static const char *const allowed[] = {
    /* descriptors it holds: the pipe, the database, its -wal and -shm */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close", "fstat",
    "newfstatat", "statx", "fcntl",
    /* memory */
    "mmap", "munmap", "mremap", "mprotect", "brk", "madvise",
    /* SQLite's locks and busy waits, time */
    "futex", "clock_gettime", "gettimeofday", "nanosleep", "clock_nanosleep",
    /* signals (the handler that reports a refused call), ids, randomness */
    "rt_sigprocmask", "rt_sigaction", "rt_sigreturn", "getpid", "gettid", "getrandom",
    /* glibc's qsort asks how much memory the machine has */
    "sysinfo",
    /* the end */
    "exit", "exit_group"};

#ifdef ASR_ASAN
/* What the sanitizers' runtime calls beside the program when it reports
 * (sanitizer builds only, never in a release build): its alternate signal
 * stack, isatty, and reading /proc/self/maps and /proc/self/exe (its
 * open() is the old call, allowed for reading only below). */
static const char *const sanitizer_allowed[] = {"sigaltstack", "ioctl", "readlink"};
#endif

int asr_confine_seal(char *err, size_t errsize)
{
    const char *what = NULL;
    int rc = 0;
    if (ASR_UNDER_VALGRIND())
        return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : -1;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
    if (!ctx) {
        snprintf(err, errsize, "cannot build the system-call filter");
        return -1;
    }
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0] && !rc; i++) {
        int nr = seccomp_syscall_resolve_name(allowed[i]);
        if (nr == __NR_SCMP_ERROR)
            continue; /* not a call on this architecture */
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0)) != 0)
            what = allowed[i];
    }
#ifdef ASR_ASAN
    for (size_t i = 0; i < sizeof sanitizer_allowed / sizeof sanitizer_allowed[0] && !rc; i++)
        if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
                                   seccomp_syscall_resolve_name(sanitizer_allowed[i]), 0)) != 0)
            what = sanitizer_allowed[i];
#endif
    /* openat for reading only: O_WRONLY, O_RDWR, O_CREAT, O_TRUNC and
     * O_APPEND all clear */
    const scmp_datum_t writing = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND;
    if (!rc && (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                                      SCMP_A2(SCMP_CMP_MASKED_EQ, writing, 0))) != 0)
        what = "openat";
#ifdef ASR_ASAN
    if (!rc && (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
                                      SCMP_A1(SCMP_CMP_MASKED_EQ, writing, 0))) != 0)
        what = "open";
#endif
    /* signals to itself only (raise, abort): tgkill and kill naming its own
     * process, never another's */
    const scmp_datum_t self = (scmp_datum_t)getpid();
    if (!rc && (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                                      SCMP_A0(SCMP_CMP_EQ, self, 0))) != 0)
        what = "tgkill";
    if (!rc && (rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                                      SCMP_A0(SCMP_CMP_EQ, self, 0))) != 0)
        what = "kill";
    if (!rc && (rc = seccomp_load(ctx)) != 0)
        what = "loading it";
    seccomp_release(ctx);
    if (rc) {
        snprintf(err, errsize, "cannot install the system-call filter (%s): %s", what ? what : "?",
                 strerror(-rc));
        return -1;
    }
    return 0;
}

const char *asr_confine_syscall_name(int nr, char *buf, size_t size)
{
    char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (name)
        snprintf(buf, size, "%s", name);
    else
        snprintf(buf, size, "number %d", nr);
    free(name);
    return buf;
}

const char *asr_confine_seccomp_version(char *buf, size_t size)
{
    const struct scmp_version *v = seccomp_version();
    snprintf(buf, size, "%u.%u.%u", v->major, v->minor, v->micro);
    return buf;
}
