/* hash.c - the `hash` transform: FNV-1a over each message, `rounds` times: tunable CPU work. */
#include <inttypes.h>
#include <stdlib.h>

#include "builtin.h"
#include "mem.h"

#define HASH_MAX_ROUNDS 1000000

#define FNV_OFFSET 0xcbf29ce484222325u
#define FNV_PRIME  0x100000001b3u

/* FNV-1a 64 over `len` bytes at `p`, `rounds` times, each round starting
 * from the previous one's result. */
static uint64_t fnv1a_rounds(const unsigned char *p, size_t len, int64_t rounds)
{
	uint64_t h = FNV_OFFSET;
	for (int64_t r = 0; r < rounds; r++)
		for (size_t i = 0; i < len; i++) {
			h ^= p[i];
			h *= FNV_PRIME;
		}
	return h;
}

static int hash_init(pl_worker *w, const pl_params *params)
{
	const pl_host *h = w->host;
	int64_t rounds;

	if (h->param_int(params, "rounds", &rounds) != 0 || rounds < 1 || rounds > HASH_MAX_ROUNDS)
		return h->failf(w, "'rounds' must lie in [1, %d]", HASH_MAX_ROUNDS);
	int64_t *state = pl_mem_alloc(sizeof(*state));
	if (state == NULL)
		return h->failf(w, "out of memory");
	*state = rounds;
	w->state = state;
	return 0;
}

/* Ownership: takes `msg`; emits it with the hash in its first 8 bytes, or,
 * when it is shorter than 8 bytes, frees it and emits a new 8-byte message
 * (freeing `msg` and failing when there is no memory for one). */
static int hash_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	const int64_t *rounds = w->state;
	size_t len = h->msg_len(msg);
	uint64_t v = fnv1a_rounds(h->msg_data(msg), len, *rounds);

	if (len < 8) {
		pl_msg *out = h->msg_new(8);
		h->msg_free(msg);
		if (out == NULL)
			return h->failf(w, "out of memory");
		msg = out;
	}
	pl_builtin_put_le64(h->msg_data(msg), v);
	return pl_builtin_emit_result(w, h->emit(w, msg));
}

static void hash_fini(pl_worker *w)
{
	free(w->state);
	w->state = NULL;
}

static const pl_param_spec hash_params[] = {
	{ .name = "rounds",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "1",
	  .description = "how many times to hash the message (the cost of one message)",
	  .min = 1,
	  .max = HASH_MAX_ROUNDS },
};

/* CPU-bound work of a tunable cost per message, for benchmarks: the 64-bit
 * FNV-1a hash of the message's bytes, computed `rounds` times (each round
 * over the same bytes, starting from the previous round's result; the first
 * from FNV's offset basis), written little-endian into the message's first
 * 8 bytes.  A message shorter than 8 bytes becomes an 8-byte one. */
const pl_stage pl_stage_hash = {
	PL_STAGE_HEADER,
	.kind = PL_STAGE_TRANSFORM,
	.name = "hash",
	.description = "hashes each message (64-bit FNV-1a, rounds times over) into its first 8 "
		       "bytes: CPU-bound work of tunable cost",
	.params = hash_params,
	.n_params = sizeof(hash_params) / sizeof(hash_params[0]),
	.init = hash_init,
	.process = hash_process,
	.fini = hash_fini,
	.flags = PL_STAGE_INIT_CHECKS,
};
