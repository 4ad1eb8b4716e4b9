/* bench_proc.c - one measurement in a child process: its wall time, its output, its peak RSS. */
#include "bench_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A growing capture of one stream. */
struct capture {
	int fd; /* -1 once at its end */
	char *buf;
	size_t len, cap;
};

/* Reads what is there on c->fd; keeps up to BENCH_PROC_MAX_OUT bytes. */
static void capture_read(struct capture *c)
{
	char chunk[16384];
	ssize_t r = read(c->fd, chunk, sizeof(chunk));
	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (r <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	size_t keep = (size_t)r;
	if (c->len + keep > BENCH_PROC_MAX_OUT)
		keep = BENCH_PROC_MAX_OUT - c->len;
	if (keep == 0)
		return;
	if (c->len + keep + 1 > c->cap) {
		size_t cap = (c->len + keep + 1) * 2;
		char *bigger = realloc(c->buf, cap);
		if (bigger == NULL)
			return; /* (dropped: only a message gets shorter) */
		c->buf = bigger;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, chunk, keep);
	c->len += keep;
}

/* Reads both streams to their ends, then reaps `pid` into `p`. */
static int collect(pid_t pid, int out_fd, int err_fd, double t0, bench_proc *p)
{
	struct capture cap[2] = { { .fd = out_fd }, { .fd = err_fd } };
	while (cap[0].fd >= 0 || cap[1].fd >= 0) {
		struct pollfd pfd[2];
		nfds_t n = 0;
		for (int i = 0; i < 2; i++)
			if (cap[i].fd >= 0)
				pfd[n++] = (struct pollfd){ .fd = cap[i].fd, .events = POLLIN };
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (nfds_t k = 0; k < n; k++)
			for (int i = 0; i < 2; i++)
				if (cap[i].fd == pfd[k].fd && pfd[k].revents != 0)
					capture_read(&cap[i]);
	}
	for (int i = 0; i < 2; i++) {
		if (cap[i].fd >= 0)
			close(cap[i].fd);
		if (cap[i].buf == NULL)
			cap[i].buf = calloc(1, 1);
		else
			cap[i].buf[cap[i].len] = '\0';
	}
	p->out = cap[0].buf;
	p->err = cap[1].buf;
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR) {
			p->status = 127;
			return -1;
		}
	p->wall = bench_now() - t0;
	p->maxrss_kib = ru.ru_maxrss;
	p->status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
	return 0;
}

/* Forks with standard output and error on pipes; in the child calls
 * run(ctx) and _exit()s with its result.  The parent collects. */
static int spawn(int (*run)(const void *ctx), const void *ctx, bench_proc *p)
{
	memset(p, 0, sizeof(*p));
	p->status = 127;
	int out[2], err[2];
	if (pipe(out) != 0)
		return -1;
	if (pipe(err) != 0) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	/* Nothing buffered here is written twice by the child. */
	(void)fflush(stdout);
	(void)fflush(stderr);
	double t0 = bench_now();
	pid_t pid = fork();
	if (pid < 0) {
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
		    dup2(err[1], STDERR_FILENO) < 0)
			_exit(127);
		close(null);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		int rc = run(ctx);
		(void)fflush(stdout);
		(void)fflush(stderr);
		_exit(rc);
	}
	close(out[1]);
	close(err[1]);
	return collect(pid, out[0], err[0], t0, p);
}

struct exec_ctx {
	char *const *argv;
	char *const *env;
};

static int exec_child(const void *arg)
{
	const struct exec_ctx *x = arg;
	for (char *const *e = x->env; e != NULL && *e != NULL; e++)
		/* The child of fork(), single-threaded: the environment is its own. */
		if (putenv(*e) != 0) /* NOLINT(concurrency-mt-unsafe) */
			return 127;
	execvp(x->argv[0], x->argv);
	fprintf(stderr, "pl_bench: cannot run %s: %s\n", x->argv[0],
		strerror(errno)); /* NOLINT(concurrency-mt-unsafe): a fresh child */
	return 127;
}

int bench_proc_exec(char *const argv[], char *const env[], bench_proc *p)
{
	struct exec_ctx x = { argv, env };
	return spawn(exec_child, &x, p);
}

struct fork_ctx {
	bench_child_fn fn;
	void *ctx;
};

static int fork_child(const void *arg)
{
	const struct fork_ctx *f = arg;
	return f->fn(f->ctx);
}

int bench_proc_fork(bench_child_fn fn, void *ctx, bench_proc *p)
{
	struct fork_ctx f = { fn, ctx };
	return spawn(fork_child, &f, p);
}

void bench_proc_clear(bench_proc *p)
{
	free(p->out);
	free(p->err);
	p->out = p->err = NULL;
}

void bench_proc_why(const bench_proc *p, char *buf, size_t len)
{
	char last[256] = "";
	if (p->err != NULL) {
		size_t n = strlen(p->err);
		while (n > 0 && p->err[n - 1] == '\n')
			n--;
		size_t start = n;
		while (start > 0 && p->err[start - 1] != '\n')
			start--;
		size_t keep = n - start < sizeof(last) - 1 ? n - start : sizeof(last) - 1;
		memcpy(last, p->err + start, keep);
		last[keep] = '\0';
	}
	if (p->status > 128)
		snprintf(buf, len, "killed by signal %d%s%s", p->status - 128, last[0] ? ": " : "",
			 last);
	else
		snprintf(buf, len, "exit %d%s%s", p->status, last[0] ? ": " : "", last);
}
