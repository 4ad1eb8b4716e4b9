/* bench_capi.c - a config run in-process through the engine API, in a child of the driver. */
#include "bench_capi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_kv.h"
#include "bench_proc.h"
#include "bench_stages.h"
#include "engine.h"
#include "error.h"
#include "load.h"
#include "registry.h"

long bench_vm_rss_kib(void)
{
	long kib = 0;
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return 0;
	char line[256];
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0)
			kib = strtol(line + 6, NULL, 10);
	(void)fclose(f); /* read only */
	return kib;
}

/* The node called "sink", or the count when there is none. */
static size_t sink_index(const pl_engine *e)
{
	size_t n = pl_engine_node_count(e);
	for (size_t i = 0; i < n; i++) {
		pl_node_stats st;
		pl_engine_node_stats(e, i, &st);
		if (strcmp(st.name, "sink") == 0)
			return i;
	}
	return n;
}

int bench_capi_child(void *arg)
{
	const bench_capi_job *job = arg;
	bench_capi_report r = { .base_rss_kib = bench_vm_rss_kib() };
	double t0 = bench_now();
	pl_registry *reg = NULL;
	if (pl_registry_create(&reg) != 0 || bench_stages_add(reg) != 0) {
		fprintf(stderr, "pl_bench: cannot build the registry\n");
		return 1;
	}
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	int rc = pl_load_text("bench.yaml", job->yaml, strlen(job->yaml), NULL, reg, &cfg, &d);
	pl_diags_print(&d, stderr);
	pl_diags_clear(&d);
	if (rc != 0) {
		fprintf(stderr, "pl_bench: the generated config is refused:\n%s", job->yaml);
		return 1;
	}
	double t1 = bench_now();
	pl_engine_options opt = { .stack_size = job->stack_size };
	pl_engine *e = NULL;
	pl_diags_init(&d);
	rc = pl_engine_create(cfg, &opt, &e, &d);
	pl_diags_print(&d, stderr);
	pl_diags_clear(&d);
	if (rc != 0) {
		fprintf(stderr, "pl_bench: pl_engine_create: %s\n", pl_strerror(rc));
		return 1;
	}
	double t2 = bench_now();
	rc = pl_engine_run(e);
	double t3 = bench_now();
	if (rc != 0) {
		pl_engine_print_errors(e, stderr);
		const char *why = pl_engine_start_error(e);
		fprintf(stderr, "pl_bench: pl_engine_run: %s%s%s\n", pl_strerror(rc),
			why ? ": " : "", why ? why : "");
		return 1;
	}
	size_t sink = sink_index(e);
	if (sink < pl_engine_node_count(e)) {
		pl_node_stats st;
		pl_engine_node_stats(e, sink, &st);
		r.sink_in = st.in;
	}
	bench_totals tot = bench_sum_totals();
	r.count = tot.count;
	r.sum = tot.sum;
	pl_engine_destroy(e);
	pl_config_free(cfg);
	pl_registry_destroy(reg);
	double t4 = bench_now();
	r.load = t1 - t0;
	r.create = t2 - t1;
	r.run = t3 - t2;
	r.destroy = t4 - t3;
	r.total = t4 - t0;
	printf("load_s=%.9f create_s=%.9f run_s=%.9f destroy_s=%.9f total_s=%.9f sink_in=%llu "
	       "count=%llu sum=%llu base_rss_kib=%ld\n",
	       r.load, r.create, r.run, r.destroy, r.total, r.sink_in, r.count, r.sum,
	       r.base_rss_kib);
	return 0;
}

int bench_capi_parse(const char *out, bench_capi_report *r)
{
	unsigned long long base;
	if (bench_kv_double(out, "load_s", &r->load) != 0 ||
	    bench_kv_double(out, "create_s", &r->create) != 0 ||
	    bench_kv_double(out, "run_s", &r->run) != 0 ||
	    bench_kv_double(out, "destroy_s", &r->destroy) != 0 ||
	    bench_kv_double(out, "total_s", &r->total) != 0 ||
	    bench_kv_ull(out, "sink_in", &r->sink_in) != 0 ||
	    bench_kv_ull(out, "count", &r->count) != 0 || bench_kv_ull(out, "sum", &r->sum) != 0 ||
	    bench_kv_ull(out, "base_rss_kib", &base) != 0)
		return -1;
	r->base_rss_kib = (long)base;
	return 0;
}
