/* test_engine_dump.c - pl_engine_dump(): where each worker of a running pipeline waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_harness.h"
#include "pipeline/plugin.h"

/* hold: passes messages on, except "1", which it keeps until released. */
static atomic_int released;

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static int hold_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	if (h->msg_len(msg) == 1 && *(const char *)h->msg_data(msg) == '1')
		while (!atomic_load(&released) && !h->stopping(w))
			sleep_ms(1);
	return h->emit(w, msg) == 0 ? 0 : PL_ECANCELED;
}

static const pl_stage hold_stage = {
	PL_STAGE_HEADER,         .kind = PL_STAGE_TRANSFORM,
	.name = "hold",          .description = "keeps message '1' until released",
	.process = hold_process,
};

/* refuse: fails every message. */
static int refuse_process(pl_worker *w, pl_msg *msg)
{
	w->host->msg_free(msg);
	return w->host->failf(w, "refused");
}

static const pl_stage refuse_stage = {
	PL_STAGE_HEADER,           .kind = PL_STAGE_TRANSFORM,
	.name = "refuse",          .description = "fails every message",
	.process = refuse_process,
};

static const pl_stage *const stages[] = { &hold_stage, &refuse_stage };

/* What the dump must hold once the pipeline settles, and what it held. */
struct expect {
	const char *const *lines; /* NULL-ended substrings */
	char dump[8192];
	int matched;
};

/* Dumps until every expected line is there (at most 10 s), then releases
 * the held message.  (No cmocka assertion here: another thread.) */
static void settle_and_dump(pl_engine *e, void *ctx)
{
	struct expect *x = ctx;
	for (int i = 0; i < 1000 && !x->matched; i++) {
		FILE *f = fmemopen(x->dump, sizeof(x->dump) - 1, "w");
		if (f == NULL)
			break;
		pl_engine_dump(e, f);
		(void)fclose(f);
		x->matched = 1;
		for (size_t k = 0; x->lines[k] != NULL; k++)
			if (strstr(x->dump, x->lines[k]) == NULL)
				x->matched = 0;
		if (!x->matched)
			sleep_ms(10);
	}
	atomic_store(&released, 1);
}

static void check(struct expect *x)
{
	if (!x->matched) {
		for (size_t k = 0; x->lines[k] != NULL; k++)
			if (strstr(x->dump, x->lines[k]) == NULL)
				print_message("missing: %s\n", x->lines[k]);
		fail_msg("the dump never showed the expected state; the last one:\n%s", x->dump);
	}
}

/* Runs `yaml` with a message '1' held until the dump shows every one of
 * `lines` (NULL-ended), failing the test when it never does. */
static void run_until_dumped(const char *yaml, const char *const *lines, struct run *r)
{
	static struct expect x; /* (8 KiB: not on a test's stack) */
	memset(&x, 0, sizeof(x));
	x.lines = lines;
	atomic_store(&released, 0);
	run_yaml_with(yaml, stages, sizeof(stages) / sizeof(stages[0]), settle_and_dump, &x, r);
	check(&x);
}

/* A generator blocked on a full channel, an ordered fan-out with one
 * worker in its stage and one waiting for its turn, a sink starved. */
static void test_dump_names_each_wait(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"  node 'gen' (generator, stage 'seq'), 1 worker:\n"
		"    1 waiting to send on 'a', for ",
		" s (2 of 2 buffered)\n  node 'work' (fan-out, stage 'hold'), 2 workers:\n",
		"    1 in the stage's own code (not waiting on a channel)\n",
		"    1 waiting for their turn to send (ordered), for ",
		"  node 'sink' (sink, stage 'null'), 1 worker:\n"
		"    1 waiting to receive on 'b', for ",
		" s (0 of 1 buffered)\n  channel 'a': 2 of 2 buffered, 4 sent, 2 received\n"
		"  channel 'b': 0 of 1 buffered, 0 sent, 0 received\n",
		NULL,
	};
	struct run r;
	run_until_dumped("version: 1\nnodes:\n"
			 "  - {name: gen, type: generator, stage: seq, params: {count: 10}, "
			 "output: a}\n"
			 "  - {name: work, type: fan-out, workers: 2, ordered: true, stage: hold, "
			 "input: a, output: b}\n"
			 "  - {name: sink, type: sink, stage: null, input: b}\n"
			 "channels:\n  a: {buffer: 2}\n  b: {buffer: 1}\n",
			 lines, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(run_node(&r, "sink")->in, 10);
}

/* A generator held back by its rate, and the workers that returned. */
static void test_dump_names_rate_and_returned(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"  node 'gen' (generator, stage 'seq'), 1 worker:\n"
		"    1 held back by the node's rate, for ",
		"  node 'sink' (sink, stage 'null'), 1 worker:\n"
		"    1 waiting to receive on 'a', for ",
		NULL,
	};
	static const char *const after[] = {
		"  node 'gen' (generator, stage 'seq'), 1 worker:\n    1 returned\n", NULL
	};
	struct run r;
	run_until_dumped("version: 1\nnodes:\n"
			 "  - {name: gen, type: generator, stage: seq, params: {count: 2}, "
			 "rate: 1/s, output: a}\n"
			 "  - {name: sink, type: sink, stage: null, input: a}\n",
			 lines, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(run_node(&r, "sink")->in, 2);

	/* Once the generator is done and the sink waits for the end. */
	run_until_dumped("version: 1\nnodes:\n"
			 "  - {name: gen, type: generator, stage: seq, params: {count: 1}, "
			 "output: a}\n"
			 "  - {name: work, type: fan-out, stage: hold, input: a, output: b}\n"
			 "  - {name: sink, type: sink, stage: null, input: b}\n",
			 after, &r);
	assert_int_equal(r.rc, 0);
}

/* A worker sleeping through a retry's backoff is said to, not "in the
 * stage's own code" (it is not running the stage). */
static void test_dump_names_retry_backoff(void **state)
{
	(void)state;
	static const char *const lines[] = {
		"  node 'work' (fan-out, stage 'refuse'), 1 worker:\n"
		"    1 waiting to retry a failed message (retry backoff), for ",
		NULL,
	};
	struct run r;
	run_until_dumped("version: 1\nnodes:\n"
			 "  - {name: gen, type: generator, stage: seq, params: {count: 1}, "
			 "output: a}\n"
			 "  - {name: work, type: fan-out, stage: refuse, input: a, output: b, "
			 "retry: {attempts: 2, backoff_ms: 1500}, on_error: skip}\n"
			 "  - {name: sink, type: sink, stage: null, input: b}\n",
			 lines, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(run_node(&r, "work")->skipped, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump_names_each_wait),
		cmocka_unit_test(test_dump_names_rate_and_returned),
		cmocka_unit_test(test_dump_names_retry_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
