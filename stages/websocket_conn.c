/* websocket_conn.c - one WebSocket client connection of the `websocket` stage, on libwebsockets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "builtin.h"
#include "clock.h"
#include "mem.h"
#include "out.h"
#include "websocket_conn.h"

/* How often the service loop wakes to look at stopping(), in ms. */
#define TICK_MS 50
/* How long a polite close waits for the server's answer, in ms. */
#define CLOSE_WAIT_MS 1000
/* How long the TCP connect, and then the handshake, may take, in s. */
#define HANDSHAKE_TIMEOUT_S 10
/* What libwebsockets reads at once (a larger frame arrives in pieces). */
#define RX_CHUNK 65536

enum phase { CONNECTING, OPEN, ENDED };

/*
 * Everything lives on the worker's thread: libwebsockets calls back from
 * lws_service(), which only pl__ws_conn_run() calls.  No locks.
 */
struct pl__ws_conn {
	pl_worker *w;
	const struct pl__ws_target *t;
	struct lws_protocols protocols[2];
	struct lws_context *ctx;
	struct lws *wsi; /* the connection, or NULL */
	lws_sorted_usec_list_t tick;

	enum phase phase;
	enum pl__ws_end end; /* once decided; 0 while not */
	int closing;         /* a close frame is asked for (stopping, or a stage error) */
	int close_status;    /* what that close frame says */
	int peer_status;     /* the status of the server's close frame; 0: none came */
	char why[256];       /* for PL__WS_LOST */
	uint64_t delivered;

	unsigned char *buf; /* the fragments of the message being reassembled */
	size_t len, cap;
};

/* Decides how the connection ends (the first decision holds). */
static void set_end(struct pl__ws_conn *c, enum pl__ws_end end)
{
	if (c->end == 0)
		c->end = end;
}

/* Asks libwebsockets to send a close frame with `status` and drop the
 * connection (from the WRITEABLE callback). */
static void begin_close(struct pl__ws_conn *c, int status)
{
	if (c->closing)
		return;
	c->closing = 1;
	c->close_status = status;
	if (c->wsi != NULL && c->phase == OPEN)
		lws_callback_on_writable(c->wsi);
}

/* Emits `len` bytes as one message.  Returns 0, or -1 when the connection
 * must end (the end is set). */
static int deliver(struct pl__ws_conn *c, const unsigned char *data, size_t len)
{
	const pl_host *h = c->w->host;
	pl_msg *msg = h->msg_new(len);
	if (msg == NULL) {
		h->failf(c->w, "out of memory for a %zu-byte message from %s", len, c->t->shown);
		set_end(c, PL__WS_FAILED);
		return -1;
	}
	if (len > 0)
		memcpy(h->msg_data(msg), data, len);
	int rc = h->emit(c->w, msg); /* takes msg */
	if (rc == PL_ECANCELED) {    /* the pipeline is stopping: say goodbye */
		set_end(c, PL__WS_STOPPED);
		begin_close(c, LWS_CLOSE_STATUS_NORMAL);
		return 0;
	}
	if (rc != 0) {
		(void)pl_builtin_emit_result(c->w, rc);
		set_end(c, PL__WS_FAILED);
		return -1;
	}
	c->delivered++;
	return 0;
}

/* One piece of a frame: appends it to the message being reassembled, and
 * emits the message once its last piece came.  Returns 0, or -1 when the
 * connection must end (the end is set). */
static int receive(struct pl__ws_conn *c, struct lws *wsi, const unsigned char *in, size_t len)
{
	int final = lws_is_final_fragment(wsi);

	if (c->closing)
		return 0; /* what comes after our close frame is not wanted */
	if (len > c->t->max_message - c->len) {
		c->w->host->failf(c->w, "a message from %s is larger than max_message (%zu byte%s)",
				  c->t->shown, c->t->max_message,
				  c->t->max_message == 1 ? "" : "s");
		set_end(c, PL__WS_FAILED);
		begin_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE);
		return 0;
	}
	if (final && c->len == 0) /* a whole message in one piece: no copy */
		return deliver(c, in, len);
	if (c->len + len > c->cap) {
		size_t cap = c->cap ? c->cap : RX_CHUNK;
		while (cap < c->len + len)
			cap = cap > c->t->max_message / 2 ? c->t->max_message : cap * 2;
		unsigned char *bigger = pl_mem_realloc(c->buf, cap);
		if (bigger == NULL) {
			c->w->host->failf(c->w, "out of memory for a %zu-byte message from %s", cap,
					  c->t->shown);
			set_end(c, PL__WS_FAILED);
			return -1;
		}
		c->buf = bigger;
		c->cap = cap;
	}
	if (len > 0)
		memcpy(c->buf + c->len, in, len);
	c->len += len;
	if (!final)
		return 0;
	size_t n = c->len;
	c->len = 0;
	return deliver(c, c->buf, n);
}

/* Copies the `len` bytes at `in` into `out` (`size` bytes with the NUL), cut
 * to fit, a control character becoming '?': the server's text, made fit
 * for one log line. */
static void printable(char *out, size_t size, const unsigned char *in, size_t len)
{
	size_t n = len < size - 1 ? len : size - 1;
	for (size_t i = 0; i < n; i++) {
		out[i] = (char)in[i];
		if (in[i] < 0x20 || in[i] == 0x7f)
			out[i] = '?';
	}
	out[n] = '\0';
}

/* The status and reason of the server's close frame, into c->peer_status and c->why. */
static void peer_close(struct pl__ws_conn *c, const unsigned char *in, size_t len)
{
	if (len < 2) {
		c->peer_status = LWS_CLOSE_STATUS_NO_STATUS;
		snprintf(c->why, sizeof(c->why), "closed by the server without a status");
		return;
	}
	c->peer_status = (in[0] << 8) | in[1];
	char reason[121];
	printable(reason, sizeof(reason), in + 2, len - 2);
	if (reason[0] != '\0')
		snprintf(c->why, sizeof(c->why), "closed by the server with status %d (%s)",
			 c->peer_status, reason);
	else
		snprintf(c->why, sizeof(c->why), "closed by the server with status %d",
			 c->peer_status);
}

/* The connection is gone: decides why, unless that is decided already.  A
 * close frame with 1000, or with no status at all (1005: a clean closing
 * handshake, as `ws.close()` sends), is the server's normal end. */
static void connection_gone(struct pl__ws_conn *c)
{
	if (c->end == 0) {
		if (c->peer_status == LWS_CLOSE_STATUS_NORMAL ||
		    c->peer_status == LWS_CLOSE_STATUS_NO_STATUS)
			c->end = PL__WS_NORMAL;
		else if (c->closing)
			c->end = PL__WS_STOPPED;
		else {
			if (c->peer_status == 0 && c->phase == CONNECTING)
				snprintf(c->why, sizeof(c->why),
					 "the connection ended before the WebSocket handshake "
					 "completed (no answer within %d s, or the server "
					 "closed it)",
					 HANDSHAKE_TIMEOUT_S);
			else if (c->peer_status == 0)
				snprintf(c->why, sizeof(c->why),
					 "the connection was lost (no close frame)");
			c->end = PL__WS_LOST;
		}
	}
	c->phase = ENDED;
	c->wsi = NULL;
}

/* Sends the user:password of the URL as HTTP basic authentication. */
static int append_headers(struct pl__ws_conn *c, struct lws *wsi, void *in, size_t len)
{
	if (c->t->authorization == NULL)
		return 0;
	unsigned char **p = in, *end = *p + len;
	const char *v = c->t->authorization;
	return lws_add_http_header_by_name(wsi, (const unsigned char *)"authorization:",
					   (const unsigned char *)v, (int)strlen(v), p, end)
		       ? -1
		       : 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		    size_t len)
{
	(void)user;
	struct lws_context *ctx = lws_get_context(wsi);
	struct pl__ws_conn *c = ctx != NULL ? lws_context_user(ctx) : NULL;
	if (c == NULL)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		return append_headers(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
		unsigned int status = lws_http_client_http_response(wsi);
		if (status != 0 && status != 101)
			snprintf(c->why, sizeof(c->why),
				 "the server refused the WebSocket handshake with HTTP %u", status);
		else if (c->t->tls && in != NULL && len > 0 &&
			 strstr((const char *)in, "SSL") != NULL)
			/* (libwebsockets' words for a failed check are OpenSSL's codes) */
			snprintf(c->why, sizeof(c->why),
				 "cannot connect: %s: a TLS failure; is the server's certificate "
				 "for this host and signed by a CA %s trusts?",
				 (const char *)in,
				 c->t->ca_file != NULL ? "'ca_file'" : "the system");
		else
			snprintf(c->why, sizeof(c->why), "cannot connect: %s",
				 in != NULL && len > 0 ? (const char *)in : "connection failed");
		set_end(c, c->closing ? PL__WS_STOPPED : PL__WS_LOST);
		connection_gone(c);
		return 0;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		c->phase = OPEN;
		if (c->closing) /* stopping() came while connecting */
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		return receive(c, wsi, in, len);
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		if (!c->closing)
			return 0;
		lws_close_reason(wsi, (enum lws_close_status)c->close_status, NULL, 0);
		return -1;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		peer_close(c, in, len);
		return 0; /* lws answers with the same status and closes */
	case LWS_CALLBACK_CLIENT_CLOSED:
		connection_gone(c);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if (wsi == c->wsi || c->phase != ENDED)
			connection_gone(c);
		return 0;
	default:
		return 0;
	}
}

int pl__ws_conn_create(pl_worker *w, const struct pl__ws_target *target, struct pl__ws_conn **out)
{
	const pl_host *h = w->host;
	struct pl__ws_conn *c = pl_mem_calloc(1, sizeof(*c));
	if (c == NULL)
		return h->failf(w, "out of memory");
	c->w = w;
	c->t = target;
	c->protocols[0] = (struct lws_protocols){
		.name = "pipeline-websocket",
		.callback = callback,
		.rx_buffer_size = RX_CHUNK,
	};
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = c->protocols;
	info.gid = -1;
	info.uid = -1;
	info.user = c;
	info.connect_timeout_secs = HANDSHAKE_TIMEOUT_S;
	info.timeout_secs = HANDSHAKE_TIMEOUT_S; /* (lws's default for the handshake is 5 s) */
	if (target->tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.client_ssl_ca_filepath = target->ca_file;
	}
	if (info.client_ssl_ca_filepath != NULL && access(info.client_ssl_ca_filepath, R_OK) != 0) {
		char ebuf[64];
		int e = errno;
		free(c);
		return h->failf(w, "cannot read 'ca_file' %s: %s", target->ca_file,
				pl_out_strerror(e, ebuf, sizeof(ebuf)));
	}
	c->ctx = lws_create_context(&info);
	if (c->ctx == NULL) {
		free(c);
		return h->failf(w, "cannot set up libwebsockets for %s%s", target->shown,
				target->tls && target->ca_file != NULL
					? " (is 'ca_file' a PEM file of certificates?)"
					: "");
	}
	*out = c;
	return 0;
}

void pl__ws_conn_destroy(struct pl__ws_conn *c)
{
	if (c == NULL)
		return;
	lws_sul_cancel(&c->tick);
	lws_context_destroy(c->ctx); /* closes a connection still open, calling back */
	free(c->buf);
	free(c);
}

/* The tick only wakes lws_service() so that stopping() is looked at. */
static void tick(lws_sorted_usec_list_t *sul)
{
	(void)sul;
}

enum pl__ws_end pl__ws_conn_run(struct pl__ws_conn *c, uint64_t *delivered, char *why, size_t len)
{
	const struct pl__ws_target *t = c->t;
	struct lws_client_connect_info i;

	c->phase = CONNECTING;
	c->end = 0;
	c->closing = 0;
	c->peer_status = 0;
	c->why[0] = '\0';
	c->delivered = 0;
	c->len = 0;
	memset(&i, 0, sizeof(i));
	i.context = c->ctx;
	i.address = t->address;
	i.port = t->port;
	i.ssl_connection = t->tls ? LCCSCF_USE_SSL : 0;
	i.path = t->path;
	i.host = t->host_header;
	i.origin = t->host_header;
	i.protocol = t->subprotocol;
	i.local_protocol_name = c->protocols[0].name;
	i.pwsi = &c->wsi;
	if (lws_client_connect_via_info(&i) == NULL && c->phase != ENDED) {
		snprintf(c->why, sizeof(c->why), "cannot connect to %s port %d", t->address,
			 t->port);
		set_end(c, PL__WS_LOST);
		c->phase = ENDED;
		c->wsi = NULL;
	}
	int64_t deadline = 0;
	while (c->phase != ENDED) {
		if (!c->closing && c->w->host->stopping(c->w))
			begin_close(c, LWS_CLOSE_STATUS_NORMAL);
		if (c->closing && c->phase == CONNECTING)
			break; /* nothing to close yet: pl__ws_conn_destroy() drops it */
		if (c->closing && deadline == 0)
			deadline = pl__now_ms() + CLOSE_WAIT_MS;
		if (deadline != 0 && pl__now_ms() > deadline)
			break; /* pl__ws_conn_destroy() drops it */
		lws_sul_schedule(c->ctx, 0, &c->tick, tick, TICK_MS * LWS_US_PER_MS);
		if (lws_service(c->ctx, 0) < 0) {
			c->w->host->failf(c->w, "libwebsockets failed to service %s", t->shown);
			set_end(c, PL__WS_FAILED);
			break;
		}
	}
	lws_sul_cancel(&c->tick);
	set_end(c, c->closing ? PL__WS_STOPPED : PL__WS_LOST);
	*delivered = c->delivered;
	snprintf(why, len, "%s", c->why[0] != '\0' ? c->why : "the connection ended");
	return c->end;
}
