/* load.h - the one path from a config file to a checked config: `run`, `validate` and `graph`. */
#ifndef PL_RUNNER_LOAD_H
#define PL_RUNNER_LOAD_H

#include <stddef.h>

#include "config.h"
#include "diag.h"
#include "registry.h"

/*
 * Reads `len` bytes of `text` as the config `file`: YAML, ${VAR}
 * interpolation, --set overrides (`opt` may be NULL), the form of every
 * key, then the plugins the config names (loaded into `reg`, each failure
 * an error at its `plugins:` entry), then every check of pl_graph_check()
 * against the stages of `reg`.
 * Every problem and warning goes to `d`.  Returns 0 with *out set to a
 * config the engine can run; PL_EINVAL (errors in `d`, *out NULL);
 * PL_ENOMEM.  Ownership: the caller frees *out with pl_config_free().
 * This is everything `pipeline run` checks before it starts a stage: what
 * passes here fails later only in a stage's own init (a file that cannot
 * be opened, say).
 */
int pl_load_text(const char *file, const char *text, size_t len, const pl_load_options *opt,
		 pl_registry *reg, pl_config **out, pl_diags *d);

/* pl_load_text() on the contents of `path` ("-": standard input, named
 * "<stdin>").  Errors reading it are diagnostics too (PL_EINVAL). */
int pl_load_file(const char *path, const pl_load_options *opt, pl_registry *reg,
		 pl_config **out, pl_diags *d);

#endif /* PL_RUNNER_LOAD_H */
