/* confine: what a forked rule worker does to itself before it runs a rule,
 * so that the code running in it -- the rule, and Lua and SQLite beneath
 * it, should either be subverted -- reaches nothing the worker does not
 * need (docs/security.md):
 *   - resource limits (CPU time, address space, file size, open files), so
 *     a worker the parent fails to stop is stopped by the kernel;
 *   - no_new_privs: nothing it executes gains privileges;
 *   - a seccomp filter (libseccomp) allowing only the system calls a worker
 *     makes once its database is open: reading and writing descriptors it
 *     already holds, memory, time, signals, exit, and opening files for
 *     reading only. Any other call -- execve, socket, connect, clone and
 *     fork, ptrace, kill, opening for writing, ... -- is not made: the
 *     process gets SIGSYS (SCMP_ACT_TRAP, so a handler can say which call
 *     it was before the worker dies of it).
 * The dying with the parent (PR_SET_PDEATHSIG) is asr_fork_piped's (util).
 * Knows nothing of rules or SQLite. Uses libseccomp, libc. */
#ifndef ASSURE_CONFINE_H
#define ASSURE_CONFINE_H

#include <stddef.h>

typedef struct {
    unsigned long cpu_seconds; /* RLIMIT_CPU soft limit (SIGXCPU); the hard one is 1 s more */
    size_t address_space;      /* RLIMIT_AS in bytes; 0 leaves it (sanitizer builds) */
    size_t file_size;          /* RLIMIT_FSIZE in bytes */
    unsigned long open_files;  /* RLIMIT_NOFILE: one more than the highest descriptor allowed */
} asr_confine_limits;

/* The limits for a worker whose rule has seconds of time and memory bytes
 * of memory budget, the parent killing it grace seconds after the time
 * budget, and may keep up to held bytes of findings in its own temporary
 * file (heldsort; 0: it has none) (docs/security.md gives the figures and
 * why). */
void asr_confine_limits_for(double seconds, double grace, size_t memory, size_t held,
                            asr_confine_limits *l);

/* Sets the limits and no_new_privs. 0, or -1 with the reason in err. */
int asr_confine_limits_set(const asr_confine_limits *l, char *err, size_t errsize);

/* Installs the filter (and no_new_privs, which it needs). From then on the
 * process cannot open a file for writing or make any system call outside
 * the list in confine.c. Install a SIGSYS handler (SA_SIGINFO; si_syscall
 * says which call) first to hear of a refused call. 0, or -1 with the
 * reason in err: the caller must then not run the rule. Under valgrind
 * (the test suite's memory checks) there is no filter, only no_new_privs. */
int asr_confine_seal(char *err, size_t errsize);

/* The name of system call nr on this machine ("execve"), or its number as
 * text when it has none. Writes into buf. */
const char *asr_confine_syscall_name(int nr, char *buf, size_t size);

/* The libseccomp version ("2.5.4"), for --version. Writes into buf. */
const char *asr_confine_seccomp_version(char *buf, size_t size);

#endif
