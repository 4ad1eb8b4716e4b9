/* http_url.c - the `http` stage's URL template: parsing, expanding per message, redacting. */
#include "http_url.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifdef PL_HAVE_JANSSON
#include <jansson.h>
#endif

#include "json_depth.h"
#include "mem.h"
#include "pipeline/plugin.h"

/* ---- Buffers. ------------------------------------------------------------ */

int pl_http_buf_append(pl_http_buf *b, const void *p, size_t n)
{
	if (b->cap - b->len <= n || b->data == NULL) {
		size_t cap = b->cap > 0 ? b->cap : 64;
		while (cap - b->len <= n) {
			if (cap > SIZE_MAX / 2)
				return PL_ENOMEM;
			cap *= 2;
		}
		char *d = pl_mem_realloc(b->data, cap);
		if (d == NULL)
			return PL_ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

void pl_http_buf_free(pl_http_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ---- Parsing. ------------------------------------------------------------ */

static int add_part(pl_http_url *t, int kind, int raw, const char *text, size_t len)
{
	pl_http_part *p = pl_mem_realloc(t->parts, (t->n_parts + 1) * sizeof(*p));
	if (p == NULL)
		return PL_ENOMEM;
	t->parts = p;
	p += t->n_parts;
	*p = (pl_http_part){ .kind = kind, .raw = raw, .len = len };
	if (text != NULL) {
		p->text = pl_mem_strndup(text, len);
		if (p->text == NULL)
			return PL_ENOMEM;
	}
	t->n_parts++;
	return 0;
}

/* Appends literal text to the last part when it is TEXT, else adds one. */
static int add_text(pl_http_url *t, const char *s, size_t n)
{
	pl_http_part *last = t->n_parts > 0 ? &t->parts[t->n_parts - 1] : NULL;
	if (last == NULL || last->kind != PL_HTTP_TEXT)
		return add_part(t, PL_HTTP_TEXT, 0, s, n);
	char *p = pl_mem_realloc(last->text, last->len + n + 1);
	if (p == NULL)
		return PL_ENOMEM;
	memcpy(p + last->len, s, n);
	last->len += n;
	p[last->len] = '\0';
	last->text = p;
	return 0;
}

static int is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Does `s` (`n` bytes) start with http:// or https://, any case?  With
 * `prefix`, being the start of one of them ("htt") is enough. */
static int http_scheme(const char *s, size_t n, int prefix)
{
	static const char *const schemes[] = { "http://", "https://" };
	for (size_t i = 0; i < 2; i++) {
		size_t k = strlen(schemes[i]);
		if (n >= k ? strncasecmp(s, schemes[i], k) == 0
			   : prefix && strncasecmp(s, schemes[i], n) == 0)
			return 1;
	}
	return 0;
}

/* A template that starts with literal text must start with http:// or
 * https:// (one that starts with a placeholder is checked per message). */
static int check_scheme(const pl_http_url *t, char *err, size_t errlen)
{
	if (t->n_parts == 0 || t->parts[0].kind != PL_HTTP_TEXT)
		return 0;
	const pl_http_part *first = &t->parts[0];
	if (http_scheme(first->text, first->len, t->n_parts > 1))
		return 0;
	size_t n = strcspn(first->text, "/?#@");
	snprintf(err, errlen, "'url' must start with http:// or https://, not '%.*s'",
		 n > 32 ? 32 : (int)n, first->text);
	return PL_EINVAL;
}

int pl_http_url_parse(pl_http_url *t, const char *src, char *err, size_t errlen)
{
	int rc = 0;

	memset(t, 0, sizeof(*t));
	for (const char *s = src; *s != '\0' && rc == 0;) {
		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' && s[1] == '}')) {
			rc = add_text(t, s, 1);
			s += 2;
			continue;
		}
		if (s[0] != '{') {
			size_t n = strcspn(s + 1, "{}") + 1;
			rc = add_text(t, s, n);
			s += n;
			continue;
		}
		const char *p = s + 1;
		int raw = *p == '+';
		p += raw;
		const char *name = p;
		while (is_name_char(*p))
			p++;
		if (*p != '}') {
			snprintf(err, errlen,
				 "'url': the placeholder at offset %zu is not {}, {+}, {name} or "
				 "{+name} (a name is letters, digits, _ and -; {{ is a literal {)",
				 (size_t)(s - src));
			rc = PL_EINVAL;
			break;
		}
		if (p == name) {
			rc = add_part(t, PL_HTTP_MESSAGE, raw, NULL, 0);
		} else {
#ifndef PL_HAVE_JANSSON
			snprintf(err, errlen,
				 "'url': the field placeholder {%s%.*s} needs JSON support "
				 "(jansson), "
				 "which this build of pipeline lacks; {} and {+} work",
				 raw ? "+" : "", (int)(p - name), name);
			rc = PL_EINVAL;
			break;
#else
			rc = add_part(t, PL_HTTP_FIELD, raw, name, (size_t)(p - name));
			t->has_fields = 1;
#endif
		}
		s = p + 1;
	}
	if (rc == 0)
		rc = check_scheme(t, err, errlen);
	if (rc == PL_ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (rc != 0)
		pl_http_url_free(t);
	return rc;
}

void pl_http_url_free(pl_http_url *t)
{
	for (size_t i = 0; i < t->n_parts; i++)
		free(t->parts[i].text);
	free(t->parts);
	memset(t, 0, sizeof(*t));
}

/* ---- Expanding. ---------------------------------------------------------- */

/* Appends `n` bytes of `s`, percent-encoded unless `raw`; refuses a control
 * character or space put in as it is (curl would refuse or cut the URL). */
static int put(pl_http_buf *out, int raw, const unsigned char *s, size_t n, const char *what,
	       char *err, size_t errlen)
{
	static const char hex[] = "0123456789ABCDEF";

	if (raw) {
		for (size_t i = 0; i < n; i++) {
			if (s[i] <= 0x20 || s[i] == 0x7f) {
				snprintf(err, errlen,
					 "%s holds a space or control character (byte 0x%02x at "
					 "offset %zu), which a URL cannot hold as it is: use {} or "
					 "{name} to percent-encode it",
					 what, s[i], i);
				return PL_EINVAL;
			}
		}
		return pl_http_buf_append(out, s, n);
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			if (pl_http_buf_append(out, &c, 1) != 0)
				return PL_ENOMEM;
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			if (pl_http_buf_append(out, e, 3) != 0)
				return PL_ENOMEM;
		}
	}
	return 0;
}

#ifdef PL_HAVE_JANSSON
/* Appends the field `part` of the object `doc`. */
static int put_field(pl_http_buf *out, const pl_http_part *part, json_t *doc, char *err,
		     size_t errlen)
{
	char num[64], what[96];
	const char *s = num;
	size_t n;

	json_t *v = json_object_get(doc, part->text);
	snprintf(what, sizeof(what), "the field '%.60s'", part->text);
	switch (v == NULL ? JSON_NULL : json_typeof(v)) {
	case JSON_STRING:
		s = json_string_value(v);
		n = json_string_length(v);
		break;
	case JSON_INTEGER:
		n = (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
				     json_integer_value(v));
		break;
	case JSON_REAL: {
		/* The fewest digits that read back as the same double: 0.1, not
		 * 0.10000000000000001. */
		double d = json_real_value(v);
		for (int digits = 15; digits <= 17; digits++) {
			n = (size_t)snprintf(num, sizeof(num), "%.*g", digits, d);
			if (strtod(num, NULL) == d)
				break;
		}
		break;
	}
	case JSON_TRUE:
	case JSON_FALSE:
		s = json_is_true(v) ? "true" : "false";
		n = strlen(s);
		break;
	default:
		snprintf(err, errlen, "the message has no field '%.60s' to put in the URL%s",
			 part->text,
			 v == NULL          ? ""
			 : json_is_null(v)  ? " (it is null)"
			 : json_is_array(v) ? " (it is an array: only a string, a number or a "
					      "boolean goes in a URL)"
					    : " (it is an object: only a string, a number or a "
					      "boolean goes in a URL)");
		return PL_EINVAL;
	}
	return put(out, part->raw, (const unsigned char *)s, n, what, err, errlen);
}
#endif

int pl_http_url_expand(const pl_http_url *t, const unsigned char *msg, size_t len, pl_http_buf *out,
		       char *err, size_t errlen)
{
	int rc = 0;
#ifdef PL_HAVE_JANSSON
	json_t *doc = NULL;
#endif

	out->len = 0;
	if (pl_http_buf_append(out, "", 0) != 0)
		rc = PL_ENOMEM;
#ifdef PL_HAVE_JANSSON
	if (rc == 0 && t->has_fields && pl__json_depth(msg, len) > PL_JSON_MAX_DEPTH) {
		snprintf(err, errlen,
			 "the URL names fields of the message, which nests arrays and objects "
			 "deeper than %d levels",
			 PL_JSON_MAX_DEPTH);
		rc = PL_EINVAL;
	} else if (rc == 0 && t->has_fields) {
		json_error_t je;
		doc = json_loadb((const char *)msg, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
		if (doc == NULL || !json_is_object(doc)) {
			snprintf(err, errlen,
				 "the URL names fields of the message, which is not a JSON "
				 "object: %.100s",
				 doc == NULL ? je.text : "not an object");
			rc = PL_EINVAL;
		}
	}
#endif
	for (size_t i = 0; i < t->n_parts && rc == 0; i++) {
		const pl_http_part *p = &t->parts[i];
		switch (p->kind) {
		case PL_HTTP_TEXT:
			rc = pl_http_buf_append(out, p->text, p->len);
			break;
		case PL_HTTP_MESSAGE:
			rc = put(out, p->raw, msg, len, "the message", err, errlen);
			break;
		default:
#ifdef PL_HAVE_JANSSON
			rc = put_field(out, p, doc, err, errlen);
#endif
			break;
		}
	}
#ifdef PL_HAVE_JANSSON
	json_decref(doc);
#endif
	if (rc == 0 && !http_scheme(out->data, out->len, 0)) {
		char shown[96];
		pl_http_url_redact(out->data, shown, sizeof(shown));
		snprintf(err, errlen, "the URL does not start with http:// or https://: %s", shown);
		rc = PL_EINVAL;
	}
	if (rc == PL_ENOMEM)
		snprintf(err, errlen, "out of memory");
	return rc;
}

/* ---- Redacting. ---------------------------------------------------------- */

void pl_http_url_redact(const char *url, char *out, size_t size)
{
	/* The authority follows "scheme://", or starts the text when there is
	 * none before the path (curl takes "user:pw@host/x" as http). */
	const char *auth = strstr(url, "://");
	const char *at = NULL;

	if (auth != NULL && (size_t)(auth - url) <= strcspn(url, "/?#"))
		auth += 3;
	else
		auth = url;
	size_t n = strcspn(auth, "/?#");
	for (const char *p = auth; p < auth + n; p++)
		if (*p == '@')
			at = p; /* the last: a password may hold an '@' */
	int w = at == NULL ? snprintf(out, size, "%s", url)
			   : snprintf(out, size, "%.*s***%s", (int)(auth - url), url, at);
	if (w >= 0 && (size_t)w >= size)
		memcpy(out + size - 4, "...", 4);
}
