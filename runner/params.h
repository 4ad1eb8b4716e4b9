/* params.h - a node's stage parameters, parsed from YAML text and checked against the stage's
 * schema. */
#ifndef PL_RUNNER_PARAMS_H
#define PL_RUNNER_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "pipeline/plugin.h"

/* Creates an empty parameter set for `stage`, with every default of its
 * schema parsed.  Returns 0; PL_EINVAL when a default in the stage's own
 * schema does not parse as its type (a malformed stage: `err` says which);
 * PL_ENOMEM.  `err` (may be NULL) receives a message of at most `errlen`. */
int pl_params_create(const pl_stage *stage, pl_params **out, char *err, size_t errlen);

/* Frees the set; NULL does nothing. */
void pl_params_destroy(pl_params *p);

/* Sets parameter `name` from the YAML scalar `text`; `quoted` is nonzero
 * when the scalar was quoted in the file (then it is only a string).
 * Returns 0; PL_ENOENT for a name not in the schema; PL_EINVAL for a value
 * of the wrong type; PL_ERANGE for an integer outside the schema's range;
 * PL_ENOMEM.  On error, `err` says what was expected. */
int pl_params_set(pl_params *p, const char *name, const char *text, int quoted, char *err,
		  size_t errlen);

/* The first required parameter that has no value, or NULL. */
const char *pl_params_missing(const pl_params *p);


/* Accessors with the contract of the pl_host table's param_* members. */
int pl_params_int(const pl_params *p, const char *name, int64_t *out);
int pl_params_bool(const pl_params *p, const char *name, int *out);
int pl_params_string(const pl_params *p, const char *name, const char **out);
int pl_params_float(const pl_params *p, const char *name, double *out);

/* The name of a parameter type, e.g. "integer". */
const char *pl_param_type_name(uint32_t type);

#endif /* PL_RUNNER_PARAMS_H */
