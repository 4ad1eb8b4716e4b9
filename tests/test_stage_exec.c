/* test_stage_exec.c - the `exec` transform: answers, co-processes that fail, none left behind. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <cmocka.h>

#include "builtin.h"
#include "cli_harness.h"
#include "stage_harness.h"
#include "stage_test_util.h"

/* ---- Helpers. ------------------------------------------------------------ */

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* This process has no child left, running or zombie: every co-process was
 * reaped. */
static void assert_no_children(void)
{
	int status;
	errno = 0;
	assert_int_equal(waitpid(-1, &status, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

/* A harness for exec with `command` (and timeout_ms when > 0), inited. */
static void start(pl_harness *h, const char *command, int timeout_ms)
{
	char text[32];
	assert_int_equal(pl_harness_create(h, &pl_stage_exec), 0);
	assert_int_equal(pl_harness_set(h, "command", command), 0);
	if (timeout_ms > 0) {
		snprintf(text, sizeof(text), "%d", timeout_ms);
		assert_int_equal(pl_harness_set(h, "timeout_ms", text), 0);
	}
	assert_int_equal(pl_harness_init(h), 0);
}

/* Ends the harness: no message leaked, no child left. */
static void end(pl_harness *h)
{
	finish(h);
	assert_no_children();
}

/* Asserts the last failure holds `part`. */
static void assert_failed_with(const pl_harness *h, const char *part)
{
	if (strstr(h->fail_msg, part) == NULL)
		fail_msg("the failure '%s' does not say '%s'", h->fail_msg, part);
}

/* ---- Answers. ------------------------------------------------------------ */

static void test_answers_in_order(void **state)
{
	(void)state;
	pl_harness h;
	static const char *const in[] = { "a", "", "b c", "caf\xc3\xa9\t\r" };
	static const char *const want[] = { "<a>", "<>", "<b c>", "<caf\xc3\xa9\t\r>" };

	assert_int_equal(pl_harness_create(&h, &pl_stage_exec), 0);
	assert_int_equal(pl_harness_set(&h, "command",
					"while IFS= read -r l; do printf '<%s>\\n' \"$l\"; done"),
			 0);
	assert_int_equal(pl_harness_run(&h, in, N_ELEMS(in)), 0);
	assert_outs(&h, want, N_ELEMS(want));
	assert_int_equal(h.n_fails, 0);
	end(&h);

	/* Pipes and quoting are the shell's; an answer written in pieces is
	 * still one line. */
	static const char *const in2[] = { "x", "y" };
	static const char *const want2[] = { "X!", "Y!" };
	start(&h, "while read -r l; do printf '%s' \"$l\" | tr a-z A-Z; sleep 0.05; echo '!'; done",
	      0);
	for (size_t i = 0; i < N_ELEMS(in2); i++)
		assert_int_equal(pl_harness_process_str(&h, in2[i]), 0);
	assert_outs(&h, want2, N_ELEMS(want2));
	end(&h);
}

/* A message larger than a pipe holds, to a command that answers as it
 * reads (cat): writing and reading overlap, no deadlock. */
static void test_long_message(void **state)
{
	(void)state;
	pl_harness h;
	size_t len = 300000;
	char *big = malloc(len);
	assert_non_null(big);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	start(&h, "cat", 0);
	assert_int_equal(pl_harness_process(&h, big, len), 0);
	assert_int_equal(h.n_outs, 1);
	assert_int_equal(pl_harness_out_len(&h, 0), len);
	assert_memory_equal(pl_harness_out(&h, 0), big, len);
	end(&h);

	/* max_line bounds the answer, not the message. */
	assert_int_equal(pl_harness_create(&h, &pl_stage_exec), 0);
	assert_int_equal(pl_harness_set(&h, "command", "cat"), 0);
	assert_int_equal(pl_harness_set(&h, "max_line", "10"), 0);
	assert_int_equal(pl_harness_init(&h), 0);
	assert_int_equal(pl_harness_process_str(&h, "0123456789"), 0);
	assert_string_equal(pl_harness_out(&h, 0), "0123456789");
	assert_int_equal(pl_harness_process_str(&h, "0123456789A"), PL_ESTAGE);
	assert_failed_with(&h, "command 'cat' wrote a line longer than 10 bytes (max_line)");
	/* The next message gets a new co-process. */
	assert_int_equal(pl_harness_process_str(&h, "ok"), 0);
	assert_string_equal(pl_harness_out(&h, 1), "ok");
	end(&h);
	free(big);
}

/* A message with a newline would be two lines: refused, and the co-process
 * goes on answering the next one. */
static void test_message_with_newline(void **state)
{
	(void)state;
	pl_harness h;
	start(&h, "cat", 0);
	assert_int_equal(pl_harness_process_str(&h, "one\ntwo"), PL_ESTAGE);
	assert_failed_with(&h, "the message holds a newline (at byte 3)");
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(pl_harness_process_str(&h, "three"), 0);
	assert_string_equal(pl_harness_out(&h, 0), "three");
	end(&h);
}

/* ---- Co-processes that fail. --------------------------------------------- */

static void test_exits_mid_stream(void **state)
{
	(void)state;
	pl_harness h;
	start(&h, "read -r l; echo \"$l\"; read -r l; exit 3", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), 0);
	assert_int_equal(pl_harness_process_str(&h, "2"), PL_ESTAGE);
	assert_string_equal(h.fail_msg, "command 'read -r l; echo \"$l\"; read -r l; exit 3' "
					"exited with status 3");
	assert_no_children(); /* reaped at once, not at fini() */
	/* The next message (or a retry) starts it again. */
	assert_int_equal(pl_harness_process_str(&h, "3"), 0);
	static const char *const want[] = { "1", "3" };
	assert_outs(&h, want, N_ELEMS(want));
	end(&h);

	/* Exiting with status 0 is no answer either. */
	start(&h, "true", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), PL_ESTAGE);
	assert_string_equal(h.fail_msg, "command 'true' exited with status 0");
	end(&h);
}

static void test_killed_by_signal(void **state)
{
	(void)state;
	pl_harness h;
	start(&h, "read -r l; kill -9 $$", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), PL_ESTAGE);
	assert_string_equal(h.fail_msg,
			    "command 'read -r l; kill -9 $$' was killed by signal 9 (SIGKILL)");
	assert_no_children();
	end(&h);

	start(&h, "read -r l; kill -SEGV $$", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), PL_ESTAGE);
	assert_failed_with(&h, "was killed by signal 11 (SIGSEGV)");
	end(&h);
}

static void test_garbage(void **state)
{
	(void)state;
	pl_harness h;

	/* No newline, then the end. */
	start(&h, "read -r l; printf abc", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), PL_ESTAGE);
	assert_string_equal(h.fail_msg, "command 'read -r l; printf abc' wrote 3 bytes without "
					"a newline, then exited with status 0 (an answer is one "
					"line)");
	assert_int_equal(h.n_outs, 0);
	end(&h);

	/* An endless line: over max_line (1 MiB by default). */
	start(&h, "read -r l; exec tr '\\0' x </dev/zero", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), PL_ESTAGE);
	assert_failed_with(&h, "wrote a line longer than 1048576 bytes (max_line)");
	end(&h);

	/* Two lines for one message. */
	start(&h, "while read -r l; do printf '%s\\nextra\\n' \"$l\"; done", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), PL_ESTAGE);
	assert_failed_with(&h, "wrote more than one line for a message");
	assert_int_equal(h.n_outs, 0);
	end(&h);
}

/* A line that comes late, after its message was answered: the next message is not sent, so
 * that the late line is not taken for its answer. */
static void test_late_line(void **state)
{
	(void)state;
	pl_harness h;
	start(&h, "while read -r l; do echo \"$l\"; sleep 0.05; echo late; done", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), 0);
	assert_string_equal(pl_harness_out(&h, 0), "1");
	nanosleep(&(struct timespec){ .tv_nsec = 300000000 }, NULL);
	assert_int_equal(pl_harness_process_str(&h, "2"), PL_ESTAGE);
	assert_failed_with(&h, "wrote before it was sent this message (more than one line for an "
			       "earlier one?)");
	assert_int_equal(h.n_outs, 1);
	/* The next message gets a new co-process, and its own answer. */
	assert_int_equal(pl_harness_process_str(&h, "3"), 0);
	assert_string_equal(pl_harness_out(&h, 1), "3");
	end(&h);
}

/* flush(): the co-process's end of file, then its exit status: 0 is fine, anything else a
 * stage error; one that does not exit is stopped, with a warning. */
static void test_flush(void **state)
{
	(void)state;
	pl_harness h;
	start(&h, "while read -r l; do echo \"$l\"; done", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), 0);
	assert_int_equal(pl_harness_flush(&h), 0);
	assert_no_children();
	end(&h);

	start(&h, "while read -r l; do echo \"$l\"; done; exit 3", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), 0);
	assert_int_equal(pl_harness_flush(&h), PL_ESTAGE);
	assert_string_equal(h.fail_msg, "command 'while read -r l; do echo \"$l\"; done; exit 3' "
					"exited with status 3 at the end of its input");
	end(&h);

	start(&h, "while read -r l; do echo \"$l\"; done; kill -SEGV $$", 0);
	assert_int_equal(pl_harness_flush(&h), PL_ESTAGE);
	assert_failed_with(&h, "was killed by signal 11 (SIGSEGV) at the end of its input");
	end(&h);

	/* A last line at the end (a summary, awk's END) is read, dropped and warned of: the
	 * co-process meets no closed pipe (SIGPIPE). */
	start(&h, "while read -r l; do echo \"$l\"; done; echo bye", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), 0);
	assert_int_equal(pl_harness_flush(&h), 0);
	assert_int_equal(h.n_fails, 0);
	assert_int_equal(h.log_level, PL_LOG_WARN);
	assert_non_null(strstr(h.log_msg, "wrote 4 bytes after its last answer, at the end of its "
					  "input (not passed on"));
	end(&h);

	start(&h, "cat; sleep 30", 0);
	double t0 = now_ms();
	assert_int_equal(pl_harness_flush(&h), 0);
	assert_true(now_ms() - t0 < 5000);
	assert_no_children();
	end(&h);
}

/* What a co-process leaves running in its group (`cmd &`) is ended with it. */
static void test_background_child_ended(void **state)
{
	(void)state;
	char pidfile[256], cmd[512];
	make_temp(pidfile, sizeof(pidfile), 0);
	snprintf(cmd, sizeof(cmd),
		 "trap '' TERM; sh -c 'trap \"\" TERM; sleep 30' & echo $! > %s; "
		 "while read -r l; do echo \"$l\"; done",
		 pidfile);
	pl_harness h;
	start(&h, cmd, 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), 0);
	assert_int_equal(pl_harness_flush(&h), 0);
	end(&h);
	FILE *f = fopen(pidfile, "r");
	assert_non_null(f);
	long pid = 0;
	assert_int_equal(fscanf(f, "%ld", &pid), 1);
	(void)fclose(f);
	/* Gone, or a zombie waiting for init to reap it: not running (SIGKILL was sent; its
	 * delivery may take a moment). */
	char stat[64], text[256] = "";
	snprintf(stat, sizeof(stat), "/proc/%ld/stat", pid);
	for (double t0 = now_ms();; nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL)) {
		f = fopen(stat, "r");
		if (f == NULL)
			break;
		if (fgets(text, sizeof(text), f) == NULL)
			text[0] = '\0';
		(void)fclose(f);
		const char *state_at = strrchr(text, ')');
		if (state_at == NULL || state_at[1] != ' ' || state_at[2] == 'Z')
			break;
		if (now_ms() - t0 > 2000)
			fail_msg("the background child %ld still runs: %s", pid, text);
	}
	(void)remove(pidfile);
}

static void test_timeout(void **state)
{
	(void)state;
	pl_harness h;
	start(&h, "sleep 30", 200);
	double t0 = now_ms();
	assert_int_equal(pl_harness_process_str(&h, "1"), PL_ESTAGE);
	double took = now_ms() - t0;
	assert_string_equal(h.fail_msg, "command 'sleep 30' gave no answer within 200 ms "
					"(timeout_ms)");
	assert_true(took >= 190 && took < 5000);
	assert_no_children(); /* killed and reaped, group and all */
	end(&h);

	/* A co-process that only answers late, and one that ignores SIGTERM:
	 * both are stopped (SIGKILL after the grace), nothing is left. */
	start(&h, "trap '' TERM; while read -r l; do sleep 2; echo \"$l\"; done", 100);
	t0 = now_ms();
	assert_int_equal(pl_harness_process_str(&h, "1"), PL_ESTAGE);
	assert_true(now_ms() - t0 < 5000);
	assert_failed_with(&h, "gave no answer within 100 ms");
	end(&h);
}

static void test_not_found(void **state)
{
	(void)state;
	pl_harness h;
	/* (The shell's own complaint goes to /dev/null, not the test's log.) */
	start(&h, "exec 2>/dev/null; pl-no-such-command-x", 0);
	assert_int_equal(pl_harness_process_str(&h, "1"), PL_ESTAGE);
	assert_failed_with(&h, "exited with status 127 (command not found)");
	end(&h);
}

/* A co-process ignoring the end of its input is stopped by fini(). */
static void test_fini_stops_it(void **state)
{
	(void)state;
	pl_harness h;
	start(&h, "trap '' TERM; while :; do sleep 0.1; done", 0);
	double t0 = now_ms();
	pl_harness_fini(&h);
	assert_true(now_ms() - t0 < 5000);
	end(&h);
}

/* stopping(): the wait ends promptly, the message is dropped, no error. */
static void test_stopping(void **state)
{
	(void)state;
	pl_harness h;
	start(&h, "sleep 30", 0);
	atomic_store(&h.stopping, 1);
	double t0 = now_ms();
	assert_int_equal(pl_harness_process_str(&h, "1"), 0);
	assert_true(now_ms() - t0 < 3000);
	assert_int_equal(h.n_outs, 0);
	assert_int_equal(h.n_fails, 0);
	end(&h);
}

static void test_params(void **state)
{
	(void)state;
	pl_harness h;
	assert_int_equal(pl_harness_create(&h, &pl_stage_exec), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_failed_with(&h, "'command' is required");
	finish(&h);

	assert_int_equal(pl_harness_create(&h, &pl_stage_exec), 0);
	assert_int_equal(pl_harness_set(&h, "command", ""), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_failed_with(&h, "'command' is empty");
	assert_int_not_equal(pl_harness_set(&h, "timeout_ms", "-1"), 0);
	assert_int_not_equal(pl_harness_set(&h, "max_line", "0"), 0);
	finish(&h);
	assert_no_children();
}

/* ---- Through `pipeline run`. --------------------------------------------- */

static char dir[64];

static int setup(void **state)
{
	(void)state;
	/* As pipeline's main() does: a write to a co-process that died is
	 * EPIPE, not a death by SIGPIPE. */
	(void)signal(SIGPIPE, SIG_IGN);
	return scratch_setup(dir, "exec");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_teardown(dir);
}

static struct result res;

/* Eight co-processes that do not exit at the end of their input are stopped side by side
 * (each worker's flush() on its own thread), not one after another in fini(): 8 x 500 ms
 * of grace would be 4 s. */
static void test_run_ends_side_by_side(void **state)
{
	(void)state;
	static const char yaml[] =
		"version: 1\nnodes:\n"
		"  - {name: g, type: generator, stage: seq, params: {count: 100}, output: a}\n"
		"  - {name: x, type: fan-out, workers: 8, stage: exec,\n"
		"     params: {command: 'cat; sleep 30'}, input: a, output: b}\n"
		"  - {name: s, type: sink, stage: count, input: b}\n";
	double t0 = now_ms();
	run(&res, yaml, STDOUT_FILE, (const char *const[]){ "run", "-q", "-", NULL });
	double took = now_ms() - t0;
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "messages=100 bytes=192\n");
	print_message("8 co-processes stopped at the end in %.0f ms\n", took);
	assert_true(took < 3000);
}

/* Four workers, 4000 messages: each answered exactly once, by at most four
 * co-processes. */
static void test_run_fan_out(void **state)
{
	(void)state;
	char yaml[1024], out[128];
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, params: {count: 4000}, output: a}\n"
		 "  - name: x\n    type: fan-out\n    workers: 4\n    stage: exec\n"
		 "    params: { command: 'while read -r n; do echo \"$n $((n * 2)) $$\"; done' }\n"
		 "    input: a\n    output: b\n"
		 "  - {name: s, type: sink, stage: file, params: {path: '%s'}, input: b}\n",
		 out);
	run(&res, yaml, STDOUT_FILE, (const char *const[]){ "run", "-q", "-", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.err, "");

	FILE *f = fopen(out, "r");
	assert_non_null(f);
	static unsigned char seen[4001];
	memset(seen, 0, sizeof(seen));
	long pids[4] = { 0 }, n, twice, pid;
	int n_pids = 0, lines = 0;
	while (fscanf(f, "%ld %ld %ld", &n, &twice, &pid) == 3) {
		assert_true(n >= 1 && n <= 4000);
		assert_int_equal(twice, 2 * n);
		assert_int_equal(seen[n], 0);
		seen[n] = 1;
		lines++;
		int k = 0;
		while (k < n_pids && pids[k] != pid)
			k++;
		if (k == n_pids) {
			assert_true(n_pids < 4);
			pids[n_pids++] = pid;
		}
	}
	assert_int_equal(fclose(f), 0);
	assert_int_equal(lines, 4000);
	assert_true(n_pids >= 1);
}

/* The Python variant of pipelines/exec.yaml (test_cli.c runs the example
 * itself): a co-process in another language, unbuffered. */
static void test_run_python(void **state)
{
	(void)state;
	static const char set[] = "square.params.command=python3 -u -c 'import sys\n"
				  "for l in sys.stdin: print(int(l) ** 2)'";
	RUN(&res, "run", "-q", "--set", "numbers.params.count=3", "--set", set, "--set",
	    "square.workers=1", "pipelines/exec.yaml");
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "1\n4\n9\n");
}

/* A co-process that dies is restarted for the next message: with on_error
 * skip, a command answering once and exiting answers every other message. */
static void test_run_restart_skip(void **state)
{
	(void)state;
	run(&res,
	    "version: 1\nnodes:\n"
	    "  - {name: g, type: generator, stage: seq, params: {count: 6}, output: a}\n"
	    "  - name: x\n    type: fan-out\n    stage: exec\n    on_error: skip\n"
	    "    params: { command: 'read -r n; echo \"$n\"' }\n"
	    "    input: a\n    output: b\n"
	    "  - {name: s, type: sink, stage: stdout, input: b}\n",
	    STDOUT_FILE, (const char *const[]){ "run", "-q", "-", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "1\n3\n5\n");
	assert_non_null(strstr(res.err, "command 'read -r n; echo \"$n\"' exited with status 0"));

	/* Without on_error, the first failure stops the run, naming the status. */
	run(&res,
	    "version: 1\nnodes:\n"
	    "  - {name: g, type: generator, stage: seq, params: {count: 6}, output: a}\n"
	    "  - {name: x, type: fan-out, stage: exec, params: {command: 'exit 4'}, input: a, "
	    "output: b}\n"
	    "  - {name: s, type: sink, stage: stdout, input: b}\n",
	    STDOUT_FILE, (const char *const[]){ "run", "-q", "-", NULL });
	assert_int_equal(res.code, 1);
	assert_non_null(strstr(res.err, "pipeline: error: node 'x' (stage 'exec'): command 'exit "
					"4' exited with status 4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_answers_in_order),
		cmocka_unit_test(test_long_message),
		cmocka_unit_test(test_message_with_newline),
		cmocka_unit_test(test_exits_mid_stream),
		cmocka_unit_test(test_killed_by_signal),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_late_line),
		cmocka_unit_test(test_flush),
		cmocka_unit_test(test_background_child_ended),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_fini_stops_it),
		cmocka_unit_test(test_stopping),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_run_ends_side_by_side),
		cmocka_unit_test(test_run_fan_out),
		cmocka_unit_test(test_run_python),
		cmocka_unit_test(test_run_restart_skip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
