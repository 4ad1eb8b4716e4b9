/* render_check.h - reading back the DOT and Mermaid that render.c writes, to check them. */
#ifndef PL_TESTS_RENDER_CHECK_H
#define PL_TESTS_RENDER_CHECK_H

#include <stddef.h>

/* Parses the DOT we write (one statement a line) and fails the test unless
 * every node is declared once, every edge joins declared nodes, braces
 * balance and every line closes its strings.  Returns the number of edges
 * carrying a label (the channels). */
size_t check_dot(const char *dot);

/* The same for the Mermaid we write. */
size_t check_mermaid(const char *mermaid);

#endif /* PL_TESTS_RENDER_CHECK_H */
