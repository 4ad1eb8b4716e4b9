/* record.c - a test plugin whose transform appends each message to a file before passing it on. */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pipeline/plugin.h>

/*
 * test-record: waits `ms` milliseconds (simulated work), appends the message and a newline
 * to `path` with a single write(2) on an O_APPEND descriptor, then emits it unchanged.
 * Unlike the `file` sink, whose lines sit in a stdio buffer, a line is in the file as soon
 * as the stage has processed its message, and stays there when the process is killed:
 * test_nats checks NATS's at-least-once delivery across a SIGKILL with it.  Lines of
 * several workers and processes appending to one file never interleave.
 */

/* One worker's state. */
struct record {
	int fd;
	int64_t ms;
	char *line; /* the message and its newline, grown as needed */
	size_t cap;
};

/* The text of errno value `e` in `buf` (XSI strerror_r: the plugin defines no _GNU_SOURCE). */
static const char *why(int e, char *buf, size_t len)
{
	if (strerror_r(e, buf, len) != 0)
		snprintf(buf, len, "error %d", e);
	return buf;
}

static int record_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	const char *path = NULL;
	if (h->param_string(params, "path", &path) != 0)
		return h->failf(w, "parameter 'path' is required");
	struct record *r = calloc(1, sizeof(*r));
	if (r == NULL)
		return h->failf(w, "out of memory");
	if (h->param_int(params, "ms", &r->ms) != 0)
		r->ms = 0;
	r->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (r->fd < 0) {
		int e = errno;
		free(r);
		char ebuf[64];
		return h->failf(w, "cannot open '%s': %s", path, why(e, ebuf, sizeof(ebuf)));
	}
	w->state = r;
	return 0;
}

/* Sleeps `ms` in slices of at most 50 ms; 0 when done, nonzero when the worker must stop. */
static int nap(pl_worker *w, int64_t ms)
{
	while (ms > 0) {
		if (w->host->stopping(w))
			return 1;
		int64_t slice = ms < 50 ? ms : 50;
		struct timespec ts = { 0, (long)slice * 1000000L };
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		ms -= slice;
	}
	return 0;
}

/* Ownership: takes `msg`; emits it, or frees it on failure. */
static int record_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	struct record *r = w->state;
	if (nap(w, r->ms) != 0) {
		h->msg_free(msg);
		return PL_ECANCELED;
	}
	size_t len = h->msg_len(msg);
	if (len + 1 > r->cap) {
		char *bigger = realloc(r->line, len + 1);
		if (bigger == NULL) {
			h->msg_free(msg);
			return h->failf(w, "out of memory");
		}
		r->line = bigger;
		r->cap = len + 1;
	}
	memcpy(r->line, h->msg_data(msg), len);
	r->line[len] = '\n';
	ssize_t wrote = write(r->fd, r->line, len + 1);
	if (wrote != (ssize_t)(len + 1)) {
		int e = errno;
		h->msg_free(msg);
		char ebuf[64];
		return h->failf(w, "cannot append: %s",
				wrote < 0 ? why(e, ebuf, sizeof(ebuf)) : "short write");
	}
	return h->emit(w, msg) == 0 ? 0 : PL_ECANCELED;
}

static void record_fini(pl_worker *w)
{
	struct record *r = w->state;
	if (r == NULL)
		return;
	close(r->fd);
	free(r->line);
	free(r);
}

static const pl_param_spec record_params[] = {
	{ .name = "path",
	  .type = PL_PARAM_STRING,
	  .flags = PL_PARAM_REQUIRED,
	  .description = "the file each message is appended to, as a line" },
	{ .name = "ms",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "0",
	  .description = "milliseconds to wait before recording each message",
	  .min = 0,
	  .max = 60000 },
};

static const pl_stage record = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "test-record",
	.description = "waits ms, appends each message to a file with one write(2), passes it on",
	.params = record_params,
	.n_params = sizeof(record_params) / sizeof(record_params[0]),
	.init = record_init,
	.process = record_process,
	.fini = record_fini,
};

static const pl_stage *const stages[] = { &record };

static const pl_plugin plugin = {
	PL_PLUGIN_HEADER,
	.name = "record",
	.stages = stages,
	.n_stages = 1,
};

PL_PLUGIN_EXPORT(plugin)
