/* cli.h - the `pipeline` command line. */
#ifndef PL_RUNNER_CLI_H
#define PL_RUNNER_CLI_H

/* Exit codes of the `pipeline` command. */
enum pl_exit { PL_EXIT_OK = 0, PL_EXIT_FAILURE = 1, PL_EXIT_USAGE = 2 };

/* Runs the command line `argv` and returns the process exit code.
 * Writes diagnostics and the summary to stderr; stdout carries only what
 * sinks write. */
int pl_cli_main(int argc, char **argv);

#endif /* PL_RUNNER_CLI_H */
