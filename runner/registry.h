/* registry.h - the stages a pipeline may name: the built-ins and the plugins' ones. */
#ifndef PL_RUNNER_REGISTRY_H
#define PL_RUNNER_REGISTRY_H

#include <stddef.h>

#include "pipeline/plugin.h"

typedef struct pl_registry pl_registry;

/* Where the built-in stages come from, for listings. */
#define PL_REGISTRY_BUILTIN "built-in"

/* A registry holding the built-in stages (checked as any plugin is).
 * Returns 0 or PL_ENOMEM. */
int pl_registry_create(pl_registry **out);

/* Frees the registry and unloads its plugins: every stage from it, and
 * every config checked against it, must be gone.  NULL does nothing. */
void pl_registry_destroy(pl_registry *r);

/* Adds one stage, which must outlive the registry (tests, embedders).
 * Returns 0, PL_EINVAL when a stage of that name is already registered,
 * PL_ENOMEM. */
int pl_registry_add(pl_registry *r, const pl_stage *stage);

/*
 * Checks the descriptor `p` (pl__plugin_check) and adds every stage of it,
 * recording `origin` (copied: a file name, or PL_REGISTRY_BUILTIN).  The
 * stages are copied into the registry, at most sizeof(pl_stage) of each,
 * so that a plugin built against an older minor ABI is read safely.
 * Returns 0; or a diagnostic code (PL_D_PLUGIN_ABI, PL_D_PLUGIN_MALFORMED,
 * PL_D_PLUGIN_CLASH) with a message in `err`, and then adds none of its
 * stages; or PL_ENOMEM (a negative number).
 */
int pl_registry_add_plugin(pl_registry *r, const pl_plugin *p, const char *origin, char *err,
			   size_t errlen);

/*
 * Loads the plugin file `path` (dlopen RTLD_NOW | RTLD_LOCAL), finds its
 * PL_PLUGIN_ENTRY symbol, and adds its stages as pl_registry_add_plugin()
 * does; the file stays loaded until pl_registry_destroy().  Loading a file
 * the registry already holds does nothing.  Returns 0, a diagnostic code
 * (PL_D_PLUGIN_OPEN, PL_D_PLUGIN_SYMBOL, and those above) with a message in
 * `err`, or PL_ENOMEM.  (plugin_load.c)
 */
int pl_registry_load(pl_registry *r, const char *path, char *err, size_t errlen);

/* "generator", "transform", "sink" (or "unknown") for a pl_stage's kind. */
const char *pl_stage_kind_name(uint32_t kind);

/* The stage called `name`, or NULL. */
const pl_stage *pl_registry_find(const pl_registry *r, const char *name);

/* Where stage `name` came from: PL_REGISTRY_BUILTIN, a plugin file, or
 * NULL for one added with pl_registry_add() or not registered. */
const char *pl_registry_origin(const pl_registry *r, const char *name);

/* The stage names, in registration order, for listings and suggestions;
 * valid while the registry lives. */
const char *const *pl_registry_names(const pl_registry *r, size_t *count);

/* Keeps a dlopen() handle for pl_registry_destroy() to close.  Returns 0
 * or PL_ENOMEM.  (Internal to the registry and plugin_load.c.) */
int pl__registry_keep(pl_registry *r, void *handle);
/* Nonzero when `handle` is one the registry keeps already. */
int pl__registry_holds(const pl_registry *r, const void *handle);

#endif /* PL_RUNNER_REGISTRY_H */
