/* stage_test_util.h - helpers shared by the stage test programs: temp files, output checks. */
#ifndef PL_TESTS_STAGE_TEST_UTIL_H
#define PL_TESTS_STAGE_TEST_UTIL_H

#include <stddef.h>

#include "stage_harness.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A fresh path "<tmpdir>/pl_test_XXXXXX" made by mkstemp (the file exists,
 * empty) or, with `dir`, by mkdtemp. */
void make_temp(char *path, size_t size, int dir);

/* Writes `len` bytes of `data` to `path`, replacing it. */
void write_file(const char *path, const char *data, size_t len);

/* Asserts that the harness emitted exactly `expected`, in order. */
void assert_outs(const pl_harness *h, const char *const *expected, size_t n);

/* Tears a harness down and checks no message leaked. */
void finish(pl_harness *h);

#endif /* PL_TESTS_STAGE_TEST_UTIL_H */
