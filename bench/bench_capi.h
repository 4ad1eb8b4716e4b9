/* bench_capi.h - a config run in-process through the engine API, in a child of the driver. */
#ifndef PL_BENCH_CAPI_H
#define PL_BENCH_CAPI_H

#include <stddef.h>

typedef struct bench_capi_job {
	const char *yaml;  /* the config (bench_yaml.h) */
	size_t stack_size; /* pl_engine_options.stack_size; 0: the engine's default */
} bench_capi_job;

/* What the child measured: seconds of each step (the registry with
 * pl_load_text(), pl_engine_create(), pl_engine_run(),
 * pl_engine_destroy() with the frees, and all four), what the node "sink"
 * received, bench_sum's totals, and VmRSS before anything (what fork()
 * left it of the driver). */
typedef struct bench_capi_report {
	double load, create, run, destroy, total;
	unsigned long long sink_in, count, sum;
	long base_rss_kib;
} bench_capi_report;

/*
 * The child's body (a bench_child_fn taking a bench_capi_job): builds a
 * registry of the built-ins and bench_stages.h's, loads the config with
 * pl_load_text(), creates the engine, runs it, destroys it, and prints its
 * report as one line of key=value on standard output.  Returns 0, or 1 after
 * printing why on standard error.
 */
int bench_capi_child(void *job);

/* VmRSS of this process in KiB, 0 when unreadable. */
long bench_vm_rss_kib(void);

/* Reads a child's report line.  Returns 0, or -1 when it is not one. */
int bench_capi_parse(const char *out, bench_capi_report *r);

#endif /* PL_BENCH_CAPI_H */
