/* engine_harness.h - running a config from a string through the engine, in-process, for tests. */
#ifndef PL_TESTS_ENGINE_HARNESS_H
#define PL_TESTS_ENGINE_HARNESS_H

#include <stddef.h>

#include "config.h"
#include "engine.h"

#define RUN_MAX 64

/* What one run did: the results and every figure, copied out before the
 * engine and config were freed (names included). */
struct run {
	int rc;            /* of pl_engine_create, then of pl_engine_run */
	char errors[4096]; /* pl_engine_print_errors() */
	char diags[4096];  /* diagnostics of pl_engine_create() */
	pl_node_stats stats[RUN_MAX];
	char names[RUN_MAX][32]; /* stats[i].name points here */
	size_t n_nodes;
	pl_chan_metrics chans[RUN_MAX];
	char chan_names[RUN_MAX][32];
	size_t n_chans;
	int aborted;
	char start_error[512]; /* pl_engine_start_error(), or "" */
};

/* The hang guard: a run in which no message moves for this long prints
 * pl_engine_dump() (which node waits on which channel), then what the
 * run_on_hang() hook prints, and aborts the test program. */
#define RUN_STALL_S 20

/* Sets what the hang guard calls before aborting (e.g. to print the config
 * of a generated graph); NULL for nothing. */
void run_on_hang(void (*hook)(void *ctx), void *ctx);

/* Called on a thread of its own while the pipeline runs (e.g. to stop it). */
typedef void (*run_during_fn)(pl_engine *e, void *ctx);

/* The options the following runs give pl_engine_create() (borrowed; NULL,
 * the initial value: none). */
void run_set_options(const pl_engine_options *opt);

/* Runs a checked config under the hang guard and fills `r` (all but the
 * config is freed); with `during`, that runs concurrently with
 * pl_engine_run(). */
void run_config(const pl_config *cfg, run_during_fn during, void *ctx, struct run *r);

/* Checks `yaml` against the built-in stages and `stages` (n of them; the
 * config must be valid), runs it, and fills `r`.  With `during`, runs it
 * concurrently with pl_engine_run(). */
void run_yaml_with(const char *yaml, const pl_stage *const *stages, size_t n, run_during_fn during,
		   void *ctx, struct run *r);

/* The stats of the node called `name` (the test fails when there is none). */
const pl_node_stats *run_node(const struct run *r, const char *name);
const pl_chan_metrics *run_chan(const struct run *r, const char *name);

#endif /* PL_TESTS_ENGINE_HARNESS_H */
