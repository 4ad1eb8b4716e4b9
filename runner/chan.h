/* chan.h - bounded multi-producer multi-consumer channels with Go's semantics. */
#ifndef PL_RUNNER_CHAN_H
#define PL_RUNNER_CHAN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/plugin.h"

/*
 * A channel carries messages from the node that writes it to the node that
 * reads it, in FIFO order per sender.  The two ends are separate handle types
 * so that a reader cannot even name close():
 *
 *   pl_chan_tx  send, close          (held by the producing node's workers)
 *   pl_chan_rx  recv                 (held by the consuming node's workers)
 *
 * capacity 0 is a rendezvous: a send returns only once a receiver has taken
 * the message, as with an unbuffered Go channel.
 *
 * close() is the producer's "no more messages": receivers still drain what is
 * buffered, then get PL_ECLOSED.  abort() is the runner's emergency stop:
 * every blocked or later send and receive returns PL_ECANCELED at once and the
 * buffered messages are freed by destroy().  Both wake every blocked thread.
 *
 * All functions are thread-safe except create and destroy.
 */

typedef struct pl_chan pl_chan;
typedef struct pl_chan_tx pl_chan_tx;
typedef struct pl_chan_rx pl_chan_rx;

/* Counters, read after the threads using the channel have been joined (or
 * under no expectation of consistency while they run). */
typedef struct pl_chan_stats {
	uint64_t sent;     /* messages accepted by send */
	uint64_t received; /* messages handed out by recv */
	size_t buffered;   /* messages in the channel now */
	/* Most messages ever buffered at once, as a send found it (counting
	 * the messages up to its own): exact with one sending thread; with
	 * several, a send whose position is claimed but not yet filled
	 * counts, so it may exceed the true peak by up to the number of
	 * senders minus one.  Never above the capacity. */
	size_t high_water;
} pl_chan_stats;

/* Creates a channel holding at most `capacity` messages (0: rendezvous).
 * Returns 0, PL_EINVAL for a capacity over PL_CHAN_MAX_CAPACITY, PL_ENOMEM. */
#define PL_CHAN_MAX_CAPACITY ((size_t)1 << 24)
int pl_chan_create(size_t capacity, pl_chan **out);

/*
 * pl_chan_create() for a channel that exactly `senders` threads will ever
 * send on, and `receivers` threads receive from (0: any number).  With
 * one, that side of the ring needs no atomic read-modify-write per
 * message.  Sends from different threads that never overlap (an ordered
 * node's workers, one turn at a time) count as many senders.
 */
int pl_chan_create_ends(size_t capacity, unsigned senders, unsigned receivers, pl_chan **out);

/*
 * Whether a send or receive that must wait may spin a little first (the
 * default), which pays when the threads on both sides each have a core,
 * or should only yield the core, then park.  Call before the channel is
 * used.
 */
void pl_chan_set_spin(pl_chan *c, int spin);

/* Frees the channel and every message still buffered in it.  No thread may
 * use it any more.  NULL does nothing. */
void pl_chan_destroy(pl_chan *c);

/* The two ends; they live as long as the channel. */
pl_chan_tx *pl_chan_sender(pl_chan *c);
pl_chan_rx *pl_chan_receiver(pl_chan *c);

/* Sends `msg`, blocking while the channel is full (or, for a rendezvous,
 * until a receiver has taken it).  Returns 0; PL_ECLOSED if the channel was
 * closed before the message was accepted; PL_ECANCELED if it was aborted.
 * Ownership: on success the channel takes `msg`; on failure the caller keeps
 * it.  A rendezvous send whose message was accepted into the channel but not
 * yet taken when the channel is closed returns 0: receivers will drain it. */
int pl_chan_send(pl_chan_tx *tx, pl_msg *msg);

/* Receives the oldest message, blocking while the channel is empty and open.
 * Returns 0 and stores it in *out; PL_ECLOSED once the channel is closed and
 * drained (end of stream); PL_ECANCELED if it was aborted.
 * Ownership: on success the caller owns *out; on failure *out is NULL. */
int pl_chan_recv(pl_chan_rx *rx, pl_msg **out);

/* pl_chan_send() that also stores in *waited_ns how long it was blocked
 * (0 when it was not; the clock is read only when it blocks) and, when
 * `since` is not NULL, publishes there when it began blocking (for a live
 * reader; relaxed atomics), which the caller sets back to 0 once it has
 * counted *waited_ns. */
int pl_chan_send_timed(pl_chan_tx *tx, pl_msg *msg, uint64_t *waited_ns, _Atomic uint64_t *since);

/* pl_chan_recv() that also stores in *waited_ns and *since what
 * pl_chan_send_timed() does,
 * and in *seq (when not NULL) the message's place in the channel's order
 * of receipt: 0 for the first message ever received, then 1, 2, ...  Each
 * is its position in the ring, claimed once (by a compare-and-swap when
 * several threads receive), so concurrent receivers hold distinct,
 * gap-free numbers. */
int pl_chan_recv_timed(pl_chan_rx *rx, pl_msg **out, uint64_t *waited_ns, uint64_t *seq,
		       _Atomic uint64_t *since);

/* How many messages were received from the channel so far (the next
 * receive's number in pl_chan_recv_timed()'s *seq). */
uint64_t pl_chan_received(pl_chan_rx *rx);

/* Marks the end of the stream and wakes every blocked sender and receiver.
 * Returns 0, or PL_ECLOSED if it was already closed (nothing else changes). */
int pl_chan_close(pl_chan_tx *tx);

/* Stops all traffic at once (see above).  Idempotent; may be called by any
 * thread, reader or writer: it is the runner's, not a stage's. */
void pl_chan_abort(pl_chan *c);

/* A snapshot of the counters. */
void pl_chan_get_stats(pl_chan *c, pl_chan_stats *out);

/* The capacity given to pl_chan_create(). */
size_t pl_chan_capacity(const pl_chan *c);

#endif /* PL_RUNNER_CHAN_H */
