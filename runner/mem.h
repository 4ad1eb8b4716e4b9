/* mem.h - the one way pipeline allocates memory, so that tests can make any allocation fail. */
#ifndef PL_RUNNER_MEM_H
#define PL_RUNNER_MEM_H

#include <stdlib.h>
#include <string.h>

#include "fault.h"

/*
 * Every allocation of the runner and the built-in stages goes through these,
 * like malloc(3) and friends: NULL (with nothing allocated) when memory runs
 * out, or when a build with PL_FAULT_INJECTION was told to fail this
 * allocation (fault.h).  Memory from them is released with free(3).
 * Thread-safe.
 */
#ifdef PL_FAULT_INJECTION

static inline void *pl_mem_alloc(size_t size)
{
	return pl__fault_alloc() ? NULL : malloc(size);
}

static inline void *pl_mem_calloc(size_t n, size_t size)
{
	return pl__fault_alloc() ? NULL : calloc(n, size);
}

/* On failure `p` is left as it was (still owned by the caller). */
static inline void *pl_mem_realloc(void *p, size_t size)
{
	return pl__fault_alloc() ? NULL : realloc(p, size);
}

static inline char *pl_mem_strdup(const char *s)
{
	return pl__fault_alloc() ? NULL : strdup(s);
}

static inline char *pl_mem_strndup(const char *s, size_t n)
{
	return pl__fault_alloc() ? NULL : strndup(s, n);
}

#endif /* PL_FAULT_INJECTION */

/* `size` zeroed bytes aligned to `align` (a power of two, a multiple of
 * sizeof(void *)), released with free(3); NULL when out of memory. */
static inline void *pl_mem_aligned_calloc(size_t align, size_t size)
{
	void *p = NULL;
#ifdef PL_FAULT_INJECTION
	if (pl__fault_alloc())
		return NULL;
#endif
	if (posix_memalign(&p, align, size) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
}

#ifndef PL_FAULT_INJECTION

#define pl_mem_alloc   malloc
#define pl_mem_calloc  calloc
#define pl_mem_realloc realloc
#define pl_mem_strdup  strdup
#define pl_mem_strndup strndup

#endif /* PL_FAULT_INJECTION */

#endif /* PL_RUNNER_MEM_H */
