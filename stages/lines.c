/* lines.c - the `lines` generator: one message per line of a file or of stdin. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "builtin.h"
#include "mem.h"
#include "out.h"

/* A line may grow to this before it is refused (a file without newlines). */
#define MAX_LINE ((size_t)1 << 30)
/* How often a read that waits for data looks at stopping(), in ms. */
#define POLL_MS 100

struct lines {
	int fd;
	int is_stdin;     /* "-": fd 0, never closed here */
	int may_block;    /* not a regular file: wait for data with poll() */
	const char *path; /* for messages; borrowed from the params until fini */
	char *buf;        /* bytes read: [start, end) are not emitted yet */
	size_t cap, start, end;
};

static int lines_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	const char *path;
	char ebuf[64];
	struct stat st;

	if (h->param_string(params, "path", &path) != 0)
		return h->failf(w, "parameter 'path' is required");
	struct lines *l = pl_mem_calloc(1, sizeof(*l));
	if (l == NULL)
		return h->failf(w, "out of memory");
	l->path = path;
	if (strcmp(path, "-") == 0) {
		const char *holder = pl_stdin_claim(w->node);
		if (holder != NULL) {
			free(l);
			return h->failf(
				w,
				"standard input is already read by %s; only one reader may take it",
				holder);
		}
		l->fd = 0;
		l->is_stdin = 1;
	} else if ((l->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		int e = errno;
		free(l);
		return h->failf(w, "cannot read '%s': %s", path,
				pl_out_strerror(e, ebuf, sizeof(ebuf)));
	}
	int e = fstat(l->fd, &st) != 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
	if (e != 0) {
		if (!l->is_stdin)
			close(l->fd);
		else
			pl_stdin_release(w->node);
		free(l);
		return h->failf(w, "cannot read '%s': %s", path,
				pl_out_strerror(e, ebuf, sizeof(ebuf)));
	}
	l->may_block = !S_ISREG(st.st_mode);
	w->state = l;
	return 0;
}

/* Emits buf[from, to) as one message.  Returns 0, or what the stage returns. */
static int emit_line(pl_worker *w, const char *from, size_t len, int *stop)
{
	const pl_host *h = w->host;
	pl_msg *msg = h->msg_new(len);
	if (msg == NULL)
		return h->failf(w, "out of memory");
	if (len > 0)
		memcpy(h->msg_data(msg), from, len);
	int rc = h->emit(w, msg); /* takes msg */
	*stop = rc != 0;
	return rc != 0 ? pl_builtin_emit_result(w, rc) : 0;
}

/* Makes room for more bytes: drops what was emitted, then grows.  Returns
 * 0, or an error once a line exceeds MAX_LINE or memory runs out. */
static int make_room(pl_worker *w, struct lines *l)
{
	if (l->start > 0) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	if (l->end < l->cap)
		return 0;
	size_t cap = l->cap ? l->cap * 2 : 65536;
	if (cap > MAX_LINE)
		return w->host->failf(w, "a line of '%s' is longer than %zu bytes", l->path,
				      (size_t)MAX_LINE);
	char *buf = pl_mem_realloc(l->buf, cap);
	if (buf == NULL)
		return w->host->failf(w, "out of memory for a %zu-byte line buffer reading '%s'",
				      cap, l->path);
	l->buf = buf;
	l->cap = cap;
	return 0;
}

/* Waits until the file descriptor has data, polling stopping() meanwhile.
 * Returns 1 when there is data (or an end or error for read() to report),
 * 0 when the worker should stop. */
static int wait_for_data(pl_worker *w, const struct lines *l)
{
	for (;;) {
		if (w->host->stopping(w))
			return 0;
		struct pollfd p = { .fd = l->fd, .events = POLLIN };
		int r = poll(&p, 1, POLL_MS);
		if (r > 0 || (r < 0 && errno != EINTR))
			return 1;
	}
}

/* Emits each line without its "\n"; a last line without one is emitted too.
 * Reads with read(2): from a pipe, a FIFO or a terminal, it waits in short
 * poll() slices, so a stopping pipeline is noticed even while no line comes. */
static int lines_generate(pl_worker *w)
{
	const pl_host *h = w->host;
	struct lines *l = w->state;
	char ebuf[64];
	int stop = 0;

	for (;;) {
		char *nl;
		/* (buf is NULL until the first read: no pointer arithmetic on it.) */
		while (l->end > l->start &&
		       (nl = memchr(l->buf + l->start, '\n', l->end - l->start)) != NULL) {
			int rc = emit_line(w, l->buf + l->start, (size_t)(nl - (l->buf + l->start)),
					   &stop);
			l->start = (size_t)(nl - l->buf) + 1;
			if (stop || rc != 0)
				return rc;
		}
		if (h->stopping(w))
			return 0;
		int rc = make_room(w, l);
		if (rc != 0)
			return rc;
		if (l->may_block && !wait_for_data(w, l))
			return 0;
		ssize_t n = read(l->fd, l->buf + l->end, l->cap - l->end);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			int e = errno;
			return h->failf(w, "cannot read '%s': %s", l->path,
					pl_out_strerror(e, ebuf, sizeof(ebuf)));
		}
		if (n == 0) /* end of file: a last line without a newline */
			return l->end > l->start
				       ? emit_line(w, l->buf + l->start, l->end - l->start, &stop)
				       : 0;
		l->end += (size_t)n;
	}
}

static void lines_fini(pl_worker *w)
{
	struct lines *l = w->state;

	if (l == NULL)
		return;
	if (!l->is_stdin)
		close(l->fd); /* read-only: nothing to lose */
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
