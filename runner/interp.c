/* interp.c - expanding ${VAR} and ${VAR:-default} in config values. */
#include "interp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "pipeline/plugin.h"

/* A growing output buffer that never passes `max` bytes. */
struct buf {
	char *p;
	size_t n, cap, max;
	int rc;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->rc != 0)
		return;
	if (n > b->max - b->n) {
		b->rc = PL_ERANGE;
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = pl_mem_realloc(b->p, cap);
		if (p == NULL) {
			b->rc = PL_ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static int name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9');
}

/* Records where the bad reference is; the caller wrote err->message. */
static int fail(struct buf *b, pl_interp_error *err, size_t offset, size_t length, int unset)
{
	free(b->p);
	err->offset = offset;
	err->length = length;
	err->unset = unset;
	return PL_EINVAL;
}

int pl_interp(const char *in, size_t len, pl_env_fn env, void *ctx, size_t max, char **out,
	      size_t *out_len, pl_interp_error *err)
{
	*out = NULL;
	*out_len = 0;
	if (memchr(in, '$', len) == NULL)
		return 0;
	struct buf b = { .max = max };
	size_t i = 0, copied = 0;
	int found = 0;
	while (i < len) {
		if (in[i] != '$') {
			i++;
			continue;
		}
		if (i + 2 < len && in[i + 1] == '$' && in[i + 2] == '{') {
			/* "$${": a literal "${". */
			put(&b, in + copied, i - copied);
			put(&b, "${", 2);
			i += 3;
			copied = i;
			found = 1;
			continue;
		}
		if (i + 1 >= len || in[i + 1] != '{') {
			i++;
			continue;
		}
		size_t start = i, p = i + 2;
		const char *close = memchr(in + p, '}', len - p);
		if (close == NULL) {
			snprintf(err->message, sizeof(err->message),
				 "'${' is not closed by '}'; write ${NAME} or ${NAME:-default} "
				 "(or $${ for a literal '${')");
			return fail(&b, err, start, len - start, 0);
		}
		size_t end = (size_t)(close - in);
		size_t name_len = 0;
		while (p + name_len < end && name_char(in[p + name_len]))
			name_len++;
		const char *name = in + p;
		const char *def = NULL;
		size_t def_len = 0;
		if (name_len == 0 || !name_start(name[0]) ||
		    (p + name_len < end && (end - p - name_len < 2 || name[name_len] != ':' ||
					    name[name_len + 1] != '-'))) {
			size_t shown = end - start + 1 > 60 ? 60 : end - start + 1;
			snprintf(err->message, sizeof(err->message),
				 "'%.*s' is not a variable reference: write ${NAME} or "
				 "${NAME:-default}, NAME being letters, digits and '_'",
				 (int)shown, in + start);
			return fail(&b, err, start, end - start + 1, 0);
		}
		if (p + name_len < end) {
			def = name + name_len + 2;
			def_len = end - (p + name_len + 2);
			for (size_t k = 0; k + 1 < def_len; k++)
				if (def[k] == '$' && def[k + 1] == '{') {
					snprintf(err->message, sizeof(err->message),
						 "a default cannot hold another reference ('${' "
						 "inside ${%.*s:-...}); nesting is not supported",
						 (int)(name_len > 60 ? 60 : name_len), name);
					return fail(&b, err, start, end - start + 1, 0);
				}
		}
		char key[256];
		if (name_len >= sizeof(key)) {
			snprintf(err->message, sizeof(err->message),
				 "the variable name '%.*s...' is too long", 40, name);
			return fail(&b, err, start, end - start + 1, 0);
		}
		memcpy(key, name, name_len);
		key[name_len] = '\0';
		const char *value = env(key, ctx);
		put(&b, in + copied, start - copied);
		if (value != NULL && (value[0] != '\0' || def == NULL))
			put(&b, value, strlen(value));
		else if (def != NULL)
			put(&b, def, def_len);
		else {
			snprintf(err->message, sizeof(err->message),
				 "environment variable '%s' is not set; set it, or give a "
				 "default with ${%s:-default}",
				 key, key);
			return fail(&b, err, start, end - start + 1, 1);
		}
		i = end + 1;
		copied = i;
		found = 1;
	}
	if (!found)
		return 0;
	put(&b, in + copied, len - copied);
	if (b.rc == 0 && b.p == NULL) {
		/* Everything expanded to nothing. */
		b.p = pl_mem_calloc(1, 1);
		if (b.p == NULL)
			b.rc = PL_ENOMEM;
	}
	if (b.rc != 0) {
		free(b.p);
		return b.rc;
	}
	*out = b.p;
	*out_len = b.n;
	return 0;
}
