/* test_random_graphs.c - hundreds of random valid graphs run in-process: each message arrives
 * once per path to each sink, intact, and the engine's books agree (seed: PL_RANDOM_SEED). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check_stages.h"
#include "config.h"
#include "engine_harness.h"
#include "graph.h"
#include "random_graph.h"
#include "registry.h"

_Static_assert(RG_MAX_NODES <= RUN_MAX && RG_MAX_CHANS <= RUN_MAX,
	       "a random graph must fit in struct run (RUN_MAX, engine_harness.h)");
_Static_assert(RG_MAX_GENS == CS_MAX_GENS && RG_MAX_SINKS == CS_MAX_SINKS,
	       "the graphs and the tally agree on their sizes");

#define DEFAULT_SEED   12345u
#define DEFAULT_GRAPHS 300u
#define BUDGET         1500u /* messages crossing the channels of one graph, about */
#define STOP_ONE_IN    10u   /* one graph in this many is stopped (pl_engine_stop) ... */
#define STOP_FACTOR    20u   /* ... with this many times more to send ... */
#define STOP_MAX_US    2000u /* ... after 0 .. this many microseconds */
#define HANG_SECONDS   120   /* one graph running longer than this is a hang */

static const pl_stage *const stages[] = { &cs_gen_stage, &cs_pass_stage, &cs_check_stage };
static const char *program = "test_random_graphs";

/* ---- Settings from the environment. --------------------------------------- */

static unsigned long long env_number(const char *name, unsigned long long dflt,
				     unsigned long long max)
{
	const char *v = getenv(name);
	if (v == NULL || *v == '\0')
		return dflt;
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 0);
	if (errno != 0 || *end != '\0' || v[0] < '0' || v[0] > '9' || n > max)
		fail_msg("%s=%s: wanted a number from 0 to %llu", name, v, max);
	return n;
}

struct settings {
	uint64_t seed;
	unsigned first, graphs; /* runs graphs first .. first+graphs-1 */
};

static struct settings settings(void)
{
	struct settings s;
	s.seed = env_number("PL_RANDOM_SEED", DEFAULT_SEED, UINT64_MAX);
	s.first = (unsigned)env_number("PL_RANDOM_FIRST", 0, 1000000000u);
	s.graphs = (unsigned)env_number("PL_RANDOM_GRAPHS", DEFAULT_GRAPHS, 1000000000u);
	return s;
}

/* Graph i's own seed, so that any one graph can be run alone. */
static uint64_t graph_seed(uint64_t seed, unsigned i)
{
	uint64_t s = seed + (uint64_t)i * 0xd1b54a32d192ed03u;
	return rg_next(&s);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- One graph, run and checked. ------------------------------------------ */

struct graph_run {
	uint64_t seed; /* the run's */
	unsigned index;
	struct rg_graph g;
	char yaml[16384];
	int stop; /* pl_engine_stop() after delay_us */
	unsigned delay_us;
	struct cs_tally tally;
	struct run r;
};

/* Prints what reproduces graph `gr` to standard error. */
static void print_graph(const struct graph_run *gr, const char *why)
{
	char stop[96] = "not stopped: every message must arrive";
	if (gr->stop)
		snprintf(stop, sizeof(stop),
			 "stopped with pl_engine_stop() after %u us: it must drain", gr->delay_us);
	fprintf(stderr,
		"random graphs: graph %u of seed %llu %s\n"
		"  (%s)\n"
		"--- the config (stages rg-gen, rg-pass, rg-check: tests/check_stages.c) ---\n"
		"%s"
		"--- end ---\n"
		"reproduce: PL_RANDOM_SEED=%llu PL_RANDOM_FIRST=%u PL_RANDOM_GRAPHS=1 %s\n",
		gr->index, (unsigned long long)gr->seed, why, stop, gr->yaml,
		(unsigned long long)gr->seed, gr->index, program);
}

#define PL_STR2(x) #x
#define PL_STR(x)  PL_STR2(x)

/* The watchdog: a graph that runs for HANG_SECONDS is printed, then the
 * process aborts (ctest would otherwise only say "Timeout").  A graph in
 * which nothing moves for RUN_STALL_S s is caught sooner, by the harness's
 * hang guard, with a dump of where each worker waits. */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct graph_run *running; /* NULL between graphs */
	unsigned long long generation;
	int quit;
} dog = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void *watchdog_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&dog.mu);
	while (!dog.quit) {
		if (dog.running == NULL) {
			pthread_cond_wait(&dog.cv, &dog.mu);
			continue;
		}
		unsigned long long gen = dog.generation;
		struct timespec deadline;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += HANG_SECONDS;
		int rc = 0;
		while (rc == 0 && !dog.quit && dog.generation == gen && dog.running != NULL)
			rc = pthread_cond_timedwait(&dog.cv, &dog.mu, &deadline);
		if (rc == ETIMEDOUT && dog.generation == gen && dog.running != NULL) {
			char why[64];
			snprintf(why, sizeof(why), "hangs: it ran for %d s", HANG_SECONDS);
			print_graph(dog.running, why);
			abort();
		}
	}
	pthread_mutex_unlock(&dog.mu);
	return NULL;
}

/* For the harness's hang guard (no message moved for RUN_STALL_S s): the
 * graph goes with its dump. */
static void print_hung_graph(void *ctx)
{
	print_graph(ctx, "hangs: no message moved for " PL_STR(RUN_STALL_S) " s");
}

static void watch(const struct graph_run *gr)
{
	pthread_mutex_lock(&dog.mu);
	dog.running = gr;
	dog.generation++;
	pthread_cond_signal(&dog.cv);
	pthread_mutex_unlock(&dog.mu);
}

static void stop_later(pl_engine *e, void *ctx)
{
	const struct graph_run *gr = ctx;
	nanosleep(&(struct timespec){ .tv_sec = gr->delay_us / 1000000,
				      .tv_nsec = (long)(gr->delay_us % 1000000) * 1000 },
		  NULL);
	pl_engine_stop(e);
}

/*
 * Builds graph `index` of `seed` (stopped part-way when the seed says so and
 * `may_stop`), runs it with `fault` injected, and checks the tally and the
 * books.  Returns the number of problems, described in `rep`; *books gets
 * those of the books alone.  Ownership: the caller frees gr->tally.
 */
static unsigned run_graph(uint64_t seed, unsigned index, int may_stop, enum cs_fault fault,
			  struct graph_run *gr, struct cs_report *rep, unsigned *books)
{
	uint64_t gs = graph_seed(seed, index), plan = gs ^ 0x5bd1e9955bd1e995u;
	gr->seed = seed;
	gr->index = index;
	gr->stop = may_stop && rg_below(&plan, STOP_ONE_IN) == 0;
	gr->delay_us = rg_below(&plan, STOP_MAX_US + 1);
	rg_generate(&gr->g, gs, BUDGET, gr->stop ? STOP_FACTOR : 1);
	char name[32];
	snprintf(name, sizeof(name), "random-%u", index);
	assert_true(rg_yaml(&gr->g, name, gr->yaml, sizeof(gr->yaml)) > 0);

	uint32_t count[RG_MAX_GENS];
	for (unsigned k = 0; k < gr->g.n_gens; k++)
		count[k] = gr->g.node[gr->g.gen_node[k]].count;
	assert_int_equal(cs_tally_init(&gr->tally, gs, gr->g.n_gens, count, gr->g.n_sinks), 0);
	rg_order_kept(&gr->g, gr->tally.ordered);
	unsigned paths[RG_MAX_SINKS][RG_MAX_GENS];
	rg_paths(&gr->g, paths);

	cs_use(&gr->tally, fault);
	watch(gr);
	run_on_hang(print_hung_graph, gr);
	run_yaml_with(gr->yaml, stages, sizeof(stages) / sizeof(stages[0]),
		      gr->stop ? stop_later : NULL, gr, &gr->r);
	run_on_hang(NULL, NULL);
	watch(NULL);

	memset(rep, 0, sizeof(*rep));
	unsigned problems = cs_check(&gr->tally, paths, !gr->stop, rep);
	*books = cs_check_books(&gr->g, &gr->r, &gr->tally, rep);
	return problems + *books;
}

/* Graphs run, with their counts, for the summary line. */
struct totals {
	unsigned graphs, stopped, part_way, nodes, threads;
	unsigned long long emitted, delivered, transfers;
};

static void add_totals(struct totals *tt, const struct graph_run *gr)
{
	tt->graphs++;
	tt->nodes += gr->g.n_nodes;
	int part_way = 0;
	for (unsigned k = 0; k < gr->g.n_gens; k++) {
		tt->emitted += gr->tally.emitted[k];
		part_way |= gr->tally.emitted[k] < gr->tally.count[k];
	}
	tt->stopped += gr->stop;
	tt->part_way += gr->stop && part_way;
	for (size_t i = 0; i < gr->r.n_nodes; i++)
		tt->threads += (unsigned)gr->r.stats[i].workers;
	for (size_t c = 0; c < gr->r.n_chans; c++)
		tt->transfers += gr->r.chans[c].received;
	for (unsigned s = 0; s < gr->g.n_sinks; s++)
		tt->delivered += gr->tally.received[s];
}

/* ---- The tests. ----------------------------------------------------------- */

/* Hundreds of random graphs (PL_RANDOM_GRAPHS, from PL_RANDOM_FIRST) of
 * PL_RANDOM_SEED: every id arrives once per path at every sink, intact; one
 * graph in STOP_ONE_IN is stopped at a random moment and must drain. */
static void test_random_graphs(void **state)
{
	(void)state;
	struct settings set = settings();
	print_message("random graphs: seed %llu, %u graphs (from graph %u)\n",
		      (unsigned long long)set.seed, set.graphs, set.first);
	struct graph_run *gr = malloc(sizeof(*gr));
	assert_non_null(gr);
	struct cs_report rep;
	struct totals tt = { 0 };
	double t0 = now_s();
	for (unsigned i = set.first; i - set.first < set.graphs; i++) {
		unsigned books;
		unsigned problems = run_graph(set.seed, i, 1, CS_FAULT_NONE, gr, &rep, &books);
		add_totals(&tt, gr);
		cs_tally_free(&gr->tally);
		if (problems > 0) {
			char why[64];
			snprintf(why, sizeof(why), "failed, %u problems:", problems);
			print_graph(gr, why);
			fprintf(stderr, "problems:\n%s", rep.text);
			fail_msg("graph %u of seed %llu: %u problems, above with its "
				 "config; rerun it alone with PL_RANDOM_SEED=%llu "
				 "PL_RANDOM_FIRST=%u PL_RANDOM_GRAPHS=1, or the run up to "
				 "it with PL_RANDOM_SEED=%llu PL_RANDOM_GRAPHS=%u",
				 i, (unsigned long long)set.seed, problems,
				 (unsigned long long)set.seed, i, (unsigned long long)set.seed,
				 i + 1);
		}
	}
	print_message("random graphs: %u graphs each delivered every message exactly once per "
		      "path (%u stopped, %u of them part-way): %u nodes, %u worker threads, %llu "
		      "messages emitted, %llu delivered to sinks, %llu channel transfers, %.2f s\n",
		      tt.graphs, tt.stopped, tt.part_way, tt.nodes, tt.threads, tt.emitted,
		      tt.delivered, tt.transfers, now_s() - t0);
	free(gr);
}

/* The checker fails when it must: fabricated tallies with one mistake each
 * (or two) are each reported, with the id and what went wrong. */
static void test_checker_catches_mistakes(void **state)
{
	(void)state;
	/* Two generators, two sinks: s0 reached from g0 only, s1 from g0 by
	 * two paths (a broadcast merged again) and from g1 by one. */
	static const unsigned paths[CS_MAX_SINKS][CS_MAX_GENS] = { { 1, 0 }, { 2, 1 } };
	static const uint32_t count[] = { 10, 5 };
	enum {
		CLEAN,
		DUP_AND_MISSING,
		UNREACHABLE,
		NEVER_EMITTED,
		SHORT_RUN,
		CORRUPT,
		STRAY,
		ORDER,
		MANY
	};
	static const struct {
		int mistake;
		unsigned problems;
		const char *says[2];
	} cases[] = {
		{ CLEAN, 0, { NULL, NULL } },
		{ DUP_AND_MISSING,
		  2,
		  { "sink s0: id 3 of generator g0 arrived 2 times, expected 1 (duplicated)",
		    "sink s1: id 4 of generator g1 never arrived (expected 1)" } },
		{ UNREACHABLE,
		  1,
		  { "sink s0: id 2 of generator g1 arrived 1 time, but no path leads there from g1",
		    NULL } },
		{ NEVER_EMITTED,
		  2,
		  { "sink s1: id 9 of generator g0 arrived 2 times, but g0 emitted only ids 0 "
		    "to 8",
		    "generator g0 emitted 9 of its 10 messages without a stop" } },
		{ SHORT_RUN,
		  1,
		  { "generator g1 emitted 3 of its 5 messages without a stop", NULL } },
		{ CORRUPT,
		  2,
		  { "1 messages arrived corrupt; the first at sink s1: ",
		    "sink s1: id 5 of generator g0 arrived 1 time, expected 2 (lost)" } },
		{ STRAY,
		  1,
		  { "1 messages named no id a generator can emit; the first at sink s0", NULL } },
		{ ORDER,
		  1,
		  { "sink s0: ids of generator g0 arrived out of order 1 time; the first: id 4 "
		    "after id 5",
		    NULL } },
		{ MANY,
		  10,
		  { "sink s1: 7 more ids of generator g0 arrived a wrong number of times",
		    "sink s1: id 2 of generator g0 never arrived (expected 2)" } },
	};
	const uint64_t salt = 99;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct cs_tally t;
		assert_int_equal(cs_tally_init(&t, salt, 2, count, 2), 0);
		t.ordered[0][0] = cases[c].mistake == ORDER;
		/* What a correct run delivers, through cs_tally_record(). */
		for (unsigned k = 0; k < 2; k++) {
			t.emitted[k] = count[k];
			t.gen_done[k] = 1;
		}
		if (cases[c].mistake == NEVER_EMITTED)
			t.emitted[0] = 9;
		if (cases[c].mistake == SHORT_RUN)
			t.emitted[1] = 3;
		for (unsigned s = 0; s < 2; s++)
			for (unsigned k = 0; k < 2; k++)
				for (uint32_t id = 0; id < t.emitted[k]; id++)
					for (unsigned p = 0; p < paths[s][k]; p++) {
						uint32_t sent = id;
						if (cases[c].mistake == ORDER && s == 0 && k == 0 &&
						    (id == 4 || id == 5))
							sent = id == 4 ? 5 : 4;
						unsigned char buf[CS_MAX_LEN];
						cs_encode(salt, k, sent, buf);
						size_t len = cs_message_len(salt, k, sent);
						if (cases[c].mistake == CORRUPT && s == 1 &&
						    k == 0 && id == 5 && p == 1)
							buf[len > CS_HEADER ? len - 1 : 0] ^= 1;
						cs_tally_record(&t, s, buf, len);
					}
		unsigned char buf[CS_MAX_LEN];
		switch (cases[c].mistake) {
		case DUP_AND_MISSING:
			cs_encode(salt, 0, 3, buf);
			cs_tally_record(&t, 0, buf, cs_message_len(salt, 0, 3));
			t.seen[1][1][4] = 0; /* as if never sent */
			break;
		case UNREACHABLE:
			cs_encode(salt, 1, 2, buf);
			cs_tally_record(&t, 0, buf, cs_message_len(salt, 1, 2));
			break;
		case NEVER_EMITTED:
			t.seen[1][0][9] = 2;
			break;
		case STRAY:
			cs_encode(salt, 3, 0, buf); /* g3 does not exist */
			cs_tally_record(&t, 0, buf, cs_message_len(salt, 3, 0));
			break;
		case MANY:
			for (uint32_t id = 0; id < 10; id++)
				t.seen[1][0][id] = 0;
			break;
		default:
			break;
		}
		struct cs_report rep;
		memset(&rep, 0, sizeof(rep));
		unsigned got = cs_check(&t, paths, 1, &rep);
		if (got != cases[c].problems)
			fail_msg("case %zu: %u problems, wanted %u:\n%s", c, got, cases[c].problems,
				 rep.text);
		for (int k = 0; k < 2; k++)
			if (cases[c].says[k] != NULL && strstr(rep.text, cases[c].says[k]) == NULL)
				fail_msg("case %zu: the report lacks\n  %s\nit says:\n%s", c,
					 cases[c].says[k], rep.text);
		cs_tally_free(&t);
	}
}

/* A message's bytes: what cs_encode() wrote decodes intact, and a flipped
 * bit, a cut or an extra byte anywhere is caught. */
static void test_messages_check_themselves(void **state)
{
	(void)state;
	unsigned char buf[CS_MAX_LEN + 1];
	size_t longest = 0, empty = 0;
	for (uint32_t id = 0; id < 2000; id++) {
		unsigned gen = id % CS_MAX_GENS, g2;
		uint32_t id2;
		size_t len = cs_message_len(7, gen, id);
		assert_true(len >= CS_HEADER && len <= CS_MAX_LEN);
		longest = len > longest ? len : longest;
		empty += len == CS_HEADER;
		cs_encode(7, gen, id, buf);
		assert_int_equal(cs_decode(7, buf, len, &g2, &id2), CS_INTACT);
		assert_int_equal(g2, gen);
		assert_int_equal(id2, id);
		assert_int_not_equal(cs_decode(7, buf, len - 1, &g2, &id2), CS_INTACT);
		assert_int_not_equal(cs_decode(7, buf, len + 1, &g2, &id2), CS_INTACT);
		size_t at = len > CS_HEADER ? id % len : id % CS_HEADER;
		buf[at] ^= (unsigned char)(1u << (id % 8));
		int v = cs_decode(7, buf, len, &g2, &id2);
		/* A flip in the id makes another id: caught as a wrong length or
		 * bytes, or (header only) as a stray or duplicate by the tally. */
		assert_true(v != CS_INTACT ||
			    (at >= 1 && at < CS_HEADER && (g2 != gen || id2 != id)));
	}
	assert_true(empty > 0);
	assert_true(longest > CS_HEADER + 200);
}

/* The check catches real faults end to end: a pass-through that drops,
 * duplicates or corrupts one message in a whole run fails the graph, and
 * the engine's books alone see a drop or a duplicate too. */
static void test_injected_faults_are_caught(void **state)
{
	(void)state;
	static const struct {
		enum cs_fault fault;
		const char *name;
		const char *says, *or_says;
		int books_see_it;
	} faults[] = {
		{ CS_FAULT_DROP, "drop", "never arrived", "(lost)", 1 },
		{ CS_FAULT_DUPLICATE, "duplicate", "(duplicated)", "(duplicated)", 1 },
		{ CS_FAULT_CORRUPT, "corrupt", "arrived corrupt", "named no id", 0 },
	};
	struct graph_run *gr = malloc(sizeof(*gr));
	assert_non_null(gr);
	struct cs_report rep;
	uint64_t seed = settings().seed;
	for (size_t f = 0; f < sizeof(faults) / sizeof(faults[0]); f++) {
		unsigned i = 0, problems = 0, books = 0;
		for (;; i++) {
			assert_true(i < 100); /* a graph with a fan-out and messages is common */
			problems = run_graph(seed, i, 0, faults[f].fault, gr, &rep, &books);
			cs_tally_free(&gr->tally);
			if (cs_fault_made())
				break;
			if (problems > 0) {
				print_graph(gr, "failed without a fault");
				fail_msg("%s", rep.text);
			}
		}
		if (problems == 0 || (strstr(rep.text, faults[f].says) == NULL &&
				      strstr(rep.text, faults[f].or_says) == NULL))
			fail_msg("fault '%s' in graph %u went unnoticed:\n%s", faults[f].name, i,
				 rep.text);
		print_message(
			"fault '%s' in graph %u: %u problems (%u in the books), the first:\n%.*s",
			faults[f].name, i, problems, books, (int)(strcspn(rep.text, "\n") + 1),
			rep.text);
		if (faults[f].books_see_it && books == 0)
			fail_msg("fault '%s' in graph %u: the engine's books saw nothing",
				 faults[f].name, i);
	}
	free(gr);
}

/* The generator keeps its promises: 2000 graphs of the seed all pass the
 * config checks (pl_graph_check) and between them use every shape the
 * generator names, down to the edges. */
static void test_graphs_are_valid_and_varied(void **state)
{
	(void)state;
	uint64_t seed = settings().seed;
	pl_registry *reg;
	assert_int_equal(pl_registry_create(&reg), 0);
	for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
		assert_int_equal(pl_registry_add(reg, stages[i]), 0);
	static char yaml[16384];
	struct rg_graph *g = malloc(sizeof(*g));
	assert_non_null(g);
	unsigned gens[RG_MAX_GENS + 1] = { 0 }, sinks[RG_MAX_SINKS + 1] = { 0 };
	unsigned workers[17] = { 0 }, widths[RG_MAX_INPUTS + 1] = { 0 };
	unsigned outs[RG_MAX_OUTPUTS + 1] = { 0 }, buffers[65] = { 0 };
	unsigned multi_path = 0, unreachable = 0, ordered = 0, jitter = 0, sink_workers = 0;
	unsigned kept = 0, shuffled = 0, zero = 0, one = 0, most_nodes = 0, most_chans = 0;
	unsigned max_paths = 0;
	for (unsigned i = 0; i < 2000; i++) {
		rg_generate(g, graph_seed(seed, i), BUDGET, 1);
		assert_true(rg_yaml(g, "v", yaml, sizeof(yaml)) > 0);
		pl_diags d;
		pl_diags_init(&d);
		pl_config *cfg = NULL;
		int rc = pl_config_parse("v.yaml", yaml, strlen(yaml), &cfg, &d);
		if (rc == 0)
			rc = pl_graph_check(cfg, reg, &d);
		if (rc != 0) {
			pl_diags_print(&d, stderr);
			fprintf(stderr, "%s", yaml);
			fail_msg("graph %u of seed %llu is not valid", i, (unsigned long long)seed);
		}
		pl_diags_clear(&d);
		pl_config_free(cfg);

		gens[g->n_gens]++;
		sinks[g->n_sinks]++;
		most_nodes = g->n_nodes > most_nodes ? g->n_nodes : most_nodes;
		most_chans = g->n_chans > most_chans ? g->n_chans : most_chans;
		for (unsigned c = 0; c < g->n_chans; c++)
			buffers[g->buffer[c]]++;
		for (unsigned n = 0; n < g->n_nodes; n++) {
			const struct rg_node *nd = &g->node[n];
			shuffled += g->yaml_order[n] != n;
			if (nd->kind == RG_FANOUT) {
				workers[nd->workers]++;
				ordered += nd->ordered;
				jitter += nd->jitter > 0;
			} else if (nd->kind == RG_FANIN) {
				widths[nd->n_in]++;
			} else if (nd->kind == RG_BROADCAST) {
				outs[nd->n_out]++;
			} else if (nd->kind == RG_SINK) {
				sink_workers += nd->workers > 1;
			} else {
				zero += nd->count == 0;
				one += nd->count == 1;
			}
		}
		unsigned paths[RG_MAX_SINKS][RG_MAX_GENS];
		int keep[RG_MAX_SINKS][RG_MAX_GENS];
		rg_paths(g, paths);
		rg_order_kept(g, keep);
		for (unsigned s = 0; s < g->n_sinks; s++)
			for (unsigned k = 0; k < g->n_gens; k++) {
				multi_path += paths[s][k] > 1;
				unreachable += paths[s][k] == 0;
				kept += keep[s][k];
				max_paths = paths[s][k] > max_paths ? paths[s][k] : max_paths;
			}
	}
	print_message("2000 graphs: up to %u nodes and %u channels; generators 1-4: %u %u %u %u; "
		      "sinks 1-4: %u %u %u %u; fan-in widths 2-6: %u %u %u %u %u; broadcasts to "
		      "2, 3: %u %u; fan-outs of 1, 16 workers: %u %u, ordered %u, jittery %u; "
		      "buffers 0 1 2 3 8 64: %u %u %u %u %u %u; sinks of several workers %u; "
		      "generator-sink pairs with several paths %u (up to %u), none %u, order kept "
		      "%u; counts 0: %u, 1: %u; nodes listed shuffled %u\n",
		      most_nodes, most_chans, gens[1], gens[2], gens[3], gens[4], sinks[1],
		      sinks[2], sinks[3], sinks[4], widths[2], widths[3], widths[4], widths[5],
		      widths[6], outs[2], outs[3], workers[1], workers[16], ordered, jitter,
		      buffers[0], buffers[1], buffers[2], buffers[3], buffers[8], buffers[64],
		      sink_workers, multi_path, max_paths, unreachable, kept, zero, one, shuffled);
	for (unsigned k = 1; k <= 4; k++)
		assert_true(gens[k] > 0 && sinks[k] > 0);
	for (unsigned k = 2; k <= 6; k++)
		assert_true(widths[k] > 0);
	for (unsigned k = 1; k <= 16; k++)
		assert_true(workers[k] > 0);
	assert_true(outs[2] > 0 && outs[3] > 0);
	static const unsigned sizes[] = { 0, 1, 2, 3, 8, 64 };
	for (size_t k = 0; k < 6; k++)
		assert_true(buffers[sizes[k]] > 0);
	assert_true(ordered > 0 && jitter > 0 && sink_workers > 0 && multi_path > 0 &&
		    unreachable > 0 && kept > 0 && zero > 0 && one > 0 && shuffled > 0);
	assert_true(most_nodes <= RG_MAX_NODES && most_chans <= RG_MAX_CHANS);
	free(g);
	pl_registry_destroy(reg);
}

/* A failure in the harness (not one of ours) still shows the graph. */
static int show_graph_in_flight(void **state)
{
	(void)state;
	pthread_mutex_lock(&dog.mu);
	const struct graph_run *gr = dog.running;
	dog.running = NULL;
	pthread_mutex_unlock(&dog.mu);
	if (gr != NULL)
		print_graph(gr, "failed in the harness");
	return 0;
}

int main(int argc, char **argv)
{
	(void)argc;
	program = argv[0];
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&dog.cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_t dog_thread;
	if (pthread_create(&dog_thread, NULL, watchdog_main, NULL) != 0)
		return 1;

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checker_catches_mistakes),
		cmocka_unit_test(test_messages_check_themselves),
		cmocka_unit_test(test_graphs_are_valid_and_varied),
		cmocka_unit_test_teardown(test_injected_faults_are_caught, show_graph_in_flight),
		cmocka_unit_test_teardown(test_random_graphs, show_graph_in_flight),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	pthread_mutex_lock(&dog.mu);
	dog.quit = 1;
	pthread_cond_signal(&dog.cv);
	pthread_mutex_unlock(&dog.mu);
	pthread_join(dog_thread, NULL);
	pthread_cond_destroy(&dog.cv);
	return failed;
}
