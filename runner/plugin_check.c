/* plugin_check.c - checking a plugin's descriptor before any of it is used. */
#include "plugin_check.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "params.h"

/* The smallest descriptors ABI 1.0 defines (every field through the last
 * one of 1.0). */
#define MIN_PLUGIN_SIZE (offsetof(pl_plugin, n_stages) + sizeof(uint32_t))
#define MIN_STAGE_SIZE  (offsetof(pl_stage, fini) + sizeof(void (*)(pl_worker *)))

static int stage_name_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > 64)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return 0;
	return 1;
}

/* Plain ASCII text, short enough to quote in a message. */
static int printable(const char *s)
{
	for (size_t n = 0; *s != '\0'; s++, n++)
		if (n > 64 || (unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* A stage's example_params: "{...}" on one line of plain ASCII, at most 240 bytes. */
static int one_line_mapping(const char *s)
{
	size_t n = 0;
	for (; s[n] != '\0'; n++)
		if (n >= 240 || (unsigned char)s[n] < 0x20 || (unsigned char)s[n] > 0x7e)
			return 0;
	return n >= 2 && s[0] == '{' && s[n - 1] == '}';
}

/* A parameter is named like a node: pl__is_name(), at most 64 bytes. */
static int param_name_ok(const char *s)
{
	return s != NULL && strlen(s) <= 64 && pl__is_name(s, strlen(s));
}

/* Checks one stage; 0 or PL_D_PLUGIN_MALFORMED with `err` set. */
static int check_stage(const pl_stage *st, uint32_t i, char *err, size_t errlen)
{
	if (st == NULL) {
		snprintf(err, errlen, "stage %u is a NULL pointer", i);
		return PL_D_PLUGIN_MALFORMED;
	}
	if (st->size < MIN_STAGE_SIZE) {
		snprintf(err, errlen,
			 "stage %u's descriptor is %u bytes, smaller than the %zu of ABI 1.0 "
			 "(was it built with PL_STAGE_HEADER?)",
			 i, st->size, MIN_STAGE_SIZE);
		return PL_D_PLUGIN_MALFORMED;
	}
	if (!stage_name_ok(st->name)) {
		if (st->name != NULL && printable(st->name))
			snprintf(
				err, errlen,
				"stage %u has the invalid name '%.64s'; a stage name is 1 to 64 of "
				"[a-z0-9_-]",
				i, st->name);
		else
			snprintf(err, errlen,
				 "stage %u has %s name; a stage name is 1 to 64 of [a-z0-9_-]", i,
				 st->name == NULL ? "no" : "an unprintable");
		return PL_D_PLUGIN_MALFORMED;
	}
	const char *name = st->name;
	if (st->description == NULL) {
		snprintf(err, errlen, "stage '%s' has no description", name);
		return PL_D_PLUGIN_MALFORMED;
	}
	switch (st->kind) {
	case PL_STAGE_GENERATOR:
		if (st->generate == NULL || st->process != NULL) {
			snprintf(err, errlen,
				 "stage '%s' is a generator: it needs generate() and no process()",
				 name);
			return PL_D_PLUGIN_MALFORMED;
		}
		break;
	case PL_STAGE_TRANSFORM:
	case PL_STAGE_SINK:
		if (st->process == NULL || st->generate != NULL) {
			snprintf(err, errlen,
				 "stage '%s' is a %s: it needs process() and no generate()", name,
				 st->kind == PL_STAGE_SINK ? "sink" : "transform");
			return PL_D_PLUGIN_MALFORMED;
		}
		break;
	default:
		snprintf(err, errlen,
			 "stage '%s' has kind %u; the kinds are 1 (generator), 2 "
			 "(transform) and 3 (sink)",
			 name, st->kind);
		return PL_D_PLUGIN_MALFORMED;
	}
	/* ABI 1.2's fields, when the descriptor has them: a flag this runner
	 * does not know is from a newer minor version, which was refused, or
	 * garbage; an example is printed on a line of its own. */
	if (st->size >= offsetof(pl_stage, example_params) + sizeof(st->example_params)) {
		uint32_t unknown = st->flags & ~(uint32_t)PL_STAGE_INIT_CHECKS;
		if (unknown != 0) {
			snprintf(err, errlen, "stage '%s' sets flags this ABI does not know (0x%x)",
				 name, unknown);
			return PL_D_PLUGIN_MALFORMED;
		}
		if (st->example_params != NULL && !one_line_mapping(st->example_params)) {
			snprintf(err, errlen,
				 "stage '%s' has an example_params that is not a one-line YAML "
				 "flow mapping ('{ name: value }')",
				 name);
			return PL_D_PLUGIN_MALFORMED;
		}
	}
	if (st->n_params > 256 || (st->n_params > 0 && st->params == NULL)) {
		snprintf(err, errlen, "stage '%s' declares %u parameters but %s", name,
			 st->n_params, st->n_params > 256 ? "at most 256 are allowed" : "no array");
		return PL_D_PLUGIN_MALFORMED;
	}
	for (uint32_t k = 0; k < st->n_params; k++) {
		const pl_param_spec *ps = &st->params[k];
		if (!param_name_ok(ps->name)) {
			snprintf(err, errlen, "parameter %u of stage '%s' has %s name", k, name,
				 ps->name == NULL ? "no" : "an invalid");
			return PL_D_PLUGIN_MALFORMED;
		}
		if (ps->type < PL_PARAM_INT || ps->type > PL_PARAM_FLOAT) {
			snprintf(err, errlen,
				 "parameter '%s' of stage '%s' has type %u, not one of 1-4",
				 ps->name, name, ps->type);
			return PL_D_PLUGIN_MALFORMED;
		}
		if ((ps->flags & PL_PARAM_RANGE) && ps->min > ps->max) {
			snprintf(err, errlen,
				 "parameter '%s' of stage '%s' has min %lld > max %lld", ps->name,
				 name, (long long)ps->min, (long long)ps->max);
			return PL_D_PLUGIN_MALFORMED;
		}
		for (uint32_t j = 0; j < k; j++)
			if (strcmp(st->params[j].name, ps->name) == 0) {
				snprintf(err, errlen, "stage '%s' declares parameter '%s' twice",
					 name, ps->name);
				return PL_D_PLUGIN_MALFORMED;
			}
	}
	/* The defaults must parse as their types (and lie in their ranges). */
	char why[256] = "";
	pl_params *params = NULL;
	int rc = pl_params_create(st, &params, why, sizeof(why));
	pl_params_destroy(params);
	if (rc == PL_ENOMEM)
		return PL_ENOMEM;
	if (rc != 0) {
		snprintf(err, errlen, "stage '%s': %s", name, why);
		return PL_D_PLUGIN_MALFORMED;
	}
	return 0;
}

int pl__plugin_check(const pl_plugin *p, char *err, size_t errlen)
{
	if (p == NULL) {
		snprintf(err, errlen, "its %s() returned NULL", PL_PLUGIN_ENTRY);
		return PL_D_PLUGIN_MALFORMED;
	}
	if (p->magic != PL_PLUGIN_MAGIC) {
		snprintf(err, errlen,
			 "its descriptor does not start with the magic number 0x%08x (found "
			 "0x%08x): %s",
			 PL_PLUGIN_MAGIC, p->magic,
			 p->magic == 0 ? "was it built with PL_PLUGIN_HEADER?"
				       : "not a pipeline plugin, or built from another header");
		return PL_D_PLUGIN_ABI;
	}
	if (p->abi_major != PL_ABI_MAJOR || p->abi_minor > PL_ABI_MINOR) {
		snprintf(err, errlen,
			 "it was built for plugin ABI %u.%u, and this pipeline provides %u.%u; "
			 "rebuild it against this pipeline's pipeline/plugin.h%s",
			 p->abi_major, p->abi_minor, PL_ABI_MAJOR, PL_ABI_MINOR,
			 p->abi_major > PL_ABI_MAJOR || (p->abi_major == PL_ABI_MAJOR &&
							 p->abi_minor > PL_ABI_MINOR)
				 ? ", or upgrade pipeline"
				 : "");
		return PL_D_PLUGIN_ABI;
	}
	if (p->size < MIN_PLUGIN_SIZE) {
		snprintf(err, errlen,
			 "its descriptor is %u bytes, smaller than the %zu of ABI 1.0 (was it "
			 "built with PL_PLUGIN_HEADER?)",
			 p->size, MIN_PLUGIN_SIZE);
		return PL_D_PLUGIN_MALFORMED;
	}
	if (p->n_stages == 0 || p->stages == NULL || p->n_stages > 1024) {
		snprintf(err, errlen, "it declares %u stages%s", p->n_stages,
			 p->n_stages > 1024 ? "; at most 1024 are allowed"
			 : p->n_stages == 0 ? "; a plugin provides at least one"
					    : " but no array");
		return PL_D_PLUGIN_MALFORMED;
	}
	for (uint32_t i = 0; i < p->n_stages; i++) {
		int code = check_stage(p->stages[i], i, err, errlen);
		if (code != 0)
			return code;
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(p->stages[j]->name, p->stages[i]->name) == 0) {
				snprintf(err, errlen, "it declares stage '%s' twice",
					 p->stages[i]->name);
				return PL_D_PLUGIN_MALFORMED;
			}
	}
	return 0;
}
