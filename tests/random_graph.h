/* random_graph.h - random valid pipeline graphs (generators, fan-outs, fan-ins, broadcasts, sinks)
 * as a model and as YAML, for test_random_graphs.c. */
#ifndef PL_TESTS_RANDOM_GRAPH_H
#define PL_TESTS_RANDOM_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#define RG_MAX_GENS    4
#define RG_MAX_SINKS   4
#define RG_MAX_NODES   60 /* at most RUN_MAX (engine_harness.h) */
#define RG_MAX_CHANS   60
#define RG_MAX_INPUTS  6  /* of a fan-in */
#define RG_MAX_OUTPUTS 3  /* of a broadcast */
#define RG_MAX_PATHS   64 /* distinct paths from one generator to one sink */

/* splitmix64: the one PRNG of the random tests (never rand()). */
static inline uint64_t rg_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* A number in [0, n), n > 0 (the modulo bias is negligible for small n). */
static inline uint32_t rg_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rg_next(s) % n);
}

enum rg_kind { RG_GENERATOR, RG_FANOUT, RG_FANIN, RG_BROADCAST, RG_SINK };

struct rg_node {
	enum rg_kind kind;
	char name[16];
	unsigned index;   /* a generator's `gen` or a sink's `sink` parameter */
	unsigned workers; /* a fan-out's (1..16) or a sink's (1..4) */
	int ordered;      /* a fan-out's `ordered: true` */
	unsigned jitter;  /* a fan-out's `jitter`: 1 in N messages yields or sleeps; 0 never */
	uint32_t count;   /* a generator's `count` */
	unsigned n_in, in[RG_MAX_INPUTS];
	unsigned n_out, out[RG_MAX_OUTPUTS];
};

/* A DAG whose nodes are in topological order (each reads only channels
 * written by nodes before it), every channel with one producer and one
 * consumer. */
struct rg_graph {
	unsigned n_nodes, n_chans, n_gens, n_sinks;
	struct rg_node node[RG_MAX_NODES];
	unsigned buffer[RG_MAX_CHANS];
	unsigned gen_node[RG_MAX_GENS], sink_node[RG_MAX_SINKS]; /* node index of each */
	unsigned yaml_order[RG_MAX_NODES]; /* the order the YAML lists the nodes in */
};

/* The number of paths from each generator to each channel. */
typedef unsigned long long rg_chan_paths[RG_MAX_CHANS][RG_MAX_GENS];

/*
 * Builds a random graph from `seed` alone (the same seed gives the same
 * graph): 1-4 generators; 1-20 steps, each a fan-out (1-16 workers, one in
 * four ordered), a chain of 2-4 of them, a broadcast to 2-3 outputs or a
 * fan-in of 2-6 open streams; then fan-ins down to 1-4 streams, each read by a
 * sink (one in four with 2-4 workers).  Buffers are drawn from
 * {0, 1, 2, 3, 8, 64}, 0 and 1 three times as often as the others.  No
 * generator reaches a sink by more than RG_MAX_PATHS paths.  Each
 * generator's count is drawn (0 and 1 included), then the counts are scaled
 * down so that the messages crossing all channels number about `budget`
 * (or fewer), and multiplied by `count_factor` (a graph to be stopped
 * part-way has more to send than it will).
 */
void rg_generate(struct rg_graph *g, uint64_t seed, unsigned long long budget,
		 uint32_t count_factor);

/* Paths from each generator to each channel (a broadcast copies, a fan-in
 * adds up, a fan-out passes on). */
void rg_paths_to_chans(const struct rg_graph *g, rg_chan_paths cp);

/* paths[s][k]: distinct paths from generator k to sink s. */
void rg_paths(const struct rg_graph *g, unsigned paths[RG_MAX_SINKS][RG_MAX_GENS]);

/* kept[s][k]: sink s must see generator k's ids in increasing order: one
 * path, every fan-out on it ordered or of one worker, a sink of one worker. */
void rg_order_kept(const struct rg_graph *g, int kept[RG_MAX_SINKS][RG_MAX_GENS]);

/* Messages that would cross all channels if every generator emitted its
 * whole count. */
unsigned long long rg_cost(const struct rg_graph *g);

/* Writes the config (named `name`) to buf.  Returns its length, or -1 when
 * it does not fit in `cap`. */
int rg_yaml(const struct rg_graph *g, const char *name, char *buf, size_t cap);

#endif /* PL_TESTS_RANDOM_GRAPH_H */
