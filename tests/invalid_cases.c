/* invalid_cases.c - the case files of tests/invalid/: reading their header and checking
 * that a config gives exactly the diagnostics it lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invalid_cases.h"
#include "diag.h"
#include "load.h"

int pl_case_known_code(int code)
{
	size_t n;
	const int *all = pl_diag_all_codes(&n);
	for (size_t i = 0; i < n; i++)
		if (all[i] == code)
			return 1;
	return 0;
}

char *pl_case_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	*len = 0;
	if (f == NULL)
		return NULL;
	size_t cap = 4096, n = 0, got;
	char *buf = malloc(cap);
	while (buf != NULL && (got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (n + 1 == cap) {
			char *bigger = realloc(buf, cap *= 2);
			if (bigger == NULL)
				free(buf);
			buf = bigger;
		}
	}
	int failed = ferror(f);
	(void)fclose(f);
	if (buf == NULL || failed) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char **pl_case_list(const char *dir, const char *suffix, size_t *n)
{
	DIR *dp = opendir(dir);
	if (dp == NULL)
		fail_msg("cannot read the directory %s", dir);
	char **names = NULL;
	size_t sl = strlen(suffix);
	struct dirent *ent;
	*n = 0;
	while ((ent = readdir(dp)) != NULL) {
		size_t l = strlen(ent->d_name);
		if (ent->d_name[0] == '.' || l <= sl || strcmp(ent->d_name + l - sl, suffix) != 0)
			continue;
		char **more = realloc(names, (*n + 1) * sizeof(*names));
		assert_non_null(more);
		names = more;
		names[*n] = strdup(ent->d_name);
		assert_non_null(names[(*n)++]);
	}
	closedir(dp);
	if (*n > 0)
		qsort(names, *n, sizeof(*names), by_name);
	return names;
}

void pl_case_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int is_directive(const char *s)
{
	return strncmp(s, "# expect", 8) == 0 || strncmp(s, "# env", 5) == 0 ||
	       strncmp(s, "# set", 5) == 0;
}

/* Reads "PLnnn L:C" or "PLnnn <command-line>" into `it`; 0 or -1. */
static int parse_expect(const char *s, struct pl_case_item *it)
{
	char digits[4], where[64], extra;
	unsigned code, line, col;
	if (sscanf(s, " PL%3[0-9] %63s %c", digits, where, &extra) != 2 || strlen(digits) != 3)
		return -1;
	code = (unsigned)strtoul(digits, NULL, 10); /* three digits */
	*it = (struct pl_case_item){ .code = (int)code };
	if (strcmp(where, "<command-line>") == 0) {
		it->cmdline = 1;
		return 0;
	}
	if (sscanf(where, "%u:%u%c", &line, &col, &extra) != 2)
		return -1;
	it->line = line;
	it->col = col;
	return 0;
}

/* Reads one comment line `s` of the header; 0, or -1 with c->error set. */
static int parse_directive(struct pl_case *c, const char *s, unsigned lineno)
{
	if (strncmp(s, "# expect:", 9) == 0) {
		if (c->n_expect == PL_CASE_MAX_EXPECT ||
		    parse_expect(s + 9, &c->expect[c->n_expect]))
			goto bad;
		if (!pl_case_known_code(c->expect[c->n_expect].code)) {
			snprintf(c->error, sizeof(c->error), "line %u: PL%03d is not a known code",
				 lineno, c->expect[c->n_expect].code);
			return -1;
		}
		c->n_expect++;
	} else if (strncmp(s, "# env: ", 7) == 0) {
		const char *name = s + 7, *eq = strchr(name, '=');
		if (c->n_env == PL_CASE_MAX_VARS || eq == NULL || eq == name ||
		    (size_t)(eq - name) >= sizeof(c->env_name[0]) ||
		    strlen(eq + 1) >= sizeof(c->env_value[0]))
			goto bad;
		snprintf(c->env_name[c->n_env], sizeof(c->env_name[0]), "%.*s", (int)(eq - name),
			 name);
		snprintf(c->env_value[c->n_env++], sizeof(c->env_value[0]), "%s", eq + 1);
	} else if (strncmp(s, "# set: ", 7) == 0) {
		if (c->n_sets == PL_CASE_MAX_VARS || strlen(s + 7) >= sizeof(c->sets[0]))
			goto bad;
		snprintf(c->sets[c->n_sets++], sizeof(c->sets[0]), "%s", s + 7);
	} else if (is_directive(s)) {
		goto bad;
	}
	return 0;
bad:
	snprintf(c->error, sizeof(c->error), "line %u: cannot read the directive '%.200s'", lineno,
		 s);
	return -1;
}

/* The file's name must be NNN-...yaml and, when NNN is a code, the file must expect it. */
static int check_name(struct pl_case *c)
{
	unsigned nnn;
	if (strspn(c->name, "0123456789") != 3 || c->name[3] != '-' ||
	    sscanf(c->name, "%3u", &nnn) != 1) {
		snprintf(c->error, sizeof(c->error), "the name does not start with 'NNN-'");
		return -1;
	}
	if (!pl_case_known_code((int)nnn))
		return 0;
	for (size_t i = 0; i < c->n_expect; i++)
		if (c->expect[i].code == (int)nnn)
			return 0;
	snprintf(c->error, sizeof(c->error), "named for PL%03u, but does not expect it", nnn);
	return -1;
}

int pl_case_load(struct pl_case *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s/%s", PL_CASE_DIR, name);
	c->name = c->path + strlen(PL_CASE_DIR) + 1;
	c->text = pl_case_read_file(c->path, &c->len);
	if (c->text == NULL) {
		snprintf(c->error, sizeof(c->error), "cannot read the file");
		return -1;
	}
	int in_header = 1;
	unsigned lineno = 1;
	for (const char *s = c->text, *end = c->text + c->len; s < end; lineno++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t l = nl ? (size_t)(nl - s) : (size_t)(end - s);
		char line[512];
		snprintf(line, sizeof(line), "%.*s", (int)(l < 511 ? l : 511), s);
		in_header = in_header && line[0] == '#';
		if (in_header && parse_directive(c, line, lineno) != 0)
			return -1;
		if (!in_header && is_directive(line)) {
			snprintf(c->error, sizeof(c->error),
				 "line %u: a directive below the header would be ignored; move it "
				 "up",
				 lineno);
			return -1;
		}
		s += l + 1;
	}
	if (c->n_expect == 0) {
		snprintf(c->error, sizeof(c->error), "no '# expect:' line");
		return -1;
	}
	return check_name(c);
}

static const char *case_env(const char *name, void *ctx)
{
	const struct pl_case *c = ctx;
	for (size_t i = 0; i < c->n_env; i++)
		if (strcmp(c->env_name[i], name) == 0)
			return c->env_value[i];
	return NULL;
}

static int by_item(const void *a, const void *b)
{
	const struct pl_case_item *x = a, *y = b;
	if (x->code != y->code)
		return x->code < y->code ? -1 : 1;
	if (x->cmdline != y->cmdline)
		return x->cmdline < y->cmdline ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* Prints items as the header lines that would expect them, given ones with their message. */
static void print_items(const char *title, const struct pl_case_item *v, size_t n)
{
	fprintf(stderr, "  %s (%zu):\n", title, n);
	for (size_t i = 0; i < n; i++) {
		if (v[i].cmdline)
			fprintf(stderr, "    # expect: PL%03d <command-line>", v[i].code);
		else
			fprintf(stderr, "    # expect: PL%03d %u:%u", v[i].code, v[i].line,
				v[i].col);
		fprintf(stderr, "%s%s\n", v[i].message ? "    -- " : "",
			v[i].message ? v[i].message : "");
	}
}

int pl_case_run(struct pl_case *c, pl_registry *reg)
{
	const char *sets[PL_CASE_MAX_VARS];
	for (size_t i = 0; i < c->n_sets; i++)
		sets[i] = c->sets[i];
	pl_load_options opt = {
		.sets = sets, .n_sets = c->n_sets, .lookup_env = case_env, .env_ctx = c
	};
	char file[600];
	snprintf(file, sizeof(file), "tests/invalid/%s", c->name);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	int rc = pl_load_text(file, c->text, c->len, &opt, reg, &cfg, &d);
	pl_config_free(cfg);
	assert_int_not_equal(rc, PL_ENOMEM);

	struct pl_case_item got[PL_DIAG_MAX] = { 0 };
	int errors = 0, ok = d.dropped == 0;
	for (size_t i = 0; i < d.n; i++) {
		const pl_diag *g = &d.items[i];
		int cmdline = strcmp(g->file, "<command-line>") == 0;
		ok &= cmdline || strcmp(g->file, file) == 0;
		got[i] = (struct pl_case_item){ .code = g->code,
						.cmdline = cmdline,
						.line = cmdline ? 0 : g->pos.line,
						.col = cmdline ? 0 : g->pos.col,
						.message = g->message };
	}
	for (size_t i = 0; i < c->n_expect; i++)
		errors += pl_diag_severity(c->expect[i].code) == PL_SEV_ERROR;
	/* Warnings alone do not refuse a config. */
	ok &= errors > 0 ? rc == PL_EINVAL : rc == 0;
	qsort(got, d.n, sizeof(*got), by_item);
	qsort(c->expect, c->n_expect, sizeof(*c->expect), by_item);
	ok &= d.n == c->n_expect;
	for (size_t i = 0; ok && i < d.n; i++)
		ok &= by_item(&got[i], &c->expect[i]) == 0;
	if (!ok) {
		fprintf(stderr,
			"%s: the diagnostics differ (pl_load_text returned %d, %zu dropped)\n",
			c->name, rc, d.dropped);
		print_items("expected", c->expect, c->n_expect);
		print_items("given", got, d.n);
	}
	pl_diags_clear(&d);
	return ok;
}
