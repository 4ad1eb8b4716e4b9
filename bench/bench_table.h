/* bench_table.h - the repetitions of a measurement, their medians, and cells of the printed tables.
 */
#ifndef PL_BENCH_TABLE_H
#define PL_BENCH_TABLE_H

#include <stddef.h>

#include "bench_ways.h"

#define BENCH_MAX_REPS 25

/* The repetitions of one way of one case. */
typedef struct bench_samples {
	int present; /* the way was measured at all (Go may be absent) */
	int n;       /* successful repetitions */
	int failed;  /* failed repetitions */
	double rate[BENCH_MAX_REPS], seconds[BENCH_MAX_REPS];
	long rss_kib[BENCH_MAX_REPS];
} bench_samples;

/* Adds a repetition. */
void bench_samples_add(bench_samples *s, const bench_meas *m);

/* The median of `n` values (the mean of the middle two for an even n); 0
 * for none. */
double bench_median(const double *v, int n);

/* The medians of a way's successful repetitions (0 when none). */
double bench_rate(const bench_samples *s);
double bench_seconds(const bench_samples *s);
double bench_rss_mib(const bench_samples *s);

/* Cells, right-aligned in `width` columns: a rate ("21.3 k", "5.10 M"), a
 * size in MiB, a time in ms or s, a ratio a / b; each "FAILED" when a
 * repetition failed, "absent" when the way was not measured.  They write
 * into `buf` and return it. */
const char *bench_fmt_rate(char *buf, size_t len, int width, double rate);
const char *bench_cell_rate(char *buf, size_t len, int width, const bench_samples *s);
const char *bench_cell_mib(char *buf, size_t len, int width, const bench_samples *s);
const char *bench_cell_ratio(char *buf, size_t len, int width, const bench_samples *a,
			     const bench_samples *b);

/* "PASS" or "MISS" (figures only: a miss does not fail the benchmark), or
 * "n/a" when `valid` is 0. */
const char *bench_verdict(int valid, int pass);

/* Prints a target's line on standard output ("target: ...: PASS") and keeps
 * it for bench_targets_print().  Printf format. */
void bench_target(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints every line bench_target() printed, under a heading; frees them. */
void bench_targets_print(void);

/* A count with thousands separators: 5,000,000. */
const char *bench_count(char *buf, size_t len, unsigned long long v);

#endif /* PL_BENCH_TABLE_H */
