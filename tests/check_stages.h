/* check_stages.h - the stages of test_random_graphs.c (numbered self-checking messages, a
 * pass-through, a tallying sink), the checker of what the sinks tallied and of the engine's books.
 */
#ifndef PL_TESTS_CHECK_STAGES_H
#define PL_TESTS_CHECK_STAGES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline/plugin.h"

#define CS_MAX_GENS  4
#define CS_MAX_SINKS 4
#define CS_HEADER    6                  /* 'R', the generator, the id (4 bytes, little-endian) */
#define CS_MAX_LEN   (CS_HEADER + 1200) /* the longest message */

/*
 * A message is CS_HEADER bytes naming its generator and id, then a payload
 * whose length (0..200, now and then up to 1200) and bytes follow from
 * (salt, generator, id) alone, so that a sink can tell it intact.
 */
size_t cs_message_len(uint64_t salt, unsigned gen, uint32_t id);

/* Writes message (gen, id) into `buf`, cs_message_len() bytes. */
void cs_encode(uint64_t salt, unsigned gen, uint32_t id, unsigned char *buf);

enum cs_verdict { CS_INTACT = 0, CS_NO_HEADER, CS_BAD_LENGTH, CS_BAD_BYTES };

/* Reads a message back: its header into *gen and *id, and whether the
 * rest is what cs_encode() writes for them (enum cs_verdict). */
int cs_decode(uint64_t salt, const unsigned char *p, size_t len, unsigned *gen, uint32_t *id);

/* What the sinks received in one run, and what the generators emitted.
 * The stages write it under `mu`, from the engine's threads. */
struct cs_tally {
	pthread_mutex_t mu;
	uint64_t salt;
	unsigned n_gens, n_sinks;
	uint32_t count[CS_MAX_GENS];               /* ids 0..count-1 may exist */
	uint32_t emitted[CS_MAX_GENS];             /* emit() took ids 0..emitted-1 */
	int gen_done[CS_MAX_GENS];                 /* the generator returned */
	uint16_t *seen[CS_MAX_SINKS][CS_MAX_GENS]; /* arrivals of each id (saturating) */
	unsigned long long received[CS_MAX_SINKS], bytes[CS_MAX_SINKS];
	/* Ids that must arrive in increasing order, and the breaks of it. */
	int ordered[CS_MAX_SINKS][CS_MAX_GENS];
	long long last[CS_MAX_SINKS][CS_MAX_GENS];
	unsigned long long order_breaks[CS_MAX_SINKS][CS_MAX_GENS];
	char first_break[CS_MAX_SINKS][CS_MAX_GENS][64];
	/* Messages with wrong bytes, or naming an id that cannot exist. */
	unsigned long long corrupt, stray;
	char first_bad[256];
};

/* An empty tally for generators emitting count[k] messages each.  Returns 0
 * or PL_ENOMEM.  cs_tally_free() releases it (also after a failed init). */
int cs_tally_init(struct cs_tally *t, uint64_t salt, unsigned n_gens, const uint32_t *count,
		  unsigned n_sinks);
void cs_tally_free(struct cs_tally *t);

/* Counts one message arriving at `sink`.  Thread-safe. */
void cs_tally_record(struct cs_tally *t, unsigned sink, const unsigned char *p, size_t len);

/* Problems found, one line each, the first ones kept as text. */
struct cs_report {
	unsigned problems;
	int truncated; /* the text ends with "..." */
	size_t len;
	char text[8192];
};

/* Adds one problem (a line of text, while it fits). */
void cs_report_add(struct cs_report *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Checks a tally against the graph: paths[s][k] is the number of distinct
 * paths from generator k to sink s.  Each id a generator emitted must have
 * arrived at each sink exactly paths[s][k] times, and each id it did not
 * emit nowhere; no message corrupt or stray; the ordered pairs in order.
 * With `whole`, each generator must also have emitted its whole count (a
 * run that was not stopped).  Returns the number of problems, each
 * described in `rep`.
 */
unsigned cs_check(const struct cs_tally *t, const unsigned paths[CS_MAX_SINKS][CS_MAX_GENS],
		  int whole, struct cs_report *rep);

struct rg_graph;
struct run;

/*
 * The engine's books (`r`, a run of graph `g`) against the model and the
 * tally: the run ended well; each channel carried, and delivered, the sum
 * over generators of emitted[k] times the paths from k to it, in messages
 * and in bytes; each node took in what its inputs carried and sent what its
 * kind makes of it (1:1; a broadcast once per output), with the workers
 * asked for, and skipped, lost and failed nothing; each sink's books match
 * what its stage got.  Returns the number of problems, each described in
 * `rep`.
 */
unsigned cs_check_books(const struct rg_graph *g, const struct run *r, const struct cs_tally *t,
			struct cs_report *rep);

/* Faults the pass-through stage can be told to make once per run, to prove
 * that the checks catch them. */
enum cs_fault { CS_FAULT_NONE, CS_FAULT_DROP, CS_FAULT_DUPLICATE, CS_FAULT_CORRUPT };

/* The tally the stages of the next run write to (it must outlive the run),
 * and the fault to make (on the first message a pass-through worker gets).
 * Call between runs only. */
void cs_use(struct cs_tally *t, enum cs_fault fault);

/* Did the fault of the last cs_use() happen (in the run since)? */
int cs_fault_made(void);

/* rg-gen (params gen, count), rg-pass (jitter) and rg-check (sink). */
extern const pl_stage cs_gen_stage, cs_pass_stage, cs_check_stage;

#endif /* PL_TESTS_CHECK_STAGES_H */
