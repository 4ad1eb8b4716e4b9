/* msg_cache.h - per-thread caches of message blocks, so that a message costs no malloc/free. */
#ifndef PL_RUNNER_MSG_CACHE_H
#define PL_RUNNER_MSG_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/plugin.h"

/*
 * A message usually dies on another thread than the one that made it: a
 * generator allocates, a sink frees.  With malloc that is a cross-thread
 * free per message, which costs more than the channel hand-off itself.
 * Here each worker thread has a cache of message blocks in a few size
 * classes (mimalloc's design, much reduced):
 *
 *   - the owner allocates from its local free list, refilled by taking
 *     the whole list other threads gave back (one atomic exchange), and
 *     mallocs only when both are empty;
 *   - a thread freeing a block of its own cache puts it on the local list;
 *     a block of another cache is batched per home and handed back by one
 *     compare-and-swap per PL_MSG_BATCH blocks;
 *   - a thread without a cache (the main thread, a test) mallocs and
 *     frees as before, and hands foreign blocks back one by one.
 *
 * A cache holds at most what was in flight at once, plus a batch per
 * thread: memory is bounded by the channels' buffers, not by traffic.
 * Blocks larger than the largest class, and all blocks of a thread without
 * a cache, come from malloc and go back to free.
 */

typedef struct pl_msg_cache pl_msg_cache;

/* The header every message block starts with (the bytes follow). */
struct pl_msg {
	size_t len;
	union {
		char *meta;          /* in use: NULL, or the dead letter's metadata */
		struct pl_msg *next; /* cached: the next free block */
	} u;
	pl_msg_cache *home; /* the cache it returns to; NULL: malloc's */
	uint32_t cls;       /* its size class, when home != NULL */
	uint32_t cached;    /* PL_MSG_CACHED while on a free list: a second free aborts */
	unsigned char data[];
};

#define PL_MSG_CACHED 0x46524545u /* "FREE" */

/* Blocks handed back to another cache in one go. */
#define PL_MSG_BATCH 32

/*
 * Makes the calling thread allocate from, and free to, the cache at *slot,
 * created there on first need (a thread that never allocates costs
 * nothing).  Until pl__msg_cache_detach(), *slot belongs to this thread.
 */
void pl__msg_cache_attach(pl_msg_cache **slot);

/* Ends the calling thread's use of its cache: hands back every block it
 * batched for other caches.  The cache itself stays (blocks of it may still
 * travel) until pl__msg_cache_destroy(). */
void pl__msg_cache_detach(void);

/*
 * Frees `cache` and its free blocks, once no thread uses it and every
 * block of it was freed (the engine calls it after joining its threads and
 * freeing its channels).  A block still alive would be a stage's leak: the
 * cache is then left allocated, so that the leak shows and the late free
 * stays safe.  NULL does nothing.
 */
void pl__msg_cache_destroy(pl_msg_cache *cache);

/* A block for a message of `len` bytes, header set (meta NULL); NULL when
 * out of memory (for the block, or for the calling thread's cache on its
 * first allocation).  Ownership: the caller owns it. */
pl_msg *pl__msg_block_new(size_t len);

/* Returns a message's block (its metadata already freed).  Ownership:
 * takes `msg`. */
void pl__msg_block_free(pl_msg *msg);

#endif /* PL_RUNNER_MSG_CACHE_H */
