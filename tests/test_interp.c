/* test_interp.c - ${VAR} interpolation and --set overrides, from text to diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc_edit.h"
#include "error.h"
#include "interp.h"
#include "load.h"
#include "params.h"

/* The test's environment: A=alpha, EMPTY="", N=3, BRACE="}". */
static const char *env(const char *name, void *ctx)
{
	(void)ctx;
	static const char *const vars[][2] = {
		{ "A", "alpha" }, { "EMPTY", "" },   { "N", "3" },
		{ "BRACE", "}" }, { "REF", "${A}" },
	};
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (strcmp(vars[i][0], name) == 0)
			return vars[i][1];
	return NULL;
}

static void test_expansions(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out; /* out NULL: unchanged, nothing allocated */
	} cases[] = {
		{ "plain text", NULL },
		{ "cost: $5", NULL },
		{ "trailing $", NULL },
		{ "${A}", "alpha" },
		{ "x-${A}-y", "x-alpha-y" },
		{ "${A}${N}", "alpha3" },
		{ "${MISSING:-fallback}", "fallback" },
		{ "${EMPTY:-fallback}", "fallback" },
		{ "${A:-fallback}", "alpha" },
		{ "${MISSING:-}", "" },
		{ "${MISSING:-a b:c-d}", "a b:c-d" },
		{ "$${A}", "${A}" },
		{ "$$${A}", "$${A}" }, /* "$" then "$${" */
		{ "${BRACE}x", "}x" },
		{ "${REF}", "${A}" }, /* not expanded again */
		{ "${EMPTY}", "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = (char *)1;
		size_t len = 99;
		pl_interp_error err;
		int rc = pl_interp(cases[i].in, strlen(cases[i].in), env, NULL, 1024, &out, &len,
				   &err);
		if (rc != 0)
			fail_msg("'%s': %d %s", cases[i].in, rc, err.message);
		if (cases[i].out == NULL) {
			assert_null(out);
			continue;
		}
		assert_non_null(out);
		assert_string_equal(out, cases[i].out);
		assert_int_equal(len, strlen(cases[i].out));
		free(out);
	}
}

static void test_bad_references(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		size_t offset, length;
		int unset;
		const char *message;
	} cases[] = {
		{ "${NOPE}", 0, 7, 1, "environment variable 'NOPE' is not set" },
		{ "ab ${NOPE} ${A}", 3, 7, 1,
		  "'NOPE' is not set; set it, or give a default with "
		  "${NOPE:-default}" },
		{ "x ${A", 2, 3, 0, "'${' is not closed by '}'" },
		{ "${}", 0, 3, 0, "'${}' is not a variable reference" },
		{ "${1A}", 0, 5, 0, "'${1A}' is not a variable reference" },
		{ "${A B}", 0, 6, 0, "not a variable reference" },
		{ "${A:default}", 0, 12, 0, "not a variable reference" },
		{ "${A-x}", 0, 6, 0, "not a variable reference" },
		{ "/x/${A:-${B}}", 3, 9, 0, "a default cannot hold another reference" },
		{ "${A:-$${B}}", 0, 10, 0, "a default cannot hold another reference" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = NULL;
		size_t len;
		pl_interp_error err;
		int rc = pl_interp(cases[i].in, strlen(cases[i].in), env, NULL, 1024, &out, &len,
				   &err);
		if (rc != PL_EINVAL)
			fail_msg("'%s' expanded (%d)", cases[i].in, rc);
		assert_null(out);
		assert_int_equal(err.offset, cases[i].offset);
		assert_int_equal(err.length, cases[i].length);
		assert_int_equal(err.unset, cases[i].unset);
		if (strstr(err.message, cases[i].message) == NULL)
			fail_msg("'%s': got '%s'", cases[i].in, err.message);
	}
}

static void test_expansion_limit(void **state)
{
	(void)state;
	char *out = NULL;
	size_t len;
	pl_interp_error err;
	assert_int_equal(pl_interp("${A}${A}", 8, env, NULL, 9, &out, &len, &err), PL_ERANGE);
	assert_null(out);
	assert_int_equal(pl_interp("${A}${A}", 8, env, NULL, 10, &out, &len, &err), 0);
	assert_string_equal(out, "alphaalpha");
	free(out);
}

static void test_set_syntax(void **state)
{
	(void)state;
	pl_set s;
	char err[256];
	assert_int_equal(pl_set_parse("fetch.workers=8", &s, err, sizeof(err)), 0);
	assert_string_equal(s.node, "fetch");
	assert_string_equal(s.key, "workers");
	assert_false(s.in_params);
	assert_string_equal(s.value, "8");
	assert_int_equal(pl_set_parse("f.params.url=http://x/?a=b", &s, err, sizeof(err)), 0);
	assert_string_equal(s.key, "url");
	assert_true(s.in_params);
	assert_string_equal(s.value, "http://x/?a=b");
	assert_int_equal(pl_set_parse("f.params.empty=", &s, err, sizeof(err)), 0);
	assert_string_equal(s.value, "");
	static const char *const bad[] = {
		"noequals",    "nodot=1",        ".workers=1",         "f.=1", "f.params.=1",
		"f.other.k=1", "f.params.a.b=1", "bad name.workers=1", "=1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pl_set_parse(bad[i], &s, err, sizeof(err)) != PL_EINVAL)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err, "NODE.KEY=VALUE or NODE.params.KEY=VALUE"));
	}
}

#define V "version: 1\nnodes:\n"
#define GEN                     \
	"  - name: g\n"         \
	"    type: generator\n" \
	"    stage: seq\n"      \
	"    params:\n"         \
	"      count: 4\n"      \
	"    output: c\n"
#define WORK                         \
	"  - name: w\n"              \
	"    type: fan-out\n"        \
	"    stage: grep\n"          \
	"    params: {pattern: x}\n" \
	"    input: c\n"             \
	"    output: d\n"
#define SINK "  - {name: s, type: sink, stage: null, input: d}\n"

/* Loads `text` with overrides; returns pl_load_text()'s result, the config
 * (freed by the caller) in *cfg and the diagnostics, sorted, in `d`. */
static int load(const char *text, const char *const *sets, size_t n_sets, pl_config **cfg,
		pl_diags *d)
{
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_load_options opt = { .sets = sets, .n_sets = n_sets, .lookup_env = env };
	pl_diags_init(d);
	int rc = pl_load_text("t.yaml", text, strlen(text), &opt, reg, cfg, d);
	pl_diags_sort(d);
	pl_registry_destroy(reg);
	return rc;
}

/* Asserts diagnostic i has `code`, is at line:col of `file`, and says `part`. */
static void expect(const pl_diags *d, size_t i, int code, const char *file, unsigned line,
		   unsigned col, const char *part)
{
	if (i >= d->n)
		fail_msg("only %zu diagnostics, wanted PL%03d", d->n, code);
	const pl_diag *g = &d->items[i];
	if (g->code != code || strcmp(g->file, file) != 0 || g->pos.line != line ||
	    g->pos.col != col || strstr(g->message, part) == NULL)
		fail_msg("got %s:%u:%u PL%03d '%s'; wanted %s:%u:%u PL%03d '%s'", g->file,
			 g->pos.line, g->pos.col, g->code, g->message, file, line, col, code, part);
}

static void test_values_interpolated(void **state)
{
	(void)state;
	pl_config *cfg;
	pl_diags d;
	static const char text[] =
		V "  - name: g\n"
		  "    type: generator\n"
		  "    stage: seq\n"
		  "    params: { count: \"${N}\" }\n" /* quoted: still an integer */
		  "    output: c\n"
		  "  - name: w\n"
		  "    type: fan-out\n"
		  "    workers: ${N}\n"
		  "    stage: grep\n"
		  "    params: {pattern: \"${MISSING:-}\", invert: true}\n"
		  "    input: c\n"
		  "    output: d\n" SINK;
	assert_int_equal(load(text, NULL, 0, &cfg, &d), 0);
	assert_int_equal(d.errors + d.warnings, 0);
	int64_t count;
	assert_int_equal(pl_params_int(cfg->nodes[0].param_values, "count", &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(cfg->nodes[1].workers, 3);
	const char *pattern;
	assert_int_equal(pl_params_string(cfg->nodes[1].param_values, "pattern", &pattern), 0);
	assert_string_equal(pattern, ""); /* an empty quoted result stays a string */
	pl_config_free(cfg);
	pl_diags_clear(&d);
}

/* An unset variable is reported at its own position, and only once: the
 * value it left behind is not reported again as a bad integer. */
static void test_unset_reported_once(void **state)
{
	(void)state;
	pl_config *cfg;
	pl_diags d;
	static const char text[] = V GEN "  - name: w\n"
					 "    type: fan-out\n"
					 "    workers: ${WORKERS}\n"
					 "    stage: grep\n"
					 "    params: {pattern: \"a ${NOPE} b\"}\n"
					 "    input: c\n"
					 "    output: d\n" SINK;
	assert_int_equal(load(text, NULL, 0, &cfg, &d), PL_EINVAL);
	assert_null(cfg);
	assert_int_equal(d.errors, 2);
	expect(&d, 0, PL_D_ENV_UNSET, "t.yaml", 11, 14, "'WORKERS' is not set");
	expect(&d, 1, PL_D_ENV_UNSET, "t.yaml", 13, 26, "'NOPE' is not set");
	pl_diags_clear(&d);
}

/* Keys are never expanded. */
static void test_keys_not_expanded(void **state)
{
	(void)state;
	pl_config *cfg;
	pl_diags d;
	assert_int_equal(load("${A}: 1\n" V GEN WORK SINK, NULL, 0, &cfg, &d), PL_EINVAL);
	expect(&d, 0, PL_D_UNKNOWN_KEY, "t.yaml", 1, 1, "unknown key '${A}'");
	pl_diags_clear(&d);
}

static void test_set_overrides(void **state)
{
	(void)state;
	pl_config *cfg;
	pl_diags d;
	static const char *const sets[] = {
		"g.params.count=9",       /* replaces */
		"w.workers=5",            /* adds a key */
		"w.params.pattern='007'", /* a quoted string */
		"s.params.x=1",           /* null has no params: an error */
	};
	assert_int_equal(load(V GEN WORK SINK, sets, 3, &cfg, &d), 0);
	int64_t count;
	assert_int_equal(pl_params_int(cfg->nodes[0].param_values, "count", &count), 0);
	assert_int_equal(count, 9);
	assert_int_equal(cfg->nodes[1].workers, 5);
	const char *pattern;
	assert_int_equal(pl_params_string(cfg->nodes[1].param_values, "pattern", &pattern), 0);
	assert_string_equal(pattern, "007");
	pl_config_free(cfg);
	pl_diags_clear(&d);

	/* An override's errors are reported against the command line. */
	assert_int_equal(load(V GEN WORK SINK, sets, 4, &cfg, &d), PL_EINVAL);
	assert_int_equal(d.errors, 1);
	expect(&d, 0, PL_D_UNKNOWN_PARAM, "<command-line>", 0, 0,
	       "--set 's.params.x=1': stage 'null' takes no parameters; remove 'x'");
	pl_diags_clear(&d);
}

static void test_set_errors(void **state)
{
	(void)state;
	pl_config *cfg;
	pl_diags d;
	static const char *const sets[] = {
		"gg.workers=2",      "w.workers=many", "w.input=[a, b]",
		"w.params.pattern=", "g.params=oops",  "s.inputs=x",
	};
	assert_int_equal(load(V GEN WORK SINK, sets, 6, &cfg, &d), PL_EINVAL);
	assert_null(cfg);
	/* All at 0:0 of <command-line>: the overrides' own errors first, then
	 * the checks of what they set, node by node. */
	assert_int_equal(d.errors, 6);
	expect(&d, 0, PL_D_SET_NO_NODE, "<command-line>", 0, 0,
	       "--set 'gg.workers=2': t.yaml has no node named 'gg'; did you mean 'g'?");
	expect(&d, 1, PL_D_SET_NOT_SCALAR, "<command-line>", 0, 0,
	       "--set 'g.params=oops': 'params' of node 'g' is a mapping");
	expect(&d, 2, PL_D_NOT_INTEGER, "<command-line>", 0, 0,
	       "--set 'w.workers=many': 'workers' must be an integer, got 'many'");
	expect(&d, 3, PL_D_PARAM_EMPTY, "<command-line>", 0, 0,
	       "--set 'w.params.pattern=': parameter 'pattern' has no value");
	expect(&d, 4, PL_D_BAD_NAME, "<command-line>", 0, 0,
	       "--set 'w.input=[a, b]': channel name '[a, b]' may hold only letters");
	expect(&d, 5, PL_D_INPUT_AND_INPUTS, "<command-line>", 0, 0,
	       "--set 's.inputs=x': node 's' has both 'input' and 'inputs'");
	pl_diags_clear(&d);

	/* A list cannot be replaced by --set. */
	static const char fanin[] = V "  - {name: a, type: generator, stage: seq, output: x}\n"
				      "  - {name: b, type: generator, stage: seq, output: y}\n"
				      "  - {name: m, type: fan-in, inputs: [x, y], output: z}\n"
				      "  - {name: s, type: sink, stage: null, input: z}\n";
	static const char *const list[] = { "m.inputs=x" };
	assert_int_equal(load(fanin, list, 1, &cfg, &d), PL_EINVAL);
	assert_int_equal(d.errors, 1);
	expect(&d, 0, PL_D_SET_NOT_SCALAR, "<command-line>", 0, 0,
	       "'inputs' of node 'm' is a sequence");
	pl_diags_clear(&d);
}

/* A mapping shared through an anchor is copied before an override
 * changes it: only the node named is changed. */
static void test_set_shared_anchor(void **state)
{
	(void)state;
	pl_config *cfg;
	pl_diags d;
	static const char text[] = V
		"  - { name: a, type: generator, stage: seq, params: &p { count: 2 }, output: x }\n"
		"  - { name: b, type: generator, stage: seq, params: *p, output: y }\n"
		"  - { name: m, type: fan-in, inputs: [x, y], output: z }\n"
		"  - { name: s, type: sink, stage: null, input: z }\n";
	static const char *const sets[] = { "a.params.count=5", "b.params.start=9" };
	assert_int_equal(load(text, sets, 2, &cfg, &d), 0);
	int64_t v;
	assert_int_equal(pl_params_int(cfg->nodes[0].param_values, "count", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(pl_params_int(cfg->nodes[0].param_values, "start", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(pl_params_int(cfg->nodes[1].param_values, "count", &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(pl_params_int(cfg->nodes[1].param_values, "start", &v), 0);
	assert_int_equal(v, 9);
	pl_config_free(cfg);
	pl_diags_clear(&d);
}

/* A value --set replaces is not expanded: its unset variable is no error;
 * the override's own text is not expanded either. */
static void test_set_before_interpolation(void **state)
{
	(void)state;
	pl_config *cfg;
	pl_diags d;
	static const char text[] =
		V "  - name: g\n"
		  "    type: generator\n"
		  "    stage: seq\n"
		  "    params: {count: \"${COUNT}\"}\n"
		  "    output: c\n"
		  "  - {name: w, type: fan-out, stage: grep, params: {pattern: x}, "
		  "input: c, output: d}\n" SINK;
	static const char *const sets[] = { "g.params.count=2", "w.params.pattern=${A}" };
	assert_int_equal(load(text, sets, 2, &cfg, &d), 0);
	assert_int_equal(d.errors, 0);
	const char *pattern;
	assert_int_equal(pl_params_string(cfg->nodes[1].param_values, "pattern", &pattern), 0);
	assert_string_equal(pattern, "${A}");
	pl_config_free(cfg);
	pl_diags_clear(&d);
}

/* A "\0" escape would cut a C string short: refused, once, where it is. */
static void test_nul_refused(void **state)
{
	(void)state;
	pl_config *cfg;
	pl_diags d;
	static const char text[] =
		V "  - { name: \"g\\0x\", type: generator, stage: seq, output: c }\n"
		  "  - { name: s, type: sink, stage: null, input: \"c\\0y\" }\n";
	assert_int_equal(load(text, NULL, 0, &cfg, &d), PL_EINVAL);
	assert_int_equal(d.errors, 2);
	expect(&d, 0, PL_D_NOT_STRING, "t.yaml", 3, 13, "may not hold a NUL character");
	expect(&d, 1, PL_D_NOT_STRING, "t.yaml", 4, 48, "may not hold a NUL character");
	pl_diags_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expansions),
		cmocka_unit_test(test_bad_references),
		cmocka_unit_test(test_expansion_limit),
		cmocka_unit_test(test_set_syntax),
		cmocka_unit_test(test_values_interpolated),
		cmocka_unit_test(test_unset_reported_once),
		cmocka_unit_test(test_keys_not_expanded),
		cmocka_unit_test(test_set_overrides),
		cmocka_unit_test(test_set_errors),
		cmocka_unit_test(test_set_shared_anchor),
		cmocka_unit_test(test_nul_refused),
		cmocka_unit_test(test_set_before_interpolation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
