/* engine_int.h - the engine's internal structures, shared by engine.c and host.c. */
#ifndef PL_RUNNER_ENGINE_INT_H
#define PL_RUNNER_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "chan.h"
#include "config.h"
#include "engine.h"

struct en_node;

struct en_worker {
	pl_worker pub; /* first: a pl_worker * from a stage is an en_worker * */
	struct en_node *node;
	pl_chan_rx *in;  /* NULL for generators */
	pl_chan_tx *out; /* NULL for sinks */
	pthread_t thread;
	int started;
	int inited;         /* init() succeeded (or there is none): fini() is owed */
	atomic_int running; /* inside its thread's stage call: emit() is allowed */
	/* Written by the worker's own thread only; read after join. */
	uint64_t n_in, n_out, bytes_in, bytes_out;
	struct timespec t_start, t_end;
	int rc; /* the stage's failure, 0 if none */
	char error[256];
};

struct en_node {
	const pl_cfg_node *cfg;
	struct pl_engine *engine;
	struct en_worker *workers;
	size_t n_workers;
	atomic_size_t live;   /* workers not yet returned: the wait group */
	int out_chan;         /* index into engine->chans, or -1 */
	atomic_int cancelled; /* upstream of a failure: its work is lost */
	int failed;           /* under engine->mu */
	int handled;          /* under engine->mu: upstream already stopped */
};

struct pl_engine {
	const pl_config *cfg;
	pl_host host;
	struct en_node *nodes;
	size_t n_nodes;
	pl_chan **chans; /* one per cfg->chans entry */
	atomic_int stopping;
	/* Lock order: mu is taken alone, never while a channel lock is held. */
	pthread_mutex_t mu;
	pthread_cond_t changed; /* a worker returned or failed */
	size_t running;         /* started workers not yet returned, under mu */
	int failures;           /* failed nodes, under mu */
	size_t stack_size;
	int ran;
};

/* Fills the host table handed to every stage. */
void pl_host_init(pl_host *host);

#endif /* PL_RUNNER_ENGINE_INT_H */
