/* main.c - the `pipeline` executable. */
#include "cli.h"

int main(int argc, char **argv)
{
	return pl_cli_main(argc, argv);
}
