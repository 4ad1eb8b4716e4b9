/* coproc.h - a co-process on two pipes: started with posix_spawn, one line out, one line back. */
#ifndef PL_STAGES_COPROC_H
#define PL_STAGES_COPROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pipeline/plugin.h"

/*
 * `/bin/sh -c COMMAND` with its standard input and output on pipes to us
 * and its standard error inherited.  It runs in a process group of its own,
 * so that a Ctrl-C at the terminal reaches pipeline (which then drains,
 * still needing the co-process) and not it, and so that stopping it reaches
 * every process of a shell pipeline.  Our ends of the pipes are
 * close-on-exec and non-blocking; the child gets no other descriptor of
 * ours, default signal dispositions (SIGPIPE included) and an empty mask.
 *
 * Writing to a co-process that has exited raises SIGPIPE: the process must
 * ignore it (pipeline's main() does), and then sees EPIPE.
 *
 * Threading: a pl_coproc belongs to one thread at a time.
 */
struct pl_coproc {
	pid_t pid;                /* 0 when none runs */
	int in_fd, out_fd;        /* our ends of its stdin (we write) and stdout (we read); -1 */
	unsigned char *buf;       /* bytes read from it, not consumed yet */
	size_t len, cap, scanned; /* scanned: bytes of buf known to hold no '\n' */
	int err;                  /* the errno of the last PL_COPROC_ERROR */
};

/* What pl__coproc_exchange() got. */
enum pl_coproc_result {
	PL_COPROC_OK,       /* a line is in buf; its length in *line_len */
	PL_COPROC_EOF,      /* it closed its stdout (or stdin: EPIPE); c->len bytes came first */
	PL_COPROC_TIMEOUT,  /* no answer line in time */
	PL_COPROC_TOO_LONG, /* more than max_line bytes without a newline */
	PL_COPROC_STOPPED,  /* w's stopping() became true */
	PL_COPROC_ERROR,    /* a system call failed: c->err */
	PL_COPROC_NOMEM,    /* out of memory */
	PL_COPROC_UNASKED,  /* it had written before this message was sent: c->len bytes */
};

/* Sets `c` up with no co-process and an empty buffer of `cap` bytes.
 * Returns 0 or PL_ENOMEM (then `c` holds nothing). */
int pl__coproc_init(struct pl_coproc *c, size_t cap);

/* Starts `/bin/sh -c command`.  `c` must have none running.  Returns 0, or
 * PL_EIO with c->err set (no process left, no descriptor open). */
int pl__coproc_start(struct pl_coproc *c, const char *command);

/* Writes `len` bytes at `data` and a '\n' to the co-process while reading
 * what it writes, until a whole line has come back (after all was
 * written), or `timeout_ms` (0: no limit) passed, or stopping(w).  A line
 * is at most `max_line` bytes, its '\n' not counted.  Leaves the line at
 * the start of c->buf, followed by anything it wrote after it.  c->buf
 * must hold no line already.  Looks first at what it wrote since its last
 * answer: anything is PL_COPROC_UNASKED (nothing sent), end of file
 * PL_COPROC_EOF. */
enum pl_coproc_result pl__coproc_exchange(struct pl_coproc *c, const unsigned char *data,
					  size_t len, int64_t timeout_ms, size_t max_line,
					  pl_worker *w, size_t *line_len);

/* Drops the first `line_len` bytes of c->buf and the '\n' after them. */
void pl__coproc_consume(struct pl_coproc *c, size_t line_len);

/* Ends the co-process, if one runs: closes our ends of its pipes (its
 * stdin sees end of file), waits up to PL_COPROC_GRACE_MS for it to exit
 * (not with `now`), then sends SIGTERM to its process group and waits as
 * long again, then SIGKILL; it is always reaped.  What is left of its
 * process group after it (background children) then gets SIGTERM, and
 * SIGKILL after PL_COPROC_GRACE_MS.  Empties c->buf.  *status gets its wait
 * status; returns 1 when pipeline had to signal it, 0 when it exited by
 * itself, -1 when none ran. */
int pl__coproc_stop(struct pl_coproc *c, int now, int *status);

#define PL_COPROC_GRACE_MS 500

/* The end of its input: closes its standard input, reads and drops what it
 * still writes until its end of file (at most PL_COPROC_GRACE_MS), counting
 * the bytes into *extra (with any left in c->buf), then ends it as
 * pl__coproc_stop() does, at once when no end of file came, and returns
 * what that returns. */
int pl__coproc_finish(struct pl_coproc *c, int *status, size_t *extra);

/* Ends the co-process as pl__coproc_stop(c, 1, ...) does (at once: a
 * co-process that was to end at its end of input was stopped before) and
 * frees the buffer; `c` then holds nothing.  Nothing happens to a `c` set to zeros
 * with descriptors of -1. */
void pl__coproc_destroy(struct pl_coproc *c);

#endif /* PL_STAGES_COPROC_H */
