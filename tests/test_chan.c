/* test_chan.c - cmocka tests of runner/chan.c: Go semantics, close, abort, stats, stress. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "chan.h"
#include "msg.h"

/*
 * cmocka's assertions longjmp to the test's frame, so they are only used on
 * the main thread: helper threads record what happened and the main thread
 * asserts it after pthread_join(), which also orders the memory accesses.
 *
 * "Blocked" is checked by sleeping BLOCK_MS and seeing that the thread has not
 * returned.  A slow machine can only make such a check pass vacuously, never
 * fail spuriously: the operations under test cannot complete on their own.
 */

#define BLOCK_MS 50

/* ---- Helpers. ---------------------------------------------------------- */

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* A message carrying one 64-bit id. */
static pl_msg *msg_with_id(uint64_t id)
{
	return pl_msg_new_copy(&id, sizeof(id));
}

/* The id carried by `m`; UINT64_MAX if it has the wrong length. */
static uint64_t id_of(pl_msg *m)
{
	uint64_t id;
	if (pl_msg_len(m) != sizeof(id))
		return UINT64_MAX;
	memcpy(&id, pl_msg_data(m), sizeof(id));
	return id;
}

static pl_chan *new_chan(size_t capacity)
{
	pl_chan *c = NULL;
	assert_int_equal(pl_chan_create(capacity, &c), 0);
	assert_non_null(c);
	return c;
}

static void send_id(pl_chan *c, uint64_t id)
{
	pl_msg *m = msg_with_id(id);
	assert_non_null(m);
	assert_int_equal(pl_chan_send(pl_chan_sender(c), m), 0);
}

/* Receives one message, asserts its id, frees it. */
static void expect_recv(pl_chan *c, uint64_t id)
{
	pl_msg *m = NULL;
	assert_int_equal(pl_chan_recv(pl_chan_receiver(c), &m), 0);
	assert_non_null(m);
	assert_int_equal(id_of(m), id);
	pl_msg_free(m);
}

/* Asserts that recv fails with `rc` and leaves *out NULL. */
static void expect_recv_fails(pl_chan *c, int rc)
{
	pl_msg *m = (pl_msg *)&m; /* not NULL: recv must clear it */
	assert_int_equal(pl_chan_recv(pl_chan_receiver(c), &m), rc);
	assert_null(m);
}

/* A thread doing one send.  After the join, `msg` is NULL if the channel
 * took it, else the caller still owns it. */
struct sender {
	pthread_t thread;
	pl_chan_tx *tx;
	pl_msg *msg;
	int rc;
	atomic_int done;
};

static void *sender_main(void *arg)
{
	struct sender *s = arg;
	s->rc = pl_chan_send(s->tx, s->msg);
	if (s->rc == 0)
		s->msg = NULL;
	atomic_store(&s->done, 1);
	return NULL;
}

static void start_sender(struct sender *s, pl_chan *c, uint64_t id)
{
	s->tx = pl_chan_sender(c);
	s->msg = msg_with_id(id);
	assert_non_null(s->msg);
	s->rc = 1;
	atomic_init(&s->done, 0);
	assert_int_equal(pthread_create(&s->thread, NULL, sender_main, s), 0);
}

/* A thread doing one recv. */
struct receiver {
	pthread_t thread;
	pl_chan_rx *rx;
	pl_msg *msg;
	int rc;
	atomic_int done;
};

static void *receiver_main(void *arg)
{
	struct receiver *r = arg;
	r->rc = pl_chan_recv(r->rx, &r->msg);
	atomic_store(&r->done, 1);
	return NULL;
}

static void start_receiver(struct receiver *r, pl_chan *c)
{
	r->rx = pl_chan_receiver(c);
	r->msg = (pl_msg *)r; /* recv must overwrite it */
	r->rc = 1;
	atomic_init(&r->done, 0);
	assert_int_equal(pthread_create(&r->thread, NULL, receiver_main, r), 0);
}

static int senders_done(struct sender *s, int n)
{
	int done = 0;
	for (int i = 0; i < n; i++)
		done += atomic_load(&s[i].done);
	return done;
}

static int receivers_done(struct receiver *r, int n)
{
	int done = 0;
	for (int i = 0; i < n; i++)
		done += atomic_load(&r[i].done);
	return done;
}

/* Waits (up to 10 s) until `want` of the senders have returned. */
static void wait_senders_done(struct sender *s, int n, int want)
{
	for (int i = 0; i < 10000 && senders_done(s, n) < want; i++)
		sleep_ms(1);
	assert_int_equal(senders_done(s, n), want);
}

/* ---- Creation. --------------------------------------------------------- */

static const struct {
	size_t capacity;
	int rc;
} create_cases[] = {
	{ 0, 0 },
	{ 1, 0 },
	{ 64, 0 },
	{ 1024, 0 },
	{ PL_CHAN_MAX_CAPACITY + 1, PL_EINVAL },
	{ SIZE_MAX, PL_EINVAL },
};

static void test_create(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(create_cases) / sizeof(create_cases[0]); i++) {
		pl_chan *c = (pl_chan *)&c;
		int rc = pl_chan_create(create_cases[i].capacity, &c);
		assert_int_equal(rc, create_cases[i].rc);
		if (rc != 0) {
			assert_null(c);
			continue;
		}
		assert_non_null(c);
		assert_int_equal(pl_chan_capacity(c), create_cases[i].capacity);
		assert_non_null(pl_chan_sender(c));
		assert_non_null(pl_chan_receiver(c));
		pl_chan_stats st;
		pl_chan_get_stats(c, &st);
		assert_int_equal(st.sent, 0);
		assert_int_equal(st.received, 0);
		assert_int_equal(st.high_water, 0);
		pl_chan_destroy(c);
	}
	pl_chan_destroy(NULL);
}

/* ---- FIFO. ------------------------------------------------------------- */

/* Single thread: fill, then drain, several times round the ring. */
static void test_fifo_single_thread(void **state)
{
	(void)state;
	pl_chan *c = new_chan(5);
	uint64_t next_send = 0, next_recv = 0;
	for (int round = 0; round < 7; round++) {
		int n = 1 + round % 5;
		for (int i = 0; i < n; i++)
			send_id(c, next_send++);
		for (int i = 0; i < n; i++)
			expect_recv(c, next_recv++);
	}
	assert_int_equal(next_recv, next_send);
	pl_chan_destroy(c);
}

#define FIFO_COUNT 20000

struct fifo_producer {
	pl_chan *c;
	int rc;
};

static void *fifo_producer_main(void *arg)
{
	struct fifo_producer *p = arg;
	p->rc = 0;
	for (uint64_t id = 0; id < FIFO_COUNT && p->rc == 0; id++) {
		pl_msg *m = msg_with_id(id);
		p->rc = m != NULL ? pl_chan_send(pl_chan_sender(p->c), m) : PL_ENOMEM;
		if (p->rc != 0)
			pl_msg_free(m);
	}
	if (p->rc == 0)
		p->rc = pl_chan_close(pl_chan_sender(p->c));
	return NULL;
}

/* One sender thread, one receiver (main): ids arrive in order, then
 * end of stream. */
static void test_fifo_one_sender_one_receiver(void **state)
{
	(void)state;
	static const size_t capacities[] = { 1, 7, 64, 1024 };
	for (size_t k = 0; k < sizeof(capacities) / sizeof(capacities[0]); k++) {
		pl_chan *c = new_chan(capacities[k]);
		struct fifo_producer p = { .c = c, .rc = 1 };
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, fifo_producer_main, &p), 0);
		uint64_t expected = 0;
		pl_msg *m;
		int rc;
		while ((rc = pl_chan_recv(pl_chan_receiver(c), &m)) == 0) {
			uint64_t id = id_of(m);
			pl_msg_free(m);
			if (id != expected)
				fail_msg("capacity %zu: got id %llu, expected %llu", capacities[k],
					 (unsigned long long)id, (unsigned long long)expected);
			expected++;
		}
		assert_int_equal(rc, PL_ECLOSED);
		assert_null(m);
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(p.rc, 0);
		assert_int_equal(expected, FIFO_COUNT);
		pl_chan_stats st;
		pl_chan_get_stats(c, &st);
		assert_int_equal(st.sent, FIFO_COUNT);
		assert_int_equal(st.received, FIFO_COUNT);
		assert_true(st.high_water >= 1 && st.high_water <= capacities[k]);
		pl_chan_destroy(c);
	}
}

/* ---- Rendezvous. ------------------------------------------------------- */

/* A send on a capacity-0 channel returns only once a receiver took it. */
static void test_rendezvous_send_waits_for_receiver(void **state)
{
	(void)state;
	pl_chan *c = new_chan(0);
	struct sender s;
	start_sender(&s, c, 42);
	sleep_ms(BLOCK_MS);
	assert_int_equal(atomic_load(&s.done), 0);
	expect_recv(c, 42);
	assert_int_equal(pthread_join(s.thread, NULL), 0);
	assert_int_equal(atomic_load(&s.done), 1);
	assert_int_equal(s.rc, 0);
	assert_null(s.msg);
	pl_chan_stats st;
	pl_chan_get_stats(c, &st);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.received, 1);
	pl_chan_destroy(c);
}

/* The receiver arrives first: it blocks until a sender comes. */
static void test_rendezvous_receiver_first(void **state)
{
	(void)state;
	pl_chan *c = new_chan(0);
	struct receiver r;
	start_receiver(&r, c);
	sleep_ms(BLOCK_MS);
	assert_int_equal(atomic_load(&r.done), 0);
	send_id(c, 7);
	assert_int_equal(pthread_join(r.thread, NULL), 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(id_of(r.msg), 7);
	pl_msg_free(r.msg);
	pl_chan_destroy(c);
}

/* Several senders on one rendezvous channel: each receive releases exactly
 * the sender whose message it took, and nobody else. */
#define RV_SENDERS 4

static void test_rendezvous_several_senders(void **state)
{
	(void)state;
	pl_chan *c = new_chan(0);
	struct sender s[RV_SENDERS];
	for (int i = 0; i < RV_SENDERS; i++)
		start_sender(&s[i], c, (uint64_t)i);
	sleep_ms(BLOCK_MS);
	assert_int_equal(senders_done(s, RV_SENDERS), 0);

	int seen[RV_SENDERS] = { 0 };
	for (int k = 1; k <= RV_SENDERS; k++) {
		pl_msg *m = NULL;
		assert_int_equal(pl_chan_recv(pl_chan_receiver(c), &m), 0);
		uint64_t id = id_of(m);
		pl_msg_free(m);
		assert_in_range(id, 0, RV_SENDERS - 1);
		assert_int_equal(seen[id], 0);
		seen[id] = 1;
		/* The owner of the message returns ... */
		wait_senders_done(s, RV_SENDERS, k);
		assert_int_equal(atomic_load(&s[id].done), 1);
		/* ... and the others stay blocked. */
		sleep_ms(BLOCK_MS / 2);
		assert_int_equal(senders_done(s, RV_SENDERS), k);
	}
	for (int i = 0; i < RV_SENDERS; i++) {
		assert_int_equal(pthread_join(s[i].thread, NULL), 0);
		assert_int_equal(s[i].rc, 0);
		assert_null(s[i].msg);
	}
	pl_chan_stats st;
	pl_chan_get_stats(c, &st);
	assert_int_equal(st.sent, RV_SENDERS);
	assert_int_equal(st.received, RV_SENDERS);
	assert_int_equal(st.high_water, 1);
	pl_chan_destroy(c);
}

/* ---- Capacity N. ------------------------------------------------------- */

/* N sends succeed with no receiver; the (N+1)th blocks until a recv. */
static void test_capacity_n_blocks_when_full(void **state)
{
	(void)state;
	static const size_t capacities[] = { 1, 2, 5, 64 };
	for (size_t k = 0; k < sizeof(capacities) / sizeof(capacities[0]); k++) {
		size_t n = capacities[k];
		pl_chan *c = new_chan(n);
		for (size_t i = 0; i < n; i++)
			send_id(c, i);
		struct sender s;
		start_sender(&s, c, n);
		sleep_ms(BLOCK_MS);
		assert_int_equal(atomic_load(&s.done), 0);
		expect_recv(c, 0);
		assert_int_equal(pthread_join(s.thread, NULL), 0);
		assert_int_equal(s.rc, 0);
		assert_null(s.msg);
		for (size_t i = 1; i <= n; i++)
			expect_recv(c, i);
		pl_chan_stats st;
		pl_chan_get_stats(c, &st);
		assert_int_equal(st.sent, n + 1);
		assert_int_equal(st.received, n + 1);
		assert_int_equal(st.high_water, n);
		pl_chan_destroy(c);
	}
}

/* ---- Close. ------------------------------------------------------------ */

#define BLOCKED 3

/* Receivers blocked on an empty channel get PL_ECLOSED from close(). */
static void test_close_wakes_receivers(void **state)
{
	(void)state;
	static const size_t capacities[] = { 0, 4 };
	for (size_t k = 0; k < sizeof(capacities) / sizeof(capacities[0]); k++) {
		pl_chan *c = new_chan(capacities[k]);
		struct receiver r[BLOCKED];
		for (int i = 0; i < BLOCKED; i++)
			start_receiver(&r[i], c);
		sleep_ms(BLOCK_MS);
		assert_int_equal(receivers_done(r, BLOCKED), 0);
		assert_int_equal(pl_chan_close(pl_chan_sender(c)), 0);
		for (int i = 0; i < BLOCKED; i++) {
			assert_int_equal(pthread_join(r[i].thread, NULL), 0);
			assert_int_equal(r[i].rc, PL_ECLOSED);
			assert_null(r[i].msg);
		}
		pl_chan_destroy(c);
	}
}

/* Senders blocked on a full channel get PL_ECLOSED from close() and still
 * own their messages; the buffered message is still delivered. */
static void test_close_wakes_senders(void **state)
{
	(void)state;
	pl_chan *c = new_chan(1);
	send_id(c, 100);
	struct sender s[BLOCKED];
	for (int i = 0; i < BLOCKED; i++)
		start_sender(&s[i], c, (uint64_t)i);
	sleep_ms(BLOCK_MS);
	assert_int_equal(senders_done(s, BLOCKED), 0);
	assert_int_equal(pl_chan_close(pl_chan_sender(c)), 0);
	for (int i = 0; i < BLOCKED; i++) {
		assert_int_equal(pthread_join(s[i].thread, NULL), 0);
		assert_int_equal(s[i].rc, PL_ECLOSED);
		assert_non_null(s[i].msg);
		assert_int_equal(id_of(s[i].msg), (uint64_t)i); /* intact, ours */
		pl_msg_free(s[i].msg);
	}
	expect_recv(c, 100);
	expect_recv_fails(c, PL_ECLOSED);
	pl_chan_stats st;
	pl_chan_get_stats(c, &st);
	assert_int_equal(st.sent, 1);
	assert_int_equal(st.received, 1);
	pl_chan_destroy(c);
}

/* Rendezvous and close: the one sender whose message is already in the
 * channel returns 0 (receivers will drain it, as chan.h documents); the
 * senders still waiting for room get PL_ECLOSED and keep theirs. */
static void test_close_rendezvous_senders(void **state)
{
	(void)state;
	pl_chan *c = new_chan(0);
	struct sender s[BLOCKED];
	for (int i = 0; i < BLOCKED; i++)
		start_sender(&s[i], c, (uint64_t)i);
	sleep_ms(BLOCK_MS);
	assert_int_equal(senders_done(s, BLOCKED), 0);
	assert_int_equal(pl_chan_close(pl_chan_sender(c)), 0);
	int accepted = -1;
	for (int i = 0; i < BLOCKED; i++) {
		assert_int_equal(pthread_join(s[i].thread, NULL), 0);
		if (s[i].rc == 0) {
			assert_int_equal(accepted, -1);
			assert_null(s[i].msg);
			accepted = i;
		} else {
			assert_int_equal(s[i].rc, PL_ECLOSED);
			assert_int_equal(id_of(s[i].msg), (uint64_t)i);
			pl_msg_free(s[i].msg);
		}
	}
	assert_int_not_equal(accepted, -1);
	expect_recv(c, (uint64_t)accepted);
	expect_recv_fails(c, PL_ECLOSED);
	pl_chan_destroy(c);
}

/* After close, receivers drain what is buffered, in order, then get
 * PL_ECLOSED for good. */
static void test_close_then_drain(void **state)
{
	(void)state;
	pl_chan *c = new_chan(4);
	for (uint64_t i = 0; i < 3; i++)
		send_id(c, i);
	assert_int_equal(pl_chan_close(pl_chan_sender(c)), 0);
	for (uint64_t i = 0; i < 3; i++)
		expect_recv(c, i);
	expect_recv_fails(c, PL_ECLOSED);
	expect_recv_fails(c, PL_ECLOSED);
	pl_chan_destroy(c);
}

/* Send after close fails and leaves the message with the caller; a second
 * close reports PL_ECLOSED and changes nothing. */
static void test_send_after_close_and_double_close(void **state)
{
	(void)state;
	static const size_t capacities[] = { 0, 1, 8 };
	for (size_t k = 0; k < sizeof(capacities) / sizeof(capacities[0]); k++) {
		pl_chan *c = new_chan(capacities[k]);
		if (capacities[k] > 0)
			send_id(c, 1);
		assert_int_equal(pl_chan_close(pl_chan_sender(c)), 0);
		pl_msg *m = msg_with_id(2);
		assert_non_null(m);
		assert_int_equal(pl_chan_send(pl_chan_sender(c), m), PL_ECLOSED);
		assert_int_equal(id_of(m), 2); /* still ours */
		pl_msg_free(m);
		assert_int_equal(pl_chan_close(pl_chan_sender(c)), PL_ECLOSED);
		if (capacities[k] > 0)
			expect_recv(c, 1);
		expect_recv_fails(c, PL_ECLOSED);
		pl_chan_stats st;
		pl_chan_get_stats(c, &st);
		assert_int_equal(st.sent, capacities[k] > 0 ? 1 : 0);
		pl_chan_destroy(c);
	}
}

/* ---- Abort. ------------------------------------------------------------ */

static void test_abort_wakes_receivers(void **state)
{
	(void)state;
	static const size_t capacities[] = { 0, 4 };
	for (size_t k = 0; k < sizeof(capacities) / sizeof(capacities[0]); k++) {
		pl_chan *c = new_chan(capacities[k]);
		struct receiver r[BLOCKED];
		for (int i = 0; i < BLOCKED; i++)
			start_receiver(&r[i], c);
		sleep_ms(BLOCK_MS);
		assert_int_equal(receivers_done(r, BLOCKED), 0);
		pl_chan_abort(c);
		for (int i = 0; i < BLOCKED; i++) {
			assert_int_equal(pthread_join(r[i].thread, NULL), 0);
			assert_int_equal(r[i].rc, PL_ECANCELED);
			assert_null(r[i].msg);
		}
		pl_chan_abort(c); /* idempotent */
		expect_recv_fails(c, PL_ECANCELED);
		pl_chan_destroy(c);
	}
}

/* Senders blocked on a full channel get PL_ECANCELED and keep their
 * messages; later sends and receives fail too, even with messages
 * buffered, and destroy() frees those (LeakSanitizer checks). */
static void test_abort_wakes_senders(void **state)
{
	(void)state;
	pl_chan *c = new_chan(2);
	send_id(c, 100);
	send_id(c, 101);
	struct sender s[BLOCKED];
	for (int i = 0; i < BLOCKED; i++)
		start_sender(&s[i], c, (uint64_t)i);
	sleep_ms(BLOCK_MS);
	assert_int_equal(senders_done(s, BLOCKED), 0);
	pl_chan_abort(c);
	for (int i = 0; i < BLOCKED; i++) {
		assert_int_equal(pthread_join(s[i].thread, NULL), 0);
		assert_int_equal(s[i].rc, PL_ECANCELED);
		assert_int_equal(id_of(s[i].msg), (uint64_t)i);
		pl_msg_free(s[i].msg);
	}
	expect_recv_fails(c, PL_ECANCELED);
	pl_msg *m = msg_with_id(9);
	assert_non_null(m);
	assert_int_equal(pl_chan_send(pl_chan_sender(c), m), PL_ECANCELED);
	pl_msg_free(m);
	/* close after abort is still the first close. */
	assert_int_equal(pl_chan_close(pl_chan_sender(c)), 0);
	expect_recv_fails(c, PL_ECANCELED);
	pl_chan_stats st;
	pl_chan_get_stats(c, &st);
	assert_int_equal(st.sent, 2);
	assert_int_equal(st.received, 0);
	pl_chan_destroy(c); /* frees 100 and 101 */
}

/* A rendezvous sender waiting for its message to be picked up is a blocked
 * send too: abort makes it return PL_ECANCELED, and it keeps its message. */
static void test_abort_rendezvous_sender(void **state)
{
	(void)state;
	pl_chan *c = new_chan(0);
	struct sender s[BLOCKED];
	for (int i = 0; i < BLOCKED; i++)
		start_sender(&s[i], c, (uint64_t)i);
	sleep_ms(BLOCK_MS);
	assert_int_equal(senders_done(s, BLOCKED), 0);
	pl_chan_abort(c);
	for (int i = 0; i < BLOCKED; i++) {
		assert_int_equal(pthread_join(s[i].thread, NULL), 0);
		assert_int_equal(s[i].rc, PL_ECANCELED);
		assert_non_null(s[i].msg);
		assert_int_equal(id_of(s[i].msg), (uint64_t)i);
		pl_msg_free(s[i].msg);
	}
	expect_recv_fails(c, PL_ECANCELED);
	pl_chan_stats st;
	pl_chan_get_stats(c, &st);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.received, 0);
	pl_chan_destroy(c);
}

/* destroy() frees whatever is buffered, aborted or not (LeakSanitizer). */
static void test_destroy_frees_buffered(void **state)
{
	(void)state;
	pl_chan *c = new_chan(8);
	/* Wrap the ring so the buffered messages straddle its end. */
	for (uint64_t i = 0; i < 6; i++)
		send_id(c, i);
	for (uint64_t i = 0; i < 6; i++)
		expect_recv(c, i);
	for (uint64_t i = 0; i < 8; i++)
		send_id(c, i);
	pl_chan_destroy(c);

	c = new_chan(3);
	send_id(c, 1);
	assert_int_equal(pl_chan_close(pl_chan_sender(c)), 0);
	pl_chan_destroy(c);
}

/* ---- Stats. ------------------------------------------------------------ */

/* The counters, the high-water mark above all, also with one declared
 * sender and receiver (the sender then reads the receivers' position only
 * when the mark could grow: it must stay exact). */
static void check_stats(pl_chan *c)
{
	pl_chan_stats st;
	for (uint64_t i = 0; i < 3; i++)
		send_id(c, i);
	pl_chan_get_stats(c, &st);
	assert_int_equal(st.sent, 3);
	assert_int_equal(st.received, 0);
	assert_int_equal(st.high_water, 3);
	expect_recv(c, 0);
	expect_recv(c, 1);
	send_id(c, 3);
	pl_chan_get_stats(c, &st);
	assert_int_equal(st.sent, 4);
	assert_int_equal(st.received, 2);
	assert_int_equal(st.high_water, 3); /* 2 buffered now; the mark stays */
	for (uint64_t i = 4; i < 6; i++)    /* fills all 4 slots */
		send_id(c, i);
	pl_chan_get_stats(c, &st);
	assert_int_equal(st.sent, 6);
	assert_int_equal(st.high_water, 4);
	for (uint64_t i = 2; i < 6; i++)
		expect_recv(c, i);
	pl_chan_get_stats(c, &st);
	assert_int_equal(st.sent, 6);
	assert_int_equal(st.received, 6);
	assert_int_equal(st.high_water, 4);
	pl_chan_destroy(c);
}

static void test_stats(void **state)
{
	(void)state;
	pl_chan *c = NULL;
	check_stats(new_chan(4));
	assert_int_equal(pl_chan_create_ends(4, 1, 1, &c), 0);
	check_stats(c);
}

/* ---- A burst to parked receivers. ------------------------------------ */

#define BURST_WORKERS 4

struct slow_receiver {
	pl_chan *c;
	atomic_int got; /* messages received so far */
	pthread_t thread;
};

static void *slow_receiver_main(void *arg)
{
	struct slow_receiver *r = arg;
	pl_msg *m;
	while (pl_chan_recv(pl_chan_receiver(r->c), &m) == 0) {
		atomic_fetch_add(&r->got, 1);
		pl_msg_free(m);
		sleep_ms(BLOCK_MS); /* a slow stage */
	}
	return NULL;
}

/* Receivers all parked on an empty channel, then a burst, then nothing:
 * the burst must not fall to the one receiver the first message woke
 * (each woken receiver passes the wake on while more is ready). */
static void test_burst_wakes_parked_receivers(void **state)
{
	(void)state;
	pl_chan *c = NULL;
	assert_int_equal(pl_chan_create_ends(64, 1, BURST_WORKERS, &c), 0);
	struct slow_receiver r[BURST_WORKERS];
	for (int i = 0; i < BURST_WORKERS; i++) {
		r[i].c = c;
		atomic_init(&r[i].got, 0);
		assert_int_equal(pthread_create(&r[i].thread, NULL, slow_receiver_main, &r[i]), 0);
	}
	sleep_ms(2L * BLOCK_MS); /* they spin, yield, then park */
	for (uint64_t i = 0; i < (uint64_t)2 * BURST_WORKERS; i++)
		send_id(c, i);
	/* Less than the time one receiver takes for two messages. */
	sleep_ms(BLOCK_MS + BLOCK_MS / 2);
	int busy = 0;
	for (int i = 0; i < BURST_WORKERS; i++)
		busy += atomic_load(&r[i].got) > 0;
	assert_int_equal(pl_chan_close(pl_chan_sender(c)), 0);
	for (int i = 0; i < BURST_WORKERS; i++)
		assert_int_equal(pthread_join(r[i].thread, NULL), 0);
	int total = 0;
	for (int i = 0; i < BURST_WORKERS; i++)
		total += atomic_load(&r[i].got);
	assert_int_equal(total, 2 * BURST_WORKERS);
	if (busy < BURST_WORKERS)
		fail_msg("only %d of %d parked receivers took part in the burst", busy,
			 BURST_WORKERS);
	pl_chan_destroy(c);
}

/* ---- Stress: P producers x C consumers. -------------------------------- */

#define MAX_THREADS 4

/*
 * A stress case: `producers` threads send, `consumers` receive.  With
 * `declared`, the channel is told those counts (pl_chan_create_ends()), as
 * the engine tells it, so that a side with one thread takes the ring's
 * single-sender or single-receiver path; without, every side takes the
 * shared path.
 */
struct stress_case {
	size_t capacity;
	uint64_t total; /* messages, a multiple of producers */
	int producers, consumers;
	int declared;
};

/* A message's id is (producer << 40 | sequence number): unique and 64-bit. */
#define SEQ_BITS 40

static uint64_t make_id(uint64_t producer, uint64_t seq)
{
	return producer << SEQ_BITS | seq;
}

/* splitmix64's finaliser: a checksum term that any lost, duplicated or
 * corrupted id changes. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

struct producer {
	pl_chan *c;
	uint64_t index, count;
	int rc;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	pl_chan_tx *tx = pl_chan_sender(p->c);
	p->rc = 0;
	for (uint64_t seq = 0; seq < p->count; seq++) {
		pl_msg *m = msg_with_id(make_id(p->index, seq));
		if (m == NULL) {
			p->rc = PL_ENOMEM;
			return NULL;
		}
		p->rc = pl_chan_send(tx, m);
		if (p->rc != 0) {
			pl_msg_free(m);
			return NULL;
		}
	}
	return NULL;
}

/* Everything a consumer writes is its own; main reads it after the join. */
struct consumer {
	pl_chan *c;
	uint64_t per_producer;
	uint64_t producers;
	unsigned char *counts; /* per id, saturating at 255 */
	uint64_t received, checksum, bad_ids, out_of_order;
	uint64_t next_seq[MAX_THREADS]; /* FIFO per sender: seqs only increase */
	int rc;
};

static void *consumer_main(void *arg)
{
	struct consumer *k = arg;
	pl_chan_rx *rx = pl_chan_receiver(k->c);
	pl_msg *m;
	while ((k->rc = pl_chan_recv(rx, &m)) == 0) {
		uint64_t id = id_of(m);
		pl_msg_free(m);
		uint64_t producer = id >> SEQ_BITS, seq = id & (((uint64_t)1 << SEQ_BITS) - 1);
		k->received++;
		k->checksum += mix(id);
		if (producer >= k->producers || seq >= k->per_producer) {
			k->bad_ids++;
			continue;
		}
		if (seq < k->next_seq[producer])
			k->out_of_order++;
		k->next_seq[producer] = seq + 1;
		unsigned char *n = &k->counts[producer * k->per_producer + seq];
		if (*n < 255)
			(*n)++;
	}
	return NULL;
}

static void test_stress(void **state)
{
	const struct stress_case *sc = *state;
	const int producers = sc->producers, consumers = sc->consumers;
	assert_true(producers <= MAX_THREADS && consumers <= MAX_THREADS);
	uint64_t per = sc->total / (uint64_t)producers;
	assert_int_equal(per * (uint64_t)producers, sc->total);
	pl_chan *c = NULL;
	if (sc->declared)
		assert_int_equal(pl_chan_create_ends(sc->capacity, (unsigned)producers,
						     (unsigned)consumers, &c),
				 0);
	else
		c = new_chan(sc->capacity);

	struct consumer cons[MAX_THREADS];
	pthread_t ct[MAX_THREADS], pt[MAX_THREADS];
	for (int i = 0; i < consumers; i++) {
		cons[i] = (struct consumer){
			.c = c, .per_producer = per, .producers = (uint64_t)producers, .rc = 1
		};
		cons[i].counts = calloc(sc->total, 1);
		assert_non_null(cons[i].counts);
		assert_int_equal(pthread_create(&ct[i], NULL, consumer_main, &cons[i]), 0);
	}
	struct producer prod[MAX_THREADS];
	for (int i = 0; i < producers; i++) {
		prod[i] = (struct producer){ .c = c, .index = (uint64_t)i, .count = per, .rc = 1 };
		assert_int_equal(pthread_create(&pt[i], NULL, producer_main, &prod[i]), 0);
	}
	for (int i = 0; i < producers; i++) {
		assert_int_equal(pthread_join(pt[i], NULL), 0);
		assert_int_equal(prod[i].rc, 0);
	}
	assert_int_equal(pl_chan_close(pl_chan_sender(c)), 0);
	for (int i = 0; i < consumers; i++)
		assert_int_equal(pthread_join(ct[i], NULL), 0);

	uint64_t expected_sum = 0;
	for (uint64_t p = 0; p < (uint64_t)producers; p++)
		for (uint64_t seq = 0; seq < per; seq++)
			expected_sum += mix(make_id(p, seq));

	uint64_t received = 0, checksum = 0;
	for (int i = 0; i < consumers; i++) {
		assert_int_equal(cons[i].rc, PL_ECLOSED);
		assert_int_equal(cons[i].bad_ids, 0);
		assert_int_equal(cons[i].out_of_order, 0);
		received += cons[i].received;
		checksum += cons[i].checksum;
	}
	assert_int_equal(received, sc->total);
	assert_int_equal(checksum, expected_sum);

	/* Every id exactly once, across all consumers. */
	uint64_t missing = 0, duplicated = 0;
	for (uint64_t j = 0; j < sc->total; j++) {
		unsigned n = 0;
		for (int i = 0; i < consumers; i++)
			n += cons[i].counts[j];
		missing += n == 0;
		duplicated += n > 1;
	}
	assert_int_equal(missing, 0);
	assert_int_equal(duplicated, 0);

	pl_chan_stats st;
	pl_chan_get_stats(c, &st);
	assert_int_equal(st.sent, sc->total);
	assert_int_equal(st.received, sc->total);
	assert_true(st.high_water >= 1);
	assert_true(st.high_water <= (sc->capacity > 0 ? sc->capacity : 1));

	for (int i = 0; i < consumers; i++)
		free(cons[i].counts);
	pl_chan_destroy(c);
}

/*
 * 1,000,000 messages for the shared paths, 400,000 for the others, except
 * the rendezvous case: with capacity 0 every message costs a couple of
 * context switches (~15-20 us on a 2-core machine, natively and under TSan
 * alike), and 1M rendezvous messages alone took ~19 s, which put the whole
 * program near a minute under TSan.  200,000 still makes each producer
 * hand over 50,000 messages through the one slot.  Capacities 3 and 7 are
 * not powers of two (the ring then indexes by division).
 */
static const struct stress_case stress_cases[] = {
	{ 0, 200000, 4, 4, 0 },     { 1, 1000000, 4, 4, 0 },   { 64, 1000000, 4, 4, 0 },
	{ 1024, 1000000, 4, 4, 0 }, { 3, 400000, 4, 4, 1 },    { 1, 400000, 1, 1, 1 },
	{ 7, 400000, 1, 1, 1 },     { 1024, 400000, 1, 1, 1 }, { 1, 400000, 4, 1, 1 },
	{ 64, 400000, 4, 1, 1 },    { 1, 400000, 1, 4, 1 },    { 64, 400000, 1, 4, 1 },
};

/* clang-format off */
#define STRESS_TEST(i, name) {name, test_stress, NULL, NULL, (void *)&stress_cases[i]}
/* clang-format on */

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_fifo_single_thread),
		cmocka_unit_test(test_fifo_one_sender_one_receiver),
		cmocka_unit_test(test_rendezvous_send_waits_for_receiver),
		cmocka_unit_test(test_rendezvous_receiver_first),
		cmocka_unit_test(test_rendezvous_several_senders),
		cmocka_unit_test(test_capacity_n_blocks_when_full),
		cmocka_unit_test(test_close_wakes_receivers),
		cmocka_unit_test(test_close_wakes_senders),
		cmocka_unit_test(test_close_rendezvous_senders),
		cmocka_unit_test(test_close_then_drain),
		cmocka_unit_test(test_send_after_close_and_double_close),
		cmocka_unit_test(test_abort_wakes_receivers),
		cmocka_unit_test(test_abort_wakes_senders),
		cmocka_unit_test(test_abort_rendezvous_sender),
		cmocka_unit_test(test_destroy_frees_buffered),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_burst_wakes_parked_receivers),
		STRESS_TEST(0, "test_stress_4x4_200k_rendezvous"),
		STRESS_TEST(1, "test_stress_4x4_1M_capacity_1"),
		STRESS_TEST(2, "test_stress_4x4_1M_capacity_64"),
		STRESS_TEST(3, "test_stress_4x4_1M_capacity_1024"),
		STRESS_TEST(4, "test_stress_4x4_declared_400k_capacity_3"),
		STRESS_TEST(5, "test_stress_1x1_declared_400k_capacity_1"),
		STRESS_TEST(6, "test_stress_1x1_declared_400k_capacity_7"),
		STRESS_TEST(7, "test_stress_1x1_declared_400k_capacity_1024"),
		STRESS_TEST(8, "test_stress_4x1_declared_400k_capacity_1"),
		STRESS_TEST(9, "test_stress_4x1_declared_400k_capacity_64"),
		STRESS_TEST(10, "test_stress_1x4_declared_400k_capacity_1"),
		STRESS_TEST(11, "test_stress_1x4_declared_400k_capacity_64"),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
