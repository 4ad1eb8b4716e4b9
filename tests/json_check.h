/* json_check.h - a strict JSON reader for tests: is the output of `validate --format json` JSON? */
#ifndef PL_TESTS_JSON_CHECK_H
#define PL_TESTS_JSON_CHECK_H

#include <stddef.h>

/* One object of the array `pipeline validate --format json` prints. */
struct json_diag {
	char file[256];
	long line, column;
	char severity[16];
	char code[16];
	char message[1024];
	int fields; /* how many of the six keys it had */
};

/*
 * Parses `text` as one JSON value (RFC 8259: strict grammar, no trailing
 * commas, escapes checked, UTF-8 checked, nothing but white space after it).
 * When it is an array of objects, each object's known keys are copied into
 * out[0..max) and *n gets the number of objects.  Returns 0 when the text
 * is valid JSON of that shape, or -1 with `err` saying where it is not.
 */
int json_parse_diags(const char *text, struct json_diag *out, size_t max, size_t *n, char *err,
		     size_t errlen);

/* Parses `text` as one JSON value of any shape (objects, arrays, scalars,
 * nested to a depth of 64), with the same strict grammar.  Returns 0 when
 * it is valid JSON, or -1 with `err` saying where it is not. */
int json_valid(const char *text, char *err, size_t errlen);

#endif /* PL_TESTS_JSON_CHECK_H */
