/* test_cli.c - the `pipeline` binary end to end: every example's output, exit codes, errors, help.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_harness.h"

static struct result res;

static void test_version_and_help(void **state)
{
	(void)state;
	RUN(&res, "--version");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out,
			    "pipeline " PL_VERSION " (config format version 1, plugin ABI 1.2)\n");
	RUN(&res, "--help");
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Usage: pipeline COMMAND [OPTIONS]"));
	assert_non_null(strstr(res.out, "run FILE"));
	RUN(&res, "run", "--help");
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Usage: pipeline run [OPTION]... FILE"));
	assert_string_equal(res.err, "");
}

static void test_usage_errors(void **state)
{
	(void)state;
	static const struct {
		const char *args[3];
		const char *err;
	} cases[] = {
		{ { NULL }, "pipeline: no command given; see 'pipeline --help'\n" },
		{ { "frobnicate", NULL },
		  "pipeline: unknown command 'frobnicate'; see 'pipeline --help'\n" },
		{ { "run", NULL }, "pipeline: run: no FILE given; see 'pipeline run --help'\n" },
		{ { "run", "--loud", NULL },
		  "pipeline: run: unknown option '--loud'; see 'pipeline run --help'\n" },
		{ { "run", "a.yaml", "b.yaml" },
		  "pipeline: run: one file at a time, but also got 'b.yaml'\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[4] = { cases[i].args[0], cases[i].args[1], cases[i].args[2],
					NULL };
		run(&res, NULL, 0, args);
		assert_int_equal(res.code, 2);
		assert_string_equal(res.err, cases[i].err);
		assert_string_equal(res.out, "");
	}
}

static void test_hello(void **state)
{
	(void)state;
	RUN(&res, "run", "pipelines/hello.yaml");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "1\n2\n3\n4\n5\n");
	assert_non_null(strstr(res.err, "pipeline: finished 'hello' in "));
	assert_non_null(strstr(res.err, "numbers  generator        1           -           5       "
					" 0        0        0        0  "));
	assert_non_null(strstr(res.err, "shout    fan-out          1           5           5       "
					" 0        0        0        0  "));
	assert_non_null(strstr(res.err, "print    sink             1           5           -       "
					" 0        0        0        0  "));
	assert_non_null(strstr(res.err, "pipeline: nothing lost: each of the 10 messages sent on 2 "
					"channels was received\n"));
	/* --quiet, after the file: nothing on stderr. */
	RUN(&res, "run", "pipelines/hello.yaml", "--quiet");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "1\n2\n3\n4\n5\n");
	assert_string_equal(res.err, "");
}

static void test_fanout_io(void **state)
{
	(void)state;
	RUN(&res, "run", "-q", "pipelines/fanout-io.yaml");
	assert_int_equal(res.code, 0);
	/* 1..1000 as text: 9*1 + 90*2 + 900*3 + 4 = 2893 bytes. */
	assert_string_equal(res.out, "messages=1000 bytes=2893\n");
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static void test_fanin(void **state)
{
	(void)state;
	RUN(&res, "run", "-q", "pipelines/fanin.yaml");
	assert_int_equal(res.code, 0);
	long long v[16], last_small = 0, last_big = 0;
	size_t n = 0;
	char *save = NULL;
	for (char *line = strtok_r(res.out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		assert_true(n < 16);
		v[n] = atoll(line);
		/* Each input's own order survives the merge. */
		if (v[n] < 100) {
			assert_true(v[n] > last_small);
			last_small = v[n];
		} else {
			assert_true(v[n] > last_big);
			last_big = v[n];
		}
		n++;
	}
	assert_int_equal(n, 10);
	qsort(v, n, sizeof(v[0]), cmp_ll);
	static const long long want[] = { 1, 2, 3, 4, 5, 100, 200, 300, 400, 500 };
	assert_memory_equal(v, want, sizeof(want));
}

static void test_grep_errors(void **state)
{
	(void)state;
	RUN(&res, "run", "-q", "pipelines/grep-errors.yaml");
	assert_int_equal(res.code, 0);
	assert_string_equal(
		res.out,
		"10.0.0.3 - - [27/Nov/2026:10:00:02 +0000] \"POST /api/items HTTP/1.1\" 500 87\n"
		"10.0.0.5 - - [27/Nov/2026:10:00:08 +0000] \"GET /api/report HTTP/1.1\" 503 64\n"
		"10.0.0.3 - - [27/Nov/2026:10:00:12 +0000] \"PUT /api/items/3 HTTP/1.1\" 502 "
		"150\n");
}

/* Removes `line` from `out`, where it must be: a line whose place among
 * the others is not fixed (a second sink's). */
static void cut_line(char *out, const char *line)
{
	char *at = strstr(out, line);
	assert_non_null(at);
	memmove(at, at + strlen(line), strlen(at + strlen(line)) + 1);
}

/* pipelines/broadcast.yaml: both sinks get every number; the two sinks run
 * side by side, so the count's line may come anywhere among the numbers. */
static void test_broadcast(void **state)
{
	(void)state;
	RUN(&res, "run", "pipelines/broadcast.yaml");
	assert_int_equal(res.code, 0);
	cut_line(res.out, "messages=5 bytes=5\n");
	assert_string_equal(res.out, "1\n2\n3\n4\n5\n");
	assert_non_null(strstr(res.err, "copy     broadcast        1           5          10  "));
	assert_non_null(strstr(res.err, "pipeline: nothing lost: each of the 15 messages sent on 3 "
					"channels was received\n"));
}

/* pipelines/ordered.yaml: 8 workers with random delays, yet 1..40 in order. */
static void test_ordered(void **state)
{
	(void)state;
	RUN(&res, "run", "-q", "pipelines/ordered.yaml");
	assert_int_equal(res.code, 0);
	char want[256] = "";
	for (int i = 1; i <= 40; i++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%d\n", i);
	assert_string_equal(res.out, want);
}

/* pipelines/rate-limit.yaml: 10 messages at 20/s take at least 9 intervals
 * of 50 ms (burst 1: the first goes at once). */
static void test_rate_limit(void **state)
{
	(void)state;
	RUN(&res, "run", "pipelines/rate-limit.yaml");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
	const char *fin = strstr(res.err, "pipeline: finished 'rate-limit' in ");
	assert_non_null(fin);
	double secs = atof(fin + strlen("pipeline: finished 'rate-limit' in "));
	assert_true(secs >= 0.44);
	assert_true(secs < 1.5);
}

/* pipelines/exec.yaml: the squares of 1 to 20, each once, in the order the
 * four co-processes answer. */
static void test_exec(void **state)
{
	(void)state;
	RUN(&res, "run", "-q", "pipelines/exec.yaml");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");
	int seen[21] = { 0 }, lines = 0, v;
	for (const char *p = res.out; sscanf(p, "%d", &v) == 1; lines++) {
		int root = 1;
		while (root < 20 && root * root < v)
			root++;
		assert_int_equal(root * root, v);
		assert_int_equal(seen[root], 0);
		seen[root] = 1;
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	assert_int_equal(lines, 20);
}

/* pipelines/dead-letter.yaml: the 2xx lines counted, the 5 others printed as
 * JSON with where and why they failed; exit 0 with one warning.  The two
 * sinks run side by side: the count's line may come anywhere. */
static void test_dead_letter(void **state)
{
	(void)state;
	RUN(&res, "run", "pipelines/dead-letter.yaml");
	assert_int_equal(res.code, 0);
	cut_line(res.out, "messages=5 bytes=372\n");
#define DEAD(line)                                                                          \
	"{\"message\": \"" line "\", \"node\": \"check\", \"stage\": \"grep\", \"error\": " \
	"\"the message does not match the pattern\", \"attempts\": 1}\n"
	assert_string_equal(
		res.out,
		DEAD("10.0.0.3 - - [27/Nov/2026:10:00:02 +0000] \\\"POST /api/items HTTP/1.1\\\" "
		     "500 87") DEAD("10.0.0.1 - - [27/Nov/2026:10:00:03 +0000] \\\"GET "
				    "/favicon.ico HTTP/1.1\\\" 404 0")
			DEAD("10.0.0.5 - - [27/Nov/2026:10:00:08 +0000] \\\"GET /api/report "
			     "HTTP/1.1\\\" 503 64")
				DEAD("10.0.0.6 - - [27/Nov/2026:10:00:11 +0000] \\\"DELETE "
				     "/api/items/3 HTTP/1.1\\\" 403 "
				     "12") DEAD("10.0.0.3 - - [27/Nov/2026:10:00:12 +0000] \\\"PUT "
						"/api/items/3 HTTP/1.1\\\" 502 "
						"150"));
#undef DEAD
	assert_non_null(strstr(res.err,
			       "pipeline: warning: node 'check' (stage 'grep'): 5 failures "
			       "sent to the dead-letter channel (on_error); the first: the "
			       "message does not match the pattern\n"));
	assert_non_null(strstr(res.err, "check    fan-out          1          10           5       "
					" 0        5        0        0  "));
	assert_non_null(strstr(res.err, "pipeline: nothing lost: each of the 20 messages sent on 3 "
					"channels was received\n"));
}

/* pipelines/plugins.yaml names no plugin file: its stages come from the example
 * plugins in the default directory, plugins/ beside the build's binary. */
static void test_plugins(void **state)
{
	(void)state;
	RUN(&res, "run", "-q", "pipelines/plugins.yaml");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");
	/* A fan-in: each input's own order is kept, not the order between them. */
	char numbers[256] = "", text[256] = "", *save = NULL;
	for (char *line = strtok_r(res.out, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *to = strspn(line, "0123456789") == strlen(line) ? numbers : text;
		size_t used = strlen(to);
		assert_true(used + strlen(line) + 2 < sizeof(numbers));
		snprintf(to + used, sizeof(numbers) - used, "%s\n", line);
	}
	assert_string_equal(numbers, "1\n1\n2\n3\n5\n8\n13\n21\n34\n55\n");
	assert_string_equal(text, "Hello from a plugin!\n"
				  "Stages load from plugins/ beside the binary.\n"
				  "Nothing here was built into pipeline.\n");
	/* A plugin's parameters are checked as a built-in's are. */
	RUN(&res, "run", "-q", "--set", "numbers.params.count=94", "pipelines/plugins.yaml");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.out, "");
	assert_string_equal(res.err, "<command-line>: error: --set 'numbers.params.count=94': "
				     "parameter 'count' of stage 'fibonacci': 94 is out of range "
				     "[0, 93] [PL056]\n");
}

static void test_config_from_stdin(void **state)
{
	(void)state;
	run(&res,
	    "version: 1\nnodes:\n"
	    "  - {name: g, type: generator, stage: seq, params: {count: 3, start: 7}, output: a}\n"
	    "  - {name: s, type: sink, stage: stdout, input: a}\n",
	    0, (const char *const[]){ "run", "--quiet", "-", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "7\n8\n9\n");
}

/* A bad config: exit 2, GCC-style diagnostics, nothing on stdout. */
static void test_bad_config(void **state)
{
	(void)state;
	run(&res,
	    "version: 1\nnodes:\n"
	    "  - {name: a, type: generator, stage: seq, output: c}\n"
	    "  - {name: b, type: generator, stage: seq, output: c}\n"
	    "  - {name: s, type: sink, stage: stdout, input: c}\n",
	    0, (const char *const[]){ "run", "-", NULL });
	assert_int_equal(res.code, 2);
	assert_string_equal(res.out, "");
	assert_string_equal(res.err, "<stdin>:4:52: error: channel 'c' has two producers, 'a' "
				     "(line 3) and 'b' (line 4); "
				     "merge them with a fan-in node [PL060]\n");
	RUN(&res, "run", "no/such/file.yaml");
	assert_int_equal(res.code, 2);
	assert_string_equal(
		res.err,
		"no/such/file.yaml: error: cannot open the file: No such file or directory "
		"[PL001]\n");
}

/* A stage failing at run time: exit 1, the node named. */
static void test_runtime_failure(void **state)
{
	(void)state;
	run(&res,
	    "version: 1\nnodes:\n"
	    "  - {name: read, type: generator, stage: lines, params: {path: /proc/self/mem}, "
	    "output: a}\n"
	    "  - {name: s, type: sink, stage: stdout, input: a}\n",
	    0, (const char *const[]){ "run", "-", NULL });
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "cannot read '/proc/self/mem': Input/output error\n"));
	assert_non_null(strstr(res.err, "pipeline: error: node 'read' (stage 'lines'): "));
	assert_non_null(strstr(res.err, "pipeline: failed '<stdin>' in "));
	assert_non_null(strstr(res.err, "FAILED"));
}

/* A closed stdout (EPIPE) under an endless generator: a clear error, exit
 * 1, no hang and no SIGPIPE death. */
static void test_closed_stdout(void **state)
{
	(void)state;
	run(&res,
	    "version: 1\nnodes:\n"
	    "  - {name: g, type: generator, stage: seq, output: a}\n"
	    "  - {name: s, type: sink, stage: stdout, input: a}\n",
	    STDOUT_CLOSED, (const char *const[]){ "run", "-q", "-", NULL });
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "pipeline: error: node 's' (stage 'stdout'): "));
	assert_non_null(strstr(res.err, "Broken pipe"));
}

/* A full disk under stdout (ENOSPC): the stdout sink's error names it,
 * exit 1, and the summary still comes. */
static void test_full_stdout(void **state)
{
	(void)state;
	run(&res, NULL, STDOUT_FULL, (const char *const[]){ "run", "pipelines/hello.yaml", NULL });
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "pipeline: error: node 'print' (stage 'stdout'): cannot "
					"write to standard output: No space left on device\n"));
	assert_non_null(strstr(res.err, "pipeline: failed 'hello' in "));
}

/* A file sink on a full disk (/dev/full) under an endless generator: the
 * error names the file and ENOSPC, exit 1, no hang. */
static void test_full_disk_file_sink(void **state)
{
	(void)state;
	run(&res,
	    "version: 1\nnodes:\n"
	    "  - {name: g, type: generator, stage: seq, output: a}\n"
	    "  - {name: s, type: sink, stage: file, params: {path: /dev/full}, input: a}\n",
	    STDOUT_FILE, (const char *const[]){ "run", "-q", "-", NULL });
	assert_int_equal(res.code, 1);
	assert_string_equal(res.err, "pipeline: error: node 's' (stage 'file'): cannot write to "
				     "'/dev/full': No space left on device\n");
}

/* A file sink writing into a FIFO whose reader went away (EPIPE, not a
 * SIGPIPE death): the error names the file, exit 1. */
static void test_file_sink_reader_gone(void **state)
{
	(void)state;
	char dir[64], fifo[128], yaml[512];
	assert_int_equal(scratch_setup(dir, "epipe"), 0);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	pid_t reader = fork();
	assert_true(reader >= 0);
	if (reader == 0) {
		int fd = open(fifo, O_RDONLY); /* waits for the writer, then goes */
		_exit(fd >= 0 ? 0 : 1);
	}
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, output: a}\n"
		 "  - {name: s, type: sink, stage: file, params: {path: '%s'}, input: a}\n",
		 fifo);
	run(&res, yaml, STDOUT_FILE, (const char *const[]){ "run", "-q", "-", NULL });
	int status;
	assert_int_equal(waitpid(reader, &status, 0), reader);
	assert_int_equal(res.code, 1);
	char expect[256];
	snprintf(expect, sizeof(expect),
		 "pipeline: error: node 's' (stage 'file'): cannot write to '%s': Broken pipe\n",
		 fifo);
	assert_string_equal(res.err, expect);
	assert_int_equal(scratch_teardown(dir), 0);
}

/* --watchdog: while a stage holds a message longer than the period, where
 * every worker is goes to stderr (the run goes on and finishes). */
static void test_watchdog_dump(void **state)
{
	(void)state;
	run(&res,
	    "version: 1\nnodes:\n"
	    "  - {name: src, type: generator, stage: seq, params: {count: 2}, output: jobs}\n"
	    "  - {name: work, type: fan-out, stage: delay, params: {ms: 700}, input: jobs, "
	    "output: out}\n"
	    "  - {name: print, type: sink, stage: stdout, input: out}\n"
	    "channels:\n  jobs: {buffer: 4}\n  out: {buffer: 0}\n",
	    STDOUT_FILE, (const char *const[]){ "run", "-q", "--watchdog", "0.2", "-", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "1\n2\n");
	const char *dump =
		strstr(res.err, "pipeline: watchdog: no message has moved for at least ");
	assert_non_null(dump);
	assert_non_null(strstr(dump, " s (--watchdog 0.2); where the workers are:\n"
				     "  node 'src' (generator, stage 'seq'), 1 worker:\n"
				     "    1 returned\n"
				     "  node 'work' (fan-out, stage 'delay'), 1 worker:\n"
				     "    1 in the stage's own code (not waiting on a channel)\n"
				     "  node 'print' (sink, stage 'stdout'), 1 worker:\n"
				     "    1 waiting to receive on 'out', for "));
	assert_non_null(strstr(dump, " s (rendezvous)\n  channel 'jobs': "));
	assert_non_null(strstr(dump, "pipeline: watchdog: the run goes on; SIGINT (Ctrl-C) drains "
				     "it, a second one stops it at once\n"));
}

/* PIPELINE_WATCHDOG gives --watchdog's default, checked like the option. */
static void test_watchdog_env(void **state)
{
	(void)state;
	run_env(&res, (const char *const[]){ "PIPELINE_WATCHDOG=soon", NULL },
		(const char *const[]){ "run", "pipelines/hello.yaml", NULL });
	assert_int_equal(res.code, 2);
	assert_non_null(strstr(res.err,
			       "run: PIPELINE_WATCHDOG needs a number of seconds between 0 "
			       "and 1000000, got 'soon'"));
	run(&res, NULL, STDOUT_FILE,
	    (const char *const[]){ "run", "--watchdog", "-1", "pipelines/hello.yaml", NULL });
	assert_int_equal(res.code, 2);
	assert_non_null(strstr(res.err, "run: --watchdog needs a number of seconds"));
	/* The option wins over the variable, and --help needs neither. */
	run_env(&res, (const char *const[]){ "PIPELINE_WATCHDOG=soon", NULL },
		(const char *const[]){ "run", "-q", "--watchdog", "5", "pipelines/hello.yaml",
				       NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");
	run_env(&res, (const char *const[]){ "PIPELINE_WATCHDOG=soon", NULL },
		(const char *const[]){ "run", "--help", NULL });
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "--watchdog SEC"));
	run(&res, NULL, STDOUT_FILE,
	    (const char *const[]){ "run", "--watchdog", "0.05", "pipelines/hello.yaml", NULL });
	assert_int_equal(res.code, 2);
	assert_non_null(strstr(res.err, "the watchdog's period is at least 0.1 seconds (0: none)"));
}

/* Whether pipelines/`name` says on its second line that it needs a server or an optional
 * library ("# needs: ..."): its run is checked by its stage's test, which starts the server
 * and is built only with the library. */
static int needs_its_own_test(const char *name)
{
	char path[512], line[256] = "";
	snprintf(path, sizeof(path), "%s/pipelines/%s", PL_SOURCE_DIR, name);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	for (int i = 0; i < 2 && fgets(line, sizeof(line), f) != NULL; i++)
		;
	(void)fclose(f);
	return strncmp(line, "# needs: ", 9) == 0;
}

/* Every example in pipelines/ has its run checked above (or, when it needs
 * a server, by the test that starts one): a new example must get its test. */
static void test_every_example_is_checked(void **state)
{
	(void)state;
	static const char *const checked[] = { "hello.yaml",       "fanout-io.yaml",
					       "fanin.yaml",       "grep-errors.yaml",
					       "plugins.yaml",     "broadcast.yaml",
					       "ordered.yaml",     "rate-limit.yaml",
					       "dead-letter.yaml", "exec.yaml" };
	/* (The examples that need a server are run by their stage's test, which starts one:
	 * crawl.yaml by test_stage_http.c, websocket-tail.yaml by test_stage_websocket.c,
	 * json.yaml, which needs a build with jansson, by test_stage_json.c.) */
	DIR *dir = opendir(PL_SOURCE_DIR "/pipelines");
	assert_non_null(dir);
	size_t found = 0;
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		size_t len = strlen(ent->d_name);
		if (len < 6 || strcmp(ent->d_name + len - 5, ".yaml") != 0 ||
		    needs_its_own_test(ent->d_name))
			continue;
		size_t i = 0;
		while (i < sizeof(checked) / sizeof(checked[0]) &&
		       strcmp(checked[i], ent->d_name) != 0)
			i++;
		if (i == sizeof(checked) / sizeof(checked[0]))
			fail_msg("pipelines/%s has no end-to-end test in test_cli.c", ent->d_name);
		found++;
	}
	closedir(dir);
	assert_int_equal(found, sizeof(checked) / sizeof(checked[0]));
}

/* Standard input has one reader: a config read from it leaves none for a
 * `lines` stage, which is refused before anything runs. */
static void test_stdin_has_one_reader(void **state)
{
	(void)state;
	run(&res,
	    "version: 1\nnodes:\n"
	    "  - {name: read, type: generator, stage: lines, params: {path: '-'}, output: a}\n"
	    "  - {name: s, type: sink, stage: stdout, input: a}\n",
	    0, (const char *const[]){ "run", "-", NULL });
	assert_int_equal(res.code, 2);
	assert_string_equal(res.out, "");
	assert_string_equal(res.err,
			    "<stdin>:3:57: error: node 'read' (stage 'lines') failed to start: "
			    "standard input is already read by the config ('pipeline run -'); "
			    "only one reader may take it [PL080]\n");
}

/* PL_TEST_PLUGIN_DIR (tests/plugins/CMakeLists.txt) holds the stack_probe
 * plugin: its stage test-stack appends to each message the stack size of
 * the worker thread that ran it. */
#define STACK_PROBE PL_TEST_PLUGIN_DIR "/stack_probe.so"

static int by_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts the lines of `text` in place (sinks writing the same stream
 * interleave in any order). */
static void sort_lines(char *text)
{
	char *lines[256], *save = NULL;
	size_t n = 0, len = strlen(text);
	char *copy = strdup(text);
	assert_non_null(copy);
	for (char *l = strtok_r(copy, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
		assert_true(n < sizeof(lines) / sizeof(lines[0]));
		lines[n++] = l;
	}
	qsort(lines, n, sizeof(lines[0]), by_line);
	size_t at = 0;
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(text + at, len + 1 - at, "%s\n", lines[i]);
	free(copy);
}

/* ThreadSanitizer gives every thread a stack of some 900KiB at least: under
 * it a smaller size can only be checked as a lower bound. */
#if defined(__SANITIZE_THREAD__)
#define STACK_AT_LEAST 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STACK_AT_LEAST 1
#endif
#endif
#ifndef STACK_AT_LEAST
#define STACK_AT_LEAST 0
#endif

/* Runs a config whose node 'own' sets stack_size: 64KiB and whose node
 * 'rest' sets none, `defaults` its defaults line ("" for none), with the
 * extra arguments `extra` (NULL-terminated, at most 4); checks that every
 * message went through threads of 64KiB, then of `rest` bytes. */
static void check_stacks(const char *defaults, const char *const *extra, size_t rest)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "version: 1\n%snodes:\n"
		 "  - {name: g, type: generator, stage: seq, params: {count: 4}, output: a}\n"
		 "  - {name: own, type: fan-out, workers: 2, stage: test-stack, stack_size: "
		 "64KiB, input: a, output: b}\n"
		 "  - {name: rest, type: fan-out, workers: 2, stage: test-stack, input: b, "
		 "output: c}\n"
		 "  - {name: s, type: sink, stage: stdout, input: c}\n",
		 defaults);
	const char *args[10] = { "run", "-q", "--plugin", STACK_PROBE };
	size_t n = 4;
	while (*extra != NULL)
		args[n++] = *extra++;
	args[n++] = "-";
	args[n] = NULL;
	run(&res, yaml, STDOUT_FILE, args);
	if (res.code != 0)
		fprintf(stderr, "%s", res.err);
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");
	size_t lines = 0, own, other;
	int used;
	for (const char *p = res.out; *p != '\0'; p += used, lines++) {
		/* "N OWN REST\n": the message, then each node's thread's stack. */
		assert_int_equal(sscanf(p, "%*d %zu %zu\n%n", &own, &other, &used), 2);
		if (STACK_AT_LEAST) {
			assert_true(own >= 65536 && other >= rest);
		} else {
			assert_int_equal(own, 65536);
			assert_int_equal(other, rest);
		}
	}
	assert_int_equal(lines, 4);
}

/* A node's stack_size, the file's defaults.stack_size and run --stack-size
 * reach the worker threads: the node's own first, then the option, then
 * the file's default, then 512 KiB. */
static void test_stack_size(void **state)
{
	(void)state;
	static const char defaults[] = "defaults: {stack_size: 256KiB}\n";
	check_stacks(defaults, (const char *const[]){ NULL }, 262144);
	check_stacks(defaults, (const char *const[]){ "--stack-size", "1MiB", NULL }, 1048576);
	check_stacks(defaults,
		     (const char *const[]){ "--stack-size=32768", "--set", "rest.stack_size=48KiB",
					    NULL },
		     49152);
	check_stacks("", (const char *const[]){ NULL }, 524288);
	check_stacks("", (const char *const[]){ "--stack-size", "16KiB", NULL }, 16384);
	/* Larger than the default too. */
	check_stacks("", (const char *const[]){ "--stack-size", "2MiB", NULL }, 2097152);
	/* The examples with `grep`, the built-in stage that needs the most
	 * stack (it fails at 24KiB), run as they do at 512KiB at the 64KiB
	 * docs/config.md says is ample. */
	static const char *const grep_examples[] = { "pipelines/grep-errors.yaml",
						     "pipelines/dead-letter.yaml" };
	for (size_t i = 0; i < sizeof(grep_examples) / sizeof(grep_examples[0]); i++) {
		static struct result big;
		RUN(&big, "run", "-q", grep_examples[i]);
		RUN(&res, "run", "-q", "--stack-size", "64KiB", grep_examples[i]);
		assert_int_equal(big.code, 0);
		assert_int_equal(res.code, 0);
		sort_lines(big.out);
		sort_lines(res.out);
		assert_string_equal(res.out, big.out);
	}
}

/* --stack-size is checked like the key: a usage error (exit 2) before
 * anything is read, with the forms it takes. */
static void test_stack_size_option_errors(void **state)
{
	(void)state;
	static const struct {
		const char *value, *err;
	} cases[] = {
		{ "8KiB", "pipeline: run: --stack-size is 8KiB, out of range: it must be between "
			  "16KiB (PTHREAD_STACK_MIN on Linux) and 1GiB\n" },
		{ "2GiB", "pipeline: run: --stack-size is 2GiB, out of range: it must be between "
			  "16KiB (PTHREAD_STACK_MIN on Linux) and 1GiB\n" },
		{ "-65536", "pipeline: run: --stack-size is -65536, out of range: it must be "
			    "between 16KiB (PTHREAD_STACK_MIN on Linux) and 1GiB\n" },
		{ "64kb", "pipeline: run: --stack-size is '64kb'; did you mean '64KiB'? Sizes take "
			  "the binary units KiB, MiB and GiB, written without a space\n" },
		{ "1 MiB", "pipeline: run: --stack-size is '1 MiB'; did you mean '1MiB'? Sizes "
			   "take the binary units KiB, MiB and GiB, written without a space\n" },
		{ "1.5MiB", "pipeline: run: --stack-size needs a number of bytes or a whole number "
			    "of KiB, MiB or GiB, like 65536, 64KiB or 1MiB, got '1.5MiB'\n" },
		{ "", "pipeline: run: --stack-size needs a number of bytes or a whole number of "
		      "KiB, MiB or GiB, like 65536, 64KiB or 1MiB, got ''\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		RUN(&res, "run", "--stack-size", cases[i].value, "pipelines/hello.yaml");
		assert_int_equal(res.code, 2);
		assert_string_equal(res.out, "");
		assert_string_equal(res.err, cases[i].err);
	}
	RUN(&res, "run", "pipelines/hello.yaml", "--stack-size");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.err, "pipeline: --stack-size needs a value\n");
	RUN(&res, "validate", "--stack-size", "64KiB", "pipelines/hello.yaml");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.err, "pipeline: validate: unknown option '--stack-size'; see "
				     "'pipeline validate --help'\n");
	/* A --set of the key is checked like the file. */
	RUN(&res, "run", "--set", "shout.stack_size=64KB", "pipelines/hello.yaml");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.out, "");
	assert_string_equal(
		res.err, "<command-line>: error: --set 'shout.stack_size=64KB': 'stack_size' is "
			 "'64KB'; did you mean '64KiB'? Sizes take the binary units KiB, MiB and "
			 "GiB, written without a space [PL028]\n");
	RUN(&res, "run", "--help");
	assert_non_null(
		strstr(res.out, "  --stack-size SIZE       the stack of each worker thread"));
}

/* `pipeline graph`: the drawing on stdout, a bad config fails it (1, like
 * validate), bad usage is 2.  The drawings themselves: test_render.c. */
static void test_graph(void **state)
{
	(void)state;
	RUN(&res, "graph", "pipelines/fanout-io.yaml");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");
	assert_int_equal(strncmp(res.out, "digraph pipeline {\n", 19), 0);
	assert_non_null(strstr(res.out, "\tn0 -> n1_split [label=\"jobs [buffer 256]\"];\n"));
	assert_non_null(strstr(res.out, "label=\"… 30 more\""));
	RUN(&res, "graph", "--set", "fetch.workers=2", "--format=mermaid",
	    "pipelines/fanout-io.yaml");
	assert_int_equal(res.code, 0);
	assert_int_equal(strncmp(res.out, "flowchart LR\n", 13), 0);
	assert_non_null(strstr(res.out, "subgraph n1 [\"fetch: fan-out, delay ×2\"]\n"));
	assert_null(strstr(res.out, "n1_more"));

	run(&res,
	    "version: 1\nnodes:\n"
	    "  - {name: g, type: generator, stage: seq, output: a}\n"
	    "  - {name: s, type: sink, stage: stdot, input: a}\n",
	    0, (const char *const[]){ "graph", "-", NULL });
	assert_int_equal(res.code, 1);
	assert_string_equal(res.out, "");
	assert_non_null(strstr(res.err, "<stdin>:4:34: error: unknown stage 'stdot'"));
	RUN(&res, "graph", "no/such/file.yaml");
	assert_int_equal(res.code, 1);

	RUN(&res, "graph", "--format", "svg", "pipelines/hello.yaml");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.err,
			    "pipeline: graph: unknown format 'svg'; use 'dot' or 'mermaid'\n");
	RUN(&res, "graph", "pipelines/hello.yaml", "pipelines/fanin.yaml");
	assert_int_equal(res.code, 2);
	assert_string_equal(res.out, "");
	RUN(&res, "graph");
	assert_int_equal(res.code, 2);
	RUN(&res, "graph", "--help");
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Usage: pipeline graph [--format dot|mermaid]"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_help),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_fanout_io),
		cmocka_unit_test(test_fanin),
		cmocka_unit_test(test_grep_errors),
		cmocka_unit_test(test_plugins),
		cmocka_unit_test(test_config_from_stdin),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_runtime_failure),
		cmocka_unit_test(test_closed_stdout),
		cmocka_unit_test(test_full_stdout),
		cmocka_unit_test(test_watchdog_dump),
		cmocka_unit_test(test_watchdog_env),
		cmocka_unit_test(test_full_disk_file_sink),
		cmocka_unit_test(test_file_sink_reader_gone),
		cmocka_unit_test(test_stdin_has_one_reader),
		cmocka_unit_test(test_broadcast),
		cmocka_unit_test(test_ordered),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_dead_letter),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_every_example_is_checked),
		cmocka_unit_test(test_graph),
		cmocka_unit_test(test_stack_size),
		cmocka_unit_test(test_stack_size_option_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
