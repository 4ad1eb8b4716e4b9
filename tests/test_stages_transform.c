/* test_stages_transform.c - unit tests of the transform stages (upper, grep, delay, hash). */
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "builtin.h"
#include "params.h"
#include "stage_harness.h"
#include "stage_test_util.h"

/* ---- Helpers. ------------------------------------------------------------ */

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* ---- upper. -------------------------------------------------------------- */

static void test_upper(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_upper), 0);
	static const char *const in[] = { "hello, World 1!", "", "caf\xc3\xa9 z{`@" };
	assert_int_equal(pl_harness_run(&h, in, N_ELEMS(in)), 0);
	static const char *const want[] = { "HELLO, WORLD 1!", "", "CAF\xc3\xa9 Z{`@" };
	assert_outs(&h, want, N_ELEMS(want));
	finish(&h);

	/* A refused emit is not upper's failure, and the message is not leaked. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_upper), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	h.emit_limit = 0;
	assert_int_equal(pl_harness_process_str(&h, "abc"), 0);
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(h.n_fails, 0);
	finish(&h);
}

/* ---- grep. --------------------------------------------------------------- */

static void test_grep_match(void **state)
{
	(void)state;
	pl_harness h;
	static const char *const in[] = { "abc", "abd", "xabc", "a-c", "", "ac" };

	assert_int_equal(pl_harness_create(&h, &pl_stage_grep), 0);
	assert_int_equal(pl_harness_set(&h, "pattern", "^a.c$"), 0);
	assert_int_equal(pl_harness_run(&h, in, N_ELEMS(in)), 0);
	static const char *const want[] = { "abc", "a-c" };
	assert_outs(&h, want, N_ELEMS(want));
	finish(&h);

	/* Extended syntax: +, | and groups without backslashes. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_grep), 0);
	assert_int_equal(pl_harness_set(&h, "pattern", "(ab)+d|^$"), 0);
	assert_int_equal(pl_harness_run(&h, in, N_ELEMS(in)), 0);
	static const char *const want2[] = { "abd", "" };
	assert_outs(&h, want2, N_ELEMS(want2));
	finish(&h);
}

static void test_grep_invert(void **state)
{
	(void)state;
	pl_harness h;
	static const char *const in[] = { "abc", "abd", "xabc", "a-c" };
	assert_int_equal(pl_harness_create(&h, &pl_stage_grep), 0);
	assert_int_equal(pl_harness_set(&h, "pattern", "b"), 0);
	assert_int_equal(pl_harness_set(&h, "invert", "true"), 0);
	assert_int_equal(pl_harness_run(&h, in, N_ELEMS(in)), 0);
	static const char *const want[] = { "a-c" };
	assert_outs(&h, want, N_ELEMS(want));
	finish(&h);

	assert_int_equal(pl_harness_create(&h, &pl_stage_grep), 0);
	assert_int_equal(pl_harness_set(&h, "invert", "yes"), PL_EINVAL);
	assert_int_equal(pl_harness_set(&h, "pattern", "b"), 0);
	assert_int_equal(pl_harness_set(&h, "invert", "false"), 0);
	assert_int_equal(pl_harness_run(&h, in, N_ELEMS(in)), 0);
	assert_int_equal(h.n_outs, 3);
	finish(&h);
}

static void test_grep_invalid(void **state)
{
	(void)state;
	pl_harness h;
	regex_t re;
	char expected[256];
	int rc = regcomp(&re, "a(", REG_EXTENDED | REG_NOSUB);
	assert_int_not_equal(rc, 0);
	regerror(rc, &re, expected, sizeof(expected));

	assert_int_equal(pl_harness_create(&h, &pl_stage_grep), 0);
	assert_int_equal(pl_harness_set(&h, "pattern", "a("), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_false(h.inited);
	assert_non_null(strstr(h.fail_msg, expected));
	assert_non_null(strstr(h.fail_msg, "a("));
	finish(&h);

	assert_int_equal(pl_harness_create(&h, &pl_stage_grep), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, "pattern"));
	finish(&h);
}

/* Messages are byte buffers: matching must neither read past their end nor
 * need a NUL terminator. */
static void test_grep_bytes(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_grep), 0);
	assert_int_equal(pl_harness_set(&h, "pattern", "c$"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process(&h, "abcd", 3), 0); /* "abc": matches */
	assert_int_equal(pl_harness_process(&h, "abcd", 2), 0); /* "ab": does not */
	assert_int_equal(pl_harness_process(&h, "ab\0c", 4), 0);
	pl_harness_fini(&h);
	assert_int_equal(pl_harness_out_len(&h, 0), 3);
	assert_string_equal(pl_harness_out(&h, 0), "abc");
#ifdef REG_STARTEND
	/* The whole message is searched, past an embedded NUL. */
	assert_int_equal(h.n_outs, 2);
	assert_int_equal(pl_harness_out_len(&h, 1), 4);
	assert_memory_equal(pl_harness_out(&h, 1), "ab\0c", 4);
#else
	assert_int_equal(h.n_outs, 1);
#endif
	finish(&h);

	/* Before a NUL, matches are found either way; the bytes pass unchanged. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_grep), 0);
	assert_int_equal(pl_harness_set(&h, "pattern", "^ab"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process(&h, "ab\0cd", 5), 0);
	pl_harness_fini(&h);
	assert_int_equal(h.n_outs, 1);
	assert_int_equal(pl_harness_out_len(&h, 0), 5);
	assert_memory_equal(pl_harness_out(&h, 0), "ab\0cd", 5);
	finish(&h);
}

/* ---- delay. -------------------------------------------------------------- */

static void test_delay(void **state)
{
	(void)state;
	pl_harness h;
	struct timespec t0, t1;

	assert_int_equal(pl_harness_create(&h, &pl_stage_delay), 0);
	assert_int_equal(pl_harness_set(&h, "ms", "30"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pl_harness_process_str(&h, "payload"), 0);
	assert_int_equal(pl_harness_process(&h, "x\0y", 3), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(pl_harness_flush(&h), 0);
	pl_harness_fini(&h);
	assert_true(elapsed_ms(&t0, &t1) >= 60.0);
	assert_int_equal(h.n_outs, 2);
	assert_string_equal(pl_harness_out(&h, 0), "payload");
	assert_int_equal(pl_harness_out_len(&h, 1), 3);
	assert_memory_equal(pl_harness_out(&h, 1), "x\0y", 3);
	finish(&h);

	/* 0 ms passes straight through. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_delay), 0);
	assert_int_equal(pl_harness_set(&h, "ms", "0"), 0);
	static const char *const in[] = { "a", "b" };
	assert_int_equal(pl_harness_run(&h, in, N_ELEMS(in)), 0);
	assert_outs(&h, in, N_ELEMS(in));
	finish(&h);
}

static void test_delay_params(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_delay), 0);
	assert_string_equal(pl_params_missing(h.params), "ms");
	assert_int_equal(pl_harness_set(&h, "ms", "-1"), PL_ERANGE);
	assert_int_equal(pl_harness_set(&h, "ms", "86400001"), PL_ERANGE);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE); /* still missing */
	assert_non_null(strstr(h.fail_msg, "ms"));
	assert_int_equal(pl_harness_set(&h, "ms", "86400000"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	finish(&h);
}

static void *set_stopping_later(void *arg)
{
	pl_harness *h = arg;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 100 * 1000000L };
	nanosleep(&ts, NULL);
	atomic_store(&h->stopping, 1);
	return NULL;
}

/* A day-long delay gives way promptly once its worker is told to stop (a
 * node downstream failed, so the message would be lost anyway). */
static void test_delay_stopping(void **state)
{
	(void)state;
	pl_harness h;
	struct timespec t0, t1;
	pthread_t t;

	assert_int_equal(pl_harness_create(&h, &pl_stage_delay), 0);
	assert_int_equal(pl_harness_set(&h, "ms", "86400000"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&t, NULL, set_stopping_later, &h), 0);
	assert_int_equal(pl_harness_process_str(&h, "late"), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_true(elapsed_ms(&t0, &t1) >= 100.0);
	assert_true(elapsed_ms(&t0, &t1) < 1000.0 * 60);
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(h.n_fails, 0);
	finish(&h);
}

/* ---- hash. --------------------------------------------------------------- */

/* The 64-bit value stored little-endian in the first 8 bytes of output i. */
static uint64_t out_le64(const pl_harness *h, size_t i)
{
	const unsigned char *p = (const unsigned char *)pl_harness_out(h, i);
	uint64_t v = 0;
	for (int k = 7; k >= 0; k--)
		v = v << 8 | p[k];
	return v;
}

/* FNV-1a 64 computed the other way round: `rounds` rounds over a message,
 * each seeded with the previous result, are one FNV-1a pass over `rounds`
 * copies of the message laid end to end. */
static uint64_t fnv1a_of_copies(const unsigned char *msg, size_t len, size_t rounds)
{
	unsigned char *all = malloc(len * rounds + 1);
	assert_non_null(all);
	for (size_t r = 0; r < rounds; r++)
		memcpy(all + r * len, msg, len);
	uint64_t h = 14695981039346656037u; /* the offset basis, in decimal */
	for (size_t i = 0; i < len * rounds; i++)
		h = (h ^ all[i]) * 1099511628211u; /* the 64-bit FNV prime */
	free(all);
	return h;
}

static void test_hash_vectors(void **state)
{
	(void)state;
	/* The published FNV-1a 64 test vectors (one round); messages shorter
	 * than 8 bytes come out as 8-byte ones holding just the hash. */
	static const struct {
		const char *in;
		uint64_t want;
	} vec[] = {
		{ "", 0xcbf29ce484222325u },
		{ "a", 0xaf63dc4c8601ec8cu },
		{ "foobar", 0x85944171f73967e8u },
	};
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_hash), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	for (size_t i = 0; i < N_ELEMS(vec); i++)
		assert_int_equal(pl_harness_process_str(&h, vec[i].in), 0);
	assert_int_equal(h.n_outs, N_ELEMS(vec));
	for (size_t i = 0; i < N_ELEMS(vec); i++) {
		assert_int_equal(pl_harness_out_len(&h, i), 8);
		assert_int_equal(out_le64(&h, i), vec[i].want);
	}
	finish(&h);
}

static void test_hash_rounds(void **state)
{
	(void)state;
	/* What `fixed` emits with size 64: i, then zeros; and text. */
	unsigned char msg64[64] = { 0 };
	msg64[0] = 0x2a;
	msg64[1] = 0x01;
	static const char text[] = "the quick brown fox";
	static const char *const rounds[] = { "1", "2", "200", "1000" };
	for (size_t k = 0; k < N_ELEMS(rounds); k++) {
		size_t r = (size_t)strtoul(rounds[k], NULL, 10);
		pl_harness h;
		assert_int_equal(pl_harness_create(&h, &pl_stage_hash), 0);
		assert_int_equal(pl_harness_set(&h, "rounds", rounds[k]), 0);
		assert_int_equal(pl_harness_init(&h), 0);
		assert_int_equal(pl_harness_process(&h, msg64, sizeof(msg64)), 0);
		assert_int_equal(pl_harness_process_str(&h, text), 0);
		assert_int_equal(pl_harness_process(&h, "x\0y", 3), 0);
		assert_int_equal(h.n_outs, 3);
		/* The hash replaces the first 8 bytes; the rest pass unchanged. */
		assert_int_equal(pl_harness_out_len(&h, 0), sizeof(msg64));
		assert_int_equal(out_le64(&h, 0), fnv1a_of_copies(msg64, sizeof(msg64), r));
		assert_memory_equal(pl_harness_out(&h, 0) + 8, msg64 + 8, sizeof(msg64) - 8);
		assert_int_equal(pl_harness_out_len(&h, 1), sizeof(text) - 1);
		assert_int_equal(out_le64(&h, 1),
				 fnv1a_of_copies((const unsigned char *)text, sizeof(text) - 1, r));
		assert_string_equal(pl_harness_out(&h, 1) + 8, text + 8);
		assert_int_equal(pl_harness_out_len(&h, 2), 8);
		assert_int_equal(out_le64(&h, 2),
				 fnv1a_of_copies((const unsigned char *)"x\0y", 3, r));
		finish(&h);
	}
}

static void test_hash_params(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_hash), 0);
	assert_null(pl_params_missing(h.params));
	assert_int_equal(pl_harness_set(&h, "rounds", "0"), PL_ERANGE);
	assert_int_equal(pl_harness_set(&h, "rounds", "1000001"), PL_ERANGE);
	assert_int_equal(pl_harness_set(&h, "rounds", "two"), PL_EINVAL);
	assert_int_equal(pl_harness_set(&h, "rounds", "1000000"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	finish(&h);

	/* A refused emit is not hash's failure, and leaks nothing, whether the
	 * message is passed on or replaced. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_hash), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	h.emit_limit = 0;
	assert_int_equal(pl_harness_process_str(&h, "long enough"), 0);
	assert_int_equal(pl_harness_process_str(&h, "short"), 0);
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(h.n_fails, 0);
	finish(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* upper */
		cmocka_unit_test(test_upper),
		/* grep */
		cmocka_unit_test(test_grep_match),
		cmocka_unit_test(test_grep_invert),
		cmocka_unit_test(test_grep_invalid),
		cmocka_unit_test(test_grep_bytes),
		/* delay */
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_delay_params),
		cmocka_unit_test(test_delay_stopping),
		/* hash */
		cmocka_unit_test(test_hash_vectors),
		cmocka_unit_test(test_hash_rounds),
		cmocka_unit_test(test_hash_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
