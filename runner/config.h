/* config.h - a pipeline config (format version 1) as decoded from YAML, with positions. */
#ifndef PL_RUNNER_CONFIG_H
#define PL_RUNNER_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "pipeline/plugin.h"

enum pl_node_type {
	PL_NODE_GENERATOR = 1,
	PL_NODE_FANOUT,
	PL_NODE_FANIN,
	PL_NODE_SINK,
	PL_NODE_BROADCAST
};

/* What a node does with a message its stage failed on (`on_error:`). */
enum pl_on_error {
	PL_ON_ERROR_STOP = 0,    /* the pipeline stops (the default) */
	PL_ON_ERROR_SKIP,        /* counted and dropped */
	PL_ON_ERROR_DEAD_LETTER, /* sent, with the error attached, to a channel */
};

/* Limits that keep a config from asking for unbounded resources. */
#define PL_MAX_NODES         10000    /* nodes, and channels */
#define PL_MAX_WORKERS       100000   /* per node */
#define PL_MAX_TOTAL_WORKERS 100000   /* all nodes together */
#define PL_MAX_BUFFER        16777216 /* messages per channel (PL_CHAN_MAX_CAPACITY) */
#define PL_MAX_TOTAL_BUFFER  16777216 /* all channels together: 128 MiB of slots */
#define PL_DEFAULT_BUFFER    64

/* One `key: value` of a node's `params`, as written. */
typedef struct pl_cfg_param {
	char *key;
	char *value; /* scalar text */
	int quoted;
	pl_pos key_pos, value_pos;
} pl_cfg_param;

/* A channel a node reads, as written. */
typedef struct pl_cfg_ref {
	char *name;
	pl_pos pos;
	int chan; /* index into pl_config.chans, or -1 when it names none */
} pl_cfg_ref;

typedef struct pl_cfg_node {
	char *name;
	pl_pos pos; /* the node's mapping */
	pl_pos name_pos;
	int type; /* enum pl_node_type, 0 when missing or unknown */
	pl_pos type_pos;
	char *stage; /* NULL: none given */
	pl_pos stage_pos;
	int64_t workers; /* 1 unless given */
	int has_workers;
	pl_pos workers_pos;
	pl_cfg_ref *inputs; /* `input` (one) or `inputs` (a list) */
	size_t n_inputs;
	int inputs_is_list; /* written as `inputs:` */
	pl_pos inputs_pos;
	pl_cfg_ref output;   /* `output` (one); output.name NULL: none */
	pl_cfg_ref *outputs; /* `outputs` (a broadcast's list) */
	size_t n_outputs;
	int outputs_is_list; /* written as `outputs:` */
	pl_pos outputs_pos;
	pl_cfg_param *params;
	size_t n_params;
	pl_pos params_pos;
	int has_params;

	/* Running options; each has_* is 0 when not written. */
	int on_error; /* enum pl_on_error */
	int has_on_error;
	pl_pos on_error_pos;
	pl_cfg_ref dead_letter;   /* on_error: { dead-letter: NAME }; name NULL: none */
	int64_t retry_attempts;   /* tries in all, the first included; 1 unless given */
	int64_t retry_backoff_ms; /* before the first retry, doubling after each */
	int has_retry;
	pl_pos retry_pos;
	int ordered; /* a fan-out's output keeps its input's order */
	int has_ordered;
	pl_pos ordered_pos;
	double rate;        /* messages per second; 0: unlimited */
	int64_t stack_size; /* bytes of stack per worker thread; 0: not given (the
			     * run's default: see pl_engine_options) */
	int has_rate;
	pl_pos rate_pos;
	pl_pos stack_size_pos;

	int broken;           /* an error in its names, type, stage or channels: the graph
			       * rules wait for the fix rather than guess */
	size_t decode_errors; /* every error decoding it found */

	/* The runner's own node for the other side of a NATS channel (index
	 * into pl_config.chans), added by pl_config_add_bridges(); -1 for a
	 * node of the config. */
	int bridge_chan;

	/* Filled by pl_graph_check(): */
	const pl_stage *stage_desc; /* NULL for fan-in */
	pl_params *param_values;    /* NULL for fan-in */
} pl_cfg_node;

/* How a channel's messages travel. */
enum pl_transport {
	PL_TRANSPORT_LOCAL = 0, /* a ring in this process (the default) */
	PL_TRANSPORT_NATS, /* NATS subjects: its producer or consumer may be in another process */
};

/* A `transport: nats` channel's options (docs/distributed.md). */
typedef struct pl_cfg_nats {
	char *url;     /* NULL: PL_NATS_DEFAULT_URL; may hold credentials: never print it whole */
	char *subject; /* NULL: the channel's name */
	char *creds;   /* a credentials file, or NULL */
	int durable;   /* JetStream: at least once, acked once the consuming node is done */
	int64_t producers;       /* producer processes whose ends close the stream */
	int64_t idle_timeout_ms; /* consumer: gives up after this long with nothing; 0: never */
	int64_t ack_wait_ms;     /* durable: redelivered when not acked in this time */
	int64_t max_pending;     /* non-durable consumer: messages NATS may queue here */
	int64_t reconnect_attempts, reconnect_wait_ms;
	pl_pos subject_pos, url_pos;
} pl_cfg_nats;

#define PL_NATS_DEFAULT_URL "nats://127.0.0.1:4222"

typedef struct pl_cfg_chan {
	char *name;
	pl_pos pos;      /* where it is first named */
	int64_t buffer;  /* resolved capacity */
	int declared;    /* listed under `channels:` */
	pl_pos decl_pos; /* the `channels:` key */
	int has_buffer;
	pl_pos buffer_pos;
	int producer;          /* node index or -1; filled by pl_graph_check() */
	int consumer;          /* node index or -1; filled by pl_graph_check() */
	int transport;         /* enum pl_transport */
	pl_pos transport_pos;  /* line 0: not given */
	pl_pos remote_key_pos; /* the first key only a NATS channel may have; line 0: none */
	const char *remote_key;
	pl_cfg_nats nats;
	int bridged; /* the runner's node for its other side was added (pl_config_add_bridges()) */
} pl_cfg_chan;

/* A plugin file the config loads, its path relative to the config resolved. */
typedef struct pl_cfg_plugin {
	char *path;
	pl_pos pos;
} pl_cfg_plugin;

typedef struct pl_config {
	char *file; /* as named in diagnostics */
	int64_t version;
	char *name;
	char *description;
	int64_t default_buffer;
	pl_pos default_buffer_pos;  /* line 0: not given */
	int64_t default_stack_size; /* `defaults.stack_size`; 0: not given */
	pl_pos default_stack_size_pos;
	pl_cfg_node *nodes;
	size_t n_nodes;
	pl_cfg_chan *chans;
	size_t n_chans;
	pl_cfg_plugin *plugins; /* `plugins:`, loaded by pl_load_text() */
	size_t n_plugins;
	int plugin_failed; /* one could not be loaded: its stages are unknown */
	char **sets;       /* copies of the --set overrides applied, for diagnostics */
	size_t n_sets;
	size_t form_errors; /* errors decoding found (only in pl_config_decode()'s result) */
	pl_pos *muted;      /* values already reported (bad ${VAR}): no second diagnostic */
	size_t n_muted;
} pl_config;

/* How a config is read besides its text. */
typedef struct pl_load_options {
	/* Overrides "NODE.KEY=VALUE" or "NODE.params.KEY=VALUE" (pipeline
	 * --set), applied after ${VAR} interpolation; borrowed. */
	const char *const *sets;
	size_t n_sets;
	/* Looks up ${NAME}; NULL means getenv().  Returns NULL when unset. */
	const char *(*lookup_env)(const char *name, void *ctx);
	void *env_ctx;
	/* Check the form of `plugins:` but load none (the fuzzer: it must not
	 * dlopen() whatever path it makes up). */
	int skip_plugins;
	/* Stages may come from plugins that were not loaded (validate
	 * --no-plugins): an unknown stage is an error only when its name is
	 * close to a built-in one. */
	int plugins_unloaded;
} pl_load_options;

/* Decodes the config in `len` bytes of `text`, reporting every problem of
 * form (syntax, unknown keys, wrong types, missing keys) to `d`.  `file`
 * names it in diagnostics.  Returns 0 with *out set when `d` got no error;
 * PL_EINVAL when it did (then *out is NULL); PL_ENOMEM.
 * Ownership: the caller owns *out and frees it with pl_config_free(). */
int pl_config_parse(const char *file, const char *text, size_t len, pl_config **out, pl_diags *d);

/* pl_config_parse() on the contents of the file `path` ("-": stdin). */
int pl_config_load(const char *path, pl_config **out, pl_diags *d);

/* Like pl_config_parse(), with `opt` (may be NULL): interpolates ${VAR}
 * and applies --set overrides.  When the text is YAML but decoding found
 * errors, returns PL_EINVAL and still sets *out to what was decoded, with
 * form_errors > 0 and each node that had an error marked `broken`, so that
 * the graph checks can report what they see too; *out is NULL only when
 * the YAML itself is broken, or on PL_ENOMEM.
 * Ownership: the caller frees *out with pl_config_free(). */
int pl_config_decode(const char *file, const char *text, size_t len, const pl_load_options *opt,
		     pl_config **out, pl_diags *d);

/* Adds a diagnostic about `cfg` at `pos`.  A position inside a --set
 * override (line 0, column k: the k-th) is reported against
 * "<command-line>" with the override's text. */
void pl_cfg_diag(const pl_config *cfg, pl_diags *d, int code, pl_pos pos, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 5, 6)))
#endif
	;

/* Frees a config and everything it holds; NULL does nothing. */
void pl_config_free(pl_config *cfg);

/* The channels node `n` writes, in order: its `output` or each of its
 * `outputs`, then its dead-letter channel.  pl_cfg_node_out(n, i) is the
 * i-th of the pl_cfg_node_n_outs(n), its name never NULL. */
size_t pl_cfg_node_n_outs(const pl_cfg_node *n);
pl_cfg_ref *pl_cfg_node_out(const pl_cfg_node *n, size_t i);

/* Where a stage's complaint about node `n` points: the value of the first of
 * the node's parameters that `why` names in quotes ("'method' must be ..."),
 * else the node's `params`, else its `stage`. */
pl_pos pl_cfg_node_blame(const pl_cfg_node *n, const char *why);

/* "generator", "fan-out", "fan-in", "sink", "broadcast". */
const char *pl_node_type_name(int type);

/* Nonzero when the `len` bytes at `s` are a name of a node, a channel or a
 * parameter: one or more of [A-Za-z0-9_-]. */
int pl__is_name(const char *s, size_t len);

/* The index of the channel named `name`, or -1. */
int pl_config_find_chan(const pl_config *cfg, const char *name);

#endif /* PL_RUNNER_CONFIG_H */
