/* shout.c - a first stage: each message upper-cased, with a "!" added. */
#include <ctype.h>

#include <pipeline/plugin.h>

/* Ownership: takes `msg` and frees it; emit() takes the new message, on
 * success and on failure alike. */
static int shout_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	size_t len = h->msg_len(msg);
	pl_msg *out = h->msg_new(len + 1);
	if (out == NULL) {
		h->msg_free(msg);
		return h->failf(w, "out of memory");
	}
	const unsigned char *in = h->msg_data(msg);
	unsigned char *p = h->msg_data(out);
	for (size_t i = 0; i < len; i++)
		p[i] = (unsigned char)toupper(in[i]);
	p[len] = '!';
	h->msg_free(msg);
	int rc = h->emit(w, out);
	if (rc != 0 && rc != PL_ECANCELED) /* PL_ECANCELED: stopping, not a failure */
		return h->failf(w, "cannot pass a message on: %s", h->strerror(rc));
	return 0;
}

static const pl_stage shout = {
	PL_STAGE_HEADER,            /* its size, for the ABI check */
	.kind = PL_STAGE_TRANSFORM, /* one message in, any number out */
	.name = "shout",            /* what a node's `stage:` names */
	.description = "upper-cases each message and adds a '!'",
	.max_workers = 0, /* any number: it keeps no state */
	.process = shout_process,
};

static const pl_stage *const stages[] = { &shout };

static const pl_plugin plugin = {
	PL_PLUGIN_HEADER,
	.name = "shout",
	.stages = stages,
	.n_stages = 1,
};

PL_PLUGIN_EXPORT(plugin)
