/* cli.c - the `pipeline` command line: dispatch, help, version, and what the commands share. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_int.h"
#include "doc_edit.h"
#include "error.h"
#include "load.h"
#include "mem.h"
#include "size.h"

static const char usage_main[] =
	"Usage: pipeline COMMAND [OPTIONS]\n"
	"\n"
	"Runs Go-style concurrency patterns (generator, fan-out, fan-in, sink)\n"
	"declared in YAML, on threads and bounded channels.\n"
	"\n"
	"Commands:\n"
	"  run FILE            check FILE and run the pipeline it declares\n"
	"  validate FILE|DIR.. check configs without running them (for CI)\n"
	"  graph FILE          print the pipeline as a Graphviz or Mermaid graph\n"
	"  stages [NAME]       list the stages (built-in and plugins), or show one\n"
	"\n"
	"Options:\n"
	"  -h, --help          show this help (or 'pipeline COMMAND --help')\n"
	"  -V, --version       print the version\n"
	"\n"
	"Exit codes: 0 success; 1 a stage failed (run), a config has errors\n"
	"(validate, graph) or no stage has that name (stages); 2 bad config (run)\n"
	"or bad usage.\n";

int pl_cli_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("pipeline: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return PL_EXIT_USAGE;
}

int pl_cli_option_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (strncmp(a, name, n) != 0)
		return 0;
	if (a[n] == '=') {
		*value = a + n + 1;
		return 1;
	}
	if (a[n] != '\0')
		return 0;
	if (*i + 1 >= argc) {
		pl_cli_usage("%s needs a value", name);
		return -1;
	}
	*value = argv[++*i];
	return 1;
}

int pl_cli_sets_init(pl_cli_sets *s, int argc)
{
	s->n = 0;
	s->v = pl_mem_calloc(argc > 0 ? (size_t)argc : 1, sizeof(*s->v));
	return s->v == NULL ? PL_ENOMEM : 0;
}

void pl_cli_sets_free(pl_cli_sets *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

int pl_cli_sets_add(pl_cli_sets *s, const char *value)
{
	pl_set parsed;
	char err[512];
	if (pl_set_parse(value, &parsed, err, sizeof(err)) != 0)
		return pl_cli_usage("%s", err);
	s->v[s->n++] = value;
	return 0;
}

void pl_cli_args_free(pl_cli_args *a)
{
	free(a->files);
	a->files = NULL;
	free(a->plugins);
	a->plugins = NULL;
	pl_cli_sets_free(&a->sets);
}

/* A number of seconds in [0, 1e6] for option `name` of command `cmd`. */
static int parse_seconds(const char *cmd, const char *name, const char *value, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(value, &end);
	/* Plain decimals (strtod() would also take 1e3, 0x10, inf). */
	size_t digits = strspn(value, "0123456789");
	if (value[digits] == '.')
		digits += 1 + strspn(value + digits + 1, "0123456789");
	if (digits == 0 || value[digits] != '\0' || end != value + digits || errno != 0 ||
	    !(v >= 0) || v > 1e6)
		return pl_cli_usage(
			"%s: %s needs a number of seconds between 0 and 1000000, got '%s'", cmd,
			name, value);
	*out = v;
	return 0;
}

/* A worker thread's stack size for option `name` of command `cmd` (size.h). */
static int parse_stack_size(const char *cmd, const char *name, const char *value, int64_t *out)
{
	static const char forms[] = "a number of bytes or a whole number of KiB, MiB or GiB, like "
				    "65536, 64KiB or 1MiB";
	char hint[64], lo[32], hi[32];
	int rc =
		pl_size_parse(value, PL_MIN_STACK_SIZE, PL_MAX_STACK_SIZE, out, hint, sizeof(hint));
	if (rc == PL_ERANGE)
		return pl_cli_usage("%s: %s is %s, out of range: it must be between %s "
				    "(PTHREAD_STACK_MIN on Linux) and %s",
				    cmd, name, value,
				    pl_size_format((uint64_t)PL_MIN_STACK_SIZE, lo, sizeof(lo)),
				    pl_size_format((uint64_t)PL_MAX_STACK_SIZE, hi, sizeof(hi)));
	if (rc != 0 && hint[0] != '\0')
		return pl_cli_usage("%s: %s is '%s'; did you mean '%s'? Sizes take the binary "
				    "units KiB, MiB and GiB, written without a space",
				    cmd, name, value, hint);
	if (rc != 0)
		return pl_cli_usage("%s: %s needs %s, got '%s'", cmd, name, forms, value);
	return 0;
}

/* run's own options; returns 0, or an exit code after an error. */
static int parse_run_option(int argc, char **argv, int *i, const pl_cli_spec *spec,
			    pl_cli_args *out)
{
	const char *value;
	int got;
	if (strcmp(argv[*i], "--stats") == 0) {
		out->stats = 1;
		return 0;
	}
	if ((got = pl_cli_option_value(argc, argv, i, "--metrics-json", &value)) != 0) {
		if (got < 0)
			return PL_EXIT_USAGE;
		if (value[0] == '\0')
			return pl_cli_usage("%s: --metrics-json needs a file", spec->name);
		out->metrics_json = value;
		return 0;
	}
	if ((got = pl_cli_option_value(argc, argv, i, "--metrics-interval", &value)) != 0)
		return got < 0 ? PL_EXIT_USAGE
			       : parse_seconds(spec->name, "--metrics-interval", value,
					       &out->metrics_interval);
	if ((got = pl_cli_option_value(argc, argv, i, "--drain-timeout", &value)) != 0)
		return got < 0 ? PL_EXIT_USAGE
			       : parse_seconds(spec->name, "--drain-timeout", value,
					       &out->drain_timeout);
	if ((got = pl_cli_option_value(argc, argv, i, "--watchdog", &value)) != 0)
		return got < 0 ? PL_EXIT_USAGE
			       : parse_seconds(spec->name, "--watchdog", value, &out->watchdog);
	if ((got = pl_cli_option_value(argc, argv, i, "--stack-size", &value)) != 0)
		return got < 0 ? PL_EXIT_USAGE
			       : parse_stack_size(spec->name, "--stack-size", value,
						  &out->stack_size);
	return pl_cli_usage("%s: unknown option '%s'; see 'pipeline %s --help'", spec->name,
			    argv[*i], spec->name);
}

/* Handles one option; returns 0, or an exit code after an error. */
static int parse_option(int argc, char **argv, int *i, const pl_cli_spec *spec, pl_cli_args *out)
{
	const char *a = argv[*i], *value;
	int got;
	if (spec->quiet && (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0)) {
		out->quiet = 1;
	} else if (spec->no_plugins && strcmp(a, "--no-plugins") == 0) {
		out->no_plugins = 1;
	} else if (spec->werror && strcmp(a, "--werror") == 0) {
		out->werror = 1;
	} else if (spec->formats != NULL &&
		   (got = pl_cli_option_value(argc, argv, i, "--format", &value)) != 0) {
		if (got < 0)
			return PL_EXIT_USAGE;
		for (int k = 0; spec->formats[k] != NULL; k++)
			if (strcmp(value, spec->formats[k]) == 0) {
				out->format = k;
				return 0;
			}
		return pl_cli_usage("%s: unknown format '%s'; use '%s' or '%s'", spec->name, value,
				    spec->formats[0], spec->formats[1]);
	} else if ((got = pl_cli_option_value(argc, argv, i, "--plugin", &value)) != 0) {
		if (got < 0)
			return PL_EXIT_USAGE;
		if (value[0] == '\0')
			return pl_cli_usage("--plugin needs a file");
		out->plugins[out->n_plugins++] = value;
	} else if ((got = pl_cli_option_value(argc, argv, i, "--set", &value)) != 0) {
		return got < 0 ? PL_EXIT_USAGE : pl_cli_sets_add(&out->sets, value);
	} else if (spec->run) {
		return parse_run_option(argc, argv, i, spec, out);
	} else {
		return pl_cli_usage("%s: unknown option '%s'; see 'pipeline %s --help'", spec->name,
				    a, spec->name);
	}
	return 0;
}

int pl_cli_parse(int argc, char **argv, const pl_cli_spec *spec, pl_cli_args *out)
{
	memset(out, 0, sizeof(*out));
	out->drain_timeout = PL_DEFAULT_DRAIN_TIMEOUT;
	out->watchdog = -1; /* not given: PIPELINE_WATCHDOG, checked after the options */
	out->files = pl_mem_calloc(argc > 0 ? (size_t)argc : 1, sizeof(*out->files));
	out->plugins = pl_mem_calloc(argc > 0 ? (size_t)argc : 1, sizeof(*out->plugins));
	if (out->files == NULL || out->plugins == NULL || pl_cli_sets_init(&out->sets, argc) != 0) {
		fputs("pipeline: error: out of memory\n", stderr);
		return PL_EXIT_FAILURE;
	}
	int only_files = 0, stdin_seen = 0;
	const char *operand = spec->operand != NULL ? spec->operand : "file";
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (only_files || a[0] != '-' || a[1] == '\0') {
			if (a[0] == '\0')
				return pl_cli_usage("%s: an empty %s name", spec->name, operand);
			if (spec->max_files > 0 && out->n_files == spec->max_files)
				return pl_cli_usage("%s: one %s at a time, but also got '%s'",
						    spec->name, operand, a);
			if (strcmp(a, "-") == 0 && stdin_seen++)
				return pl_cli_usage("%s: '-' (standard input) given twice",
						    spec->name);
			out->files[out->n_files++] = a;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(spec->usage, stdout);
			return -1;
		} else if (strcmp(a, "--") == 0) {
			only_files = 1;
		} else {
			int code = parse_option(argc, argv, &i, spec, out);
			if (code != 0)
				return code;
		}
	}
	if (out->watchdog < 0) {
		const char *env = spec->run ? getenv(PL_WATCHDOG_ENV) : NULL;
		out->watchdog = 0;
		if (env != NULL && env[0] != '\0' &&
		    parse_seconds(spec->name, PL_WATCHDOG_ENV, env, &out->watchdog) != 0)
			return PL_EXIT_USAGE;
		out->watchdog_from_env = out->watchdog > 0;
	}
	if (out->watchdog > 0 && out->watchdog < 0.1)
		return pl_cli_usage("%s: the watchdog's period is at least 0.1 seconds (0: none)",
				    spec->name);
	if (out->metrics_interval > 0 && out->metrics_json == NULL)
		return pl_cli_usage("%s: --metrics-interval needs --metrics-json FILE", spec->name);
	if (out->metrics_interval > 0 && out->metrics_interval < 0.05)
		return pl_cli_usage("%s: --metrics-interval is at least 0.05 seconds", spec->name);
	if (out->no_plugins && out->n_plugins > 0)
		return pl_cli_usage("%s: --plugin and --no-plugins contradict each other",
				    spec->name);
	if (out->n_files == 0 && !spec->operand_optional)
		return pl_cli_usage("%s: no FILE given; see 'pipeline %s --help'", spec->name,
				    spec->name);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void pl_cli_paths_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

int pl_cli_dir_paths(const char *dir, char ***out, size_t *count)
{
	*out = NULL;
	*count = 0;
	DIR *dp = opendir(dir);
	if (dp == NULL)
		return PL_EIO;
	const char *sep = dir[0] != '\0' && dir[strlen(dir) - 1] == '/' ? "" : "/";
	char **paths = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	struct dirent *ent;
	while (rc == 0 && (ent = readdir(dp)) != NULL) {
		if (ent->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **bigger = pl_mem_realloc(paths, cap * sizeof(*paths));
			if (bigger == NULL) {
				rc = PL_ENOMEM;
				break;
			}
			paths = bigger;
		}
		size_t len = strlen(dir) + strlen(sep) + strlen(ent->d_name) + 1;
		if ((paths[n] = pl_mem_alloc(len)) == NULL) {
			rc = PL_ENOMEM;
			break;
		}
		snprintf(paths[n++], len, "%s%s%s", dir, sep, ent->d_name);
	}
	closedir(dp);
	if (rc != 0) {
		pl_cli_paths_free(paths, n);
		return rc;
	}
	if (n > 0)
		qsort(paths, n, sizeof(*paths), by_name);
	*out = paths;
	*count = n;
	return 0;
}
/* Loads one plugin file into `reg`; a failure is printed against `where`.
 * Returns 0, PL_EXIT_USAGE or PL_EXIT_FAILURE. */
static int load_plugin(pl_registry *reg, const char *path, const char *where)
{
	char err[1024];
	int rc = pl_registry_load(reg, path, err, sizeof(err));
	if (rc == PL_ENOMEM) {
		fputs("pipeline: error: out of memory\n", stderr);
		return PL_EXIT_FAILURE;
	}
	if (rc == 0)
		return 0;
	pl_diags d;
	pl_diags_init(&d);
	pl_diag_add(&d, rc, where, (pl_pos){ 0, 0 }, "%s", err);
	pl_diags_print(&d, stderr);
	pl_diags_clear(&d);
	return PL_EXIT_USAGE;
}

/* Loads every *.so of directory `dir`, in name order; a directory that does
 * not exist is no error (a search path may list some that do not). */
static int load_dir(pl_registry *reg, const char *dir, const char *where)
{
	char **paths;
	size_t n;
	int rc = pl_cli_dir_paths(dir, &paths, &n);
	if (rc == PL_ENOMEM) {
		fputs("pipeline: error: out of memory\n", stderr);
		return PL_EXIT_FAILURE;
	}
	int code = 0;
	for (size_t i = 0; i < n && code == 0; i++) {
		const char *name = strrchr(paths[i], '/') + 1;
		size_t len = strlen(name);
		if (len >= 4 && strcmp(name + len - 3, ".so") == 0)
			code = load_plugin(reg, paths[i], where);
	}
	pl_cli_paths_free(paths, n);
	return code;
}
/* The default plugin directory: plugins/ beside the binary (a build
 * tree), else ../lib/pipeline/plugins from it (an installation). */
static void default_dir(char *buf, size_t len)
{
	buf[0] = '\0';
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	char *slash = strrchr(exe, '/');
	if (slash == NULL)
		return;
	*slash = '\0';
	struct stat st;
	int w = snprintf(buf, len, "%s/plugins", exe);
	if (w > 0 && (size_t)w < len && stat(buf, &st) == 0 && S_ISDIR(st.st_mode))
		return;
	w = snprintf(buf, len, "%s/../lib/pipeline/plugins", exe);
	if (w < 0 || (size_t)w >= len) {
		buf[0] = '\0';
		return;
	}
	/* Name it plainly in listings and messages: /usr/lib/..., not bin/../lib. */
	char real[PATH_MAX];
	if (realpath(buf, real) != NULL && strlen(real) < len)
		memcpy(buf, real, strlen(real) + 1);
}

int pl_cli_registry(const pl_cli_args *a, pl_registry **out)
{
	*out = NULL;
	pl_registry *reg = NULL;
	int rc = pl_registry_create(&reg);
	if (rc != 0) {
		/* (A malformed built-in said so already.) */
		if (rc == PL_ENOMEM)
			fputs("pipeline: error: out of memory\n", stderr);
		return PL_EXIT_FAILURE;
	}
	int code = 0;
	const char *path = a->no_plugins ? NULL : getenv(PL_PLUGIN_PATH_ENV);
	for (const char *p = path; code == 0 && p != NULL && *p != '\0';) {
		const char *colon = strchr(p, ':');
		size_t len = colon ? (size_t)(colon - p) : strlen(p);
		char dir[4096];
		if (len > 0 && len < sizeof(dir)) {
			memcpy(dir, p, len);
			dir[len] = '\0';
			code = load_dir(reg, dir, PL_PLUGIN_PATH_ENV);
		}
		p = colon ? colon + 1 : p + len;
	}
	char dir[4096];
	dir[0] = '\0';
	if (!a->no_plugins)
		default_dir(dir, sizeof(dir));
	if (code == 0 && dir[0] != '\0')
		code = load_dir(reg, dir, dir);
	for (size_t i = 0; code == 0 && i < a->n_plugins; i++)
		code = load_plugin(reg, a->plugins[i], "<command-line>");
	if (code != 0) {
		pl_registry_destroy(reg);
		return code;
	}
	*out = reg;
	return 0;
}

/* Loads and checks `path` with the overrides, printing every diagnostic.
 * Returns 0, PL_EXIT_USAGE for a bad config, PL_EXIT_FAILURE when out of
 * memory. */
static int load_one(const char *path, const pl_cli_sets *sets, pl_registry *reg, pl_config **out)
{
	pl_diags d;
	pl_diags_init(&d);
	pl_load_options opt = { .sets = sets->v, .n_sets = sets->n };
	int rc = pl_load_file(path, &opt, reg, out, &d);
	pl_diags_print(&d, stderr);
	pl_diags_clear(&d);
	if (rc == PL_ENOMEM) {
		fprintf(stderr, "pipeline: error: out of memory while reading '%s'\n", path);
		return PL_EXIT_FAILURE;
	}
	return rc == 0 ? PL_EXIT_OK : PL_EXIT_USAGE;
}

int pl_cli_open_one(int argc, char **argv, const pl_cli_spec *spec, pl_cli_one *one)
{
	memset(one, 0, sizeof(*one));
	int code = pl_cli_parse(argc, argv, spec, &one->args);
	if (code == 0)
		code = pl_cli_registry(&one->args, &one->reg);
	if (code != 0)
		return code;
	code = load_one(one->args.files[0], &one->args.sets, one->reg, &one->cfg);
	one->bad_config = code == PL_EXIT_USAGE;
	return code;
}

void pl_cli_one_free(pl_cli_one *one)
{
	pl_config_free(one->cfg);
	one->cfg = NULL;
	pl_registry_destroy(one->reg);
	one->reg = NULL;
	pl_cli_args_free(&one->args);
}

int pl_cli_main(int argc, char **argv)
{
	if (argc < 2)
		return pl_cli_usage("no command given; see 'pipeline --help'");
	const char *cmd = argv[1];
	int is_help =
		strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0;
	int is_version = strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0;
	if ((is_help || is_version) && argc > 2)
		return pl_cli_usage("%s takes no arguments, but got '%s'", cmd, argv[2]);
	if (is_help) {
		fputs(usage_main, stdout);
		return PL_EXIT_OK;
	}
	if (is_version) {
		printf("pipeline %s (config format version 1, plugin ABI %u.%u)\n", PL_VERSION,
		       PL_ABI_MAJOR, PL_ABI_MINOR);
		return PL_EXIT_OK;
	}
	/* A closed standard output is a write error each command reports (exit
	 * 1), not a silent death by signal. */
	(void)signal(SIGPIPE, SIG_IGN); /* SIG_ERR only for a bad signal number */
	if (strcmp(cmd, "run") == 0)
		return pl_cli_run(argc - 2, argv + 2);
	if (strcmp(cmd, "validate") == 0)
		return pl_cli_validate(argc - 2, argv + 2);
	if (strcmp(cmd, "graph") == 0)
		return pl_cli_graph(argc - 2, argv + 2);
	if (strcmp(cmd, "stages") == 0)
		return pl_cli_stages(argc - 2, argv + 2);
	return pl_cli_usage("unknown command '%s'; see 'pipeline --help'", cmd);
}
