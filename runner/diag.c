/* diag.c - collecting, sorting and printing config diagnostics. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void pl_diags_init(pl_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void pl_diags_clear(pl_diags *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].message);
		free(d->items[i].file);
	}
	free(d->items);
	pl_diags_init(d);
}

void pl_diag_add(pl_diags *d, int severity, const char *file, pl_pos pos, const char *fmt, ...)
{
	if (severity == PL_SEV_ERROR)
		d->errors++;
	else if (severity == PL_SEV_WARNING)
		d->warnings++;
	if (d->n >= PL_DIAG_MAX) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		pl_diag *items = realloc(d->items, cap * sizeof(*items));
		if (items == NULL) {
			d->dropped++;
			return;
		}
		d->items = items;
		d->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	int len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len >= 0 && (msg = malloc((size_t)len + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(msg, (size_t)len + 1, fmt, ap);
		va_end(ap);
	}
	char *name = strdup(file);
	if (msg == NULL || name == NULL) {
		free(msg);
		free(name);
		d->dropped++;
		return;
	}
	d->items[d->n++] =
		(pl_diag){ .file = name, .pos = pos, .severity = severity, .message = msg };
}

static int by_position(const void *a, const void *b)
{
	const pl_diag *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c != 0)
		return c;
	if (x->pos.line != y->pos.line)
		return x->pos.line < y->pos.line ? -1 : 1;
	if (x->pos.col != y->pos.col)
		return x->pos.col < y->pos.col ? -1 : 1;
	return 0;
}

static const char *severity_name(int severity)
{
	switch (severity) {
	case PL_SEV_ERROR:
		return "error";
	case PL_SEV_WARNING:
		return "warning";
	default:
		return "note";
	}
}

void pl_diags_sort(pl_diags *d)
{
	/* Insertion sort keeps equal positions in the order they were found
	 * (qsort is not stable) and the list is at most PL_DIAG_MAX long. */
	for (size_t i = 1; i < d->n; i++) {
		pl_diag key = d->items[i];
		size_t j = i;
		while (j > 0 && by_position(&d->items[j - 1], &key) > 0) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = key;
	}
}

void pl_diags_print(pl_diags *d, FILE *out)
{
	pl_diags_sort(d);
	for (size_t i = 0; i < d->n; i++) {
		const pl_diag *g = &d->items[i];
		if (g->pos.line > 0)
			fprintf(out, "%s:%u:%u: %s: %s\n", g->file, g->pos.line, g->pos.col,
				severity_name(g->severity), g->message);
		else
			fprintf(out, "%s: %s: %s\n", g->file, severity_name(g->severity),
				g->message);
	}
	if (d->dropped > 0)
		fprintf(out, "pipeline: %zu more diagnostics not shown\n", d->dropped);
}

/* Levenshtein distance, capped: stops counting past `limit`. */
static size_t distance(const char *a, const char *b, size_t limit)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return limit + 1;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *pl_suggest(const char *word, const char *const *candidates, size_t n)
{
	size_t len = strlen(word);
	size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3;
	const char *best = NULL;
	size_t best_d = limit + 1;
	for (size_t i = 0; i < n; i++) {
		size_t dist = distance(word, candidates[i], limit);
		if (dist < best_d) {
			best_d = dist;
			best = candidates[i];
		}
	}
	return best;
}
