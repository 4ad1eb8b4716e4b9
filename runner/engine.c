/* engine.c - running a checked config: channels, worker threads, the wait groups that close
 * channels, shutdown. */
#include "engine.h"

#include <stdlib.h>
#include <string.h>

#include "engine_int.h"
#include "error.h"
#include "msg.h"

/*
 * Threads: one per worker; the calling thread supervises.  Each worker's
 * counters are written only by its own thread and read after join.
 * Lock order: engine->mu, then a channel's lock (the supervisor aborts
 * channels without holding mu, so in practice they never nest).
 */

static void now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* What a stage's return code says when it gave no reason with failf(). */
static const char *describe_rc(char *buf, size_t len, int rc)
{
	if (strcmp(pl_strerror(rc), "unknown error") == 0)
		snprintf(buf, len,
			 "the stage returned %d, which is not a PL_E* code of pipeline/plugin.h "
			 "(give the reason with failf())",
			 rc);
	else
		snprintf(buf, len, "%s", pl_strerror(rc));
	return buf;
}

int pl_engine_create(const pl_config *cfg, const pl_engine_options *opt, pl_engine **out,
		     pl_diags *d)
{
	*out = NULL;
	pl_engine *e = calloc(1, sizeof(*e));
	if (e == NULL)
		return PL_ENOMEM;
	e->cfg = cfg;
	e->stack_size = opt != NULL && opt->stack_size ? opt->stack_size : PL_DEFAULT_STACK_SIZE;
	pl_host_init(&e->host);
	atomic_init(&e->stopping, 0);
	if (pthread_mutex_init(&e->mu, NULL) != 0) {
		free(e);
		return PL_ENOMEM;
	}
	if (pthread_cond_init(&e->changed, NULL) != 0) {
		pthread_mutex_destroy(&e->mu);
		free(e);
		return PL_ENOMEM;
	}
	e->chans = calloc(cfg->n_chans ? cfg->n_chans : 1, sizeof(*e->chans));
	e->nodes = calloc(cfg->n_nodes ? cfg->n_nodes : 1, sizeof(*e->nodes));
	if (e->chans == NULL || e->nodes == NULL)
		goto oom;
	for (size_t i = 0; i < cfg->n_chans; i++)
		if (pl_chan_create((size_t)cfg->chans[i].buffer, &e->chans[i]) != 0)
			goto oom;
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const pl_cfg_node *cn = &cfg->nodes[i];
		struct en_node *n = &e->nodes[i];
		n->cfg = cn;
		n->engine = e;
		n->out_chan = cn->output.chan;
		n->n_workers = cn->type == PL_NODE_FANIN ? cn->n_inputs : (size_t)cn->workers;
		n->workers = calloc(n->n_workers, sizeof(*n->workers));
		e->n_nodes = i + 1;
		if (n->workers == NULL)
			goto oom;
		for (size_t j = 0; j < n->n_workers; j++) {
			struct en_worker *w = &n->workers[j];
			w->pub.host = &e->host;
			w->pub.index = (uint32_t)j;
			w->pub.count = (uint32_t)n->n_workers;
			w->pub.node = cn->name;
			w->node = n;
			if (cn->n_inputs > 0) {
				size_t k = cn->type == PL_NODE_FANIN ? j : 0;
				w->in = pl_chan_receiver(e->chans[cn->inputs[k].chan]);
			}
			if (n->out_chan >= 0)
				w->out = pl_chan_sender(e->chans[n->out_chan]);
		}
	}
	/* Every init on this thread, before any worker thread exists; every
	 * failure is reported, one per node. */
	int failed = 0;
	for (size_t i = 0; i < e->n_nodes; i++) {
		struct en_node *n = &e->nodes[i];
		const pl_stage *st = n->cfg->stage_desc;
		atomic_init(&n->cancelled, 0);
		for (size_t j = 0; j < n->n_workers; j++) {
			struct en_worker *w = &n->workers[j];
			int rc = st != NULL && st->init != NULL
					 ? st->init(&w->pub, n->cfg->param_values)
					 : 0;
			if (rc == 0) {
				w->inited = 1;
				continue;
			}
			if (rc == PL_ENOMEM && w->error[0] == '\0')
				goto oom;
			char why[160];
			pl_cfg_diag(cfg, d, PL_D_STAGE_INIT,
				    n->cfg->has_params ? n->cfg->params_pos : n->cfg->stage_pos,
				    "node '%s' (stage '%s') failed to start: %s", n->cfg->name,
				    st->name,
				    w->error[0] ? w->error : describe_rc(why, sizeof(why), rc));
			failed = 1;
			break;
		}
	}
	if (failed) {
		pl_engine_destroy(e);
		return PL_ESTAGE;
	}
	*out = e;
	return 0;
oom:
	pl_engine_destroy(e);
	return PL_ENOMEM;
}

/* Transforms and sinks: receive until the input ends. */
static int consume(struct en_worker *w, const pl_stage *st)
{
	for (;;) {
		pl_msg *msg;
		int rc = pl_chan_recv(w->in, &msg);
		if (rc == PL_ECLOSED)
			return st->flush != NULL ? st->flush(&w->pub) : 0;
		if (rc != 0)
			return 0; /* aborted: upstream of a failure, not ours */
		w->n_in++;
		w->bytes_in += pl_msg_len(msg);
		/* Ownership: process() takes msg. */
		rc = st->process(&w->pub, msg);
		if (rc != 0)
			return rc;
	}
}

/* A fan-in's worker: forwards one input to the shared output. */
static void forward(struct en_worker *w)
{
	pl_msg *msg;
	while (pl_chan_recv(w->in, &msg) == 0) {
		size_t len = pl_msg_len(msg);
		w->n_in++;
		w->bytes_in += len;
		if (pl_chan_send(w->out, msg) != 0) {
			pl_msg_free(msg); /* aborted: the send left it with us */
			return;
		}
		w->n_out++;
		w->bytes_out += len;
	}
}

static void *worker_main(void *arg)
{
	struct en_worker *w = arg;
	struct en_node *n = w->node;
	pl_engine *e = n->engine;
	const pl_stage *st = n->cfg->stage_desc;
	int rc = 0;

	now(&w->t_start);
	atomic_store_explicit(&w->running, 1, memory_order_relaxed);
	if (st == NULL)
		forward(w);
	else if (st->kind == PL_STAGE_GENERATOR)
		rc = st->generate(&w->pub);
	else
		rc = consume(w, st);
	atomic_store_explicit(&w->running, 0, memory_order_relaxed);
	now(&w->t_end);

	/* PL_ECANCELED is a clean return only for a worker told to stop; from
	 * any other it would leave its input unread and its upstream blocked. */
	if (rc == PL_ECANCELED && !w->pub.host->stopping(&w->pub)) {
		rc = PL_ESTAGE;
		snprintf(w->error, sizeof(w->error),
			 "the stage returned PL_ECANCELED while the pipeline was not stopping");
	}
	if (rc != 0 && rc != PL_ECANCELED) {
		w->rc = rc;
		if (w->error[0] == '\0')
			describe_rc(w->error, sizeof(w->error), rc);
		/* Generators everywhere stop producing at once. */
		atomic_store(&e->stopping, 1);
	}
	/* The wait group: the node's last worker to return closes its output,
	 * once, on behalf of the node. */
	if (atomic_fetch_sub(&n->live, 1) == 1 && w->out != NULL)
		pl_chan_close(w->out);

	pthread_mutex_lock(&e->mu);
	if (w->rc != 0 && !n->failed) {
		n->failed = 1;
		e->failures++;
	}
	e->running--;
	pthread_cond_signal(&e->changed);
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

/* Aborts every channel feeding node `i`, and recursively their producers':
 * everything upstream of a failed node stops; nothing there can reach a sink
 * any more, since each channel has exactly one consumer. */
static void stop_upstream(pl_engine *e, size_t i, unsigned char *aborted)
{
	const pl_cfg_node *cn = e->nodes[i].cfg;
	for (size_t k = 0; k < cn->n_inputs; k++) {
		int c = cn->inputs[k].chan;
		if (aborted[c])
			continue;
		aborted[c] = 1;
		size_t producer = (size_t)e->cfg->chans[c].producer;
		atomic_store(&e->nodes[producer].cancelled, 1);
		pl_chan_abort(e->chans[c]);
		stop_upstream(e, producer, aborted);
	}
}

static void abort_all(pl_engine *e)
{
	atomic_store(&e->stopping, 1);
	for (size_t i = 0; i < e->n_nodes; i++)
		atomic_store(&e->nodes[i].cancelled, 1);
	for (size_t i = 0; i < e->cfg->n_chans; i++)
		pl_chan_abort(e->chans[i]);
}

int pl_engine_run(pl_engine *e)
{
	if (e->ran)
		return PL_EINVAL;
	e->ran = 1;
	unsigned char *aborted = calloc(e->cfg->n_chans ? e->cfg->n_chans : 1, 1);
	if (aborted == NULL)
		return PL_ENOMEM;
	pthread_attr_t attr;
	int have_attr = pthread_attr_init(&attr) == 0;
	int start_failed = !have_attr;
	/* A size the system refuses (below PTHREAD_STACK_MIN) keeps the default. */
	if (have_attr)
		(void)pthread_attr_setstacksize(&attr, e->stack_size);
	for (size_t i = 0; i < e->n_nodes; i++)
		atomic_init(&e->nodes[i].live, e->nodes[i].n_workers);
	for (size_t i = 0; i < e->n_nodes && !start_failed; i++) {
		struct en_node *n = &e->nodes[i];
		for (size_t j = 0; j < n->n_workers && !start_failed; j++) {
			struct en_worker *w = &n->workers[j];
			pthread_mutex_lock(&e->mu);
			e->running++;
			pthread_mutex_unlock(&e->mu);
			if (pthread_create(&w->thread, &attr, worker_main, w) != 0) {
				pthread_mutex_lock(&e->mu);
				e->running--;
				pthread_mutex_unlock(&e->mu);
				start_failed = 1;
			} else {
				w->started = 1;
			}
		}
	}
	if (have_attr)
		pthread_attr_destroy(&attr);
	if (start_failed)
		abort_all(e);

	/* Supervise: stop what lies upstream of each failure, until every
	 * worker has returned. */
	pthread_mutex_lock(&e->mu);
	int handled = 0;
	for (;;) {
		size_t failed = e->n_nodes;
		for (size_t i = 0; handled < e->failures && i < e->n_nodes && failed == e->n_nodes;
		     i++)
			if (e->nodes[i].failed && !e->nodes[i].handled)
				failed = i;
		if (failed < e->n_nodes) {
			e->nodes[failed].handled = 1;
			handled++;
			pthread_mutex_unlock(&e->mu);
			stop_upstream(e, failed, aborted);
			pthread_mutex_lock(&e->mu);
			continue;
		}
		if (e->running == 0)
			break;
		pthread_cond_wait(&e->changed, &e->mu);
	}
	int failures = e->failures;
	pthread_mutex_unlock(&e->mu);

	for (size_t i = 0; i < e->n_nodes; i++)
		for (size_t j = 0; j < e->nodes[i].n_workers; j++)
			if (e->nodes[i].workers[j].started)
				pthread_join(e->nodes[i].workers[j].thread, NULL);
	free(aborted);
	if (start_failed)
		return PL_EAGAIN; /* the stage failures, if any, are printed too */
	return failures > 0 ? PL_ESTAGE : 0;
}

size_t pl_engine_node_count(const pl_engine *e)
{
	return e->n_nodes;
}

void pl_engine_node_stats(const pl_engine *e, size_t i, pl_node_stats *out)
{
	const struct en_node *n = &e->nodes[i];
	memset(out, 0, sizeof(*out));
	out->name = n->cfg->name;
	out->failed = n->failed;
	const struct timespec *first = NULL, *last = NULL;
	for (size_t j = 0; j < n->n_workers; j++) {
		const struct en_worker *w = &n->workers[j];
		out->in += w->n_in;
		out->out += w->n_out;
		out->in_bytes += w->bytes_in;
		out->out_bytes += w->bytes_out;
		if (!w->started)
			continue;
		if (first == NULL || seconds_between(&w->t_start, first) > 0)
			first = &w->t_start;
		if (last == NULL || seconds_between(last, &w->t_end) > 0)
			last = &w->t_end;
	}
	out->seconds = first != NULL ? seconds_between(first, last) : 0.0;
}

void pl_engine_print_errors(const pl_engine *e, FILE *out)
{
	for (size_t i = 0; i < e->n_nodes; i++) {
		const struct en_node *n = &e->nodes[i];
		const struct en_worker *first = NULL;
		size_t more = 0;
		for (size_t j = 0; j < n->n_workers; j++) {
			if (n->workers[j].rc == 0)
				continue;
			if (first == NULL)
				first = &n->workers[j];
			else
				more++;
		}
		if (first == NULL)
			continue;
		fprintf(out, "pipeline: error: node '%s' (stage '%s'", n->cfg->name,
			n->cfg->stage_desc ? n->cfg->stage_desc->name : "fan-in");
		if (n->n_workers > 1)
			fprintf(out, ", worker %u", first->pub.index);
		fprintf(out, "): %s", first->error);
		if (more > 0)
			fprintf(out, " (and %zu more worker%s failed)", more, more == 1 ? "" : "s");
		fputc('\n', out);
	}
}

void pl_engine_print_summary(const pl_engine *e, FILE *out)
{
	int width = 4;
	for (size_t i = 0; i < e->n_nodes; i++) {
		int len = (int)strlen(e->nodes[i].cfg->name);
		if (len > width)
			width = len;
	}
	fprintf(out, "%-*s  %-9s  %7s  %12s  %12s  %9s\n", width, "node", "type", "workers", "in",
		"out", "time");
	for (size_t i = 0; i < e->n_nodes; i++) {
		pl_node_stats s;
		pl_engine_node_stats(e, i, &s);
		const struct en_node *n = &e->nodes[i];
		char in[24], outs[24];
		if (n->cfg->type == PL_NODE_GENERATOR)
			snprintf(in, sizeof(in), "-");
		else
			snprintf(in, sizeof(in), "%llu", s.in);
		if (n->cfg->type == PL_NODE_SINK)
			snprintf(outs, sizeof(outs), "-");
		else
			snprintf(outs, sizeof(outs), "%llu", s.out);
		fprintf(out, "%-*s  %-9s  %7zu  %12s  %12s  %8.3fs%s\n", width, s.name,
			pl_node_type_name(n->cfg->type), n->n_workers, in, outs, s.seconds,
			s.failed ? "  FAILED" : "");
	}
}

void pl_engine_destroy(pl_engine *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n_nodes; i++) {
		struct en_node *n = &e->nodes[i];
		const pl_stage *st = n->cfg->stage_desc;
		for (size_t j = 0; n->workers != NULL && j < n->n_workers; j++)
			if (n->workers[j].inited && st != NULL && st->fini != NULL)
				st->fini(&n->workers[j].pub);
		free(n->workers);
	}
	free(e->nodes);
	for (size_t i = 0; e->chans != NULL && i < e->cfg->n_chans; i++)
		pl_chan_destroy(e->chans[i]);
	free(e->chans);
	pthread_cond_destroy(&e->changed);
	pthread_mutex_destroy(&e->mu);
	free(e);
}
