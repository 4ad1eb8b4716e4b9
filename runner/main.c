/* main.c - the `pipeline` executable. */
#include "cli.h"
#include "fault.h"

int main(int argc, char **argv)
{
	pl_fault_arm_from_env();
	return pl_cli_main(argc, argv);
}
