/* count.c - the `count` sink: counts messages and bytes, prints the totals at the end. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "builtin.h"
#include "mem.h"
#include "out.h"

struct count {
	uint64_t messages, bytes;
};

static int count_init(pl_worker *w, const pl_params *params)
{
	(void)params;
	struct count *c = pl_mem_calloc(1, sizeof(*c));
	if (c == NULL)
		return w->host->failf(w, "out of memory");
	w->state = c;
	return 0;
}

/* Ownership: takes `msg` and frees it. */
static int count_process(pl_worker *w, pl_msg *msg)
{
	struct count *c = w->state;

	c->messages++;
	c->bytes += w->host->msg_len(msg);
	w->host->msg_free(msg);
	return 0;
}

/* Prints "messages=N bytes=B" as one line to standard output. */
static int count_flush(pl_worker *w)
{
	const struct count *c = w->state;
	char line[64], ebuf[64];

	int n = snprintf(line, sizeof(line), "messages=%" PRIu64 " bytes=%" PRIu64, c->messages,
			 c->bytes);
	if (pl_out_write_line(stdout, (const unsigned char *)line, (size_t)n) != 0 ||
	    pl_out_flush(stdout) != 0)
		return w->host->failf(w, "cannot write to standard output: %s",
				      pl_out_strerror(errno, ebuf, sizeof(ebuf)));
	return 0;
}

static void count_fini(pl_worker *w)
{
	free(w->state);
	w->state = NULL;
}

/* Counts the messages and their bytes and, when the input ends, prints one
 * line "messages=N bytes=B" to standard output.  One worker: the totals are
 * node-wide. */
const pl_stage pl_stage_count = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_SINK,
	.name = "count",
	.description = "counts messages and bytes; prints messages=N bytes=B at the end",
	.max_workers = 1,
	.init = count_init,
	.process = count_process,
	.flush = count_flush,
	.fini = count_fini,
};
