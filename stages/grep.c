/* grep.c - the `grep` transform: keeps the messages matching a POSIX extended regex. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "mem.h"

/*
 * Messages are not NUL-terminated, so each is copied to a per-worker buffer
 * with a NUL after it.  With REG_STARTEND (glibc, musl, the BSDs) regexec()
 * is also given the length and searches every byte, NULs included; without
 * it, the search stops at the first NUL byte.
 *
 * Why copy even with REG_STARTEND: the regexec() interceptors of ASan and
 * TSan ignore REG_STARTEND and strlen() the string, reading past the end of
 * a message buffer, and a build that differs under sanitizers would leave
 * the real path untested.  One memcpy is cheap next to regexec().
 */

struct grep {
	regex_t re;
	int invert;
	int fail;  /* a message that is not kept is a stage error, not dropped */
	char *buf; /* the message being matched, NUL-terminated */
	size_t cap;
};

static int grep_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	const char *pattern;
	char ebuf[256];

	if (h->param_string(params, "pattern", &pattern) != 0)
		return h->failf(w, "parameter 'pattern' is required");
	struct grep *g = pl_mem_calloc(1, sizeof(*g));
	if (g == NULL)
		return h->failf(w, "out of memory");
	if (h->param_bool(params, "invert", &g->invert) != 0)
		g->invert = 0;
	if (h->param_bool(params, "fail", &g->fail) != 0)
		g->fail = 0;
	int rc = regcomp(&g->re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &g->re, ebuf, sizeof(ebuf));
		free(g);
		return h->failf(w, "invalid pattern '%s': %s", pattern, ebuf);
	}
	w->state = g;
	return 0;
}

/* 0 when the message matches, REG_NOMATCH when not, else a regexec error. */
static int match(pl_worker *w, struct grep *g, pl_msg *msg)
{
	const pl_host *h = w->host;
	size_t len = h->msg_len(msg);

	if (len >= g->cap) {
		char *p = pl_mem_realloc(g->buf, len + 1);
		if (p == NULL)
			return REG_ESPACE;
		g->buf = p;
		g->cap = len + 1;
	}
	if (len > 0)
		memcpy(g->buf, h->msg_data(msg), len);
	g->buf[len] = '\0';
#ifdef REG_STARTEND
	regmatch_t m[1];
	if ((regoff_t)len < 0 || (size_t)(regoff_t)len != len)
		return REG_ESPACE; /* longer than regoff_t can say */
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)len;
	return regexec(&g->re, g->buf, 1, m, REG_STARTEND);
#else
	return regexec(&g->re, g->buf, 0, NULL, 0);
#endif
}

/* Ownership: takes `msg`; emits it when it is kept, frees it otherwise
 * (also on error). */
static int grep_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	struct grep *g = w->state;
	char ebuf[256];

	int rc = match(w, g, msg);
	if (rc == REG_ESPACE) {
		h->msg_free(msg);
		return h->failf(w, "out of memory matching a message");
	}
	if (rc != 0 && rc != REG_NOMATCH) {
		h->msg_free(msg);
		regerror(rc, &g->re, ebuf, sizeof(ebuf));
		return h->failf(w, "regexec: %s", ebuf);
	}
	if ((rc == 0) == (g->invert != 0)) {
		h->msg_free(msg);
		if (g->fail)
			return h->failf(w, "the message does not %s the pattern",
					g->invert ? "avoid" : "match");
		return 0;
	}
	return pl_builtin_emit_result(w, h->emit(w, msg));
}

static void grep_fini(pl_worker *w)
{
	struct grep *g = w->state;

	if (g == NULL)
		return;
	regfree(&g->re);
	free(g->buf);
	free(g);
	w->state = NULL;
}

static const pl_param_spec grep_params[] = {
	{ .name = "pattern",
	  .type = PL_PARAM_STRING,
	  .flags = PL_PARAM_REQUIRED,
	  .description = "a POSIX extended regular expression" },
	{ .name = "invert",
	  .type = PL_PARAM_BOOL,
	  .default_value = "false",
	  .description = "keep the messages that do not match instead" },
	{ .name = "fail",
	  .type = PL_PARAM_BOOL,
	  .default_value = "false",
	  .description = "a message not kept is a stage error (for on_error) instead of "
			 "being dropped" },
};

/* Passes on the messages that match `pattern` anywhere (or, with `invert`,
 * that do not) and frees the others, or with `fail` fails on them, so that
 * the node's on_error policy routes them. */
const pl_stage pl_stage_grep = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "grep",
	.description = "keeps the messages matching a POSIX extended regular expression",
	.params = grep_params,
	.n_params = sizeof(grep_params) / sizeof(grep_params[0]),
	.init = grep_init,
	.process = grep_process,
	.fini = grep_fini,
	.flags = PL_STAGE_INIT_CHECKS,
};
