/* test_params.c - cmocka tests of runner/params.c (stage parameters) and runner/error.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "error.h"
#include "params.h"

/* ---- The fixture stage. ------------------------------------------------- */

static const pl_param_spec fixture_params[] = {
	{ .name = "count",
	  .type = PL_PARAM_INT,
	  .flags = PL_PARAM_RANGE,
	  .default_value = "10",
	  .min = 0,
	  .max = 1000 },
	{ .name = "verbose", .type = PL_PARAM_BOOL, .default_value = "false" },
	{ .name = "label", .type = PL_PARAM_STRING, .default_value = "anon" },
	{ .name = "ratio", .type = PL_PARAM_FLOAT, .default_value = "0.5" },
	{ .name = "path", .type = PL_PARAM_STRING, .flags = PL_PARAM_REQUIRED },
	{ .name = "limit", .type = PL_PARAM_INT },
	{ .name = "enabled", .type = PL_PARAM_BOOL },
	{ .name = "scale", .type = PL_PARAM_FLOAT },
	{ .name = "offset", .type = PL_PARAM_INT, .flags = PL_PARAM_RANGE, .min = -5, .max = 5 },
};

static const pl_stage fixture = {
	PL_STAGE_HEADER,          .kind = PL_STAGE_TRANSFORM,
	.name = "fixture",        .description = "a stage with one parameter of each kind",
	.params = fixture_params, .n_params = sizeof(fixture_params) / sizeof(fixture_params[0]),
};

static pl_params *new_params(const pl_stage *stage)
{
	pl_params *p = NULL;
	char err[256] = "";
	int rc = pl_params_create(stage, &p, err, sizeof(err));
	if (rc != 0)
		fail_msg("pl_params_create: %s: %s", pl_err_name(rc), err);
	assert_non_null(p);
	return p;
}

static int setup(void **state)
{
	*state = new_params(&fixture);
	return 0;
}

static int teardown(void **state)
{
	pl_params_destroy(*state);
	return 0;
}

/* ---- Creation and defaults. --------------------------------------------- */

static void test_create_with_defaults(void **state)
{
	pl_params *p = *state;
	int64_t i = -1;
	int b = -1;
	const char *s = NULL;
	double f = -1;

	assert_int_equal(pl_params_int(p, "count", &i), 0);
	assert_int_equal(i, 10);
	assert_int_equal(pl_params_bool(p, "verbose", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(pl_params_string(p, "label", &s), 0);
	assert_string_equal(s, "anon");
	assert_int_equal(pl_params_float(p, "ratio", &f), 0);
	assert_true(f == 0.5);
	assert_string_equal(pl_params_missing(p), "path");
}

static void test_create_without_params(void **state)
{
	(void)state;
	static const pl_stage bare = { PL_STAGE_HEADER, .kind = PL_STAGE_SINK, .name = "bare" };
	pl_params *p = new_params(&bare);
	char err[128] = "";
	assert_null(pl_params_missing(p));
	assert_int_equal(pl_params_set(p, "x", "1", 0, err, sizeof(err)), PL_ENOENT);
	assert_string_equal(err, "stage 'bare' has no parameter 'x'");
	int64_t i = 7;
	assert_int_equal(pl_params_int(p, "x", &i), PL_ENOENT);
	assert_int_equal(i, 7);
	pl_params_destroy(p);
	pl_params_destroy(NULL);
}

/* ---- Setting values: one row per case. ---------------------------------- */

struct set_case {
	const char *name;
	const char *text;
	int quoted;
	int rc;
	const char *err; /* the exact message, on failure */
	/* the value read back on success (by the parameter's type) */
	int64_t i;
	double f;
	const char *s;
};

/* clang-format off */
#define OK_INT(n, t, v) {.name = (n), .text = (t), .i = (v)}
#define OK_BOOL(n, t, v) {.name = (n), .text = (t), .i = (v)}
#define OK_FLOAT(n, t, v) {.name = (n), .text = (t), .f = (v)}
#define OK_STR(n, t, q, v) {.name = (n), .text = (t), .quoted = (q), .s = (v)}
#define BAD(n, t, q, r, e) {.name = (n), .text = (t), .quoted = (q), .rc = (r), .err = (e)}
/* clang-format on */

static const struct set_case set_cases[] = {
	/* integers */
	OK_INT("count", "42", 42),
	OK_INT("count", "+7", 7),
	OK_INT("count", "0", 0),
	OK_INT("count", "1000", 1000),
	OK_INT("count", "007", 7),
	OK_INT("offset", "-5", -5),
	OK_INT("offset", "-0", 0),
	OK_INT("limit", "9223372036854775807", INT64_MAX),
	OK_INT("limit", "-9223372036854775808", INT64_MIN),
	BAD("count", "42", 1, PL_EINVAL,
	    "expected an integer, got the quoted string \"42\"; remove the quotes"),
	BAD("count", "4x", 0, PL_EINVAL, "expected an integer, got '4x'"),
	BAD("count", "", 0, PL_EINVAL, "expected an integer, got ''"),
	BAD("count", " 4", 0, PL_EINVAL, "expected an integer, got ' 4'"),
	BAD("count", "4 ", 0, PL_EINVAL, "expected an integer, got '4 '"),
	BAD("count", "-", 0, PL_EINVAL, "expected an integer, got '-'"),
	BAD("count", "0x10", 0, PL_EINVAL, "expected an integer, got '0x10'"),
	BAD("count", "1.5", 0, PL_EINVAL, "expected an integer, got '1.5'"),
	BAD("count", "1e3", 0, PL_EINVAL, "expected an integer, got '1e3'"),
	BAD("count", "-1", 0, PL_ERANGE, "-1 is out of range [0, 1000]"),
	BAD("count", "1001", 0, PL_ERANGE, "1001 is out of range [0, 1000]"),
	BAD("offset", "6", 0, PL_ERANGE, "6 is out of range [-5, 5]"),
	BAD("offset", "-6", 0, PL_ERANGE, "-6 is out of range [-5, 5]"),
	BAD("count", "99999999999999999999", 0, PL_ERANGE,
	    "99999999999999999999 is out of range [0, 1000]"),
	BAD("limit", "9223372036854775808", 0, PL_ERANGE,
	    "9223372036854775808 does not fit in 64 bits"),
	BAD("limit", "-9223372036854775809", 0, PL_ERANGE,
	    "-9223372036854775809 does not fit in 64 bits"),
	/* booleans */
	OK_BOOL("verbose", "true", 1),
	OK_BOOL("enabled", "false", 0),
	BAD("verbose", "yes", 0, PL_EINVAL, "expected true or false, got 'yes'"),
	BAD("verbose", "1", 0, PL_EINVAL, "expected true or false, got '1'"),
	BAD("verbose", "", 0, PL_EINVAL, "expected true or false, got ''"),
	BAD("verbose", "true", 1, PL_EINVAL,
	    "expected a boolean, got the quoted string \"true\"; remove the quotes"),
	/* strings: quoted or not, always text */
	OK_STR("label", "hello", 0, "hello"),
	OK_STR("label", "42", 1, "42"),
	OK_STR("label", "42", 0, "42"),
	OK_STR("label", "", 1, ""),
	OK_STR("path", "/tmp/a b", 1, "/tmp/a b"),
	/* floats */
	OK_FLOAT("ratio", "2.25", 2.25),
	OK_FLOAT("ratio", "3", 3.0),
	OK_FLOAT("scale", "-1e3", -1000.0),
	OK_FLOAT("scale", "+.5", 0.5),
	BAD("ratio", "abc", 0, PL_EINVAL, "expected a number, got 'abc'"),
	BAD("ratio", "", 0, PL_EINVAL, "expected a number, got ''"),
	BAD("ratio", "1.5x", 0, PL_EINVAL, "expected a number, got '1.5x'"),
	BAD("ratio", "inf", 0, PL_EINVAL, "expected a number, got 'inf'"),
	BAD("ratio", "nan", 0, PL_EINVAL, "expected a number, got 'nan'"),
	BAD("ratio", "1e999", 0, PL_EINVAL, "expected a number, got '1e999'"),
	BAD("ratio", "1.5", 1, PL_EINVAL,
	    "expected a number, got the quoted string \"1.5\"; remove the quotes"),
	/* names */
	BAD("nope", "1", 0, PL_ENOENT, "stage 'fixture' has no parameter 'nope'"),
	BAD("Count", "1", 0, PL_ENOENT, "stage 'fixture' has no parameter 'Count'"),
	BAD("", "1", 0, PL_ENOENT, "stage 'fixture' has no parameter ''"),
};

static const pl_param_spec *spec_of(const char *name)
{
	for (uint32_t i = 0; i < fixture.n_params; i++)
		if (strcmp(fixture_params[i].name, name) == 0)
			return &fixture_params[i];
	return NULL;
}

/* Reads `name` back with the accessor of its type; returns its rc. */
struct readback {
	int64_t i;
	int b;
	double f;
	const char *s;
};

static int read_back(const pl_params *p, const pl_param_spec *spec, struct readback *out)
{
	/* NOLINTNEXTLINE(clang-analyzer-core.NullDereference): callers assert_non_null(spec) */
	switch (spec->type) {
	case PL_PARAM_INT:
		return pl_params_int(p, spec->name, &out->i);
	case PL_PARAM_BOOL:
		return pl_params_bool(p, spec->name, &out->b);
	case PL_PARAM_FLOAT:
		return pl_params_float(p, spec->name, &out->f);
	case PL_PARAM_STRING:
		return pl_params_string(p, spec->name, &out->s);
	default:
		fail_msg("parameter %s has no accessor", spec->name);
		return PL_EINVAL;
	}
}

static void test_set_table(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(set_cases) / sizeof(set_cases[0]); k++) {
		const struct set_case *tc = &set_cases[k];
		pl_params *p = new_params(&fixture);
		const pl_param_spec *spec = spec_of(tc->name);
		struct readback before = { 0 }, after = { 0 };
		int before_rc = spec != NULL ? read_back(p, spec, &before) : PL_ENOENT;

		char err[256] = "(untouched)";
		int rc = pl_params_set(p, tc->name, tc->text, tc->quoted, err, sizeof(err));
		if (rc != tc->rc)
			fail_msg("case %zu, %s = %s%s%s: got %s (%s), expected %s", k, tc->name,
				 tc->quoted ? "\"" : "'", tc->text, tc->quoted ? "\"" : "'",
				 pl_err_name(rc), err, pl_err_name(tc->rc));
		if (rc != 0) {
			if (strcmp(err, tc->err) != 0)
				fail_msg("case %zu: message \"%s\", expected \"%s\"", k, err,
					 tc->err);
			/* A failed set leaves the previous value (or its absence). */
			if (spec != NULL) {
				assert_int_equal(read_back(p, spec, &after), before_rc);
				assert_true(after.i == before.i);
				assert_int_equal(after.b, before.b);
				assert_true(after.f == before.f);
				assert_ptr_equal(after.s, before.s);
			}
			pl_params_destroy(p);
			continue;
		}
		assert_string_equal(err, "(untouched)");
		assert_non_null(spec);
		assert_int_equal(read_back(p, spec, &after), 0);
		switch (spec->type) {
		case PL_PARAM_INT:
			assert_true(after.i == tc->i);
			break;
		case PL_PARAM_BOOL:
			assert_int_equal(after.b, tc->i);
			break;
		case PL_PARAM_FLOAT:
			assert_true(after.f == tc->f);
			break;
		case PL_PARAM_STRING:
			assert_string_equal(after.s, tc->s);
			assert_ptr_not_equal(after.s, tc->text); /* a copy */
			break;
		default:
			fail();
		}
		pl_params_destroy(p);
	}
}

/* Setting a parameter again replaces the value (and frees an old string:
 * LeakSanitizer checks). */
static void test_set_replaces(void **state)
{
	pl_params *p = *state;
	const char *s = NULL;
	int64_t i = 0;
	assert_int_equal(pl_params_set(p, "label", "one", 0, NULL, 0), 0);
	assert_int_equal(pl_params_set(p, "label", "two", 1, NULL, 0), 0);
	assert_int_equal(pl_params_string(p, "label", &s), 0);
	assert_string_equal(s, "two");
	assert_int_equal(pl_params_set(p, "label", "x", 0, NULL, 0), 0);
	/* A failed set keeps the value that was there. */
	assert_int_equal(pl_params_set(p, "count", "5", 0, NULL, 0), 0);
	assert_int_equal(pl_params_set(p, "count", "6", 0, NULL, 0), 0);
	assert_int_equal(pl_params_set(p, "count", "bad", 0, NULL, 0), PL_EINVAL);
	assert_int_equal(pl_params_int(p, "count", &i), 0);
	assert_int_equal(i, 6);
	assert_int_equal(pl_params_string(p, "label", &s), 0);
	assert_string_equal(s, "x");
}

/* err may be NULL, and a short buffer gets a truncated, terminated message. */
static void test_error_buffer(void **state)
{
	pl_params *p = *state;
	assert_int_equal(pl_params_set(p, "count", "-1", 0, NULL, 0), PL_ERANGE);
	assert_int_equal(pl_params_set(p, "nope", "1", 0, NULL, 99), PL_ENOENT);
	char err[8];
	memset(err, 'X', sizeof(err));
	assert_int_equal(pl_params_set(p, "count", "abc", 0, err, sizeof(err)), PL_EINVAL);
	assert_string_equal(err, "expecte");
	memset(err, 'X', sizeof(err));
	assert_int_equal(pl_params_set(p, "count", "abc", 0, err, 0), PL_EINVAL);
	assert_int_equal(err[0], 'X');
}

/* ---- Required parameters. ----------------------------------------------- */

static void test_missing_required(void **state)
{
	(void)state;
	static const pl_param_spec specs[] = {
		{ .name = "a", .type = PL_PARAM_INT, .flags = PL_PARAM_REQUIRED },
		{ .name = "b", .type = PL_PARAM_STRING, .flags = PL_PARAM_REQUIRED },
		{ .name = "c", .type = PL_PARAM_BOOL },
	};
	static const pl_stage stage = { PL_STAGE_HEADER, .kind = PL_STAGE_SINK, .name = "req",
					.params = specs, .n_params = 3 };
	pl_params *p = new_params(&stage);
	assert_string_equal(pl_params_missing(p), "a");
	/* A failed set does not count as given. */
	assert_int_equal(pl_params_set(p, "a", "x", 0, NULL, 0), PL_EINVAL);
	assert_string_equal(pl_params_missing(p), "a");
	assert_int_equal(pl_params_set(p, "a", "1", 0, NULL, 0), 0);
	assert_string_equal(pl_params_missing(p), "b");
	assert_int_equal(pl_params_set(p, "b", "", 1, NULL, 0), 0);
	assert_null(pl_params_missing(p));
	pl_params_destroy(p);
}

/* ---- A stage whose own defaults are malformed. -------------------------- */

#define ONE_PARAM_STAGE(ident, ...)                                                             \
	static const pl_param_spec ident##_spec[] = { { __VA_ARGS__ } };                        \
	static const pl_stage ident = { PL_STAGE_HEADER, .kind = PL_STAGE_SINK, .name = #ident, \
					.params = ident##_spec, .n_params = 1 }

ONE_PARAM_STAGE(bad_int, .name = "n", .type = PL_PARAM_INT, .default_value = "ten");
ONE_PARAM_STAGE(bad_range, .name = "n", .type = PL_PARAM_INT, .flags = PL_PARAM_RANGE,
		.default_value = "50", .min = 1, .max = 10);
ONE_PARAM_STAGE(bad_overflow, .name = "n", .type = PL_PARAM_INT,
		.default_value = "18446744073709551616");
ONE_PARAM_STAGE(bad_bool, .name = "on", .type = PL_PARAM_BOOL, .default_value = "yes");
ONE_PARAM_STAGE(bad_float, .name = "x", .type = PL_PARAM_FLOAT, .default_value = "1,5");
ONE_PARAM_STAGE(bad_type, .name = "w", .type = 99, .default_value = "1");

static const struct {
	const pl_stage *stage;
	const char *err;
} bad_default_cases[] = {
	{ &bad_int, "the default of parameter 'n' is invalid: 'ten'" },
	{ &bad_range, "the default of parameter 'n' is invalid: '50'" },
	{ &bad_overflow, "the default of parameter 'n' is invalid: '18446744073709551616'" },
	{ &bad_bool, "the default of parameter 'on' is invalid: 'yes'" },
	{ &bad_float, "the default of parameter 'x' is invalid: '1,5'" },
	{ &bad_type, "the default of parameter 'w' is invalid: '1'" },
};

static void test_malformed_default(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(bad_default_cases) / sizeof(bad_default_cases[0]); k++) {
		pl_params *p = (pl_params *)&p;
		char err[256] = "";
		assert_int_equal(pl_params_create(bad_default_cases[k].stage, &p, err, sizeof(err)),
				 PL_EINVAL);
		assert_null(p);
		/* The reason the value was refused follows in parentheses. */
		size_t n = strlen(bad_default_cases[k].err);
		if (strncmp(err, bad_default_cases[k].err, n) != 0 ||
		    strncmp(err + n, " (", 2) != 0 || err[strlen(err) - 1] != ')')
			fail_msg("got '%s', wanted '%s (...)'", err, bad_default_cases[k].err);
		/* err may be NULL. */
		assert_int_equal(pl_params_create(bad_default_cases[k].stage, &p, NULL, 0),
				 PL_EINVAL);
		assert_null(p);
	}
}

/* A parameter of a type the runner does not know cannot be set. */
static void test_unknown_type(void **state)
{
	(void)state;
	ONE_PARAM_STAGE(odd, .name = "w", .type = 99);
	pl_params *p = new_params(&odd);
	char err[128] = "";
	assert_int_equal(pl_params_set(p, "w", "1", 0, err, sizeof(err)), PL_EINVAL);
	assert_string_equal(err, "parameter 'w' has an unknown type");
	pl_params_destroy(p);
}

/* ---- Accessors. ---------------------------------------------------------- */

enum accessor { GET_INT, GET_BOOL, GET_STRING, GET_FLOAT };

static const struct {
	const char *name;
	enum accessor get;
	int rc;
} get_cases[] = {
	/* with a default */
	{ "count", GET_INT, 0 },
	{ "verbose", GET_BOOL, 0 },
	{ "label", GET_STRING, 0 },
	{ "ratio", GET_FLOAT, 0 },
	/* unset, no default */
	{ "limit", GET_INT, PL_ENOENT },
	{ "enabled", GET_BOOL, PL_ENOENT },
	{ "path", GET_STRING, PL_ENOENT },
	{ "scale", GET_FLOAT, PL_ENOENT },
	/* type mismatch */
	{ "count", GET_BOOL, PL_ENOENT },
	{ "count", GET_STRING, PL_ENOENT },
	{ "count", GET_FLOAT, PL_ENOENT },
	{ "verbose", GET_INT, PL_ENOENT },
	{ "label", GET_INT, PL_ENOENT },
	{ "ratio", GET_INT, PL_ENOENT },
	/* unknown name */
	{ "nope", GET_INT, PL_ENOENT },
	{ "nope", GET_BOOL, PL_ENOENT },
	{ "nope", GET_STRING, PL_ENOENT },
	{ "nope", GET_FLOAT, PL_ENOENT },
};

static void test_accessors(void **state)
{
	pl_params *p = *state;
	for (size_t k = 0; k < sizeof(get_cases) / sizeof(get_cases[0]); k++) {
		/* Sentinels: a failing accessor must leave *out alone. */
		int64_t i = 12345;
		int b = 12345;
		const char *s = "sentinel";
		double f = 12345.0;
		int rc;
		switch (get_cases[k].get) {
		case GET_INT:
			rc = pl_params_int(p, get_cases[k].name, &i);
			break;
		case GET_BOOL:
			rc = pl_params_bool(p, get_cases[k].name, &b);
			break;
		case GET_STRING:
			rc = pl_params_string(p, get_cases[k].name, &s);
			break;
		default:
			rc = pl_params_float(p, get_cases[k].name, &f);
			break;
		}
		if (rc != get_cases[k].rc)
			fail_msg("case %zu, %s: got %s, expected %s", k, get_cases[k].name,
				 pl_err_name(rc), pl_err_name(get_cases[k].rc));
		if (rc != 0) {
			assert_int_equal(i, 12345);
			assert_int_equal(b, 12345);
			assert_string_equal(s, "sentinel");
			assert_true(f == 12345.0);
		}
	}
	/* Once set, a value without a default is there. */
	int64_t i = 0;
	assert_int_equal(pl_params_set(p, "limit", "-3", 0, NULL, 0), 0);
	assert_int_equal(pl_params_int(p, "limit", &i), 0);
	assert_int_equal(i, -3);
	/* A NULL set reads as empty. */
	assert_int_equal(pl_params_int(NULL, "count", &i), PL_ENOENT);
}

/* ---- Names. -------------------------------------------------------------- */

static void test_type_names(void **state)
{
	(void)state;
	static const struct {
		uint32_t type;
		const char *name;
	} cases[] = {
		{ PL_PARAM_INT, "integer" },   { PL_PARAM_BOOL, "boolean" },
		{ PL_PARAM_STRING, "string" }, { PL_PARAM_FLOAT, "number" },
		{ 0, "unknown type" },         { 99, "unknown type" },
	};
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
		assert_string_equal(pl_param_type_name(cases[k].type), cases[k].name);
}

static const struct {
	int err;
	const char *name;
	const char *text;
} error_cases[] = {
	{ 0, "OK", "success" },
	{ PL_ENOMEM, "PL_ENOMEM", "out of memory" },
	{ PL_EINVAL, "PL_EINVAL", "invalid argument" },
	{ PL_ECLOSED, "PL_ECLOSED", "channel closed" },
	{ PL_ECANCELED, "PL_ECANCELED", "pipeline is stopping" },
	{ PL_EIO, "PL_EIO", "input/output error" },
	{ PL_ESTAGE, "PL_ESTAGE", "stage failed" },
	{ PL_ENOENT, "PL_ENOENT", "not found" },
	{ PL_ERANGE, "PL_ERANGE", "value out of range" },
	{ PL_EAGAIN, "PL_EAGAIN", "resource temporarily unavailable" },
	{ PL_ENOTSUP, "PL_ENOTSUP", "not supported" },
	{ 1, "PL_E?", "unknown error" },
	{ -11, "PL_E?", "unknown error" },
	{ -1000, "PL_E?", "unknown error" },
};

static void test_error_names(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(error_cases) / sizeof(error_cases[0]); k++) {
		assert_string_equal(pl_err_name(error_cases[k].err), error_cases[k].name);
		assert_string_equal(pl_strerror(error_cases[k].err), error_cases[k].text);
	}
	/* Every code of the list has a distinct, negative value. */
	static const int codes[] = {
#define CODE(name, value, text) PL_##name,
		PL_ERRNO_MAP(CODE)
#undef CODE
	};
	for (size_t a = 0; a < sizeof(codes) / sizeof(codes[0]); a++) {
		assert_true(codes[a] < 0);
		for (size_t b = a + 1; b < sizeof(codes) / sizeof(codes[0]); b++)
			assert_int_not_equal(codes[a], codes[b]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_with_defaults, setup, teardown),
		cmocka_unit_test(test_create_without_params),
		cmocka_unit_test(test_set_table),
		cmocka_unit_test_setup_teardown(test_set_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_buffer, setup, teardown),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_malformed_default),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test_setup_teardown(test_accessors, setup, teardown),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_error_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
