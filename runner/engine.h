/* engine.h - running a checked config: channels, worker threads, shutdown and the summary. */
#ifndef PL_RUNNER_ENGINE_H
#define PL_RUNNER_ENGINE_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "diag.h"

typedef struct pl_engine pl_engine;

/* Default stack size of a worker thread; see pl_engine_options. */
#define PL_DEFAULT_STACK_SIZE ((size_t)512 * 1024)

typedef struct pl_engine_options {
	size_t stack_size; /* 0: PL_DEFAULT_STACK_SIZE */
} pl_engine_options;

/*
 * Builds the engine for a config that passed pl_graph_check(): one channel
 * per config channel, one pl_worker per worker, and every stage's init() run
 * here on the calling thread, so that a failing init stops the pipeline
 * before any thread starts.  Returns 0; PL_ESTAGE when an init failed (an
 * error naming the node, at its position, went to `d`); PL_ENOMEM.
 * Ownership: borrows `cfg`, which must outlive the engine.
 */
int pl_engine_create(const pl_config *cfg, const pl_engine_options *opt, pl_engine **out,
		     pl_diags *d);

/*
 * Starts every worker thread, waits for all of them and closes each channel
 * once its producing node's workers have all returned.  When a stage fails,
 * the nodes upstream of it are stopped, generators stop producing, what is
 * already past it drains to the sinks, and every thread is joined.
 * Returns 0; PL_ESTAGE when a stage failed; PL_EAGAIN when a thread could
 * not be started (the started ones are stopped and joined).  Call once.
 */
int pl_engine_run(pl_engine *e);

/* Prints every stage failure, one line each:
 *   pipeline: error: node 'x' (stage 'lines', worker 2): reason */
void pl_engine_print_errors(const pl_engine *e, FILE *out);

/* Prints the per-node summary table (messages in and out, wall time). */
void pl_engine_print_summary(const pl_engine *e, FILE *out);

/* Runs every fini(), frees channels (and messages left in them), workers and
 * the engine.  NULL does nothing. */
void pl_engine_destroy(pl_engine *e);

/* Per-node totals, valid after pl_engine_run() returned. */
typedef struct pl_node_stats {
	const char *name; /* borrowed from the config */
	unsigned long long in, out, in_bytes, out_bytes;
	double seconds;
	int failed;
} pl_node_stats;

/* The number of nodes, and the totals of node `i` (config order). */
size_t pl_engine_node_count(const pl_engine *e);
void pl_engine_node_stats(const pl_engine *e, size_t i, pl_node_stats *out);

#endif /* PL_RUNNER_ENGINE_H */
