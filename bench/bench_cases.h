/* bench_cases.h - the groups of cases pl_bench runs, and the options they run with. */
#ifndef PL_BENCH_CASES_H
#define PL_BENCH_CASES_H

#include <limits.h>
#include <stddef.h>

#include "bench_ways.h"

#define BENCH_MAX_LIST 8

typedef struct bench_opts {
	/* What to run against; NULL: that way or reference is absent. */
	const char *pipeline; /* the release `pipeline` binary (end-to-end runs) */
	const char *go;       /* Go's pipeline_bench */
	const char *ring_spsc, *ring_mutex;
	char *const *run_args; /* more arguments of every `pipeline run` */
	size_t n_run_args;
	char tmpdir[PATH_MAX]; /* where the configs of `pipeline run` are written */
	long nproc;

	int reps;
	unsigned long long n;      /* messages of a throughput case */
	unsigned long long n_buf1; /* ... at buffer 1 */
	long buffers[BENCH_MAX_LIST];
	int payloads[BENCH_MAX_LIST], workers[BENCH_MAX_LIST]; /* workers: N */
	size_t n_buffers, n_payloads, n_workers;
	int ring_payloads[BENCH_MAX_LIST];
	size_t n_ring_payloads;

	long hash_rounds;
	unsigned long long cpu_n;
	int io_workers;
	unsigned long long io_n;
	long io_ms;
	size_t io_stack; /* bytes */
	int startup_nodes, startup_reps;
	unsigned long long memory_small, memory_big; /* memory_big 0: skipped */
} bench_opts;

/* What the chain cases' C API runs moved (median msg/s; 0: not measured),
 * by the index of the buffer and the payload in bench_opts, for the rings'
 * comparison. */
typedef struct bench_chain_rates {
	double capi[BENCH_MAX_LIST][BENCH_MAX_LIST];
} bench_chain_rates;

/* Each group measures its cases (progress on standard error, figures in
 * `log`) and then prints its table and targets on standard output. */

/* chain, fanout, fanin over buffers x payloads x N: C API, `pipeline run`
 * and Go (forward and shared merge), alternating; two tables. */
void bench_group_throughput(const bench_opts *o, bench_log *log, bench_chain_rates *chain);

/* The C rings (SPSC lock-free, mutex) on the chain's buffers at payload 0,
 * 8 and 64, beside the chain's C API figures; the buffer-1024 target. */
void bench_group_rings(const bench_opts *o, bench_log *log, const bench_chain_rates *chain);

/* fixed -> hash x 1 and x 2 workers -> null: the speed-up on 2 cores. */
void bench_group_cpu(const bench_opts *o, bench_log *log);

/* fixed -> delay 100 ms x 10,000 workers -> null: wall time and peak RSS. */
void bench_group_io(const bench_opts *o, bench_log *log);

/* A 1,000-node chain: process start to exit, and in-process. */
void bench_group_startup(const bench_opts *o, bench_log *log);

/* The C API chain at buffer 1024, payload 64: peak RSS after 1M and 100M. */
void bench_group_memory(const bench_opts *o, bench_log *log);

#endif /* PL_BENCH_CASES_H */
