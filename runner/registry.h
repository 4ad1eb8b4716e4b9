/* registry.h - the stages a pipeline may name: the built-ins (and later, plugins'). */
#ifndef PL_RUNNER_REGISTRY_H
#define PL_RUNNER_REGISTRY_H

#include <stddef.h>

#include "pipeline/plugin.h"

typedef struct pl_registry pl_registry;

/* A registry holding the built-in stages.  Returns 0 or PL_ENOMEM. */
int pl_registry_create(pl_registry **out);

/* Frees the registry; NULL does nothing. */
void pl_registry_destroy(pl_registry *r);

/* Adds `stage` (which must outlive the registry).  Returns 0, PL_EINVAL when
 * a stage of that name is already registered, PL_ENOMEM. */
int pl_registry_add(pl_registry *r, const pl_stage *stage);

/* The stage called `name`, or NULL. */
const pl_stage *pl_registry_find(const pl_registry *r, const char *name);

/* The stage names, in registration order, for listings and suggestions;
 * valid while the registry lives. */
const char *const *pl_registry_names(const pl_registry *r, size_t *count);

#endif /* PL_RUNNER_REGISTRY_H */
