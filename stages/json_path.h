/* json_path.h - the paths of the json stage (a.b[0].c): parsed once, then looked up in documents.
 */
#ifndef PL_STAGES_JSON_PATH_H
#define PL_STAGES_JSON_PATH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A path is a key or an index, then any number of `.KEY` and `[N]`:
 * `a.b[0].c`, `[2].name`, `items[-1]`.  A key is any bytes but `.`, `[`
 * and `]`; a backslash takes the next byte as it is (`a\.b` is the key
 * "a.b").  N is a decimal integer; a negative one counts from the end of
 * the array (-1 is the last element).
 */
struct pl_json_step {
	const char *key; /* NULL for an index */
	int64_t index;
	size_t end; /* the step ends at text[end]: text[0..end) names what it reaches */
};

struct pl_json_path {
	const char *text; /* borrowed: must outlive the path */
	struct pl_json_step *steps;
	size_t n;
	char *keys; /* the unescaped keys, NUL-terminated, one after the other */
};

/* Parses `text` into `p`.  Returns 0; PL_ENOMEM; or PL_EINVAL with *pos set
 * to the 1-based position of the first wrong byte (one past the end for a
 * path cut short) and *what to a static description of what was expected
 * there.  On failure `p` holds nothing. */
int pl__json_path_parse(struct pl_json_path *p, const char *text, size_t *pos, const char **what);

/* Frees what `p` holds; a zeroed `p` is fine. */
void pl__json_path_free(struct pl_json_path *p);

/* Where a lookup stopped: at step `step`, in `at` (the value the steps
 * before it reached, the document itself for step 0). */
struct pl_json_miss {
	size_t step;
	const json_t *at;
};

/* The value at `p` in `doc`, borrowed from it, or NULL with *miss set. */
json_t *pl__json_path_get(const struct pl_json_path *p, json_t *doc, struct pl_json_miss *miss);

/* Sets the value at `p` in `doc` to `value` (a new reference is taken),
 * making what is missing on the way (an object, or an array when the next
 * step is an index); an index must be that of an element, or the array's
 * length (appends, on the way too).  Returns 0, PL_ENOMEM, or
 * PL_ENOENT with *miss set (a key into a non-object, an index into a
 * non-array or out of its range). */
int pl__json_path_set(const struct pl_json_path *p, json_t *doc, json_t *value,
		      struct pl_json_miss *miss);

/* Deletes the value at `p` from `doc`.  Returns 1 when it was there, 0 when
 * it was not (nothing changed). */
int pl__json_path_delete(const struct pl_json_path *p, json_t *doc);

/* Why the lookup missed, for a message: "'a.b' has 3 elements", "'a.b' is a
 * string, not an object", "the document is an array, not an object", or ""
 * when a key is simply absent.  And the path up to the step that missed
 * ("a.b[4]"), in `buf` either way. */
void pl__json_path_explain(const struct pl_json_path *p, const struct pl_json_miss *miss, char *why,
			   size_t why_len, char *reached, size_t reached_len);

#endif /* PL_STAGES_JSON_PATH_H */
