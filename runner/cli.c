/* cli.c - the `pipeline` command line: run, help, version. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "diag.h"
#include "engine.h"
#include "error.h"
#include "graph.h"
#include "out.h"
#include "registry.h"

static const char usage_main[] =
	"Usage: pipeline COMMAND [OPTIONS]\n"
	"\n"
	"Runs Go-style concurrency patterns (generator, fan-out, fan-in, sink)\n"
	"declared in YAML, on threads and bounded channels.\n"
	"\n"
	"Commands:\n"
	"  run FILE        check FILE and run the pipeline it declares\n"
	"\n"
	"Options:\n"
	"  -h, --help      show this help (or 'pipeline run --help')\n"
	"  -V, --version   print the version\n"
	"\n"
	"Exit codes: 0 success, 1 a stage failed at run time, 2 bad config or usage.\n";

static const char usage_run[] =
	"Usage: pipeline run [--quiet] FILE\n"
	"\n"
	"Checks FILE (a YAML pipeline, '-' for standard input) and, when it is\n"
	"valid, starts every node's workers and waits until every sink has\n"
	"consumed its input.  Nothing starts if the config has an error.\n"
	"\n"
	"Options:\n"
	"  -q, --quiet     no summary on standard error at the end\n"
	"  -h, --help      show this help\n"
	"\n"
	"Standard output carries only what sinks write; diagnostics and the\n"
	"per-node summary go to standard error.\n"
	"Exit codes: 0 success, 1 a stage failed at run time, 2 bad config or usage.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "pipeline: <message>" and returns the usage exit code. */
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pipeline: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return PL_EXIT_USAGE;
}

/* Loads and checks `path`; prints every diagnostic.  Returns 0 with *out
 * set, or an exit code. */
static int load_checked(const char *path, const pl_registry *reg, pl_config **out)
{
	pl_diags d;
	pl_diags_init(&d);
	*out = NULL;
	int rc = pl_config_load(path, out, &d);
	if (rc == 0)
		rc = pl_graph_check(*out, reg, &d);
	pl_diags_print(&d, stderr);
	pl_diags_clear(&d);
	if (rc == PL_ENOMEM)
		fprintf(stderr, "pipeline: error: out of memory while reading '%s'\n", path);
	if (rc != 0) {
		pl_config_free(*out);
		*out = NULL;
		return PL_EXIT_USAGE;
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	const char *file = NULL;
	int quiet = 0, only_files = 0;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (!only_files && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
			fputs(usage_run, stdout);
			return PL_EXIT_OK;
		} else if (!only_files && (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)) {
			quiet = 1;
		} else if (!only_files && strcmp(a, "--") == 0) {
			only_files = 1;
		} else if (!only_files && a[0] == '-' && a[1] != '\0') {
			return usage_error("run: unknown option '%s'; see 'pipeline run --help'",
					   a);
		} else if (file != NULL) {
			return usage_error("run: one file at a time, but also got '%s'", a);
		} else {
			file = a;
		}
	}
	if (file == NULL || file[0] == '\0')
		return usage_error("run: no FILE given; see 'pipeline run --help'");

	/* A closed stdout is an error the stdout sink reports, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* A config read from standard input leaves none for a stage. */
	if (strcmp(file, "-") == 0)
		pl_stdin_claim("the config ('pipeline run -')");

	pl_registry *reg = NULL;
	if (pl_registry_create(&reg) != 0) {
		fputs("pipeline: error: out of memory\n", stderr);
		return PL_EXIT_FAILURE;
	}
	pl_config *cfg;
	int code = load_checked(file, reg, &cfg);
	if (code != 0) {
		pl_registry_destroy(reg);
		return code;
	}

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
		pl_config_free(cfg);
		pl_registry_destroy(reg);
		return rc == PL_ENOMEM ? PL_EXIT_FAILURE : PL_EXIT_USAGE;
	}

	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = pl_engine_run(e);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;

	code = PL_EXIT_OK;
	/* A sink that failed on stdout has said so with its node's name. */
	if (fflush(stdout) != 0 && rc == 0) {
		fprintf(stderr, "pipeline: error: cannot write to standard output: %s\n",
			strerror(errno));
		code = PL_EXIT_FAILURE;
	}
	pl_engine_print_errors(e, stderr);
	if (rc == PL_EAGAIN)
		fputs("pipeline: error: could not start a worker thread; the started ones were "
		      "stopped "
		      "(lower 'workers' or raise the process's thread limit)\n",
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
	pl_config_free(cfg);
	pl_registry_destroy(reg);
	return code;
}

int pl_cli_main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("no command given; see 'pipeline --help'");
	const char *cmd = argv[1];
	int is_help =
		strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0;
	int is_version = strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0;
	if ((is_help || is_version) && argc > 2)
		return usage_error("%s takes no arguments, but got '%s'", cmd, argv[2]);
	if (is_help) {
		fputs(usage_main, stdout);
		return PL_EXIT_OK;
	}
	if (is_version) {
		printf("pipeline %s (config format version 1, plugin ABI %u.%u)\n", PL_VERSION,
		       PL_ABI_MAJOR, PL_ABI_MINOR);
		return PL_EXIT_OK;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	return usage_error("unknown command '%s'; see 'pipeline --help'", cmd);
}
