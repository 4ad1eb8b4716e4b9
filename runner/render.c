/* render.c - a checked pipeline as Graphviz DOT or a Mermaid flowchart: nodes, fans, channels. */
#include "render.h"

#include <assert.h>
#include <inttypes.h>

#include "pipeline/plugin.h"

/* The two text formats share what a label says; they differ in how a line
 * break and a user's character are written. */
enum format { DOT, MERMAID };

struct writer {
	FILE *f; /* borrowed */
	enum format fmt;
};

/* Writes `s`, a string of the config (any UTF-8), so that it reads as
 * written inside a double-quoted label of the format.  DOT: '"' and '\'
 * take a backslash (a lone '\' would start an escape such as \n or \N).
 * Mermaid has no escape for '"' inside "...": it and the characters it
 * would read as markup or entities become entity codes (#quot; ...).
 * Control characters (a newline would end a statement) become spaces. */
static void put_text(struct writer *w, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		unsigned c = *p;
		if (c < 0x20 || c == 0x7f) {
			fputc(' ', w->f);
		} else if (w->fmt == DOT) {
			if (c == '"' || c == '\\')
				fputc('\\', w->f);
			fputc((int)c, w->f);
		} else if (c == '"') {
			fputs("#quot;", w->f);
		} else if (c == '#') {
			fputs("#35;", w->f);
		} else if (c == '&') {
			fputs("#amp;", w->f);
		} else if (c == '<') {
			fputs("#lt;", w->f);
		} else if (c == '>') {
			fputs("#gt;", w->f);
		} else if (c == '`') {
			fputs("#96;", w->f);
		} else if (c == '|') {
			fputs("#124;", w->f);
		} else {
			fputc((int)c, w->f);
		}
	}
}

/* A line break inside a label. */
static void put_break(struct writer *w)
{
	fputs(w->fmt == DOT ? "\\n" : "<br>", w->f);
}

/* A fan-out with several workers is drawn as a cluster, every other node
 * as one shape. */
static int is_fan(const pl_cfg_node *n)
{
	return n->type == PL_NODE_FANOUT && n->workers >= 2;
}

/* The id an edge into node `i` ends at, and the one an edge out of it
 * starts from: the node itself, or a fan's split and join points. */
static void put_in_id(struct writer *w, const pl_config *cfg, size_t i)
{
	fprintf(w->f, is_fan(&cfg->nodes[i]) ? "n%zu_split" : "n%zu", i);
}

static void put_out_id(struct writer *w, const pl_config *cfg, size_t i)
{
	fprintf(w->f, is_fan(&cfg->nodes[i]) ? "n%zu_join" : "n%zu", i);
}

/* "fan-out, upper ×1", "fan-in, 2 inputs": what a node is, after its name. */
static void put_caption(struct writer *w, const pl_cfg_node *n)
{
	fputs(pl_node_type_name(n->type), w->f);
	if (n->type == PL_NODE_FANIN) {
		fprintf(w->f, ", %zu inputs", n->n_inputs);
		return;
	}
	if (n->type == PL_NODE_BROADCAST) {
		fprintf(w->f, ", %zu outputs", n->n_outputs);
		return;
	}
	fputs(", ", w->f);
	put_text(w, n->stage != NULL ? n->stage : "?");
	fprintf(w->f, " ×%" PRId64, n->workers);
}

/* The label of a node drawn as one shape: "NAME" break caption. */
static void put_node_label(struct writer *w, const pl_cfg_node *n)
{
	put_text(w, n->name);
	put_break(w);
	put_caption(w, n);
}

/* A fan's title: "NAME: fan-out, STAGE ×N". */
static void put_fan_title(struct writer *w, const pl_cfg_node *n)
{
	put_text(w, n->name);
	fputs(": ", w->f);
	put_caption(w, n);
}

/* A channel's edge label: "jobs [buffer 256]", "jobs [rendezvous]",
 * "failed [buffer 64] (dead letters)". */
static void put_chan_label(struct writer *w, const pl_config *cfg, const pl_cfg_chan *c)
{
	put_text(w, c->name);
	const pl_cfg_node *producer = c->producer >= 0 ? &cfg->nodes[c->producer] : NULL;
	if (producer != NULL && producer->dead_letter.name != NULL &&
	    &cfg->chans[producer->dead_letter.chan] == c)
		fputs(" (dead letters)", w->f);
	if (c->buffer == 0)
		fputs(" [rendezvous]", w->f);
	else
		fprintf(w->f, " [buffer %" PRId64 "]", c->buffer);
}

/* How many worker boxes a fan of `workers` shows, the last one standing
 * for the rest when it cannot show them all. */
static int64_t worker_boxes(int64_t workers)
{
	return workers > PL_RENDER_WORKER_BOXES ? PL_RENDER_WORKER_BOXES : workers;
}

/* Calls `edge(w, cfg, producer, consumer, chan)` for every channel, in the
 * order of the nodes that write them. */
static void each_edge(struct writer *w, const pl_config *cfg,
		      void (*edge)(struct writer *, const pl_config *, size_t, size_t,
				   const pl_cfg_chan *))
{
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const pl_cfg_node *n = &cfg->nodes[i];
		for (size_t j = 0; j < pl_cfg_node_n_outs(n); j++) {
			const pl_cfg_ref *out = pl_cfg_node_out(n, j);
			if (out->chan < 0)
				continue;
			const pl_cfg_chan *c = &cfg->chans[out->chan];
			assert(c->producer == (int)i);
			if (c->consumer < 0 || c->transport == PL_TRANSPORT_NATS)
				continue; /* not a checked config; or through NATS: nats_edges() */
			edge(w, cfg, i, (size_t)c->consumer, c);
		}
	}
}

/* A NATS channel's far end, drawn as a node of its own with id "qC":
 * "NATS" break its subject (and "durable"). */
static void put_nats_label(struct writer *w, const pl_cfg_chan *c)
{
	fputs("NATS", w->f);
	put_break(w);
	put_text(w, c->nats.subject != NULL ? c->nats.subject : c->name);
	if (c->nats.durable)
		fputs(" (durable)", w->f);
}

/* Calls `edge(w, cfg, c, to_nats)` for each side of each NATS channel in
 * this config: its producer's edge into the subject, the subject's into its
 * consumer. */
static void nats_edges(struct writer *w, const pl_config *cfg,
		       void (*edge)(struct writer *, const pl_config *, size_t, int))
{
	for (size_t c = 0; c < cfg->n_chans; c++) {
		const pl_cfg_chan *ch = &cfg->chans[c];
		if (ch->transport != PL_TRANSPORT_NATS)
			continue;
		if (ch->producer >= 0)
			edge(w, cfg, c, 1);
		if (ch->consumer >= 0)
			edge(w, cfg, c, 0);
	}
}

/* ---- Graphviz DOT ------------------------------------------------------- */

static const char *dot_shape(int type)
{
	switch (type) {
	case PL_NODE_GENERATOR:
		return "cds";
	case PL_NODE_FANIN:
		return "invtrapezium";
	case PL_NODE_SINK:
		return "cylinder";
	case PL_NODE_BROADCAST:
		return "trapezium";
	default:
		return "box";
	}
}

/* The id of a fan's k-th box (1-based): "n1_w2", or "n1_more" for the last
 * when it stands for the rest. */
static void fan_box_id(char *buf, size_t len, size_t i, const pl_cfg_node *n, int64_t k)
{
	if (k == worker_boxes(n->workers) && n->workers > k)
		snprintf(buf, len, "n%zu_more", i);
	else
		snprintf(buf, len, "n%zu_w%" PRId64, i, k);
}

static void dot_fan(struct writer *w, size_t i, const pl_cfg_node *n)
{
	FILE *f = w->f;
	int64_t boxes = worker_boxes(n->workers);
	char box[48];
	fprintf(f, "\tsubgraph cluster_n%zu {\n\t\tlabel=\"", i);
	put_fan_title(w, n);
	fputs("\";\n"
	      "\t\tstyle=\"rounded,filled\"; color=\"#7f8c9d\"; fillcolor=\"#f2f5f9\";\n"
	      "\t\tnode [style=\"rounded,filled\", fillcolor=white, fontsize=10];\n"
	      "\t\tedge [color=\"#56606b\", arrowsize=0.6];\n",
	      f);
	/* ordering=out keeps the boxes in the order of the split's edges;
	 * left to right, Graphviz lays that order out bottom up, so the edges
	 * go last box first and "worker 1" lands on top. */
	fprintf(f,
		"\t\tn%zu_split [shape=point, width=0.09, color=\"#56606b\", "
		"fillcolor=\"#56606b\", ordering=out];\n",
		i);
	for (int64_t k = 1; k <= boxes; k++) {
		fan_box_id(box, sizeof(box), i, n, k);
		if (k == boxes && n->workers > boxes)
			fprintf(f,
				"\t\t%s [label=\"… %" PRId64
				" more\", style=\"rounded,dashed,filled\"];\n",
				box, n->workers - (boxes - 1));
		else
			fprintf(f, "\t\t%s [label=\"worker %" PRId64 "\"];\n", box, k);
	}
	fprintf(f,
		"\t\tn%zu_join [shape=point, width=0.09, color=\"#56606b\", "
		"fillcolor=\"#56606b\"];\n",
		i);
	for (int64_t k = boxes; k >= 1; k--) {
		fan_box_id(box, sizeof(box), i, n, k);
		fprintf(f, "\t\tn%zu_split -> %s;\n", i, box);
	}
	for (int64_t k = boxes; k >= 1; k--) {
		fan_box_id(box, sizeof(box), i, n, k);
		fprintf(f, "\t\t%s -> n%zu_join [arrowhead=none];\n", box, i);
	}
	fputs("\t}\n", f);
}

static void dot_edge(struct writer *w, const pl_config *cfg, size_t from, size_t to,
		     const pl_cfg_chan *c)
{
	fputc('\t', w->f);
	put_out_id(w, cfg, from);
	fputs(" -> ", w->f);
	put_in_id(w, cfg, to);
	fputs(" [label=\"", w->f);
	put_chan_label(w, cfg, c);
	fputs(c->buffer == 0 ? "\", style=dashed];\n" : "\"];\n", w->f);
}

static void dot_nats_edge(struct writer *w, const pl_config *cfg, size_t c, int to_nats)
{
	const pl_cfg_chan *ch = &cfg->chans[c];
	fputc('\t', w->f);
	if (to_nats) {
		put_out_id(w, cfg, (size_t)ch->producer);
		fprintf(w->f, " -> q%zu", c);
	} else {
		fprintf(w->f, "q%zu -> ", c);
		put_in_id(w, cfg, (size_t)ch->consumer);
	}
	fputs(" [label=\"", w->f);
	put_chan_label(w, cfg, ch);
	fputs("\"];\n", w->f);
}

int pl_render_dot(const pl_config *cfg, FILE *out)
{
	struct writer w = { out, DOT };
	fputs("digraph pipeline {\n"
	      "\tgraph [rankdir=LR, bgcolor=white, fontname=\"Helvetica\", fontsize=12, "
	      "nodesep=0.2, "
	      "ranksep=0.45];\n"
	      "\tnode [fontname=\"Helvetica\", fontsize=11, shape=box, style=rounded];\n"
	      "\tedge [fontname=\"Helvetica\", fontsize=10];\n"
	      "\n",
	      out);
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const pl_cfg_node *n = &cfg->nodes[i];
		if (is_fan(n)) {
			dot_fan(&w, i, n);
			continue;
		}
		fprintf(out, "\tn%zu [label=\"", i);
		put_node_label(&w, n);
		fprintf(out, "\", shape=%s];\n", dot_shape(n->type));
	}
	for (size_t c = 0; c < cfg->n_chans; c++) {
		if (cfg->chans[c].transport != PL_TRANSPORT_NATS)
			continue;
		fprintf(out, "\tq%zu [label=\"", c);
		put_nats_label(&w, &cfg->chans[c]);
		fputs("\", shape=box, style=\"rounded,dashed\"];\n", out);
	}
	fputc('\n', out);
	each_edge(&w, cfg, dot_edge);
	nats_edges(&w, cfg, dot_nats_edge);
	/* Last, so that no cluster inherits it. */
	if (cfg->name != NULL) {
		fputs("\n\tlabel=\"", out);
		put_text(&w, cfg->name);
		fputs("\"; labelloc=t; labeljust=l;\n", out);
	}
	fputs("}\n", out);
	return ferror(out) ? PL_EIO : 0;
}

/* ---- Mermaid ------------------------------------------------------------ */

static void mermaid_fan(struct writer *w, size_t i, const pl_cfg_node *n)
{
	FILE *f = w->f;
	int64_t boxes = worker_boxes(n->workers);
	char box[48];
	fprintf(f, "    subgraph n%zu [\"", i);
	put_fan_title(w, n);
	fputs("\"]\n", f);
	fprintf(f, "        n%zu_split((\" \")):::point\n", i);
	for (int64_t k = 1; k <= boxes; k++) {
		fan_box_id(box, sizeof(box), i, n, k);
		if (k == boxes && n->workers > boxes)
			fprintf(f, "        %s(\"… %" PRId64 " more\"):::more\n", box,
				n->workers - (boxes - 1));
		else
			fprintf(f, "        %s(\"worker %" PRId64 "\")\n", box, k);
	}
	fprintf(f, "        n%zu_join((\" \")):::point\n", i);
	for (int64_t k = 1; k <= boxes; k++) {
		fan_box_id(box, sizeof(box), i, n, k);
		fprintf(f, "        n%zu_split --> %s --- n%zu_join\n", i, box, i);
	}
	fputs("    end\n", f);
}

static void mermaid_edge(struct writer *w, const pl_config *cfg, size_t from, size_t to,
			 const pl_cfg_chan *c)
{
	fputs("    ", w->f);
	put_out_id(w, cfg, from);
	/* A rendezvous is drawn dotted, as in DOT. */
	fputs(c->buffer == 0 ? " -.->|\"" : " -->|\"", w->f);
	put_chan_label(w, cfg, c);
	fputs("\"| ", w->f);
	put_in_id(w, cfg, to);
	fputc('\n', w->f);
}

static void mermaid_nats_edge(struct writer *w, const pl_config *cfg, size_t c, int to_nats)
{
	const pl_cfg_chan *ch = &cfg->chans[c];
	fputs("    ", w->f);
	if (to_nats)
		put_out_id(w, cfg, (size_t)ch->producer);
	else
		fprintf(w->f, "q%zu", c);
	fputs(" -->|\"", w->f);
	put_chan_label(w, cfg, ch);
	fputs("\"| ", w->f);
	if (to_nats)
		fprintf(w->f, "q%zu", c);
	else
		put_in_id(w, cfg, (size_t)ch->consumer);
	fputc('\n', w->f);
}

/* Each node type's shape, around a quoted label, by enum pl_node_type:
 * generator a flag, fan-out a rounded box, fan-in an inverted trapezium
 * (a funnel), sink a cylinder, broadcast a trapezium; [0] for a type the
 * checks let through. */
static const char *const mermaid_open[] = { "(\"", ">\"", "(\"", "[\\\"", "[(\"", "[/\"" };
static const char *const mermaid_close[] = { "\")", "\"]", "\")", "\"/]", "\")]", "\"\\]" };

int pl_render_mermaid(const pl_config *cfg, FILE *out)
{
	struct writer w = { out, MERMAID };
	int fans = 0, more = 0;
	fputs("flowchart LR\n", out);
	if (cfg->name != NULL) {
		fputs("    %% pipeline: ", out);
		put_text(&w, cfg->name);
		fputc('\n', out);
	}
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		const pl_cfg_node *n = &cfg->nodes[i];
		if (is_fan(n)) {
			mermaid_fan(&w, i, n);
			fans = 1;
			more |= n->workers > PL_RENDER_WORKER_BOXES;
			continue;
		}
		int t = n->type >= PL_NODE_GENERATOR && n->type <= PL_NODE_BROADCAST ? n->type : 0;
		fprintf(out, "    n%zu%s", i, mermaid_open[t]);
		put_node_label(&w, n);
		fprintf(out, "%s\n", mermaid_close[t]);
	}
	for (size_t c = 0; c < cfg->n_chans; c++) {
		if (cfg->chans[c].transport != PL_TRANSPORT_NATS)
			continue;
		fprintf(out, "    q%zu[[\"", c);
		put_nats_label(&w, &cfg->chans[c]);
		fputs("\"]]\n", out);
	}
	each_edge(&w, cfg, mermaid_edge);
	nats_edges(&w, cfg, mermaid_nats_edge);
	/* The classes the fans use, when there are any. */
	if (fans)
		fputs("    classDef point fill:#56606b,stroke:#56606b\n", out);
	if (more)
		fputs("    classDef more stroke-dasharray:4 3\n", out);
	return ferror(out) ? PL_EIO : 0;
}
