/* line_tally.c - which of the numbered lines PREFIX1 .. PREFIXn some output files hold, and how
 * often. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "line_tally.h"

void tally_init(struct tally *t, long long n)
{
	memset(t, 0, sizeof(*t));
	t->n = n;
	t->seen = calloc((size_t)(n > 0 ? n : 1), 1);
	assert_non_null(t->seen);
}

/* k when `line` (`len` bytes) is PREFIXk with k in 1 .. n, else 0. */
static long long number_of(const char *line, size_t len, const char *prefix, long long n)
{
	size_t plen = strlen(prefix);
	if (len <= plen || memcmp(line, prefix, plen) != 0 || line[plen] == '0')
		return 0;
	long long k = 0;
	for (size_t i = plen; i < len; i++) {
		if (line[i] < '0' || line[i] > '9' || k > n)
			return 0;
		k = k * 10 + (line[i] - '0');
	}
	return k >= 1 && k <= n ? k : 0;
}

static void add_line(struct tally *t, const char *line, size_t len, int whole, const char *prefix)
{
	t->lines++;
	long long k = whole ? number_of(line, len, prefix, t->n) : 0;
	if (k == 0) {
		if (t->foreign++ == 0)
			snprintf(t->first_foreign, sizeof(t->first_foreign), "%.*s%s",
				 (int)(len < 80 ? len : 80), line, whole ? "" : " (cut)");
		return;
	}
	if (t->seen[k - 1] < 255)
		t->seen[k - 1]++;
}

long long tally_file(struct tally *t, const char *path, const char *prefix)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	long long before = t->lines;
	char buf[256];
	size_t len = 0;
	int c;
	while ((c = getc(f)) != EOF) {
		if (c == '\n') {
			add_line(t, buf, len, len < sizeof(buf), prefix);
			len = 0;
		} else if (len < sizeof(buf)) {
			buf[len++] = (char)c;
		}
	}
	if (len > 0)
		add_line(t, buf, len, 0, prefix);
	(void)fclose(f);
	return t->lines - before;
}

long long tally_missing(const struct tally *t, long long *first)
{
	long long missing = 0;
	*first = 0;
	for (long long k = 1; k <= t->n; k++)
		if (t->seen[k - 1] == 0 && missing++ == 0)
			*first = k;
	return missing;
}

long long tally_repeated(const struct tally *t, long long *first)
{
	long long repeated = 0;
	*first = 0;
	for (long long k = 1; k <= t->n; k++)
		if (t->seen[k - 1] > 1 && repeated++ == 0)
			*first = k;
	return repeated;
}

void tally_free(struct tally *t)
{
	free(t->seen);
	t->seen = NULL;
}

long long file_lines(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	long long n = 0;
	char buf[4096];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		for (size_t i = 0; i < got; i++)
			n += buf[i] == '\n';
	(void)fclose(f);
	return n;
}
