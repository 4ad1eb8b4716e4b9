/* msg_cache.c - per-thread caches of message blocks (see msg_cache.h). */
#include "msg_cache.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "mem.h"

/*
 * Threads: a cache's local lists, counters and outgoing batches are its
 * owner's alone; `remote` is where any thread pushes blocks back (a Treiber
 * stack whose only pop is the owner's exchange of the whole list, so it
 * has no ABA problem).  A push is a release, the owner's exchange an
 * acquire: whatever the freeing thread did to a block happens before its
 * next user touches it.
 *
 * Under AddressSanitizer a cached block's bytes and length are poisoned, and
 * a new message's bytes beyond its length stay so: reading a freed message,
 * or past a message's length, is still reported as with malloc.  A second
 * free of a cached block aborts in every build (it would otherwise hand the
 * block out twice).  Valgrind sees cached blocks as live memory.
 */

#if defined(__SANITIZE_ADDRESS__)
#define PL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PL_ASAN 1
#endif
#endif

#ifdef PL_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n)   ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

/* The bytes a block of each class holds. */
static const size_t class_size[] = { 64, 256, 1024, 4096 };
#define N_CLASSES (sizeof(class_size) / sizeof(class_size[0]))

/* Outgoing batches a thread keeps at once: one per home it frees for (a
 * fan-in's sink frees for several generators). */
#define N_PENDING 4

struct pending {
	pl_msg_cache *home; /* NULL: unused */
	uint32_t cls;
	uint32_t n;
	pl_msg *first, *last;
};

struct remote_list {
	_Alignas(64) _Atomic(pl_msg *) head;
};

struct pl_msg_cache {
	/* The owner's. */
	pl_msg *local[N_CLASSES];
	uint64_t created; /* blocks malloc'd for this cache */
	/* Any thread's. */
	struct remote_list remote[N_CLASSES];
};

/* The attached thread's slot, and the cache in it (NULL until it first
 * allocates); its batches of other caches' blocks (in thread storage, so
 * that freeing never allocates). */
static _Thread_local pl_msg_cache **tls_slot;
static _Thread_local pl_msg_cache *tls_cache;
static _Thread_local struct pending tls_pending[N_PENDING];
static _Thread_local unsigned tls_evict; /* the batch to hand back when all are taken */

void pl__msg_cache_attach(pl_msg_cache **slot)
{
	tls_slot = slot;
	tls_cache = *slot;
}

/* The calling thread's cache, created on first need; NULL for a thread
 * without one, or out of memory. */
static pl_msg_cache *my_cache(void)
{
	if (tls_cache != NULL || tls_slot == NULL)
		return tls_cache;
	pl_msg_cache *c = pl_mem_aligned_calloc(64, sizeof(*c));
	if (c == NULL)
		return NULL;
	for (size_t k = 0; k < N_CLASSES; k++)
		atomic_init(&c->remote[k].head, NULL);
	*tls_slot = c;
	tls_cache = c;
	return c;
}

/* Pushes the chain first..last onto `home`'s list of class `cls`.
 * Ownership: gives the blocks to `home`. */
static void push_remote(pl_msg_cache *home, uint32_t cls, pl_msg *first, pl_msg *last)
{
	_Atomic(pl_msg *) *head = &home->remote[cls].head;
	pl_msg *old = atomic_load_explicit(head, memory_order_relaxed);
	do
		last->u.next = old;
	while (!atomic_compare_exchange_weak_explicit(head, &old, first, memory_order_release,
						      memory_order_relaxed));
}

static void flush_pending(struct pending *p)
{
	if (p->home != NULL)
		push_remote(p->home, p->cls, p->first, p->last);
	*p = (struct pending){ 0 };
}

void pl__msg_cache_detach(void)
{
	for (size_t i = 0; i < N_PENDING; i++)
		flush_pending(&tls_pending[i]);
	tls_slot = NULL;
	tls_cache = NULL;
}

static size_t list_length(pl_msg *m)
{
	size_t n = 0;
	for (; m != NULL; m = m->u.next)
		n++;
	return n;
}

static void free_list(pl_msg *m)
{
	while (m != NULL) {
		pl_msg *next = m->u.next;
		free(m);
		m = next;
	}
}

void pl__msg_cache_destroy(pl_msg_cache *c)
{
	if (c == NULL)
		return;
	uint64_t cached = 0;
	for (size_t k = 0; k < N_CLASSES; k++) {
		pl_msg *remote =
			atomic_exchange_explicit(&c->remote[k].head, NULL, memory_order_acquire);
		cached += list_length(c->local[k]) + list_length(remote);
		free_list(c->local[k]);
		free_list(remote);
		c->local[k] = NULL;
	}
	if (cached == c->created)
		free(c);
	/* else: blocks of it are still alive somewhere (a stage kept a
	 * message past fini()); they may come back, so the cache stays. */
}

/* A block of malloc's, for a thread without a cache or a large message. */
static pl_msg *plain_block(size_t len)
{
	if (len > SIZE_MAX - sizeof(pl_msg))
		return NULL;
	pl_msg *m = pl_mem_alloc(sizeof(pl_msg) + len);
	if (m != NULL) {
		m->home = NULL;
		m->cls = 0;
		m->cached = 0;
	}
	return m;
}

static uint32_t class_of(size_t len)
{
	uint32_t k = 0;
	while (class_size[k] < len)
		k++;
	return k;
}

pl_msg *pl__msg_block_new(size_t len)
{
	pl_msg_cache *c = NULL;
	pl_msg *m;
	if (len <= class_size[N_CLASSES - 1] && (c = my_cache()) == NULL && tls_slot != NULL)
		return NULL; /* out of memory for the cache itself */
	if (c == NULL) {
		m = plain_block(len);
	} else {
		uint32_t k = class_of(len);
		m = c->local[k];
		if (m == NULL &&
		    atomic_load_explicit(&c->remote[k].head, memory_order_relaxed) != NULL)
			m = atomic_exchange_explicit(&c->remote[k].head, NULL,
						     memory_order_acquire);
		if (m != NULL) {
			c->local[k] = m->u.next;
		} else {
			m = pl_mem_alloc(sizeof(pl_msg) + class_size[k]);
			if (m == NULL)
				return NULL;
			POISON(m->data, class_size[k]);
			m->home = c;
			m->cls = k;
			c->created++;
		}
		UNPOISON(&m->len, sizeof(m->len));
		UNPOISON(m->data, len);
		m->cached = 0;
	}
	if (m != NULL) {
		m->len = len;
		m->u.meta = NULL;
	}
	return m;
}

/* Adds a block of another cache to the calling thread's outgoing batches.
 * Ownership: takes `m`. */
static void batch_foreign(pl_msg *m)
{
	struct pending *p = NULL, *free_slot = NULL;
	for (size_t i = 0; i < N_PENDING; i++) {
		struct pending *q = &tls_pending[i];
		if (q->home == m->home && q->cls == m->cls) {
			p = q;
			break;
		}
		if (q->home == NULL && free_slot == NULL)
			free_slot = q;
	}
	if (p == NULL) {
		if (free_slot == NULL) {
			free_slot = &tls_pending[tls_evict];
			tls_evict = (tls_evict + 1) % N_PENDING;
			flush_pending(free_slot);
		}
		p = free_slot;
		*p = (struct pending){ .home = m->home, .cls = m->cls, .last = m };
	}
	m->u.next = p->first;
	p->first = m;
	if (++p->n == PL_MSG_BATCH)
		flush_pending(p);
}

void pl__msg_block_free(pl_msg *m)
{
	if (m->home == NULL) {
		free(m);
		return;
	}
	if (m->cached == PL_MSG_CACHED) {
		/* malloc would have caught it; a cache would hand the block
		 * out twice. */
		fputs("pipeline: a message was freed twice (a stage's bug)\n", stderr);
		abort();
	}
	m->cached = PL_MSG_CACHED;
	/* Its length too, so that reading a freed message is reported. */
	POISON(&m->len, sizeof(m->len));
	POISON(m->data, class_size[m->cls]);
	pl_msg_cache *c = tls_cache;
	if (c == m->home) {
		m->u.next = c->local[m->cls];
		c->local[m->cls] = m;
	} else if (tls_slot != NULL) {
		batch_foreign(m);
	} else {
		push_remote(m->home, m->cls, m, m);
	}
}
