/* check_stages.c - numbered self-checking messages, the stages of test_random_graphs.c that make,
 * pass and tally them, and the checkers of the tally and of the engine's books. */
#include "check_stages.h"

#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_harness.h"
#include "random_graph.h"

/* Lock order: a tally's `mu` is the only lock here, never held while
 * calling the host. */

/* ---- Messages. ------------------------------------------------------------ */

static uint64_t key(uint64_t salt, unsigned gen, uint32_t id)
{
	uint64_t s = salt ^ ((uint64_t)gen << 40) ^ id;
	return rg_next(&s);
}

size_t cs_message_len(uint64_t salt, unsigned gen, uint32_t id)
{
	uint64_t k = key(salt, gen, id);
	unsigned u = (unsigned)(k % 32);
	size_t payload = u == 0 ? 0 : u == 1 ? 1 : u == 2 ? 201 + (k >> 8) % 1000 : (k >> 8) % 201;
	return CS_HEADER + payload;
}

/* The payload's bytes: a splitmix64 stream from the message's key. */
static void payload_bytes(uint64_t salt, unsigned gen, uint32_t id, unsigned char *p, size_t n)
{
	uint64_t s = key(salt, gen, id), v = 0;
	for (size_t i = 0; i < n; i++) {
		if (i % 8 == 0)
			v = rg_next(&s);
		p[i] = (unsigned char)(v >> (8 * (i % 8)));
	}
}

void cs_encode(uint64_t salt, unsigned gen, uint32_t id, unsigned char *buf)
{
	buf[0] = 'R';
	buf[1] = (unsigned char)gen;
	for (int i = 0; i < 4; i++)
		buf[2 + i] = (unsigned char)(id >> (8 * i));
	payload_bytes(salt, gen, id, buf + CS_HEADER, cs_message_len(salt, gen, id) - CS_HEADER);
}

int cs_decode(uint64_t salt, const unsigned char *p, size_t len, unsigned *gen, uint32_t *id)
{
	if (len < CS_HEADER || p[0] != 'R')
		return CS_NO_HEADER;
	*gen = p[1];
	*id = (uint32_t)p[2] | (uint32_t)p[3] << 8 | (uint32_t)p[4] << 16 | (uint32_t)p[5] << 24;
	if (len != cs_message_len(salt, *gen, *id))
		return CS_BAD_LENGTH;
	unsigned char want[CS_MAX_LEN];
	payload_bytes(salt, *gen, *id, want, len - CS_HEADER);
	return memcmp(want, p + CS_HEADER, len - CS_HEADER) == 0 ? CS_INTACT : CS_BAD_BYTES;
}

/* ---- The tally. ----------------------------------------------------------- */

int cs_tally_init(struct cs_tally *t, uint64_t salt, unsigned n_gens, const uint32_t *count,
		  unsigned n_sinks)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->mu, NULL);
	t->salt = salt;
	t->n_gens = n_gens;
	t->n_sinks = n_sinks;
	for (unsigned k = 0; k < n_gens; k++)
		t->count[k] = count[k];
	for (unsigned s = 0; s < n_sinks; s++)
		for (unsigned k = 0; k < n_gens; k++) {
			t->last[s][k] = -1;
			t->seen[s][k] = calloc((size_t)count[k] + 1, sizeof(uint16_t));
			if (t->seen[s][k] == NULL)
				return PL_ENOMEM;
		}
	return 0;
}

void cs_tally_free(struct cs_tally *t)
{
	for (unsigned s = 0; s < CS_MAX_SINKS; s++)
		for (unsigned k = 0; k < CS_MAX_GENS; k++) {
			free(t->seen[s][k]);
			t->seen[s][k] = NULL;
		}
	pthread_mutex_destroy(&t->mu);
}

static const char *verdict_name(int v)
{
	switch (v) {
	case CS_NO_HEADER:
		return "no header";
	case CS_BAD_LENGTH:
		return "wrong length for its id";
	case CS_BAD_BYTES:
		return "payload bytes differ";
	default:
		return "intact";
	}
}

/* "at sink s0: payload bytes differ, 37 bytes: 52 01 0c 00 00 00 ..." (16 bytes at most) */
static void describe(char *out, size_t cap, unsigned sink, const char *why, const unsigned char *p,
		     size_t len)
{
	int n = snprintf(out, cap, "at sink s%u: %s, %zu bytes:", sink, why, len);
	for (size_t i = 0; i < len && i < 16 && n > 0 && (size_t)n < cap; i++)
		n += snprintf(out + n, cap - (size_t)n, " %02x", p[i]);
}

void cs_tally_record(struct cs_tally *t, unsigned sink, const unsigned char *p, size_t len)
{
	unsigned gen = 0;
	uint32_t id = 0;
	int v = cs_decode(t->salt, p, len, &gen, &id);
	pthread_mutex_lock(&t->mu);
	if (sink >= t->n_sinks) {
		if (t->stray++ == 0)
			describe(t->first_bad, sizeof(t->first_bad), sink, "no such sink", p, len);
	} else if (v != CS_INTACT) {
		t->received[sink]++;
		t->bytes[sink] += len;
		if (t->corrupt++ == 0)
			describe(t->first_bad, sizeof(t->first_bad), sink, verdict_name(v), p, len);
	} else if (gen >= t->n_gens || id >= t->count[gen]) {
		t->received[sink]++;
		t->bytes[sink] += len;
		if (t->stray++ == 0 && t->corrupt == 0)
			describe(t->first_bad, sizeof(t->first_bad), sink,
				 "no such generator or id", p, len);
	} else {
		t->received[sink]++;
		t->bytes[sink] += len;
		if (t->seen[sink][gen][id] < UINT16_MAX)
			t->seen[sink][gen][id]++;
		if (t->ordered[sink][gen]) {
			if ((long long)id <= t->last[sink][gen] &&
			    t->order_breaks[sink][gen]++ == 0)
				snprintf(t->first_break[sink][gen], sizeof(t->first_break[0][0]),
					 "id %u after id %lld", (unsigned)id, t->last[sink][gen]);
			t->last[sink][gen] = id;
		}
	}
	pthread_mutex_unlock(&t->mu);
}

/* ---- The checker. --------------------------------------------------------- */

void cs_report_add(struct cs_report *r, const char *fmt, ...)
{
	static const char more[] = "  ...\n";
	r->problems++;
	if (r->truncated)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* Room is always kept for the ellipsis that ends a full report. */
	const char *add = r->len + strlen(line) + 3 + sizeof(more) <= sizeof(r->text) ? line : NULL;
	if (add != NULL) {
		r->len +=
			(size_t)snprintf(r->text + r->len, sizeof(r->text) - r->len, "  %s\n", add);
	} else {
		r->len += (size_t)snprintf(r->text + r->len, sizeof(r->text) - r->len, "%s", more);
		r->truncated = 1;
	}
}

/* The ids of generator k at sink s: each one arrived as often as it must. */
static unsigned check_ids(const struct cs_tally *t, unsigned s, unsigned k, unsigned paths,
			  struct cs_report *rep)
{
	enum { SHOWN = 3 }; /* ids described one by one; the rest are counted */
	unsigned bad = 0;
	for (uint32_t id = 0; id < t->count[k]; id++) {
		unsigned want = id < t->emitted[k] ? paths : 0, got = t->seen[s][k][id];
		if (got == want)
			continue;
		if (++bad > SHOWN)
			continue;
		const char *ts = got == 1 ? "" : "s";
		if (got == 0)
			cs_report_add(
				rep, "sink s%u: id %u of generator g%u never arrived (expected %u)",
				s, (unsigned)id, k, want);
		else if (paths == 0)
			cs_report_add(
				rep,
				"sink s%u: id %u of generator g%u arrived %u time%s, but no path "
				"leads there from g%u",
				s, (unsigned)id, k, got, ts, k);
		else if (want == 0)
			cs_report_add(rep,
				      "sink s%u: id %u of generator g%u arrived %u time%s, but g%u "
				      "emitted only ids 0 to %lld",
				      s, (unsigned)id, k, got, ts, k, (long long)t->emitted[k] - 1);
		else
			cs_report_add(
				rep,
				"sink s%u: id %u of generator g%u arrived %u time%s, expected %u "
				"(%s)",
				s, (unsigned)id, k, got, ts, want,
				got > want ? "duplicated" : "lost");
	}
	if (bad > SHOWN) {
		cs_report_add(rep,
			      "sink s%u: %u more ids of generator g%u arrived a wrong number of "
			      "times",
			      s, bad - SHOWN, k);
		rep->problems += bad - SHOWN - 1; /* that line stands for them all */
	}
	return bad;
}

unsigned cs_check(const struct cs_tally *t, const unsigned paths[CS_MAX_SINKS][CS_MAX_GENS],
		  int whole, struct cs_report *rep)
{
	unsigned before = rep->problems;
	for (unsigned k = 0; k < t->n_gens; k++) {
		if (!t->gen_done[k])
			cs_report_add(rep, "generator g%u never returned", k);
		else if (whole && t->emitted[k] != t->count[k])
			cs_report_add(rep,
				      "generator g%u emitted %u of its %u messages without a stop",
				      k, (unsigned)t->emitted[k], (unsigned)t->count[k]);
	}
	for (unsigned s = 0; s < t->n_sinks; s++)
		for (unsigned k = 0; k < t->n_gens; k++) {
			check_ids(t, s, k, paths[s][k], rep);
			if (t->order_breaks[s][k] > 0)
				cs_report_add(
					rep,
					"sink s%u: ids of generator g%u arrived out of order %llu "
					"time%s; the first: %s",
					s, k, t->order_breaks[s][k],
					t->order_breaks[s][k] == 1 ? "" : "s",
					t->first_break[s][k]);
		}
	if (t->corrupt > 0)
		cs_report_add(rep, "%llu messages arrived corrupt; the first %s", t->corrupt,
			      t->first_bad);
	if (t->stray > 0)
		cs_report_add(rep, "%llu messages named no id a generator can emit%s%s", t->stray,
			      t->corrupt == 0 ? "; the first " : "",
			      t->corrupt == 0 ? t->first_bad : "");
	return rep->problems - before;
}

/* ---- The engine's books. ------------------------------------------------- */

static const pl_node_stats *find_node(const struct run *r, const char *name)
{
	for (size_t i = 0; i < r->n_nodes; i++)
		if (strcmp(r->names[i], name) == 0)
			return &r->stats[i];
	return NULL;
}

static const pl_chan_metrics *find_chan(const struct run *r, unsigned c)
{
	char name[16];
	snprintf(name, sizeof(name), "c%u", c);
	for (size_t i = 0; i < r->n_chans; i++)
		if (strcmp(r->chan_names[i], name) == 0)
			return &r->chans[i];
	return NULL;
}

static const char *kind_name(enum rg_kind k)
{
	static const char *const names[] = { "generator", "fan-out", "fan-in", "broadcast",
					     "sink" };
	return names[k];
}

unsigned cs_check_books(const struct rg_graph *g, const struct run *r, const struct cs_tally *t,
			struct cs_report *rep)
{
	unsigned before = rep->problems;
	if (r->rc != 0)
		cs_report_add(rep, "the run returned %d: %s%s", r->rc, r->errors, r->diags);
	if (r->aborted)
		cs_report_add(rep, "the run was aborted");
	if (r->n_nodes != g->n_nodes || r->n_chans != g->n_chans)
		cs_report_add(rep, "the engine ran %zu nodes and %zu channels, not %u and %u",
			      r->n_nodes, r->n_chans, g->n_nodes, g->n_chans);

	rg_chan_paths cp;
	rg_paths_to_chans(g, cp);
	unsigned long long made_bytes[RG_MAX_GENS] = { 0 }, msgs[RG_MAX_CHANS] = { 0 },
			   bytes[RG_MAX_CHANS] = { 0 };
	for (unsigned k = 0; k < g->n_gens; k++)
		for (uint32_t id = 0; id < t->emitted[k]; id++)
			made_bytes[k] += cs_message_len(t->salt, k, id);
	for (unsigned c = 0; c < g->n_chans; c++) {
		for (unsigned k = 0; k < g->n_gens; k++) {
			msgs[c] += t->emitted[k] * cp[c][k];
			bytes[c] += made_bytes[k] * cp[c][k];
		}
		const pl_chan_metrics *m = find_chan(r, c);
		if (m == NULL) {
			cs_report_add(rep, "no channel c%u in the engine's books", c);
			continue;
		}
		if (m->sent != msgs[c] || m->received != msgs[c])
			cs_report_add(rep, "channel c%u: sent %llu, received %llu, expected %llu",
				      c, m->sent, m->received, msgs[c]);
		if (m->capacity != g->buffer[c] || m->high_water > (m->capacity ? m->capacity : 1))
			cs_report_add(rep, "channel c%u: capacity %zu, high-water %zu, buffer %u",
				      c, m->capacity, m->high_water, g->buffer[c]);
	}

	for (unsigned i = 0; i < g->n_nodes; i++) {
		const struct rg_node *n = &g->node[i];
		const pl_node_stats *st = find_node(r, n->name);
		if (st == NULL) {
			cs_report_add(rep, "no node %s in the engine's books", n->name);
			continue;
		}
		unsigned long long in = 0, in_b = 0, out = 0, out_b = 0;
		for (unsigned j = 0; j < n->n_in; j++) {
			in += msgs[n->in[j]];
			in_b += bytes[n->in[j]];
		}
		for (unsigned j = 0; j < n->n_out; j++) {
			out += msgs[n->out[j]];
			out_b += bytes[n->out[j]];
		}
		size_t workers = n->kind == RG_FANOUT || n->kind == RG_SINK ? n->workers : 1;
		if (n->kind == RG_FANIN)
			workers = n->n_in; /* one thread per input */
		if (st->in != in || st->out != out || st->in_bytes != in_b ||
		    st->out_bytes != out_b)
			cs_report_add(
				rep,
				"%s %s: in %llu (%llu bytes), out %llu (%llu bytes); expected "
				"in %llu (%llu), out %llu (%llu)",
				kind_name(n->kind), n->name, st->in, st->in_bytes, st->out,
				st->out_bytes, in, in_b, out, out_b);
		if (st->skipped || st->dead || st->failed || st->lost || st->failed_node ||
		    st->running)
			cs_report_add(rep,
				      "%s %s: skipped %llu, dead %llu, failed %llu, lost %llu, "
				      "failed_node %d, running %zu",
				      kind_name(n->kind), n->name, st->skipped, st->dead,
				      st->failed, st->lost, st->failed_node, st->running);
		if (st->workers != workers)
			cs_report_add(rep, "%s %s: %zu workers, expected %zu", kind_name(n->kind),
				      n->name, st->workers, workers);
		if (n->kind == RG_SINK &&
		    (st->in != t->received[n->index] || st->in_bytes != t->bytes[n->index]))
			cs_report_add(rep,
				      "sink %s: the engine counted %llu messages (%llu bytes) in, "
				      "its stage %llu (%llu bytes)",
				      n->name, st->in, st->in_bytes, t->received[n->index],
				      t->bytes[n->index]);
	}
	return rep->problems - before;
}

/* ---- The stages. ---------------------------------------------------------- */

/* Written between runs only (before the engine starts its threads). */
static struct cs_tally *active;
static enum cs_fault fault;
static atomic_int fault_done;

void cs_use(struct cs_tally *t, enum cs_fault f)
{
	active = t;
	fault = f;
	atomic_store(&fault_done, 0);
}

int cs_fault_made(void)
{
	return atomic_load(&fault_done);
}

struct gen_state {
	unsigned gen;
	uint32_t count;
};

static int gen_init(pl_worker *w, const pl_params *p)
{
	int64_t gen = 0, count = 0;
	w->host->param_int(p, "gen", &gen);
	w->host->param_int(p, "count", &count);
	struct gen_state *st = malloc(sizeof(*st));
	if (st == NULL)
		return PL_ENOMEM;
	*st = (struct gen_state){ (unsigned)gen, (uint32_t)count };
	w->state = st;
	return 0;
}

/* Emits ids 0..count-1 in order, until done or emit() fails (a stop); the
 * tally learns how many emit() took. */
static int gen_generate(pl_worker *w)
{
	const pl_host *h = w->host;
	const struct gen_state *st = w->state;
	int rc = 0;
	uint32_t id = 0;
	for (; id < st->count; id++) {
		size_t len = cs_message_len(active->salt, st->gen, id);
		pl_msg *m = h->msg_new(len);
		if (m == NULL) {
			rc = h->failf(w, "out of memory");
			break;
		}
		cs_encode(active->salt, st->gen, id, h->msg_data(m));
		if (h->emit(w, m) != 0)
			break;
	}
	pthread_mutex_lock(&active->mu);
	if (st->gen < CS_MAX_GENS) {
		active->emitted[st->gen] = id;
		active->gen_done[st->gen] = 1;
	}
	pthread_mutex_unlock(&active->mu);
	return rc;
}

static void free_state(pl_worker *w)
{
	free(w->state);
}

struct pass_state {
	uint64_t rng;
	unsigned jitter;
};

static int pass_init(pl_worker *w, const pl_params *p)
{
	int64_t jitter = 0;
	w->host->param_int(p, "jitter", &jitter);
	struct pass_state *st = malloc(sizeof(*st));
	if (st == NULL)
		return PL_ENOMEM;
	uint64_t h = 1469598103934665603u; /* FNV-1a of the node's name */
	for (const char *c = w->node; *c != '\0'; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211u;
	*st = (struct pass_state){ active->salt ^ h ^ ((uint64_t)w->index << 48),
				   (unsigned)jitter };
	w->state = st;
	return 0;
}

/* Makes this run's fault on `msg`, if it is still to be made.  Returns 1
 * when it took `msg` (dropped it), else 0.  Ownership: may take `msg`. */
static int make_fault(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	if (fault == CS_FAULT_NONE || atomic_exchange(&fault_done, 1) != 0)
		return 0;
	switch (fault) {
	case CS_FAULT_DROP:
		h->msg_free(msg);
		return 1;
	case CS_FAULT_DUPLICATE: {
		pl_msg *copy = h->msg_new(h->msg_len(msg));
		if (copy != NULL) {
			memcpy(h->msg_data(copy), h->msg_data(msg), h->msg_len(msg));
			h->emit(w, copy);
		}
		return 0;
	}
	case CS_FAULT_CORRUPT: /* the payload's last byte, or the id's top one */
		h->msg_data(msg)[h->msg_len(msg) - 1] ^= 0x20;
		return 0;
	default:
		return 0;
	}
}

/* Passes each message on unchanged, one in four as a fresh copy; with
 * `jitter` N, one in N yields the CPU, one in 4N sleeps up to 200 us.
 * Ownership: takes `msg`. */
static int pass_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	struct pass_state *st = w->state;
	uint64_t r = rg_next(&st->rng);
	if (make_fault(w, msg))
		return 0;
	if (r % 4 == 0) {
		pl_msg *copy = h->msg_new(h->msg_len(msg));
		if (copy == NULL) {
			h->msg_free(msg);
			return h->failf(w, "out of memory");
		}
		memcpy(h->msg_data(copy), h->msg_data(msg), h->msg_len(msg));
		h->msg_free(msg);
		msg = copy;
	}
	if (st->jitter > 0 && (r >> 8) % st->jitter == 0) {
		if ((r >> 24) % 4 == 0) {
			struct timespec ts = { 0, (long)((r >> 32) % 200) * 1000 };
			nanosleep(&ts, NULL);
		} else {
			sched_yield();
		}
	}
	return h->emit(w, msg) == 0 ? 0 : PL_ECANCELED;
}

static int check_init(pl_worker *w, const pl_params *p)
{
	int64_t sink = 0;
	w->host->param_int(p, "sink", &sink);
	w->state = (void *)(uintptr_t)sink;
	return 0;
}

/* Ownership: takes `msg`. */
static int check_process(pl_worker *w, pl_msg *msg)
{
	const pl_host *h = w->host;
	cs_tally_record(active, (unsigned)(uintptr_t)w->state, h->msg_data(msg), h->msg_len(msg));
	h->msg_free(msg);
	return 0;
}

static const pl_param_spec gen_params[] = {
	{ .name = "gen",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_REQUIRED | PL_PARAM_RANGE,
	  .description = "the generator's number",
	  .min = 0,
	  .max = CS_MAX_GENS - 1 },
	{ .name = "count",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_REQUIRED | PL_PARAM_RANGE,
	  .description = "how many messages to emit",
	  .min = 0,
	  .max = INT32_MAX },
};

static const pl_param_spec pass_params[] = {
	{ .name = "jitter",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "0",
	  .description = "one message in N yields or sleeps; 0: none",
	  .min = 0,
	  .max = 1000000 },
};

static const pl_param_spec check_params[] = {
	{ .name = "sink",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_REQUIRED | PL_PARAM_RANGE,
	  .description = "the sink's number in the tally",
	  .min = 0,
	  .max = CS_MAX_SINKS - 1 },
};

const pl_stage cs_gen_stage = {
	PL_STAGE_HEADER,      .kind = PL_STAGE_GENERATOR,
	.name = "rg-gen",     .description = "numbered self-checking messages",
	.params = gen_params, .n_params = 2,
	.init = gen_init,     .generate = gen_generate,
	.fini = free_state,
};

const pl_stage cs_pass_stage = {
	PL_STAGE_HEADER,       .kind = PL_STAGE_TRANSFORM,
	.name = "rg-pass",     .description = "passes each message on unchanged",
	.params = pass_params, .n_params = 1,
	.init = pass_init,     .process = pass_process,
	.fini = free_state,
};

const pl_stage cs_check_stage = {
	PL_STAGE_HEADER,        .kind = PL_STAGE_SINK,
	.name = "rg-check",     .description = "tallies what arrives",
	.params = check_params, .n_params = 1,
	.init = check_init,     .process = check_process,
};
