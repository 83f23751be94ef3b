/*
 * NAME
 *	penalty - failed-login delays that grow per client address and per
 *	account, across connections and processes
 * DESCRIPTION
 *	The servers are started once per connection, so a count of failures
 *	kept in one process is lost when the client reconnects. This module
 *	keeps recent failures in one small store-wide file, the penalty
 *	file STORE_DIR/db/login-penalty (popstore(5)), shared by every
 *	pop3d, imapd and poppassd process:
 *
 *	- each failed login counts once against the client's address (an
 *	  IPv6 address by its /64 prefix) and once against the account name
 *	  tried (made canonical here, whether or not the account exists, so
 *	  the delay tells nothing about which names exist);
 *	- the delay after the failure is LOGIN_FAIL_DELAY * 2^(n-1) seconds,
 *	  at most LOGIN_FAIL_DELAY_MAX, n being the larger of the two
 *	  counts including this failure;
 *	- a count halves for every LOGIN_FAIL_DECAY seconds since its last
 *	  failure;
 *	- a successful login clears its address's count. The account's
 *	  count is left to decay: the owner's mail client, logging in every
 *	  few minutes, must not wipe out the count of a guessing attack
 *	  spread over many addresses.
 *
 *	The delay is paid only after a failure, before its error reply: a
 *	correct password is answered at once however high the counts are,
 *	so an attacker can slow down guessing but never lock the real user
 *	out. LOGIN_FAIL_DELAY=0 turns the delay off, and then nothing is
 *	recorded either.
 *
 *	The file holds no names or addresses: a key is an HMAC-SHA-256 of
 *	the name or address under a random key kept in the file's header,
 *	truncated to 64 bits. It has a fixed size (1024 buckets of 4 slots,
 *	about 96 KiB), created on first use; a new key evicts the slot of
 *	its bucket with the lowest count. Each update is a pread and pwrite
 *	of one bucket under an fcntl lock on that bucket's bytes, waited
 *	for at most about a second. A missing store, an unreadable or
 *	corrupt file, or a lock not obtained in time never fails a login:
 *	the delay falls back to the fixed LOGIN_FAIL_DELAY and the problem
 *	is logged once per process (a corrupt file is replaced by a new,
 *	empty one).
 * MEMORY
 *	Nothing is kept between calls; no call allocates for the caller.
 */
#ifndef POPSTORE_PENALTY_H
#define POPSTORE_PENALTY_H

#include <stdint.h>
#include <time.h>

struct conf;
struct store;

#define PENALTY_BUCKETS	1024
#define PENALTY_WAYS	4
#define PENALTY_SLOT	24	/* bytes on disk: tag, time, count, crc */
#define PENALTY_HEADER	64

enum penalty_kind { PENALTY_ADDR, PENALTY_ACCOUNT };

/*
 * The one call for a server after a failed login, once its output is
 * flushed and before its error reply: record the failure of account
 * (the name as tried, or NULL/"" when the attempt named none) from
 * addr (the client's address; NULL or "" for none) and sleep for the
 * delay. s may be NULL (the store is down): then conf's fixed
 * LOGIN_FAIL_DELAY is used.
 */
void penalty_login_failed(const struct conf *conf, struct store *s,
    const char *addr, const char *account);

/* After a successful login: clear addr's count. Never fails. */
void penalty_login_ok(struct store *s, const char *addr, const char *account);

/*
 * The parts of the above, with the time given (unit tests). Record a
 * failure at now and return the delay in seconds that it earns
 * (LOGIN_FAIL_DELAY when the file cannot be used; 0 when the delay is
 * off).
 */
uint64_t penalty_fail_at(struct store *s, const char *addr,
    const char *account, time_t now);
void penalty_ok_at(struct store *s, const char *addr, const char *account,
    time_t now);

/*
 * The decayed count of one key at now: >= 0, or -1 when the file cannot
 * be used (for tests and diagnostics; creates nothing).
 */
long penalty_count(struct store *s, enum penalty_kind kind,
    const char *value, time_t now);

/* The delay for n failures: min(base * 2^(n-1), max(base, cap)). */
uint64_t penalty_delay(uint64_t base, uint64_t cap, uint64_t n);

/* Sleep for secs seconds, resuming after signals. */
void penalty_sleep(uint64_t secs);

#endif
