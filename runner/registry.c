/* registry.c - the stages a pipeline may name, looked up by name, and where they came from. */
#include "registry.h"
#include "mem.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "diag.h"
#include "plugin_check.h"

/* One registered stage: the host's copy of its descriptor. */
struct entry {
	pl_stage copy;
	const pl_stage *stage; /* &copy, or a stage added as is */
	const char *origin;    /* into `origins`, or NULL */
};

struct pl_registry {
	struct entry **entries; /* stable addresses: configs point at entries' stages */
	const char **names;
	size_t n, cap;
	char **origins; /* owned strings */
	size_t n_origins;
	void **handles; /* dlopen() handles, closed last */
	size_t n_handles;
};

static const pl_plugin builtin_plugin = {
	PL_PLUGIN_HEADER, .name = "built-in", .stages = pl_builtin_stages,
	.n_stages = 0, /* set from pl_builtin_stage_count below */
};

int pl_registry_create(pl_registry **out)
{
	*out = NULL;
	pl_registry *r = pl_mem_calloc(1, sizeof(*r));
	if (r == NULL)
		return PL_ENOMEM;
	pl_plugin builtins = builtin_plugin;
	builtins.n_stages = (uint32_t)pl_builtin_stage_count;
	char err[256];
	int rc = pl_registry_add_plugin(r, &builtins, PL_REGISTRY_BUILTIN, err, sizeof(err));
	if (rc != 0) {
		/* A malformed built-in is a bug of ours; say so loudly. */
		if (rc != PL_ENOMEM)
			fprintf(stderr, "pipeline: internal error: a built-in stage: %s\n", err);
		pl_registry_destroy(r);
		return rc == PL_ENOMEM ? PL_ENOMEM : PL_EINVAL;
	}
	*out = r;
	return 0;
}

void pl_registry_destroy(pl_registry *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->entries[i]);
	free(r->entries);
	free(r->names);
	for (size_t i = 0; i < r->n_origins; i++)
		free(r->origins[i]);
	free(r->origins);
	for (size_t i = 0; i < r->n_handles; i++)
		dlclose(r->handles[i]);
	free(r->handles);
	free(r);
}

static struct entry *find(const pl_registry *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->names[i], name) == 0)
			return r->entries[i];
	return NULL;
}

/* Appends an entry; 0 or PL_ENOMEM. */
static int append(pl_registry *r, struct entry *e)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct entry **entries = pl_mem_realloc(r->entries, cap * sizeof(*entries));
		if (entries == NULL)
			return PL_ENOMEM;
		r->entries = entries;
		const char **names = pl_mem_realloc(r->names, cap * sizeof(*names));
		if (names == NULL)
			return PL_ENOMEM;
		r->names = names;
		r->cap = cap;
	}
	r->entries[r->n] = e;
	r->names[r->n] = e->stage->name;
	r->n++;
	return 0;
}

int pl_registry_add(pl_registry *r, const pl_stage *stage)
{
	if (find(r, stage->name) != NULL)
		return PL_EINVAL;
	struct entry *e = pl_mem_calloc(1, sizeof(*e));
	if (e == NULL)
		return PL_ENOMEM;
	e->stage = stage;
	if (append(r, e) != 0) {
		free(e);
		return PL_ENOMEM;
	}
	return 0;
}

int pl_registry_add_plugin(pl_registry *r, const pl_plugin *p, const char *origin, char *err,
			   size_t errlen)
{
	int code = pl__plugin_check(p, err, errlen);
	if (code != 0)
		return code;
	for (uint32_t i = 0; i < p->n_stages; i++) {
		const struct entry *old = find(r, p->stages[i]->name);
		if (old != NULL) {
			if (old->origin != NULL && strcmp(old->origin, PL_REGISTRY_BUILTIN) == 0)
				snprintf(err, errlen,
					 "its stage '%s' has the name of a built-in stage; rename "
					 "it",
					 p->stages[i]->name);
			else
				snprintf(err, errlen,
					 "its stage '%s' clashes with the stage of that name from "
					 "%s; rename one of them, or load only one of the two",
					 p->stages[i]->name,
					 old->origin ? old->origin : "the program");
			return PL_D_PLUGIN_CLASH;
		}
	}
	char **origins = pl_mem_realloc(r->origins, (r->n_origins + 1) * sizeof(*origins));
	if (origins == NULL)
		return PL_ENOMEM;
	r->origins = origins;
	char *copy = pl_mem_strdup(origin);
	if (copy == NULL)
		return PL_ENOMEM;
	r->origins[r->n_origins++] = copy;
	/* All or nothing: a plugin half registered would leave names pointing
	 * into a file its loader is about to close. */
	size_t before = r->n;
	for (uint32_t i = 0; i < p->n_stages; i++) {
		const pl_stage *st = p->stages[i];
		struct entry *e = pl_mem_calloc(1, sizeof(*e));
		if (e != NULL) {
			/* Only what the plugin's own descriptor holds; a newer
			 * plugin's extra fields are not ours to read. */
			memcpy(&e->copy, st,
			       st->size < sizeof(e->copy) ? st->size : sizeof(e->copy));
			e->copy.size = (uint32_t)sizeof(e->copy);
			e->stage = &e->copy;
			e->origin = copy;
		}
		if (e == NULL || append(r, e) != 0) {
			free(e);
			while (r->n > before)
				free(r->entries[--r->n]);
			free(r->origins[--r->n_origins]);
			return PL_ENOMEM;
		}
	}
	return 0;
}

const char *pl_stage_kind_name(uint32_t kind)
{
	switch (kind) {
	case PL_STAGE_GENERATOR:
		return "generator";
	case PL_STAGE_TRANSFORM:
		return "transform";
	case PL_STAGE_SINK:
		return "sink";
	default:
		return "unknown";
	}
}

const pl_stage *pl_registry_find(const pl_registry *r, const char *name)
{
	const struct entry *e = find(r, name);
	return e ? e->stage : NULL;
}

const char *pl_registry_origin(const pl_registry *r, const char *name)
{
	const struct entry *e = find(r, name);
	return e ? e->origin : NULL;
}

const char *const *pl_registry_names(const pl_registry *r, size_t *count)
{
	*count = r->n;
	return r->names;
}

int pl__registry_keep(pl_registry *r, void *handle)
{
	void **handles = pl_mem_realloc(r->handles, (r->n_handles + 1) * sizeof(*handles));
	if (handles == NULL)
		return PL_ENOMEM;
	r->handles = handles;
	r->handles[r->n_handles++] = handle;
	return 0;
}

int pl__registry_holds(const pl_registry *r, const void *handle)
{
	for (size_t i = 0; i < r->n_handles; i++)
		if (r->handles[i] == handle)
			return 1;
	return 0;
}
