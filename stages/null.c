/* null.c - the `null` sink: discards every message. */
#include "builtin.h"

/* Ownership: takes `msg` and frees it. */
static int null_process(pl_worker *w, pl_msg *msg)
{
	w->host->msg_free(msg);
	return 0;
}

/* Frees every message: for benchmarks and for pipelines run for their side
 * effects. */
const pl_stage pl_stage_null = {
	PL_STAGE_HEADER,         .kind = PL_STAGE_SINK,
	.name = "null",          .description = "discards every message",
	.process = null_process,
};
