/* nats_end.h - the end-of-stream markers of a NATS channel: sent by producers, counted by
 * consumers. */
#ifndef PL_RUNNER_NATS_END_H
#define PL_RUNNER_NATS_END_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "nats_conn.h"

/*
 * A producer that is done publishes one marker on _PIPELINE.end.SUBJECT,
 * with the headers Pipeline-Producer (who: host:pid:node), Pipeline-Count
 * (how many messages it published) and, when its input was cut short,
 * Pipeline-Failed.  Every consumer process subscribes to them (not in a
 * queue group) and counts the producers seen, each once.
 *
 * A durable channel's markers are also kept, in the limits stream
 * PLEND_SUBJECT, so that a consumer started after the end still learns of
 * it.  They belong to one run: the consumer that finds the run complete
 * (every producer ended, every message acknowledged) clears the ones it
 * counted, and a producer that starts while a complete set is left from
 * an earlier run clears that.
 */

/* What a consumer knows of the ends. */
struct pl__nats_ends {
	struct pl__nats_conn *conn; /* borrowed */
	jsCtx *js;                  /* borrowed; NULL: not durable */
	natsSubscription *sub;
	pthread_mutex_t mu;
	char **ids; /* the producers that ended, under mu */
	size_t n, cap;
	size_t failed;     /* of them, cut short (Pipeline-Failed), under mu */
	uint64_t kept_seq; /* the last kept marker counted (durable), under mu */
	atomic_int closed; /* the subscription is done calling back */
	int has_mu;
};

/* Subscribes `e` to the markers of `conn`'s subject and, with `js`, counts
 * those kept.  Returns 0, PL_ENOMEM, or PL_EIO with `err` set.
 * pl__nats_ends_close() is owed in every case. */
int pl__nats_ends_listen(struct pl__nats_ends *e, struct pl__nats_conn *conn, jsCtx *js, char *err,
			 size_t len);

/* How many producers ended so far, and (with `failed`) how many of them
 * were cut short. */
size_t pl__nats_ends_count(struct pl__nats_ends *e, size_t *failed);

/* The run is complete (durable): clears the kept markers counted. */
void pl__nats_ends_clear(struct pl__nats_ends *e);

/* Unsubscribes, waits for the last callback, frees.  A zeroed `e` is fine. */
void pl__nats_ends_close(struct pl__nats_ends *e);

/* Producer: makes sure the kept markers' stream exists (durable, `js` not
 * NULL) and clears a complete set (`producers` or more) left by an earlier
 * run.  0 or PL_EIO with `err` set. */
int pl__nats_end_prepare(jsCtx *js, const char *subject, int64_t producers, char *err, size_t len);

/* Producer: publishes its marker (kept too, with `js`), flushed.  NATS_OK
 * or the failure. */
natsStatus pl__nats_end_send(struct pl__nats_conn *conn, jsCtx *js, const char *producer,
			     uint64_t count, int failed);

#endif /* PL_RUNNER_NATS_END_H */
