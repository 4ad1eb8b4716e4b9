/* config_options.c - decoding a node's running options: on_error, retry, ordered, rate,
 * stack_size, outputs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config_decode_int.h"
#include "mem.h"
#include "size.h"

static const char *const retry_keys[] = { "attempts", "backoff_ms" };

/* `on_error: stop | skip | { dead-letter: CHANNEL }`.  Returns nonzero
 * after an error: a dead-letter channel may be missing from the graph. */
static int decode_on_error(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *v)
{
	node->has_on_error = 1;
	node->on_error_pos = pl_yaml_pos(v);
	size_t before = dec->d->errors;
	if (v->type == YAML_MAPPING_NODE) {
		static const char *const keys[] = { "dead-letter" };
		int typo = pl__dec_check_keys(dec, v, keys, 1, "'on_error'");
		const yaml_node_t *ch = pl__dec_lookup(dec, v, "dead-letter");
		if (ch == NULL) {
			if (!typo) /* (a misspelt 'dead-letter' was reported) */
				ERR(dec, MISSING_KEY, node->on_error_pos,
				    "'on_error' as a mapping needs 'dead-letter: CHANNEL'");
			return 1;
		}
		node->on_error = PL_ON_ERROR_DEAD_LETTER;
		if (pl__dec_get_name(dec, ch, "channel name", &node->dead_letter.name))
			node->dead_letter.pos = pl_yaml_pos(ch);
		node->dead_letter.chan = -1;
		return dec->d->errors > before;
	}
	if (v->type == YAML_SCALAR_NODE && strcmp(scalar(v), "stop") == 0) {
		node->on_error = PL_ON_ERROR_STOP;
	} else if (v->type == YAML_SCALAR_NODE && strcmp(scalar(v), "skip") == 0) {
		node->on_error = PL_ON_ERROR_SKIP;
	} else if (v->type == YAML_SCALAR_NODE && strcmp(scalar(v), "dead-letter") == 0) {
		ERR(dec, BAD_VALUE, node->on_error_pos,
		    "'on_error: dead-letter' needs the channel the failed messages go to: write "
		    "'on_error: { dead-letter: CHANNEL }'");
	} else if (v->type == YAML_SCALAR_NODE) {
		ERR(dec, BAD_VALUE, node->on_error_pos,
		    "'on_error' is '%s'; use stop (the default), skip, or { dead-letter: CHANNEL }",
		    scalar(v));
	} else {
		ERR(dec, BAD_VALUE, node->on_error_pos,
		    "'on_error' must be stop, skip or { dead-letter: CHANNEL }, got %s",
		    pl_yaml_kind(v));
	}
	return dec->d->errors > before;
}

/* `retry: { attempts: N, backoff_ms: M }` */
static void decode_retry(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *v)
{
	node->has_retry = 1;
	node->retry_pos = pl_yaml_pos(v);
	if (!pl__dec_expect_mapping(dec, v, "'retry'"))
		return;
	pl__dec_check_keys(dec, v, retry_keys, 2, "'retry'");
	const yaml_node_t *a = pl__dec_lookup(dec, v, "attempts");
	const yaml_node_t *b = pl__dec_lookup(dec, v, "backoff_ms");
	if (a == NULL)
		ERR(dec, MISSING_KEY, node->retry_pos,
		    "'retry' needs 'attempts': how many times in all a message is tried");
	else if (!pl__dec_get_int(dec, a, "attempts", 1, 1000, &node->retry_attempts))
		node->retry_attempts = 1;
	if (b != NULL &&
	    !pl__dec_get_int(dec, b, "backoff_ms", 0, 3600000, &node->retry_backoff_ms))
		node->retry_backoff_ms = 0;
}

/* `ordered: true | false` */
static void decode_ordered(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *v)
{
	node->has_ordered = 1;
	node->ordered_pos = pl_yaml_pos(v);
	int word = v->type == YAML_SCALAR_NODE &&
		   (strcmp(scalar(v), "true") == 0 || strcmp(scalar(v), "false") == 0);
	if (word && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		node->ordered = strcmp(scalar(v), "true") == 0;
		return;
	}
	if (word) {
		ERR(dec, BAD_VALUE, node->ordered_pos,
		    "'ordered' must be true or false, got the quoted string \"%s\"; remove the "
		    "quotes",
		    scalar(v));
		return;
	}
	ERR(dec, BAD_VALUE, node->ordered_pos, "'ordered' must be true or false, got %s%s%s",
	    v->type == YAML_SCALAR_NODE ? "'" : "",
	    v->type == YAML_SCALAR_NODE ? scalar(v) : pl_yaml_kind(v),
	    v->type == YAML_SCALAR_NODE ? "'" : "");
}

/* `rate: N/s | N/min | N/h`, N a positive number. */
static void decode_rate(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *v)
{
	static const struct {
		const char *unit;
		double seconds;
	} units[] = { { "s", 1 }, { "min", 60 }, { "h", 3600 } };
	node->has_rate = 1;
	node->rate_pos = pl_yaml_pos(v);
	if (v->type != YAML_SCALAR_NODE) {
		ERR(dec, BAD_VALUE, node->rate_pos,
		    "'rate' must be a number of messages per unit, like 100/s or 30/min, got %s",
		    pl_yaml_kind(v));
		return;
	}
	const char *s = scalar(v);
	/* Plain decimals only (strtod() would also take 1e3 and 0x10). */
	size_t digits = strspn(s, "0123456789");
	if (s[digits] == '.')
		digits += 1 + strspn(s + digits + 1, "0123456789");
	char *end;
	errno = 0;
	double n = strtod(s, &end);
	int number_ok = digits > 0 && end == s + digits && s[0] >= '0' && s[0] <= '9' &&
			errno == 0 && isfinite(n);
	const char *unit = number_ok && *end == '/' ? end + 1 : NULL;
	size_t k = 0;
	while (unit != NULL && k < sizeof(units) / sizeof(units[0]) &&
	       strcmp(unit, units[k].unit) != 0)
		k++;
	if (unit == NULL || k == sizeof(units) / sizeof(units[0])) {
		ERR(dec, BAD_VALUE, node->rate_pos,
		    "'rate' is '%s'; write a number of messages per second, minute or hour, like "
		    "100/s, 30/min or 2.5/h",
		    s);
		return;
	}
	double per_s = n / units[k].seconds;
	if (!(n > 0) || per_s > 1e9 || per_s < 1.0 / (24 * 3600.0)) {
		ERR(dec, OUT_OF_RANGE, node->rate_pos,
		    "'rate' is '%s', out of range: it must be at least one message a day "
		    "(about 0.0417/h) and at most 1000000000/s",
		    s);
		return;
	}
	node->rate = per_s;
}

int pl__dec_get_stack_size(struct pl__decoder *dec, const yaml_node_t *n, int64_t *out)
{
	static const char forms[] = "a number of bytes or a whole number of KiB, MiB or GiB, "
				    "like 65536, 64KiB or 1MiB";
	if (n->type != YAML_SCALAR_NODE || pl_yaml_is_null(n)) {
		ERR(dec, BAD_VALUE, pl_yaml_pos(n), "'stack_size' must be %s, got %s", forms,
		    pl_yaml_kind(n));
		return 0;
	}
	char hint[64], lo[32], hi[32];
	int rc = pl_size_parse(scalar(n), PL_MIN_STACK_SIZE, PL_MAX_STACK_SIZE, out, hint,
			       sizeof(hint));
	if (rc == PL_ERANGE)
		ERR(dec, OUT_OF_RANGE, pl_yaml_pos(n),
		    "'stack_size' is %s, out of range: it must be between %s (PTHREAD_STACK_MIN "
		    "on Linux) and %s",
		    scalar(n), pl_size_format((uint64_t)PL_MIN_STACK_SIZE, lo, sizeof(lo)),
		    pl_size_format((uint64_t)PL_MAX_STACK_SIZE, hi, sizeof(hi)));
	else if (rc != 0 && hint[0] != '\0')
		ERR(dec, BAD_VALUE, pl_yaml_pos(n),
		    "'stack_size' is '%s'; did you mean '%s'? Sizes take the binary units KiB, "
		    "MiB and GiB, written without a space",
		    scalar(n), hint);
	else if (rc != 0)
		ERR(dec, BAD_VALUE, pl_yaml_pos(n), "'stack_size' is '%s'; write %s", scalar(n),
		    forms);
	return rc == 0;
}

/* A broadcast's `outputs: [a, b, ...]`.  Returns nonzero after an error. */
static int decode_outputs(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *v)
{
	node->outputs_is_list = 1;
	node->outputs_pos = pl_yaml_pos(v);
	if (v->type != YAML_SEQUENCE_NODE) {
		ERR(dec, EXPECTED_LIST, node->outputs_pos,
		    "'outputs' must be a list of channel names, like [a, b], got %s",
		    pl_yaml_kind(v));
		return 1;
	}
	size_t count = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
	node->outputs = pl_mem_calloc(count ? count : 1, sizeof(*node->outputs));
	if (node->outputs == NULL) {
		dec->oom = 1;
		return 0;
	}
	int bad = 0;
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		const yaml_node_t *item = node_at(dec, *it);
		char *name = NULL;
		if (!pl__dec_get_name(dec, item, "channel name", &name)) {
			bad = 1;
			continue;
		}
		node->outputs[node->n_outputs++] =
			(pl_cfg_ref){ .name = name, .pos = pl_yaml_pos(item), .chan = -1 };
	}
	return bad;
}

int pl__dec_node_options(struct pl__decoder *dec, pl_cfg_node *node, const yaml_node_t *n)
{
	const yaml_node_t *v;
	int bad = 0;
	node->retry_attempts = 1;
	node->dead_letter.chan = -1;
	if ((v = pl__dec_lookup(dec, n, "on_error")) != NULL)
		bad |= decode_on_error(dec, node, v);
	if ((v = pl__dec_lookup(dec, n, "retry")) != NULL)
		decode_retry(dec, node, v);
	if ((v = pl__dec_lookup(dec, n, "ordered")) != NULL)
		decode_ordered(dec, node, v);
	if ((v = pl__dec_lookup(dec, n, "rate")) != NULL)
		decode_rate(dec, node, v);
	if ((v = pl__dec_lookup(dec, n, "stack_size")) != NULL) {
		node->stack_size_pos = pl_yaml_pos(v);
		pl__dec_get_stack_size(dec, v, &node->stack_size); /* (0 when refused) */
	}
	if ((v = pl__dec_lookup(dec, n, "outputs")) != NULL)
		bad |= decode_outputs(dec, node, v);
	return bad;
}
