/* stage_harness.c - drives one stage through its callbacks with a mock host, for unit tests. */
#include "stage_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "msg.h"
#include "params.h"

/* Messages alive through harness hosts: global because msg_new() has no
 * worker argument. */
static atomic_long live_msgs;

#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

static int mock_fail(pl_worker *w, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void mock_log(pl_worker *w, int level, const char *fmt, ...) PRINTF_LIKE(3, 4);

static pl_harness *harness_of(pl_worker *w)
{
	return (pl_harness *)(void *)((char *)w - offsetof(pl_harness, worker));
}

static pl_msg *mock_msg_new(size_t len)
{
	pl_msg *msg = pl_msg_new(len);
	if (msg != NULL)
		atomic_fetch_add(&live_msgs, 1);
	return msg;
}

static void mock_msg_free(pl_msg *msg)
{
	if (msg != NULL)
		atomic_fetch_sub(&live_msgs, 1);
	pl_msg_free(msg);
}

/* Ownership: takes `msg` always, like the runner's emit. */
static int mock_emit(pl_worker *w, pl_msg *msg)
{
	pl_harness *h = harness_of(w);

	h->n_emit_calls++;
	if (msg == NULL)
		return PL_EINVAL;
	if (h->stage->kind == PL_STAGE_SINK) {
		mock_msg_free(msg);
		return PL_EINVAL;
	}
	/* As in the engine: past the limit the output is gone (aborted);
	 * a stopping pipeline refuses only generators' messages, since what
	 * was produced still drains through transforms. */
	int over = h->n_outs >= h->emit_limit;
	if (over)
		atomic_store(&h->stopping, 1);
	if (over || (h->stage->kind == PL_STAGE_GENERATOR && atomic_load(&h->stopping))) {
		mock_msg_free(msg);
		if (++h->n_refused > PL_HARNESS_REFUSED_LIMIT)
			fail_msg("stage '%s' keeps emitting after emit() returned PL_ECANCELED",
				 h->stage->name);
		return PL_ECANCELED;
	}
	if (h->n_outs == h->cap_outs) {
		size_t cap = h->cap_outs ? 2 * h->cap_outs : 16;
		pl_harness_record *p = realloc(h->outs, cap * sizeof(*p));
		if (p == NULL) {
			mock_msg_free(msg);
			return PL_ENOMEM;
		}
		h->outs = p;
		h->cap_outs = cap;
	}
	size_t len = pl_msg_len(msg);
	char *copy = malloc(len + 1);
	if (copy == NULL) {
		mock_msg_free(msg);
		return PL_ENOMEM;
	}
	if (len > 0)
		memcpy(copy, pl_msg_data(msg), len);
	copy[len] = '\0';
	h->outs[h->n_outs].data = copy;
	h->outs[h->n_outs].len = len;
	h->n_outs++;
	mock_msg_free(msg);
	return 0;
}

static int mock_stopping(pl_worker *w)
{
	return atomic_load(&harness_of(w)->stopping) != 0;
}

static int mock_fail(pl_worker *w, const char *fmt, ...)
{
	pl_harness *h = harness_of(w);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->fail_msg, sizeof(h->fail_msg), fmt, ap);
	va_end(ap);
	h->n_fails++;
	return PL_ESTAGE;
}

static void mock_log(pl_worker *w, int level, const char *fmt, ...)
{
	pl_harness *h = harness_of(w);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(h->log_msg, sizeof(h->log_msg), fmt, ap);
	va_end(ap);
	h->log_level = level;
	h->n_logs++;
}

int pl_harness_create(pl_harness *h, const pl_stage *stage)
{
	memset(h, 0, sizeof(*h));
	h->host = (pl_host){
		.size = sizeof(pl_host),
		.abi_major = PL_ABI_MAJOR,
		.abi_minor = PL_ABI_MINOR,
		.msg_new = mock_msg_new,
		.msg_free = mock_msg_free,
		.msg_data = pl_msg_data,
		.msg_len = pl_msg_len,
		.emit = mock_emit,
		.stopping = mock_stopping,
		.failf = mock_fail,
		.log = mock_log,
		.param_int = pl_params_int,
		.param_bool = pl_params_bool,
		.param_string = pl_params_string,
		.param_float = pl_params_float,
		.strerror = pl_strerror,
	};
	h->worker = (pl_worker){ .host = &h->host, .index = 0, .count = 1, .node = stage->name };
	h->stage = stage;
	h->emit_limit = PL_HARNESS_EMIT_LIMIT;
	h->live_before = pl_harness_live_msgs();
	atomic_init(&h->stopping, 0);
	return pl_params_create(stage, &h->params, h->param_err, sizeof(h->param_err));
}

void pl_harness_clear(pl_harness *h)
{
	for (size_t i = 0; i < h->n_outs; i++)
		free(h->outs[i].data);
	h->n_outs = 0;
	h->n_emit_calls = 0;
	h->n_refused = 0;
	h->fail_msg[0] = '\0';
	h->n_fails = 0;
	h->log_msg[0] = '\0';
	h->n_logs = 0;
}

void pl_harness_destroy(pl_harness *h)
{
	pl_harness_fini(h);
	pl_harness_clear(h);
	free(h->outs);
	h->outs = NULL;
	h->cap_outs = 0;
	pl_params_destroy(h->params);
	h->params = NULL;
}

int pl_harness_set(pl_harness *h, const char *name, const char *text)
{
	return pl_params_set(h->params, name, text, 0, h->param_err, sizeof(h->param_err));
}

int pl_harness_init(pl_harness *h)
{
	int rc = h->stage->init != NULL ? h->stage->init(&h->worker, h->params) : 0;
	h->inited = rc == 0;
	return rc;
}

int pl_harness_generate(pl_harness *h)
{
	return h->stage->generate(&h->worker);
}

int pl_harness_process(pl_harness *h, const void *data, size_t len)
{
	pl_msg *msg = mock_msg_new(len);
	if (msg == NULL)
		return PL_ENOMEM;
	if (len > 0)
		memcpy(pl_msg_data(msg), data, len);
	return h->stage->process(&h->worker, msg); /* takes msg */
}

int pl_harness_process_str(pl_harness *h, const char *s)
{
	return pl_harness_process(h, s, strlen(s));
}

int pl_harness_flush(pl_harness *h)
{
	return h->stage->flush != NULL ? h->stage->flush(&h->worker) : 0;
}

void pl_harness_fini(pl_harness *h)
{
	if (!h->inited)
		return;
	if (h->stage->fini != NULL)
		h->stage->fini(&h->worker);
	h->inited = 0;
}

int pl_harness_run(pl_harness *h, const char *const *inputs, size_t n)
{
	int rc = pl_harness_init(h);
	if (rc != 0)
		return rc;
	if (h->stage->kind == PL_STAGE_GENERATOR) {
		rc = pl_harness_generate(h);
	} else {
		for (size_t i = 0; i < n && rc == 0; i++)
			rc = pl_harness_process_str(h, inputs[i]);
		if (rc == 0)
			rc = pl_harness_flush(h);
	}
	pl_harness_fini(h);
	return rc;
}

const char *pl_harness_out(const pl_harness *h, size_t i)
{
	return i < h->n_outs ? h->outs[i].data : NULL;
}

size_t pl_harness_out_len(const pl_harness *h, size_t i)
{
	return i < h->n_outs ? h->outs[i].len : 0;
}

long pl_harness_live_msgs(void)
{
	return atomic_load(&live_msgs);
}

long pl_harness_leaked(const pl_harness *h)
{
	return pl_harness_live_msgs() - h->live_before;
}
