/* bench_ways.h - the ways a case is measured: in-process (C API), `pipeline run`, Go, the C rings.
 */
#ifndef PL_BENCH_WAYS_H
#define PL_BENCH_WAYS_H

#include <stddef.h>
#include <stdio.h>

#include "bench_capi.h"
#include "bench_yaml.h"

/* One measurement.  Each runs in a child process of its own. */
typedef struct bench_meas {
	int ok;          /* the run succeeded and every check of it passed */
	double seconds;  /* what the rate is computed on (see each way) */
	double rate;     /* messages per second */
	long maxrss_kib; /* the child's peak RSS, ru_maxrss from wait4() */
	char why[512];   /* when !ok: what went wrong */
	/* C API only: seconds of pl_load_text() (with the registry),
	 * pl_engine_create(), pl_engine_run(), pl_engine_destroy() (with the
	 * frees). */
	int has_steps;
	double load, create, run, destroy;
} bench_meas;

/* What the C API way checks at the sink besides its message count. */
enum bench_check {
	BENCH_CHECK_COUNT,   /* the node "sink" received n messages */
	BENCH_CHECK_SUM,     /* and bench_sum saw n numbers summing to n(n-1)/2 */
	BENCH_CHECK_DOUBLED, /* and summing to n*n (each v became 2v+1) */
};

/*
 * In-process: a forked child loads `yaml` through pl_load_text() and runs it
 * through pl_engine_create/run/destroy with `stack_size` (0: the default).
 * seconds = pl_engine_run() alone (as Go's figure times its run() alone);
 * *rep (may be NULL) gets the child's whole report.
 */
bench_meas bench_way_capi(const char *yaml, size_t stack_size, unsigned long long n,
			  enum bench_check check, bench_capi_report *rep);

/* End to end: `PIPELINE run RUN_ARGS... FILE` as a child process; seconds =
 * its wall time, from before fork() to reaped.  Checks the exit code and
 * that the summary's node "sink" received n messages. */
bench_meas bench_way_e2e(const char *pipeline, char *const *run_args, size_t n_run_args,
			 const char *file, unsigned long long n);

/* Go's `pipeline_bench -topology T -n N -buf B -workers W -payload P
 * [-merge shared]` with GOMAXPROCS=`nproc`; seconds and rate are its own
 * (its run, without the process start); checksum_ok=true is required. */
bench_meas bench_way_go(const char *go, const bench_shape *s, int shared, long nproc);

/* A ring of ../shared/bench/c: `RING n buf payload`; its own figures,
 * checksum_ok=true required. */
bench_meas bench_way_ring(const char *ring, unsigned long long n, long buf, int payload);

/* Where the measurements are reported. */
typedef struct bench_log {
	FILE *raw; /* one key=value line per measurement, or NULL */
	int runs, failures;
	double t0; /* bench_now() at the start */
} bench_log;

/* Reports `m`: a progress line on standard error; a raw line `what`
 * followed by its figures; and, when it failed, a loud line on standard
 * error (counted in log->failures).  `what` is space-separated key=value. */
void bench_log_meas(bench_log *log, const char *what, const bench_meas *m);

#endif /* PL_BENCH_WAYS_H */
