/* metrics_file.h - reading the file `pipeline run --metrics-json` writes, for tests. */
#ifndef PL_TESTS_METRICS_FILE_H
#define PL_TESTS_METRICS_FILE_H

#include <stddef.h>

/* One object of "nodes". */
struct metrics_node {
	char name[64], type[32];
	long long workers, running, in, out, in_bytes, out_bytes, skipped, dead, failed, lost;
};

/* One object of "channels". */
struct metrics_chan {
	char name[64];
	long long capacity, buffered, high_water, sent, received;
};

/* The figures of a metrics file (at most 16 nodes and 16 channels). */
struct metrics {
	char pipeline[64], state[32];
	long long lost_in_flight;
	double elapsed;
	size_t nn, nc; /* how many nodes, channels */
	struct metrics_node nodes[16];
	struct metrics_chan chans[16];
};

/*
 * Parses the text of a metrics file into *m (checked to be valid JSON first, then every
 * key read).  Returns 0, or -1 with `why` saying what is wrong (a file being rewritten may
 * be caught half-written).  Fails the test only when out of memory.
 */
int metrics_parse(const char *text, struct metrics *m, char *why, size_t whylen);

/* Reads and parses the metrics file `path` into *m; fails the test (with the
 * failure_context() of run_child.h) when it is missing or not a whole metrics file. */
void metrics_read(const char *path, struct metrics *m);

/* The node / channel called `name` in `m` (pointing into it); fails the test when there is
 * none. */
const struct metrics_node *metrics_node(const struct metrics *m, const char *name);
const struct metrics_chan *metrics_chan(const struct metrics *m, const char *name);

#endif /* PL_TESTS_METRICS_FILE_H */
