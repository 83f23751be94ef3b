/*
 * tap - Test Anything Protocol output for the C unit tests in t/unit/.
 *
 * Each test program calls the checks below and ends with
 * `return tap_done();`, which prints the plan ("1..N") and returns the
 * exit status prove expects (0 only if every check passed). Failures
 * print "got X, want Y" diagnostics.
 */
#ifndef POPSTORE_TAP_H
#define POPSTORE_TAP_H

#include <stddef.h>
#include <stdint.h>

int tap_ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int tap_is_int(long long got, long long want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tap_is_str(const char *got, const char *want, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int tap_is_mem(const void *got, size_t glen, const void *want, size_t wlen,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_skip_all(const char *why) __attribute__((noreturn));
int tap_done(void);

/* A fresh empty directory under $TMPDIR for this test; removed at exit
 * when every check passed. */
const char *tap_tmpdir(void);

/* Write a file (for fixtures); aborts the test on failure. */
void tap_write_file(const char *path, const char *content);

#endif
