/* good.c - a well-formed test plugin: a transform that drops every other message and one that
 * emits each message twice. */
#include <stdlib.h>
#include <string.h>

#include <pipeline/plugin.h>

/* test-halve: passes on the 1st, 3rd, 5th... message each worker receives, frees the rest. */
static int halve_init(pl_worker *w, const pl_params *params)
{
	(void)params;
	w->state = calloc(1, sizeof(unsigned long));
	return w->state != NULL ? 0 : w->host->failf(w, "out of memory");
}

/* Ownership: takes msg; emits it or frees it. */
static int halve_process(pl_worker *w, pl_msg *msg)
{
	unsigned long *seen = w->state;
	if ((*seen)++ % 2 == 1) {
		w->host->msg_free(msg);
		return 0;
	}
	return w->host->emit(w, msg) == 0 ? 0 : PL_ECANCELED;
}

static void halve_fini(pl_worker *w)
{
	free(w->state);
	w->state = NULL;
}

/* test-twice: emits a copy of each message, then the message itself. */
static int twice_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	pl_msg *copy = h->msg_new(h->msg_len(msg));
	if (copy == NULL) {
		h->msg_free(msg);
		return h->failf(w, "out of memory");
	}
	memcpy(h->msg_data(copy), h->msg_data(msg), h->msg_len(msg));
	if (h->emit(w, copy) != 0) {
		h->msg_free(msg);
		return PL_ECANCELED;
	}
	return h->emit(w, msg) == 0 ? 0 : PL_ECANCELED;
}

static const pl_stage halve = {
	PL_STAGE_HEADER,      .kind = PL_STAGE_TRANSFORM,
	.name = "test-halve", .description = "drops every other message",
	.init = halve_init,   .process = halve_process,
	.fini = halve_fini,
};

static const pl_stage twice = {
	PL_STAGE_HEADER,          .kind = PL_STAGE_TRANSFORM,
	.name = "test-twice",     .description = "emits each message twice",
	.process = twice_process,
};

static const pl_stage *const stages[] = { &halve, &twice };

static const pl_plugin plugin = {
	PL_PLUGIN_HEADER,
	.name = "good",
	.stages = stages,
	.n_stages = 2,
};

PL_PLUGIN_EXPORT(plugin)
