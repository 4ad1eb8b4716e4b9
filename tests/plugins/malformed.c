/* malformed.c - test plugins with one valid stage, then one that is wrong, one per build (see
 * CMakeLists.txt): -DBAD_NAME, -DNO_PROCESS, -DBAD_DEFAULT, -DDUP_PARAM, -DSHORT_STAGE,
 * -DDUP_STAGE, -DCLASH_BUILTIN, -DBAD_FLAGS or -DBAD_EXAMPLE.  None of its stages may be
 * registered. */
#include <stddef.h>

#include <pipeline/plugin.h>

/* Ownership: takes msg and frees it. */
static int process(pl_worker *w, pl_msg *msg)
{
	w->host->msg_free(msg);
	return 0;
}

static const pl_stage fine = {
	PL_STAGE_HEADER,     .kind = PL_STAGE_SINK,
	.name = "test-fine", .description = "a valid sink, refused with its plugin",
	.process = process,
};

#if defined(BAD_NAME)
static const pl_stage second = {
	PL_STAGE_HEADER,    .kind = PL_STAGE_SINK,
	.name = "Bad Name", .description = "upper case and a space",
	.process = process,
};
#elif defined(NO_PROCESS)
static const pl_stage second = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "test-no-process",
	.description = "a transform without process()",
};
#elif defined(BAD_DEFAULT)
static const pl_param_spec params[] = {
	{ .name = "n", .type = PL_PARAM_INT, .default_value = "ten", .description = "a number" },
};
static const pl_stage second = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_SINK,
	.name = "test-bad-default",
	.description = "its default is no integer",
	.params = params,
	.n_params = 1,
	.process = process,
};
#elif defined(DUP_PARAM)
static const pl_param_spec params[] = {
	{ .name = "n", .type = PL_PARAM_INT, .description = "a number" },
	{ .name = "n", .type = PL_PARAM_STRING, .description = "the same name again" },
};
static const pl_stage second = {
	PL_STAGE_HEADER,          .kind = PL_STAGE_SINK,
	.name = "test-dup-param", .description = "declares 'n' twice",
	.params = params,         .n_params = 2,
	.process = process,
};
#elif defined(SHORT_STAGE)
/* As if built against a header whose pl_stage ended before `init`. */
static const pl_stage second = {
	.size = offsetof(pl_stage, init),
	.kind = PL_STAGE_SINK,
	.name = "test-short",
	.description = "a truncated descriptor",
	.process = process,
};
#elif defined(DUP_STAGE)
static const pl_stage second = {
	PL_STAGE_HEADER,     .kind = PL_STAGE_SINK,
	.name = "test-fine", .description = "the first stage's name again",
	.process = process,
};
#elif defined(BAD_FLAGS)
static const pl_stage second = {
	PL_STAGE_HEADER,          .kind = PL_STAGE_SINK,
	.name = "test-bad-flags", .description = "a flag no ABI 1.2 runner knows",
	.process = process,       .flags = PL_STAGE_INIT_CHECKS | (1u << 7),
};
#elif defined(BAD_EXAMPLE)
static const pl_stage second = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_SINK,
	.name = "test-bad-example",
	.description = "an example on two lines",
	.process = process,
	.example_params = "{ a: 1 }\n  - name: injected",
};
#elif defined(CLASH_BUILTIN)
static const pl_stage second = {
	PL_STAGE_HEADER,    .kind = PL_STAGE_TRANSFORM,
	.name = "upper",    .description = "the name of a built-in stage",
	.process = process,
};
#else
#error "build malformed.c with one of the variants its first comment lists"
#endif

static const pl_stage *const stages[] = { &fine, &second };

static const pl_plugin plugin = {
	PL_PLUGIN_HEADER,
	.name = "malformed",
	.stages = stages,
	.n_stages = 2,
};

PL_PLUGIN_EXPORT(plugin)
