/* exec.c - the `exec` transform: each message is a line to a co-process, its answer line the
 * result. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "builtin.h"
#include "coproc.h"
#include "mem.h"
#include "out.h"

/*
 * Each worker starts `/bin/sh -c COMMAND` in init() (on the main thread,
 * before the workers run) and keeps it for the whole run, like Benthos's
 * `command` processor: a message goes to its standard input followed by a
 * newline, and the next line it writes to its standard output, without the
 * newline, is passed on.  coproc.c does the process and the pipes.
 *
 * A co-process that failed (it exited, answered garbage or too late, or
 * wrote before it was asked) is stopped and reaped at once, so that no
 * answer can be taken for another message's; the next message (the same one
 * when the node has `retry`) starts a new one.  flush(), on the worker's own
 * thread (so that the workers' co-processes end side by side), closes its
 * standard input so that it can end like a filter at end of file, stops it
 * if it does not within PL_COPROC_GRACE_MS, and fails the stage when it
 * exits with a status other than 0 or is killed.  fini() stops at once one
 * that is still running (the node was cancelled: no flush).
 */

struct exec {
	const char *command; /* borrowed from the params: lives until fini() */
	int64_t timeout_ms;  /* 0: wait for ever */
	size_t max_line;
	struct pl_coproc cp;
};

#define BUF_START 4096

static int exec_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	const char *command;
	int64_t timeout_ms, max_line;

	if (h->param_string(params, "command", &command) != 0)
		return h->failf(w, "parameter 'command' is required");
	if (command[0] == '\0')
		return h->failf(w, "'command' is empty");
	if (h->param_int(params, "timeout_ms", &timeout_ms) != 0)
		timeout_ms = 30000;
	if (h->param_int(params, "max_line", &max_line) != 0)
		max_line = 1048576;
	struct exec *x = pl_mem_calloc(1, sizeof(*x));
	if (x == NULL)
		return h->failf(w, "out of memory");
	x->command = command;
	x->timeout_ms = timeout_ms;
	x->max_line = (size_t)max_line;
	if (pl__coproc_init(&x->cp, BUF_START) != 0) {
		free(x);
		return h->failf(w, "out of memory");
	}
	if (pl__coproc_start(&x->cp, command) != 0) {
		char ebuf[64];
		int e = x->cp.err;
		pl__coproc_destroy(&x->cp);
		free(x);
		return h->failf(w, "cannot start '/bin/sh -c %s': %s", command,
				pl_out_strerror(e, ebuf, sizeof(ebuf)));
	}
	w->state = x;
	return 0;
}

/* The name of a signal a co-process may die of, or NULL. */
static const char *signal_name(int sig)
{
	static const struct {
		int sig;
		const char *name;
	} names[] = {
		{ SIGHUP, "SIGHUP" },   { SIGINT, "SIGINT" },   { SIGQUIT, "SIGQUIT" },
		{ SIGILL, "SIGILL" },   { SIGABRT, "SIGABRT" }, { SIGFPE, "SIGFPE" },
		{ SIGKILL, "SIGKILL" }, { SIGSEGV, "SIGSEGV" }, { SIGPIPE, "SIGPIPE" },
		{ SIGALRM, "SIGALRM" }, { SIGTERM, "SIGTERM" }, { SIGBUS, "SIGBUS" },
		{ SIGUSR1, "SIGUSR1" }, { SIGUSR2, "SIGUSR2" },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].sig == sig)
			return names[i].name;
	return NULL;
}

/* How a co-process ended, from its wait status: "exited with status 3",
 * "was killed by signal 9 (SIGKILL)". */
static void describe_status(int status, char *buf, size_t len)
{
	if (WIFEXITED(status)) {
		int code = WEXITSTATUS(status);
		snprintf(buf, len, "exited with status %d%s", code,
			 code == 127   ? " (command not found)"
			 : code == 126 ? " (command not executable)"
				       : "");
	} else if (WIFSIGNALED(status)) {
		const char *name = signal_name(WTERMSIG(status));
		if (name != NULL)
			snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status), name);
		else
			snprintf(buf, len, "was killed by signal %d", WTERMSIG(status));
	} else {
		snprintf(buf, len, "ended (wait status %#x)", (unsigned)status);
	}
}

/* The co-process closed its stdout or stdin: reaps it and says how it
 * ended.  `partial` bytes of an answer had come without a newline. */
static int fail_ended(pl_worker *w, struct exec *x, size_t partial)
{
	char how[96];
	int status = 0;
	int signalled = pl__coproc_stop(&x->cp, 0, &status);

	if (signalled == 1)
		return w->host->failf(w,
				      "command '%s' closed its standard input or output without "
				      "exiting (it was stopped)",
				      x->command);
	describe_status(status, how, sizeof(how));
	if (partial > 0)
		return w->host->failf(w,
				      "command '%s' wrote %zu bytes without a newline, then %s "
				      "(an answer is one line)",
				      x->command, partial, how);
	return w->host->failf(w, "command '%s' %s", x->command, how);
}

/* Ownership: takes `msg`; emits the answer line as a new message and frees
 * `msg`, or frees it on failure and when stopping. */
static int exec_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	struct exec *x = w->state;
	const unsigned char *data = h->msg_data(msg);
	size_t len = h->msg_len(msg), line_len = 0;
	char ebuf[64];

	const unsigned char *nl = len > 0 ? memchr(data, '\n', len) : NULL;
	if (nl != NULL) {
		h->msg_free(msg);
		return h->failf(w,
				"the message holds a newline (at byte %zu): exec sends each "
				"message as one line",
				(size_t)(nl - data));
	}
	if (x->cp.pid == 0 && pl__coproc_start(&x->cp, x->command) != 0) {
		h->msg_free(msg);
		return h->failf(w, "cannot start '/bin/sh -c %s': %s", x->command,
				pl_out_strerror(x->cp.err, ebuf, sizeof(ebuf)));
	}
	enum pl_coproc_result r =
		pl__coproc_exchange(&x->cp, data, len, x->timeout_ms, x->max_line, w, &line_len);
	h->msg_free(msg);
	switch (r) {
	case PL_COPROC_OK:
		break;
	case PL_COPROC_EOF:
		return fail_ended(w, x, x->cp.len);
	case PL_COPROC_STOPPED:
		(void)pl__coproc_stop(&x->cp, 1, NULL);
		return 0;
	case PL_COPROC_TIMEOUT:
		(void)pl__coproc_stop(&x->cp, 1, NULL);
		return h->failf(w, "command '%s' gave no answer within %lld ms (timeout_ms)",
				x->command, (long long)x->timeout_ms);
	case PL_COPROC_TOO_LONG:
		(void)pl__coproc_stop(&x->cp, 1, NULL);
		return h->failf(w, "command '%s' wrote a line longer than %zu bytes (max_line)",
				x->command, x->max_line);
	case PL_COPROC_UNASKED:
		(void)pl__coproc_stop(&x->cp, 1, NULL);
		return h->failf(w,
				"command '%s' wrote before it was sent this message (more than "
				"one line for an earlier one?); it is stopped, so that no answer "
				"goes with the wrong message",
				x->command);
	case PL_COPROC_NOMEM:
		(void)pl__coproc_stop(&x->cp, 1, NULL);
		return h->failf(w, "out of memory reading the answer of command '%s'", x->command);
	case PL_COPROC_ERROR:
	default: {
		int e = x->cp.err;
		(void)pl__coproc_stop(&x->cp, 1, NULL);
		return h->failf(w, "talking to command '%s': %s", x->command,
				pl_out_strerror(e, ebuf, sizeof(ebuf)));
	}
	}
	if (x->cp.len > line_len + 1) {
		(void)pl__coproc_stop(&x->cp, 1, NULL);
		return h->failf(w,
				"command '%s' wrote more than one line for a message (it must "
				"answer each line with exactly one)",
				x->command);
	}
	pl_msg *out = h->msg_new(line_len);
	if (out == NULL) {
		pl__coproc_consume(&x->cp, line_len);
		return h->failf(w, "out of memory");
	}
	if (line_len > 0)
		memcpy(h->msg_data(out), x->cp.buf, line_len);
	pl__coproc_consume(&x->cp, line_len);
	return pl_builtin_emit_result(w, h->emit(w, out));
}

/* The end of the input: the co-process's end of file, then its exit. */
static int exec_flush(pl_worker *w)
{
	struct exec *x = w->state;
	int status = 0;
	size_t extra = 0;

	if (x == NULL || x->cp.pid == 0)
		return 0;
	int signalled = pl__coproc_finish(&x->cp, &status, &extra);
	if (extra > 0)
		w->host->log(w, PL_LOG_WARN,
			     "command '%s' wrote %zu byte%s after its last answer, at the end of "
			     "its input (not passed on: an answer is one line per message)",
			     x->command, extra, extra == 1 ? "" : "s");
	if (signalled == 1) {
		w->host->log(w, PL_LOG_WARN,
			     "command '%s' did not exit within %d ms of the end of its input: it "
			     "was stopped",
			     x->command, PL_COPROC_GRACE_MS);
		return 0;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char how[96];
	describe_status(status, how, sizeof(how));
	return w->host->failf(w, "command '%s' %s at the end of its input", x->command, how);
}

static void exec_fini(pl_worker *w)
{
	struct exec *x = w->state;

	if (x == NULL)
		return;
	pl__coproc_destroy(&x->cp);
	free(x);
	w->state = NULL;
}

static const pl_param_spec exec_params[] = {
	{ .name = "command",
	  .type = PL_PARAM_STRING,
	  .flags = PL_PARAM_REQUIRED,
	  .description = "run as /bin/sh -c COMMAND, one per worker; it answers each line it reads "
			 "with one line" },
	{ .name = "timeout_ms",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "30000",
	  .description = "how long to wait for each answer, in milliseconds; 0 waits for ever",
	  .min = 0,
	  .max = 86400000 },
	{ .name = "max_line",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "1048576",
	  .description = "the longest answer line, in bytes; a longer one is a stage error",
	  .min = 1,
	  .max = 1073741824 },
};

/* Runs `command` as a co-process per worker and replaces each message by
 * the line it answers; a co-process that dies, answers garbage or nothing
 * in time is a stage error (and is restarted for the next message). */
const pl_stage pl_stage_exec = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "exec",
	.description = "sends each message as a line to a co-process (/bin/sh -c command) and "
		       "passes on the line it answers",
	.params = exec_params,
	.n_params = sizeof(exec_params) / sizeof(exec_params[0]),
	.init = exec_init,
	.process = exec_process,
	.flush = exec_flush,
	.fini = exec_fini,
};
