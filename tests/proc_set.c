/* proc_set.c - the `pipeline` processes a test runs side by side, and their end in its teardown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proc_set.h"

/* How much of each process's stderr a failure shows: its end. */
#define ERR_TAIL 6000

struct proc *procs_start(struct proc_set *set, const char *name, const char *cwd,
			 const char *const *args)
{
	if (set->n >= PROC_MAX)
		fail_msg("procs_start(%s): more than %d processes", name, PROC_MAX);
	struct proc *p = &set->p[set->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", name);
	child_start(&p->c, cwd, -1, -1, args);
	p->running = 1;
	return p;
}

int proc_running(struct proc *p)
{
	if (p->running && child_reap(&p->c))
		p->running = 0;
	return p->running;
}

void proc_kill(struct proc *p)
{
	if (!p->running)
		return;
	(void)kill(p->c.pid, SIGKILL);
	while (proc_running(p))
		sleep_s(0.001);
}

void proc_wait(struct proc_set *set, struct proc *p, double timeout_s)
{
	double start = now_s();
	while (proc_running(p)) {
		if (now_s() - start > timeout_s) {
			proc_kill(p);
			procs_fail(set, "'%s' did not end within %.0f s (killed)", p->name,
				   timeout_s);
		}
		sleep_s(0.005);
	}
}

void proc_wait_log(struct proc_set *set, struct proc *p, const char *needle, double timeout_s)
{
	double start = now_s();
	for (;;) {
		int running = proc_running(p);
		char *err = running ? read_whole_file(p->c.err_path, NULL) : NULL;
		const char *text = running ? err : p->c.err;
		int found = text != NULL && strstr(text, needle) != NULL;
		free(err);
		if (found)
			return;
		if (!running)
			procs_fail(set, "'%s' ended before its stderr said \"%s\"", p->name,
				   needle);
		if (now_s() - start > timeout_s)
			procs_fail(set, "'%s' did not say \"%s\" within %.0f s", p->name, needle,
				   timeout_s);
		sleep_s(0.01);
	}
}

/* Appends printf-like text to the malloc'd string *buf (length *len). */
static void append(char **buf, size_t *len, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

static void append(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	char *bigger = realloc(*buf, *len + (size_t)n + 1);
	assert_non_null(bigger);
	*buf = bigger;
	va_start(ap, fmt);
	vsnprintf(*buf + *len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	*len += (size_t)n;
}

/* One process's state and the end of its stderr, for a failure message. */
static void describe(char **buf, size_t *len, const struct proc *p)
{
	char *live = NULL;
	const char *err = p->c.err;
	if (p->running) {
		live = read_whole_file(p->c.err_path, NULL);
		err = live;
		append(buf, len, "\n--- '%s' (pid %d): still running; stderr so far", p->name,
		       (int)p->c.pid);
	} else if (p->c.exited) {
		append(buf, len, "\n--- '%s': exited %d after %.2f s; stderr", p->name, p->c.code,
		       p->c.ended - p->c.started);
	} else {
		append(buf, len, "\n--- '%s': killed by signal %d after %.2f s; stderr", p->name,
		       p->c.code, p->c.ended - p->c.started);
	}
	if (err == NULL)
		err = "";
	size_t elen = strlen(err);
	if (elen > ERR_TAIL)
		append(buf, len, " (its last %d bytes):\n%s", ERR_TAIL, err + elen - ERR_TAIL);
	else
		append(buf, len, ":\n%s", err);
	free(live);
}

void procs_fail(const struct proc_set *set, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	char *buf = NULL;
	size_t len = 0;
	append(&buf, &len, "%s\n  [%s]", what, failure_context());
	for (size_t i = 0; i < set->n; i++)
		describe(&buf, &len, &set->p[i]);
	/* cmocka 1.1 cuts a failure's message at 1 KiB: the processes' stderr goes first,
	 * whole, to our own. */
	fprintf(stderr, "%s\n", buf);
	free(buf);
	fail_msg("%s (each process's stderr above) [%s]", what, failure_context());
	abort(); /* not reached: cmocka's fail jumps out of the test */
}

void procs_end(struct proc_set *set)
{
	for (size_t i = 0; i < set->n; i++) {
		proc_kill(&set->p[i]);
		child_free(&set->p[i].c);
	}
	set->n = 0;
}
