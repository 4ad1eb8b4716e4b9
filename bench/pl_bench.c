/* pl_bench.c - issue 7's benchmark suite: our engine beside Go's channels and two C rings, in one
 * run. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "bench_cases.h"
#include "bench_proc.h"
#include "bench_table.h"

#ifndef PL_BENCH_PIPELINE
#define PL_BENCH_PIPELINE NULL
#endif

enum {
	G_THROUGHPUT = 1 << 0,
	G_RINGS = 1 << 1,
	G_CPU = 1 << 2,
	G_IO = 1 << 3,
	G_STARTUP = 1 << 4,
	G_MEMORY = 1 << 5,
	G_ALL = (1 << 6) - 1,
};
static const char *const group_names[] = {
	"throughput", "rings", "startup", "cpu", "io", "memory"
};
static const unsigned group_bits[] = { G_THROUGHPUT, G_RINGS, G_STARTUP, G_CPU, G_IO, G_MEMORY };

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: pl_bench [--quick] [--reps N] [--n N] [--n-buf1 N] [--raw FILE]\n"
		"                [--pipeline FILE | --no-e2e] [--go FILE | --no-go]\n"
		"                [--ring-spsc FILE] [--ring-mutex FILE] [--run-args \"ARGS\"]\n"
		"                [--only GROUP,...] [--hash-rounds R] [--cpu-n N] [--io-stack "
		"KIB]\n"
		"                [--memory-n N] [--startup-reps N]\n"
		"Runs issue 7's cases (chain, fanout, fanin over buffers 1/64/1024, payloads "
		"8/64,\n"
		"N 2/4; CPU-bound and I/O-bound fan-outs; a 1,000-node startup; memory over 100M\n"
		"messages) in-process through the C API and end to end through `pipeline run`,\n"
		"beside Go's pipeline_bench and the C rings of ../shared/bench, alternating, each\n"
		"run in a child process, and prints medians, ratios and the issue's targets.\n"
		"bench/run.sh builds everything and runs it; bench/README.md explains the cases.\n"
		"\n"
		"  --quick            a smoke of about a minute: fewer cases and messages, 1 rep,\n"
		"                     no 100M memory run\n"
		"  --reps N           repetitions of each measurement (default 3; medians)\n"
		"  --n N              messages per throughput case (default 5,000,000)\n"
		"  --n-buf1 N         ... at buffer 1, where every hand-off blocks (default "
		"n/10)\n"
		"  --raw FILE         one key=value line per measurement\n"
		"  --pipeline FILE    the release binary for the end-to-end runs (default: the "
		"one\n"
		"                     built beside pl_bench); --no-e2e: none\n"
		"  --go FILE          Go's pipeline_bench, built from ../shared/bench/go; --no-go\n"
		"  --ring-spsc FILE, --ring-mutex FILE   the C rings, built from "
		"../shared/bench/c\n"
		"  --run-args \"ARGS\"  more arguments of every `pipeline run` (split at spaces),\n"
		"                     e.g. a worker stack size option\n"
		"  --only LIST        groups to run: throughput,rings,cpu,io,startup,memory\n"
		"                     (rings takes its `ours` column from throughput)\n"
		"  --hash-rounds R    the CPU-bound case's hash rounds (default 200)\n"
		"  --cpu-n N          messages of the CPU-bound case (default 100,000)\n"
		"  --io-stack KIB     worker stack of the I/O-bound case's C API run (default 64)\n"
		"  --memory-n N       the long memory run (default 100,000,000; 0: skip it)\n"
		"  --startup-reps N   repetitions of the startup case (default 5)\n"
		"A benchmark: it prints figures and exits 1 only when a run fails or a checksum "
		"is\n"
		"wrong, never because of a time; 2 on bad usage.\n");
	exit(code); /* NOLINT(concurrency-mt-unsafe): parsing the arguments, one thread */
}

static unsigned long long parse_count(const char *opt, const char *s, unsigned long long min,
				      unsigned long long max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr, "pl_bench: %s wants an integer in [%llu, %llu], got '%s'\n", opt,
			min, max, s);
		exit(2); /* NOLINT(concurrency-mt-unsafe): parsing the arguments, one thread */
	}
	return v;
}

static unsigned parse_groups(const char *s)
{
	unsigned g = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t != NULL;
	     t = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < sizeof(group_bits) / sizeof(group_bits[0]) &&
		       strcmp(t, group_names[i]) != 0)
			i++;
		if (i == sizeof(group_bits) / sizeof(group_bits[0])) {
			fprintf(stderr, "pl_bench: --only: no group '%s'\n", t);
			usage(2);
		}
		g |= group_bits[i];
	}
	return g;
}

/* Splits `s` at spaces into a NULL-terminated vector *v of *n strings,
 * which all live in *buf.  Ownership: the caller frees *v and *buf. */
static void split_args(const char *s, char ***v, size_t *n, char **buf)
{
	*n = 0;
	*buf = strdup(s);
	*v = calloc(strlen(s) / 2 + 2, sizeof(**v));
	if (*buf == NULL || *v == NULL) {
		fprintf(stderr, "pl_bench: out of memory\n");
		exit(1); /* NOLINT(concurrency-mt-unsafe): parsing the arguments, one thread */
	}
	for (char *save = NULL, *t = strtok_r(*buf, " \t", &save); t != NULL;
	     t = strtok_r(NULL, " \t", &save))
		(*v)[(*n)++] = t;
}

struct args {
	bench_opts o;
	unsigned groups;
	const char *raw;
	const char *run_args;
	char **run_argv, *run_args_buf; /* run_args split: o.run_args */
	int quick;
};

static void parse_args(int argc, char **argv, struct args *a)
{
	bench_opts *o = &a->o;
	unsigned long long n = 0, n_buf1 = 0, cpu_n = 0, memory_n = ULLONG_MAX, io_stack = 64;
	int reps = 0, startup_reps = 0;
	a->groups = G_ALL;
	o->pipeline = PL_BENCH_PIPELINE;
	o->hash_rounds = 200;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i];
		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0)
			usage(0);
		if (strcmp(opt, "--quick") == 0) {
			a->quick = 1;
			continue;
		}
		if (strcmp(opt, "--no-go") == 0) {
			o->go = NULL;
			continue;
		}
		if (strcmp(opt, "--no-e2e") == 0) {
			o->pipeline = NULL;
			continue;
		}
		if (i + 1 >= argc)
			usage(2);
		const char *v = argv[++i];
		if (strcmp(opt, "--reps") == 0)
			reps = (int)parse_count(opt, v, 1, BENCH_MAX_REPS);
		else if (strcmp(opt, "--n") == 0)
			n = parse_count(opt, v, 1, 1ULL << 40);
		else if (strcmp(opt, "--n-buf1") == 0)
			n_buf1 = parse_count(opt, v, 1, 1ULL << 40);
		else if (strcmp(opt, "--raw") == 0)
			a->raw = v;
		else if (strcmp(opt, "--pipeline") == 0)
			o->pipeline = v;
		else if (strcmp(opt, "--go") == 0)
			o->go = v;
		else if (strcmp(opt, "--ring-spsc") == 0)
			o->ring_spsc = v;
		else if (strcmp(opt, "--ring-mutex") == 0)
			o->ring_mutex = v;
		else if (strcmp(opt, "--run-args") == 0)
			a->run_args = v;
		else if (strcmp(opt, "--only") == 0)
			a->groups = parse_groups(v);
		else if (strcmp(opt, "--hash-rounds") == 0)
			o->hash_rounds = (long)parse_count(opt, v, 1, 1000000);
		else if (strcmp(opt, "--cpu-n") == 0)
			cpu_n = parse_count(opt, v, 1, 1ULL << 40);
		else if (strcmp(opt, "--io-stack") == 0)
			io_stack = parse_count(opt, v, 16, 1 << 20);
		else if (strcmp(opt, "--memory-n") == 0)
			memory_n = parse_count(opt, v, 0, 1ULL << 40);
		else if (strcmp(opt, "--startup-reps") == 0)
			startup_reps = (int)parse_count(opt, v, 1, BENCH_MAX_REPS);
		else {
			fprintf(stderr, "pl_bench: unknown option '%s'\n", opt);
			usage(2);
		}
	}
	/* What was not given: the full run's defaults, or the smoke's. */
	int q = a->quick;
	o->reps = reps ? reps : q ? 1 : 3;
	o->n = n ? n : q ? 200000 : 5000000;
	o->n_buf1 = n_buf1 ? n_buf1 : o->n / 10 ? o->n / 10 : 1;
	static const long buffers[] = { 1, 64, 1024 };
	memcpy(o->buffers, buffers, sizeof(buffers));
	o->n_buffers = 3;
	o->payloads[0] = 8;
	o->payloads[1] = 64;
	o->n_payloads = 2;
	o->workers[0] = 2;
	o->workers[1] = 4;
	o->n_workers = 2;
	static const int ring_payloads[] = { 0, 8, 64 };
	memcpy(o->ring_payloads, ring_payloads, sizeof(ring_payloads));
	o->n_ring_payloads = 3;
	if (q) { /* payload 64 only (and the rings' payload 0) */
		o->payloads[0] = 64;
		o->n_payloads = 1;
		o->ring_payloads[1] = 64;
		o->n_ring_payloads = 2;
	}
	o->cpu_n = cpu_n ? cpu_n : q ? 20000 : 100000;
	o->io_n = 10000;
	o->io_ms = 100;
	o->io_workers = 10000;
	o->io_stack = (size_t)io_stack * 1024;
	o->startup_nodes = 1000;
	o->startup_reps = startup_reps ? startup_reps : q ? 3 : 5;
	o->memory_small = 1000000;
	o->memory_big = memory_n != ULLONG_MAX ? memory_n : q ? 0 : 100000000;
	if (a->run_args != NULL) {
		split_args(a->run_args, &a->run_argv, &o->n_run_args, &a->run_args_buf);
		o->run_args = a->run_argv;
	}
	o->nproc = sysconf(_SC_NPROCESSORS_ONLN);
}

/* The first line of `path` that starts with `key`, from its ':' on, into buf. */
static void proc_field(const char *path, const char *key, char *buf, size_t len)
{
	snprintf(buf, len, "unknown");
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, strlen(key)) != 0)
			continue;
		const char *colon = strchr(line, ':');
		const char *v = colon ? colon + 1 : line;
		v += strspn(v, " \t");
		snprintf(buf, len, "%s", v);
		buf[strcspn(buf, "\n")] = '\0';
		break;
	}
	(void)fclose(f); /* read only */
}

static void print_header(int argc, char **argv, const struct args *a)
{
	const bench_opts *o = &a->o;
	char model[256], load[128], n1[32], n2[32];
	struct utsname u;
	proc_field("/proc/cpuinfo", "model name", model, sizeof(model));
	proc_field("/proc/loadavg", "", load, sizeof(load));
	printf("pl_bench: issue 7's benchmark suite\n");
	printf("machine: %ld cores (online), %s\n", o->nproc, model);
	if (uname(&u) == 0)
		printf("kernel: %s %s %s %s\n", u.sysname, u.release, u.version, u.machine);
	printf("load average at start: %s\n", load);
	printf("command:");
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\npipeline (end to end): %s%s%s\n", o->pipeline ? o->pipeline : "absent",
	       a->run_args ? ", run with " : "", a->run_args ? a->run_args : "");
	printf("Go reference: %s\n",
	       o->go ? o->go : "absent (to compare against Go: apt-get install golang-go)");
	printf("C rings: %s, %s\n", o->ring_spsc ? o->ring_spsc : "SPSC absent",
	       o->ring_mutex ? o->ring_mutex : "mutex absent");
	printf("reps: %d (medians), n: %s per throughput case (%s at buffer 1)%s\n", o->reps,
	       bench_count(n1, sizeof(n1), o->n), bench_count(n2, sizeof(n2), o->n_buf1),
	       a->quick ? ", --quick: fewer cases and messages, figures only indicative" : "");
	printf("Figures are noisy on a shared machine: compare the ratios within one run.\n");
	(void)fflush(stdout);
}

/* Removes the configs written into `dir`, and `dir`. */
static void remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (d != NULL) {
		const struct dirent *e;
		while ((e = readdir(d)) != NULL) { /* NOLINT(concurrency-mt-unsafe): one thread */
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			(void)unlink(path); /* (a leftover in /tmp at worst) */
		}
		(void)closedir(d);
	}
	(void)rmdir(dir);
}

/* Is `path` a file this process may execute? */
static int executable(const char *path)
{
	return path != NULL && access(path, X_OK) == 0;
}

/* Runs the groups asked for; returns the exit code. */
static int run(int argc, char **argv, struct args *a)
{
	bench_opts *o = &a->o;
	/* A reference that cannot be run is absent, and said so; our binary must run. */
	if (o->pipeline != NULL && !executable(o->pipeline)) {
		fprintf(stderr, "pl_bench: cannot execute the pipeline binary %s\n", o->pipeline);
		return 2;
	}
	const char **refs[] = { &o->go, &o->ring_spsc, &o->ring_mutex };
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++)
		if (*refs[i] != NULL && !executable(*refs[i])) {
			fprintf(stderr, "pl_bench: cannot execute %s: that reference is absent\n",
				*refs[i]);
			*refs[i] = NULL;
		}
	const char *tmp = getenv("TMPDIR"); /* NOLINT(concurrency-mt-unsafe): one thread */
	char *dir = o->tmpdir;
	snprintf(dir, sizeof(o->tmpdir), "%s/pl_bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "pl_bench: mkdtemp %s: %s\n", dir,
			strerror(errno)); /* NOLINT(concurrency-mt-unsafe): one thread */
		return 1;
	}
	bench_log log = { .t0 = bench_now() };
	if (a->raw != NULL && (log.raw = fopen(a->raw, "w")) == NULL) {
		fprintf(stderr, "pl_bench: %s: %s\n", a->raw,
			strerror(errno)); /* NOLINT(concurrency-mt-unsafe): one thread */
		remove_dir(dir);
		return 2;
	}
	print_header(argc, argv, a);
	if (log.raw != NULL) {
		char model[256];
		struct utsname u;
		proc_field("/proc/cpuinfo", "model name", model, sizeof(model));
		fprintf(log.raw,
			"# pl_bench nproc=%ld cpu=\"%s\" kernel=\"%s\" reps=%d n=%llu "
			"n_buf1=%llu\n",
			o->nproc, model, uname(&u) == 0 ? u.release : "unknown", o->reps, o->n,
			o->n_buf1);
	}

	bench_chain_rates chain;
	memset(&chain, 0, sizeof(chain));
	if (a->groups & G_THROUGHPUT)
		bench_group_throughput(o, &log, &chain);
	if (a->groups & G_RINGS)
		bench_group_rings(o, &log, &chain);
	if (a->groups & G_STARTUP)
		bench_group_startup(o, &log);
	if (a->groups & G_CPU)
		bench_group_cpu(o, &log);
	if (a->groups & G_IO)
		bench_group_io(o, &log);
	if (a->groups & G_MEMORY)
		bench_group_memory(o, &log);

	bench_targets_print();
	char load[128];
	proc_field("/proc/loadavg", "", load, sizeof(load));
	printf("\nload average at the end: %s\n", load);
	printf("pl_bench: %d runs in %.1f s", log.runs, bench_now() - log.t0);
	if (log.failures > 0)
		printf("; %d FAILED (see standard error): the figures above are not to be trusted",
		       log.failures);
	printf("\n");
	if (log.raw != NULL && fclose(log.raw) != 0) {
		fprintf(stderr, "pl_bench: cannot write %s\n", a->raw);
		log.failures++;
	}
	remove_dir(dir);
	if (log.failures > 0)
		fprintf(stderr, "pl_bench: %d run(s) FAILED\n", log.failures);
	return log.failures > 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	parse_args(argc, argv, &a);
	int rc = run(argc, argv, &a);
	free(a.run_argv);
	free(a.run_args_buf);
	return rc;
}
