/* json.c - UTF-8 sequences and JSON string escaping, for the JSON the runner and its stages write.
 */
#include "json.h"

#include <stdio.h>
#include <string.h>

size_t pl_utf8_seq(const unsigned char *s, size_t avail)
{
	size_t n;
	unsigned min;
	unsigned cp;
	if (avail == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xE0) == 0xC0)
		n = 2, min = 0x80, cp = s[0] & 0x1Fu;
	else if ((s[0] & 0xF0) == 0xE0)
		n = 3, min = 0x800, cp = s[0] & 0x0Fu;
	else if ((s[0] & 0xF8) == 0xF0)
		n = 4, min = 0x10000, cp = s[0] & 0x07u;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3Fu);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

size_t pl_json_escape(char *dst, const void *src, size_t len)
{
	const unsigned char *s = src, *end = s + len;
	char *d = dst;
	*d++ = '"';
	while (s < end) {
		size_t n = pl_utf8_seq(s, (size_t)(end - s));
		if (n == 0) {
			memcpy(d, "\\ufffd", 6);
			d += 6;
			s++;
		} else if (*s == '"' || *s == '\\') {
			*d++ = '\\';
			*d++ = (char)*s++;
		} else if (*s < 0x20 || *s == 0x7f) {
			d += sprintf(d, "\\u%04x", *s++);
		} else {
			memcpy(d, s, n);
			d += n;
			s += n;
		}
	}
	*d++ = '"';
	*d = '\0';
	return (size_t)(d - dst);
}
