/* plugin_check.h - is a plugin's descriptor one the runner can use?  (Built-ins pass it too.) */
#ifndef PL_RUNNER_PLUGIN_CHECK_H
#define PL_RUNNER_PLUGIN_CHECK_H

#include <stddef.h>

#include "pipeline/plugin.h"

/*
 * Checks a descriptor before any of it is used: the magic, the ABI version
 * (same major, minor not newer than ours), its size, and every stage (size,
 * kind, name [a-z0-9_-]+, a description, the callbacks its kind needs,
 * parameters with valid names, types, no duplicates, defaults and ranges
 * that hold).  Reads no field past what the descriptor's `size` covers.
 * Returns 0, a diagnostic code (PL_D_PLUGIN_ABI, PL_D_PLUGIN_MALFORMED)
 * with the reason in `err`, or PL_ENOMEM (negative).
 */
int pl__plugin_check(const pl_plugin *p, char *err, size_t errlen);

#endif /* PL_RUNNER_PLUGIN_CHECK_H */
