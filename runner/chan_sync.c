/* chan_sync.c - the rendezvous channel (buffer 0): one slot under a mutex, and a sender that waits
 * for pick-up. */
#include <assert.h>

#include "chan_int.h"

/*
 * Lock order: only `mu`; no function calls out while holding it.
 *
 * The slot holds one message; its sender then waits (on `taken`) until the
 * receive counter passes the ticket its message got.  closed and aborted
 * are atomics only because the ring reads them without the lock; here they
 * change and are read under `mu`.
 */

/* Ownership: on success the channel takes `msg`; on failure the caller keeps it. */
int pl__chan_sync_send(pl_chan *c, pl_msg *msg, uint64_t *waited_ns, _Atomic uint64_t *since)
{
	struct chan_sync *s = &c->sync;
	uint64_t t0 = 0;
	pthread_mutex_lock(&c->mu);
	if (s->count == 1 && !pl__chan_closed(c) && !pl__chan_aborted(c))
		t0 = pl__chan_wait_begins(since);
	while (s->count == 1 && !pl__chan_closed(c) && !pl__chan_aborted(c)) {
		s->wait_send++;
		pthread_cond_wait(&c->senders.cv, &c->mu);
		s->wait_send--;
	}
	if (pl__chan_aborted(c) || pl__chan_closed(c)) {
		int rc = pl__chan_aborted(c) ? PL_ECANCELED : PL_ECLOSED;
		pthread_mutex_unlock(&c->mu);
		pl__chan_wait_ends(t0, waited_ns);
		return rc;
	}
	s->slot = msg;
	s->count = 1;
	uint64_t ticket = ++s->sent;
	s->high_water = 1;
	if (s->wait_recv > 0)
		pthread_cond_signal(&c->receivers.cv);
	/* The message is the channel's now; wait for its pick-up, or for
	 * close, after which a drain owns it. */
	if (s->received < ticket && !pl__chan_closed(c) && !pl__chan_aborted(c) && t0 == 0)
		t0 = pl__chan_wait_begins(since);
	while (s->received < ticket && !pl__chan_closed(c) && !pl__chan_aborted(c))
		pthread_cond_wait(&c->taken, &c->mu);
	if (s->received < ticket && pl__chan_aborted(c)) {
		/* Aborted before pick-up: like every blocked send, fail with
		 * PL_ECANCELED, so hand the message back.  It is still in the
		 * slot: nobody can send past it until it is taken. */
		assert(s->count == 1 && s->slot == msg);
		s->slot = NULL;
		s->count = 0;
		s->sent--;
		pthread_mutex_unlock(&c->mu);
		pl__chan_wait_ends(t0, waited_ns);
		return PL_ECANCELED;
	}
	pthread_mutex_unlock(&c->mu);
	pl__chan_wait_ends(t0, waited_ns);
	return 0;
}

/* Ownership: on success the caller owns *out. */
int pl__chan_sync_recv(pl_chan *c, pl_msg **out, uint64_t *waited_ns, uint64_t *seq,
		       _Atomic uint64_t *since)
{
	struct chan_sync *s = &c->sync;
	uint64_t t0 = 0;
	pthread_mutex_lock(&c->mu);
	if (s->count == 0 && !pl__chan_closed(c) && !pl__chan_aborted(c))
		t0 = pl__chan_wait_begins(since);
	while (s->count == 0 && !pl__chan_closed(c) && !pl__chan_aborted(c)) {
		s->wait_recv++;
		pthread_cond_wait(&c->receivers.cv, &c->mu);
		s->wait_recv--;
	}
	if (pl__chan_aborted(c) || s->count == 0) {
		int rc = pl__chan_aborted(c) ? PL_ECANCELED : PL_ECLOSED;
		pthread_mutex_unlock(&c->mu);
		pl__chan_wait_ends(t0, waited_ns);
		return rc;
	}
	if (seq != NULL)
		*seq = s->received;
	*out = s->slot;
	s->slot = NULL;
	s->count = 0;
	s->received++;
	if (s->wait_send > 0)
		pthread_cond_signal(&c->senders.cv);
	pthread_cond_broadcast(&c->taken);
	pthread_mutex_unlock(&c->mu);
	pl__chan_wait_ends(t0, waited_ns);
	return 0;
}

void pl__chan_sync_stats(pl_chan *c, pl_chan_stats *out)
{
	pthread_mutex_lock(&c->mu);
	out->sent = c->sync.sent;
	out->received = c->sync.received;
	out->buffered = c->sync.count;
	out->high_water = c->sync.high_water;
	pthread_mutex_unlock(&c->mu);
}
