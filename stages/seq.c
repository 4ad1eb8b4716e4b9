/* seq.c - the `seq` generator: decimal integers start, start+step, ... */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "mem.h"

struct seq {
	int64_t start, step;
	uint64_t count; /* number of terms; UINT64_MAX: unlimited */
};

/* *out = a + b; nonzero on int64 overflow. */
static int add_overflows(int64_t a, int64_t b, int64_t *out)
{
	if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
		return 1;
	*out = a + b;
	return 0;
}

static int seq_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	int64_t count;
	struct seq *s = pl_mem_alloc(sizeof(*s));

	if (s == NULL)
		return h->failf(w, "out of memory");
	if (h->param_int(params, "start", &s->start) != 0 ||
	    h->param_int(params, "step", &s->step) != 0) {
		free(s);
		return h->failf(w, "parameters 'start' and 'step' must be integers");
	}
	if (h->param_int(params, "count", &count) != 0)
		s->count = UINT64_MAX;
	else if (count < 0) {
		free(s);
		return h->failf(w, "'count' must not be negative, got %" PRId64, count);
	} else
		s->count = (uint64_t)count;
	w->state = s;
	return 0;
}

static int seq_generate(pl_worker *w)
{
	const pl_host *h = w->host;
	const struct seq *s = w->state;
	int64_t value = s->start;
	char text[24];

	for (uint64_t k = 0; s->count == UINT64_MAX || k < s->count; k++) {
		if (k > 0 && add_overflows(value, s->step, &value))
			return h->failf(w,
					"term %" PRIu64 " of the sequence (start %" PRId64
					", step %" PRId64 ") overflows 64-bit integers",
					k + 1, s->start, s->step);
		int n = snprintf(text, sizeof(text), "%" PRId64, value);
		pl_msg *msg = h->msg_new((size_t)n);
		if (msg == NULL)
			return h->failf(w, "out of memory");
		memcpy(h->msg_data(msg), text, (size_t)n);
		int rc = h->emit(w, msg); /* takes msg */
		if (rc != 0)
			return pl_builtin_emit_result(w, rc);
	}
	return 0;
}

static void seq_fini(pl_worker *w)
{
	free(w->state);
	w->state = NULL;
}

static const pl_param_spec seq_params[] = {
	{ .name = "count",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .description = "how many numbers to emit; unlimited when not given",
	  .min = 0,
	  .max = INT64_MAX },
	{ .name = "start",
	  .type = PL_PARAM_INT,
	  .default_value = "1",
	  .description = "the first number" },
	{ .name = "step",
	  .type = PL_PARAM_INT,
	  .default_value = "1",
	  .description = "the difference between consecutive numbers (may be negative)" },
};

/* Emits `count` decimal integers from `start` by `step`, one per message;
 * fails when the next term overflows int64. */
const pl_stage pl_stage_seq = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_GENERATOR,
	.name = "seq",
	.description = "emits the decimal integers start, start+step, ... (count of them)",
	.params = seq_params,
	.n_params = sizeof(seq_params) / sizeof(seq_params[0]),
	.max_workers = 1, /* one ordered sequence */
	.init = seq_init,
	.generate = seq_generate,
	.fini = seq_fini,
	.flags = PL_STAGE_INIT_CHECKS,
};
