/* params.c - a node's stage parameters: typed values checked against the stage's schema. */
#include "params.h"
#include "mem.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct value {
	int set;
	int64_t i;
	int b;
	double f;
	char *s;
};

struct pl_params {
	/* The stage's schema, not the stage, so that pl_params_destroy() reads
	 * nothing of the registry's copy of the stage.  The specs themselves
	 * live in the stage's code: for a plugin, until its file is closed. */
	const pl_param_spec *specs;
	uint32_t n_specs;
	const char *stage_name;
	struct value *values; /* one per spec */
};

/* Formats a message into `err` (may be NULL). */
static void errf(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

static void errf(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *pl_param_type_name(uint32_t type)
{
	switch (type) {
	case PL_PARAM_INT:
		return "integer";
	case PL_PARAM_BOOL:
		return "boolean";
	case PL_PARAM_STRING:
		return "string";
	case PL_PARAM_FLOAT:
		return "number";
	default:
		return "unknown type";
	}
}

static int parse_int(const char *text, int64_t *out)
{
	char *end;
	if (*text == '\0' || (*text != '-' && *text != '+' && (*text < '0' || *text > '9')))
		return PL_EINVAL;
	errno = 0;
	long long v = strtoll(text, &end, 10);
	if (*end != '\0')
		return PL_EINVAL;
	if (errno == ERANGE)
		return PL_ERANGE;
	*out = v;
	return 0;
}

static int parse_value(const pl_param_spec *spec, const char *text, int quoted, struct value *v,
		       char *err, size_t errlen)
{
	int rc;
	char *end;
	if (quoted && spec->type != PL_PARAM_STRING) {
		errf(err, errlen, "expected %s %s, got the quoted string \"%s\"; remove the quotes",
		     spec->type == PL_PARAM_INT ? "an" : "a", pl_param_type_name(spec->type), text);
		return PL_EINVAL;
	}
	switch (spec->type) {
	case PL_PARAM_INT:
		rc = parse_int(text, &v->i);
		if (rc == PL_EINVAL) {
			errf(err, errlen, "expected %s, got '%s'", "an integer", text);
			return rc;
		}
		if (rc == PL_ERANGE ||
		    ((spec->flags & PL_PARAM_RANGE) && (v->i < spec->min || v->i > spec->max))) {
			if (err != NULL && errlen > 0) {
				if (spec->flags & PL_PARAM_RANGE)
					snprintf(err, errlen, "%s is out of range [%lld, %lld]",
						 text, (long long)spec->min, (long long)spec->max);
				else
					snprintf(err, errlen, "%s does not fit in 64 bits", text);
			}
			return PL_ERANGE;
		}
		break;
	case PL_PARAM_BOOL:
		if (strcmp(text, "true") == 0) {
			v->b = 1;
		} else if (strcmp(text, "false") == 0) {
			v->b = 0;
		} else {
			errf(err, errlen, "expected %s, got '%s'", "true or false", text);
			return PL_EINVAL;
		}
		break;
	case PL_PARAM_FLOAT:
		errno = 0;
		v->f = strtod(text, &end);
		if (*text == '\0' || *end != '\0' || errno == ERANGE || !isfinite(v->f)) {
			errf(err, errlen, "expected %s, got '%s'", "a number", text);
			return PL_EINVAL;
		}
		break;
	case PL_PARAM_STRING: {
		char *s = pl_mem_strdup(text);
		if (s == NULL)
			return PL_ENOMEM;
		free(v->s);
		v->s = s;
		break;
	}
	default:
		errf(err, errlen, "parameter '%s' has an unknown type%s", spec->name, "");
		return PL_EINVAL;
	}
	v->set = 1;
	return 0;
}

int pl_params_create(const pl_stage *stage, pl_params **out, char *err, size_t errlen)
{
	*out = NULL;
	pl_params *p = pl_mem_calloc(1, sizeof(*p));
	if (p == NULL)
		return PL_ENOMEM;
	p->specs = stage->params;
	p->n_specs = stage->n_params;
	p->stage_name = stage->name;
	if (stage->n_params > 0) {
		p->values = pl_mem_calloc(stage->n_params, sizeof(*p->values));
		if (p->values == NULL) {
			free(p);
			return PL_ENOMEM;
		}
	}
	for (uint32_t i = 0; i < stage->n_params; i++) {
		const pl_param_spec *spec = &stage->params[i];
		if (spec->default_value == NULL)
			continue;
		char why[256] = "";
		int rc = parse_value(spec, spec->default_value, 0, &p->values[i], why, sizeof(why));
		if (rc != 0) {
			if (rc != PL_ENOMEM)
				errf(err, errlen,
				     "the default of parameter '%s' is invalid: '%s' (%s)",
				     spec->name, spec->default_value, why);
			pl_params_destroy(p);
			return rc == PL_ENOMEM ? rc : PL_EINVAL;
		}
	}
	*out = p;
	return 0;
}

void pl_params_destroy(pl_params *p)
{
	if (p == NULL)
		return;
	for (uint32_t i = 0; i < p->n_specs; i++)
		free(p->values[i].s);
	free(p->values);
	free(p);
}

static int find(const pl_params *p, const char *name)
{
	for (uint32_t i = 0; i < p->n_specs; i++)
		if (strcmp(p->specs[i].name, name) == 0)
			return (int)i;
	return -1;
}

int pl_params_set(pl_params *p, const char *name, const char *text, int quoted, char *err,
		  size_t errlen)
{
	int i = find(p, name);
	if (i < 0) {
		errf(err, errlen, "stage '%s' has no parameter '%s'", p->stage_name, name);
		return PL_ENOENT;
	}
	struct value v = p->values[i];
	v.s = NULL;
	int rc = parse_value(&p->specs[i], text, quoted, &v, err, errlen);
	if (rc != 0)
		return rc;
	if (p->specs[i].type == PL_PARAM_STRING)
		free(p->values[i].s);
	else
		v.s = p->values[i].s;
	p->values[i] = v;
	return 0;
}

const char *pl_params_missing(const pl_params *p)
{
	for (uint32_t i = 0; i < p->n_specs; i++)
		if ((p->specs[i].flags & PL_PARAM_REQUIRED) && !p->values[i].set)
			return p->specs[i].name;
	return NULL;
}

/* The value of `name` if it is set and of `type`, else NULL. */
static const struct value *lookup(const pl_params *p, const char *name, uint32_t type)
{
	int i = p != NULL ? find(p, name) : -1;
	if (i < 0 || p->specs[i].type != type || !p->values[i].set)
		return NULL;
	return &p->values[i];
}

int pl_params_int(const pl_params *p, const char *name, int64_t *out)
{
	const struct value *v = lookup(p, name, PL_PARAM_INT);
	if (v == NULL)
		return PL_ENOENT;
	*out = v->i;
	return 0;
}

int pl_params_bool(const pl_params *p, const char *name, int *out)
{
	const struct value *v = lookup(p, name, PL_PARAM_BOOL);
	if (v == NULL)
		return PL_ENOENT;
	*out = v->b;
	return 0;
}

int pl_params_string(const pl_params *p, const char *name, const char **out)
{
	const struct value *v = lookup(p, name, PL_PARAM_STRING);
	if (v == NULL)
		return PL_ENOENT;
	*out = v->s;
	return 0;
}

int pl_params_float(const pl_params *p, const char *name, double *out)
{
	const struct value *v = lookup(p, name, PL_PARAM_FLOAT);
	if (v == NULL)
		return PL_ENOENT;
	*out = v->f;
	return 0;
}
