/* diag.c - collecting, sorting and printing config diagnostics. */
#include "diag.h"
#include "json.h"
#include "mem.h"

#include <stdarg.h>
#include <stdint.h>
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

static const struct code_info {
	int code;
	int severity;
} code_table[] = {
#define PL_DIAG_ROW(num, id, sev) { num, PL_SEV_##sev },
	PL_DIAG_CODES(PL_DIAG_ROW)
#undef PL_DIAG_ROW
};

static const int all_codes[] = {
#define PL_DIAG_NUM(num, id, sev) num,
	PL_DIAG_CODES(PL_DIAG_NUM)
#undef PL_DIAG_NUM
};

int pl_diag_severity(int code)
{
	for (size_t i = 0; i < sizeof(code_table) / sizeof(code_table[0]); i++)
		if (code_table[i].code == code)
			return code_table[i].severity;
	return PL_SEV_ERROR;
}

const int *pl_diag_all_codes(size_t *n)
{
	*n = sizeof(all_codes) / sizeof(all_codes[0]);
	return all_codes;
}

void pl_diag_addv(pl_diags *d, int code, const char *file, pl_pos pos, const char *fmt, va_list ap)
{
	int severity = pl_diag_severity(code);
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
		pl_diag *items = pl_mem_realloc(d->items, cap * sizeof(*items));
		if (items == NULL) {
			d->no_memory++;
			return;
		}
		d->items = items;
		d->cap = cap;
	}
	va_list again;
	va_copy(again, ap);
	char *msg = NULL;
	int len = vsnprintf(NULL, 0, fmt, ap);
	if (len >= 0 && (msg = pl_mem_alloc((size_t)len + 1)) != NULL)
		vsnprintf(msg, (size_t)len + 1, fmt, again);
	va_end(again);
	char *name = pl_mem_strdup(file);
	if (msg == NULL || name == NULL) {
		free(msg);
		free(name);
		d->no_memory++;
		return;
	}
	d->items[d->n++] = (pl_diag){
		.file = name, .pos = pos, .code = code, .severity = severity, .message = msg
	};
}

void pl_diag_add(pl_diags *d, int code, const char *file, pl_pos pos, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pl_diag_addv(d, code, file, pos, fmt, ap);
	va_end(ap);
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

const char *pl_severity_name(int severity)
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

/* Writes `s` with control characters escaped (\n, \t, \xNN), so that one
 * diagnostic stays one line, as GCC-style readers expect. */
static void put_escaped(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

void pl_diags_print(pl_diags *d, FILE *out)
{
	pl_diags_sort(d);
	for (size_t i = 0; i < d->n; i++) {
		const pl_diag *g = &d->items[i];
		put_escaped(out, g->file);
		if (g->pos.line > 0)
			fprintf(out, ":%u:%u", g->pos.line, g->pos.col);
		fprintf(out, ": %s: ", pl_severity_name(g->severity));
		put_escaped(out, g->message);
		fprintf(out, " [PL%03d]\n", g->code);
	}
	if (d->dropped > 0)
		fprintf(out, "%s: note: %zu more diagnostics not shown\n",
			d->n > 0 ? d->items[0].file : "pipeline", d->dropped);
	if (d->no_memory > 0)
		fprintf(out, "pipeline: error: out of memory: %zu diagnostics could not be kept\n",
			d->no_memory);
}

int pl_utf8_valid(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
		size_t n = pl_utf8_seq(p, 4);
		if (n == 0)
			return 0;
		p += n;
	}
	return 1;
}

void pl_json_string(FILE *out, const char *str)
{
	char small[256];
	size_t len = strlen(str);
	char *buf = PL_JSON_ESCAPED_MAX(len) <= sizeof(small)
			    ? small
			    : pl_mem_alloc(PL_JSON_ESCAPED_MAX(len));
	if (buf == NULL) {
		fputs("\"(out of memory)\"", out);
		return;
	}
	fwrite(buf, 1, pl_json_escape(buf, str, len), out);
	if (buf != small)
		free(buf);
}

void pl_diags_print_json(pl_diags *d, FILE *out, int *first)
{
	pl_diags_sort(d);
	for (size_t i = 0; i < d->n; i++) {
		const pl_diag *g = &d->items[i];
		fputs(*first ? "\n  {\"file\": " : ",\n  {\"file\": ", out);
		*first = 0;
		pl_json_string(out, g->file);
		fprintf(out,
			", \"line\": %u, \"column\": %u, \"severity\": \"%s\", "
			"\"code\": \"PL%03d\", \"message\": ",
			g->pos.line, g->pos.col, pl_severity_name(g->severity), g->code);
		pl_json_string(out, g->message);
		fputc('}', out);
	}
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
