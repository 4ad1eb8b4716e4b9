/* invalid_cases.h - the case files of tests/invalid/: reading their header and checking
 * that a config gives exactly the diagnostics it lists. */
#ifndef PL_TESTS_INVALID_CASES_H
#define PL_TESTS_INVALID_CASES_H

#include <stddef.h>

#include "registry.h"

/*
 * A case is one file tests/invalid/NNN-what-it-shows.yaml.  It opens with a
 * block of comment lines, which may hold:
 *
 *   # expect: PL060 12:7            code PL060 at line 12, column 7 of the file
 *   # expect: PL006 0:0             a code about the whole file
 *   # expect: PL032 <command-line>  a code about a --set override
 *   # env: NAME=VALUE               ${NAME} expands to VALUE; nothing else is
 *                                   set (the real environment is never read)
 *   # set: NODE.KEY=VALUE           a --set override, applied in the order given
 *
 * Other comment lines are free text.  The expect lines list every diagnostic
 * the file gives, warnings included, once per time it is given: the case
 * fails on a missing one and on an extra one.  A directive after the first
 * line that is not a comment is an error, not silently ignored.  The file is
 * loaded with pl_load_text(), the one path of `pipeline run` and `pipeline
 * validate`, as "tests/invalid/NAME".  NNN is the code the file is about (000,
 * never a code: many codes at once); when NNN is a code, the file must expect it.
 */

#define PL_CASE_DIR        PL_SOURCE_DIR "/tests/invalid"
#define PL_CASE_MAX_EXPECT 128
#define PL_CASE_MAX_VARS   8

/* One diagnostic, expected or given. */
struct pl_case_item {
	int code;
	int cmdline; /* about a --set override: no position */
	unsigned line, col;
	const char *message; /* given ones only; borrowed */
};

struct pl_case {
	char path[512];   /* PL_CASE_DIR/NAME */
	const char *name; /* NAME, in path */
	char *text;       /* the whole file */
	size_t len;
	struct pl_case_item expect[PL_CASE_MAX_EXPECT];
	size_t n_expect;
	char env_name[PL_CASE_MAX_VARS][64], env_value[PL_CASE_MAX_VARS][256];
	size_t n_env;
	char sets[PL_CASE_MAX_VARS][256];
	size_t n_sets;
	char error[512]; /* why the file is not a valid case */
};

/* Nonzero when `code` is in runner/diag_codes.h. */
int pl_case_known_code(int code);

/* The whole of `path`, NUL-terminated (it may hold other NULs), or NULL when it cannot be
 * read.  The caller frees it. */
char *pl_case_read_file(const char *path, size_t *len);

/* The names in `dir` ending in `suffix` (hidden ones left out), sorted; fails the test if
 * `dir` cannot be read.  Free them with pl_case_free_names(). */
char **pl_case_list(const char *dir, const char *suffix, size_t *n);
void pl_case_free_names(char **names, size_t n);

/* Reads the case file PL_CASE_DIR/`name`.  Returns 0, or -1 with c->error saying what is
 * wrong with it.  Either way the caller frees c->text. */
int pl_case_load(struct pl_case *c, const char *name);

/* Loads the config of `c` with the stages of `reg`, its env and sets, and compares the
 * diagnostics given with the ones expected (and the result: PL_EINVAL when an error is
 * expected, else 0).  Returns 1 when they match; otherwise prints both lists to standard
 * error, with the file's name, and returns 0.  Sorts c->expect. */
int pl_case_run(struct pl_case *c, pl_registry *reg);

#endif /* PL_TESTS_INVALID_CASES_H */
