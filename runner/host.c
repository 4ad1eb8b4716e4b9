/* host.c - the pl_host table: what the runner offers every stage. */
#include <stdarg.h>
#include <stdio.h>

#include "engine_int.h"
#include "error.h"
#include "msg.h"
#include "params.h"

static struct en_worker *worker_of(pl_worker *pw)
{
	return (struct en_worker *)pw;
}

/* Ownership: always takes `msg`. */
static int host_emit(pl_worker *pw, pl_msg *msg)
{
	struct en_worker *w = worker_of(pw);
	if (msg == NULL)
		return PL_EINVAL;
	/* A sink has no output; init() and fini() run outside the worker's
	 * thread, where a send could block the whole runner. */
	if (w->out == NULL || !atomic_load_explicit(&w->running, memory_order_relaxed)) {
		pl_msg_free(msg);
		return PL_EINVAL;
	}
	if (w->in == NULL &&
	    atomic_load_explicit(&w->node->engine->stopping, memory_order_relaxed)) {
		/* A generator stops producing once the pipeline stops. */
		pl_msg_free(msg);
		return PL_ECANCELED;
	}
	size_t len = pl_msg_len(msg);
	int rc = pl_chan_send(w->out, msg);
	if (rc != 0) {
		/* The output closes only after this node's workers all returned,
		 * so a failure here is an abort: the pipeline is stopping. */
		pl_msg_free(msg);
		return PL_ECANCELED;
	}
	w->n_out++;
	w->bytes_out += len;
	return 0;
}

static int host_stopping(pl_worker *pw)
{
	struct en_worker *w = worker_of(pw);
	if (atomic_load_explicit(&w->node->cancelled, memory_order_relaxed))
		return 1;
	return w->in == NULL &&
	       atomic_load_explicit(&w->node->engine->stopping, memory_order_relaxed);
}

static int host_fail(pl_worker *pw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void host_log(pl_worker *pw, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int host_fail(pl_worker *pw, const char *fmt, ...)
{
	struct en_worker *w = worker_of(pw);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof(w->error), fmt, ap);
	va_end(ap);
	return PL_ESTAGE;
}

static void host_log(pl_worker *pw, int level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	const char *lvl = level >= 0 && level <= PL_LOG_DEBUG ? names[level] : "log";
	/* One call per line: stdio locks the stream for its duration. */
	fprintf(stderr, "pipeline: %s: node '%s' (worker %u): %s\n", lvl, pw->node, pw->index,
		line);
}

void pl_host_init(pl_host *h)
{
	*h = (pl_host){
		.size = sizeof(pl_host),
		.abi_major = PL_ABI_MAJOR,
		.abi_minor = PL_ABI_MINOR,
		.msg_new = pl_msg_new,
		.msg_free = pl_msg_free,
		.msg_data = pl_msg_data,
		.msg_len = pl_msg_len,
		.emit = host_emit,
		.stopping = host_stopping,
		.failf = host_fail,
		.log = host_log,
		.param_int = pl_params_int,
		.param_bool = pl_params_bool,
		.param_string = pl_params_string,
		.param_float = pl_params_float,
		.strerror = pl_strerror,
	};
}
