/* engine_threads.c - starting and joining the worker threads, each node's with its stack size. */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "engine_int.h"
#include "error.h"
#include "mem.h"
#include "out.h"
#include "size.h"

/*
 * pl__size_futex_hash() runs where pl_engine_create() runs, before any
 * worker exists; the rest on the supervising thread (pl_engine_run()).
 * engine->mu is taken alone, twice per run rather than once per thread:
 * the count of running workers is set for all of them before the first
 * starts, and lowered by those that could not start.
 */

/*
 * Linux 6.16 and later give a threaded process a futex hash table of its
 * own (prctl(2): PR_FUTEX_HASH), sized for the CPUs, not the threads: 16
 * buckets on 2 CPUs.  Every thread blocked on a mutex or a condition
 * variable waits in a bucket, so with thousands of workers each bucket
 * holds hundreds of waiters, and a wake walks past those of other
 * addresses under the bucket's lock: when 10,000 workers woke together
 * (their input closed) and one of our addresses shared a bucket with them,
 * about one run in ten took 1.2 to 4 s to end instead of 0.6 s.  One
 * bucket per thread makes that rare.  Set while the process has one
 * thread it costs microseconds; later the kernel waits for an RCU grace
 * period (some 35 ms here).  Older kernels refuse the call, and an error
 * leaves the table as it was: it only costs time.
 */
#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH           78
#define PR_FUTEX_HASH_SET_SLOTS 1
#define PR_FUTEX_HASH_GET_SLOTS 2
#endif
#define MIN_FUTEX_THREADS 512   /* below, the kernel's own table is fine */
#define MAX_FUTEX_SLOTS   65536 /* 4 MiB of kernel memory at 64 bytes a bucket */

void pl__size_futex_hash(size_t threads)
{
#ifdef __linux__
	if (threads < MIN_FUTEX_THREADS)
		return;
	unsigned long want = 16;
	while (want < threads && want < MAX_FUTEX_SLOTS)
		want *= 2;
	/* 0: none yet (one thread), or the global table; -1: no such call. */
	int now = prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0, 0, 0);
	if (now >= 0 && (unsigned long)now < want)
		(void)prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, want, 0, 0);
#else
	(void)threads;
#endif
}

size_t pl__node_stack_size(const pl_engine *e, const pl_cfg_node *cn, const char **from)
{
	const char *ignored;
	if (from == NULL)
		from = &ignored;
	if (cn->stack_size > 0) {
		*from = "its 'stack_size'";
		return (size_t)cn->stack_size;
	}
	if (e->stack_size > 0) {
		*from = "--stack-size";
		return e->stack_size;
	}
	if (e->cfg->default_stack_size > 0) {
		*from = "'defaults.stack_size'";
		return (size_t)e->cfg->default_stack_size;
	}
	*from = "the default";
	return PL_DEFAULT_STACK_SIZE;
}

/* Appends the figure in /proc/sys/`name` ("kernel/pid_max") to `buf` as
 * " kernel.pid_max N,"; nothing when it cannot be read. */
static void add_sysctl(char *buf, size_t len, const char *name)
{
	char path[64], value[32] = "";
	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return;
	int got = fgets(value, sizeof(value), f) != NULL;
	(void)fclose(f);
	value[strcspn(value, "\n")] = '\0';
	if (!got || value[0] == '\0')
		return;
	size_t used = strlen(buf);
	snprintf(buf + used, len - used, " %.*s.%s %s,", (int)strcspn(name, "/"), name,
		 strchr(name, '/') + 1, value);
}

/* What bounds the number of threads: "ulimit -u 3000, [ulimit -v 3000000,]
 * kernel.threads-max 192729, kernel.pid_max 32768, vm.max_map_count 65530"
 * (each thread takes two of the last: its stack and its guard page). */
static void describe_limits(char *buf, size_t len)
{
	struct rlimit rl;
	buf[0] = '\0';
	if (getrlimit(RLIMIT_NPROC, &rl) == 0) {
		if (rl.rlim_cur == RLIM_INFINITY)
			snprintf(buf, len, " ulimit -u unlimited,");
		else
			snprintf(buf, len, " ulimit -u %llu,", (unsigned long long)rl.rlim_cur);
	}
	/* The address space the stacks take, when it is limited (in KiB, as
	 * the shell shows it). */
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		size_t used = strlen(buf);
		snprintf(buf + used, len - used, " ulimit -v %llu,",
			 (unsigned long long)(rl.rlim_cur / 1024));
	}
	add_sysctl(buf, len, "kernel/threads-max");
	add_sysctl(buf, len, "kernel/pid_max");
	add_sysctl(buf, len, "vm/max_map_count");
	size_t used = strlen(buf);
	if (used > 0 && buf[used - 1] == ',')
		buf[used - 1] = '\0';
}

/* Says why worker `j` of node `n` could not start (pthread_create() gave
 * `err`), after `started` threads of the run had started. */
static void start_failed(pl_engine *e, const struct en_node *n, size_t j, int err, size_t started)
{
	char ebuf[128], size[32], limits[192];
	const char *from;
	size_t stack = pl__node_stack_size(e, n->cfg, &from);
	int w = snprintf(e->start_error, sizeof(e->start_error),
			 "could not start worker %zu of %zu of node '%s': %s; the started workers "
			 "were stopped",
			 j + 1, n->n_workers, n->cfg->name,
			 pl_out_strerror(err, ebuf, sizeof(ebuf)));
	if (w < 0 || (size_t)w >= sizeof(e->start_error))
		return;
	char *rest = e->start_error + w;
	size_t room = sizeof(e->start_error) - (size_t)w;
	pl_size_format(stack, size, sizeof(size));
	if (err == EAGAIN) {
		/* Out of threads, or of memory for their stacks (glibc gives
		 * EAGAIN for both). */
		describe_limits(limits, sizeof(limits));
		snprintf(rest, room,
			 " (%zu threads had started; this node's reserve a stack of %s each: lower "
			 "'workers' or 'stack_size', or raise the limit that was reached:%s)",
			 started, size, limits);
	} else if (err == EINVAL) {
		snprintf(rest, room,
			 " (its stack of %s, from %s, is too small on this system for a thread and "
			 "its thread-local storage: raise it)",
			 size, from);
	}
}

int pl__start_workers(pl_engine *e)
{
	pthread_attr_t attr;
	int err = pthread_attr_init(&attr);
	if (err != 0) {
		char ebuf[128];
		snprintf(e->start_error, sizeof(e->start_error),
			 "could not prepare the worker threads: %s",
			 pl_out_strerror(err, ebuf, sizeof(ebuf)));
		return PL_EAGAIN;
	}
	/* Every node's size is one the system takes, before any thread starts:
	 * a refused size is an error, never a silent default. */
	for (size_t i = 0; i < e->n_nodes; i++) {
		const char *from;
		size_t stack = pl__node_stack_size(e, e->nodes[i].cfg, &from);
		err = pthread_attr_setstacksize(&attr, stack);
		if (err == 0)
			continue;
		char ebuf[128], size[32];
		long min = sysconf(_SC_THREAD_STACK_MIN);
		snprintf(e->start_error, sizeof(e->start_error),
			 "the system refuses a stack of %s (from %s) for the threads of node '%s': "
			 "%s (its minimum is %ld bytes); nothing was started",
			 pl_size_format(stack, size, sizeof(size)), from, e->nodes[i].cfg->name,
			 pl_out_strerror(err, ebuf, sizeof(ebuf)),
			 min > 0 ? min : PTHREAD_STACK_MIN);
		pthread_attr_destroy(&attr);
		return PL_EAGAIN;
	}

	size_t total = 0, started = 0;
	for (size_t i = 0; i < e->n_nodes; i++)
		total += e->nodes[i].n_workers;
	pthread_mutex_lock(&e->mu);
	e->running += total;
	pthread_mutex_unlock(&e->mu);
	int rc = 0;
	for (size_t i = 0; i < e->n_nodes && rc == 0; i++) {
		struct en_node *n = &e->nodes[i];
		err = pthread_attr_setstacksize(&attr, pl__node_stack_size(e, n->cfg, NULL));
		assert(err == 0); /* (checked above) */
		for (size_t j = 0; j < n->n_workers; j++) {
			struct en_worker *w = &n->workers[j];
			err = pl__thread_create(&w->thread, &attr, pl__worker_main, w);
			if (err != 0) {
				start_failed(e, n, j, err, started);
				rc = PL_EAGAIN;
				break;
			}
			w->started = 1;
			started++;
		}
	}
	pthread_attr_destroy(&attr);
	if (started < total) {
		pthread_mutex_lock(&e->mu);
		e->running -= total - started;
		pthread_mutex_unlock(&e->mu);
	}
	return rc;
}

void pl__join_workers(pl_engine *e)
{
	for (size_t i = 0; i < e->n_nodes; i++)
		for (size_t j = 0; j < e->nodes[i].n_workers; j++)
			if (e->nodes[i].workers[j].started)
				pthread_join(e->nodes[i].workers[j].thread, NULL);
}
