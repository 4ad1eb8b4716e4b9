/* chan.c - bounded channels: a lock-free ring that parks only when it must (chan_int.h). */
#include "chan.h"

#include <assert.h>
#include <sched.h>
#include <stdlib.h>

#include "chan_int.h"
#include "mem.h"
#include "msg.h"

/*
 * The ring (capacity >= 1).  Positions only grow: the message sent at
 * position p lives in cell p % slots.  A cell's seq is 2p when a sender may
 * fill it at p, 2p + 1 once it holds p's message, and 2(p + slots) once its
 * receiver emptied it, ready for the sender at p + slots.  (Vyukov's queue
 * counts by one, which cannot tell "full at p" from "free at p + 1" with a
 * single cell; counting by two can, so buffer 1 needs no special case.)
 * A sender claims p by a compare-and-swap of `tail` from p to p + 1 when
 * the cell's seq is 2p, a receiver by one of `head` when it is 2p + 1; the
 * seq stores that follow hand the cell over, the seq loads (acquire) take
 * it.  The stores are sequentially consistent, not merely release: the
 * parking handshake below depends on it.
 *
 * Waiting: a thread that finds the ring full (or empty) spins (first
 * without reading the clock, then on it), yields, then parks: under `mu`
 * it counts itself in senders.waiters (receivers.waiters), checks its cell
 * once more and sleeps on senders.cv (receivers.cv).  Whoever hands a cell over the
 * other way loads the waiter count after its seq store; both sides' store
 * and load are sequentially consistent, so either the parker sees the cell
 * or the other side sees the parker, takes `mu` (which the parker holds
 * until it sleeps) and signals.  No wake-up is lost and, while nobody
 * parks, nobody takes the lock.
 *
 * How long to spin and to yield adapts per channel side (wait_end()): a
 * wait a spin could have covered makes the spin long enough for it, a
 * longer one (the other side is slow) halves it; a wait that yielding
 * ended allows more yields, one that parked fewer.  Spinning pays when the
 * other side runs on another core, and is waste when it waits for this
 * core: then a yield hands the core over at once.  The engine turns
 * spinning off (pl_chan_set_spin()) when its threads outnumber the cores.
 *
 * Lock order: only `mu`, held for parking and signalling, never across a
 * call out.
 */

/*
 * Spinning, in nanoseconds of the monotonic clock (a pause lasts from a
 * few to 140 cycles, depending on the CPU): up to 50 us, which covers the
 * time a parked thread takes to be woken and run again, so that a side
 * that parked once does not make the other park in turn.
 */
#define SPIN_MAX_NS   50000u
#define SPIN_MIN_NS   1000u
#define SPIN_START_NS 10000u
/* Yields before parking: letting a thread that shares this core run
 * (the other side, often) costs far less than sleeping and being woken. */
#define YIELD_MAX   64
#define YIELD_MIN   2
#define YIELD_START 8
/* Pauses before a wait is timed: about 3 us at 23 ns each. */
#define QUICK_PAUSES 128
/* Pauses between two looks at a cell (at most): the more a ring can hold,
 * the less often a waiting side needs to look, and a look takes the cell's
 * cache line from the side writing it; a ring of one wants the quickest
 * answer. */
#define POLL_PAUSES 32

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

static int is_pow2(size_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

int pl_chan_create(size_t capacity, pl_chan **out)
{
	return pl_chan_create_ends(capacity, 0, 0, out);
}

int pl_chan_create_ends(size_t capacity, unsigned senders, unsigned receivers, pl_chan **out)
{
	*out = NULL;
	if (capacity > PL_CHAN_MAX_CAPACITY)
		return PL_EINVAL;
	pl_chan *c = pl_mem_aligned_calloc(PL_CACHE_LINE, sizeof(*c));
	if (c == NULL)
		return PL_ENOMEM;
	c->capacity = capacity;
	c->single_sender = senders == 1;
	c->single_receiver = receivers == 1;
	if (capacity > 0) {
		c->slots = capacity;
		c->poll_pauses = capacity < POLL_PAUSES ? (unsigned)capacity : POLL_PAUSES;
		c->pow2 = is_pow2(capacity);
		c->mask = c->pow2 ? capacity - 1 : 0;
		c->cells = pl_mem_calloc(capacity, sizeof(*c->cells));
		if (c->cells == NULL) {
			free(c);
			return PL_ENOMEM;
		}
		for (size_t i = 0; i < capacity; i++)
			atomic_init(&c->cells[i].seq, 2 * (uint64_t)i);
	}
	atomic_init(&c->closed, 0);
	atomic_init(&c->aborted, 0);
	atomic_init(&c->tail, 0);
	atomic_init(&c->head, 0);
	atomic_init(&c->high_water, 0);
	c->spin = 1;
	atomic_init(&c->senders.spin_ns, SPIN_START_NS);
	atomic_init(&c->receivers.spin_ns, SPIN_START_NS);
	atomic_init(&c->senders.yield_limit, YIELD_START);
	atomic_init(&c->receivers.yield_limit, YIELD_START);
	atomic_init(&c->senders.waiters, 0);
	atomic_init(&c->senders.wake_pending, 0);
	atomic_init(&c->receivers.waiters, 0);
	atomic_init(&c->receivers.wake_pending, 0);
	if (pthread_mutex_init(&c->mu, NULL) != 0)
		goto fail_mu;
	if (pthread_cond_init(&c->senders.cv, NULL) != 0)
		goto fail_full;
	if (pthread_cond_init(&c->receivers.cv, NULL) != 0)
		goto fail_empty;
	if (pthread_cond_init(&c->taken, NULL) != 0)
		goto fail_taken;
	c->tx.chan = c;
	c->rx.chan = c;
	*out = c;
	return 0;

fail_taken:
	pthread_cond_destroy(&c->receivers.cv);
fail_empty:
	pthread_cond_destroy(&c->senders.cv);
fail_full:
	pthread_mutex_destroy(&c->mu);
fail_mu:
	free(c->cells);
	free(c);
	return PL_ENOMEM;
}

void pl_chan_destroy(pl_chan *c)
{
	if (c == NULL)
		return;
	if (c->capacity == 0) {
		pl_msg_free(c->sync.slot);
	} else {
		uint64_t head = atomic_load_explicit(&c->head, memory_order_relaxed);
		uint64_t tail = atomic_load_explicit(&c->tail, memory_order_relaxed);
		for (uint64_t p = head; p < tail; p++)
			pl_msg_free(c->cells[p % c->slots].msg);
	}
	pthread_cond_destroy(&c->taken);
	pthread_cond_destroy(&c->receivers.cv);
	pthread_cond_destroy(&c->senders.cv);
	pthread_mutex_destroy(&c->mu);
	free(c->cells);
	free(c);
}

void pl_chan_set_spin(pl_chan *c, int spin)
{
	c->spin = spin != 0;
	unsigned ns = spin ? SPIN_START_NS : 0;
	atomic_store_explicit(&c->senders.spin_ns, ns, memory_order_relaxed);
	atomic_store_explicit(&c->receivers.spin_ns, ns, memory_order_relaxed);
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

static inline struct chan_cell *cell_at(pl_chan *c, uint64_t pos)
{
	return &c->cells[c->pow2 ? (size_t)(pos & c->mask) : (size_t)(pos % c->slots)];
}

/* How one send or receive waits. */
struct wait_state {
	unsigned quick;       /* pauses before the wait is timed */
	uint64_t t0;          /* when the timed wait began, or 0 */
	unsigned spin_ns;     /* how long it spins */
	unsigned yields;      /* yields taken so far */
	unsigned yield_limit; /* how many it may take; then it parks */
	int parked;
};

/*
 * Begins waiting: first up to QUICK_PAUSES pauses, untimed, looking every
 * poll_pauses (returns 0: look again), which is all a hand-over between two running threads needs;
 * then the timed wait, whose start goes to *since (returns 1).  Waits
 * shorter than the quick spin count as work, not as waiting.
 */
static int wait_begin(pl_chan *c, struct wait_state *ws, struct chan_park *park,
		      _Atomic uint64_t *since)
{
	if (c->spin && ws->quick < QUICK_PAUSES) {
		for (unsigned i = 0; i < c->poll_pauses; i++)
			cpu_relax();
		ws->quick += c->poll_pauses;
		return 0;
	}
	ws->t0 = pl__chan_wait_begins(since);
	ws->yields = 0;
	ws->parked = 0;
	ws->spin_ns = atomic_load_explicit(&park->spin_ns, memory_order_relaxed);
	ws->yield_limit = atomic_load_explicit(&park->yield_limit, memory_order_relaxed);
	return 1;
}

static unsigned grow(unsigned v, unsigned max)
{
	return v + v / 4 + 1 > max ? max : v + v / 4 + 1;
}

static unsigned shrink(unsigned v, unsigned min)
{
	return v / 2 < min ? min : v / 2;
}

/*
 * After a timed wait: tunes the next ones of this side by how long it
 * lasted, which it returns (ns).
 * Spinning (only on a channel allowed to): a wait up to half the longest
 * spin raises the spin to at least twice its length, one up to the longest
 * spin raises it to the longest; a longer one (the other side is slow,
 * spinning is waste) halves it.  Yielding: a wait that yielding
 * ended allows more yields, one that parked fewer.
 */
static uint64_t wait_end(const struct wait_state *ws, struct chan_park *park, int spin)
{
	uint64_t waited = pl__now_ns() - ws->t0;
	unsigned s = ws->spin_ns, y = ws->yield_limit;
	if (spin) {
		if (waited <= SPIN_MAX_NS / 2)
			s = waited * 2 > s ? (unsigned)(waited * 2) : s;
		else if (waited > SPIN_MAX_NS)
			s = shrink(s, SPIN_MIN_NS);
		else
			s = SPIN_MAX_NS;
	}
	if (ws->yields > 0)
		y = ws->parked ? shrink(y, YIELD_MIN) : grow(y, YIELD_MAX);
	if (s != ws->spin_ns)
		atomic_store_explicit(&park->spin_ns, s, memory_order_relaxed);
	if (y != ws->yield_limit)
		atomic_store_explicit(&park->yield_limit, y, memory_order_relaxed);
	return waited;
}

/*
 * One step of waiting for `cell` to reach `want` (or beyond, when another
 * thread took it first), or for the channel to end: a spin, a yield, or a
 * park on `park`.  Returns when it is worth looking again.
 *
 * `wake_pending` spares the other side a lock and a signal per message
 * while a woken thread has not run yet.  It is set only under `mu`, with
 * a signal, and only while `waiters` (read under `mu`) counts a thread:
 * every counted thread is then in pthread_cond_wait() or woken and
 * waiting for `mu`, so one of them returns from it after the set.  Each
 * returning thread clears it (seq_cst, under `mu`) before it looks at its
 * cell again.  So a hand-over that finds it set is seen by that look.
 * Every parked thread waits at a position no later than the oldest one not
 * yet handed over, so the hand-over of that one lets whoever wakes go on;
 * a woken thread passes the wake on when more is ready (pass_wake()).
 */
static void wait_step(pl_chan *c, struct chan_cell *cell, uint64_t want, struct wait_state *ws,
		      struct chan_park *park)
{
	if (ws->spin_ns > 0 && pl__now_ns() - ws->t0 < ws->spin_ns) {
		for (int i = 0; i < 8; i++)
			cpu_relax();
		return;
	}
	if (ws->yields < ws->yield_limit) {
		ws->yields++;
		sched_yield();
		return;
	}
	ws->parked = 1;
	pthread_mutex_lock(&c->mu);
	atomic_fetch_add_explicit(&park->waiters, 1, memory_order_seq_cst);
	while ((int64_t)(atomic_load_explicit(&cell->seq, memory_order_seq_cst) - want) < 0 &&
	       !atomic_load_explicit(&c->aborted, memory_order_seq_cst) &&
	       !atomic_load_explicit(&c->closed, memory_order_seq_cst)) {
		pthread_cond_wait(&park->cv, &c->mu);
		atomic_store_explicit(&park->wake_pending, 0, memory_order_seq_cst);
	}
	atomic_fetch_sub_explicit(&park->waiters, 1, memory_order_relaxed);
	pthread_mutex_unlock(&c->mu);
}

/* Wakes one thread parked on `park`, if any and none was woken already;
 * called after a seq_cst hand-over of a cell. */
static inline void wake_one(pl_chan *c, struct chan_park *park)
{
	if (atomic_load_explicit(&park->waiters, memory_order_seq_cst) == 0 ||
	    atomic_load_explicit(&park->wake_pending, memory_order_seq_cst) != 0)
		return;
	pthread_mutex_lock(&c->mu);
	if (atomic_load_explicit(&park->waiters, memory_order_relaxed) != 0 &&
	    atomic_load_explicit(&park->wake_pending, memory_order_relaxed) == 0) {
		atomic_store_explicit(&park->wake_pending, 1, memory_order_seq_cst);
		pthread_cond_signal(&park->cv);
	}
	pthread_mutex_unlock(&c->mu);
}

/*
 * After a wait that parked: while wake_pending was set, the other side
 * signalled nobody for the cells it handed over meanwhile, so a burst of
 * them may sit there while the other threads of this side sleep.  The
 * woken thread passes the wake on when the next cell is ready for this
 * side too (`want` at `cell`), and a woken thread of a multi-worker node
 * does not work through a burst alone.
 */
static inline void pass_wake(pl_chan *c, struct chan_park *park, struct chan_cell *cell,
			     uint64_t want)
{
	if (atomic_load_explicit(&park->waiters, memory_order_relaxed) != 0 &&
	    (int64_t)(atomic_load_explicit(&cell->seq, memory_order_acquire) - want) >= 0)
		wake_one(c, park);
}

/* Records that `fill` messages were buffered at once (any sender). */
static inline void note_fill(pl_chan *c, size_t fill)
{
	size_t hw = atomic_load_explicit(&c->high_water, memory_order_relaxed);
	while (fill > hw &&
	       !atomic_compare_exchange_weak_explicit(&c->high_water, &hw, fill,
						      memory_order_relaxed, memory_order_relaxed))
		;
}

/*
 * The high-water mark after the message at `pos` was published: the fill
 * up to it is pos + 1 - head.  Our acquire of its cell saw the release of
 * the cell's previous receiver, so head >= pos + 1 - slots: at most the
 * capacity; receivers may also have passed it already (<= 0).
 *
 * A single sender keeps a copy of head, refreshed only when the fill it
 * gives (an upper bound, since head only grows) could beat the mark: the
 * mark stays exact, and a sender that keeps the ring full or ahead of its
 * mark does not read the receivers' cache line on every message.
 */
static inline void update_high_water(pl_chan *c, uint64_t pos)
{
	if (c->single_sender) {
		size_t hw = atomic_load_explicit(&c->high_water, memory_order_relaxed);
		if (hw == c->slots || pos + 1 - c->cached_head <= hw)
			return; /* full once already, or no new mark possible */
		c->cached_head = atomic_load_explicit(&c->head, memory_order_relaxed);
		int64_t fill = (int64_t)(pos + 1 - c->cached_head);
		assert(fill <= (int64_t)c->slots);
		if (fill > (int64_t)hw)
			atomic_store_explicit(&c->high_water, (size_t)fill, memory_order_relaxed);
		return;
	}
	int64_t fill = (int64_t)(pos + 1 - atomic_load_explicit(&c->head, memory_order_relaxed));
	assert(fill <= (int64_t)c->slots);
	if (fill > 0)
		note_fill(c, (size_t)fill);
}

/*
 * Claims the next position to send at (`recv` 0) or to receive at (`recv`
 * 1): returns 0 and stores it in *pos_out, or PL_ECANCELED, or PL_ECLOSED
 * (a sender: once closed; a receiver: once closed and drained).  Waits
 * while the ring is full (empty), as *ws records.  The side's cell is
 * ready at seq 2 pos + recv.  A single sender (receiver) owns `tail`
 * (`head`) and advances it with a plain store once the cell is handed
 * over; several share it by compare-and-swap.  Inlined with a constant
 * `recv`, so that each side gets its own loop.
 */
static inline int claim(pl_chan *c, int recv, uint64_t *pos_out, struct wait_state *ws,
			_Atomic uint64_t *since)
{
	_Atomic uint64_t *mine = recv ? &c->head : &c->tail;
	int single = recv ? c->single_receiver : c->single_sender;
	struct chan_park *park = recv ? &c->receivers : &c->senders;
	uint64_t pos = atomic_load_explicit(mine, memory_order_relaxed);
	for (;;) {
		if (pl__chan_aborted(c))
			return PL_ECANCELED;
		if (!recv && pl__chan_closed(c))
			return PL_ECLOSED;
		struct chan_cell *cell = cell_at(c, pos);
		uint64_t want = 2 * pos + (uint64_t)recv;
		int64_t dif =
			(int64_t)(atomic_load_explicit(&cell->seq, memory_order_acquire) - want);
		if (dif == 0) {
			if (single)
				break;
			if (atomic_compare_exchange_weak_explicit(mine, &pos, pos + 1,
								  memory_order_relaxed,
								  memory_order_relaxed))
				break;
			continue; /* pos now holds the position another thread left */
		}
		if (dif > 0) {
			/* Another thread of this side took pos: look again. */
			pos = atomic_load_explicit(mine, memory_order_relaxed);
			continue;
		}
		/* Full (the receiver of pos - slots has not emptied the cell) or
		 * empty.  Once closed, every send has returned (the producer
		 * closes after its last one), so for a receiver a tail past pos
		 * is a message being published: wait for it; otherwise the
		 * stream ended. */
		if (recv && pl__chan_closed(c) &&
		    atomic_load_explicit(&c->tail, memory_order_acquire) == pos)
			return PL_ECLOSED;
		if (ws->t0 != 0 || wait_begin(c, ws, park, since))
			wait_step(c, cell, want, ws, park);
		pos = atomic_load_explicit(mine, memory_order_relaxed);
	}
	*pos_out = pos;
	return 0;
}

/* Ownership: on success the channel takes `msg`; on failure the caller keeps it. */
static int ring_send(pl_chan *c, pl_msg *msg, uint64_t *waited_ns, _Atomic uint64_t *since)
{
	struct wait_state ws = { 0 };
	uint64_t pos = 0;
	int rc = claim(c, 0, &pos, &ws, since);
	if (rc == 0) {
		struct chan_cell *cell = cell_at(c, pos);
		cell->msg = msg;
		if (c->single_sender)
			atomic_store_explicit(&c->tail, pos + 1, memory_order_relaxed);
		atomic_store_explicit(&cell->seq, 2 * pos + 1, memory_order_seq_cst);
		update_high_water(c, pos);
		wake_one(c, &c->receivers);
		if (ws.parked)
			pass_wake(c, &c->senders, cell_at(c, pos + 1), 2 * (pos + 1));
	}
	if (ws.t0 != 0)
		*waited_ns = wait_end(&ws, &c->senders, c->spin);
	return rc;
}

/* Ownership: on success the caller owns *out. */
static int ring_recv(pl_chan *c, pl_msg **out, uint64_t *waited_ns, uint64_t *seq_out,
		     _Atomic uint64_t *since)
{
	struct wait_state ws = { 0 };
	uint64_t pos = 0;
	int rc = claim(c, 1, &pos, &ws, since);
	if (rc == 0) {
		struct chan_cell *cell = cell_at(c, pos);
		*out = cell->msg;
		cell->msg = NULL;
		if (seq_out != NULL)
			*seq_out = pos;
		if (c->single_receiver)
			atomic_store_explicit(&c->head, pos + 1, memory_order_release);
		atomic_store_explicit(&cell->seq, 2 * (pos + c->slots), memory_order_seq_cst);
		wake_one(c, &c->senders);
		if (ws.parked)
			pass_wake(c, &c->receivers, cell_at(c, pos + 1), 2 * (pos + 1) + 1);
	}
	if (ws.t0 != 0)
		*waited_ns = wait_end(&ws, &c->receivers, c->spin);
	return rc;
}

int pl_chan_send(pl_chan_tx *tx, pl_msg *msg)
{
	uint64_t waited;
	return pl_chan_send_timed(tx, msg, &waited, NULL);
}

int pl_chan_send_timed(pl_chan_tx *tx, pl_msg *msg, uint64_t *waited_ns, _Atomic uint64_t *since)
{
	pl_chan *c = tx->chan;
	assert(msg != NULL);
	*waited_ns = 0;
	if (c->capacity == 0)
		return pl__chan_sync_send(c, msg, waited_ns, since);
	return ring_send(c, msg, waited_ns, since);
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
	*out = NULL;
	*waited_ns = 0;
	if (c->capacity == 0)
		return pl__chan_sync_recv(c, out, waited_ns, seq, since);
	return ring_recv(c, out, waited_ns, seq, since);
}

/* Sets `flag` and wakes everyone: parked ring threads and rendezvous
 * waiters re-check it under `mu`. */
static int set_and_wake(pl_chan *c, atomic_int *flag)
{
	pthread_mutex_lock(&c->mu);
	int was = atomic_exchange_explicit(flag, 1, memory_order_seq_cst);
	pthread_cond_broadcast(&c->senders.cv);
	pthread_cond_broadcast(&c->receivers.cv);
	pthread_cond_broadcast(&c->taken);
	pthread_mutex_unlock(&c->mu);
	return was;
}

int pl_chan_close(pl_chan_tx *tx)
{
	return set_and_wake(tx->chan, &tx->chan->closed) ? PL_ECLOSED : 0;
}

void pl_chan_abort(pl_chan *c)
{
	(void)set_and_wake(c, &c->aborted);
}

uint64_t pl_chan_received(pl_chan_rx *rx)
{
	pl_chan *c = rx->chan;
	if (c->capacity == 0) {
		pthread_mutex_lock(&c->mu);
		uint64_t received = c->sync.received;
		pthread_mutex_unlock(&c->mu);
		return received;
	}
	return atomic_load_explicit(&c->head, memory_order_acquire);
}

void pl_chan_get_stats(pl_chan *c, pl_chan_stats *out)
{
	if (c->capacity == 0) {
		pl__chan_sync_stats(c, out);
		return;
	}
	uint64_t received = atomic_load_explicit(&c->head, memory_order_relaxed);
	uint64_t sent = atomic_load_explicit(&c->tail, memory_order_relaxed);
	out->sent = sent;
	out->received = received;
	out->buffered = sent > received ? (size_t)(sent - received) : 0;
	out->high_water = atomic_load_explicit(&c->high_water, memory_order_relaxed);
}
