/* stdout.c - the `stdout` sink: each message and a newline to standard output. */
#include <errno.h>
#include <stdio.h>

#include "builtin.h"
#include "out.h"

/* The state is only the `json` flag: w->state is NULL or non-NULL. */
static int stdout_init(pl_worker *w, const pl_params *params)
{
	int json = 0;
	if (w->host->param_bool(params, "json", &json) != 0)
		json = 0;
	w->state = json ? (void *)&pl_stage_stdout : NULL;
	return 0;
}

/* Ownership: takes `msg` and frees it, whether the write succeeds or not. */
static int stdout_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	char ebuf[64];

	int rc = w->state != NULL ? pl_out_write_json(stdout, h, msg)
				  : pl_out_write_line(stdout, h->msg_data(msg), h->msg_len(msg));
	int e = errno;
	h->msg_free(msg);
	if (rc == PL_ENOMEM)
		return h->failf(w, "out of memory");
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

static const pl_param_spec stdout_params[] = {
	{ .name = "json",
	  .type = PL_PARAM_BOOL,
	  .default_value = "false",
	  .description = "write each message as a JSON object, with a dead letter's node, "
			 "stage, error and attempts" },
};

/* Writes each message as one line to standard output.  Lines are whole even
 * with many workers and other nodes writing standard output. */
const pl_stage pl_stage_stdout = {
	PL_STAGE_HEADER,         .kind = PL_STAGE_SINK,
	.name = "stdout",        .description = "writes each message as a line to standard output",
	.params = stdout_params, .n_params = sizeof(stdout_params) / sizeof(stdout_params[0]),
	.init = stdout_init,     .process = stdout_process,
	.flush = stdout_flush,
};
