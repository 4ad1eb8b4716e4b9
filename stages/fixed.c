/* fixed.c - the `fixed` generator: messages of a fixed size carrying their index, for load. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "builtin.h"
#include "mem.h"

#define FIXED_MIN_SIZE 8
#define FIXED_MAX_SIZE 16777216 /* 16 MiB */

struct fixed {
	uint64_t count; /* messages to emit; UINT64_MAX: unlimited */
	size_t size;    /* bytes per message, FIXED_MIN_SIZE .. FIXED_MAX_SIZE */
};

static int fixed_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	int64_t count, size;

	if (h->param_int(params, "size", &size) != 0 || size < FIXED_MIN_SIZE ||
	    size > FIXED_MAX_SIZE)
		return h->failf(w, "'size' must lie in [%d, %d]", FIXED_MIN_SIZE, FIXED_MAX_SIZE);
	struct fixed *f = pl_mem_alloc(sizeof(*f));
	if (f == NULL)
		return h->failf(w, "out of memory");
	f->size = (size_t)size;
	if (h->param_int(params, "count", &count) != 0)
		f->count = UINT64_MAX;
	else if (count < 0) {
		free(f);
		return h->failf(w, "'count' must not be negative, got %" PRId64, count);
	} else
		f->count = (uint64_t)count;
	w->state = f;
	return 0;
}

/* Ownership: each message is created here and handed to emit(), which takes
 * it whether it succeeds or not. */
static int fixed_generate(pl_worker *w)
{
	const pl_host *h = w->host;
	const struct fixed *f = w->state;

	for (uint64_t i = 0; f->count == UINT64_MAX || i < f->count; i++) {
		pl_msg *msg = h->msg_new(f->size);
		if (msg == NULL)
			return h->failf(w, "out of memory");
		unsigned char *p = h->msg_data(msg);
		pl_builtin_put_le64(p, i);
		memset(p + 8, 0, f->size - 8);
		int rc = h->emit(w, msg); /* takes msg */
		if (rc != 0)
			return pl_builtin_emit_result(w, rc);
	}
	return 0;
}

static void fixed_fini(pl_worker *w)
{
	free(w->state);
	w->state = NULL;
}

static const pl_param_spec fixed_params[] = {
	{ .name = "count",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .description = "how many messages to emit; unlimited when not given",
	  .min = 0,
	  .max = INT64_MAX },
	{ .name = "size",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "8",
	  .description = "bytes per message (8 B to 16 MiB)",
	  .min = FIXED_MIN_SIZE,
	  .max = FIXED_MAX_SIZE },
};

/* A load generator, as GStreamer's fakesrc: `count` messages of `size` bytes,
 * message i (from 0) holding i as a little-endian uint64 in its first 8
 * bytes and zeros after them.  One allocation and one memset per message. */
const pl_stage pl_stage_fixed = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_GENERATOR,
	.name = "fixed",
	.description = "emits count messages of size bytes, message i holding i as a "
		       "little-endian uint64: a load generator",
	.params = fixed_params,
	.n_params = sizeof(fixed_params) / sizeof(fixed_params[0]),
	.max_workers = 1, /* one numbered sequence */
	.init = fixed_init,
	.generate = fixed_generate,
	.fini = fixed_fini,
	.flags = PL_STAGE_INIT_CHECKS,
};
