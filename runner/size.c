/* size.c - sizes in bytes as users write them: 65536, 64KiB, 1MiB, 1GiB. */
#include "size.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pipeline/plugin.h"

static const struct {
	const char *suffix;
	unsigned shift;
} units[] = { { "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 } };

#define N_UNITS (sizeof(units) / sizeof(units[0]))

/* The unit `rest` spells another way (" KiB", "k", "KB", "kib", "Ki"),
 * as an index into units[], or -1. */
static int misspelt_unit(const char *rest)
{
	rest += strspn(rest, " \t");
	static const char *const tails[] = { "", "b", "i", "ib" };
	for (size_t u = 0; u < N_UNITS; u++) {
		if ((rest[0] | 0x20) != (units[u].suffix[0] | 0x20))
			continue;
		for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++)
			if (strcasecmp(rest + 1, tails[t]) == 0)
				return (int)u;
	}
	return -1;
}

int pl_size_parse(const char *s, int64_t min, int64_t max, int64_t *out, char *hint, size_t len)
{
	if (hint != NULL && len > 0)
		hint[0] = '\0';
	if (s[0] == '-') {
		/* A negative size is written well, and out of range. */
		int64_t ignored;
		int rc = pl_size_parse(s + 1, 0, INT64_MAX, &ignored, hint, len);
		return rc == 0 ? PL_ERANGE : rc;
	}
	size_t digits = strspn(s, "0123456789");
	if (digits == 0)
		return PL_EINVAL;
	const char *rest = s + digits;
	unsigned shift = 0;
	if (*rest != '\0') {
		size_t u = 0;
		while (u < N_UNITS && strcmp(rest, units[u].suffix) != 0)
			u++;
		if (u == N_UNITS) {
			int m = misspelt_unit(rest);
			if (m >= 0 && hint != NULL && len > 0)
				snprintf(hint, len, "%.*s%s", (int)digits, s, units[m].suffix);
			return PL_EINVAL;
		}
		shift = units[u].shift;
	}
	/* Decimal digits, leading zeros allowed; anything past INT64_MAX is
	 * out of range. */
	uint64_t v = 0;
	int overflow = 0;
	for (size_t i = 0; i < digits; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			overflow = 1;
		else
			v = v * 10 + d;
	}
	if (overflow || v > ((uint64_t)INT64_MAX >> shift))
		return PL_ERANGE;
	int64_t bytes = (int64_t)(v << shift);
	if (bytes < min || bytes > max)
		return PL_ERANGE;
	*out = bytes;
	return 0;
}

const char *pl_size_format(uint64_t bytes, char *buf, size_t len)
{
	size_t u = N_UNITS;
	while (u > 0 && (bytes == 0 || bytes % ((uint64_t)1 << units[u - 1].shift) != 0))
		u--;
	if (u == 0)
		snprintf(buf, len, "%llu bytes", (unsigned long long)bytes);
	else
		snprintf(buf, len, "%llu%s", (unsigned long long)(bytes >> units[u - 1].shift),
			 units[u - 1].suffix);
	return buf;
}
