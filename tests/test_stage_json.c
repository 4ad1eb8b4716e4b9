/* test_stage_json.c - the `json` transform: get, set and delete at a path; bad JSON, bad paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "builtin.h"
#include "cli_harness.h"
#include "stage_harness.h"
#include "json_depth.h"
#include "stage_test_util.h"

static const char doc[] = "{\"a\":{\"b\":[{\"c\":\"hi\"},{\"c\":0.1,\"d\":null}]},\"n\":42,"
			  "\"s\":\"x\\\"y\",\"t\":true}";

/* A harness for json with the parameters `kv` (name, value, ..., NULL),
 * inited. */
static void start(pl_harness *h, const char *const *kv)
{
	assert_int_equal(pl_harness_create(h, &pl_stage_json), 0);
	for (size_t i = 0; kv[i] != NULL; i += 2)
		assert_int_equal(pl_harness_set(h, kv[i], kv[i + 1]), 0);
	assert_int_equal(pl_harness_init(h), 0);
}

#define START(h, ...) start((h), (const char *const[]){ __VA_ARGS__, NULL })

/* The one output of `op: path` on `input`. */
static void assert_one(const char *op, const char *path, const char *input, const char *want)
{
	pl_harness h;
	START(&h, op, path);
	assert_int_equal(pl_harness_process_str(&h, input), 0);
	assert_int_equal(h.n_outs, 1);
	assert_string_equal(pl_harness_out(&h, 0), want);
	finish(&h);
}

/* `op: path` on `input` fails saying `want`, emitting nothing. */
static void assert_fails(const char *const *kv, const char *input, const char *want)
{
	pl_harness h;
	start(&h, kv);
	assert_int_equal(pl_harness_process_str(&h, input), PL_ESTAGE);
	assert_int_equal(h.n_outs, 0);
	assert_string_equal(h.fail_msg, want);
	finish(&h);
}

#define FAILS(input, want, ...) \
	assert_fails((const char *const[]){ __VA_ARGS__, NULL }, input, want)

static void test_get(void **state)
{
	(void)state;
	assert_one("get", "a.b[0].c", doc, "hi"); /* a string: its text */
	assert_one("get", "s", doc, "x\"y");      /* unescaped */
	assert_one("get", "a.b[1]", doc, "{\"c\":0.1,\"d\":null}");
	assert_one("get", "a.b[-1].c", doc, "0.1"); /* from the end */
	assert_one("get", "a.b[1].d", doc, "null");
	assert_one("get", "n", doc, "42");
	assert_one("get", "t", doc, "true");
	assert_one("get", "a", doc, "{\"b\":[{\"c\":\"hi\"},{\"c\":0.1,\"d\":null}]}");
	assert_one("get", "[1]", "[1, [2, 3]]", "[2,3]"); /* an array at the top */
	assert_one("get", "k\\.j", "{\"k.j\": 5, \"k\": {\"j\": 6}}", "5");
	assert_one("get", "k.j", "{\"k.j\": 5, \"k\": {\"j\": 6}}", "6");
	/* Keys stay in their order; whitespace goes. */
	assert_one("get", "o", "{ \"o\" : { \"z\" : 1 , \"a\" : [ ] } }", "{\"z\":1,\"a\":[]}");

	/* as: json quotes a string too. */
	pl_harness h;
	START(&h, "get", "s", "as", "json");
	assert_int_equal(pl_harness_process_str(&h, doc), 0);
	assert_string_equal(pl_harness_out(&h, 0), "\"x\\\"y\"");
	finish(&h);

	/* A string with \u0000: its bytes, NUL included. */
	START(&h, "get", "z");
	assert_int_equal(pl_harness_process_str(&h, "{\"z\": \"a\\u0000b\"}"), 0);
	assert_int_equal(pl_harness_out_len(&h, 0), 3);
	assert_memory_equal(pl_harness_out(&h, 0), "a\0b", 3);
	finish(&h);
}

static void test_get_missing(void **state)
{
	(void)state;
	FAILS(doc, "the document has no 'a.x'", "get", "a.x");
	FAILS(doc, "the document has no 'a.b[2]': 'a.b' has 2 elements", "get", "a.b[2].c");
	FAILS(doc, "the document has no 'n.k': 'n' is a number, not an object", "get", "n.k");
	FAILS(doc, "the document has no 'a[0]': 'a' is an object, not an array", "get", "a[0]");
	FAILS("[1]", "the document has no 'k': the document is an array, not an object", "get",
	      "k");
	FAILS("{}", "the document has no 'k'", "get", "k");

	/* missing: skip drops such documents, and still fails on bad JSON. */
	pl_harness h;
	START(&h, "get", "k", "missing", "skip");
	assert_int_equal(pl_harness_process_str(&h, "{\"j\": 1}"), 0);
	assert_int_equal(pl_harness_process_str(&h, "{\"k\": 2}"), 0);
	assert_int_equal(h.n_outs, 1);
	assert_string_equal(pl_harness_out(&h, 0), "2");
	assert_int_equal(pl_harness_process_str(&h, "{"), PL_ESTAGE);
	finish(&h);
}

static void test_invalid_json(void **state)
{
	(void)state;
	FAILS("{\"a\": 1,}", "invalid JSON: string or '}' expected near '}' (line 1, column 9)",
	      "get", "a");
	FAILS("", "invalid JSON: unexpected token near end of file (line 1, column 0)", "get", "a");
	FAILS("{\"a\": 1} x", "invalid JSON: end of file expected near 'x' (line 1, column 10)",
	      "delete", "a");
	FAILS("[1,\n 2", "invalid JSON: ']' expected near end of file (line 2, column 2)", "set",
	      "[0]", "value", "1");

	/* The message is not NUL-terminated: only its bytes are parsed. */
	pl_harness h;
	START(&h, "get", "a");
	assert_int_equal(pl_harness_process(&h, "{\"a\":7}garbage", 7), 0);
	assert_string_equal(pl_harness_out(&h, 0), "7");
	finish(&h);
}

static void test_set(void **state)
{
	(void)state;
	pl_harness h;
	static const struct {
		const char *path, *value, *input, *want;
	} cases[] = {
		{ "a.b", "{\"x\": [1, 2]}", "{\"a\": {\"b\": 0, \"c\": 1}}",
		  "{\"a\":{\"b\":{\"x\":[1,2]},\"c\":1}}" },           /* replaced in place */
		{ "n", "3.25", "{\"m\": 1}", "{\"m\":1,\"n\":3.25}" }, /* appended at the end */
		{ "s", "\"text\"", "{}", "{\"s\":\"text\"}" },
		{ "p.q.r", "null", "{}", "{\"p\":{\"q\":{\"r\":null}}}" }, /* objects made */
		{ "l[1]", "true", "{\"l\": [0, 1]}", "{\"l\":[0,true]}" },
		{ "l[2]", "true", "{\"l\": [0, 1]}", "{\"l\":[0,1,true]}" }, /* appends */
		{ "l[-2]", "9", "{\"l\": [0, 1]}", "{\"l\":[9,1]}" },
		{ "[0].k", "1", "[{}]", "[{\"k\":1}]" },
		{ "f", "0.1", "{\"g\": 1e300}", "{\"g\":1e300,\"f\":0.1}" }, /* shortest reals */
		{ "a.b[0]", "1", "{}", "{\"a\":{\"b\":[1]}}" }, /* an array made for an index */
		{ "a[0][0].k", "1", "{\"a\": []}",
		  "{\"a\":[[{\"k\":1}]]}" }, /* appended on the way */
		{ "l[1].k", "2", "{\"l\": [0]}", "{\"l\":[0,{\"k\":2}]}" },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		START(&h, "set", cases[i].path, "value", cases[i].value);
		assert_int_equal(pl_harness_process_str(&h, cases[i].input), 0);
		assert_string_equal(pl_harness_out(&h, 0), cases[i].want);
		/* The value is set anew in every document. */
		assert_int_equal(pl_harness_process_str(&h, cases[i].input), 0);
		assert_string_equal(pl_harness_out(&h, 1), cases[i].want);
		finish(&h);
	}
	FAILS("{\"l\": [0]}", "cannot set 'l[2]': 'l' has 1 element", "set", "l[2]", "value", "1");
	FAILS("{\"s\": \"x\"}", "cannot set 's.t': 's' is a string, not an object", "set", "s.t",
	      "value", "1");
	FAILS("{\"l\": []}", "cannot set 'l[-1]': 'l' has 0 elements", "set", "l[-1]", "value",
	      "1");
	FAILS("5", "cannot set 'a': the document is a number, not an object", "set", "a", "value",
	      "1");
	FAILS("{\"l\": [0]}", "cannot set 'l[2].k': 'l' has 1 element", "set", "l[2].k", "value",
	      "1");
}

/* A text of `depth` nested arrays, `[[...]]`, malloc'd: the caller frees it. */
static char *nested(size_t depth)
{
	char *s = malloc(2 * depth + 1);
	assert_non_null(s);
	memset(s, '[', depth);
	memset(s + depth, ']', depth);
	s[2 * depth] = '\0';
	return s;
}

/* Nesting past PL_JSON_MAX_DEPTH is refused before jansson recurses into it (a document
 * 2,000 deep crashed a 512KiB stack, 200 deep a 64KiB one); at the limit it works. */
static void test_depth(void **state)
{
	(void)state;
	char *ok = nested(PL_JSON_MAX_DEPTH), *deep = nested(PL_JSON_MAX_DEPTH + 1);
	char *huge = nested(100000);
	assert_one("delete", "x", ok, ok); /* parsed and written back whole */
	static const char want[] = "the document nests arrays and objects deeper than 128 levels";
	FAILS(deep, want, "get", "[0]");
	FAILS(huge, want, "delete", "x");
	/* Brackets in strings do not count. */
	char text[600];
	snprintf(text, sizeof(text), "{\"s\": \"%s\\\"[\"}", deep);
	pl_harness h;
	START(&h, "get", "s");
	assert_int_equal(pl_harness_process_str(&h, text), 0);
	assert_int_equal(pl_harness_out_len(&h, 0), strlen(deep) + 2);
	finish(&h);
	/* A set's path and value together: refused at the start when deeper than the limit;
	 * at the limit, fine on a document as deep. */
	char value[2 * PL_JSON_MAX_DEPTH + 1];
	size_t value_len = 2 * (size_t)(PL_JSON_MAX_DEPTH - 1); /* 127 levels */
	memcpy(value, ok + 1, value_len);
	value[value_len] = '\0';
	START(&h, "set", "x", "value", value);
	assert_int_equal(pl_harness_process_str(&h, "{}"), 0);
	assert_int_equal(pl_harness_out_len(&h, 0), strlen(value) + 6); /* {"x":...} */
	finish(&h);
	assert_int_equal(pl_harness_create(&h, &pl_stage_json), 0);
	assert_int_equal(pl_harness_set(&h, "set", "x.y"), 0);
	assert_int_equal(pl_harness_set(&h, "value", value), 0);
	assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
	assert_string_equal(h.fail_msg, "'value' nests deeper than 128 levels at the path");
	finish(&h);
	/* In a worker of 64KiB of stack (docs/config.md says 48KiB is enough). */
	char data[256], yaml[1024];
	make_temp(data, sizeof(data), 0);
	write_file(data, ok, strlen(ok));
	snprintf(
		yaml, sizeof(yaml),
		"version: 1\nnodes:\n"
		"  - {name: g, type: generator, stage: lines, params: {path: '%s'}, output: a}\n"
		"  - {name: j, type: fan-out, stage: json, stack_size: 64KiB, params: {get: '[0]', "
		"as: json}, input: a, output: b}\n"
		"  - {name: s, type: sink, stage: stdout, input: b}\n",
		data);
	struct result res;
	run(&res, yaml, STDOUT_FILE, (const char *const[]){ "run", "-q", "-", NULL });
	assert_int_equal(res.code, 0);
	assert_int_equal(strlen(res.out), 2 * (PL_JSON_MAX_DEPTH - 1) + 1);
	(void)remove(data);
	free(ok);
	free(deep);
	free(huge);
}

static void test_delete(void **state)
{
	(void)state;
	assert_one("delete", "a.b[0]", doc,
		   "{\"a\":{\"b\":[{\"c\":0.1,\"d\":null}]},\"n\":42,\"s\":\"x\\\"y\",\"t\":true}");
	assert_one("delete", "n", "{\"m\":1,\"n\":2,\"o\":3}", "{\"m\":1,\"o\":3}");
	assert_one("delete", "l[-1]", "{\"l\":[1,2,3]}", "{\"l\":[1,2]}");
	/* Nothing there: the document passes (compacted). */
	assert_one("delete", "x.y", "{ \"a\" : 1 }", "{\"a\":1}");
	assert_one("delete", "a[3]", "{\"a\":[1]}", "{\"a\":[1]}");
	assert_one("delete", "a.b", "{\"a\":[1]}", "{\"a\":[1]}");
}

/* init() refuses what cannot work, before any message. */
static void test_init_errors(void **state)
{
	(void)state;
	static const struct {
		const char *kv[7];
		const char *want;
	} cases[] = {
		{ { NULL }, "give one of 'get', 'set' and 'delete' (a path such as a.b[0].c)" },
		{ { "get", "a", "delete", "b", NULL },
		  "give only one of 'get', 'set' and 'delete' (got 'get' and 'delete')" },
		{ { "set", "a", NULL },
		  "'set' needs 'value' (the JSON to set, e.g. value: '{\"a\": 1}')" },
		{ { "get", "a", "value", "1", NULL }, "'value' goes with 'set', not 'get'" },
		{ { "set", "a", "value", "{x", NULL },
		  "'value' is not JSON: string or '}' expected near 'x' (line 1, column 2)" },
		{ { "get", "a", "as", "yaml", NULL }, "'as' must be 'text' or 'json', not 'yaml'" },
		{ { "get", "a", "missing", "drop", NULL },
		  "'missing' must be 'error' or 'skip', not 'drop'" },
		{ { "set", "a", "value", "1", "as", "json" }, "'as' goes with 'get', not 'set'" },
		{ { "delete", "a", "missing", "skip", NULL },
		  "'missing' goes with 'get', not 'delete'" },
		{ { "get", "a..b", NULL },
		  "invalid path 'a..b' for 'get': expected a key at position 3" },
		{ { "get", ".a", NULL },
		  "invalid path '.a' for 'get': expected a key at position 1" },
		{ { "delete", "a.", NULL },
		  "invalid path 'a.' for 'delete': expected a key at position 3" },
		{ { "get", "a[x]", NULL },
		  "invalid path 'a[x]' for 'get': expected an index (decimal digits) after '[' at "
		  "position 3" },
		{ { "get", "a[1", NULL },
		  "invalid path 'a[1' for 'get': expected ']' after the index at position 4" },
		{ { "get", "a[0]b", NULL },
		  "invalid path 'a[0]b' for 'get': expected '.' or '[' after ']' at position 5" },
		{ { "get", "a[99999999999]", NULL },
		  "invalid path 'a[99999999999]' for 'get': expected an index of at most "
		  "2147483647 at position 12" },
		{ { "set", "a\\", "value", "1", NULL },
		  "invalid path 'a\\' for 'set': expected a character after '\\' at position 3" },
	};
	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		pl_harness h;
		assert_int_equal(pl_harness_create(&h, &pl_stage_json), 0);
		for (size_t k = 0; cases[i].kv[k] != NULL; k += 2)
			assert_int_equal(pl_harness_set(&h, cases[i].kv[k], cases[i].kv[k + 1]), 0);
		assert_int_equal(pl_harness_init(&h), PL_ESTAGE);
		assert_false(h.inited);
		assert_string_equal(h.fail_msg, cases[i].want);
		finish(&h);
	}
}

/* Through `pipeline run`: a set, then a get, on_error skip for the line
 * that is not JSON and the document without the path. */
static void test_run(void **state)
{
	(void)state;
	struct result res;
	char data[256], yaml[1024];
	make_temp(data, sizeof(data), 0);
	static const char lines[] = "{\"user\": {\"name\": \"ada\", \"langs\": [\"c\", \"ml\"]}}\n"
				    "not json\n"
				    "{\"user\": {\"name\": \"bob\", \"langs\": []}}\n"
				    "{\"user\": {\"name\": \"cy\", \"langs\": [\"go\"]}}\n";
	write_file(data, lines, strlen(lines));
	snprintf(yaml, sizeof(yaml),
		 "version: 1\nnodes:\n"
		 "  - {name: g, type: generator, stage: lines, params: {path: '%s'}, output: a}\n"
		 "  - {name: mark, type: fan-out, stage: json, on_error: skip,\n"
		 "     params: {set: 'user.langs[-1]', value: '\"last\"'}, input: a, output: b}\n"
		 "  - {name: first, type: fan-out, stage: json,\n"
		 "     params: {get: user.langs, as: json}, input: b, output: c}\n"
		 "  - {name: s, type: sink, stage: stdout, input: c}\n",
		 data);
	run(&res, yaml, STDOUT_FILE, (const char *const[]){ "run", "-q", "-", NULL });
	assert_int_equal(res.code, 0);
	assert_string_equal(res.out, "[\"c\",\"last\"]\n[\"last\"]\n");
	/* (bob's empty list has no [-1] to set.) */
	assert_non_null(strstr(res.err,
			       "pipeline: warning: node 'mark' (stage 'json'): 2 failures "
			       "skipped (on_error); the first: invalid JSON: invalid token "
			       "near 'not' (line 1, column 3)"));
	(void)remove(data);
}

/* pipelines/json.yaml: the four valid sign-ups without passwords, marked, in order; the
 * invalid one printed as a dead letter (the two sinks run side by side: anywhere). */
static void test_example(void **state)
{
	(void)state;
	struct result res;
	RUN(&res, "run", "-q", "pipelines/json.yaml");
	assert_int_equal(res.code, 0);
	static const char dead[] =
		"{\"message\": \"{\\\"id\\\": 4, \\\"user\\\": {\\\"name\\\": \\\"ken\\\", "
		"\\\"langs\\\": [\\\"b\\\", \\\"go\\\"]}, \\\"plan\\\": \\\"pro\\\"\", "
		"\"node\": \"strip\", \"stage\": \"json\", \"error\": "
		"\"invalid JSON: '}' expected near end of file (line 1, column 70)\", "
		"\"attempts\": 1}\n";
	char *at = strstr(res.out, dead);
	if (at == NULL)
		fail_msg("no dead letter for id 4 in:\n%s", res.out);
	memmove(at, at + strlen(dead), strlen(at + strlen(dead)) + 1);
	assert_string_equal(
		res.out,
		"{\"id\":1,\"user\":{\"name\":\"ada\",\"langs\":[\"c\",\"ml\"]},\"plan\":\"free\","
		"\"seen\":true}\n"
		"{\"id\":2,\"user\":{\"name\":\"brian\",\"langs\":[\"c\",\"awk\"]},\"plan\":"
		"\"pro\","
		"\"seen\":true}\n"
		"{\"id\":3,\"user\":{\"name\":\"grace\",\"langs\":[\"cobol\"]},\"plan\":\"free\","
		"\"seen\":true}\n"
		"{\"id\":5,\"user\":{\"name\":\"dennis\",\"langs\":[\"c\"]},\"plan\":\"team\","
		"\"seen\":true}\n");
	assert_non_null(strstr(res.err, "1 failure sent to the dead-letter channel"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get),          cmocka_unit_test(test_get_missing),
		cmocka_unit_test(test_invalid_json), cmocka_unit_test(test_set),
		cmocka_unit_test(test_delete),       cmocka_unit_test(test_init_errors),
		cmocka_unit_test(test_depth),        cmocka_unit_test(test_run),
		cmocka_unit_test(test_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
