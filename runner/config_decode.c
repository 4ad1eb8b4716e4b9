/* config_decode.c - decoding a YAML document into a pl_config, reporting every problem of form. */
#include "config_decode.h"
#include "config_decode_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "name_index.h"
#include "params.h"
#include "yaml_doc.h"

static const char *const top_keys[] = { "version",  "name",  "description", "defaults",
					"channels", "nodes", "plugins" };
static const char *const defaults_keys[] = { "buffer", "stack_size" };
static const char *const channel_keys[] = { "buffer",      "transport",       "url",
					    "subject",     "durable",         "producers",
					    "creds",       "idle_timeout_ms", "ack_wait_ms",
					    "max_pending", "reconnect" };
static const char *const node_keys[] = { "name",  "type",    "stage",  "params",    "workers",
					 "input", "inputs",  "output", "outputs",   "on_error",
					 "retry", "ordered", "rate",   "stack_size" };
static const char *const type_names[] = { "generator", "fan-out", "fan-in", "sink", "broadcast" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char *dup_str(struct pl__decoder *dec, const char *s)
{
	char *copy = pl_mem_strdup(s);
	if (copy == NULL)
		dec->oom = 1;
	return copy;
}

/* Is `n` a mapping?  If not, says what was expected of `what`. */
int pl__dec_expect_mapping(struct pl__decoder *dec, const yaml_node_t *n, const char *what)
{
	if (n->type == YAML_MAPPING_NODE)
		return 1;
	ERR(dec, EXPECTED_MAPPING, pl_yaml_pos(n),
	    "%s must be a mapping of 'key: value' lines, got %s", what, pl_yaml_kind(n));
	return 0;
}

/* A string value: any scalar but an empty one.  A plain `null` is taken as
 * the word "null" (it names the null sink), only "" and "~" are nothing. */
int pl__dec_get_string(struct pl__decoder *dec, const yaml_node_t *n, const char *key, char **out)
{
	if (n->type != YAML_SCALAR_NODE ||
	    (n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	     (scalar(n)[0] == '\0' || strcmp(scalar(n), "~") == 0))) {
		ERR(dec, NOT_STRING, pl_yaml_pos(n), "'%s' must be a string, got %s", key,
		    pl_yaml_kind(n));
		return 0;
	}
	free(*out);
	*out = dup_str(dec, scalar(n));
	return *out != NULL;
}

/* An integer value: a plain scalar in [min, max]. */
int pl__dec_get_int(struct pl__decoder *dec, const yaml_node_t *n, const char *key, int64_t min,
		    int64_t max, int64_t *out)
{
	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
		ERR(dec, NOT_INTEGER, pl_yaml_pos(n),
		    "'%s' must be an integer, got the quoted string \"%s\"; remove the quotes", key,
		    scalar(n));
		return 0;
	}
	if (n->type != YAML_SCALAR_NODE || pl_yaml_is_null(n)) {
		ERR(dec, NOT_INTEGER, pl_yaml_pos(n), "'%s' must be an integer, got %s", key,
		    pl_yaml_kind(n));
		return 0;
	}
	const char *s = scalar(n);
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end != '\0' || end == s) {
		ERR(dec, NOT_INTEGER, pl_yaml_pos(n), "'%s' must be an integer, got '%s'", key, s);
		return 0;
	}
	if (errno == ERANGE || v < min || v > max) {
		ERR(dec, OUT_OF_RANGE, pl_yaml_pos(n),
		    "'%s' is %s, out of range: it must be between %lld and %lld", key, s,
		    (long long)min, (long long)max);
		return 0;
	}
	*out = v;
	return 1;
}

/* Does a value that shapes the graph hold a bad ${VAR}?  Its error was
 * reported once, where the variable is, and mutes the rest. */
static int graph_value_muted(struct pl__decoder *dec, const yaml_node_t *map)
{
	static const char *const keys[] = { "name",   "type",   "stage",   "input",
					    "inputs", "output", "outputs", "on_error" };
	for (size_t i = 0; i < COUNT(keys); i++) {
		const yaml_node_t *v = pl__dec_lookup(dec, map, keys[i]);
		if (v == NULL)
			continue;
		if (pl__cfg_muted(dec->cfg, pl_yaml_pos(v)))
			return 1;
		if (v->type != YAML_SEQUENCE_NODE)
			continue;
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++)
			if (pl__cfg_muted(dec->cfg, pl_yaml_pos(node_at(dec, *it))))
				return 1;
	}
	return 0;
}

/* Where a key that is unknown in `where` belongs, when it is a known
 * mistake; NULL otherwise. */
static const char *misplaced(const char *key, const char *where)
{
	static const struct {
		const char *where, *key, *advice;
	} table[] = {
		{ "the top level", "buffer",
		  "a default buffer goes under 'defaults:' (defaults: { buffer: 64 }), a "
		  "channel's under 'channels:'" },
		{ "the top level", "workers", "'workers' is a key of a node" },
		{ "the top level", "stack_size",
		  "a default stack size goes under 'defaults:' (defaults: { stack_size: 256KiB }), "
		  "a node's own beside its other keys" },
		{ "a node", "buffer",
		  "a buffer belongs to a channel: channels: { NAME: { buffer: 64 } }" },
		{ "a node", NULL, "a stage's parameters go under 'params:'" },
	};
	if (strcmp(key, "<<") == 0)
		return "YAML merge keys are not supported: write the keys out, or share a whole "
		       "value through an anchor (params: *common)";
	for (size_t i = 0; i < COUNT(table); i++)
		if (strcmp(table[i].where, where) == 0 &&
		    (table[i].key == NULL || strcmp(table[i].key, key) == 0))
			return table[i].advice;
	return NULL;
}

/* Checks a mapping's keys: each a scalar, known, and given once.  Reports
 * every bad key; returns how many of them may hide a known key (a
 * duplicate, a key that is not a word, or an unknown key close to a known
 * one: a typo of 'output' leaves the node without an output). */
int pl__dec_check_keys(struct pl__decoder *dec, const yaml_node_t *map, const char *const *known,
		       size_t n_known, const char *where)
{
	int bad = 0;
	pl__name_index seen; /* key -> its first pair (a large 'channels' stays linear) */
	pl__name_index_init(&seen);
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(dec, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			ERR(dec, KEY_NOT_SCALAR, pl_yaml_pos(k),
			    "a key in %s must be a plain word, got %s", where, pl_yaml_kind(k));
			bad++;
			continue;
		}
		int dup = 0;
		int first = pl__name_index_find(&seen, scalar(k));
		if (first >= 0) {
			yaml_node_t *k0 = node_at(dec, map->data.mapping.pairs.start[first].key);
			if (pl_yaml_pos(k0).line == 0)
				ERR(dec, DUPLICATE_KEY, pl_yaml_pos(k),
				    "'%s' is given twice in %s (first by a --set); keep one",
				    scalar(k), where);
			else
				ERR(dec, DUPLICATE_KEY, pl_yaml_pos(k),
				    "'%s' is given twice in %s (first on line %u); keep one",
				    scalar(k), where, pl_yaml_pos(k0).line);
			bad++;
			dup = 1;
		} else if (pl__name_index_add(&seen, scalar(k),
					      (int)(p - map->data.mapping.pairs.start)) != 0) {
			dec->oom = 1;
		}
		if (known == NULL || dup)
			continue;
		size_t i = 0;
		while (i < n_known && strcmp(known[i], scalar(k)) != 0)
			i++;
		if (i == n_known) {
			const char *hint = pl_suggest(scalar(k), known, n_known);
			const char *advice = misplaced(scalar(k), where);
			if (hint != NULL)
				ERR(dec, UNKNOWN_KEY, pl_yaml_pos(k),
				    "unknown key '%s' in %s; did you mean '%s'?", scalar(k), where,
				    hint);
			else if (advice != NULL)
				ERR(dec, UNKNOWN_KEY, pl_yaml_pos(k), "unknown key '%s' in %s; %s",
				    scalar(k), where, advice);
			else
				ERR(dec, UNKNOWN_KEY, pl_yaml_pos(k), "unknown key '%s' in %s",
				    scalar(k), where);
			bad += hint != NULL;
		}
	}
	pl__name_index_free(&seen);
	return bad;
}

/* Is an unknown key of `map` taken for a misspelling of `key` (reported,
 * with "did you mean"), so that `key` missing need not be reported too? */
static int misspelt(struct pl__decoder *dec, const yaml_node_t *map, const char *key,
		    const char *const *known, size_t n_known)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(dec, p->key);
		if (k->type != YAML_SCALAR_NODE || strcmp(scalar(k), key) == 0)
			continue;
		const char *hint = pl_suggest(scalar(k), known, n_known);
		if (hint != NULL && strcmp(hint, key) == 0)
			return 1;
	}
	return 0;
}

/* The value of `key` in a mapping whose keys were checked, or NULL. */
yaml_node_t *pl__dec_lookup(struct pl__decoder *dec, const yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(dec, p->key);
		if (k->type == YAML_SCALAR_NODE && strcmp(scalar(k), key) == 0)
			return node_at(dec, p->value);
	}
	return NULL;
}

/* The channel called `name`, added at `pos` if new; -1 when out of memory. */
static int add_chan(struct pl__decoder *dec, const char *name, pl_pos pos)
{
	pl_config *cfg = dec->cfg;
	int i = pl__name_index_find(&dec->chans, name);
	if (i >= 0)
		return i;
	pl_cfg_chan *chans = pl_mem_realloc(cfg->chans, (cfg->n_chans + 1) * sizeof(*chans));
	if (chans == NULL) {
		dec->oom = 1;
		return -1;
	}
	cfg->chans = chans;
	pl_cfg_chan *c = &chans[cfg->n_chans];
	memset(c, 0, sizeof(*c));
	c->name = dup_str(dec, name);
	if (c->name == NULL)
		return -1;
	if (pl__name_index_add(&dec->chans, c->name, (int)cfg->n_chans) != 0) {
		free(c->name);
		dec->oom = 1;
		return -1;
	}
	c->pos = pos;
	c->producer = c->consumer = -1;
	return (int)cfg->n_chans++;
}

/* A node or channel name.  On error *out is left NULL, so that nothing
 * later mistakes a bad name for a real one. */
int pl__dec_get_name(struct pl__decoder *dec, const yaml_node_t *n, const char *what, char **out)
{
	if (n->type != YAML_SCALAR_NODE || pl_yaml_is_null(n)) {
		ERR(dec, NOT_STRING, pl_yaml_pos(n),
		    "a %s must be a word of letters, digits, '_' and '-', got %s", what,
		    pl_yaml_kind(n));
		return 0;
	}
	if (scalar(n)[0] == '\0') {
		ERR(dec, BAD_NAME, pl_yaml_pos(n), "the %s is empty", what);
		return 0;
	}
	if (!pl__is_name(scalar(n), strlen(scalar(n)))) {
		ERR(dec, BAD_NAME, pl_yaml_pos(n),
		    "%s '%s' may hold only letters, digits, '_' and '-'", what, scalar(n));
		return 0;
	}
	free(*out);
	*out = dup_str(dec, scalar(n));
	return *out != NULL;
}

static void decode_defaults(struct pl__decoder *dec, const yaml_node_t *n)
{
	if (!pl__dec_expect_mapping(dec, n, "'defaults'"))
		return;
	pl__dec_check_keys(dec, n, defaults_keys, COUNT(defaults_keys), "'defaults'");
	yaml_node_t *v = pl__dec_lookup(dec, n, "buffer");
	if (v != NULL &&
	    pl__dec_get_int(dec, v, "buffer", 0, PL_MAX_BUFFER, &dec->cfg->default_buffer))
		dec->cfg->default_buffer_pos = pl_yaml_pos(v);
	v = pl__dec_lookup(dec, n, "stack_size");
	if (v != NULL && pl__dec_get_stack_size(dec, v, &dec->cfg->default_stack_size))
		dec->cfg->default_stack_size_pos = pl_yaml_pos(v);
}

static void decode_channels(struct pl__decoder *dec, const yaml_node_t *n)
{
	if (pl_yaml_is_null(n))
		return;
	if (!pl__dec_expect_mapping(dec, n, "'channels'"))
		return;
	if (n->data.mapping.pairs.top - n->data.mapping.pairs.start > PL_MAX_NODES) {
		ERR(dec, TOO_MANY, pl_yaml_pos(n), "'channels' has more than %d entries",
		    PL_MAX_NODES);
		return;
	}
	pl__dec_check_keys(dec, n, NULL, 0, "'channels'");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(dec, p->key), *v = node_at(dec, p->value);
		if (k->type != YAML_SCALAR_NODE)
			continue;
		if (!pl__is_name(scalar(k), strlen(scalar(k)))) {
			ERR(dec, BAD_NAME, pl_yaml_pos(k),
			    "channel name '%s' may hold only letters, digits, '_' and '-'",
			    scalar(k));
			continue;
		}
		if (pl__name_index_find(&dec->chans, scalar(k)) >= 0)
			continue; /* reported by check_keys as given twice */
		int ci = add_chan(dec, scalar(k), pl_yaml_pos(k));
		if (ci < 0)
			return;
		pl_cfg_chan *c = &dec->cfg->chans[ci];
		c->declared = 1;
		c->decl_pos = pl_yaml_pos(k);
		if (pl_yaml_is_null(v))
			continue;
		char where[160];
		snprintf(where, sizeof(where), "channel '%s'", scalar(k));
		if (!pl__dec_expect_mapping(dec, v, where))
			continue;
		pl__dec_check_keys(dec, v, channel_keys, COUNT(channel_keys), where);
		yaml_node_t *b = pl__dec_lookup(dec, v, "buffer");
		if (b != NULL && pl__dec_get_int(dec, b, "buffer", 0, PL_MAX_BUFFER, &c->buffer)) {
			c->has_buffer = 1;
			c->buffer_pos = pl_yaml_pos(b);
		}
		pl__dec_chan_transport(dec, c, v);
	}
}

/* `plugins: [path, ...]`: each path relative to the config's directory. */
static void decode_plugins(struct pl__decoder *dec, const yaml_node_t *n)
{
	if (pl_yaml_is_null(n))
		return;
	if (n->type != YAML_SEQUENCE_NODE) {
		ERR(dec, EXPECTED_LIST, pl_yaml_pos(n),
		    "'plugins' must be a list of plugin files, like [plugins/libmine.so], got %s",
		    pl_yaml_kind(n));
		dec->cfg->plugin_failed = 1; /* their stages are unknown: no more errors */
		return;
	}
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	pl_config *cfg = dec->cfg;
	cfg->plugins = pl_mem_calloc(count ? count : 1, sizeof(*cfg->plugins));
	if (cfg->plugins == NULL) {
		dec->oom = 1;
		return;
	}
	/* The directory of the config file ("" for standard input). */
	const char *slash = strrchr(cfg->file, '/');
	int dir_len = strcmp(cfg->file, "<stdin>") != 0 && slash != NULL
			      ? (int)(slash - cfg->file) + 1
			      : 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *v = node_at(dec, *it);
		if (v->type != YAML_SCALAR_NODE || pl_yaml_is_null(v) || scalar(v)[0] == '\0') {
			ERR(dec, NOT_STRING, pl_yaml_pos(v),
			    "each entry of 'plugins' is the path of a plugin file, got %s",
			    v->type == YAML_SCALAR_NODE && !pl_yaml_is_null(v) ? "an empty string"
									       : pl_yaml_kind(v));
			cfg->plugin_failed = 1;
			continue;
		}
		char *written = NULL;
		if (!pl__dec_get_string(dec, v, "plugins", &written))
			continue;
		size_t len = (size_t)dir_len + strlen(written) + 1;
		char *path = pl_mem_alloc(len);
		if (path == NULL) {
			free(written);
			dec->oom = 1;
			return;
		}
		if (written[0] == '/')
			snprintf(path, len, "%s", written);
		else
			snprintf(path, len, "%.*s%s", dir_len, cfg->file, written);
		free(written);
		cfg->plugins[cfg->n_plugins++] =
			(pl_cfg_plugin){ .path = path, .pos = pl_yaml_pos(v) };
	}
}

static void decode_params(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *n)
{
	node->has_params = 1;
	node->params_pos = pl_yaml_pos(n);
	if (pl_yaml_is_null(n))
		return;
	if (!pl__dec_expect_mapping(dec, n, "'params'"))
		return;
	pl__dec_check_keys(dec, n, NULL, 0, "'params'");
	size_t count = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	node->params = pl_mem_calloc(count ? count : 1, sizeof(*node->params));
	if (node->params == NULL) {
		dec->oom = 1;
		return;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = node_at(dec, p->key), *v = node_at(dec, p->value);
		if (k->type != YAML_SCALAR_NODE)
			continue;
		if (v->type != YAML_SCALAR_NODE) {
			ERR(dec, PARAM_NOT_SCALAR, pl_yaml_pos(v),
			    "parameter '%s' must be a single value, got %s", scalar(k),
			    pl_yaml_kind(v));
			continue;
		}
		if (v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    (scalar(v)[0] == '\0' || strcmp(scalar(v), "~") == 0)) {
			ERR(dec, PARAM_EMPTY, pl_yaml_pos(v),
			    "parameter '%s' has no value; give one, or remove it to use the "
			    "default",
			    scalar(k));
			continue;
		}
		pl_cfg_param *cp = &node->params[node->n_params++];
		cp->key = dup_str(dec, scalar(k));
		cp->value = dup_str(dec, scalar(v));
		cp->quoted = v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		cp->key_pos = pl_yaml_pos(k);
		cp->value_pos = pl_yaml_pos(v);
	}
}

static int add_input(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *v)
{
	char *name = NULL;
	if (!pl__dec_get_name(dec, v, "channel name", &name)) {
		free(name);
		return 0;
	}
	node->inputs[node->n_inputs++] =
		(pl_cfg_ref){ .name = name, .pos = pl_yaml_pos(v), .chan = -1 };
	return 1;
}

static void decode_inputs(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *in,
			  const yaml_node_t *ins)
{
	if (in != NULL && ins != NULL) {
		ERR(dec, INPUT_AND_INPUTS, pl_yaml_pos(ins),
		    "node '%s' has both 'input' and 'inputs'; use 'input' for one channel, "
		    "'inputs' for a fan-in's list",
		    node->name ? node->name : "?");
		return;
	}
	if (in != NULL) {
		node->inputs_pos = pl_yaml_pos(in);
		if (in->type == YAML_SEQUENCE_NODE) {
			ERR(dec, ONE_CHANNEL, pl_yaml_pos(in),
			    "'input' names one channel; to merge several channels use a fan-in "
			    "node with 'inputs'");
			return;
		}
		node->inputs = pl_mem_calloc(1, sizeof(*node->inputs));
		if (node->inputs == NULL) {
			dec->oom = 1;
			return;
		}
		add_input(dec, node, in);
		return;
	}
	if (ins == NULL)
		return;
	node->inputs_is_list = 1;
	node->inputs_pos = pl_yaml_pos(ins);
	if (ins->type != YAML_SEQUENCE_NODE) {
		ERR(dec, EXPECTED_LIST, pl_yaml_pos(ins),
		    "'inputs' must be a list of channel names, like [a, b], got %s",
		    pl_yaml_kind(ins));
		return;
	}
	size_t count = (size_t)(ins->data.sequence.items.top - ins->data.sequence.items.start);
	node->inputs = pl_mem_calloc(count ? count : 1, sizeof(*node->inputs));
	if (node->inputs == NULL) {
		dec->oom = 1;
		return;
	}
	for (yaml_node_item_t *it = ins->data.sequence.items.start;
	     it < ins->data.sequence.items.top; it++)
		add_input(dec, node, node_at(dec, *it));
}

static void decode_node(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *n)
{
	node->pos = pl_yaml_pos(n);
	node->workers = 1;
	node->output.chan = -1;
	node->bridge_chan = -1;
	if (!pl__dec_expect_mapping(dec, n, "each entry of 'nodes'")) {
		node->broken = 1;
		return;
	}
	/* Errors in what shapes the graph (names, type, stage, channels) make
	 * the node broken; errors in its workers or params do not. */
	size_t before = dec->d->errors;
	int structural = pl__dec_check_keys(dec, n, node_keys, COUNT(node_keys), "a node");
	size_t mark = dec->d->errors;
	yaml_node_t *v;
	if ((v = pl__dec_lookup(dec, n, "name")) != NULL) {
		node->name_pos = pl_yaml_pos(v);
		pl__dec_get_name(dec, v, "node name", &node->name);
	} else if (!misspelt(dec, n, "name", node_keys, COUNT(node_keys))) {
		ERR(dec, MISSING_KEY, node->pos, "a node needs a 'name'");
	}
	if ((v = pl__dec_lookup(dec, n, "type")) != NULL) {
		node->type_pos = pl_yaml_pos(v);
		char *t = NULL;
		if (pl__dec_get_string(dec, v, "type", &t)) {
			for (size_t i = 0; i < COUNT(type_names); i++)
				if (strcmp(t, type_names[i]) == 0)
					node->type = (int)i + 1;
			if (node->type == 0) {
				const char *hint = pl_suggest(t, type_names, COUNT(type_names));
				ERR(dec, UNKNOWN_TYPE, node->type_pos,
				    "unknown node type '%s'%s%s%s; the types are generator, "
				    "fan-out, fan-in, broadcast and sink",
				    t, hint ? " (did you mean '" : "", hint ? hint : "",
				    hint ? "'?)" : "");
			}
		}
		free(t);
	} else if (!misspelt(dec, n, "type", node_keys, COUNT(node_keys))) {
		ERR(dec, MISSING_KEY, node->pos,
		    "node '%s' needs a 'type': generator, fan-out, fan-in, broadcast or sink",
		    node->name ? node->name : "?");
	}
	if ((v = pl__dec_lookup(dec, n, "stage")) != NULL) {
		node->stage_pos = pl_yaml_pos(v);
		pl__dec_get_string(dec, v, "stage", &node->stage);
	}
	structural += dec->d->errors > mark;
	if ((v = pl__dec_lookup(dec, n, "workers")) != NULL) {
		node->workers_pos = pl_yaml_pos(v);
		node->has_workers = 1;
		if (v->type == YAML_SCALAR_NODE &&
		    v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && scalar(v)[0] == '-' &&
		    scalar(v)[1] >= '0' && scalar(v)[1] <= '9') {
			ERR(dec, OUT_OF_RANGE, node->workers_pos,
			    "'workers' is %s; a node needs at least 1 worker", scalar(v));
		} else if (!pl__dec_get_int(dec, v, "workers", 1, PL_MAX_WORKERS, &node->workers)) {
			node->workers = 1;
		}
	}
	if ((v = pl__dec_lookup(dec, n, "params")) != NULL)
		decode_params(dec, node, v);
	mark = dec->d->errors;
	decode_inputs(dec, node, pl__dec_lookup(dec, n, "input"), pl__dec_lookup(dec, n, "inputs"));
	if ((v = pl__dec_lookup(dec, n, "output")) != NULL) {
		if (v->type == YAML_SEQUENCE_NODE) {
			ERR(dec, ONE_CHANNEL, pl_yaml_pos(v),
			    "'output' names one channel; a node writes exactly one (use a fan-out "
			    "downstream to spread work, or a broadcast node with 'outputs' to copy "
			    "every message to several channels)");
		} else if (pl__dec_get_name(dec, v, "channel name", &node->output.name)) {
			node->output.pos = pl_yaml_pos(v);
		}
	}
	structural += dec->d->errors > mark;
	structural += pl__dec_node_options(dec, node, n);
	node->broken = structural > 0 || graph_value_muted(dec, n);
	node->decode_errors = dec->d->errors - before;
}

static void decode_nodes(struct pl__decoder *dec, const yaml_node_t *n)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		ERR(dec, EXPECTED_LIST, pl_yaml_pos(n),
		    "'nodes' must be a list of nodes (each entry starting with '- name:'), got %s",
		    pl_yaml_kind(n));
		return;
	}
	size_t count = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (count == 0) {
		ERR(dec, NO_NODES, pl_yaml_pos(n),
		    "'nodes' is empty; a pipeline needs at least a generator and a sink");
		return;
	}
	if (count > PL_MAX_NODES) {
		ERR(dec, TOO_MANY, pl_yaml_pos(n),
		    "'nodes' has %zu entries; at most %d are allowed", count, PL_MAX_NODES);
		return;
	}
	dec->cfg->nodes = pl_mem_calloc(count, sizeof(*dec->cfg->nodes));
	if (dec->cfg->nodes == NULL) {
		dec->oom = 1;
		return;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		pl_cfg_node *node = &dec->cfg->nodes[dec->cfg->n_nodes++];
		decode_node(dec, node, node_at(dec, *it));
		if (dec->oom)
			return;
	}
}

/* Gives every output a channel and resolves every input to one. */
static void link_channels(struct pl__decoder *dec)
{
	pl_config *cfg = dec->cfg;
	for (size_t i = 0; i < cfg->n_nodes && !dec->oom; i++)
		for (size_t j = 0; j < pl_cfg_node_n_outs(&cfg->nodes[i]) && !dec->oom; j++) {
			pl_cfg_ref *out = pl_cfg_node_out(&cfg->nodes[i], j);
			out->chan = add_chan(dec, out->name, out->pos);
		}
	for (size_t i = 0; i < cfg->n_nodes; i++)
		for (size_t j = 0; j < cfg->nodes[i].n_inputs; j++) {
			pl_cfg_ref *in = &cfg->nodes[i].inputs[j];
			in->chan = pl__name_index_find(&dec->chans, in->name);
		}
	for (size_t i = 0; i < cfg->n_chans; i++)
		if (!cfg->chans[i].has_buffer)
			cfg->chans[i].buffer = cfg->default_buffer;
}

/* The limits on the whole config: every worker is a thread and every
 * buffer slot is allocated when the pipeline starts. */
static void check_totals(struct pl__decoder *dec)
{
	pl_config *cfg = dec->cfg;
	int64_t workers = 0, slots = 0;
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		workers += cfg->nodes[i].workers;
		if (workers > PL_MAX_TOTAL_WORKERS) {
			ERR(dec, TOO_MANY,
			    cfg->nodes[i].has_workers ? cfg->nodes[i].workers_pos
						      : cfg->nodes[i].pos,
			    "the nodes up to '%s' ask for %lld workers in all; at most %d threads "
			    "may run at once",
			    cfg->nodes[i].name ? cfg->nodes[i].name : "?", (long long)workers,
			    PL_MAX_TOTAL_WORKERS);
			break;
		}
	}
	for (size_t i = 0; i < cfg->n_chans; i++) {
		slots += cfg->chans[i].buffer;
		if (slots > PL_MAX_TOTAL_BUFFER) {
			pl_cfg_chan *c = &cfg->chans[i];
			pl_pos pos = c->has_buffer                       ? c->buffer_pos
				     : cfg->default_buffer_pos.line != 0 ? cfg->default_buffer_pos
									 : c->pos;
			ERR(dec, TOO_MANY, pos,
			    "the channels up to '%s' buffer %lld messages in all; at most %d may "
			    "be "
			    "buffered at once",
			    c->name, (long long)slots, PL_MAX_TOTAL_BUFFER);
			break;
		}
	}
}

static void decode_root(struct pl__decoder *dec, const yaml_node_t *root)
{
	if (!pl__dec_expect_mapping(dec, root, "the top level of a config"))
		return;
	pl__dec_check_keys(dec, root, top_keys, COUNT(top_keys), "the top level");
	yaml_node_t *v;
	if ((v = pl__dec_lookup(dec, root, "version")) != NULL) {
		if (pl__dec_get_int(dec, v, "version", INT64_MIN, INT64_MAX, &dec->cfg->version) &&
		    dec->cfg->version != 1)
			ERR(dec, BAD_VERSION, pl_yaml_pos(v),
			    "unknown config version %lld; this pipeline reads version 1",
			    (long long)dec->cfg->version);
	} else if (!misspelt(dec, root, "version", top_keys, COUNT(top_keys))) {
		ERR(dec, MISSING_KEY, pl_yaml_pos(root),
		    "the config needs 'version: 1' at the top level");
	}
	if ((v = pl__dec_lookup(dec, root, "name")) != NULL)
		pl__dec_get_string(dec, v, "name", &dec->cfg->name);
	if ((v = pl__dec_lookup(dec, root, "description")) != NULL)
		pl__dec_get_string(dec, v, "description", &dec->cfg->description);
	if ((v = pl__dec_lookup(dec, root, "defaults")) != NULL)
		decode_defaults(dec, v);
	if ((v = pl__dec_lookup(dec, root, "channels")) != NULL)
		decode_channels(dec, v);
	if ((v = pl__dec_lookup(dec, root, "plugins")) != NULL)
		decode_plugins(dec, v);
	if ((v = pl__dec_lookup(dec, root, "nodes")) != NULL)
		decode_nodes(dec, v);
	else if (!misspelt(dec, root, "nodes", top_keys, COUNT(top_keys)))
		ERR(dec, MISSING_KEY, pl_yaml_pos(root), "the config needs a 'nodes' list");
	if (!dec->oom)
		link_channels(dec);
	if (!dec->oom)
		check_totals(dec);
}

int pl__config_decode_doc(yaml_document_t *doc, pl_config *cfg, pl_diags *d)
{
	struct pl__decoder dec = { .doc = doc, .cfg = cfg, .d = d };
	decode_root(&dec, yaml_document_get_root_node(doc));
	pl__name_index_free(&dec.chans);
	return dec.oom ? PL_ENOMEM : 0;
}
