/* config_decode.h - the decoder of config.c's documents (internal to the config files). */
#ifndef PL_RUNNER_CONFIG_DECODE_H
#define PL_RUNNER_CONFIG_DECODE_H

#include <yaml.h>

#include "config.h"
#include "diag.h"

/* Decodes `doc` (already interpolated and overridden) into the empty
 * `cfg`, reporting every problem of form to `d`.  Returns 0 (problems or
 * not: the caller counts them) or PL_ENOMEM. */
int pl__config_decode_doc(yaml_document_t *doc, pl_config *cfg, pl_diags *d);

/* Was the value at `pos` reported already (a bad ${VAR})?  Then no second
 * diagnostic is given for it. */
int pl__cfg_muted(const pl_config *cfg, pl_pos pos);

#endif /* PL_RUNNER_CONFIG_DECODE_H */
