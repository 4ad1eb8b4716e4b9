/* interp.h - ${VAR} and ${VAR:-default} in config values. */
#ifndef PL_RUNNER_INTERP_H
#define PL_RUNNER_INTERP_H

#include <stddef.h>

/* Looks up a variable; returns NULL when it is unset. */
typedef const char *(*pl_env_fn)(const char *name, void *ctx);

/* What pl_interp() found wrong, and where in its input. */
typedef struct pl_interp_error {
	size_t offset; /* byte offset of the '$' that starts the bad reference */
	size_t length; /* bytes of the reference, through its '}' when it has one */
	int unset;     /* 1: a variable without default is unset; 0: bad syntax */
	char message[640];
} pl_interp_error;

/*
 * Expands `len` bytes of `in`:
 *   ${NAME}             the variable's value; unset is an error
 *   ${NAME:-default}    the value, or `default` when unset or empty
 *   $${                 a literal "${"
 * NAME is [A-Za-z_][A-Za-z0-9_]*; a '$' before anything else is kept.  The
 * result is not expanded again.  Returns 0 with *out NULL when `in` has no
 * reference (nothing to copy), or with *out a NUL-terminated copy
 * (caller frees) and *out_len its length; PL_EINVAL with `err` filled;
 * PL_ERANGE when the result would pass `max` bytes; PL_ENOMEM.
 */
int pl_interp(const char *in, size_t len, pl_env_fn env, void *ctx, size_t max, char **out,
	      size_t *out_len, pl_interp_error *err);

#endif /* PL_RUNNER_INTERP_H */
