/* test_plugins_cli.c - plugins and the binary: a broken one from --plugin, from a directory of
 * PIPELINE_PLUGIN_PATH or from a config's `plugins:`, and a good one running. */
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

/* PL_TEST_PLUGIN_DIR (tests/plugins/CMakeLists.txt) holds NAME.so for each test plugin. */
#define PLUGIN(name) PL_TEST_PLUGIN_DIR "/" name ".so"

/* A scratch directory for configs and plugin directories. */
static char scratch[64];

/* `validate --plugin FILE` with a broken FILE: exit 2, the diagnostic against <command-line>,
 * and no file is checked. */
static void test_cli_plugin_option(void **state)
{
	(void)state;
	struct result *r = malloc(sizeof(*r));
	assert_non_null(r);
	/* NOLINTNEXTLINE(bugprone-suspicious-missing-comma): PLUGIN() joins a path */
	RUN(r, "validate", "--plugin", PLUGIN("abi_2_0"), "pipelines/hello.yaml");
	assert_int_equal(r->code, 2);
	assert_string_equal(r->out, "");
	char want[1024];
	snprintf(
		want, sizeof(want),
		"<command-line>: error: plugin '%s' refused: it was built for plugin ABI 2.0, and "
		"this pipeline provides 1.2; rebuild it against this pipeline's pipeline/plugin.h, "
		"or upgrade pipeline [PL092]\n",
		PLUGIN("abi_2_0"));
	assert_string_equal(r->err, want);
	RUN(r, "run", "--plugin", PLUGIN("good"), "--plugin", PLUGIN("good_copy"),
	    "pipelines/hello.yaml");
	assert_int_equal(r->code, 2);
	assert_string_equal(r->out, "");
	snprintf(want, sizeof(want),
		 "<command-line>: error: plugin '%s' refused: its stage 'test-halve' clashes with "
		 "the stage of that name from %s; rename one of them, or load only one of the two "
		 "[PL094]\n",
		 PLUGIN("good_copy"), PLUGIN("good"));
	assert_string_equal(r->err, want);
	free(r);
}

/* A directory of PIPELINE_PLUGIN_PATH with a broken plugin: exit 2, reported against the
 * variable.  With a good one instead, its stages run, also when the config loads it again. */
static void test_cli_plugin_path(void **state)
{
	(void)state;
	struct result *r = malloc(sizeof(*r));
	assert_non_null(r);
	char dir[128], link_path[192], env[256], config[192];
	snprintf(dir, sizeof(dir), "%s/path", scratch);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(link_path, sizeof(link_path), "%s/bad_magic.so", dir);
	assert_int_equal(symlink(PLUGIN("bad_magic"), link_path), 0);
	snprintf(env, sizeof(env), "PIPELINE_PLUGIN_PATH=/nonexistent:%s", dir);
	run_env(r, (const char *const[]){ env, NULL },
		(const char *const[]){ "validate", "pipelines/hello.yaml", NULL });
	assert_int_equal(r->code, 2);
	assert_string_equal(r->out, "");
	char want[512];
	snprintf(want, sizeof(want),
		 "PIPELINE_PLUGIN_PATH: error: plugin '%s' refused: its descriptor does not start "
		 "with the magic number 0x504c5047 (found 0x47504c50): not a pipeline plugin, or "
		 "built from another header [PL092]\n",
		 link_path);
	assert_string_equal(r->err, want);
	(void)remove(link_path);

	snprintf(link_path, sizeof(link_path), "%s/good.so", dir);
	assert_int_equal(symlink(PLUGIN("good"), link_path), 0);
	snprintf(config, sizeof(config), "%s/twice.yaml", scratch);
	FILE *f = fopen(config, "w");
	assert_non_null(f);
	fputs("version: 1\nplugins: [path/good.so]\nnodes:\n"
	      "  - { name: g, type: generator, stage: seq, params: { count: 3 }, output: a }\n"
	      "  - { name: t, type: fan-out, stage: test-twice, input: a, output: b }\n"
	      "  - { name: s, type: sink, stage: stdout, input: b }\n",
	      f);
	assert_int_equal(fclose(f), 0);
	run_env(r, (const char *const[]){ env, NULL },
		(const char *const[]){ "run", "-q", config, NULL });
	assert_string_equal(r->err, "");
	assert_int_equal(r->code, 0);
	assert_string_equal(r->out, "1\n1\n2\n2\n3\n3\n");
	(void)remove(config);
	(void)remove(link_path);
	rmdir(dir);
	free(r);
}

/* Writes `config`: seq into the sink test-init-fails of `plugin`, with `params` (a flow
 * mapping, on a line of its own: line 6) or none. */
static void write_init_config(const char *config, const char *plugin, const char *params)
{
	FILE *f = fopen(config, "w");
	assert_non_null(f);
	fprintf(f,
		"version: 1\nplugins: [%s]\nnodes:\n"
		"  - { name: g, type: generator, stage: seq, output: a }\n"
		"  - { name: s, type: sink, stage: test-init-fails, input: a%s\n%s%s%s }\n",
		plugin, params != NULL ? "," : "", params != NULL ? "      params: " : "",
		params != NULL ? params : "", params != NULL ? "\n   " : "");
	assert_int_equal(fclose(f), 0);
}

/* `run` with a stage whose init() fails: exit 2, the plugin's message. */
static void test_cli_init_fails(void **state)
{
	(void)state;
	struct result *r = malloc(sizeof(*r));
	assert_non_null(r);
	char config[192];
	snprintf(config, sizeof(config), "%s/init.yaml", scratch);
	write_init_config(config, PLUGIN("init_fail"), NULL);
	RUN(r, "run", config);
	assert_int_equal(r->code, 2);
	char want[512];
	snprintf(want, sizeof(want),
		 "%s:5:35: error: node 's' (stage 'test-init-fails') failed to start: cannot open "
		 "the frobnicator '/dev/frob0' (worker 0) [PL080]\n",
		 config);
	assert_string_equal(r->err, want);
	RUN(r, "validate", config);
	assert_int_equal(r->code, 0);

	/* With PL_STAGE_INIT_CHECKS, validate calls init() too (PL059, on stdout), and so
	 * does run before anything starts. */
	write_init_config(config, PLUGIN("init_checks"), "{ device: /dev/frob9 }");
	snprintf(want, sizeof(want),
		 "%s:6:15: error: node 's' (stage 'test-init-fails'): cannot open the "
		 "frobnicator '/dev/frob9' (worker 0) [PL059]\n",
		 config);
	RUN(r, "validate", config);
	assert_int_equal(r->code, 1);
	assert_string_equal(r->out, want);
	RUN(r, "run", config);
	assert_int_equal(r->code, 2);
	assert_string_equal(r->err, want);

	/* The flag in a descriptor of ABI 1.1's size is not read: run's start finds it. */
	write_init_config(config, PLUGIN("init_checks_1_1"), NULL);
	RUN(r, "validate", config);
	assert_int_equal(r->code, 0);
	RUN(r, "run", config);
	assert_int_equal(r->code, 2);
	assert_non_null(strstr(r->err, "failed to start: cannot open the frobnicator "
				       "'/dev/frob0' (worker 0) [PL080]\n"));
	(void)remove(config);
	free(r);
}

/* A config whose `plugins:` names a broken one: `validate` exits 1 with the diagnostic on
 * standard output, `run` exits 2 with it on standard error, before any stage starts. */
static void test_cli_config_entry(void **state)
{
	(void)state;
	struct result *r = malloc(sizeof(*r));
	assert_non_null(r);
	char config[192], want[1024];
	snprintf(config, sizeof(config), "%s/entry.yaml", scratch);
	FILE *f = fopen(config, "w");
	assert_non_null(f);
	fprintf(f,
		"version: 1\nplugins:\n  - %s\nnodes:\n"
		"  - { name: g, type: generator, stage: seq, output: a }\n"
		"  - { name: s, type: sink, stage: stdout, input: a }\n",
		PLUGIN("dup_param"));
	assert_int_equal(fclose(f), 0);
	snprintf(want, sizeof(want),
		 "%s:3:5: error: plugin '%s' refused: stage 'test-dup-param' declares parameter "
		 "'n' twice [PL093]\n",
		 config, PLUGIN("dup_param"));
	RUN(r, "validate", config);
	assert_int_equal(r->code, 1);
	assert_string_equal(r->out, want);
	RUN(r, "run", config);
	assert_int_equal(r->code, 2);
	assert_string_equal(r->out, "");
	assert_string_equal(r->err, want);
	(void)remove(config);
	free(r);
}

static int setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/pl-plugins-cli-XXXXXX");
	return mkdtemp(scratch) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_plugin_option),
		cmocka_unit_test(test_cli_plugin_path),
		cmocka_unit_test(test_cli_init_fails),
		cmocka_unit_test(test_cli_config_entry),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
