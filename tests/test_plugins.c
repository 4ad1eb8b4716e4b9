/* test_plugins.c - loading plugins: the broken ones of tests/plugins/ each give their diagnostic
 * (from pl_registry_load and a config's `plugins:`), the good ones run through the engine.
 * The binary's --plugin and PIPELINE_PLUGIN_PATH: test_plugins_cli.c. */
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

#include "diag.h"
#include "engine.h"
#include "engine_harness.h"
#include "load.h"
#include "registry.h"

/* PL_TEST_PLUGIN_DIR (tests/plugins/CMakeLists.txt) holds NAME.so for each plugin below. */
#define PLUGIN(name) PL_TEST_PLUGIN_DIR "/" name ".so"

/* Where the loader says a shared object may come from. */
#define HINT " (a plugin is a shared object built with -shared -fPIC; see docs/plugins.md)"

/* A scratch directory with a text file x.so and a directory dir.so; see setup(). */
static char scratch[64];

/* `pattern` with each "{}" replaced by `path`.  Ownership: the caller frees it. */
static char *expand(const char *pattern, const char *path)
{
	size_t cap = strlen(pattern) + 4 * strlen(path) + 1, n = 0;
	char *out = malloc(cap);
	assert_non_null(out);
	for (const char *p = pattern; *p != '\0';) {
		if (strncmp(p, "{}", 2) == 0) {
			assert_true(n + strlen(path) < cap);
			memcpy(out + n, path, strlen(path));
			n += strlen(path);
			p += 2;
		} else {
			assert_true(n + 1 < cap);
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
	return out;
}

/* `got` is `want`, where one "*" in `want` stands for any text (dlerror()'s words). */
static void assert_matches(const char *got, const char *want)
{
	const char *star = strchr(want, '*');
	size_t head = star ? (size_t)(star - want) : strlen(want);
	size_t tail = star ? strlen(star + 1) : 0;
	if (star == NULL ? strcmp(got, want) == 0
			 : strlen(got) >= head + tail && strncmp(got, want, head) == 0 &&
				   strcmp(got + strlen(got) - tail, star + 1) == 0)
		return;
	fail_msg("got\n  %s\nwanted\n  %s", got, want);
}

/* One plugin that must be refused: its file, the code, and the message ("{}": the path). */
struct broken {
	const char *file; /* a name in PL_TEST_PLUGIN_DIR, or "@NAME" in `scratch` */
	int code;
	const char *message;
};

static const struct broken broken[] = {
	{ "@missing.so", PL_D_PLUGIN_OPEN, "cannot load plugin '{}': No such file or directory" },
	{ "@dir.so", PL_D_PLUGIN_OPEN, "cannot load plugin '{}': not a regular file" },
	{ "@x.so", PL_D_PLUGIN_OPEN, "cannot load plugin '{}': *" HINT },
	{ "plain.so", PL_D_PLUGIN_SYMBOL,
	  "'{}' is not a pipeline plugin: it has no 'pipeline_plugin' symbol (define it with "
	  "PL_PLUGIN_EXPORT(descriptor) from pipeline/plugin.h)" },
	{ "no_symbol.so", PL_D_PLUGIN_SYMBOL,
	  "'{}' is not a pipeline plugin: it has no 'pipeline_plugin' symbol (define it with "
	  "PL_PLUGIN_EXPORT(descriptor) from pipeline/plugin.h)" },
	{ "null_entry.so", PL_D_PLUGIN_MALFORMED,
	  "plugin '{}' refused: its pipeline_plugin() returned NULL" },
	{ "bad_magic.so", PL_D_PLUGIN_ABI,
	  "plugin '{}' refused: its descriptor does not start with the magic number 0x504c5047 "
	  "(found 0x47504c50): not a pipeline plugin, or built from another header" },
	{ "abi_2_0.so", PL_D_PLUGIN_ABI,
	  "plugin '{}' refused: it was built for plugin ABI 2.0, and this pipeline provides 1.2; "
	  "rebuild it against this pipeline's pipeline/plugin.h, or upgrade pipeline" },
	{ "abi_1_9.so", PL_D_PLUGIN_ABI,
	  "plugin '{}' refused: it was built for plugin ABI 1.9, and this pipeline provides 1.2; "
	  "rebuild it against this pipeline's pipeline/plugin.h, or upgrade pipeline" },
	{ "truncated.so", PL_D_PLUGIN_MALFORMED, NULL }, /* sizes: see test_truncated */
	{ "short_stage.so", PL_D_PLUGIN_MALFORMED, NULL },
	{ "bad_flags.so", PL_D_PLUGIN_MALFORMED,
	  "plugin '{}' refused: stage 'test-bad-flags' sets flags this ABI does not know (0x80)" },
	{ "bad_example.so", PL_D_PLUGIN_MALFORMED,
	  "plugin '{}' refused: stage 'test-bad-example' has an example_params that is not a "
	  "one-line YAML flow mapping ('{ name: value }')" },
	{ "bad_name.so", PL_D_PLUGIN_MALFORMED,
	  "plugin '{}' refused: stage 1 has the invalid name 'Bad Name'; a stage name is 1 to 64 "
	  "of "
	  "[a-z0-9_-]" },
	{ "no_process.so", PL_D_PLUGIN_MALFORMED,
	  "plugin '{}' refused: stage 'test-no-process' is a transform: it needs process() and "
	  "no generate()" },
	{ "bad_default.so", PL_D_PLUGIN_MALFORMED,
	  "plugin '{}' refused: stage 'test-bad-default': the default of parameter 'n' is "
	  "invalid: 'ten' (expected an integer, got 'ten')" },
	{ "dup_param.so", PL_D_PLUGIN_MALFORMED,
	  "plugin '{}' refused: stage 'test-dup-param' declares parameter 'n' twice" },
	{ "dup_stage.so", PL_D_PLUGIN_MALFORMED,
	  "plugin '{}' refused: it declares stage 'test-fine' twice" },
	{ "clash_builtin.so", PL_D_PLUGIN_CLASH,
	  "plugin '{}' refused: its stage 'upper' has the name of a built-in stage; rename it" },
};

#define N_BROKEN (sizeof(broken) / sizeof(broken[0]))

/* The path of a broken[] file.  Ownership: the caller frees it. */
static char *path_of(const char *file)
{
	char *p = malloc(512);
	assert_non_null(p);
	if (file[0] == '@')
		snprintf(p, 512, "%s/%s", scratch, file + 1);
	else
		snprintf(p, 512, "%s/%s", PL_TEST_PLUGIN_DIR, file);
	return p;
}

/* The message broken[i] must give for `path`.  Ownership: the caller frees it. */
static char *message_of(size_t i, const char *path)
{
	char pattern[512];
	if (strcmp(broken[i].file, "truncated.so") == 0)
		snprintf(pattern, sizeof(pattern),
			 "plugin '{}' refused: its descriptor is %zu bytes, smaller than the %zu "
			 "of ABI 1.0 (was it built with PL_PLUGIN_HEADER?)",
			 offsetof(pl_plugin, stages), offsetof(pl_plugin, n_stages) + 4);
	else if (strcmp(broken[i].file, "short_stage.so") == 0)
		snprintf(pattern, sizeof(pattern),
			 "plugin '{}' refused: stage 1's descriptor is %zu bytes, smaller than the "
			 "%zu of ABI 1.0 (was it built with PL_STAGE_HEADER?)",
			 offsetof(pl_stage, init), offsetof(pl_stage, flags));
	else
		snprintf(pattern, sizeof(pattern), "%s", broken[i].message);
	return expand(pattern, path);
}

/* None of the stages the broken plugins declare is registered. */
static void assert_none_added(const pl_registry *reg, size_t count_before)
{
	size_t count;
	pl_registry_names(reg, &count);
	assert_int_equal(count, count_before);
	assert_null(pl_registry_find(reg, "test-fine"));
	assert_null(pl_registry_find(reg, "test-header"));
	assert_null(pl_registry_origin(reg, "test-fine"));
	assert_string_equal(pl_registry_origin(reg, "upper"), PL_REGISTRY_BUILTIN);
}

/* Each broken file, loaded directly, gives its code and message and adds no stage; the
 * registry is still usable afterwards, and refuses the file again the same way. */
static void test_registry_load(void **state)
{
	(void)state;
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	size_t builtins;
	pl_registry_names(reg, &builtins);
	for (size_t i = 0; i < N_BROKEN; i++) {
		char *path = path_of(broken[i].file), *want = message_of(i, path);
		for (int again = 0; again < 2; again++) {
			char err[1024] = "";
			int rc = pl_registry_load(reg, path, err, sizeof(err));
			if (rc != broken[i].code)
				fail_msg("%s: code %d, wanted PL%03d (%s)", broken[i].file, rc,
					 broken[i].code, err);
			assert_matches(err, want);
			assert_none_added(reg, builtins);
		}
		free(want);
		free(path);
	}
	char err[1024] = "";
	assert_int_equal(pl_registry_load(reg, PLUGIN("good"), err, sizeof(err)), 0);
	assert_non_null(pl_registry_find(reg, "test-halve"));
	pl_registry_destroy(reg);
}

/* Each broken file named by a config's `plugins:` gives its diagnostic at the entry; a
 * relative path is taken from the config's directory. */
static void test_config_entry(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_BROKEN; i++) {
		char *path = path_of(broken[i].file), *want = message_of(i, path);
		const char *written = broken[i].file[0] == '@' ? path : broken[i].file;
		char text[1024], file[512];
		snprintf(text, sizeof(text),
			 "version: 1\nplugins: [ %s ]\nnodes:\n"
			 "  - { name: g, type: generator, stage: seq, output: c }\n"
			 "  - { name: s, type: sink, stage: null, input: c }\n",
			 written);
		snprintf(file, sizeof(file), "%s/t.yaml", PL_TEST_PLUGIN_DIR);
		pl_registry *reg;
		assert_int_equal(pl_registry_create(&reg), 0);
		pl_diags d;
		pl_diags_init(&d);
		pl_config *cfg = NULL;
		assert_int_equal(pl_load_text(file, text, strlen(text), NULL, reg, &cfg, &d),
				 PL_EINVAL);
		assert_null(cfg);
		if (d.n != 1)
			pl_diags_print(&d, stderr);
		assert_int_equal(d.n, 1);
		assert_int_equal(d.items[0].code, broken[i].code);
		assert_string_equal(d.items[0].file, file);
		assert_int_equal(d.items[0].pos.line, 2);
		assert_int_equal(d.items[0].pos.col, 12);
		assert_matches(d.items[0].message, want);
		pl_diags_clear(&d);
		pl_registry_destroy(reg);
		free(want);
		free(path);
	}
}

/* Several entries: every failure is reported at its own line, the good ones load, and a
 * node naming a stage of a refused plugin is an unknown stage. */
static void test_config_many(void **state)
{
	(void)state;
	static const char text[] =
		"version: 1\n"
		"plugins:\n"
		"  - missing.so\n"
		"  - no_symbol.so\n"
		"  - abi_2_0.so\n"
		"  - dup_stage.so\n"
		"  - good.so\n"
		"  - good.so\n"
		"  - good_copy.so\n"
		"nodes:\n"
		"  - { name: g, type: generator, stage: seq, output: a }\n"
		"  - { name: h, type: fan-out, stage: test-halve, input: a, output: b }\n"
		"  - { name: s, type: sink, stage: test-fine, input: b }\n";
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	assert_int_equal(
		pl_load_text(PL_TEST_PLUGIN_DIR "/t.yaml", text, strlen(text), NULL, reg, &cfg, &d),
		PL_EINVAL);
	pl_diags_sort(&d);
	static const struct {
		int code;
		unsigned line, col;
		const char *part;
	} want[] = {
		{ PL_D_PLUGIN_OPEN, 3, 5, "/missing.so': No such file" },
		{ PL_D_PLUGIN_SYMBOL, 4, 5, "/no_symbol.so' is not a pipeline plugin" },
		{ PL_D_PLUGIN_ABI, 5, 5, "built for plugin ABI 2.0" },
		{ PL_D_PLUGIN_MALFORMED, 6, 5, "declares stage 'test-fine' twice" },
		{ PL_D_PLUGIN_CLASH, 9, 5,
		  "plugins/good_copy.so' refused: its stage 'test-halve' clashes with the stage of "
		  "that name from " PL_TEST_PLUGIN_DIR "/good.so;" },
		/* (No PL050 for 'test-fine': its plugin was refused, and said so.) */
	};
	if (d.n != sizeof(want) / sizeof(want[0]))
		pl_diags_print(&d, stderr);
	assert_int_equal(d.n, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < d.n; i++) {
		assert_int_equal(d.items[i].code, want[i].code);
		assert_int_equal(d.items[i].pos.line, want[i].line);
		assert_int_equal(d.items[i].pos.col, want[i].col);
		if (strstr(d.items[i].message, want[i].part) == NULL)
			fail_msg("'%s' does not hold '%s'", d.items[i].message, want[i].part);
	}
	pl_diags_clear(&d);
	assert_string_equal(pl_registry_origin(reg, "test-halve"), PL_TEST_PLUGIN_DIR "/good.so");
	pl_registry_destroy(reg);
}

/* Loading one file twice, by its name or through a symbolic link, adds nothing the second
 * time and is no error; another file with the same stages is a clash naming both files. */
static void test_same_file_twice(void **state)
{
	(void)state;
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	char err[1024] = "", link_path[128];
	size_t before, after;
	pl_registry_names(reg, &before);
	assert_int_equal(pl_registry_load(reg, PLUGIN("good"), err, sizeof(err)), 0);
	pl_registry_names(reg, &after);
	assert_int_equal(after, before + 2);
	snprintf(link_path, sizeof(link_path), "%s/link.so", scratch);
	assert_int_equal(symlink(PLUGIN("good"), link_path), 0);
	assert_int_equal(pl_registry_load(reg, PLUGIN("good"), err, sizeof(err)), 0);
	assert_int_equal(pl_registry_load(reg, link_path, err, sizeof(err)), 0);
	(void)remove(link_path);
	pl_registry_names(reg, &after);
	assert_int_equal(after, before + 2);
	assert_int_equal(pl_registry_load(reg, PLUGIN("good_copy"), err, sizeof(err)),
			 PL_D_PLUGIN_CLASH);
	char *want = expand("plugin '{}_copy.so' refused: its stage 'test-halve' clashes with the "
			    "stage of that name from {}.so; rename one of them, or load only one "
			    "of the two",
			    PL_TEST_PLUGIN_DIR "/good");
	assert_string_equal(err, want);
	free(want);
	pl_registry_names(reg, &after);
	assert_int_equal(after, before + 2);
	pl_registry_destroy(reg);
}

/* A bare file name is the file in the current directory, not one the system's library path
 * would find, and the messages name it as it was given. */
static void test_bare_name(void **state)
{
	(void)state;
	char cwd[4096], err[1024] = "";
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(PL_TEST_PLUGIN_DIR), 0);
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	assert_int_equal(pl_registry_load(reg, "libm.so.6", err, sizeof(err)), PL_D_PLUGIN_OPEN);
	assert_string_equal(err, "cannot load plugin 'libm.so.6': No such file or directory");
	assert_int_equal(pl_registry_load(reg, "abi_1_9.so", err, sizeof(err)), PL_D_PLUGIN_ABI);
	assert_int_equal(strncmp(err, "plugin 'abi_1_9.so' refused: ", 29), 0);
	assert_int_equal(pl_registry_load(reg, "good.so", err, sizeof(err)), 0);
	assert_string_equal(pl_registry_origin(reg, "test-twice"), "good.so");
	assert_int_equal(pl_registry_load(reg, PLUGIN("good"), err, sizeof(err)), 0);
	assert_int_equal(chdir(cwd), 0);
	pl_registry_destroy(reg);
}

/* ---- Running the good plugins. ---------------------------------------- */

struct plugin_run {
	struct run run;
	char output[8192]; /* what the sink `file` wrote */
};

/* Loads `yaml` (its `plugins:` relative to PL_TEST_PLUGIN_DIR; "{}" in it: a file the sink
 * may write) and runs it. */
static void run_yaml(const char *yaml, struct plugin_run *r)
{
	memset(r, 0, sizeof(*r));
	char out_path[] = "/tmp/pl-plugins-out-XXXXXX";
	int fd = mkstemp(out_path);
	assert_true(fd >= 0);
	close(fd);
	char *text = expand(yaml, out_path);
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	int rc =
		pl_load_text(PL_TEST_PLUGIN_DIR "/t.yaml", text, strlen(text), NULL, reg, &cfg, &d);
	if (rc != 0)
		pl_diags_print(&d, stderr);
	pl_diags_clear(&d);
	assert_int_equal(rc, 0);
	run_config(cfg, NULL, NULL, &r->run);
	pl_config_free(cfg);
	pl_registry_destroy(reg);
	FILE *f = fopen(out_path, "r");
	assert_non_null(f);
	r->output[fread(r->output, 1, sizeof(r->output) - 1, f)] = '\0';
	(void)fclose(f);
	(void)remove(out_path);
	free(text);
}

/* A transform that drops every other message: half of them reach the sink, in order. */
static void test_run_halve(void **state)
{
	(void)state;
	struct plugin_run r;
	run_yaml("version: 1\nplugins: [good.so]\nnodes:\n"
		 "  - { name: g, type: generator, stage: seq, params: { count: 10 }, output: a }\n"
		 "  - { name: h, type: fan-out, stage: test-halve, input: a, output: b }\n"
		 "  - { name: s, type: sink, stage: file, params: { path: '{}' }, input: b }\n",
		 &r);
	assert_int_equal(r.run.rc, 0);
	assert_string_equal(r.output, "1\n3\n5\n7\n9\n");
	assert_int_equal(r.run.n_nodes, 3);
	assert_int_equal(r.run.stats[0].out, 10);
	assert_int_equal(r.run.stats[1].in, 10);
	assert_int_equal(r.run.stats[1].out, 5);
	assert_int_equal(r.run.stats[2].in, 5);
}

/* A transform that emits each message twice, alone and after the one that halves. */
static void test_run_twice(void **state)
{
	(void)state;
	struct plugin_run r;
	run_yaml("version: 1\nplugins: [good.so]\nnodes:\n"
		 "  - { name: g, type: generator, stage: seq, params: { count: 4 }, output: a }\n"
		 "  - { name: t, type: fan-out, stage: test-twice, input: a, output: b }\n"
		 "  - { name: s, type: sink, stage: file, params: { path: '{}' }, input: b }\n",
		 &r);
	assert_int_equal(r.run.rc, 0);
	assert_string_equal(r.output, "1\n1\n2\n2\n3\n3\n4\n4\n");
	assert_int_equal(r.run.stats[1].in, 4);
	assert_int_equal(r.run.stats[1].out, 8);
	assert_int_equal(r.run.stats[2].in, 8);

	run_yaml("version: 1\nplugins: [good.so, ./good.so]\nnodes:\n"
		 "  - { name: g, type: generator, stage: seq, params: { count: 6 }, output: a }\n"
		 "  - { name: h, type: fan-out, stage: test-halve, input: a, output: b }\n"
		 "  - { name: t, type: fan-out, stage: test-twice, input: b, output: c }\n"
		 "  - { name: s, type: sink, stage: file, params: { path: '{}' }, input: c }\n",
		 &r);
	assert_int_equal(r.run.rc, 0);
	assert_string_equal(r.output, "1\n1\n3\n3\n5\n5\n");
	assert_int_equal(r.run.stats[1].out, 3);
	assert_int_equal(r.run.stats[2].out, 6);
	assert_int_equal(r.run.stats[3].in, 6);
}

/* Many workers of the plugin's stages at once (for the thread sanitizer): every message
 * comes out twice, none is lost. */
static void test_run_workers(void **state)
{
	(void)state;
	enum { N = 2000 };
	struct plugin_run r;
	run_yaml(
		"version: 1\nplugins: [good.so]\nnodes:\n"
		"  - { name: g, type: generator, stage: seq, params: { count: 2000 }, output: a }\n"
		"  - { name: t, type: fan-out, workers: 8, stage: test-twice, input: a, output: b "
		"}\n"
		"  - { name: s, type: sink, stage: null, input: b }\n",
		&r);
	assert_int_equal(r.run.rc, 0);
	assert_int_equal(r.run.stats[1].in, N);
	assert_int_equal(r.run.stats[1].out, 2 * N);
	assert_int_equal(r.run.stats[2].in, 2 * N);
}

/* PL080: an init() that fails shows the plugin's own message, at the node's params; the
 * workers that had started are finished (their state freed: the sanitizers see a leak
 * otherwise). */
static void test_init_fails(void **state)
{
	(void)state;
	struct plugin_run r;
	run_yaml("version: 1\nplugins: [init_fail.so]\nnodes:\n"
		 "  - { name: g, type: generator, stage: seq, output: a }\n"
		 "  - { name: s, type: sink, workers: 3, stage: test-init-fails, params: { "
		 "fail_at: 1 }, input: a }\n",
		 &r);
	assert_int_equal(r.run.rc, PL_ESTAGE);
	assert_string_equal(r.run.diags,
			    PL_TEST_PLUGIN_DIR "/t.yaml:5:72: error: node 's' (stage "
					       "'test-init-fails') failed to start: cannot open "
					       "the frobnicator '/dev/frob0' (worker 1) [PL080]\n");
}

static int setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/pl-plugins-XXXXXX");
	if (mkdtemp(scratch) == NULL)
		return -1;
	char path[128];
	snprintf(path, sizeof(path), "%s/x.so", scratch);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		return -1;
	fputs("this is not a shared object\n", f);
	if (fclose(f) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/dir.so", scratch);
	return mkdir(path, 0700);
}

static int teardown(void **state)
{
	(void)state;
	char path[128];
	snprintf(path, sizeof(path), "%s/x.so", scratch);
	(void)remove(path);
	snprintf(path, sizeof(path), "%s/dir.so", scratch);
	rmdir(path);
	return rmdir(scratch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_load), cmocka_unit_test(test_config_entry),
		cmocka_unit_test(test_config_many),   cmocka_unit_test(test_same_file_twice),
		cmocka_unit_test(test_bare_name),     cmocka_unit_test(test_run_halve),
		cmocka_unit_test(test_run_twice),     cmocka_unit_test(test_run_workers),
		cmocka_unit_test(test_init_fails),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
