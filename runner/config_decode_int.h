/* config_decode_int.h - the decoder's state and helpers, shared by the files that decode nodes. */
#ifndef PL_RUNNER_CONFIG_DECODE_INT_H
#define PL_RUNNER_CONFIG_DECODE_INT_H

#include <stdint.h>
#include <yaml.h>

#include "config.h"
#include "diag.h"
#include "name_index.h"
#include "yaml_doc.h"

/* The state of one decode: the document, the config being filled, where
 * diagnostics go, and whether memory ran out. */
struct pl__decoder {
	yaml_document_t *doc;
	pl_config *cfg;
	pl_diags *d;
	int oom;
	pl__name_index chans; /* channel name -> index in cfg->chans */
};

#define ERR(dec, code, pos, ...) pl_cfg_diag((dec)->cfg, (dec)->d, PL_D_##code, (pos), __VA_ARGS__)

static inline yaml_node_t *node_at(struct pl__decoder *dec, int index)
{
	return yaml_document_get_node(dec->doc, index);
}

static inline const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* Each helper reports what is wrong with the value and returns 0, or
 * stores it and returns 1. */

/* Is `n` a mapping?  If not, says what was expected of `what`. */
int pl__dec_expect_mapping(struct pl__decoder *dec, const yaml_node_t *n, const char *what);
/* A non-empty scalar.  Ownership: *out is freed first, then a copy. */
int pl__dec_get_string(struct pl__decoder *dec, const yaml_node_t *n, const char *key, char **out);
/* An integer in [min, max]. */
int pl__dec_get_int(struct pl__decoder *dec, const yaml_node_t *n, const char *key, int64_t min,
		    int64_t max, int64_t *out);
/* A node or channel name; on error *out is left as it was (NULL). */
int pl__dec_get_name(struct pl__decoder *dec, const yaml_node_t *n, const char *what, char **out);

/* A worker thread's stack size (`stack_size`), size.h's forms in
 * [PL_MIN_STACK_SIZE, PL_MAX_STACK_SIZE] (config_options.c). */
int pl__dec_get_stack_size(struct pl__decoder *dec, const yaml_node_t *n, int64_t *out);

/* Checks a mapping's keys against `known` (NULL: any key); returns how
 * many bad keys may hide a known one. */
int pl__dec_check_keys(struct pl__decoder *dec, const yaml_node_t *map, const char *const *known,
		       size_t n_known, const char *where);

/* The value of `key` in a mapping whose keys were checked, or NULL. */
yaml_node_t *pl__dec_lookup(struct pl__decoder *dec, const yaml_node_t *map, const char *key);

/* Decodes a node's running options (on_error, retry, ordered, rate,
 * stack_size) and a
 * broadcast's `outputs`, from the node's mapping `n` (config_options.c).
 * Returns nonzero when `outputs` or `on_error` had an error (they shape the
 * graph: a channel may be missing). */
int pl__dec_node_options(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *n);

/* Decodes a channel's `transport` and the options of a NATS channel from
 * its mapping `v` (config_transport.c). */
void pl__dec_chan_transport(struct pl__decoder *dec, pl_cfg_chan *c, const yaml_node_t *v);

#endif /* PL_RUNNER_CONFIG_DECODE_INT_H */
