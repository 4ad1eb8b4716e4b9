/* bridge.c - adding the runner's nats-in and nats-out nodes for the far sides of NATS channels. */
#include "bridge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mem.h"

int pl_config_needs_bridges(const pl_config *cfg)
{
	for (size_t i = 0; i < cfg->n_chans; i++)
		if (cfg->chans[i].transport == PL_TRANSPORT_NATS && !cfg->chans[i].bridged)
			return 1;
	return 0;
}

/* "PREFIX:NAME" in memory the caller owns, or NULL. */
static char *joined(const char *prefix, const char *name)
{
	size_t len = strlen(prefix) + 1 + strlen(name) + 1;
	char *s = pl_mem_alloc(len);
	if (s != NULL)
		snprintf(s, len, "%s:%s", prefix, name);
	return s;
}

/* Appends a node of the runner's own for channel `c` (its stage and
 * channels set by the caller): its index, or -1 when out of memory. */
static int add_node(pl_config *cfg, size_t c, int type, const char *role)
{
	pl_cfg_node *nodes = pl_mem_realloc(cfg->nodes, (cfg->n_nodes + 1) * sizeof(*nodes));
	if (nodes == NULL)
		return -1;
	cfg->nodes = nodes;
	pl_cfg_node *n = &nodes[cfg->n_nodes];
	const pl_cfg_chan *ch = &cfg->chans[c];
	pl_pos at = ch->transport_pos.line != 0 ? ch->transport_pos : ch->pos;
	*n = (pl_cfg_node){ .pos = at,
			    .name_pos = at,
			    .type = type,
			    .type_pos = at,
			    .stage_pos = at,
			    .workers = 1,
			    .retry_attempts = 1,
			    .output = { .chan = -1 },
			    .bridge_chan = (int)c };
	n->name = joined(role, ch->name);
	n->stage = pl_mem_strdup(role);
	if (n->name == NULL || n->stage == NULL) {
		free(n->name);
		free(n->stage);
		return -1;
	}
	return (int)cfg->n_nodes++;
}

/* A reference to channel `c`, its name copied; 0 or PL_ENOMEM. */
static int set_ref(pl_cfg_ref *ref, const pl_config *cfg, size_t c)
{
	ref->name = pl_mem_strdup(cfg->chans[c].name);
	ref->pos = cfg->chans[c].pos;
	ref->chan = (int)c;
	return ref->name != NULL ? 0 : PL_ENOMEM;
}

/* nats-out:NAME reads channel `c`. */
static int add_out(pl_config *cfg, size_t c)
{
	int i = add_node(cfg, c, PL_NODE_SINK, "nats-out");
	if (i < 0)
		return PL_ENOMEM;
	pl_cfg_node *n = &cfg->nodes[i];
#ifdef PL_HAVE_NATS
	n->stage_desc = &pl__nats_out_stage;
#endif
	n->inputs = pl_mem_calloc(1, sizeof(*n->inputs));
	if (n->inputs == NULL)
		return PL_ENOMEM;
	n->n_inputs = 1;
	cfg->chans[c].consumer = i;
	return set_ref(&n->inputs[0], cfg, c);
}

/* nats-in:NAME writes channel `to` with what NATS channel `c` carries. */
static int add_in(pl_config *cfg, size_t c, size_t to)
{
	int i = add_node(cfg, c, PL_NODE_GENERATOR, "nats-in");
	if (i < 0)
		return PL_ENOMEM;
	pl_cfg_node *n = &cfg->nodes[i];
#ifdef PL_HAVE_NATS
	n->stage_desc = &pl__nats_in_stage;
#endif
	cfg->chans[to].producer = i;
	return set_ref(&n->output, cfg, to);
}

/* A local channel "NAME:nats" between nats-in and channel `c`'s consumer,
 * which now reads it: its index, or -1 when out of memory. */
static int split(pl_config *cfg, size_t c)
{
	pl_cfg_chan *chans = pl_mem_realloc(cfg->chans, (cfg->n_chans + 1) * sizeof(*chans));
	if (chans == NULL)
		return -1;
	cfg->chans = chans;
	pl_cfg_chan *to = &chans[cfg->n_chans];
	*to = (pl_cfg_chan){ .name = joined(chans[c].name, "nats"),
			     .pos = chans[c].pos,
			     .buffer = chans[c].buffer,
			     .declared = 1,
			     .decl_pos = chans[c].decl_pos,
			     .producer = -1,
			     .consumer = chans[c].consumer };
	if (to->name == NULL)
		return -1;
	int j = (int)cfg->n_chans++;
	pl_cfg_node *reader = &cfg->nodes[chans[c].consumer];
	for (size_t k = 0; k < reader->n_inputs; k++)
		if (reader->inputs[k].chan == (int)c)
			reader->inputs[k].chan = j;
	chans[c].consumer = -1;
	return j;
}

int pl_config_add_bridges(pl_config *cfg)
{
	size_t n = cfg->n_chans; /* split() appends local channels */
	for (size_t c = 0; c < n; c++) {
		if (cfg->chans[c].transport != PL_TRANSPORT_NATS || cfg->chans[c].bridged)
			continue;
		int producer = cfg->chans[c].producer, consumer = cfg->chans[c].consumer;
		int rc = 0;
		if (producer >= 0 && consumer >= 0) {
			int to = split(cfg, c);
			rc = to < 0 ? PL_ENOMEM : add_out(cfg, c);
			if (rc == 0)
				rc = add_in(cfg, c, (size_t)to);
		} else if (producer >= 0) {
			rc = add_out(cfg, c);
		} else if (consumer >= 0) {
			rc = add_in(cfg, c, c);
		}
		if (rc != 0)
			return rc;
		cfg->chans[c].bridged = 1;
	}
	return 0;
}

pl__settle_fn pl__bridge_settler(const pl_cfg_node *cn, void *state)
{
#ifdef PL_HAVE_NATS
	if (cn->stage_desc == &pl__nats_in_stage)
		return pl__nats_in_settler(state);
#else
	(void)cn;
	(void)state;
#endif
	return NULL;
}
