/* test_config.c - config decoding and graph checks: each bad config gives its message at its line
 * and column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag.h"
#include "example_plugins.h"
#include "graph.h"
#include "load.h"
#include "params.h"
#include "registry.h"
#include "size.h"
#include "yaml_doc.h"

/* Decodes and checks `text` as "t.yaml"; the diagnostics land in `d`. */
static int check_text(const char *text, pl_diags *d)
{
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_config *cfg = NULL;
	int rc = pl_config_parse("t.yaml", text, strlen(text), &cfg, d);
	if (rc == 0)
		rc = pl_graph_check(cfg, reg, d);
	pl_config_free(cfg);
	pl_registry_destroy(reg);
	return rc;
}

/* A minimal valid prefix: version line, then nodes. */
#define V              "version: 1\nnodes:\n"
#define GEN(name, out) "  - {name: " name ", type: generator, stage: seq, output: " out "}\n"
#define SINK(name, in) "  - {name: " name ", type: sink, stage: null, input: " in "}\n"

struct bad_case {
	const char *what;
	const char *yaml;
	unsigned line;       /* 0: the whole file */
	const char *at;      /* the text on that line the error points at (its first occurrence) */
	const char *message; /* a part of the first error's text */
};

static const struct bad_case bad_cases[] = {
	{ "syntax: unclosed flow mapping", V "  - {name: a, type: generator\n", 4, "",
	  "YAML syntax error" },
	{ "not UTF-8", V GEN("g", "c") SINK("s", "c") "# caf\xe9\n", 5, "\xe9",
	  "the file is not valid UTF-8 text (incomplete UTF-8 octet sequence, byte 0xe9); save it "
	  "as UTF-8" },
	{ "tab indentation", "version: 1\nnodes:\n\t- {name: g}\n", 3, "\t",
	  "YAML indents with spaces, never tabs" },
	{ "empty param value",
	  V "  - {name: g, type: generator, stage: lines, params: {path: }, output: c}\n" SINK("s",
											       "c"),
	  3, "}, output",
	  "parameter 'path' has no value; give one, or remove it to use the default" },
	{ "nesting too deep",
	  "version: 1\ndescription: "
	  "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{x}]\n",
	  2, "{", "nesting deeper than 64 levels" },
	{ "syntax: bad indentation", "version: 1\n nodes: []\n", 2, ":",
	  "YAML syntax error: mapping values are not allowed in this context" },
	{ "empty file", "", 0, NULL, "the file is empty" },
	{ "two documents", V GEN("g", "c") SINK("s", "c") "---\nversion: 1\n", 6, "version",
	  "a second YAML document" },
	{ "top level is a list", "- a\n- b\n", 1, "-",
	  "the top level of a config must be a mapping" },
	{ "version missing", "nodes:\n" GEN("g", "c") SINK("s", "c"), 1, "nodes",
	  "needs 'version: 1'" },
	{ "version 2", "version: 2\nnodes:\n" GEN("g", "c") SINK("s", "c"), 1, "2",
	  "unknown config version 2; this pipeline reads version 1" },
	{ "version quoted", "version: \"1\"\nnodes:\n" GEN("g", "c") SINK("s", "c"), 1, "\"1\"",
	  "'version' must be an integer, got the quoted string \"1\"; remove the quotes" },
	{ "unknown top key with hint", V GEN("g", "c") SINK("s", "c") "chanels: {}\n", 5, "chanels",
	  "unknown key 'chanels' in the top level; did you mean 'channels'?" },
	{ "duplicate key", "version: 1\nversion: 1\nnodes:\n" GEN("g", "c") SINK("s", "c"), 2,
	  "version", "'version' is given twice in the top level (first on line 1)" },
	{ "nodes missing", "version: 1\n", 1, "version", "needs a 'nodes' list" },
	{ "nodes not a list", "version: 1\nnodes: {a: 1}\n", 2, "{", "'nodes' must be a list" },
	{ "nodes empty", "version: 1\nnodes: []\n", 2, "[", "'nodes' is empty" },
	{ "node not a mapping", V "  - just-a-name\n", 3, "just",
	  "each entry of 'nodes' must be a mapping" },
	{ "node without name", V "  - {type: generator, stage: seq, output: c}\n" SINK("s", "c"), 3,
	  "{", "a node needs a 'name'" },
	{ "node name with a space",
	  V "  - {name: 'my node', type: generator, stage: seq, output: c}\n" SINK("s", "c"), 3,
	  "'my", "node name 'my node' may hold only letters" },
	{ "duplicate node name", V GEN("a", "c") SINK("a", "c"), 4, "a,",
	  "node name 'a' is already used on line 3" },
	{ "node without type", V "  - {name: g, stage: seq, output: c}\n" SINK("s", "c"), 3, "{",
	  "node 'g' needs a 'type'" },
	{ "unknown type with hint",
	  V "  - {name: g, type: generatr, stage: seq, output: c}\n" SINK("s", "c"), 3, "generatr",
	  "unknown node type 'generatr' (did you mean 'generator'?)" },
	{ "unknown node key with hint",
	  V "  - {name: g, type: generator, stage: seq, ouput: c}\n" SINK("s", "c"), 3, "ouput",
	  "unknown key 'ouput' in a node; did you mean 'output'?" },
	{ "a parameter beside the node's keys",
	  V "  - {name: g, type: generator, stage: seq, count: 3, output: c}\n" SINK("s", "c"), 3,
	  "count", "unknown key 'count' in a node; a stage's parameters go under 'params:'" },
	{ "a buffer on a node",
	  V "  - {name: g, type: generator, stage: seq, buffer: 3, output: c}\n" SINK("s", "c"), 3,
	  "buffer", "a buffer belongs to a channel: channels: { NAME: { buffer: 64 } }" },
	{ "a buffer at the top level", V GEN("g", "c") SINK("s", "c") "buffer: 8\n", 5, "buffer",
	  "unknown key 'buffer' in the top level; a default buffer goes under 'defaults:'" },
	{ "a merge key",
	  V "  - {name: g, type: generator, stage: seq, output: c, <<: {x: 1}}\n" SINK("s", "c"), 3,
	  "<<", "unknown key '<<' in a node; YAML merge keys are not supported" },
	{ "a node key among the parameters",
	  V GEN("g",
		"c") "  - {name: s, type: sink, stage: null, params: {workers: 2}, input: c}\n",
	  4, "workers",
	  "'workers' is a key of the node, not a parameter of stage 'null': move it out of "
	  "'params'" },
	{ "workers zero",
	  V GEN("g", "c") "  - {name: w, type: fan-out, workers: 0, stage: upper, input: c, "
			  "output: d}\n" SINK("s", "d"),
	  4, "0", "'workers' is 0, out of range: it must be between 1 and 100000" },
	{ "workers negative",
	  V GEN("g", "c") "  - {name: w, type: fan-out, workers: -3, stage: upper, input: c, "
			  "output: d}\n" SINK("s", "d"),
	  4, "-3", "'workers' is -3; a node needs at least 1 worker" },
	{ "workers not a number",
	  V GEN("g", "c") "  - {name: w, type: fan-out, workers: many, stage: upper, input: c, "
			  "output: d}\n" SINK("s", "d"),
	  4, "many", "'workers' must be an integer, got 'many'" },
	{ "workers a dash",
	  V GEN("g", "c") "  - {name: w, type: fan-out, workers: -x, stage: upper, input: c, "
			  "output: d}\n" SINK("s", "d"),
	  4, "-x", "'workers' must be an integer, got '-x'" },
	{ "workers too many",
	  V GEN("g", "c") "  - {name: w, type: fan-out, workers: 100001, stage: upper, input: c, "
			  "output: d}\n" SINK("s", "d"),
	  4, "100001", "between 1 and 100000" },
	{ "negative channel buffer",
	  "version: 1\nchannels:\n  c: {buffer: -1}\nnodes:\n" GEN("g", "c") SINK("s", "c"), 3,
	  "-1", "'buffer' is -1, out of range: it must be between 0 and 16777216" },
	{ "negative default buffer",
	  "version: 1\ndefaults: {buffer: -5}\nnodes:\n" GEN("g", "c") SINK("s", "c"), 2, "-5",
	  "'buffer' is -5, out of range" },
	{ "buffer not a number",
	  "version: 1\nchannels:\n  c: {buffer: big}\nnodes:\n" GEN("g", "c") SINK("s", "c"), 3,
	  "big", "'buffer' must be an integer, got 'big'" },
	{ "unknown channel key",
	  "version: 1\nchannels:\n  c: {bufer: 3}\nnodes:\n" GEN("g", "c") SINK("s", "c"), 3,
	  "bufer", "unknown key 'bufer' in channel 'c'; did you mean 'buffer'?" },
	{ "two producers", V GEN("a", "c") GEN("b", "c") SINK("s", "c"), 4, "c}",
	  "channel 'c' has two producers, 'a' (line 3) and 'b' (line 4); merge them with a fan-in "
	  "node" },
	{ "two consumers", V GEN("g", "c") SINK("s1", "c") SINK("s2", "c"), 5, "c}",
	  "channel 'c' has two consumers, 's1' (line 4) and 's2' (line 5); each message goes to "
	  "one reader only: use one fan-out node" },
	{ "channel with no producer",
	  "version: 1\nchannels:\n  c: {buffer: 4}\nnodes:\n" SINK("s", "c"), 3, "c:",
	  "channel 'c' has no producer: no node has 'output: c', so it would never close and 's' "
	  "would wait forever" },
	{ "input names no channel", V GEN("g", "c") SINK("s", "c") SINK("t", "cc"), 5, "cc",
	  "node 't' reads channel 'cc', which no node writes (no 'output: cc'); did you mean "
	  "'c'?" },
	{ "channel with no consumer", V GEN("g", "c"), 3, "c}",
	  "channel 'c' written by 'g' has no consumer; 'g' would block forever once its buffer is "
	  "full" },
	{ "cycle",
	  V GEN("g", "c") "  - {name: a, type: fan-in, inputs: [c, back], output: m}\n  - {name: "
			  "b, type: fan-out, stage: upper, input: m, output: back}\n",
	  4, "{", "the nodes form a cycle (a -> b -> a)" },
	{ "self loop", V "  - {name: a, type: fan-out, stage: upper, input: x, output: x}\n", 3,
	  "{", "the nodes form a cycle (a -> a)" },
	{ "generator with input",
	  V GEN("g0", "z") "  - {name: g, type: generator, stage: seq, input: z, output: c}\n" SINK(
		  "s", "c"),
	  4, "z,", "generator node 'g' reads no channel" },
	{ "generator with workers",
	  V "  - {name: g, type: generator, workers: 4, stage: seq, output: c}\n" SINK("s", "c"), 3,
	  "4",
	  "generator node 'g' has exactly one worker; put a fan-out with 'workers: 4' after it" },
	{ "generator without output", V "  - {name: g, type: generator, stage: seq}\n", 3, "{",
	  "generator node 'g' needs an 'output' channel" },
	{ "output is a list", V "  - {name: g, type: generator, stage: seq, output: [a, b]}\n", 3,
	  "[", "'output' names one channel" },
	{ "sink with output",
	  V GEN("g", "c") "  - {name: s, type: sink, stage: null, input: c, output: d}\n", 4, "d}",
	  "sink node 's' writes no channel" },
	{ "fan-in with one input",
	  V GEN("g", "c") "  - {name: m, type: fan-in, inputs: [c], output: d}\n" SINK("s", "d"), 4,
	  "[", "fan-in node 'm' has 1 input; it merges two or more channels" },
	{ "fan-in with input",
	  V GEN("g", "c") "  - {name: m, type: fan-in, input: c, output: d}\n" SINK("s", "d"), 4,
	  "c,", "fan-in node 'm' merges two or more channels: write 'inputs: [a, b]'" },
	{ "fan-in with a stage",
	  V GEN("a", "c") GEN("b", "e") "  - {name: m, type: fan-in, stage: upper, inputs: [c, e], "
					"output: d}\n" SINK("s", "d"),
	  5, "upper", "fan-in node 'm' runs no stage" },
	{ "fan-in with workers",
	  V GEN("a", "c") GEN("b", "e") "  - {name: m, type: fan-in, workers: 2, inputs: [c, e], "
					"output: d}\n" SINK("s", "d"),
	  5, "2", "fan-in node 'm' has one forwarding thread per input" },
	{ "fan-in lists a channel twice",
	  V GEN("g", "c") "  - {name: m, type: fan-in, inputs: [c, c], output: d}\n" SINK("s", "d"),
	  4, "c]", "fan-in node 'm' lists channel 'c' twice" },
	{ "fan-in inputs not a list",
	  V GEN("g", "c") "  - {name: m, type: fan-in, inputs: c, output: d}\n" SINK("s", "d"), 4,
	  "c,", "'inputs' must be a list of channel names" },
	{ "input and inputs",
	  V GEN("g", "c") "  - {name: m, type: fan-in, input: c, inputs: [c, c], output: d}\n" SINK(
		  "s", "d"),
	  4, "[", "has both 'input' and 'inputs'" },
	{ "fan-out without input",
	  V "  - {name: w, type: fan-out, stage: upper, output: d}\n" SINK("s", "d"), 3, "{",
	  "fan-out node 'w' needs an 'input' channel" },
	{ "fan-out with inputs",
	  V GEN("a", "c") GEN("b", "e") "  - {name: w, type: fan-out, stage: upper, inputs: [c, "
					"e], output: d}\n" SINK("s", "d"),
	  5, "[", "fan-out node 'w' reads one channel: write 'input: NAME'" },
	{ "input is a list", V GEN("g", "c") "  - {name: s, type: sink, stage: null, input: [c]}\n",
	  4, "[", "'input' names one channel; to merge several channels use a fan-in" },
	{ "sink without stage", V GEN("g", "c") "  - {name: s, type: sink, input: c}\n", 4, "{",
	  "sink node 's' needs a 'stage'" },
	{ "empty stage", V GEN("g", "c") "  - {name: s, type: sink, stage: , input: c}\n", 4,
	  ", input", "'stage' must be a string" },
	{ "unknown stage with hint",
	  V GEN("g", "c") "  - {name: s, type: sink, stage: stdot, input: c}\n", 4, "stdot",
	  "unknown stage 'stdot'; did you mean 'stdout'?" },
	{ "unknown stage without hint",
	  V GEN("g", "c") "  - {name: s, type: sink, stage: kafka, input: c}\n", 4, "kafka",
	  "unknown stage 'kafka'; the sink stages are: stdout, file, null, count" },
	{ "stage of the wrong kind",
	  V "  - {name: g, type: generator, stage: upper, output: c}\n" SINK("s", "c"), 3, "upper",
	  "stage 'upper' is a transform, but generator node 'g' runs a generator stage: seq, "
	  "lines" },
	{ "stage limited to one worker",
	  V GEN("g", "c") "  - {name: s, type: sink, stage: count, workers: 2, input: c}\n", 4, "2",
	  "stage 'count' runs on at most 1 worker, but node 's' asks for 2" },
	{ "unknown param with hint",
	  V "  - {name: g, type: generator, stage: seq, params: {cuont: 3}, output: c}\n" SINK("s",
											       "c"),
	  3, "cuont", "stage 'seq' has no parameter 'cuont'; did you mean 'count'?" },
	{ "param on a stage without params",
	  V GEN("g", "c") "  - {name: w, type: fan-out, stage: upper, params: {x: 1}, input: c, "
			  "output: d}\n" SINK("s", "d"),
	  4, "x:", "stage 'upper' takes no parameters; remove 'x'" },
	{ "param of the wrong type",
	  V "  - {name: g, type: generator, stage: seq, params: {count: lots}, output: c}\n" SINK(
		  "s", "c"),
	  3, "lots", "parameter 'count' of stage 'seq': expected an integer, got 'lots'" },
	{ "quoted integer param",
	  V "  - {name: g, type: generator, stage: seq, params: {count: \"3\"}, output: c}\n" SINK(
		  "s", "c"),
	  3, "\"3\"", "expected an integer, got the quoted string \"3\"; remove the quotes" },
	{ "bool param",
	  V GEN("g", "c") "  - {name: w, type: fan-out, stage: grep, params: {pattern: x, invert: "
			  "maybe}, input: c, output: d}\n" SINK("s", "d"),
	  4, "maybe", "expected true or false, got 'maybe'" },
	{ "missing required param",
	  V "  - {name: g, type: generator, stage: lines, output: c}\n" SINK("s", "c"), 3, "{",
	  "stage 'lines' of node 'g' needs the parameter 'path'" },
	{ "missing required param with params",
	  V "  - {name: g, type: generator, stage: lines, params: {}, output: c}\n" SINK("s", "c"),
	  3, "{}", "needs the parameter 'path'" },
	{ "param out of range",
	  V GEN("g", "c") "  - {name: w, type: fan-out, stage: delay, params: {ms: -1}, input: c, "
			  "output: d}\n" SINK("s", "d"),
	  4, "-1", "-1 is out of range [0, 86400000]" },
	{ "params not a mapping",
	  V "  - {name: g, type: generator, stage: seq, params: [1], output: c}\n" SINK("s", "c"),
	  3, "[", "'params' must be a mapping" },
	{ "param value is a list",
	  V "  - {name: g, type: generator, stage: seq, params: {count: [1]}, output: c}\n" SINK(
		  "s", "c"),
	  3, "[1]", "parameter 'count' must be a single value" },
	{ "bad channel name", V "  - {name: g, type: generator, stage: seq, output: 'a b'}\n", 3,
	  "'a b'", "channel name 'a b' may hold only letters" },
	{ "stack size too small",
	  V "  - {name: g, type: generator, stage: seq, stack_size: 16383, output: c}\n" SINK("s",
											      "c"),
	  3, "16383",
	  "'stack_size' is 16383, out of range: it must be between 16KiB (PTHREAD_STACK_MIN on "
	  "Linux) and 1GiB" },
	{ "stack size too large",
	  "version: 1\ndefaults: {stack_size: 1025MiB}\nnodes:\n" GEN("g", "c") SINK("s", "c"), 2,
	  "1025MiB", "'stack_size' is 1025MiB, out of range" },
	{ "stack size in decimal units",
	  V GEN("g", "c") "  - {name: s, type: sink, stage: null, stack_size: 1MB, input: c}\n", 4,
	  "1MB",
	  "'stack_size' is '1MB'; did you mean '1MiB'? Sizes take the binary units KiB, MiB and "
	  "GiB, written without a space" },
	{ "stack size with a fraction",
	  V GEN("g", "c") "  - {name: s, type: sink, stage: null, stack_size: 0.5MiB, input: c}\n",
	  4, "0.5MiB",
	  "'stack_size' is '0.5MiB'; write a number of bytes or a whole number of KiB, MiB or GiB, "
	  "like 65536, 64KiB or 1MiB" },
	{ "stack size at the top level", V GEN("g", "c") SINK("s", "c") "stack_size: 64KiB\n", 5,
	  "stack_size",
	  "unknown key 'stack_size' in the top level; a default stack size goes under "
	  "'defaults:' (defaults: { stack_size: 256KiB }), a node's own beside its other keys" },
	{ "stack size among the parameters",
	  V GEN("g", "c") "  - {name: s, type: sink, stage: null, params: {stack_size: 1MiB}, "
			  "input: c}\n",
	  4, "stack_size",
	  "'stack_size' is a key of the node, not a parameter of stage 'null': move it out of "
	  "'params'" },
	{ "stack size misspelt",
	  V
	  "  - {name: g, type: generator, stage: seq, stacksize: 1MiB, output: c}\n" SINK("s", "c"),
	  3, "stacksize", "unknown key 'stacksize' in a node; did you mean 'stack_size'?" },
};

/* The 1-based column of `at` on line `line` of `text`; 0 if absent.  An
 * empty `at` means the end of that line. */
static unsigned column_of(const char *text, unsigned line, const char *at)
{
	const char *p = text;
	for (unsigned l = 1; l < line && p != NULL; l++) {
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	if (p == NULL)
		return 0;
	const char *eol = strchr(p, '\n');
	if (*at == '\0')
		return (unsigned)((eol ? eol : p + strlen(p)) - p) + 1;
	const char *hit = strstr(p, at);
	return hit != NULL && (eol == NULL || hit < eol) ? (unsigned)(hit - p) + 1 : 0;
}

static void test_bad_configs(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		pl_diags d;
		pl_diags_init(&d);
		int rc = check_text(c->yaml, &d);
		/* The first error in file order is the one the case is about. */
		pl_diags_sort(&d);
		const pl_diag *first = NULL;
		for (size_t k = 0; k < d.n && first == NULL; k++)
			if (d.items[k].severity == PL_SEV_ERROR)
				first = &d.items[k];
		unsigned col = c->at != NULL ? column_of(c->yaml, c->line, c->at) : 0;
		if (c->at != NULL && col == 0) {
			fprintf(stderr, "case '%s': '%s' is not on line %u\n", c->what, c->at,
				c->line);
			failed++;
		}
		if (rc != PL_EINVAL || first == NULL || first->pos.line != c->line ||
		    first->pos.col != col || strstr(first->message, c->message) == NULL) {
			fprintf(stderr, "case '%s': rc %d, want %u:%u '%s', got:\n", c->what, rc,
				c->line, col, c->message);
			for (size_t k = 0; k < d.n; k++)
				fprintf(stderr, "    %u:%u: %s\n", d.items[k].pos.line,
					d.items[k].pos.col, d.items[k].message);
			failed++;
		}
		pl_diags_clear(&d);
	}
	assert_int_equal(failed, 0);
}

/* One mistake, one message: a generator asking for workers is told once. */
static void test_generator_workers_reported_once(void **state)
{
	(void)state;
	pl_diags d;
	pl_diags_init(&d);
	int rc = check_text(
		V "  - {name: g, type: generator, workers: 4, stage: seq, output: c}\n" SINK("s",
											     "c"),
		&d);
	assert_int_equal(rc, PL_EINVAL);
	assert_int_equal(d.errors, 1);
	pl_diags_clear(&d);
}

static void test_unused_channel_is_a_warning(void **state)
{
	(void)state;
	pl_diags d;
	pl_diags_init(&d);
	int rc = check_text("version: 1\nchannels:\n  spare: {buffer: 2}\nnodes:\n" GEN("g", "c")
				    SINK("s", "c"),
			    &d);
	assert_int_equal(rc, 0);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.items[0].severity, PL_SEV_WARNING);
	assert_int_equal(d.items[0].pos.line, 3);
	assert_int_equal(d.items[0].pos.col, 3);
	assert_non_null(strstr(d.items[0].message,
			       "channel 'spare' is declared under 'channels' but no node"));
	pl_diags_clear(&d);
}

/* Several problems in one file are all reported, in file order. */
static void test_all_problems_reported(void **state)
{
	(void)state;
	pl_diags d;
	pl_diags_init(&d);
	int rc = check_text(
		V GEN("a", "c") GEN("b", "c") "  - {name: s, type: sink, stage: stdot, input: c}\n",
		&d);
	assert_int_equal(rc, PL_EINVAL);
	assert_int_equal(d.errors, 2);
	pl_diags_sort(&d);
	assert_int_equal(d.items[0].pos.line, 4);
	assert_non_null(strstr(d.items[0].message, "two producers"));
	assert_int_equal(d.items[1].pos.line, 5);
	assert_non_null(strstr(d.items[1].message, "unknown stage 'stdot'"));
	pl_diags_clear(&d);
}

/* In a config too long to scan pair by pair, a repeated key or node name
 * is still reported against its first use, however far back. */
static void test_repeats_in_large_configs(void **state)
{
	(void)state;
	enum { N = 40 };
	char text[8192];
	size_t used = 0;
	used += (size_t)snprintf(text + used, sizeof(text) - used, "version: 1\nchannels:\n");
	for (int i = 0; i < N; i++) /* lines 3 .. 42 */
		used += (size_t)snprintf(text + used, sizeof(text) - used, "  c%d: {buffer: 1}\n",
					 i);
	used += (size_t)snprintf(text + used, sizeof(text) - used, "  c7: {buffer: 2}\nnodes:\n");
	for (int i = 0; i < N; i++) /* g<i> on line 45 + 2i */
		used += (size_t)snprintf(
			text + used, sizeof(text) - used,
			"  - {name: g%d, type: generator, stage: seq, output: c%d}\n"
			"  - {name: s%d, type: sink, stage: null, input: c%d}\n",
			i, i, i, i);
	used += (size_t)snprintf(text + used, sizeof(text) - used, GEN("g5", "x") SINK("g5", "x"));
	assert_true(used < sizeof(text));

	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg;
	assert_int_equal(pl_load_text("t.yaml", text, used, NULL, reg, &cfg, &d), PL_EINVAL);
	pl_diags_sort(&d);
	assert_int_equal(d.errors, 3);
	assert_int_equal(d.items[0].pos.line, 43);
	assert_non_null(strstr(d.items[0].message, "'c7' is given twice in 'channels' (first on "
						   "line 10)"));
	for (int k = 1; k <= 2; k++) {
		assert_int_equal(d.items[k].pos.line, 124 + k);
		assert_non_null(
			strstr(d.items[k].message, "node name 'g5' is already used on line 55"));
	}
	pl_diags_clear(&d);
	pl_registry_destroy(reg);
}

/* The printed form is GCC's: file:line:col: severity: message [code]. */
static void test_print_format(void **state)
{
	(void)state;
	pl_diags d;
	pl_diags_init(&d);
	pl_diag_add(&d, PL_D_UNUSED_CHANNEL, "b.yaml", (pl_pos){ 2, 3 }, "second %d", 2);
	pl_diag_add(&d, PL_D_SYNTAX, "b.yaml", (pl_pos){ 1, 9 }, "first");
	pl_diag_add(&d, PL_D_IO, "a.yaml", (pl_pos){ 0, 0 }, "whole file");
	char buf[512] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	assert_non_null(f);
	pl_diags_print(&d, f);
	(void)fclose(f);
	assert_string_equal(buf, "a.yaml: error: whole file [PL001]\n"
				 "b.yaml:1:9: error: first [PL004]\n"
				 "b.yaml:2:3: warning: second 2 [PL070]\n");
	assert_int_equal(d.errors, 2);
	assert_int_equal(d.warnings, 1);
	pl_diags_clear(&d);
	assert_int_equal(d.n, 0);
}

static void test_diag_cap(void **state)
{
	(void)state;
	pl_diags d;
	pl_diags_init(&d);
	for (int i = 0; i < PL_DIAG_MAX + 5; i++)
		pl_diag_add(&d, PL_D_SYNTAX, "x.yaml", (pl_pos){ (unsigned)i + 1, 1 }, "e%d", i);
	assert_int_equal(d.n, PL_DIAG_MAX);
	assert_int_equal(d.errors, PL_DIAG_MAX + 5);
	assert_int_equal(d.dropped, 5);
	char buf[16384] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");
	pl_diags_print(&d, f);
	(void)fclose(f);
	assert_non_null(strstr(buf, "x.yaml: note: 5 more diagnostics not shown\n"));
	pl_diags_clear(&d);
}

static void test_suggest(void **state)
{
	(void)state;
	static const char *const words[] = { "generator", "fan-out", "fan-in", "sink" };
	assert_string_equal(pl_suggest("fanout", words, 4), "fan-out");
	assert_string_equal(pl_suggest("snk", words, 4), "sink");
	assert_null(pl_suggest("database", words, 4));
	assert_null(pl_suggest("", words, 4));
}

/* A valid config decodes with the values and defaults it declares. */
static void test_decode_values(void **state)
{
	(void)state;
	static const char text[] =
		"version: 1\nname: demo\ndescription: a demo\n"
		"defaults: {buffer: 7, stack_size: 1MiB}\nchannels:\n  c: {buffer: 0}\n"
		"nodes:\n" GEN("g", "c") "  - {name: w, type: fan-out, workers: 3, stage: delay, "
					 "params: {ms: 2}, stack_size: 65536, input: c, "
					 "output: d}\n"
					 "  - {name: s, type: sink, stage: file, params: {path: "
					 "/dev/null, append: true}, input: d}\n";
	pl_diags d;
	pl_diags_init(&d);
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_config *cfg;
	assert_int_equal(pl_config_parse("t.yaml", text, strlen(text), &cfg, &d), 0);
	assert_int_equal(pl_graph_check(cfg, reg, &d), 0);
	/* Buffer 0 from a generator to a fan-out is valid, and warned about. */
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 1);
	assert_int_equal(d.items[0].code, PL_D_RENDEZVOUS_FANOUT);
	assert_int_equal(d.items[0].pos.line, 6);
	assert_int_equal(d.items[0].pos.col, 15);
	assert_string_equal(cfg->name, "demo");
	assert_string_equal(cfg->description, "a demo");
	assert_int_equal(cfg->n_nodes, 3);
	assert_int_equal(cfg->n_chans, 2);
	int c = pl_config_find_chan(cfg, "c"), dd = pl_config_find_chan(cfg, "d");
	assert_int_equal(cfg->chans[c].buffer, 0);
	assert_int_equal(cfg->chans[dd].buffer, 7);
	assert_int_equal(cfg->chans[c].producer, 0);
	assert_int_equal(cfg->chans[c].consumer, 1);
	assert_int_equal(cfg->nodes[1].workers, 3);
	assert_int_equal(cfg->default_stack_size, 1024 * 1024);
	assert_int_equal(cfg->nodes[0].stack_size, 0); /* not given: the run's default */
	assert_int_equal(cfg->nodes[1].stack_size, 65536);
	assert_int_equal(cfg->nodes[1].stack_size_pos.line, 9);
	assert_int_equal(cfg->nodes[1].type, PL_NODE_FANOUT);
	int64_t ms = 0;
	assert_int_equal(cfg->nodes[1].stage_desc->kind, PL_STAGE_TRANSFORM);
	assert_int_equal(pl_params_int(cfg->nodes[1].param_values, "ms", &ms), 0);
	assert_int_equal(ms, 2);
	int append = 0;
	assert_int_equal(pl_params_bool(cfg->nodes[2].param_values, "append", &append), 0);
	assert_int_equal(append, 1);
	pl_config_free(cfg);
	pl_registry_destroy(reg);
	pl_diags_clear(&d);
}

/* Sizes as stack_size and --stack-size take them (size.h), and as
 * messages print them. */
static void test_sizes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		int rc;
		int64_t bytes;    /* when rc is 0 */
		const char *hint; /* when rc is PL_EINVAL */
	} cases[] = {
		{ "65536", 0, 65536, NULL },
		{ "64KiB", 0, 65536, NULL },
		{ "0016KiB", 0, 16384, NULL },
		{ "1MiB", 0, 1048576, NULL },
		{ "1GiB", 0, 1073741824, NULL },
		{ "16383", PL_ERANGE, 0, NULL },
		{ "1025MiB", PL_ERANGE, 0, NULL },
		{ "-64KiB", PL_ERANGE, 0, NULL },
		{ "18446744073709551616", PL_ERANGE, 0, NULL },
		{ "8589934592GiB", PL_ERANGE, 0, NULL },
		{ "64kib", PL_EINVAL, 0, "64KiB" },
		{ "64 KiB", PL_EINVAL, 0, "64KiB" },
		{ "64KB", PL_EINVAL, 0, "64KiB" },
		{ "2m", PL_EINVAL, 0, "2MiB" },
		{ "1Gi", PL_EINVAL, 0, "1GiB" },
		{ "64KiB ", PL_EINVAL, 0, "" },
		{ "+64KiB", PL_EINVAL, 0, "" },
		{ "-x", PL_EINVAL, 0, "" },
		{ "1.5MiB", PL_EINVAL, 0, "" },
		{ "0x10000", PL_EINVAL, 0, "" },
		{ "KiB", PL_EINVAL, 0, "" },
		{ "", PL_EINVAL, 0, "" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t got = -1;
		char hint[32] = "unset";
		int rc = pl_size_parse(cases[i].text, PL_MIN_STACK_SIZE, PL_MAX_STACK_SIZE, &got,
				       hint, sizeof(hint));
		if (rc != cases[i].rc)
			fail_msg("'%s': returned %d, not %d", cases[i].text, rc, cases[i].rc);
		if (rc == 0)
			assert_int_equal(got, cases[i].bytes);
		else
			assert_int_equal(got, -1);
		if (cases[i].hint != NULL)
			assert_string_equal(hint, cases[i].hint);
	}
	char buf[32];
	assert_string_equal(pl_size_format(65536, buf, sizeof(buf)), "64KiB");
	assert_string_equal(pl_size_format((uint64_t)1536 * 1024, buf, sizeof(buf)), "1536KiB");
	assert_string_equal(pl_size_format(1073741824, buf, sizeof(buf)), "1GiB");
	assert_string_equal(pl_size_format(1000, buf, sizeof(buf)), "1000 bytes");
	assert_string_equal(pl_size_format(0, buf, sizeof(buf)), "0 bytes");
}

static void test_load_missing_file(void **state)
{
	(void)state;
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg;
	assert_int_equal(pl_config_load("/nonexistent/x.yaml", &cfg, &d), PL_EIO);
	assert_null(cfg);
	assert_int_equal(d.errors, 1);
	assert_string_equal(d.items[0].file, "/nonexistent/x.yaml");
	assert_non_null(
		strstr(d.items[0].message, "cannot open the file: No such file or directory"));
	pl_diags_clear(&d);
}

static void test_load_too_large(void **state)
{
	(void)state;
	char path[] = "/tmp/pl-big-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	for (size_t i = 0; i <= PL_YAML_MAX_BYTES / 16; i++)
		fputs("# padding line.\n", f);
	assert_int_equal(fclose(f), 0);
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg;
	assert_int_equal(pl_config_load(path, &cfg, &d), PL_ERANGE);
	assert_non_null(strstr(d.items[0].message, "the file is larger than"));
	pl_diags_clear(&d);
	(void)remove(path);
}

/* Every example shipped in pipelines/ is valid, without warnings. */
static void test_examples_validate(void **state)
{
	(void)state;
	DIR *dir = opendir(PL_SOURCE_DIR "/pipelines");
	assert_non_null(dir);
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	pl_test_load_example_plugins(reg);
	int seen = 0;
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		size_t len = strlen(ent->d_name);
		if (len < 6 || strcmp(ent->d_name + len - 5, ".yaml") != 0)
			continue;
		char path[1024];
		snprintf(path, sizeof(path), "%s/pipelines/%s", PL_SOURCE_DIR, ent->d_name);
		pl_diags d;
		pl_diags_init(&d);
		pl_config *cfg = NULL;
		int rc = pl_config_load(path, &cfg, &d);
		if (rc == 0)
			rc = pl_graph_check(cfg, reg, &d);
		if (rc != 0 || d.warnings != 0)
			pl_diags_print(&d, stderr);
		assert_int_equal(rc, 0);
		assert_int_equal(d.warnings, 0);
		pl_config_free(cfg);
		pl_diags_clear(&d);
		seen++;
	}
	closedir(dir);
	pl_registry_destroy(reg);
	assert_true(seen >= 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_configs),
		cmocka_unit_test(test_generator_workers_reported_once),
		cmocka_unit_test(test_unused_channel_is_a_warning),
		cmocka_unit_test(test_all_problems_reported),
		cmocka_unit_test(test_repeats_in_large_configs),
		cmocka_unit_test(test_print_format),
		cmocka_unit_test(test_diag_cap),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_decode_values),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_load_missing_file),
		cmocka_unit_test(test_load_too_large),
		cmocka_unit_test(test_examples_validate),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
