/* cli.c - the `pipeline` command line: dispatch, help, version, and what the commands share. */
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli_int.h"
#include "doc_edit.h"
#include "error.h"
#include "load.h"

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
	"\n"
	"Options:\n"
	"  -h, --help          show this help (or 'pipeline COMMAND --help')\n"
	"  -V, --version       print the version\n"
	"\n"
	"Exit codes: 0 success; 1 a stage failed (run) or a config has errors\n"
	"(validate, graph); 2 bad config (run) or bad usage.\n";

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
	s->v = calloc(argc > 0 ? (size_t)argc : 1, sizeof(*s->v));
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

int pl_cli_load(const char *path, const pl_cli_sets *sets, const pl_registry *reg,
		pl_config **out)
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
	if (strcmp(cmd, "run") == 0)
		return pl_cli_run(argc - 2, argv + 2);
	if (strcmp(cmd, "validate") == 0)
		return pl_cli_validate(argc - 2, argv + 2);
	if (strcmp(cmd, "graph") == 0)
		return pl_cli_graph(argc - 2, argv + 2);
	return pl_cli_usage("unknown command '%s'; see 'pipeline --help'", cmd);
}
