/* bench_kv.c - reading key=value reports (ours, Go's, the rings') and the summary of `pipeline
 * run`. */
#include "bench_kv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Where the value of `key` starts in `text`, or NULL. */
static const char *value_of(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = strstr(text, key); p != NULL; p = strstr(p + 1, key))
		if ((p == text || p[-1] == ' ' || p[-1] == '\n') && p[klen] == '=')
			return p + klen + 1;
	return NULL;
}

/* The value ends at a space, a newline or the end. */
static int ends_value(const char *end)
{
	return *end == '\0' || *end == ' ' || *end == '\n';
}

int bench_kv_double(const char *text, const char *key, double *out)
{
	const char *v = value_of(text, key);
	if (v == NULL)
		return -1;
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (end == v || errno != 0 || !ends_value(end))
		return -1;
	*out = d;
	return 0;
}

int bench_kv_ull(const char *text, const char *key, unsigned long long *out)
{
	const char *v = value_of(text, key);
	if (v == NULL || *v == '-')
		return -1;
	char *end;
	errno = 0;
	unsigned long long u = strtoull(v, &end, 10);
	if (end == v || errno != 0 || !ends_value(end))
		return -1;
	*out = u;
	return 0;
}

int bench_kv_is(const char *text, const char *key, const char *value)
{
	const char *v = value_of(text, key);
	size_t n = strlen(value);
	return v != NULL && strncmp(v, value, n) == 0 && ends_value(v + n);
}

/* The summary's rows read "NAME TYPE WORKERS IN OUT ...", IN being "-" for
 * a generator. */
int bench_summary_in(const char *err, const char *node, unsigned long long *out)
{
	size_t nlen = strlen(node);
	for (const char *line = err; line != NULL && *line != '\0';) {
		const char *next = strchr(line, '\n');
		if (strncmp(line, node, nlen) == 0 && line[nlen] == ' ') {
			const char *p = line + nlen;
			/* Skip the type and the workers to the `in` column. */
			for (int field = 0; field < 2; field++) {
				p += strspn(p, " ");
				p += strcspn(p, " \n");
			}
			p += strspn(p, " ");
			char *end;
			errno = 0;
			unsigned long long v = strtoull(p, &end, 10);
			if (end != p && errno == 0 && (*end == ' ' || *end == '\n')) {
				*out = v;
				return 0;
			}
		}
		line = next ? next + 1 : NULL;
	}
	return -1;
}
