/* test_stages.c - unit tests of the nine built-in stages and the shared line writer. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "builtin.h"
#include "out.h"
#include "params.h"
#include "stage_harness.h"

/* ---- Helpers. ------------------------------------------------------------ */

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A fresh path "<tmpdir>/pl_test_XXXXXX" made by mkstemp (the file exists,
 * empty) or, with `dir`, by mkdtemp. */
static void make_temp(char *path, size_t size, int dir)
{
	const char *tmp = getenv("TMPDIR");
	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	int n = snprintf(path, size, "%s/pl_test_XXXXXX", tmp);
	assert_true(n > 0 && (size_t)n < size);
	if (dir) {
		assert_non_null(mkdtemp(path));
	} else {
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		close(fd);
	}
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The whole contents of `path`, NUL-terminated; *len (may be NULL) gets the
 * byte count.  The caller frees. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	assert_non_null(buf);
	for (;;) {
		n += fread(buf + n, 1, cap - n - 1, f);
		if (n < cap - 1)
			break;
		cap *= 2;
		buf = realloc(buf, cap);
		assert_non_null(buf);
	}
	assert_int_equal(ferror(f), 0);
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

/* Asserts that the harness emitted exactly `expected`, in order. */
static void assert_outs(const pl_harness *h, const char *const *expected, size_t n)
{
	assert_int_equal(h->n_outs, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(pl_harness_out(h, i), expected[i]);
		assert_int_equal(pl_harness_out_len(h, i), strlen(expected[i]));
	}
}

/* Tears a harness down and checks no message leaked. */
static void finish(pl_harness *h)
{
	pl_harness_destroy(h);
	assert_int_equal(pl_harness_leaked(h), 0);
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* Standard output redirected to a new temporary file, or to `target`. */
struct capture {
	int saved_fd;
	int own; /* the file is ours: read and remove it when done */
	char path[256];
};

static void capture_start(struct capture *c, const char *target)
{
	assert_int_equal(fflush(stdout), 0);
	c->own = target == NULL;
	if (c->own)
		make_temp(c->path, sizeof(c->path), 0);
	else
		snprintf(c->path, sizeof(c->path), "%s", target);
	int fd = open(c->path, O_WRONLY);
	assert_true(fd >= 0);
	c->saved_fd = dup(STDOUT_FILENO);
	assert_true(c->saved_fd >= 0);
	assert_true(dup2(fd, STDOUT_FILENO) >= 0);
	close(fd);
}

/* Restores standard output.  Returns what was written, NUL-terminated, with
 * its length in *len (may be NULL); the caller frees.  NULL for a `target`. */
static char *capture_stop(struct capture *c, size_t *len)
{
	fflush(stdout); /* may fail on purpose (/dev/full): glibc drops the buffer */
	dup2(c->saved_fd, STDOUT_FILENO);
	close(c->saved_fd);
	clearerr(stdout);
	if (!c->own)
		return NULL;
	char *s = read_file(c->path, len);
	unlink(c->path);
	return s;
}

/* ---- The table of stages. ----------------------------------------------- */

static void test_table(void **state)
{
	(void)state;
	static const char *const names[] = { "seq",    "lines", "upper", "grep", "delay",
					     "stdout", "file",  "null",  "count" };
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
			assert_non_null(s->params[j].name);
			assert_non_null(s->params[j].description);
		}
		/* Every default parses as its type. */
		pl_params *p;
		char err[256];
		assert_int_equal(pl_params_create(s, &p, err, sizeof(err)), 0);
		pl_params_destroy(p);
	}
	assert_int_equal(pl_stage_lines.max_workers, 1);
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

/* With 3 workers, the workers share the sequence: each term exactly once. */
static void test_seq_workers(void **state)
{
	(void)state;
	int seen[11] = { 0 };
	for (uint32_t i = 0; i < 3; i++) {
		pl_harness h;
		assert_int_equal(pl_harness_create(&h, &pl_stage_seq), 0);
		assert_int_equal(pl_harness_set(&h, "count", "10"), 0);
		h.worker.index = i;
		h.worker.count = 3;
		assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
		for (size_t j = 0; j < h.n_outs; j++) {
			int v = atoi(pl_harness_out(&h, j));
			assert_in_range(v, 1, 10);
			assert_int_equal(v, (int)(i + 1 + 3 * j)); /* in order per worker */
			seen[v]++;
		}
		finish(&h);
	}
	for (int v = 1; v <= 10; v++)
		assert_int_equal(seen[v], 1);
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
	assert_non_null(strstr(h.fail_msg, strerror(ENOENT)));
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
		assert_non_null(strstr(h.fail_msg, strerror(EISDIR)));
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

/* ---- stdout. ------------------------------------------------------------- */

static void test_stdout(void **state)
{
	(void)state;
	pl_harness h;
	struct capture c;
	static const char *const in[] = { "first", "", "third line" };

	assert_int_equal(pl_harness_create(&h, &pl_stage_stdout), 0);
	capture_start(&c, NULL);
	int rc = pl_harness_run(&h, in, N_ELEMS(in));
	char *out = capture_stop(&c, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "first\n\nthird line\n");
	assert_int_equal(h.n_outs, 0);
	free(out);
	finish(&h);

	/* Bytes are written as they are, NULs included. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_stdout), 0);
	capture_start(&c, NULL);
	assert_int_equal(pl_harness_init(&h), 0);
	rc = pl_harness_process(&h, "a\0b", 3);
	int rc2 = pl_harness_flush(&h);
	pl_harness_fini(&h);
	size_t len;
	out = capture_stop(&c, &len);
	assert_int_equal(rc, 0);
	assert_int_equal(rc2, 0);
	assert_int_equal(len, 4);
	assert_memory_equal(out, "a\0b\n", 4);
	free(out);
	finish(&h);
}

/* A full disk is a stage error naming strerror(ENOSPC): at the latest in
 * flush(), or in process() once the buffer overflows. */
static void test_stdout_write_error(void **state)
{
	(void)state;
	pl_harness h;
	struct capture c;
	char expect[128];
	snprintf(expect, sizeof(expect), "%s", strerror(ENOSPC));

	assert_int_equal(pl_harness_create(&h, &pl_stage_stdout), 0);
	capture_start(&c, "/dev/full");
	assert_int_equal(pl_harness_init(&h), 0);
	int rc = pl_harness_process_str(&h, "small");
	if (rc == 0)
		rc = pl_harness_flush(&h);
	pl_harness_fini(&h);
	capture_stop(&c, NULL);
	assert_int_equal(rc, PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, expect));
	assert_non_null(strstr(h.fail_msg, "standard output"));
	finish(&h);

	/* A line larger than any stdio buffer fails in process(). */
	size_t big = 1 << 20;
	char *data = malloc(big);
	assert_non_null(data);
	memset(data, 'x', big);
	assert_int_equal(pl_harness_create(&h, &pl_stage_stdout), 0);
	capture_start(&c, "/dev/full");
	assert_int_equal(pl_harness_init(&h), 0);
	rc = pl_harness_process(&h, data, big);
	pl_harness_fini(&h);
	capture_stop(&c, NULL);
	free(data);
	assert_int_equal(rc, PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, expect));
	finish(&h);
}

/* Two workers share stdout: after one fails, the other's flush() finds the
 * error indicator set with nothing left to write, and still names the cause. */
static void test_stdout_shared_error(void **state)
{
	(void)state;
	pl_harness a, b;
	struct capture c;
	char expect[128];
	size_t big = 1 << 20;
	char *data = malloc(big);
	assert_non_null(data);
	memset(data, 'z', big);
	snprintf(expect, sizeof(expect), "%s", strerror(ENOSPC));

	assert_int_equal(pl_harness_create(&a, &pl_stage_stdout), 0);
	assert_int_equal(pl_harness_create(&b, &pl_stage_stdout), 0);
	capture_start(&c, "/dev/full");
	assert_int_equal(pl_harness_init(&a), 0);
	assert_int_equal(pl_harness_init(&b), 0);
	int rc_a = pl_harness_process(&a, data, big);
	int rc_b = pl_harness_flush(&b);
	pl_harness_fini(&a);
	pl_harness_fini(&b);
	capture_stop(&c, NULL);
	free(data);
	assert_int_equal(rc_a, PL_ESTAGE);
	assert_int_equal(rc_b, PL_ESTAGE);
	assert_non_null(strstr(a.fail_msg, expect));
	assert_non_null(strstr(b.fail_msg, expect));
	finish(&a);
	finish(&b);
}

/* ---- file. --------------------------------------------------------------- */

static void run_file_sink(const char *path, const char *append, const char *const *in, size_t n)
{
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_file), 0);
	assert_int_equal(pl_harness_set(&h, "path", path), 0);
	if (append != NULL)
		assert_int_equal(pl_harness_set(&h, "append", append), 0);
	assert_int_equal(pl_harness_run(&h, in, n), 0);
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(h.n_fails, 0);
	finish(&h);
}

static void test_file(void **state)
{
	(void)state;
	char path[256];
	static const char *const in[] = { "a", "", "b c" };
	make_temp(path, sizeof(path), 0);

	write_file(path, "old\n", 4);
	run_file_sink(path, NULL, in, N_ELEMS(in)); /* default: truncate */
	char *s = read_file(path, NULL);
	assert_string_equal(s, "a\n\nb c\n");
	free(s);

	run_file_sink(path, "true", in, 1);
	s = read_file(path, NULL);
	assert_string_equal(s, "a\n\nb c\na\n");
	free(s);

	run_file_sink(path, "false", in + 2, 1);
	s = read_file(path, NULL);
	assert_string_equal(s, "b c\n");
	free(s);

	/* No input: the file is still created empty. */
	unlink(path);
	run_file_sink(path, NULL, NULL, 0);
	s = read_file(path, NULL);
	assert_string_equal(s, "");
	free(s);
	unlink(path);
}

static void test_file_errors(void **state)
{
	(void)state;
	pl_harness h;
	char dir[256], path[300], expect[128];
	make_temp(dir, sizeof(dir), 1);
	snprintf(path, sizeof(path), "%s/missing/out.txt", dir);

	assert_int_equal(pl_harness_create(&h, &pl_stage_file), 0);
	assert_int_equal(pl_harness_set(&h, "path", path), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_false(h.inited);
	assert_non_null(strstr(h.fail_msg, path));
	assert_non_null(strstr(h.fail_msg, strerror(ENOENT)));
	finish(&h);
	rmdir(dir);

	assert_int_equal(pl_harness_create(&h, &pl_stage_file), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, "path"));
	finish(&h);

	/* A full disk: flush() reports it, naming the file. */
	snprintf(expect, sizeof(expect), "%s", strerror(ENOSPC));
	assert_int_equal(pl_harness_create(&h, &pl_stage_file), 0);
	assert_int_equal(pl_harness_set(&h, "path", "/dev/full"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "buffered"), 0);
	assert_int_equal(pl_harness_flush(&h), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, "/dev/full"));
	assert_non_null(strstr(h.fail_msg, expect));
	finish(&h);

	/* ... and process() once a line does not fit the buffer. */
	size_t big = 1 << 20;
	char *data = malloc(big);
	assert_non_null(data);
	memset(data, 'y', big);
	assert_int_equal(pl_harness_create(&h, &pl_stage_file), 0);
	assert_int_equal(pl_harness_set(&h, "path", "/dev/full"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process(&h, data, big), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, expect));
	free(data);
	finish(&h);
}

/* ---- null and count. ----------------------------------------------------- */

static void test_null(void **state)
{
	(void)state;
	pl_harness h;
	static const char *const in[] = { "a", "", "ccc" };
	struct capture c;
	assert_int_equal(pl_harness_create(&h, &pl_stage_null), 0);
	capture_start(&c, NULL);
	int rc = pl_harness_run(&h, in, N_ELEMS(in));
	char *out = capture_stop(&c, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "");
	assert_int_equal(h.n_outs, 0);
	free(out);
	finish(&h);
}

static void test_count(void **state)
{
	(void)state;
	pl_harness h;
	struct capture c;
	static const char *const in[] = { "ab", "", "cde", "\xc3\xa9" };

	assert_int_equal(pl_harness_create(&h, &pl_stage_count), 0);
	capture_start(&c, NULL);
	int rc = pl_harness_run(&h, in, N_ELEMS(in));
	char *out = capture_stop(&c, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "messages=4 bytes=7\n");
	free(out);
	finish(&h);

	assert_int_equal(pl_harness_create(&h, &pl_stage_count), 0);
	capture_start(&c, NULL);
	rc = pl_harness_run(&h, NULL, 0);
	out = capture_stop(&c, NULL);
	assert_int_equal(rc, 0);
	assert_string_equal(out, "messages=0 bytes=0\n");
	free(out);
	finish(&h);

	/* Early stop: no flush, no line. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_count), 0);
	capture_start(&c, NULL);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "x"), 0);
	pl_harness_fini(&h);
	out = capture_stop(&c, NULL);
	assert_string_equal(out, "");
	free(out);
	finish(&h);

	/* A write error is reported. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_count), 0);
	capture_start(&c, "/dev/full");
	rc = pl_harness_run(&h, in, 1);
	capture_stop(&c, NULL);
	assert_int_equal(rc, PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, strerror(ENOSPC)));
	finish(&h);
}

/* ---- Concurrent writers never interleave lines. ------------------------- */

#define MT_THREADS 4
#define MT_LINES   10000

/* Line i of thread t: "t=<t> i=<i> " then (i*37 % 300) copies of 'a'+t. */
static size_t mt_line(char *buf, size_t size, int t, int i)
{
	int n = snprintf(buf, size, "t=%d i=%d ", t, i);
	size_t len = (size_t)n, pad = (size_t)(i * 37 % 300);
	memset(buf + len, 'a' + t, pad);
	return len + pad;
}

struct mt_arg {
	FILE *f;
	int t;
	int failures;
};

static void *mt_writer(void *p)
{
	struct mt_arg *a = p;
	char buf[512];
	for (int i = 0; i < MT_LINES; i++) {
		size_t len = mt_line(buf, sizeof(buf), a->t, i);
		if (pl_out_write_line(a->f, (const unsigned char *)buf, len) != 0)
			a->failures++;
	}
	return NULL;
}

/* Checks the file holds every thread's lines intact and in per-thread order. */
static void mt_verify(FILE *f, const char *extra_line)
{
	char *line = NULL, want[512];
	size_t cap = 0, total = 0;
	int next[MT_THREADS] = { 0 }, extra = 0;
	ssize_t n;
	rewind(f);
	while ((n = getline(&line, &cap, f)) > 0) {
		assert_int_equal(line[n - 1], '\n');
		line[--n] = '\0';
		if (extra_line != NULL && strcmp(line, extra_line) == 0) {
			extra++;
			continue;
		}
		int t = -1, i = -1;
		assert_int_equal(sscanf(line, "t=%d i=%d ", &t, &i), 2);
		assert_in_range(t, 0, MT_THREADS - 1);
		assert_int_equal(i, next[t]);
		size_t len = mt_line(want, sizeof(want), t, i);
		assert_int_equal((size_t)n, len);
		assert_memory_equal(line, want, len);
		next[t]++;
		total++;
	}
	free(line);
	assert_int_equal(total, MT_THREADS * MT_LINES);
	for (int t = 0; t < MT_THREADS; t++)
		assert_int_equal(next[t], MT_LINES);
	if (extra_line != NULL)
		assert_int_equal(extra, 1);
}

static void test_out_threads(void **state)
{
	(void)state;
	pthread_t th[MT_THREADS];
	struct mt_arg args[MT_THREADS];
	FILE *f = tmpfile();
	assert_non_null(f);
	for (int t = 0; t < MT_THREADS; t++) {
		args[t] = (struct mt_arg){ .f = f, .t = t };
		assert_int_equal(pthread_create(&th[t], NULL, mt_writer, &args[t]), 0);
	}
	for (int t = 0; t < MT_THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		assert_int_equal(args[t].failures, 0);
	}
	assert_int_equal(pl_out_flush(f), 0);
	mt_verify(f, NULL);
	fclose(f);
}

/* The same through the stages: four `stdout` workers (each its own harness,
 * on its own thread) and a `count` flushing meanwhile. */
struct stage_arg {
	int t;
	int rc;
};

static void *stdout_worker(void *p)
{
	struct stage_arg *a = p;
	pl_harness h;
	char buf[512];
	a->rc = pl_harness_create(&h, &pl_stage_stdout);
	if (a->rc == 0)
		a->rc = pl_harness_init(&h);
	for (int i = 0; i < MT_LINES && a->rc == 0; i++) {
		size_t len = mt_line(buf, sizeof(buf), a->t, i);
		a->rc = pl_harness_process(&h, buf, len);
	}
	if (a->rc == 0)
		a->rc = pl_harness_flush(&h);
	pl_harness_destroy(&h);
	return NULL;
}

static void *count_worker(void *p)
{
	struct stage_arg *a = p;
	pl_harness h;
	static const char *const in[] = { "abc", "de" };
	a->rc = pl_harness_create(&h, &pl_stage_count);
	if (a->rc == 0)
		a->rc = pl_harness_run(&h, in, N_ELEMS(in));
	pl_harness_destroy(&h);
	return NULL;
}

static void test_stdout_threads(void **state)
{
	(void)state;
	pthread_t th[MT_THREADS + 1];
	struct stage_arg args[MT_THREADS + 1];
	struct capture c;

	long live_before = pl_harness_live_msgs();
	capture_start(&c, NULL);
	for (int t = 0; t <= MT_THREADS; t++) {
		args[t] = (struct stage_arg){ .t = t };
		pthread_create(&th[t], NULL, t < MT_THREADS ? stdout_worker : count_worker,
			       &args[t]);
	}
	for (int t = 0; t <= MT_THREADS; t++)
		pthread_join(th[t], NULL);
	size_t len;
	char *out = capture_stop(&c, &len);

	for (int t = 0; t <= MT_THREADS; t++)
		assert_int_equal(args[t].rc, 0);
	FILE *f = fmemopen(out, len, "r");
	assert_non_null(f);
	mt_verify(f, "messages=2 bytes=5");
	fclose(f);
	free(out);
	assert_int_equal(pl_harness_live_msgs(), live_before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_seq_defaults),
		cmocka_unit_test(test_seq_start_step),
		cmocka_unit_test(test_seq_negative_step),
		cmocka_unit_test(test_seq_count_zero),
		cmocka_unit_test(test_seq_overflow),
		cmocka_unit_test(test_seq_cancel),
		cmocka_unit_test(test_seq_params),
		cmocka_unit_test(test_seq_workers),
		cmocka_unit_test(test_lines_basic),
		cmocka_unit_test(test_lines_binary_and_long),
		cmocka_unit_test(test_lines_missing),
		cmocka_unit_test(test_lines_directory),
		cmocka_unit_test(test_lines_stdin),
		cmocka_unit_test(test_lines_cancel),
		cmocka_unit_test(test_upper),
		cmocka_unit_test(test_grep_match),
		cmocka_unit_test(test_grep_invert),
		cmocka_unit_test(test_grep_invalid),
		cmocka_unit_test(test_grep_bytes),
		cmocka_unit_test(test_delay),
		cmocka_unit_test(test_delay_params),
		cmocka_unit_test(test_delay_stopping),
		cmocka_unit_test(test_stdout),
		cmocka_unit_test(test_stdout_write_error),
		cmocka_unit_test(test_stdout_shared_error),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_out_threads),
		cmocka_unit_test(test_stdout_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
