/* http_server.h - tests/servers/http_server.py as a throwaway child of a test, and a plain GET of
 * it. */
#ifndef PL_TESTS_HTTP_SERVER_H
#define PL_TESTS_HTTP_SERVER_H

#include <stddef.h>
#include <sys/types.h>

/* How long a start waits for the server to print its port. */
#define HTTP_SERVER_START_S 20.0

/* One server child.  Public, read-only after http_server_start(): `port`, `base`. */
struct http_server {
	pid_t pid;       /* the running server, or 0 */
	char log[64];    /* its standard output and error (the port, then any Python error) */
	int port;        /* where it listens on 127.0.0.1 */
	char base[64];   /* "http://127.0.0.1:PORT", or https:// */
	int curl_inited; /* curl_global_init() was called (for http_server_get) */
};

/* Starts tests/servers/http_server.py --port 0 (with server_child_python()) and reads the
 * port it prints; with `tls`, --tls: https:// with the certificate of tests/servers/tls,
 * signed by the test CA tests/servers/tls/ca.pem (`base` then says https).  Returns 0, or -1 with
 * why on stderr (for cmocka's group setup).  Follow with http_server_stop(). */
int http_server_start(struct http_server *s, int tls);

/* Ends the server (SIGTERM, then SIGKILL after 3 s), reaps it and removes its log.  A zeroed or
 * stopped `s` is fine.  Returns 0 (for cmocka's group teardown). */
int http_server_stop(struct http_server *s);

/* GETs `path` from the server with libcurl (a connection of its own) into `out` (`size`
 * bytes, NUL-terminated, cut to fit).  Fails the test unless the answer is a 200. */
void http_server_get(const struct http_server *s, const char *path, char *out, size_t size);

/* The server's counts since its last /reset: requests (/count and /reset not counted) and
 * connections (the one asking included). */
void http_server_counts(const struct http_server *s, long *requests, long *connections);

/* A port on 127.0.0.1 where nothing listens (bound, then closed). */
int http_unused_port(void);

#endif /* PL_TESTS_HTTP_SERVER_H */
