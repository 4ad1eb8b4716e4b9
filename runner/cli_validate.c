/* cli_validate.c - `pipeline validate`: check configs for CI, as text or JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli_int.h"
#include "error.h"
#include "load.h"
#include "mem.h"
#include "out.h"

static const char usage_validate[] =
	"Usage: pipeline validate [--werror] [--format text|json] [--set NODE.KEY=VALUE]...\n"
	"                         [--quiet] FILE|DIR...\n"
	"\n"
	"Checks each config exactly as 'pipeline run' does before it starts its\n"
	"stages, without starting any.  A directory means every *.yaml and\n"
	"*.yml file under it (hidden directories skipped); '-' reads standard input.\n"
	"Every problem is reported at its file, line and column, with a stable\n"
	"code explained in docs/diagnostics.md.\n"
	"\n"
	"Options:\n"
	"  --werror             warnings fail the check too\n"
	"  --format text        GCC-style lines, 'file:line:col: error: ... [PL060]' (default)\n"
	"  --format json        one JSON array of {file, line, column, severity, code,\n"
	"                       message} on standard output\n"
	"  --set NODE.KEY=VAL   override a value in every file (repeatable)\n"
	"  --plugin FILE        load the stages of a plugin (.so) (repeatable)\n"
	"  --no-plugins         load no plugin at all, so that no plugin code runs (for\n"
	"                       configs you do not trust); stages that plugins would\n"
	"                       bring are then left unchecked\n"
	"  -q, --quiet          no summary line on standard error\n"
	"  -h, --help           show this help\n"
	"\n"
	"Diagnostics go to standard output; the summary to standard error.\n"
	"Exit codes: 0 every config is valid, 1 one has an error (or, with\n"
	"--werror, a warning), 2 bad usage.\n";

/* The files to check, in order. */
struct file_list {
	char **v;
	size_t n, cap;
};

static int list_add(struct file_list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		char **v = pl_mem_realloc(l->v, cap * sizeof(*v));
		if (v == NULL)
			return PL_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if ((l->v[l->n] = pl_mem_strdup(path)) == NULL)
		return PL_ENOMEM;
	l->n++;
	return 0;
}

static void list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int is_config_name(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcasecmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcasecmp(name + n - 4, ".yml") == 0);
}

/* Adds the configs under directory `dir`, in name order, recursing into
 * subdirectories (not hidden ones, not through symbolic links).  Only
 * regular files (or links to them) count: a FIFO named x.yaml would block.
 * A directory that cannot be read is listed itself, so that checking it
 * reports why (PL001) and the other files are still checked. */
static int add_dir(struct file_list *l, const char *dir, int depth)
{
	if (depth > 64) {
		fprintf(stderr,
			"pipeline: validate: directories nested more than 64 deep at '%s'\n", dir);
		return PL_ERANGE;
	}
	char **paths;
	size_t n;
	int rc = pl_cli_dir_paths(dir, &paths, &n);
	if (rc == PL_EIO)
		return list_add(l, dir); /* checking it says why it cannot be read */
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *path = paths[i];
		struct stat st;
		if (lstat(path, &st) != 0)
			/* NOLINTNEXTLINE(bugprone-branch-clone): as for a config, other cause */
			rc = list_add(l, path); /* gone or unreadable: say so */
		else if (S_ISDIR(st.st_mode))
			rc = add_dir(l, path, depth + 1);
		else if (is_config_name(strrchr(path, '/') + 1) &&
			 (S_ISREG(st.st_mode) ||
			  (S_ISLNK(st.st_mode) && stat(path, &st) == 0 && S_ISREG(st.st_mode))))
			rc = list_add(l, path);
	}
	pl_cli_paths_free(paths, n);
	return rc;
}

/* Adds one argument: a file as given, a directory's configs. */
static int add_arg(struct file_list *l, const char *arg)
{
	struct stat st;
	if (strcmp(arg, "-") != 0 && stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
		size_t before = l->n;
		int rc = add_dir(l, arg, 0);
		if (rc == 0 && l->n == before) {
			fprintf(stderr, "pipeline: validate: no *.yaml or *.yml file under '%s'\n",
				arg);
			return PL_ENOENT;
		}
		return rc;
	}
	return list_add(l, arg);
}

static const char *const validate_formats[] = { "text", "json", NULL };

static const pl_cli_spec spec_validate = { .name = "validate",
					   .usage = usage_validate,
					   .formats = validate_formats,
					   .quiet = 1,
					   .no_plugins = 1,
					   .werror = 1 };

int pl_cli_validate(int argc, char **argv)
{
	pl_cli_args args;
	struct file_list files = { 0 };
	int code = pl_cli_parse(argc, argv, &spec_validate, &args);
	for (size_t i = 0; code == 0 && i < args.n_files; i++) {
		int rc = add_arg(&files, args.files[i]);
		code = rc == 0 ? 0 : rc == PL_ENOMEM ? PL_EXIT_FAILURE : PL_EXIT_USAGE;
	}
	/* The stages every file may use; each file's own plugins go to a
	 * registry of its own (below), so that one file's cannot leak into
	 * another's check. */
	pl_registry *reg = NULL;
	if (code == 0)
		code = pl_cli_registry(&args, &reg);
	else if (code == PL_EXIT_FAILURE)
		fputs("pipeline: error: out of memory\n", stderr);
	pl_registry_destroy(reg);
	if (code != 0) {
		list_free(&files);
		pl_cli_args_free(&args);
		return code < 0 ? PL_EXIT_OK : code;
	}
	int json = args.format == 1;

	pl_load_options opt = { .sets = args.sets.v,
				.n_sets = args.sets.n,
				.skip_plugins = args.no_plugins,
				.plugins_unloaded = args.no_plugins };
	size_t errors = 0, warnings = 0, bad_files = 0;
	int first = 1, oom = 0;
	if (json)
		fputc('[', stdout);
	for (size_t i = 0; i < files.n && !oom; i++) {
		pl_diags d;
		pl_diags_init(&d);
		pl_config *cfg = NULL;
		if (pl_cli_registry(&args, &reg) != 0) {
			oom = 1;
			break;
		}
		int rc = pl_load_file(files.v[i], &opt, reg, &cfg, &d);
		pl_config_free(cfg);
		pl_registry_destroy(reg);
		if (rc == PL_ENOMEM) {
			fprintf(stderr, "pipeline: error: out of memory while checking '%s'\n",
				files.v[i]);
			oom = 1;
		}
		errors += d.errors;
		warnings += d.warnings;
		bad_files += d.errors > 0 || (args.werror && d.warnings > 0);
		if (json)
			pl_diags_print_json(&d, stdout, &first);
		else
			pl_diags_print(&d, stdout);
		pl_diags_clear(&d);
	}
	if (json)
		fputs(first ? "]\n" : "\n]\n", stdout);
	if (fflush(stdout) != 0) {
		char ebuf[64];
		fprintf(stderr, "pipeline: error: cannot write to standard output: %s\n",
			pl_out_strerror(errno, ebuf, sizeof(ebuf)));
		oom = 1;
	}
	if (!args.quiet)
		fprintf(stderr, "pipeline: %zu file%s checked: %zu error%s, %zu warning%s%s\n",
			files.n, files.n == 1 ? "" : "s", errors, errors == 1 ? "" : "s", warnings,
			warnings == 1 ? "" : "s",
			args.werror && warnings > 0 ? " (--werror: warnings fail)" : "");
	list_free(&files);
	pl_cli_args_free(&args);
	return oom || bad_files > 0 ? PL_EXIT_FAILURE : PL_EXIT_OK;
}
