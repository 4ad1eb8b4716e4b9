/* fibonacci.c - example plugin: the `fibonacci` generator, against pipeline/plugin.h only. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipeline/plugin.h>

/* On the main thread, before any thread starts: keeps `count` (it has a
 * default, and the host checked its range) in the worker's state. */
static int fib_init(pl_worker *w, const pl_params *params)
{
	int64_t *count = malloc(sizeof(*count));
	if (count == NULL)
		return w->host->failf(w, "out of memory");
	if (w->host->param_int(params, "count", count) != 0) {
		free(count); /* fini() is not called after a failed init() */
		return w->host->failf(w, "parameter 'count' is missing");
	}
	w->state = count; /* fini() frees it */
	return 0;
}

/* Emits F(1), F(2), ... F(count) as decimal text, one per message. */
static int fib_generate(pl_worker *w)
{
	const pl_host *h = w->host;
	const int64_t count = *(const int64_t *)w->state;
	uint64_t prev = 1, cur = 0; /* F(-1) and F(0): the next is their sum */
	char text[24];

	for (int64_t k = 0; k < count && !h->stopping(w); k++) {
		uint64_t next = prev + cur;
		prev = cur;
		cur = next;
		int n = snprintf(text, sizeof(text), "%" PRIu64, cur);
		pl_msg *msg = h->msg_new((size_t)n);
		if (msg == NULL)
			return h->failf(w, "out of memory");
		memcpy(h->msg_data(msg), text, (size_t)n);
		int rc = h->emit(w, msg); /* takes msg, even when it fails */
		if (rc == PL_ECANCELED)
			return 0; /* the pipeline is stopping: not our failure */
		if (rc != 0)
			return h->failf(w, "cannot pass a message on: %s", h->strerror(rc));
	}
	return 0;
}

static void fib_fini(pl_worker *w)
{
	free(w->state);
}

static const pl_param_spec fib_params[] = {
	{ .name = "count",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "10",
	  .description = "how many Fibonacci numbers to emit (0 to 93)",
	  .min = 0,
	  .max = 93 }, /* F(93) is the last to fit in 64 bits */
};

static const pl_stage fib_stage = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_GENERATOR,
	.name = "fibonacci",
	.description = "emits the Fibonacci numbers 1, 1, 2, 3, 5, ... (example plugin)",
	.params = fib_params,
	.n_params = sizeof(fib_params) / sizeof(fib_params[0]),
	.max_workers = 1, /* one ordered sequence */
	.init = fib_init,
	.generate = fib_generate,
	.fini = fib_fini,
	.flags = PL_STAGE_INIT_CHECKS, /* fib_init() only reads its parameter */
};

static const pl_stage *const fib_stages[] = { &fib_stage };

static const pl_plugin fib_plugin = {
	PL_PLUGIN_HEADER,
	.name = "fibonacci",
	.stages = fib_stages,
	.n_stages = sizeof(fib_stages) / sizeof(fib_stages[0]),
};

PL_PLUGIN_EXPORT(fib_plugin)
