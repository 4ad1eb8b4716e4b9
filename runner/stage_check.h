/* stage_check.h - a stage's init() and fini() run once outside the engine, to check a node's
 * parameters before anything starts (stages flagged PL_STAGE_INIT_CHECKS). */
#ifndef PL_RUNNER_STAGE_CHECK_H
#define PL_RUNNER_STAGE_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/plugin.h"

/*
 * When `st` says PL_STAGE_INIT_CHECKS and has an init(), calls it with
 * `params` on a worker of its own (index 0 of `count`, named `node`): its
 * emit() frees the message and fails, stopping() is true, log() is silent.
 * A success is undone with fini().  Returns 0 (passed, or nothing to call);
 * PL_ESTAGE with what init() said (failf), or the code's text, in `why`;
 * or PL_ENOMEM when init() ran out of memory (returned PL_ENOMEM without a
 * message, or said exactly "out of memory", as the built-in stages do).
 * On the calling thread; touches no engine.
 */
int pl_stage_check_init(const pl_stage *st, const pl_params *params, const char *node,
			uint32_t count, char *why, size_t len);

#endif /* PL_RUNNER_STAGE_CHECK_H */
