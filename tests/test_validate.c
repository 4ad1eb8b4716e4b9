/* test_validate.c - `pipeline validate` end to end: exit codes, text and JSON, directories, --set,
 * ${VAR}. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_harness.h"
#include "json_check.h"

static struct result res;

/* A scratch directory, removed by the test's end (rm -r on a mkdtemp name). */
static char dir[64];

static int setup(void **state)
{
	(void)state;
	return scratch_setup(dir, "validate");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_teardown(dir);
}

/* Writes `text` to dir/name (making parent directories); returns the path. */
static const char *put(const char *name, const char *text)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

#define GOOD                                                      \
	"version: 1\nnodes:\n"                                    \
	"  - {name: g, type: generator, stage: seq, output: c}\n" \
	"  - {name: s, type: sink, stage: null, input: c}\n"

/* Four errors (one a key the graph rules can see past) and a warning. */
#define BAD                                                       \
	"version: 1\n"                                            \
	"channels:\n"                                             \
	"  spare: {buffer: 2}\n"                                  \
	"nodes:\n"                                                \
	"  - {name: g, type: generator, stage: seq, output: c}\n" \
	"  - {name: h, type: generator, stage: seq, output: c}\n" \
	"  - {name: s, type: sink, stage: stdot, input: c}\n"     \
	"  - {name: t, type: sink, stage: null, input: c, \"a\\\"b\": 1}\n"

static void test_examples_are_valid(void **state)
{
	(void)state;
	RUN(&res, "validate", "--werror", "pipelines");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "");
	assert_non_null(strstr(res.err, " files checked: 0 errors, 0 warnings\n"));
	RUN(&res, "validate", "--format", "json", "--quiet", "pipelines/hello.yaml");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "[]\n");
	assert_string_equal(res.err, "");
}

static void test_text_output(void **state)
{
	(void)state;
	const char *bad = put("bad.yaml", BAD);
	char expected[4096];
	snprintf(expected, sizeof(expected),
		 "%1$s:3:3: warning: channel 'spare' is declared under 'channels' but no node "
		 "writes or reads it; remove it [PL070]\n"
		 "%1$s:6:52: error: channel 'c' has two producers, 'g' (line 5) and 'h' (line 6); "
		 "merge them with a fan-in node [PL060]\n"
		 "%1$s:7:34: error: unknown stage 'stdot'; did you mean 'stdout'? [PL050]\n"
		 "%1$s:8:47: error: channel 'c' has two consumers, 's' (line 7) and 't' (line 8); "
		 "each message goes to one reader only: use one fan-out node with 'workers: N' to "
		 "share the work, or give each reader its own channel [PL061]\n"
		 "%1$s:8:50: error: unknown key 'a\"b' in a node; a stage's parameters go under "
		 "'params:' [PL014]\n",
		 bad);
	RUN(&res, "validate", bad);
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, expected);
	assert_string_equal(res.err, "pipeline: 1 file checked: 4 errors, 1 warning\n");
}

static void test_json_output(void **state)
{
	(void)state;
	const char *bad = put("bad.yaml", BAD);
	char bad_path[256];
	snprintf(bad_path, sizeof(bad_path), "%s", bad);
	RUN(&res, "validate", "--format=json", "pipelines/hello.yaml", bad_path, "no/such.yaml");
	assert_int_equal(res.code, 1);
	struct json_diag d[16];
	size_t n;
	char err[128];
	if (json_parse_diags(res.out, d, 16, &n, err, sizeof(err)) != 0)
		fail_msg("not JSON: %s\n%s", err, res.out);
	assert_int_equal(n, 6);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(d[i].fields, 6);
	assert_string_equal(d[0].file, bad_path);
	assert_int_equal(d[0].line, 3);
	assert_int_equal(d[0].column, 3);
	assert_string_equal(d[0].severity, "warning");
	assert_string_equal(d[0].code, "PL070");
	assert_string_equal(d[1].code, "PL060");
	assert_string_equal(d[1].severity, "error");
	assert_int_equal(d[4].line, 8);
	assert_int_equal(d[4].column, 50);
	assert_string_equal(
		d[4].message,
		"unknown key 'a\"b' in a node; a stage's parameters go under 'params:'");
	assert_string_equal(d[5].file, "no/such.yaml");
	assert_int_equal(d[5].line, 0);
	assert_int_equal(d[5].column, 0);
	assert_string_equal(d[5].code, "PL001");
	assert_string_equal(res.err, "pipeline: 3 files checked: 5 errors, 1 warning\n");
}

static void test_werror(void **state)
{
	(void)state;
	const char *path =
		put("warn.yaml", "version: 1\nchannels: {spare: {}}\nnodes:\n"
				 "  - {name: g, type: generator, stage: seq, output: c}\n"
				 "  - {name: s, type: sink, stage: null, input: c}\n");
	char p[256];
	snprintf(p, sizeof(p), "%s", path);
	RUN(&res, "validate", p);
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, ":2:12: warning: channel 'spare'"));
	RUN(&res, "validate", "--werror", p);
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "0 errors, 1 warning (--werror: warnings fail)\n"));
}

static void test_directories(void **state)
{
	(void)state;
	put("tree/b.yml", GOOD);
	put("tree/a.yaml", GOOD);
	put("tree/sub/c.yaml", "version: 2\nnodes:\n"
			       "  - {name: g, type: generator, stage: seq, output: c}\n"
			       "  - {name: s, type: sink, stage: null, input: c}\n");
	put("tree/notes.txt", "not a config");
	put("tree/.hidden/d.yaml", "broken: [");
	put("empty/readme.md", "nothing here");
	char fifo[128];
	snprintf(fifo, sizeof(fifo), "%s/tree/pipe.yaml", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0); /* reading it would block: skipped */
	put("tree/UPPER.YML", GOOD);
	char tree[128], empty[128];
	snprintf(tree, sizeof(tree), "%s/tree", dir);
	snprintf(empty, sizeof(empty), "%s/empty", dir);
	RUN(&res, "validate", "--format", "json", tree);
	assert_int_equal(res.code, 1);
	struct json_diag d[4];
	size_t n;
	char err[128];
	assert_int_equal(json_parse_diags(res.out, d, 4, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_non_null(strstr(d[0].file, "/tree/sub/c.yaml"));
	assert_string_equal(d[0].code, "PL020");
	assert_string_equal(res.err, "pipeline: 4 files checked: 1 error, 0 warnings\n");
	RUN(&res, "validate", empty);
	assert_int_equal(res.code, 2);
	assert_non_null(strstr(res.err, "validate: no *.yaml or *.yml file under"));
}

static void test_usage(void **state)
{
	(void)state;
	static const struct {
		const char *args[4];
		const char *err;
	} cases[] = {
		{ { "validate", NULL },
		  "pipeline: validate: no FILE given; see 'pipeline validate "
		  "--help'\n" },
		{ { "validate", "--strict", "x.yaml", NULL },
		  "pipeline: validate: unknown option '--strict'; see 'pipeline validate "
		  "--help'\n" },
		{ { "validate", "--format", "xml", NULL },
		  "pipeline: validate: unknown format 'xml'; use 'text' or 'json'\n" },
		{ { "validate", "--format", NULL }, "pipeline: --format needs a value\n" },
		{ { "validate", "--set", "fetch", NULL },
		  "pipeline: --set 'fetch' has no '='; write NODE.KEY=VALUE or "
		  "NODE.params.KEY=VALUE, e.g. --set fetch.workers=8 or --set "
		  "fetch.params.ms=5\n" },
		{ { "validate", "-", "-", NULL },
		  "pipeline: validate: '-' (standard input) given twice\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run(&res, NULL, 0, cases[i].args);
		assert_int_equal(res.code, 2);
		assert_string_equal(res.err, cases[i].err);
		assert_string_equal(res.out, "");
	}
	RUN(&res, "validate", "--help");
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Usage: pipeline validate"));
}

/* ${VAR} comes from the environment; --set applies to validate and run. */
static void test_env_and_set(void **state)
{
	(void)state;
	const char *path = put("env.yaml", "version: 1\nnodes:\n"
					   "  - name: g\n"
					   "    type: generator\n"
					   "    stage: seq\n"
					   "    params:\n"
					   "      count: ${COUNT}\n"
					   "      start: ${START:-7}\n"
					   "    output: c\n"
					   "  - {name: s, type: sink, stage: stdout, input: c}\n");
	char p[256];
	snprintf(p, sizeof(p), "%s", path);
	RUN(&res, "validate", p);
	assert_int_equal(res.code, 1);
	char expected[512];
	snprintf(expected, sizeof(expected),
		 "%s:7:14: error: environment variable 'COUNT' is not set; set it, or give a "
		 "default with ${COUNT:-default} [PL030]\n",
		 p);
	assert_string_equal(res.out, expected);
	run_env(&res, (const char *const[]){ "COUNT=2", NULL },
		(const char *const[]){ "run", "--quiet", p, NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "7\n8\n");
	run_env(&res, (const char *const[]){ "COUNT=2", NULL },
		(const char *const[]){ "run", "-q", "--set", "g.params.start=1",
				       "--set=g.params.count=3", p, NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "1\n2\n3\n");
	RUN(&res, "run", "--set", "gg.params.count=3", "pipelines/hello.yaml");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.err, "<command-line>: error: --set 'gg.params.count=3': "
				     "pipelines/hello.yaml has no node named 'gg' [PL032]\n");
	RUN(&res, "validate", "--set", "numbers.params.count=x", "pipelines/hello.yaml");
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out,
			    "<command-line>: error: --set 'numbers.params.count=x': parameter "
			    "'count' of stage 'seq': expected an integer, got 'x' [PL055]\n");
}

/* --no-plugins loads nothing (no plugin code runs): the stages plugins
 * would bring go unchecked, a typo of a built-in is still an error. */
static void test_no_plugins(void **state)
{
	(void)state;
	const char *path =
		put("np.yaml", "version: 1\nplugins: [no/such/libx.so]\nnodes:\n"
			       "  - {name: g, type: generator, stage: seq, output: c}\n"
			       "  - {name: w, type: fan-out, stage: words, input: c, output: d}\n"
			       "  - {name: s, type: sink, stage: null, input: d}\n");
	char p[256];
	snprintf(p, sizeof(p), "%s", path);
	RUN(&res, "validate", p);
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.out, ":2:11: error: cannot load plugin '"));
	RUN(&res, "validate", "--no-plugins", "--werror", p, "pipelines");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "");
	put("np.yaml", "version: 1\nplugins: [no/such/libx.so]\nnodes:\n"
		       "  - {name: g, type: generator, stage: seq, output: c}\n"
		       "  - {name: s, type: sink, stage: stdoutt, input: c}\n");
	RUN(&res, "validate", "--no-plugins", p);
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.out, ":5:34: error: unknown stage 'stdoutt'; did you mean "
					"'stdout'? [PL050]\n"));
	RUN(&res, "validate", "--no-plugins", "--plugin", "x.so", p);
	assert_int_equal(res.code, 2);
	assert_string_equal(
		res.err, "pipeline: validate: --plugin and --no-plugins contradict each other\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples_are_valid), cmocka_unit_test(test_text_output),
		cmocka_unit_test(test_json_output),        cmocka_unit_test(test_werror),
		cmocka_unit_test(test_directories),        cmocka_unit_test(test_usage),
		cmocka_unit_test(test_env_and_set),        cmocka_unit_test(test_no_plugins),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
