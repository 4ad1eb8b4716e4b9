/* init_fail.c - a test plugin whose stage cannot start: the init() of worker `fail_at` fails
 * with a message of its own, after the workers before it started (and must be finished).
 * Built also with -DCHECKS (init_checks.so: PL_STAGE_INIT_CHECKS, so `validate` calls init()
 * too) and -DCHECKS -DSIZE_1_1 (init_checks_1_1.so: the same flag in a descriptor whose size
 * ends before `flags`, as a plugin built against ABI 1.1 has, so that it is not read). */
#include <stddef.h>
#include <stdlib.h>

#include <pipeline/plugin.h>

static int init(pl_worker *w, const pl_params *params)
{
	int64_t fail_at = 0;
	const char *device = "";
	w->host->param_int(params, "fail_at", &fail_at);
	w->host->param_string(params, "device", &device);
	if ((int64_t)w->index == fail_at)
		return w->host->failf(w, "cannot open the frobnicator '%s' (worker %u)", device,
				      w->index);
	w->state = malloc(64); /* freed by fini(): a leak if fini() is not called */
	return w->state != NULL ? 0 : w->host->failf(w, "out of memory");
}

/* Ownership: takes msg and frees it. */
static int process(pl_worker *w, pl_msg *msg)
{
	w->host->msg_free(msg);
	return 0;
}

static void fini(pl_worker *w)
{
	free(w->state);
	w->state = NULL;
}

static const pl_param_spec params[] = {
	{ .name = "fail_at",
	  .type = PL_PARAM_INT,
	  .default_value = "0",
	  .description = "the worker whose init() fails" },
	{ .name = "device",
	  .type = PL_PARAM_STRING,
	  .default_value = "/dev/frob0",
	  .description = "named in the message" },
};

static const pl_stage stage = {
#ifdef SIZE_1_1
	.size = offsetof(pl_stage, flags),
#else
	PL_STAGE_HEADER,
#endif
#ifdef CHECKS
	.flags = PL_STAGE_INIT_CHECKS,
#endif
	.kind = PL_STAGE_SINK,
	.name = "test-init-fails",
	.description = "a sink whose init() fails",
	.params = params,
	.n_params = 2,
	.init = init,
	.process = process,
	.fini = fini,
};

static const pl_stage *const stages[] = { &stage };

static const pl_plugin plugin = {
	PL_PLUGIN_HEADER,
	.name = "init-fail",
	.stages = stages,
	.n_stages = 1,
};

PL_PLUGIN_EXPORT(plugin)
