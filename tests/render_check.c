/* render_check.c - reading back the DOT and Mermaid that render.c writes, to check them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "render_check.h"

#define MAX_IDS 256

struct ids {
	char v[MAX_IDS][64];
	size_t n;
};

static int has_id(const struct ids *ids, const char *id)
{
	for (size_t i = 0; i < ids->n; i++)
		if (strcmp(ids->v[i], id) == 0)
			return 1;
	return 0;
}

static void add_id(struct ids *ids, const char *id)
{
	assert_true(ids->n < MAX_IDS);
	if (has_id(ids, id))
		fail_msg("'%s' is declared twice", id);
	snprintf(ids->v[ids->n++], sizeof(ids->v[0]), "%s", id);
}

/* The edges a drawing declares, checked against its ids at the end. */
struct edges {
	struct {
		char from[64], to[64];
	} v[MAX_IDS];
	size_t n;
};

static void add_edge(struct edges *e, const char *from, const char *to)
{
	assert_true(e->n < MAX_IDS);
	snprintf(e->v[e->n].from, sizeof(e->v[0].from), "%s", from);
	snprintf(e->v[e->n].to, sizeof(e->v[0].to), "%s", to);
	e->n++;
}

/* Fails the test when an edge names a node the drawing never declared. */
static void check_edges(const struct edges *e, const struct ids *ids, const char *text)
{
	for (size_t i = 0; i < e->n; i++)
		if (!has_id(ids, e->v[i].from) || !has_id(ids, e->v[i].to))
			fail_msg("edge %s -> %s names an undeclared node in:\n%s", e->v[i].from,
				 e->v[i].to, text);
}

/* Checks that each line of `text` closes every string it opens: a quote
 * escaped as DOT does (\") does not count, and no raw newline hides in a
 * label.  Returns the number of lines. */
static size_t check_quotes(const char *text, int dot)
{
	size_t lines = 0;
	int open = 0;
	for (const char *p = text; *p; p++) {
		if (dot && p[0] == '\\' && p[1] != '\0') {
			p++;
			continue;
		}
		if (*p == '"')
			open = !open;
		if (*p == '\n') {
			if (open)
				fail_msg("line %zu leaves a string open:\n%s", lines + 1, text);
			lines++;
		}
	}
	assert_false(open);
	return lines;
}

/*
 * Parses the DOT we write (one statement a line) and checks it: every
 * node declared once, every edge between declared nodes, braces balanced.
 * Returns the number of edges carrying a label (the channels).
 */
size_t check_dot(const char *dot)
{
	assert_int_equal(strncmp(dot, "digraph pipeline {\n", 19), 0);
	check_quotes(dot, 1);
	struct ids ids = { .n = 0 };
	char *copy = strdup(dot);
	assert_non_null(copy);
	static struct edges edges;
	edges.n = 0;
	size_t labelled = 0;
	int depth = 0;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		while (*line == '\t')
			line++;
		char a[64], b[64];
		if (line[0] != '\0' && line[strlen(line) - 1] == '{' &&
		    (strncmp(line, "subgraph ", 9) == 0 || strncmp(line, "digraph ", 8) == 0))
			depth++;
		else if (strcmp(line, "}") == 0)
			depth--;
		else if (sscanf(line, "%63[A-Za-z0-9_] -> %63[A-Za-z0-9_]", a, b) == 2) {
			add_edge(&edges, a, b);
			labelled += strstr(line, "[label=\"") != NULL;
		} else if (sscanf(line, "%63[A-Za-z0-9_] [", a) == 1 && strcmp(a, "graph") != 0 &&
			   strcmp(a, "node") != 0 && strcmp(a, "edge") != 0 &&
			   strstr(line, " [") == line + strlen(a)) {
			/* Generated ids only: n<index>, n<index>_<part>, and q<index>
			 * for a NATS channel's far side. */
			assert_true((a[0] == 'n' || a[0] == 'q') && a[1] >= '0' && a[1] <= '9');
			add_id(&ids, a);
		}
		assert_true(depth >= 0);
	}
	assert_int_equal(depth, 0);
	check_edges(&edges, &ids, dot);
	free(copy);
	return labelled;
}

/* The same for the Mermaid we write: "ID<shape>" declarations, a fan's
 * "SPLIT --> BOX --- JOIN", "A -->|"label"| B" edges, subgraph ... end. */
size_t check_mermaid(const char *m)
{
	assert_int_equal(strncmp(m, "flowchart LR\n", 13), 0);
	check_quotes(m, 0);
	struct ids ids = { .n = 0 };
	char *copy = strdup(m);
	assert_non_null(copy);
	static struct edges edges;
	edges.n = 0;
	size_t labelled = 0;
	int depth = 0;
	char *save = NULL;
	for (char *line = strtok_r(copy + 13, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		while (*line == ' ')
			line++;
		char a[64], b[64], c[64];
		int used = 0;
		if (strncmp(line, "%%", 2) == 0 || strncmp(line, "classDef ", 9) == 0)
			continue;
		if (sscanf(line, "subgraph %63[A-Za-z0-9_] [\"", a) == 1) {
			add_id(&ids, a);
			depth++;
		} else if (strcmp(line, "end") == 0) {
			depth--;
		} else if (sscanf(line, "%63[A-Za-z0-9_] --> %63[A-Za-z0-9_] --- %63[A-Za-z0-9_]%n",
				  a, b, c, &used) == 3 &&
			   line[used] == '\0') {
			add_edge(&edges, a, b);
			add_edge(&edges, b, c);
		} else if (sscanf(line, "%63[A-Za-z0-9_] -", a) == 1 &&
			   (strncmp(line + strlen(a), " -->|\"", 6) == 0 ||
			    strncmp(line + strlen(a), " -.->|\"", 7) == 0)) {
			const char *end = strstr(line, "\"| ");
			assert_non_null(end);
			assert_int_equal(sscanf(end + 3, "%63[A-Za-z0-9_]%n", b, &used), 1);
			assert_int_equal(end[3 + used], '\0');
			add_edge(&edges, a, b);
			labelled++;
		} else if (sscanf(line, "%63[A-Za-z0-9_]", a) == 1 &&
			   (a[0] == 'n' || a[0] == 'q')) {
			/* A node: its id, then a shape opening a quoted label (a
			 * subroutine box for a NATS channel's far side). */
			const char *rest = line + strlen(a);
			assert_true(strncmp(rest, "(\"", 2) == 0 || strncmp(rest, ">\"", 2) == 0 ||
				    (a[0] == 'q' && strncmp(rest, "[[\"", 3) == 0) ||
				    strncmp(rest, "[\\\"", 3) == 0 ||
				    strncmp(rest, "[/\"", 3) == 0 ||
				    strncmp(rest, "[(\"", 3) == 0 || strncmp(rest, "((\"", 3) == 0);
			add_id(&ids, a);
		} else {
			fail_msg("unexpected Mermaid line '%s' in:\n%s", line, m);
		}
		assert_true(depth >= 0);
	}
	assert_int_equal(depth, 0);
	check_edges(&edges, &ids, m);
	free(copy);
	return labelled;
}
