/* bench_extra.c - the cases beyond throughput: CPU-bound and I/O-bound fan-outs, startup, flat
 * memory. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_cases.h"
#include "bench_proc.h"
#include "bench_table.h"
#include "bench_yaml.h"
#include "engine.h"

#define MB 1e6 /* the targets' megabytes */

/* Writes a config for `pipeline run` when there is a binary to run it;
 * returns 0, or -1 (counted as a failure). */
static int write_config(const bench_opts *o, bench_log *log, const char *name, const char *yaml,
			char *file, size_t len)
{
	if (o->pipeline == NULL)
		return 0;
	if (yaml != NULL && bench_yaml_write(o->tmpdir, name, yaml, file, len) == 0)
		return 0;
	bench_meas m = { .ok = 0 };
	snprintf(m.why, sizeof(m.why), "cannot write the config %s", name);
	bench_log_meas(log, name, &m);
	return -1;
}

/* ---- CPU-bound fan-out. ------------------------------------------------------ */

/* The size of the CPU-bound case's messages. */
#define CPU_SIZE 64

/* Microseconds per message of what the `hash` stage computes (the same
 * loop as stages/hash.c) over a CPU_SIZE-byte message, on this thread. */
static double hash_cost_us(long rounds)
{
	unsigned char msg[CPU_SIZE] = { 1 };
	volatile uint64_t keep = 0;
	long done = 0;
	double t0 = bench_now(), t;
	do {
		for (int k = 0; k < 100; k++, done++) {
			uint64_t h = 0xcbf29ce484222325u;
			for (long r = 0; r < rounds; r++)
				for (size_t i = 0; i < sizeof(msg); i++)
					h = (h ^ msg[i]) * 0x100000001b3u;
			keep ^= h;
			msg[0] = (unsigned char)h;
		}
		t = bench_now() - t0;
	} while (t < 0.05);
	(void)keep;
	return t / (double)done * 1e6;
}

void bench_group_cpu(const bench_opts *o, bench_log *log)
{
	char *yaml[2] = { bench_yaml_cpu((long long)o->cpu_n, CPU_SIZE, o->hash_rounds, 1),
			  bench_yaml_cpu((long long)o->cpu_n, CPU_SIZE, o->hash_rounds, 2) };
	char file[2][PATH_MAX] = { "", "" };
	bench_samples s[2][2]; /* [C API, e2e][1 worker, 2 workers] */
	memset(s, 0, sizeof(s));
	if (yaml[0] == NULL || yaml[1] == NULL ||
	    write_config(o, log, "cpu-w1.yaml", yaml[0], file[0], sizeof(file[0])) != 0 ||
	    write_config(o, log, "cpu-w2.yaml", yaml[1], file[1], sizeof(file[1])) != 0) {
		log->failures += yaml[0] == NULL || yaml[1] == NULL;
		free(yaml[0]);
		free(yaml[1]);
		return;
	}
	double cost = hash_cost_us(o->hash_rounds);
	int ways = o->pipeline != NULL ? 4 : 2; /* (way / 2, way % 2): C API or e2e, 1 or 2 */
	for (int rep = 0; rep < o->reps; rep++)
		for (int k = 0; k < ways; k++) {
			int w = (rep + k) % ways, e2e = w / 2, workers = w % 2;
			bench_meas m = e2e ? bench_way_e2e(o->pipeline, o->run_args, o->n_run_args,
							   file[workers], o->cpu_n)
					   : bench_way_capi(yaml[workers], 0, o->cpu_n,
							    BENCH_CHECK_COUNT, NULL);
			char what[160];
			snprintf(what, sizeof(what),
				 "group=cpu case=hash rounds=%ld payload=%d workers=%d n=%llu "
				 "way=%s "
				 "rep=%d",
				 o->hash_rounds, CPU_SIZE, workers + 1, o->cpu_n,
				 e2e ? "e2e" : "capi", rep + 1);
			bench_log_meas(log, what, &m);
			bench_samples_add(&s[e2e][workers], &m);
		}
	free(yaml[0]);
	free(yaml[1]);
	double cost_after = hash_cost_us(o->hash_rounds);
	char n[32];
	printf("\n== CPU-bound fan-out: fixed (%d-byte messages) -> hash (rounds: %ld) x W -> "
	       "null, "
	       "n = %s ==\n",
	       CPU_SIZE, o->hash_rounds, bench_count(n, sizeof(n), o->cpu_n));
	printf("One message costs %.1f us of hashing (measured in this process, one thread: "
	       "%.1f before the runs, %.1f after).  Medians of %d; %ld cores.\n",
	       (cost + cost_after) / 2, cost, cost_after, o->reps, o->nproc);
	/* The same work taking longer means this process got less of a core:
	 * something else runs, and the speed-up below is measured on less than
	 * 2 cores. */
	if (cost_after > 1.2 * cost || cost > 1.2 * cost_after)
		printf("warning: the hashing cost changed by more than 20%% during the runs: the "
		       "machine is busy, and the speed-up says little.\n");
	printf("\n");
	printf("%-22s %14s %14s %9s\n", "way", "1 worker msg/s", "2 workers", "speed-up");
	static const char *const labels[2] = { "C API", "end to end" };
	for (int e2e = 0; e2e < (o->pipeline != NULL ? 2 : 1); e2e++) {
		char a[32], b[32], c[32];
		printf("%-22s %14s %14s %9s\n", labels[e2e],
		       bench_cell_rate(a, sizeof(a), 14, &s[e2e][0]),
		       bench_cell_rate(b, sizeof(b), 14, &s[e2e][1]),
		       bench_cell_ratio(c, sizeof(c), 9, &s[e2e][1], &s[e2e][0]));
	}
	printf("\n");
	for (int e2e = 0; e2e < (o->pipeline != NULL ? 2 : 1); e2e++) {
		double one = bench_rate(&s[e2e][0]), two = bench_rate(&s[e2e][1]);
		int valid = o->nproc >= 2 && one > 0 && two > 0 && !s[e2e][0].failed &&
			    !s[e2e][1].failed;
		bench_target("CPU-bound fan-out, %s: 2 workers / 1 worker >= 1.8 (on %ld cores): "
			     "%.2f: %s",
			     labels[e2e], o->nproc, one > 0 ? two / one : 0.0,
			     bench_verdict(valid, valid && two >= 1.8 * one));
	}
}

/* ---- I/O-bound fan-out. ------------------------------------------------------ */

void bench_group_io(const bench_opts *o, bench_log *log)
{
	char *yaml = bench_yaml_io((long long)o->io_n, o->io_ms, o->io_workers);
	char file[PATH_MAX] = "";
	if (yaml == NULL || write_config(o, log, "io.yaml", yaml, file, sizeof(file)) != 0) {
		log->failures += yaml == NULL;
		free(yaml);
		return;
	}
	/* C API with the stack size asked, C API with the default, end to end. */
	size_t stacks[2] = { o->io_stack, 0 };
	bench_samples s[3];
	memset(s, 0, sizeof(s));
	double steps[2][4][BENCH_MAX_REPS]; /* per C API way: load, create, run, destroy */
	int n_steps[2] = { 0, 0 };
	int ways = o->pipeline != NULL ? 3 : 2;
	for (int rep = 0; rep < o->reps; rep++)
		for (int k = 0; k < ways; k++) {
			int w = (rep + k) % ways;
			bench_meas m;
			if (w < 2) {
				bench_capi_report r;
				m = bench_way_capi(yaml, stacks[w], o->io_n, BENCH_CHECK_COUNT, &r);
				/* The wall time in-process: load, create, run, destroy. */
				m.seconds = r.total;
				m.rate = m.ok && r.total > 0 ? (double)o->io_n / r.total : 0;
				if (m.ok && n_steps[w] < BENCH_MAX_REPS) {
					steps[w][0][n_steps[w]] = r.load;
					steps[w][1][n_steps[w]] = r.create;
					steps[w][2][n_steps[w]] = r.run;
					steps[w][3][n_steps[w]++] = r.destroy;
				}
			} else
				m = bench_way_e2e(o->pipeline, o->run_args, o->n_run_args, file,
						  o->io_n);
			char what[192];
			snprintf(
				what, sizeof(what),
				"group=io case=delay ms=%ld workers=%d n=%llu way=%s stack_kib=%zu "
				"rep=%d",
				o->io_ms, o->io_workers, o->io_n, w < 2 ? "capi" : "e2e",
				w < 2 ? (stacks[w] ? stacks[w] : PL_DEFAULT_STACK_SIZE) / 1024 : 0,
				rep + 1);
			bench_log_meas(log, what, &m);
			bench_samples_add(&s[w], &m);
		}
	free(yaml);
	char n[32];
	printf("\n== I/O-bound fan-out: fixed -> delay (ms: %ld) x %d workers -> null, n = %s ==\n",
	       o->io_ms, o->io_workers, bench_count(n, sizeof(n), o->io_n));
	printf("C API: wall = pl_load_text() to pl_engine_destroy(); end to end: the process.  "
	       "Medians of %d.\n\n",
	       o->reps);
	printf("%-34s %8s %14s\n", "way", "wall s", "peak RSS MiB");
	char labels[3][96];
	snprintf(labels[0], sizeof(labels[0]), "C API, %zu KiB stacks", o->io_stack / 1024);
	snprintf(labels[1], sizeof(labels[1]), "C API, default stacks (%zu KiB)",
		 PL_DEFAULT_STACK_SIZE / 1024);
	snprintf(labels[2], sizeof(labels[2]), "pipeline run%s",
		 o->n_run_args ? " + --run-args" : "");
	for (int w = 0; w < ways; w++) {
		char a[32];
		if (s[w].failed || s[w].n == 0)
			printf("%-34s %8s %14s\n", labels[w], "FAILED", "FAILED");
		else
			printf("%-34s %8.3f %14s\n", labels[w], bench_seconds(&s[w]),
			       bench_cell_mib(a, sizeof(a), 14, &s[w]));
	}
	for (int w = 0; w < 2; w++)
		if (n_steps[w] > 0)
			printf("%s, steps (ms): load %.1f, create %.1f, run %.1f, destroy %.1f\n",
			       labels[w], bench_median(steps[w][0], n_steps[w]) * 1e3,
			       bench_median(steps[w][1], n_steps[w]) * 1e3,
			       bench_median(steps[w][2], n_steps[w]) * 1e3,
			       bench_median(steps[w][3], n_steps[w]) * 1e3);
	printf("\n");
	for (int w = 0; w < ways; w++) {
		int valid = !s[w].failed && s[w].n > 0;
		double secs = bench_seconds(&s[w]), bytes = bench_rss_mib(&s[w]) * 1048576.0;
		bench_target("I/O-bound fan-out, %s: wall %.3f s < 1.5 s: %s; peak RSS %.0f MB < "
			     "200 MB: %s",
			     labels[w], secs, bench_verdict(valid, secs < 1.5), bytes / MB,
			     bench_verdict(valid, bytes < 200 * MB));
	}
	if (o->pipeline != NULL && o->n_run_args == 0)
		printf("(`pipeline run` used its default worker stack size, %zu KiB; "
		       "--run-args \"--stack-size 64KiB\" sets it.)\n",
		       PL_DEFAULT_STACK_SIZE / 1024);
}

/* ---- Startup. ------------------------------------------------------------------ */

void bench_group_startup(const bench_opts *o, bench_log *log)
{
	char *yaml = bench_yaml_startup(o->startup_nodes);
	char file[PATH_MAX] = "";
	if (yaml == NULL || write_config(o, log, "startup.yaml", yaml, file, sizeof(file)) != 0) {
		log->failures += yaml == NULL;
		free(yaml);
		return;
	}
	bench_samples s[2];
	memset(s, 0, sizeof(s));
	double steps[4][BENCH_MAX_REPS]; /* C API: load, create, run, destroy */
	int n_steps = 0;
	int ways = o->pipeline != NULL ? 2 : 1;
	for (int rep = 0; rep < o->startup_reps; rep++)
		for (int k = 0; k < ways; k++) {
			int w = (rep + k) % ways;
			bench_meas m;
			if (w == 0) {
				bench_capi_report r;
				m = bench_way_capi(yaml, 0, 1, BENCH_CHECK_COUNT, &r);
				m.seconds = r.total;
				m.rate = m.ok && r.total > 0 ? 1 / r.total : 0;
				if (m.ok && n_steps < BENCH_MAX_REPS) {
					steps[0][n_steps] = r.load;
					steps[1][n_steps] = r.create;
					steps[2][n_steps] = r.run;
					steps[3][n_steps++] = r.destroy;
				}
			} else
				m = bench_way_e2e(o->pipeline, o->run_args, o->n_run_args, file, 1);
			char what[128];
			snprintf(what, sizeof(what), "group=startup nodes=%d n=1 way=%s rep=%d",
				 o->startup_nodes, w == 0 ? "capi" : "e2e", rep + 1);
			bench_log_meas(log, what, &m);
			bench_samples_add(&s[w], &m);
		}
	free(yaml);
	printf("\n== Startup: %d nodes in a chain (fixed, 1 message -> %d x upper -> null) ==\n",
	       o->startup_nodes, o->startup_nodes - 2);
	printf("Medians of %d.\n\n", o->startup_reps);
	static const char *const labels[2] = { "C API: load+create+run+destroy",
					       "pipeline run: process start to exit" };
	printf("%-38s %8s %14s\n", "way", "ms", "peak RSS MiB");
	for (int w = 0; w < ways; w++) {
		char a[32];
		if (s[w].failed || s[w].n == 0)
			printf("%-38s %8s %14s\n", labels[w], "FAILED", "FAILED");
		else
			printf("%-38s %8.1f %14s\n", labels[w], bench_seconds(&s[w]) * 1e3,
			       bench_cell_mib(a, sizeof(a), 14, &s[w]));
	}
	if (n_steps > 0)
		printf("C API steps (ms): load %.1f, create %.1f, run %.1f, destroy %.1f\n",
		       bench_median(steps[0], n_steps) * 1e3, bench_median(steps[1], n_steps) * 1e3,
		       bench_median(steps[2], n_steps) * 1e3,
		       bench_median(steps[3], n_steps) * 1e3);
	printf("\n");
	for (int w = 0; w < ways; w++) {
		int valid = !s[w].failed && s[w].n > 0;
		double ms = bench_seconds(&s[w]) * 1e3;
		bench_target("startup of %d nodes, %s: %.1f ms < 100 ms: %s", o->startup_nodes,
			     labels[w], ms, bench_verdict(valid, ms < 100));
	}
}

/* ---- Memory. ---------------------------------------------------------------------- */

void bench_group_memory(const bench_opts *o, bench_log *log)
{
	bench_shape shape = { .topo = BENCH_CHAIN, .buf = 1024, .workers = 1, .payload = 64 };
	unsigned long long at[2] = { o->memory_small, o->memory_big };
	bench_meas m[2] = { { .ok = 0 }, { .ok = 0 } };
	long base[2] = { 0, 0 };
	for (int i = 0; i < 2 && at[i] > 0; i++) {
		shape.n = (long long)at[i];
		char *yaml = bench_yaml_capi(&shape);
		if (yaml == NULL) {
			log->failures++;
			return;
		}
		bench_capi_report r;
		m[i] = bench_way_capi(yaml, 0, at[i], BENCH_CHECK_SUM, &r);
		base[i] = r.base_rss_kib;
		free(yaml);
		char what[128];
		snprintf(what, sizeof(what),
			 "group=memory case=chain buf=1024 payload=64 n=%llu way=capi rep=1",
			 at[i]);
		bench_log_meas(log, what, &m[i]);
	}
	printf("\n== Memory: C API chain, buffer 1024, 64-byte messages (bench_gen -> bench_sum) "
	       "==\n\n");
	printf("%12s %11s %14s %22s\n", "messages", "msg/s", "peak RSS MiB",
	       "of which at fork MiB");
	for (int i = 0; i < 2; i++) {
		char n[32], a[32];
		if (at[i] == 0)
			printf("%12s %11s %14s %22s\n", "100,000,000", "skipped", "-", "-");
		else if (!m[i].ok)
			printf("%12s %11s %14s %22s\n", bench_count(n, sizeof(n), at[i]), "FAILED",
			       "FAILED", "-");
		else
			printf("%12s %11s %14.2f %22.2f\n", bench_count(n, sizeof(n), at[i]),
			       bench_fmt_rate(a, sizeof(a), 11, m[i].rate),
			       (double)m[i].maxrss_kib / 1024.0, (double)base[i] / 1024.0);
	}
	printf("\n");
	int valid = at[1] > 0 && m[0].ok && m[1].ok && m[0].maxrss_kib > 0;
	double ratio = valid ? (double)m[1].maxrss_kib / (double)m[0].maxrss_kib : 0;
	char a[32], b[32];
	bench_target("memory flat, peak RSS after %s / after %s messages <= 1.10: %.3f: %s%s",
		     bench_count(a, sizeof(a), o->memory_big ? o->memory_big : 100000000ULL),
		     bench_count(b, sizeof(b), o->memory_small), ratio,
		     bench_verdict(valid, ratio <= 1.10),
		     at[1] == 0 ? " (the long run was skipped)" : "");
}
