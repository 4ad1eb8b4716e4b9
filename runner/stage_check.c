/* stage_check.c - a stage's init() and fini() run once outside the engine (see stage_check.h). */
#include "stage_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"
#include "host.h"
#include "msg.h"

/* The worker init() is given: `pub` first, so that the host's functions
 * find the rest from the pl_worker pointer. */
struct checker {
	pl_worker pub;
	char error[256];
};

static int check_fail(pl_worker *pw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void check_log(pl_worker *pw, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int check_fail(pl_worker *pw, const char *fmt, ...)
{
	struct checker *c = (struct checker *)pw;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->error, sizeof(c->error), fmt, ap);
	va_end(ap);
	return PL_ESTAGE;
}

static void check_log(pl_worker *pw, int level, const char *fmt, ...)
{
	(void)pw;
	(void)level;
	(void)fmt;
}

/* Ownership: takes `msg` and frees it: nothing runs yet. */
static int check_emit(pl_worker *pw, pl_msg *msg)
{
	(void)pw;
	pl_msg_free(msg);
	return PL_EINVAL;
}

static int check_stopping(pl_worker *pw)
{
	(void)pw;
	return 1;
}

int pl_stage_check_init(const pl_stage *st, const pl_params *params, const char *node,
			uint32_t count, char *why, size_t len)
{
	if ((st->flags & PL_STAGE_INIT_CHECKS) == 0 || st->init == NULL)
		return 0;
	pl_host host;
	pl_host_init(&host);
	host.failf = check_fail;
	host.log = check_log;
	host.emit = check_emit;
	host.stopping = check_stopping;
	struct checker c;
	memset(&c, 0, sizeof(c));
	c.pub.host = &host;
	c.pub.count = count > 0 ? count : 1;
	c.pub.node = node;
	int rc = st->init(&c.pub, params);
	if (rc == 0) {
		if (st->fini != NULL)
			st->fini(&c.pub);
		return 0;
	}
	/* Out of memory is the command's failure, not the config's: the stages
	 * say it with failf(w, "out of memory"). */
	if ((rc == PL_ENOMEM && c.error[0] == '\0') || strcmp(c.error, "out of memory") == 0)
		return PL_ENOMEM;
	snprintf(why, len, "%s", c.error[0] != '\0' ? c.error : pl_strerror(rc));
	return PL_ESTAGE;
}
