/* rot13.c - example plugin: the `rot13` transform, written against pipeline/plugin.h only.
 *
 * Build it alone (see docs/plugins.md):
 *   cc $(pkg-config --cflags pipeline-plugin) -shared -fPIC -fvisibility=hidden \
 *      -o librot13.so rot13.c
 */
#include <pipeline/plugin.h>

/* Rotates the ASCII letters of the message by 13 places, in place, and passes
 * it on; other bytes (digits, punctuation, UTF-8) are left as they are.
 * Ownership: takes `msg`; emit() takes it on success and on failure alike. */
static int rot13_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	unsigned char *p = h->msg_data(msg);
	size_t len = h->msg_len(msg);

	for (size_t i = 0; i < len; i++) {
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] = (unsigned char)('a' + (p[i] - 'a' + 13) % 26);
		else if (p[i] >= 'A' && p[i] <= 'Z')
			p[i] = (unsigned char)('A' + (p[i] - 'A' + 13) % 26);
	}
	int rc = h->emit(w, msg);
	/* PL_ECANCELED: the pipeline is stopping, which is not this stage's
	 * failure; return quietly. */
	if (rc == PL_ECANCELED)
		return 0;
	if (rc != 0)
		return h->failf(w, "cannot pass a message on: %s", h->strerror(rc));
	return 0;
}

/* No state and no parameters: any number of workers may run it. */
static const pl_stage rot13_stage = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "rot13",
	.description = "rotates the ASCII letters of each message by 13 places (example plugin)",
	.process = rot13_process,
};

static const pl_stage *const rot13_stages[] = { &rot13_stage };

static const pl_plugin rot13_plugin = {
	PL_PLUGIN_HEADER,
	.name = "rot13",
	.stages = rot13_stages,
	.n_stages = sizeof(rot13_stages) / sizeof(rot13_stages[0]),
};

PL_PLUGIN_EXPORT(rot13_plugin)
