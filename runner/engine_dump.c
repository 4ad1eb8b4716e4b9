/* engine_dump.c - where a running pipeline's workers are: which node waits on which channel. */
#include <stdio.h>
#include <string.h>

#include "engine_int.h"

/* Where one worker is, as the dump groups them. */
enum where {
	AT_NOT_STARTED,
	AT_RETURNED,
	AT_STAGE,   /* in its stage's code, not waiting on a channel */
	AT_RECEIVE, /* blocked receiving on its input */
	AT_SEND,    /* blocked sending on `chan` */
	AT_TURN,    /* an ordered worker waiting for its turn to send */
	AT_RATE,    /* held back by the node's rate */
	AT_RETRY,   /* sleeping before a retry (on_error: retry's backoff) */
	AT_OTHER,   /* beyond MAX_GROUPS different places */
};

/* Workers of one node in the same place. */
struct group {
	enum where where;
	int chan; /* the config channel, or -1 */
	size_t count;
	uint64_t longest_ns; /* the longest wait among them */
};

#define MAX_GROUPS 16

/* The config index of the channel `tx` sends on, or -1. */
static int chan_of_tx(const pl_engine *e, const pl_chan_tx *tx)
{
	for (size_t i = 0; tx != NULL && i < e->cfg->n_chans; i++)
		if (pl_chan_sender(e->chans[i]) == tx)
			return (int)i;
	return -1;
}

/* The config index of the channel worker `w` receives on, or -1. */
static int chan_of_rx(const pl_engine *e, const struct en_worker *w)
{
	for (size_t i = 0; w->in != NULL && i < e->cfg->n_chans; i++)
		if (pl_chan_receiver(e->chans[i]) == w->in)
			return (int)i;
	return -1;
}

/* Where worker `w` is now, the channel concerned and for how long. */
static enum where locate(const pl_engine *e, struct en_worker *w, uint64_t now, int *chan,
			 uint64_t *for_ns)
{
	const struct en_counters *c = &w->c;
	*chan = -1;
	*for_ns = 0;
	if (pl__counted(&c->start_ns) == 0)
		return AT_NOT_STARTED;
	if (pl__counted(&c->end_ns) != 0)
		return AT_RETURNED;
	/* (Relaxed reads of markers each worker sets around its waits: a dump
	 * taken just as a wait begins or ends may describe the one before.) */
	int waiting = atomic_load_explicit(&w->waiting, memory_order_relaxed);
	uint64_t retry = pl__counted(&w->retry_since);
	if (waiting == EN_WAIT_RETRY && retry != 0) {
		*for_ns = now > retry ? now - retry : 0;
		return AT_RETRY;
	}
	uint64_t in_since = pl__counted(&c->in_since), out_since = pl__counted(&c->out_since);
	uint64_t since = in_since != 0 ? in_since : out_since;
	if (since == 0)
		return AT_STAGE;
	*for_ns = now > since ? now - since : 0;
	if (waiting == EN_WAIT_RATE)
		return AT_RATE;
	if (waiting == EN_WAIT_TURN)
		return AT_TURN;
	if (in_since != 0) {
		*chan = chan_of_rx(e, w);
		return AT_RECEIVE;
	}
	*chan = chan_of_tx(e, atomic_load_explicit(&w->sending_on, memory_order_relaxed));
	return AT_SEND;
}

/* Adds a worker to the groups of its node; past MAX_GROUPS - 1 places, the
 * last group counts the workers "elsewhere". */
static size_t add(struct group *g, size_t n, enum where where, int chan, uint64_t for_ns)
{
	size_t i = 0;
	while (i < n && (g[i].where != where || g[i].chan != chan))
		i++;
	if (i == n) {
		if (n == MAX_GROUPS - 1) {
			where = AT_OTHER;
			chan = -1;
		}
		if (n == MAX_GROUPS)
			i = n - 1;
		else
			g[n++] = (struct group){ .where = where, .chan = chan };
	}
	g[i].count++;
	if (for_ns > g[i].longest_ns)
		g[i].longest_ns = for_ns;
	return n;
}

static void print_chan_state(const pl_engine *e, int chan, FILE *out)
{
	pl_chan_metrics m;
	pl_engine_chan_metrics(e, (size_t)chan, &m);
	if (m.capacity == 0)
		fprintf(out, " (rendezvous)");
	else
		fprintf(out, " (%zu of %zu buffered)", m.buffered, m.capacity);
}

static void print_group(const pl_engine *e, const struct group *g, FILE *out)
{
	const char *chan = g->chan >= 0 ? e->cfg->chans[g->chan].name : "?";
	double secs = (double)g->longest_ns / 1e9;
	fprintf(out, "    %zu ", g->count);
	switch (g->where) {
	case AT_NOT_STARTED:
		fprintf(out, "not started\n");
		return;
	case AT_RETURNED:
		fprintf(out, "returned\n");
		return;
	case AT_STAGE:
		fprintf(out, "in the stage's own code (not waiting on a channel)\n");
		return;
	case AT_RECEIVE:
		fprintf(out, "waiting to receive on '%s', for %.1f s", chan, secs);
		break;
	case AT_SEND:
		fprintf(out, "waiting to send on '%s', for %.1f s", chan, secs);
		break;
	case AT_TURN:
		fprintf(out, "waiting for their turn to send (ordered), for %.1f s\n", secs);
		return;
	case AT_RATE:
		fprintf(out, "held back by the node's rate, for %.1f s\n", secs);
		return;
	case AT_RETRY:
		fprintf(out, "waiting to retry a failed message (retry backoff), for %.1f s\n",
			secs);
		return;
	case AT_OTHER:
		fprintf(out, "elsewhere (waiting on other channels)\n");
		return;
	}
	if (g->chan >= 0)
		print_chan_state(e, g->chan, out);
	fputc('\n', out);
}

void pl_engine_dump(const pl_engine *e, FILE *out)
{
	uint64_t now = pl__now_ns();
	flockfile(out); /* one block, not interleaved with workers' log lines */
	for (size_t i = 0; i < e->n_nodes; i++) {
		const struct en_node *n = &e->nodes[i];
		struct group g[MAX_GROUPS];
		size_t ng = 0;
		for (size_t j = 0; j < n->n_workers; j++) {
			int chan;
			uint64_t for_ns;
			enum where where = locate(e, &n->workers[j], now, &chan, &for_ns);
			ng = add(g, ng, where, chan, for_ns);
		}
		const pl_cfg_node *cn = n->cfg;
		fprintf(out, "  node '%s' (%s", cn->name, pl_node_type_name(cn->type));
		if (cn->stage_desc != NULL)
			fprintf(out, ", stage '%s'", cn->stage_desc->name);
		fprintf(out, "), %zu worker%s:\n", n->n_workers, n->n_workers == 1 ? "" : "s");
		for (size_t k = 0; k < ng; k++)
			print_group(e, &g[k], out);
	}
	for (size_t i = 0; i < e->cfg->n_chans; i++) {
		pl_chan_metrics m;
		pl_engine_chan_metrics(e, i, &m);
		fprintf(out, "  channel '%s': %zu of %zu buffered, %llu sent, %llu received\n",
			m.name, m.buffered, m.capacity, m.sent, m.received);
	}
	funlockfile(out);
}

unsigned long long pl_engine_moved(const pl_engine *e)
{
	unsigned long long moved = 0;
	for (size_t i = 0; i < e->n_nodes; i++) {
		const struct en_node *n = &e->nodes[i];
		for (size_t j = 0; j < n->n_workers; j++)
			moved += pl__counted(&n->workers[j].c.in) +
				 pl__counted(&n->workers[j].c.out);
	}
	return moved;
}
