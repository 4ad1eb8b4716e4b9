/* doc_edit.h - edits to a loaded YAML document before it is decoded: ${VAR} and --set. */
#ifndef PL_RUNNER_DOC_EDIT_H
#define PL_RUNNER_DOC_EDIT_H

#include <stddef.h>
#include <yaml.h>

#include "diag.h"
#include "interp.h"

/* Largest value an interpolation may produce, and most all of them may
 * produce together, in bytes. */
#define PL_INTERP_MAX_BYTES ((size_t)1 << 20)
#define PL_INTERP_MAX_TOTAL ((size_t)16 << 20)

/* Expands ${VAR} and ${VAR:-default} in every scalar value (not in keys)
 * of `doc`, which was parsed from `len` bytes of `text`, except the values
 * --set wrote or replaced (call it after pl_doc_apply_sets()).  A "\0" in
 * any scalar, key or value, is an error too.  Each bad or unset
 * reference is an error at its own line and column in `file`, and the
 * position of its scalar is added to `*muted` (a realloc'd array the caller
 * frees) so that later checks do not report the same value again.
 * Returns 0, PL_EINVAL (errors went to `d`) or PL_ENOMEM. */
int pl_doc_interpolate(yaml_document_t *doc, const char *file, const char *text, size_t len,
		       pl_env_fn env, void *ctx, pl_diags *d, pl_pos **muted, size_t *n_muted);

/* A --set override taken apart: "NODE.KEY=VALUE" or "NODE.params.KEY=VALUE". */
typedef struct pl_set {
	char node[128];
	char key[128];
	int in_params;
	const char *value; /* points into the override's text */
} pl_set;

/* Parses one override.  Returns 0, or PL_EINVAL with a message in `err`
 * saying what form is expected. */
int pl_set_parse(const char *text, pl_set *out, char *err, size_t errlen);

/* Applies `n` overrides to `doc` in order.  Each value replaces the one
 * written in the file (or is added) as a plain scalar, or as a quoted
 * string when wrapped in matching quotes; the nodes it adds carry the
 * override's index as their position (see PL_YAML_SET_LINE), so that later
 * checks report their errors against the override.  An override naming no
 * node of `file`, or a key whose value is not a single value, is an error
 * against "<command-line>".  Returns 0, PL_EINVAL or PL_ENOMEM. */
int pl_doc_apply_sets(yaml_document_t *doc, const char *file, const char *const *sets, size_t n,
		      pl_diags *d);

#endif /* PL_RUNNER_DOC_EDIT_H */
