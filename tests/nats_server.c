/* nats_server.c - a throwaway nats-server for a test: random port, JetStream in a temp dir. */
#define _GNU_SOURCE /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nats_server.h"
#include "run_child.h"
#include "server_child.h"
#include "out.h"

/* What the server prints once it accepts clients (nats-server 2.x). */
#define LISTENING "Listening for client connections on 127.0.0.1:"

/* dir/server-N.log of the latest start. */
static void log_path(const struct nats_server *s, char *out, size_t len)
{
	snprintf(out, len, "%s/server-%d.log", s->dir, s->starts);
}

char *nats_server_log(const struct nats_server *s)
{
	char path[128];
	log_path(s, path, sizeof(path));
	return read_whole_file(path, NULL);
}

/* Whether `dir/name` is an executable regular file; writes it into `out` when so. */
static int executable(const char *dir, size_t dlen, const char *name, char *out, size_t len)
{
	if (dlen == 0) /* an empty $PATH entry is the current directory */
		snprintf(out, len, "./%s", name);
	else
		snprintf(out, len, "%.*s/%s", (int)dlen, dir, name);
	struct stat st;
	return stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0;
}

int nats_server_find(char *out, size_t len)
{
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): the tests run on one thread */
	const char *env = getenv("PL_NATS_SERVER");
	if (env != NULL && env[0] != '\0') {
		struct stat st;
		if (stat(env, &st) == 0 && S_ISREG(st.st_mode) && access(env, X_OK) == 0) {
			snprintf(out, len, "%s", env);
			return 0;
		}
		snprintf(out, len, "PL_NATS_SERVER=%s is not an executable file", env);
		return -1;
	}
	if (executable("/usr/sbin", 9, "nats-server", out, len))
		return 0;
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): the tests run on one thread */
	const char *path = getenv("PATH");
	for (const char *p = path; p != NULL;) {
		const char *colon = strchr(p, ':');
		size_t n = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (executable(p, n, "nats-server", out, len))
			return 0;
		p = colon != NULL ? colon + 1 : NULL;
	}
	snprintf(out, len,
		 "nats-server was not found: not in $PL_NATS_SERVER, /usr/sbin/nats-server or "
		 "$PATH (Debian: apt-get install nats-server)");
	return -1;
}

/* The port in the log's LISTENING line, or 0 while there is none. */
static int listening_port(const struct nats_server *s)
{
	char *log = nats_server_log(s);
	int port = 0;
	const char *at = log != NULL ? strstr(log, LISTENING) : NULL;
	if (at != NULL)
		port = atoi(at + strlen(LISTENING));
	free(log);
	return port;
}

/* Forks and execs the server on `port` (-1: a free one); the log goes to a new file. */
static void spawn(struct nats_server *s, int port)
{
	char log[128], store[96], portbuf[16];
	s->starts++;
	log_path(s, log, sizeof(log));
	snprintf(store, sizeof(store), "%s/js", s->dir);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	const char *argv[16] = { s->bin, "-a", "127.0.0.1", "-p", portbuf, "-js", "-sd", store };
	size_t n = 8;
	if (s->user[0] != '\0') {
		argv[n++] = "--user";
		argv[n++] = s->user;
		argv[n++] = "--pass";
		argv[n++] = s->pass;
	}
	argv[n] = NULL;
	s->pid = server_child_spawn(log, (char *const *)argv);
}

/*
 * Waits until the server listens (its port into s->port and s->url).  Returns 0, 1 when it
 * exited first (reaped; s->pid is 0), or fails the test on a timeout (after killing it).
 */
static int wait_listening(struct nats_server *s)
{
	double start = now_s();
	for (;;) {
		int port = listening_port(s);
		if (port > 0) {
			s->port = port;
			snprintf(s->url, sizeof(s->url), "nats://127.0.0.1:%d", port);
			return 0;
		}
		int status;
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return 1;
		}
		if (now_s() - start > NATS_SERVER_START_S) {
			server_child_kill(&s->pid);
			char *log = nats_server_log(s);
			fail_msg("nats-server did not say where it listens within %.0f s; its "
				 "log:\n%s",
				 NATS_SERVER_START_S, log != NULL ? log : "(none)");
		}
		sleep_s(0.005);
	}
}

/* Fails the test saying the server exited at its start, with its log. */
static void fail_exited(const struct nats_server *s)
{
	char *log = nats_server_log(s);
	fail_msg("nats-server (%s) exited as it started; its log:\n%s", s->bin,
		 log != NULL ? log : "(none)");
}

void nats_server_start(struct nats_server *s, const char *user, const char *pass)
{
	memset(s, 0, sizeof(*s));
	if (nats_server_find(s->bin, sizeof(s->bin)) != 0)
		fail_msg("%s", s->bin);
	if (user != NULL) {
		snprintf(s->user, sizeof(s->user), "%s", user);
		snprintf(s->pass, sizeof(s->pass), "%s", pass != NULL ? pass : "");
	}
	snprintf(s->dir, sizeof(s->dir), "/tmp/pl-nats-XXXXXX");
	if (mkdtemp(s->dir) == NULL) {
		int e = errno;
		s->dir[0] = '\0';
		char ebuf[64];
		fail_msg("nats-server: mkdtemp: %s", pl_out_strerror(e, ebuf, sizeof(ebuf)));
	}
	spawn(s, -1);
	if (wait_listening(s) != 0)
		fail_exited(s);
}

void nats_server_kill(struct nats_server *s)
{
	server_child_kill(&s->pid);
}

void nats_server_restart(struct nats_server *s)
{
	nats_server_kill(s);
	int port = s->port;
	/* The port was just released: should another process have taken it meanwhile, or
	 * the kernel hold it briefly, try again for a few seconds. */
	for (double start = now_s();;) {
		spawn(s, port);
		if (wait_listening(s) == 0)
			break;
		char *log = nats_server_log(s);
		int in_use = log != NULL && strstr(log, "address already in use") != NULL;
		free(log);
		if (!in_use || now_s() - start > NATS_SERVER_START_S)
			fail_exited(s);
		sleep_s(0.1);
	}
	if (s->port != port)
		fail_msg("nats-server restarted on port %d, not %d", s->port, port);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	(void)remove(path);
	return 0;
}

void nats_server_stop(struct nats_server *s)
{
	server_child_stop(&s->pid, NATS_SERVER_STOP_S);
	if (s->dir[0] != '\0') {
		(void)nftw(s->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
		s->dir[0] = '\0';
	}
}
