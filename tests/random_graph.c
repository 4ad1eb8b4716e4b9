/* random_graph.c - random valid pipeline graphs as a model and as YAML, for test_random_graphs.c.
 */
#include "random_graph.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* The streams written and not yet read while a graph is built. */
struct open {
	unsigned chan[RG_MAX_CHANS];
	unsigned n;
};

static unsigned new_chan(struct rg_graph *g, uint64_t *s)
{
	static const unsigned buffers[] = { 0, 0, 0, 1, 1, 1, 2, 3, 8, 64 };
	g->buffer[g->n_chans] = buffers[rg_below(s, sizeof(buffers) / sizeof(buffers[0]))];
	return g->n_chans++;
}

static struct rg_node *new_node(struct rg_graph *g, enum rg_kind kind, const char *prefix,
				unsigned number)
{
	struct rg_node *n = &g->node[g->n_nodes++];
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	snprintf(n->name, sizeof(n->name), "%s%u", prefix, number);
	return n;
}

/* Takes a random open stream out of `o`. */
static unsigned take(struct open *o, uint64_t *s)
{
	unsigned i = rg_below(s, o->n);
	unsigned c = o->chan[i];
	o->chan[i] = o->chan[--o->n];
	return c;
}

static void fan_out(struct rg_graph *g, struct open *o, unsigned in, uint64_t *s)
{
	struct rg_node *n = new_node(g, RG_FANOUT, "f", g->n_nodes);
	n->workers = 1 + rg_below(s, 16);
	n->ordered = rg_below(s, 4) == 0;
	n->jitter = rg_below(s, 3) == 0 ? 4u << rg_below(s, 4) : 0;
	n->n_in = 1;
	n->in[0] = in;
	n->n_out = 1;
	n->out[0] = new_chan(g, s);
	o->chan[o->n++] = n->out[0];
}

static void broadcast(struct rg_graph *g, struct open *o, uint64_t *s)
{
	struct rg_node *n = new_node(g, RG_BROADCAST, "b", g->n_nodes);
	n->n_in = 1;
	n->in[0] = take(o, s);
	n->n_out = 2 + rg_below(s, 2);
	for (unsigned k = 0; k < n->n_out; k++) {
		n->out[k] = new_chan(g, s);
		o->chan[o->n++] = n->out[k];
	}
}

/* A fan-in of `k` (2..o->n) random open streams. */
static void fan_in(struct rg_graph *g, struct open *o, unsigned k, uint64_t *s)
{
	struct rg_node *n = new_node(g, RG_FANIN, "m", g->n_nodes);
	while (n->n_in < k && o->n > 0)
		n->in[n->n_in++] = take(o, s);
	n->n_out = 1;
	n->out[0] = new_chan(g, s);
	o->chan[o->n++] = n->out[0];
}

/* How many inputs a fan-in takes when `avail` streams are open (>= 2). */
static unsigned fan_in_width(unsigned avail, uint64_t *s)
{
	unsigned most = avail < RG_MAX_INPUTS ? avail : RG_MAX_INPUTS;
	return 2 + rg_below(s, most - 1);
}

/* One attempt at a shape: generators, steps, then fan-ins down to the sinks. */
static void build(struct rg_graph *g, uint64_t *s)
{
	struct open o = { .n = 0 };
	memset(g, 0, sizeof(*g));
	g->n_gens = 1 + rg_below(s, RG_MAX_GENS);
	for (unsigned k = 0; k < g->n_gens; k++) {
		g->gen_node[k] = g->n_nodes;
		struct rg_node *n = new_node(g, RG_GENERATOR, "g", k);
		n->index = k;
		n->n_out = 1;
		n->out[0] = new_chan(g, s);
		o.chan[o.n++] = n->out[0];
	}
	unsigned steps = 1 + rg_below(s, 20);
	for (unsigned i = 0; i < steps; i++) {
		/* Room for the largest step (a chain of 4, or 2 more streams)
		 * and for closing every open stream with a fan-in and a sink. */
		if (g->n_nodes + 2 * o.n + 8 > RG_MAX_NODES || g->n_chans + o.n + 8 > RG_MAX_CHANS)
			break;
		unsigned u = rg_below(s, 100);
		if (u < 40) {
			fan_out(g, &o, take(&o, s), s);
		} else if (u < 50) {
			unsigned len = 2 + rg_below(s, 3);
			fan_out(g, &o, take(&o, s), s);
			for (unsigned k = 1; k < len; k++)
				fan_out(g, &o, o.chan[--o.n], s); /* what the last one wrote */
		} else if (u < 70 || o.n < 2) {
			broadcast(g, &o, s);
		} else {
			fan_in(g, &o, fan_in_width(o.n, s), s);
		}
	}
	/* Merge down to 1-4 sinks' worth, then a sink on each stream. */
	unsigned sinks = 1 + rg_below(s, RG_MAX_SINKS);
	while (o.n > sinks)
		fan_in(g, &o, fan_in_width(o.n - sinks + 1, s), s);
	g->n_sinks = o.n;
	for (unsigned k = 0; k < g->n_sinks; k++) {
		g->sink_node[k] = g->n_nodes;
		struct rg_node *n = new_node(g, RG_SINK, "s", k);
		n->index = k;
		n->workers = rg_below(s, 4) == 0 ? 2 + rg_below(s, 3) : 1;
		n->n_in = 1;
		n->in[0] = o.chan[k];
	}
}

void rg_paths_to_chans(const struct rg_graph *g, rg_chan_paths cp)
{
	memset(cp, 0, sizeof(rg_chan_paths));
	for (unsigned i = 0; i < g->n_nodes; i++) {
		const struct rg_node *n = &g->node[i];
		unsigned long long sum[RG_MAX_GENS] = { 0 };
		if (n->kind == RG_GENERATOR)
			sum[n->index] = 1;
		for (unsigned j = 0; j < n->n_in; j++)
			for (unsigned k = 0; k < g->n_gens; k++)
				sum[k] += cp[n->in[j]][k];
		for (unsigned j = 0; j < n->n_out; j++)
			memcpy(cp[n->out[j]], sum, sizeof(sum));
	}
}

void rg_paths(const struct rg_graph *g, unsigned paths[RG_MAX_SINKS][RG_MAX_GENS])
{
	rg_chan_paths cp;
	rg_paths_to_chans(g, cp);
	memset(paths, 0, sizeof(unsigned[RG_MAX_SINKS][RG_MAX_GENS]));
	for (unsigned s = 0; s < g->n_sinks; s++)
		for (unsigned k = 0; k < g->n_gens; k++) {
			unsigned long long p = cp[g->node[g->sink_node[s]].in[0]][k];
			paths[s][k] = p > RG_MAX_PATHS ? RG_MAX_PATHS + 1 : (unsigned)p;
		}
}

void rg_order_kept(const struct rg_graph *g, int kept[RG_MAX_SINKS][RG_MAX_GENS])
{
	rg_chan_paths cp;
	rg_paths_to_chans(g, cp);
	int keep[RG_MAX_CHANS][RG_MAX_GENS]; /* every path here keeps the generator's order */
	for (unsigned i = 0; i < g->n_nodes; i++) {
		const struct rg_node *n = &g->node[i];
		int out[RG_MAX_GENS] = { 0 }; /* all copied below; read up to n_gens */
		for (unsigned k = 0; k < g->n_gens; k++) {
			out[k] = 1;
			for (unsigned j = 0; j < n->n_in; j++)
				if (cp[n->in[j]][k] > 0 && !keep[n->in[j]][k])
					out[k] = 0;
			if (n->kind == RG_FANOUT && n->workers > 1 && !n->ordered)
				out[k] = 0;
		}
		for (unsigned j = 0; j < n->n_out; j++)
			memcpy(keep[n->out[j]], out, sizeof(out));
	}
	memset(kept, 0, sizeof(int[RG_MAX_SINKS][RG_MAX_GENS]));
	for (unsigned s = 0; s < g->n_sinks; s++) {
		const struct rg_node *n = &g->node[g->sink_node[s]];
		for (unsigned k = 0; k < g->n_gens; k++)
			kept[s][k] = cp[n->in[0]][k] == 1 && keep[n->in[0]][k] && n->workers == 1;
	}
}

unsigned long long rg_cost(const struct rg_graph *g)
{
	rg_chan_paths cp;
	rg_paths_to_chans(g, cp);
	unsigned long long cost = 0;
	for (unsigned c = 0; c < g->n_chans; c++)
		for (unsigned k = 0; k < g->n_gens; k++)
			cost += cp[c][k] * g->node[g->gen_node[k]].count;
	return cost;
}

void rg_generate(struct rg_graph *g, uint64_t seed, unsigned long long budget,
		 uint32_t count_factor)
{
	uint64_t s = seed;
	for (;;) {
		build(g, &s);
		unsigned paths[RG_MAX_SINKS][RG_MAX_GENS];
		rg_paths(g, paths);
		int ok = 1;
		for (unsigned i = 0; i < g->n_sinks; i++)
			for (unsigned k = 0; k < g->n_gens; k++)
				ok &= paths[i][k] <= RG_MAX_PATHS;
		if (ok)
			break;
	}
	for (unsigned k = 0; k < g->n_gens; k++) {
		unsigned u = rg_below(&s, 10);
		g->node[g->gen_node[k]].count = u == 0 ? 0 : u == 1 ? 1 : 2 + rg_below(&s, 299);
	}
	unsigned long long cost = rg_cost(g);
	for (unsigned k = 0; k < g->n_gens; k++) {
		struct rg_node *n = &g->node[g->gen_node[k]];
		if (cost > budget && n->count > 0) {
			uint32_t scaled = (uint32_t)(n->count * budget / cost);
			n->count = scaled > 0 ? scaled : 1;
		}
		n->count *= count_factor;
	}
	/* One graph in three lists its nodes in a random order. */
	for (unsigned i = 0; i < g->n_nodes; i++)
		g->yaml_order[i] = i;
	if (rg_below(&s, 3) == 0)
		for (unsigned i = g->n_nodes; i > 1; i--) { /* Fisher-Yates */
			unsigned j = rg_below(&s, i), t = g->yaml_order[i - 1];
			g->yaml_order[i - 1] = g->yaml_order[j];
			g->yaml_order[j] = t;
		}
}

struct out {
	char *buf;
	size_t cap, len;
	int overflow;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, o->len < o->cap ? o->cap - o->len : 0, fmt, ap);
	va_end(ap);
	if (n < 0 || o->len + (size_t)n >= o->cap)
		o->overflow = 1;
	else
		o->len += (size_t)n;
}

/* "[c1, c2]" */
static void put_list(struct out *o, const unsigned *chans, unsigned n)
{
	put(o, "[");
	for (unsigned i = 0; i < n; i++)
		put(o, "%sc%u", i > 0 ? ", " : "", chans[i]);
	put(o, "]");
}

int rg_yaml(const struct rg_graph *g, const char *name, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, 0 };
	if (cap == 0)
		return -1;
	buf[0] = '\0';
	put(&o, "version: 1\nname: %s\nchannels:\n", name);
	for (unsigned c = 0; c < g->n_chans; c++)
		put(&o, "  c%u: {buffer: %u}\n", c, g->buffer[c]);
	put(&o, "nodes:\n");
	for (unsigned i = 0; i < g->n_nodes; i++) {
		const struct rg_node *n = &g->node[g->yaml_order[i]];
		put(&o, "  - {name: %s, ", n->name);
		switch (n->kind) {
		case RG_GENERATOR:
			put(&o, "type: generator, stage: rg-gen, params: {gen: %u, count: %u}, ",
			    n->index, (unsigned)n->count);
			break;
		case RG_FANOUT:
			put(&o, "type: fan-out, ");
			if (n->workers > 1)
				put(&o, "workers: %u, ", n->workers);
			if (n->ordered)
				put(&o, "ordered: true, ");
			put(&o, "stage: rg-pass, ");
			if (n->jitter > 0)
				put(&o, "params: {jitter: %u}, ", n->jitter);
			break;
		case RG_FANIN:
			put(&o, "type: fan-in, inputs: ");
			put_list(&o, n->in, n->n_in);
			put(&o, ", ");
			break;
		case RG_BROADCAST:
			put(&o, "type: broadcast, input: c%u, outputs: ", n->in[0]);
			put_list(&o, n->out, n->n_out);
			break;
		case RG_SINK:
			put(&o, "type: sink, ");
			if (n->workers > 1)
				put(&o, "workers: %u, ", n->workers);
			put(&o, "stage: rg-check, params: {sink: %u}, ", n->index);
			break;
		}
		if (n->kind == RG_FANOUT || n->kind == RG_SINK)
			put(&o, "input: c%u", n->in[0]);
		if (n->kind == RG_FANOUT)
			put(&o, ", ");
		if (n->kind != RG_SINK && n->kind != RG_BROADCAST)
			put(&o, "output: c%u", n->out[0]);
		put(&o, "}\n");
	}
	return o.overflow ? -1 : (int)o.len;
}
