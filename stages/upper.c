/* upper.c - the `upper` transform: ASCII upper-case, in place. */
#include "builtin.h"

/* Ownership: takes `msg` and emits it (emit takes it even when failing). */
static int upper_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	unsigned char *p = h->msg_data(msg);
	size_t len = h->msg_len(msg);

	for (size_t i = 0; i < len; i++)
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] = (unsigned char)(p[i] - 'a' + 'A');
	return pl_builtin_emit_result(w, h->emit(w, msg));
}

/* Upper-cases the ASCII letters a-z of each message; other bytes (UTF-8
 * included) pass unchanged. */
const pl_stage pl_stage_upper = {
	PL_STAGE_HEADER,          .kind = PL_STAGE_TRANSFORM,
	.name = "upper",          .description = "upper-cases the ASCII letters of each message",
	.process = upper_process,
};
