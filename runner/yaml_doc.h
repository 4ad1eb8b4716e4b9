/* yaml_doc.h - loading one YAML document with libyaml, keeping every node's line and column. */
#ifndef PL_RUNNER_YAML_DOC_H
#define PL_RUNNER_YAML_DOC_H

#include <stddef.h>
#include <yaml.h>

#include "diag.h"

/* Largest config file read, in bytes. */
#define PL_YAML_MAX_BYTES ((size_t)4 << 20)

/* Deepest nesting of flow collections ([...] and {...}) accepted. */
#define PL_YAML_MAX_DEPTH 64

/* Parses `len` bytes of `text` as exactly one YAML document into `doc`.
 * Returns 0; otherwise adds an error at the offending position (syntax
 * errors, an empty file, several documents, nesting deeper than
 * PL_YAML_MAX_DEPTH) to `d` and returns PL_EINVAL,
 * or PL_ENOMEM.  On success the caller must yaml_document_delete(doc).
 * `file` names the text in diagnostics and must outlive `d`. */
int pl_yaml_parse(const char *file, const char *text, size_t len, yaml_document_t *doc,
		  pl_diags *d);

/* Reads `path` (at most PL_YAML_MAX_BYTES) into a NUL-terminated buffer.
 * Returns 0 and the buffer (caller frees) or adds an error to `d` and returns
 * PL_EIO, PL_ERANGE (too large) or PL_ENOMEM. */
int pl_yaml_read_file(const char *path, char **text, size_t *len, pl_diags *d);

/* The start_mark.line of a node a --set override added; its column is the
 * override's index. */
#define PL_YAML_SET_LINE ((size_t)-1)

/* The 1-based position of a node; for a node a --set override added,
 * line 0 and column k for the k-th override (1-based). */
pl_pos pl_yaml_pos(const yaml_node_t *n);

/* The byte offset in `text` of a libyaml mark (whose index counts
 * characters, not bytes, and skips a byte order mark). */
size_t pl_yaml_offset(const char *text, size_t len, yaml_mark_t mark);

/* The 1-based line and column (in characters) of byte `offset` of `text`. */
pl_pos pl_yaml_pos_at(const char *text, size_t len, size_t offset);

/* Nonzero for a plain scalar that YAML reads as null: "", "~", "null". */
int pl_yaml_is_null(const yaml_node_t *n);

/* "a mapping", "a sequence", "a string", "null": for "expected X, got Y". */
const char *pl_yaml_kind(const yaml_node_t *n);

#endif /* PL_RUNNER_YAML_DOC_H */
