/* diag.h - user-facing diagnostics about a config: file:line:column, severity, message. */
#ifndef PL_RUNNER_DIAG_H
#define PL_RUNNER_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "diag_codes.h"

/* A position in a file, both 1-based; line 0 means "the whole file". */
typedef struct pl_pos {
	unsigned line;
	unsigned col;
} pl_pos;

enum pl_severity { PL_SEV_ERROR = 0, PL_SEV_WARNING = 1, PL_SEV_NOTE = 2 };

typedef struct pl_diag {
	char *file; /* a copy */
	pl_pos pos;
	int code;     /* enum pl_diag_code */
	int severity; /* the code's */
	char *message;
} pl_diag;

/* Diagnostics collect here; at most PL_DIAG_MAX are kept, the rest counted. */
#define PL_DIAG_MAX 100
typedef struct pl_diags {
	pl_diag *items;
	size_t n;
	size_t cap;
	size_t errors;    /* all errors reported, kept or not */
	size_t warnings;  /* all warnings reported, kept or not */
	size_t dropped;   /* reported beyond PL_DIAG_MAX */
	size_t no_memory; /* reported but not kept: out of memory */
} pl_diags;

/* An empty list (all zero is empty too). */
void pl_diags_init(pl_diags *d);

/* Frees every message; the list becomes empty.  NULL does nothing. */
void pl_diags_clear(pl_diags *d);

/* Adds one diagnostic with `code` (enum pl_diag_code, which fixes its
 * severity), copying `file`.  Out of memory keeps the count and drops the
 * text (the caller still sees errors > 0). */
void pl_diag_add(pl_diags *d, int code, const char *file, pl_pos pos, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 5, 6)))
#endif
	;

/* pl_diag_add() with the message already formatted. */
void pl_diag_addv(pl_diags *d, int code, const char *file, pl_pos pos, const char *fmt, va_list ap)
#if defined(__GNUC__)
	__attribute__((format(printf, 5, 0)))
#endif
	;

/* The severity of a code; PL_SEV_ERROR for one that is not in the table. */
int pl_diag_severity(int code);

/* Every code in the table, in order; `*n` gets their number. */
const int *pl_diag_all_codes(size_t *n);

/* "error", "warning" or "note". */
const char *pl_severity_name(int severity);

/* Orders the kept diagnostics by file, line and column; equal positions
 * keep the order they were reported in. */
void pl_diags_sort(pl_diags *d);

/* Prints every diagnostic in file order, GCC style, its code last:
 *   file.yaml:12:7: error: message [PL060]
 * followed by a count of the ones over the cap. */
void pl_diags_print(pl_diags *d, FILE *out);

/* Prints every diagnostic in file order as JSON objects
 *   {"file": ..., "line": 12, "column": 7, "severity": "error",
 *    "code": "PL060", "message": ...}
 * separated by commas, for the caller to wrap in one array: `*first` is
 * nonzero before the first object of the array is printed and is cleared
 * by this call once one is.  A file-level diagnostic has line and column 0.
 * Invalid UTF-8 in a file name is printed as U+FFFD. */
void pl_diags_print_json(pl_diags *d, FILE *out, int *first);

/* Nonzero when the NUL-terminated `s` is valid UTF-8. */
int pl_utf8_valid(const char *s);

/* Writes `s` as a JSON string, quotes included. */
void pl_json_string(FILE *out, const char *s);

/* The closest of `n` candidates to `word` by edit distance, or NULL when
 * none is close enough to be a plausible typo. */
const char *pl_suggest(const char *word, const char *const *candidates, size_t n);

#endif /* PL_RUNNER_DIAG_H */
