/* report.h - what `pipeline run` tells about a pipeline: the summary, the stats, JSON metrics,
 * progress. */
#ifndef PL_RUNNER_REPORT_H
#define PL_RUNNER_REPORT_H

#include <stdio.h>

#include "engine.h"

/* The per-node summary: each node's books (in, out, skipped, dead-letter,
 * failed, lost) and time, then one line saying whether every message sent
 * on a channel was received, or how many were lost in flight and where.
 * Call after pl_engine_run() returned. */
void pl_report_summary(const pl_engine *e, FILE *out);

/* The stats tables (--stats): per node bytes, busy time, time blocked
 * receiving and sending, retries; per channel capacity, high-water mark,
 * sent, received and what is left in it. */
void pl_report_stats(const pl_engine *e, FILE *out);

/* Every figure as one JSON document; `state` is "running", "draining",
 * "finished", "stopped" or "aborted".  Returns 0, or PL_EIO when writing
 * failed. */
int pl_report_json(const pl_engine *e, const char *state, FILE *out);

/* The messages lost in flight: in the hands of workers when the pipeline
 * was aborted, and, once pl_engine_run() returned, what was left in
 * channels. */
unsigned long long pl_report_lost(const pl_engine *e);

/* The live progress line, redrawn in place on a terminal. */
typedef struct pl_progress {
	double t;                /* when the last line was drawn */
	unsigned long long done; /* messages in at the sinks then */
	double *busy;            /* each node's busy seconds then */
	size_t n;
} pl_progress;

/* Returns 0 or PL_ENOMEM. */
int pl_progress_init(pl_progress *p, const pl_engine *e);
void pl_progress_free(pl_progress *p);

/* Draws the line: elapsed time, messages per second at the sinks since the
 * last line, and the bottleneck: the node whose workers were busiest
 * (working, not waiting on a channel) since the last line. */
void pl_progress_draw(pl_progress *p, const pl_engine *e, const char *state, FILE *out);

/* Erases the line, before anything else is printed. */
void pl_progress_clear(FILE *out);

#endif /* PL_RUNNER_REPORT_H */
