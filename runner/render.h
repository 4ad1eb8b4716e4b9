/* render.h - a checked pipeline drawn as text for a graph tool: Graphviz DOT or a Mermaid
 * flowchart. */
#ifndef PL_RUNNER_RENDER_H
#define PL_RUNNER_RENDER_H

#include <stdio.h>

#include "config.h"

/* A fan-out of more workers than this is drawn with PL_RENDER_WORKER_BOXES - 1
 * worker boxes and one "… N more" box. */
#define PL_RENDER_WORKER_BOXES 3

/*
 * Both draw `cfg` left to right: one node per generator (cds shape), sink
 * (cylinder), fan-in (inverted trapezium, a funnel) and single-worker
 * fan-out (rounded box), each labelled with its name, type, stage and
 * worker count; a fan-out with 2 or more workers as a cluster titled
 * "NAME: fan-out, STAGE ×N" holding a split point, up to
 * PL_RENDER_WORKER_BOXES worker boxes and a join point; one edge per
 * channel, labelled "CHANNEL [buffer B]" or "CHANNEL [rendezvous]".
 * Identifiers are generated (n0, n1_split, ...); every string of the config
 * is escaped, so any name draws as written.  The same config always gives
 * the same bytes.
 *
 * `cfg` must have passed pl_graph_check() (pl_load_text() does it): each
 * channel's producer and consumer are resolved.  Writes to `out` and does
 * not flush it.  Returns 0, or PL_EIO when writing to `out` failed.
 * Ownership: borrows both.
 */
int pl_render_dot(const pl_config *cfg, FILE *out);

/* As pl_render_dot(), as a Mermaid flowchart (text starting "flowchart LR"),
 * e.g. for a ```mermaid block in Markdown. */
int pl_render_mermaid(const pl_config *cfg, FILE *out);

#endif /* PL_RUNNER_RENDER_H */
