/* msg.c - messages: a length header and the bytes in one block, metadata beside them. */
#include "msg.h"
#include "mem.h"
#include "msg_cache.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The keys of the metadata, in the order their values are stored. */
static const char *const meta_keys[] = { "node", "stage", "error", "attempts" };
#define N_META (sizeof(meta_keys) / sizeof(meta_keys[0]))

/* A message's meta (struct pl_msg is in msg_cache.h) is NULL, or the N_META
 * values one after the other, each NUL-ended. */

pl_msg *pl_msg_new(size_t len)
{
	return pl__msg_block_new(len);
}

pl_msg *pl_msg_new_copy(const void *data, size_t len)
{
	pl_msg *msg = pl_msg_new(len);
	if (msg != NULL && len > 0)
		memcpy(msg->data, data, len);
	return msg;
}

/* The size of a metadata block: its N_META strings with their NULs. */
static size_t meta_size(const char *meta)
{
	const char *p = meta;
	for (size_t i = 0; i < N_META; i++)
		p += strlen(p) + 1;
	return (size_t)(p - meta);
}

pl_msg *pl_msg_copy(const pl_msg *msg)
{
	pl_msg *copy = pl_msg_new_copy(msg->data, msg->len);
	if (copy == NULL || msg->u.meta == NULL)
		return copy;
	size_t size = meta_size(msg->u.meta);
	copy->u.meta = pl_mem_alloc(size);
	if (copy->u.meta == NULL) {
		pl__msg_block_free(copy);
		return NULL;
	}
	memcpy(copy->u.meta, msg->u.meta, size);
	return copy;
}

void pl_msg_free(pl_msg *msg)
{
	if (msg == NULL)
		return;
	if (msg->u.meta != NULL)
		free(msg->u.meta);
	pl__msg_block_free(msg);
}

unsigned char *pl_msg_data(pl_msg *msg)
{
	return msg->data;
}

size_t pl_msg_len(const pl_msg *msg)
{
	return msg->len;
}

int pl_msg_set_failure(pl_msg *msg, const char *node, const char *stage, const char *error,
		       unsigned attempts)
{
	char count[16];
	snprintf(count, sizeof(count), "%u", attempts);
	const char *values[N_META] = { node, stage, error, count };
	size_t size = 0;
	for (size_t i = 0; i < N_META; i++)
		size += strlen(values[i]) + 1;
	char *meta = pl_mem_alloc(size), *p = meta;
	if (meta == NULL)
		return PL_ENOMEM;
	for (size_t i = 0; i < N_META; i++) {
		size_t len = strlen(values[i]) + 1;
		memcpy(p, values[i], len);
		p += len;
	}
	free(msg->u.meta);
	msg->u.meta = meta;
	return 0;
}

const char *pl_msg_meta(const pl_msg *msg, const char *key)
{
	if (msg == NULL || msg->u.meta == NULL || key == NULL)
		return NULL;
	const char *p = msg->u.meta;
	for (size_t i = 0; i < N_META; i++) {
		if (strcmp(meta_keys[i], key) == 0)
			return p;
		p += strlen(p) + 1;
	}
	return NULL;
}
