/* test_diagnostics.c - every diagnostic code: the table of configs in tests/invalid/ (see
 * invalid_cases.h for their format), the codes no file can give, and docs/diagnostics.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "engine.h"
#include "example_plugins.h"
#include "invalid_cases.h"
#include "load.h"
#include "registry.h"
#include "yaml_doc.h"

#define PIPELINES_DIR PL_SOURCE_DIR "/pipelines"
#define DOC_FILE      PL_SOURCE_DIR "/docs/diagnostics.md"

/* The codes no file can give, tested in code below; and the plugin codes, which need a
 * shared object: tests/test_plugins.c gives each of them from the broken plugins of
 * tests/plugins/, at a `plugins:` entry's line and column. */
static const int codes_in_code[] = {
	PL_D_IO,           PL_D_FILE_TOO_LARGE,   PL_D_STAGE_MALFORMED,  PL_D_STAGE_INIT,
	PL_D_PLUGIN_OPEN,  PL_D_PLUGIN_SYMBOL,    PL_D_PLUGIN_MALFORMED, PL_D_PLUGIN_ABI,
	PL_D_PLUGIN_CLASH,
	/* test_without_libraries.c: */
	PL_D_NATS_UNAVAILABLE, PL_D_STAGE_UNAVAILABLE,
};

/* Every file of tests/invalid/ gives exactly the diagnostics its header lists. */
static void test_invalid_configs(void **state)
{
	(void)state;
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	size_t n, failed = 0;
	char **names = pl_case_list(PL_CASE_DIR, ".yaml", &n);
	for (size_t i = 0; i < n; i++) {
		struct pl_case *c = malloc(sizeof(*c));
		assert_non_null(c);
		if (pl_case_load(c, names[i]) != 0) {
			fprintf(stderr, "%s: %s\n", names[i], c->error);
			failed++;
		} else if (!pl_case_run(c, reg)) {
			failed++;
		}
		free(c->text);
		free(c);
	}
	pl_case_free_names(names, n);
	pl_registry_destroy(reg);
	if (failed > 0)
		fail_msg("%zu of the %zu files in tests/invalid/ failed (see above)", failed, n);
}

/* The table holds at least 40 cases. */
static void test_enough_cases(void **state)
{
	(void)state;
	size_t n;
	char **names = pl_case_list(PL_CASE_DIR, ".yaml", &n);
	pl_case_free_names(names, n);
	if (n < 40)
		fail_msg("tests/invalid/ holds %zu configs; it must hold at least 40", n);
}

/* Every code of diag_codes.h is expected by some file, or tested in code below. */
static void test_every_code_covered(void **state)
{
	(void)state;
	size_t n_codes, n, missing = 0;
	const int *all = pl_diag_all_codes(&n_codes);
	unsigned char covered[1000] = { 0 };
	for (size_t i = 0; i < sizeof(codes_in_code) / sizeof(codes_in_code[0]); i++)
		covered[codes_in_code[i]] = 1;
	char **names = pl_case_list(PL_CASE_DIR, ".yaml", &n);
	for (size_t i = 0; i < n; i++) {
		struct pl_case *c = malloc(sizeof(*c));
		assert_non_null(c);
		if (pl_case_load(c, names[i]) == 0)
			for (size_t j = 0; j < c->n_expect; j++)
				covered[c->expect[j].code] = 1;
		free(c->text);
		free(c);
	}
	pl_case_free_names(names, n);
	for (size_t i = 0; i < n_codes; i++)
		if (all[i] < 0 || all[i] >= 1000 || !covered[all[i]]) {
			fprintf(stderr, "PL%03d: no file in tests/invalid/ expects it\n", all[i]);
			missing++;
		}
	if (missing > 0)
		fail_msg("%zu diagnostic code(s) have no test (see above)", missing);
}

/* docs/diagnostics.md has one "## PLnnn" section per code, and none for a code that does
 * not exist. */
static void test_docs_cover_every_code(void **state)
{
	(void)state;
	size_t len, n_codes, bad = 0;
	char *doc = pl_case_read_file(DOC_FILE, &len);
	assert_non_null(doc);
	const int *all = pl_diag_all_codes(&n_codes);
	unsigned char seen[1000] = { 0 };
	unsigned lineno = 1;
	for (char *s = doc; *s != '\0'; lineno++) {
		char *nl = strchr(s, '\n');
		if (nl != NULL)
			*nl = '\0';
		unsigned code;
		char after = '\0';
		if (strncmp(s, "## PL", 5) == 0) {
			if (sscanf(s + 5, "%3u%c", &code, &after) < 1 ||
			    strspn(s + 5, "0123456789") != 3 || (after != '\0' && after != ' ')) {
				fprintf(stderr,
					"diagnostics.md:%u: a heading '%s' names no code PLnnn\n",
					lineno, s);
				bad++;
			} else if (!pl_case_known_code((int)code)) {
				fprintf(stderr,
					"diagnostics.md:%u: PL%03u is not a code of diag_codes.h\n",
					lineno, code);
				bad++;
			} else if (seen[code]++) {
				fprintf(stderr, "diagnostics.md:%u: a second section for PL%03u\n",
					lineno, code);
				bad++;
			}
		}
		s = nl != NULL ? nl + 1 : s + strlen(s);
	}
	free(doc);
	for (size_t i = 0; i < n_codes; i++)
		if (!seen[all[i]]) {
			fprintf(stderr, "diagnostics.md: no '## PL%03d' section\n", all[i]);
			bad++;
		}
	if (bad > 0)
		fail_msg("docs/diagnostics.md: %zu problem(s) (see above)", bad);
}

/* The examples in pipelines/ give no error and no warning, with the built-in stages and
 * those of the example plugins. */
static void test_pipelines_clean(void **state)
{
	(void)state;
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_test_load_example_plugins(reg);
	size_t n, bad = 0;
	char **names = pl_case_list(PIPELINES_DIR, ".yaml", &n);
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", PIPELINES_DIR, names[i]);
		pl_diags d;
		pl_diags_init(&d);
		pl_config *cfg = NULL;
		int rc = pl_load_file(path, NULL, reg, &cfg, &d);
		if (rc != 0 || d.errors > 0 || d.warnings > 0) {
			pl_diags_print(&d, stderr);
			bad++;
		}
		pl_config_free(cfg);
		pl_diags_clear(&d);
	}
	pl_case_free_names(names, n);
	pl_registry_destroy(reg);
	if (bad > 0)
		fail_msg("%zu file(s) of pipelines/ are not clean (see above)", bad);
}

/* Loads `path` with the built-in stages and checks it gives the one file-level diagnostic
 * `code`, whose message holds `part`. */
static void expect_file_error(const char *path, int code, const char *part)
{
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	assert_int_equal(pl_load_file(path, NULL, reg, &cfg, &d), PL_EINVAL);
	assert_null(cfg);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].code, code);
	assert_string_equal(d.items[0].file, path);
	assert_int_equal(d.items[0].pos.line, 0);
	assert_int_equal(d.items[0].pos.col, 0);
	assert_non_null(strstr(d.items[0].message, part));
	pl_diags_clear(&d);
	pl_registry_destroy(reg);
}

/* PL001: a file that does not exist, and a directory. */
static void test_io_error(void **state)
{
	(void)state;
	expect_file_error(PL_CASE_DIR "/no-such-file.yaml", PL_D_IO,
			  "cannot open the file: No such file or directory");
	expect_file_error(PL_CASE_DIR, PL_D_IO, "cannot read the file: Is a directory");
}

/* PL002: a file of exactly the limit loads; one byte more is refused.  Made here, not
 * committed. */
static void test_file_too_large(void **state)
{
	(void)state;
	static const char head[] = "version: 1\nnodes:\n"
				   "  - { name: g, type: generator, stage: seq, output: c }\n"
				   "  - { name: s, type: sink, stage: null, input: c }\n";
	char path[] = "/tmp/pl-diag-large-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "wb");
	assert_non_null(f);
	fputs(head, f);
	for (size_t i = sizeof(head) - 1; i < PL_YAML_MAX_BYTES; i++)
		fputc(i + 1 == PL_YAML_MAX_BYTES || i % 64 == 63 ? '\n' : '#', f);
	assert_int_equal(fflush(f), 0);

	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	assert_int_equal(pl_load_file(path, NULL, reg, &cfg, &d), 0);
	assert_int_equal(d.n, 0);
	pl_config_free(cfg);
	pl_registry_destroy(reg);

	fputc('\n', f);
	assert_int_equal(fclose(f), 0);
	expect_file_error(path, PL_D_FILE_TOO_LARGE, "the file is larger than 4194304 bytes");
	(void)remove(path);
}

static int drop_process(pl_worker *w, pl_msg *msg)
{
	w->host->msg_free(msg);
	return 0;
}

static const pl_param_spec bad_default_params[] = {
	{ .name = "n", .type = PL_PARAM_INT, .default_value = "ten", .description = "a number" },
};

/* A stage whose own default does not have its parameter's type. */
static const pl_stage bad_default_stage = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_SINK,
	.name = "bad-default",
	.description = "a sink whose default for 'n' is not an integer",
	.params = bad_default_params,
	.n_params = 1,
	.process = drop_process,
};

/* PL053: only a stage can be malformed, not a file; reported where the node names it. */
static void test_stage_malformed(void **state)
{
	(void)state;
	static const char text[] = "version: 1\nnodes:\n"
				   "  - { name: g, type: generator, stage: seq, output: c }\n"
				   "  - { name: s, type: sink, stage: bad-default, input: c }\n";
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	assert_int_equal(pl_registry_add(reg, &bad_default_stage), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	assert_int_equal(pl_load_text("t.yaml", text, strlen(text), NULL, reg, &cfg, &d),
			 PL_EINVAL);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.items[0].code, PL_D_STAGE_MALFORMED);
	assert_int_equal(d.items[0].pos.line, 4);
	assert_int_equal(d.items[0].pos.col, 35);
	assert_string_equal(d.items[0].message,
			    "stage 'bad-default' is malformed: the default of parameter 'n' is "
			    "invalid: 'ten' (expected an integer, got 'ten')");
	pl_diags_clear(&d);
	pl_registry_destroy(reg);
}

/* PL080: a config that passes every check but whose stages cannot start: `lines` reading
 * a directory, `file` writing one.  Both are reported, at their params. */
static void test_stage_init(void **state)
{
	(void)state;
	static const char text[] =
		"version: 1\nnodes:\n"
		"  - { name: read, type: generator, stage: lines, params: { path: / }, output: c "
		"}\n"
		"  - { name: save, type: sink, stage: file, params: { path: / }, input: c }\n";
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	assert_int_equal(pl_load_text("t.yaml", text, strlen(text), NULL, reg, &cfg, &d), 0);
	assert_int_equal(d.n, 0);
	pl_engine *e = NULL;
	assert_int_equal(pl_engine_create(cfg, NULL, &e, &d), PL_ESTAGE);
	assert_null(e);
	pl_diags_sort(&d);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.items[0].code, PL_D_STAGE_INIT);
	assert_int_equal(d.items[0].pos.line, 3);
	assert_int_equal(d.items[0].pos.col, 58);
	assert_non_null(strstr(d.items[0].message, "node 'read' (stage 'lines') failed to start"));
	assert_int_equal(d.items[1].code, PL_D_STAGE_INIT);
	assert_int_equal(d.items[1].pos.line, 4);
	assert_int_equal(d.items[1].pos.col, 52);
	assert_non_null(strstr(d.items[1].message, "node 'save' (stage 'file') failed to start"));
	pl_diags_clear(&d);
	pl_config_free(cfg);
	pl_registry_destroy(reg);
}

/* At most PL_DIAG_MAX diagnostics are kept; the rest are counted. */
static void test_diagnostics_capped(void **state)
{
	(void)state;
	char text[8192] = "version: 1\nnodes:\n"
			  "  - { name: g, type: generator, stage: seq, output: c }\n"
			  "  - { name: s, type: sink, stage: null, input: c }\n";
	for (int i = 0; i < PL_DIAG_MAX + 50; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "extra_key_%03d: 1\n",
			 i);
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	assert_int_equal(pl_load_text("t.yaml", text, strlen(text), NULL, reg, &cfg, &d),
			 PL_EINVAL);
	assert_int_equal(d.n, PL_DIAG_MAX);
	assert_int_equal(d.dropped, 50);
	assert_int_equal(d.errors, PL_DIAG_MAX + 50);
	pl_diags_clear(&d);
	pl_registry_destroy(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invalid_configs),
		cmocka_unit_test(test_enough_cases),
		cmocka_unit_test(test_every_code_covered),
		cmocka_unit_test(test_docs_cover_every_code),
		cmocka_unit_test(test_pipelines_clean),
		cmocka_unit_test(test_io_error),
		cmocka_unit_test(test_file_too_large),
		cmocka_unit_test(test_stage_malformed),
		cmocka_unit_test(test_stage_init),
		cmocka_unit_test(test_diagnostics_capped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
