/* cli_harness.c - running the `pipeline` binary from a test and capturing what it printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"

static void read_all(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	(void)fclose(f);
	(void)remove(path);
}

void binary_argv(const char **argv, size_t cap, const char *const *args)
{
	size_t n = 1;
	argv[0] = PL_BINARY;
	while (args[n - 1] != NULL && n < cap - 1) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
}

static void run_with(struct result *r, const char *input, int stdout_kind, const char *const *env,
		     const char *const *args)
{
	char out[] = "/tmp/pl-cli-out-XXXXXX", err[] = "/tmp/pl-cli-err-XXXXXX",
	     in[] = "/tmp/pl-cli-in-XXXXXX";
	int fo = mkstemp(out), fe = mkstemp(err), fi = mkstemp(in);
	assert_true(fo >= 0 && fe >= 0 && fi >= 0);
	if (input != NULL)
		assert_int_equal(write(fi, input, strlen(input)), (ssize_t)strlen(input));
	lseek(fi, 0, SEEK_SET);
	int pipefd[2] = { -1, -1 };
	if (stdout_kind == STDOUT_CLOSED)
		assert_int_equal(pipe(pipefd), 0);
	const char *argv[32];
	binary_argv(argv, 32, args);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(PL_SOURCE_DIR) != 0)
			_exit(126);
		dup2(fi, 0);
		if (stdout_kind == STDOUT_CLOSED) {
			close(pipefd[0]);
			dup2(pipefd[1], 1);
		} else if (stdout_kind == STDOUT_FULL) {
			int full = open("/dev/full", O_WRONLY);
			if (full < 0)
				_exit(126);
			dup2(full, 1);
		} else {
			dup2(fo, 1);
		}
		dup2(fe, 2);
		/* The hang guard: a run that stops moving says where it waits. */
		/* NOLINTNEXTLINE(concurrency-mt-unsafe): the child of a 1-thread test */
		putenv((char *)CHILD_WATCHDOG_ENV);
		for (size_t i = 0; env != NULL && env[i] != NULL; i++)
			/* NOLINTNEXTLINE(concurrency-mt-unsafe): the child of a 1-thread test */
			putenv((char *)env[i]);
		execv(PL_BINARY, (char *const *)argv);
		_exit(127);
	}
	if (stdout_kind == STDOUT_CLOSED) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	int status = 0;
	for (int waited = 0;; waited++) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			break;
		if (waited > 60 * 100) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			read_all(err, r->err, sizeof(r->err));
			fail_msg("'%s %s' hung for 60 s; its stderr (the watchdog says where it "
				 "waits):\n%s",
				 argv[1], argv[2] ? argv[2] : "", r->err);
		}
		nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
	}
	r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	close(fo);
	close(fe);
	close(fi);
	(void)remove(in);
	read_all(out, r->out, sizeof(r->out));
	read_all(err, r->err, sizeof(r->err));
}

void run(struct result *r, const char *input, int stdout_kind, const char *const *args)
{
	run_with(r, input, stdout_kind, NULL, args);
}

void run_env(struct result *r, const char *const *env, const char *const *args)
{
	run_with(r, NULL, 0, env, args);
}

int scratch_setup(char *dir, const char *name)
{
	snprintf(dir, 64, "/tmp/pl-%.40s-XXXXXX", name);
	return mkdtemp(dir) == NULL ? -1 : 0;
}

int scratch_teardown(const char *dir)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1; /* NOLINT(cert-env33-c): fixed command, our dir */
}
