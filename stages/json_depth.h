/* json_depth.h - how deeply a JSON text nests, found without parsing it (nor recursing). */
#ifndef PL_STAGES_JSON_DEPTH_H
#define PL_STAGES_JSON_DEPTH_H

#include <stddef.h>

/*
 * The deepest nesting of arrays and objects the json stage and the http
 * stage's {field} accept in a message.  jansson parses, and writes back,
 * by recursion: a worker's stack (512KiB by default, 64KiB for thousands
 * of workers) bounds the depth it survives, and a hostile message must be
 * a stage error, not a crash.  128, as serde_json's default; a document of
 * this depth is parsed, edited and written back within 64KiB of stack.
 */
#define PL_JSON_MAX_DEPTH 128

/*
 * The deepest nesting of '[' and '{' in the `len` bytes at `text`, counting
 * no bracket inside a string, or PL_JSON_MAX_DEPTH + 1 as soon as the
 * nesting goes deeper than PL_JSON_MAX_DEPTH.  It does not validate: the
 * text may still be invalid JSON, which the parser then says.
 */
size_t pl__json_depth(const unsigned char *text, size_t len);

#endif /* PL_STAGES_JSON_DEPTH_H */
