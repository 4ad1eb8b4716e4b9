/* file.c - the `file` sink: each message and a newline to a file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builtin.h"
#include "mem.h"
#include "out.h"

struct file {
	FILE *f;
	const char *path; /* borrowed from the params until fini */
	int truncate;     /* not yet emptied: done at the first write or flush */
	int json;         /* each message as a JSON object (pl_out_write_json) */
};

/* Empties the file once, when the run reaches this sink: a config refused
 * after init (another node's init failed) leaves the file as it was. */
static int start_writing(struct file *fs)
{
	struct stat st;
	if (!fs->truncate)
		return 0;
	fs->truncate = 0;
	if (fstat(fileno(fs->f), &st) != 0)
		return -1;
	/* Devices and pipes (/dev/null, a FIFO) have nothing to empty. */
	return !S_ISREG(st.st_mode) || ftruncate(fileno(fs->f), 0) == 0 ? 0 : -1;
}

static int file_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	const char *path;
	int append = 0;
	char ebuf[64];

	if (h->param_string(params, "path", &path) != 0)
		return h->failf(w, "parameter 'path' is required");
	if (h->param_bool(params, "append", &append) != 0)
		append = 0;
	struct file *fs = pl_mem_alloc(sizeof(*fs));
	if (fs == NULL)
		return h->failf(w, "out of memory");
	fs->path = path;
	fs->truncate = !append;
	if (h->param_bool(params, "json", &fs->json) != 0)
		fs->json = 0;
	/* "a" creates the file if need be but changes nothing in it; writes
	 * go to the end, which is the start once truncated. */
	fs->f = fopen(path, "a");
	if (fs->f == NULL) {
		int e = errno;
		free(fs);
		return h->failf(w, "cannot open '%s' for writing: %s", path,
				pl_out_strerror(e, ebuf, sizeof(ebuf)));
	}
	w->state = fs;
	return 0;
}

/* Ownership: takes `msg` and frees it, whether the write succeeds or not. */
static int file_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	struct file *fs = w->state;
	char ebuf[64];

	int rc = start_writing(fs) != 0 ? PL_EIO
		 : fs->json             ? pl_out_write_json(fs->f, h, msg)
			    : pl_out_write_line(fs->f, h->msg_data(msg), h->msg_len(msg));
	int e = errno;
	h->msg_free(msg);
	if (rc == PL_ENOMEM)
		return h->failf(w, "out of memory");
	if (rc != 0)
		return h->failf(w, "cannot write to '%s': %s", fs->path,
				pl_out_strerror(e, ebuf, sizeof(ebuf)));
	return 0;
}

static int file_flush(pl_worker *w)
{
	struct file *fs = w->state;
	char ebuf[64];

	if (start_writing(fs) != 0 || pl_out_flush(fs->f) != 0)
		return w->host->failf(w, "cannot write to '%s': %s", fs->path,
				      pl_out_strerror(errno, ebuf, sizeof(ebuf)));
	return 0;
}

/* Closes the file.  fini cannot fail: after a successful flush() there is
 * nothing left to lose, and otherwise (a stopping pipeline) a failed close is
 * only logged as a warning. */
static void file_fini(pl_worker *w)
{
	struct file *fs = w->state;
	char ebuf[64];

	if (fs == NULL)
		return;
	if (fclose(fs->f) != 0)
		w->host->log(w, PL_LOG_WARN, "cannot close '%s': %s", fs->path,
			     pl_out_strerror(errno, ebuf, sizeof(ebuf)));
	free(fs);
	w->state = NULL;
}

static const pl_param_spec file_params[] = {
	{ .name = "path",
	  .type = PL_PARAM_STRING,
	  .flags = PL_PARAM_REQUIRED,
	  .description = "the file to write, relative to the current directory" },
	{ .name = "append",
	  .type = PL_PARAM_BOOL,
	  .default_value = "false",
	  .description = "append to the file instead of truncating it" },
	{ .name = "json",
	  .type = PL_PARAM_BOOL,
	  .default_value = "false",
	  .description = "write each message as a JSON object, with a dead letter's node, "
			 "stage, error and attempts" },
};

/* Writes each message as one line to the file `path`, created or truncated
 * (or appended to, with `append`) before the pipeline starts.  One worker. */
const pl_stage pl_stage_file = {
	PL_STAGE_HEADER,         .kind = PL_STAGE_SINK,
	.name = "file",          .description = "writes each message as a line to a file",
	.params = file_params,   .n_params = sizeof(file_params) / sizeof(file_params[0]),
	.max_workers = 1,        .init = file_init,
	.process = file_process, .flush = file_flush,
	.fini = file_fini,
};
