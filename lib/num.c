/* num - whole-string, range-checked number parsing; see num.h. */
#include <string.h>
#include <strings.h>

#include "num.h"

int
num_parse_u64n(const char *s, size_t len, uint64_t max, uint64_t *value_r)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
			return -1;
	}
	if (v > max)
		return -1;
	*value_r = v;
	return 0;
}

int
num_parse_u64(const char *s, uint64_t max, uint64_t *value_r)
{
	return num_parse_u64n(s, strlen(s), max, value_r);
}

static int
parse_scaled(const char *s, uint64_t max, const char *units,
    const uint64_t *mult, uint64_t *value_r)
{
	size_t len = strlen(s);
	uint64_t v, m = 1;
	const char *u;

	if (len > 1 && (u = strchr(units, s[len - 1] | 0x20)) != NULL &&
	    s[len - 1] != '\0') {
		m = mult[u - units];
		len--;
	}
	if (num_parse_u64n(s, len, UINT64_MAX, &v) < 0 ||
	    __builtin_mul_overflow(v, m, &v) || v > max)
		return -1;
	*value_r = v;
	return 0;
}

int
num_parse_size(const char *s, uint64_t max, uint64_t *value_r)
{
	static const uint64_t mult[] = { 1024, 1024 * 1024,
	    1024 * 1024 * 1024, 1 };

	return parse_scaled(s, max, "kmgb", mult, value_r);
}

int
num_parse_duration(const char *s, uint64_t max, uint64_t *value_r)
{
	static const uint64_t mult[] = { 1, 60, 3600, 86400 };

	return parse_scaled(s, max, "smhd", mult, value_r);
}

int
num_parse_bool(const char *s, int *value_r)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*value_r = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*value_r = 0;
			return 0;
		}
	}
	return -1;
}
