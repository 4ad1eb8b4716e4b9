/* nats_in.c - the runner's `nats-in` generator: a NATS channel's messages into this process. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge.h"
#include "engine_int.h"
#include "error.h"
#include "mem.h"
#include "msg.h"
#include "nats_conn.h"
#include "nats_end.h"

/*
 * Non-durable: a core NATS queue subscription named after the channel,
 * so that the processes reading it share its messages, each message to
 * one.  NATS queues at most max_pending of them in this process while the
 * local channel is full; beyond that it drops them, and the run fails
 * saying so.
 *
 * Durable: a JetStream pull consumer named after the channel, on the
 * channel's work-queue stream.  nats-in fetches only as many messages as
 * it has slots: a slot holds a message from its fetch until the consuming
 * node is done with it and pl__nats_in_settle() acknowledges it, so that
 * at most `buffer` messages wait in this process besides one per worker
 * of the consuming node.  A message its node could not finish is given
 * back (nak) for another worker; one whose process died comes back after
 * ack_wait_ms.
 *
 * Both end once `producers` end-of-stream markers arrived (a plain
 * subscription, every process gets each) and nothing is left: the local
 * queue empty (non-durable), or the consumer with nothing pending nor
 * unacknowledged anywhere (durable).  With the stream not ended and no
 * message for idle_timeout_ms, the run fails rather than wait forever.
 */

struct nats_in {
	struct pl__nats_conn conn;
	const pl_cfg_chan *ch;
	jsCtx *js;                 /* durable only */
	natsSubscription *sub;     /* the messages */
	struct pl__nats_ends ends; /* the producers that ended */
	/* Durable: the fetched messages not yet settled, by their number in
	 * the local channel modulo n_slots. */
	pthread_mutex_t mu;
	pthread_cond_t freed;
	natsMsg **slot; /* under mu */
	size_t n_slots;
	size_t held;      /* slots in use, under mu */
	uint64_t emitted; /* the generator's thread only */
	int has_sync;
};

/* How many threads read the local channel nats-in writes. */
static size_t readers(const struct en_worker *ew)
{
	const pl_config *cfg = ew->node->engine->cfg;
	int c = ew->node->cfg->output.chan;
	int consumer = cfg->chans[c].consumer;
	if (consumer < 0)
		return 1;
	const pl_cfg_node *cn = &cfg->nodes[consumer];
	return cn->type == PL_NODE_FANIN || cn->type == PL_NODE_BROADCAST ? 1 : (size_t)cn->workers;
}

static int subscribe_durable(pl_worker *w, struct nats_in *in, char *err, size_t len)
{
	natsStatus s = natsConnection_JetStream(&in->js, in->conn.nc, NULL);
	if (s != NATS_OK) {
		pl__nats_why(s, err, len);
		return PL_EIO;
	}
	char stream[PL_NATS_STREAM_MAX];
	pl__nats_stream_name(PL_NATS_DATA_STREAM, in->conn.subject, stream, sizeof(stream));
	if (pl__nats_ensure_stream(in->js, stream, in->conn.subject, 1, err, len) != 0)
		return PL_EIO;
	jsSubOptions so;
	jsSubOptions_Init(&so);
	so.Config.AckPolicy = js_AckExplicit;
	so.Config.AckWait = in->ch->nats.ack_wait_ms * 1000000;
	jsErrCode jerr = 0;
	s = js_PullSubscribe(&in->sub, in->js, in->conn.subject, in->ch->name, NULL, &so, &jerr);
	if (s != NATS_OK) {
		char why[256];
		pl__nats_why(s, why, sizeof(why));
		/* (Cut to `len` when long: a stage error holds 255 bytes.) */
		int n = strstr(why, "configuration requests") != NULL
				? snprintf(err, len,
					   "durable consumer '%s' of stream %s has other settings "
					   "(%s): use the same in every process, or delete it "
					   "(nats consumer rm)",
					   in->ch->name, stream, why)
				: snprintf(err, len,
					   "cannot consume '%s' as durable consumer '%s' of stream "
					   "%s: %s",
					   in->conn.subject, in->ch->name, stream, why);
		if (n < 0)
			err[0] = '\0';
		return PL_EIO;
	}
	in->n_slots = (size_t)in->ch->buffer + readers((struct en_worker *)w);
	in->slot = pl_mem_calloc(in->n_slots, sizeof(*in->slot));
	if (in->slot == NULL)
		return PL_ENOMEM;
	return 0;
}

static void in_fini(pl_worker *w);

static int in_open(pl_worker *w)
{
	const pl_config *cfg;
	const pl_cfg_chan *ch = pl__nats_chan_of(w, &cfg);
	struct nats_in *in = pl_mem_calloc(1, sizeof(*in));
	if (in == NULL)
		return w->host->failf(w, "out of memory");
	if (pthread_mutex_init(&in->mu, NULL) != 0) {
		free(in);
		return w->host->failf(w, "out of memory");
	}
	if (pthread_cond_init(&in->freed, NULL) != 0) {
		pthread_mutex_destroy(&in->mu);
		free(in);
		return w->host->failf(w, "out of memory");
	}
	in->has_sync = 1;
	in->ch = ch;
	w->state = in;
	char err[512];
	if (pl__nats_connect(&in->conn, ch, w->node, err, sizeof(err)) != 0)
		return w->host->failf(w, "%s", err);
	natsStatus s;
	if (ch->nats.durable) {
		int rc = subscribe_durable(w, in, err, sizeof(err));
		if (rc == PL_ENOMEM)
			return w->host->failf(w, "out of memory");
		if (rc != 0)
			return w->host->failf(w, "channel '%s': %s", ch->name, err);
	} else {
		s = natsConnection_QueueSubscribeSync(&in->sub, in->conn.nc, in->conn.subject,
						      ch->name);
		if (s == NATS_OK)
			s = natsSubscription_SetPendingLimits(in->sub, (int)ch->nats.max_pending,
							      -1);
		if (s != NATS_OK) {
			pl__nats_why(s, err, sizeof(err));
			return w->host->failf(w, "channel '%s': cannot subscribe to '%s': %s",
					      ch->name, in->conn.subject, err);
		}
	}
	int rc = pl__nats_ends_listen(&in->ends, &in->conn, in->js, err, sizeof(err));
	if (rc == PL_ENOMEM)
		return w->host->failf(w, "out of memory");
	if (rc != 0)
		return w->host->failf(w, "channel '%s': %s", ch->name, err);
	/* Both subscriptions are in place once the server has our flush. */
	s = natsConnection_FlushTimeout(in->conn.nc, 10000);
	if (s != NATS_OK) {
		pl__nats_why(s, err, sizeof(err));
		return w->host->failf(w, "channel '%s': NATS at %s: %s", ch->name, in->conn.where,
				      err);
	}
	w->host->log(w, PL_LOG_INFO, "subscribed to '%s' as %s '%s' on %s", in->conn.subject,
		     ch->nats.durable ? "durable consumer" : "queue group", ch->name,
		     in->conn.where);
	return 0;
}

/* Connects and subscribes (or prepares to publish); on failure, what was
 * set up is released here, since fini() is owed only after a success. */
static int in_init(pl_worker *w, const pl_params *params)
{
	(void)params;
	int rc = in_open(w);
	if (rc != 0)
		in_fini(w);
	return rc;
}

/* A NATS message as a message of ours, with a dead letter's reason.
 * NULL when out of memory.  Ownership: borrows `m`; the caller owns the
 * result. */
static pl_msg *to_msg(natsMsg *m)
{
	pl_msg *msg = pl_msg_new_copy(natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
	const char *node, *stage, *error, *attempts;
	if (msg != NULL && natsMsgHeader_Get(m, "Pipeline-Error", &error) == NATS_OK &&
	    natsMsgHeader_Get(m, "Pipeline-Node", &node) == NATS_OK &&
	    natsMsgHeader_Get(m, "Pipeline-Stage", &stage) == NATS_OK &&
	    natsMsgHeader_Get(m, "Pipeline-Attempts", &attempts) == NATS_OK &&
	    pl_msg_set_failure(msg, node, stage, error, (unsigned)strtoul(attempts, NULL, 10)) !=
		    0) {
		pl_msg_free(msg);
		return NULL;
	}
	return msg;
}

/* Why the stream cannot go on, as a stage error; 0 when it can. */
static int broken(pl_worker *w, struct nats_in *in, uint64_t idle_since)
{
	const pl_cfg_nats *n = &in->ch->nats;
	int64_t dropped = 0;
	if (!n->durable && natsSubscription_GetDropped(in->sub, &dropped) == NATS_OK && dropped > 0)
		return w->host->failf(
			w,
			"channel '%s': NATS dropped %" PRId64
			" messages for this process, which had "
			"max_pending (%lld) waiting: they are lost; raise max_pending or the "
			"consuming node's workers, or use durable: true (back-pressure, nothing "
			"lost)",
			in->ch->name, dropped, (long long)n->max_pending);
	if (atomic_load(&in->conn.lost)) {
		char why[256];
		pl__nats_lost_why(&in->conn, why, sizeof(why));
		return w->host->failf(w, "%s", why);
	}
	uint64_t idle = (uint64_t)n->idle_timeout_ms * 1000000u;
	if (idle != 0 && pl__now_ns() - idle_since >= idle &&
	    pl__nats_ends_count(&in->ends, NULL) < (size_t)n->producers)
		return w->host->failf(
			w,
			"channel '%s': no message on '%s' for idle_timeout_ms (%lld ms) and %zu of "
			"%lld producers ended the stream: a producer may have died, or its end "
			"been "
			"lost%s; what arrived was passed on",
			in->ch->name, in->conn.subject, (long long)n->idle_timeout_ms,
			pl__nats_ends_count(&in->ends, NULL), (long long)n->producers,
			n->durable ? "" : ", or the stream ended before this process started");
	return 0;
}

/* Answers a producer's probe (a request with Pipeline-Probe): this process
 * consumes the subject.  Nonzero when `m` was one (then it is freed). */
static int answer_probe(struct nats_in *in, natsMsg *m)
{
	const char *probe;
	if (natsMsgHeader_Get(m, "Pipeline-Probe", &probe) != NATS_OK)
		return 0;
	const char *reply = natsMsg_GetReply(m);
	if (reply != NULL)
		(void)natsConnection_Publish(in->conn.nc, reply, NULL, 0);
	natsMsg_Destroy(m);
	return 1;
}

/* The core subscription's next message within `ms`, as ours: NATS_OK
 * with *out set (probes are answered and skipped), NATS_NO_MEMORY, or
 * what the library said.  Ownership: the caller owns *out. */
static natsStatus next_core(struct nats_in *in, int64_t ms, pl_msg **out)
{
	for (;;) {
		natsMsg *m = NULL;
		natsStatus s = natsSubscription_NextMsg(&m, in->sub, ms);
		if (s != NATS_OK)
			return s;
		if (answer_probe(in, m))
			continue;
		*out = to_msg(m);
		natsMsg_Destroy(m);
		return *out != NULL ? NATS_OK : NATS_NO_MEMORY;
	}
}

/*
 * Non-durable, the pipeline stopping: NATS has handed this process
 * messages it will give no one else.  Stops the subscription (drain: no
 * more come) and passes on those already here, as the drain of a
 * pipeline does with what was produced.  Aborted (a second signal), what
 * is left counts as lost.
 */
static int drain_core(pl_worker *w, struct nats_in *in)
{
	struct en_worker *ew = (struct en_worker *)w;
	if (natsSubscription_Drain(in->sub) != NATS_OK)
		return 0;
	pl_msg *msg = NULL;
	natsStatus s;
	while ((s = next_core(in, 100, &msg)) == NATS_OK) {
		/* (Not emit(): it refuses a generator once the pipeline stops.) */
		if (pl__send_out(ew, ew->node->outs[0], msg) != 0) {
			int left = 0;
			(void)natsSubscription_GetPending(in->sub, &left, NULL);
			pl__count(&ew->c.lost, 1 + (uint64_t)(left > 0 ? left : 0));
			break;
		}
	}
	(void)natsSubscription_WaitForDrainCompletion(in->sub, 1000);
	return s == NATS_NO_MEMORY ? w->host->failf(w, "out of memory") : 0;
}

static int run_core(pl_worker *w, struct nats_in *in)
{
	uint64_t idle_since = pl__now_ns();
	while (!w->host->stopping(w)) {
		pl_msg *msg = NULL;
		natsStatus s = next_core(in, 100, &msg);
		if (s == NATS_NO_MEMORY)
			return w->host->failf(w, "out of memory");
		if (s == NATS_OK) {
			idle_since = pl__now_ns();
			/* Not emit(): a stop that comes between the loop's look at
			 * stopping() and the emit would make it refuse, and lose, a
			 * message NATS gave no one else.  This node has one output,
			 * no rate and no order, so the send is all emit() would do;
			 * it fails only when the channel is aborted. */
			struct en_worker *ew = (struct en_worker *)w;
			if (pl__send_out(ew, ew->node->outs[0], msg) != 0) {
				pl__count(&ew->c.lost, 1);
				return drain_core(w, in);
			}
			continue;
		}
		if (s == NATS_CONNECTION_CLOSED)
			atomic_store(&in->conn.lost, 1); /* on_closed() may not have run yet */
		/* A slow consumer's drops are counted by broken(). */
		if (s != NATS_TIMEOUT && s != NATS_SLOW_CONSUMER && !atomic_load(&in->conn.lost)) {
			char why[256];
			pl__nats_why(s, why, sizeof(why));
			return w->host->failf(w, "channel '%s': receiving from '%s': %s",
					      in->ch->name, in->conn.subject, why);
		}
		/* The end markers came after every message before them, on the
		 * same connection: with all of them in, an empty queue is the end. */
		int pending = 0;
		if (pl__nats_ends_count(&in->ends, NULL) >= (size_t)in->ch->nats.producers &&
		    natsSubscription_GetPending(in->sub, &pending, NULL) == NATS_OK && pending == 0)
			return broken(w, in, idle_since);
		int rc = broken(w, in, idle_since);
		if (rc != 0)
			return rc;
	}
	return drain_core(w, in);
}

/* Durable: has every message been delivered and acknowledged, by any
 * process?  (Our own acks may still be on their way: then not yet.) */
static int drained(struct nats_in *in, uint64_t *left)
{
	char stream[PL_NATS_STREAM_MAX];
	pl__nats_stream_name(PL_NATS_DATA_STREAM, in->conn.subject, stream, sizeof(stream));
	jsConsumerInfo *ci = NULL;
	jsErrCode jerr = 0;
	if (js_GetConsumerInfo(&ci, in->js, stream, in->ch->name, NULL, &jerr) != NATS_OK)
		return 0;
	*left = ci->NumPending + (uint64_t)(ci->NumAckPending > 0 ? ci->NumAckPending : 0);
	jsConsumerInfo_Destroy(ci);
	return *left == 0;
}

/*
 * How many slots from the next message's on are free (at most 256), once
 * that is worth a fetch: half of them, or any while none is held.  Each
 * fetch is a round trip to the server; fetching a slot at a time, as the
 * workers free them, would cap a process at one round trip per message.
 * 0 after waiting a while for more to be freed.
 */
static int free_slots(struct nats_in *in)
{
	size_t want = in->n_slots / 2;
	if (want > 256)
		want = 256;
	size_t n = 0;
	pthread_mutex_lock(&in->mu);
	while (n < in->n_slots && n < 256 && in->slot[(in->emitted + n) % in->n_slots] == NULL)
		n++;
	if ((n == 0 || n < want) && in->held > 0) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&in->freed, &in->mu, &ts);
		n = 0;
	}
	pthread_mutex_unlock(&in->mu);
	return (int)n;
}

/* Emits the fetched messages in `list`, each into its slot.  Returns 0,
 * 1 when the pipeline stopped taking them (the rest given back), or an
 * error.  Ownership: takes the messages of `list`. */
static int emit_fetched(pl_worker *w, struct nats_in *in, natsMsgList *list)
{
	for (int i = 0; i < list->Count; i++) {
		natsMsg *m = list->Msgs[i];
		/* A non-durable producer's probe, stored by the stream when the
		 * processes disagree on `durable`: no message. */
		const char *probe;
		if (natsMsgHeader_Get(m, "Pipeline-Probe", &probe) == NATS_OK) {
			(void)natsMsg_Ack(m, NULL);
			continue;
		}
		pl_msg *msg = to_msg(m);
		if (msg == NULL || w->host->stopping(w)) {
			for (int k = i; k < list->Count; k++)
				(void)natsMsg_Nak(list->Msgs[k], NULL);
			pl_msg_free(msg);
			return msg == NULL ? w->host->failf(w, "out of memory") : 1;
		}
		size_t at = (size_t)(in->emitted % in->n_slots);
		pthread_mutex_lock(&in->mu);
		in->slot[at] = m;
		in->held++;
		pthread_mutex_unlock(&in->mu);
		list->Msgs[i] = NULL;
		if (w->host->emit(w, msg) != 0) {
			/* Not sent: nobody will settle it. */
			pthread_mutex_lock(&in->mu);
			in->slot[at] = NULL;
			in->held--;
			pthread_mutex_unlock(&in->mu);
			(void)natsMsg_Nak(m, NULL);
			natsMsg_Destroy(m);
			for (int k = i + 1; k < list->Count; k++)
				(void)natsMsg_Nak(list->Msgs[k], NULL);
			return 1;
		}
		in->emitted++;
	}
	return 0;
}

/* Fetches up to `n` messages into `list`: waiting up to 500 ms while the
 * stream goes on, 50 ms once it has ended (then what is left is known
 * soon, and the end is not half a second late).  (A fetch with NoWait
 * returned a message or two at a time: 40 times slower.) */
static natsStatus fetch(struct nats_in *in, natsMsgList *list, int n, int ended)
{
	(void)in;
	return natsSubscription_Fetch(list, in->sub, n, ended ? 50 : 500, NULL);
}

static int run_durable(pl_worker *w, struct nats_in *in)
{
	const pl_cfg_nats *cfg = &in->ch->nats;
	uint64_t idle_since = pl__now_ns();
	while (!w->host->stopping(w)) {
		int n = free_slots(in);
		if (n == 0)
			continue;
		int ended = pl__nats_ends_count(&in->ends, NULL) >= (size_t)cfg->producers;
		natsMsgList list = { 0 };
		natsStatus s = fetch(in, &list, n, ended);
		if (s == NATS_OK) {
			idle_since = pl__now_ns();
			int rc = emit_fetched(w, in, &list);
			natsMsgList_Destroy(&list);
			if (rc != 0)
				return rc < 0 ? rc : 0;
			continue;
		}
		natsMsgList_Destroy(&list);
		uint64_t left = UINT64_MAX;
		if (s == NATS_TIMEOUT && ended && drained(in, &left)) {
			pl__nats_ends_clear(&in->ends); /* the run is complete */
			return 0;
		}
		if (s == NATS_CONNECTION_CLOSED)
			atomic_store(&in->conn.lost, 1); /* on_closed() may not have run yet */
		int rc = broken(w, in, idle_since);
		if (rc != 0)
			return rc;
		/* Ended, but messages are still out in some process: wait for their
		 * acks, or for their redelivery after ack_wait_ms; not forever. */
		uint64_t limit = (uint64_t)(cfg->idle_timeout_ms + cfg->ack_wait_ms) * 1000000u;
		if (ended && cfg->idle_timeout_ms != 0 && pl__now_ns() - idle_since >= limit)
			return w->host->failf(
				w,
				"channel '%s': the stream on '%s' ended, but after "
				"idle_timeout_ms + ack_wait_ms without a message JetStream "
				"%s",
				in->ch->name, in->conn.subject,
				left == UINT64_MAX ? "could not say what is left"
						   : "still counts messages pending or "
						     "unacknowledged");
		if (s == NATS_TIMEOUT && ended) {
			struct timespec ts = { 0, 20000000 };
			nanosleep(&ts, NULL);
		} else if (s != NATS_TIMEOUT && s != NATS_CONNECTION_DISCONNECTED) {
			char why[256];
			pl__nats_why(s, why, sizeof(why));
			w->host->log(w, PL_LOG_WARN, "fetching from '%s': %s; trying again",
				     in->conn.subject, why);
			struct timespec ts = { 0, 200000000 };
			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

static int in_generate(pl_worker *w)
{
	struct nats_in *in = w->state;
	int rc = in->ch->nats.durable ? run_durable(w, in) : run_core(w, in);
	size_t failed = 0;
	(void)pl__nats_ends_count(&in->ends, &failed);
	if (rc == 0 && failed > 0)
		w->host->log(w, PL_LOG_WARN,
			     "%zu producer%s of '%s' stopped before their input ended: the stream "
			     "is incomplete",
			     failed, failed == 1 ? "" : "s", in->conn.subject);
	return rc;
}

void pl__nats_in_settle(void *state, uint64_t seq, int done)
{
	struct nats_in *in = state;
	pthread_mutex_lock(&in->mu);
	size_t at = (size_t)(seq % in->n_slots);
	natsMsg *m = in->slot[at];
	in->slot[at] = NULL;
	if (m != NULL)
		in->held--;
	pthread_cond_signal(&in->freed);
	pthread_mutex_unlock(&in->mu);
	if (m == NULL)
		return;
	if (done)
		(void)natsMsg_Ack(m, NULL);
	else
		(void)natsMsg_Nak(m, NULL);
	natsMsg_Destroy(m);
}

pl__settle_fn pl__nats_in_settler(void *state)
{
	struct nats_in *in = state;
	return in != NULL && in->ch->nats.durable ? pl__nats_in_settle : NULL;
}

static void in_fini(pl_worker *w)
{
	struct nats_in *in = w->state;
	if (in == NULL)
		return;
	/* Emitted but never finished (the pipeline stopped): given back. */
	for (size_t i = 0; i < in->n_slots; i++)
		if (in->slot[i] != NULL) {
			(void)natsMsg_Nak(in->slot[i], NULL);
			natsMsg_Destroy(in->slot[i]);
		}
	free(in->slot);
	natsSubscription_Destroy(in->sub);
	pl__nats_ends_close(&in->ends);
	jsCtx_Destroy(in->js);
	pl__nats_disconnect(&in->conn);
	if (in->has_sync) {
		pthread_cond_destroy(&in->freed);
		pthread_mutex_destroy(&in->mu);
	}
	free(in);
	w->state = NULL;
}

const pl_stage pl__nats_in_stage = {
	.size = sizeof(pl_stage),
	.kind = PL_STAGE_GENERATOR,
	.name = "nats-in",
	.description = "the runner's: a NATS channel's messages, until every producer ended it",
	.max_workers = 1,
	.init = in_init,
	.generate = in_generate,
	.fini = in_fini,
};
