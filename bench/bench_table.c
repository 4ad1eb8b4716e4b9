/* bench_table.c - the repetitions of a measurement, their medians, and cells of the printed tables.
 */
#include "bench_table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bench_samples_add(bench_samples *s, const bench_meas *m)
{
	s->present = 1;
	if (!m->ok) {
		s->failed++;
		return;
	}
	if (s->n >= BENCH_MAX_REPS)
		return;
	s->rate[s->n] = m->rate;
	s->seconds[s->n] = m->seconds;
	s->rss_kib[s->n] = m->maxrss_kib;
	s->n++;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bench_median(const double *v, int n)
{
	if (n <= 0)
		return 0;
	double sorted[BENCH_MAX_REPS];
	if (n > BENCH_MAX_REPS)
		n = BENCH_MAX_REPS;
	memcpy(sorted, v, (size_t)n * sizeof(*v));
	qsort(sorted, (size_t)n, sizeof(*sorted), cmp_double);
	return n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

double bench_rate(const bench_samples *s)
{
	return bench_median(s->rate, s->n);
}

double bench_seconds(const bench_samples *s)
{
	return bench_median(s->seconds, s->n);
}

double bench_rss_mib(const bench_samples *s)
{
	double mib[BENCH_MAX_REPS];
	for (int i = 0; i < s->n; i++)
		mib[i] = (double)s->rss_kib[i] / 1024.0;
	return bench_median(mib, s->n);
}

/* "FAILED", "absent", or NULL when the samples have a median. */
static const char *unusable(const bench_samples *s)
{
	if (!s->present)
		return "absent";
	if (s->failed > 0 || s->n == 0)
		return "FAILED";
	return NULL;
}

const char *bench_fmt_rate(char *buf, size_t len, int width, double r)
{
	int w = width > 2 ? width - 2 : 0;
	if (r >= 1e6)
		snprintf(buf, len, "%*.2f M", w, r / 1e6);
	else if (r >= 1e3)
		snprintf(buf, len, "%*.1f k", w, r / 1e3);
	else
		snprintf(buf, len, "%*.0f", w, r);
	return buf;
}

const char *bench_cell_rate(char *buf, size_t len, int width, const bench_samples *s)
{
	const char *u = unusable(s);
	if (u != NULL)
		snprintf(buf, len, "%*s", width, u);
	else
		bench_fmt_rate(buf, len, width, bench_rate(s));
	return buf;
}

const char *bench_cell_mib(char *buf, size_t len, int width, const bench_samples *s)
{
	const char *u = unusable(s);
	if (u != NULL)
		snprintf(buf, len, "%*s", width, u);
	else
		snprintf(buf, len, "%*.1f", width, bench_rss_mib(s));
	return buf;
}

const char *bench_cell_ratio(char *buf, size_t len, int width, const bench_samples *a,
			     const bench_samples *b)
{
	double x = bench_rate(a), y = bench_rate(b);
	if (unusable(a) != NULL || unusable(b) != NULL || y <= 0)
		snprintf(buf, len, "%*s", width, "-");
	else
		snprintf(buf, len, "%*.3g", width, x / y);
	return buf;
}

const char *bench_verdict(int valid, int pass)
{
	return !valid ? "n/a" : pass ? "PASS" : "MISS";
}

const char *bench_count(char *buf, size_t len, unsigned long long v)
{
	char digits[32];
	int n = snprintf(digits, sizeof(digits), "%llu", v);
	size_t k = 0;
	for (int i = 0; i < n && k + 2 < len; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[i];
	}
	buf[k] = '\0';
	return buf;
}

/* The lines bench_target() printed, for the closing summary. */
static char *targets[64];
static size_t n_targets;

void bench_target(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printf("target: %s\n", line);
	if (n_targets < sizeof(targets) / sizeof(targets[0]))
		targets[n_targets++] = strdup(line); /* (NULL: the line is left out) */
}

void bench_targets_print(void)
{
	if (n_targets == 0)
		return;
	printf("\n== Targets of issue 7 (figures; a MISS does not fail the benchmark) ==\n");
	for (size_t i = 0; i < n_targets; i++) {
		if (targets[i] != NULL)
			printf("  %s\n", targets[i]);
		free(targets[i]);
		targets[i] = NULL;
	}
	n_targets = 0;
}
