/* header.c - test plugins whose descriptor itself is wrong, one per build (see CMakeLists.txt):
 * -DMAGIC=, -DMAJOR=, -DMINOR=, -DTRUNCATED, -DNULL_ENTRY or -DNO_SYMBOL change one thing of
 * an otherwise valid plugin. */
#include <stddef.h>

#include <pipeline/plugin.h>

#ifndef MAGIC
#define MAGIC PL_PLUGIN_MAGIC
#endif
#ifndef MAJOR
#define MAJOR PL_ABI_MAJOR
#endif
#ifndef MINOR
#define MINOR PL_ABI_MINOR
#endif
#ifdef TRUNCATED
/* As if built against a header whose pl_plugin ended before `stages`. */
#define SIZE offsetof(pl_plugin, stages)
#else
#define SIZE sizeof(pl_plugin)
#endif

/* Ownership: takes msg and frees it. */
static int process(pl_worker *w, pl_msg *msg)
{
	w->host->msg_free(msg);
	return 0;
}

static const pl_stage stage = {
	PL_STAGE_HEADER,       .kind = PL_STAGE_SINK,
	.name = "test-header", .description = "a sink that is never registered",
	.process = process,
};

static const pl_stage *const stages[] = { &stage };

static const pl_plugin plugin = {
	.magic = MAGIC,
	.abi_major = MAJOR,
	.abi_minor = MINOR,
	.size = SIZE,
	.name = "header",
	.stages = stages,
	.n_stages = 1,
};

#if defined(NO_SYMBOL)
/* A misspelt entry: the loader looks for PL_PLUGIN_ENTRY only. */
__attribute__((visibility("default"))) const pl_plugin *pipeline_plugins(void);
__attribute__((visibility("default"))) const pl_plugin *pipeline_plugins(void)
{
	return &plugin;
}
#elif defined(NULL_ENTRY)
__attribute__((visibility("default"))) const pl_plugin *pipeline_plugin(void);
__attribute__((visibility("default"))) const pl_plugin *pipeline_plugin(void)
{
	(void)plugin; /* as if its author forgot to return it */
	return NULL;
}
#else
PL_PLUGIN_EXPORT(plugin)
#endif
