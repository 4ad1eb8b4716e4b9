/* engine_worker.c - what each worker thread runs: a stage's loop, its error policy, fan-in and
 * broadcast. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "error.h"
#include "msg.h"

/*
 * Each function here runs on one worker's thread and writes only that
 * worker's fields.  An ordered node's workers also share the node's turn
 * (turn_mu, taken alone, never with another lock held).
 */

/* The longest uninterrupted sleep: a stop is noticed at least this often. */
#define SLICE_NS 50000000u /* 50 ms */

int pl__sleep(uint64_t ns, struct en_worker *w, int (*cancel)(struct en_worker *w))
{
	uint64_t deadline = pl__now_ns() + ns;
	for (;;) {
		if (cancel(w))
			return PL_ECANCELED;
		uint64_t now = pl__now_ns();
		if (now >= deadline)
			return 0;
		uint64_t step = deadline - now < SLICE_NS ? deadline - now : SLICE_NS;
		struct timespec ts = { .tv_sec = (time_t)(step / 1000000000u),
				       .tv_nsec = (long)(step % 1000000000u) };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
}

int pl__rate_wait(struct en_rate *r, struct en_worker *w, int (*cancel)(struct en_worker *w),
		  pl__counter *waited, pl__counter *since)
{
	uint64_t now = pl__now_ns();
	uint64_t tat = atomic_load_explicit(&r->tat, memory_order_relaxed), start;
	do
		start = tat > now ? tat : now;
	while (!atomic_compare_exchange_weak_explicit(&r->tat, &tat, start + r->interval_ns,
						      memory_order_relaxed, memory_order_relaxed));
	if (start <= now)
		return 0;
	atomic_store_explicit(&w->waiting, EN_WAIT_RATE, memory_order_relaxed);
	atomic_store_explicit(since, now, memory_order_relaxed);
	int rc = pl__sleep(start - now, w, cancel);
	pl__count(waited, pl__now_ns() - now);
	atomic_store_explicit(since, 0, memory_order_relaxed);
	atomic_store_explicit(&w->waiting, EN_WAIT_CHANNEL, memory_order_relaxed);
	return rc;
}

/* Is the worker's node cancelled (so its work is lost)? */
static int node_cancelled(struct en_worker *w)
{
	return pl__node_cancelled(w->node);
}

int pl__send_out(struct en_worker *w, pl_chan_tx *tx, pl_msg *msg)
{
	uint64_t waited;
	size_t len = pl_msg_len(msg);
	atomic_store_explicit(&w->sending_on, tx, memory_order_relaxed);
	int rc = pl_chan_send_timed(tx, msg, &waited, &w->c.out_since);
	pl__count(&w->c.wait_out_ns, waited);
	atomic_store_explicit(&w->c.out_since, 0, memory_order_relaxed);
	if (rc != 0) {
		/* The output closes only after this node's workers all returned,
		 * so a failure here is an abort. */
		pl_msg_free(msg);
		return PL_ECANCELED;
	}
	pl__count(&w->c.out, 1);
	pl__count(&w->c.out_bytes, len);
	return 0;
}

/* Waits until the turn is `seq` (or the node is cancelled), then sends
 * what the worker holds; with `advance`, passes the turn on.  Returns 0,
 * or PL_ECANCELED (what it held is freed). */
static int commit(struct en_worker *w, uint64_t seq, int advance)
{
	struct en_node *n = w->node;
	int rc = 0;
	uint64_t t0 = 0;
	pthread_mutex_lock(&n->turn_mu);
	while (n->turn != seq && !pl__node_cancelled(n)) {
		if (t0 == 0) {
			t0 = pl__now_ns();
			atomic_store_explicit(&w->waiting, EN_WAIT_TURN, memory_order_relaxed);
			atomic_store_explicit(&w->c.out_since, t0, memory_order_relaxed);
		}
		pthread_cond_wait(&n->turn_cv, &n->turn_mu);
	}
	int mine = n->turn == seq;
	pthread_mutex_unlock(&n->turn_mu);
	if (t0 != 0) {
		pl__count(&w->c.wait_out_ns, pl__now_ns() - t0);
		atomic_store_explicit(&w->c.out_since, 0, memory_order_relaxed);
		atomic_store_explicit(&w->waiting, EN_WAIT_CHANNEL, memory_order_relaxed);
	}
	/* While the turn is ours nobody else sends: no lock is needed. */
	size_t i = 0;
	for (; mine && rc == 0 && i < w->n_held; i++)
		rc = pl__send_out(w, w->node->outs[0], w->held[i]);
	for (; i < w->n_held; i++)
		pl_msg_free(w->held[i]);
	w->n_held = 0;
	if (!mine)
		return PL_ECANCELED;
	if (advance) {
		pthread_mutex_lock(&n->turn_mu);
		n->turn++;
		pthread_cond_broadcast(&n->turn_cv);
		pthread_mutex_unlock(&n->turn_mu);
	}
	return rc;
}

int pl__ordered_commit(struct en_worker *w, uint64_t seq)
{
	return commit(w, seq, 1);
}

int pl__ordered_flush(struct en_worker *w)
{
	if (w->n_held == 0)
		return 0;
	/* Every ticket was handed out once the input closed: the turn reaches
	 * their count when all of them are committed, and stays there. */
	return commit(w, pl_chan_received(w->in), 0);
}

/* Frees what an ordered worker held for an attempt that failed. */
static void drop_held(struct en_worker *w)
{
	for (size_t i = 0; i < w->n_held; i++)
		pl_msg_free(w->held[i]);
	w->n_held = 0;
}

/* Remembers the first failure a policy routed, for the summary. */
static void note_routed(struct en_worker *w)
{
	if (w->first_error[0] == '\0')
		snprintf(w->first_error, sizeof(w->first_error), "%s", w->error);
}

/* Sends a failed message, with why it failed, to the dead-letter channel.
 * Ownership: takes `msg`. */
static void dead_letter(struct en_worker *w, pl_msg *msg, unsigned attempts)
{
	const pl_cfg_node *cn = w->node->cfg;
	if (pl_msg_set_failure(msg, cn->name, cn->stage_desc->name, w->error, attempts) != 0) {
		/* Out of memory: the message goes on without its reason. */
		w->pub.host->log(&w->pub, PL_LOG_WARN,
				 "out of memory attaching the error to a dead letter");
	}
	uint64_t waited;
	atomic_store_explicit(&w->sending_on, w->node->dead, memory_order_relaxed);
	int rc = pl_chan_send_timed(w->node->dead, msg, &waited, &w->c.out_since);
	pl__count(&w->c.wait_out_ns, waited);
	atomic_store_explicit(&w->c.out_since, 0, memory_order_relaxed);
	if (rc != 0) {
		pl_msg_free(msg);
		pl__count(&w->c.lost, 1);
		return;
	}
	pl__count(&w->c.dead, 1);
}

/* Outcomes of one input message. */
enum { DONE, ROUTED, LOST, FAILED };

/*
 * Runs process() on one input, with the node's retry and on_error policy.
 * Returns DONE, ROUTED (skipped or dead-lettered), LOST (the pipeline is
 * stopping under it), or FAILED (w->rc and w->error say why; the worker
 * ends).  Ownership: takes `msg`.
 */
static int handle(struct en_worker *w, const pl_stage *st, pl_msg *msg)
{
	struct en_node *n = w->node;
	const pl_cfg_node *cn = n->cfg;
	unsigned attempts = (unsigned)cn->retry_attempts;
	/* Retrying and dead-lettering need the message as it came in, and
	 * process() takes it: keep a copy (only these nodes pay for it). */
	pl_msg *orig = NULL;
	if (attempts > 1 || n->dead != NULL) {
		orig = pl_msg_copy(msg);
		if (orig == NULL) {
			pl_msg_free(msg);
			pl__count(&w->c.failed, 1);
			w->rc = PL_ENOMEM;
			snprintf(w->error, sizeof(w->error),
				 "out of memory keeping a copy of a message for retry or dead "
				 "letter");
			return FAILED;
		}
	}
	unsigned attempt = 1;
	int rc;
	for (;;) {
		w->error[0] = '\0';
		w->emit_lost = 0;
		uint64_t out_before = pl__counted(&w->c.out) + w->n_held;
		rc = st->process(&w->pub, msg);
		msg = NULL;
		if (w->emit_lost || (rc == PL_ECANCELED && pl__node_cancelled(n)) ||
		    (pl__node_cancelled(n) && st->kind == PL_STAGE_TRANSFORM &&
		     pl__counted(&w->c.out) + w->n_held == out_before)) {
			/* Stopped under it: its outputs can no longer all arrive. */
			pl_msg_free(orig);
			drop_held(w);
			return LOST;
		}
		if (rc == 0)
			break;
		if (rc == PL_ECANCELED) {
			rc = PL_ESTAGE;
			snprintf(w->error, sizeof(w->error),
				 "the stage returned PL_ECANCELED while the pipeline was not "
				 "stopping");
		}
		if (w->error[0] == '\0')
			pl__describe_rc(w->error, sizeof(w->error), rc);
		if (attempt >= attempts)
			break;
		/* Try again after the backoff, doubling each time (at most 60 s). */
		uint64_t backoff = (uint64_t)cn->retry_backoff_ms * 1000000u;
		for (unsigned k = 1; k < attempt && backoff < 60000000000u; k++)
			backoff *= 2;
		if (backoff > 60000000000u)
			backoff = 60000000000u;
		drop_held(w);
		atomic_store_explicit(&w->waiting, EN_WAIT_RETRY, memory_order_relaxed);
		atomic_store_explicit(&w->retry_since, pl__now_ns(), memory_order_relaxed);
		int slept = pl__sleep(backoff, w, node_cancelled);
		atomic_store_explicit(&w->retry_since, 0, memory_order_relaxed);
		atomic_store_explicit(&w->waiting, EN_WAIT_CHANNEL, memory_order_relaxed);
		if (slept != 0) {
			pl_msg_free(orig);
			return LOST;
		}
		msg = pl_msg_copy(orig);
		if (msg == NULL) {
			pl_msg_free(orig);
			pl__count(&w->c.failed, 1);
			w->rc = PL_ENOMEM;
			snprintf(w->error, sizeof(w->error), "out of memory retrying a message");
			return FAILED;
		}
		attempt++;
		pl__count(&w->c.retries, 1);
	}
	if (rc == 0) {
		pl_msg_free(orig);
		return DONE;
	}
	drop_held(w);
	switch (cn->on_error) {
	case PL_ON_ERROR_SKIP:
		pl_msg_free(orig);
		note_routed(w);
		pl__count(&w->c.skipped, 1);
		return ROUTED;
	case PL_ON_ERROR_DEAD_LETTER:
		note_routed(w);
		dead_letter(w, orig, attempt);
		return ROUTED;
	default:
		pl_msg_free(orig);
		pl__count(&w->c.failed, 1);
		w->rc = rc;
		return FAILED;
	}
}

/* Receives the next input message, counting it and the time blocked (and,
 * with `seq`, its number in the input's order).  Returns what
 * pl_chan_recv_timed() returns.  Ownership: on success the caller owns
 * *msg. */
static int take(struct en_worker *w, pl_msg **msg, uint64_t *seq)
{
	uint64_t waited;
	int rc = pl_chan_recv_timed(w->in, msg, &waited, seq, &w->c.in_since);
	pl__count(&w->c.wait_in_ns, waited);
	atomic_store_explicit(&w->c.in_since, 0, memory_order_relaxed);
	if (rc == 0) {
		pl__count(&w->c.in, 1);
		pl__count(&w->c.in_bytes, pl_msg_len(*msg));
	}
	return rc;
}

/* Tells a durable nats-in feeding the worker whether it is done with
 * input number `seq` (bridge.h). */
static void settle(struct en_worker *w, uint64_t seq, int done)
{
	if (w->settle != NULL)
		w->settle(w->settle_state, seq, done);
}

/* Transforms and sinks: receive until the input ends. */
static int consume(struct en_worker *w, const pl_stage *st)
{
	struct en_node *n = w->node;
	int ordered = n->cfg->ordered;
	for (;;) {
		pl_msg *msg;
		uint64_t seq = 0;
		int rc = take(w, &msg, ordered || w->settle != NULL ? &seq : NULL);
		if (rc == PL_ECLOSED) {
			rc = st->flush != NULL ? st->flush(&w->pub) : 0;
			/* What an ordered worker's flush() emitted goes after every
			 * input's outputs. */
			if (ordered)
				(void)pl__ordered_flush(w);
			return rc;
		}
		if (rc != 0)
			return 0; /* aborted: upstream of a failure, not ours */
		int outcome;
		if (n->rate.interval_ns != 0 &&
		    pl__rate_wait(&n->rate, w, node_cancelled, &w->c.wait_in_ns, &w->c.in_since) !=
			    0) {
			pl_msg_free(msg);
			outcome = LOST;
		} else {
			outcome = handle(w, st, msg);
		}
		/* Every input takes its turn, even one with no output, so that
		 * the inputs after it can go. */
		if (ordered && pl__ordered_commit(w, seq) != 0 && outcome == DONE)
			outcome = LOST;
		settle(w, seq, outcome == DONE || outcome == ROUTED);
		if (outcome == LOST)
			pl__count(&w->c.lost, 1);
		if (outcome == FAILED)
			return w->rc;
	}
}

/* A fan-in's worker: forwards one input to the shared output. */
static void forward(struct en_worker *w)
{
	pl_msg *msg;
	uint64_t seq = 0;
	while (take(w, &msg, w->settle != NULL ? &seq : NULL) == 0) {
		int rc = pl__send_out(w, w->node->outs[0], msg);
		settle(w, seq, rc == 0);
		if (rc != 0) {
			pl__count(&w->c.lost, 1);
			return;
		}
	}
}

/* A broadcast's one worker: each message to every output in turn, so the
 * slowest output sets the pace (back-pressure), and each output keeps the
 * input's order.  Returns 0, or PL_ENOMEM (w->error says so). */
static int broadcast(struct en_worker *w)
{
	struct en_node *n = w->node;
	pl_msg *msg;
	uint64_t seq = 0;
	while (take(w, &msg, w->settle != NULL ? &seq : NULL) == 0) {
		for (size_t k = 0; k < n->n_main; k++) {
			/* The last output gets the message itself. */
			pl_msg *copy = k + 1 < n->n_main ? pl_msg_copy(msg) : msg;
			if (copy == NULL) {
				pl_msg_free(msg);
				settle(w, seq, 0);
				pl__count(&w->c.failed, 1);
				snprintf(w->error, sizeof(w->error),
					 "out of memory copying a message for output '%s'",
					 n->cfg->outputs[k].name);
				return PL_ENOMEM;
			}
			if (pl__send_out(w, n->outs[k], copy) != 0) {
				if (copy != msg)
					pl_msg_free(msg);
				settle(w, seq, 0);
				pl__count(&w->c.lost, 1);
				return 0;
			}
		}
		settle(w, seq, 1);
	}
	return 0;
}

void *pl__worker_main(void *arg)
{
	struct en_worker *w = arg;
	struct en_node *n = w->node;
	pl_engine *e = n->engine;
	const pl_stage *st = n->cfg->stage_desc;
	int rc = 0;

	pl__count(&w->c.start_ns, pl__now_ns());
	pl__msg_cache_attach(&w->msg_cache);
	atomic_store_explicit(&w->running, 1, memory_order_relaxed);
	if (n->cfg->type == PL_NODE_FANIN)
		forward(w);
	else if (n->cfg->type == PL_NODE_BROADCAST)
		rc = broadcast(w);
	else if (st->kind == PL_STAGE_GENERATOR)
		rc = st->generate(&w->pub);
	else
		rc = consume(w, st);
	atomic_store_explicit(&w->running, 0, memory_order_relaxed);
	pl__msg_cache_detach();

	/* PL_ECANCELED is a clean return only for a worker told to stop; from
	 * any other it would leave its input unread and its upstream blocked. */
	if (rc == PL_ECANCELED && !pl__worker_stopping(w)) {
		rc = PL_ESTAGE;
		snprintf(w->error, sizeof(w->error),
			 "the stage returned PL_ECANCELED while the pipeline was not stopping");
	}
	if (rc != 0 && rc != PL_ECANCELED && w->error[0] == '\0')
		pl__describe_rc(w->error, sizeof(w->error), rc);
	if (rc != 0 && rc != PL_ECANCELED && st != NULL && st->kind == PL_STAGE_GENERATOR &&
	    n->cfg->on_error == PL_ON_ERROR_SKIP) {
		/* on_error: skip on a generator: its failure ends it, not the
		 * pipeline. */
		note_routed(w);
		pl__count(&w->c.skipped, 1);
		rc = 0;
	}
	if (rc != 0 && rc != PL_ECANCELED) {
		w->rc = rc;
		/* Generators everywhere stop producing at once. */
		atomic_store(&e->stopping, 1);
	}
	pl__count(&w->c.end_ns, pl__now_ns());
	/* The wait group: the node's last worker to return closes its
	 * outputs, once each, on behalf of the node. */
	if (atomic_fetch_sub(&n->live, 1) == 1)
		for (size_t k = 0; k < n->n_outs; k++)
			pl_chan_close(n->outs[k]);

	pthread_mutex_lock(&e->mu);
	if (w->rc != 0 && !n->failed) {
		n->failed = 1;
		e->failures++;
	}
	e->running--;
	pthread_cond_signal(&e->changed);
	pthread_mutex_unlock(&e->mu);
	return NULL;
}
