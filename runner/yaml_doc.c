/* yaml_doc.c - loading one YAML document with libyaml, keeping every node's line and column. */
#include "yaml_doc.h"
#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "pipeline/plugin.h"

pl_pos pl_yaml_pos(const yaml_node_t *n)
{
	if (n->start_mark.line == PL_YAML_SET_LINE)
		return (pl_pos){ 0, (unsigned)n->start_mark.column + 1 };
	return (pl_pos){ (unsigned)n->start_mark.line + 1, (unsigned)n->start_mark.column + 1 };
}

int pl_yaml_is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *s = (const char *)n->data.scalar.value;
	return *s == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

const char *pl_yaml_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a sequence";
	case YAML_SCALAR_NODE:
		return pl_yaml_is_null(n) ? "nothing (null)" : "a scalar";
	default:
		return "nothing";
	}
}

/* The length of a UTF-8 byte order mark at the start of `text`, or 0: the
 * reader skips it, so it is no column. */
static size_t bom(const char *text, size_t len)
{
	return len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

size_t pl_yaml_offset(const char *text, size_t len, yaml_mark_t mark)
{
	size_t i = bom(text, len);
	for (size_t line = 0; line < mark.line && i < len; i++)
		if (text[i] == '\n')
			line++;
	for (size_t col = 0; col < mark.column && i < len && text[i] != '\n'; col++)
		for (i++; i < len && ((unsigned char)text[i] & 0xC0) == 0x80; i++)
			;
	return i;
}

pl_pos pl_yaml_pos_at(const char *text, size_t len, size_t offset)
{
	pl_pos pos = { 1, 1 };
	for (size_t i = bom(text, len); i < offset && i < len; i++) {
		if (text[i] == '\n') {
			pos.line++;
			pos.col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			pos.col++; /* columns count characters, not UTF-8 bytes */
		}
	}
	return pos;
}

/* Does the start of a line, up to an error, hold a "${"? */
static int line_has_reference(const char *s, size_t n)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '$' && s[i + 1] == '{')
			return 1;
	return 0;
}

static void syntax_error(const char *file, const char *text, size_t len, const yaml_parser_t *p,
			 pl_diags *d)
{
	const char *problem = p->problem ? p->problem : "unknown problem";
	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a mark: for a sequence cut
		 * short it is the byte after the cut, so step back to its lead
		 * byte, the one the user has to fix. */
		size_t at = p->problem_offset < len ? p->problem_offset : len;
		size_t back = at;
		while (back > 0 && back + 4 > at && ((unsigned char)text[back - 1] & 0xC0) == 0x80)
			back--;
		if (back > 0 && back + 4 > at && (unsigned char)text[back - 1] >= 0xC0)
			at = back - 1;
		pl_diag_add(d, PL_D_NOT_UTF8, file, pl_yaml_pos_at(text, len, at),
			    "the file is not valid UTF-8 text (%s, byte 0x%02x); save it as UTF-8",
			    problem, at < len ? (unsigned)(unsigned char)text[at] : 0u);
		return;
	}
	pl_pos pos = { (unsigned)p->problem_mark.line + 1, (unsigned)p->problem_mark.column + 1 };
	const char *hint = "; check indentation and quoting";
	size_t at = pl_yaml_offset(text, len, p->problem_mark);
	size_t bol = at;
	while (bol > 0 && text[bol - 1] != '\n')
		bol--;
	if (at < len && text[at] == '\t')
		hint = "; YAML indents with spaces, never tabs";
	else if (p->context != NULL && strstr(p->context, "flow") != NULL &&
		 line_has_reference(text + bol, at - bol + (at < len)))
		hint = "; inside [ ] or { } a value using ${VAR} must be quoted, e.g. "
		       "{ count: \"${COUNT}\" } (it keeps the type of what it expands to)";
	if (p->context != NULL)
		pl_diag_add(d, PL_D_SYNTAX, file, pos,
			    "YAML syntax error: %s (%s that started on line %u)%s", problem,
			    p->context, (unsigned)p->context_mark.line + 1, hint);
	else
		pl_diag_add(d, PL_D_SYNTAX, file, pos, "YAML syntax error: %s%s", problem, hint);
}

/* Finds flow collections nested deeper than PL_YAML_MAX_DEPTH before libyaml
 * sees them: its loader takes time quadratic in the depth.  Brackets inside
 * quotes and comments do not count; a plain scalar's brackets balance. */
static int check_depth(const char *file, const char *text, size_t len, pl_diags *d)
{
	unsigned depth = 0;
	char quote = 0;
	int comment = 0;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];
		if (c == '\n') {
			comment = 0;
		} else if (comment) {
			continue;
		} else if (quote != 0) {
			if (c == '\\' && quote == '"' && i + 1 < len)
				i++;
			else if (c == quote)
				quote = 0;
		} else if (c == '"' || c == '\'') {
			quote = c;
		} else if (c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t')) {
			comment = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > PL_YAML_MAX_DEPTH) {
				pl_diag_add(d, PL_D_TOO_DEEP, file, pl_yaml_pos_at(text, len, i),
					    "nesting deeper than %d levels; a config never needs "
					    "that many",
					    PL_YAML_MAX_DEPTH);
				return PL_EINVAL;
			}
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return 0;
}

int pl_yaml_parse(const char *file, const char *text, size_t len, yaml_document_t *doc, pl_diags *d)
{
	if (check_depth(file, text, len, d) != 0)
		return PL_EINVAL;
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return PL_ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int rc = 0;
	if (!yaml_parser_load(&parser, doc)) {
		rc = parser.error == YAML_MEMORY_ERROR ? PL_ENOMEM : PL_EINVAL;
		if (rc == PL_EINVAL)
			syntax_error(file, text, len, &parser, d);
		yaml_parser_delete(&parser);
		return rc;
	}
	if (yaml_document_get_root_node(doc) == NULL) {
		pl_diag_add(d, PL_D_EMPTY_FILE, file, (pl_pos){ 0, 0 },
			    "the file is empty; a config needs at least 'version: 1' and 'nodes:'");
		rc = PL_EINVAL;
	} else {
		yaml_document_t next;
		if (!yaml_parser_load(&parser, &next)) {
			rc = parser.error == YAML_MEMORY_ERROR ? PL_ENOMEM : PL_EINVAL;
			if (rc == PL_EINVAL)
				syntax_error(file, text, len, &parser, d);
		} else {
			yaml_node_t *root = yaml_document_get_root_node(&next);
			if (root != NULL) {
				pl_diag_add(d, PL_D_TWO_DOCUMENTS, file, pl_yaml_pos(root),
					    "a second YAML document; a config file holds exactly "
					    "one (remove the '---' separator)");
				rc = PL_EINVAL;
			}
			yaml_document_delete(&next);
		}
	}
	yaml_parser_delete(&parser);
	if (rc != 0)
		yaml_document_delete(doc);
	return rc;
}

int pl_yaml_read_file(const char *path, char **text, size_t *len, pl_diags *d)
{
	*text = NULL;
	*len = 0;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (f == NULL) {
		char ebuf[64];
		pl_diag_add(d, PL_D_IO, path, (pl_pos){ 0, 0 }, "cannot open the file: %s",
			    pl_out_strerror(errno, ebuf, sizeof(ebuf)));
		return PL_EIO;
	}
	size_t cap = 4096, n = 0;
	char *buf = pl_mem_alloc(cap);
	int rc = buf == NULL ? PL_ENOMEM : 0;
	while (rc == 0) {
		if (n + 1 >= cap) {
			if (cap > PL_YAML_MAX_BYTES) {
				pl_diag_add(d, PL_D_FILE_TOO_LARGE, path, (pl_pos){ 0, 0 },
					    "the file is larger than %zu bytes, the most a config "
					    "may have",
					    PL_YAML_MAX_BYTES);
				rc = PL_ERANGE;
				break;
			}
			char *bigger = pl_mem_realloc(buf, cap * 2);
			if (bigger == NULL) {
				rc = PL_ENOMEM;
				break;
			}
			buf = bigger;
			cap *= 2;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				char ebuf[64];
				pl_diag_add(d, PL_D_IO, path, (pl_pos){ 0, 0 },
					    "cannot read the file: %s",
					    pl_out_strerror(errno, ebuf, sizeof(ebuf)));
				rc = PL_EIO;
			}
			break;
		}
	}
	if (f != stdin)
		(void)fclose(f); /* read to the end, or failed already */
	if (rc == 0 && n > PL_YAML_MAX_BYTES) {
		pl_diag_add(d, PL_D_FILE_TOO_LARGE, path, (pl_pos){ 0, 0 },
			    "the file is larger than %zu bytes, the most a config may have",
			    PL_YAML_MAX_BYTES);
		rc = PL_ERANGE;
	}
	if (rc != 0) {
		free(buf);
		return rc;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}
