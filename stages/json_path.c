/* json_path.c - the paths of the json stage (a.b[0].c): parsed once, then looked up in documents.
 */
#include "json_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "pipeline/plugin.h"

/* The index `text` (after '[') starts with: sets *index and *len (the
 * bytes it took).  Returns 0, or a description of what was expected. */
static const char *parse_index(const char *text, int64_t *index, size_t *len)
{
	size_t i = 0;
	int neg = text[0] == '-';
	uint64_t v = 0;

	if (neg)
		i++;
	if (text[i] < '0' || text[i] > '9') {
		*len = i;
		return "an index (decimal digits) after '['";
	}
	for (; text[i] >= '0' && text[i] <= '9'; i++) {
		v = v * 10 + (uint64_t)(text[i] - '0');
		if (v > (uint64_t)INT32_MAX) {
			*len = i;
			return "an index of at most 2147483647";
		}
	}
	if (text[i] != ']') {
		*len = i;
		return "']' after the index";
	}
	*index = neg ? -(int64_t)v : (int64_t)v;
	*len = i + 1;
	return NULL;
}

/* The key `text` starts with, unescaped into `out` (NUL-terminated): sets
 * *len (the bytes of text it took) and *out_len.  Returns 0, or a
 * description of what was expected. */
static const char *parse_key(const char *text, char *out, size_t *len, size_t *out_len)
{
	size_t i = 0, o = 0;
	for (; text[i] != '\0' && text[i] != '.' && text[i] != '[' && text[i] != ']'; i++) {
		if (text[i] == '\\') {
			if (text[i + 1] == '\0') {
				*len = i + 1;
				return "a character after '\\'";
			}
			i++;
		}
		out[o++] = text[i];
	}
	out[o] = '\0';
	*len = i;
	*out_len = o;
	if (text[i] == ']')
		return "a key, '.' or '[' (a ']' without its '[')";
	if (i == 0)
		return "a key";
	return NULL;
}

int pl__json_path_parse(struct pl_json_path *p, const char *text, size_t *pos, const char **what)
{
	size_t len = strlen(text), max_steps = 1;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < len; i++)
		if (text[i] == '.' || text[i] == '[')
			max_steps++;
	p->steps = pl_mem_calloc(max_steps, sizeof(*p->steps));
	p->keys = pl_mem_alloc(len + max_steps);
	if (p->steps == NULL || p->keys == NULL) {
		pl__json_path_free(p);
		return PL_ENOMEM;
	}
	p->text = text;
	size_t i = 0, k = 0;
	const char *err = NULL;
	while (err == NULL) {
		struct pl_json_step *s = &p->steps[p->n];
		size_t took = 0, klen = 0;
		if (text[i] == '[') {
			err = parse_index(text + i + 1, &s->index, &took);
			i += 1 + took;
		} else {
			if (p->n > 0) {
				if (text[i] != '.') {
					err = "'.' or '[' after ']'";
					break;
				}
				i++;
			}
			err = parse_key(text + i, p->keys + k, &took, &klen);
			s->key = p->keys + k;
			k += klen + 1;
			i += took;
		}
		if (err != NULL)
			break;
		s->end = i;
		p->n++;
		if (text[i] == '\0')
			break;
		if (text[i] != '.' && text[i] != '[') {
			err = "'.' or '[' after ']'";
			break;
		}
	}
	if (err != NULL) {
		*pos = i + 1;
		*what = err;
		pl__json_path_free(p);
		return PL_EINVAL;
	}
	return 0;
}

void pl__json_path_free(struct pl_json_path *p)
{
	free(p->steps);
	free(p->keys);
	memset(p, 0, sizeof(*p));
}

/* The element of `array` that `index` names (negative: from the end), or
 * -1 when it names none; with `append`, the array's length is allowed. */
static long resolve(const json_t *array, int64_t index, int append)
{
	int64_t size = (int64_t)json_array_size(array);
	if (index < 0)
		index += size;
	if (index < 0 || index > size || (index == size && !append))
		return -1;
	return (long)index;
}

/* One step from `cur`: the child, or NULL. */
static json_t *step(json_t *cur, const struct pl_json_step *s)
{
	if (s->key != NULL)
		return json_is_object(cur) ? json_object_get(cur, s->key) : NULL;
	if (!json_is_array(cur))
		return NULL;
	long i = resolve(cur, s->index, 0);
	return i < 0 ? NULL : json_array_get(cur, (size_t)i);
}

json_t *pl__json_path_get(const struct pl_json_path *p, json_t *doc, struct pl_json_miss *miss)
{
	json_t *cur = doc;
	for (size_t i = 0; i < p->n; i++) {
		json_t *next = step(cur, &p->steps[i]);
		if (next == NULL) {
			miss->step = i;
			miss->at = cur;
			return NULL;
		}
		cur = next;
	}
	return cur;
}

/* A new empty container for what step `s` reaches into: an array for an
 * index, an object for a key.  NULL when out of memory. */
static json_t *container_for(const struct pl_json_step *s)
{
	return s->key != NULL ? json_object() : json_array();
}

int pl__json_path_set(const struct pl_json_path *p, json_t *doc, json_t *value,
		      struct pl_json_miss *miss)
{
	json_t *cur = doc;
	for (size_t i = 0; i < p->n; i++) {
		const struct pl_json_step *s = &p->steps[i];
		int last = i + 1 == p->n;
		miss->step = i;
		miss->at = cur;
		if (s->key != NULL) {
			if (!json_is_object(cur))
				return PL_ENOENT;
			if (last)
				return json_object_set(cur, s->key, value) == 0 ? 0 : PL_ENOMEM;
			json_t *next = json_object_get(cur, s->key);
			if (next == NULL) {
				next = container_for(&p->steps[i + 1]);
				if (next == NULL || json_object_set_new(cur, s->key, next) != 0)
					return PL_ENOMEM;
			}
			cur = next;
			continue;
		}
		if (!json_is_array(cur))
			return PL_ENOENT;
		/* (The array's length names the element to append, on the way too.) */
		long k = resolve(cur, s->index, 1);
		if (k < 0)
			return PL_ENOENT;
		if (last) {
			int rc = (size_t)k == json_array_size(cur)
					 ? json_array_append(cur, value)
					 : json_array_set(cur, (size_t)k, value);
			return rc == 0 ? 0 : PL_ENOMEM;
		}
		if ((size_t)k == json_array_size(cur)) {
			json_t *next = container_for(&p->steps[i + 1]);
			if (next == NULL || json_array_append_new(cur, next) != 0)
				return PL_ENOMEM;
		}
		cur = json_array_get(cur, (size_t)k);
	}
	return 0;
}

int pl__json_path_delete(const struct pl_json_path *p, json_t *doc)
{
	struct pl_json_miss miss;
	json_t *cur = doc;
	if (p->n > 1) {
		struct pl_json_path parent = *p;
		parent.n = p->n - 1;
		cur = pl__json_path_get(&parent, doc, &miss);
		if (cur == NULL)
			return 0;
	}
	const struct pl_json_step *s = &p->steps[p->n - 1];
	if (s->key != NULL)
		return json_is_object(cur) && json_object_del(cur, s->key) == 0;
	if (!json_is_array(cur))
		return 0;
	long k = resolve(cur, s->index, 0);
	return k >= 0 && json_array_remove(cur, (size_t)k) == 0;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
	default:
		return "null";
	}
}

void pl__json_path_explain(const struct pl_json_path *p, const struct pl_json_miss *miss, char *why,
			   size_t why_len, char *reached, size_t reached_len)
{
	const struct pl_json_step *s = &p->steps[miss->step];
	size_t before = miss->step == 0 ? 0 : p->steps[miss->step - 1].end;
	char at[160];

	snprintf(reached, reached_len, "%.*s", (int)s->end, p->text);
	if (miss->step == 0)
		snprintf(at, sizeof(at), "the document");
	else
		snprintf(at, sizeof(at), "'%.*s'", (int)before, p->text);
	if (s->key != NULL && !json_is_object(miss->at))
		snprintf(why, why_len, "%s is %s, not an object", at, type_name(miss->at));
	else if (s->key == NULL && !json_is_array(miss->at))
		snprintf(why, why_len, "%s is %s, not an array", at, type_name(miss->at));
	else if (s->key == NULL)
		snprintf(why, why_len, "%s has %zu element%s", at, json_array_size(miss->at),
			 json_array_size(miss->at) == 1 ? "" : "s");
	else
		why[0] = '\0';
}
