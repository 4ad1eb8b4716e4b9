/* test_cli.c - the `pipeline` binary end to end: every example's output, exit codes, errors, help.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* What one run of the binary produced. */
struct result {
	int code; /* exit code; 128+N when killed by signal N */
	char out[65536];
	char err[65536];
};

static void read_all(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	remove(path);
}

/*
 * Runs PL_BINARY with `args` (NULL-terminated) in the source directory, with
 * `input` on stdin (NULL: /dev/null).  With `close_stdout`, stdout is a pipe
 * whose reading end is already closed (writes fail with EPIPE).  A run that
 * takes over 60 s is killed and fails the test.
 */
static void run(struct result *r, const char *input, int close_stdout, const char *const *args)
{
	char out[] = "/tmp/pl-cli-out-XXXXXX", err[] = "/tmp/pl-cli-err-XXXXXX",
	     in[] = "/tmp/pl-cli-in-XXXXXX";
	int fo = mkstemp(out), fe = mkstemp(err), fi = mkstemp(in);
	assert_true(fo >= 0 && fe >= 0 && fi >= 0);
	if (input != NULL)
		assert_int_equal(write(fi, input, strlen(input)), (ssize_t)strlen(input));
	lseek(fi, 0, SEEK_SET);
	int pipefd[2] = { -1, -1 };
	if (close_stdout)
		assert_int_equal(pipe(pipefd), 0);
	const char *argv[32] = { PL_BINARY };
	size_t n = 1;
	while (args[n - 1] != NULL && n < 31) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (chdir(PL_SOURCE_DIR) != 0)
			_exit(126);
		dup2(fi, 0);
		if (close_stdout) {
			close(pipefd[0]);
			dup2(pipefd[1], 1);
		} else {
			dup2(fo, 1);
		}
		dup2(fe, 2);
		execv(PL_BINARY, (char *const *)argv);
		_exit(127);
	}
	if (close_stdout) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	int status = 0;
	for (int waited = 0;; waited++) {
		pid_t got = waitpid(pid, &status, WNOHANG);
		if (got == pid)
			break;
		if (waited > 60 * 100) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fail_msg("'%s %s' hung for 60 s", argv[1], argv[2] ? argv[2] : "");
		}
		usleep(10000);
	}
	r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	close(fo);
	close(fe);
	close(fi);
	remove(in);
	read_all(out, r->out, sizeof(r->out));
	read_all(err, r->err, sizeof(r->err));
}

#define RUN(r, ...) run((r), NULL, 0, (const char *const[]){ __VA_ARGS__, NULL })

static struct result res;

static void test_version_and_help(void **state)
{
	(void)state;
	RUN(&res, "--version");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out,
			    "pipeline " PL_VERSION " (config format version 1, plugin ABI 1.0)\n");
	RUN(&res, "--help");
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Usage: pipeline COMMAND [OPTIONS]"));
	assert_non_null(strstr(res.out, "run FILE"));
	RUN(&res, "run", "--help");
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.out, "Usage: pipeline run [--quiet] [--set NODE.KEY=VALUE]... FILE"));
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
	assert_non_null(strstr(res.err, "numbers  generator        1             -             5"));
	assert_non_null(strstr(res.err, "shout    fan-out          1             5             5"));
	assert_non_null(strstr(res.err, "print    sink             1             5             -"));
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
	for (char *line = strtok(res.out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
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
	assert_non_null(strstr(res.err, "pipeline: stopped '<stdin>' in "));
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
	    1, (const char *const[]){ "run", "-q", "-", NULL });
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "pipeline: error: node 's' (stage 'stdout'): "));
	assert_non_null(strstr(res.err, "Broken pipe"));
}

/* Every example in pipelines/ has its run checked above: a new example
 * must get its test. */
static void test_every_example_is_checked(void **state)
{
	(void)state;
	static const char *const checked[] = { "hello.yaml", "fanout-io.yaml", "fanin.yaml",
					       "grep-errors.yaml" };
	DIR *dir = opendir(PL_SOURCE_DIR "/pipelines");
	assert_non_null(dir);
	size_t found = 0;
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		size_t len = strlen(ent->d_name);
		if (len < 6 || strcmp(ent->d_name + len - 5, ".yaml") != 0)
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_version_and_help),
		cmocka_unit_test(test_usage_errors),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_fanout_io),
		cmocka_unit_test(test_fanin),
		cmocka_unit_test(test_grep_errors),
		cmocka_unit_test(test_config_from_stdin),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_runtime_failure),
		cmocka_unit_test(test_closed_stdout),
		cmocka_unit_test(test_stdin_has_one_reader),
		cmocka_unit_test(test_every_example_is_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
