/* bench_yaml.h - the configs the benchmark runs, generated as YAML text. */
#ifndef PL_BENCH_YAML_H
#define PL_BENCH_YAML_H

#include <stddef.h>

typedef enum bench_topo { BENCH_CHAIN, BENCH_FANOUT, BENCH_FANIN } bench_topo;

/* One throughput case: every channel has buffer `buf`; `workers` is N, the
 * fan-out's workers or the fan-in's generators (1 for a chain). */
typedef struct bench_shape {
	bench_topo topo;
	long long n; /* messages in all */
	long buf;
	int workers;
	int payload; /* bytes per message, >= 8 */
} bench_shape;

/* "chain", "fanout", "fanin". */
const char *bench_topo_name(bench_topo t);

/*
 * Each returns a config as a NUL-terminated string, or NULL when out of
 * memory.  Ownership: the caller frees it.  In every config the sink node is
 * called "sink".
 */

/* The case with the benchmark's own stages (bench_stages.h), for the C API:
 * bench_gen (one per share of [0, n) for a fan-in) -> bench_double fan-out ->
 * bench_sum. */
char *bench_yaml_capi(const bench_shape *s);

/* The case with built-in stages, for `pipeline run`: `fixed` (n/N of them
 * each for a fan-in) -> `upper` fan-out -> `null`. */
char *bench_yaml_e2e(const bench_shape *s);

/* fixed (n messages of `size` bytes) -> hash (rounds) x workers -> null. */
char *bench_yaml_cpu(long long n, int size, long rounds, int workers);

/* fixed (n messages) -> delay (ms) x workers -> null. */
char *bench_yaml_io(long long n, long ms, int workers);

/* `nodes` nodes in a chain: fixed (1 message) -> upper x (nodes - 2) -> null. */
char *bench_yaml_startup(int nodes);

/* Writes `text` to DIR/NAME, its path into `path`.  Returns 0, or -1 after
 * saying why on standard error. */
int bench_yaml_write(const char *dir, const char *name, const char *text, char *path, size_t len);

#endif /* PL_BENCH_YAML_H */
