/* json.c - the `json` transform (jansson): gets a field of each document, or sets or deletes one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "builtin.h"
#include "json_depth.h"
#include "json_path.h"
#include "mem.h"

/*
 * Each message is one JSON document (any value at the top; a string may
 * hold \u0000).  One of three operations per node:
 *
 *   get: PATH     emits the value at PATH: a string as its text (no
 *                 quotes), anything else as compact JSON; `as: json` emits
 *                 a string as JSON too.
 *   set: PATH     with `value: JSON`: sets the value at PATH, making the
 *                 objects missing on the way, and emits the document.
 *   delete: PATH  removes the value at PATH, if there is one, and emits
 *                 the document.
 *
 * Documents are written compact, their keys in the order they came in.
 * Numbers with a fraction are written with the fewest digits (15, 16 or
 * 17) that read back as the same double for every number of the value, so
 * 0.1 stays 0.1.  jansson allocates through pl_mem_alloc(), so fault
 * injection reaches it.
 */

enum json_op { OP_GET, OP_SET, OP_DELETE };

struct json_stage {
	enum json_op op;
	const char *op_name;
	struct pl_json_path path;
	json_t *value;    /* OP_SET: what to set (our reference) */
	int as_json;      /* OP_GET: a string is emitted as JSON too */
	int skip_missing; /* OP_GET: a document without PATH is dropped, not an error */
};

/* Set when an allocation of jansson's failed on this thread: jansson 2.14
 * reports some of them as syntax errors, or with no text at all.  Cleared
 * before each call whose failure it explains. */
static _Thread_local int alloc_failed;

static void *json_alloc(size_t size)
{
	void *p = pl_mem_alloc(size);
	if (p == NULL)
		alloc_failed = 1;
	return p;
}

static void json_release(void *p)
{
	free(p);
}

/* The one of get, set and delete that is given: sets *op and *text.
 * Returns 0, or the stage's error. */
static int choose_op(pl_worker *w, const pl_params *params, enum json_op *op, const char **name,
		     const char **text)
{
	static const struct {
		const char *name;
		enum json_op op;
	} ops[] = { { "get", OP_GET }, { "set", OP_SET }, { "delete", OP_DELETE } };
	int given = 0;
	const char *t;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (w->host->param_string(params, ops[i].name, &t) == 0) {
			if (given++ > 0)
				return w->host->failf(w,
						      "give only one of 'get', 'set' and "
						      "'delete' (got '%s' and '%s')",
						      *name, ops[i].name);
			*op = ops[i].op;
			*name = ops[i].name;
			*text = t;
		}
	if (given == 0)
		return w->host->failf(w, "give one of 'get', 'set' and 'delete' (a path such as "
					 "a.b[0].c)");
	return 0;
}

/* A string parameter that must be one of two words: *out = 1 for `yes`.
 * Returns 0, or the stage's error. */
static int param_choice(pl_worker *w, const pl_params *params, const char *name, const char *no,
			const char *yes, int *out)
{
	const char *v;
	*out = 0;
	if (w->host->param_string(params, name, &v) != 0 || strcmp(v, no) == 0)
		return 0;
	if (strcmp(v, yes) == 0) {
		*out = 1;
		return 0;
	}
	return w->host->failf(w, "'%s' must be '%s' or '%s', not '%s'", name, no, yes, v);
}

static void json_fini(pl_worker *w);

static int json_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	const char *name = NULL, *text = NULL, *value, *what;
	enum json_op op = OP_GET;
	size_t pos;

	json_set_alloc_funcs(json_alloc, json_release);
	int rc = choose_op(w, params, &op, &name, &text);
	if (rc != 0)
		return rc;
	int has_value = h->param_string(params, "value", &value) == 0;
	if (op == OP_SET && !has_value)
		return h->failf(w,
				"'set' needs 'value' (the JSON to set, e.g. value: '{\"a\": 1}')");
	if (op != OP_SET && has_value)
		return h->failf(w, "'value' goes with 'set', not '%s'", name);

	struct json_stage *j = pl_mem_calloc(1, sizeof(*j));
	if (j == NULL)
		return h->failf(w, "out of memory");
	w->state = j;
	j->op = op;
	j->op_name = name;
	rc = pl__json_path_parse(&j->path, text, &pos, &what);
	if (rc == PL_ENOMEM)
		rc = h->failf(w, "out of memory");
	else if (rc != 0)
		rc = h->failf(w, "invalid path '%s' for '%s': expected %s at position %zu", text,
			      name, what, pos);
	if (rc == 0 && op == OP_SET) {
		json_error_t err;
		/* The edited document nests as deep as the deeper of itself and
		 * the path (its containers) followed by the value. */
		size_t value_depth = pl__json_depth((const unsigned char *)value, strlen(value));
		if (value_depth + j->path.n > PL_JSON_MAX_DEPTH) {
			rc = h->failf(w, "'value' nests deeper than %d levels at the path",
				      PL_JSON_MAX_DEPTH);
			json_fini(w);
			return rc;
		}
		alloc_failed = 0;
		j->value = json_loads(value, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
		if (j->value == NULL && alloc_failed)
			rc = h->failf(w, "out of memory");
		else if (j->value == NULL)
			rc = h->failf(w, "'value' is not JSON: %s (line %d, column %d)", err.text,
				      err.line, err.column);
	}
	for (size_t i = 0; rc == 0 && op != OP_GET && i < 2; i++) {
		static const char *const get_only[] = { "as", "missing" };
		const char *given;
		if (h->param_string(params, get_only[i], &given) == 0)
			rc = h->failf(w, "'%s' goes with 'get', not '%s'", get_only[i], name);
	}
	if (rc == 0)
		rc = param_choice(w, params, "as", "text", "json", &j->as_json);
	if (rc == 0)
		rc = param_choice(w, params, "missing", "error", "skip", &j->skip_missing);
	if (rc != 0)
		json_fini(w);
	return rc;
}

/* The fewest significant digits (15 to 17) that write every real number
 * in `v` so that it reads back the same. */
static int real_precision(const json_t *v, int at_least)
{
	const char *key;
	json_t *child;
	size_t i;

	if (at_least >= 17)
		return 17;
	switch (json_typeof(v)) {
	case JSON_REAL: {
		double d = json_real_value(v);
		char buf[40];
		for (; at_least < 17; at_least++) {
			snprintf(buf, sizeof(buf), "%.*g", at_least, d);
			if (strtod(buf, NULL) == d)
				break;
		}
		return at_least;
	}
	case JSON_ARRAY:
		json_array_foreach((json_t *)v, i, child) at_least =
			real_precision(child, at_least);
		return at_least;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, child) at_least =
			real_precision(child, at_least);
		return at_least;
	default:
		return at_least;
	}
}

/* Emits `v` as compact JSON.  Returns what the stage returns. */
static int emit_json(pl_worker *w, const json_t *v)
{
	const pl_host *h = w->host;
	size_t flags = JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER |
		       JSON_REAL_PRECISION(real_precision(v, 15));
	size_t len = json_dumpb(v, NULL, 0, flags);
	if (len == 0) /* (only when out of memory: a value is at least 1 byte) */
		return h->failf(w, "out of memory writing the JSON");
	pl_msg *out = h->msg_new(len);
	if (out == NULL)
		return h->failf(w, "out of memory");
	if (json_dumpb(v, (char *)h->msg_data(out), len, flags) != len) {
		h->msg_free(out);
		return h->failf(w, "out of memory writing the JSON");
	}
	return pl_builtin_emit_result(w, h->emit(w, out));
}

/* Emits the bytes of the string `v`. */
static int emit_text(pl_worker *w, const json_t *v)
{
	const pl_host *h = w->host;
	size_t len = json_string_length(v);
	pl_msg *out = h->msg_new(len);
	if (out == NULL)
		return h->failf(w, "out of memory");
	if (len > 0)
		memcpy(h->msg_data(out), json_string_value(v), len);
	return pl_builtin_emit_result(w, h->emit(w, out));
}

/* The message's document, or NULL after failing.  Ownership: borrows `msg`;
 * the caller owns the result. */
static json_t *load(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	json_error_t err;
	if (pl__json_depth(h->msg_data(msg), h->msg_len(msg)) > PL_JSON_MAX_DEPTH) {
		h->failf(w, "the document nests arrays and objects deeper than %d levels",
			 PL_JSON_MAX_DEPTH);
		return NULL;
	}
	alloc_failed = 0;
	json_t *doc = json_loadb((const char *)h->msg_data(msg), h->msg_len(msg),
				 JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	if (doc != NULL)
		return doc;
	if (alloc_failed)
		h->failf(w, "out of memory");
	else
		h->failf(w, "invalid JSON: %s (line %d, column %d)", err.text, err.line,
			 err.column);
	return NULL;
}

/* Ownership: takes `msg` and frees it; emits a new message (the value, or
 * the edited document), or nothing on failure or for a skipped document. */
static int json_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	struct json_stage *j = w->state;
	struct pl_json_miss miss;
	char why[256], reached[160];
	int rc = 0;
	/* (A set keeps the document within the limit: init() checked its path
	 * and value.) */
	json_t *doc = load(w, msg);
	h->msg_free(msg);
	if (doc == NULL)
		return PL_ESTAGE;
	switch (j->op) {
	case OP_GET: {
		json_t *v = pl__json_path_get(&j->path, doc, &miss);
		if (v == NULL && j->skip_missing)
			break;
		if (v == NULL) {
			pl__json_path_explain(&j->path, &miss, why, sizeof(why), reached,
					      sizeof(reached));
			rc = h->failf(w, "the document has no '%s'%s%s", reached,
				      why[0] != '\0' ? ": " : "", why);
			break;
		}
		rc = json_is_string(v) && !j->as_json ? emit_text(w, v) : emit_json(w, v);
		break;
	}
	case OP_SET:
		rc = pl__json_path_set(&j->path, doc, j->value, &miss);
		if (rc == PL_ENOMEM) {
			rc = h->failf(w, "out of memory");
		} else if (rc != 0) {
			pl__json_path_explain(&j->path, &miss, why, sizeof(why), reached,
					      sizeof(reached));
			rc = h->failf(w, "cannot set '%s': %s", j->path.text, why);
		} else {
			rc = emit_json(w, doc);
		}
		break;
	case OP_DELETE:
	default:
		(void)pl__json_path_delete(&j->path, doc);
		rc = emit_json(w, doc);
		break;
	}
	json_decref(doc);
	return rc;
}

static void json_fini(pl_worker *w)
{
	struct json_stage *j = w->state;

	if (j == NULL)
		return;
	pl__json_path_free(&j->path);
	json_decref(j->value);
	free(j);
	w->state = NULL;
}

static const pl_param_spec json_params[] = {
	{ .name = "get",
	  .type = PL_PARAM_STRING,
	  .description = "emit the value at this path (a.b[0].c): a string as its text, the rest "
			 "as JSON" },
	{ .name = "set",
	  .type = PL_PARAM_STRING,
	  .description = "set the value at this path to 'value' and emit the document" },
	{ .name = "value",
	  .type = PL_PARAM_STRING,
	  .description = "with 'set': the JSON to set, e.g. '{\"a\": 1}', '42' or '\"text\"'" },
	{ .name = "delete",
	  .type = PL_PARAM_STRING,
	  .description = "remove the value at this path, if any, and emit the document" },
	/* (No default_value for these two: given with set or delete, they are
	 * refused; param_choice() takes the first word when absent.) */
	{ .name = "as",
	  .type = PL_PARAM_STRING,
	  .description = "with 'get': text (the default: a string as its bytes) or json (a string "
			 "quoted)" },
	{ .name = "missing",
	  .type = PL_PARAM_STRING,
	  .description = "with 'get': a document without the path is a stage error (error, the "
			 "default) or dropped (skip)" },
};

/* Reads each message as a JSON document and gets, sets or deletes the value
 * at a path; invalid JSON is a stage error. */
const pl_stage pl_stage_json = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "json",
	.description = "gets the value at a path of each JSON document (get: a.b[0].c), or sets "
		       "or deletes it",
	.params = json_params,
	.n_params = sizeof(json_params) / sizeof(json_params[0]),
	.init = json_init,
	.process = json_process,
	.fini = json_fini,
	.flags = PL_STAGE_INIT_CHECKS,
	.example_params = "{ get: \"user.langs[0]\" }",
};
