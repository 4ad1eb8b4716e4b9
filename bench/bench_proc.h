/* bench_proc.h - one measurement in a child process: its wall time, its output, its peak RSS. */
#ifndef PL_BENCH_PROC_H
#define PL_BENCH_PROC_H

#include <stddef.h>

/* What a child did.  The captured output is NUL-terminated and cut at
 * BENCH_PROC_MAX_OUT bytes per stream (the rest is read and dropped). */
typedef struct bench_proc {
	int status;      /* exit code; 128 + signal when killed; 127: could not run */
	double wall;     /* seconds from just before fork() to the child reaped */
	long maxrss_kib; /* ru_maxrss from wait4(): the child's peak resident set */
	char *out;       /* its standard output (owned; bench_proc_clear() frees) */
	char *err;       /* its standard error (owned) */
} bench_proc;

#define BENCH_PROC_MAX_OUT ((size_t)4 << 20)

/* The child's work in bench_proc_fork(): writes its report to standard
 * output and returns the exit code. */
typedef int (*bench_child_fn)(void *ctx);

/*
 * Runs argv[0] (a path, or a name looked up in PATH) with `argv` and, when
 * `env` is not NULL, the NAME=VALUE strings of `env` (NULL-terminated) set
 * on top of this process's environment, and fills `p`.  Standard input is
 * /dev/null.  Returns 0 when the child could be started and was reaped
 * (whatever its exit code), -1 otherwise (p->status 127).
 */
int bench_proc_exec(char *const argv[], char *const env[], bench_proc *p);

/* Forks; the child runs fn(ctx) with its standard output and error captured
 * and _exit()s with its result.  Returns as bench_proc_exec() does.
 * Threading: call only while this process has one thread. */
int bench_proc_fork(bench_child_fn fn, void *ctx, bench_proc *p);

/* Frees what `p` holds; its figures stay. */
void bench_proc_clear(bench_proc *p);

/* A one-line summary of why the child failed, for messages: its exit code
 * or signal and the last line of its standard error. */
void bench_proc_why(const bench_proc *p, char *buf, size_t len);

/* Seconds on the monotonic clock. */
double bench_now(void);

#endif /* PL_BENCH_PROC_H */
