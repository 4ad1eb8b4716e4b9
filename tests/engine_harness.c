/* engine_harness.c - running a config from a string through the engine, in-process, for tests. */
#include "engine_harness.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "config.h"
#include "graph.h"
#include "registry.h"

struct during {
	run_during_fn fn;
	void *ctx;
	pl_engine *e;
};

static void *during_main(void *arg)
{
	struct during *d = arg;
	d->fn(d->e, d->ctx);
	return NULL;
}

/* The hang guard: a thread beside each run that watches the messages move. */
struct guard {
	pl_engine *e;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done; /* under mu */
};

static void (*hang_hook)(void *ctx);
static void *hang_ctx;

void run_on_hang(void (*hook)(void *ctx), void *ctx)
{
	hang_hook = hook;
	hang_ctx = ctx;
}

/* Every 100 ms, looks whether any message moved; after RUN_STALL_S seconds
 * without one, prints where every worker is and aborts the test program
 * (cmocka cannot fail a test from another thread, and ctest would only say
 * "Timeout"). */
static void *guard_main(void *arg)
{
	struct guard *g = arg;
	unsigned long long moved = pl_engine_moved(g->e);
	int still = 0; /* tenths of a second without a move */
	pthread_mutex_lock(&g->mu);
	while (!g->done) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += 100000000;
		if (t.tv_nsec >= 1000000000) {
			t.tv_sec++;
			t.tv_nsec -= 1000000000;
		}
		if (pthread_cond_timedwait(&g->cv, &g->mu, &t) != ETIMEDOUT || g->done)
			continue;
		unsigned long long now = pl_engine_moved(g->e);
		still = now == moved ? still + 1 : 0;
		moved = now;
		if (still < RUN_STALL_S * 10)
			continue;
		fprintf(stderr,
			"engine_harness: the pipeline hangs: no message moved for %d s; where "
			"the workers are:\n",
			RUN_STALL_S);
		pl_engine_dump(g->e, stderr);
		if (hang_hook != NULL)
			hang_hook(hang_ctx);
		abort();
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* pl_engine_run() under the hang guard. */
static int run_guarded(pl_engine *e)
{
	struct guard g = { .e = e };
	pthread_condattr_t ca;
	assert_int_equal(pthread_condattr_init(&ca), 0);
	assert_int_equal(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC), 0);
	assert_int_equal(pthread_cond_init(&g.cv, &ca), 0);
	pthread_condattr_destroy(&ca);
	assert_int_equal(pthread_mutex_init(&g.mu, NULL), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, guard_main, &g), 0);
	int rc = pl_engine_run(e);
	pthread_mutex_lock(&g.mu);
	g.done = 1;
	pthread_cond_signal(&g.cv);
	pthread_mutex_unlock(&g.mu);
	pthread_join(t, NULL);
	pthread_cond_destroy(&g.cv);
	pthread_mutex_destroy(&g.mu);
	return rc;
}

static const pl_engine_options *run_options;

void run_set_options(const pl_engine_options *opt)
{
	run_options = opt;
}

void run_config(const pl_config *cfg, run_during_fn during, void *ctx, struct run *r)
{
	pl_diags d;
	pl_diags_init(&d);
	pl_engine *e = NULL;
	r->rc = pl_engine_create(cfg, run_options, &e, &d);
	FILE *f = fmemopen(r->diags, sizeof(r->diags) - 1, "w");
	pl_diags_print(&d, f);
	(void)fclose(f); /* a longer text is cut; the tests compare what is there */
	pl_diags_clear(&d);
	if (r->rc == 0) {
		struct during dur = { during, ctx, e };
		pthread_t t;
		if (during != NULL)
			assert_int_equal(pthread_create(&t, NULL, during_main, &dur), 0);
		r->rc = run_guarded(e);
		if (during != NULL)
			pthread_join(t, NULL);
		f = fmemopen(r->errors, sizeof(r->errors) - 1, "w");
		pl_engine_print_errors(e, f);
		(void)fclose(f);
		r->aborted = pl_engine_aborted(e);
		snprintf(r->start_error, sizeof(r->start_error), "%s",
			 pl_engine_start_error(e) ? pl_engine_start_error(e) : "");
		r->n_nodes = pl_engine_node_count(e);
		assert_true(r->n_nodes <= RUN_MAX);
		for (size_t i = 0; i < r->n_nodes; i++) {
			pl_engine_node_stats(e, i, &r->stats[i]);
			snprintf(r->names[i], sizeof(r->names[i]), "%s", r->stats[i].name);
			r->stats[i].name = r->names[i];
		}
		r->n_chans = pl_engine_chan_count(e);
		assert_true(r->n_chans <= RUN_MAX);
		for (size_t i = 0; i < r->n_chans; i++) {
			pl_engine_chan_metrics(e, i, &r->chans[i]);
			snprintf(r->chan_names[i], sizeof(r->chan_names[i]), "%s",
				 r->chans[i].name);
			r->chans[i].name = r->chan_names[i];
		}
		pl_engine_destroy(e);
	}
}

void run_yaml_with(const char *yaml, const pl_stage *const *stages, size_t n, run_during_fn during,
		   void *ctx, struct run *r)
{
	memset(r, 0, sizeof(*r));
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(pl_registry_add(reg, stages[i]), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	int rc = pl_config_parse("t.yaml", yaml, strlen(yaml), &cfg, &d);
	if (rc == 0)
		rc = pl_graph_check(cfg, reg, &d);
	if (rc != 0)
		pl_diags_print(&d, stderr);
	pl_diags_clear(&d); /* (warnings) */
	assert_int_equal(rc, 0);
	run_config(cfg, during, ctx, r);
	pl_config_free(cfg);
	pl_registry_destroy(reg);
}

const pl_node_stats *run_node(const struct run *r, const char *name)
{
	for (size_t i = 0; i < r->n_nodes; i++)
		if (strcmp(r->names[i], name) == 0)
			return &r->stats[i];
	fail_msg("no node '%s'", name);
	return NULL;
}

const pl_chan_metrics *run_chan(const struct run *r, const char *name)
{
	for (size_t i = 0; i < r->n_chans; i++)
		if (strcmp(r->chan_names[i], name) == 0)
			return &r->chans[i];
	fail_msg("no channel '%s'", name);
	return NULL;
}
