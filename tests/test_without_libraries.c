/* test_without_libraries.c - what a build without the optional libraries says of what needs
 * them: a `transport: nats` channel (PL067), a stage such as `http` (PL058).
 *
 * tests/CMakeLists.txt compiles runner/config_transport.c and stages/builtin.c into this
 * program once more without any PL_HAVE_*, so that they are what a build without the
 * libraries runs, and the library's copies are not linked in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "diag_codes.h"
#include "load.h"

static const char text[] = "version: 1\n"
			   "channels:\n"
			   "  jobs:\n"
			   "    transport: nats\n"
			   "    subject: jobs.resize\n"
			   "nodes:\n"
			   "  - { name: g, type: generator, stage: seq, output: jobs }\n";

/* One error, PL067, at the `transport` value, saying what to install. */
static void test_transport_nats_refused(void **state)
{
	(void)state;
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	int rc = pl_load_text("distributed.yaml", text, strlen(text), NULL, reg, &cfg, &d);
	assert_int_not_equal(rc, 0);
	assert_null(cfg);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.items[0].code, PL_D_NATS_UNAVAILABLE);
	assert_int_equal(d.items[0].pos.line, 4);
	assert_int_equal(d.items[0].pos.col, 16);
	assert_non_null(strstr(d.items[0].message, "libnats-dev"));
	assert_non_null(strstr(d.items[0].message, "'jobs'"));
	pl_diags_clear(&d);
	pl_registry_destroy(reg);
}

/* A stage on a library the build lacks: one error, PL058, at the stage's name, saying what
 * to install; a stage that exists nowhere is still PL050. */
static void test_stage_refused(void **state)
{
	(void)state;
	static const char http[] = "version: 1\n"
				   "nodes:\n"
				   "  - { name: g, type: generator, stage: seq, output: a }\n"
				   "  - { name: f, type: fan-out, workers: 4, stage: http, input: a,"
				   " output: b }\n"
				   "  - { name: s, type: sink, stage: stdout, input: b }\n";
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	assert_int_not_equal(pl_load_text("crawl.yaml", http, strlen(http), NULL, reg, &cfg, &d),
			     0);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.items[0].code, PL_D_STAGE_UNAVAILABLE);
	assert_int_equal(d.items[0].pos.line, 4);
	assert_int_equal(d.items[0].pos.col, 50);
	assert_non_null(strstr(d.items[0].message, "libcurl4-openssl-dev"));
	pl_diags_clear(&d);
	pl_registry_destroy(reg);
}

/* A local channel is untouched by the missing library. */
static void test_local_channel_fine(void **state)
{
	(void)state;
	static const char local[] = "version: 1\n"
				    "channels:\n"
				    "  jobs: { transport: local, buffer: 8 }\n"
				    "nodes:\n"
				    "  - { name: g, type: generator, stage: seq, output: jobs }\n"
				    "  - { name: s, type: sink, stage: null, input: jobs }\n";
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	assert_int_equal(pl_load_text("local.yaml", local, strlen(local), NULL, reg, &cfg, &d), 0);
	assert_int_equal(d.errors + d.warnings, 0);
	pl_config_free(cfg);
	pl_diags_clear(&d);
	pl_registry_destroy(reg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transport_nats_refused),
		cmocka_unit_test(test_stage_refused),
		cmocka_unit_test(test_local_channel_fine),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
