/* out.c - the shared line writer: whole lines to a stdio stream, never interleaved. */
#include "out.h"
#include "mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "pipeline/plugin.h"

/*
 * Locking: the stream's own lock (flockfile), taken for one line at a time,
 * and stdin_mu for the stdin claim; neither is nested with another lock.
 * The globals are stdout_errno (atomic) and stdin_holder (under stdin_mu).
 */

/* The errno of the first failed write to stdout.  Several workers and nodes
 * share stdout: after one of them fails, the others find its error indicator
 * set while fflush() has nothing left to write and sets no errno; they report
 * this one instead of a vague EIO. */
static atomic_int stdout_errno;

/* The errno to report for a failed write or flush of `f` that left `err`:
 * remembers the first for stdout, falls back on it, then on EIO. */
static int error_errno(const FILE *f, int err)
{
	int none = 0;
	if (f != stdout)
		return err != 0 ? err : EIO;
	if (err != 0) {
		atomic_compare_exchange_strong(&stdout_errno, &none, err);
		return err;
	}
	err = atomic_load(&stdout_errno);
	return err != 0 ? err : EIO;
}

/* glibc and musl have fwrite_unlocked under _DEFAULT_SOURCE; elsewhere the
 * locked fwrite is correct too, since flockfile is recursive.  The newline
 * goes through it as well rather than putc_unlocked: that is a macro which
 * touches the FILE's fields in our (instrumented) code, and ThreadSanitizer,
 * which cannot see the lock flockfile takes inside libc, reports it as a
 * race.  The name is parenthesised because glibc's bits/stdio.h also turns a
 * small constant-size fwrite_unlocked() into putc_unlocked(). */
#if defined(__GLIBC__)
#define out_fwrite (fwrite_unlocked)
#else
#define out_fwrite fwrite
#endif

int pl_out_write_line(FILE *f, const unsigned char *data, size_t len)
{
	int rc = 0;
	int saved;

	flockfile(f);
	errno = 0;
	if ((len > 0 && out_fwrite(data, 1, len, f) != len) || out_fwrite("\n", 1, 1, f) != 1)
		rc = PL_EIO;
	saved = errno;
	funlockfile(f);
	errno = rc != 0 ? error_errno(f, saved) : saved;
	return rc;
}

int pl_out_write_json(FILE *f, const pl_host *h, pl_msg *msg)
{
	static const char *const keys[] = { "node", "stage", "error" };
	const char *vals[3];
	size_t len = h->msg_len(msg);
	size_t size = PL_JSON_ESCAPED_MAX(len) + 64;
	for (size_t i = 0; i < 3; i++) {
		vals[i] = h->msg_meta(msg, keys[i]);
		size += vals[i] != NULL ? PL_JSON_ESCAPED_MAX(strlen(vals[i])) + 16 : 0;
	}
	const char *attempts = h->msg_meta(msg, "attempts");
	size += attempts != NULL ? strlen(attempts) + 16 : 0;
	char *line = pl_mem_alloc(size), *p = line;
	if (line == NULL)
		return PL_ENOMEM;
	p += sprintf(p, "{\"message\": ");
	p += pl_json_escape(p, h->msg_data(msg), len);
	for (size_t i = 0; i < 3; i++) {
		if (vals[i] == NULL)
			continue;
		p += sprintf(p, ", \"%s\": ", keys[i]);
		p += pl_json_escape(p, vals[i], strlen(vals[i]));
	}
	if (attempts != NULL)
		p += sprintf(p, ", \"attempts\": %s", attempts);
	*p++ = '}';
	int rc = pl_out_write_line(f, (const unsigned char *)line, (size_t)(p - line));
	int e = errno;
	free(line);
	errno = e;
	return rc;
}

int pl_out_flush(FILE *f)
{
	errno = 0;
	if (fflush(f) != 0 || ferror(f)) {
		errno = error_errno(f, errno);
		return PL_EIO;
	}
	return 0;
}

/* Who reads standard input, or NULL; under stdin_mu. */
static pthread_mutex_t stdin_mu = PTHREAD_MUTEX_INITIALIZER;
static const char *stdin_holder;

const char *pl_stdin_claim(const char *who)
{
	pthread_mutex_lock(&stdin_mu);
	const char *holder = stdin_holder;
	if (holder == NULL)
		stdin_holder = who;
	pthread_mutex_unlock(&stdin_mu);
	return holder;
}

void pl_stdin_release(const char *who)
{
	pthread_mutex_lock(&stdin_mu);
	if (stdin_holder == who)
		stdin_holder = NULL;
	pthread_mutex_unlock(&stdin_mu);
}

const char *pl_out_strerror(int errnum, char *buf, size_t len)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(errnum, buf, len); /* the GNU variant */
#else
	if (len == 0)
		return "unknown error";
	if (strerror_r(errnum, buf, len) != 0)
		snprintf(buf, len, "error %d", errnum);
	return buf;
#endif
}
