/* fuzz_config.c - libFuzzer target: loading and checking a config (pl_load_text) as `run` does. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"
#include "doc_edit.h"
#include "load.h"
#include "params.h"
#include "registry.h"
#include "size.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Leading "#--set NODE.KEY=VALUE" lines taken as overrides (a YAML comment
 * to the loader, which still reads the whole input). */
#define MAX_SETS 4

/* The environment: a fixed table, so that every input replays alike. */
static const char *lookup_env(const char *name, void *ctx)
{
	static char big[4097];
	static const struct {
		const char *name, *value;
	} vars[] = {
		{ "N", "3" },          { "EMPTY", "" },
		{ "STAGE", "seq" },    { "SINK", "stdout" },
		{ "CHAN", "jobs" },    { "TYPE", "fan-out" },
		{ "NEG", "-1" },       { "HUGE", "99999999999999999999" },
		{ "QUOTED", "\"x\"" }, { "REF", "${N}" }, /* not expanded again */
		{ "SPACE", "a b" },    { "COLON", "a: b" },
		{ "NUL", "null" },
	};
	(void)ctx;
	if (strcmp(name, "BIG") == 0) { /* 256 of them pass PL_INTERP_MAX_BYTES */
		if (big[0] == '\0')
			memset(big, 'x', sizeof(big) - 1);
		return big;
	}
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strcmp(vars[i].name, name) == 0)
			return vars[i].value;
	return NULL;
}

/* A failed invariant: libFuzzer saves the input as a crash. */
static void fail(const char *what)
{
	fprintf(stderr, "fuzz_config: invariant broken: %s\n", what);
	abort();
}

/* What the engine relies on in a config pl_load_text() accepted. */
static void check_loaded(const pl_config *cfg, const pl_diags *d)
{
	if (d->errors != 0)
		fail("a config was accepted with errors");
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const pl_cfg_node *n = &cfg->nodes[i];
		if (n->name == NULL || n->type < PL_NODE_GENERATOR || n->type > PL_NODE_BROADCAST)
			fail("a node without a name or a type");
		if (n->type != PL_NODE_FANIN && n->type != PL_NODE_BROADCAST &&
		    (n->stage_desc == NULL ||
		     (n->bridge_chan < 0 &&
		      (n->param_values == NULL || pl_params_missing(n->param_values) != NULL))))
			fail("a node without its stage or parameters");
		if (n->bridge_chan >= 0 &&
		    (n->bridge_chan >= (int)cfg->n_chans ||
		     cfg->chans[n->bridge_chan].transport != PL_TRANSPORT_NATS))
			fail("a bridge node for a channel that is not a NATS one");
		if ((n->type == PL_NODE_SINK) != (n->output.chan < 0 && !n->outputs_is_list) ||
		    n->output.chan >= (int)cfg->n_chans)
			fail("a node's output channel");
		if ((n->type == PL_NODE_BROADCAST) != n->outputs_is_list ||
		    (n->type == PL_NODE_BROADCAST && n->n_outputs < 2))
			fail("a broadcast's outputs");
		for (size_t j = 0; j < pl_cfg_node_n_outs(n); j++) {
			int c = pl_cfg_node_out(n, j)->chan;
			if (c < 0 || c >= (int)cfg->n_chans || cfg->chans[c].producer != (int)i)
				fail("a channel a node writes");
		}
		if (n->ordered && n->type != PL_NODE_FANOUT)
			fail("ordered on a node that is not a fan-out");
		if (n->rate < 0 || n->rate > 1e9 ||
		    (n->rate > 0 && n->type != PL_NODE_GENERATOR && n->type != PL_NODE_FANOUT))
			fail("a node's rate");
		if (n->retry_attempts < 1 || n->retry_attempts > 1000 ||
		    (n->on_error == PL_ON_ERROR_DEAD_LETTER) != (n->dead_letter.name != NULL))
			fail("a node's error policy");
		for (size_t j = 0; j < n->n_inputs; j++)
			if (n->inputs[j].chan < 0 || n->inputs[j].chan >= (int)cfg->n_chans)
				fail("a node's input channel");
		if (n->workers < 1 || n->workers > PL_MAX_WORKERS)
			fail("a node's workers");
		if (n->stack_size != 0 &&
		    (n->stack_size < PL_MIN_STACK_SIZE || n->stack_size > PL_MAX_STACK_SIZE))
			fail("a node's stack_size");
	}
	if (cfg->default_stack_size != 0 && (cfg->default_stack_size < PL_MIN_STACK_SIZE ||
					     cfg->default_stack_size > PL_MAX_STACK_SIZE))
		fail("the default stack_size");
	for (size_t i = 0; i < cfg->n_chans; i++) {
		const pl_cfg_chan *c = &cfg->chans[i];
		/* (One declared under 'channels' that no node uses is a warning; a
		 * NATS channel's other side may be in another process until
		 * pl_config_add_bridges() gives it the runner's node.) */
		int unused = c->producer < 0 && c->consumer < 0 && c->declared;
		int remote = c->transport == PL_TRANSPORT_NATS && !c->bridged;
		if (!unused &&
		    (c->producer >= (int)cfg->n_nodes || c->consumer >= (int)cfg->n_nodes ||
		     (!remote && (c->producer < 0 || c->consumer < 0))))
			fail("a channel without one producer and one consumer");
		if (c->transport == PL_TRANSPORT_NATS &&
		    (c->nats.producers < 1 || c->nats.max_pending < 1 ||
		     c->nats.ack_wait_ms < 100 || c->nats.idle_timeout_ms < 0))
			fail("a NATS channel's options");
		if (c->buffer < 0 || c->buffer > PL_MAX_BUFFER)
			fail("a channel's buffer");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static pl_registry *reg;
	static FILE *sink;
	if (reg == NULL && pl_registry_create(&reg) != 0)
		abort();
	if (sink == NULL && (sink = fopen("/dev/null", "w")) == NULL)
		abort();

	/* libFuzzer's data is not NUL-terminated; the loader is given its
	 * length, the copy guards whatever reads one byte further. */
	char *text = malloc(size + 1);
	if (text == NULL)
		return 0;
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';

	/* Overrides, each refused before loading unless well-formed, as the
	 * command line does. */
	char *sets[MAX_SETS];
	size_t n_sets = 0;
	const char *line = text;
	while (n_sets < MAX_SETS && strncmp(line, "#--set ", 7) == 0) {
		const char *start = line + 7;
		const char *end = strchr(start, '\n');
		size_t len = end ? (size_t)(end - start) : strlen(start);
		char *set = strndup(start, len);
		pl_set parsed;
		char err[256];
		if (set == NULL || pl_set_parse(set, &parsed, err, sizeof(err)) != 0) {
			free(set);
			break;
		}
		sets[n_sets++] = set;
		if (end == NULL)
			break;
		line = end + 1;
	}

	pl_load_options opt = { .skip_plugins = 1,
				.sets = (const char *const *)sets,
				.n_sets = n_sets,
				.lookup_env = lookup_env };
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	int rc = pl_load_text("fuzz.yaml", text, size, &opt, reg, &cfg, &d);
	if (rc == 0) {
		if (cfg == NULL)
			fail("success without a config");
		check_loaded(cfg, &d);
		/* What `run` does next: the nodes for NATS channels' far sides, after
		 * which every channel has its producer and its consumer. */
		if (pl_config_add_bridges(cfg) == 0) {
			if (pl_config_needs_bridges(cfg))
				fail("a NATS channel left without its bridge");
			check_loaded(cfg, &d);
		}
	} else {
		if (cfg != NULL)
			fail("a config returned with a failure");
		if (rc == PL_EINVAL && d.errors == 0)
			fail("a config refused without an error");
	}
	/* What `validate` prints, text and JSON. */
	pl_diags_print(&d, sink);
	int first = 1;
	pl_diags_print_json(&d, sink, &first);

	pl_config_free(cfg);
	pl_diags_clear(&d);
	for (size_t i = 0; i < n_sets; i++)
		free(sets[i]);
	free(text);
	return 0;
}
