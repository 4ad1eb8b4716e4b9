/* name_index.c - a small hash table from names to indices, so that checks stay linear in size. */
#include "name_index.h"
#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/plugin.h"

struct pl__name_slot {
	const char *name; /* NULL: free */
	int value;
};

void pl__name_index_init(pl__name_index *ix)
{
	memset(ix, 0, sizeof(*ix));
}

/* FNV-1a, 64 bits. */
static uint64_t hash(const char *s)
{
	uint64_t h = 14695981039346656037u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return h;
}

/* The slot holding `name`, or the free slot where it would go; `cap` is a
 * power of two and the table is never full. */
static pl__name_slot *probe(pl__name_slot *slots, size_t cap, const char *name)
{
	size_t i = (size_t)hash(name) & (cap - 1);
	while (slots[i].name != NULL && strcmp(slots[i].name, name) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

int pl__name_index_find(const pl__name_index *ix, const char *name)
{
	if (ix->cap == 0)
		return -1;
	const pl__name_slot *s = probe(ix->slots, ix->cap, name);
	return s->name != NULL ? s->value : -1;
}

int pl__name_index_add(pl__name_index *ix, const char *name, int value)
{
	if (2 * (ix->n + 1) > ix->cap) { /* at most half full */
		size_t cap = ix->cap ? 2 * ix->cap : 16;
		pl__name_slot *slots = pl_mem_calloc(cap, sizeof(*slots));
		if (slots == NULL)
			return PL_ENOMEM;
		for (size_t i = 0; i < ix->cap; i++)
			if (ix->slots[i].name != NULL)
				*probe(slots, cap, ix->slots[i].name) = ix->slots[i];
		free(ix->slots);
		ix->slots = slots;
		ix->cap = cap;
	}
	pl__name_slot *s = probe(ix->slots, ix->cap, name);
	s->name = name;
	s->value = value;
	ix->n++;
	return 0;
}

void pl__name_index_free(pl__name_index *ix)
{
	free(ix->slots);
	pl__name_index_init(ix);
}
