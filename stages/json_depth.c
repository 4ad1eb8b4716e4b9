/* json_depth.c - how deeply a JSON text nests, found without parsing it (see json_depth.h). */
#include "json_depth.h"

size_t pl__json_depth(const unsigned char *text, size_t len)
{
	size_t depth = 0, deepest = 0;
	int in_string = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = text[i];
		if (in_string) {
			if (c == '\\')
				i++; /* the escaped byte (\" or \\) is no end */
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '[' || c == '{') {
			if (++depth > deepest && (deepest = depth) > PL_JSON_MAX_DEPTH)
				return PL_JSON_MAX_DEPTH + 1;
		} else if ((c == ']' || c == '}') && depth > 0) {
			depth--;
		}
	}
	return deepest;
}
