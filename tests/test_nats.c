/* test_nats.c - NATS channels between `pipeline run` processes, against a nats-server of its own.
 *
 * Each test starts its own nats-server (nats_server.h: a random port, JetStream in a
 * temporary directory) and its `pipeline run` processes in a scratch directory
 * (proc_set.h); its teardown ends them all, whatever failed.  The configs name the server
 * as ${NATS_URL}, which the test sets in its own environment for its processes to inherit.
 * Subjects hold the test's pid, so that no two runs share a subject or a stream.
 *
 * The inputs are numbered lines, job-1 .. job-N (`lines` of a file); the workers' outputs,
 * upper-cased (JOB-k) or recorded as they are (the test-record stage of
 * tests/plugins/record.c), are tallied over every process's file (line_tally.h): each line
 * exactly once (a queue group), or at least once (JetStream, across a SIGKILL).
 *
 * Without nats-server every test fails: CI installs it ($PL_NATS_SERVER may name another).
 */
#define _GNU_SOURCE /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli_harness.h"
#include "line_tally.h"
#include "nats_server.h"
#include "proc_set.h"
#include "run_child.h"

/* Sanitizer builds run several times slower: fewer messages there. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SLOW 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SLOW 1
#endif
#endif
#ifndef SLOW
#define SLOW 0
#endif

#define QUEUE_N   (SLOW ? 5000 : 20000) /* a: messages through the queue group */
#define DURABLE_N (SLOW ? 1500 : 3000)  /* b: messages through JetStream, a worker killed */
#define EACH_N    1000LL                /* c: messages of each of the two producers */
#define SELF_N    2000LL                /* h, i: messages */

/* Generous bounds: the machine may be shared, and sanitizers slow everything down. */
#define T_START (SLOW ? 60.0 : 30.0) /* until a consumer has subscribed */
#define T_RUN   (SLOW ? 80.0 : 60.0) /* until a run ends */
#define T_FAIL  (SLOW ? 10.0 : 5.0)  /* until a run that cannot go on has said so and exited */

/* What the record plugin (tests/plugins/record.c) is built as. */
static const char record_plugin[] = PL_TEST_PLUGIN_DIR "/record.so";

/* ---------------------------------------------------------------- the test's state */

static char dir[64];           /* the scratch directory, each process's cwd */
static struct nats_server srv; /* this test's server */
static struct proc_set procs;  /* this test's processes */
static char subject[96];       /* this test's subject */
static char subscribed[160];   /* what a consumer of it logs once subscribed */

static int setup(void **state)
{
	(void)state;
	memset(&srv, 0, sizeof(srv));
	memset(&procs, 0, sizeof(procs));
	failure_context_set("%s", "");
	return scratch_setup(dir, "nats");
}

static int teardown(void **state)
{
	(void)state;
	procs_end(&procs);
	nats_server_stop(&srv);
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): the test runs on one thread */
	unsetenv("NATS_URL");
	return scratch_teardown(dir);
}

/* ---------------------------------------------------------------- checks */

/* Checks that fail with the failure context and every process's state and stderr. */
#define EXPECT(cond)                                                                \
	do {                                                                        \
		if (!(cond))                                                        \
			procs_fail(&procs, "%s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)

#define EXPECT_EQ(a, b)                                                                         \
	do {                                                                                    \
		long long a_ = (long long)(a), b_ = (long long)(b);                             \
		if (a_ != b_)                                                                   \
			procs_fail(&procs, "%s:%d: %s == %s: %lld != %lld", __FILE__, __LINE__, \
				   #a, #b, a_, b_);                                             \
	} while (0)

#define EXPECT_HAS(text, needle)                                                                \
	do {                                                                                    \
		if (strstr((text), (needle)) == NULL)                                           \
			procs_fail(&procs, "%s:%d: \"%s\" not found in %s", __FILE__, __LINE__, \
				   (needle), #text);                                            \
	} while (0)

#define EXPECT_LACKS(text, needle)                                                          \
	do {                                                                                \
		if (strstr((text), (needle)) != NULL)                                       \
			procs_fail(&procs, "%s:%d: \"%s\" found in %s", __FILE__, __LINE__, \
				   (needle), #text);                                        \
	} while (0)

/* `p` has exited with `code` (not been killed by a signal). */
static void expect_exit(const struct proc *p, int code)
{
	if (!p->c.exited || p->c.code != code)
		procs_fail(&procs, "'%s' %s %d, not exit code %d", p->name,
			   p->c.exited ? "exited" : "was killed by signal", p->c.code, code);
}

enum { COL_IN, COL_OUT };

/* Column `col` of node `node`'s row in the summary `p` printed (-1 for '-'). */
static long long summary_value(const struct proc *p, const char *node, int col)
{
	char pat[96];
	snprintf(pat, sizeof(pat), "\n%s ", node);
	const char *row = strstr(p->c.err, pat);
	char name[64], type[32], in[32], out[32];
	int workers;
	if (row == NULL ||
	    sscanf(row + 1, "%63s %31s %d %31s %31s", name, type, &workers, in, out) != 5)
		procs_fail(&procs, "'%s' printed no summary row for node '%s' (or not one to read)",
			   p->name, node);
	const char *v = col == COL_IN ? in : out;
	return strcmp(v, "-") == 0 ? -1 : atoll(v);
}

/* ---------------------------------------------------------------- files and configs */

/* dir/name, in a static buffer of four (so that a few can be used at once). */
static const char *in_dir(const char *name)
{
	static char paths[4][160];
	static int k;
	char *p = paths[k++ % 4];
	snprintf(p, 160, "%s/%s", dir, name);
	return p;
}

/* Writes dir/name from a printf-like format. */
static void put(const char *name, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void put(const char *name, const char *fmt, ...)
{
	FILE *f = fopen(in_dir(name), "w");
	assert_non_null(f);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	assert_int_equal(fclose(f), 0);
}

/* Writes the lines job-FROM .. job-TO into dir/name. */
static void write_jobs(const char *name, long long from, long long to)
{
	FILE *f = fopen(in_dir(name), "w");
	assert_non_null(f);
	for (long long k = from; k <= to; k++)
		fprintf(f, "job-%lld\n", k);
	assert_int_equal(fclose(f), 0);
}

/* The server the configs' ${NATS_URL} names, for the processes started from now on. */
static void use_url(const char *url)
{
	/* NOLINTNEXTLINE(concurrency-mt-unsafe): the test runs on one thread */
	assert_int_equal(setenv("NATS_URL", url, 1), 0);
}

/* This test's subject: pl<pid>.<tag>. */
static void use_subject(const char *tag)
{
	snprintf(subject, sizeof(subject), "pl%d.%s", (int)getpid(), tag);
	snprintf(subscribed, sizeof(subscribed), "subscribed to '%s'", subject);
}

/*
 * The `channels:` section: `jobs` over NATS on this test's subject, `durable` or not, with
 * `idle_ms` as its idle_timeout_ms and `extra` (more keys, each line indented 4 spaces).
 * In a static buffer.
 */
static const char *channels(int durable, int idle_ms, const char *extra)
{
	static char text[1024];
	snprintf(text, sizeof(text),
		 "channels:\n"
		 "  jobs:\n"
		 "    transport: nats\n"
		 "    url: ${NATS_URL}\n"
		 "    subject: %s\n"
		 "    durable: %s\n"
		 "    idle_timeout_ms: %d\n"
		 "%s",
		 subject, durable ? "true" : "false", idle_ms, extra);
	return text;
}

/* A producer: the lines of dir/`input` into `jobs`. */
static void put_producer(const char *name, const char *input, int durable, const char *extra)
{
	put(name,
	    "version: 1\n"
	    "name: producer\n"
	    "%s"
	    "nodes:\n"
	    "  - { name: source, type: generator, stage: lines, params: { path: %s }, "
	    "output: jobs }\n",
	    channels(durable, 60000, extra), input);
}

/* A worker: `jobs` -> `workers` x upper -> file `output`. */
static void put_worker(const char *name, const char *output, int durable, int idle_ms,
		       const char *extra, int workers)
{
	put(name,
	    "version: 1\n"
	    "name: worker\n"
	    "%s"
	    "nodes:\n"
	    "  - { name: work, type: fan-out, workers: %d, stage: upper, input: jobs, "
	    "output: done }\n"
	    "  - { name: save, type: sink, stage: file, params: { path: %s }, input: done }\n",
	    channels(durable, idle_ms, extra), workers, output);
}

/* A port of 127.0.0.1 on which nothing listens (one the kernel just handed out). */
static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

/*
 * Tallies the files dir/outputs[i] against PREFIX1 .. PREFIXn: no foreign line, none
 * missing, and, when `exactly`, none twice.  Each file's line count into lines[i] (when
 * not NULL); returns how many lines were found twice or more.
 */
static long long expect_lines(const char *const *outputs, size_t n_outputs, const char *prefix,
			      long long n, int exactly, long long *lines)
{
	struct tally t;
	tally_init(&t, n);
	for (size_t i = 0; i < n_outputs; i++) {
		long long got = tally_file(&t, in_dir(outputs[i]), prefix);
		if (lines != NULL)
			lines[i] = got;
	}
	long long first_missing, first_repeated;
	long long missing = tally_missing(&t, &first_missing);
	long long repeated = tally_repeated(&t, &first_repeated);
	long long foreign = t.foreign, total = t.lines;
	char sample[sizeof(t.first_foreign)];
	memcpy(sample, t.first_foreign, sizeof(sample));
	tally_free(&t);
	if (foreign != 0)
		procs_fail(&procs, "%lld unexpected lines in the outputs, the first: '%s'", foreign,
			   sample);
	if (missing != 0)
		procs_fail(&procs,
			   "%lld of the %lld inputs are in no output (%lld lines in all), "
			   "the first: %s%lld",
			   missing, n, total, prefix, first_missing);
	if (exactly && repeated != 0)
		procs_fail(&procs,
			   "%lld inputs are in the outputs more than once, the first: %s%lld",
			   repeated, prefix, first_repeated);
	return repeated;
}

/* Starts `pipeline run --stats YAML` in the scratch directory. */
static struct proc *start_run(const char *name, const char *yaml)
{
	return PROCS_START(&procs, name, dir, "run", "--stats", yaml);
}

/* ---------------------------------------------------------------- a: a queue group */

/*
 * Three worker processes of 4 threads each in the channel's queue group, then one producer:
 * every message reaches exactly one worker, and the work is shared.
 */
static void test_queue_group_shares_each_message_once(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	use_subject("queue");
	failure_context_set("a queue group: 3 workers, %d messages on '%s' at %s", QUEUE_N, subject,
			    srv.url);
	write_jobs("jobs.txt", 1, QUEUE_N);
	put_producer("producer.yaml", "jobs.txt", 0, "");
	const char *const yaml[3] = { "worker-0.yaml", "worker-1.yaml", "worker-2.yaml" };
	const char *const out[3] = { "out-0.txt", "out-1.txt", "out-2.txt" };
	struct proc *w[3];
	for (int i = 0; i < 3; i++) {
		put_worker(yaml[i], out[i], 0, 60000, "", 4);
		w[i] = start_run(yaml[i], yaml[i]);
	}
	for (int i = 0; i < 3; i++) {
		proc_wait_log(&procs, w[i], subscribed, T_START);
		proc_wait_log(&procs, w[i], "queue group 'jobs'", T_START);
	}

	struct proc *p = start_run("producer", "producer.yaml");
	proc_wait(&procs, p, T_RUN);
	expect_exit(p, 0);
	EXPECT_EQ(summary_value(p, "source", COL_OUT), QUEUE_N);
	EXPECT_EQ(summary_value(p, "nats-out:jobs", COL_IN), QUEUE_N);
	for (int i = 0; i < 3; i++) {
		proc_wait(&procs, w[i], T_RUN);
		expect_exit(w[i], 0);
	}

	long long lines[3];
	expect_lines(out, 3, "JOB-", QUEUE_N, 1, lines);
	int busy = 0;
	for (int i = 0; i < 3; i++) {
		busy += lines[i] > 0;
		EXPECT_EQ(summary_value(w[i], "nats-in:jobs", COL_OUT), lines[i]);
		EXPECT_EQ(summary_value(w[i], "save", COL_IN), lines[i]);
	}
	if (busy < 2)
		procs_fail(&procs, "one worker took every message: %lld, %lld, %lld", lines[0],
			   lines[1], lines[2]);
}

/* ---------------------------------------------------------------- b: durable, a worker killed */

/* The total of the files' lines, and which of them (a running process's) holds the most. */
static long long most_lines(const char *const *out, struct proc *const *w, int n, int *busiest)
{
	long long total = 0, best = -1;
	*busiest = -1;
	for (int i = 0; i < n; i++) {
		long long got = file_lines(in_dir(out[i]));
		total += got;
		if (got > best && proc_running(w[i])) {
			best = got;
			*busiest = i;
		}
	}
	return total;
}

/*
 * JetStream: three workers of 4 threads that take 2 ms a message, and the busiest killed
 * with SIGKILL once a tenth of the work is done.  What it had not acknowledged goes to the
 * others once ack_wait_ms has passed: every message is recorded at least once, and the
 * survivors end normally.  The workers record each message with one write(2) (test-record)
 * before it is acknowledged, so a killed worker's file holds all it acknowledged (the file
 * sink's stdio buffer would lose up to 4 KiB of it).
 */
static void test_durable_survives_a_killed_worker(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	use_subject("durable");
	failure_context_set("durable: 3 workers, one killed, %d messages on '%s' at %s", DURABLE_N,
			    subject, srv.url);
	write_jobs("jobs.txt", 1, DURABLE_N);
	put_producer("producer.yaml", "jobs.txt", 1, "    ack_wait_ms: 1000\n");
	const char *const yaml[3] = { "worker-0.yaml", "worker-1.yaml", "worker-2.yaml" };
	const char *const out[3] = { "out-0.txt", "out-1.txt", "out-2.txt" };
	struct proc *w[3];
	for (int i = 0; i < 3; i++) {
		put(yaml[i],
		    "version: 1\n"
		    "name: worker\n"
		    "%s"
		    "nodes:\n"
		    "  - { name: work, type: fan-out, workers: 4, stage: test-record,\n"
		    "      params: { path: %s, ms: 2 }, input: jobs, output: done }\n"
		    "  - { name: total, type: sink, stage: count, input: done }\n",
		    channels(1, 60000, "    ack_wait_ms: 1000\n"), out[i]);
		w[i] = PROCS_START(&procs, yaml[i], dir, "run", "--stats", "--plugin",
				   record_plugin, yaml[i]);
	}
	for (int i = 0; i < 3; i++)
		proc_wait_log(&procs, w[i], subscribed, T_START);

	struct proc *p = start_run("producer", "producer.yaml");
	int victim = -1;
	for (double start = now_s();;) {
		long long total = most_lines(out, w, 3, &victim);
		if (victim < 0)
			procs_fail(&procs, "every worker ended before any was killed");
		if (total >= DURABLE_N / 10)
			break;
		if (now_s() - start > T_RUN)
			procs_fail(&procs, "the workers did not record %d messages within %.0f s",
				   DURABLE_N / 10, T_RUN);
		sleep_s(0.002);
	}
	proc_kill(w[victim]);
	EXPECT(!w[victim]->c.exited && w[victim]->c.code == SIGKILL);

	proc_wait(&procs, p, T_RUN);
	expect_exit(p, 0);
	EXPECT_EQ(summary_value(p, "source", COL_OUT), DURABLE_N);
	EXPECT_EQ(summary_value(p, "nats-out:jobs", COL_IN), DURABLE_N);
	for (int i = 0; i < 3; i++) {
		if (i == victim)
			continue;
		proc_wait(&procs, w[i], T_RUN);
		expect_exit(w[i], 0);
	}
	long long lines[3];
	long long again = expect_lines(out, 3, "job-", DURABLE_N, 0, lines);
	/* What the kill did, for the log: the ones the victim recorded but had not
	 * acknowledged were done twice. */
	printf("durable: '%s' killed after recording %lld messages; %lld recorded twice or more\n",
	       w[victim]->name, lines[victim], again);
	for (int i = 0; i < 3; i++) {
		if (i == victim)
			continue;
		/* A survivor's books: every message it recorded was counted at its end. */
		char count[64];
		snprintf(count, sizeof(count), "messages=%lld ", lines[i]);
		EXPECT_HAS(w[i]->c.out, count);
		EXPECT_EQ(summary_value(w[i], "nats-in:jobs", COL_OUT), lines[i]);
	}
}

/* ---------------------------------------------------------------- stops and late starts */

/* A worker: `jobs` -> `workers` x (delay `ms`, then upper) -> file `output`. */
static void put_slow_worker(const char *name, const char *output, int durable, int ms)
{
	put(name,
	    "version: 1\n"
	    "name: worker\n"
	    "%s"
	    "nodes:\n"
	    "  - { name: wait, type: fan-out, workers: 4, stage: delay, params: { ms: %d }, "
	    "input: jobs, output: waited }\n"
	    "  - { name: work, type: fan-out, workers: 1, stage: upper, input: waited, "
	    "output: done }\n"
	    "  - { name: save, type: sink, stage: file, params: { path: %s }, input: done }\n",
	    channels(durable, 60000, ""), ms, output);
}

/*
 * Core NATS: Ctrl-C on one of two workers.  What NATS had already handed it is passed on
 * (drained), not dropped: the two outputs still hold every message exactly once.
 */
static void test_core_worker_drains_on_sigint(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	use_subject("drain");
	failure_context_set("core: a worker stopped with SIGINT, 4000 messages on '%s' at %s",
			    subject, srv.url);
	write_jobs("jobs.txt", 1, 4000);
	put_producer("producer.yaml", "jobs.txt", 0, "");
	const char *const out[2] = { "out-0.txt", "out-1.txt" };
	put_slow_worker("worker-0.yaml", out[0], 0, 2);
	put_slow_worker("worker-1.yaml", out[1], 0, 2);
	struct proc *w0 = start_run("worker-0", "worker-0.yaml");
	struct proc *w1 = start_run("worker-1", "worker-1.yaml");
	proc_wait_log(&procs, w0, subscribed, T_START);
	proc_wait_log(&procs, w1, subscribed, T_START);
	struct proc *p = start_run("producer", "producer.yaml");
	/* Interrupted with work under way (the whole takes about a second). */
	sleep_s(0.3);
	child_signal(&w0->c, SIGINT);
	proc_wait(&procs, w0, T_RUN);
	expect_exit(w0, 130);
	proc_wait(&procs, p, T_RUN);
	expect_exit(p, 0);
	proc_wait(&procs, w1, T_RUN);
	expect_exit(w1, 0);
	long long lines[2];
	expect_lines(out, 2, "JOB-", 4000, 1, lines);
	EXPECT(lines[0] > 0 && lines[1] > 0);
	EXPECT_HAS(w0->c.err, "nothing lost");
}

/* JetStream: the worker starts after the producer has ended: it learns of the end from
 * the markers JetStream kept, does the work, and ends (without waiting idle_timeout_ms). */
static void test_durable_worker_after_the_end(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	use_subject("late");
	failure_context_set("durable: the worker after the producer's end, on '%s' at %s", subject,
			    srv.url);
	write_jobs("jobs.txt", 1, 500);
	put_producer("producer.yaml", "jobs.txt", 1, "");
	struct proc *p = start_run("producer", "producer.yaml");
	proc_wait(&procs, p, T_RUN);
	expect_exit(p, 0);
	put_worker("worker.yaml", "out.txt", 1, 600000, "", 4);
	struct proc *w = start_run("worker", "worker.yaml");
	proc_wait(&procs, w, T_RUN);
	expect_exit(w, 0);
	const char *const out[1] = { "out.txt" };
	expect_lines(out, 1, "JOB-", 500, 1, NULL);

	/* The run is complete: its markers are cleared.  A worker started now waits for the
	 * next run's producer, and gets only its messages. */
	write_jobs("more.txt", 501, 700);
	put_producer("producer-2.yaml", "more.txt", 1, "");
	put_worker("worker-2.yaml", "out-2.txt", 1, 600000, "", 4);
	struct proc *w2 = start_run("worker-2", "worker-2.yaml");
	proc_wait_log(&procs, w2, subscribed, T_START);
	sleep_s(0.5);
	EXPECT(proc_running(w2));
	struct proc *p2 = start_run("producer-2", "producer-2.yaml");
	proc_wait(&procs, p2, T_RUN);
	expect_exit(p2, 0);
	proc_wait(&procs, w2, T_RUN);
	expect_exit(w2, 0);
	EXPECT_EQ(file_lines(in_dir("out-2.txt")), 200);
}

/* A producer stopped with SIGINT: while it waits for a consumer (it gives up at once,
 * having sent nothing), and mid-stream (its end marker says it was cut short, and the
 * consumer warns that the stream is incomplete). */
static void test_producer_stopped(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	use_subject("stopped");
	failure_context_set("a producer stopped with SIGINT, on '%s' at %s", subject, srv.url);
	write_jobs("jobs.txt", 1, 5000);
	put_producer("waiting.yaml", "jobs.txt", 0, "");
	struct proc *p = start_run("waiting", "waiting.yaml");
	proc_wait_log(&procs, p, "waiting for a consumer of", T_START);
	double t0 = now_s();
	child_signal(&p->c, SIGINT);
	proc_wait(&procs, p, T_FAIL);
	EXPECT(now_s() - t0 < 3.0);
	EXPECT(p->c.exited && p->c.code != 0);
	EXPECT_HAS(p->c.err, "stopped while waiting for a consumer");

	put("cut.yaml",
	    "version: 1\n"
	    "%s"
	    "nodes:\n"
	    "  - { name: source, type: generator, stage: lines, rate: 500/s, "
	    "params: { path: jobs.txt }, output: jobs }\n",
	    channels(1, 60000, ""));
	put_worker("worker.yaml", "out.txt", 1, 60000, "", 2);
	struct proc *w = start_run("worker", "worker.yaml");
	proc_wait_log(&procs, w, subscribed, T_START);
	struct proc *cut = start_run("cut", "cut.yaml");
	sleep_s(1.0);
	child_signal(&cut->c, SIGINT);
	proc_wait(&procs, cut, T_RUN);
	expect_exit(cut, 130);
	proc_wait(&procs, w, T_RUN);
	expect_exit(w, 0);
	EXPECT_HAS(w->c.err, "stopped before its input ended");
	EXPECT_HAS(w->c.err, "the stream is incomplete");
	long long sent = summary_value(cut, "nats-out:jobs", COL_IN);
	EXPECT(sent > 0 && sent < 5000);
	EXPECT_EQ(file_lines(in_dir("out.txt")), sent);
}

/* Subjects that differ only in '.' and '_' would share a JetStream stream name: the
 * second is refused at the start, saying so, rather than failing its publishes. */
static void test_stream_name_clash(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	failure_context_set("two subjects, one stream name, at %s", srv.url);
	write_jobs("jobs.txt", 1, 10);
	use_subject("a_b");
	put_producer("first.yaml", "jobs.txt", 1, "");
	struct proc *first = start_run("first", "first.yaml");
	proc_wait(&procs, first, T_RUN);
	expect_exit(first, 0);
	use_subject("a.b");
	put_producer("second.yaml", "jobs.txt", 1, "");
	struct proc *second = start_run("second", "second.yaml");
	proc_wait(&procs, second, T_RUN);
	expect_exit(second, 1);
	EXPECT_HAS(second->c.err, "exists for another subject");
	EXPECT_HAS(second->c.err, "second.yaml:");
}

/* ---------------------------------------------------------------- c: two producers */

/*
 * `producers: 2`: the consumer ends only once both producers have ended their streams, and
 * gets the messages of both.  The first producer starts before any consumer, and waits for
 * one.
 */
static void test_consumer_waits_for_every_producer(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	use_subject("producers");
	failure_context_set("producers: 2 producers of %lld messages, one consumer, on '%s' at %s",
			    EACH_N, subject, srv.url);
	write_jobs("jobs-1.txt", 1, EACH_N);
	write_jobs("jobs-2.txt", EACH_N + 1, 2 * EACH_N);
	put_producer("producer-1.yaml", "jobs-1.txt", 0, "    producers: 2\n");
	put_producer("producer-2.yaml", "jobs-2.txt", 0, "    producers: 2\n");
	put_worker("consumer.yaml", "out.txt", 0, 60000, "    producers: 2\n", 2);

	struct proc *p1 = start_run("producer-1", "producer-1.yaml");
	char waiting[160];
	snprintf(waiting, sizeof(waiting), "waiting for a consumer of '%s'", subject);
	proc_wait_log(&procs, p1, waiting, T_START);
	struct proc *c = start_run("consumer", "consumer.yaml");
	proc_wait_log(&procs, c, subscribed, T_START);
	proc_wait(&procs, p1, T_RUN);
	expect_exit(p1, 0);
	EXPECT_EQ(summary_value(p1, "nats-out:jobs", COL_IN), EACH_N);

	/* One end of stream of two: the consumer goes on. */
	sleep_s(0.5);
	EXPECT(proc_running(c));

	struct proc *p2 = start_run("producer-2", "producer-2.yaml");
	proc_wait(&procs, p2, T_RUN);
	expect_exit(p2, 0);
	EXPECT_EQ(summary_value(p2, "nats-out:jobs", COL_IN), EACH_N);
	proc_wait(&procs, c, T_RUN);
	expect_exit(c, 0);
	const char *const out[1] = { "out.txt" };
	expect_lines(out, 1, "JOB-", 2 * EACH_N, 1, NULL);
	EXPECT_EQ(summary_value(c, "nats-in:jobs", COL_OUT), 2 * EACH_N);
}

/* ---------------------------------------------------------------- d, e: no connection */

/* Runs `yaml` expecting it to fail at once: exit 1 within T_FAIL, its stderr naming the
 * channel, and never `secret`. */
static struct proc *expect_refused(const char *name, const char *yaml, const char *secret)
{
	struct proc *p = start_run(name, yaml);
	proc_wait(&procs, p, T_FAIL + 10.0);
	expect_exit(p, 1);
	EXPECT(p->c.ended - p->c.started < T_FAIL);
	EXPECT_HAS(p->c.err, "'jobs'");
	EXPECT_LACKS(p->c.err, secret);
	EXPECT_LACKS(p->c.out, secret);
	return p;
}

/*
 * Nothing listens at the URL: the consumer and the producer each exit 1 at once, saying
 * which channel and which server, with the URL's password shown as ***.
 */
static void test_cannot_connect_fails_fast(void **state)
{
	(void)state;
	int port = free_port();
	char url[128], where[64];
	snprintf(url, sizeof(url), "nats://pl:secret@127.0.0.1:%d", port);
	snprintf(where, sizeof(where), "127.0.0.1:%d", port);
	use_url(url);
	use_subject("refused");
	failure_context_set("nothing listens at %s", url);
	write_jobs("jobs.txt", 1, 10);
	put_producer("producer.yaml", "jobs.txt", 0, "");
	put_worker("consumer.yaml", "out.txt", 0, 60000, "", 2);
	struct proc *c = expect_refused("consumer", "consumer.yaml", "secret");
	EXPECT_HAS(c->c.err, where);
	EXPECT_HAS(c->c.err, "***");
	struct proc *p = expect_refused("producer", "producer.yaml", "secret");
	EXPECT_HAS(p->c.err, where);
	EXPECT_HAS(p->c.err, "***");

	/* A password may hold '@' itself: everything up to the last one before the host is
	 * hidden. */
	snprintf(url, sizeof(url), "nats://pl:se@cret@127.0.0.1:%d", port);
	use_url(url);
	struct proc *at = expect_refused("at-sign", "consumer.yaml", "cret@");
	EXPECT_HAS(at->c.err, "nats://***@127.0.0.1");
	EXPECT_LACKS(at->c.err, "se@");
}

/* The server wants a user and a password: the right ones work, a wrong password is refused
 * saying so, and neither password is printed. */
static void test_wrong_password_is_refused(void **state)
{
	(void)state;
	nats_server_start(&srv, "pl", "right-pw-e8");
	use_subject("auth");
	write_jobs("jobs.txt", 1, 100);
	put("both.yaml",
	    "version: 1\n"
	    "name: both\n"
	    "%s"
	    "nodes:\n"
	    "  - { name: source, type: generator, stage: lines, params: { path: jobs.txt }, "
	    "output: jobs }\n"
	    "  - { name: work, type: fan-out, stage: upper, input: jobs, output: done }\n"
	    "  - { name: save, type: sink, stage: file, params: { path: out.txt }, input: done }\n",
	    channels(0, 60000, ""));

	char url[128];
	snprintf(url, sizeof(url), "nats://pl:right-pw-e8@127.0.0.1:%d", srv.port);
	use_url(url);
	failure_context_set("auth: the right password at %s", srv.url);
	struct proc *ok = start_run("right password", "both.yaml");
	proc_wait(&procs, ok, T_RUN);
	expect_exit(ok, 0);
	EXPECT_LACKS(ok->c.err, "right-pw-e8");
	const char *const out[1] = { "out.txt" };
	expect_lines(out, 1, "JOB-", 100, 1, NULL);

	snprintf(url, sizeof(url), "nats://pl:wrong-pw-e8@127.0.0.1:%d", srv.port);
	use_url(url);
	failure_context_set("auth: a wrong password at %s", srv.url);
	struct proc *bad = expect_refused("wrong password", "both.yaml", "wrong-pw-e8");
	EXPECT_LACKS(bad->c.err, "right-pw-e8");
	EXPECT(strcasestr(bad->c.err, "authoriz") != NULL ||
	       strcasestr(bad->c.err, "authentic") != NULL);
}

/* ---------------------------------------------------------------- f, g: giving up */

/* A consumer with no producer gives up after idle_timeout_ms, saying so. */
static void test_idle_consumer_gives_up(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	use_subject("idle");
	failure_context_set("a consumer alone, idle_timeout_ms: 1000, at %s", srv.url);
	put_worker("consumer.yaml", "out.txt", 0, 1000, "", 2);
	struct proc *c = start_run("consumer", "consumer.yaml");
	proc_wait(&procs, c, T_FAIL + 10.0);
	expect_exit(c, 1);
	EXPECT(c->c.ended - c->c.started >= 0.9);
	EXPECT(c->c.ended - c->c.started < T_FAIL);
	EXPECT_HAS(c->c.err, "idle_timeout_ms");
}

/* The server dies under a consumer whose reconnection attempts run out: it exits non-zero,
 * in bounded time, saying why. */
/* The same under a durable producer publishing at a steady rate: it fails soon after its
 * reconnects are used up (not after JetStream's publish timeouts), says why, and counts
 * what JetStream had not stored as lost. */
static void test_lost_server_ends_the_producer(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	use_subject("lostp");
	failure_context_set("the server killed under a durable producer, at %s", srv.url);
	write_jobs("jobs.txt", 1, 100000);
	put("producer.yaml",
	    "version: 1\n"
	    "%s"
	    "nodes:\n"
	    "  - { name: source, type: generator, stage: lines, rate: 2000/s, "
	    "params: { path: jobs.txt }, output: jobs }\n",
	    channels(1, 60000, "    reconnect: { attempts: 2, wait_ms: 200 }\n"));
	struct proc *p = start_run("producer", "producer.yaml");
	sleep_s(1.0);
	EXPECT(proc_running(p));
	nats_server_kill(&srv);
	double killed = now_s();
	proc_wait(&procs, p, T_RUN);
	EXPECT(p->c.ended - killed < 10.0);
	EXPECT(p->c.exited && p->c.code == 1);
	EXPECT_HAS(p->c.err, "reconnecting failed");
}

static void test_lost_server_ends_the_consumer(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	use_subject("lost");
	failure_context_set("the server killed under a consumer, reconnect 2 x 200 ms, at %s",
			    srv.url);
	put_worker("consumer.yaml", "out.txt", 0, 60000,
		   "    reconnect: { attempts: 2, wait_ms: 200 }\n", 2);
	struct proc *c = start_run("consumer", "consumer.yaml");
	proc_wait_log(&procs, c, subscribed, T_START);
	nats_server_kill(&srv);
	double killed = now_s();
	proc_wait(&procs, c, T_RUN);
	EXPECT(c->c.ended - killed < 15.0);
	EXPECT(c->c.exited && c->c.code != 0);
	EXPECT_HAS(c->c.err, "'jobs'");
	EXPECT(strcasestr(c->c.err, "connect") != NULL);
}

/* The server restarts (same port) while a consumer waits: it reconnects, subscribes again,
 * and a producer started afterwards gets everything to it. */
static void test_consumer_rides_out_a_restart(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	use_subject("restart");
	failure_context_set("the server restarted under a consumer, at %s", srv.url);
	write_jobs("jobs.txt", 1, SELF_N);
	put_producer("producer.yaml", "jobs.txt", 0, "");
	put_worker("consumer.yaml", "out.txt", 0, 60000,
		   "    reconnect: { attempts: 100, wait_ms: 100 }\n", 2);
	struct proc *c = start_run("consumer", "consumer.yaml");
	proc_wait_log(&procs, c, subscribed, T_START);
	nats_server_kill(&srv);
	sleep_s(0.3);
	nats_server_restart(&srv);

	struct proc *p = start_run("producer", "producer.yaml");
	proc_wait(&procs, p, T_RUN);
	expect_exit(p, 0);
	proc_wait(&procs, c, T_RUN);
	expect_exit(c, 0);
	const char *const out[1] = { "out.txt" };
	expect_lines(out, 1, "JOB-", SELF_N, 1, NULL);
}

/* ---------------------------------------------------------------- h: one process, both sides */

/* The producer and the consumer of a NATS channel in one process, through the server:
 * everything arrives once, core NATS and JetStream alike. */
static void test_both_sides_in_one_process(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	write_jobs("jobs.txt", 1, SELF_N);
	for (int durable = 0; durable <= 1; durable++) {
		use_subject(durable ? "self-durable" : "self");
		failure_context_set("one process, both sides, durable: %d, on '%s' at %s", durable,
				    subject, srv.url);
		char yaml[32], output[32];
		snprintf(yaml, sizeof(yaml), "self-%d.yaml", durable);
		snprintf(output, sizeof(output), "out-%d.txt", durable);
		put(yaml,
		    "version: 1\n"
		    "name: self\n"
		    "%s"
		    "nodes:\n"
		    "  - { name: source, type: generator, stage: lines, params: { path: jobs.txt "
		    "}, "
		    "output: jobs }\n"
		    "  - { name: work, type: fan-out, workers: 2, stage: upper, input: jobs, "
		    "output: done }\n"
		    "  - { name: save, type: sink, stage: file, params: { path: %s }, input: "
		    "done }\n",
		    channels(durable, 60000, ""), output);
		struct proc *p = start_run(yaml, yaml);
		proc_wait(&procs, p, T_RUN);
		expect_exit(p, 0);
		const char *const out[1] = { output };
		expect_lines(out, 1, "JOB-", SELF_N, 1, NULL);
		EXPECT_EQ(summary_value(p, "source", COL_OUT), SELF_N);
		EXPECT_EQ(summary_value(p, "nats-out:jobs", COL_IN), SELF_N);
		EXPECT_EQ(summary_value(p, "nats-in:jobs", COL_OUT), SELF_N);
		EXPECT_EQ(summary_value(p, "save", COL_IN), SELF_N);
	}
}

/* ---------------------------------------------------------------- the example */

/* pipelines/distributed/: a worker and a producer as they are, shortened with --set. */
static void test_distributed_example(void **state)
{
	(void)state;
	nats_server_start(&srv, NULL, NULL);
	use_url(srv.url);
	snprintf(subscribed, sizeof(subscribed), "subscribed to 'jobs'");
	failure_context_set("pipelines/distributed/ at %s", srv.url);
	struct proc *w = PROCS_START(&procs, "worker", PL_SOURCE_DIR, "run", "--stats", "--set",
				     "work.params.ms=1", "pipelines/distributed/worker.yaml");
	proc_wait_log(&procs, w, subscribed, T_START);
	struct proc *p =
		PROCS_START(&procs, "producer", PL_SOURCE_DIR, "run", "--stats", "--set",
			    "source.params.count=300", "pipelines/distributed/producer.yaml");
	proc_wait(&procs, p, T_RUN);
	expect_exit(p, 0);
	proc_wait(&procs, w, T_RUN);
	expect_exit(w, 0);
	EXPECT_HAS(w->c.out, "messages=300 ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue_group_shares_each_message_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_durable_survives_a_killed_worker, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_core_worker_drains_on_sigint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durable_worker_after_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_producer_stopped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stream_name_clash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consumer_waits_for_every_producer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cannot_connect_fails_fast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_consumer_gives_up, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_server_ends_the_consumer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_lost_server_ends_the_producer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_consumer_rides_out_a_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_both_sides_in_one_process, setup, teardown),
		cmocka_unit_test_setup_teardown(test_distributed_example, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
