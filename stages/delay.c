/* delay.c - the `delay` transform: sleeps, then passes the message on unchanged. */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "builtin.h"
#include "out.h"

struct delay {
	int64_t ms;
};

static int delay_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	int64_t ms;

	if (h->param_int(params, "ms", &ms) != 0)
		return h->failf(w, "parameter 'ms' is required");
	if (ms < 0 || ms > 86400000)
		return h->failf(w, "'ms' must lie in [0, 86400000]");
	struct delay *d = malloc(sizeof(*d));
	if (d == NULL)
		return h->failf(w, "out of memory");
	d->ms = ms;
	w->state = d;
	return 0;
}

static void ts_add_ns(struct timespec *t, int64_t ns)
{
	ns += t->tv_nsec;
	t->tv_sec += (time_t)(ns / 1000000000);
	t->tv_nsec = (long)(ns % 1000000000);
}

/* Ownership: takes `msg`; emits it after the delay, or frees it when the
 * clock fails (an error).  A stopping pipeline still drains through a
 * transform, so the delay is served in full. */
static int delay_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	const struct delay *d = w->state;
	struct timespec deadline;
	char ebuf[64];
	int e;

	if (clock_gettime(CLOCK_MONOTONIC, &deadline) != 0) {
		e = errno;
		h->msg_free(msg);
		return h->failf(w, "clock_gettime: %s", pl_out_strerror(e, ebuf, sizeof(ebuf)));
	}
	ts_add_ns(&deadline, d->ms * 1000000);
	/* An absolute deadline: an EINTR simply goes round again. */
	while ((e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL)) == EINTR)
		;
	if (e != 0) {
		h->msg_free(msg);
		return h->failf(w, "clock_nanosleep: %s", pl_out_strerror(e, ebuf, sizeof(ebuf)));
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
};

/* Waits `ms` milliseconds per message (per worker, so N workers overlap their
 * waits, like I/O-bound work), then passes the message on unchanged. */
const pl_stage pl_stage_delay = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "delay",
	.description = "waits ms milliseconds, then passes each message on unchanged",
	.params = delay_params,
	.n_params = sizeof(delay_params) / sizeof(delay_params[0]),
	.init = delay_init,
	.process = delay_process,
	.fini = delay_fini,
};
