/* websocket_conn.h - one WebSocket client connection of the `websocket` stage, on libwebsockets. */
#ifndef PL_STAGES_WEBSOCKET_CONN_H
#define PL_STAGES_WEBSOCKET_CONN_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/plugin.h"

/* Where to connect and how, from the node's parameters (websocket.c). */
struct pl__ws_target {
	int tls;                 /* wss:// */
	char *address;           /* host name or IP address, without brackets */
	int port;                /* 1..65535 */
	char *host_header;       /* "host" or "host:port", IPv6 in brackets */
	char *path;              /* "/..." with the query, never empty */
	char *authorization;     /* "Basic ..." from user:password@, or NULL */
	const char *subprotocol; /* Sec-WebSocket-Protocol, or NULL; borrowed from the params */
	const char *ca_file;     /* wss://: the CAs' PEM file, or NULL for the system's; borrowed */
	char *shown;             /* the URL without user:password, for messages */
	size_t max_message;      /* the largest reassembled message */
};

/* How a connection ended. */
enum pl__ws_end {
	PL__WS_NORMAL = 1, /* the server closed with status 1000: the stream is over */
	PL__WS_LOST,       /* not connected, refused, dropped or closed otherwise: reconnect */
	PL__WS_STOPPED,    /* the pipeline is stopping (closed politely, or given up) */
	PL__WS_FAILED,     /* a stage error, recorded with failf() */
};

/* The lws context of one worker and its current connection.  Opaque. */
struct pl__ws_conn;

/*
 * Creates the libwebsockets context for worker `w` (on the worker's thread:
 * every later call must be made there too).  `target` is borrowed and must
 * outlive the connection object.  Returns 0 and *out, or an error recorded with
 * failf().  Destroy with pl__ws_conn_destroy().
 */
int pl__ws_conn_create(pl_worker *w, const struct pl__ws_target *target, struct pl__ws_conn **out);

/* Closes what is still open and frees `c`; NULL does nothing. */
void pl__ws_conn_destroy(struct pl__ws_conn *c);

/*
 * Connects once and services the connection until it ends, emitting each
 * complete message (text or binary, fragments joined) as one pipeline
 * message; blocks in emit() while the output channel is full.  Polls
 * stopping() at least every 100 ms; once it is true, closes with status 1000
 * and returns PL__WS_STOPPED within about a second.  *delivered gets the
 * number of messages emitted on this connection; for PL__WS_LOST, `why`
 * (`len` bytes) says what happened, e.g. "closed by the server with status
 * 1011 (reason)".
 */
enum pl__ws_end pl__ws_conn_run(struct pl__ws_conn *c, uint64_t *delivered, char *why, size_t len);

#endif /* PL_STAGES_WEBSOCKET_CONN_H */
