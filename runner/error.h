/* error.h - names and messages for the PL_E* codes of pipeline/plugin.h. */
#ifndef PL_RUNNER_ERROR_H
#define PL_RUNNER_ERROR_H

#include "pipeline/plugin.h"

/* A static English message for `err` (0 or a PL_E* code). */
const char *pl_strerror(int err);

/* The symbolic name of `err`, e.g. "PL_ECLOSED". */
const char *pl_err_name(int err);

#endif /* PL_RUNNER_ERROR_H */
