/* test_engine.c - running pipelines in-process: every node kind, exactly-once delivery, failures
 * and shutdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "engine.h"
#include "engine_harness.h"
#include "graph.h"
#include "registry.h"

/* ---- Test-only stages, written against the public header. ------------- */

/* fail_at (transform) and fail_sink (sink): pass messages on (or drop
 * them), and fail on the `at`-th one received. */
struct fail_state {
	int64_t at, seen;
};

static int fail_init(pl_worker *w, const pl_params *p)
{
	struct fail_state *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return PL_ENOMEM;
	w->host->param_int(p, "at", &s->at);
	w->state = s;
	return 0;
}

/* Ownership: takes msg; emits it, or frees it. */
static int fail_process(pl_worker *w, pl_msg *msg)
{
	struct fail_state *s = w->state;
	if (++s->seen == s->at) {
		w->host->msg_free(msg);
		return w->host->failf(w, "failed at message %lld", (long long)s->at);
	}
	return w->host->emit(w, msg) == 0 ? 0 : PL_ECANCELED;
}

/* Ownership: takes msg and frees it. */
static int fail_sink_process(pl_worker *w, pl_msg *msg)
{
	struct fail_state *s = w->state;
	w->host->msg_free(msg);
	if (++s->seen == s->at)
		return w->host->failf(w, "sink failed at message %lld", (long long)s->at);
	return 0;
}

/* Frees the state every test stage keeps in w->state. */
static void free_state(pl_worker *w)
{
	free(w->state);
}

static const pl_param_spec fail_params[] = {
	{ .name = "at",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_REQUIRED,
	  .description = "fail here" },
};

static const pl_stage fail_at_stage = {
	PL_STAGE_HEADER,       .kind = PL_STAGE_TRANSFORM,
	.name = "fail_at",     .description = "fails on the at-th message",
	.params = fail_params, .n_params = 1,
	.init = fail_init,     .process = fail_process,
	.fini = free_state,
};

static const pl_stage fail_sink_stage = {
	PL_STAGE_HEADER,       .kind = PL_STAGE_SINK,
	.name = "fail_sink",   .description = "fails on the at-th message",
	.params = fail_params, .n_params = 1,
	.init = fail_init,     .process = fail_sink_process,
	.fini = free_state,
};

/* triple: emits every message three times (a transform may multiply). */
static int triple_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	for (int i = 0; i < 2; i++) {
		pl_msg *copy = h->msg_new(h->msg_len(msg));
		if (copy == NULL) {
			h->msg_free(msg);
			return PL_ENOMEM;
		}
		memcpy(h->msg_data(copy), h->msg_data(msg), h->msg_len(msg));
		if (h->emit(w, copy) != 0) {
			h->msg_free(msg);
			return PL_ECANCELED;
		}
	}
	return h->emit(w, msg) == 0 ? 0 : PL_ECANCELED;
}

static const pl_stage triple_stage = {
	PL_STAGE_HEADER,           .kind = PL_STAGE_TRANSFORM,
	.name = "triple",          .description = "emits each message three times",
	.process = triple_process,
};

/* gauge: sleeps `ms` per message and records the most workers ever inside
 * process() at once, to show that a fan-out's workers really overlap. */
static atomic_int gauge_inside, gauge_max;

static int gauge_process(pl_worker *w, pl_msg *msg)
{
	int now = atomic_fetch_add(&gauge_inside, 1) + 1;
	int max = atomic_load(&gauge_max);
	while (now > max && !atomic_compare_exchange_weak(&gauge_max, &max, now))
		;
	struct timespec ts = { 0, 20 * 1000000L };
	nanosleep(&ts, NULL);
	atomic_fetch_sub(&gauge_inside, 1);
	return w->host->emit(w, msg) == 0 ? 0 : PL_ECANCELED;
}

static const pl_stage gauge_stage = {
	PL_STAGE_HEADER,          .kind = PL_STAGE_TRANSFORM,
	.name = "gauge",          .description = "sleeps 20 ms and records concurrency",
	.process = gauge_process,
};

/* liar: a sink that returns PL_ECANCELED on its 3rd message although
 * nothing is stopping (a stage bug): it must fail, not hang its upstream. */
static int liar_init(pl_worker *w, const pl_params *p)
{
	(void)p;
	w->state = calloc(1, sizeof(int));
	return w->state != NULL ? 0 : PL_ENOMEM;
}

static int liar_process(pl_worker *w, pl_msg *msg)
{
	int *seen = w->state;
	w->host->msg_free(msg);
	return ++*seen == 3 ? PL_ECANCELED : 0;
}

static const pl_stage liar_stage = {
	PL_STAGE_HEADER,    .kind = PL_STAGE_SINK,
	.name = "liar",     .description = "returns PL_ECANCELED without being stopped",
	.init = liar_init,  .process = liar_process,
	.fini = free_state,
};

/* eager: a generator that tries to emit from init(), which is refused
 * (nobody reads yet: a blocking send there would hang the runner). */
static int eager_emit_rc;

static int eager_init(pl_worker *w, const pl_params *p)
{
	(void)p;
	eager_emit_rc = w->host->emit(w, w->host->msg_new(1));
	return 0;
}

static int eager_generate(pl_worker *w)
{
	pl_msg *m = w->host->msg_new(2);
	if (m == NULL)
		return PL_ENOMEM;
	memcpy(w->host->msg_data(m), "ok", 2);
	int rc = w->host->emit(w, m);
	return rc == PL_ECANCELED ? 0 : rc;
}

static const pl_stage eager_stage = {
	PL_STAGE_HEADER,    .kind = PL_STAGE_GENERATOR,
	.name = "eager",    .description = "emits from init",
	.init = eager_init, .generate = eager_generate,
};

/* ---- Running a config from a string. ---------------------------------- */

static const pl_stage *const test_stages[] = {
	&fail_at_stage, &fail_sink_stage, &triple_stage, &gauge_stage, &liar_stage, &eager_stage,
};

static void run_yaml(const char *yaml, struct run *r)
{
	run_yaml_with(yaml, test_stages, sizeof(test_stages) / sizeof(test_stages[0]), NULL, NULL,
		      r);
}

/* A fresh temp file path (the file exists and is empty). */
static void temp_path(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/pl-engine-XXXXXX");
	int fd = mkstemp(buf);
	assert_true(fd >= 0);
	close(fd);
}

/* Reads the lines of `path` as integers; returns how many. */
static size_t read_ints(const char *path, long long *out, size_t max)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = 0;
	long long v;
	while (fscanf(f, "%lld", &v) == 1) {
		assert_true(n < max);
		out[n++] = v;
	}
	(void)fclose(f);
	return n;
}

/* ---- Tests. ------------------------------------------------------------ */

static void test_chain_in_order(void **state)
{
	(void)state;
	char out[64], yaml[1024];
	temp_path(out, sizeof(out));
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, params: {count: 3000, start: 10, "
		 "step: 5}, output: a}\n"
		 "  - {name: u, type: fan-out, stage: upper, input: a, output: b}\n"
		 "  - {name: s, type: sink, stage: file, params: {path: '%s'}, input: b}\n",
		 out);
	struct run r;
	run_yaml(yaml, &r);
	assert_int_equal(r.rc, 0);
	static long long v[4000];
	size_t n = read_ints(out, v, 4000);
	assert_int_equal(n, 3000);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i], 10 + 5 * (long long)i);
	assert_string_equal(r.names[0], "g");
	assert_string_equal(r.names[2], "s");
	assert_int_equal(r.stats[0].out, 3000);
	assert_int_equal(r.stats[1].in, 3000);
	assert_int_equal(r.stats[1].out, 3000);
	assert_int_equal(r.stats[2].in, 3000);
	assert_string_equal(r.errors, "");
	(void)remove(out);
}

/* Every message reaches the sink exactly once through N competing workers,
 * for rendezvous, tiny and ordinary buffers. */
static void test_fanout_exactly_once(void **state)
{
	(void)state;
	static const int buffers[] = { 0, 1, 64 };
	enum { N = 20000 };
	for (size_t b = 0; b < 3; b++) {
		char out[64], yaml[1024];
		temp_path(out, sizeof(out));
		snprintf(yaml, sizeof(yaml),
			 "version: 1\ndefaults: {buffer: %d}\nnodes:\n"
			 "  - {name: g, type: generator, stage: seq, params: {count: %d}, output: "
			 "a}\n"
			 "  - {name: w, type: fan-out, workers: 8, stage: upper, input: a, output: "
			 "b}\n"
			 "  - {name: s, type: sink, stage: file, params: {path: '%s'}, input: b}\n",
			 buffers[b], N, out);
		struct run r;
		run_yaml(yaml, &r);
		assert_int_equal(r.rc, 0);
		static long long v[N + 1];
		static unsigned char seen[N + 1];
		memset(seen, 0, sizeof(seen));
		size_t n = read_ints(out, v, N + 1);
		assert_int_equal(n, N);
		for (size_t i = 0; i < n; i++) {
			assert_true(v[i] >= 1 && v[i] <= N);
			assert_int_equal(seen[v[i]], 0);
			seen[v[i]] = 1;
		}
		assert_int_equal(r.stats[1].in, N);
		assert_int_equal(r.stats[1].out, N);
		(void)remove(out);
	}
}

/* A fan-in merges its inputs: everything once, each input's order kept. */
static void test_fanin_merges(void **state)
{
	(void)state;
	char out[64], yaml[1024];
	temp_path(out, sizeof(out));
	snprintf(yaml, sizeof(yaml),
		 "version: 1\ndefaults: {buffer: 0}\nnodes:\n"
		 "  - {name: a, type: generator, stage: seq, params: {count: 1000, start: 1}, "
		 "output: ca}\n"
		 "  - {name: b, type: generator, stage: seq, params: {count: 1000, start: 100001}, "
		 "output: cb}\n"
		 "  - {name: c, type: generator, stage: seq, params: {count: 1000, start: 200001}, "
		 "output: cc}\n"
		 "  - {name: m, type: fan-in, inputs: [ca, cb, cc], output: all}\n"
		 "  - {name: s, type: sink, stage: file, params: {path: '%s'}, input: all}\n",
		 out);
	struct run r;
	run_yaml(yaml, &r);
	assert_int_equal(r.rc, 0);
	static long long v[4000];
	size_t n = read_ints(out, v, 4000);
	assert_int_equal(n, 3000);
	long long next[3] = { 1, 100001, 200001 };
	for (size_t i = 0; i < n; i++) {
		int src = (int)(v[i] / 100000);
		assert_true(src >= 0 && src < 3);
		assert_int_equal(v[i], next[src]); /* per-input order, no loss, no dup */
		next[src]++;
	}
	assert_int_equal(r.stats[3].in, 3000);
	assert_int_equal(r.stats[3].out, 3000);
	(void)remove(out);
}

/* grep drops, triple multiplies: a transform emits zero or more per input. */
static void test_transform_counts(void **state)
{
	(void)state;
	struct run r;
	run_yaml("version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, params: {count: 100}, output: a}\n"
		 "  - {name: only7, type: fan-out, workers: 3, stage: grep, params: {pattern: "
		 "'7'}, input: a, output: b}\n"
		 "  - {name: x3, type: fan-out, workers: 2, stage: triple, input: b, output: c}\n"
		 "  - {name: s, type: sink, stage: null, input: c}\n",
		 &r);
	assert_int_equal(r.rc, 0);
	/* 7, 17, 27, ..., 97 (10) and 70..79 (10, 77 counted once): 19. */
	assert_int_equal(r.stats[1].in, 100);
	assert_int_equal(r.stats[1].out, 19);
	assert_int_equal(r.stats[2].in, 19);
	assert_int_equal(r.stats[2].out, 57);
	assert_int_equal(r.stats[3].in, 57);
}

/* A transform failing stops its unlimited upstream; what it emitted before
 * drains to the sink; the error names the node. */
static void test_transform_failure_drains_downstream(void **state)
{
	(void)state;
	char out[64], yaml[1024];
	temp_path(out, sizeof(out));
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, output: a}\n"
		 "  - {name: boom, type: fan-out, stage: fail_at, params: {at: 500}, input: a, "
		 "output: b}\n"
		 "  - {name: s, type: sink, stage: file, params: {path: '%s'}, input: b}\n",
		 out);
	struct run r;
	run_yaml(yaml, &r);
	assert_int_equal(r.rc, PL_ESTAGE);
	assert_string_equal(
		r.errors,
		"pipeline: error: node 'boom' (stage 'fail_at'): failed at message 500\n");
	static long long v[1000];
	size_t n = read_ints(out, v, 1000);
	assert_int_equal(n, 499);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i], (long long)i + 1);
	assert_int_equal(r.stats[1].in, 500);
	assert_int_equal(r.stats[1].out, 499);
	assert_true(r.stats[1].failed_node);
	assert_false(r.stats[0].failed_node);
	(void)remove(out);
}

/* A sink failing under a fan-in of two unlimited generators stops them all. */
static void test_sink_failure_stops_everything(void **state)
{
	(void)state;
	struct run r;
	run_yaml("version: 1\ndefaults: {buffer: 4}\nnodes:\n"
		 "  - {name: a, type: generator, stage: seq, output: ca}\n"
		 "  - {name: b, type: generator, stage: seq, output: cb}\n"
		 "  - {name: m, type: fan-in, inputs: [ca, cb], output: all}\n"
		 "  - {name: w, type: fan-out, workers: 4, stage: upper, input: all, output: up}\n"
		 "  - {name: s, type: sink, stage: fail_sink, params: {at: 1000}, input: up}\n",
		 &r);
	assert_int_equal(r.rc, PL_ESTAGE);
	assert_string_equal(
		r.errors,
		"pipeline: error: node 's' (stage 'fail_sink'): sink failed at message 1000\n");
	assert_int_equal(r.stats[4].in, 1000);
}

/* A failure in one branch stops the other branch's generator too (it is
 * unlimited); the pipeline ends. */
static void test_failure_stops_other_generators(void **state)
{
	(void)state;
	struct run r;
	run_yaml("version: 1\nnodes:\n"
		 "  - {name: a, type: generator, stage: seq, output: ca}\n"
		 "  - {name: boom, type: fan-out, stage: fail_at, params: {at: 10}, input: ca, "
		 "output: x}\n"
		 "  - {name: sa, type: sink, stage: null, input: x}\n"
		 "  - {name: b, type: generator, stage: seq, output: cb}\n"
		 "  - {name: sb, type: sink, stage: null, input: cb}\n",
		 &r);
	assert_int_equal(r.rc, PL_ESTAGE);
	/* b's messages all reached its sink: stopping is a drain there. */
	assert_int_equal(r.stats[3].out, r.stats[4].in);
	assert_int_equal(r.stats[2].in, 9);
}

/* Workers upstream of a failure are told to stop: a 30 s delay there gives
 * way within its 50 ms polling slice instead of holding the pipeline. */
static void test_failure_cancels_upstream_waits(void **state)
{
	(void)state;
	struct run r;
	run_yaml("version: 1\nnodes:\n"
		 "  - {name: a, type: generator, stage: seq, output: ca}\n"
		 "  - {name: slow, type: fan-out, workers: 2, stage: delay, params: {ms: 30000}, "
		 "input: ca, output: cs}\n"
		 "  - {name: b, type: generator, stage: seq, output: cb}\n"
		 "  - {name: m, type: fan-in, inputs: [cs, cb], output: all}\n"
		 "  - {name: s, type: sink, stage: fail_sink, params: {at: 5}, input: all}\n",
		 &r);
	assert_int_equal(r.rc, PL_ESTAGE);
	assert_string_equal(
		r.errors,
		"pipeline: error: node 's' (stage 'fail_sink'): sink failed at message 5\n");
	assert_int_equal(r.stats[1].out, 0);
	assert_true(r.stats[1].seconds < 20.0);
}

/* A generator waiting on a silent FIFO notices that the pipeline stops (a
 * sink failed) instead of holding the run open until data comes. */
static void test_silent_fifo_does_not_hold_a_failed_run(void **state)
{
	(void)state;
	char dir[] = "/tmp/pl-fifo-XXXXXX", fifo[64], yaml[1024];
	assert_non_null(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/in", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	int keep = open(fifo, O_RDWR); /* a writer that never writes */
	assert_true(keep >= 0);
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nnodes:\n"
		 "  - {name: quiet, type: generator, stage: lines, params: {path: '%s'}, output: "
		 "cq}\n"
		 "  - {name: busy, type: generator, stage: seq, output: cb}\n"
		 "  - {name: m, type: fan-in, inputs: [cq, cb], output: all}\n"
		 "  - {name: s, type: sink, stage: fail_sink, params: {at: 5}, input: all}\n",
		 fifo);
	struct run r;
	run_yaml(yaml, &r);
	assert_int_equal(r.rc, PL_ESTAGE);
	assert_int_equal(r.stats[0].out, 0);
	assert_true(r.stats[0].seconds < 20.0);
	close(keep);
	unlink(fifo);
	rmdir(dir);
}

/* A stage returning PL_ECANCELED while nothing stops it is a failure: the
 * run ends (exit 1) instead of leaving its producer blocked forever. */
static void test_spurious_cancel_is_a_failure(void **state)
{
	(void)state;
	struct run r;
	run_yaml("version: 1\ndefaults: {buffer: 4}\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, params: {count: 1000}, output: a}\n"
		 "  - {name: s, type: sink, stage: liar, input: a}\n",
		 &r);
	assert_int_equal(r.rc, PL_ESTAGE);
	assert_string_equal(r.errors,
			    "pipeline: error: node 's' (stage 'liar'): the stage returned "
			    "PL_ECANCELED while the pipeline was not stopping\n");
	assert_int_equal(r.stats[1].in, 3);
}

/* emit() from init() is refused with PL_EINVAL (and frees the message);
 * from the worker's thread it works. */
static void test_emit_outside_run_refused(void **state)
{
	(void)state;
	char out[64], yaml[512];
	temp_path(out, sizeof(out));
	snprintf(yaml, sizeof(yaml),
		 "version: 1\ndefaults: {buffer: 0}\nnodes:\n"
		 "  - {name: g, type: generator, stage: eager, output: a}\n"
		 "  - {name: s, type: sink, stage: file, params: {path: '%s'}, input: a}\n",
		 out);
	struct run r;
	eager_emit_rc = 1;
	run_yaml(yaml, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(eager_emit_rc, PL_EINVAL);
	FILE *f = fopen(out, "r");
	char line[16] = "";
	assert_non_null(fgets(line, sizeof(line), f));
	(void)fclose(f);
	assert_string_equal(line, "ok\n");
	(void)remove(out);
}

/* A generator's runtime error (a read failing with EIO) is a stage failure. */
static void test_generator_failure(void **state)
{
	(void)state;
	struct run r;
	run_yaml("version: 1\nnodes:\n"
		 "  - {name: read, type: generator, stage: lines, params: {path: /proc/self/mem}, "
		 "output: a}\n"
		 "  - {name: s, type: sink, stage: null, input: a}\n",
		 &r);
	assert_int_equal(r.rc, PL_ESTAGE);
	assert_string_equal(r.errors, "pipeline: error: node 'read' (stage 'lines'): "
				      "cannot read '/proc/self/mem': Input/output error\n");
}

/* A stage whose init fails stops the pipeline before any thread starts,
 * with a diagnostic at the node's params. */
static void test_init_failure(void **state)
{
	(void)state;
	struct run r;
	run_yaml("version: 1\nnodes:\n"
		 "  - {name: read, type: generator, stage: lines, params: {path: "
		 "/nonexistent/in.txt}, output: a}\n"
		 "  - {name: s, type: sink, stage: null, input: a}\n",
		 &r);
	assert_int_equal(r.rc, PL_ESTAGE);
	assert_non_null(strstr(
		r.diags, "t.yaml:3:57: error: node 'read' (stage 'lines') failed to start: "));
	assert_non_null(strstr(r.diags, "/nonexistent/in.txt"));
	assert_non_null(strstr(r.diags, "No such file or directory"));
}

/* Every node whose init fails is reported, and a file sink whose init
 * succeeded leaves its file untouched when the pipeline does not start. */
static void test_init_failures_all_reported(void **state)
{
	(void)state;
	char out[64], yaml[1024];
	temp_path(out, sizeof(out));
	FILE *f = fopen(out, "w");
	fputs("precious\n", f);
	assert_int_equal(fclose(f), 0);
	snprintf(
		yaml, sizeof(yaml),
		"version: 1\nnodes:\n"
		"  - {name: s, type: sink, stage: file, params: {path: '%s'}, input: b}\n"
		"  - {name: read, type: generator, stage: lines, params: {path: /tmp}, output: a}\n"
		"  - {name: pick, type: fan-out, stage: exec, params: {command: ''}, input: a, "
		"output: b}\n",
		out);
	struct run r;
	run_yaml(yaml, &r);
	assert_int_equal(r.rc, PL_ESTAGE);
	assert_non_null(strstr(r.diags,
			       "t.yaml:4:57: error: node 'read' (stage 'lines') failed to start: "
			       "cannot read '/tmp': Is a directory [PL080]\n"));
	/* (exec's init() starts its co-process: it is no PL_STAGE_INIT_CHECKS stage, so its
	 * failures come here, pointed at the parameter they name.) */
	assert_non_null(strstr(r.diags, "t.yaml:5:64: error: node 'pick' (stage 'exec') failed to "
					"start: 'command' is empty [PL080]\n"));
	FILE *g = fopen(out, "r");
	char line[64] = "";
	assert_non_null(fgets(line, sizeof(line), g));
	(void)fclose(g);
	assert_string_equal(line, "precious\n");
	(void)remove(out);
}

/* Many concurrent I/O-bound workers start, share the work, overlap and
 * join. */
static void test_many_workers(void **state)
{
	(void)state;
	struct run r;
	atomic_store(&gauge_max, 0);
	run_yaml("version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, params: {count: 3000}, output: a}\n"
		 "  - {name: io, type: fan-out, workers: 1000, stage: gauge, input: a, output: b}\n"
		 "  - {name: s, type: sink, stage: null, input: b}\n",
		 &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.stats[1].in, 3000);
	assert_int_equal(r.stats[2].in, 3000);
	assert_int_equal(atomic_load(&gauge_inside), 0);
	/* Workers that each hold a message for 20 ms were inside at once:
	 * many more than one (typically hundreds). */
	assert_true(atomic_load(&gauge_max) >= 16);
}

/* A stack size the system refuses (below PTHREAD_STACK_MIN: the engine
 * takes what it is given, the config and --stack-size check their range)
 * fails the run before any thread starts, saying so. */
static void test_refused_stack_size(void **state)
{
	(void)state;
	struct run r;
	pl_engine_options opt = { .stack_size = 1000 };
	run_set_options(&opt);
	run_yaml("version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: seq, params: {count: 3}, output: a}\n"
		 "  - {name: s, type: sink, stage: null, stack_size: 64KiB, input: a}\n",
		 &r);
	run_set_options(NULL);
	assert_int_equal(r.rc, PL_EAGAIN);
	assert_non_null(strstr(r.start_error, "the system refuses a stack of 1000 bytes (from "
					      "--stack-size) for the threads of node 'g': Invalid "
					      "argument (its minimum is "));
	assert_non_null(strstr(r.start_error, " bytes); nothing was started"));
	assert_int_equal(r.stats[0].out, 0);
	assert_int_equal(r.stats[0].running, 0);
	assert_int_equal(r.stats[1].in, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_in_order),
		cmocka_unit_test(test_fanout_exactly_once),
		cmocka_unit_test(test_fanin_merges),
		cmocka_unit_test(test_transform_counts),
		cmocka_unit_test(test_transform_failure_drains_downstream),
		cmocka_unit_test(test_sink_failure_stops_everything),
		cmocka_unit_test(test_failure_stops_other_generators),
		cmocka_unit_test(test_failure_cancels_upstream_waits),
		cmocka_unit_test(test_silent_fifo_does_not_hold_a_failed_run),
		cmocka_unit_test(test_spurious_cancel_is_a_failure),
		cmocka_unit_test(test_emit_outside_run_refused),
		cmocka_unit_test(test_generator_failure),
		cmocka_unit_test(test_init_failure),
		cmocka_unit_test(test_init_failures_all_reported),
		cmocka_unit_test(test_many_workers),
		cmocka_unit_test(test_refused_stack_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
