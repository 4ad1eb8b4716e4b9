/* bench_kv.h - reading key=value reports (ours, Go's, the rings') and the summary of `pipeline
 * run`. */
#ifndef PL_BENCH_KV_H
#define PL_BENCH_KV_H

/* The value of `key` in a line of space-separated key=value pairs in `text`
 * (the first occurrence of " key=" or of "key=" at a line's start).
 * Each returns 0 and stores it, or -1 when absent or not a number. */
int bench_kv_double(const char *text, const char *key, double *out);
int bench_kv_ull(const char *text, const char *key, unsigned long long *out);
/* Nonzero when `key` is present with exactly `value`. */
int bench_kv_is(const char *text, const char *key, const char *value);

/* The `in` column of the row of node `node` in the summary `pipeline run`
 * prints on standard error.  Returns 0, or -1 when there is no such row. */
int bench_summary_in(const char *err, const char *node, unsigned long long *out);

#endif /* PL_BENCH_KV_H */
