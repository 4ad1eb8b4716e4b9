/* host.h - the pl_host table: what the runner offers every stage. */
#ifndef PL_RUNNER_HOST_H
#define PL_RUNNER_HOST_H

#include "pipeline/plugin.h"

/* Fills the host table handed to every stage of an engine (its functions
 * take the pl_worker to be an engine worker's; stage_check.c replaces the
 * ones that rely on that). */
void pl_host_init(pl_host *host);

#endif /* PL_RUNNER_HOST_H */
