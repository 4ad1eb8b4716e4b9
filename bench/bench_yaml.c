/* bench_yaml.c - the configs the benchmark runs, generated as YAML text. */
#include "bench_yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *bench_topo_name(bench_topo t)
{
	switch (t) {
	case BENCH_CHAIN:
		return "chain";
	case BENCH_FANOUT:
		return "fanout";
	case BENCH_FANIN:
		return "fanin";
	}
	return "?";
}

/* Closes `f`, a stream of open_memstream(&*text), and returns what was
 * written to it, or NULL on any failure. */
static char *finish(FILE *f, char **text)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		free(*text);
		return NULL;
	}
	return *text;
}

/* Go's share(): the [lo, hi) of 0..n that generator i of k owns. */
static void share(long long n, int i, int k, long long *lo, long long *hi)
{
	*lo = n * i / k;
	*hi = n * (i + 1) / k;
}

/* The config of a throughput case: with the benchmark's own stages
 * (`capi`) or with built-in ones. */
static char *shape_yaml(const bench_shape *s, int capi)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return NULL;
	fprintf(f, "version: 1\nname: %s\ndefaults: { buffer: %ld }\nnodes:\n",
		bench_topo_name(s->topo), s->buf);
	int gens = s->topo == BENCH_FANIN ? s->workers : 1;
	for (int i = 0; i < gens; i++) {
		long long lo, hi;
		share(s->n, i, gens, &lo, &hi);
		/* A fan-in's inputs are named after their generators. */
		char name[32], out[32];
		if (s->topo == BENCH_FANIN)
			snprintf(name, sizeof(name), "gen%d", i);
		else
			snprintf(name, sizeof(name), "gen");
		snprintf(out, sizeof(out), "%s",
			 s->topo == BENCH_FANIN   ? name
			 : s->topo == BENCH_CHAIN ? "to_sink"
						  : "jobs");
		if (capi)
			fprintf(f,
				"  - { name: %s, type: generator, stage: bench_gen,\n"
				"      params: { lo: %lld, hi: %lld, size: %d }, output: %s }\n",
				name, lo, hi, s->payload, out);
		else
			fprintf(f,
				"  - { name: %s, type: generator, stage: fixed,\n"
				"      params: { count: %lld, size: %d }, output: %s }\n",
				name, hi - lo, s->payload, out);
	}
	if (s->topo == BENCH_FANOUT)
		fprintf(f,
			"  - { name: work, type: fan-out, workers: %d, stage: %s,\n"
			"      input: jobs, output: to_sink }\n",
			s->workers, capi ? "bench_double" : "upper");
	if (s->topo == BENCH_FANIN) {
		fprintf(f, "  - { name: merge, type: fan-in, inputs: [");
		for (int i = 0; i < gens; i++)
			fprintf(f, "%sgen%d", i > 0 ? ", " : "", i);
		fprintf(f, "], output: to_sink }\n");
	}
	fprintf(f, "  - { name: sink, type: sink, stage: %s, input: to_sink }\n",
		capi ? "bench_sum" : "null");
	return finish(f, &text);
}

char *bench_yaml_capi(const bench_shape *s)
{
	return shape_yaml(s, 1);
}

char *bench_yaml_e2e(const bench_shape *s)
{
	return shape_yaml(s, 0);
}

/* fixed (n messages of `size` bytes; 0: its default) -> `stage` x workers,
 * with `params` (a YAML flow mapping) -> null, as config `name`. */
static char *fanout_yaml(const char *name, long long n, int size, int workers, const char *stage,
			 const char *params)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return NULL;
	fprintf(f,
		"version: 1\nname: %s\ndefaults: { buffer: 64 }\nnodes:\n"
		"  - { name: gen, type: generator, stage: fixed,\n"
		"      params: { count: %lld",
		name, n);
	if (size > 0)
		fprintf(f, ", size: %d", size);
	fprintf(f,
		" }, output: jobs }\n"
		"  - { name: work, type: fan-out, workers: %d, stage: %s,\n"
		"      params: %s, input: jobs, output: to_sink }\n"
		"  - { name: sink, type: sink, stage: null, input: to_sink }\n",
		workers, stage, params);
	return finish(f, &text);
}

char *bench_yaml_cpu(long long n, int size, long rounds, int workers)
{
	char params[64];
	snprintf(params, sizeof(params), "{ rounds: %ld }", rounds);
	return fanout_yaml("cpu-fanout", n, size, workers, "hash", params);
}

char *bench_yaml_io(long long n, long ms, int workers)
{
	char params[64];
	snprintf(params, sizeof(params), "{ ms: %ld }", ms);
	return fanout_yaml("io-fanout", n, 0, workers, "delay", params);
}

char *bench_yaml_startup(int nodes)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return NULL;
	fprintf(f,
		"version: 1\nname: startup-%d\nnodes:\n"
		"  - { name: gen, type: generator, stage: fixed, params: { count: 1 }, "
		"output: c0 }\n",
		nodes);
	for (int i = 1; i < nodes - 1; i++)
		fprintf(f,
			"  - { name: up%d, type: fan-out, stage: upper, input: c%d, output: c%d "
			"}\n",
			i, i - 1, i);
	fprintf(f, "  - { name: sink, type: sink, stage: null, input: c%d }\n", nodes - 2);
	return finish(f, &text);
}

int bench_yaml_write(const char *dir, const char *name, const char *text, char *path, size_t len)
{
	if ((size_t)snprintf(path, len, "%s/%s", dir, name) >= len) {
		fprintf(stderr, "pl_bench: %s/%s: path too long\n", dir, name);
		return -1;
	}
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "pl_bench: %s: %s\n", path,
			strerror(errno)); /* NOLINT(concurrency-mt-unsafe): one thread */
		return -1;
	}
	size_t n = strlen(text);
	int bad = fwrite(text, 1, n, f) != n;
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "pl_bench: cannot write %s\n", path);
		return -1;
	}
	return 0;
}
