/* test_stages_cmd.c - `pipeline stages` end to end: the listing, one stage, JSON, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_harness.h"
#include "json_check.h"

static struct result res;

/* An empty scratch directory for PIPELINE_PLUGIN_PATH, and the variable. */
static char dir[64];
static char plugin_path[128];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/pl-stages-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(plugin_path, sizeof(plugin_path), "PIPELINE_PLUGIN_PATH=%s", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

/* `pipeline ARGS...` with PIPELINE_PLUGIN_PATH set to the empty directory. */
#define STAGES(r, ...)                                           \
	run_env((r), (const char *const[]){ plugin_path, NULL }, \
		(const char *const[]){ __VA_ARGS__, NULL })

/* The built-ins, in the order they are registered. */
static const struct {
	const char *name, *kind, *node_type;
} builtins[] = {
	{ "seq", "generator", "generator" },
	{ "lines", "generator", "generator" },
	{ "fixed", "generator", "generator" },
	{ "upper", "transform", "fan-out" },
	{ "grep", "transform", "fan-out" },
	{ "delay", "transform", "fan-out" },
	{ "hash", "transform", "fan-out" },
	{ "exec", "transform", "fan-out" },
#ifdef PL_HAVE_JANSSON
	{ "json", "transform", "fan-out" },
#endif
#ifdef PL_HAVE_CURL
	{ "http", "transform", "fan-out" },
#endif
	{ "stdout", "sink", "sink" },
	{ "file", "sink", "sink" },
	{ "null", "sink", "sink" },
	{ "count", "sink", "sink" },
#ifdef PL_HAVE_LWS
	{ "websocket", "generator", "generator" },
#endif
};
#define N_BUILTINS (sizeof(builtins) / sizeof(builtins[0]))

/* Line `k` (0-based) of `text` into buf; returns 0, or -1 past the end. */
static int line_of(const char *text, size_t k, char *buf, size_t len)
{
	const char *p = text;
	for (size_t i = 0; i < k; i++) {
		p = strchr(p, '\n');
		if (p == NULL)
			return -1;
		p++;
	}
	if (*p == '\0')
		return -1;
	size_t n = strcspn(p, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return 0;
}

static void test_list_text(void **state)
{
	(void)state;
	STAGES(&res, "stages");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");
	char line[1024], header[1024];
	assert_int_equal(line_of(res.out, 0, header, sizeof(header)), 0);
	assert_true(strncmp(header, "NAME ", 5) == 0);
	const char *kind_col = strstr(header, "KIND"), *origin_col = strstr(header, "ORIGIN"),
		   *desc_col = strstr(header, "DESCRIPTION");
	assert_non_null(kind_col);
	assert_non_null(origin_col);
	assert_non_null(desc_col);
	/* The built-ins first, in order, each with its kind and origin in the
	 * header's columns (plugins from the default directory may follow). */
	for (size_t i = 0; i < N_BUILTINS; i++) {
		assert_int_equal(line_of(res.out, i + 1, line, sizeof(line)), 0);
		char name[64], kind[64], origin[64];
		assert_int_equal(sscanf(line, "%63s %63s %63s", name, kind, origin), 3);
		assert_string_equal(name, builtins[i].name);
		assert_string_equal(kind, builtins[i].kind);
		assert_string_equal(origin, "built-in");
		assert_true(strncmp(line + (kind_col - header), kind, strlen(kind)) == 0);
		assert_true(strncmp(line + (origin_col - header), "built-in ", 9) == 0);
		assert_true(line[desc_col - header] != ' ' && line[desc_col - header - 1] == ' ');
		assert_true(line[strlen(line) - 1] != ' ');
	}
	/* Widths depend on the plugins of the default directory, if any. */
	assert_int_equal(line_of(res.out, 5, line, sizeof(line)), 0);
	assert_string_equal(line + (desc_col - header),
			    "keeps the messages matching a POSIX extended regular expression");
	/* A directory of the path that does not exist is no error either. */
	run_env(&res, (const char *const[]){ "PIPELINE_PLUGIN_PATH=/nonexistent-pl-dir:", NULL },
		(const char *const[]){ "stages", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");
	assert_true(strncmp(res.out, "NAME ", 5) == 0);
}

static void test_show_text(void **state)
{
	(void)state;
	STAGES(&res, "stages", "grep");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");
	assert_string_equal(
		res.out,
		"Name         grep\n"
		"Kind         transform\n"
		"Node type    fan-out\n"
		"Description  keeps the messages matching a POSIX extended regular expression\n"
		"Origin       built-in\n"
		"Max workers  any\n"
		"\n"
		"Parameters:\n"
		"  NAME     TYPE     DEFAULT     DESCRIPTION\n"
		"  pattern  string   (required)  a POSIX extended regular expression\n"
		"  invert   boolean  false       keep the messages that do not match instead\n"
		"  fail     boolean  false       a message not kept is a stage error "
		"(for on_error) instead of being dropped\n"
		"\n"
		"Example node:\n"
		"  - name: grep\n"
		"    type: fan-out\n"
		"    stage: grep\n"
		"    params:\n"
		"      pattern: \"...\"\n"
		"    input: in\n"
		"    output: out\n");

	/* A range, a parameter with neither default nor requirement, one worker. */
	STAGES(&res, "stages", "seq");
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "\nMax workers  1\n"));
	assert_non_null(strstr(res.out,
			       "\n  NAME   TYPE     DEFAULT  RANGE  DESCRIPTION\n"
			       "  count  integer  (none)   >= 0   how many numbers to emit; "
			       "unlimited when not given\n"
			       "  start  integer  1               the first number\n"));
	assert_non_null(strstr(res.out, "    stage: seq\n    output: out\n"));
	STAGES(&res, "stages", "delay");
	assert_int_equal(res.code, 0);
	assert_non_null(
		strstr(res.out, "  ms         integer  (required)  0..86400000  milliseconds"));
	assert_non_null(strstr(res.out, "    params:\n      ms: 1\n    input: in\n"));
	/* No parameters; a stage name YAML would read as null is quoted. */
	STAGES(&res, "stages", "null");
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "\nParameters: none\n\nExample node:\n"
					"  - name: \"null\"\n    type: sink\n    stage: null\n"
					"    input: in\n"));
}

/* The example node of every built-in, in a pipeline of its own, passes
 * `pipeline validate --werror`. */
static void test_examples_validate(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_BUILTINS; i++) {
		STAGES(&res, "stages", builtins[i].name);
		assert_int_equal(res.code, 0);
		const char *ex = strstr(res.out, "Example node:\n");
		assert_non_null(ex);
		ex += strlen("Example node:\n");
		char yaml[4096];
		int kind_gen = strcmp(builtins[i].kind, "generator") == 0;
		int kind_sink = strcmp(builtins[i].kind, "sink") == 0;
		snprintf(yaml, sizeof(yaml), "version: 1\nnodes:\n%s%s%s",
			 kind_gen ? ""
				  : "  - {name: zg, type: generator, stage: seq, output: in}\n",
			 ex,
			 kind_sink ? "" : "  - {name: zs, type: sink, stage: null, input: out}\n");
		assert_non_null(strstr(ex, builtins[i].node_type));
		run(&res, yaml, 0,
		    (const char *const[]){ "validate", "--werror", "-q", "-", NULL });
		if (res.code != 0)
			fail_msg("the example of '%s' is refused:\n%s%s", builtins[i].name, yaml,
				 res.out);
	}
}

static void test_json(void **state)
{
	(void)state;
	char err[256];
	STAGES(&res, "stages", "--format", "json");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");
	if (json_valid(res.out, err, sizeof(err)) != 0)
		fail_msg("not JSON: %s\n%s", err, res.out);
	static const char head[] = "[\n  {\n    \"name\": \"seq\",\n";
	assert_true(strncmp(res.out, head, strlen(head)) == 0);
	const char *at = res.out;
	for (size_t i = 0; i < N_BUILTINS; i++) {
		char want[256];
		snprintf(want, sizeof(want),
			 "{\n    \"name\": \"%s\",\n    \"kind\": \"%s\",\n"
			 "    \"node_type\": \"%s\",\n    \"origin\": \"built-in\",\n",
			 builtins[i].name, builtins[i].kind, builtins[i].node_type);
		const char *found = strstr(at, want);
		if (found == NULL) {
			fail_msg("no (or a misplaced) object for '%s' in\n%s", builtins[i].name,
				 res.out);
			return;
		}
		at = found + 1; /* in registration order */
	}
	assert_non_null(strstr(res.out,
			       "{\"name\": \"ms\", \"type\": \"integer\", \"required\": "
			       "true, \"default\": null, \"min\": 0, \"max\": 86400000, "));
	assert_non_null(strstr(res.out, "    \"params\": []\n  },\n"));

	STAGES(&res, "stages", "grep", "--format=json");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");
	if (json_valid(res.out, err, sizeof(err)) != 0)
		fail_msg("not JSON: %s\n%s", err, res.out);
	assert_string_equal(
		res.out,
		"{\n"
		"  \"name\": \"grep\",\n"
		"  \"kind\": \"transform\",\n"
		"  \"node_type\": \"fan-out\",\n"
		"  \"origin\": \"built-in\",\n"
		"  \"description\": \"keeps the messages matching a POSIX extended regular "
		"expression\",\n"
		"  \"max_workers\": 0,\n"
		"  \"params\": [\n"
		"    {\"name\": \"pattern\", \"type\": \"string\", \"required\": true, "
		"\"default\": "
		"null, \"min\": null, \"max\": null, \"description\": \"a POSIX extended regular "
		"expression\"},\n"
		"    {\"name\": \"invert\", \"type\": \"boolean\", \"required\": false, "
		"\"default\": \"false\", \"min\": null, \"max\": null, \"description\": \"keep the "
		"messages that do not match instead\"},\n"
		"    {\"name\": \"fail\", \"type\": \"boolean\", \"required\": false, "
		"\"default\": \"false\", \"min\": null, \"max\": null, \"description\": \"a "
		"message not kept is a stage error (for on_error) instead of being dropped\"}\n"
		"  ]\n"
		"}\n");
	STAGES(&res, "stages", "--format", "json", "seq");
	assert_int_equal(res.code, 0);
	assert_int_equal(json_valid(res.out, err, sizeof(err)), 0);
	assert_non_null(strstr(res.out, "\"min\": 0, \"max\": 9223372036854775807, "));
}

/* The checker itself: what it accepts and what it refuses. */
static void test_json_valid(void **state)
{
	(void)state;
	char err[128];
	static const char *const good[] = {
		"{}",
		"[]",
		" 0 ",
		"-1.5e+3",
		"\"a\\u00e9\\n\"",
		"null",
		"true",
		"{\"a\": [1, {\"b\": null}], \"c\": \"\xc3\xa9\"}\n",
	};
	static const char *const bad[] = {
		"",        "{",         "[1,]",    "{\"a\":1,}", "{'a': 1}",  "01",
		"[1] [2]", "\"\t\"",    "\"\\x\"", "tru",        "{\"a\" 1}", "\"\xc3\"",
		"nan",     "[\"a\" 1]", "{1: 2}",  "-",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (json_valid(good[i], err, sizeof(err)) != 0)
			fail_msg("refused %s: %s", good[i], err);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (json_valid(bad[i], err, sizeof(err)) == 0)
			fail_msg("accepted %s", bad[i]);
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 99);
	deep[199] = '\0';
	assert_int_equal(json_valid(deep, err, sizeof(err)), -1);
}

static void test_unknown_stage(void **state)
{
	(void)state;
	STAGES(&res, "stages", "gerp");
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, "");
	assert_string_equal(res.err,
			    "pipeline: stages: no stage named 'gerp'; did you mean 'grep'?\n");
	STAGES(&res, "stages", "--format", "json", "stdot");
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, "");
	assert_string_equal(res.err,
			    "pipeline: stages: no stage named 'stdot'; did you mean 'stdout'?\n");
	STAGES(&res, "stages", "zzzzzzzz");
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, "");
	assert_string_equal(res.err, "pipeline: stages: no stage named 'zzzzzzzz'; "
				     "'pipeline stages' lists them\n");
}

static void test_usage(void **state)
{
	(void)state;
	STAGES(&res, "stages", "--help");
	assert_int_equal(res.code, 0);
	static const char usage[] =
		"Usage: pipeline stages [--format text|json] [--plugin FILE]... [NAME]\n";
	assert_true(strncmp(res.out, usage, strlen(usage)) == 0);
	assert_string_equal(res.err, "");
	RUN(&res, "--help");
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "\n  stages [NAME]       list the stages"));

	STAGES(&res, "stages", "grep", "seq");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.out, "");
	assert_string_equal(res.err, "pipeline: stages: one stage at a time, but also got 'seq'\n");
	STAGES(&res, "stages", "");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.err, "pipeline: stages: an empty stage name\n");
	STAGES(&res, "stages", "--format", "yaml");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.err,
			    "pipeline: stages: unknown format 'yaml'; use 'text' or 'json'\n");
	STAGES(&res, "stages", "--bogus");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.err, "pipeline: stages: unknown option '--bogus'; see 'pipeline "
				     "stages --help'\n");
	STAGES(&res, "stages", "--set", "a.b=1");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.out, "");
	assert_non_null(strstr(res.err, "pipeline: stages: --set "));
	/* A plugin that cannot be loaded is a usage error, as for run. */
	STAGES(&res, "stages", "--plugin", "/nonexistent-pl-dir/libnone.so");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.out, "");
	assert_non_null(strstr(res.err, "/nonexistent-pl-dir/libnone.so"));
	assert_non_null(strstr(res.err, "[PL090]\n"));
}

static void test_write_error(void **state)
{
	(void)state;
	static const char *const cmds[][4] = {
		{ "stages", NULL },
		{ "stages", "grep", NULL },
		{ "stages", "--format", "json", NULL },
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		run(&res, NULL, 1, cmds[i]);
		assert_int_equal(res.code, 1);
		assert_non_null(strstr(res.err, "pipeline: error: cannot write to standard "
						"output: "));
	}
}

/* The examples of docs/stages.md that need no plugin are what the command
 * prints: each ```text block that starts with "$ pipeline stages ..." is
 * run, and its standard output (or, when it fails, its standard error)
 * must be the rest of the block. */
static void test_docs_examples(void **state)
{
	(void)state;
	FILE *f = fopen(PL_SOURCE_DIR "/docs/stages.md", "r");
	assert_non_null(f);
	static char md[65536];
	size_t len = fread(md, 1, sizeof(md) - 1, f);
	(void)fclose(f);
	md[len] = '\0';
	static const char fence[] = "```text\n$ pipeline stages";
	size_t checked = 0;
	for (char *p = strstr(md, fence); p != NULL; p = strstr(p, fence)) {
		char *cmd = p + strlen("```text\n$ pipeline "), *nl = strchr(cmd, '\n');
		assert_non_null(nl);
		char *end = strstr(nl, "```\n");
		assert_non_null(end);
		p = end + 1;
		*nl = '\0';
		*end = '\0';
		if (strstr(cmd, "--plugin") != NULL)
			continue; /* needs the example plugins: tests/test_plugins.c */
		const char *args[16] = { 0 };
		size_t n = 0;
		char *save = NULL;
		for (char *tok = strtok_r(cmd, " ", &save); tok != NULL && n < 15;
		     tok = strtok_r(NULL, " ", &save))
			args[n++] = tok;
		run_env(&res, (const char *const[]){ plugin_path, NULL }, args);
		const char *got = res.code == 0 ? res.out : res.err;
		if (strcmp(got, nl + 1) != 0)
			fail_msg("docs/stages.md shows for 'pipeline %s':\n%s\nbut it prints:\n%s",
				 cmd, nl + 1, got);
		checked++;
	}
	assert_true(checked >= 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_text),
		cmocka_unit_test(test_show_text),
		cmocka_unit_test(test_examples_validate),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_valid),
		cmocka_unit_test(test_unknown_stage),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_docs_examples),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
