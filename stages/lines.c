/* lines.c - the `lines` generator: one message per line of a file or of stdin. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "builtin.h"
#include "out.h"

struct lines {
	FILE *f;          /* stdin for "-" (never closed here) */
	const char *path; /* for messages; borrowed from the params until fini */
	char *buf;        /* getline's buffer */
	size_t cap;
};

static int lines_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	const char *path;
	char ebuf[64];

	if (h->param_string(params, "path", &path) != 0)
		return h->failf(w, "parameter 'path' is required");
	struct lines *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return h->failf(w, "out of memory");
	l->path = path;
	if (strcmp(path, "-") == 0) {
		const char *holder = pl_stdin_claim(w->node);
		if (holder != NULL) {
			free(l);
			return h->failf(w, "standard input is already read by %s; only one reader may take it",
					holder);
		}
		l->f = stdin;
		w->state = l;
		return 0;
	}
	struct stat st;
	if ((l->f = fopen(path, "r")) == NULL || fstat(fileno(l->f), &st) != 0 ||
	    S_ISDIR(st.st_mode)) {
		int e = l->f == NULL || !S_ISDIR(st.st_mode) ? errno : EISDIR;
		if (l->f != NULL)
			fclose(l->f);
		free(l);
		return h->failf(w, "cannot read '%s': %s", path,
				pl_out_strerror(e, ebuf, sizeof(ebuf)));
	}
	w->state = l;
	return 0;
}

/* Emits each line without its "\n"; a last line without one is emitted too.
 * getline() may block on stdin: stopping() is checked between lines only. */
static int lines_generate(pl_worker *w)
{
	const pl_host *h = w->host;
	struct lines *l = w->state;
	char ebuf[64];

	while (!h->stopping(w)) {
		errno = 0;
		ssize_t n = getline(&l->buf, &l->cap, l->f);
		if (n < 0) {
			/* getline() running out of memory sets neither flag. */
			if (feof(l->f) && !ferror(l->f))
				return 0; /* end of file */
			int e = errno != 0 ? errno : EIO;
			return h->failf(w, "cannot read '%s': %s", l->path,
					pl_out_strerror(e, ebuf, sizeof(ebuf)));
		}
		size_t len = (size_t)n;
		if (len > 0 && l->buf[len - 1] == '\n')
			len--;
		pl_msg *msg = h->msg_new(len);
		if (msg == NULL)
			return h->failf(w, "out of memory");
		if (len > 0)
			memcpy(h->msg_data(msg), l->buf, len);
		int rc = h->emit(w, msg); /* takes msg */
		if (rc != 0)
			return pl_builtin_emit_result(w, rc);
	}
	return 0;
}

static void lines_fini(pl_worker *w)
{
	struct lines *l = w->state;

	if (l == NULL)
		return;
	if (l->f != stdin)
		fclose(l->f); /* read-only: nothing to lose */
	else
		pl_stdin_release(w->node);
	free(l->buf);
	free(l);
	w->state = NULL;
}

static const pl_param_spec lines_params[] = {
	{ .name = "path",
	  .type = PL_PARAM_STRING,
	  .flags = PL_PARAM_REQUIRED,
	  .description = "the file to read, or - for standard input" },
};

/* Reads the file named by `path` ("-": standard input) and emits each line
 * without its trailing "\n".  One worker: the file is read once. */
const pl_stage pl_stage_lines = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_GENERATOR,
	.name = "lines",
	.description = "emits each line of a file (or - for standard input)",
	.params = lines_params,
	.n_params = sizeof(lines_params) / sizeof(lines_params[0]),
	.max_workers = 1,
	.init = lines_init,
	.generate = lines_generate,
	.fini = lines_fini,
};
