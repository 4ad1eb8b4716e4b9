/* bench_stages.h - the benchmark's own stages, mirroring the Go reference's goroutines. */
#ifndef PL_BENCH_STAGES_H
#define PL_BENCH_STAGES_H

#include <stdint.h>

#include "registry.h"

/*
 * bench_gen (generator; params lo, hi, size): emits the numbers lo .. hi-1,
 * each as a message of `size` bytes (at least 8) holding the number
 * little-endian in its first 8 bytes and zeros after them: Go's newMsg().
 * bench_double (transform): v -> 2v+1 on those 8 bytes: Go's worker.
 * bench_sum (sink, one worker): counts the messages and sums their numbers
 * (uint64, wrapping): Go's sink.
 */
extern const pl_stage bench_stage_gen;
extern const pl_stage bench_stage_double;
extern const pl_stage bench_stage_sum;

/* Adds the three to `reg`.  Returns 0 or the error of pl_registry_add(). */
int bench_stages_add(pl_registry *reg);

/* What bench_sum counted in this process's last run.  Read it after
 * pl_engine_run() returned (its threads are joined by then). */
typedef struct bench_totals {
	uint64_t count, sum;
} bench_totals;
bench_totals bench_sum_totals(void);

/* The sum the sink must see for n messages (mod 2^64): n*n for a fan-out
 * (each v became 2v+1), n(n-1)/2 otherwise; as the Go reference checks. */
uint64_t bench_expected_sum(uint64_t n, int doubled);

#endif /* PL_BENCH_STAGES_H */
