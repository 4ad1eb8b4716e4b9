/* run_monitor.h - the thread beside a running pipeline: signals, drain deadline, progress, metrics
 * file. */
#ifndef PL_RUNNER_RUN_MONITOR_H
#define PL_RUNNER_RUN_MONITOR_H

#include "engine.h"

typedef struct pl_monitor pl_monitor;

typedef struct pl_monitor_options {
	int progress;                /* draw the progress line on stderr (a terminal) */
	const char *metrics_path;    /* write JSON metrics there, or NULL */
	double metrics_interval;     /* seconds between writes while running; 0: at the end only */
	double drain_timeout;        /* seconds a drain may take after a signal; 0: no limit */
	double watchdog;             /* seconds without a message moving before the workers'
				      * whereabouts are printed (pl_engine_dump); 0: never */
	const char *watchdog_origin; /* how the user set it, for the message:
				      * "--watchdog" or "PIPELINE_WATCHDOG" */
} pl_monitor_options;

/*
 * Catches SIGINT and SIGTERM for the calling process, unless ignored on entry
 * (worker threads started after this call have them blocked), and starts
 * the monitor thread: the first
 * signal calls pl_engine_stop() (drain), a second one, or the drain timeout,
 * pl_engine_abort().  With a watchdog, a stall (no message moved for that
 * long) prints pl_engine_dump() to stderr, once per stall.  Returns 0, or PL_EAGAIN / PL_ENOMEM
 * (nothing changed). Ownership: borrows `e` and `opt` until pl_monitor_finish().
 */
int pl_monitor_start(pl_engine *e, const pl_monitor_options *opt, pl_monitor **out);

/* Stops and joins the monitor thread.  Returns the first signal it received
 * (SIGINT, SIGTERM) or 0; NULL returns 0.  Signals are still caught (and
 * ignored) until pl_monitor_free(). */
int pl_monitor_finish(pl_monitor *m);

/* Restores the signal dispositions and mask, and frees the monitor.  NULL
 * does nothing. */
void pl_monitor_free(pl_monitor *m);

/* Writes the metrics file now.  Returns 0, or PL_EIO after printing why. */
int pl_monitor_write_metrics(const pl_engine *e, const char *path, const char *state);

#endif /* PL_RUNNER_RUN_MONITOR_H */
