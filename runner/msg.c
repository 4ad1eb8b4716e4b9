/* msg.c - messages: a length header and the bytes in one allocation, metadata beside them. */
#include "msg.h"
#include "mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The keys of the metadata, in the order their values are stored. */
static const char *const meta_keys[] = { "node", "stage", "error", "attempts" };
#define N_META (sizeof(meta_keys) / sizeof(meta_keys[0]))

struct pl_msg {
	size_t len;
	char *meta; /* NULL, or the N_META values one after the other, each NUL-ended */
	unsigned char data[];
};

pl_msg *pl_msg_new(size_t len)
{
	if (len > SIZE_MAX - sizeof(pl_msg))
		return NULL;
	pl_msg *msg = pl_mem_alloc(sizeof(pl_msg) + len);
	if (msg != NULL) {
		msg->len = len;
		msg->meta = NULL;
	}
	return msg;
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
	if (copy == NULL || msg->meta == NULL)
		return copy;
	size_t size = meta_size(msg->meta);
	copy->meta = pl_mem_alloc(size);
	if (copy->meta == NULL) {
		free(copy);
		return NULL;
	}
	memcpy(copy->meta, msg->meta, size);
	return copy;
}

void pl_msg_free(pl_msg *msg)
{
	if (msg == NULL)
		return;
	free(msg->meta);
	free(msg);
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
	free(msg->meta);
	msg->meta = meta;
	return 0;
}

const char *pl_msg_meta(const pl_msg *msg, const char *key)
{
	if (msg == NULL || msg->meta == NULL || key == NULL)
		return NULL;
	const char *p = msg->meta;
	for (size_t i = 0; i < N_META; i++) {
		if (strcmp(meta_keys[i], key) == 0)
			return p;
		p += strlen(p) + 1;
	}
	return NULL;
}
