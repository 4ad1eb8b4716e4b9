/* delay.c - the `delay` transform: sleeps, then passes the message on unchanged. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "builtin.h"
#include "mem.h"
#include "out.h"

struct delay {
	int64_t ms;
	int64_t jitter_ms;
	uint64_t rng; /* xorshift64 state, per worker */
};

static int delay_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	int64_t ms;

	if (h->param_int(params, "ms", &ms) != 0)
		return h->failf(w, "parameter 'ms' is required");
	if (ms < 0 || ms > 86400000)
		return h->failf(w, "'ms' must lie in [0, 86400000]");
	struct delay *d = pl_mem_alloc(sizeof(*d));
	if (d == NULL)
		return h->failf(w, "out of memory");
	d->ms = ms;
	if (h->param_int(params, "jitter_ms", &d->jitter_ms) != 0)
		d->jitter_ms = 0;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	d->rng = 0x9e3779b97f4a7c15u ^ ((uint64_t)w->index + 1) * 0xbf58476d1ce4e5b9u ^
		 (uint64_t)now.tv_nsec ^ ((uint64_t)now.tv_sec << 30);
	if (d->rng == 0)
		d->rng = 1; /* (xorshift stays at 0) */
	w->state = d;
	return 0;
}

static void ts_add_ns(struct timespec *t, int64_t ns)
{
	ns += t->tv_nsec;
	t->tv_sec += (time_t)(ns / 1000000000);
	t->tv_nsec = (long)(ns % 1000000000);
}

static int ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The longest uninterrupted sleep: stopping() is polled at least this often,
 * so a long delay upstream of a failure does not hold the pipeline up. */
#define SLICE_NS 50000000L /* 50 ms */

/* Ownership: takes `msg`; emits it after the delay, or frees it when this
 * worker is told to stop meanwhile (its output is gone: 0) or the clock
 * fails (an error).  A pipeline that drains does not stop transforms, so
 * then the delay is served in full. */
static int delay_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	struct delay *d = w->state;
	struct timespec deadline, wake;
	char ebuf[64];
	int e;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0) {
		e = errno;
		h->msg_free(msg);
		return h->failf(w, "clock_gettime: %s", pl_out_strerror(e, ebuf, sizeof(ebuf)));
	}
	wake = deadline;
	int64_t ms = d->ms;
	if (d->jitter_ms > 0) {
		d->rng ^= d->rng << 13;
		d->rng ^= d->rng >> 7;
		d->rng ^= d->rng << 17;
		ms += (int64_t)(d->rng % (uint64_t)(d->jitter_ms + 1));
	}
	ts_add_ns(&deadline, ms * 1000000);
	while (ts_before(&wake, &deadline)) {
		if (h->stopping(w)) {
			h->msg_free(msg);
			return 0;
		}
		ts_add_ns(&wake, SLICE_NS);
		if (ts_before(&deadline, &wake))
			wake = deadline;
		/* An absolute time: an EINTR simply goes round again. */
		while ((e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &wake, NULL)) == EINTR)
			;
		if (e != 0) {
			h->msg_free(msg);
			return h->failf(w, "clock_nanosleep: %s",
					pl_out_strerror(e, ebuf, sizeof(ebuf)));
		}
	}
	return pl_builtin_emit_result(w, h->emit(w, msg));
}

static void delay_fini(pl_worker *w)
{
	free(w->state);
	w->state = NULL;
}

static const pl_param_spec delay_params[] = {
	{ .name = "ms",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_REQUIRED | PL_PARAM_RANGE,
	  .description = "milliseconds to wait before passing each message on",
	  .min = 0,
	  .max = 86400000 },
	{ .name = "jitter_ms",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "0",
	  .description = "adds a random 0..jitter_ms milliseconds to each wait",
	  .min = 0,
	  .max = 86400000 },
};

/* Waits `ms` milliseconds per message (per worker, so N workers overlap their
 * waits, like I/O-bound work), then passes the message on unchanged. */
const pl_stage pl_stage_delay = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "delay",
	.description = "waits ms (plus up to jitter_ms) milliseconds, then passes each message "
		       "on unchanged",
	.params = delay_params,
	.n_params = sizeof(delay_params) / sizeof(delay_params[0]),
	.init = delay_init,
	.process = delay_process,
	.fini = delay_fini,
	.flags = PL_STAGE_INIT_CHECKS,
};
