/* doc_edit.c - ${VAR} interpolation and --set overrides on a loaded YAML document. */
#include "doc_edit.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mem.h"
#include "pipeline/plugin.h"
#include "yaml_doc.h"

/* Where a bad reference inside a scalar sits in the file: found by its own
 * text in the scalar's source span, else the scalar's start. */
static pl_pos reference_pos(const yaml_node_t *n, const char *text, size_t len, const char *ref,
			    size_t ref_len)
{
	size_t from = pl_yaml_offset(text, len, n->start_mark);
	size_t to = pl_yaml_offset(text, len, n->end_mark);
	for (size_t i = from; ref_len > 0 && i + ref_len <= to; i++)
		if (memcmp(text + i, ref, ref_len) == 0)
			return pl_yaml_pos_at(text, len, i);
	return pl_yaml_pos(n);
}

/* Appends `pos` to the muted positions; 0 when out of memory. */
static int mute(pl_pos **muted, size_t *n, pl_pos pos)
{
	pl_pos *bigger = pl_mem_realloc(*muted, (*n + 1) * sizeof(*bigger));
	if (bigger == NULL)
		return 0;
	bigger[(*n)++] = pos;
	*muted = bigger;
	return 1;
}

enum { VALUE = 1, KEY = 2 };

/* Marks every node reachable from the root: KEY for a mapping's keys,
 * VALUE for the rest; 0 for nodes nothing refers to any more (replaced by
 * --set).  Returns the marks (count bytes; the caller frees) or NULL. */
static unsigned char *reachable(yaml_document_t *doc, size_t count)
{
	unsigned char *seen = pl_mem_calloc(count ? count : 1, 1);
	int *stack = pl_mem_alloc((count ? count : 1) * sizeof(*stack));
	if (seen == NULL || stack == NULL) {
		free(seen);
		free(stack);
		return NULL;
	}
	size_t top = 0;
	if (count > 0) {
		seen[0] = VALUE;
		stack[top++] = 1;
	}
	while (top > 0) {
		const yaml_node_t *n = yaml_document_get_node(doc, stack[--top]);
		if (n->type == YAML_MAPPING_NODE) {
			for (const yaml_node_pair_t *p = n->data.mapping.pairs.start;
			     p < n->data.mapping.pairs.top; p++) {
				if (seen[p->key - 1] == 0) {
					seen[p->key - 1] = KEY;
					stack[top++] = p->key;
				}
				if (seen[p->value - 1] == 0) {
					seen[p->value - 1] = VALUE;
					stack[top++] = p->value;
				}
			}
		} else if (n->type == YAML_SEQUENCE_NODE) {
			for (const yaml_node_item_t *it = n->data.sequence.items.start;
			     it < n->data.sequence.items.top; it++)
				if (seen[*it - 1] == 0) {
					seen[*it - 1] = VALUE;
					stack[top++] = *it;
				}
		}
	}
	free(stack);
	return seen;
}

int pl_doc_interpolate(yaml_document_t *doc, const char *file, const char *text, size_t len,
		       pl_env_fn env, void *ctx, pl_diags *d, pl_pos **muted, size_t *n_muted)
{
	size_t count = (size_t)(doc->nodes.top - doc->nodes.start);
	unsigned char *seen = reachable(doc, count);
	if (seen == NULL)
		return PL_ENOMEM;
	int rc = 0;
	size_t total = 0; /* bytes all expansions produced */
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *n = &doc->nodes.start[i];
		/* Values --set wrote, or replaced, are not the file's. */
		if (n->type != YAML_SCALAR_NODE || seen[i] == 0 ||
		    n->start_mark.line == PL_YAML_SET_LINE)
			continue;
		const char *value = (const char *)n->data.scalar.value;
		/* Names, paths and patterns are C strings: a "\0" escape would
		 * silently cut them short. */
		if (memchr(value, '\0', n->data.scalar.length) != NULL) {
			pl_diag_add(d, PL_D_NOT_STRING, file, pl_yaml_pos(n),
				    "a %s may not hold a NUL character (\\0); remove it",
				    seen[i] == KEY ? "key" : "value");
			rc = PL_EINVAL;
			if (!mute(muted, n_muted, pl_yaml_pos(n))) {
				rc = PL_ENOMEM;
				break;
			}
			continue;
		}
		if (seen[i] == KEY)
			continue;
		char *expanded;
		size_t expanded_len;
		pl_interp_error err;
		size_t left = PL_INTERP_MAX_TOTAL - total;
		size_t max = left < PL_INTERP_MAX_BYTES ? left : PL_INTERP_MAX_BYTES;
		int r = pl_interp(value, n->data.scalar.length, env, ctx, max, &expanded,
				  &expanded_len, &err);
		if (r == PL_ENOMEM) {
			rc = r;
			break;
		}
		if (r == PL_EINVAL)
			pl_diag_add(d, err.unset ? PL_D_ENV_UNSET : PL_D_ENV_SYNTAX, file,
				    reference_pos(n, text, len, value + err.offset, err.length),
				    "%s", err.message);
		else if (r == PL_ERANGE && max < PL_INTERP_MAX_BYTES)
			pl_diag_add(d, PL_D_ENV_SYNTAX, file, pl_yaml_pos(n),
				    "the values expand to more than %zu bytes in all",
				    PL_INTERP_MAX_TOTAL);
		else if (r == PL_ERANGE)
			pl_diag_add(d, PL_D_ENV_SYNTAX, file, pl_yaml_pos(n),
				    "the value expands to more than %zu bytes",
				    PL_INTERP_MAX_BYTES);
		if (r == PL_ERANGE && max < PL_INTERP_MAX_BYTES) {
			rc = PL_EINVAL;
			break;
		}
		if (r != 0) {
			rc = PL_EINVAL;
			if (!mute(muted, n_muted, pl_yaml_pos(n))) {
				rc = PL_ENOMEM;
				break;
			}
			continue;
		}
		if (expanded == NULL)
			continue;
		total += expanded_len;
		/* libyaml frees scalar values with free(). */
		free(n->data.scalar.value);
		n->data.scalar.value = (yaml_char_t *)expanded;
		n->data.scalar.length = expanded_len;
		/* The value's type is that of what it expands to, quoted or not
		 * (quotes are needed for ${VAR} inside { }); an empty result
		 * keeps its quotes and stays an empty string. */
		if (expanded_len > 0)
			n->data.scalar.style = YAML_PLAIN_SCALAR_STYLE;
	}
	free(seen);
	return rc;
}

int pl_set_parse(const char *text, pl_set *out, char *err, size_t errlen)
{
	static const char form[] = "write NODE.KEY=VALUE or NODE.params.KEY=VALUE, e.g. "
				   "--set fetch.workers=8 or --set fetch.params.ms=5";
	memset(out, 0, sizeof(*out));
	if (!pl_utf8_valid(text)) {
		snprintf(err, errlen, "--set: an override must be UTF-8 text, like the config");
		return PL_EINVAL;
	}
	const char *eq = strchr(text, '=');
	if (eq == NULL) {
		snprintf(err, errlen, "--set '%s' has no '='; %s", text, form);
		return PL_EINVAL;
	}
	const char *dot1 = memchr(text, '.', (size_t)(eq - text));
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', (size_t)(eq - dot1 - 1)) : NULL;
	const char *dot3 = dot2 ? memchr(dot2 + 1, '.', (size_t)(eq - dot2 - 1)) : NULL;
	const char *key = dot2 ? dot2 + 1 : dot1 ? dot1 + 1 : NULL;
	if (dot1 == NULL || dot3 != NULL ||
	    (dot2 != NULL && (dot2 - dot1 - 1 != 6 || memcmp(dot1 + 1, "params", 6) != 0)) ||
	    !pl__is_name(text, (size_t)(dot1 - text)) || key == eq ||
	    (size_t)(dot1 - text) >= sizeof(out->node) || (size_t)(eq - key) >= sizeof(out->key)) {
		snprintf(err, errlen, "--set '%s' is not an override; %s", text, form);
		return PL_EINVAL;
	}
	memcpy(out->node, text, (size_t)(dot1 - text));
	memcpy(out->key, key, (size_t)(eq - key));
	out->in_params = dot2 != NULL;
	out->value = eq + 1;
	return 0;
}

/* The pair index of `key` in mapping `map`, or -1. */
static int find_key(yaml_document_t *doc, int map, const char *key)
{
	yaml_node_t *m = yaml_document_get_node(doc, map);
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return (int)(p - m->data.mapping.pairs.start);
	}
	return -1;
}

/* Marks node `id` as written by the k-th override (0-based). */
static void mark(yaml_document_t *doc, int id, size_t k)
{
	yaml_node_t *n = yaml_document_get_node(doc, id);
	n->start_mark.line = n->end_mark.line = PL_YAML_SET_LINE;
	n->start_mark.column = n->end_mark.column = k;
	n->start_mark.index = n->end_mark.index = 0;
}

/* A new scalar node for an override's text: a quoted string when wrapped
 * in matching quotes, else plain (so "8" is an integer).  0: out of memory. */
static int add_scalar(yaml_document_t *doc, const char *value, size_t k)
{
	size_t len = strlen(value);
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	if (len >= 2 && (value[0] == '"' || value[0] == '\'') && value[len - 1] == value[0]) {
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
		value++;
		len -= 2;
	}
	if (len > (size_t)0x7fffffff)
		return 0;
	int id = yaml_document_add_scalar(doc, NULL, (const yaml_char_t *)value, (int)len, style);
	if (id != 0)
		mark(doc, id, k);
	return id;
}

/* Sets `key` in mapping `map` to `value`, adding the pair if missing.
 * Returns 0, PL_EINVAL when the current value is not a single value (after
 * reporting it), PL_ENOMEM. */
static int set_key(yaml_document_t *doc, int map, const char *key, const char *value, size_t k,
		   const char *set, const char *node, pl_diags *d)
{
	int at = find_key(doc, map, key);
	if (at >= 0) {
		yaml_node_t *m = yaml_document_get_node(doc, map);
		yaml_node_t *old =
			yaml_document_get_node(doc, m->data.mapping.pairs.start[at].value);
		if (old->type != YAML_SCALAR_NODE) {
			pl_diag_add(
				d, PL_D_SET_NOT_SCALAR, "<command-line>", (pl_pos){ 0, 0 },
				"--set '%s': '%s' of node '%s' is %s, and --set replaces single "
				"values only; edit the file",
				set, key, node, pl_yaml_kind(old));
			return PL_EINVAL;
		}
	}
	int v = add_scalar(doc, value, k);
	if (v == 0)
		return PL_ENOMEM;
	if (at >= 0) {
		/* add_scalar() may have moved the nodes: look the mapping up again. */
		yaml_node_t *m = yaml_document_get_node(doc, map);
		m->data.mapping.pairs.start[at].value = v;
		return 0;
	}
	int kid = yaml_document_add_scalar(doc, NULL, (const yaml_char_t *)key, (int)strlen(key),
					   YAML_PLAIN_SCALAR_STYLE);
	if (kid == 0)
		return PL_ENOMEM;
	mark(doc, kid, k);
	return yaml_document_append_mapping_pair(doc, map, kid, v) ? 0 : PL_ENOMEM;
}

/* How many places of `doc` refer to node `id` (more than one: an alias). */
static size_t references(yaml_document_t *doc, int id)
{
	size_t refs = 0;
	for (yaml_node_t *n = doc->nodes.start; n < doc->nodes.top; n++) {
		if (n->type == YAML_MAPPING_NODE) {
			for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
			     p < n->data.mapping.pairs.top; p++)
				refs += (p->key == id) + (p->value == id);
		} else if (n->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *it = n->data.sequence.items.start;
			     it < n->data.sequence.items.top; it++)
				refs += *it == id;
		}
	}
	return refs;
}

/* Gives pair `at` of mapping `map` its own copy of mapping `id`, shared
 * through an anchor with other nodes, so that an override changes this
 * node only.  The copy keeps the original's position and pairs.  Returns
 * the copy's id, or -1 when out of memory. */
static int unshare(yaml_document_t *doc, int map, int at, int id)
{
	int copy = yaml_document_add_mapping(doc, NULL, YAML_BLOCK_MAPPING_STYLE);
	if (copy == 0)
		return -1;
	yaml_node_t *orig = yaml_document_get_node(doc, id);
	yaml_node_t *c = yaml_document_get_node(doc, copy);
	c->start_mark = orig->start_mark;
	c->end_mark = orig->end_mark;
	size_t n = (size_t)(orig->data.mapping.pairs.top - orig->data.mapping.pairs.start);
	for (size_t i = 0; i < n; i++) {
		/* Appending may move the pairs: index them afresh each time. */
		yaml_node_pair_t p = yaml_document_get_node(doc, id)->data.mapping.pairs.start[i];
		if (!yaml_document_append_mapping_pair(doc, copy, p.key, p.value))
			return -1;
	}
	yaml_document_get_node(doc, map)->data.mapping.pairs.start[at].value = copy;
	return copy;
}

/* The `params` mapping of node mapping `map`, made when missing or null;
 * 0 after reporting one that is something else; -1 when out of memory. */
static int params_of(yaml_document_t *doc, int map, size_t k, const char *set, const char *node,
		     pl_diags *d)
{
	int at = find_key(doc, map, "params");
	if (at >= 0) {
		yaml_node_t *m = yaml_document_get_node(doc, map);
		int id = m->data.mapping.pairs.start[at].value;
		yaml_node_t *v = yaml_document_get_node(doc, id);
		if (v->type == YAML_MAPPING_NODE)
			return references(doc, id) > 1 ? unshare(doc, map, at, id) : id;
		if (!pl_yaml_is_null(v)) {
			pl_diag_add(d, PL_D_SET_NOT_SCALAR, "<command-line>", (pl_pos){ 0, 0 },
				    "--set '%s': 'params' of node '%s' is %s, not a mapping", set,
				    node, pl_yaml_kind(v));
			return 0;
		}
	}
	int id = yaml_document_add_mapping(doc, NULL, YAML_BLOCK_MAPPING_STYLE);
	if (id == 0)
		return -1;
	mark(doc, id, k);
	if (at >= 0) {
		yaml_node_t *m = yaml_document_get_node(doc, map);
		m->data.mapping.pairs.start[at].value = id;
		return id;
	}
	int kid = yaml_document_add_scalar(doc, NULL, (const yaml_char_t *)"params", 6,
					   YAML_PLAIN_SCALAR_STYLE);
	if (kid == 0)
		return -1;
	mark(doc, kid, k);
	return yaml_document_append_mapping_pair(doc, map, kid, id) ? id : -1;
}

/* Applies override `k` to every node it names. */
static int apply_one(yaml_document_t *doc, const char *file, const char *set, size_t k, pl_diags *d)
{
	pl_set s;
	char err[256];
	if (pl_set_parse(set, &s, err, sizeof(err)) != 0) {
		pl_diag_add(d, PL_D_SET_NO_NODE, "<command-line>", (pl_pos){ 0, 0 }, "%s", err);
		return PL_EINVAL;
	}
	/* The root is always node 1. */
	yaml_node_t *root = yaml_document_get_root_node(doc);
	int nodes_at = root && root->type == YAML_MAPPING_NODE ? find_key(doc, 1, "nodes") : -1;
	yaml_node_t *list = nodes_at >= 0
				    ? yaml_document_get_node(
					      doc, root->data.mapping.pairs.start[nodes_at].value)
				    : NULL;
	if (list == NULL || list->type != YAML_SEQUENCE_NODE)
		return 0; /* decoding reports the missing 'nodes' list */

	/* Node ids first: adding nodes below may move `list`. */
	size_t n_items = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
	int *items = pl_mem_alloc((n_items ? n_items : 1) * sizeof(*items));
	const char **names = pl_mem_alloc((n_items ? n_items : 1) * sizeof(*names));
	if (items == NULL || names == NULL) {
		free(items);
		free(names);
		return PL_ENOMEM;
	}
	size_t n_names = 0;
	for (size_t i = 0; i < n_items; i++)
		items[i] = list->data.sequence.items.start[i];
	int rc = 0, found = 0;
	for (size_t i = 0; i < n_items && rc == 0; i++) {
		yaml_node_t *node = yaml_document_get_node(doc, items[i]);
		if (node == NULL || node->type != YAML_MAPPING_NODE)
			continue;
		int at = find_key(doc, items[i], "name");
		if (at < 0)
			continue;
		yaml_node_t *name =
			yaml_document_get_node(doc, node->data.mapping.pairs.start[at].value);
		if (name->type != YAML_SCALAR_NODE)
			continue;
		if (strcmp((const char *)name->data.scalar.value, s.node) != 0) {
			names[n_names++] = (const char *)name->data.scalar.value;
			continue;
		}
		found = 1;
		int map = items[i];
		if (s.in_params) {
			map = params_of(doc, items[i], k, set, s.node, d);
			if (map <= 0) {
				rc = map == 0 ? PL_EINVAL : PL_ENOMEM;
				break;
			}
		}
		rc = set_key(doc, map, s.key, s.value, k, set, s.node, d);
	}
	if (!found && rc == 0) {
		const char *hint = pl_suggest(s.node, names, n_names);
		pl_diag_add(d, PL_D_SET_NO_NODE, "<command-line>", (pl_pos){ 0, 0 },
			    "--set '%s': %s has no node named '%s'%s%s%s", set, file, s.node,
			    hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
		rc = PL_EINVAL;
	}
	free(items);
	free(names);
	return rc;
}

int pl_doc_apply_sets(yaml_document_t *doc, const char *file, const char *const *sets, size_t n,
		      pl_diags *d)
{
	int rc = 0;
	for (size_t k = 0; k < n; k++) {
		int r = apply_one(doc, file, sets[k], k, d);
		if (r == PL_ENOMEM)
			return r;
		if (r != 0)
			rc = r;
	}
	return rc;
}
