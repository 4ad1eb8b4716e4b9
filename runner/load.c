/* load.c - reading and checking a config: decoding, then the graph and stage checks. */
#include "load.h"

#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "yaml_doc.h"

int pl_load_text(const char *file, const char *text, size_t len, const pl_load_options *opt,
		 pl_registry *reg, pl_config **out, pl_diags *d)
{
	*out = NULL;
	if (len > PL_YAML_MAX_BYTES) {
		pl_diag_add(d, PL_D_FILE_TOO_LARGE, file, (pl_pos){ 0, 0 },
			    "the file is larger than %zu bytes, the most a config may have",
			    PL_YAML_MAX_BYTES);
		return PL_EINVAL;
	}
	pl_config *cfg;
	int rc = pl_config_decode(file, text, len, opt, &cfg, d);
	if (cfg == NULL)
		return rc;
	/* Its plugins first, so that their stages are known to the checks. */
	/* Plugins not loaded: the stages they would bring are not known, and
	 * not reported as unknown either. */
	if (opt && ((cfg->n_plugins > 0 && opt->skip_plugins) || opt->plugins_unloaded))
		cfg->plugin_failed = 1;
	for (size_t i = 0; i < cfg->n_plugins && !(opt && opt->skip_plugins); i++) {
		char err[1024];
		int lrc = pl_registry_load(reg, cfg->plugins[i].path, err, sizeof(err));
		if (lrc == PL_ENOMEM) {
			pl_config_free(cfg);
			return PL_ENOMEM;
		}
		if (lrc != 0) {
			cfg->plugin_failed = 1;
			pl_cfg_diag(cfg, d, lrc, cfg->plugins[i].pos, "%s", err);
			rc = PL_EINVAL;
		}
	}
	/* A config with errors of form is still checked for the rest. */
	int grc = pl_graph_check(cfg, reg, d);
	if (grc != 0 || rc != 0) {
		pl_config_free(cfg);
		return grc == PL_ENOMEM || rc == PL_ENOMEM ? PL_ENOMEM : PL_EINVAL;
	}
	*out = cfg;
	return 0;
}

int pl_load_file(const char *path, const pl_load_options *opt, pl_registry *reg, pl_config **out,
		 pl_diags *d)
{
	char *text;
	size_t len;
	*out = NULL;
	int rc = pl_yaml_read_file(path, &text, &len, d);
	if (rc != 0)
		return rc == PL_ENOMEM ? rc : PL_EINVAL;
	rc = pl_load_text(strcmp(path, "-") == 0 ? "<stdin>" : path, text, len, opt, reg, out, d);
	free(text);
	return rc;
}
