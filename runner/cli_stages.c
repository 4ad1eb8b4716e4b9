/* cli_stages.c - `pipeline stages`: list the stages, or show one, as text or JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "cli_int.h"
#include "diag.h"
#include "error.h"
#include "out.h"
#include "params.h"

static const char usage_stages[] =
	"Usage: pipeline stages [--format text|json] [--plugin FILE]... [NAME]\n"
	"\n"
	"Without NAME, lists every stage a config may name: the built-ins first,\n"
	"then those of the plugins in PIPELINE_PLUGIN_PATH, in the default plugin\n"
	"directory and given with --plugin, each with its kind, where it comes\n"
	"from and what it does.  With NAME, shows that stage: its kind and the node\n"
	"type that runs it, its origin, how many workers it allows, each parameter\n"
	"with its type, default (or 'required'), range and meaning, and an example\n"
	"node.  See docs/stages.md.\n"
	"\n"
	"Options:\n"
	"  --format text        aligned columns for people (default)\n"
	"  --format json        a JSON array of stages (one object with NAME) for tools\n"
	"  --plugin FILE        load the stages of a plugin (.so) (repeatable)\n"
	"  -h, --help           show this help\n"
	"\n"
	"Exit codes: 0 printed, 1 no stage has that name (or the output could not\n"
	"be written), 2 bad usage or a plugin that cannot be loaded.\n";

static const char *const stages_formats[] = { "text", "json", NULL };

static const pl_cli_spec spec_stages = { .name = "stages",
					 .usage = usage_stages,
					 .formats = stages_formats,
					 .max_files = 1,
					 .operand = "stage",
					 .operand_optional = 1 };

/* The node type (config.md) whose nodes run stages of `kind`. */
static const char *node_type(uint32_t kind)
{
	switch (kind) {
	case PL_STAGE_GENERATOR:
		return "generator";
	case PL_STAGE_TRANSFORM:
		return "fan-out";
	case PL_STAGE_SINK:
		return "sink";
	default:
		return "unknown";
	}
}

/* The width of UTF-8 text in columns: its code points (no wide characters
 * are expected in names, kinds and file names). */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* Text being written as rows of cells: spaces (padding included) wait in
 * `pending` until something follows them, so no line ends in spaces. */
struct row {
	FILE *out;
	size_t pending;
};

/* Writes `s` as one cell, padded to `w` columns (0: no padding).  A control
 * character (a plugin's description may hold one) becomes a space, so that
 * every row stays one line. */
static void cell(struct row *r, const char *s, size_t w)
{
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p <= 0x20 || *p == 0x7f) {
			r->pending++;
			continue;
		}
		for (; r->pending > 0; r->pending--)
			fputc(' ', r->out);
		fputc(*p, r->out);
	}
	for (size_t n = width(s); n < w; n++)
		r->pending++;
}

/* Ends a row (or a line of text written with cell()). */
static void end_row(struct row *r)
{
	r->pending = 0;
	fputc('\n', r->out);
}

static size_t max_size(size_t a, size_t b)
{
	return a > b ? a : b;
}

/* Where a stage came from, as a listing says it. */
static const char *origin_text(const pl_registry *reg, const char *name)
{
	const char *origin = pl_registry_origin(reg, name);
	return origin != NULL ? origin : "(the program)";
}

/* ---- Text. --------------------------------------------------------------- */

static void list_text(const pl_registry *reg, FILE *out)
{
	size_t n;
	const char *const *names = pl_registry_names(reg, &n);
	size_t wn = strlen("NAME"), wk = strlen("KIND"), wo = strlen("ORIGIN");
	for (size_t i = 0; i < n; i++) {
		const pl_stage *st = pl_registry_find(reg, names[i]);
		wn = max_size(wn, width(names[i]));
		wk = max_size(wk, width(pl_stage_kind_name(st->kind)));
		wo = max_size(wo, width(origin_text(reg, names[i])));
	}
	struct row r = { .out = out };
	cell(&r, "NAME", wn + 2);
	cell(&r, "KIND", wk + 2);
	cell(&r, "ORIGIN", wo + 2);
	cell(&r, "DESCRIPTION", 0);
	end_row(&r);
	for (size_t i = 0; i < n; i++) {
		const pl_stage *st = pl_registry_find(reg, names[i]);
		cell(&r, names[i], wn + 2);
		cell(&r, pl_stage_kind_name(st->kind), wk + 2);
		cell(&r, origin_text(reg, names[i]), wo + 2);
		cell(&r, st->description, 0);
		end_row(&r);
	}
}

/* The default column of a parameter: "(required)", "(none)" or the
 * default's YAML text ("" when it is empty). */
static const char *default_text(const pl_param_spec *ps)
{
	if (ps->flags & PL_PARAM_REQUIRED)
		return "(required)";
	if (ps->default_value == NULL)
		return "(none)";
	return ps->default_value[0] == '\0' ? "\"\"" : ps->default_value;
}

/* Nonzero when the parameter's min and max hold (params.c checks them
 * for integers only). */
static int has_range(const pl_param_spec *ps)
{
	return (ps->flags & PL_PARAM_RANGE) && ps->type == PL_PARAM_INT;
}

/* The range column: "0..10", ">= 0", "<= 10", or "" without a range. */
static void range_text(const pl_param_spec *ps, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!has_range(ps))
		return;
	if (ps->min == INT64_MIN && ps->max == INT64_MAX)
		return;
	if (ps->max == INT64_MAX)
		snprintf(buf, len, ">= %" PRId64, ps->min);
	else if (ps->min == INT64_MIN)
		snprintf(buf, len, "<= %" PRId64, ps->max);
	else
		snprintf(buf, len, "%" PRId64 "..%" PRId64, ps->min, ps->max);
}

/* A value a required parameter may take in the example node. */
static void example_value(const pl_param_spec *ps, char *buf, size_t len)
{
	switch (ps->type) {
	case PL_PARAM_INT: {
		int64_t v = 1;
		if (has_range(ps))
			v = v < ps->min ? ps->min : v > ps->max ? ps->max : v;
		snprintf(buf, len, "%" PRId64, v);
		break;
	}
	case PL_PARAM_BOOL:
		snprintf(buf, len, "true");
		break;
	case PL_PARAM_FLOAT:
		snprintf(buf, len, "1.0");
		break;
	default:
		snprintf(buf, len, "\"...\"");
		break;
	}
}

static void params_text(const pl_stage *st, FILE *out)
{
	if (st->n_params == 0) {
		fputs("Parameters: none\n", out);
		return;
	}
	char range[64];
	size_t wn = strlen("NAME"), wt = strlen("TYPE"), wd = strlen("DEFAULT"), wr = 0;
	for (uint32_t k = 0; k < st->n_params; k++) {
		const pl_param_spec *ps = &st->params[k];
		range_text(ps, range, sizeof(range));
		wn = max_size(wn, width(ps->name));
		wt = max_size(wt, width(pl_param_type_name(ps->type)));
		wd = max_size(wd, width(default_text(ps)));
		wr = max_size(wr, width(range));
	}
	if (wr > 0)
		wr = max_size(wr, strlen("RANGE"));
	struct row r = { .out = out };
	fputs("Parameters:\n", out);
	cell(&r, "", 2);
	cell(&r, "NAME", wn + 2);
	cell(&r, "TYPE", wt + 2);
	cell(&r, "DEFAULT", wd + 2);
	if (wr > 0)
		cell(&r, "RANGE", wr + 2);
	cell(&r, "DESCRIPTION", 0);
	end_row(&r);
	for (uint32_t k = 0; k < st->n_params; k++) {
		const pl_param_spec *ps = &st->params[k];
		range_text(ps, range, sizeof(range));
		cell(&r, "", 2);
		cell(&r, ps->name, wn + 2);
		cell(&r, pl_param_type_name(ps->type), wt + 2);
		cell(&r, default_text(ps), wd + 2);
		if (wr > 0)
			cell(&r, range, wr + 2);
		cell(&r, ps->description != NULL ? ps->description : "", 0);
		end_row(&r);
	}
}

/* A node that runs the stage, with its required parameters, as it would
 * stand in a config's `nodes:` list. */
static void example_text(const pl_stage *st, FILE *out)
{
	/* A plain `null` would be no name at all (the stage: key takes it as
	 * the null sink's name). */
	const char *q = strcmp(st->name, "null") == 0 ? "\"" : "";
	fprintf(out, "Example node:\n  - name: %s%s%s\n    type: %s\n    stage: %s\n", q, st->name,
		q, node_type(st->kind), st->name);
	int any = 0;
	if (st->example_params != NULL) /* (NULL in a stage built before ABI 1.2) */
		fprintf(out, "    params: %s\n", st->example_params);
	for (uint32_t k = 0; st->example_params == NULL && k < st->n_params; k++) {
		const pl_param_spec *ps = &st->params[k];
		if (!(ps->flags & PL_PARAM_REQUIRED))
			continue;
		char value[64];
		example_value(ps, value, sizeof(value));
		if (!any++)
			fputs("    params:\n", out);
		fprintf(out, "      %s: %s\n", ps->name, value);
	}
	if (st->kind != PL_STAGE_GENERATOR)
		fputs("    input: in\n", out);
	if (st->kind != PL_STAGE_SINK)
		fputs("    output: out\n", out);
}

static void show_text(const pl_registry *reg, const pl_stage *st, FILE *out)
{
	char workers[16] = "any";
	if (st->max_workers > 0)
		snprintf(workers, sizeof(workers), "%" PRIu32, st->max_workers);
	const char *rows[][2] = {
		{ "Name", st->name },
		{ "Kind", pl_stage_kind_name(st->kind) },
		{ "Node type", node_type(st->kind) },
		{ "Description", st->description },
		{ "Origin", origin_text(reg, st->name) },
		{ "Max workers", workers },
	};
	struct row r = { .out = out };
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		cell(&r, rows[i][0], strlen("Description") + 2);
		cell(&r, rows[i][1], 0);
		end_row(&r);
	}
	fputc('\n', out);
	params_text(st, out);
	fputc('\n', out);
	example_text(st, out);
}

/* ---- JSON. --------------------------------------------------------------- */

/* A JSON string, or null for NULL. */
static void json_string_or_null(FILE *out, const char *s)
{
	if (s == NULL)
		fputs("null", out);
	else
		pl_json_string(out, s);
}

/* One stage as a JSON object, each line after the first indented by
 * `indent` (the caller writes the first line's indentation). */
static void stage_json(const pl_registry *reg, const pl_stage *st, const char *indent, FILE *out)
{
	fprintf(out, "{\n%s  \"name\": ", indent);
	pl_json_string(out, st->name);
	fprintf(out,
		",\n%s  \"kind\": \"%s\",\n%s  \"node_type\": \"%s\",\n%s  \"origin\": ", indent,
		pl_stage_kind_name(st->kind), indent, node_type(st->kind), indent);
	json_string_or_null(out, pl_registry_origin(reg, st->name));
	fprintf(out, ",\n%s  \"description\": ", indent);
	pl_json_string(out, st->description);
	fprintf(out, ",\n%s  \"max_workers\": %" PRIu32 ",\n%s  \"params\": [", indent,
		st->max_workers, indent);
	for (uint32_t k = 0; k < st->n_params; k++) {
		const pl_param_spec *ps = &st->params[k];
		fprintf(out, "%s\n%s    {\"name\": ", k == 0 ? "" : ",", indent);
		pl_json_string(out, ps->name);
		fprintf(out, ", \"type\": \"%s\", \"required\": %s, \"default\": ",
			pl_param_type_name(ps->type),
			ps->flags & PL_PARAM_REQUIRED ? "true" : "false");
		json_string_or_null(out, ps->default_value);
		if (has_range(ps))
			fprintf(out, ", \"min\": %" PRId64 ", \"max\": %" PRId64, ps->min, ps->max);
		else
			fputs(", \"min\": null, \"max\": null", out);
		fputs(", \"description\": ", out);
		json_string_or_null(out, ps->description);
		fputc('}', out);
	}
	if (st->n_params > 0)
		fprintf(out, "\n%s  ", indent);
	fprintf(out, "]\n%s}", indent);
}

static void list_json(const pl_registry *reg, FILE *out)
{
	size_t n;
	const char *const *names = pl_registry_names(reg, &n);
	fputc('[', out);
	for (size_t i = 0; i < n; i++) {
		fputs(i == 0 ? "\n  " : ",\n  ", out);
		stage_json(reg, pl_registry_find(reg, names[i]), "  ", out);
	}
	fputs(n > 0 ? "\n]\n" : "]\n", out);
}

/* ---- The command. -------------------------------------------------------- */

int pl_cli_stages(int argc, char **argv)
{
	pl_cli_args args;
	int code = pl_cli_parse(argc, argv, &spec_stages, &args);
	if (code == 0 && args.sets.n > 0)
		code = pl_cli_usage("stages: --set changes a config, and 'stages' reads none");
	if (code != 0) {
		pl_cli_args_free(&args);
		return code < 0 ? PL_EXIT_OK : code;
	}
	int json = args.format == 1;

	pl_registry *reg = NULL;
	code = pl_cli_registry(&args, &reg);
	if (code != 0) {
		pl_cli_args_free(&args);
		return code;
	}
	const pl_stage *st = NULL;
	if (args.n_files > 0) {
		const char *name = args.files[0];
		st = pl_registry_find(reg, name);
		if (st == NULL) {
			size_t n;
			const char *const *names = pl_registry_names(reg, &n);
			const char *near = pl_suggest(name, names, n);
			if (near != NULL)
				fprintf(stderr,
					"pipeline: stages: no stage named '%s'; did you mean "
					"'%s'?\n",
					name, near);
			else
				fprintf(stderr,
					"pipeline: stages: no stage named '%s'; 'pipeline stages' "
					"lists them\n",
					name);
			pl_registry_destroy(reg);
			pl_cli_args_free(&args);
			return PL_EXIT_FAILURE;
		}
	}

	errno = 0;
	if (st != NULL && json) {
		stage_json(reg, st, "", stdout);
		fputc('\n', stdout);
	} else if (st != NULL) {
		show_text(reg, st, stdout);
	} else if (json) {
		list_json(reg, stdout);
	} else {
		list_text(reg, stdout);
	}
	code = PL_EXIT_OK;
	if (ferror(stdout) || fflush(stdout) != 0) {
		char ebuf[64];
		fprintf(stderr, "pipeline: error: cannot write to standard output: %s\n",
			errno != 0 ? pl_out_strerror(errno, ebuf, sizeof(ebuf))
				   : pl_strerror(PL_EIO));
		code = PL_EXIT_FAILURE;
	}
	pl_registry_destroy(reg);
	pl_cli_args_free(&args);
	return code;
}
