/* stdout.c - the `stdout` sink: each message and a newline to standard output. */
#include <errno.h>
#include <stdio.h>

#include "builtin.h"
#include "out.h"

/* Ownership: takes `msg` and frees it, whether the write succeeds or not. */
static int stdout_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	char ebuf[64];

	int rc = pl_out_write_line(stdout, h->msg_data(msg), h->msg_len(msg));
	int e = errno;
	h->msg_free(msg);
	if (rc != 0)
		return h->failf(w, "cannot write to standard output: %s",
				pl_out_strerror(e, ebuf, sizeof(ebuf)));
	return 0;
}

static int stdout_flush(pl_worker *w)
{
	char ebuf[64];

	if (pl_out_flush(stdout) != 0)
		return w->host->failf(w, "cannot write to standard output: %s",
				      pl_out_strerror(errno, ebuf, sizeof(ebuf)));
	return 0;
}

/* Writes each message as one line to standard output.  Lines are whole even
 * with many workers and other nodes writing standard output. */
const pl_stage pl_stage_stdout = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_SINK,
	.name = "stdout",
	.description = "writes each message as a line to standard output",
	.process = stdout_process,
	.flush = stdout_flush,
};
