/* graph.h - the checks a config passes before any thread starts: stages, parameters, graph rules.
 */
#ifndef PL_RUNNER_GRAPH_H
#define PL_RUNNER_GRAPH_H

#include "config.h"
#include "diag.h"
#include "registry.h"

/*
 * Checks a decoded config and resolves it for the engine:
 *  - node names unique; each node's keys fit its type;
 *  - every stage exists in `reg`, is of the kind the node's type runs, allows
 *    the node's worker count, and gets known, well-typed, complete params
 *    (each node's pl_params is built into node->param_values);
 *  - every channel has exactly one producing and one consuming node, every
 *    input names a channel, and the graph has no cycle.
 * Every problem goes to `d` at its line and column; warnings too.
 * Returns 0 when no error was found, PL_EINVAL when one was, PL_ENOMEM.
 * This is the one code path `pipeline run` (and `validate`) relies on. */
int pl_graph_check(pl_config *cfg, const pl_registry *reg, pl_diags *d);

#endif /* PL_RUNNER_GRAPH_H */
