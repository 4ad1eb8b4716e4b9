/* proc_set.h - the `pipeline` processes a test runs side by side, and their end in its teardown. */
#ifndef PL_TESTS_PROC_SET_H
#define PL_TESTS_PROC_SET_H

#include <stddef.h>

#include "run_child.h"

#define PROC_MAX 8

/* One process of the set.  Public, read-only: `c` (as run_child.h fills it once it ended),
 * `running`, `name`. */
struct proc {
	struct child c;
	int running; /* started and not yet reaped */
	char name[32];
};

/* The processes of one test.  Zero it before the first procs_start(). */
struct proc_set {
	struct proc p[PROC_MAX];
	size_t n;
};

/*
 * Starts PL_BINARY with `args` (NULL-terminated) in `cwd`, stdin /dev/null, stdout and
 * stderr into files (run_child.h); `name` says which it is in failure messages.  Its
 * environment is the test's.  Fails the test when it cannot be started or the set is full.
 * Ownership: the process is the set's until procs_end().
 */
struct proc *procs_start(struct proc_set *set, const char *name, const char *cwd,
			 const char *const *args);

#define PROCS_START(set, name, cwd, ...) \
	procs_start((set), (name), (cwd), (const char *const[]){ __VA_ARGS__, NULL })

/* Whether `p` still runs; reaps it when it has ended. */
int proc_running(struct proc *p);

/* Waits at most `timeout_s` for the end of `p`; past it, kills it and fails the test. */
void proc_wait(struct proc_set *set, struct proc *p, double timeout_s);

/* Waits at most `timeout_s` until what `p` wrote to stderr so far holds `needle`; fails the
 * test when `p` ends first or the time passes. */
void proc_wait_log(struct proc_set *set, struct proc *p, const char *needle, double timeout_s);

/* Kills `p` with SIGKILL and reaps it. */
void proc_kill(struct proc *p);

/* Fails the test (printf-like message) with the failure context and, for each process of
 * the set, whether it runs or how it ended, and its stderr.  Does not return. */
void procs_fail(const struct proc_set *set, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3), noreturn))
#endif
	;

/* Kills what still runs, reaps it, frees everything and empties the set: a teardown. */
void procs_end(struct proc_set *set);

#endif /* PL_TESTS_PROC_SET_H */
