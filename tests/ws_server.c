/* ws_server.c - the test WebSocket server (tests/servers/ws_server.py) as a child of a test. */
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
#include "ws_server.h"

/* The interpreter to run the server with (see ws_server.h). */
static const char *python(void)
{
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): the tests run on one thread */
	const char *env = getenv("PL_PYTHON");
	if (env != NULL && env[0] != '\0')
		return env;
	if (access("/usr/bin/python3", X_OK) == 0)
		return "/usr/bin/python3";
	return "python3";
}

char *ws_server_events(const struct ws_server *s)
{
	return read_whole_file(s->log, NULL);
}

void ws_server_start(struct ws_server *s, const char *dir)
{
	char ebuf[64];
	memset(s, 0, sizeof(*s));
	snprintf(s->log, sizeof(s->log), "%s/ws_server.log", dir);
	int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		fail_msg("ws_server: cannot create %s: %s", s->log,
			 pl_out_strerror(errno, ebuf, sizeof(ebuf)));
	const char *py = python();
	(void)fflush(NULL); /* nothing buffered is written twice */
	pid_t pid = fork();
	if (pid < 0)
		fail_msg("ws_server: fork: %s", pl_out_strerror(errno, ebuf, sizeof(ebuf)));
	if (pid == 0) {
#ifdef __linux__
		/* A test that dies leaves no server behind. */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		int null = open("/dev/null", O_RDONLY);
		if (null >= 0)
			dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp(py, py, PL_SOURCE_DIR "/tests/servers/ws_server.py", (char *)NULL);
		dprintf(2, "cannot run %s: %s\n", py, pl_out_strerror(errno, ebuf, sizeof(ebuf)));
		_exit(127);
	}
	close(fd);
	s->pid = pid;
	double start = now_s();
	for (;;) {
		char *text = ws_server_events(s);
		int port = 0;
		if (text != NULL && strchr(text, '\n') != NULL)
			port = atoi(text);
		if (port > 0) {
			free(text);
			s->port = port;
			return;
		}
		int status;
		int ended = waitpid(s->pid, &status, WNOHANG) == s->pid;
		if (ended || now_s() - start > WS_SERVER_START_S) {
			if (!ended) {
				kill(s->pid, SIGKILL);
				waitpid(s->pid, &status, 0);
			}
			s->pid = 0;
			fail_msg("the test WebSocket server (%s tests/servers/ws_server.py, which "
				 "needs python3-websockets) %s; it printed:\n%s",
				 py, ended ? "exited as it started" : "did not print its port",
				 text != NULL ? text : "(nothing)");
		}
		free(text);
		sleep_s(0.01);
	}
}

void ws_server_stop(struct ws_server *s)
{
	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	int status;
	double start = now_s();
	while (waitpid(s->pid, &status, WNOHANG) == 0) {
		if (now_s() - start > 5.0) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, &status, 0);
			break;
		}
		sleep_s(0.01);
	}
	s->pid = 0;
}

int ws_server_wait_event(const struct ws_server *s, const char *text, double seconds)
{
	double start = now_s();
	for (;;) {
		char *events = ws_server_events(s);
		int found = events != NULL && strstr(events, text) != NULL;
		free(events);
		if (found)
			return 1;
		if (now_s() - start > seconds)
			return 0;
		sleep_s(0.01);
	}
}
