/* line_tally.h - which of the numbered lines PREFIX1 .. PREFIXn some output files hold, and how
 * often. */
#ifndef PL_TESTS_LINE_TALLY_H
#define PL_TESTS_LINE_TALLY_H

/*
 * A tally of the lines "PREFIXk" (k in 1 .. n, decimal, no leading zero) found in files, for
 * checking that the outputs of several processes hold every input exactly once, or at least
 * once.  Zero-initialise, or tally_init(); release with tally_free().
 */
struct tally {
	long long n;         /* the lines expected: PREFIX1 .. PREFIXn */
	unsigned char *seen; /* seen[k - 1]: how often PREFIXk was found, stopping at 255 */
	long long lines;     /* every line read, foreign ones included */
	long long foreign;   /* lines that are no PREFIXk with k in 1 .. n (a cut line included) */
	char first_foreign[96]; /* the first of them, cut, for messages */
};

/* Expects PREFIX1 .. PREFIXn.  Fails the test when out of memory. */
void tally_init(struct tally *t, long long n);

/* Counts the lines of `path` (a file that does not exist adds nothing) against `prefix`;
 * returns how many lines it held.  A last line without its newline is foreign. */
long long tally_file(struct tally *t, const char *path, const char *prefix);

/* How many of PREFIX1 .. PREFIXn were never found; the first into *first (0 when none). */
long long tally_missing(const struct tally *t, long long *first);

/* How many were found more than once; the first into *first (0 when none). */
long long tally_repeated(const struct tally *t, long long *first);

void tally_free(struct tally *t);

/* The number of newlines in `path`: 0 when it does not exist. */
long long file_lines(const char *path);

#endif /* PL_TESTS_LINE_TALLY_H */
