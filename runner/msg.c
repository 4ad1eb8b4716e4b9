/* msg.c - messages: a length header and the bytes in one allocation. */
#include "msg.h"

#include <stdlib.h>
#include <string.h>

struct pl_msg {
	size_t len;
	unsigned char data[];
};

pl_msg *pl_msg_new(size_t len)
{
	if (len > SIZE_MAX - sizeof(pl_msg))
		return NULL;
	pl_msg *msg = malloc(sizeof(pl_msg) + len);
	if (msg != NULL)
		msg->len = len;
	return msg;
}

pl_msg *pl_msg_new_copy(const void *data, size_t len)
{
	pl_msg *msg = pl_msg_new(len);
	if (msg != NULL && len > 0)
		memcpy(msg->data, data, len);
	return msg;
}

void pl_msg_free(pl_msg *msg)
{
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
