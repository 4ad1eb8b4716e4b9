/* test_faults.c - every allocation and every thread start failing in turn, through the binary. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"

/*
 * Built only with PL_FAULT_INJECTION (runner/fault.h), in the ASan + UBSan
 * suite: a crash, a leak or undefined behaviour on a recovery path ends the
 * child with a sanitizer report (exit 134 with abort_on_error), a hang is
 * killed by the harness after 60 s, so each run below either succeeds or
 * says what ran out, and the loop goes on until the n-th use is past the
 * last one the command makes.
 */

/* A command gets at most this many runs: a loop that does not end is a
 * failure, not a hang. */
#define MAX_RUNS 20000

static struct result res;

/* What a run of `args` with fault point `var` armed at n did: 1 when the
 * fault fired (and was handled), 0 when the command finished without
 * reaching it.  Fails the test on a crash, a sanitizer report, a wrong exit
 * code or an unclear message. */
static int run_armed(const char *var, unsigned long n, const char *clear, const char *const *args)
{
	char env[64];
	snprintf(env, sizeof(env), "%s=%lu", var, n);
	run_env(&res, (const char *const[]){ env, NULL }, args);
	int fired = strstr(res.err, "pipeline: fault injection: ") != NULL;
	/* (Whatever ASAN_OPTIONS says: a report is a failure, not an exit 1.) */
	if (strstr(res.err, "Sanitizer") != NULL || strstr(res.err, "runtime error:") != NULL)
		fail_msg("%s: '%s %s' gave a sanitizer report:\n%s", env, args[0], args[1],
			 res.err);
	if (res.code > 2)
		fail_msg("%s: '%s %s' ended with %d (a crash or a sanitizer report):\n%s", env,
			 args[0], args[1], res.code, res.err);
	if (!fired && res.code != 0)
		fail_msg("%s: '%s %s' failed with no fault injected:\n%s", env, args[0], args[1],
			 res.err);
	/* Surviving a failure is fine, silently is not: a warning says what
	 * was given up (the signal monitor, a dead letter's reason...). */
	if (fired && res.code == 0 && strstr(res.err, "warning: ") == NULL)
		fail_msg("%s: '%s %s' survived the fault without a warning:\n%s", env, args[0],
			 args[1], res.err);
	if (fired && res.code != 0 && strstr(res.err, clear) == NULL)
		fail_msg("%s: '%s %s' exited %d without saying '%s':\n%s", env, args[0], args[1],
			 res.code, clear, res.err);
	return fired;
}

/* Fails each use of fault point `var` in turn (n = 1, 2, ...) until the
 * command finishes without reaching the n-th; returns how many were
 * failed.  `clear` is what its message must say when it gives up. */
static unsigned long every_fault(const char *var, const char *clear, const char *const *args)
{
	unsigned long n = 1, handled_ok = 0;
	while (run_armed(var, n, clear, args)) {
		if (res.code == 0)
			handled_ok++;
		if (++n > MAX_RUNS)
			fail_msg("%s: '%s %s' still reaches a fault after %d runs", var, args[0],
				 args[1], MAX_RUNS);
	}
	size_t last = 0;
	while (args[last + 1] != NULL)
		last++;
	print_message("  %-8s %-28s %s: %lu failed in turn (%lu of them survived)\n", args[0],
		      args[last], var, n - 1, handled_ok);
	return n - 1;
}

/* The --set options that keep an example short; NULL-ended. */
static void short_run(const char *name, const char **argv, size_t *argc)
{
	static const struct {
		const char *example;
		const char *sets[4];
	} shorter[] = {
		{ "fanout-io.yaml", { "source.params.count=20", "fetch.params.ms=0" } },
		{ "ordered.yaml", { "numbers.params.count=10", "work.params.jitter_ms=1" } },
		{ "rate-limit.yaml", { "numbers.rate=1000/s" } },
	};
	for (size_t i = 0; i < sizeof(shorter) / sizeof(shorter[0]); i++)
		if (strcmp(name, shorter[i].example) == 0)
			for (size_t k = 0; shorter[i].sets[k] != NULL; k++) {
				argv[(*argc)++] = "--set";
				argv[(*argc)++] = shorter[i].sets[k];
			}
}

/* Does the example at `path` (from the source directory) need a server or an optional
 * library ("# needs: ..." among its first lines)?  Its stage's test runs it. */
static int needs_its_own_test(const char *path)
{
	char full[400], head[512] = "";
	snprintf(full, sizeof(full), "%s/%s", PL_SOURCE_DIR, path);
	FILE *f = fopen(full, "r");
	assert_non_null(f);
	size_t n = fread(head, 1, sizeof(head) - 1, f);
	head[n] = '\0';
	(void)fclose(f);
	return strstr(head, "\n# needs: ") != NULL || strncmp(head, "# needs: ", 9) == 0;
}

/* Runs `check` on every example pipeline that needs no server: `pipeline run [--set ...]
 * FILE`. */
static void each_example(void (*check)(const char *const *args))
{
	DIR *dir = opendir(PL_SOURCE_DIR "/pipelines");
	assert_non_null(dir);
	size_t examples = 0;
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) { /* NOLINT(concurrency-mt-unsafe): one thread */
		size_t len = strlen(ent->d_name);
		if (len < 6 || strcmp(ent->d_name + len - 5, ".yaml") != 0)
			continue;
		char path[300];
		snprintf(path, sizeof(path), "pipelines/%s", ent->d_name);
		if (needs_its_own_test(path))
			continue;
		const char *argv[16] = { "run" };
		size_t argc = 1;
		short_run(ent->d_name, argv, &argc);
		argv[argc++] = "--stats"; /* the reports allocate too */
		argv[argc++] = path;
		argv[argc] = NULL;
		check(argv);
		examples++;
	}
	(void)closedir(dir);
	assert_true(examples >= 9);
}

static void alloc_faults(const char *const *args)
{
	assert_true(every_fault("PIPELINE_FAULT_ALLOC", "out of memory", args) > 10);
}

static void thread_faults(const char *const *args)
{
	assert_true(every_fault("PIPELINE_FAULT_THREAD", "could not start worker", args) >= 1);
}

/* Each allocation of each example's run fails in turn: out of memory is
 * reported (exit 1), or survived, never a crash, a leak or a hang. */
static void test_every_allocation_of_every_example(void **state)
{
	(void)state;
	each_example(alloc_faults);
}

/* Each worker thread of each example fails to start in turn: the error
 * names the node and the worker, the started workers are stopped and
 * joined (a leak or a hang would show), exit 1. */
static void test_every_thread_start_of_every_example(void **state)
{
	(void)state;
	each_example(thread_faults);
	/* What the message says, on one example. */
	run_env(&res, (const char *const[]){ "PIPELINE_FAULT_THREAD=3", NULL },
		(const char *const[]){ "run", "-q", "pipelines/fanout-io.yaml", NULL });
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "pipeline: error: could not start worker 2 of 32 of node "
					"'fetch': Resource temporarily unavailable; the started "
					"workers were stopped"));
}

/* The other commands: validate (text and JSON, a good and a bad file),
 * graph, stages. */
static void test_every_allocation_of_the_other_commands(void **state)
{
	(void)state;
	static const char *const commands[][6] = {
		{ "validate", "pipelines/", NULL },
		{ "validate", "--format", "json", "pipelines/", NULL },
		{ "graph", "pipelines/broadcast.yaml", NULL },
		{ "graph", "--format", "mermaid", "pipelines/ordered.yaml", NULL },
		{ "stages", NULL },
	};
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		assert_true(every_fault("PIPELINE_FAULT_ALLOC", "out of memory", commands[i]) > 10);
}

/* A broken config still gets its diagnostic, or an out-of-memory error,
 * whatever allocation fails: exit 2 or 1, never a silent pass. */
static void test_every_allocation_of_a_broken_config(void **state)
{
	(void)state;
	static const char *const args[] = { "run", "tests/invalid/065-branch-unread.yaml", NULL };
	unsigned long n = 1;
	for (;; n++) {
		char env[64];
		snprintf(env, sizeof(env), "PIPELINE_FAULT_ALLOC=%lu", n);
		run_env(&res, (const char *const[]){ env, NULL }, args);
		if (res.code != 1 && res.code != 2)
			fail_msg("%s: run ended with %d:\n%s", env, res.code, res.err);
		if (strstr(res.err, "pipeline: fault injection: ") == NULL)
			break;
		if (strstr(res.err, "[PL065]") == NULL && strstr(res.err, "out of memory") == NULL)
			fail_msg("%s: exit %d with neither the diagnostic nor 'out of memory':\n%s",
				 env, res.code, res.err);
		assert_true(n < MAX_RUNS);
	}
	assert_int_equal(res.code, 2);
	assert_true(n > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_allocation_of_every_example),
		cmocka_unit_test(test_every_thread_start_of_every_example),
		cmocka_unit_test(test_every_allocation_of_the_other_commands),
		cmocka_unit_test(test_every_allocation_of_a_broken_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
