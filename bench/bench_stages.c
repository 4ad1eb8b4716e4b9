/* bench_stages.c - the benchmark's own stages, mirroring the Go reference's goroutines. */
#include "bench_stages.h"

#include <stdlib.h>
#include <string.h>

static void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* ---- bench_gen. ------------------------------------------------------------ */

struct gen {
	int64_t lo, hi, size;
};

static int gen_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	struct gen *g = malloc(sizeof(*g));
	if (g == NULL)
		return h->failf(w, "out of memory");
	if (h->param_int(params, "lo", &g->lo) != 0 || h->param_int(params, "hi", &g->hi) != 0 ||
	    h->param_int(params, "size", &g->size) != 0) {
		free(g);
		return h->failf(w, "needs lo, hi and size");
	}
	w->state = g;
	return 0;
}

/* Ownership: each message is created here and handed to emit(), which takes
 * it on success and on failure. */
static int gen_generate(pl_worker *w)
{
	const pl_host *h = w->host;
	const struct gen *g = w->state;
	size_t size = (size_t)g->size;
	for (int64_t i = g->lo; i < g->hi; i++) {
		pl_msg *msg = h->msg_new(size);
		if (msg == NULL)
			return h->failf(w, "out of memory");
		unsigned char *p = h->msg_data(msg);
		put_le64(p, (uint64_t)i);
		memset(p + 8, 0, size - 8);
		int rc = h->emit(w, msg); /* takes msg */
		if (rc == PL_ECANCELED)
			return 0;
		if (rc != 0)
			return h->failf(w, "emit: %s", h->strerror(rc));
	}
	return 0;
}

static void state_fini(pl_worker *w)
{
	free(w->state);
	w->state = NULL;
}

static const pl_param_spec gen_params[] = {
	{ .name = "lo",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_REQUIRED | PL_PARAM_RANGE,
	  .description = "the first number",
	  .min = 0,
	  .max = INT64_MAX },
	{ .name = "hi",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_REQUIRED | PL_PARAM_RANGE,
	  .description = "one past the last number",
	  .min = 0,
	  .max = INT64_MAX },
	{ .name = "size",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "8",
	  .description = "bytes per message",
	  .min = 8,
	  .max = 1 << 24 },
};

const pl_stage bench_stage_gen = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_GENERATOR,
	.name = "bench_gen",
	.description = "emits lo .. hi-1, each little-endian in a message of size bytes",
	.params = gen_params,
	.n_params = sizeof(gen_params) / sizeof(gen_params[0]),
	.max_workers = 1,
	.init = gen_init,
	.generate = gen_generate,
	.fini = state_fini,
};

/* ---- bench_double. --------------------------------------------------------- */

/* Ownership: takes `msg` and emits it (emit takes it even when failing). */
static int double_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	if (h->msg_len(msg) < 8) {
		h->msg_free(msg);
		return h->failf(w, "a message shorter than 8 bytes");
	}
	unsigned char *p = h->msg_data(msg);
	put_le64(p, get_le64(p) * 2 + 1);
	int rc = h->emit(w, msg);
	if (rc != 0 && rc != PL_ECANCELED)
		return h->failf(w, "emit: %s", h->strerror(rc));
	return 0;
}

const pl_stage bench_stage_double = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "bench_double",
	.description = "v -> 2v+1 on the little-endian number in the first 8 bytes",
	.process = double_process,
};

/* ---- bench_sum. ------------------------------------------------------------ */

/* One sink worker per process (max_workers 1, one run per child): written
 * by that worker's thread, read after pl_engine_run() joined it. */
static bench_totals totals;

static int sum_init(pl_worker *w, const pl_params *params)
{
	(void)w;
	(void)params;
	totals = (bench_totals){ 0, 0 };
	return 0;
}

/* Ownership: takes `msg` and frees it. */
static int sum_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	totals.count++;
	if (h->msg_len(msg) >= 8)
		totals.sum += get_le64(h->msg_data(msg));
	h->msg_free(msg);
	return 0;
}

const pl_stage bench_stage_sum = {
	PL_STAGE_HEADER,        .kind = PL_STAGE_SINK,
	.name = "bench_sum",    .description = "counts the messages and sums their numbers",
	.max_workers = 1,       .init = sum_init,
	.process = sum_process,
};

bench_totals bench_sum_totals(void)
{
	return totals;
}

int bench_stages_add(pl_registry *reg)
{
	int rc = pl_registry_add(reg, &bench_stage_gen);
	if (rc == 0)
		rc = pl_registry_add(reg, &bench_stage_double);
	if (rc == 0)
		rc = pl_registry_add(reg, &bench_stage_sum);
	return rc;
}

uint64_t bench_expected_sum(uint64_t n, int doubled)
{
	if (doubled)
		return n * n; /* the sum of 2i+1 for i < n */
	/* n(n-1)/2 without losing the halving to a wrapped product. */
	return n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
}
