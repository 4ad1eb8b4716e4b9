/* size.h - sizes in bytes as users write them: 65536, 64KiB, 1MiB, 1GiB. */
#ifndef PL_RUNNER_SIZE_H
#define PL_RUNNER_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* The stack of a worker thread (`stack_size`, `--stack-size`): at least
 * PTHREAD_STACK_MIN on Linux (16 KiB on x86-64; a fixed floor, so that a
 * config checks alike on every machine), at most 1 GiB. */
#define PL_MIN_STACK_SIZE ((int64_t)16 * 1024)
#define PL_MAX_STACK_SIZE ((int64_t)1024 * 1024 * 1024)

/*
 * Reads `s` as a size: a whole number of bytes (65536), or a whole number
 * followed at once by a binary suffix, KiB, MiB or GiB (64KiB, 1MiB).
 * Nothing else: no sign, no fraction, no space, no decimal suffix (KB), no
 * other case (kib).  Returns 0 with *out set when it lies in [min, max];
 * PL_ERANGE when it is written well but lies outside (or overflows);
 * PL_EINVAL for any other text.  On PL_EINVAL, when `s` reads as a size
 * with a suffix spelt another way (64k, 64KB, 1 MiB, 1mib), `hint` (`len`
 * bytes, may be NULL) gets the right spelling ("64KiB"), else "".
 */
int pl_size_parse(const char *s, int64_t min, int64_t max, int64_t *out, char *hint, size_t len);

/* Writes `bytes` for a message, with the largest suffix that divides it
 * exactly (65536: "64KiB", 1000: "1000 bytes"); returns `buf`. */
const char *pl_size_format(uint64_t bytes, char *buf, size_t len);

#endif /* PL_RUNNER_SIZE_H */
