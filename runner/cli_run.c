/* cli_run.c - `pipeline run`: check a config, start its pipeline, report how it went. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bridge.h"
#include "cli_int.h"
#include "engine.h"
#include "error.h"
#include "out.h"
#include "report.h"
#include "run_monitor.h"

static const char usage_run[] =
	"Usage: pipeline run [OPTION]... FILE\n"
	"\n"
	"Checks FILE (a YAML pipeline, '-' for standard input) and, when it is\n"
	"valid, starts every node's workers and waits until every sink has\n"
	"consumed its input.  Nothing starts if the config has an error.\n"
	"\n"
	"Options:\n"
	"  -q, --quiet             no summary and no progress line on standard error\n"
	"                          (the progress line is drawn only when standard error\n"
	"                          is a terminal and standard output is not)\n"
	"  --stats                 after the summary, the metrics of every node (bytes,\n"
	"                          busy time, time blocked receiving and sending) and\n"
	"                          channel (capacity, high-water mark, sent, received)\n"
	"  --metrics-json FILE     write the same figures as JSON to FILE at the end\n"
	"  --metrics-interval SEC  ...and every SEC seconds while running (the file is\n"
	"                          replaced whole each time)\n"
	"  --drain-timeout SEC     after SIGINT or SIGTERM, how long the drain may take\n"
	"                          before everything stops at once (default 30; 0: no\n"
	"                          limit)\n"
	"  --watchdog SEC          when no message has moved for SEC seconds, print\n"
	"                          where every worker is (which node waits on which\n"
	"                          channel) to standard error; the run goes on\n"
	"                          (default: $PIPELINE_WATCHDOG, else none)\n"
	"  --stack-size SIZE       the stack of each worker thread of the nodes that set\n"
	"                          no stack_size of their own: bytes, or a whole number\n"
	"                          of KiB, MiB or GiB (64KiB, 1MiB), from 16KiB\n"
	"                          (PTHREAD_STACK_MIN on Linux) to 1GiB; overrides the\n"
	"                          file's defaults.stack_size (default: 512KiB)\n"
	"  --set NODE.KEY=VAL      override a value of the file, e.g. fetch.workers=8\n"
	"                          or fetch.params.ms=5 (repeatable; checked like the file)\n"
	"  --plugin FILE           load the stages of a plugin (.so) (repeatable); see\n"
	"                          docs/plugins.md for PIPELINE_PLUGIN_PATH and plugins:\n"
	"  -h, --help              show this help\n"
	"\n"
	"Values may use ${VAR} and ${VAR:-default} from the environment.\n"
	"Standard output carries only what sinks write; diagnostics, the progress\n"
	"line (on a terminal) and the summary go to standard error.\n"
	"\n"
	"SIGINT (Ctrl-C) or SIGTERM stops the generators and drains what is in\n"
	"flight to the sinks; a second signal, or the drain timeout, stops at once\n"
	"and reports what was lost.\n"
	"Exit codes: 0 success, 1 a stage failed at run time, 2 bad config or usage,\n"
	"130 stopped by SIGINT, 143 stopped by SIGTERM.\n";

/* What the final metrics and the summary call the way the run ended. */
static const char *end_state(const pl_engine *e, int rc, int sig)
{
	if (pl_engine_aborted(e))
		return "aborted";
	if (rc != 0)
		return "failed"; /* (also during a drain: its losses are reported) */
	return sig != 0 ? "stopped" : "finished";
}

/* Runs the engine beside the monitor (signals, progress, metrics).
 * Returns the engine's result; *sig is the first signal received.  The
 * caller frees *m (signals stay caught until then). */
static int run_monitored(pl_engine *e, const pl_cli_args *a, int *sig, pl_monitor **mp)
{
	pl_monitor_options mo = {
		/* (Not when sinks write to the same terminal: the lines would mix.) */
		.progress = !a->quiet && isatty(STDERR_FILENO) && !isatty(STDOUT_FILENO),
		.metrics_path = a->metrics_json,
		.metrics_interval = a->metrics_interval,
		.drain_timeout = a->drain_timeout,
		.watchdog = a->watchdog,
		.watchdog_origin = a->watchdog_from_env ? PL_WATCHDOG_ENV : "--watchdog",
	};
	pl_monitor *m = NULL;
	if (pl_monitor_start(e, &mo, &m) != 0)
		fputs(a->watchdog > 0
			      ? "pipeline: warning: cannot start the monitor thread; Ctrl-C "
				"will not drain and the watchdog is off\n"
			      : "pipeline: warning: cannot watch for signals; Ctrl-C will not "
				"drain\n",
		      stderr);
	int rc = pl_engine_run(e);
	*sig = pl_monitor_finish(m);
	*mp = m;
	return rc;
}

/* Runs a checked config; returns the exit code. */
static int run_config(pl_config *cfg, const pl_cli_args *a)
{
	pl_diags d;
	pl_diags_init(&d);
	pl_engine *e = NULL;
	pl_engine_options eo = { .stack_size = (size_t)a->stack_size };
	int rc = pl_config_add_bridges(cfg);
	if (rc == 0)
		rc = pl_engine_create(cfg, &eo, &e, &d);
	pl_diags_print(&d, stderr);
	pl_diags_clear(&d);
	if (rc != 0) {
		if (rc == PL_ENOMEM)
			fputs("pipeline: error: out of memory while starting the pipeline\n",
			      stderr);
		return rc == PL_ENOMEM || rc == PL_EIO ? PL_EXIT_FAILURE : PL_EXIT_USAGE;
	}

	int sig = 0;
	pl_monitor *m = NULL;
	rc = run_monitored(e, a, &sig, &m);
	double secs = pl_engine_elapsed(e);

	int code = PL_EXIT_OK;
	/* A sink that failed on stdout has said so with its node's name. */
	if (fflush(stdout) != 0 && rc == 0) {
		char ebuf[64];
		fprintf(stderr, "pipeline: error: cannot write to standard output: %s\n",
			pl_out_strerror(errno, ebuf, sizeof(ebuf)));
		code = PL_EXIT_FAILURE;
	}
	pl_engine_print_errors(e, stderr);
	if (rc == PL_EAGAIN)
		fprintf(stderr, "pipeline: error: %s\n",
			pl_engine_start_error(e) ? pl_engine_start_error(e)
						 : "could not start a worker thread");
	else if (rc != 0 && rc != PL_ESTAGE)
		fprintf(stderr, "pipeline: error: %s\n", pl_strerror(rc));
	if (rc != 0)
		code = PL_EXIT_FAILURE;
	const char *state = end_state(e, rc, sig);
	if (a->metrics_json != NULL && pl_monitor_write_metrics(e, a->metrics_json, state) != 0 &&
	    code == PL_EXIT_OK)
		code = PL_EXIT_FAILURE;
	if (!a->quiet) {
		fprintf(stderr, "pipeline: %s '%s' in %.3f s\n", state,
			cfg->name ? cfg->name : cfg->file, secs);
		pl_report_summary(e, stderr);
	} else if (pl_engine_aborted(e) && pl_report_lost(e) > 0) {
		fprintf(stderr, "pipeline: %llu messages lost in flight (stopped at once)\n",
			pl_report_lost(e));
	}
	if (a->stats)
		pl_report_stats(e, stderr);
	pl_engine_destroy(e);
	pl_monitor_free(m);
	/* A signal's exit code, as a shell reports a process it killed. */
	return sig != 0 ? 128 + sig : code;
}

static const pl_cli_spec spec_run = {
	.name = "run", .usage = usage_run, .max_files = 1, .quiet = 1, .run = 1
};

int pl_cli_run(int argc, char **argv)
{
	pl_cli_one one;
	int code = pl_cli_open_one(argc, argv, &spec_run, &one);
	if (code == PL_EXIT_OK) {
		/* A config read from standard input leaves none for a stage. */
		if (strcmp(one.args.files[0], "-") == 0)
			pl_stdin_claim("the config ('pipeline run -')");
		code = run_config(one.cfg, &one.args);
	}
	pl_cli_one_free(&one);
	return code < 0 ? PL_EXIT_OK : code;
}
