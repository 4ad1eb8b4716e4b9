/* test_docs.c - the examples of docs/diagnostics.md are what `pipeline validate` really prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"
#include "registry.h"

/* The whole of `path`.  Ownership: the caller frees it. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	do {
		if (n + 4096 + 1 > cap) {
			cap = (n + 4096 + 1) * 2;
			char *bigger = realloc(buf, cap);
			assert_non_null(bigger);
			buf = bigger;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	(void)fclose(f);
	buf[n] = '\0';
	return buf;
}

/* The body of the first fenced block of `kind` ("yaml", "text") at or
 * after `from` and before `limit`, or NULL.  *end gets where the block
 * ends.  Ownership: the caller frees it. */
static char *block(const char *from, const char *limit, const char *kind, const char **end)
{
	char fence[16];
	snprintf(fence, sizeof(fence), "```%s\n", kind);
	const char *a = strstr(from, fence);
	if (a == NULL || a >= limit)
		return NULL;
	a += strlen(fence);
	const char *b = strstr(a, "```\n");
	assert_non_null(b);
	*end = b + 4;
	char *body = strndup(a, (size_t)(b - a));
	assert_non_null(body);
	return body;
}

/* The docs show a tab as "→" followed by spaces to the next stop. */
static void untab(char *s)
{
	static const char arrow[] = "\xe2\x86\x92"; /* → */
	char *p;
	while ((p = strstr(s, arrow)) != NULL) {
		char *q = p + 3;
		while (*q == ' ' && q - p < 6)
			q++;
		*p = '\t';
		memmove(p + 1, q, strlen(q) + 1);
	}
}

/* The docs shorten deep nesting as "[[[[[[ ... N levels ... ]]]]]]". */
static char *unshorten(char *s)
{
	char *a = strstr(s, "[[[[[[ ... ");
	int levels;
	if (a == NULL || sscanf(a + 11, "%d levels", &levels) != 1 || levels < 1 || levels > 1000)
		return s;
	char *b = strstr(a, " ... ]]]]]]");
	assert_non_null(b);
	b += 11;
	size_t head = (size_t)(a - s), tail = strlen(b);
	char *out = malloc(head + 2 * (size_t)levels + tail + 1);
	assert_non_null(out);
	memcpy(out, s, head);
	memset(out + head, '[', (size_t)levels);
	memset(out + head + levels, ']', (size_t)levels);
	memcpy(out + head + 2 * (size_t)levels, b, tail + 1);
	free(s);
	return out;
}

static const char *no_env(const char *name, void *ctx)
{
	(void)name;
	(void)ctx;
	return NULL;
}

/* What `pipeline validate [--set SET] pipeline.yaml` prints for `yaml`
 * on standard output.  Ownership: the caller frees it. */
static char *validate(pl_registry *reg, const char *yaml, const char *set, size_t *errors,
		      size_t *warnings)
{
	pl_load_options opt = { .lookup_env = no_env };
	if (set != NULL) {
		opt.sets = &set;
		opt.n_sets = 1;
	}
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	pl_load_text("pipeline.yaml", yaml, strlen(yaml), &opt, reg, &cfg, &d);
	pl_config_free(cfg);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	pl_diags_print(&d, f);
	assert_int_equal(fclose(f), 0);
	*errors = d.errors;
	*warnings = d.warnings;
	pl_diags_clear(&d);
	return out;
}

static void test_examples_match(void **state)
{
	(void)state;
	char *md = slurp(PL_SOURCE_DIR "/docs/diagnostics.md");
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	size_t checked = 0, fixes = 0, failed = 0;
	for (const char *sec = strstr(md, "\n## PL"); sec != NULL;) {
		const char *next = strstr(sec + 1, "\n## PL");
		const char *limit = next != NULL ? next : sec + strlen(sec);
		char code[8] = "";
		assert_int_equal(sscanf(sec, "\n## %7s", code), 1);
		const char *prints = strstr(sec, "` prints:\n");
		const char *cmd = prints != NULL ? prints : NULL;
		while (cmd != NULL && cmd > sec && *cmd != '\n')
			cmd--;
		const char *after;
		char *broken = block(sec, limit, "yaml", &after);
		/* Examples whose bytes cannot be written in Markdown (not UTF-8)
		 * are checked by tests/invalid/ instead. */
		if (prints == NULL || prints >= limit || broken == NULL ||
		    strstr(broken, "saved as") != NULL) {
			free(broken);
			sec = next;
			continue;
		}
		untab(broken);
		broken = unshorten(broken);
		char set[256] = "";
		const char *s = strstr(cmd, "--set ");
		if (s != NULL && s < prints)
			(void)sscanf(s + 6, "%255s", set); /* none: set stays "" */
		const char *end;
		char *expected = block(prints, limit, "text", &end);
		assert_non_null(expected);
		size_t errors, warnings;
		char *got = validate(reg, broken, set[0] ? set : NULL, &errors, &warnings);
		char tag[16];
		snprintf(tag, sizeof(tag), "[%s]", code);
		if (strstr(expected, tag) == NULL) {
			fprintf(stderr, "%s: the example does not show %s\n", code, tag);
			failed++;
		}
		if (strcmp(got, expected) != 0) {
			fprintf(stderr,
				"%s: docs/diagnostics.md shows\n%s  but validate prints\n%s", code,
				expected, got);
			failed++;
		}
		checked++;
		/* The fix, when it is a config, is clean. */
		char *fix = block(end, limit, "yaml", &after);
		if (fix != NULL) {
			char *clean = validate(reg, fix, NULL, &errors, &warnings);
			if (errors + warnings > 0) {
				fprintf(stderr, "%s: the fix still gives\n%s", code, clean);
				failed++;
			}
			fixes++;
			free(clean);
			free(fix);
		}
		free(got);
		free(expected);
		free(broken);
		sec = next;
	}
	fprintf(stderr, "checked %zu examples and %zu fixes\n", checked, fixes);
	assert_true(checked >= 45);
	assert_int_equal(failed, 0);
	pl_registry_destroy(reg);
	free(md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
