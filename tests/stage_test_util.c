/* stage_test_util.c - helpers shared by the stage test programs: temp files, output checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "stage_test_util.h"

/* A fresh path "<tmpdir>/pl_test_XXXXXX" made by mkstemp (the file exists,
 * empty) or, with `dir`, by mkdtemp. */
void make_temp(char *path, size_t size, int dir)
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

void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* Asserts that the harness emitted exactly `expected`, in order. */
void assert_outs(const pl_harness *h, const char *const *expected, size_t n)
{
	assert_int_equal(h->n_outs, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(pl_harness_out(h, i), expected[i]);
		assert_int_equal(pl_harness_out_len(h, i), strlen(expected[i]));
	}
}

/* Tears a harness down and checks no message leaked. */
void finish(pl_harness *h)
{
	pl_harness_destroy(h);
	assert_int_equal(pl_harness_leaked(h), 0);
}
