/* cli_graph.c - `pipeline graph` (placeholder until the renderer lands). */
#include "cli_int.h"

int pl_cli_graph(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return pl_cli_usage("graph: not built yet");
}
