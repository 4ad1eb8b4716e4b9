/* json.h - UTF-8 sequences and JSON string escaping, for the JSON the runner and its stages write.
 */
#ifndef PL_RUNNER_JSON_H
#define PL_RUNNER_JSON_H

#include <stddef.h>

/* The length (1-4) of the valid UTF-8 sequence at `s`, looking at no more
 * than `avail` bytes, or 0 when it is not one (overlong forms, surrogates
 * and code points past U+10FFFF included).  A NUL ends a sequence, so a
 * NUL-terminated string may pass any `avail` of 4 or more. */
size_t pl_utf8_seq(const unsigned char *s, size_t avail);

/* The most bytes pl_json_escape() writes for `len` input bytes. */
#define PL_JSON_ESCAPED_MAX(len) (6 * (len) + 3)

/* Writes the `len` bytes at `src` as a JSON string, quotes included and
 * NUL-terminated, to `dst`, which holds PL_JSON_ESCAPED_MAX(len) bytes:
 * '"' and '\' escaped, control characters and DEL as \u00XX, each byte
 * that is not part of valid UTF-8 as \ufffd.  Returns the length written
 * (without the NUL).  Ownership: `src` is only read. */
size_t pl_json_escape(char *dst, const void *src, size_t len);

#endif /* PL_RUNNER_JSON_H */
