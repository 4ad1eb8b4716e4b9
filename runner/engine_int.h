/* engine_int.h - the engine's internal structures, shared by the engine's files and host.c. */
#ifndef PL_RUNNER_ENGINE_INT_H
#define PL_RUNNER_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "bridge.h"
#include "chan.h"
#include "clock.h"
#include "config.h"
#include "engine.h"
#include "msg_cache.h"

/*
 * A counter written by one thread (its worker's) and read by any: relaxed
 * atomics make a live snapshot race-free, and since only the owner writes,
 * an increment is a plain load and store, not a locked add.
 */
typedef _Atomic uint64_t pl__counter;

static inline void pl__count(pl__counter *c, uint64_t v)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + v,
			      memory_order_relaxed);
}

static inline uint64_t pl__counted(const pl__counter *c)
{
	return atomic_load_explicit((pl__counter *)c, memory_order_relaxed);
}

/* What one worker did; see pl_node_stats for the meaning of each. */
struct en_counters {
	pl__counter in, out, in_bytes, out_bytes;
	pl__counter skipped, dead, failed, lost, retries;
	pl__counter wait_in_ns, wait_out_ns;
	pl__counter in_since, out_since; /* when a wait now going on began, or 0 */
	pl__counter start_ns, end_ns;    /* 0: not started, not ended */
};

/* A rate limit shared by a node's workers: the generic cell rate
 * algorithm, one atomic "theoretical arrival time" and no lock. */
struct en_rate {
	uint64_t interval_ns; /* 0: no limit */
	_Atomic uint64_t tat;
};

struct en_node;

/* What a worker blocked with a `since` set is waiting for, beside a channel
 * (for pl_engine_dump()). */
enum en_wait { EN_WAIT_CHANNEL, EN_WAIT_TURN, EN_WAIT_RATE, EN_WAIT_RETRY };

struct en_worker {
	pl_worker pub; /* first: a pl_worker * from a stage is an en_worker * */
	struct en_node *node;
	pl_chan_rx *in; /* NULL for generators */
	/* When `in` is fed by a durable nats-in: tells it each input is done
	 * (bridge.h), with its state. */
	pl__settle_fn settle;
	void *settle_state;
	pthread_t thread;
	int started;
	int inited;         /* init() succeeded (or there is none): fini() is owed */
	atomic_int running; /* inside its thread's stage call: emit() is allowed */
	struct en_counters c;
	/* For pl_engine_dump(), relaxed: the output a send now going on is
	 * for, and what a wait with out_since or in_since set is for. */
	_Atomic(pl_chan_tx *) sending_on;
	atomic_int waiting;      /* enum en_wait */
	pl__counter retry_since; /* a retry's backoff began (counted as busy), or 0 */
	/* Written by the worker's own thread only; read after join. */
	int rc; /* the failure that ended the worker, 0 if none */
	char error[256];
	char first_error[256]; /* the first failure a policy routed, for the summary */
	int emit_lost;         /* an emit was refused (the pipeline was stopping) for this input */
	/* ordered: the outputs of the current input, held until its turn. */
	pl_msg **held;
	size_t n_held, cap_held;
	/* The blocks of the messages its thread allocates (created on first
	 * need, freed by pl_engine_destroy()). */
	pl_msg_cache *msg_cache;
};

struct en_node {
	const pl_cfg_node *cfg;
	struct pl_engine *engine;
	struct en_worker *workers;
	size_t n_workers;
	atomic_size_t live;   /* workers not yet returned: the wait group */
	pl_chan_tx **outs;    /* the channels it writes, the dead-letter one last */
	size_t n_outs;        /* all of them */
	pl_chan_tx *dead;     /* the dead-letter channel, or NULL */
	size_t n_main;        /* outs without the dead-letter channel */
	atomic_int cancelled; /* upstream of a failure, or aborted: its work is lost */
	int failed;           /* under engine->mu */
	int handled;          /* under engine->mu: upstream already stopped */
	struct en_rate rate;
	/* ordered: the turn of the input whose outputs may be sent next. */
	pthread_mutex_t turn_mu;
	pthread_cond_t turn_cv;
	uint64_t turn; /* under turn_mu */
	int has_turn;  /* turn_mu and turn_cv were created */
};

struct pl_engine {
	const pl_config *cfg;
	pl_host host;
	struct en_node *nodes;
	size_t n_nodes;
	pl_chan **chans;     /* one per cfg->chans entry */
	atomic_int stopping; /* generators stop producing (a failure, or pl_engine_stop()) */
	atomic_int aborted;  /* pl_engine_abort(): everything stops at once */
	atomic_int finished; /* pl_engine_run() returned */
	/* Lock order: mu is taken alone, never while a channel lock or a
	 * node's turn_mu is held. */
	pthread_mutex_t mu;
	pthread_cond_t changed; /* a worker returned or failed */
	size_t running;         /* started workers not yet returned, under mu */
	int failures;           /* failed nodes, under mu */
	size_t stack_size;      /* the run's default stack (pl_engine_options), or 0 */
	char start_error[512];  /* why a worker thread could not start, or "" */
	pl__counter t0_ns;      /* when pl_engine_run() started; read live */
	int ran;
};

/* Sends `msg` to output channel `tx`, counting it and the time blocked.
 * Returns 0, or PL_ECANCELED when the pipeline is being aborted.
 * Ownership: always takes `msg` (freed on failure). */
int pl__send_out(struct en_worker *w, pl_chan_tx *tx, pl_msg *msg);

/* What a stage's return code says when it gave no reason with failf(). */
const char *pl__describe_rc(char *buf, size_t len, int rc);

/* Sends what an ordered worker holds for its input number `seq` once all
 * earlier inputs' outputs were sent (engine_worker.c).  Returns 0, or
 * PL_ECANCELED when the node was cancelled meanwhile (what it held is
 * freed). */
int pl__ordered_commit(struct en_worker *w, uint64_t seq);

/* After an ordered worker's flush(): sends what flush() emitted once every
 * input's outputs were sent.  Returns 0 or PL_ECANCELED (freed). */
int pl__ordered_flush(struct en_worker *w);

/* The stack size of node `cn`'s threads: its own `stack_size`, else the
 * run's (pl_engine_options: --stack-size), else the config's
 * `defaults.stack_size`, else PL_DEFAULT_STACK_SIZE.  With `from`, says
 * which ("--stack-size").  (engine_threads.c) */
size_t pl__node_stack_size(const pl_engine *e, const pl_cfg_node *cn, const char **from);

/* Makes the kernel's futex table of the process (Linux 6.16 and later)
 * large enough for `threads` threads, when that many are worth it; best
 * called while the process has one thread.  (engine_threads.c) */
void pl__size_futex_hash(size_t threads);

/* Starts every worker thread, each node's with its stack size, counting
 * them in e->running.  Returns 0; PL_EAGAIN when one could not start (or
 * a node's stack size is refused: then none starts), with
 * e->start_error saying why and what to do; the ones started run on and
 * must be stopped and joined.  (engine_threads.c) */
int pl__start_workers(pl_engine *e);

/* Joins every worker thread that was started.  (engine_threads.c) */
void pl__join_workers(pl_engine *e);

/* A worker thread's body (engine_worker.c). */
void *pl__worker_main(void *arg);

/* Takes the next slot of `r` and sleeps until it comes, in slices that
 * check `cancel(w)`, adding the time slept to *waited, and publishing in
 * *since when the sleep began (a node held back by its rate is waiting,
 * not busy).  Returns 0, or PL_ECANCELED when it was
 * told to stop (the slot is lost). */
int pl__rate_wait(struct en_rate *r, struct en_worker *w, int (*cancel)(struct en_worker *w),
		  pl__counter *waited, pl__counter *since);

/* Sleeps `ns`, in slices that check `cancel(w)`: 0, or PL_ECANCELED. */
int pl__sleep(uint64_t ns, struct en_worker *w, int (*cancel)(struct en_worker *w));

/* Has node `n` been cancelled, or the whole pipeline aborted? */
static inline int pl__node_cancelled(const struct en_node *n)
{
	return atomic_load_explicit((atomic_int *)&n->cancelled, memory_order_relaxed);
}

/* Should worker `w` stop what it is doing (what host->stopping() tells a
 * stage)?  Its node was cancelled, or it is a generator and the pipeline
 * is stopping. */
static inline int pl__worker_stopping(struct en_worker *w)
{
	return pl__node_cancelled(w->node) ||
	       (w->in == NULL &&
		atomic_load_explicit(&w->node->engine->stopping, memory_order_relaxed));
}

#endif /* PL_RUNNER_ENGINE_INT_H */
