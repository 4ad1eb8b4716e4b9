/* report.c - the summary, the stats tables, JSON metrics and the progress line of `pipeline run`.
 */
#include "report.h"
#include "mem.h"

#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "error.h"

static int name_width(const pl_engine *e, int at_least)
{
	const pl_config *cfg = pl_engine_config(e);
	int width = at_least;
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		int len = (int)strlen(cfg->nodes[i].name);
		if (len > width)
			width = len;
	}
	return width;
}

/* A count, or "-" where the node type has none. */
static const char *count(char *buf, size_t len, int none, unsigned long long v)
{
	if (none)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu", v);
	return buf;
}

unsigned long long pl_report_lost(const pl_engine *e)
{
	unsigned long long lost = 0;
	for (size_t i = 0; i < pl_engine_node_count(e); i++) {
		pl_node_stats s;
		pl_engine_node_stats(e, i, &s);
		lost += s.lost;
	}
	/* While it runs, what is buffered is on its way, not lost. */
	for (size_t i = 0; pl_engine_finished(e) && i < pl_engine_chan_count(e); i++) {
		pl_chan_metrics c;
		pl_engine_chan_metrics(e, i, &c);
		lost += c.sent - c.received;
	}
	return lost;
}

/* The books line: nothing in flight, or what was lost and where. */
static void report_books(const pl_engine *e, FILE *out)
{
	unsigned long long lost = pl_report_lost(e), sent = 0;
	size_t chans = pl_engine_chan_count(e);
	for (size_t i = 0; i < chans; i++) {
		pl_chan_metrics c;
		pl_engine_chan_metrics(e, i, &c);
		sent += c.sent;
	}
	if (lost == 0) {
		if (sent == 1)
			fprintf(out,
				"pipeline: nothing lost: the one message sent on %zu channel%s was "
				"received\n",
				chans, chans == 1 ? "" : "s");
		else
			fprintf(out,
				"pipeline: nothing lost: each of the %llu messages sent on %zu "
				"channel%s was received\n",
				sent, chans, chans == 1 ? "" : "s");
		return;
	}
	fprintf(out, "pipeline: %llu message%s lost in flight:", lost, lost == 1 ? "" : "s");
	const char *sep = " ";
	for (size_t i = 0; i < chans; i++) {
		pl_chan_metrics c;
		pl_engine_chan_metrics(e, i, &c);
		if (c.sent == c.received)
			continue;
		fprintf(out, "%s%llu buffered in channel '%s'", sep, c.sent - c.received, c.name);
		sep = ", ";
	}
	for (size_t i = 0; i < pl_engine_node_count(e); i++) {
		pl_node_stats s;
		pl_engine_node_stats(e, i, &s);
		if (s.lost == 0)
			continue;
		fprintf(out, "%s%llu in the hands of node '%s'", sep, s.lost, s.name);
		sep = ", ";
	}
	fputc('\n', out);
}

void pl_report_summary(const pl_engine *e, FILE *out)
{
	int width = name_width(e, 4);
	fprintf(out, "%-*s  %-9s  %7s  %10s  %10s  %7s  %7s  %7s  %7s  %9s\n", width, "node",
		"type", "workers", "in", "out", "skipped", "dead", "failed", "lost", "time");
	for (size_t i = 0; i < pl_engine_node_count(e); i++) {
		pl_node_stats s;
		pl_engine_node_stats(e, i, &s);
		char in[24], outs[24];
		fprintf(out, "%-*s  %-9s  %7zu  %10s  %10s  %7llu  %7llu  %7llu  %7llu  %8.3fs%s\n",
			width, s.name, pl_node_type_name(s.type), s.workers,
			count(in, sizeof(in), s.type == PL_NODE_GENERATOR, s.in),
			count(outs, sizeof(outs), s.type == PL_NODE_SINK && s.dead == 0, s.out),
			s.skipped, s.dead, s.failed, s.lost, s.seconds,
			s.failed_node ? "  FAILED" : "");
	}
	report_books(e, out);
}

/* "12.5 MB" style: bytes with a unit. */
static const char *bytes(char *buf, size_t len, unsigned long long v)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	double x = (double)v;
	size_t u = 0;
	while (x >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		x /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%llu B", v);
	else
		snprintf(buf, len, "%.1f %s", x, units[u]);
	return buf;
}

/* A share of a node's worker time, as a percentage. */
static double share(double part, const pl_node_stats *s)
{
	double total = s->busy + s->wait_in + s->wait_out;
	return total > 0 ? 100.0 * part / total : 0.0;
}

void pl_report_stats(const pl_engine *e, FILE *out)
{
	int width = name_width(e, 7);
	fprintf(out, "%-*s  %10s  %10s  %14s  %14s  %14s  %7s\n", width, "node", "bytes in",
		"bytes out", "busy", "blocked recv", "blocked send", "retries");
	for (size_t i = 0; i < pl_engine_node_count(e); i++) {
		pl_node_stats s;
		pl_engine_node_stats(e, i, &s);
		char bi[24], bo[24], busy[32], win[32], wout[32];
		snprintf(busy, sizeof(busy), "%.3fs %3.0f%%", s.busy, share(s.busy, &s));
		snprintf(win, sizeof(win), "%.3fs %3.0f%%", s.wait_in, share(s.wait_in, &s));
		snprintf(wout, sizeof(wout), "%.3fs %3.0f%%", s.wait_out, share(s.wait_out, &s));
		fprintf(out, "%-*s  %10s  %10s  %14s  %14s  %14s  %7llu\n", width, s.name,
			s.type == PL_NODE_GENERATOR ? "-" : bytes(bi, sizeof(bi), s.in_bytes),
			s.type == PL_NODE_SINK && s.dead == 0 ? "-"
							      : bytes(bo, sizeof(bo), s.out_bytes),
			busy, win, wout, s.retries);
	}
	int cw = 7;
	for (size_t i = 0; i < pl_engine_chan_count(e); i++) {
		pl_chan_metrics c;
		pl_engine_chan_metrics(e, i, &c);
		if ((int)strlen(c.name) > cw)
			cw = (int)strlen(c.name);
	}
	fprintf(out, "%-*s  %8s  %10s  %11s  %11s  %8s\n", cw, "channel", "capacity", "high-water",
		"sent", "received", "left");
	for (size_t i = 0; i < pl_engine_chan_count(e); i++) {
		pl_chan_metrics c;
		pl_engine_chan_metrics(e, i, &c);
		fprintf(out, "%-*s  %8zu  %10zu  %11llu  %11llu  %8llu\n", cw, c.name, c.capacity,
			c.high_water, c.sent, c.received, c.sent - c.received);
	}
}

int pl_report_json(const pl_engine *e, const char *state, FILE *out)
{
	const pl_config *cfg = pl_engine_config(e);
	fputs("{\"pipeline\":", out);
	pl_json_string(out, cfg->name != NULL ? cfg->name : cfg->file);
	fputs(",\"file\":", out);
	pl_json_string(out, cfg->file);
	fprintf(out, ",\"state\":\"%s\",\"elapsed_s\":%.6f,\"lost_in_flight\":%llu,\"nodes\":[",
		state, pl_engine_elapsed(e), pl_report_lost(e));
	for (size_t i = 0; i < pl_engine_node_count(e); i++) {
		pl_node_stats s;
		pl_engine_node_stats(e, i, &s);
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		pl_json_string(out, s.name);
		fprintf(out,
			",\"type\":\"%s\",\"workers\":%zu,\"running\":%zu,\"in\":%llu,\"out\":%llu,"
			"\"in_bytes\":%llu,\"out_bytes\":%llu,\"skipped\":%llu,\"dead_letter\":%"
			"llu,"
			"\"failed\":%llu,\"lost\":%llu,\"retries\":%llu,\"busy_s\":%.6f,"
			"\"blocked_recv_s\":%.6f,\"blocked_send_s\":%.6f,\"seconds\":%.6f,"
			"\"node_failed\":%s}",
			pl_node_type_name(s.type), s.workers, s.running, s.in, s.out, s.in_bytes,
			s.out_bytes, s.skipped, s.dead, s.failed, s.lost, s.retries, s.busy,
			s.wait_in, s.wait_out, s.seconds, s.failed_node ? "true" : "false");
	}
	fputs("],\"channels\":[", out);
	for (size_t i = 0; i < pl_engine_chan_count(e); i++) {
		pl_chan_metrics c;
		pl_engine_chan_metrics(e, i, &c);
		fputs(i ? ",{\"name\":" : "{\"name\":", out);
		pl_json_string(out, c.name);
		fprintf(out,
			",\"capacity\":%zu,\"buffered\":%zu,\"high_water\":%zu,\"sent\":%llu,"
			"\"received\":%llu}",
			c.capacity, c.buffered, c.high_water, c.sent, c.received);
	}
	fputs("]}\n", out);
	return ferror(out) ? PL_EIO : 0;
}

int pl_progress_init(pl_progress *p, const pl_engine *e)
{
	memset(p, 0, sizeof(*p));
	p->n = pl_engine_node_count(e);
	p->busy = pl_mem_calloc(p->n ? p->n : 1, sizeof(*p->busy));
	return p->busy == NULL ? PL_ENOMEM : 0;
}

void pl_progress_free(pl_progress *p)
{
	free(p->busy);
	p->busy = NULL;
}

void pl_progress_clear(FILE *out)
{
	fputs("\r\033[K", out);
	(void)fflush(out); /* a progress line: nothing to do if it cannot be shown */
}

void pl_progress_draw(pl_progress *p, const pl_engine *e, const char *state, FILE *out)
{
	double t = pl_engine_elapsed(e), dt = t - p->t;
	unsigned long long done = 0;
	double top = -1;
	const char *bottleneck = NULL;
	for (size_t i = 0; i < p->n; i++) {
		pl_node_stats s;
		pl_engine_node_stats(e, i, &s);
		if (s.type == PL_NODE_SINK)
			done += s.in;
		double load = dt > 0 && s.workers > 0
				      ? (s.busy - p->busy[i]) / (dt * (double)s.workers)
				      : 0.0;
		if (s.running > 0 && load > top) {
			top = load;
			bottleneck = s.name;
		}
		p->busy[i] = s.busy;
	}
	double rate = dt > 0 ? (double)(done - p->done) / dt : 0.0;
	char tail[96] = "";
	if (bottleneck != NULL && top >= 0.05)
		snprintf(tail, sizeof(tail), " | bottleneck: %.32s (%.0f%% busy)", bottleneck,
			 top > 1 ? 100.0 : 100.0 * top);
	fprintf(out, "\r\033[K%s %.1f s | %.0f msg/s at sinks | %llu done%s", state, t, rate, done,
		tail);
	(void)fflush(out);
	p->t = t;
	p->done = done;
}
