/* builtin.h - the stages compiled into pipeline, and helpers they share. */
#ifndef PL_STAGES_BUILTIN_H
#define PL_STAGES_BUILTIN_H

#include <stddef.h>

#include "pipeline/plugin.h"

/* Generators. */
extern const pl_stage pl_stage_seq;   /* seq.c: decimal integers */
extern const pl_stage pl_stage_lines; /* lines.c: the lines of a file or stdin */
extern const pl_stage pl_stage_fixed; /* fixed.c: numbered messages of one size, for load */
#ifdef PL_HAVE_LWS
extern const pl_stage pl_stage_websocket; /* websocket.c: the messages of a WebSocket server */
#endif
/* Transforms. */
extern const pl_stage pl_stage_upper; /* upper.c: ASCII upper-case */
extern const pl_stage pl_stage_grep;  /* grep.c: keep lines matching a regex */
extern const pl_stage pl_stage_delay; /* delay.c: sleep, then pass on */
extern const pl_stage pl_stage_hash;  /* hash.c: FNV-1a, rounds times: CPU-bound work */
extern const pl_stage pl_stage_exec;  /* exec.c: a line to a co-process, its answer back */
extern const pl_stage pl_stage_json;  /* json.c: get, set or delete a field (jansson) */
#ifdef PL_HAVE_CURL
extern const pl_stage pl_stage_http; /* http.c: one HTTP request per message (libcurl) */
#endif
/* Sinks. */
extern const pl_stage pl_stage_stdout; /* stdout.c: one line per message */
extern const pl_stage pl_stage_file;   /* file.c: one line per message, to a file */
extern const pl_stage pl_stage_null;   /* null.c: discard */
extern const pl_stage pl_stage_count;  /* count.c: print message and byte totals */

/* A built-in stage this build lacks: its library was not found when it
 * was built.  `library` is what it needs, `package` the Debian package. */
struct pl_builtin_missing {
	const char *stage, *library, *package;
};

/* The built-in stage `name` this build lacks, or NULL (it has it, or no
 * such built-in stage exists). */
const struct pl_builtin_missing *pl_builtin_find_missing(const char *name);

/* Every built-in stage, in a stable order, and how many there are. */
extern const pl_stage *const pl_builtin_stages[];
extern const size_t pl_builtin_stage_count;

/* What a built-in stage returns after w->host->emit() returned `rc`: 0 for
 * success and for PL_ECANCELED (the pipeline is stopping: not the stage's
 * failure); any other code is returned as is after recording why with
 * fail().  Threading: the worker's thread. */
int pl_builtin_emit_result(pl_worker *w, int rc);

/* Stores `v` little-endian in the 8 bytes at `p` (any alignment). */
static inline void pl_builtin_put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

#endif /* PL_STAGES_BUILTIN_H */
