/* fault.c - the fault simulator behind fault.h (built with PL_FAULT_INJECTION only). */
#include "fault.h"

#ifdef PL_FAULT_INJECTION

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static const char *const point_names[PL_FAULT_POINTS] = {
	[PL_FAULT_ALLOC] = "allocation",
	[PL_FAULT_THREAD] = "thread start",
};

static const char *const point_env[PL_FAULT_POINTS] = {
	[PL_FAULT_ALLOC] = "PIPELINE_FAULT_ALLOC",
	[PL_FAULT_THREAD] = "PIPELINE_FAULT_THREAD",
};

/* Per point: the use that fails (0: none) and the uses so far.
 * Relaxed atomics: the only ordering that matters is that exactly one use
 * sees count == target, which the atomic increment gives. */
static struct {
	_Atomic unsigned long target, count;
} points[PL_FAULT_POINTS];

void pl_fault_arm(enum pl_fault_point point, unsigned long n)
{
	atomic_store(&points[point].target, 0);
	atomic_store(&points[point].count, 0);
	atomic_store(&points[point].target, n);
}

void pl_fault_arm_from_env(void)
{
	for (int p = 0; p < PL_FAULT_POINTS; p++) {
		const char *v = getenv(point_env[p]);
		if (v == NULL || *v == '\0')
			continue;
		char *end;
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (errno == 0 && *end == '\0' && v[0] >= '0' && v[0] <= '9')
			pl_fault_arm((enum pl_fault_point)p, n);
		else
			fprintf(stderr, "pipeline: warning: %s='%s' is not a count; ignored\n",
				point_env[p], v);
	}
}

int pl__fault_hit(enum pl_fault_point point)
{
	unsigned long target = atomic_load_explicit(&points[point].target, memory_order_relaxed);
	if (target == 0)
		return 0;
	unsigned long n =
		atomic_fetch_add_explicit(&points[point].count, 1, memory_order_relaxed) + 1;
	if (n != target)
		return 0;
	/* stderr is unbuffered: this line allocates nothing. */
	fprintf(stderr, "pipeline: fault injection: %s #%lu fails\n", point_names[point], n);
	return 1;
}

#endif /* PL_FAULT_INJECTION */
