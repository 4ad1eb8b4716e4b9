/* test_stages_transform.c - unit tests of the transform stages (upper, grep, delay). */
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
