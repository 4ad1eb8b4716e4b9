/* json_check.c - a strict recursive-descent JSON reader, enough to check `validate --format json`.
 */
#include "json_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	const char *s;
	size_t i;
	int depth;
	char *err;
	size_t errlen;
};

static int fail(struct reader *r, const char *what)
{
	snprintf(r->err, r->errlen, "%s at byte %zu", what, r->i);
	return -1;
}

static void ws(struct reader *r)
{
	while (r->s[r->i] == ' ' || r->s[r->i] == '\t' || r->s[r->i] == '\n' || r->s[r->i] == '\r')
		r->i++;
}

static int hex4(struct reader *r, unsigned *cp)
{
	*cp = 0;
	for (int k = 0; k < 4; k++) {
		char c = r->s[r->i++];
		unsigned v;
		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = (unsigned)(c - 'A' + 10);
		else
			return fail(r, "bad \\u escape");
		*cp = *cp * 16 + v;
	}
	return 0;
}

/* Appends code point `cp` as UTF-8 to out (when there is room). */
static void put_cp(char *out, size_t cap, size_t *n, unsigned cp)
{
	char b[4];
	size_t k;
	if (cp < 0x80)
		b[0] = (char)cp, k = 1;
	else if (cp < 0x800)
		b[0] = (char)(0xC0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3F)), k = 2;
	else if (cp < 0x10000)
		b[0] = (char)(0xE0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
		b[2] = (char)(0x80 | (cp & 0x3F)), k = 3;
	else
		b[0] = (char)(0xF0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), k = 4;
	for (size_t j = 0; j < k && out != NULL && *n + 1 < cap; j++)
		out[(*n)++] = b[j];
}

/* Reads a string into out (cap bytes, may be NULL), checking escapes and UTF-8. */
static int string(struct reader *r, char *out, size_t cap)
{
	size_t n = 0;
	if (r->s[r->i] != '"')
		return fail(r, "expected a string");
	r->i++;
	for (;;) {
		unsigned char c = (unsigned char)r->s[r->i];
		if (c == '"') {
			r->i++;
			break;
		}
		if (c < 0x20)
			return fail(r, c == 0 ? "unterminated string" : "raw control character");
		if (c == '\\') {
			char e = r->s[++r->i];
			r->i++;
			unsigned cp;
			switch (e) {
			case '"':
			case '\\':
			case '/':
				cp = (unsigned char)e;
				break;
			case 'b':
				cp = '\b';
				break;
			case 'f':
				cp = '\f';
				break;
			case 'n':
				cp = '\n';
				break;
			case 'r':
				cp = '\r';
				break;
			case 't':
				cp = '\t';
				break;
			case 'u':
				if (hex4(r, &cp) != 0)
					return -1;
				if (cp >= 0xD800 && cp <= 0xDFFF)
					return fail(r, "surrogate escape");
				break;
			default:
				return fail(r, "bad escape");
			}
			put_cp(out, cap, &n, cp);
			continue;
		}
		size_t k = c < 0x80             ? 1
			   : (c & 0xE0) == 0xC0 ? 2
			   : (c & 0xF0) == 0xE0 ? 3
			   : (c & 0xF8) == 0xF0 ? 4
						: 0;
		if (k == 0 || (k == 2 && c < 0xC2))
			return fail(r, "invalid UTF-8");
		for (size_t j = 1; j < k; j++)
			if (((unsigned char)r->s[r->i + j] & 0xC0) != 0x80)
				return fail(r, "invalid UTF-8");
		for (size_t j = 0; j < k; j++, r->i++)
			if (out != NULL && n + 1 < cap)
				out[n++] = r->s[r->i];
	}
	if (out != NULL)
		out[n] = '\0';
	return 0;
}

static int number(struct reader *r, long *out)
{
	size_t start = r->i;
	if (r->s[r->i] == '-')
		r->i++;
	if (r->s[r->i] == '0')
		r->i++;
	else if (r->s[r->i] >= '1' && r->s[r->i] <= '9')
		while (r->s[r->i] >= '0' && r->s[r->i] <= '9')
			r->i++;
	else
		return fail(r, "bad number");
	int integer = 1;
	if (r->s[r->i] == '.') {
		integer = 0;
		r->i++;
		if (!(r->s[r->i] >= '0' && r->s[r->i] <= '9'))
			return fail(r, "bad fraction");
		while (r->s[r->i] >= '0' && r->s[r->i] <= '9')
			r->i++;
	}
	if (r->s[r->i] == 'e' || r->s[r->i] == 'E') {
		integer = 0;
		r->i++;
		if (r->s[r->i] == '+' || r->s[r->i] == '-')
			r->i++;
		if (!(r->s[r->i] >= '0' && r->s[r->i] <= '9'))
			return fail(r, "bad exponent");
		while (r->s[r->i] >= '0' && r->s[r->i] <= '9')
			r->i++;
	}
	if (out != NULL)
		*out = integer ? strtol(r->s + start, NULL, 10) : -1;
	return 0;
}

static int value(struct reader *r, struct json_diag *d);

/* An object; when `d` is not NULL, its known keys are stored there. */
static int object(struct reader *r, struct json_diag *d)
{
	r->i++;
	ws(r);
	if (r->s[r->i] == '}') {
		r->i++;
		return 0;
	}
	for (;;) {
		char key[32];
		ws(r);
		if (string(r, key, sizeof(key)) != 0)
			return -1;
		ws(r);
		if (r->s[r->i++] != ':')
			return fail(r, "expected ':'");
		ws(r);
		int rc;
		if (d != NULL && strcmp(key, "file") == 0)
			rc = string(r, d->file, sizeof(d->file)), d->fields++;
		else if (d != NULL && strcmp(key, "severity") == 0)
			rc = string(r, d->severity, sizeof(d->severity)), d->fields++;
		else if (d != NULL && strcmp(key, "code") == 0)
			rc = string(r, d->code, sizeof(d->code)), d->fields++;
		else if (d != NULL && strcmp(key, "message") == 0)
			rc = string(r, d->message, sizeof(d->message)), d->fields++;
		else if (d != NULL && strcmp(key, "line") == 0)
			rc = number(r, &d->line), d->fields++;
		else if (d != NULL && strcmp(key, "column") == 0)
			rc = number(r, &d->column), d->fields++;
		else
			rc = value(r, NULL);
		if (rc != 0)
			return -1;
		ws(r);
		char c = r->s[r->i++];
		if (c == '}')
			return 0;
		if (c != ',')
			return fail(r, "expected ',' or '}'");
	}
}

static int array(struct reader *r, struct json_diag *out, size_t max, size_t *n)
{
	r->i++;
	ws(r);
	if (r->s[r->i] == ']') {
		r->i++;
		return 0;
	}
	for (;;) {
		ws(r);
		int rc;
		if (out != NULL && r->s[r->i] == '{') {
			struct json_diag *d = *n < max ? &out[*n] : NULL;
			if (d != NULL)
				memset(d, 0, sizeof(*d));
			(*n)++;
			rc = object(r, d);
		} else {
			if (out != NULL)
				return fail(r, "expected an object in the array");
			rc = value(r, NULL);
		}
		if (rc != 0)
			return -1;
		ws(r);
		char c = r->s[r->i++];
		if (c == ']')
			return 0;
		if (c != ',')
			return fail(r, "expected ',' or ']'");
	}
}

static int literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);
	if (strncmp(r->s + r->i, word, n) != 0)
		return fail(r, "unexpected character");
	r->i += n;
	return 0;
}

static int value(struct reader *r, struct json_diag *d)
{
	(void)d;
	if (++r->depth > 64)
		return fail(r, "nested too deep");
	int rc;
	char c = r->s[r->i];
	if (c == '{')
		rc = object(r, NULL);
	else if (c == '[')
		rc = array(r, NULL, 0, NULL);
	else if (c == '"')
		rc = string(r, NULL, 0);
	else if (c == 't')
		rc = literal(r, "true");
	else if (c == 'f')
		rc = literal(r, "false");
	else if (c == 'n')
		rc = literal(r, "null");
	else
		rc = number(r, NULL);
	r->depth--;
	return rc;
}

int json_parse_diags(const char *text, struct json_diag *out, size_t max, size_t *n, char *err,
		     size_t errlen)
{
	struct reader r = { .s = text, .err = err, .errlen = errlen };
	*n = 0;
	ws(&r);
	if (r.s[r.i] != '[')
		return fail(&r, "expected an array");
	if (array(&r, out, max, n) != 0)
		return -1;
	ws(&r);
	if (r.s[r.i] != '\0')
		return fail(&r, "text after the value");
	return 0;
}

int json_valid(const char *text, char *err, size_t errlen)
{
	struct reader r = { .s = text, .err = err, .errlen = errlen };
	ws(&r);
	if (value(&r, NULL) != 0)
		return -1;
	ws(&r);
	if (r.s[r.i] != '\0')
		return fail(&r, "text after the value");
	return 0;
}
