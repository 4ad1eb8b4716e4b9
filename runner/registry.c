/* registry.c - the stages a pipeline may name, looked up by name. */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "builtin.h"

struct pl_registry {
	const pl_stage **stages;
	const char **names;
	size_t n, cap;
};

int pl_registry_create(pl_registry **out)
{
	*out = NULL;
	pl_registry *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return PL_ENOMEM;
	size_t n = pl_builtin_stage_count;
	r->stages = calloc(n, sizeof(*r->stages));
	r->names = calloc(n, sizeof(*r->names));
	if (r->stages == NULL || r->names == NULL) {
		pl_registry_destroy(r);
		return PL_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		r->stages[i] = pl_builtin_stages[i];
		r->names[i] = pl_builtin_stages[i]->name;
	}
	r->n = r->cap = n;
	*out = r;
	return 0;
}

void pl_registry_destroy(pl_registry *r)
{
	if (r == NULL)
		return;
	free(r->stages);
	free(r->names);
	free(r);
}

int pl_registry_add(pl_registry *r, const pl_stage *stage)
{
	if (pl_registry_find(r, stage->name) != NULL)
		return PL_EINVAL;
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 8;
		const pl_stage **stages = realloc(r->stages, cap * sizeof(*stages));
		if (stages == NULL)
			return PL_ENOMEM;
		r->stages = stages;
		const char **names = realloc(r->names, cap * sizeof(*names));
		if (names == NULL)
			return PL_ENOMEM;
		r->names = names;
		r->cap = cap;
	}
	r->stages[r->n] = stage;
	r->names[r->n] = stage->name;
	r->n++;
	return 0;
}

const pl_stage *pl_registry_find(const pl_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->names[i], name) == 0)
			return r->stages[i];
	return NULL;
}

const char *const *pl_registry_names(const pl_registry *r, size_t *count)
{
	*count = r->n;
	return r->names;
}
