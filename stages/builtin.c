/* builtin.c - the table of built-in stages and the helpers they share. */
#include "builtin.h"

const pl_stage *const pl_builtin_stages[] = {
	&pl_stage_seq,  &pl_stage_lines, &pl_stage_fixed, &pl_stage_upper,
	&pl_stage_grep, &pl_stage_delay, &pl_stage_hash,  &pl_stage_stdout,
	&pl_stage_file, &pl_stage_null,  &pl_stage_count,
};

const size_t pl_builtin_stage_count = sizeof(pl_builtin_stages) / sizeof(pl_builtin_stages[0]);

int pl_builtin_emit_result(pl_worker *w, int rc)
{
	if (rc == 0 || rc == PL_ECANCELED)
		return 0;
	w->host->failf(w, "cannot pass a message on: %s", w->host->strerror(rc));
	return rc;
}
