/* clock.h - the runner's one clock: CLOCK_MONOTONIC in nanoseconds, for waits and timings. */
#ifndef PL_RUNNER_CLOCK_H
#define PL_RUNNER_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t pl__now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The same clock in milliseconds, for the stages' timeouts. */
static inline int64_t pl__now_ms(void)
{
	return (int64_t)(pl__now_ns() / 1000000u);
}

#endif /* PL_RUNNER_CLOCK_H */
