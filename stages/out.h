/* out.h - the shared line writer: whole lines to a stdio stream, never interleaved. */
#ifndef PL_STAGES_OUT_H
#define PL_STAGES_OUT_H

#include <stddef.h>
#include <stdio.h>

#include "pipeline/plugin.h"

/* Writes `len` bytes at `data` followed by "\n" to `f`, holding the stream's
 * lock (flockfile) for the whole line, so lines written concurrently by any
 * number of threads through this function (or any other stdio call on `f`)
 * never interleave.  `data` may be NULL when `len` is 0.
 * Returns 0, or PL_EIO with errno set as by pl_out_flush().
 * Threading: safe from any thread.  Ownership: `data` is only read. */
int pl_out_write_line(FILE *f, const unsigned char *data, size_t len);

/* Writes `msg` to `f` as one line of JSON, like pl_out_write_line():
 *   {"message": "...", "node": "...", "stage": "...", "error": "...", "attempts": N}
 * with the last four only for a dead letter (a message that carries them,
 * see msg_meta in pipeline/plugin.h).  Bytes that are not UTF-8 become
 * U+FFFD.  Returns 0, PL_ENOMEM, or PL_EIO with errno set.
 * Ownership: borrows `msg`. */
int pl_out_write_json(FILE *f, const pl_host *h, pl_msg *msg);

/* Flushes `f` and checks its error indicator, which an earlier failed write
 * (possibly by another writer of the same stream) leaves set.  Returns 0, or
 * PL_EIO with errno describing the failure: for stdout, that of the first
 * failed write through this module when this flush itself set none; else
 * EIO when unknown.  Threading: safe from any thread. */
int pl_out_flush(FILE *f);

/* The text of errno value `errnum`, thread-safely, in `buf` of `len` bytes
 * (64 is plenty) or a static string.  Never NULL. */
const char *pl_out_strerror(int errnum, char *buf, size_t len);

/* Standard input has one reader: the first to claim it.  Claims it for
 * `who` (a name that must stay valid until released) and returns NULL, or
 * returns who holds it already.  Threading: safe from any thread. */
const char *pl_stdin_claim(const char *who);

/* Gives standard input back, if `who` holds it. */
void pl_stdin_release(const char *who);

#endif /* PL_STAGES_OUT_H */
