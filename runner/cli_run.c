/* cli_run.c - `pipeline run`: check a config, start its pipeline, report how it went. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli_int.h"
#include "engine.h"
#include "error.h"
#include "out.h"

static const char usage_run[] =
	"Usage: pipeline run [--quiet] [--set NODE.KEY=VALUE]... [--plugin FILE]... FILE\n"
	"\n"
	"Checks FILE (a YAML pipeline, '-' for standard input) and, when it is\n"
	"valid, starts every node's workers and waits until every sink has\n"
	"consumed its input.  Nothing starts if the config has an error.\n"
	"\n"
	"Options:\n"
	"  -q, --quiet          no summary on standard error at the end\n"
	"  --set NODE.KEY=VAL   override a value of the file, e.g. fetch.workers=8\n"
	"                       or fetch.params.ms=5 (repeatable; checked like the file)\n"
	"  --plugin FILE        load the stages of a plugin (.so) (repeatable); see\n"
	"                       docs/plugins.md for PIPELINE_PLUGIN_PATH and plugins:\n"
	"  -h, --help           show this help\n"
	"\n"
	"Values may use ${VAR} and ${VAR:-default} from the environment.\n"
	"Standard output carries only what sinks write; diagnostics and the\n"
	"per-node summary go to standard error.\n"
	"Exit codes: 0 success, 1 a stage failed at run time, 2 bad config or usage.\n";

/* Runs a checked config; returns the exit code. */
static int run_config(const pl_config *cfg, int quiet)
{
	pl_diags d;
	pl_diags_init(&d);
	pl_engine *e = NULL;
	int rc = pl_engine_create(cfg, NULL, &e, &d);
	pl_diags_print(&d, stderr);
	pl_diags_clear(&d);
	if (rc != 0) {
		if (rc == PL_ENOMEM)
			fputs("pipeline: error: out of memory while starting the pipeline\n",
			      stderr);
		return rc == PL_ENOMEM ? PL_EXIT_FAILURE : PL_EXIT_USAGE;
	}

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = pl_engine_run(e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	int code = PL_EXIT_OK;
	/* A sink that failed on stdout has said so with its node's name. */
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "pipeline: error: cannot write to standard output: %s\n",
			strerror(errno));
		code = PL_EXIT_FAILURE;
	}
	pl_engine_print_errors(e, stderr);
	if (rc == PL_EAGAIN)
		fputs("pipeline: error: could not start a worker thread; the started ones were "
		      "stopped (lower 'workers' or raise the process's thread limit)\n",
		      stderr);
	else if (rc != 0 && rc != PL_ESTAGE)
		fprintf(stderr, "pipeline: error: %s\n", pl_strerror(rc));
	if (rc != 0)
		code = PL_EXIT_FAILURE;
	if (!quiet) {
		fprintf(stderr, "pipeline: %s '%s' in %.3f s\n", rc == 0 ? "finished" : "stopped",
			cfg->name ? cfg->name : cfg->file, secs);
		pl_engine_print_summary(e, stderr);
	}
	pl_engine_destroy(e);
	return code;
}

static const pl_cli_spec spec_run = {
	.name = "run", .usage = usage_run, .max_files = 1, .quiet = 1
};

int pl_cli_run(int argc, char **argv)
{
	pl_cli_args args;
	int code = pl_cli_parse(argc, argv, &spec_run, &args);
	if (code != 0) {
		pl_cli_args_free(&args);
		return code < 0 ? PL_EXIT_OK : code;
	}
	const char *file = args.files[0];

	/* A config read from standard input leaves none for a stage. */
	if (strcmp(file, "-") == 0)
		pl_stdin_claim("the config ('pipeline run -')");

	pl_registry *reg = NULL;
	code = pl_cli_registry(&args, &reg);
	if (code != 0) {
		pl_cli_args_free(&args);
		return code;
	}
	pl_config *cfg = NULL;
	code = pl_cli_load(file, &args.sets, reg, &cfg);
	if (code == PL_EXIT_OK)
		code = run_config(cfg, args.quiet);
	pl_config_free(cfg);
	pl_registry_destroy(reg);
	pl_cli_args_free(&args);
	return code;
}
