/* bench_ways.c - the ways a case is measured: in-process (C API), `pipeline run`, Go, the C rings.
 */
#include "bench_ways.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_kv.h"
#include "bench_proc.h"
#include "bench_stages.h"

/* Marks `m` failed, with why (printf format). */
__attribute__((format(printf, 2, 3))) static void fail(bench_meas *m, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	(void)vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	m->ok = 0;
}

/* Fills `m` from a finished child; 0 when it ran and exited 0. */
static int from_proc(bench_meas *m, int started, const bench_proc *p)
{
	m->maxrss_kib = p->maxrss_kib;
	if (started != 0) {
		fail(m, "could not start a child process");
		return -1;
	}
	if (p->status != 0) {
		char why[384];
		bench_proc_why(p, why, sizeof(why));
		fail(m, "%s", why);
		return -1;
	}
	return 0;
}

bench_meas bench_way_capi(const char *yaml, size_t stack_size, unsigned long long n,
			  enum bench_check check, bench_capi_report *rep)
{
	bench_meas m = { .ok = 1 };
	bench_capi_job job = { .yaml = yaml, .stack_size = stack_size };
	bench_proc p;
	int started = bench_proc_fork(bench_capi_child, &job, &p);
	bench_capi_report r = { 0 };
	if (from_proc(&m, started, &p) == 0) {
		if (bench_capi_parse(p.out, &r) != 0)
			fail(&m, "no report from the child: '%.200s'", p.out);
		else if (r.sink_in != n)
			fail(&m, "the sink received %llu messages, not %llu", r.sink_in, n);
		else if (check != BENCH_CHECK_COUNT) {
			uint64_t want = bench_expected_sum(n, check == BENCH_CHECK_DOUBLED);
			if (r.count != n || r.sum != want)
				fail(&m,
				     "CHECKSUM WRONG: count=%llu sum=%llu, want count=%llu "
				     "sum=%llu",
				     r.count, r.sum, n, (unsigned long long)want);
		}
	}
	bench_proc_clear(&p);
	m.has_steps = m.ok;
	m.load = r.load;
	m.create = r.create;
	m.run = r.run;
	m.destroy = r.destroy;
	m.seconds = r.run;
	m.rate = m.ok && r.run > 0 ? (double)n / r.run : 0;
	if (rep != NULL)
		*rep = r;
	return m;
}

bench_meas bench_way_e2e(const char *pipeline, char *const *run_args, size_t n_run_args,
			 const char *file, unsigned long long n)
{
	bench_meas m = { .ok = 1 };
	char **argv = calloc(n_run_args + 4, sizeof(*argv));
	if (argv == NULL) {
		fail(&m, "out of memory");
		return m;
	}
	size_t k = 0;
	argv[k++] = (char *)pipeline; /* (execvp() does not write them) */
	argv[k++] = "run";
	for (size_t i = 0; i < n_run_args; i++)
		argv[k++] = run_args[i];
	argv[k++] = (char *)file;
	argv[k] = NULL;
	/* The plugins of the default directory only, as users run it. */
	char *env[] = { "PIPELINE_PLUGIN_PATH=", NULL };
	bench_proc p;
	int started = bench_proc_exec(argv, env, &p);
	free(argv);
	if (from_proc(&m, started, &p) == 0) {
		unsigned long long got;
		if (bench_summary_in(p.err, "sink", &got) != 0)
			fail(&m, "no row for the node 'sink' in the summary");
		else if (got != n)
			fail(&m, "the sink received %llu messages, not %llu", got, n);
	}
	m.seconds = p.wall;
	m.rate = m.ok && p.wall > 0 ? (double)n / p.wall : 0;
	bench_proc_clear(&p);
	return m;
}

/* Reads msgs_per_sec= and seconds= of a reference's report, which must say
 * checksum_ok=true. */
static void reference_figures(bench_meas *m, const bench_proc *p)
{
	if (!bench_kv_is(p->out, "checksum_ok", "true"))
		fail(m, "CHECKSUM WRONG (no checksum_ok=true): '%.300s'", p->out);
	else if (bench_kv_double(p->out, "msgs_per_sec", &m->rate) != 0 ||
		 bench_kv_double(p->out, "seconds", &m->seconds) != 0)
		fail(m, "no msgs_per_sec= or seconds= in '%.300s'", p->out);
}

bench_meas bench_way_go(const char *go, const bench_shape *s, int shared, long nproc)
{
	bench_meas m = { .ok = 1 };
	char n[32], buf[32], workers[32], payload[32], procs[48];
	snprintf(n, sizeof(n), "%lld", s->n);
	snprintf(buf, sizeof(buf), "%ld", s->buf);
	snprintf(workers, sizeof(workers), "%d", s->workers);
	snprintf(payload, sizeof(payload), "%d", s->payload);
	snprintf(procs, sizeof(procs), "GOMAXPROCS=%ld", nproc);
	char *argv[] = { (char *)go,
			 "-topology",
			 (char *)bench_topo_name(s->topo),
			 "-n",
			 n,
			 "-buf",
			 buf,
			 "-workers",
			 workers,
			 "-payload",
			 payload,
			 "-merge",
			 shared ? "shared" : "forward",
			 NULL };
	char *env[] = { procs, NULL };
	bench_proc p;
	int started = bench_proc_exec(argv, env, &p);
	if (from_proc(&m, started, &p) == 0)
		reference_figures(&m, &p);
	bench_proc_clear(&p);
	return m;
}

bench_meas bench_way_ring(const char *ring, unsigned long long n, long buf, int payload)
{
	bench_meas m = { .ok = 1 };
	char sn[32], sbuf[32], spayload[32];
	snprintf(sn, sizeof(sn), "%llu", n);
	snprintf(sbuf, sizeof(sbuf), "%ld", buf);
	snprintf(spayload, sizeof(spayload), "%d", payload);
	char *argv[] = { (char *)ring, sn, sbuf, spayload, NULL };
	bench_proc p;
	int started = bench_proc_exec(argv, NULL, &p);
	if (from_proc(&m, started, &p) == 0)
		reference_figures(&m, &p);
	bench_proc_clear(&p);
	return m;
}

void bench_log_meas(bench_log *log, const char *what, const bench_meas *m)
{
	log->runs++;
	double t = bench_now() - log->t0;
	if (!m->ok) {
		log->failures++;
		fprintf(stderr, "[%4d %6.1fs] %s\npl_bench: *** FAILED: %s ***\n", log->runs, t,
			what, m->why);
	} else {
		fprintf(stderr, "[%4d %6.1fs] %s: %.0f msg/s in %.3f s, peak RSS %.1f MiB\n",
			log->runs, t, what, m->rate, m->seconds, (double)m->maxrss_kib / 1024.0);
		if (m->has_steps)
			fprintf(stderr,
				"             load %.1f ms, create %.1f ms, run %.1f ms, destroy "
				"%.1f ms\n",
				m->load * 1e3, m->create * 1e3, m->run * 1e3, m->destroy * 1e3);
	}
	if (log->raw != NULL) {
		fprintf(log->raw, "%s ok=%d seconds=%.6f msgs_per_sec=%.0f maxrss_kib=%ld", what,
			m->ok, m->seconds, m->rate, m->maxrss_kib);
		if (m->has_steps)
			fprintf(log->raw, " load_s=%.6f create_s=%.6f run_s=%.6f destroy_s=%.6f",
				m->load, m->create, m->run, m->destroy);
		if (!m->ok) {
			/* One line: the reason with its spaces kept, quoted last. */
			fprintf(log->raw, " why=\"");
			for (const char *c = m->why; *c; c++)
				fputc(*c == '\n' || *c == '"' ? '\'' : *c, log->raw);
			fputc('"', log->raw);
		}
		fputc('\n', log->raw);
		(void)fflush(
			log->raw); /* each line as it comes; a benchmark fails only on its runs */
	}
}
