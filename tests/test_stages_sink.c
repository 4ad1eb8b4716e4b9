/* test_stages_sink.c - unit tests of the sinks (stdout, file, null, count) and the line writer. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include "stage_harness.h"
#include "stage_test_util.h"

/* ---- Helpers. ------------------------------------------------------------ */

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
		char *bigger = realloc(buf, cap);
		assert_non_null(bigger);
		buf = bigger;
	}
	assert_int_equal(ferror(f), 0);
	(void)fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
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
	(void)fflush(stdout); /* may fail on purpose (/dev/full): glibc drops the buffer */
	dup2(c->saved_fd, STDOUT_FILENO);
	close(c->saved_fd);
	clearerr(stdout);
	if (!c->own)
		return NULL;
	char *s = read_file(c->path, len);
	unlink(c->path);
	return s;
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
	size_t len = 0;
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
	char expect[128], ebuf[64];
	snprintf(expect, sizeof(expect), "%s", pl_out_strerror(ENOSPC, ebuf, sizeof(ebuf)));

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
	char expect[128], ebuf[64];
	size_t big = 1 << 20;
	char *data = malloc(big);
	assert_non_null(data);
	memset(data, 'z', big);
	snprintf(expect, sizeof(expect), "%s", pl_out_strerror(ENOSPC, ebuf, sizeof(ebuf)));

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
	char dir[256], path[300], expect[128], ebuf[64];
	make_temp(dir, sizeof(dir), 1);
	snprintf(path, sizeof(path), "%s/missing/out.txt", dir);

	assert_int_equal(pl_harness_create(&h, &pl_stage_file), 0);
	assert_int_equal(pl_harness_set(&h, "path", path), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_false(h.inited);
	assert_non_null(strstr(h.fail_msg, path));
	assert_non_null(strstr(h.fail_msg, pl_out_strerror(ENOENT, ebuf, sizeof(ebuf))));
	finish(&h);
	rmdir(dir);

	assert_int_equal(pl_harness_create(&h, &pl_stage_file), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_non_null(strstr(h.fail_msg, "path"));
	finish(&h);

	/* A full disk: flush() reports it, naming the file. */
	snprintf(expect, sizeof(expect), "%s", pl_out_strerror(ENOSPC, ebuf, sizeof(ebuf)));
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
	char ebuf[64];
	assert_non_null(strstr(h.fail_msg, pl_out_strerror(ENOSPC, ebuf, sizeof(ebuf))));
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
	(void)fclose(f);
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
	(void)fclose(f);
	free(out);
	assert_int_equal(pl_harness_live_msgs(), live_before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
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
