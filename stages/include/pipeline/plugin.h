/* pipeline/plugin.h - the one header a stage (built-in or plugin) is written against. */
#ifndef PIPELINE_PLUGIN_H
#define PIPELINE_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A stage is the code one node of a pipeline runs: a generator produces
 * messages, a transform turns each input message into zero or more output
 * messages, a sink consumes them.  A node with `workers: N` runs N workers of
 * its stage, each on its own thread with its own private state, all competing
 * for the node's input channel.
 *
 * A stage links against nothing of the runner: everything it needs from the
 * host comes through the pl_host table reachable from every callback as
 * `w->host`.  Structures in this header only ever grow at their end; the
 * *_size fields tell each side how much of the other's structure it may read.
 *
 * Threading: each callback for a worker runs on that worker's thread only, so
 * the state a worker's init() creates needs no locks.  Different workers of
 * one node run concurrently.
 */

/* ---- Errors: 0 is success, failures are negative. ------------------------ */

#define PL_ERRNO_MAP(X)                                   \
	X(ENOMEM, -1, "out of memory")                    \
	X(EINVAL, -2, "invalid argument")                 \
	X(ECLOSED, -3, "channel closed")                  \
	X(ECANCELED, -4, "pipeline is stopping")          \
	X(EIO, -5, "input/output error")                  \
	X(ESTAGE, -6, "stage failed")                     \
	X(ENOENT, -7, "not found")                        \
	X(ERANGE, -8, "value out of range")               \
	X(EAGAIN, -9, "resource temporarily unavailable") \
	X(ENOTSUP, -10, "not supported")

enum pl_errno {
#define PL__ERRNO_ENUM(name, value, text) PL_##name = (value),
	PL_ERRNO_MAP(PL__ERRNO_ENUM)
#undef PL__ERRNO_ENUM
};

/* ---- Opaque types owned by the host. -------------------------------------- */

/* A message: an owned, contiguous byte buffer.  A message has exactly one
 * owner at a time; whoever holds it passes it on (emit) or frees it. */
typedef struct pl_msg pl_msg;

/* The validated parameters of a node, as given to init(). */
typedef struct pl_params pl_params;

typedef struct pl_host pl_host;
typedef struct pl_worker pl_worker;

/* ---- The host table: what a stage may ask of the runner. ---------------- */

enum pl_log_level { PL_LOG_ERROR = 0, PL_LOG_WARN = 1, PL_LOG_INFO = 2, PL_LOG_DEBUG = 3 };

struct pl_host {
	uint32_t size;      /* sizeof(struct pl_host) in the host */
	uint32_t abi_major; /* PL_ABI_MAJOR of the host */
	uint32_t abi_minor; /* PL_ABI_MINOR of the host */
	uint32_t reserved0;

	/* A new message of `len` bytes, contents undefined.  NULL when out of
	 * memory.  Ownership: the caller owns the result. */
	pl_msg *(*msg_new)(size_t len);
	/* Frees a message; NULL does nothing.  Ownership: takes `msg`. */
	void (*msg_free)(pl_msg *msg);
	/* The message's bytes (not NUL-terminated) and their count.
	 * Ownership: borrows `msg`; the pointer dies with the message. */
	unsigned char *(*msg_data)(pl_msg *msg);
	size_t (*msg_len)(const pl_msg *msg);

	/* Sends `msg` to the worker's output channel, blocking while it is
	 * full.  Returns 0, or PL_ECANCELED when the pipeline is stopping (the
	 * stage should then return promptly), or PL_EINVAL from a sink, from
	 * init() or fini(), or for a NULL message.
	 * Ownership: always takes `msg`, on success and on failure. */
	int (*emit)(pl_worker *w, pl_msg *msg);
	/* Nonzero when this worker should stop what it is doing and return:
	 * for a generator, once the pipeline is stopping (its emit() fails
	 * from then on anyway); for a transform or sink, once its node was
	 * cancelled because a node downstream failed, so that whatever it
	 * would emit is lost, or the pipeline is stopping at once.  A
	 * pipeline that drains (after a failure elsewhere, or a first SIGINT
	 * or SIGTERM) does not stop transforms and sinks: what was already
	 * produced flows through them.  A callback that waits a long time
	 * should poll it. */
	int (*stopping)(pl_worker *w);
	/* Records the reason the stage is about to fail (printf format); the
	 * runner prints it with the node's name when the callback returns an
	 * error.  Returns PL_ESTAGE, so `return w->host->failf(w, ...)` works. */
	int (*failf)(pl_worker *w, const char *fmt, ...)
#if defined(__GNUC__)
		__attribute__((format(printf, 2, 3)))
#endif
		;
	/* Writes one diagnostic line to standard error, prefixed with the node. */
	void (*log)(pl_worker *w, int level, const char *fmt, ...)
#if defined(__GNUC__)
		__attribute__((format(printf, 3, 4)))
#endif
		;

	/* Parameter values, already checked against the stage's schema.  Each
	 * returns 0 and stores the value, or PL_ENOENT when the parameter was
	 * neither given nor has a default.  Strings are borrowed from the host
	 * and live until fini(). */
	int (*param_int)(const pl_params *p, const char *name, int64_t *out);
	int (*param_bool)(const pl_params *p, const char *name, int *out);
	int (*param_string)(const pl_params *p, const char *name, const char **out);
	int (*param_float)(const pl_params *p, const char *name, double *out);

	/* A static English message for a PL_E* code. */
	const char *(*strerror)(int err);

	/* ---- Since ABI 1.1: test with PL_HOST_HAS(w->host, msg_meta). ---- */

	/* The metadata `key` of a message, or NULL when it has none.  A
	 * dead letter (see on_error in docs/config.md) carries "node" and
	 * "stage" (where it failed), "error" (the stage's message) and
	 * "attempts" (how many times it was tried, in decimal).
	 * Ownership: borrows `msg`; the string lives as long as the message. */
	const char *(*msg_meta)(const pl_msg *msg, const char *key);
};

/* Does the host table offer `member`?  A plugin built against a newer
 * minor version checks before calling what that version added. */
#define PL_HOST_HAS(host, member) \
	((host)->size >= offsetof(pl_host, member) + sizeof((host)->member))

/* The worker a callback runs for.  Public fields are read-only except
 * `state`, which belongs to the stage. */
struct pl_worker {
	const pl_host *host; /* public, read-only */
	void *state;         /* public: the stage's per-worker state, set by init() */
	uint32_t index;      /* public, read-only: 0 .. count-1 */
	uint32_t count;      /* public, read-only: the node's worker count */
	const char *node;    /* public, read-only: the node's name */
};

/* ---- Describing a stage. ------------------------------------------------- */

enum pl_stage_kind { PL_STAGE_GENERATOR = 1, PL_STAGE_TRANSFORM = 2, PL_STAGE_SINK = 3 };

enum pl_param_type { PL_PARAM_INT = 1, PL_PARAM_BOOL = 2, PL_PARAM_STRING = 3, PL_PARAM_FLOAT = 4 };

enum pl_param_flags {
	PL_PARAM_REQUIRED = 1u << 0, /* the node must give it */
	PL_PARAM_RANGE = 1u << 1,    /* an INT must lie in [min, max] */
};

typedef struct pl_param_spec {
	const char *name;
	uint32_t type;             /* enum pl_param_type */
	uint32_t flags;            /* enum pl_param_flags */
	const char *default_value; /* as YAML text, or NULL for none */
	const char *description;   /* one line */
	int64_t min, max;          /* with PL_PARAM_RANGE */
} pl_param_spec;

typedef struct pl_stage {
	uint32_t size;           /* sizeof(pl_stage) the stage was built with */
	uint32_t kind;           /* enum pl_stage_kind */
	const char *name;        /* [a-z0-9_-]+, unique among loaded stages */
	const char *description; /* one line */
	const pl_param_spec *params;
	uint32_t n_params;
	uint32_t max_workers; /* 0: any number; 1: the stage keeps node-wide state */

	/* Once per worker, before any thread starts, on the main thread.  May
	 * set w->state.  Returns 0, or an error (with w->host->failf()), which
	 * stops the pipeline before it starts.  Optional. */
	int (*init)(pl_worker *w, const pl_params *params);
	/* Generators: produce messages with w->host->emit() until done (return
	 * 0), or until emit fails or stopping() is true (return 0 promptly), or
	 * on failure (return an error). */
	int (*generate)(pl_worker *w);
	/* Transforms and sinks: one input message.
	 * Ownership: takes `msg`; it must be emitted (transform) or freed
	 * before returning, on success and on failure alike. */
	int (*process)(pl_worker *w, pl_msg *msg);
	/* After the last input message, once the input channel was closed by
	 * its producer (also when the pipeline drains after a failure
	 * elsewhere), but not when this worker's input was aborted because a
	 * node downstream of it failed.  A transform may still emit; a sink may
	 * report totals.  Optional. */
	int (*flush)(pl_worker *w);
	/* Releases w->state; called once for every worker whose init()
	 * succeeded (or that had no init), after its thread ended.  Optional. */
	void (*fini)(pl_worker *w);

	/* ---- Since ABI 1.2 (a stage built before it reads as 0 here). ---- */

	uint32_t flags; /* enum pl_stage_flags */
	uint32_t reserved0;
	/* The `params` of the example node `pipeline stages NAME` shows, as a
	 * YAML flow mapping ("{ url: \"http://127.0.0.1:8080/items/{}\" }"),
	 * for a stage whose required parameters alone, each "...", would not
	 * pass its init(); NULL for those.  Optional. */
	const char *example_params;
} pl_stage;

enum pl_stage_flags {
	/*
	 * init() only checks the parameters and allocates (no file opened, no
	 * process, thread or connection started, nothing written), and fini()
	 * undoes it.  `pipeline validate` (and the checks `pipeline run` makes
	 * before anything starts) then call them once per node, on a worker
	 * whose emit() fails, whose stopping() is true and whose log() is
	 * silent, and report what failf() says as PL059: a config that passes
	 * `validate` in CI is then not refused by `run` for a parameter that
	 * init() refuses.
	 */
	PL_STAGE_INIT_CHECKS = 1u << 0,
};

/* ---- Describing a plugin (a set of stages). ------------------------------ */

#define PL_PLUGIN_MAGIC 0x504c5047u /* "PLPG" */
#define PL_ABI_MAJOR    1u
#define PL_ABI_MINOR    2u

typedef struct pl_plugin {
	uint32_t magic;     /* PL_PLUGIN_MAGIC */
	uint32_t abi_major; /* PL_ABI_MAJOR the plugin was built with */
	uint32_t abi_minor; /* PL_ABI_MINOR the plugin was built with */
	uint32_t size;      /* sizeof(pl_plugin) the plugin was built with */
	const char *name;   /* for messages */
	const pl_stage *const *stages;
	uint32_t n_stages;
	uint32_t reserved0;
} pl_plugin;

/* Fills the fixed header fields of a pl_plugin or pl_stage. */
#define PL_PLUGIN_HEADER                                                                \
	.magic = PL_PLUGIN_MAGIC, .abi_major = PL_ABI_MAJOR, .abi_minor = PL_ABI_MINOR, \
	.size = sizeof(pl_plugin)
#define PL_STAGE_HEADER .size = sizeof(pl_stage)

/*
 * The one symbol a plugin exports: a function returning its descriptor,
 * which must stay valid (static storage) while the plugin is loaded.
 *
 *   static const pl_stage *const my_stages[] = { &my_stage };
 *   static const pl_plugin my_plugin = { PL_PLUGIN_HEADER, .name = "mine",
 *                                        .stages = my_stages, .n_stages = 1 };
 *   PL_PLUGIN_EXPORT(my_plugin)
 *
 * Versioning: the runner loads a plugin whose abi_major equals its own and
 * whose abi_minor is not newer than its own.  Within a major version,
 * pl_host, pl_stage and pl_plugin only grow at their end (each side reads
 * no more than the other's `size` says); pl_param_spec, an array element,
 * never changes.  Anything else is a new major version.
 */
#define PL_PLUGIN_ENTRY "pipeline_plugin"
typedef const pl_plugin *(*pl_plugin_entry_fn)(void);

#if defined(__GNUC__)
#define PL__EXPORT __attribute__((visibility("default")))
#else
#define PL__EXPORT
#endif

#ifdef __cplusplus
#define PL__EXTERN_C extern "C"
#else
#define PL__EXTERN_C
#endif

/* Defines the entry point, with C linkage (also when compiled as C++). */
#define PL_PLUGIN_EXPORT(descriptor)                                    \
	PL__EXTERN_C PL__EXPORT const pl_plugin *pipeline_plugin(void); \
	PL__EXTERN_C PL__EXPORT const pl_plugin *pipeline_plugin(void)  \
	{                                                               \
		return &(descriptor);                                   \
	}

#ifdef __cplusplus
}
#endif
#endif /* PIPELINE_PLUGIN_H */
