/* chan.c - bounded MPMC channel: a ring under one mutex and three condition variables. */
#include "chan.h"

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include "mem.h"
#include "msg.h"

/*
 * Lock order: only `mu`; no function calls out while holding it.
 *
 * The ring holds `slots` pointers: `capacity` of them, or one for a
 * rendezvous channel, whose sender then also waits (on `taken`) until the
 * receive counter passes the ticket its message got.
 */

struct pl_chan_tx {
	pl_chan *chan;
};

struct pl_chan_rx {
	pl_chan *chan;
};

struct pl_chan {
	pthread_mutex_t mu;
	pthread_cond_t not_full;  /* senders wait for room */
	pthread_cond_t not_empty; /* receivers wait for a message */
	pthread_cond_t taken;     /* rendezvous senders wait for pick-up */
	pl_msg **ring;
	size_t slots;    /* ring size: max(capacity, 1) */
	size_t capacity; /* as created; 0 = rendezvous */
	size_t head;     /* index of the oldest message */
	size_t count;    /* messages buffered */
	unsigned wait_send, wait_recv;
	int closed;
	int aborted;
	uint64_t sent;
	uint64_t received;
	size_t high_water;
	struct pl_chan_tx tx;
	struct pl_chan_rx rx;
};

int pl_chan_create(size_t capacity, pl_chan **out)
{
	*out = NULL;
	if (capacity > PL_CHAN_MAX_CAPACITY)
		return PL_EINVAL;
	pl_chan *c = pl_mem_calloc(1, sizeof(*c));
	if (c == NULL)
		return PL_ENOMEM;
	c->capacity = capacity;
	c->slots = capacity > 0 ? capacity : 1;
	c->ring = pl_mem_calloc(c->slots, sizeof(*c->ring));
	if (c->ring == NULL) {
		free(c);
		return PL_ENOMEM;
	}
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		goto fail_mu;
	if (pthread_cond_init(&c->not_full, NULL) != 0)
		goto fail_full;
	if (pthread_cond_init(&c->not_empty, NULL) != 0)
		goto fail_empty;
	if (pthread_cond_init(&c->taken, NULL) != 0)
		goto fail_taken;
	c->tx.chan = c;
	c->rx.chan = c;
	*out = c;
	return 0;

fail_taken:
	pthread_cond_destroy(&c->not_empty);
fail_empty:
	pthread_cond_destroy(&c->not_full);
fail_full:
	pthread_mutex_destroy(&c->mu);
fail_mu:
	free(c->ring);
	free(c);
	return PL_ENOMEM;
}

void pl_chan_destroy(pl_chan *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->count; i++)
		pl_msg_free(c->ring[(c->head + i) % c->slots]);
	pthread_cond_destroy(&c->taken);
	pthread_cond_destroy(&c->not_empty);
	pthread_cond_destroy(&c->not_full);
	pthread_mutex_destroy(&c->mu);
	free(c->ring);
	free(c);
}

pl_chan_tx *pl_chan_sender(pl_chan *c)
{
	return &c->tx;
}

pl_chan_rx *pl_chan_receiver(pl_chan *c)
{
	return &c->rx;
}

size_t pl_chan_capacity(const pl_chan *c)
{
	return c->capacity;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Starts timing a wait: now, published in *since for live readers. */
static uint64_t wait_begins(_Atomic uint64_t *since)
{
	uint64_t t0 = now_ns();
	if (since != NULL)
		atomic_store_explicit(since, t0, memory_order_relaxed);
	return t0;
}

/* Ends a wait that began at t0 (0: there was none).  *since stays set: the
 * caller clears it once it has counted *waited_ns, so that a live reader
 * never sees the wait in neither place. */
static void wait_ends(uint64_t t0, uint64_t *waited_ns, _Atomic uint64_t *since)
{
	(void)since;
	if (t0 != 0)
		*waited_ns = now_ns() - t0;
}

int pl_chan_send(pl_chan_tx *tx, pl_msg *msg)
{
	uint64_t waited;
	return pl_chan_send_timed(tx, msg, &waited, NULL);
}

int pl_chan_send_timed(pl_chan_tx *tx, pl_msg *msg, uint64_t *waited_ns, _Atomic uint64_t *since)
{
	pl_chan *c = tx->chan;
	uint64_t t0 = 0;
	assert(msg != NULL);
	*waited_ns = 0;
	pthread_mutex_lock(&c->mu);
	if (c->count == c->slots && !c->closed && !c->aborted)
		t0 = wait_begins(since);
	while (c->count == c->slots && !c->closed && !c->aborted) {
		c->wait_send++;
		pthread_cond_wait(&c->not_full, &c->mu);
		c->wait_send--;
	}
	if (c->aborted || c->closed) {
		int rc = c->aborted ? PL_ECANCELED : PL_ECLOSED;
		pthread_mutex_unlock(&c->mu);
		wait_ends(t0, waited_ns, since);
		return rc;
	}
	c->ring[(c->head + c->count) % c->slots] = msg;
	c->count++;
	uint64_t ticket = ++c->sent;
	if (c->count > c->high_water)
		c->high_water = c->count;
	if (c->wait_recv > 0)
		pthread_cond_signal(&c->not_empty);
	if (c->capacity == 0) {
		/* The message is the channel's now; wait for its pick-up, or
		 * for close, after which a drain owns it. */
		if (c->received < ticket && !c->closed && !c->aborted && t0 == 0)
			t0 = wait_begins(since);
		while (c->received < ticket && !c->closed && !c->aborted)
			pthread_cond_wait(&c->taken, &c->mu);
		if (c->received < ticket && c->aborted) {
			/* Aborted before pick-up: like every blocked send, fail
			 * with PL_ECANCELED, so hand the message back.  It is
			 * still the only one in the ring: nobody can send past
			 * it until it is taken. */
			assert(c->count == 1 && c->ring[c->head] == msg);
			c->ring[c->head] = NULL;
			c->count = 0;
			c->sent--;
			pthread_mutex_unlock(&c->mu);
			wait_ends(t0, waited_ns, since);
			return PL_ECANCELED;
		}
	}
	pthread_mutex_unlock(&c->mu);
	wait_ends(t0, waited_ns, since);
	return 0;
}

int pl_chan_recv(pl_chan_rx *rx, pl_msg **out)
{
	uint64_t waited;
	return pl_chan_recv_timed(rx, out, &waited, NULL, NULL);
}

int pl_chan_recv_timed(pl_chan_rx *rx, pl_msg **out, uint64_t *waited_ns, uint64_t *seq,
		       _Atomic uint64_t *since)
{
	pl_chan *c = rx->chan;
	uint64_t t0 = 0;
	*out = NULL;
	*waited_ns = 0;
	pthread_mutex_lock(&c->mu);
	if (c->count == 0 && !c->closed && !c->aborted)
		t0 = wait_begins(since);
	while (c->count == 0 && !c->closed && !c->aborted) {
		c->wait_recv++;
		pthread_cond_wait(&c->not_empty, &c->mu);
		c->wait_recv--;
	}
	if (c->aborted || c->count == 0) {
		int rc = c->aborted ? PL_ECANCELED : PL_ECLOSED;
		pthread_mutex_unlock(&c->mu);
		wait_ends(t0, waited_ns, since);
		return rc;
	}
	if (seq != NULL)
		*seq = c->received;
	*out = c->ring[c->head];
	c->ring[c->head] = NULL;
	c->head = (c->head + 1) % c->slots;
	c->count--;
	c->received++;
	if (c->wait_send > 0)
		pthread_cond_signal(&c->not_full);
	if (c->capacity == 0)
		pthread_cond_broadcast(&c->taken);
	pthread_mutex_unlock(&c->mu);
	wait_ends(t0, waited_ns, since);
	return 0;
}

/* Wakes everyone; called with `mu` held. */
static void wake_all(pl_chan *c)
{
	pthread_cond_broadcast(&c->not_full);
	pthread_cond_broadcast(&c->not_empty);
	pthread_cond_broadcast(&c->taken);
}

int pl_chan_close(pl_chan_tx *tx)
{
	pl_chan *c = tx->chan;
	pthread_mutex_lock(&c->mu);
	int was_closed = c->closed;
	c->closed = 1;
	wake_all(c);
	pthread_mutex_unlock(&c->mu);
	return was_closed ? PL_ECLOSED : 0;
}

void pl_chan_abort(pl_chan *c)
{
	pthread_mutex_lock(&c->mu);
	c->aborted = 1;
	wake_all(c);
	pthread_mutex_unlock(&c->mu);
}

uint64_t pl_chan_received(pl_chan_rx *rx)
{
	pl_chan *c = rx->chan;
	pthread_mutex_lock(&c->mu);
	uint64_t received = c->received;
	pthread_mutex_unlock(&c->mu);
	return received;
}

void pl_chan_get_stats(pl_chan *c, pl_chan_stats *out)
{
	pthread_mutex_lock(&c->mu);
	out->sent = c->sent;
	out->received = c->received;
	out->buffered = c->count;
	out->high_water = c->high_water;
	pthread_mutex_unlock(&c->mu);
}
