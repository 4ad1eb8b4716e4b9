/* cmocka-noreturn.h - what cmocka 1.1 does not declare, for the clang static analyzer only.
 *
 * scripts/static-analysis.sh includes this file first in every file clang-tidy analyses (never
 * in a build).  cmocka's fail(), fail_msg() and skip() end the test: _fail() and _skip() jump
 * out of it and never return, but <cmocka.h> does not say so, and the analyzer would follow
 * the path on past a failed check (`if (p == NULL) fail_msg(...);`) and report a NULL p there.
 * Declaring them again with the attribute is compatible with cmocka's declarations. */
#ifndef PL_CMOCKA_NORETURN_H
#define PL_CMOCKA_NORETURN_H

void _fail(const char *const file, const int line) __attribute__((noreturn));
void _skip(const char *const file, const int line) __attribute__((noreturn));

#endif /* PL_CMOCKA_NORETURN_H */
