/* stack_probe.c - a test plugin whose transform tells the stack size of the thread that ran it. */
#define _GNU_SOURCE /* pthread_getattr_np() */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <pipeline/plugin.h>

/* test-stack: emits each message with " N" appended, N the stack size in
 * bytes of the worker thread that processed it (pthread_getattr_np()).
 * Ownership: takes msg; frees it and emits a new one. */
static int stack_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	pthread_attr_t attr;
	size_t size = 0;
	if (pthread_getattr_np(pthread_self(), &attr) == 0) {
		(void)pthread_attr_getstacksize(&attr, &size);
		pthread_attr_destroy(&attr);
	}
	char tail[32];
	int n = snprintf(tail, sizeof(tail), " %zu", size);
	size_t len = h->msg_len(msg);
	pl_msg *out = h->msg_new(len + (size_t)n);
	if (out == NULL) {
		h->msg_free(msg);
		return h->failf(w, "out of memory");
	}
	memcpy(h->msg_data(out), h->msg_data(msg), len);
	memcpy(h->msg_data(out) + len, tail, (size_t)n);
	h->msg_free(msg);
	return h->emit(w, out) == 0 ? 0 : PL_ECANCELED;
}

static const pl_stage probe = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "test-stack",
	.description = "appends the stack size of the worker thread that ran it",
	.process = stack_process,
};

static const pl_stage *const stages[] = { &probe };

static const pl_plugin plugin = {
	PL_PLUGIN_HEADER,
	.name = "stack_probe",
	.stages = stages,
	.n_stages = 1,
};

PL_PLUGIN_EXPORT(plugin)
