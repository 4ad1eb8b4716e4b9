/* soak.c - 100M messages through the fan-out example: does its resident memory stay flat? */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "error.h"
#include "load.h"
#include "out.h"
#include "registry.h"

#define DEFAULT_MESSAGES 100000000ULL
#define DEFAULT_CONFIG   PL_SOURCE_DIR "/pipelines/fanout-io.yaml"
/* The Go reference of /work/shared/bench/README.md: shared/ sits beside the work tree. */
#define DEFAULT_GO_DIR PL_SOURCE_DIR "/../shared/bench/go"
#define MAX_SETS       32
#define N_MARKS        3        /* figures at 1%, 10% and 100% of the messages */
#define POLL_NS        1000000L /* how often the sink's count is read: 1 ms */

typedef struct args {
	unsigned long long messages;
	long workers; /* 0: the file's */
	long buffer;  /* -1: the file's */
	const char *config;
	const char *go_dir; /* NULL: no reference */
	const char *sets[MAX_SETS];
	size_t n_sets;
} args;

static void usage(int code)
{
	fprintf(code ? stderr : stdout,
		"usage: soak [--messages N] [--workers W] [--buffer B] [--config FILE]\n"
		"            [--set NODE.KEY=VALUE]... [--go-dir DIR | --no-reference]\n"
		"Runs FILE (default: pipelines/fanout-io.yaml) with source.params.count=N\n"
		"(default %llu) and fetch.params.ms=0, in this process, and prints the\n"
		"resident memory when the sink has counted 1%%, 10%% and 100%% of N; then the\n"
		"Go program of DIR (default %s) on the same\n"
		"fan-out as a reference.  --workers sets fetch.workers, --buffer every channel's\n"
		"buffer.  A benchmark: it prints figures and fails only when the run does.\n",
		DEFAULT_MESSAGES, DEFAULT_GO_DIR);
	exit(code); /* NOLINT(concurrency-mt-unsafe): parsing the arguments, no thread yet */
}

static long long parse_num(const char *opt, const char *s, long long min, long long max)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		fprintf(stderr, "soak: %s wants an integer in [%lld, %lld], got '%s'\n", opt, min,
			max, s);
		exit(2); /* NOLINT(concurrency-mt-unsafe): parsing the arguments, no thread yet */
	}
	return v;
}

static void parse_args(int argc, char **argv, args *a)
{
	*a = (args){ .messages = DEFAULT_MESSAGES,
		     .buffer = -1,
		     .config = DEFAULT_CONFIG,
		     .go_dir = DEFAULT_GO_DIR };
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (strcmp(o, "-h") == 0 || strcmp(o, "--help") == 0)
			usage(0);
		if (strcmp(o, "--no-reference") == 0) {
			a->go_dir = NULL;
			continue;
		}
		if (i + 1 >= argc)
			usage(2);
		const char *v = argv[++i];
		if (strcmp(o, "--messages") == 0)
			a->messages = (unsigned long long)parse_num(o, v, 100, LLONG_MAX);
		else if (strcmp(o, "--workers") == 0)
			a->workers = (long)parse_num(o, v, 1, 100000);
		else if (strcmp(o, "--buffer") == 0)
			a->buffer = (long)parse_num(o, v, 0, PL_MAX_BUFFER);
		else if (strcmp(o, "--config") == 0)
			a->config = v;
		else if (strcmp(o, "--go-dir") == 0)
			a->go_dir = v;
		else if (strcmp(o, "--set") == 0 && a->n_sets < MAX_SETS)
			a->sets[a->n_sets++] = v;
		else
			usage(2);
	}
}

/* VmRSS and VmHWM of this process, in KiB (0 when unreadable). */
static void read_mem(unsigned long *rss, unsigned long *hwm)
{
	*rss = *hwm = 0;
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			*rss = strtoul(line + 6, NULL, 10);
		else if (strncmp(line, "VmHWM:", 6) == 0)
			*hwm = strtoul(line + 6, NULL, 10);
	}
	(void)fclose(f); /* read only: what was read is all there is */
}

static void print_machine(int argc, char **argv)
{
	char model[256] = "unknown CPU";
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f != NULL) {
		char line[512];
		while (fgets(line, sizeof(line), f) != NULL) {
			char *colon = strchr(line, ':');
			if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
				snprintf(model, sizeof(model), "%s", colon + 2);
				model[strcspn(model, "\n")] = '\0';
				break;
			}
		}
		(void)fclose(f); /* read only */
	}
	printf("machine: %ld cores, %s\ncommand:", sysconf(_SC_NPROCESSORS_ONLN), model);
	for (int i = 0; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mib(unsigned long kib)
{
	return (double)kib / 1024.0;
}

static void *run_engine(void *p)
{
	static int rc;
	rc = pl_engine_run(p);
	return &rc;
}

/* The messages the (first) sink has received so far. */
static unsigned long long sink_in(const pl_engine *e, size_t sink)
{
	pl_node_stats st;
	pl_engine_node_stats(e, sink, &st);
	return st.in;
}

typedef struct mark {
	unsigned long long messages;
	double elapsed;
	unsigned long rss, hwm; /* KiB */
} mark;

static void print_mark(const char *label, const mark *m, const mark *prev)
{
	double dt = m->elapsed - prev->elapsed;
	double rate = dt > 0 ? (double)(m->messages - prev->messages) / dt : 0;
	printf("%-6s %12llu %10.2f %12.0f %11.2f %11.2f\n", label, m->messages, m->elapsed, rate,
	       mib(m->rss), mib(m->hwm));
	/* Each line as it comes.  Not checked: a benchmark that fails only when
	 * its run does (README.md). */
	(void)fflush(stdout);
}

static void label_of(unsigned long long n, char *buf, size_t len)
{
	if (n % 1000000 == 0)
		snprintf(buf, len, "%lluM", n / 1000000);
	else if (n % 1000 == 0)
		snprintf(buf, len, "%lluk", n / 1000);
	else
		snprintf(buf, len, "%llu", n);
}

/* Loads the config with the overrides, runs it, prints a line per mark.
 * Fills hwm_at[] with VmHWM at each mark; returns 0 when every message
 * reached the sink. */
static int soak(const args *a, unsigned long hwm_at[N_MARKS], long *workers, long *buffer)
{
	char count_set[64], workers_set[64];
	const char *sets[MAX_SETS + 3];
	size_t n = 0;
	snprintf(count_set, sizeof(count_set), "source.params.count=%llu", a->messages);
	sets[n++] = count_set;
	sets[n++] = "fetch.params.ms=0";
	if (a->workers > 0) {
		snprintf(workers_set, sizeof(workers_set), "fetch.workers=%ld", a->workers);
		sets[n++] = workers_set;
	}
	for (size_t i = 0; i < a->n_sets; i++)
		sets[n++] = a->sets[i];

	pl_registry *reg;
	if (pl_registry_create(&reg) != 0)
		return 1;
	pl_load_options opt = { .sets = sets, .n_sets = n };
	pl_config *cfg = NULL;
	pl_diags d;
	pl_diags_init(&d);
	int rc = pl_load_file(a->config, &opt, reg, &cfg, &d);
	pl_diags_print(&d, stderr);
	pl_diags_clear(&d);
	if (rc != 0) {
		pl_registry_destroy(reg);
		return 1;
	}
	if (a->buffer >= 0) {
		if ((unsigned long long)a->buffer * cfg->n_chans > PL_MAX_TOTAL_BUFFER) {
			fprintf(stderr, "soak: --buffer %ld over %zu channels passes %d\n",
				a->buffer, cfg->n_chans, PL_MAX_TOTAL_BUFFER);
			exit(2); /* NOLINT(concurrency-mt-unsafe): no thread started yet */
		}
		for (size_t i = 0; i < cfg->n_chans; i++)
			cfg->chans[i].buffer = a->buffer; /* (after the checks: in range) */
	}
	size_t sink = cfg->n_nodes;
	*workers = 0;
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		if (cfg->nodes[i].type == PL_NODE_SINK && sink == cfg->n_nodes)
			sink = i;
		if (cfg->nodes[i].type == PL_NODE_FANOUT)
			*workers = (long)cfg->nodes[i].workers;
	}
	*buffer = cfg->n_chans > 0 ? (long)cfg->chans[0].buffer : 0;
	printf("config: %s (%s) with", a->config, cfg->name ? cfg->name : "?");
	for (size_t i = 0; i < n; i++)
		printf(" --set %s", sets[i]);
	printf("\nchannels:");
	for (size_t i = 0; i < cfg->n_chans; i++)
		printf(" %s buffer %lld", cfg->chans[i].name, (long long)cfg->chans[i].buffer);
	printf("; the fan-out's workers: %ld\n", *workers);
	if (sink == cfg->n_nodes) {
		fprintf(stderr, "soak: the config has no sink\n");
		exit(2); /* NOLINT(concurrency-mt-unsafe): no thread started yet */
	}

	pl_engine *e = NULL;
	pl_diags_init(&d);
	rc = pl_engine_create(cfg, NULL, &e, &d);
	pl_diags_print(&d, stderr);
	pl_diags_clear(&d);
	if (rc != 0)
		return 1;

	unsigned long long at[N_MARKS] = { a->messages / 100, a->messages / 10, a->messages };
	mark prev = { 0 };
	read_mem(&prev.rss, &prev.hwm);
	printf("\n%-6s %12s %10s %12s %11s %11s\n", "mark", "messages", "elapsed s", "msg/s since",
	       "VmRSS MiB", "VmHWM MiB");
	print_mark("start", &prev, &prev);

	pthread_t th;
	if (pthread_create(&th, NULL, run_engine, e) != 0) {
		fprintf(stderr, "soak: cannot start the engine's thread\n");
		return 1;
	}
	int k = 0;
	const struct timespec poll = { 0, POLL_NS };
	while (k < N_MARKS) {
		int done = pl_engine_finished(e);
		unsigned long long got = sink_in(e, sink);
		if (got >= at[k] || done) {
			mark m = { .messages = got, .elapsed = pl_engine_elapsed(e) };
			read_mem(&m.rss, &m.hwm);
			char label[32];
			label_of(at[k], label, sizeof(label));
			print_mark(label, &m, &prev);
			hwm_at[k++] = m.hwm;
			prev = m;
			continue;
		}
		nanosleep(&poll, NULL);
	}
	void *res;
	pthread_join(th, &res);
	rc = *(int *)res;
	unsigned long long total = sink_in(e, sink);
	if (rc != 0) {
		pl_engine_print_errors(e, stderr);
		fprintf(stderr, "soak: the run failed: %s\n", pl_strerror(rc));
	}
	pl_engine_destroy(e);
	pl_config_free(cfg);
	pl_registry_destroy(reg);
	if (rc == 0 && total != a->messages) {
		fprintf(stderr, "soak: the sink got %llu messages, not %llu\n", total, a->messages);
		return 1;
	}
	return rc != 0;
}

/* Runs argv (with `dir` as its working directory when not NULL); its
 * standard output goes to `out` (up to len - 1 bytes, NUL-terminated),
 * its standard error is ours.  Returns the exit status (wait status
 * decoded: 128 + signal; 127: could not be run), *maxrss_kib its peak RSS. */
static int run_child(const char *dir, char *const argv[], char *out, size_t len, long *maxrss_kib)
{
	int fd[2];
	if (pipe(fd) != 0)
		return 127;
	(void)fflush(stdout); /* nothing buffered is written twice */
	pid_t pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return 127;
	}
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		if (dir != NULL && chdir(dir) != 0)
			_exit(127);
		/* The reference needs nothing from the network. */
		/* NOLINTNEXTLINE(concurrency-mt-unsafe): the child of fork(), before exec */
		setenv("GOPROXY", "off", 1);
		/* NOLINTNEXTLINE(concurrency-mt-unsafe): as above */
		setenv("GOTOOLCHAIN", "local", 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd[1]);
	/* Into out while there is room, then into `discard` until the end. */
	size_t used = 0;
	char discard[256];
	for (;;) {
		int full = used + 1 >= len;
		ssize_t r = full ? read(fd[0], discard, sizeof(discard))
				 : read(fd[0], out + used, len - 1 - used);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (!full)
			used += (size_t)r;
	}
	out[used] = '\0';
	close(fd[0]);
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return 127;
	*maxrss_kib = ru.ru_maxrss;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* Is `name` an executable file in a directory of PATH? */
static int in_path(const char *name)
{
	const char *path = getenv("PATH");
	for (const char *p = path; p != NULL && *p != '\0';) {
		const char *colon = strchr(p, ':');
		size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
		char file[4096];
		if (dlen > 0 && dlen + strlen(name) + 2 < sizeof(file)) {
			snprintf(file, sizeof(file), "%.*s/%s", (int)dlen, p, name);
			if (access(file, X_OK) == 0)
				return 1;
		}
		p = colon ? colon + 1 : p + dlen;
	}
	return 0;
}

/* The reference: Go's goroutines and buffered channels on the same fan-out
 * (one generator, `workers` workers, one sink; an 8-byte []byte allocated
 * per message, as each message here is allocated), at the first mark and at
 * the last; its peak RSS from wait4(). */
static void reference(const args *a, long workers, long buffer, const unsigned long hwm_at[N_MARKS])
{
	char file[4096];
	snprintf(file, sizeof(file), "%s/pipeline_bench.go", a->go_dir);
	printf("\n");
	if (!in_path("go")) {
		printf("reference: skipped (go not installed)\n");
		return;
	}
	if (access(file, R_OK) != 0) {
		printf("reference: skipped (no %s)\n", file);
		return;
	}
	char tmp[] = "/tmp/soak-go-XXXXXX";
	if (mkdtemp(tmp) == NULL) {
		char ebuf[64];
		printf("reference: skipped (mkdtemp: %s)\n",
		       pl_out_strerror(errno, ebuf, sizeof(ebuf)));
		return;
	}
	char bin[sizeof(tmp) + 32], out[1024], dir[PATH_MAX];
	if (realpath(a->go_dir, dir) == NULL)
		snprintf(dir, sizeof(dir), "%s", a->go_dir);
	snprintf(bin, sizeof(bin), "%s/pipeline_bench", tmp);
	long rss;
	char *build[] = { "go", "build", "-o", bin, ".", NULL };
	double t0 = now_s();
	int rc = run_child(a->go_dir, build, out, sizeof(out), &rss);
	if (rc != 0) {
		printf("reference: skipped (go build in %s failed: exit %d)\n", a->go_dir, rc);
		rmdir(tmp);
		return;
	}
	printf("reference: Go, %s (built in %.1f s): -topology fanout -workers %ld -buf %ld "
	       "-payload 8\n",
	       dir, now_s() - t0, workers, buffer);
	unsigned long long at[2] = { a->messages / 100, a->messages };
	long peak[2] = { 0, 0 };
	for (int i = 0; i < 2; i++) {
		char n[32], w[32], b[32], label[32];
		snprintf(n, sizeof(n), "%llu", at[i]);
		snprintf(w, sizeof(w), "%ld", workers);
		snprintf(b, sizeof(b), "%ld", buffer > 0 ? buffer : 0);
		char *argv[] = { bin, "-topology", "fanout", "-n",       n,   "-workers",
				 w,   "-buf",      b,        "-payload", "8", NULL };
		rc = run_child(NULL, argv, out, sizeof(out), &peak[i]);
		out[strcspn(out, "\n")] = '\0';
		label_of(at[i], label, sizeof(label));
		printf("reference: Go at %-5s peak RSS %7.2f MiB  (%s%s)\n", label, mib(peak[i]),
		       out, rc != 0 ? ", FAILED" : "");
	}
	unlink(bin);
	rmdir(tmp);
	if (peak[0] > 0 && peak[1] > 0) {
		char first[32], last[32];
		label_of(at[0], first, sizeof(first));
		label_of(at[1], last, sizeof(last));
		printf("reference: peak RSS at %s / at %s: Go %.3f, pipeline %.3f; at %s pipeline "
		       "/ Go = %.2f\n",
		       last, first, (double)peak[1] / (double)peak[0],
		       (double)hwm_at[N_MARKS - 1] / (double)hwm_at[0], last,
		       (double)hwm_at[N_MARKS - 1] / (double)peak[1]);
	}
}

int main(int argc, char **argv)
{
	args a;
	parse_args(argc, argv, &a);
	print_machine(argc, argv);
	unsigned long hwm_at[N_MARKS] = { 0 };
	long workers = 0, buffer = 0;
	double t0 = now_s();
	if (soak(&a, hwm_at, &workers, &buffer) != 0)
		return 1;
	double ratio = hwm_at[0] > 0 ? (double)hwm_at[N_MARKS - 1] / (double)hwm_at[0] : 0;
	char first[32], last[32];
	label_of(a.messages / 100, first, sizeof(first));
	label_of(a.messages, last, sizeof(last));
	printf("verdict: peak RSS (VmHWM) at %s / at %s = %.3f: %s\n", last, first, ratio,
	       ratio <= 1.10 ? "flat (within 10%)" : "NOT flat (grew more than 10%)");
	printf("soak: %.1f s\n", now_s() - t0);
	if (a.go_dir != NULL)
		reference(&a, workers, buffer, hwm_at);
	else
		printf("\nreference: skipped (--no-reference)\n");
	return 0;
}
