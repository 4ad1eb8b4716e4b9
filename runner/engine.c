/* engine.c - running a checked config: channels, worker threads, supervision and shutdown. */
#define _GNU_SOURCE /* sched_getaffinity(), CPU_COUNT() */
#include "engine.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine_int.h"
#include "error.h"
#include "host.h"
#include "mem.h"
#include "msg.h"

/*
 * Threads: one per worker (engine_worker.c), started and joined by
 * engine_threads.c, each with its node's stack size; the calling thread
 * supervises.  Each worker's counters are written only by its own thread
 * (relaxed atomics, see engine_int.h).
 * Lock order: engine->mu is taken alone; the supervisor aborts channels
 * and wakes ordered nodes without holding it.
 */

const char *pl__describe_rc(char *buf, size_t len, int rc)
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

/* Creates a node's channels ends, its rate limit and its turn (ordered). */
static int setup_node(pl_engine *e, struct en_node *n)
{
	const pl_cfg_node *cn = n->cfg;
	n->n_outs = pl_cfg_node_n_outs(cn);
	n->outs = pl_mem_calloc(n->n_outs ? n->n_outs : 1, sizeof(*n->outs));
	if (n->outs == NULL)
		return PL_ENOMEM;
	for (size_t k = 0; k < n->n_outs; k++)
		n->outs[k] = pl_chan_sender(e->chans[pl_cfg_node_out(cn, k)->chan]);
	n->n_main = n->n_outs;
	if (cn->dead_letter.name != NULL) {
		n->n_main--;
		n->dead = n->outs[n->n_outs - 1];
	}
	if (cn->rate > 0) {
		double ns = 1e9 / cn->rate;
		n->rate.interval_ns = ns < 1 ? 1 : (uint64_t)ns;
	}
	atomic_init(&n->rate.tat, 0);
	atomic_init(&n->cancelled, 0);
	if (cn->ordered) {
		if (pthread_mutex_init(&n->turn_mu, NULL) != 0)
			return PL_ENOMEM;
		if (pthread_cond_init(&n->turn_cv, NULL) != 0) {
			pthread_mutex_destroy(&n->turn_mu);
			return PL_ENOMEM;
		}
		n->has_turn = 1;
	}
	return 0;
}

/* How many worker threads node `cn` runs. */
static size_t node_threads(const pl_cfg_node *cn)
{
	return cn->type == PL_NODE_FANIN       ? cn->n_inputs
	       : cn->type == PL_NODE_BROADCAST ? 1
					       : (size_t)cn->workers;
}

/* The CPUs this process may run on (its affinity mask, as taskset sets
 * it); the online ones if that cannot be read.  A cgroup's CPU quota is
 * not counted. */
static long usable_cpus(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set);
	return sysconf(_SC_NPROCESSORS_ONLN);
}

/* Creates config channel `i`, telling it how many threads send on it (the
 * producing node's workers) and receive from it (the consuming node's;
 * a fan-in has one per input). */
static int create_chan(const pl_config *cfg, size_t i, pl_chan **out)
{
	const pl_cfg_chan *ch = &cfg->chans[i];
	size_t senders = 0, receivers = 0;
	if (ch->producer >= 0)
		senders = node_threads(&cfg->nodes[ch->producer]);
	if (ch->consumer >= 0) {
		const pl_cfg_node *cn = &cfg->nodes[ch->consumer];
		receivers = cn->type == PL_NODE_FANIN ? 1 : node_threads(cn);
	}
	return pl_chan_create_ends((size_t)ch->buffer, senders > UINT_MAX ? 0 : (unsigned)senders,
				   receivers > UINT_MAX ? 0 : (unsigned)receivers, out);
}

/* Gives each worker reading a channel fed by a durable nats-in the
 * function that acknowledges what it is done with. */
static void connect_settlers(pl_engine *e)
{
	for (size_t i = 0; i < e->n_nodes; i++) {
		struct en_node *n = &e->nodes[i];
		for (size_t j = 0; j < n->n_workers; j++) {
			struct en_worker *w = &n->workers[j];
			if (n->cfg->n_inputs == 0)
				continue;
			size_t k = n->cfg->type == PL_NODE_FANIN ? j : 0;
			int producer = e->cfg->chans[n->cfg->inputs[k].chan].producer;
			struct en_worker *p = &e->nodes[producer].workers[0];
			w->settle = pl__bridge_settler(e->nodes[producer].cfg, p->pub.state);
			w->settle_state = p->pub.state;
		}
	}
}

int pl_engine_create(const pl_config *cfg, const pl_engine_options *opt, pl_engine **out,
		     pl_diags *d)
{
	*out = NULL;
	if (pl_config_needs_bridges(cfg))
		return PL_EINVAL; /* pl_config_add_bridges() first */
	pl_engine *e = pl_mem_calloc(1, sizeof(*e));
	if (e == NULL)
		return PL_ENOMEM;
	e->cfg = cfg;
	e->stack_size = opt != NULL ? opt->stack_size : 0;
	pl_host_init(&e->host);
	atomic_init(&e->stopping, 0);
	atomic_init(&e->aborted, 0);
	atomic_init(&e->finished, 0);
	if (pthread_mutex_init(&e->mu, NULL) != 0) {
		free(e);
		return PL_ENOMEM;
	}
	if (pthread_cond_init(&e->changed, NULL) != 0) {
		pthread_mutex_destroy(&e->mu);
		free(e);
		return PL_ENOMEM;
	}
	e->chans = pl_mem_calloc(cfg->n_chans ? cfg->n_chans : 1, sizeof(*e->chans));
	e->nodes = pl_mem_calloc(cfg->n_nodes ? cfg->n_nodes : 1, sizeof(*e->nodes));
	if (e->chans == NULL || e->nodes == NULL)
		goto oom;
	/* Waits spin only when every worker thread can have a core. */
	size_t threads = 0;
	for (size_t i = 0; i < cfg->n_nodes; i++)
		threads += node_threads(&cfg->nodes[i]);
	long cpus = usable_cpus();
	for (size_t i = 0; i < cfg->n_chans; i++) {
		if (create_chan(cfg, i, &e->chans[i]) != 0)
			goto oom;
		pl_chan_set_spin(e->chans[i], cpus > 0 && threads <= (size_t)cpus);
	}
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const pl_cfg_node *cn = &cfg->nodes[i];
		struct en_node *n = &e->nodes[i];
		n->cfg = cn;
		n->engine = e;
		n->n_workers = node_threads(cn);
		n->workers = pl_mem_calloc(n->n_workers, sizeof(*n->workers));
		e->n_nodes = i + 1;
		if (n->workers == NULL || setup_node(e, n) != 0)
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
		}
	}
	assert(e->n_nodes == cfg->n_nodes);
	pl__size_futex_hash(threads + 2); /* the workers, the caller, a monitor */
	/* Every init on this thread, before any worker thread exists; every
	 * failure is reported, one per node. */
	int failed = 0, stages_failed = 0;
	for (size_t i = 0; i < e->n_nodes; i++) {
		struct en_node *n = &e->nodes[i];
		assert(n->cfg != NULL); /* set before n_nodes counts it */
		const pl_stage *st = n->cfg->stage_desc;
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
			pl_cfg_diag(cfg, d, PL_D_STAGE_INIT, pl_cfg_node_blame(n->cfg, w->error),
				    "node '%s' (stage '%s') failed to start: %s", n->cfg->name,
				    st->name,
				    w->error[0] ? w->error : pl__describe_rc(why, sizeof(why), rc));
			failed = 1;
			stages_failed |= n->cfg->bridge_chan < 0;
			break;
		}
	}
	if (failed) {
		pl_engine_destroy(e);
		/* Only NATS connections failed: the config is fine, the network not. */
		return stages_failed ? PL_ESTAGE : PL_EIO;
	}
	connect_settlers(e);
	*out = e;
	return 0;
oom:
	pl_engine_destroy(e);
	return PL_ENOMEM;
}

/* Marks a node cancelled and wakes its workers waiting for their turn. */
static void cancel_node(struct en_node *n)
{
	atomic_store(&n->cancelled, 1);
	if (n->has_turn) {
		pthread_mutex_lock(&n->turn_mu);
		pthread_cond_broadcast(&n->turn_cv);
		pthread_mutex_unlock(&n->turn_mu);
	}
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
		cancel_node(&e->nodes[producer]);
		pl_chan_abort(e->chans[c]);
		stop_upstream(e, producer, aborted);
	}
}

static void abort_all(pl_engine *e)
{
	atomic_store(&e->stopping, 1);
	for (size_t i = 0; i < e->n_nodes; i++)
		cancel_node(&e->nodes[i]);
	for (size_t i = 0; i < e->cfg->n_chans; i++)
		pl_chan_abort(e->chans[i]);
}

void pl_engine_stop(pl_engine *e)
{
	atomic_store(&e->stopping, 1);
}

void pl_engine_abort(pl_engine *e)
{
	atomic_store(&e->aborted, 1);
	abort_all(e);
}

int pl_engine_stopped(const pl_engine *e)
{
	return atomic_load((atomic_int *)&e->stopping);
}

int pl_engine_aborted(const pl_engine *e)
{
	return atomic_load((atomic_int *)&e->aborted);
}

int pl_engine_finished(const pl_engine *e)
{
	return atomic_load((atomic_int *)&e->finished);
}

int pl_engine_run(pl_engine *e)
{
	if (e->ran)
		return PL_EINVAL;
	e->ran = 1;
	unsigned char *aborted = pl_mem_calloc(e->cfg->n_chans ? e->cfg->n_chans : 1, 1);
	if (aborted == NULL)
		return PL_ENOMEM;
	for (size_t i = 0; i < e->n_nodes; i++)
		atomic_init(&e->nodes[i].live, e->nodes[i].n_workers);
	pl__count(&e->t0_ns, pl__now_ns());
	int start_failed = pl__start_workers(e) != 0;
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

	pl__join_workers(e);
	free(aborted);
	atomic_store(&e->finished, 1);
	if (start_failed)
		return PL_EAGAIN; /* the stage failures, if any, are printed too */
	return failures > 0 ? PL_ESTAGE : 0;
}

void pl_engine_destroy(pl_engine *e)
{
	if (e == NULL)
		return;
	assert(e->nodes != NULL || e->n_nodes == 0); /* n_nodes counts the nodes set up */
	for (size_t i = 0; i < e->n_nodes; i++) {
		struct en_node *n = &e->nodes[i];
		assert(n->cfg != NULL); /* set before n_nodes counts it */
		const pl_stage *st = n->cfg->stage_desc;
		for (size_t j = 0; n->workers != NULL && j < n->n_workers; j++) {
			if (n->workers[j].inited && st != NULL && st->fini != NULL)
				st->fini(&n->workers[j].pub);
			free(n->workers[j].held);
		}
	}
	for (size_t i = 0; e->chans != NULL && i < e->cfg->n_chans; i++)
		pl_chan_destroy(e->chans[i]);
	free(e->chans);
	for (size_t i = 0; i < e->n_nodes; i++) {
		struct en_node *n = &e->nodes[i];
		/* Last: every message was freed above (fini(), channels). */
		for (size_t j = 0; n->workers != NULL && j < n->n_workers; j++)
			pl__msg_cache_destroy(n->workers[j].msg_cache);
		free(n->workers);
		free(n->outs);
		if (n->has_turn) {
			pthread_cond_destroy(&n->turn_cv);
			pthread_mutex_destroy(&n->turn_mu);
		}
	}
	free(e->nodes);
	pthread_cond_destroy(&e->changed);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

const char *pl_engine_start_error(const pl_engine *e)
{
	return e->start_error[0] ? e->start_error : NULL;
}
