/* ws_server.h - the test WebSocket server (tests/servers/ws_server.py) as a child of a test. */
#ifndef PL_TESTS_WS_SERVER_H
#define PL_TESTS_WS_SERVER_H

#include <sys/types.h>

/* How long a start waits for the server to print its port. */
#define WS_SERVER_START_S 15.0

/*
 * One server child.  Public, read-only after ws_server_start(): `port` and
 * `log` (the file where it writes its port, then one line per event, e.g.
 * "closed /slow code=1000 by=client").
 */
struct ws_server {
	pid_t pid; /* the running server, or 0 */
	int port;
	char log[128];
};

/*
 * Starts tests/servers/ws_server.py on 127.0.0.1 and a free port with
 * $PL_PYTHON, else /usr/bin/python3 (Debian's, which has python3-websockets),
 * else the first python3 on $PATH; its output goes to `dir`/ws_server.log
 * (ws_server-tls.log).  With `tls` it speaks wss:// with the certificate of
 * tests/servers/tls, signed by the test CA tests/servers/tls/ca.pem.
 * Waits until it prints its port.  Fails the test (cmocka), with what the
 * server printed, when it cannot be started.  Follow with ws_server_stop().
 */
void ws_server_start(struct ws_server *s, const char *dir, int tls);

/* Stops the server (SIGTERM, then SIGKILL) and reaps it; a zeroed or stopped
 * `s` is fine.  Never fails the test (it runs in teardowns). */
void ws_server_stop(struct ws_server *s);

/* What the server printed so far, malloc'd (the caller frees it), or NULL. */
char *ws_server_events(const struct ws_server *s);

/* Waits up to `seconds` for the server's output to contain `text`; returns 1
 * when it does, 0 otherwise. */
int ws_server_wait_event(const struct ws_server *s, const char *text, double seconds);

#endif /* PL_TESTS_WS_SERVER_H */
