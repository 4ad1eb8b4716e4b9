/* test_stages_gen.c - unit tests of the stage table and the generators (seq, fixed, lines). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "builtin.h"
#include "out.h"
#include "params.h"
#include "stage_harness.h"
#include "stage_test_util.h"

/* ---- The table of stages. ----------------------------------------------- */

static void test_table(void **state)
{
	(void)state;
	static const char *const names[] = {
		"seq",    "lines", "fixed", "upper", "grep", "delay", "hash", "exec",
#ifdef PL_HAVE_JANSSON
		"json",
#endif
#ifdef PL_HAVE_CURL
		"http",
#endif
		"stdout", "file",  "null",  "count",
#ifdef PL_HAVE_LWS
		"websocket",
#endif
	};
	assert_int_equal(pl_builtin_stage_count, N_ELEMS(names));
	for (size_t i = 0; i < pl_builtin_stage_count; i++) {
		const pl_stage *s = pl_builtin_stages[i];
		assert_string_equal(s->name, names[i]);
		assert_int_equal(s->size, sizeof(pl_stage));
		assert_non_null(s->description);
		assert_true(s->n_params == 0 || s->params != NULL);
		if (s->kind == PL_STAGE_GENERATOR) {
			assert_non_null(s->generate);
			assert_null(s->process);
		} else {
			assert_true(s->kind == PL_STAGE_TRANSFORM || s->kind == PL_STAGE_SINK);
			assert_non_null(s->process);
			assert_null(s->generate);
		}
		for (uint32_t j = 0; j < s->n_params; j++) {
			/* params is not NULL: assert_true() above ends the test (cmocka 1.1 does
			 * not declare it noreturn, so the analyzer goes on) */
			/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
			assert_non_null(s->params[j].name);
			assert_non_null(s->params[j].description);
		}
		/* Every default parses as its type. */
		pl_params *p;
		char err[256];
		assert_int_equal(pl_params_create(s, &p, err, sizeof(err)), 0);
		pl_params_destroy(p);
	}
	assert_int_equal(pl_stage_seq.max_workers, 1);
	assert_int_equal(pl_stage_lines.max_workers, 1);
	assert_int_equal(pl_stage_fixed.max_workers, 1);
	assert_int_equal(pl_stage_hash.max_workers, 0);
	assert_int_equal(pl_stage_file.max_workers, 1);
	assert_int_equal(pl_stage_count.max_workers, 1);
	assert_int_equal(pl_stage_stdout.max_workers, 0);
}

/* ---- seq. ---------------------------------------------------------------- */

static void test_seq_defaults(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	assert_int_equal(pl_harness_set(&h, "count", "5"), 0);
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	static const char *const want[] = { "1", "2", "3", "4", "5" };
	assert_outs(&h, want, N_ELEMS(want));
	assert_int_equal(h.n_fails, 0);
	finish(&h);
}

static void test_seq_start_step(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	assert_int_equal(pl_harness_set(&h, "count", "3"), 0);
	assert_int_equal(pl_harness_set(&h, "start", "10"), 0);
	assert_int_equal(pl_harness_set(&h, "step", "5"), 0);
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	static const char *const want[] = { "10", "15", "20" };
	assert_outs(&h, want, N_ELEMS(want));
	finish(&h);
}

static void test_seq_negative_step(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	assert_int_equal(pl_harness_set(&h, "count", "4"), 0);
	assert_int_equal(pl_harness_set(&h, "start", "3"), 0);
	assert_int_equal(pl_harness_set(&h, "step", "-2"), 0);
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	static const char *const want[] = { "3", "1", "-1", "-3" };
	assert_outs(&h, want, N_ELEMS(want));
	finish(&h);
}

static void test_seq_count_zero(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	assert_int_equal(pl_harness_set(&h, "count", "0"), 0);
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(h.n_emit_calls, 0);
	finish(&h);
}

static void test_seq_overflow(void **state)
{
	(void)state;
	pl_harness h;
	/* Unlimited: the third term would pass INT64_MAX. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	assert_int_equal(pl_harness_set(&h, "start", "9223372036854775806"), 0);
	assert_int_equal(pl_harness_run(&h, NULL, 0), PL_ESTAGE);
	static const char *const want[] = { "9223372036854775806", "9223372036854775807" };
	assert_outs(&h, want, N_ELEMS(want));
	assert_int_equal(h.n_fails, 1);
	assert_non_null(strstr(h.fail_msg, "overflows"));
	finish(&h);

	/* Counted: the overflowing term is never needed. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	assert_int_equal(pl_harness_set(&h, "start", "9223372036854775806"), 0);
	assert_int_equal(pl_harness_set(&h, "count", "2"), 0);
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	assert_outs(&h, want, N_ELEMS(want));
	assert_int_equal(h.n_fails, 0);
	finish(&h);

	/* Downwards past INT64_MIN. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	assert_int_equal(pl_harness_set(&h, "start", "-9223372036854775807"), 0);
	assert_int_equal(pl_harness_set(&h, "step", "-1"), 0);
	assert_int_equal(pl_harness_set(&h, "count", "3"), 0);
	assert_int_equal(pl_harness_run(&h, NULL, 0), PL_ESTAGE);
	static const char *const down[] = { "-9223372036854775807", "-9223372036854775808" };
	assert_outs(&h, down, N_ELEMS(down));
	finish(&h);

	/* A huge step overflows on the third term. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	assert_int_equal(pl_harness_set(&h, "start", "0"), 0);
	assert_int_equal(pl_harness_set(&h, "step", "9223372036854775807"), 0);
	assert_int_equal(pl_harness_run(&h, NULL, 0), PL_ESTAGE);
	static const char *const big[] = { "0", "9223372036854775807" };
	assert_outs(&h, big, N_ELEMS(big));
	finish(&h);
}

static void test_seq_cancel(void **state)
{
	(void)state;
	pl_harness h;
	/* Unlimited count: stops at the first refused emit. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	h.emit_limit = 5;
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	assert_int_equal(h.n_outs, 5);
	assert_int_equal(h.n_emit_calls, 6);
	assert_string_equal(pl_harness_out(&h, 4), "5");
	assert_int_equal(h.n_fails, 0);
	finish(&h);

	/* Already stopping. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	atomic_store(&h.stopping, 1);
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(h.n_emit_calls, 1);
	finish(&h);
}

static void test_seq_params(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
	assert_int_equal(pl_harness_set(&h, "count", "-1"), PL_ERANGE);
	assert_int_equal(pl_harness_set(&h, "count", "ten"), PL_EINVAL);
	assert_int_equal(pl_harness_set(&h, "start", "1.5"), PL_EINVAL);
	assert_int_equal(pl_harness_set(&h, "step", "99999999999999999999"), PL_ERANGE);
	assert_int_equal(pl_harness_set(&h, "cont", "1"), PL_ENOENT);
	assert_int_equal(pl_harness_set(&h, "count", "9223372036854775807"), 0);
	assert_null(pl_params_missing(h.params));
	finish(&h);
}

/* ---- fixed. -------------------------------------------------------------- */

/* Asserts that output `i` of `h` is `size` bytes: i little-endian, then zeros. */
static void assert_fixed_out(const pl_harness *h, size_t i, size_t size)
{
	assert_int_equal(pl_harness_out_len(h, i), size);
	const unsigned char *p = (const unsigned char *)pl_harness_out(h, i);
	uint64_t v = 0;
	for (int k = 7; k >= 0; k--)
		v = v << 8 | p[k];
	assert_int_equal(v, i);
	for (size_t k = 8; k < size; k++)
		if (p[k] != 0)
			fail_msg("message %zu: byte %zu is %u, not 0", i, k, p[k]);
}

static void test_fixed_defaults(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_fixed), 0);
	assert_int_equal(pl_harness_set(&h, "count", "300"), 0);
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	assert_int_equal(h.n_outs, 300);
	for (size_t i = 0; i < h.n_outs; i++)
		assert_fixed_out(&h, i, 8);
	/* Byte order, spelled out: 258 = 0x0102. */
	assert_memory_equal(pl_harness_out(&h, 258), "\x02\x01\0\0\0\0\0\0", 8);
	assert_int_equal(h.n_fails, 0);
	finish(&h);
}

static void test_fixed_sizes(void **state)
{
	(void)state;
	static const char *const sizes[] = { "9", "64", "1048576" };
	for (size_t k = 0; k < N_ELEMS(sizes); k++) {
		pl_harness h;
		assert_int_equal(pl_harness_create(&h, &pl_stage_fixed), 0);
		assert_int_equal(pl_harness_set(&h, "count", "3"), 0);
		assert_int_equal(pl_harness_set(&h, "size", sizes[k]), 0);
		assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
		assert_int_equal(h.n_outs, 3);
		for (size_t i = 0; i < h.n_outs; i++)
			assert_fixed_out(&h, i, (size_t)strtoul(sizes[k], NULL, 10));
		finish(&h);
	}
	/* None. */
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_fixed), 0);
	assert_int_equal(pl_harness_set(&h, "count", "0"), 0);
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(h.n_emit_calls, 0);
	finish(&h);
}

static void test_fixed_cancel(void **state)
{
	(void)state;
	pl_harness h;
	/* Unlimited count: stops at the first refused emit, leaking nothing. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_fixed), 0);
	h.emit_limit = 5;
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	assert_int_equal(h.n_outs, 5);
	assert_int_equal(h.n_emit_calls, 6);
	assert_fixed_out(&h, 4, 8);
	assert_int_equal(h.n_fails, 0);
	finish(&h);

	/* Already stopping. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_fixed), 0);
	atomic_store(&h.stopping, 1);
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(h.n_emit_calls, 1);
	finish(&h);
}

static void test_fixed_params(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_fixed), 0);
	assert_null(pl_params_missing(h.params));
	assert_int_equal(pl_harness_set(&h, "count", "-1"), PL_ERANGE);
	assert_int_equal(pl_harness_set(&h, "size", "7"), PL_ERANGE);
	assert_int_equal(pl_harness_set(&h, "size", "0"), PL_ERANGE);
	assert_int_equal(pl_harness_set(&h, "size", "16777217"), PL_ERANGE);
	assert_int_equal(pl_harness_set(&h, "size", "8.5"), PL_EINVAL);
	assert_int_equal(pl_harness_set(&h, "size", "16777216"), 0);
	assert_int_equal(pl_harness_set(&h, "count", "9223372036854775807"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	finish(&h);
}

/* ---- lines. -------------------------------------------------------------- */

/* Runs `lines` over a temp file holding `len` bytes of `data`. */
static int run_lines(pl_harness *h, const char *data, size_t len)
{
	char path[256];
	make_temp(path, sizeof(path), 0);
	write_file(path, data, len);
	assert_int_equal(pl_harness_create(h, &pl_stage_lines), 0);
	assert_int_equal(pl_harness_set(h, "path", path), 0);
	int rc = pl_harness_run(h, NULL, 0);
	unlink(path);
	return rc;
}

static void test_lines_basic(void **state)
{
	(void)state;
	pl_harness h;
	static const char text[] = "alpha\n\nbeta gamma\r\n\n\nlast";
	assert_int_equal(run_lines(&h, text, sizeof(text) - 1), 0);
	static const char *const want[] = { "alpha", "", "beta gamma\r", "", "", "last" };
	assert_outs(&h, want, N_ELEMS(want));
	finish(&h);

	static const char text2[] = "one\ntwo\n";
	assert_int_equal(run_lines(&h, text2, sizeof(text2) - 1), 0);
	static const char *const want2[] = { "one", "two" };
	assert_outs(&h, want2, N_ELEMS(want2));
	finish(&h);

	assert_int_equal(run_lines(&h, "", 0), 0);
	assert_int_equal(h.n_outs, 0);
	finish(&h);

	assert_int_equal(run_lines(&h, "\n", 1), 0);
	assert_int_equal(h.n_outs, 1);
	assert_int_equal(pl_harness_out_len(&h, 0), 0);
	finish(&h);
}

static void test_lines_binary_and_long(void **state)
{
	(void)state;
	pl_harness h;
	size_t big = 100000;
	char *data = malloc(big + 8);
	assert_non_null(data);
	for (size_t i = 0; i < big; i++)
		data[i] = (char)('a' + i % 26);
	/* NOLINTNEXTLINE(bugprone-not-null-terminated-result): data, not a string */
	memcpy(data + big, "\nx\0y\n", 5);
	assert_int_equal(run_lines(&h, data, big + 5), 0);
	assert_int_equal(h.n_outs, 2);
	assert_int_equal(pl_harness_out_len(&h, 0), big);
	assert_memory_equal(pl_harness_out(&h, 0), data, big);
	assert_int_equal(pl_harness_out_len(&h, 1), 3);
	assert_memory_equal(pl_harness_out(&h, 1), "x\0y", 3);
	finish(&h);
	free(data);
}

static void test_lines_missing(void **state)
{
	(void)state;
	pl_harness h;
	char dir[256], path[300];
	make_temp(dir, sizeof(dir), 1);
	snprintf(path, sizeof(path), "%s/no-such-file", dir);
	assert_int_equal(pl_harness_create(&h, &pl_stage_lines), 0);
	assert_int_equal(pl_harness_set(&h, "path", path), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_false(h.inited);
	assert_non_null(strstr(h.fail_msg, path));
	char ebuf[64];
	assert_non_null(strstr(h.fail_msg, pl_out_strerror(ENOENT, ebuf, sizeof(ebuf))));
	finish(&h);
	rmdir(dir);

	/* No path at all (the runner would have refused the config). */
	assert_int_equal(pl_harness_create(&h, &pl_stage_lines), 0);
	assert_string_equal(pl_params_missing(h.params), "path");
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, "path"));
	finish(&h);
}

static void test_lines_directory(void **state)
{
	(void)state;
	pl_harness h;
	char dir[256];
	make_temp(dir, sizeof(dir), 1);
	assert_int_equal(pl_harness_create(&h, &pl_stage_lines), 0);
	assert_int_equal(pl_harness_set(&h, "path", dir), 0);
	int rc = pl_harness_init(&h);
	if (rc == 0) { /* glibc opens a directory for reading; the read fails */
		assert_int_equal(pl_harness_generate(&h), PL_ESTAGE);
		char ebuf[64];
		assert_non_null(strstr(h.fail_msg, pl_out_strerror(EISDIR, ebuf, sizeof(ebuf))));
	} else {
		assert_int_equal(rc, PL_ESTAGE);
	}
	assert_non_null(strstr(h.fail_msg, dir));
	assert_int_equal(h.n_outs, 0);
	finish(&h);
	rmdir(dir);
}

static void test_lines_stdin(void **state)
{
	(void)state;
	char path[256];
	make_temp(path, sizeof(path), 0);
	write_file(path, "in1\nin2\n", 8);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	int saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDIN_FILENO) >= 0);
	close(fd);
	clearerr(stdin);

	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_lines), 0);
	assert_int_equal(pl_harness_set(&h, "path", "-"), 0);
	int rc = pl_harness_run(&h, NULL, 0);
	int still_open = fcntl(STDIN_FILENO, F_GETFD) != -1; /* fini left stdin open */

	dup2(saved, STDIN_FILENO);
	close(saved);
	clearerr(stdin);
	unlink(path);

	assert_int_equal(rc, 0);
	assert_true(still_open);
	static const char *const want[] = { "in1", "in2" };
	assert_outs(&h, want, N_ELEMS(want));
	finish(&h);
}

static void test_lines_cancel(void **state)
{
	(void)state;
	pl_harness h;
	static const char text[] = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
	char path[256];
	make_temp(path, sizeof(path), 0);
	write_file(path, text, sizeof(text) - 1);

	assert_int_equal(pl_harness_create(&h, &pl_stage_lines), 0);
	assert_int_equal(pl_harness_set(&h, "path", path), 0);
	h.emit_limit = 3;
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	assert_int_equal(h.n_outs, 3);
	assert_int_equal(h.n_emit_calls, 4);
	finish(&h);

	/* Stopping before the first read: nothing is read or emitted. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_lines), 0);
	assert_int_equal(pl_harness_set(&h, "path", path), 0);
	atomic_store(&h.stopping, 1);
	assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
	assert_int_equal(h.n_emit_calls, 0);
	finish(&h);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),          cmocka_unit_test(test_seq_defaults),
		cmocka_unit_test(test_seq_start_step), cmocka_unit_test(test_seq_negative_step),
		cmocka_unit_test(test_seq_count_zero), cmocka_unit_test(test_seq_overflow),
		cmocka_unit_test(test_seq_cancel),     cmocka_unit_test(test_seq_params),
		cmocka_unit_test(test_fixed_defaults), cmocka_unit_test(test_fixed_sizes),
		cmocka_unit_test(test_fixed_cancel),   cmocka_unit_test(test_fixed_params),
		cmocka_unit_test(test_lines_basic),    cmocka_unit_test(test_lines_binary_and_long),
		cmocka_unit_test(test_lines_missing),  cmocka_unit_test(test_lines_directory),
		cmocka_unit_test(test_lines_stdin),    cmocka_unit_test(test_lines_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
