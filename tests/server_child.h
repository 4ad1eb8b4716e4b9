/* server_child.h - a test server (python3 script or nats-server) as a child of a test: its
 * output into a log file, killed with the test, stopped politely then firmly. */
#ifndef PL_TESTS_SERVER_CHILD_H
#define PL_TESTS_SERVER_CHILD_H

#include <sys/types.h>

/* The python3 to run the test servers with: $PL_PYTHON when set and not empty, else
 * /usr/bin/python3 (Debian's, which has python3-websockets), else "python3" from $PATH. */
const char *server_child_python(void);

/*
 * Forks and execs `argv` (argv[0] is looked up on $PATH when it has no '/') with standard
 * input from /dev/null and standard output and error into `log` (created or truncated).
 * On Linux the child gets SIGKILL when the test dies, so no server outlives a crashed test.
 * Returns the child's pid; fails the test (cmocka) when the log or the fork fails.  A failed
 * exec makes the child write why into the log and exit 127.
 */
pid_t server_child_spawn(const char *log, char *const argv[]);

/*
 * Waits up to `seconds` for the child `*pid` to write a port (a number, then a newline) at
 * the start of `log`, as the test servers in tests/servers/ do, and returns it.  When the
 * child exits first or the time runs out, kills and reaps it, sets `*pid` to 0, puts what it
 * printed (malloc'd, or NULL) into `*printed` for the caller's failure message, and returns
 * 0 with *exited telling which.
 */
int server_child_wait_port(pid_t *pid, const char *log, double seconds, char **printed,
			   int *exited);

/* Sends SIGTERM to `*pid`, waits up to `grace_s` seconds for it to exit, then SIGKILLs it;
 * reaps it and sets `*pid` to 0.  Nothing when `*pid` is 0.  Never fails the test (it runs
 * in teardowns). */
void server_child_stop(pid_t *pid, double grace_s);

/* SIGKILLs `*pid` at once, as a crash would, reaps it and sets `*pid` to 0.  Nothing when
 * `*pid` is 0. */
void server_child_kill(pid_t *pid);

#endif /* PL_TESTS_SERVER_CHILD_H */
