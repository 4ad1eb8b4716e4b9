/* startup.c - what starting many threads costs: 10,000 workers at two stack sizes, and a
 * 1,000-node chain run beside its own validate, each `pipeline` a child timed with wait4(). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS  101
#define MAX_ARGS  8
#define N_CASES   4
#define DELAY_S   0.100 /* what each message waits in bench/many-workers.yaml */
#define CHAIN_LEN "1000"

/* One command measured, and what its runs gave. */
struct bench_case {
	const char *what;
	const char *args[MAX_ARGS]; /* after the binary; NULL-terminated */
	double wall[MAX_RUNS];      /* seconds */
	long rss[MAX_RUNS];         /* peak RSS, KiB (ru_maxrss) */
};

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Runs `bin` with `args`, its output to /dev/null; fills *wall and *rss.
 * Returns 0, or -1 after saying why (it did not exit 0). */
static int run_once(const char *bin, const char *const *args, double *wall, long *rss)
{
	const char *argv[MAX_ARGS + 2] = { bin };
	for (size_t i = 0; args[i] != NULL; i++)
		argv[i + 1] = args[i];
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0) {
		perror("startup: fork");
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			(void)dup2(null, STDOUT_FILENO);
			(void)dup2(null, STDERR_FILENO);
		}
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	int status;
	struct rusage ru;
	pid_t got;
	while ((got = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
		;
	*wall = now() - t0;
	if (got != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "startup: '%s %s ...' failed (status %d)\n", bin, args[0],
			got == pid ? status : -1);
		return -1;
	}
	*rss = ru.ru_maxrss;
	return 0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_RUNS];
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), by_value);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static double median_rss(const long *v, int n)
{
	double d[MAX_RUNS] = { 0 };
	for (int i = 0; i < n; i++)
		d[i] = (double)v[i];
	return median(d, n);
}

/* The CPU's name from /proc/cpuinfo, for the record. */
static void cpu_name(char *buf, size_t len)
{
	snprintf(buf, len, "unknown CPU");
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (f == NULL)
		return;
	char line[256];
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "model name", 10) == 0 && strchr(line, ':') != NULL) {
			const char *v = strchr(line, ':') + 2;
			snprintf(buf, len, "%.*s", (int)strcspn(v, "\n"), v);
			break;
		}
	(void)fclose(f);
}

static void usage(void)
{
	fputs("usage: startup [--runs N] [--pipeline BIN]\n"
	      "  Runs, alternating, N times each (default 5): bench/many-workers.yaml (10,000\n"
	      "  workers) at the default stack and with --stack-size 64KiB, and a chain "
	      "of\n" CHAIN_LEN
	      " nodes from bench/gen-chain.sh, run and validated; prints the median wall time\n"
	      "  and peak RSS (wait4's ru_maxrss) of each.\n",
	      stderr);
}

int main(int argc, char **argv)
{
	int runs = 5;
	const char *bin = PL_BINARY;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
			char *end;
			long v = strtol(argv[++i], &end, 10);
			runs = *end == '\0' && v > 0 && v <= MAX_RUNS ? (int)v : 0;
		} else if (strcmp(argv[i], "--pipeline") == 0 && i + 1 < argc) {
			bin = argv[++i];
		} else {
			usage();
			return 2;
		}
	}
	if (runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "startup: --runs must be between 1 and %d\n", MAX_RUNS);
		return 2;
	}

	char chain[] = "/tmp/pl-chain-XXXXXX";
	int fd = mkstemp(chain);
	if (fd < 0) {
		perror("startup: mkstemp");
		return 1;
	}
	(void)close(fd);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "sh '%s/bench/gen-chain.sh' %s > '%s'", PL_SOURCE_DIR, CHAIN_LEN,
		 chain);
	if (system(cmd) != 0) { /* NOLINT(cert-env33-c): our own script, fixed arguments */
		fprintf(stderr, "startup: '%s' failed\n", cmd);
		(void)remove(chain);
		return 1;
	}

	static const char many[] = PL_SOURCE_DIR "/bench/many-workers.yaml";
	static struct bench_case cases[N_CASES] = {
		{ .what = "10,000 workers, default stack (512KiB)" },
		{ .what = "10,000 workers, --stack-size 64KiB" },
		{ .what = CHAIN_LEN "-node chain: run" },
		{ .what = CHAIN_LEN "-node chain: validate (reference)" },
	};
	const char *const args[N_CASES][MAX_ARGS] = {
		{ "run", "-q", many, NULL },
		{ "run", "-q", "--stack-size", "64KiB", many, NULL },
		{ "run", "-q", chain, NULL },
		{ "validate", chain, NULL },
	};
	for (int c = 0; c < N_CASES; c++)
		memcpy(cases[c].args, args[c], sizeof(args[c]));

	char cpu[128];
	cpu_name(cpu, sizeof(cpu));
	double load[1] = { 0 };
	(void)getloadavg(load, 1);
	printf("startup: median of %d runs each, alternating; %s\n", runs, bin);
	printf("machine: %ld cores, %s; load average %.2f at the start\n",
	       sysconf(_SC_NPROCESSORS_ONLN), cpu, load[0]);
	int failed = 0;
	for (int r = 0; r < runs && !failed; r++)
		for (int c = 0; c < N_CASES && !failed; c++)
			failed = run_once(bin, cases[c].args, &cases[c].wall[r], &cases[c].rss[r]);
	(void)remove(chain);
	if (failed)
		return 1;

	printf("%-42s %10s %17s %14s\n", "case", "wall ms", "(min - max)", "peak RSS MiB");
	double med[N_CASES], rss[N_CASES];
	for (int c = 0; c < N_CASES; c++) {
		double lo = cases[c].wall[0], hi = cases[c].wall[0];
		for (int r = 1; r < runs; r++) {
			lo = cases[c].wall[r] < lo ? cases[c].wall[r] : lo;
			hi = cases[c].wall[r] > hi ? cases[c].wall[r] : hi;
		}
		med[c] = median(cases[c].wall, runs);
		rss[c] = median_rss(cases[c].rss, runs) / 1024;
		printf("%-42s %10.1f %8.1f - %6.1f %14.1f\n", cases[c].what, med[c] * 1e3, lo * 1e3,
		       hi * 1e3, rss[c]);
	}
	printf("10,000 workers: %.2f times the %.0f ms each message waits; at 64KiB / at 512KiB: "
	       "%.2f wall, %.2f RSS\n",
	       med[0] / DELAY_S, DELAY_S * 1e3, med[1] / med[0], rss[1] / rss[0]);
	printf("chain: run / validate = %.1f (what starting, running and joining %s threads adds "
	       "to loading and checking)\n",
	       med[2] / med[3], CHAIN_LEN);
	return 0;
}
