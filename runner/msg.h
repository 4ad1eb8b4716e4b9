/* msg.h - messages: one owned, contiguous byte buffer per message, and what a dead letter carries.
 */
#ifndef PL_RUNNER_MSG_H
#define PL_RUNNER_MSG_H

#include <stddef.h>

#include "pipeline/plugin.h"

/* A new message of `len` bytes, contents undefined; NULL when out of memory.
 * Ownership: the caller owns the result. */
pl_msg *pl_msg_new(size_t len);

/* A new message holding a copy of `len` bytes at `data`; NULL when out of
 * memory.  Ownership: the caller owns the result; `data` is only read. */
pl_msg *pl_msg_new_copy(const void *data, size_t len);

/* A copy of `msg`: its bytes and its metadata.  NULL when out of memory.
 * Ownership: borrows `msg`; the caller owns the result. */
pl_msg *pl_msg_copy(const pl_msg *msg);

/* Frees `msg` and its metadata; NULL does nothing.  Ownership: takes `msg`. */
void pl_msg_free(pl_msg *msg);

/* The message's bytes and their count.  Ownership: borrows `msg`. */
unsigned char *pl_msg_data(pl_msg *msg);
size_t pl_msg_len(const pl_msg *msg);

/* Attaches why a message failed, making it a dead letter: the node, its
 * stage, the error text and how many times it was tried.  Replaces what
 * was attached before.  Returns 0, or PL_ENOMEM (then `msg` is unchanged).
 * Ownership: borrows `msg` and the strings, which are copied. */
int pl_msg_set_failure(pl_msg *msg, const char *node, const char *stage, const char *error,
		       unsigned attempts);

/* The metadata `key` of `msg` ("node", "stage", "error", "attempts"), or
 * NULL when it has none.  Ownership: borrowed; lives as long as `msg`. */
const char *pl_msg_meta(const pl_msg *msg, const char *key);

#endif /* PL_RUNNER_MSG_H */
