/* nats_out.c - the runner's `nats-out` sink: publishes a NATS channel's messages, then its end. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bridge.h"
#include "clock.h"
#include "engine_int.h"
#include "error.h"
#include "mem.h"
#include "msg.h"
#include "nats_conn.h"
#include "nats_end.h"

/*
 * Each message becomes one NATS message with the same bytes and the
 * headers Pipeline-Seq (its number from this producer, from 0) and, when
 * durable, Nats-Msg-Id (producer and number: JetStream drops a repeat
 * within its duplicate window).  A dead letter's reason travels as
 * Pipeline-Node, -Stage, -Error and -Attempts.
 *
 * Non-durable: core NATS publishes, after a probe has found a consumer
 * (NATS drops what nobody is subscribed to).  Durable: JetStream publishes
 * to the channel's work-queue stream, asynchronously with a bounded number
 * unacknowledged; the end waits for every acknowledgement.
 *
 * The end of the stream is a message on _PIPELINE.end.SUBJECT with the
 * headers Pipeline-Producer (who ended), Pipeline-Count (how many it
 * published) and, when the producing side failed or was stopped before
 * its input ended, Pipeline-Failed.
 */

struct nats_out {
	struct pl__nats_conn conn;
	jsCtx *js; /* durable only */
	const pl_cfg_chan *ch;
	char producer[128]; /* host:pid:node */
	uint64_t seq;
	int probed, ended;
	/* Asynchronous publish failures, from the library's thread. */
	pthread_mutex_t mu;
	uint64_t failures;    /* under mu */
	char first_fail[256]; /* under mu */
};

/* JetStream could not store a message (the library's thread). */
static void on_pub_error(jsCtx *js, jsPubAckErr *pae, void *closure)
{
	(void)js;
	struct nats_out *o = closure;
	pthread_mutex_lock(&o->mu);
	if (o->failures++ == 0)
		snprintf(o->first_fail, sizeof(o->first_fail), "%s",
			 pae->ErrText != NULL ? pae->ErrText : natsStatus_GetText(pae->Err));
	pthread_mutex_unlock(&o->mu);
}

static void out_fini(pl_worker *w);

static int out_open(pl_worker *w)
{
	const pl_config *cfg;
	const pl_cfg_chan *ch = pl__nats_chan_of(w, &cfg);
	struct nats_out *o = pl_mem_calloc(1, sizeof(*o));
	if (o == NULL || pthread_mutex_init(&o->mu, NULL) != 0) {
		free(o);
		return w->host->failf(w, "out of memory");
	}
	w->state = o;
	o->ch = ch;
	char host[64] = "host";
	(void)gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	snprintf(o->producer, sizeof(o->producer), "%s:%ld:%s", host, (long)getpid(), w->node);
	char err[512];
	if (pl__nats_connect(&o->conn, ch, w->node, err, sizeof(err)) != 0)
		return w->host->failf(w, "%s", err);
	if (!ch->nats.durable)
		return 0;
	jsOptions jo;
	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = ch->buffer > 256 ? ch->buffer : 256;
	jo.PublishAsync.StallWait = 1000;
	jo.PublishAsync.ErrHandler = on_pub_error;
	jo.PublishAsync.ErrHandlerClosure = o;
	natsStatus s = natsConnection_JetStream(&o->js, o->conn.nc, &jo);
	if (s != NATS_OK) {
		pl__nats_why(s, err, sizeof(err));
		return w->host->failf(w, "channel '%s': JetStream: %s", ch->name, err);
	}
	char why[400], stream[PL_NATS_STREAM_MAX];
	pl__nats_stream_name(PL_NATS_DATA_STREAM, o->conn.subject, stream, sizeof(stream));
	if (pl__nats_ensure_stream(o->js, stream, o->conn.subject, 1, why, sizeof(why)) != 0 ||
	    pl__nats_end_prepare(o->js, o->conn.subject, ch->nats.producers, why, sizeof(why)) != 0)
		return w->host->failf(w, "channel '%s': %s", ch->name, why);
	return 0;
}

/* Connects and subscribes (or prepares to publish); on failure, what was
 * set up is released here, since fini() is owed only after a success. */
static int out_init(pl_worker *w, const pl_params *params)
{
	(void)params;
	int rc = out_open(w);
	if (rc != 0)
		out_fini(w);
	return rc;
}

/* Is the pipeline stopping (a signal, a failure elsewhere) or this node
 * cancelled?  A sink is not told so by stopping() while the pipeline
 * drains; waits of our own that could last must still end. */
static int halted(pl_worker *w)
{
	const struct en_worker *ew = (const struct en_worker *)w;
	return w->host->stopping(w) ||
	       atomic_load_explicit(&ew->node->engine->stopping, memory_order_relaxed);
}

/* The connection closed for good, as a stage error. */
static int lost(pl_worker *w, struct nats_out *o)
{
	char why[256];
	pl__nats_lost_why(&o->conn, why, sizeof(why));
	return w->host->failf(w, "%s", why);
}

/* Messages JetStream has not acknowledged yet: lost when we give up.
 * Counted in the node's `lost`, and returned. */
static int64_t count_unstored(pl_worker *w, struct nats_out *o)
{
	natsMsgList pending = { 0 };
	if (o->js == NULL || js_PublishAsyncGetPendingList(&pending, o->js) != NATS_OK)
		return 0;
	int64_t n = pending.Count;
	natsMsgList_Destroy(&pending);
	pl__count(&((struct en_worker *)w)->c.lost, (uint64_t)n);
	return n;
}

/* Gives up on JetStream: the connection is gone, or the pipeline is
 * stopping at once.  The messages it had not acknowledged (and `extra`
 * more, already counted) are lost, and said so.  Returns the stage error. */
static int give_up(pl_worker *w, struct nats_out *o, int64_t extra)
{
	int64_t n = count_unstored(w, o) + extra;
	if (atomic_load(&o->conn.lost)) {
		char why[256];
		pl__nats_lost_why(&o->conn, why, sizeof(why));
		return w->host->failf(
			w, "%s; %" PRId64 " messages JetStream had not stored are lost", why, n);
	}
	return w->host->failf(w,
			      "channel '%s': stopped at once; %" PRId64
			      " messages JetStream had not stored are lost",
			      o->ch->name, n);
}

/* Non-durable: waits until some process subscribes to the subject (a
 * request with Pipeline-Probe that NATS answers "no responders" while
 * nobody is), at most idle_timeout_ms.  0 or an error. */
static int wait_for_consumer(pl_worker *w, struct nats_out *o)
{
	uint64_t t0 = pl__now_ns(), limit = (uint64_t)o->ch->nats.idle_timeout_ms * 1000000u;
	int told = 0;
	for (;;) {
		natsMsg *m = NULL, *reply = NULL;
		natsStatus s = natsMsg_Create(&m, o->conn.subject, NULL, NULL, 0);
		s = pl__nats_header(s, m, "Pipeline-Probe", o->producer);
		if (s == NATS_OK)
			s = natsConnection_RequestMsg(&reply, o->conn.nc, m, 1000);
		natsMsg_Destroy(m);
		natsMsg_Destroy(reply);
		/* A timeout: a consumer got it but is busy; it is there. */
		if (s == NATS_OK || s == NATS_TIMEOUT) {
			if (told)
				w->host->log(w, PL_LOG_INFO, "a consumer of '%s' is there",
					     o->conn.subject);
			return 0;
		}
		if (s != NATS_NO_RESPONDERS) {
			char why[256];
			pl__nats_why(s, why, sizeof(why));
			return w->host->failf(w, "channel '%s': NATS at %s: %s", o->ch->name,
					      o->conn.where, why);
		}
		if (halted(w))
			return w->host->failf(
				w,
				"channel '%s': stopped while waiting for a consumer of "
				"'%s': nothing was published",
				o->ch->name, o->conn.subject);
		if (!told++)
			w->host->log(w, PL_LOG_INFO,
				     "waiting for a consumer of '%s' (a process reading channel "
				     "'%s'); messages published before one subscribes are lost",
				     o->conn.subject, o->ch->name);
		if (limit != 0 && pl__now_ns() - t0 >= limit)
			return w->host->failf(
				w,
				"channel '%s': no consumer subscribed to '%s' within "
				"idle_timeout_ms (%lld ms); start the worker processes, or use "
				"durable: true to keep the messages until they come",
				o->ch->name, o->conn.subject,
				(long long)o->ch->nats.idle_timeout_ms);
		struct timespec ts = { 0, 200000000 };
		nanosleep(&ts, NULL);
	}
}

/* Copies a dead letter's reason into headers. */
static natsStatus meta_headers(natsStatus s, natsMsg *m, const pl_msg *msg)
{
	static const char *const keys[][2] = { { "node", "Pipeline-Node" },
					       { "stage", "Pipeline-Stage" },
					       { "error", "Pipeline-Error" },
					       { "attempts", "Pipeline-Attempts" } };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *v = pl_msg_meta(msg, keys[i][0]);
		if (v != NULL)
			s = pl__nats_header(s, m, keys[i][1], v);
	}
	return s;
}

/* The first asynchronous failure as a stage error, or 0. */
static int async_failed(pl_worker *w, struct nats_out *o)
{
	pthread_mutex_lock(&o->mu);
	uint64_t n = o->failures;
	char first[256];
	snprintf(first, sizeof(first), "%s", o->first_fail);
	pthread_mutex_unlock(&o->mu);
	if (n == 0)
		return 0;
	return w->host->failf(w, "channel '%s': JetStream did not store %" PRIu64 " message%s: %s",
			      o->ch->name, n, n == 1 ? "" : "s", first);
}

/* Ownership: takes `msg` and frees it. */
static int out_process(pl_worker *w, pl_msg *msg)
{
	struct nats_out *o = w->state;
	if (!o->ch->nats.durable && !o->probed) {
		int rc = wait_for_consumer(w, o);
		if (rc != 0) {
			pl_msg_free(msg);
			return rc;
		}
		o->probed = 1;
	}
	char seq[24], id[160];
	snprintf(seq, sizeof(seq), "%" PRIu64, o->seq);
	natsMsg *m = NULL;
	natsStatus s = natsMsg_Create(&m, o->conn.subject, NULL, (const char *)pl_msg_data(msg),
				      (int)pl_msg_len(msg));
	s = pl__nats_header(s, m, "Pipeline-Seq", seq);
	s = meta_headers(s, m, msg);
	pl_msg_free(msg);
	if (o->js != NULL) {
		snprintf(id, sizeof(id), "%s:%s", o->producer, seq);
		s = pl__nats_header(s, m, "Nats-Msg-Id", id);
		/* Stalled (MaxPending unacknowledged) for a second at a time,
		 * so that a lost server or a stop is noticed. */
		while (s == NATS_OK) {
			s = js_PublishMsgAsync(o->js, &m, NULL); /* takes m on success */
			if (s != NATS_TIMEOUT)
				break;
			if (atomic_load(&o->conn.lost) || w->host->stopping(w)) {
				natsMsg_Destroy(m);
				pl__count(&((struct en_worker *)w)->c.lost, 1);
				return give_up(w, o, 1);
			}
			s = NATS_OK;
		}
	} else if (s == NATS_OK) {
		s = natsConnection_PublishMsg(o->conn.nc, m);
	}
	natsMsg_Destroy(m);
	if (s != NATS_OK && atomic_load(&o->conn.lost))
		return lost(w, o);
	if (s != NATS_OK) {
		char why[256];
		pl__nats_why(s, why, sizeof(why));
		return w->host->failf(w, "channel '%s': publishing to '%s' at %s failed: %s",
				      o->ch->name, o->conn.subject, o->conn.where, why);
	}
	o->seq++;
	return async_failed(w, o);
}

/* Publishes the end of this producer's stream; NATS_OK or the failure. */
static natsStatus send_end(struct nats_out *o, int failed)
{
	return pl__nats_end_send(&o->conn, o->js, o->producer, o->seq, failed);
}

/* The input ended: every message stored (durable) or sent, then the end. */
static int out_flush(pl_worker *w)
{
	struct nats_out *o = w->state;
	natsStatus s = NATS_OK;
	if (o->js != NULL) {
		/* Every acknowledgement, a second at a time: the connection may go
		 * or the pipeline stop at once meanwhile. */
		jsPubOptions po;
		jsPubOptions_Init(&po);
		po.MaxWait = 1000;
		while ((s = js_PublishAsyncComplete(o->js, &po)) == NATS_TIMEOUT)
			if (atomic_load(&o->conn.lost) || w->host->stopping(w))
				return give_up(w, o, 0);
	} else {
		s = natsConnection_FlushTimeout(o->conn.nc, 10000);
	}
	int rc = async_failed(w, o);
	if (rc != 0)
		return rc;
	if (s != NATS_OK && atomic_load(&o->conn.lost))
		return lost(w, o);
	/* The pipeline is stopping (a signal, a failure elsewhere): the input
	 * ended before the producer's did; consumers are told. */
	const struct en_worker *ew = (const struct en_worker *)w;
	int cut = atomic_load(&ew->node->engine->stopping);
	if (s == NATS_OK)
		s = send_end(o, cut);
	if (s != NATS_OK) {
		char why[256];
		pl__nats_why(s, why, sizeof(why));
		return w->host->failf(w, "channel '%s': ending the stream on '%s' at %s failed: %s",
				      o->ch->name, o->conn.subject, o->conn.where, why);
	}
	o->ended = 1;
	w->host->log(w, PL_LOG_INFO, "ended the stream on '%s' after %" PRIu64 " message%s%s",
		     o->conn.subject, o->seq, o->seq == 1 ? "" : "s",
		     cut ? " (stopped before its input ended)" : "");
	return 0;
}

static void out_fini(pl_worker *w)
{
	struct nats_out *o = w->state;
	if (o == NULL)
		return;
	/* Stopped or failed before the end: consumers still learn that this
	 * producer is done, and that it did not finish. */
	if (!o->ended && o->conn.nc != NULL && !atomic_load(&o->conn.lost)) {
		if (o->js != NULL) {
			jsPubOptions po;
			jsPubOptions_Init(&po);
			po.MaxWait = 5000;
			(void)js_PublishAsyncComplete(o->js, &po);
		}
		(void)send_end(o, 1);
	}
	jsCtx_Destroy(o->js);
	pl__nats_disconnect(&o->conn);
	pthread_mutex_destroy(&o->mu);
	free(o);
	w->state = NULL;
}

const pl_stage pl__nats_out_stage = {
	.size = sizeof(pl_stage),
	.kind = PL_STAGE_SINK,
	.name = "nats-out",
	.description = "the runner's: publishes a NATS channel's messages, then its end",
	.max_workers = 1,
	.init = out_init,
	.process = out_process,
	.flush = out_flush,
	.fini = out_fini,
};
