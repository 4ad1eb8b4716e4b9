/* builtin.c - the table of built-in stages and the helpers they share. */
#include "builtin.h"

#include <string.h>

const pl_stage *const pl_builtin_stages[] = {
	&pl_stage_seq,       &pl_stage_lines, &pl_stage_fixed, &pl_stage_upper,
	&pl_stage_grep,      &pl_stage_delay, &pl_stage_hash,  &pl_stage_exec,
#ifdef PL_HAVE_JANSSON
	&pl_stage_json,
#endif
#ifdef PL_HAVE_CURL
	&pl_stage_http,
#endif
	&pl_stage_stdout,    &pl_stage_file,  &pl_stage_null,  &pl_stage_count,
#ifdef PL_HAVE_LWS
	&pl_stage_websocket,
#endif
};

const size_t pl_builtin_stage_count = sizeof(pl_builtin_stages) / sizeof(pl_builtin_stages[0]);

/* The stages on optional libraries this build was made without. */
static const struct pl_builtin_missing missing[] = {
#ifndef PL_HAVE_CURL
	{ "http", "libcurl", "libcurl4-openssl-dev" },
#endif
#ifndef PL_HAVE_JANSSON
	{ "json", "jansson", "libjansson-dev" },
#endif
#ifndef PL_HAVE_LWS
	{ "websocket", "libwebsockets", "libwebsockets-dev" },
#endif
	{ NULL, NULL, NULL },
};

const struct pl_builtin_missing *pl_builtin_find_missing(const char *name)
{
	for (const struct pl_builtin_missing *m = missing; m->stage != NULL; m++)
		if (strcmp(m->stage, name) == 0)
			return m;
	return NULL;
}

int pl_builtin_emit_result(pl_worker *w, int rc)
{
	if (rc == 0 || rc == PL_ECANCELED)
		return 0;
	w->host->failf(w, "cannot pass a message on: %s", w->host->strerror(rc));
	return rc;
}
