/* nats_server.h - a throwaway nats-server for a test: random port, JetStream in a temp dir. */
#ifndef PL_TESTS_NATS_SERVER_H
#define PL_TESTS_NATS_SERVER_H

#include <stddef.h>
#include <sys/types.h>

/* How long a start waits for the server to say where it listens, and a stop for it to exit
 * after SIGTERM before it gets SIGKILL. */
#define NATS_SERVER_START_S 15.0
#define NATS_SERVER_STOP_S  5.0

/*
 * One nats-server child.  Public, read-only after nats_server_start(): `url`, `port`, `dir`.
 * The rest is private.  Zero it (or start it) before any other call.
 */
struct nats_server {
	pid_t pid;     /* the running server, or 0 */
	int port;      /* where it listens (kept across nats_server_kill/restart) */
	char url[96];  /* nats://127.0.0.1:PORT, without credentials */
	char dir[64];  /* the mkdtemp'd directory: the JetStream store (js/) and the log */
	char bin[512]; /* the nats-server executable */
	char user[64], pass[64]; /* --user/--pass, or "" for none */
	int starts;              /* how many times it was started (each log is server-N.log) */
};

/*
 * The nats-server to run: $PL_NATS_SERVER when set and not empty (it must then be
 * executable), else /usr/sbin/nats-server, else the first `nats-server` on $PATH.
 * Writes it into `out` (`len` bytes) and returns 0, or returns -1 with `out` saying what
 * was looked for.
 */
int nats_server_find(char *out, size_t len);

/*
 * Starts a server on 127.0.0.1 with a random free port (-p -1) and JetStream in a fresh
 * temporary directory (-js -sd), requiring `user`/`pass` when `user` is not NULL, and waits
 * until its log says where it listens.  Fails the test (cmocka) with a clear message when
 * nats-server cannot be found or started: a machine that runs these tests must have it.
 * Follow with nats_server_stop().
 */
void nats_server_start(struct nats_server *s, const char *user, const char *pass);

/* Kills the server at once (SIGKILL) and reaps it, keeping its port and directory, as a
 * crash would.  Nothing when it is not running. */
void nats_server_kill(struct nats_server *s);

/* Starts the killed (or stopped) server again on the same port, with the same JetStream
 * directory and credentials.  Fails the test as nats_server_start() does. */
void nats_server_restart(struct nats_server *s);

/* Stops the server (SIGTERM, then SIGKILL after NATS_SERVER_STOP_S), reaps it and removes
 * its directory.  A zeroed or already stopped `s` is fine; never fails the test (it runs
 * in teardowns). */
void nats_server_stop(struct nats_server *s);

/* The server's last log, malloc'd (the caller frees it), or NULL; for failure messages. */
char *nats_server_log(const struct nats_server *s);

#endif /* PL_TESTS_NATS_SERVER_H */
