/* nats_conn.h - connecting a NATS channel's bridge node to its servers (nats_in.c, nats_out.c). */
#ifndef PL_RUNNER_NATS_CONN_H
#define PL_RUNNER_NATS_CONN_H

#include <nats/nats.h>
#include <stdatomic.h>
#include <stddef.h>

#include "config.h"

/* Names JetStream uses beside the channel's subject. */
#define PL_NATS_END_PREFIX "_PIPELINE.end." /* + subject: the end-of-stream markers */
#define PL_NATS_STREAM_MAX 256

/* One bridge node's connection. */
struct pl__nats_conn {
	natsConnection *nc;
	const pl_cfg_chan *ch;
	const char *subject; /* the channel's subject (borrowed from ch, or its name) */
	char where[256];     /* the servers with any password as ***: safe to print */
	atomic_int lost;     /* the connection closed for good (reconnects used up) */
	atomic_int closed;   /* on_closed() ran: the library is done with this struct */
	atomic_int opened;   /* nats_Open() was counted for this connection */
	atomic_int closing;  /* we are closing it: no warning about it */
};

/*
 * Connects for channel `ch` with its url, creds and reconnect options,
 * naming the connection after `role` ("nats-in:jobs").  Returns 0, or
 * PL_EIO with `err` (`len` bytes) saying why and what to do (never a
 * password).  Ownership: `c` is the caller's; release it with
 * pl__nats_disconnect() in both cases.
 */
int pl__nats_connect(struct pl__nats_conn *c, const pl_cfg_chan *ch, const char *role, char *err,
		     size_t len);

/* Writes into `out` that the connection closed for good, with the
 * channel's reconnect options (the one text nats-in and nats-out give). */
void pl__nats_lost_why(const struct pl__nats_conn *c, char *out, size_t len);

/* Closes and frees the connection; the library itself once its last
 * connection is gone.  A zeroed or failed `c` is fine. */
void pl__nats_disconnect(struct pl__nats_conn *c);

/* Writes into `out` why `s` failed, with the library's last error text. */
void pl__nats_why(natsStatus s, char *out, size_t len);

/* The name of a JetStream stream for `subject`: `prefix` and the subject
 * with '.' as '_' ("PL_jobs_resize"). */
#define PL_NATS_DATA_STREAM "PL_"    /* the messages of a durable channel */
#define PL_NATS_END_STREAM  "PLEND_" /* its end-of-stream markers */
void pl__nats_stream_name(const char *prefix, const char *subject, char *out, size_t len);

/* Makes sure stream `name` exists for `subject`, on file: a work queue
 * (each message gone once acknowledged), or with limits (at most 10,000
 * kept).  Returns 0 or PL_EIO with `err` set: JetStream refused, or the
 * name is taken by a stream of another subject. */
int pl__nats_ensure_stream(jsCtx *js, const char *name, const char *subject, int work_queue,
			   char *err, size_t len);

/* The NATS channel whose bridge node worker `w` belongs to, and the
 * config (borrowed: they live as long as the engine). */
const pl_cfg_chan *pl__nats_chan_of(pl_worker *w, const pl_config **cfg);

/* Sets header `key` of `m` to `value` when the status so far is NATS_OK. */
static inline natsStatus pl__nats_header(natsStatus s, natsMsg *m, const char *key,
					 const char *value)
{
	return s == NATS_OK ? natsMsgHeader_Set(m, key, value) : s;
}

#endif /* PL_RUNNER_NATS_CONN_H */
