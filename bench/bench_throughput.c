/* bench_throughput.c - the throughput cases (chain, fanout, fanin) and the C rings beside the
 * chain. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cases.h"
#include "bench_table.h"
#include "bench_yaml.h"

enum { W_CAPI, W_E2E, W_GO, W_GO_SHARED, N_WAYS };
static const char *const way_names[N_WAYS] = { "capi", "e2e", "go", "go-shared" };

struct row {
	bench_shape s;
	size_t buf_i, payload_i; /* indexes into the options' lists */
	bench_samples way[N_WAYS];
};

/* The messages of a case at buffer `buf`. */
static unsigned long long case_n(const bench_opts *o, long buf)
{
	return buf == 1 ? o->n_buf1 : o->n;
}

/* One repetition of one way of a case. */
static bench_meas measure(const bench_opts *o, const struct row *row, int way, const char *capi,
			  const char *file)
{
	const bench_shape *s = &row->s;
	unsigned long long n = (unsigned long long)s->n;
	switch (way) {
	case W_CAPI:
		return bench_way_capi(
			capi, 0, n, s->topo == BENCH_FANOUT ? BENCH_CHECK_DOUBLED : BENCH_CHECK_SUM,
			NULL);
	case W_E2E:
		return bench_way_e2e(o->pipeline, o->run_args, o->n_run_args, file, n);
	default:
		return bench_way_go(o->go, s, way == W_GO_SHARED, o->nproc);
	}
}

/* Every repetition of every way of one case, the ways in turn, each
 * repetition starting with the next way. */
static void measure_case(const bench_opts *o, bench_log *log, struct row *row)
{
	const bench_shape *s = &row->s;
	char *capi = bench_yaml_capi(s), *e2e = bench_yaml_e2e(s);
	char name[128], file[PATH_MAX];
	snprintf(name, sizeof(name), "%s-w%d-b%ld-p%d.yaml", bench_topo_name(s->topo), s->workers,
		 s->buf, s->payload);
	if (capi == NULL || e2e == NULL ||
	    (o->pipeline != NULL && bench_yaml_write(o->tmpdir, name, e2e, file, sizeof(file)))) {
		bench_meas m = { .ok = 0 };
		snprintf(m.why, sizeof(m.why), "cannot generate the config %s", name);
		bench_log_meas(log, name, &m);
		bench_samples_add(&row->way[W_CAPI], &m);
		free(capi);
		free(e2e);
		return;
	}
	int ways[N_WAYS], nw = 0;
	ways[nw++] = W_CAPI;
	if (o->pipeline != NULL)
		ways[nw++] = W_E2E;
	if (o->go != NULL) {
		ways[nw++] = W_GO;
		if (s->topo != BENCH_CHAIN)
			ways[nw++] = W_GO_SHARED;
	}
	for (int rep = 0; rep < o->reps; rep++)
		for (int k = 0; k < nw; k++) {
			int w = ways[(rep + k) % nw];
			bench_meas m = measure(o, row, w, capi, file);
			char what[256];
			snprintf(what, sizeof(what),
				 "group=throughput case=%s workers=%d buf=%ld payload=%d n=%lld "
				 "way=%s rep=%d",
				 bench_topo_name(s->topo), s->workers, s->buf, s->payload, s->n,
				 way_names[w], rep + 1);
			bench_log_meas(log, what, &m);
			bench_samples_add(&row->way[w], &m);
		}
	free(capi);
	free(e2e);
}

/* One table: `ours` (W_CAPI or W_E2E) beside Go. */
static void print_table(const struct row *rows, size_t n_rows, int ours)
{
	printf("%-6s %2s %6s %7s %10s  %11s %8s  %11s %7s %8s  %11s %11s\n", "case", "N", "buffer",
	       "payload", "n", "ours msg/s", "ours MiB", "Go msg/s", "Go MiB", "ours/Go",
	       "Go shared", "ours/shared");
	for (size_t i = 0; i < n_rows; i++) {
		const struct row *r = &rows[i];
		char n[32], a[32], b[32], c[32], d[32], e[32], f[32], g[32];
		int chain = r->s.topo == BENCH_CHAIN;
		printf("%-6s %2d %6ld %7d %10s  %11s %8s  %11s %7s %8s  %11s %11s\n",
		       bench_topo_name(r->s.topo), r->s.workers, r->s.buf, r->s.payload,
		       bench_count(n, sizeof(n), (unsigned long long)r->s.n),
		       bench_cell_rate(a, sizeof(a), 11, &r->way[ours]),
		       bench_cell_mib(b, sizeof(b), 8, &r->way[ours]),
		       bench_cell_rate(c, sizeof(c), 11, &r->way[W_GO]),
		       bench_cell_mib(d, sizeof(d), 7, &r->way[W_GO]),
		       bench_cell_ratio(e, sizeof(e), 8, &r->way[ours], &r->way[W_GO]),
		       chain ? "-" : bench_cell_rate(f, sizeof(f), 11, &r->way[W_GO_SHARED]),
		       chain ? "-"
			     : bench_cell_ratio(g, sizeof(g), 11, &r->way[ours],
						&r->way[W_GO_SHARED]));
	}
}

void bench_group_throughput(const bench_opts *o, bench_log *log, bench_chain_rates *chain)
{
	static const bench_topo topos[] = { BENCH_CHAIN, BENCH_FANOUT, BENCH_FANIN };
	size_t max = (size_t)3 * BENCH_MAX_LIST * BENCH_MAX_LIST * BENCH_MAX_LIST, n_rows = 0;
	struct row *rows = calloc(max, sizeof(*rows));
	if (rows == NULL) {
		fprintf(stderr, "pl_bench: out of memory\n");
		log->failures++;
		return;
	}
	for (size_t t = 0; t < 3; t++) {
		size_t n_workers = topos[t] == BENCH_CHAIN ? 1 : o->n_workers;
		for (size_t wi = 0; wi < n_workers; wi++)
			for (size_t bi = 0; bi < o->n_buffers; bi++)
				for (size_t pi = 0; pi < o->n_payloads; pi++) {
					struct row *r = &rows[n_rows++];
					r->s = (bench_shape){
						.topo = topos[t],
						.n = (long long)case_n(o, o->buffers[bi]),
						.buf = o->buffers[bi],
						.workers = topos[t] == BENCH_CHAIN ? 1
										   : o->workers[wi],
						.payload = o->payloads[pi],
					};
					r->buf_i = bi;
					r->payload_i = pi;
					measure_case(o, log, r);
					if (topos[t] == BENCH_CHAIN)
						chain->capi[bi][pi] =
							r->way[W_CAPI].failed
								? 0
								: bench_rate(&r->way[W_CAPI]);
				}
	}
	char n1[32], n2[32];
	printf("\n== Throughput, C API: in-process, pl_load_text() + pl_engine_create/run/destroy "
	       "==\n");
	printf("Our side: the bench's own stages (bench_gen -> bench_double x N -> bench_sum, as "
	       "Go's goroutines), the count and sum checked; msg/s = n / pl_engine_run() time.\n");
	printf("n = %s messages (%s at buffer 1); medians of %d; peak RSS from wait4() of a forked "
	       "child, which starts with the %.1f MiB the driver has resident.\n\n",
	       bench_count(n1, sizeof(n1), o->n), bench_count(n2, sizeof(n2), o->n_buf1), o->reps,
	       (double)bench_vm_rss_kib() / 1024.0);
	print_table(rows, n_rows, W_CAPI);
	if (o->pipeline != NULL) {
		printf("\n== Throughput, end to end: `pipeline run FILE` ==\n");
		printf("Built-in stages: fixed (n/N each for a fan-in) -> upper x N -> null; the "
		       "sink's count checked in the summary; msg/s = n / the process's wall time "
		       "(Go's figures "
		       "are its own, without its process start).\n\n");
		print_table(rows, n_rows, W_E2E);
	}
	printf("\nGo: -merge forward runs a goroutine per worker (or generator) with its own "
	       "channel, merged by one forwarding goroutine each (the Go blog's fan-in); -merge "
	       "shared lets them send into one channel, as our fan-out's workers do (our fan-in "
	       "forwards, one thread per input).  GOMAXPROCS=%ld.%s\n",
	       o->nproc, o->go == NULL ? "  Go is absent from this run." : "");
	free(rows);
}

/* ---- The C rings. ---------------------------------------------------------- */

/* The index of `v` in `list`, or n when absent. */
static size_t index_of(const int *list, size_t n, int v)
{
	for (size_t i = 0; i < n; i++)
		if (list[i] == v)
			return i;
	return n;
}

/* Messages for the mutex ring at buffer 1. */
#define MUTEX_BUF1_N 50000ULL

void bench_group_rings(const bench_opts *o, bench_log *log, const bench_chain_rates *chain)
{
	if (o->ring_spsc == NULL && o->ring_mutex == NULL) {
		printf("\n== C rings: absent (no --ring-spsc, --ring-mutex) ==\n");
		return;
	}
	const char *rings[2] = { o->ring_spsc, o->ring_mutex };
	static const char *const names[2] = { "spsc", "mutex" };
	bench_samples s[BENCH_MAX_LIST][BENCH_MAX_LIST][2];
	memset(s, 0, sizeof(s));
	for (size_t bi = 0; bi < o->n_buffers; bi++)
		for (size_t pi = 0; pi < o->n_ring_payloads; pi++)
			for (int rep = 0; rep < o->reps; rep++)
				for (int k = 0; k < 2; k++) {
					int which = (rep + k) % 2;
					if (rings[which] == NULL)
						continue;
					long buf = o->buffers[bi];
					int payload = o->ring_payloads[pi];
					unsigned long long n = case_n(o, buf);
					/* The mutex ring sleeps and wakes through the
					 * kernel on every message at buffer 1 (about
					 * 20k msg/s): fewer messages, as its own
					 * run_rings.sh does. */
					if (which == 1 && buf == 1 && n > MUTEX_BUF1_N)
						n = MUTEX_BUF1_N;
					bench_meas m =
						bench_way_ring(rings[which], n, buf, payload);
					char what[160];
					snprintf(what, sizeof(what),
						 "group=rings case=chain buf=%ld payload=%d n=%llu "
						 "way=ring-%s rep=%d",
						 buf, payload, n, names[which], rep + 1);
					bench_log_meas(log, what, &m);
					bench_samples_add(&s[bi][pi][which], &m);
				}
	printf("\n== C rings (../shared/bench/c): one producer, one consumer thread, beside our "
	       "chain ==\n");
	printf("payload 0 passes an int64 by value; 8 and 64 a malloc'd block freed by the "
	       "consumer, as each of our messages is.  Medians of %d.  The mutex ring runs at "
	       "most %llu messages at buffer 1.\n\n",
	       o->reps, MUTEX_BUF1_N);
	printf("%6s %7s %10s  %11s %11s  %13s %9s\n", "buffer", "payload", "n", "SPSC msg/s",
	       "mutex msg/s", "ours (C API)", "ours/SPSC");
	for (size_t bi = 0; bi < o->n_buffers; bi++)
		for (size_t pi = 0; pi < o->n_ring_payloads; pi++) {
			char n[32], a[32], b[32], c[32], d[32];
			size_t ours_i = index_of(o->payloads, o->n_payloads, o->ring_payloads[pi]);
			double ours = ours_i < o->n_payloads ? chain->capi[bi][ours_i] : 0;
			double spsc = s[bi][pi][0].failed ? 0 : bench_rate(&s[bi][pi][0]);
			if (ours > 0)
				bench_fmt_rate(c, sizeof(c), 13, ours);
			else
				snprintf(c, sizeof(c), "%13s", "-");
			if (ours > 0 && spsc > 0)
				snprintf(d, sizeof(d), "%9.3g", ours / spsc);
			else
				snprintf(d, sizeof(d), "%9s", "-");
			printf("%6ld %7d %10s  %11s %11s  %13s %9s\n", o->buffers[bi],
			       o->ring_payloads[pi],
			       bench_count(n, sizeof(n), case_n(o, o->buffers[bi])),
			       bench_cell_rate(a, sizeof(a), 11, &s[bi][pi][0]),
			       bench_cell_rate(b, sizeof(b), 11, &s[bi][pi][1]), c, d);
		}
	/* The target: the chain at buffer 1024, against the lock-free ring. */
	size_t b1024 = o->n_buffers;
	for (size_t bi = 0; bi < o->n_buffers; bi++)
		if (o->buffers[bi] == 1024)
			b1024 = bi;
	if (b1024 == o->n_buffers || o->ring_spsc == NULL)
		return;
	size_t p0 = index_of(o->ring_payloads, o->n_ring_payloads, 0);
	double spsc0 = p0 < o->n_ring_payloads && !s[b1024][p0][0].failed
			       ? bench_rate(&s[b1024][p0][0])
			       : 0;
	printf("\n");
	/* The lock-free ring spins: on a busy machine its threads are descheduled
	 * mid-spin and it can fall below the mutex ring, which sleeps.  Say so
	 * rather than let a starved reference pass or fail a target. */
	int suspect = 0;
	for (size_t pi = 0; pi < o->n_ring_payloads; pi++)
		if (o->ring_mutex != NULL && bench_rate(&s[b1024][pi][0]) > 0 &&
		    bench_rate(&s[b1024][pi][0]) < bench_rate(&s[b1024][pi][1]))
			suspect = 1;
	if (suspect)
		printf("warning: at buffer 1024 the lock-free SPSC ring measured slower than the "
		       "mutex ring: it busy-waits, so it is starved when the machine is busy (see "
		       "the load average); its figures, and the target below, need a quiet "
		       "machine.\n");
	for (size_t pi = 0; pi < o->n_payloads; pi++) {
		size_t ri = index_of(o->ring_payloads, o->n_ring_payloads, o->payloads[pi]);
		double ours = chain->capi[b1024][pi];
		double spsc = ri < o->n_ring_payloads && !s[b1024][ri][0].failed
				      ? bench_rate(&s[b1024][ri][0])
				      : 0;
		int valid = ours > 0 && spsc > 0;
		char a[32], b[32], c[64] = "";
		if (spsc0 > 0 && ours > 0)
			snprintf(c, sizeof(c), " (against the ring at payload 0: %.3g)",
				 ours / spsc0);
		bench_target("chain, buffer 1024, payload %d, C API >= 0.5 x the SPSC ring at the "
			     "same payload: %s / %s = %.3g: %s%s%s",
			     o->payloads[pi], bench_fmt_rate(a, sizeof(a), 1, ours),
			     bench_fmt_rate(b, sizeof(b), 1, spsc), valid ? ours / spsc : 0.0,
			     bench_verdict(valid, valid && ours >= 0.5 * spsc), c,
			     suspect ? " [the ring was starved: see the warning]" : "");
	}
}
