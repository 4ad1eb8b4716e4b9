/* run_monitor.c - the thread beside a running pipeline: signals, drain deadline, progress, metrics
 * file. */
#include "run_monitor.h"
#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "out.h"
#include "report.h"

/*
 * Signals reach us through a self-pipe: the handler only write()s the
 * signal's number to it (async-signal-safe), and the monitor thread, the
 * only thread with SIGINT and SIGTERM unblocked, poll()s it together with
 * its timers.  pl_monitor_finish() writes 0 to the pipe to end the thread.
 */
static int sig_pipe[2] = { -1, -1 };

/* What the handler writes: the signal and who sent it (signo 0: the end).
 * No padding (`unused` fills it), so every byte written to the pipe is set. */
struct sig_note {
	double at; /* CLOCK_MONOTONIC seconds when it arrived */
	int signo;
	pid_t pid;  /* the sender, for a signal sent by a process (kill) */
	int by_pid; /* sent by kill() (SI_USER), not by the terminal */
	int unused; /* 0 */
};
_Static_assert(sizeof(struct sig_note) == sizeof(double) + 3 * sizeof(int) + sizeof(pid_t),
	       "struct sig_note has padding");

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	int saved = errno;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* async-signal-safe */
	struct sig_note note = { .at = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9,
				 .signo = sig,
				 .pid = info != NULL ? info->si_pid : 0,
				 .by_pid = info != NULL && info->si_code == SI_USER };
	ssize_t r = write(sig_pipe[1], &note, sizeof(note)); /* atomic: < PIPE_BUF */
	(void)r; /* a full pipe already holds a signal to act on */
	errno = saved;
}

struct pl_monitor {
	pl_engine *e;
	pl_monitor_options opt;
	pthread_t thread;
	struct sigaction old_int, old_term;
	sigset_t old_mask;
	int first_signal; /* under the thread until joined */
	atomic_int done;  /* pl_monitor_finish() asks the thread to end */
	int signals;
	struct sig_note last; /* the last signal acted on */
	pl_progress progress;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Warns once per run that a FIFO's reader is missing or not keeping up. */
static void warn_fifo(const char *path, const char *why)
{
	static atomic_int warned;
	if (atomic_exchange(&warned, 1) == 0)
		fprintf(stderr,
			"pipeline: warning: metrics FIFO '%s': %s; metrics are skipped while "
			"that lasts\n",
			path, why);
}

/* Writes one document to a FIFO or a device opened without blocking: all
 * of it, waiting at most a second for a slow reader.  Returns 0 (a reader
 * missing or too slow is only warned about), or PL_EIO. */
static int write_in_place(const char *path, const char *doc, size_t len)
{
	char ebuf[64]; /* strerror() is not thread-safe: this thread runs beside the workers */
	int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == ENXIO) {
		warn_fifo(path, "nobody reads it");
		return 0;
	}
	if (fd < 0) {
		fprintf(stderr, "pipeline: error: cannot write metrics to '%s': %s\n", path,
			pl_out_strerror(errno, ebuf, sizeof(ebuf)));
		return PL_EIO;
	}
	double give_up = now_s() + 1.0;
	size_t done = 0;
	int rc = 0;
	while (done < len) {
		ssize_t n = write(fd, doc + done, len - done);
		if (n > 0) {
			done += (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "pipeline: error: cannot write metrics to '%s': %s\n", path,
				pl_out_strerror(errno, ebuf, sizeof(ebuf)));
			rc = PL_EIO;
			break;
		} else if (now_s() >= give_up) {
			warn_fifo(path, "its reader does not keep up");
			break;
		} else {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			poll(&p, 1, 50);
		}
	}
	close(fd);
	return rc;
}

int pl_monitor_write_metrics(const pl_engine *e, const char *path, const char *state)
{
	/* The document is made in memory first.  A regular file (or a new one)
	 * is then replaced whole by a rename, so a reader never sees half a
	 * document; a FIFO or a device is written in place, never blocking the
	 * thread that takes the signals (nor the end of the run). */
	char *doc = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&doc, &len);
	if (mem == NULL) {
		fputs("pipeline: error: out of memory writing the metrics\n", stderr);
		return PL_ENOMEM;
	}
	int rc = pl_report_json(e, state, mem);
	if (fclose(mem) != 0 || rc != 0) {
		free(doc);
		fputs("pipeline: error: out of memory writing the metrics\n", stderr);
		return PL_ENOMEM;
	}
	struct stat st;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		rc = write_in_place(path, doc, len);
		free(doc);
		return rc;
	}
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		free(doc);
		fprintf(stderr, "pipeline: error: metrics file name '%s' is too long\n", path);
		return PL_EIO;
	}
	FILE *f = fopen(tmp, "w");
	rc = f == NULL ? PL_EIO : 0;
	if (f != NULL && fwrite(doc, 1, len, f) != len)
		rc = PL_EIO;
	if (f != NULL && fclose(f) != 0)
		rc = PL_EIO;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = PL_EIO;
	if (rc != 0) {
		char ebuf[64];
		fprintf(stderr, "pipeline: error: cannot write metrics to '%s': %s\n", path,
			pl_out_strerror(errno, ebuf, sizeof(ebuf)));
		unlink(tmp);
	}
	free(doc);
	return rc;
}

static const char *signal_name(int sig)
{
	return sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal";
}

/* Acts on one signal: the first drains, the next aborts.  The same signal
 * sent by the same process again within 20 ms is one signal: GNU timeout
 * signals the process and at once its process group, which must not turn a
 * drain into an abort.  A terminal's Ctrl-C pressed twice is two. */
static void on_monitor_signal(struct pl_monitor *m, const struct sig_note *note, double *deadline)
{
	int sig = note->signo;
	if (m->signals > 0 && note->by_pid && m->last.by_pid && note->pid == m->last.pid &&
	    sig == m->last.signo && note->at - m->last.at < 0.020)
		return;
	m->last = *note;
	if (m->opt.progress)
		pl_progress_clear(stderr);
	if (m->signals++ == 0) {
		m->first_signal = sig;
		pl_engine_stop(m->e);
		if (m->opt.drain_timeout > 0) {
			*deadline = now_s() + m->opt.drain_timeout;
			fprintf(stderr,
				"pipeline: %s: generators stopped; draining what is in flight (at "
				"most %g s; send it again to stop at once)\n",
				signal_name(sig), m->opt.drain_timeout);
		} else {
			fprintf(stderr,
				"pipeline: %s: generators stopped; draining what is in flight "
				"(send it again to stop at once)\n",
				signal_name(sig));
		}
	} else if (!pl_engine_aborted(m->e) && !pl_engine_finished(m->e)) {
		fprintf(stderr, "pipeline: %s again: stopping at once\n", signal_name(sig));
		pl_engine_abort(m->e);
	}
}

/* The watchdog's view: what had moved when it last changed. */
struct stall {
	unsigned long long moved;
	double since; /* when `moved` last changed */
	int reported; /* this stall was reported */
};

/* Prints where the workers are once no message has moved for the
 * watchdog's period, once per stall. */
static void watch(struct pl_monitor *m, struct stall *st, double now)
{
	unsigned long long moved = pl_engine_moved(m->e);
	if (moved != st->moved) {
		st->moved = moved;
		st->since = now;
		st->reported = 0;
		return;
	}
	if (st->reported || now - st->since < m->opt.watchdog || pl_engine_finished(m->e))
		return;
	st->reported = 1;
	if (m->opt.progress)
		pl_progress_clear(stderr);
	flockfile(stderr);
	fprintf(stderr,
		"pipeline: watchdog: no message has moved for at least %.1f s (%s %g); where "
		"the workers are:\n",
		now - st->since,
		m->opt.watchdog_origin != NULL ? m->opt.watchdog_origin : "--watchdog",
		m->opt.watchdog);
	pl_engine_dump(m->e, stderr);
	fputs(pl_engine_stopped(m->e) ? "pipeline: watchdog: the run goes on, draining; another "
					"SIGINT (Ctrl-C) stops it at once\n"
				      : "pipeline: watchdog: the run goes on; SIGINT (Ctrl-C) "
					"drains it, a second one stops it at once\n",
	      stderr);
	funlockfile(stderr);
}

static void *monitor_main(void *arg)
{
	struct pl_monitor *m = arg;
	/* One blocking call before the signals are unblocked: under
	 * ThreadSanitizer (GCC 12's libtsan) a signal arriving before a
	 * thread's first blocking call is sometimes lost; harmless elsewhere. */
	poll(NULL, 0, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	double start = now_s(), deadline = 0;
	double next_draw = m->opt.progress ? start + 0.25 : 0;
	double next_write = m->opt.metrics_path != NULL && m->opt.metrics_interval > 0
				    ? start + m->opt.metrics_interval
				    : 0;
	/* The watchdog looks at least 4 times per period, at most 10 a second. */
	double watch_every = m->opt.watchdog / 4 < 0.1 ? 0.1 : m->opt.watchdog / 4;
	double next_watch = m->opt.watchdog > 0 ? start + watch_every : 0;
	struct stall stall = { .moved = pl_engine_moved(m->e), .since = start };
	for (;;) {
		double now = now_s(), wake = 0;
		if (next_draw > 0)
			wake = next_draw;
		if (next_watch > 0 && (wake == 0 || next_watch < wake))
			wake = next_watch;
		if (next_write > 0 && (wake == 0 || next_write < wake))
			wake = next_write;
		if (deadline > 0 && !pl_engine_aborted(m->e) && (wake == 0 || deadline < wake))
			wake = deadline;
		int timeout = wake == 0 ? -1 : wake <= now ? 0 : (int)((wake - now) * 1000) + 1;
		struct pollfd p = { .fd = sig_pipe[0], .events = POLLIN };
		int r = poll(&p, 1, timeout);
		if (r > 0) {
			struct sig_note notes[8];
			ssize_t n = read(sig_pipe[0], notes, sizeof(notes));
			int done = 0;
			for (ssize_t i = 0; n > 0 && i < n / (ssize_t)sizeof(notes[0]); i++) {
				if (notes[i].signo == 0)
					done = 1;
				else
					on_monitor_signal(m, &notes[i], &deadline);
			}
			if (done)
				break;
		}
		/* (The end is also a flag: its note may not fit a full pipe.) */
		if (atomic_load(&m->done))
			break;
		now = now_s();
		if (deadline > 0 && now >= deadline && !pl_engine_aborted(m->e) &&
		    !pl_engine_finished(m->e)) {
			if (m->opt.progress)
				pl_progress_clear(stderr);
			fprintf(stderr,
				"pipeline: the drain did not finish within %g s (--drain-timeout); "
				"stopping at once\n",
				m->opt.drain_timeout);
			pl_engine_abort(m->e);
		}
		const char *state = pl_engine_aborted(m->e)   ? "aborting"
				    : pl_engine_stopped(m->e) ? "draining"
							      : "running";
		if (next_draw > 0 && now >= next_draw) {
			pl_progress_draw(&m->progress, m->e, state, stderr);
			next_draw = now + 0.25;
		}
		if (next_watch > 0 && now >= next_watch) {
			watch(m, &stall, now);
			next_watch = now + watch_every;
		}
		if (next_write > 0 && now >= next_write) {
			pl_monitor_write_metrics(m->e, m->opt.metrics_path, state);
			next_write = now + m->opt.metrics_interval;
		}
	}
	if (m->opt.progress)
		pl_progress_clear(stderr);
	return NULL;
}

int pl_monitor_start(pl_engine *e, const pl_monitor_options *opt, pl_monitor **out)
{
	*out = NULL;
	struct pl_monitor *m = pl_mem_calloc(1, sizeof(*m));
	if (m == NULL)
		return PL_ENOMEM;
	atomic_init(&m->done, 0);
	m->e = e;
	m->opt = *opt;
	if (pl_progress_init(&m->progress, e) != 0) {
		free(m);
		return PL_ENOMEM;
	}
	if (pipe(sig_pipe) != 0) {
		pl_progress_free(&m->progress);
		free(m);
		return PL_EAGAIN;
	}
	for (int k = 0; k < 2; k++) {
		fcntl(sig_pipe[k], F_SETFD, FD_CLOEXEC);
		fcntl(sig_pipe[k], F_SETFL, O_NONBLOCK);
	}
	/* Block the signals here, so that every thread started from now on
	 * (the workers) has them blocked, and the monitor alone takes them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, &m->old_mask);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_SIGINFO;
	/* A signal ignored on entry (a background job of a script ignores
	 * SIGINT) stays ignored, as the shell meant. */
	sigaction(SIGINT, NULL, &m->old_int);
	sigaction(SIGTERM, NULL, &m->old_term);
	if (m->old_int.sa_handler != SIG_IGN)
		sigaction(SIGINT, &sa, NULL);
	if (m->old_term.sa_handler != SIG_IGN)
		sigaction(SIGTERM, &sa, NULL);
	if (pthread_create(&m->thread, NULL, monitor_main, m) != 0) {
		pl_monitor_free(m);
		return PL_EAGAIN;
	}
	*out = m;
	return 0;
}

int pl_monitor_finish(pl_monitor *m)
{
	if (m == NULL)
		return 0;
	atomic_store(&m->done, 1);
	struct sig_note done = { .at = 0.0, .signo = 0 };
	while (write(sig_pipe[1], &done, sizeof(done)) < 0 && errno == EINTR)
		;
	/* (Should the pipe be full, the monitor is reading it and sees the
	 * flag on its next turn.) */
	pthread_join(m->thread, NULL);
	/* The handler stays until pl_monitor_free(): a signal now, once the
	 * pipeline has finished, only lands in the pipe, rather than killing
	 * the process halfway through its summary. */
	return m->first_signal;
}

void pl_monitor_free(pl_monitor *m)
{
	if (m == NULL)
		return;
	/* A signal that came after the monitor ended is pending (blocked in
	 * every thread).  Ignore such signals from now on, take the pending
	 * ones, and only then unblock and restore: restoring the default
	 * action first would let one kill the process after a clean run. */
	struct sigaction ign;
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGTERM, &ign, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &m->old_mask, NULL);
	sigaction(SIGINT, &m->old_int, NULL);
	sigaction(SIGTERM, &m->old_term, NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	pl_progress_free(&m->progress);
	free(m);
}
