/* test_render.c - `pipeline graph`'s drawings: DOT and Mermaid structure, escaping, Graphviz. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "example_plugins.h"
#include "load.h"
#include "registry.h"
#include "render.h"
#include "render_check.h"

/* ---- Loading and rendering ------------------------------------------- */

/* A transform with a name no built-in would take, to check escaping. */
static int weird_process(pl_worker *w, pl_msg *msg)
{
	return w->host->emit(w, msg);
}

#define WEIRD_STAGE "we\"ird\\<b>#1|&`x"

static const pl_stage weird_stage = {
	PL_STAGE_HEADER,          .kind = PL_STAGE_TRANSFORM,
	.name = WEIRD_STAGE,      .description = "passes messages on",
	.process = weird_process,
};

/* One registry for the whole program: configs point at its stages, so it
 * outlives them all (freed by the group teardown). */
static pl_registry *the_registry;

static pl_registry *registry(void)
{
	if (the_registry == NULL) {
		assert_int_equal(pl_registry_create(&the_registry), 0);
		assert_int_equal(pl_registry_add(the_registry, &weird_stage), 0);
		pl_test_load_example_plugins(the_registry);
	}
	return the_registry;
}

static int teardown(void **state)
{
	(void)state;
	pl_registry_destroy(the_registry);
	the_registry = NULL;
	return 0;
}

/* Fails the test with every diagnostic when loading failed. */
static void expect_loaded(int rc, pl_diags *d)
{
	if (rc != 0) {
		pl_diags_print(d, stderr);
		fail_msg("the config did not load (%d)", rc);
	}
	pl_diags_clear(d);
}

/* Loads and checks the YAML `text`.  Ownership: the caller frees it. */
static pl_config *load_text(const char *text)
{
	pl_registry *reg = registry();
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	expect_loaded(pl_load_text("t.yaml", text, strlen(text), NULL, reg, &cfg, &d), &d);
	return cfg;
}

/* Loads and checks pipelines/`name`.  Ownership: the caller frees it. */
static pl_config *load_example(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/pipelines/%s", PL_SOURCE_DIR, name);
	pl_registry *reg = registry();
	pl_diags d;
	pl_diags_init(&d);
	pl_config *cfg = NULL;
	expect_loaded(pl_load_file(path, NULL, reg, &cfg, &d), &d);
	return cfg;
}

enum format { DOT, MERMAID };

/* The drawing of `cfg` as a string.  Ownership: the caller frees it. */
static char *render(const pl_config *cfg, enum format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	int rc = fmt == DOT ? pl_render_dot(cfg, f) : pl_render_mermaid(cfg, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(rc, 0);
	assert_non_null(buf);
	assert_int_equal(strlen(buf), len);
	return buf;
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The text of `s` from `start` up to the next `end`.  Ownership: the
 * caller frees it. */
static char *between(const char *s, const char *start, const char *end)
{
	const char *a = strstr(s, start);
	const char *b = a != NULL ? strstr(a + strlen(start), end) : NULL;
	if (a == NULL || b == NULL) {
		fail_msg("no '%s' followed by '%s' in:\n%s", start, end, s);
		return NULL; /* not reached */
	}
	a += strlen(start);
	char *r = strndup(a, (size_t)(b - a));
	assert_non_null(r);
	return r;
}

#define assert_contains(s, needle)                                  \
	do {                                                        \
		if (strstr((s), (needle)) == NULL)                  \
			fail_msg("no '%s' in:\n%s", (needle), (s)); \
	} while (0)
#define assert_lacks(s, needle)                                             \
	do {                                                                \
		if (strstr((s), (needle)) != NULL)                          \
			fail_msg("unexpected '%s' in:\n%s", (needle), (s)); \
	} while (0)

/* Both drawings of the YAML `text`, checked for well-formedness.
 * Ownership: the caller frees both. */
static void render_text(const char *text, char **dot, char **mermaid)
{
	pl_config *cfg = load_text(text);
	*dot = render(cfg, DOT);
	*mermaid = render(cfg, MERMAID);
	/* One labelled edge per channel; two for a NATS one with both sides here. */
	size_t edges = cfg->n_chans;
	for (size_t i = 0; i < cfg->n_chans; i++)
		edges += cfg->chans[i].transport == PL_TRANSPORT_NATS &&
			 cfg->chans[i].producer >= 0 && cfg->chans[i].consumer >= 0;
	assert_int_equal(check_dot(*dot), edges);
	assert_int_equal(check_mermaid(*mermaid), edges);
	pl_config_free(cfg);
}

/* ---- The examples ------------------------------------------------------ */

static void test_fanout_io_dot(void **state)
{
	(void)state;
	pl_config *cfg = load_example("fanout-io.yaml");
	char *dot = render(cfg, DOT);
	assert_int_equal(check_dot(dot), 2);
	assert_contains(dot, "\tn0 [label=\"source\\ngenerator, seq ×1\", shape=cds];\n");
	assert_contains(dot, "\tn2 [label=\"total\\nsink, count ×1\", shape=cylinder];\n");
	assert_contains(dot, "\tn0 -> n1_split [label=\"jobs [buffer 256]\"];\n");
	assert_contains(dot, "\tn1_join -> n2 [label=\"results [buffer 64]\"];\n");
	assert_contains(dot, "\tlabel=\"fanout-io\"; labelloc=t; labeljust=l;\n");

	/* The fan: a split, exactly 3 boxes for 32 workers, a join. */
	char *fan = between(dot, "subgraph cluster_n1 {\n", "\t}\n");
	assert_contains(fan, "\t\tlabel=\"fetch: fan-out, delay ×32\";\n");
	assert_int_equal(count(fan, "[label=\""), 3);
	assert_int_equal(count(fan, "[label=\"worker "), 2);
	assert_contains(fan, "\t\tn1_w1 [label=\"worker 1\"];\n");
	assert_contains(fan, "\t\tn1_w2 [label=\"worker 2\"];\n");
	assert_contains(fan,
			"\t\tn1_more [label=\"… 30 more\", style=\"rounded,dashed,filled\"];\n");
	assert_lacks(fan, "n1_w3");
	assert_contains(fan, "\t\tn1_split [shape=point");
	assert_contains(fan, "\t\tn1_join [shape=point");
	/* Last box first: Graphviz lays them out bottom up. */
	assert_contains(fan, "\t\tn1_split -> n1_more;\n\t\tn1_split -> n1_w2;\n"
			     "\t\tn1_split -> n1_w1;\n");
	assert_int_equal(count(fan, "\t\tn1_split -> "), 3);
	assert_int_equal(count(fan, " -> n1_join [arrowhead=none];\n"), 3);
	/* Nothing of the fan outside it. */
	assert_int_equal(count(dot, "worker "), 2);
	free(fan);
	free(dot);
	pl_config_free(cfg);
}

static void test_fanout_io_mermaid(void **state)
{
	(void)state;
	pl_config *cfg = load_example("fanout-io.yaml");
	char *m = render(cfg, MERMAID);
	assert_int_equal(check_mermaid(m), 2);
	assert_int_equal(strncmp(m, "flowchart LR\n    %% pipeline: fanout-io\n", 40), 0);
	assert_contains(m, "\n    n0>\"source<br>generator, seq ×1\"]\n");
	assert_contains(m, "\n    n2[(\"total<br>sink, count ×1\")]\n");
	assert_contains(m, "\n    n0 -->|\"jobs [buffer 256]\"| n1_split\n");
	assert_contains(m, "\n    n1_join -->|\"results [buffer 64]\"| n2\n");
	char *fan = between(m, "    subgraph n1 [\"fetch: fan-out, delay ×32\"]\n", "    end\n");
	assert_int_equal(count(fan, "        n1_w"), 2);
	assert_int_equal(count(fan, "(\""), 3 + 2); /* 3 boxes, 2 points */
	assert_int_equal(count(fan, " --- n1_join\n"), 3);
	assert_contains(fan, "        n1_w1(\"worker 1\")\n");
	assert_contains(fan, "        n1_w2(\"worker 2\")\n");
	assert_contains(fan, "        n1_more(\"… 30 more\"):::more\n");
	assert_lacks(fan, "n1_w3");
	assert_contains(fan, "        n1_split --> n1_more --- n1_join\n");
	assert_contains(m, "    classDef more ");
	free(fan);
	free(m);
	pl_config_free(cfg);
}

static void test_fanin_example(void **state)
{
	(void)state;
	pl_config *cfg = load_example("fanin.yaml");
	char *dot = render(cfg, DOT);
	char *m = render(cfg, MERMAID);
	assert_int_equal(check_dot(dot), 3);
	assert_int_equal(check_mermaid(m), 3);
	/* Two inputs pour into one funnel. */
	assert_contains(dot, "\tn2 [label=\"merge\\nfan-in, 2 inputs\", shape=invtrapezium];\n");
	assert_contains(dot, "\tn0 -> n2 [label=\"ones [buffer 16]\"];\n");
	assert_contains(dot, "\tn1 -> n2 [label=\"hundreds [buffer 16]\"];\n");
	assert_contains(dot, "\tn2 -> n3 [label=\"merged [buffer 16]\"];\n");
	assert_lacks(dot, "subgraph");
	assert_contains(m, "\n    n2[\\\"merge<br>fan-in, 2 inputs\"/]\n");
	assert_contains(m, "\n    n1 -->|\"hundreds [buffer 16]\"| n2\n");
	assert_lacks(m, "classDef");
	free(dot);
	free(m);
	pl_config_free(cfg);
}

/* Every file of pipelines/ draws, well-formed, the same twice. */
static void test_every_example(void **state)
{
	(void)state;
	DIR *dir = opendir(PL_SOURCE_DIR "/pipelines");
	assert_non_null(dir);
	size_t found = 0;
	struct dirent *ent;
	while ((ent = readdir(dir)) != NULL) {
		size_t len = strlen(ent->d_name);
		if (len < 6 || strcmp(ent->d_name + len - 5, ".yaml") != 0)
			continue;
		pl_config *cfg = load_example(ent->d_name);
		for (int fmt = DOT; fmt <= MERMAID; fmt++) {
			char *a = render(cfg, fmt), *b = render(cfg, fmt);
			assert_string_equal(a, b);
			size_t edges = fmt == DOT ? check_dot(a) : check_mermaid(a);
			assert_int_equal(edges, cfg->n_chans);
			/* Every channel's label, every node's name. */
			for (size_t c = 0; c < cfg->n_chans; c++)
				assert_contains(a, cfg->chans[c].name);
			for (size_t i = 0; i < cfg->n_nodes; i++)
				assert_contains(a, cfg->nodes[i].name);
			free(a);
			free(b);
		}
		pl_config_free(cfg);
		found++;
	}
	closedir(dir);
	assert_true(found >= 4);
}

/* ---- Shapes of small configs ----------------------------------------- */

#define CHAIN(workers)                                                                 \
	"version: 1\nname: chain\nnodes:\n"                                            \
	"  - {name: g, type: generator, stage: seq, output: a}\n"                      \
	"  - {name: up, type: fan-out, stage: upper, workers: " workers ", input: a, " \
	"output: b}\n"                                                                 \
	"  - {name: s, type: sink, stage: stdout, input: b}\n"

static void test_fan_sizes(void **state)
{
	(void)state;
	char *dot, *m;

	/* One worker: a plain box in the chain, no cluster. */
	render_text(CHAIN("1"), &dot, &m);
	assert_contains(dot, "\tn1 [label=\"up\\nfan-out, upper ×1\", shape=box];\n");
	assert_contains(dot, "\tn0 -> n1 [label=\"a [buffer 64]\"];\n");
	assert_lacks(dot, "subgraph");
	assert_contains(m, "\n    n1(\"up<br>fan-out, upper ×1\")\n");
	assert_lacks(m, "subgraph");
	free(dot);
	free(m);

	/* Two and three: every worker shown, no "more". */
	render_text(CHAIN("2"), &dot, &m);
	assert_contains(dot, "label=\"up: fan-out, upper ×2\"");
	assert_int_equal(count(dot, "[label=\"worker "), 2);
	assert_lacks(dot, "more");
	assert_int_equal(count(m, "(\"worker "), 2);
	assert_contains(m, "classDef point");
	assert_lacks(m, "classDef more");
	free(dot);
	free(m);
	render_text(CHAIN("3"), &dot, &m);
	assert_int_equal(count(dot, "[label=\"worker "), 3);
	assert_contains(dot, "\t\tn1_w3 [label=\"worker 3\"];\n");
	assert_lacks(dot, "more");
	assert_int_equal(count(m, "(\"worker "), 3);
	free(dot);
	free(m);

	/* Four: two workers and "… 2 more". */
	render_text(CHAIN("4"), &dot, &m);
	assert_int_equal(count(dot, "[label=\"worker "), 2);
	assert_contains(dot, "[label=\"… 2 more\"");
	assert_contains(m, "n1_more(\"… 2 more\")");
	free(dot);
	free(m);

	/* The most the pipeline's other two threads leave it. */
	render_text(CHAIN("99998"), &dot, &m);
	assert_contains(dot, "label=\"up: fan-out, upper ×99998\"");
	assert_contains(dot, "[label=\"… 99996 more\"");
	free(dot);
	free(m);
}

/* Two fans back to back: the join of one feeds the split of the next. */
static void test_fan_to_fan(void **state)
{
	(void)state;
	char *dot, *m;
	render_text("version: 1\nnodes:\n"
		    "  - {name: g, type: generator, stage: seq, output: a}\n"
		    "  - {name: f1, type: fan-out, stage: upper, workers: 8, input: a, output: b}\n"
		    "  - {name: f2, type: fan-out, stage: upper, workers: 2, input: b, output: c}\n"
		    "  - {name: s, type: sink, stage: stdout, input: c}\n",
		    &dot, &m);
	assert_contains(dot, "\tn1_join -> n2_split [label=\"b [buffer 64]\"];\n");
	assert_contains(dot, "subgraph cluster_n1 {");
	assert_contains(dot, "subgraph cluster_n2 {");
	assert_lacks(dot, "\tlabel=\"\"");
	assert_lacks(dot, "labelloc"); /* no name, no title */
	assert_contains(m, "\n    n1_join -->|\"b [buffer 64]\"| n2_split\n");
	assert_lacks(m, "%%");
	free(dot);
	free(m);
}

static void test_rendezvous(void **state)
{
	(void)state;
	char *dot, *m;
	render_text("version: 1\ndefaults: {buffer: 0}\nchannels: {b: {buffer: 1}}\nnodes:\n"
		    "  - {name: g, type: generator, stage: seq, output: a}\n"
		    "  - {name: t, type: fan-out, stage: upper, input: a, output: b}\n"
		    "  - {name: s, type: sink, stage: stdout, workers: 4, input: b}\n",
		    &dot, &m);
	assert_contains(dot, "\tn0 -> n1 [label=\"a [rendezvous]\", style=dashed];\n");
	assert_contains(dot, "\tn1 -> n2 [label=\"b [buffer 1]\"];\n");
	/* A sink's workers are counted in its label. */
	assert_contains(dot, "\tn2 [label=\"s\\nsink, stdout ×4\", shape=cylinder];\n");
	assert_contains(m, "\n    n0 -.->|\"a [rendezvous]\"| n1\n");
	assert_contains(m, "\n    n1 -->|\"b [buffer 1]\"| n2\n");
	free(dot);
	free(m);
}

/* A NATS channel's far side is a node of its own, whichever sides are here. */
static void test_nats_channels(void **state)
{
	(void)state;
	char *dot, *m;
	render_text("version: 1\nchannels:\n"
		    "  jobs: {transport: nats, subject: jobs.resize, durable: true}\n"
		    "  back: {transport: nats}\n"
		    "nodes:\n"
		    "  - {name: g, type: generator, stage: seq, output: jobs}\n"
		    "  - {name: s, type: sink, stage: stdout, input: back}\n",
		    &dot, &m);
	assert_contains(dot, "\tq0 [label=\"NATS\\njobs.resize (durable)\", shape=box, "
			     "style=\"rounded,dashed\"];\n");
	assert_contains(dot, "\tq1 [label=\"NATS\\nback\"");
	assert_contains(dot, "\tn0 -> q0 [label=\"jobs [buffer 64]\"];\n");
	assert_contains(dot, "\tq1 -> n1 [label=\"back [buffer 64]\"];\n");
	assert_contains(m, "\n    q0[[\"NATS<br>jobs.resize (durable)\"]]\n");
	assert_contains(m, "\n    n0 -->|\"jobs [buffer 64]\"| q0\n");
	assert_contains(m, "\n    q1 -->|\"back [buffer 64]\"| n1\n");
	free(dot);
	free(m);
	/* Both sides here: through the subject, not straight from one to the other. */
	render_text("version: 1\nchannels: {jobs: {transport: nats}}\nnodes:\n"
		    "  - {name: g, type: generator, stage: seq, output: jobs}\n"
		    "  - {name: s, type: sink, stage: stdout, input: jobs}\n",
		    &dot, &m);
	assert_contains(dot, "\tn0 -> q0 [");
	assert_contains(dot, "\tq0 -> n1 [");
	assert_lacks(dot, "\tn0 -> n1");
	free(dot);
	free(m);
}

/* ---- Escaping ---------------------------------------------------------- */

/* A pipeline name and a stage name holding what each format must escape. */
#define ESCAPES                                                                         \
	"version: 1\nname: 'say \"hi\" \\ C:\\new'\nnodes:\n"                           \
	"  - {name: g, type: generator, stage: seq, output: a}\n"                       \
	"  - {name: w, type: fan-out, stage: '" WEIRD_STAGE "', workers: 5, input: a, " \
	"output: b}\n"                                                                  \
	"  - {name: t, type: fan-out, stage: '" WEIRD_STAGE "', input: b, output: c}\n" \
	"  - {name: s, type: sink, stage: stdout, input: c}\n"

static void test_escape_dot(void **state)
{
	(void)state;
	char *dot, *m;
	render_text(ESCAPES, &dot, &m);
	assert_contains(dot, "\tlabel=\"say \\\"hi\\\" \\\\ C:\\\\new\"; labelloc=t;");
	assert_contains(dot, "\t\tlabel=\"w: fan-out, we\\\"ird\\\\<b>#1|&`x ×5\";\n");
	assert_contains(dot,
			"\tn2 [label=\"t\\nfan-out, we\\\"ird\\\\<b>#1|&`x ×1\", shape=box];\n");
	free(dot);
	free(m);
}

static void test_escape_mermaid(void **state)
{
	(void)state;
	char *dot, *m;
	render_text(ESCAPES, &dot, &m);
	assert_contains(m, "flowchart LR\n    %% pipeline: say #quot;hi#quot; \\ C:\\new\n");
	assert_contains(
		m, "\n    subgraph n1 [\"w: fan-out, we#quot;ird\\#lt;b#gt;#35;1#124;#amp;#96;x "
		   "×5\"]\n");
	assert_contains(
		m, "\n    n2(\"t<br>fan-out, we#quot;ird\\#lt;b#gt;#35;1#124;#amp;#96;x ×1\")\n");
	/* No markup of the user's gets through. */
	assert_lacks(m, "<b>");
	assert_lacks(m, "|&");
	free(dot);
	free(m);
}

/* A newline (or any control character) in a string cannot end a line of
 * the output: it is drawn as a space. */
static void test_escape_control_characters(void **state)
{
	(void)state;
	char *dot, *m;
	render_text("version: 1\nname: \"two\\nlines\\tand a tab\"\nnodes:\n"
		    "  - {name: g, type: generator, stage: seq, output: a}\n"
		    "  - {name: s, type: sink, stage: stdout, input: a}\n",
		    &dot, &m);
	assert_contains(dot, "\tlabel=\"two lines and a tab\";");
	assert_contains(m, "    %% pipeline: two lines and a tab\n");
	free(dot);
	free(m);
}

/* ---- Writing ----------------------------------------------------------- */

/* A failed write is reported, not hidden. */
static void test_write_error(void **state)
{
	(void)state;
	pl_config *cfg = load_example("hello.yaml");
	FILE *f = fopen("/dev/full", "w");
	if (f == NULL) {
		pl_config_free(cfg);
		skip(); /* no /dev/full here */
		return;
	}
	assert_int_equal(setvbuf(f, NULL, _IONBF, 0), 0);
	assert_int_equal(pl_render_dot(cfg, f), PL_EIO);
	clearerr(f);
	assert_int_equal(pl_render_mermaid(cfg, f), PL_EIO);
	(void)fclose(f);
	pl_config_free(cfg);
}

/* ---- The documentation -------------------------------------------------- */

/* The text of the `nth` (0-based) block fenced "```KIND" in `md`.
 * Ownership: the caller frees it. */
static char *fenced_block(const char *md, const char *kind, int nth)
{
	char open[32];
	snprintf(open, sizeof(open), "```%s\n", kind);
	const char *p = md;
	for (int i = 0; i <= nth; i++) {
		p = strstr(p, open);
		if (p == NULL) {
			fail_msg("docs/graph.md has no block %d fenced '```%s'", nth + 1, kind);
			return NULL; /* not reached */
		}
		p += strlen(open);
	}
	const char *end = strstr(p, "```\n");
	assert_non_null(end);
	char *r = strndup(p, (size_t)(end - p));
	assert_non_null(r);
	return r;
}

/* docs/graph.md shows what `pipeline graph` prints today. */
static void test_docs_show_the_output(void **state)
{
	(void)state;
	FILE *f = fopen(PL_SOURCE_DIR "/docs/graph.md", "r");
	assert_non_null(f);
	static char md[65536];
	size_t n = fread(md, 1, sizeof(md) - 1, f);
	(void)fclose(f);
	md[n] = '\0';
	static const struct {
		const char *kind;
		int nth;
		const char *example;
		enum format fmt;
	} blocks[] = {
		{ "dot", 0, "fanout-io.yaml", DOT },
		{ "mermaid", 0, "fanout-io.yaml", MERMAID },
		{ "mermaid", 1, "fanin.yaml", MERMAID },
	};
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		pl_config *cfg = load_example(blocks[i].example);
		char *want = render(cfg, blocks[i].fmt);
		char *got = fenced_block(md, blocks[i].kind, blocks[i].nth);
		if (strcmp(got, want) != 0)
			fail_msg("docs/graph.md: the '%s' block %d is out of date; "
				 "'pipeline graph' now prints:\n%s",
				 blocks[i].kind, blocks[i].nth + 1, want);
		free(got);
		free(want);
		pl_config_free(cfg);
	}
	assert_non_null(strstr(md, "](fanout-io.png)"));
	assert_int_equal(access(PL_SOURCE_DIR "/docs/fanout-io.png", R_OK), 0);
}

/* ---- Graphviz itself, when it is installed (not a dependency) ---------- */

/* Runs `dot -Tsvg` on `text` (its errors on stderr unless `quiet`);
 * returns its exit status, -1 when `dot` is not installed. */
static int run_graphviz(const char *text, int quiet)
{
	/* NOLINTNEXTLINE(cert-env33-c): a fixed command line, only our own file in it */
	if (system("command -v dot >/dev/null 2>&1") != 0)
		return -1;
	char in[] = "/tmp/pl-render-XXXXXX";
	int fd = mkstemp(in);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "dot -Tsvg '%s' -o /dev/null%s", in,
		 quiet ? " 2>/dev/null" : "");
	int status = system(cmd); /* NOLINT(cert-env33-c): as above */
	(void)remove(in);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void test_graphviz_accepts_it(void **state)
{
	(void)state;
	if (run_graphviz("digraph { a -> b }\n", 0) < 0)
		skip(); /* Graphviz is not installed: nothing to check against */
	static const char *const examples[] = { "hello.yaml", "fanout-io.yaml", "fanin.yaml",
						"grep-errors.yaml" };
	for (size_t i = 0; i < sizeof(examples) / sizeof(examples[0]); i++) {
		pl_config *cfg = load_example(examples[i]);
		char *dot = render(cfg, DOT);
		if (run_graphviz(dot, 0) != 0)
			fail_msg("dot -Tsvg refused the drawing of %s:\n%s", examples[i], dot);
		free(dot);
		pl_config_free(cfg);
	}
	char *dot, *m;
	render_text(ESCAPES, &dot, &m);
	if (run_graphviz(dot, 0) != 0)
		fail_msg("dot -Tsvg refused:\n%s", dot);
	free(dot);
	free(m);
	/* And a check that the check can fail. */
	assert_int_not_equal(run_graphviz("digraph { label=\"open }\n", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fanout_io_dot),
		cmocka_unit_test(test_fanout_io_mermaid),
		cmocka_unit_test(test_fanin_example),
		cmocka_unit_test(test_every_example),
		cmocka_unit_test(test_fan_sizes),
		cmocka_unit_test(test_fan_to_fan),
		cmocka_unit_test(test_rendezvous),
		cmocka_unit_test(test_nats_channels),
		cmocka_unit_test(test_escape_dot),
		cmocka_unit_test(test_escape_mermaid),
		cmocka_unit_test(test_escape_control_characters),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_docs_show_the_output),
		cmocka_unit_test(test_graphviz_accepts_it),
	};
	return cmocka_run_group_tests(tests, NULL, teardown);
}
