/* host.c - the pl_host table: what the runner offers every stage. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine_int.h"
#include "error.h"
#include "host.h"
#include "mem.h"
#include "msg.h"
#include "params.h"

static struct en_worker *worker_of(pl_worker *pw)
{
	return (struct en_worker *)pw;
}

/* Is this worker, a generator, told to stop? */
static int generator_stopping(struct en_worker *w)
{
	return w->in == NULL &&
	       atomic_load_explicit(&w->node->engine->stopping, memory_order_relaxed);
}

/* An ordered node's worker holds its outputs until the input's turn.
 * Ownership: takes `msg`. */
static int hold(struct en_worker *w, pl_msg *msg)
{
	if (w->n_held == w->cap_held) {
		size_t cap = w->cap_held ? 2 * w->cap_held : 4;
		pl_msg **held = pl_mem_realloc(w->held, cap * sizeof(*held));
		if (held == NULL) {
			pl_msg_free(msg);
			return PL_ENOMEM;
		}
		w->held = held;
		w->cap_held = cap;
	}
	w->held[w->n_held++] = msg;
	return 0;
}

/* Ownership: always takes `msg`. */
static int host_emit(pl_worker *pw, pl_msg *msg)
{
	struct en_worker *w = worker_of(pw);
	struct en_node *n = w->node;
	if (msg == NULL)
		return PL_EINVAL;
	/* A sink has no output; init() and fini() run outside the worker's
	 * thread, where a send could block the whole runner. */
	if (n->n_main == 0 || !atomic_load_explicit(&w->running, memory_order_relaxed)) {
		pl_msg_free(msg);
		return PL_EINVAL;
	}
	/* A generator stops producing once the pipeline stops; its rate
	 * limit applies to each message it emits. */
	if (generator_stopping(w) || (w->in == NULL && n->rate.interval_ns != 0 &&
				      pl__rate_wait(&n->rate, w, pl__worker_stopping,
						    &w->c.wait_out_ns, &w->c.out_since) != 0)) {
		pl_msg_free(msg);
		return PL_ECANCELED;
	}
	if (n->cfg->ordered)
		return hold(w, msg);
	if (pl__send_out(w, n->outs[0], msg) != 0) {
		w->emit_lost = 1;
		return PL_ECANCELED;
	}
	return 0;
}

static int host_stopping(pl_worker *pw)
{
	struct en_worker *w = worker_of(pw);
	return pl__worker_stopping(w);
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
		.msg_meta = pl_msg_meta,
	};
}
