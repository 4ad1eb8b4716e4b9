/* engine_stats.c - the engine's figures: per node and per channel, live or final, and its errors.
 */
#include <stdio.h>
#include <string.h>

#include "engine_int.h"

size_t pl_engine_node_count(const pl_engine *e)
{
	return e->n_nodes;
}

size_t pl_engine_chan_count(const pl_engine *e)
{
	return e->cfg->n_chans;
}

const pl_config *pl_engine_config(const pl_engine *e)
{
	return e->cfg;
}

double pl_engine_elapsed(const pl_engine *e)
{
	uint64_t t0 = pl__counted(&e->t0_ns);
	return t0 == 0 ? 0.0 : (double)(pl__now_ns() - t0) / 1e9;
}

void pl_engine_node_stats(const pl_engine *e, size_t i, pl_node_stats *out)
{
	const struct en_node *n = &e->nodes[i];
	uint64_t now = pl__now_ns(), first = 0, last = 0, busy = 0;
	uint64_t wait_in = 0, wait_out = 0;
	memset(out, 0, sizeof(*out));
	out->name = n->cfg->name;
	out->type = n->cfg->type;
	out->workers = n->n_workers;
	for (size_t j = 0; j < n->n_workers; j++) {
		const struct en_counters *c = &n->workers[j].c;
		out->in += pl__counted(&c->in);
		out->out += pl__counted(&c->out);
		out->in_bytes += pl__counted(&c->in_bytes);
		out->out_bytes += pl__counted(&c->out_bytes);
		out->skipped += pl__counted(&c->skipped);
		out->dead += pl__counted(&c->dead);
		out->failed += pl__counted(&c->failed);
		out->lost += pl__counted(&c->lost);
		out->retries += pl__counted(&c->retries);
		uint64_t start = pl__counted(&c->start_ns), end = pl__counted(&c->end_ns);
		if (start == 0)
			continue;
		if (end == 0) {
			out->running++;
			end = now;
		}
		uint64_t in = pl__counted(&c->wait_in_ns), outw = pl__counted(&c->wait_out_ns);
		/* A wait going on now counts already (a live read). */
		uint64_t in_since = pl__counted(&c->in_since),
			 out_since = pl__counted(&c->out_since);
		if (in_since != 0 && end > in_since)
			in += end - in_since;
		if (out_since != 0 && end > out_since)
			outw += end - out_since;
		wait_in += in;
		wait_out += outw;
		/* (A live read may see waits a little ahead of the clock.) */
		if (end > start + in + outw)
			busy += end - start - in - outw;
		if (first == 0 || start < first)
			first = start;
		if (end > last)
			last = end;
	}
	out->busy = (double)busy / 1e9;
	out->wait_in = (double)wait_in / 1e9;
	out->wait_out = (double)wait_out / 1e9;
	out->seconds = first != 0 && last > first ? (double)(last - first) / 1e9 : 0.0;
	if (pthread_mutex_lock((pthread_mutex_t *)&e->mu) == 0) {
		out->failed_node = n->failed;
		pthread_mutex_unlock((pthread_mutex_t *)&e->mu);
	}
}

void pl_engine_chan_metrics(const pl_engine *e, size_t i, pl_chan_metrics *out)
{
	pl_chan_stats s;
	pl_chan_get_stats(e->chans[i], &s);
	out->name = e->cfg->chans[i].name;
	out->capacity = pl_chan_capacity(e->chans[i]);
	out->buffered = s.buffered;
	out->high_water = s.high_water;
	out->sent = s.sent;
	out->received = s.received;
}

void pl_engine_print_errors(const pl_engine *e, FILE *out)
{
	for (size_t i = 0; i < e->n_nodes; i++) {
		const struct en_node *n = &e->nodes[i];
		const struct en_worker *first = NULL, *routed = NULL;
		size_t more = 0;
		for (size_t j = 0; j < n->n_workers; j++) {
			if (routed == NULL && n->workers[j].first_error[0] != '\0')
				routed = &n->workers[j];
			if (n->workers[j].rc == 0)
				continue;
			if (first == NULL)
				first = &n->workers[j];
			else
				more++;
		}
		const char *stage = n->cfg->stage_desc ? n->cfg->stage_desc->name
						       : pl_node_type_name(n->cfg->type);
		if (routed != NULL) {
			pl_node_stats s;
			pl_engine_node_stats(e, i, &s);
			const char *what = n->cfg->on_error == PL_ON_ERROR_DEAD_LETTER
						   ? "sent to the dead-letter channel"
						   : "skipped";
			unsigned long long count =
				n->cfg->on_error == PL_ON_ERROR_DEAD_LETTER ? s.dead : s.skipped;
			fprintf(out,
				"pipeline: warning: node '%s' (stage '%s'): %llu failure%s %s "
				"(on_error); the first: %s\n",
				n->cfg->name, stage, count, count == 1 ? "" : "s", what,
				routed->first_error);
		}
		if (first == NULL)
			continue;
		fprintf(out, "pipeline: error: node '%s' (stage '%s'", n->cfg->name, stage);
		if (n->n_workers > 1)
			fprintf(out, ", worker %u", first->pub.index);
		fprintf(out, "): %s", first->error);
		if (more > 0)
			fprintf(out, " (and %zu more worker%s failed)", more, more == 1 ? "" : "s");
		fputc('\n', out);
	}
}
