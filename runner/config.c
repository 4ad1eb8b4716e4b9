/* config.c - a config's life: reading it (YAML, ${VAR}, --set, decoding), diagnostics, freeing. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_decode.h"
#include "doc_edit.h"
#include "mem.h"
#include "params.h"
#include "yaml_doc.h"

size_t pl_cfg_node_n_outs(const pl_cfg_node *n)
{
	size_t count = n->outputs_is_list ? n->n_outputs : n->output.name != NULL;
	return count + (n->dead_letter.name != NULL);
}

pl_pos pl_cfg_node_blame(const pl_cfg_node *n, const char *why)
{
	const char *first = NULL;
	const pl_cfg_param *blamed = NULL;
	for (size_t i = 0; i < n->n_params; i++) {
		const pl_cfg_param *p = &n->params[i];
		size_t len = strlen(p->key);
		for (const char *at = strchr(why, '\''); at != NULL; at = strchr(at + 1, '\'')) {
			if (first != NULL && at >= first)
				break;
			if (strncmp(at + 1, p->key, len) == 0 && at[len + 1] == '\'') {
				first = at;
				blamed = p;
				break;
			}
		}
	}
	if (blamed != NULL)
		return blamed->value_pos;
	return n->has_params ? n->params_pos : n->stage_pos;
}

pl_cfg_ref *pl_cfg_node_out(const pl_cfg_node *n, size_t i)
{
	size_t main = n->outputs_is_list ? n->n_outputs : n->output.name != NULL;
	if (i < main)
		return n->outputs_is_list ? &n->outputs[i] : (pl_cfg_ref *)&n->output;
	return (pl_cfg_ref *)&n->dead_letter;
}

const char *pl_node_type_name(int type)
{
	switch (type) {
	case PL_NODE_GENERATOR:
		return "generator";
	case PL_NODE_FANOUT:
		return "fan-out";
	case PL_NODE_FANIN:
		return "fan-in";
	case PL_NODE_SINK:
		return "sink";
	case PL_NODE_BROADCAST:
		return "broadcast";
	default:
		return "unknown";
	}
}

int pl__is_name(const char *s, size_t len)
{
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

int pl_config_find_chan(const pl_config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_chans; i++)
		if (strcmp(cfg->chans[i].name, name) == 0)
			return (int)i;
	return -1;
}

/* Was the value at `pos` reported already (a bad ${VAR})? */
int pl__cfg_muted(const pl_config *cfg, pl_pos pos)
{
	for (size_t i = 0; i < cfg->n_muted; i++)
		if (cfg->muted[i].line == pos.line && cfg->muted[i].col == pos.col)
			return 1;
	return 0;
}

void pl_cfg_diag(const pl_config *cfg, pl_diags *d, int code, pl_pos pos, const char *fmt, ...)
{
	if (pl__cfg_muted(cfg, pos))
		return;
	va_list ap;
	va_start(ap, fmt);
	if (pos.line == 0 && pos.col > 0 && pos.col <= cfg->n_sets) {
		char msg[1024];
		vsnprintf(msg, sizeof(msg), fmt, ap);
		pl_diag_add(d, code, "<command-line>", (pl_pos){ 0, 0 }, "--set '%s': %s",
			    cfg->sets[pos.col - 1], msg);
	} else {
		pl_diag_addv(d, code, cfg->file, pos, fmt, ap);
	}
	va_end(ap);
}

static const char *lookup_getenv(const char *name, void *ctx)
{
	(void)ctx;
	return getenv(name);
}

/* A new config for `file`, holding copies of the overrides. */
static pl_config *config_new(const char *file, const pl_load_options *opt)
{
	pl_config *cfg = pl_mem_calloc(1, sizeof(*cfg));
	if (cfg == NULL)
		return NULL;
	cfg->default_buffer = PL_DEFAULT_BUFFER;
	cfg->file = pl_mem_strdup(file);
	size_t n = opt ? opt->n_sets : 0;
	cfg->sets = pl_mem_calloc(n ? n : 1, sizeof(*cfg->sets));
	if (cfg->file == NULL || cfg->sets == NULL) {
		pl_config_free(cfg);
		return NULL;
	}
	for (; cfg->n_sets < n; cfg->n_sets++)
		if ((cfg->sets[cfg->n_sets] = pl_mem_strdup(opt->sets[cfg->n_sets])) == NULL) {
			pl_config_free(cfg);
			return NULL;
		}
	return cfg;
}

int pl_config_decode(const char *file, const char *text, size_t len, const pl_load_options *opt,
		     pl_config **out, pl_diags *d)
{
	*out = NULL;
	pl_config *cfg = config_new(file, opt);
	if (cfg == NULL)
		return PL_ENOMEM;
	size_t errors_before = d->errors;
	yaml_document_t doc;
	int rc = pl_yaml_parse(file, text, len, &doc, d);
	if (rc != 0) {
		pl_config_free(cfg);
		return rc;
	}
	/* Overrides first, so that a value they replace is not expanded (an
	 * unset variable there is no error); they name nodes as written. */
	if (cfg->n_sets > 0)
		rc = pl_doc_apply_sets(&doc, file, (const char *const *)cfg->sets, cfg->n_sets, d);
	if (rc != PL_ENOMEM) {
		pl_env_fn env = opt && opt->lookup_env ? opt->lookup_env : lookup_getenv;
		int r = pl_doc_interpolate(&doc, file, text, len, env, opt ? opt->env_ctx : NULL, d,
					   &cfg->muted, &cfg->n_muted);
		if (r != 0)
			rc = r;
	}
	if (rc == PL_ENOMEM) {
		yaml_document_delete(&doc);
		pl_config_free(cfg);
		return rc;
	}
	rc = pl__config_decode_doc(&doc, cfg, d);
	yaml_document_delete(&doc);
	if (rc == PL_ENOMEM) {
		pl_config_free(cfg);
		return PL_ENOMEM;
	}
	cfg->form_errors = d->errors - errors_before;
	*out = cfg;
	return cfg->form_errors > 0 ? PL_EINVAL : 0;
}

int pl_config_parse(const char *file, const char *text, size_t len, pl_config **out, pl_diags *d)
{
	int rc = pl_config_decode(file, text, len, NULL, out, d);
	if (rc != 0) {
		pl_config_free(*out);
		*out = NULL;
	}
	return rc;
}

int pl_config_load(const char *path, pl_config **out, pl_diags *d)
{
	char *text;
	size_t len;
	*out = NULL;
	int rc = pl_yaml_read_file(path, &text, &len, d);
	if (rc != 0)
		return rc;
	rc = pl_config_parse(strcmp(path, "-") == 0 ? "<stdin>" : path, text, len, out, d);
	free(text);
	return rc;
}

void pl_config_free(pl_config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < cfg->n_nodes; i++) {
		pl_cfg_node *n = &cfg->nodes[i];
		free(n->name);
		free(n->stage);
		for (size_t j = 0; j < n->n_inputs; j++)
			free(n->inputs[j].name);
		free(n->inputs);
		free(n->output.name);
		for (size_t j = 0; j < n->n_outputs; j++)
			free(n->outputs[j].name);
		free(n->outputs);
		free(n->dead_letter.name);
		for (size_t j = 0; j < n->n_params; j++) {
			free(n->params[j].key);
			free(n->params[j].value);
		}
		free(n->params);
		pl_params_destroy(n->param_values);
	}
	free(cfg->nodes);
	for (size_t i = 0; i < cfg->n_chans; i++) {
		free(cfg->chans[i].name);
		free(cfg->chans[i].nats.url);
		free(cfg->chans[i].nats.subject);
		free(cfg->chans[i].nats.creds);
	}
	free(cfg->chans);
	for (size_t i = 0; i < cfg->n_sets; i++)
		free(cfg->sets[i]);
	free(cfg->sets);
	for (size_t i = 0; i < cfg->n_plugins; i++)
		free(cfg->plugins[i].path);
	free(cfg->plugins);
	free(cfg->muted);
	free(cfg->name);
	free(cfg->description);
	free(cfg->file);
	free(cfg);
}
