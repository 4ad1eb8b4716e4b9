/* test_run_signals.c - `pipeline run` under SIGINT and SIGTERM: the drain, a second signal,
 * --drain-timeout, the summary's books, --stats, --metrics-json and --metrics-interval.
 *
 * Each test runs the binary as a child of its own (run_child.h: cli_harness waits for the end,
 * and these tests must signal the child while it runs), with stdout and stderr in files, and
 * waits with a watchdog, so a run that hangs fails the test instead of hanging it.  A signal is
 * only sent once the child has its handlers installed (seen in /proc/PID/status), since one
 * that comes earlier kills the process as any program, and startup is slow under the
 * sanitizers.
 *
 * The random test takes its seed from PL_TEST_SEED when set, and prints it on failure.
 */
#define _GNU_SOURCE /* pipe2, posix_openpt */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "cli_harness.h"
#include "metrics_file.h"
#include "run_child.h"

/* ---------------------------------------------------------------- context for failures */

/* Checks that print the failure context of run_child.h (what the check is about, and the
 * run's stderr) when they fail. */
#define EXPECT(cond)                                                                        \
	do {                                                                                \
		if (!(cond))                                                                \
			fail_msg("%s:%d: %s\n  [%s]\n--- stderr of the run:\n%s", __FILE__, \
				 __LINE__, #cond, failure_context(), failure_stderr());     \
	} while (0)

#define EXPECT_EQ(a, b)                                                                      \
	do {                                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);                          \
		if (a_ != b_)                                                                \
			fail_msg("%s:%d: %s == %s: %lld != %lld\n  [%s]\n--- stderr of the " \
				 "run:\n%s",                                                 \
				 __FILE__, __LINE__, #a, #b, a_, b_, failure_context(),      \
				 failure_stderr());                                          \
	} while (0)

#define EXPECT_HAS(text, needle)                                                                   \
	do {                                                                                       \
		if (strstr((text), (needle)) == NULL)                                              \
			fail_msg(                                                                  \
				"%s:%d: '%s' not found in %s\n  [%s]\n--- stderr of the run:\n%s", \
				__FILE__, __LINE__, (needle), #text, failure_context(),            \
				failure_stderr());                                                 \
	} while (0)

/* ---------------------------------------------------------------- scratch directory */

static char dir[64];

static int setup(void **state)
{
	(void)state;
	return scratch_setup(dir, "signals");
}

static int teardown(void **state)
{
	(void)state;
	return scratch_teardown(dir);
}

/* dir/name, in a static buffer of four (so that a few can be used at once). */
static const char *in_dir(const char *name)
{
	static char paths[4][256];
	static int k;
	char *p = paths[k++ % 4];
	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(in_dir(name), "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* ---------------------------------------------------------------- the summary */

/* The row of node `name` in the summary table: in/out (-1 for '-'), lost. */
static void summary_row(const char *err, const char *name, long long *in, long long *out,
			long long *lost)
{
	char pat[80];
	snprintf(pat, sizeof(pat), "\n%s ", name);
	const char *p = strstr(err, pat);
	if (p == NULL)
		fail_msg("no summary row for node '%s' [%s]\n--- stderr:\n%s", name,
			 failure_context(), err);
	char nm[64], type[32], sin[32], sout[32];
	int workers;
	long long skipped, dead, failed;
	if (sscanf(p + 1, "%63s %31s %d %31s %31s %lld %lld %lld %lld", nm, type, &workers, sin,
		   sout, &skipped, &dead, &failed, lost) != 9)
		fail_msg("bad summary row for node '%s' [%s]\n--- stderr:\n%s", name,
			 failure_context(), err);
	*in = strcmp(sin, "-") == 0 ? -1 : atoll(sin);
	*out = strcmp(sout, "-") == 0 ? -1 : atoll(sout);
}

/* The summary rows agree with the metrics file. */
static void check_summary_matches(const char *err, const struct metrics *m)
{
	for (size_t i = 0; i < m->nn; i++) {
		const struct metrics_node *n = &m->nodes[i];
		long long in, out, lost;
		summary_row(err, n->name, &in, &out, &lost);
		if (strcmp(n->type, "generator") != 0)
			EXPECT_EQ(in, n->in);
		if (strcmp(n->type, "sink") != 0)
			EXPECT_EQ(out, n->out);
		EXPECT_EQ(lost, n->lost);
	}
}

/* Sum of the messages sent on all channels. */
static long long total_sent(const struct metrics *m)
{
	long long t = 0;
	for (size_t i = 0; i < m->nc; i++)
		t += m->chans[i].sent;
	return t;
}

/*
 * The books of a drained run (gen -> a -> work -> b -> out, work 1:1): nothing lost, every
 * count equal along the line, the summary saying so.
 */
static void check_drained_books(const struct child *c, const struct metrics *m, const char *name)
{
	EXPECT(strcmp(m->state, "stopped") == 0);
	EXPECT(strcmp(m->pipeline, name) == 0);
	EXPECT_EQ(m->lost_in_flight, 0);
	EXPECT_EQ(m->nn, 3);
	EXPECT_EQ(m->nc, 2);
	const struct metrics_node *gen = metrics_node(m, "gen"), *work = metrics_node(m, "work"),
				  *out = metrics_node(m, "out");
	const struct metrics_chan *a = metrics_chan(m, "a"), *b = metrics_chan(m, "b");
	EXPECT_EQ(gen->out, work->in);
	EXPECT_EQ(work->in, work->out);
	EXPECT_EQ(work->out, out->in);
	EXPECT_EQ(gen->out_bytes, work->in_bytes);
	EXPECT_EQ(work->out_bytes, out->in_bytes);
	EXPECT_EQ(a->sent, gen->out);
	EXPECT_EQ(a->sent, a->received);
	EXPECT_EQ(b->sent, work->out);
	EXPECT_EQ(b->sent, b->received);
	EXPECT_EQ(a->buffered, 0);
	EXPECT_EQ(b->buffered, 0);
	for (size_t i = 0; i < m->nn; i++) {
		EXPECT_EQ(m->nodes[i].lost, 0);
		EXPECT_EQ(m->nodes[i].failed, 0);
		EXPECT_EQ(m->nodes[i].skipped, 0);
		EXPECT_EQ(m->nodes[i].running, 0);
	}
	char line[160];
	snprintf(line, sizeof(line), "pipeline: stopped '%s' in ", name);
	EXPECT_HAS(c->err, line);
	snprintf(line, sizeof(line),
		 "pipeline: nothing lost: each of the %lld messages sent on 2 channels was "
		 "received\n",
		 total_sent(m));
	EXPECT_HAS(c->err, line);
	EXPECT(strstr(c->err, "lost in flight") == NULL);
	check_summary_matches(c->err, m);
}

/*
 * The books of an aborted run: what is lost is what the channels still hold plus what
 * the nodes had in hand, and the summary says how much.
 */
static void check_aborted_books(const struct child *c, const struct metrics *m)
{
	EXPECT(strcmp(m->state, "aborted") == 0);
	long long left = 0, in_hands = 0;
	for (size_t i = 0; i < m->nc; i++) {
		const struct metrics_chan *ch = &m->chans[i];
		EXPECT(ch->sent >= ch->received);
		EXPECT_EQ(ch->buffered, ch->sent - ch->received);
		left += ch->sent - ch->received;
	}
	for (size_t i = 0; i < m->nn; i++) {
		EXPECT_EQ(m->nodes[i].running, 0);
		in_hands += m->nodes[i].lost;
	}
	EXPECT_EQ(m->lost_in_flight, left + in_hands);
	EXPECT(m->lost_in_flight > 0); /* the slow pipeline always has a full channel */
	const struct metrics_node *work = metrics_node(m, "work");
	EXPECT_EQ(work->out, work->in - work->skipped - work->dead - work->failed - work->lost);
	char line[160];
	snprintf(line, sizeof(line), "pipeline: %lld messages lost in flight: ", m->lost_in_flight);
	EXPECT_HAS(c->err, line);
	EXPECT_HAS(c->err, "pipeline: aborted 'slow' in ");
	EXPECT(strstr(c->err, "nothing lost") == NULL);
	check_summary_matches(c->err, m);
}

/* The file sink's output: one line per message the sink took in, the numbers 1..N each
 * once (in order when `ordered`). */
static void check_output_file(const char *path, long long n, int ordered)
{
	size_t len;
	char *text = read_whole_file(path, &len);
	if (text == NULL)
		fail_msg("no output file '%s' [%s]", path, failure_context());
	unsigned char *seen = calloc((size_t)n + 1, 1);
	assert_non_null(seen);
	long long lines = 0;
	char *p = text;
	while (*p != '\0') {
		char *nl = strchr(p, '\n');
		if (nl == NULL)
			fail_msg("output file: last line without a newline [%s]",
				 failure_context());
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end != nl || v < 1 || v > n || seen[v])
			fail_msg("output file line %lld: '%.*s' is not a new number in 1..%lld "
				 "[%s]",
				 lines + 1, (int)(nl - p), p, n, failure_context());
		if (ordered && v != lines + 1)
			fail_msg("output file line %lld: %lld, out of order [%s]", lines + 1, v,
				 failure_context());
		seen[v] = 1;
		lines++;
		p = nl + 1;
	}
	free(seen);
	free(text);
	EXPECT_EQ(lines, n);
}

/* ---------------------------------------------------------------- pipelines */

/* An endless pipeline: seq -> fan-out of 4 -> a sink; `stage` is the fan-out's stage (and
 * params); `sink` "count" or "file". */
static void put_endless(int buffer, const char *stage, int ordered, const char *sink)
{
	char yaml[1024];
	snprintf(yaml, sizeof(yaml),
		 "version: 1\n"
		 "name: endless\n"
		 "defaults: { buffer: %d }\n"
		 "nodes:\n"
		 "  - {name: gen, type: generator, stage: seq, output: a}\n"
		 "  - {name: work, type: fan-out, workers: 4, %s%s, input: a, output: b}\n"
		 "  - {name: out, type: sink, %s, input: b}\n",
		 buffer, ordered ? "ordered: true, " : "", stage,
		 strcmp(sink, "file") == 0 ? "stage: file, params: {path: out.txt}"
					   : "stage: count");
	put("endless.yaml", yaml);
}

/* Slow: each message takes 200 ms on one of 2 workers, and a full channel of 64 waits:
 * a drain would take over 6 s. */
static void put_slow(void)
{
	put("slow.yaml",
	    "version: 1\n"
	    "name: slow\n"
	    "nodes:\n"
	    "  - {name: gen, type: generator, stage: seq, output: a}\n"
	    "  - {name: work, type: fan-out, workers: 2, stage: delay, params: {ms: 200},"
	    " input: a, output: b}\n"
	    "  - {name: out, type: sink, stage: count, input: b}\n");
}

/* About 1 s: 20 messages at 20 a second. */
static void put_paced(void)
{
	put("paced.yaml",
	    "version: 1\n"
	    "name: paced\n"
	    "nodes:\n"
	    "  - {name: gen, type: generator, stage: seq, params: {count: 20}, rate: 20/s,"
	    " output: a}\n"
	    "  - {name: work, type: fan-out, workers: 2, stage: upper, input: a, output: b}\n"
	    "  - {name: out, type: sink, stage: count, input: b}\n");
}

/* ---------------------------------------------------------------- random signals */

static unsigned seed_from_env(void)
{
	const char *s = getenv("PL_TEST_SEED");
	if (s != NULL && *s != '\0')
		return (unsigned)strtoul(s, NULL, 0);
	return (unsigned)time(NULL) ^ ((unsigned)getpid() << 16);
}

/* One run of the endless pipeline, stopped by `sig` after `delay_ms` ms: drained, books
 * balanced. */
static void one_random_stop(int sig, unsigned seed, int iter, unsigned *rnd)
{
	static const char *const stages[] = { "stage: upper", "stage: delay, params: {ms: 0}",
					      "stage: delay, params: {ms: 1}" };
	static const int buffers[] = { 1, 4, 64 };
	const char *stage = stages[rand_r(rnd) % 3];
	int buffer = buffers[rand_r(rnd) % 3];
	int ordered = rand_r(rnd) % 4 == 0;
	const char *sink = rand_r(rnd) % 2 ? "file" : "count";
	int delay_ms = (int)(rand_r(rnd) % 151);
	failure_context_set(
		"seed %u (PL_TEST_SEED=%u to repeat), iteration %d: %s after %d ms; buffer %d, "
		"%s%s, sink %s",
		seed, seed, iter, sig == SIGINT ? "SIGINT" : "SIGTERM", delay_ms, buffer,
		ordered ? "ordered, " : "", stage, sink);
	put_endless(buffer, stage, ordered, sink);
	(void)remove(in_dir("metrics.json"));
	(void)remove(in_dir("out.txt"));

	struct child c;
	CHILD_START(&c, dir, "run", "--metrics-json", "metrics.json", "endless.yaml");
	child_wait_ready(&c);
	sleep_s(delay_ms / 1000.0);
	child_signal(&c, sig);
	child_wait(&c, NULL, NULL);

	int want_code = sig == SIGINT ? 130 : 143;
	EXPECT(c.exited);
	EXPECT_EQ(c.code, want_code);
	EXPECT_HAS(c.err, sig == SIGINT
				  ? "pipeline: SIGINT: generators stopped; draining what is "
				    "in flight (at most 30 s; send it again to stop at once)\n"
				  : "pipeline: SIGTERM: generators stopped; draining what is "
				    "in flight (at most 30 s; send it again to stop at once)\n");
	EXPECT_HAS(c.err, "pipeline: stopped '");
	EXPECT_HAS(c.err, "pipeline: nothing lost: each of the");
	EXPECT(strchr(c.err, '\r') == NULL);

	struct metrics m;
	metrics_read(in_dir("metrics.json"), &m);
	check_drained_books(&c, &m, "endless");
	const struct metrics_node *out = metrics_node(&m, "out");
	if (strcmp(sink, "file") == 0) {
		EXPECT_EQ(strlen(c.out), 0);
		check_output_file(in_dir("out.txt"), out->in, ordered);
	} else {
		char line[96];
		snprintf(line, sizeof(line), "messages=%lld bytes=%lld\n", out->in, out->in_bytes);
		EXPECT(strcmp(c.out, line) == 0);
	}
	child_free(&c);
}

static void random_stops(int sig, int iterations)
{
	unsigned seed = seed_from_env(), rnd = seed;
	print_message("random %s stops: seed %u\n", sig == SIGINT ? "SIGINT" : "SIGTERM", seed);
	for (int i = 0; i < iterations; i++)
		one_random_stop(sig, seed, i, &rnd);
}

/* 1. SIGINT at random moments: a drain, exit 130, balanced books. */
static void test_random_sigint(void **state)
{
	(void)state;
	random_stops(SIGINT, 30);
}

/* 2. SIGTERM: the same, exit 143. */
static void test_random_sigterm(void **state)
{
	(void)state;
	random_stops(SIGTERM, 8);
}

/* ---------------------------------------------------------------- aborts */

/* 3. A second signal during a long drain stops at once and counts what is lost. */
/* The same signal twice at once from one process (GNU timeout signals the
 * process, then its group) is one request: a drain, not an abort. */
static void test_duplicate_signal_drains(void **state)
{
	(void)state;
	failure_context_set("endless pipeline, SIGTERM twice at once");
	put_endless(64, "stage: upper", 0, "count");
	(void)remove(in_dir("metrics.json"));
	struct child c;
	CHILD_START(&c, dir, "run", "--metrics-json", "metrics.json", "endless.yaml");
	child_wait_ready(&c);
	sleep_s(0.05);
	child_signal(&c, SIGTERM);
	child_signal(&c, SIGTERM);
	child_wait(&c, NULL, NULL);
	EXPECT(c.exited);
	EXPECT_EQ(c.code, 143);
	EXPECT(strstr(c.err, "SIGTERM again") == NULL);
	EXPECT_HAS(c.err, "pipeline: stopped 'endless' in ");
	EXPECT_HAS(c.err, "pipeline: nothing lost: each of the ");
	struct metrics m;
	metrics_read(in_dir("metrics.json"), &m);
	check_drained_books(&c, &m, "endless");
	child_free(&c);
}

/* --metrics-json on a FIFO nobody reads: one warning, no hang. */
static void test_metrics_fifo_without_reader(void **state)
{
	(void)state;
	failure_context_set("--metrics-json on a FIFO without a reader");
	put_paced();
	(void)remove(in_dir("m.fifo"));
	assert_int_equal(mkfifo(in_dir("m.fifo"), 0600), 0);
	struct child c;
	CHILD_START(&c, dir, "run", "--metrics-json", "m.fifo", "--metrics-interval", "0.1",
		    "paced.yaml");
	child_wait(&c, NULL, NULL);
	EXPECT(c.exited);
	EXPECT_EQ(c.code, 0);
	const char *warn = "pipeline: warning: metrics FIFO 'm.fifo': nobody reads it; metrics are "
			   "skipped while that lasts\n";
	const char *first = strstr(c.err, warn);
	EXPECT(first != NULL);
	EXPECT(strstr(first + 1, warn) == NULL); /* once */
	EXPECT_HAS(c.err, "pipeline: finished 'paced' in ");
	child_free(&c);
}

static void test_second_signal(void **state)
{
	(void)state;
	failure_context_set("slow pipeline, SIGINT twice");
	put_slow();
	(void)remove(in_dir("metrics.json"));
	struct child c;
	CHILD_START(&c, dir, "run", "--metrics-json", "metrics.json", "slow.yaml");
	child_wait_ready(&c);
	sleep_s(0.2);
	child_signal(&c, SIGINT);
	sleep_s(0.1);
	child_signal(&c, SIGINT);
	double second = now_s();
	child_wait(&c, NULL, NULL);
	double took = c.ended - second;

	EXPECT(c.exited);
	EXPECT_EQ(c.code, 130);
	if (took > 2.0)
		fail_msg("the run took %.2f s after the second SIGINT [%s]\n%s", took,
			 failure_context(), c.err);
	EXPECT_HAS(c.err, "pipeline: SIGINT: generators stopped; draining what is in flight");
	EXPECT_HAS(c.err, "pipeline: SIGINT again: stopping at once\n");
	EXPECT_HAS(c.err, "messages lost in flight:");
	EXPECT_HAS(c.err, "buffered in channel 'a'");
	struct metrics m;
	metrics_read(in_dir("metrics.json"), &m);
	check_aborted_books(&c, &m);
	child_free(&c);
}

/* 4. --drain-timeout: a drain that takes too long is cut short. */
static void test_drain_timeout(void **state)
{
	(void)state;
	failure_context_set("slow pipeline, --drain-timeout 0.3, SIGTERM");
	put_slow();
	(void)remove(in_dir("metrics.json"));
	struct child c;
	CHILD_START(&c, dir, "run", "--drain-timeout", "0.3", "--metrics-json", "metrics.json",
		    "slow.yaml");
	child_wait_ready(&c);
	sleep_s(0.2);
	child_signal(&c, SIGTERM);
	double sent = now_s();
	child_wait(&c, NULL, NULL);
	double took = c.ended - sent;

	EXPECT(c.exited);
	EXPECT_EQ(c.code, 143);
	if (took < 0.29 || took > 1.5)
		fail_msg("the run ended %.2f s after SIGTERM, not 0.3 to 1.5 s [%s]\n%s", took,
			 failure_context(), c.err);
	EXPECT_HAS(c.err, "pipeline: SIGTERM: generators stopped; draining what is in flight (at "
			  "most 0.3 s; send it again to stop at once)\n");
	EXPECT_HAS(c.err, "pipeline: the drain did not finish within 0.3 s (--drain-timeout); "
			  "stopping at once\n");
	EXPECT(strstr(c.err, "again: stopping at once") == NULL);
	struct metrics m;
	metrics_read(in_dir("metrics.json"), &m);
	check_aborted_books(&c, &m);
	child_free(&c);
}

/* ---------------------------------------------------------------- early signals */

/* 5a. A signal while the generator waits for its first line: a clean stop, empty books. */
static void test_signal_before_any_message(void **state)
{
	(void)state;
	failure_context_set("lines from a silent stdin, SIGINT at once");
	put("stdin.yaml", "version: 1\n"
			  "name: quiet\n"
			  "nodes:\n"
			  "  - {name: gen, type: generator, stage: lines, params: {path: '-'},"
			  " output: a}\n"
			  "  - {name: work, type: fan-out, workers: 4, stage: upper, input: a,"
			  " output: b}\n"
			  "  - {name: out, type: sink, stage: count, input: b}\n");
	(void)remove(in_dir("metrics.json"));
	/* stdin: a pipe nobody writes to (nor closes) while the run lasts */
	int in[2];
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	struct child c;
	child_start(&c, dir, in[0], -1,
		    (const char *const[]){ "run", "--metrics-json", "metrics.json", "stdin.yaml",
					   NULL });
	close(in[0]);
	child_wait_ready(&c);
	child_signal(&c, SIGINT);
	child_wait(&c, NULL, NULL);
	close(in[1]);

	EXPECT(c.exited);
	EXPECT_EQ(c.code, 130);
	EXPECT_HAS(c.err, "pipeline: SIGINT: generators stopped");
	EXPECT_HAS(c.err, "pipeline: stopped 'quiet' in ");
	EXPECT_HAS(c.err, "pipeline: nothing lost: each of the 0 messages sent on 2 channels was "
			  "received\n");
	EXPECT(strcmp(c.out, "messages=0 bytes=0\n") == 0);
	struct metrics m;
	metrics_read(in_dir("metrics.json"), &m);
	check_drained_books(&c, &m, "quiet");
	EXPECT_EQ(metrics_node(&m, "gen")->out, 0);
	EXPECT_EQ(metrics_node(&m, "out")->in, 0);
	child_free(&c);
}

/* 5b. The endless pipeline signalled the moment it can take the signal, a few times. */
static void test_signal_at_start(void **state)
{
	(void)state;
	for (int i = 0; i < 5; i++) {
		failure_context_set("endless pipeline, SIGINT at start, run %d", i);
		put_endless(64, "stage: upper", 0, "file");
		(void)remove(in_dir("metrics.json"));
		(void)remove(in_dir("out.txt"));
		struct child c;
		CHILD_START(&c, dir, "run", "--metrics-json", "metrics.json", "endless.yaml");
		child_wait_ready(&c);
		child_signal(&c, SIGINT);
		child_wait(&c, NULL, NULL);
		EXPECT(c.exited);
		EXPECT_EQ(c.code, 130);
		EXPECT_HAS(c.err, "pipeline: SIGINT: generators stopped");
		struct metrics m;
		metrics_read(in_dir("metrics.json"), &m);
		check_drained_books(&c, &m, "endless");
		check_output_file(in_dir("out.txt"), metrics_node(&m, "out")->in, 0);
		child_free(&c);
	}
}

/* ---------------------------------------------------------------- --stats and metrics */

/* The row of `name` in the --stats channel table. */
static void stats_chan_row(const char *err, const char *name, const struct metrics_chan *ch)
{
	const char *table = strstr(err, "\nchannel ");
	EXPECT(table != NULL);
	char pat[80];
	snprintf(pat, sizeof(pat), "\n%s ", name);
	const char *p = strstr(table, pat);
	EXPECT(p != NULL);
	char nm[64];
	long long cap, hw, sent, received, left;
	EXPECT(sscanf(p + 1, "%63s %lld %lld %lld %lld %lld", nm, &cap, &hw, &sent, &received,
		      &left) == 6);
	EXPECT_EQ(cap, ch->capacity);
	EXPECT_EQ(hw, ch->high_water);
	EXPECT_EQ(sent, ch->sent);
	EXPECT_EQ(received, ch->received);
	EXPECT_EQ(left, ch->buffered);
}

struct watch {
	const char *path;
	int reads, running, invalid;
	char last_state[32];
	char why[400];
};

/* Reads the metrics file while the run goes on: each version must be whole JSON. */
static void watch_metrics(void *arg)
{
	struct watch *w = arg;
	char *text = read_whole_file(w->path, NULL);
	if (text == NULL)
		return;
	struct metrics m;
	char why[128];
	if (metrics_parse(text, &m, why, sizeof(why)) != 0) {
		if (w->invalid++ == 0)
			snprintf(w->why, sizeof(w->why), "%s in: %.180s", why, text);
	} else {
		w->reads++;
		if (strcmp(m.state, "running") == 0)
			w->running++;
		snprintf(w->last_state, sizeof(w->last_state), "%s", m.state);
	}
	free(text);
}

/* 6. --stats tables; --metrics-interval rewrites the file while the run goes on. */
static void test_stats_and_interval(void **state)
{
	(void)state;
	failure_context_set("paced pipeline, --stats --metrics-interval 0.1");
	put_paced();
	(void)remove(in_dir("metrics.json"));
	struct watch w = { .path = in_dir("metrics.json") };
	struct child c;
	CHILD_START(&c, dir, "run", "--stats", "--metrics-json", "metrics.json",
		    "--metrics-interval", "0.1", "paced.yaml");
	child_wait(&c, watch_metrics, &w);

	EXPECT(c.exited);
	EXPECT_EQ(c.code, 0);
	EXPECT(strcmp(c.out, "messages=20 bytes=31\n") == 0);
	if (w.invalid > 0)
		fail_msg("%d reads of the metrics file during the run were not whole: %s",
			 w.invalid, w.why);
	if (w.running < 1)
		fail_msg("the metrics file was never seen with state \"running\" (%d reads)",
			 w.reads);
	EXPECT_HAS(c.err, "pipeline: finished 'paced' in ");
	EXPECT_HAS(c.err, "pipeline: nothing lost: each of the 40 messages sent on 2 channels was "
			  "received\n");
	/* the node table of --stats, after the summary */
	const char *stats = strstr(c.err, "\nnode ");
	EXPECT(stats != NULL);
	stats = strstr(stats + 1, "\nnode ");
	EXPECT(stats != NULL);
	char header[256];
	EXPECT(sscanf(stats + 1, "%255[^\n]", header) == 1);
	EXPECT_HAS(header, "bytes in");
	EXPECT_HAS(header, "bytes out");
	EXPECT_HAS(header, "busy");
	EXPECT_HAS(header, "blocked recv");
	EXPECT_HAS(header, "blocked send");
	EXPECT_HAS(header, "retries");
	const char *chans = strstr(stats, "\nchannel ");
	EXPECT(chans != NULL);
	EXPECT(sscanf(chans + 1, "%255[^\n]", header) == 1);
	EXPECT_HAS(header, "capacity");
	EXPECT_HAS(header, "high-water");
	EXPECT_HAS(header, "sent");
	EXPECT_HAS(header, "received");
	EXPECT_HAS(header, "left");
	const char *work = strstr(stats, "\nwork ");
	EXPECT(work != NULL);
	EXPECT(sscanf(work + 1, "%255[^\n]", header) == 1);
	EXPECT_HAS(header, " 31 B "); /* bytes in and out of "1".."20" */

	struct metrics m;
	metrics_read(in_dir("metrics.json"), &m);
	EXPECT(strcmp(m.state, "finished") == 0);
	EXPECT(m.elapsed >= 0.85); /* 20 messages at 20/s, the first at once */
	EXPECT_EQ(m.lost_in_flight, 0);
	EXPECT_EQ(metrics_node(&m, "gen")->out, 20);
	EXPECT_EQ(metrics_node(&m, "out")->in, 20);
	EXPECT_EQ(metrics_node(&m, "out")->in_bytes, 31);
	check_summary_matches(c.err, &m);
	stats_chan_row(stats, "a", metrics_chan(&m, "a"));
	stats_chan_row(stats, "b", metrics_chan(&m, "b"));
	EXPECT_EQ(metrics_chan(&m, "a")->sent, 20);
	EXPECT_EQ(metrics_chan(&m, "b")->received, 20);
	child_free(&c);
	EXPECT(access(in_dir("metrics.json.tmp"), F_OK) != 0);
}

/* 6b. --metrics-interval needs --metrics-json and a sane period. */
static void test_interval_usage(void **state)
{
	(void)state;
	failure_context_set("--metrics-interval usage");
	put_paced();
	(void)remove(in_dir("metrics.json"));
	struct child c;
	CHILD_START(&c, dir, "run", "--metrics-interval", "0.1", "paced.yaml");
	child_wait(&c, NULL, NULL);
	EXPECT(c.exited);
	EXPECT_EQ(c.code, 2);
	EXPECT_HAS(c.err, "--metrics-interval needs --metrics-json");
	EXPECT_EQ(strlen(c.out), 0); /* it did not run */
	child_free(&c);

	CHILD_START(&c, dir, "run", "--metrics-json", "metrics.json", "--metrics-interval", "0.01",
		    "paced.yaml");
	child_wait(&c, NULL, NULL);
	EXPECT(c.exited);
	EXPECT_EQ(c.code, 2);
	EXPECT_HAS(c.err, "--metrics-interval is at least 0.05");
	EXPECT_EQ(strlen(c.out), 0);
	EXPECT(access(in_dir("metrics.json"), F_OK) != 0);
	child_free(&c);
}

/* ---------------------------------------------------------------- progress line */

/* 7. No progress line when stderr is not a terminal; one when it is. */
static void test_progress_only_on_terminal(void **state)
{
	(void)state;
	failure_context_set("paced pipeline, stderr a file");
	put_paced();
	struct child c;
	CHILD_START(&c, dir, "run", "paced.yaml");
	child_wait(&c, NULL, NULL);
	EXPECT(c.exited);
	EXPECT_EQ(c.code, 0);
	EXPECT(strchr(c.err, '\r') == NULL);
	EXPECT(strstr(c.err, "\033[") == NULL);
	EXPECT(strstr(c.err, "msg/s") == NULL);
	EXPECT_HAS(c.err, "pipeline: finished 'paced' in ");
	child_free(&c);

	/* The control: on a terminal the same run draws it (so the check above means
	 * something). */
	failure_context_set("paced pipeline, stderr a terminal");
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) {
		print_message("no pseudo-terminal here; the terminal half is skipped\n");
		if (master >= 0)
			close(master);
		return;
	}
	char name[64];
	assert_int_equal(ptsname_r(master, name, sizeof(name)), 0);
	int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(slave >= 0);
	fcntl(master, F_SETFD, FD_CLOEXEC);
	fcntl(master, F_SETFL, O_NONBLOCK);
	struct {
		int fd;
		char buf[16384];
		size_t n;
	} tty = { .fd = master };
	child_start(&c, dir, -1, slave, (const char *const[]){ "run", "paced.yaml", NULL });
	close(slave);
	double start = now_s();
	for (;;) {
		ssize_t r = read(tty.fd, tty.buf + tty.n, sizeof(tty.buf) - 1 - tty.n);
		if (r > 0) {
			tty.n += (size_t)r;
			continue;
		}
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			break; /* EIO: the child's end is closed */
		if (r == 0 || tty.n + 1 >= sizeof(tty.buf))
			break;
		if (now_s() - start > WATCHDOG_S) {
			kill(c.pid, SIGKILL);
			break;
		}
		sleep_s(0.005);
	}
	tty.buf[tty.n] = '\0';
	child_wait(&c, NULL, NULL);
	close(master);
	failure_stderr_set(tty.buf);
	EXPECT(c.exited);
	EXPECT_EQ(c.code, 0);
	EXPECT_HAS(tty.buf, "\r\033[Krunning ");
	EXPECT_HAS(tty.buf, " msg/s at sinks | ");
	/* erased before the summary */
	EXPECT_HAS(tty.buf, "\r\033[Kpipeline: finished 'paced' in ");
	child_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_sigint),
		cmocka_unit_test(test_random_sigterm),
		cmocka_unit_test(test_duplicate_signal_drains),
		cmocka_unit_test(test_metrics_fifo_without_reader),
		cmocka_unit_test(test_second_signal),
		cmocka_unit_test(test_drain_timeout),
		cmocka_unit_test(test_signal_before_any_message),
		cmocka_unit_test(test_signal_at_start),
		cmocka_unit_test(test_stats_and_interval),
		cmocka_unit_test(test_interval_usage),
		cmocka_unit_test(test_progress_only_on_terminal),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
