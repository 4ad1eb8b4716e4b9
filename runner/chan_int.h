/* chan_int.h - a channel's insides, shared by chan.c (the lock-free ring) and chan_sync.c. */
#ifndef PL_RUNNER_CHAN_INT_H
#define PL_RUNNER_CHAN_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "chan.h"
#include "clock.h"

/*
 * Two implementations behind one type:
 *
 *   capacity >= 1: a bounded lock-free ring (Dmitry Vyukov's MPMC queue):
 *     each cell carries a sequence number that says whose turn it is, a
 *     sender claims a position by advancing `tail`, a receiver by
 *     advancing `head`.  Nobody takes a lock while the ring has room and
 *     messages; a thread that finds it full or empty spins briefly, yields,
 *     then parks on `mu` and a condition variable (chan.c).
 *   capacity 0: a rendezvous, a one-slot ring under `mu` whose sender also
 *     waits until its message was taken (chan_sync.c).
 *
 * The hot fields of the ring each sit on a cache line of their own, so that
 * senders and receivers do not invalidate each other's lines beyond the
 * cells they hand over.
 */

#define PL_CACHE_LINE 64

struct pl_chan_tx {
	pl_chan *chan;
};

struct pl_chan_rx {
	pl_chan *chan;
};

/* One ring slot.  `seq` says who may use it at which position: a sender
 * at pos when it is 2 pos, a receiver at pos when it is 2 pos + 1. */
struct chan_cell {
	_Atomic uint64_t seq;
	pl_msg *msg;
};

/* Where one side of a ring parks (chan.c). */
struct chan_park {
	pthread_cond_t cv;       /* under mu */
	atomic_uint waiters;     /* parked, or about to park */
	atomic_int wake_pending; /* signalled, and nobody woke up since */
	atomic_uint spin_ns;     /* how long a wait spins before it yields */
	atomic_uint yield_limit; /* then how long it yields before it parks */
};

/* The rendezvous channel's state, all under `mu`. */
struct chan_sync {
	pl_msg *slot;
	size_t count; /* 0 or 1 */
	unsigned wait_send, wait_recv;
	uint64_t sent, received;
	size_t high_water;
};

/* The padding is the point: each hot group of fields has a cache line. */
struct pl_chan { /* NOLINT(clang-analyzer-optin.performance.Padding) */
	/* Read-mostly: set at creation, or once (closed, aborted). */
	size_t capacity;         /* as created; 0 = rendezvous */
	size_t slots;            /* cells in the ring */
	uint64_t mask;           /* slots - 1 when slots is a power of two */
	int pow2;                /* slots is a power of two */
	struct chan_cell *cells; /* NULL for a rendezvous */
	int single_sender;       /* one thread sends: tail is its own */
	int single_receiver;     /* one thread receives: head is its own */
	int spin;                /* waits may spin (pl_chan_set_spin()) */
	unsigned poll_pauses;    /* a spinning wait looks every this many pauses */
	atomic_int closed;       /* by close(), once */
	atomic_int aborted;      /* by abort() */
	struct pl_chan_tx tx;
	struct pl_chan_rx rx;
	/* Parking, and the whole rendezvous channel. */
	pthread_mutex_t mu;
	pthread_cond_t taken; /* rendezvous senders wait for pick-up */
	struct chan_sync sync;

	/* The ring's positions: messages ever sent, and ever received. */
	_Alignas(PL_CACHE_LINE) _Atomic uint64_t tail;
	_Atomic size_t high_water;
	uint64_t cached_head; /* a single sender's last look at head */
	_Alignas(PL_CACHE_LINE) _Atomic uint64_t head;
	/* Senders parked for room, receivers for a message. */
	_Alignas(PL_CACHE_LINE) struct chan_park senders;
	struct chan_park receivers;
};

/* Has abort() been called?  (Relaxed: the flag only stops traffic.) */
static inline int pl__chan_aborted(pl_chan *c)
{
	return atomic_load_explicit(&c->aborted, memory_order_relaxed);
}

/* Has close() been called?  An acquire: every send before the close
 * happens before what follows the look. */
static inline int pl__chan_closed(pl_chan *c)
{
	return atomic_load_explicit(&c->closed, memory_order_acquire);
}

/* Starts timing a wait: now, published in *since for live readers. */
static inline uint64_t pl__chan_wait_begins(_Atomic uint64_t *since)
{
	uint64_t t0 = pl__now_ns();
	if (since != NULL)
		atomic_store_explicit(since, t0, memory_order_relaxed);
	return t0;
}

/* Ends a wait that began at t0 (0: there was none).  *since stays set: the
 * caller clears it once it has counted *waited_ns, so that a live reader
 * never sees the wait in neither place. */
static inline void pl__chan_wait_ends(uint64_t t0, uint64_t *waited_ns)
{
	if (t0 != 0)
		*waited_ns = pl__now_ns() - t0;
}

/* The rendezvous channel (chan_sync.c); the same contracts as chan.h's. */
int pl__chan_sync_send(pl_chan *c, pl_msg *msg, uint64_t *waited_ns, _Atomic uint64_t *since);
int pl__chan_sync_recv(pl_chan *c, pl_msg **out, uint64_t *waited_ns, uint64_t *seq,
		       _Atomic uint64_t *since);
void pl__chan_sync_stats(pl_chan *c, pl_chan_stats *out);

#endif /* PL_RUNNER_CHAN_INT_H */
