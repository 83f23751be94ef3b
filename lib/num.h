/*
 * NAME
 *	num - parse numbers from untrusted text
 * DESCRIPTION
 *	Whole-string, range-checked parsing: "12x", "", " 1", "-1" and
 *	values past the limit are errors, never silently clamped. Sizes take
 *	an optional K, M or G suffix (powers of 1024), durations an optional
 *	s, m, h or d suffix. Like the rest of lib/, the functions return 0 on
 *	success and -1 on error; they allocate nothing.
 */
#ifndef POPSTORE_NUM_H
#define POPSTORE_NUM_H

#include <stddef.h>
#include <stdint.h>

/* Decimal digits only, value <= max. */
int num_parse_u64(const char *s, uint64_t max, uint64_t *value_r);

/* Like num_parse_u64 on the first len bytes of s. */
int num_parse_u64n(const char *s, size_t len, uint64_t max, uint64_t *value_r);

/* Decimal with an optional K/M/G suffix (any case), result <= max. */
int num_parse_size(const char *s, uint64_t max, uint64_t *value_r);

/* Seconds with an optional s/m/h/d suffix, result <= max. */
int num_parse_duration(const char *s, uint64_t max, uint64_t *value_r);

/* A yes/no word: 1, 0, yes, no, true, false, on, off (any case). */
int num_parse_bool(const char *s, int *value_r);

#endif
