/* server_child.c - a test server as a child of a test (see server_child.h). */
#define _GNU_SOURCE /* prctl */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "out.h"
#include "run_child.h"
#include "server_child.h"

const char *server_child_python(void)
{
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): the tests run on one thread */
	const char *env = getenv("PL_PYTHON");
	if (env != NULL && env[0] != '\0')
		return env;
	if (access("/usr/bin/python3", X_OK) == 0)
		return "/usr/bin/python3";
	return "python3";
}

pid_t server_child_spawn(const char *log, char *const argv[])
{
	char ebuf[64];
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail_msg("%s: cannot create its log %s: %s", argv[0], log,
			 pl_out_strerror(errno, ebuf, sizeof(ebuf)));
	(void)fflush(NULL); /* nothing buffered is written twice */
#ifdef __linux__
	pid_t parent = getpid();
#endif
	pid_t pid = fork();
	if (pid < 0)
		fail_msg("%s: fork: %s", argv[0], pl_out_strerror(errno, ebuf, sizeof(ebuf)));
	if (pid == 0) {
#ifdef __linux__
		/* A test that dies leaves no server behind (one that died before the
		 * prctl() made this child init's already). */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
#endif
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0],
			pl_out_strerror(errno, ebuf, sizeof(ebuf)));
		_exit(127);
	}
	close(fd);
	return pid;
}

int server_child_wait_port(pid_t *pid, const char *log, double seconds, char **printed, int *exited)
{
	*printed = NULL;
	*exited = 0;
	for (double start = now_s();;) {
		char *text = read_whole_file(log, NULL);
		int port = text != NULL && strchr(text, '\n') != NULL ? atoi(text) : 0;
		if (port > 0 && port <= 65535) {
			free(text);
			return port;
		}
		int status;
		*exited = waitpid(*pid, &status, WNOHANG) == *pid;
		if (*exited || now_s() - start > seconds) {
			if (*exited)
				*pid = 0;
			server_child_kill(pid);
			*printed = text;
			return 0;
		}
		free(text);
		sleep_s(0.01);
	}
}

void server_child_kill(pid_t *pid)
{
	if (*pid <= 0)
		return;
	int status;
	kill(*pid, SIGKILL);
	waitpid(*pid, &status, 0);
	*pid = 0;
}

void server_child_stop(pid_t *pid, double grace_s)
{
	if (*pid <= 0)
		return;
	int status;
	kill(*pid, SIGTERM);
	for (double start = now_s();;) {
		pid_t got = waitpid(*pid, &status, WNOHANG);
		if (got == *pid || (got < 0 && errno != EINTR))
			break; /* exited, or not ours to wait for */
		if (now_s() - start > grace_s) {
			server_child_kill(pid);
			return;
		}
		sleep_s(0.005);
	}
	*pid = 0;
}
