/* stage_harness.h - drives one stage through its callbacks with a mock host, for unit tests. */
#ifndef PL_TESTS_STAGE_HARNESS_H
#define PL_TESTS_STAGE_HARNESS_H

#include <stdatomic.h>
#include <stddef.h>

#include "pipeline/plugin.h"

/*
 * A harness holds one worker of one stage, a pl_host whose members are the
 * runner's real message and parameter functions plus mocks of emit, stopping,
 * fail and log, and the stage's parameters (its schema's defaults, then what
 * the test sets).  Typical use:
 *
 *   pl_harness h;
 *   pl_harness_create(&h, &pl_stage_seq);
 *   pl_harness_set(&h, "count", "3");
 *   assert_int_equal(pl_harness_run(&h, NULL, 0), 0);
 *   assert_string_equal(pl_harness_out(&h, 2), "3");
 *   pl_harness_destroy(&h);
 *
 * emit() copies each message into a NUL-terminated record (so tests can use
 * string assertions; pl_harness_out_len() tells about embedded NULs) and
 * frees it, as a real downstream would.  Every message created or freed
 * through a harness host is counted: pl_harness_leaked() == 0 after a run
 * shows the stage neither leaked nor kept a message.
 *
 * A stage that goes on emitting after PL_HARNESS_REFUSED_LIMIT refused emits
 * fails the running cmocka test (fail_msg) instead of hanging it.
 *
 * Single-threaded, except `stopping`, which any thread may set.
 */

typedef struct pl_harness_record {
	char *data; /* the emitted bytes plus a NUL */
	size_t len;
} pl_harness_record;

typedef struct pl_harness {
	/* Read-only for tests unless said otherwise. */
	pl_host host;
	pl_worker worker; /* tests may set worker.index and worker.count before init */
	const pl_stage *stage;
	pl_params *params;

	pl_harness_record *outs; /* the emitted messages, in order */
	size_t n_outs, cap_outs;
	size_t n_emit_calls; /* emit() calls, including refused ones */
	size_t n_refused;    /* emit() calls refused with PL_ECANCELED */

	/* Settable: once n_outs reaches emit_limit, emit() refuses the message
	 * with PL_ECANCELED and sets `stopping`.  The default,
	 * PL_HARNESS_EMIT_LIMIT, only keeps a runaway generator from hanging a
	 * test; SIZE_MAX: no limit. */
	size_t emit_limit;
	/* Settable from any thread: nonzero makes stopping() true and, for a
	 * generator (as in the engine), emit() return PL_ECANCELED. */
	atomic_int stopping;

	char fail_msg[1024]; /* the last fail() message, "" if none */
	int n_fails;
	char log_msg[1024]; /* the last log() message */
	int log_level, n_logs;
	char param_err[256]; /* the last pl_harness_set() diagnostic */

	int inited;       /* init() succeeded and fini() is still due */
	long live_before; /* pl_harness_live_msgs() when created */
} pl_harness;

#define PL_HARNESS_EMIT_LIMIT    1000000
#define PL_HARNESS_REFUSED_LIMIT 1000

/* Sets up `h` for `stage` with its schema's defaults; worker 0 of 1, emit
 * limit PL_HARNESS_EMIT_LIMIT.  Returns 0 or the error of pl_params_create(). */
int pl_harness_create(pl_harness *h, const pl_stage *stage);

/* Calls fini() if still due and frees everything `h` holds. */
void pl_harness_destroy(pl_harness *h);

/* Sets a parameter from unquoted YAML text, as a node's config would.
 * Returns the result of pl_params_set(); h->param_err says why on error. */
int pl_harness_set(pl_harness *h, const char *name, const char *text);

/* The stage's callbacks, one at a time.  init() is skipped (0) when the stage
 * has none; fini() is only called when due.  pl_harness_process() hands the
 * stage a new message holding a copy of `len` bytes at `data`. */
int pl_harness_init(pl_harness *h);
int pl_harness_generate(pl_harness *h);
int pl_harness_process(pl_harness *h, const void *data, size_t len);
int pl_harness_process_str(pl_harness *h, const char *s);
int pl_harness_flush(pl_harness *h);
void pl_harness_fini(pl_harness *h);

/* A whole run, as the runner does it for one worker: init, then generate()
 * for a generator, or process() of each of the `n` NUL-terminated `inputs`
 * then flush() otherwise, then fini().  Stops at the first error (flush() is
 * not called after a failed process()), still calling fini() when due.
 * Returns 0 or that first error. */
int pl_harness_run(pl_harness *h, const char *const *inputs, size_t n);

/* The i-th emitted message as a NUL-terminated string (NULL when i is out of
 * range), and its length in bytes. */
const char *pl_harness_out(const pl_harness *h, size_t i);
size_t pl_harness_out_len(const pl_harness *h, size_t i);

/* Drops the recorded outputs, fail and log messages. */
void pl_harness_clear(pl_harness *h);

/* Messages created through any harness host and not yet freed or emitted. */
long pl_harness_live_msgs(void);

/* Messages created and not freed or emitted since `h` was created: nonzero
 * after a run means the stage leaked (or kept) messages.  Only meaningful
 * while no other harness runs concurrently. */
long pl_harness_leaked(const pl_harness *h);

#endif /* PL_TESTS_STAGE_HARNESS_H */
