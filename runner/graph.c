/* graph.c - checking a config's stages, parameters and graph rules before any thread starts. */
#include "graph.h"

#include "builtin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "name_index.h"
#include "params.h"
#include "stage_check.h"

#define ERR(cfg, d, code, pos, ...) pl_cfg_diag((cfg), (d), PL_D_##code, (pos), __VA_ARGS__)

/* The stage kind a node type runs; 0 for fan-in, which runs none. */
static uint32_t kind_for_type(int type)
{
	switch (type) {
	case PL_NODE_GENERATOR:
		return PL_STAGE_GENERATOR;
	case PL_NODE_FANOUT:
		return PL_STAGE_TRANSFORM;
	case PL_NODE_SINK:
		return PL_STAGE_SINK;
	default:
		return 0;
	}
}

/* Lists the registered stages of `kind` into buf, comma-separated. */
static const char *stages_of_kind(const pl_registry *reg, uint32_t kind, char *buf, size_t len)
{
	size_t n, used = 0;
	const char *const *names = pl_registry_names(reg, &n);
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		if (pl_registry_find(reg, names[i])->kind != kind)
			continue;
		int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", names[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	return buf;
}

/* A fan-in or broadcast runs no stage: the keys of a stage are errors. */
static void check_no_stage(pl_config *cfg, pl_cfg_node *n, pl_diags *d, const char *what)
{
	const char *name = n->name ? n->name : "?";
	const char *type = pl_node_type_name(n->type);
	if (n->stage != NULL)
		ERR(cfg, d, KEY_NOT_FOR_TYPE, n->stage_pos,
		    "%s node '%s' runs no stage, it only %s; remove 'stage' (put a fan-out after "
		    "it to transform)",
		    type, name, what);
	if (n->has_params)
		ERR(cfg, d, KEY_NOT_FOR_TYPE, n->params_pos,
		    "%s node '%s' runs no stage, so it takes no 'params'", type, name);
	if (n->has_on_error)
		ERR(cfg, d, KEY_NOT_FOR_TYPE, n->on_error_pos,
		    "%s node '%s' runs no stage that could fail, so it takes no 'on_error'", type,
		    name);
	if (n->has_retry)
		ERR(cfg, d, KEY_NOT_FOR_TYPE, n->retry_pos,
		    "%s node '%s' runs no stage that could fail, so it takes no 'retry'", type,
		    name);
}

/* The running options each node type may have. */
static void check_options(pl_config *cfg, pl_cfg_node *n, pl_diags *d)
{
	const char *name = n->name ? n->name : "?";
	const char *type = pl_node_type_name(n->type);
	if (n->has_ordered && n->type != PL_NODE_FANOUT)
		ERR(cfg, d, KEY_NOT_FOR_TYPE, n->ordered_pos,
		    "'ordered' keeps the input order in a fan-out's output; %s node '%s' %s; "
		    "remove it",
		    type, name,
		    n->type == PL_NODE_FANIN  ? "merges inputs whose relative order is not defined"
		    : n->type == PL_NODE_SINK ? "writes no channel"
		    : n->type == PL_NODE_GENERATOR ? "has one worker, which emits in order"
						   : "has one thread, which keeps the order");
	if (n->has_rate && n->type != PL_NODE_GENERATOR && n->type != PL_NODE_FANOUT)
		ERR(cfg, d, KEY_NOT_FOR_TYPE, n->rate_pos,
		    "'rate' limits a generator or a fan-out; put it on the node upstream of %s "
		    "node '%s'",
		    type, name);
	if (n->type != PL_NODE_GENERATOR)
		return;
	if (n->has_on_error && n->on_error == PL_ON_ERROR_DEAD_LETTER)
		ERR(cfg, d, KEY_NOT_FOR_TYPE, n->on_error_pos,
		    "generator node '%s' reads no message that could go to a dead-letter "
		    "channel; use 'on_error: skip' (a failure ends the generator but not the "
		    "pipeline) or stop",
		    name);
	if (n->has_retry)
		ERR(cfg, d, KEY_NOT_FOR_TYPE, n->retry_pos,
		    "generator node '%s' cannot be retried: it would produce its sequence again; "
		    "remove 'retry'",
		    name);
}

/* The keys each node type may and must have. */
static void check_shape(pl_config *cfg, pl_cfg_node *n, pl_diags *d)
{
	const char *name = n->name ? n->name : "?";
	const char *type = pl_node_type_name(n->type);
	check_options(cfg, n, d);
	if (n->outputs_is_list && n->type != PL_NODE_BROADCAST)
		ERR(cfg, d, KEY_NOT_FOR_TYPE, n->outputs_pos,
		    "%s node '%s' writes one channel: write 'output: NAME' (a broadcast node "
		    "copies every message to each of its 'outputs')",
		    type, name);
	if (n->type == PL_NODE_BROADCAST) {
		check_no_stage(cfg, n, d, "copies each message to every output");
		if (n->has_workers)
			ERR(cfg, d, KEY_NOT_FOR_TYPE, n->workers_pos,
			    "broadcast node '%s' has one thread, which keeps each output in "
			    "order; remove 'workers' (put a fan-out after it)",
			    name);
		if (n->inputs_is_list)
			ERR(cfg, d, FANIN_INPUTS, n->inputs_pos,
			    "broadcast node '%s' reads one channel: write 'input: NAME' (merge "
			    "several with a fan-in node first)",
			    name);
		else if (n->n_inputs == 0)
			ERR(cfg, d, NEEDS_INPUT, n->pos,
			    "broadcast node '%s' needs an 'input' channel", name);
		if (n->output.name != NULL)
			ERR(cfg, d, BROADCAST_OUTPUTS, n->output.pos,
			    "broadcast node '%s' copies each message to two or more channels: "
			    "write 'outputs: [a, b]'",
			    name);
		else if (!n->outputs_is_list)
			ERR(cfg, d, NEEDS_OUTPUT, n->pos,
			    "broadcast node '%s' needs 'outputs: [a, b, ...]'", name);
		else if (n->n_outputs < 2 && n->decode_errors == 0)
			ERR(cfg, d, BROADCAST_OUTPUTS, n->outputs_pos,
			    "broadcast node '%s' has %zu output%s; it copies each message to two "
			    "or more channels (connect a single channel directly)",
			    name, n->n_outputs, n->n_outputs == 1 ? "" : "s");
		return;
	}
	if (n->type == PL_NODE_FANIN) {
		check_no_stage(cfg, n, d, "merges its inputs");
		if (n->has_workers)
			ERR(cfg, d, KEY_NOT_FOR_TYPE, n->workers_pos,
			    "fan-in node '%s' has one forwarding thread per input; remove "
			    "'workers'",
			    name);
		if (n->n_inputs > 0 && !n->inputs_is_list)
			ERR(cfg, d, FANIN_INPUTS, n->inputs_pos,
			    "fan-in node '%s' merges two or more channels: write 'inputs: [a, b]'",
			    name);
		else if (n->inputs_is_list && n->n_inputs < 2)
			ERR(cfg, d, FANIN_INPUTS, n->inputs_pos,
			    "fan-in node '%s' has %zu input%s; it merges two or more channels "
			    "(connect a single channel directly)",
			    name, n->n_inputs, n->n_inputs == 1 ? "" : "s");
		else if (n->n_inputs == 0 && !n->inputs_is_list)
			ERR(cfg, d, FANIN_INPUTS, n->pos,
			    "fan-in node '%s' needs 'inputs: [a, b, ...]'", name);
	} else {
		if (n->stage == NULL)
			ERR(cfg, d, NEEDS_STAGE, n->pos, "%s node '%s' needs a 'stage'", type,
			    name);
		if (n->type == PL_NODE_GENERATOR) {
			if (n->n_inputs > 0 || n->inputs_is_list)
				ERR(cfg, d, KEY_NOT_FOR_TYPE, n->inputs_pos,
				    "generator node '%s' reads no channel; remove its input (use a "
				    "fan-out to transform a channel)",
				    name);
			if (n->has_workers && n->workers != 1)
				ERR(cfg, d, GENERATOR_WORKERS, n->workers_pos,
				    "generator node '%s' has exactly one worker; put a fan-out "
				    "with 'workers: %lld' after it to run work in parallel",
				    name, (long long)n->workers);
		} else if (n->inputs_is_list) {
			ERR(cfg, d, FANIN_INPUTS, n->inputs_pos,
			    "%s node '%s' reads one channel: write 'input: NAME' (merge several "
			    "with a fan-in node first)",
			    type, name);
		} else if (n->n_inputs == 0) {
			ERR(cfg, d, NEEDS_INPUT, n->pos, "%s node '%s' needs an 'input' channel",
			    type, name);
		}
	}
	if (n->type == PL_NODE_SINK) {
		if (n->output.name != NULL)
			ERR(cfg, d, KEY_NOT_FOR_TYPE, n->output.pos,
			    "sink node '%s' writes no channel; remove 'output' (or make it a "
			    "fan-out)",
			    name);
	} else if (n->output.name == NULL && !n->outputs_is_list) {
		ERR(cfg, d, NEEDS_OUTPUT, n->pos, "%s node '%s' needs an 'output' channel", type,
		    name);
	}
}

/* Is `key` one a node takes (so it was put under 'params' by mistake)? */
static int is_node_key(const char *key)
{
	static const char *const keys[] = { "name",  "type",    "stage",  "params",    "workers",
					    "input", "inputs",  "output", "outputs",   "on_error",
					    "retry", "ordered", "rate",   "stack_size" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(keys[i], key) == 0)
			return 1;
	return 0;
}

/* Looks the stage up, checks its kind and worker limit, builds its params. */
static int check_stage(pl_config *cfg, pl_cfg_node *n, const pl_registry *reg, pl_diags *d)
{
	const char *name = n->name ? n->name : "?";
	uint32_t want = kind_for_type(n->type);
	char list[512];
	if (n->stage == NULL || want == 0)
		return 0;
	const pl_stage *st = pl_registry_find(reg, n->stage);
	/* A plugin that failed to load was reported; its stages would only be
	 * reported again, node by node.  A name close to a built-in stage is a
	 * typo all the same. */
	if (st == NULL && cfg->plugin_failed) {
		size_t count, k = 0;
		const char *const *names = pl_registry_names(reg, &count);
		while (k < count && pl_registry_origin(reg, names[k]) != NULL &&
		       strcmp(pl_registry_origin(reg, names[k]), PL_REGISTRY_BUILTIN) == 0)
			k++; /* the built-ins come first */
		if (pl_suggest(n->stage, names, k) == NULL)
			return 0;
	}
	const struct pl_builtin_missing *lacks =
		st == NULL ? pl_builtin_find_missing(n->stage) : NULL;
	if (lacks != NULL) {
		ERR(cfg, d, STAGE_UNAVAILABLE, n->stage_pos,
		    "stage '%s' is not in this build: it needs %s, which was not found when "
		    "pipeline was built; install %s (scripts/deps.sh does) and build again",
		    lacks->stage, lacks->library, lacks->package);
		return 0;
	}
	if (st == NULL) {
		size_t count;
		const char *const *names = pl_registry_names(reg, &count);
		const char *hint = pl_suggest(n->stage, names, count);
		if (hint != NULL)
			ERR(cfg, d, UNKNOWN_STAGE, n->stage_pos,
			    "unknown stage '%s'; did you mean '%s'?", n->stage, hint);
		else
			ERR(cfg, d, UNKNOWN_STAGE, n->stage_pos,
			    "unknown stage '%s'; the %s stages are: %s", n->stage,
			    pl_stage_kind_name(want),
			    stages_of_kind(reg, want, list, sizeof(list)));
		return 0;
	}
	if (st->kind != want) {
		ERR(cfg, d, STAGE_KIND, n->stage_pos,
		    "stage '%s' is a %s, but %s node '%s' runs a %s stage: %s", st->name,
		    pl_stage_kind_name(st->kind), pl_node_type_name(n->type), name,
		    pl_stage_kind_name(want), stages_of_kind(reg, want, list, sizeof(list)));
		return 0;
	}
	/* (A generator's one worker is checked with its shape.) */
	if (n->type != PL_NODE_GENERATOR && st->max_workers > 0 &&
	    n->workers > (int64_t)st->max_workers)
		ERR(cfg, d, STAGE_WORKERS, n->workers_pos,
		    "stage '%s' runs on at most %u worker%s, but node '%s' asks for %lld", st->name,
		    st->max_workers, st->max_workers == 1 ? "" : "s", name, (long long)n->workers);
	n->stage_desc = st;
	char err[256] = "";
	int rc = pl_params_create(st, &n->param_values, err, sizeof(err));
	if (rc == PL_ENOMEM)
		return rc;
	if (rc != 0) {
		ERR(cfg, d, STAGE_MALFORMED, n->stage_pos, "stage '%s' is malformed: %s", st->name,
		    err);
		return 0;
	}
	int bad = 0;
	for (size_t i = 0; i < n->n_params; i++) {
		pl_cfg_param *p = &n->params[i];
		err[0] = '\0';
		rc = pl_params_set(n->param_values, p->key, p->value, p->quoted, err, sizeof(err));
		if (rc == PL_ENOMEM)
			return rc;
		bad += rc != 0;
		if (rc == PL_ENOENT) {
			const char *names[64];
			uint32_t k = 0;
			for (; k < st->n_params && k < 64; k++)
				names[k] = st->params[k].name;
			const char *hint = pl_suggest(p->key, names, k);
			if (hint != NULL)
				ERR(cfg, d, UNKNOWN_PARAM, p->key_pos,
				    "stage '%s' has no parameter '%s'; did you mean '%s'?",
				    st->name, p->key, hint);
			else if (is_node_key(p->key))
				ERR(cfg, d, UNKNOWN_PARAM, p->key_pos,
				    "'%s' is a key of the node, not a parameter of stage '%s': "
				    "move "
				    "it out of 'params'",
				    p->key, st->name);
			else if (st->n_params == 0)
				ERR(cfg, d, UNKNOWN_PARAM, p->key_pos,
				    "stage '%s' takes no parameters; remove '%s'", st->name,
				    p->key);
			else
				ERR(cfg, d, UNKNOWN_PARAM, p->key_pos,
				    "stage '%s' has no parameter '%s'", st->name, p->key);
		} else if (rc != 0) {
			pl_cfg_diag(cfg, d, rc == PL_ERANGE ? PL_D_PARAM_RANGE : PL_D_PARAM_TYPE,
				    p->value_pos, "parameter '%s' of stage '%s': %s", p->key,
				    st->name, err);
		}
	}
	/* A required parameter given with a bad value was reported already
	 * (and in a broken node, perhaps by decoding). */
	const char *missing =
		bad || n->decode_errors > 0 ? NULL : pl_params_missing(n->param_values);
	if (missing != NULL)
		ERR(cfg, d, PARAM_MISSING, n->has_params ? n->params_pos : n->pos,
		    "stage '%s' of node '%s' needs the parameter '%s'", st->name, name, missing);
	/* What only the stage's init() can tell (a pattern, a path, a URL), for a
	 * stage whose init() only checks (PL_STAGE_INIT_CHECKS).  Not with a
	 * "${" in a value: an unset variable left as written was reported, and
	 * its text would only be refused again (run's start still checks). */
	int unexpanded = 0;
	for (size_t i = 0; i < n->n_params; i++)
		unexpanded |= strstr(n->params[i].value, "${") != NULL;
	if (!bad && missing == NULL && n->decode_errors == 0 && !unexpanded) {
		char why[256];
		uint32_t count =
			n->workers > 0 && n->workers <= UINT32_MAX ? (uint32_t)n->workers : 1;
		rc = pl_stage_check_init(st, n->param_values, name, count, why, sizeof(why));
		if (rc == PL_ENOMEM)
			return rc;
		if (rc != 0)
			ERR(cfg, d, STAGE_PARAMS, pl_cfg_node_blame(n, why),
			    "node '%s' (stage '%s'): %s", name, st->name, why);
	}
	return 0;
}

/* "line 12", or "a --set" for a value an override wrote. */
struct where {
	char text[24];
};

static struct where where(pl_pos pos)
{
	struct where w;
	if (pos.line == 0)
		snprintf(w.text, sizeof(w.text), "a --set");
	else
		snprintf(w.text, sizeof(w.text), "line %u", pos.line);
	return w;
}

/* Each name used again is reported against its first use.  Returns 0 or
 * PL_ENOMEM. */
static int check_names(pl_config *cfg, pl_diags *d)
{
	pl__name_index first;
	pl__name_index_init(&first);
	int rc = 0;
	for (size_t i = 0; i < cfg->n_nodes && rc == 0; i++) {
		if (cfg->nodes[i].name == NULL)
			continue;
		int j = pl__name_index_find(&first, cfg->nodes[i].name);
		if (j < 0)
			rc = pl__name_index_add(&first, cfg->nodes[i].name, (int)i);
		else
			ERR(cfg, d, DUPLICATE_NODE, cfg->nodes[i].name_pos,
			    "node name '%s' is already used %s%s; node names must be unique",
			    cfg->nodes[i].name, cfg->nodes[j].name_pos.line ? "on " : "by ",
			    where(cfg->nodes[j].name_pos).text);
	}
	pl__name_index_free(&first);
	return rc;
}

static const char *node_name(const pl_config *cfg, int i)
{
	return cfg->nodes[i].name ? cfg->nodes[i].name : "?";
}

/* Where node `i` first names channel `c` among the channels it writes. */
static const pl_cfg_ref *writes(const pl_config *cfg, int i, int c)
{
	const pl_cfg_node *n = &cfg->nodes[i];
	for (size_t j = 0; j < pl_cfg_node_n_outs(n); j++)
		if (pl_cfg_node_out(n, j)->chan == c)
			return pl_cfg_node_out(n, j);
	return &n->output;
}

/* Exactly one producer and one consumer per channel.  Returns 0 or
 * PL_ENOMEM. */
static int check_channels(pl_config *cfg, pl_diags *d)
{
	/* A broken node (see pl_graph_check()) may have lost the output or
	 * the inputs it was meant to have: the rules about a missing writer
	 * or reader, or an unused channel, wait for its fix; the rest hold. */
	int lost_output = 0, lost_input = 0, any_broken = 0;
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const pl_cfg_node *n = &cfg->nodes[i];
		if (!n->broken && n->type != 0)
			continue;
		any_broken = 1;
		lost_output |= n->type != PL_NODE_SINK;
		lost_input |= n->type != PL_NODE_GENERATOR;
	}
	/* Channels a "did you mean" named: their missing consumer is that
	 * typo, already reported. */
	unsigned char *hinted = pl_mem_calloc(cfg->n_chans ? cfg->n_chans : 1, 1);
	if (hinted == NULL)
		return PL_ENOMEM;
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		pl_cfg_node *n = &cfg->nodes[i];
		for (size_t j = 0; j < pl_cfg_node_n_outs(n); j++) {
			const pl_cfg_ref *out = pl_cfg_node_out(n, j);
			if (out->chan < 0)
				continue;
			pl_cfg_chan *ch = &cfg->chans[out->chan];
			if (ch->producer == (int)i) {
				const pl_cfg_ref *first = writes(cfg, (int)i, out->chan);
				ERR(cfg, d, OUTPUT_TWICE, out->pos,
				    "node '%s' writes channel '%s' twice (first %s %s)%s",
				    node_name(cfg, (int)i), ch->name, first->pos.line ? "on" : "by",
				    where(first->pos).text,
				    out == &n->dead_letter
					    ? "; its dead-letter channel must be a channel of its "
					      "own, not its output"
					    : "");
				continue;
			}
			if (ch->producer >= 0) {
				const pl_cfg_ref *first = writes(cfg, ch->producer, out->chan);
				int dead = out == &n->dead_letter ||
					   first == &cfg->nodes[ch->producer].dead_letter;
				ERR(cfg, d, TWO_PRODUCERS, out->pos,
				    "channel '%s' has two producers, '%s' (%s) and '%s' (%s); %s",
				    ch->name, node_name(cfg, ch->producer), where(first->pos).text,
				    node_name(cfg, (int)i), where(out->pos).text,
				    dead ? "give each node its own dead-letter channel (a fan-in "
					   "node can merge them for one reader)"
					 : "merge them with a fan-in node");
				continue;
			}
			ch->producer = (int)i;
		}
	}
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		pl_cfg_node *n = &cfg->nodes[i];
		for (size_t j = 0; j < n->n_inputs; j++) {
			pl_cfg_ref *in = &n->inputs[j];
			if (n->type == PL_NODE_GENERATOR)
				continue; /* below */
			if (in->chan < 0 && lost_output)
				continue;
			if (in->chan < 0) {
				const char *names[64];
				size_t k = 0;
				for (; k < cfg->n_chans && k < 64; k++)
					names[k] = cfg->chans[k].name;
				const char *hint = pl_suggest(in->name, names, k);
				if (hint != NULL)
					hinted[pl_config_find_chan(cfg, hint)] = 1;
				ERR(cfg, d, UNKNOWN_CHANNEL, in->pos,
				    "node '%s' reads channel '%s', which no node writes (no "
				    "'output: %s')%s%s%s",
				    node_name(cfg, (int)i), in->name, in->name,
				    hint ? "; did you mean '" : "", hint ? hint : "",
				    hint ? "'?" : "");
				continue;
			}
			pl_cfg_chan *ch = &cfg->chans[in->chan];
			if (ch->consumer == (int)i) {
				ERR(cfg, d, INPUT_TWICE, in->pos,
				    "%s node '%s' lists channel '%s' twice",
				    pl_node_type_name(n->type), node_name(cfg, (int)i), ch->name);
				continue;
			}
			if (ch->consumer >= 0) {
				const pl_cfg_node *first = &cfg->nodes[ch->consumer];
				pl_pos at = first->inputs[0].pos;
				for (size_t k = 0; k < first->n_inputs; k++)
					if (first->inputs[k].chan == in->chan)
						at = first->inputs[k].pos;
				ERR(cfg, d, TWO_CONSUMERS, in->pos,
				    "channel '%s' has two consumers, '%s' (%s) and '%s' (%s); each "
				    "message goes to one reader only: "
				    "use one fan-out node with 'workers: N' to share the work, or "
				    "give each reader its own channel",
				    ch->name, node_name(cfg, ch->consumer), where(at).text,
				    node_name(cfg, (int)i), where(in->pos).text);
				continue;
			}
			ch->consumer = (int)i;
		}
	}
	/* A generator's input is an error of its own (PL041): it counts as a
	 * reader only of a channel no other node reads. */
	for (size_t i = 0; i < cfg->n_nodes; i++)
		for (size_t j = 0;
		     cfg->nodes[i].type == PL_NODE_GENERATOR && j < cfg->nodes[i].n_inputs; j++) {
			int c = cfg->nodes[i].inputs[j].chan;
			if (c >= 0 && cfg->chans[c].consumer < 0)
				cfg->chans[c].consumer = (int)i;
		}
	for (size_t i = 0; i < cfg->n_chans; i++) {
		pl_cfg_chan *ch = &cfg->chans[i];
		/* A NATS channel's other side may be another process's. */
		if (ch->transport == PL_TRANSPORT_NATS && (ch->producer >= 0 || ch->consumer >= 0))
			continue;
		if (ch->producer < 0 && ch->consumer >= 0 && lost_output)
			continue;
		if (ch->producer < 0 && ch->consumer < 0 && any_broken)
			continue;
		if (ch->producer < 0 && ch->consumer >= 0)
			ERR(cfg, d, NO_PRODUCER, ch->decl_pos,
			    "channel '%s' has no producer: no node has 'output: %s', so it would "
			    "never close and '%s' would wait forever",
			    ch->name, ch->name, node_name(cfg, ch->consumer));
		else if (ch->producer < 0)
			ERR(cfg, d, UNUSED_CHANNEL, ch->decl_pos,
			    "channel '%s' is declared under 'channels' but no node writes or "
			    "reads it; remove it",
			    ch->name);
		else if (ch->consumer < 0 && !hinted[i] && !lost_input &&
			 /* (a sink's `output` is an error of its own) */
			 !(cfg->nodes[ch->producer].type == PL_NODE_SINK &&
			   writes(cfg, ch->producer, (int)i) == &cfg->nodes[ch->producer].output))
			ERR(cfg, d, NO_CONSUMER, writes(cfg, ch->producer, (int)i)->pos,
			    "channel '%s' written by '%s' has no consumer; '%s' would block "
			    "forever once its buffer is full: "
			    "add a node with 'input: %s' (a 'null' sink discards)",
			    ch->name, node_name(cfg, ch->producer), node_name(cfg, ch->producer),
			    ch->name);
	}
	free(hinted);
	return 0;
}

/* The consumer of the j-th channel node `i` writes, or -1. */
static int successor(const pl_config *cfg, int i, size_t j)
{
	int c = pl_cfg_node_out(&cfg->nodes[i], j)->chan;
	return c >= 0 ? cfg->chans[c].consumer : -1;
}

/* Spells out the cycle through `stack[from..depth-1]` back to its start. */
static void report_cycle(pl_config *cfg, pl_diags *d, const int *stack, size_t from, size_t depth)
{
	char path[512];
	size_t used = 0;
	for (size_t k = from; k <= depth; k++) {
		int w = snprintf(path + used, sizeof(path) - used, "%s%s",
				 node_name(cfg, stack[k < depth ? k : from]),
				 k < depth ? " -> " : "");
		if (w < 0 || (size_t)w >= sizeof(path) - used)
			break;
		used += (size_t)w;
	}
	ERR(cfg, d, CYCLE, cfg->nodes[stack[from]].pos,
	    "the nodes form a cycle (%s); messages must flow from generators to sinks", path);
}

/* A depth-first walk along every channel a node writes (its outputs and
 * its dead-letter channel), without recursion: a walk meeting a node still
 * on its stack has found a cycle. */
static int check_cycles(pl_config *cfg, pl_diags *d)
{
	size_t n = cfg->n_nodes;
	unsigned char *state = pl_mem_calloc(n ? n : 1, 1); /* 0 new, 1 on the stack, 2 done */
	int *stack = pl_mem_calloc(n ? n : 1, sizeof(*stack));
	size_t *next = pl_mem_calloc(n ? n : 1, sizeof(*next)); /* the next out to follow */
	if (state == NULL || stack == NULL || next == NULL) {
		free(state);
		free(stack);
		free(next);
		return PL_ENOMEM;
	}
	for (size_t start = 0; start < n; start++) {
		if (state[start] != 0)
			continue;
		size_t depth = 0;
		stack[depth++] = (int)start;
		state[start] = 1;
		next[start] = 0;
		while (depth > 0) {
			int i = stack[depth - 1];
			if (next[i] == pl_cfg_node_n_outs(&cfg->nodes[i])) {
				state[i] = 2;
				depth--;
				continue;
			}
			int s = successor(cfg, i, next[i]++);
			if (s < 0 || state[s] == 2)
				continue;
			if (state[s] == 1) {
				size_t from = 0;
				while (stack[from] != s)
					from++;
				report_cycle(cfg, d, stack, from, depth);
				continue;
			}
			state[s] = 1;
			next[s] = 0;
			stack[depth++] = s;
		}
	}
	free(state);
	free(stack);
	free(next);
	return 0;
}

/* Valid, but probably not what was meant. */
static void check_style(pl_config *cfg, pl_diags *d)
{
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const pl_cfg_node *n = &cfg->nodes[i];
		if (n->type == PL_NODE_FANOUT && n->has_workers && n->workers == 1 &&
		    n->decode_errors == 0 &&
		    (n->stage_desc == NULL || n->stage_desc->max_workers != 1))
			ERR(cfg, d, FANOUT_ONE_WORKER, n->workers_pos,
			    "fan-out node '%s' has 'workers: 1', so nothing runs in parallel; "
			    "raise 'workers', or remove the line if one worker is meant",
			    node_name(cfg, (int)i));
	}
	for (size_t i = 0; i < cfg->n_chans; i++) {
		const pl_cfg_chan *ch = &cfg->chans[i];
		if (ch->buffer != 0 || ch->producer < 0 || ch->consumer < 0 ||
		    cfg->nodes[ch->producer].type != PL_NODE_GENERATOR ||
		    cfg->nodes[ch->consumer].type != PL_NODE_FANOUT)
			continue;
		pl_pos pos = ch->has_buffer                      ? ch->buffer_pos
			     : cfg->default_buffer_pos.line != 0 ? cfg->default_buffer_pos
								 : ch->pos;
		ERR(cfg, d, RENDEZVOUS_FANOUT, pos,
		    "channel '%s' has buffer 0 between generator '%s' and fan-out '%s': the "
		    "generator waits for a free worker on every message; give the channel a "
		    "buffer (e.g. 'buffer: 64') so it can read ahead",
		    ch->name, node_name(cfg, ch->producer), node_name(cfg, ch->consumer));
	}
}

int pl_graph_check(pl_config *cfg, const pl_registry *reg, pl_diags *d)
{
	size_t errors_before = d->errors;
	/* A node decoding found broken (its name, type, stage or channels
	 * unreadable) skips its shape checks; the channel rules skip only what
	 * it may hide (check_channels()). */
	if (check_names(cfg, d) == PL_ENOMEM)
		return PL_ENOMEM;
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		pl_cfg_node *n = &cfg->nodes[i];
		if (n->type == 0)
			continue;
		if (!n->broken)
			check_shape(cfg, n, d);
		if (check_stage(cfg, n, reg, d) == PL_ENOMEM)
			return PL_ENOMEM;
	}
	if (check_channels(cfg, d) == PL_ENOMEM || check_cycles(cfg, d) == PL_ENOMEM)
		return PL_ENOMEM;
	check_style(cfg, d);
	return d->errors > errors_before || cfg->form_errors > 0 ? PL_EINVAL : 0;
}
