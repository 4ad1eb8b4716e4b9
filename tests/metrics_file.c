/* metrics_file.c - reading the file `pipeline run --metrics-json` writes, for tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_check.h"
#include "metrics_file.h"
#include "run_child.h"

/* The text after "key": in s (white space skipped), or NULL. */
static const char *m_key(const char *s, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	const char *p = strstr(s, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

/* A number at "key": (sets *bad when there is none). */
static long long m_num(const char *s, const char *key, int *bad)
{
	const char *p = m_key(s, key);
	char *end;
	long long v = p != NULL ? strtoll(p, &end, 10) : 0;
	if (p == NULL || end == p)
		*bad = 1;
	return v;
}

/* A simple string (no escapes in our names) at "key":. */
static void m_str(const char *s, const char *key, char *out, size_t cap, int *bad)
{
	const char *p = m_key(s, key);
	out[0] = '\0';
	if (p == NULL || *p != '"') {
		*bad = 1;
		return;
	}
	p++;
	size_t n = 0;
	while (*p != '"' && *p != '\0' && n + 1 < cap)
		out[n++] = *p++;
	out[n] = '\0';
	if (*p != '"')
		*bad = 1;
}

/* The objects of the array "key":[...] (flat objects, no '{' '}' in strings): calls
 * fn(obj, i) for each, obj a NUL-terminated copy.  Returns how many, or -1. */
static int m_objects(const char *s, const char *key, size_t max,
		     void (*fn)(const char *obj, size_t i, void *arg, int *bad), void *arg,
		     int *bad)
{
	const char *p = m_key(s, key);
	if (p == NULL || *p != '[')
		return -1;
	p++;
	size_t i = 0;
	for (;;) {
		while (*p == ' ' || *p == '\n' || *p == ',')
			p++;
		if (*p == ']')
			return (int)i;
		if (*p != '{' || i >= max)
			return -1;
		const char *e = strchr(p, '}');
		if (e == NULL)
			return -1;
		size_t len = (size_t)(e - p + 1);
		char *obj = malloc(len + 1);
		assert_non_null(obj);
		memcpy(obj, p, len);
		obj[len] = '\0';
		fn(obj, i++, arg, bad);
		free(obj);
		p = e + 1;
	}
}

static void m_node_fn(const char *o, size_t i, void *arg, int *bad)
{
	struct metrics_node *n = &((struct metrics *)arg)->nodes[i];
	m_str(o, "name", n->name, sizeof(n->name), bad);
	m_str(o, "type", n->type, sizeof(n->type), bad);
	n->workers = m_num(o, "workers", bad);
	n->running = m_num(o, "running", bad);
	n->in = m_num(o, "in", bad);
	n->out = m_num(o, "out", bad);
	n->in_bytes = m_num(o, "in_bytes", bad);
	n->out_bytes = m_num(o, "out_bytes", bad);
	n->skipped = m_num(o, "skipped", bad);
	n->dead = m_num(o, "dead_letter", bad);
	n->failed = m_num(o, "failed", bad);
	n->lost = m_num(o, "lost", bad);
}

static void m_chan_fn(const char *o, size_t i, void *arg, int *bad)
{
	struct metrics_chan *c = &((struct metrics *)arg)->chans[i];
	m_str(o, "name", c->name, sizeof(c->name), bad);
	c->capacity = m_num(o, "capacity", bad);
	c->buffered = m_num(o, "buffered", bad);
	c->high_water = m_num(o, "high_water", bad);
	c->sent = m_num(o, "sent", bad);
	c->received = m_num(o, "received", bad);
}

int metrics_parse(const char *text, struct metrics *m, char *why, size_t whylen)
{
	memset(m, 0, sizeof(*m));
	if (json_valid(text, why, whylen) != 0)
		return -1;
	int bad = 0;
	/* The top-level keys come before "nodes" (whose objects have none of them). */
	m_str(text, "pipeline", m->pipeline, sizeof(m->pipeline), &bad);
	m_str(text, "state", m->state, sizeof(m->state), &bad);
	m->lost_in_flight = m_num(text, "lost_in_flight", &bad);
	const char *el = m_key(text, "elapsed_s");
	m->elapsed = el != NULL ? strtod(el, NULL) : (bad = 1, 0.0);
	int nn = m_objects(text, "nodes", 16, m_node_fn, m, &bad);
	int nc = m_objects(text, "channels", 16, m_chan_fn, m, &bad);
	if (bad || nn < 0 || nc < 0) {
		snprintf(why, whylen, "a key is missing or malformed");
		return -1;
	}
	m->nn = (size_t)nn;
	m->nc = (size_t)nc;
	return 0;
}

void metrics_read(const char *path, struct metrics *m)
{
	char *text = read_whole_file(path, NULL);
	if (text == NULL)
		fail_msg("no metrics file '%s' [%s]\n--- stderr:\n%s", path, failure_context(),
			 failure_stderr());
	char why[256];
	if (metrics_parse(text, m, why, sizeof(why)) != 0)
		fail_msg("metrics file '%s': %s\n%s\n  [%s]", path, why, text, failure_context());
	free(text);
}

const struct metrics_node *metrics_node(const struct metrics *m, const char *name)
{
	for (size_t i = 0; i < m->nn; i++)
		if (strcmp(m->nodes[i].name, name) == 0)
			return &m->nodes[i];
	fail_msg("no node '%s' in the metrics [%s]", name, failure_context());
	return NULL;
}

const struct metrics_chan *metrics_chan(const struct metrics *m, const char *name)
{
	for (size_t i = 0; i < m->nc; i++)
		if (strcmp(m->chans[i].name, name) == 0)
			return &m->chans[i];
	fail_msg("no channel '%s' in the metrics [%s]", name, failure_context());
	return NULL;
}
