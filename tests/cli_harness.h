/* cli_harness.h - running the `pipeline` binary from a test and capturing what it printed. */
#ifndef PL_TESTS_CLI_HARNESS_H
#define PL_TESTS_CLI_HARNESS_H

#include <stddef.h>

/* What one run of the binary produced. */
struct result {
	int code; /* exit code; 128+N when killed by signal N */
	char out[65536];
	char err[65536];
};

/* What every child run gets in its environment: `pipeline run` prints where
 * its workers wait once nothing has moved for 15 s (--watchdog), so that a
 * hung run, killed by the harness, shows its dump with the failure. */
#define CHILD_WATCHDOG_ENV "PIPELINE_WATCHDOG=15"

/* Where a run's stdout goes. */
enum {
	STDOUT_FILE = 0, /* a file, read into result.out */
	STDOUT_CLOSED,   /* a pipe whose reading end is closed: writes fail with EPIPE */
	STDOUT_FULL,     /* /dev/full: writes fail with ENOSPC */
};

/*
 * Runs PL_BINARY with `args` (NULL-terminated) in the source directory, with
 * `input` on stdin (NULL: /dev/null) and stdout as `stdout_kind` says.  A run
 * that takes over 60 s is killed and fails the test.
 */
void run(struct result *r, const char *input, int stdout_kind, const char *const *args);

#define RUN(r, ...) run((r), NULL, 0, (const char *const[]){ __VA_ARGS__, NULL })

/* Like RUN, with extra environment variables "NAME=VALUE" (NULL-terminated). */
void run_env(struct result *r, const char *const *env, const char *const *args);

/* Fills `argv` (`cap` slots) with PL_BINARY followed by `args` (NULL-ended;
 * at most cap - 2 of them), and a NULL. */
void binary_argv(const char **argv, size_t cap, const char *const *args);

/* A scratch directory for a test program: scratch_setup() makes a fresh
 * /tmp/pl-NAME-XXXXXX in `dir` (64 bytes); scratch_teardown() removes it
 * and what it holds.  Each returns 0, or -1 (for cmocka's group setup). */
int scratch_setup(char *dir, const char *name);
int scratch_teardown(const char *dir);

#endif /* PL_TESTS_CLI_HARNESS_H */
