/* test_msg_cache.c - cmocka tests of runner/msg_cache.c: reuse, hand-back across threads, sizes,
 * poisoning. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan.h"
#include "msg.h"
#include "msg_cache.h"

#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#ifdef TEST_ASAN
#include <sanitizer/asan_interface.h>
#endif

/*
 * cmocka's assertions are only used on the main thread: helper threads
 * record what they saw, the main thread checks it after the join.  Every
 * cache is destroyed at the end of its test; the sanitizer and valgrind
 * builds then report any block that was not freed.
 */

/* A message of `len` bytes, each set from `id`. */
static pl_msg *filled(size_t len, uint64_t id)
{
	pl_msg *m = pl_msg_new(len);
	if (m != NULL)
		for (size_t i = 0; i < len; i++)
			pl_msg_data(m)[i] = (unsigned char)(id + i);
	return m;
}

static int intact(pl_msg *m, size_t len, uint64_t id)
{
	if (pl_msg_len(m) != len)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (pl_msg_data(m)[i] != (unsigned char)(id + i))
			return 0;
	return 1;
}

/* A thread with a cache frees into it and allocates the same block again;
 * sizes beyond the largest class, and a thread without a cache, use malloc. */
static void test_reuse_on_one_thread(void **state)
{
	(void)state;
	pl_msg_cache *cache = NULL;
	pl__msg_cache_attach(&cache);

	pl_msg *a = filled(10, 1);
	assert_non_null(a);
	assert_non_null(cache); /* created on first need */
	assert_ptr_equal(a->home, cache);
	pl_msg_free(a);
	pl_msg *b = filled(64, 2); /* the same class: the same block */
	assert_ptr_equal(b, a);
	assert_true(intact(b, 64, 2));
	pl_msg *c = filled(65, 3); /* the next class: another block */
	assert_ptr_not_equal(c, b);
	assert_ptr_equal(c->home, cache);
	pl_msg *big = filled(4097, 4); /* beyond the classes: malloc's */
	assert_null(big->home);
	assert_true(intact(big, 4097, 4));
	pl_msg *empty = pl_msg_new(0);
	assert_non_null(empty);
	assert_int_equal(pl_msg_len(empty), 0);

	/* Metadata goes with the message, not with the block. */
	assert_int_equal(pl_msg_set_failure(b, "n", "s", "e", 2), 0);
	assert_string_equal(pl_msg_meta(b, "attempts"), "2");
	pl_msg_free(b);
	pl_msg *again = pl_msg_new(8);
	assert_ptr_equal(again, b);
	assert_null(pl_msg_meta(again, "node"));

	pl_msg_free(again);
	pl_msg_free(c);
	pl_msg_free(big);
	pl_msg_free(empty);
	pl__msg_cache_detach();

	pl_msg *plain = pl_msg_new(8); /* no cache any more */
	assert_null(plain->home);
	pl_msg_free(plain);
	pl__msg_cache_destroy(cache);
}

/* ---- Across threads. ---------------------------------------------------- */

#define HANDED 1000 /* more than a batch, not a multiple of one */

struct freer {
	pl_msg **msgs;
	size_t n;
	int attach;
	pl_msg_cache *cache;
};

static void *freer_main(void *arg)
{
	struct freer *f = arg;
	if (f->attach)
		pl__msg_cache_attach(&f->cache);
	for (size_t i = 0; i < f->n; i++)
		pl_msg_free(f->msgs[i]);
	if (f->attach)
		pl__msg_cache_detach(); /* hands back the last, partial batch */
	return NULL;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

/* Blocks freed on another thread (with a cache, in batches; without, one
 * by one) come back to their home: the home allocates exactly them again
 * and mallocs nothing new. */
static void test_hand_back(void **state)
{
	(void)state;
	for (int attach = 0; attach < 2; attach++) {
		pl_msg_cache *home = NULL;
		pl__msg_cache_attach(&home);
		pl_msg **first = calloc(HANDED, sizeof(*first));
		pl_msg **second = calloc(HANDED, sizeof(*second));
		assert_non_null(first);
		assert_non_null(second);
		for (size_t i = 0; i < HANDED; i++)
			assert_non_null(first[i] = filled(8, i));
		struct freer f = { .msgs = first, .n = HANDED, .attach = attach };
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, freer_main, &f), 0);
		assert_int_equal(pthread_join(t, NULL), 0);
		for (size_t i = 0; i < HANDED; i++)
			assert_non_null(second[i] = filled(8, i));
		qsort(first, HANDED, sizeof(*first), cmp_ptr); /* pointers only */
		qsort(second, HANDED, sizeof(*second), cmp_ptr);
		assert_memory_equal(first, second, HANDED * sizeof(*first));
		for (size_t i = 0; i < HANDED; i++)
			pl_msg_free(second[i]);
		pl__msg_cache_detach();
		pl__msg_cache_destroy(home);
		pl__msg_cache_destroy(f.cache); /* NULL without attach */
		free(first);
		free(second);
	}
}

/* ---- Stress: producers and consumers with caches, through a channel. -- */

#define STRESS_THREADS 2
#define STRESS_EACH    100000

struct side {
	pl_chan *c;
	uint64_t index;
	pl_msg_cache *cache;
	uint64_t received, bad; /* consumers */
	int rc;
};

static void *producer_main(void *arg)
{
	struct side *s = arg;
	pl__msg_cache_attach(&s->cache);
	for (uint64_t i = 0; i < STRESS_EACH && s->rc == 0; i++) {
		uint64_t id = s->index * STRESS_EACH + i;
		/* Sizes across every class and beyond. */
		pl_msg *m = filled((size_t)(id * 37 % 5000), id);
		if (m == NULL) {
			s->rc = PL_ENOMEM;
			break;
		}
		memcpy(pl_msg_data(m), &id, pl_msg_len(m) < 8 ? pl_msg_len(m) : 8);
		s->rc = pl_chan_send(pl_chan_sender(s->c), m);
		if (s->rc != 0)
			pl_msg_free(m);
	}
	pl__msg_cache_detach();
	return NULL;
}

static void *consumer_main(void *arg)
{
	struct side *s = arg;
	pl__msg_cache_attach(&s->cache);
	pl_msg *m;
	while ((s->rc = pl_chan_recv(pl_chan_receiver(s->c), &m)) == 0) {
		size_t len = pl_msg_len(m);
		uint64_t id = 0;
		memcpy(&id, pl_msg_data(m), len < 8 ? len : 8);
		if (len >= 8) {
			/* The rest of the bytes, as filled() wrote them. */
			for (size_t i = 8; i < len; i++)
				if (pl_msg_data(m)[i] != (unsigned char)(id + i))
					s->bad++;
		}
		s->received++;
		/* Half of them go back on the consumer's own cache: a block
		 * of a producer's now lives in a consumer's allocations too. */
		if (id % 2 == 0) {
			pl_msg_free(m);
		} else {
			pl_msg *copy = pl_msg_copy(m);
			pl_msg_free(m);
			pl_msg_free(copy);
		}
	}
	pl__msg_cache_detach();
	return NULL;
}

static void test_stress(void **state)
{
	(void)state;
	pl_chan *c = NULL;
	assert_int_equal(pl_chan_create_ends(64, STRESS_THREADS, STRESS_THREADS, &c), 0);
	struct side prod[STRESS_THREADS], cons[STRESS_THREADS];
	pthread_t pt[STRESS_THREADS], ct[STRESS_THREADS];
	for (int i = 0; i < STRESS_THREADS; i++) {
		cons[i] = (struct side){ .c = c };
		prod[i] = (struct side){ .c = c, .index = (uint64_t)i };
		assert_int_equal(pthread_create(&ct[i], NULL, consumer_main, &cons[i]), 0);
		assert_int_equal(pthread_create(&pt[i], NULL, producer_main, &prod[i]), 0);
	}
	for (int i = 0; i < STRESS_THREADS; i++) {
		assert_int_equal(pthread_join(pt[i], NULL), 0);
		assert_int_equal(prod[i].rc, 0);
	}
	assert_int_equal(pl_chan_close(pl_chan_sender(c)), 0);
	uint64_t received = 0;
	for (int i = 0; i < STRESS_THREADS; i++) {
		assert_int_equal(pthread_join(ct[i], NULL), 0);
		assert_int_equal(cons[i].rc, PL_ECLOSED);
		assert_int_equal(cons[i].bad, 0);
		received += cons[i].received;
	}
	assert_int_equal(received, (uint64_t)STRESS_THREADS * STRESS_EACH);
	pl_chan_destroy(c);
	/* Every block is back home: each cache is freed (a leak otherwise). */
	for (int i = 0; i < STRESS_THREADS; i++) {
		pl__msg_cache_destroy(prod[i].cache);
		pl__msg_cache_destroy(cons[i].cache);
	}
}

/* A second free of a cached message aborts (in a child process): the
 * cache would otherwise hand the block out twice. */
static void test_double_free_aborts(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pl_msg_cache *cache = NULL;
		pl__msg_cache_attach(&cache);
		pl_msg *m = pl_msg_new(8);
		pl_msg_free(m);
		pl_msg_free(m);
		_exit(0); /* not reached */
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

#ifdef TEST_ASAN
/* A cached block's bytes are poisoned; a new message's bytes past its
 * length stay poisoned, so an overflow within the block is still caught. */
static void test_poisoned(void **state)
{
	(void)state;
	pl_msg_cache *cache = NULL;
	pl__msg_cache_attach(&cache);
	pl_msg *m = pl_msg_new(10);
	unsigned char *data = pl_msg_data(m);
	assert_false(__asan_address_is_poisoned(data + 9));
	assert_true(__asan_address_is_poisoned(data + 10));
	assert_true(__asan_address_is_poisoned(data + 63));
	pl_msg_free(m);
	assert_true(__asan_address_is_poisoned(data));
	assert_true(__asan_address_is_poisoned(&m->len)); /* pl_msg_len() of it is reported */
	pl_msg *again = pl_msg_new(64);
	assert_ptr_equal(again, m);
	assert_false(__asan_address_is_poisoned(data + 63));
	pl_msg_free(again);
	pl__msg_cache_detach();
	pl__msg_cache_destroy(cache);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reuse_on_one_thread),
		cmocka_unit_test(test_hand_back),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_double_free_aborts),
#ifdef TEST_ASAN
		cmocka_unit_test(test_poisoned),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
