/* run_child.h - running the `pipeline` binary as a child process that the test signals. */
#ifndef PL_TESTS_RUN_CHILD_H
#define PL_TESTS_RUN_CHILD_H

#include <stddef.h>
#include <sys/types.h>

/* A run that takes longer than this is killed and fails (slow sanitizer builds included). */
#ifndef WATCHDOG_S
#define WATCHDOG_S 30.0
#endif

/* ---------------------------------------------------------------- small helpers */

/* Seconds on the monotonic clock. */
double now_s(void);

/* Sleeps `s` seconds (nothing when s <= 0), going on after a signal interrupts it. */
void sleep_s(double s);

/* The whole of a file, NUL-terminated, in malloc'd memory that the caller frees (*len, when
 * `len` is not NULL, gets its length without the NUL); NULL when it cannot be opened.  Fails
 * the test when out of memory. */
char *read_whole_file(const char *path, size_t *len);

/* ---------------------------------------------------------------- the failure context */

/*
 * What a failure prints besides its own message: what the current check is about (seed,
 * iteration, config), and the stderr of the last run.  The helpers here and in
 * metrics_file.h print both with their failures, and so should the test's own checks.
 */

/* Sets what the current check is about (printf-like; cut at 511 bytes). */
void failure_context_set(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

/* What the current check is about ("" until set). */
const char *failure_context(void);

/* The stderr of the last run: set by child_reap() to the child's, back to "" by
 * child_free().  Never NULL. */
const char *failure_stderr(void);

/* Makes `text` (NULL: "") the stderr printed with failures, e.g. what a terminal got.  Not
 * copied: it must last until child_free() or the next call. */
void failure_stderr_set(const char *text);

/* ---------------------------------------------------------------- the child */

/* One run of the binary. */
struct child {
	pid_t pid;
	double started, ended; /* now_s() at the fork and when reaped */
	char out_path[64], err_path[64];
	/* after child_wait() */
	int exited; /* ended by exit() (not killed by a signal) */
	int code;   /* exit code, or the signal that killed it */
	char *out;  /* stdout, malloc'd */
	char *err;  /* stderr, malloc'd ("" when it went to a terminal) */
};

/*
 * Starts PL_BINARY with `args` (NULL-terminated; past 30, the rest are dropped) in the directory
 * `cwd`, SIGINT and SIGTERM at their defaults and unblocked (as from an interactive shell).  stdin
 * is `in_fd` (-1: /dev/null); stderr is `err_fd` when >= 0 (a terminal), else a file; stdout is a
 * file.  The caller keeps its descriptors (the child gets copies).  Fails the test when the binary
 * cannot be started.  Follow with child_wait() then child_free().
 */
void child_start(struct child *c, const char *cwd, int in_fd, int err_fd, const char *const *args);

/* child_start() with stdin /dev/null and stderr a file: CHILD_START(&c, dir, "run", ...). */
#define CHILD_START(c, cwd, ...) \
	child_start((c), (cwd), -1, -1, (const char *const[]){ __VA_ARGS__, NULL })

/*
 * Waits until the child catches SIGINT and SIGTERM (its handlers are in place), and then
 * briefly until the thread that takes them is asleep, so that a signal sent now is the
 * runner's to handle.  Without /proc, waits a fixed second.  Fails the test when the child
 * ends first, or (killing it) when it takes over WATCHDOG_S.
 */
void child_wait_ready(struct child *c);

/* Sends `sig` to the child; fails the test when kill() does. */
void child_signal(struct child *c, int sig);

/*
 * Whether the child has ended, without waiting.  When it has, it is reaped: `ended`,
 * `exited`, `code`, `out` and `err` are filled in (failing the test when the output files
 * cannot be read), the files removed, and `err` made the failure_stderr().
 */
int child_reap(struct child *c);

/* Waits for the child's end (then as child_reap()).  A run over WATCHDOG_S is killed and
 * fails the test.  `on_poll`, when given, is called with `arg` every few ms while it runs. */
void child_wait(struct child *c, void (*on_poll)(void *arg), void *arg);

/* Frees what child_wait() read into `c`, and sets the failure_stderr() back to "". */
void child_free(struct child *c);

#endif /* PL_TESTS_RUN_CHILD_H */
