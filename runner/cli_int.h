/* cli_int.h - what the `pipeline` subcommands share: usage errors, options, loading. */
#ifndef PL_RUNNER_CLI_INT_H
#define PL_RUNNER_CLI_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "config.h"
#include "registry.h"

/* Prints "pipeline: <message>" to stderr and returns PL_EXIT_USAGE. */
int pl_cli_usage(const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

/* Matches option `name` (e.g. "--set") at argv[*i], written "--set VALUE"
 * or "--set=VALUE".  Returns 1 and the value (advancing *i past it), 0 when
 * argv[*i] is another option, -1 after a usage error for a missing value. */
int pl_cli_option_value(int argc, char **argv, int *i, const char *name, const char **value);

/* The --set overrides of one command line; `v` holds argc pointers. */
typedef struct pl_cli_sets {
	const char **v;
	size_t n;
} pl_cli_sets;

/* Allocates room for every argument.  Returns 0 or PL_ENOMEM. */
int pl_cli_sets_init(pl_cli_sets *s, int argc);
void pl_cli_sets_free(pl_cli_sets *s);

/* Checks the form of `value` and keeps it.  Returns 0 or, after a usage
 * error naming the expected form, PL_EXIT_USAGE. */
int pl_cli_sets_add(pl_cli_sets *s, const char *value);

/* What a subcommand accepts, for pl_cli_parse(). */
typedef struct pl_cli_spec {
	const char *name;           /* "run" */
	const char *usage;          /* printed for -h, --help */
	const char *const *formats; /* --format values (NULL-terminated), first the default;
				     * NULL: no --format */
	unsigned max_files;         /* 0: any number */
	int quiet, werror;          /* accepts -q/--quiet, --werror */
	const char *operand;        /* what a positional argument is, for messages
				     * ("stage"); NULL: "file" */
	int operand_optional;       /* no positional argument is no error */
	int no_plugins;             /* accepts --no-plugins */
	int run;                    /* accepts run's --stats, --metrics-json, --metrics-interval,
				     * --drain-timeout, --watchdog, --stack-size */
} pl_cli_spec;

/* A parsed command line.  Strings point into argv. */
typedef struct pl_cli_args {
	const char **files; /* argc slots */
	size_t n_files;
	int format; /* index into spec->formats */
	int quiet, werror;
	pl_cli_sets sets;
	const char **plugins; /* --plugin FILE, argc slots */
	size_t n_plugins;
	int no_plugins; /* --no-plugins: load none, run no plugin code */
	/* run: */
	int stats;                /* --stats */
	const char *metrics_json; /* --metrics-json FILE */
	double metrics_interval;  /* --metrics-interval SECONDS (0: at the end only) */
	double drain_timeout;     /* --drain-timeout SECONDS (0: no limit) */
	double watchdog;          /* --watchdog SECONDS (0: none) */
	int watchdog_from_env;    /* ...given by PIPELINE_WATCHDOG */
	int64_t stack_size;       /* --stack-size BYTES (0: not given) */
} pl_cli_args;

/* The environment variable that gives --watchdog's default. */
#define PL_WATCHDOG_ENV "PIPELINE_WATCHDOG"

/* How long a drain after SIGINT or SIGTERM may take by default. */
#define PL_DEFAULT_DRAIN_TIMEOUT 30.0

/* Parses `argc` arguments against `spec`: options anywhere, "--" ends them,
 * "-" is a file.  Returns 0 with `out` filled (free it with
 * pl_cli_args_free() in every case), -1 after printing the usage for
 * --help, or an exit code after printing the error. */
int pl_cli_parse(int argc, char **argv, const pl_cli_spec *spec, pl_cli_args *out);
void pl_cli_args_free(pl_cli_args *a);

/* The entries of directory `dir` (hidden ones left out) as paths
 * "dir/name", sorted.  Returns 0, PL_EIO when it cannot be read, or
 * PL_ENOMEM.  Ownership: free them with pl_cli_paths_free(). */
int pl_cli_dir_paths(const char *dir, char ***paths, size_t *n);
void pl_cli_paths_free(char **paths, size_t n);

/* The environment variable naming plugin directories (':'-separated). */
#define PL_PLUGIN_PATH_ENV "PIPELINE_PLUGIN_PATH"

/* A registry holding the built-in stages, every plugin (*.so) in the
 * directories of PIPELINE_PLUGIN_PATH and in the default directory (next
 * to the binary: plugins/, or ../lib/pipeline/plugins once installed), and
 * the --plugin files of `a`.  Each failure is printed as a diagnostic.
 * Returns 0 with *out set; PL_EXIT_USAGE after a failure; PL_EXIT_FAILURE
 * when out of memory. */
int pl_cli_registry(const pl_cli_args *a, pl_registry **out);

/* What `run` and `graph` hold for their one FILE. */
typedef struct pl_cli_one {
	pl_cli_args args;
	pl_registry *reg;
	pl_config *cfg;
	int bad_config; /* the failure was the config's, not the command line's */
} pl_cli_one;

/* Parses the command line against `spec`, builds the registry
 * (pl_cli_registry()) and loads and checks the one FILE with the
 * overrides (the one path of load.h), printing every diagnostic to stderr.
 * Returns 0 with `one` filled; -1 after printing the usage for --help;
 * otherwise an exit code: PL_EXIT_USAGE for bad usage, a plugin that
 * cannot be loaded or a bad config (then one->bad_config), PL_EXIT_FAILURE
 * when out of memory.  Ownership: free `one` with pl_cli_one_free() in
 * every case. */
int pl_cli_open_one(int argc, char **argv, const pl_cli_spec *spec, pl_cli_one *one);
void pl_cli_one_free(pl_cli_one *one);

/* The subcommands: argv holds what follows the command's name. */
int pl_cli_run(int argc, char **argv);
int pl_cli_validate(int argc, char **argv);
int pl_cli_graph(int argc, char **argv);
int pl_cli_stages(int argc, char **argv);

#endif /* PL_RUNNER_CLI_INT_H */
