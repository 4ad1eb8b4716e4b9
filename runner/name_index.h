/* name_index.h - a small hash table from names to indices, so that checks stay linear in size. */
#ifndef PL_RUNNER_NAME_INDEX_H
#define PL_RUNNER_NAME_INDEX_H

#include <stddef.h>

/* Open addressing over borrowed, NUL-terminated names.  All zero is an
 * empty index.  Not thread-safe; one owner. */
typedef struct pl__name_slot pl__name_slot;
typedef struct pl__name_index {
	pl__name_slot *slots; /* private */
	size_t cap, n;        /* private */
} pl__name_index;

/* An empty index. */
void pl__name_index_init(pl__name_index *ix);

/* The value stored for `name`, or -1 when it is not in the index. */
int pl__name_index_find(const pl__name_index *ix, const char *name);

/* Stores `value` (>= 0) for `name`, which must not be in the index yet and
 * must outlive it (the index keeps the pointer).  Returns 0 or PL_ENOMEM
 * (then the index is unchanged). */
int pl__name_index_add(pl__name_index *ix, const char *name, int value);

/* Frees the table (not the names); the index becomes empty. */
void pl__name_index_free(pl__name_index *ix);

#endif /* PL_RUNNER_NAME_INDEX_H */
