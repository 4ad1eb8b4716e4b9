/* http_url.h - the `http` stage's URL template, expanded per message, and URLs made fit to print.
 */
#ifndef PL_STAGES_HTTP_URL_H
#define PL_STAGES_HTTP_URL_H

#include <stddef.h>

/*
 * A template is text with placeholders:
 *
 *   {}       the message's bytes, percent-encoded (all but A-Z a-z 0-9 - . _ ~)
 *   {+}      the message's bytes as they are (a whole URL, or a path with its slashes)
 *   {name}   the top-level field `name` of the message parsed as a JSON object,
 *            percent-encoded; {+name} as it is.  A name is [A-Za-z0-9_-]+.
 *   {{  }}   a literal { or }
 *
 * A string field gives its text, a number its decimal form, a boolean true or
 * false; a missing field, null, an array or an object is an error.  Text put
 * in as it is may not hold a control character or a space.  Fields need
 * jansson (PL_HAVE_JANSSON): without it a template that names one is refused
 * by pl_http_url_parse().
 *
 * Not thread-safe: each worker has its own template and buffer.
 */

/* A growable NUL-terminated byte string, released with pl_http_buf_free(). */
typedef struct pl_http_buf {
	char *data; /* NULL until something is appended */
	size_t len; /* bytes before the NUL */
	size_t cap;
} pl_http_buf;

/* Appends `n` bytes; 0, or PL_ENOMEM (the buffer unchanged). */
int pl_http_buf_append(pl_http_buf *b, const void *p, size_t n);
void pl_http_buf_free(pl_http_buf *b);

enum pl_http_part_kind { PL_HTTP_TEXT = 1, PL_HTTP_MESSAGE = 2, PL_HTTP_FIELD = 3 };

typedef struct pl_http_part {
	int kind;   /* enum pl_http_part_kind */
	int raw;    /* {+...}: put in without percent-encoding */
	char *text; /* TEXT: the literal; FIELD: the name */
	size_t len;
} pl_http_part;

typedef struct pl_http_url {
	pl_http_part *parts;
	size_t n_parts;
	int has_fields; /* some part is a FIELD: the message is parsed as JSON */
} pl_http_url;

/* Parses `src` into `t`.  Returns 0; or PL_EINVAL with why in `err` (an
 * unclosed or empty-named placeholder, a field without jansson, a scheme
 * other than http or https, or literal text first that does not start with
 * http:// or https://); or PL_ENOMEM.  On failure `t` holds nothing to
 * free.  Ownership: `t` owns what it holds until pl_http_url_free(). */
int pl_http_url_parse(pl_http_url *t, const char *src, char *err, size_t errlen);

/* Frees what `t` holds; a zeroed or freed `t` is fine. */
void pl_http_url_free(pl_http_url *t);

/* Writes the URL for the message `msg` (`len` bytes) into `out` (emptied
 * first; NUL-terminated).  Returns 0; or PL_EINVAL with why in `err` (the
 * message is not a JSON object, nests too deeply, lacks a field, holds what
 * cannot go into a URL as it is, or makes a URL that does not start with
 * http:// or https://); or PL_ENOMEM.  Ownership: borrows `msg`. */
int pl_http_url_expand(const pl_http_url *t, const unsigned char *msg, size_t len, pl_http_buf *out,
		       char *err, size_t errlen);

/* Copies `url` into `out` (`size` >= 16 bytes) for printing: the user name
 * and password of its authority (user:password@, after "scheme://" or at
 * the start) become ***, and a URL
 * longer than the space is cut with "...". */
void pl_http_url_redact(const char *url, char *out, size_t size);

#endif /* PL_STAGES_HTTP_URL_H */
