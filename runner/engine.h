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
	/* The stack of the worker threads of every node that gives no
	 * `stack_size` of its own (pipeline run --stack-size); 0: the config's
	 * `defaults.stack_size`, else PL_DEFAULT_STACK_SIZE.  Not checked
	 * here: a size the system refuses makes pl_engine_run() fail. */
	size_t stack_size;
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
 * Starts every worker thread, each with its node's stack size, waits for
 * all of them and closes each channel once its producing node's workers
 * have all returned.  When a stage fails, the nodes upstream of it are
 * stopped, generators stop producing, what is already past it drains to
 * the sinks, and every thread is joined.  Returns 0; PL_ESTAGE when a stage
 * failed; PL_EAGAIN when a thread could not be started (the started ones
 * are stopped and joined) or the system refuses a node's stack size (then
 * none starts): pl_engine_start_error() says why.  Call once.
 */
int pl_engine_run(pl_engine *e);

/* Asks the pipeline to stop gracefully: generators stop producing, and
 * every message already produced flows through to the sinks (the drain).
 * Safe from any thread, any number of times, while pl_engine_run() runs. */
void pl_engine_stop(pl_engine *e);

/* Stops everything at once: every channel is aborted, workers return as
 * soon as they notice, and what was in flight is lost (and counted: see
 * pl_engine_lost()).  Safe from any thread while pl_engine_run() runs. */
void pl_engine_abort(pl_engine *e);

/* Was pl_engine_stop() or pl_engine_abort() called? */
int pl_engine_stopped(const pl_engine *e);
int pl_engine_aborted(const pl_engine *e);

/* Why pl_engine_run() returned PL_EAGAIN, and what to do about it, in one
 * sentence ("could not start worker 3 of 32 of node 'fetch': Resource
 * temporarily unavailable; the started workers were stopped (3 threads had
 * started; ...: lower 'workers' or 'stack_size', or raise the limit that
 * was reached: ulimit -u 96364, ...)"), or NULL. */
const char *pl_engine_start_error(const pl_engine *e);

/* Has pl_engine_run() returned (every worker joined)? */
int pl_engine_finished(const pl_engine *e);

/* Prints every stage failure, one line each:
 *   pipeline: error: node 'x' (stage 'lines', worker 2): reason
 * and, for each node whose on_error policy routed failures, a warning
 * with the first of them. */
void pl_engine_print_errors(const pl_engine *e, FILE *out);

/* Runs every fini(), frees channels (and messages left in them), workers and
 * the engine.  NULL does nothing. */
void pl_engine_destroy(pl_engine *e);

/*
 * Metrics.  Each figure is read with relaxed atomics: exact once
 * pl_engine_run() returned, a consistent-enough live view while it runs
 * (safe from any thread).
 *
 * The books of a node: every message it receives (`in`) ends in exactly
 * one of: handled by its stage, `skipped` or `dead` (routed by on_error),
 * `failed` (its failure stopped the pipeline), or `lost` (in a worker's
 * hands when the pipeline was aborted).  `out` counts what it emitted: for
 * a 1:1 stage out = in - skipped - dead - failed - lost.
 */
typedef struct pl_node_stats {
	const char *name; /* borrowed from the config */
	int type;         /* enum pl_node_type */
	size_t workers;
	size_t running; /* workers started and not yet returned */
	unsigned long long in, out, in_bytes, out_bytes;
	unsigned long long skipped, dead, failed, lost, retries;
	double busy;     /* worker-seconds spent working (not waiting on a channel) */
	double wait_in;  /* worker-seconds blocked receiving: starved by upstream */
	double wait_out; /* worker-seconds blocked sending: back-pressure downstream */
	double seconds;  /* from its first worker's start to its last one's end (or now) */
	int failed_node; /* the node failed and stopped the pipeline */
} pl_node_stats;

typedef struct pl_chan_metrics {
	const char *name; /* borrowed from the config */
	size_t capacity, buffered, high_water;
	unsigned long long sent, received;
} pl_chan_metrics;

/* The number of nodes, and the figures of node `i` (config order). */
size_t pl_engine_node_count(const pl_engine *e);
void pl_engine_node_stats(const pl_engine *e, size_t i, pl_node_stats *out);

/* The number of channels, and the figures of channel `i` (config order). */
size_t pl_engine_chan_count(const pl_engine *e);
void pl_engine_chan_metrics(const pl_engine *e, size_t i, pl_chan_metrics *out);

/* Seconds since pl_engine_run() started (0 before). */
double pl_engine_elapsed(const pl_engine *e);

/*
 * Prints where every worker is, grouped per node: in its stage's own code,
 * waiting to receive or to send on a named channel (with that channel's
 * fill), waiting for its ordered turn or its rate, returned, or not
 * started; then every channel's fill and counts.  For a pipeline that
 * stopped moving (pipeline run --watchdog, and the tests' hang guard).
 * Safe from any thread while pl_engine_run() runs: a live, relaxed view.
 */
void pl_engine_dump(const pl_engine *e, FILE *out);

/* Messages received plus messages emitted, over all nodes so far: a figure
 * that grows whenever anything moves.  Live, like the stats. */
unsigned long long pl_engine_moved(const pl_engine *e);

/* The config the engine runs. */
const pl_config *pl_engine_config(const pl_engine *e);

#endif /* PL_RUNNER_ENGINE_H */
