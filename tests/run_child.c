/* run_child.c - running the `pipeline` binary as a child process that the test signals. */
#define _GNU_SOURCE /* pipe2, mkostemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "out.h"
#include "run_child.h"

/* ---------------------------------------------------------------- small helpers */

double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void sleep_s(double s)
{
	if (s <= 0)
		return;
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

char *read_whole_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		if (n + 1 >= cap) {
			cap *= 2;
			char *bigger = realloc(buf, cap);
			assert_non_null(bigger);
			buf = bigger;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	(void)fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/* ---------------------------------------------------------------- the failure context */

static char g_ctx[512];        /* what the current check is about */
static const char *g_err = ""; /* the stderr of the last run */

void failure_context_set(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g_ctx, sizeof(g_ctx), fmt, ap);
	va_end(ap);
}

const char *failure_context(void)
{
	return g_ctx;
}

const char *failure_stderr(void)
{
	return g_err;
}

void failure_stderr_set(const char *text)
{
	g_err = text != NULL ? text : "";
}

/* ---------------------------------------------------------------- the child */

void child_start(struct child *c, const char *cwd, int in_fd, int err_fd, const char *const *args)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->out_path, sizeof(c->out_path), "/tmp/pl-sig-out-XXXXXX");
	snprintf(c->err_path, sizeof(c->err_path), "/tmp/pl-sig-err-XXXXXX");
	int fo = mkostemp(c->out_path, O_CLOEXEC), fe = mkostemp(c->err_path, O_CLOEXEC);
	assert_true(fo >= 0 && fe >= 0);
	const char *argv[32];
	binary_argv(argv, 32, args);
	/* exec_pipe: closed by a successful exec (CLOEXEC), or gets errno from a failed one. */
	int exec_pipe[2];
	assert_int_equal(pipe2(exec_pipe, O_CLOEXEC), 0);
	(void)fflush(NULL); /* nothing buffered is written twice */
	c->started = now_s();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)signal(SIGINT, SIG_DFL);
		(void)signal(SIGTERM, SIG_DFL);
		sigset_t none;
		sigemptyset(&none);
		pthread_sigmask(SIG_SETMASK, &none, NULL);
		if (chdir(cwd) != 0)
			_exit(126);
		int in = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
		dup2(in, 0);
		dup2(fo, 1);
		dup2(err_fd >= 0 ? err_fd : fe, 2);
		/* NOLINTNEXTLINE(concurrency-mt-unsafe): the child, before exec */
		putenv((char *)CHILD_WATCHDOG_ENV);
		execv(PL_BINARY, (char *const *)argv);
		int e = errno;
		ssize_t w = write(exec_pipe[1], &e, sizeof(e));
		(void)w;
		_exit(127);
	}
	c->pid = pid;
	close(exec_pipe[1]);
	int e = 0;
	ssize_t r;
	while ((r = read(exec_pipe[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(exec_pipe[0]);
	close(fo);
	close(fe);
	char ebuf[64];
	if (r > 0)
		fail_msg("cannot run %s: %s", PL_BINARY, pl_out_strerror(e, ebuf, sizeof(ebuf)));
}

/* The mask of caught signals in /proc/PID/status, or -1 when it cannot be read. */
static long long caught_mask(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	long long mask = -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "SigCgt:", 7) == 0)
			mask = strtoll(line + 7, NULL, 16);
	(void)fclose(f);
	return mask;
}

/* Whether a thread of `pid` has SIGINT unblocked and is asleep (waiting in a system
 * call); -1 when /proc/PID/task cannot be read. */
static int signal_thread_waiting(pid_t pid)
{
	char path[96], line[256];
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (d == NULL)
		return -1;
	int found = 0;
	struct dirent *de;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.32s/status", (int)pid, de->d_name);
		FILE *f = fopen(path, "r");
		if (f == NULL)
			continue;
		int sleeping = 0;
		long long blocked = -1;
		while (fgets(line, sizeof(line), f) != NULL) {
			if (strncmp(line, "State:", 6) == 0)
				sleeping = strchr(line + 6, 'S') != NULL;
			else if (strncmp(line, "SigBlk:", 7) == 0)
				blocked = strtoll(line + 7, NULL, 16);
		}
		(void)fclose(f);
		found = sleeping && blocked >= 0 && !(blocked & (1LL << (SIGINT - 1)));
	}
	closedir(d);
	return found;
}

/*
 * Waits until the child catches SIGINT and SIGTERM (its monitor is in place, the
 * pipeline about to start), so that a signal sent now is the runner's to handle.
 * Without /proc, waits a fixed time.
 *
 * Then, for at most 0.5 s more, until the thread that takes the signals (the one with
 * them unblocked) is asleep, i.e. in its poll().  ThreadSanitizer (libtsan of GCC 12)
 * loses a signal that lands while a thread makes its first blocking call (it sets up
 * the thread's signal state then): about 1 in 500 SIGINTs sent the instant the
 * handlers appeared vanished, the run going on; a second one then acted as the
 * first.  A plain program built the same way shows it too, so it is not the runner's.
 */
void child_wait_ready(struct child *c)
{
	long long want = (1LL << (SIGINT - 1)) | (1LL << (SIGTERM - 1));
	if (access("/proc/self/status", R_OK) != 0) {
		sleep_s(1.0); /* no /proc here */
		return;
	}
	double start = now_s();
	for (;;) {
		long long m = caught_mask(c->pid);
		if (m >= 0 && (m & want) == want)
			break;
		int status;
		if (waitpid(c->pid, &status, WNOHANG) == c->pid) {
			c->pid = -1;
			fail_msg("the run ended before it caught SIGINT/SIGTERM [%s]", g_ctx);
		}
		if (now_s() - start > WATCHDOG_S) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			fail_msg("the run did not catch SIGINT/SIGTERM within %.0f s [%s]",
				 WATCHDOG_S, g_ctx);
		}
		sleep_s(0.001);
	}
	for (double t = now_s(); now_s() - t < 0.5 && signal_thread_waiting(c->pid) == 0;)
		sleep_s(0.0005);
}

void child_signal(struct child *c, int sig)
{
	assert_int_equal(kill(c->pid, sig), 0);
}

int child_reap(struct child *c)
{
	int status;
	pid_t got = waitpid(c->pid, &status, WNOHANG);
	if (got != c->pid)
		return 0;
	c->ended = now_s();
	c->exited = WIFEXITED(status);
	c->code = c->exited ? WEXITSTATUS(status) : WTERMSIG(status);
	c->out = read_whole_file(c->out_path, NULL);
	c->err = read_whole_file(c->err_path, NULL);
	assert_true(c->out != NULL && c->err != NULL);
	(void)remove(c->out_path);
	(void)remove(c->err_path);
	g_err = c->err;
	return 1;
}

void child_wait(struct child *c, void (*on_poll)(void *), void *arg)
{
	double start = now_s();
	while (!child_reap(c)) {
		if (now_s() - start > WATCHDOG_S) {
			kill(c->pid, SIGKILL);
			int status;
			waitpid(c->pid, &status, 0);
			char *err = read_whole_file(c->err_path, NULL);
			(void)remove(c->out_path);
			(void)remove(c->err_path);
			fail_msg("the run hung: killed after %.0f s [%s]\n--- stderr so far:\n%s",
				 WATCHDOG_S, g_ctx, err ? err : "");
		}
		if (on_poll != NULL)
			on_poll(arg);
		sleep_s(0.002);
	}
}

void child_free(struct child *c)
{
	free(c->out);
	free(c->err);
	c->out = c->err = NULL;
	g_err = "";
}
