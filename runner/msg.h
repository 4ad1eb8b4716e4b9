/* msg.h - messages: one owned, contiguous byte buffer per message. */
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

/* Frees `msg`; NULL does nothing.  Ownership: takes `msg`. */
void pl_msg_free(pl_msg *msg);

/* The message's bytes and their count.  Ownership: borrows `msg`. */
unsigned char *pl_msg_data(pl_msg *msg);
size_t pl_msg_len(const pl_msg *msg);

#endif /* PL_RUNNER_MSG_H */
