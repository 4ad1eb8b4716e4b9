/* bridge.h - the runner's own nodes for the far side of NATS channels, and their acknowledgements.
 */
#ifndef PL_RUNNER_BRIDGE_H
#define PL_RUNNER_BRIDGE_H

#include <stdint.h>

#include "config.h"
#include "pipeline/plugin.h"

/*
 * A `transport: nats` channel has its producer, its consumer, or both in
 * this process.  pl_config_add_bridges() gives each missing side a node of
 * the runner's own, so that the engine runs a plain graph:
 *
 *   producer here:  ... -> chan -> [nats-out:chan]      publishes (a sink)
 *   consumer here:  [nats-in:chan] -> chan -> ...       subscribes (a generator)
 *   both here:      ... -> chan -> [nats-out:chan]   [nats-in:chan] -> chan:nats -> ...
 *
 * The engine closes `chan` when nats-in returns, as for any producer:
 * nats-in returns once every producer process has ended the stream.
 */

/* Adds the bridge nodes of every NATS channel of a checked config (once;
 * a second call does nothing).  Returns 0 or PL_ENOMEM (then `cfg` may
 * hold some of them; it is still freed by pl_config_free()). */
int pl_config_add_bridges(pl_config *cfg);

/* Does `cfg` have NATS channels without their bridge nodes? */
int pl_config_needs_bridges(const pl_config *cfg);

/*
 * A durable nats-in's settlement of the messages it emitted: the engine
 * calls it from the consuming node's worker once that node is done with
 * the `seq`-th message received from the channel (0, 1, ...): `done`
 * nonzero when the message was handled (processed, skipped or
 * dead-lettered: acknowledged), 0 when it was not (its node failed or the
 * pipeline stopped under it: NATS is told to deliver it again).
 */
typedef void (*pl__settle_fn)(void *state, uint64_t seq, int done);

/* The settlement function of node `cn`'s stage with its worker `state`,
 * or NULL when it needs none (not a durable nats-in). */
pl__settle_fn pl__bridge_settler(const pl_cfg_node *cn, void *state);

#ifdef PL_HAVE_NATS
/* The runner's stages behind the bridge nodes (nats_in.c, nats_out.c). */
extern const pl_stage pl__nats_in_stage;
extern const pl_stage pl__nats_out_stage;
void pl__nats_in_settle(void *state, uint64_t seq, int done);
pl__settle_fn pl__nats_in_settler(void *state);
#endif

#endif /* PL_RUNNER_BRIDGE_H */
