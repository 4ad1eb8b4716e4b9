/* cli_graph.c - `pipeline graph`: print a checked config as a Graphviz or Mermaid graph. */
#include <errno.h>
#include <string.h>

#include "cli_int.h"
#include "error.h"
#include "out.h"
#include "render.h"

static const char usage_graph[] =
	"Usage: pipeline graph [--format dot|mermaid] [--set NODE.KEY=VALUE]... FILE\n"
	"\n"
	"Checks FILE ('-' for standard input) as 'pipeline validate' does, runs\n"
	"nothing, and prints its graph on standard output, left to right: each\n"
	"node with its type, stage and worker count; a fan-out of several workers\n"
	"as a box of workers between a split and a join; each channel as an edge\n"
	"labelled with its name and buffer.  See docs/graph.md.\n"
	"\n"
	"Options:\n"
	"  --format dot         Graphviz DOT (default): pipe it to 'dot -Tpng -o g.png'\n"
	"  --format mermaid     a Mermaid flowchart, for a ```mermaid block in Markdown\n"
	"  --set NODE.KEY=VAL   override a value of the file, as for 'run' (repeatable)\n"
	"  --plugin FILE        load the stages of a plugin (.so) (repeatable)\n"
	"  -h, --help           show this help\n"
	"\n"
	"Diagnostics go to standard error; nothing is printed for a config with errors.\n"
	"Exit codes: 0 printed, 1 the config has errors (or the graph could not be\n"
	"written), 2 bad usage.\n";

static const char *const graph_formats[] = { "dot", "mermaid", NULL };

static const pl_cli_spec spec_graph = {
	.name = "graph", .usage = usage_graph, .formats = graph_formats, .max_files = 1
};

int pl_cli_graph(int argc, char **argv)
{
	pl_cli_one one;
	int code = pl_cli_open_one(argc, argv, &spec_graph, &one);
	/* As for validate: a config with errors fails the command (1); only
	 * the command line itself is a usage error (2). */
	if (code == PL_EXIT_USAGE && one.bad_config)
		code = PL_EXIT_FAILURE;
	if (code == PL_EXIT_OK) {
		errno = 0;
		int rc = one.args.format == 1 ? pl_render_mermaid(one.cfg, stdout)
					      : pl_render_dot(one.cfg, stdout);
		if (rc != 0 || fflush(stdout) != 0) {
			char ebuf[64];
			fprintf(stderr,
				"pipeline: error: cannot write the graph to standard output: %s\n",
				errno != 0 ? pl_out_strerror(errno, ebuf, sizeof(ebuf))
					   : pl_strerror(PL_EIO));
			code = PL_EXIT_FAILURE;
		}
	}
	pl_cli_one_free(&one);
	return code < 0 ? PL_EXIT_OK : code;
}
