/* run_monitor.c - the thread beside a running pipeline: signals, drain deadline, progress, metrics
 * file. */
#include "run_monitor.h"

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
#include "report.h"

/*
 * Signals reach us through a self-pipe: the handler only write()s the
 * signal's number to it (async-signal-safe), and the monitor thread, the
 * only thread with SIGINT and SIGTERM unblocked, poll()s it together with
 * its timers.  pl_monitor_finish() writes 0 to the pipe to end the thread.
 */
static int sig_pipe[2] = { -1, -1 };

/* What the handler writes: the signal and who sent it (signo 0: the end). */
struct sig_note {
	int signo;
	pid_t pid;  /* the sender, for a signal sent by a process (kill) */
	int by_pid; /* sent by kill() (SI_USER), not by the terminal */
	double at;  /* CLOCK_MONOTONIC seconds when it arrived */
};

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	int saved = errno;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* async-signal-safe */
	struct sig_note note = { sig, info != NULL ? info->si_pid : 0,
				 info != NULL && info->si_code == SI_USER,
				 (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 };
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

int pl_monitor_write_metrics(const pl_engine *e, const char *path, const char *state)
{
	/* A regular file (or a new one) is replaced whole by a rename, so a
	 * reader never sees half a document; a FIFO or a device is written in
	 * place. */
	struct stat st;
	int in_place = stat(path, &st) == 0 && !S_ISREG(st.st_mode);
	char tmp[4096];
	if (!in_place && snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		fprintf(stderr, "pipeline: error: metrics file name '%s' is too long\n", path);
		return PL_EIO;
	}
	/* Never blocking: a FIFO nobody reads must not hang the thread that
	 * takes the signals (nor the end of the run). */
	int fd = in_place ? open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
			  : open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		static atomic_int warned; /* once per run is enough */
		if (err == ENXIO && atomic_exchange(&warned, 1) == 0)
			fprintf(stderr,
				"pipeline: warning: nobody reads the FIFO '%s'; metrics are not "
				"written while that lasts\n",
				path);
		else if (err != ENXIO)
			fprintf(stderr, "pipeline: error: cannot write metrics to '%s': %s\n",
				in_place ? path : tmp, strerror(err));
		return err == ENXIO ? 0 : PL_EIO;
	}
	int rc = pl_report_json(e, state, f);
	if (fclose(f) != 0)
		rc = PL_EIO;
	if (rc == 0 && !in_place && rename(tmp, path) != 0)
		rc = PL_EIO;
	if (rc != 0) {
		fprintf(stderr, "pipeline: error: cannot write metrics to '%s': %s\n", path,
			strerror(errno));
		if (!in_place)
			unlink(tmp);
	}
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
	} else if (!pl_engine_aborted(m->e)) {
		fprintf(stderr, "pipeline: %s again: stopping at once\n", signal_name(sig));
		pl_engine_abort(m->e);
	}
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
	for (;;) {
		double now = now_s(), wake = 0;
		if (next_draw > 0)
			wake = next_draw;
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
		now = now_s();
		if (deadline > 0 && now >= deadline && !pl_engine_aborted(m->e)) {
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
	struct pl_monitor *m = calloc(1, sizeof(*m));
	if (m == NULL)
		return PL_ENOMEM;
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
	struct sig_note done = { 0, 0, 0, 0.0 };
	while (write(sig_pipe[1], &done, sizeof(done)) < 0 && errno == EINTR)
		;
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
	 * every thread): take it now, or restoring the default action and
	 * unblocking it would kill the process after a clean run. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&set, NULL, &zero) > 0)
		;
	sigaction(SIGINT, &m->old_int, NULL);
	sigaction(SIGTERM, &m->old_term, NULL);
	pthread_sigmask(SIG_SETMASK, &m->old_mask, NULL);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	pl_progress_free(&m->progress);
	free(m);
}
