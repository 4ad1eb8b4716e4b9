/* coproc.c - a co-process on two pipes: started with posix_spawn, one line out, one line back. */
#define _GNU_SOURCE /* posix_spawn_file_actions_addclosefrom_np() (glibc 2.34) */
#include "coproc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "mem.h"

extern char **environ;

/* The longest wait between two looks at stopping() while exchanging. */
#define POLL_SLICE_MS 100

int pl__coproc_init(struct pl_coproc *c, size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->in_fd = -1;
	c->out_fd = -1;
	c->buf = pl_mem_alloc(cap);
	if (c->buf == NULL)
		return PL_ENOMEM;
	c->cap = cap;
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* The spawn attributes: a process group of its own, an empty signal mask
 * and every signal at its default (pipeline ignores SIGPIPE: a child must
 * not inherit that).  Returns 0 or an errno value. */
static int spawn_attr(posix_spawnattr_t *attr)
{
	sigset_t none, all;
	int e = posix_spawnattr_init(attr);
	if (e != 0)
		return e;
	(void)sigemptyset(&none);
	(void)sigfillset(&all);
	if ((e = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
							POSIX_SPAWN_SETSIGDEF)) != 0 ||
	    (e = posix_spawnattr_setpgroup(attr, 0)) != 0 ||
	    (e = posix_spawnattr_setsigmask(attr, &none)) != 0 ||
	    (e = posix_spawnattr_setsigdefault(attr, &all)) != 0)
		(void)posix_spawnattr_destroy(attr);
	return e;
}

/* The file actions: its stdin and stdout on the pipes, nothing else of
 * ours (our descriptors are meant to be close-on-exec; where glibc can,
 * every one from 3 up is closed anyway).  Returns 0 or an errno value. */
static int spawn_files(posix_spawn_file_actions_t *fa, int child_in, int child_out)
{
	int e = posix_spawn_file_actions_init(fa);
	if (e != 0)
		return e;
	if ((e = posix_spawn_file_actions_adddup2(fa, child_in, 0)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(fa, child_out, 1)) != 0)
		goto fail;
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
	if ((e = posix_spawn_file_actions_addclosefrom_np(fa, 3)) != 0)
		goto fail;
#endif
	return 0;
fail:
	(void)posix_spawn_file_actions_destroy(fa);
	return e;
}

int pl__coproc_start(struct pl_coproc *c, const char *command)
{
	int in[2], out[2], e;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;

	if (pipe2(in, O_CLOEXEC) != 0) {
		c->err = errno;
		return PL_EIO;
	}
	if (pipe2(out, O_CLOEXEC) != 0) {
		c->err = errno;
		(void)close(in[0]);
		(void)close(in[1]);
		return PL_EIO;
	}
	if ((e = spawn_attr(&attr)) == 0) {
		if ((e = spawn_files(&fa, in[0], out[1])) == 0) {
			/* posix_spawn() takes char *const argv[]: it does not
			 * write to them. */
			char *argv[] = { (char *)"sh", (char *)"-c", (char *)command, NULL };
			e = posix_spawn(&c->pid, "/bin/sh", &fa, &attr, argv, environ);
			(void)posix_spawn_file_actions_destroy(&fa);
		}
		(void)posix_spawnattr_destroy(&attr);
	}
	(void)close(in[0]);
	(void)close(out[1]);
	if (e != 0) {
		c->pid = 0;
		c->err = e;
		(void)close(in[1]);
		(void)close(out[0]);
		return PL_EIO;
	}
	c->in_fd = in[1];
	c->out_fd = out[0];
	/* Non-blocking, so that a write never waits while the co-process
	 * waits for us to read (a long line, or a command that answers as it
	 * reads).  F_SETFL on a pipe we just made cannot fail. */
	(void)fcntl(c->in_fd, F_SETFL, O_NONBLOCK);
	(void)fcntl(c->out_fd, F_SETFL, O_NONBLOCK);
	c->len = 0;
	c->scanned = 0;
	return 0;
}

/* A '\n' in c->buf: sets *line_len and returns 1, else 0. */
static int find_line(struct pl_coproc *c, size_t *line_len)
{
	const unsigned char *nl = memchr(c->buf + c->scanned, '\n', c->len - c->scanned);
	if (nl == NULL) {
		c->scanned = c->len;
		return 0;
	}
	*line_len = (size_t)(nl - c->buf);
	return 1;
}

/* Reads what is there into c->buf, growing it up to max_line + 1 bytes.
 * Returns 0 (read something, or nothing yet), PL_COPROC_EOF, or an
 * error result. */
static int read_some(struct pl_coproc *c, size_t max_line)
{
	if (c->len == c->cap) {
		size_t cap = c->cap * 2 > max_line + 1 ? max_line + 1 : c->cap * 2;
		if (cap <= c->cap)
			return 0; /* full: the caller sees a line too long */
		unsigned char *p = pl_mem_realloc(c->buf, cap);
		if (p == NULL)
			return PL_COPROC_NOMEM;
		c->buf = p;
		c->cap = cap;
	}
	ssize_t n = read(c->out_fd, c->buf + c->len, c->cap - c->len);
	if (n > 0) {
		c->len += (size_t)n;
		return 0;
	}
	if (n == 0)
		return PL_COPROC_EOF;
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	c->err = errno;
	return PL_COPROC_ERROR;
}

/* Writes what it can of the `len` bytes at `data` and the '\n' after them
 * from *off on.  Returns 0, PL_COPROC_EOF (EPIPE) or PL_COPROC_ERROR. */
static int write_some(struct pl_coproc *c, const unsigned char *data, size_t len, size_t *off)
{
	static const unsigned char nl = '\n';
	ssize_t n = *off < len ? write(c->in_fd, data + *off, len - *off) : write(c->in_fd, &nl, 1);
	if (n >= 0) {
		*off += (size_t)n;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
		return 0;
	if (errno == EPIPE)
		return PL_COPROC_EOF;
	c->err = errno;
	return PL_COPROC_ERROR;
}

enum pl_coproc_result pl__coproc_exchange(struct pl_coproc *c, const unsigned char *data,
					  size_t len, int64_t timeout_ms, size_t max_line,
					  pl_worker *w, size_t *line_len)
{
	size_t off = 0, total = len + 1;
	int64_t deadline = timeout_ms > 0 ? pl__now_ms() + timeout_ms : 0;

	/* What it wrote since its last answer, before being asked again (a
	 * late second line), would be taken for this message's answer. */
	int early = read_some(c, max_line);
	if (early != 0)
		return (enum pl_coproc_result)early;
	if (c->len > 0)
		return PL_COPROC_UNASKED;
	for (;;) {
		int have_line = find_line(c, line_len);
		if (have_line && *line_len > max_line)
			return PL_COPROC_TOO_LONG;
		if (have_line && off == total)
			return PL_COPROC_OK;
		if (!have_line && c->len > max_line)
			return PL_COPROC_TOO_LONG;
		if (w->host->stopping(w))
			return PL_COPROC_STOPPED;
		int wait = POLL_SLICE_MS;
		if (deadline != 0) {
			int64_t left = deadline - pl__now_ms();
			if (left <= 0)
				return PL_COPROC_TIMEOUT;
			if (left < wait)
				wait = (int)left;
		}
		/* (A descriptor of -1 is skipped: no end of file is seen
		 * after the line, which leaves what follows it unread.) */
		struct pollfd fds[2] = { { .fd = have_line ? -1 : c->out_fd, .events = POLLIN },
					 { .fd = off < total ? c->in_fd : -1, .events = POLLOUT } };
		int n = poll(fds, 2, wait);
		if (n < 0 && errno != EINTR) {
			c->err = errno;
			return PL_COPROC_ERROR;
		}
		if (n <= 0)
			continue;
		int rc = 0;
		if (fds[0].revents != 0)
			rc = read_some(c, max_line);
		if (rc == 0 && fds[1].revents != 0)
			rc = write_some(c, data, len, &off);
		if (rc != 0)
			return (enum pl_coproc_result)rc;
	}
}

void pl__coproc_consume(struct pl_coproc *c, size_t line_len)
{
	size_t used = line_len + 1;
	if (used > c->len)
		used = c->len;
	memmove(c->buf, c->buf + used, c->len - used);
	c->len -= used;
	c->scanned = 0;
}

/* Reaps the child if it has exited, waiting up to `ms`.  Returns 1 when
 * reaped (its status in *status), else 0. */
static int reap_within(pid_t pid, int ms, int *status)
{
	struct timespec nap = { 0, 1000000 }; /* 1 ms, doubling to 32 ms */
	int64_t end = pl__now_ms() + ms;
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR) {
			*status = 0; /* not our child any more: nothing to reap */
			return 1;
		}
		if (pl__now_ms() >= end)
			return 0;
		(void)nanosleep(&nap, NULL);
		if (nap.tv_nsec < 32000000)
			nap.tv_nsec *= 2;
	}
}

/* Ends what is left of the process group `pgid` once its leader, the shell,
 * is reaped: its background children (`cmd &`), which would otherwise
 * outlive pipeline.  SIGTERM, up to PL_COPROC_GRACE_MS for them to go, then
 * SIGKILL.  (A process group's ID is not reused while the group has
 * members, so no stranger is signalled.) */
static void end_group(pid_t pgid)
{
	if (kill(-pgid, 0) != 0)
		return; /* none left (ESRCH) */
	(void)kill(-pgid, SIGTERM);
	struct timespec nap = { 0, 5000000 };
	for (int64_t end = pl__now_ms() + PL_COPROC_GRACE_MS; pl__now_ms() < end;) {
		if (kill(-pgid, 0) != 0)
			return;
		(void)nanosleep(&nap, NULL);
	}
	(void)kill(-pgid, SIGKILL);
}

int pl__coproc_finish(struct pl_coproc *c, int *status, size_t *extra)
{
	int eof = 0;
	*extra = 0;
	close_fd(&c->in_fd);
	/* Read (and drop) what it still writes until its end of file, so that a
	 * last line at the end (a summary, awk's END) meets no closed pipe. */
	for (int64_t end = pl__now_ms() + PL_COPROC_GRACE_MS; c->out_fd >= 0 && !eof;) {
		int64_t left = end - pl__now_ms();
		if (left <= 0)
			break;
		struct pollfd p = { .fd = c->out_fd, .events = POLLIN };
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		unsigned char sink[4096];
		ssize_t got = read(c->out_fd, sink, sizeof(sink));
		if (got > 0)
			*extra += (size_t)got;
		else if (got == 0 || (errno != EAGAIN && errno != EINTR))
			eof = 1; /* (an error reading counts as the end too) */
	}
	*extra += c->len;
	/* No end of file within the grace: it is still running (or a child of
	 * its holds the pipe); no second grace. */
	return pl__coproc_stop(c, !eof, status);
}

int pl__coproc_stop(struct pl_coproc *c, int now, int *status)
{
	int st = 0, signalled = 0;

	close_fd(&c->in_fd);
	close_fd(&c->out_fd);
	c->len = 0;
	c->scanned = 0;
	if (c->pid == 0)
		return -1;
	if (now || !reap_within(c->pid, PL_COPROC_GRACE_MS, &st)) {
		signalled = 1;
		/* The group, so that a shell's children go too; the shell
		 * itself should it have left it. */
		(void)kill(-c->pid, SIGTERM);
		(void)kill(c->pid, SIGTERM);
		if (!reap_within(c->pid, PL_COPROC_GRACE_MS, &st)) {
			(void)kill(-c->pid, SIGKILL);
			(void)kill(c->pid, SIGKILL);
			while (waitpid(c->pid, &st, 0) < 0 && errno == EINTR)
				;
		}
	}
	end_group(c->pid);
	c->pid = 0;
	if (status != NULL)
		*status = st;
	return signalled;
}

void pl__coproc_destroy(struct pl_coproc *c)
{
	(void)pl__coproc_stop(c, 1, NULL);
	free(c->buf);
	c->buf = NULL;
	c->cap = 0;
}
