/* fault.h - fault injection: making the n-th allocation or thread start fail, for tests. */
#ifndef PL_RUNNER_FAULT_H
#define PL_RUNNER_FAULT_H

#include <errno.h>
#include <pthread.h>

/*
 * Compiled only with -DPL_FAULT_INJECTION=ON (CMake); otherwise the hooks
 * are the plain calls (mem.h's are malloc() and friends,
 * pl__thread_create() is pthread_create()), the variables below are
 * ignored, and it costs nothing.  Modelled on SQLite's fault simulator.
 *
 * A fault point is armed with a number n: its n-th use from then on fails,
 * once, and the uses after it succeed again (so the code's recovery path
 * runs, then its cleanup).  The binary arms them from the environment when
 * it starts:
 *
 *   PIPELINE_FAULT_ALLOC=n    the n-th allocation (mem.h) returns NULL
 *   PIPELINE_FAULT_THREAD=n   the n-th worker thread start fails (EAGAIN)
 *
 * and, when one fires, prints "pipeline: fault injection: allocation #n
 * fails" to stderr, so that a test knows the fault happened (a test that
 * steps n up stops at the first run where nothing fired).
 */
enum pl_fault_point { PL_FAULT_ALLOC, PL_FAULT_THREAD, PL_FAULT_POINTS };

#ifdef PL_FAULT_INJECTION

/* Arms `point` to fail its n-th use from now (0 disarms).  Thread-safe;
 * meant to be called before a run. */
void pl_fault_arm(enum pl_fault_point point, unsigned long n);

/* Arms the fault points from PIPELINE_FAULT_ALLOC / PIPELINE_FAULT_THREAD
 * (main() calls it once, before anything else).  A value that is not a
 * count is ignored with a warning. */
void pl_fault_arm_from_env(void);

/* Counts a use of `point`: nonzero when this use must fail. */
int pl__fault_hit(enum pl_fault_point point);

static inline int pl__fault_alloc(void)
{
	return pl__fault_hit(PL_FAULT_ALLOC);
}

/* pthread_create(), or EAGAIN when this thread start is the one to fail. */
static inline int pl__thread_create(pthread_t *t, const pthread_attr_t *attr, void *(*fn)(void *),
				    void *arg)
{
	return pl__fault_hit(PL_FAULT_THREAD) ? EAGAIN : pthread_create(t, attr, fn, arg);
}

#else

static inline void pl_fault_arm_from_env(void)
{
}

#define pl__thread_create pthread_create

#endif /* PL_FAULT_INJECTION */

#endif /* PL_RUNNER_FAULT_H */
