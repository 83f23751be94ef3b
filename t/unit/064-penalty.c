/* Unit tests: the shared failed-login penalty (penalty.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "penalty.h"
#include "store.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"

#define T0	1700000000
#define CHILDREN 8
#define EACH	50

static struct fixture fx;

static void
penalty_path(struct buf *b)
{
	buf_reset(b);
	buf_printf(b, "%s/db/login-penalty", fx.dir);
}

static void
test_formula(void)
{
	tap_is_int((long long)penalty_delay(2, 30, 1), 2, "n=1: base");
	tap_is_int((long long)penalty_delay(2, 30, 2), 4, "n=2: doubled");
	tap_is_int((long long)penalty_delay(2, 30, 4), 16, "n=4: 16");
	tap_is_int((long long)penalty_delay(2, 30, 5), 30, "n=5: capped");
	tap_is_int((long long)penalty_delay(2, 30, 1000000), 30,
	    "huge n: capped, no overflow");
	tap_is_int((long long)penalty_delay(2, 1, 3), 2, "cap below base: base");
	tap_is_int((long long)penalty_delay(0, 30, 3), 0, "base 0: none");
	tap_is_int((long long)penalty_delay(2, 30, 0), 0, "no failures: none");
}

static void
test_growth(void)
{
	static const long want[] = { 2, 4, 8, 16, 30, 30 };
	struct buf path = BUF_INIT;
	struct stat st;
	size_t i;
	int ok = 1;

	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "192.0.2.1", T0), 0,
	    "no file: count 0");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		long d = (long)penalty_fail_at(fx.store, "192.0.2.1", "alice",
		    T0 + (time_t)i);

		if (d != want[i]) {
			tap_diag("failure %zu: delay %ld, want %ld", i + 1, d,
			    want[i]);
			ok = 0;
		}
	}
	tap_ok(ok, "delays 2 4 8 16 30 30 from one address and account");
	penalty_path(&path);
	tap_ok(stat(path.data, &st) == 0 && st.st_size == 98368 &&
	    (st.st_mode & 0777) == 0600, "file made: fixed size, mode 0600");
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "192.0.2.1", T0 + 5),
	    6, "address count 6");
	tap_is_int(penalty_count(fx.store, PENALTY_ACCOUNT, "alice", T0 + 5),
	    6, "account count 6");
	/* Separate keys: another address and account start from scratch. */
	tap_is_int((long long)penalty_fail_at(fx.store, "192.0.2.2", "bob",
	    T0 + 6), 2, "another address and account: base delay");
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "192.0.2.2", T0 + 6),
	    1, "its address count 1");
	tap_is_int(penalty_count(fx.store, PENALTY_ACCOUNT, "192.0.2.1",
	    T0 + 6), 0, "an address is not an account name");
	/* The account's count follows it to a new address. */
	tap_is_int((long long)penalty_fail_at(fx.store, "192.0.2.3", "alice",
	    T0 + 7), 30, "same account from a new address: account count");
	tap_is_int((long long)penalty_fail_at(fx.store, "192.0.2.4", NULL,
	    T0 + 7), 2, "no account name: the address alone");
	(void)penalty_fail_at(fx.store, "192.0.2.5", "Grace", T0 + 7);
	tap_is_int(penalty_count(fx.store, PENALTY_ACCOUNT, "grace", T0 + 7),
	    1, "a name counts in its canonical form");
	/* The file holds no names or addresses. */
	{
		struct buf text = BUF_INIT;
		char *why = NULL;

		tap_is_int(file_read(path.data, 1 << 20, &text, &why), 1,
		    "file read");
		tap_ok(memmem(text.data, text.len, "alice", 5) == NULL &&
		    memmem(text.data, text.len, "192.0.2", 7) == NULL,
		    "no plain names or addresses on disk");
		buf_free(&text);
		free(why);
	}
	buf_free(&path);
}

static void
test_decay_and_reset(void)
{
	/* alice: 7 failures, the last at T0 + 7; LOGIN_FAIL_DECAY=100 */
	tap_is_int(penalty_count(fx.store, PENALTY_ACCOUNT, "alice", T0 + 106),
	    7, "within the decay time: kept");
	tap_is_int(penalty_count(fx.store, PENALTY_ACCOUNT, "alice", T0 + 107),
	    3, "one decay time quiet: halved");
	tap_is_int(penalty_count(fx.store, PENALTY_ACCOUNT, "alice", T0 + 307),
	    0, "three quiet: forgotten");
	tap_is_int(penalty_count(fx.store, PENALTY_ACCOUNT, "alice",
	    T0 + 100000000), 0, "long quiet: forgotten");
	tap_is_int((long long)penalty_fail_at(fx.store, "198.51.100.1",
	    "alice", T0 + 207), 4, "after two halvings: count (7>>2)+1, 4 s");

	/* A success clears the address, not the account. */
	penalty_ok_at(fx.store, "192.0.2.1", "alice", T0 + 8);
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "192.0.2.1", T0 + 8),
	    0, "success: address count cleared");
	tap_is_int(penalty_count(fx.store, PENALTY_ACCOUNT, "alice", T0 + 207),
	    2, "success: account count kept");
	penalty_ok_at(fx.store, "203.0.113.99", "nobody", T0 + 8);
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "203.0.113.99",
	    T0 + 8), 0, "success of an unseen address: nothing");

	/* IPv6 by /64, IPv4-mapped as IPv4. */
	(void)penalty_fail_at(fx.store, "2001:db8:1:2::1", NULL, T0);
	(void)penalty_fail_at(fx.store, "2001:db8:1:2:ffff::7", NULL, T0);
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "2001:db8:1:2::9",
	    T0), 2, "IPv6: one count per /64");
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "2001:db8:1:3::1",
	    T0), 0, "IPv6: another /64 apart");
	(void)penalty_fail_at(fx.store, "::ffff:192.0.2.77", NULL, T0);
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "192.0.2.77", T0), 1,
	    "IPv4-mapped address counts as IPv4");
}

static void
test_off(void)
{
	uint64_t save = fx.conf.login_fail_delay;

	fx.conf.login_fail_delay = 0;
	tap_is_int((long long)penalty_fail_at(fx.store, "192.0.2.50", "dave",
	    T0), 0, "LOGIN_FAIL_DELAY=0: no delay");
	fx.conf.login_fail_delay = save;
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "192.0.2.50", T0), 0,
	    "LOGIN_FAIL_DELAY=0: nothing recorded");
}

/* Find the one used slot of a fresh file and damage it. */
static int
damage_used_slot(const char *path)
{
	unsigned char slot[PENALTY_SLOT], zero[PENALTY_SLOT];
	off_t off;
	int fd = open(path, O_RDWR), found = 0;

	memset(zero, 0, sizeof(zero));
	for (off = PENALTY_HEADER; fd >= 0 && !found &&
	    pread(fd, slot, sizeof(slot), off) == (ssize_t)sizeof(slot);
	    off += PENALTY_SLOT) {
		if (memcmp(slot, zero, sizeof(slot)) == 0)
			continue;
		slot[17] ^= 0x40;	/* the count */
		found = pwrite(fd, slot, sizeof(slot), off) ==
		    (ssize_t)sizeof(slot);
	}
	if (fd >= 0)
		close(fd);
	return found;
}

static void
test_corrupt(void)
{
	struct buf path = BUF_INIT;
	struct stat st;
	int i, flat = 1;

	penalty_path(&path);
	tap_write_file(path.data, "garbage, not a penalty file\n");
	tap_is_int((long long)penalty_fail_at(fx.store, "192.0.2.60", "erin",
	    T0), 2, "corrupt file: base delay");
	tap_ok(stat(path.data, &st) == 0 && st.st_size == 98368,
	    "corrupt file replaced by a fresh one");
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "192.0.2.60", T0), 1,
	    "the fresh file counts");

	unlink(path.data);
	(void)penalty_fail_at(fx.store, "192.0.2.61", NULL, T0);
	tap_ok(damage_used_slot(path.data), "slot damaged");
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "192.0.2.61", T0), 0,
	    "a slot with a bad CRC is empty");

	/* Unusable: the fixed delay, no growth, never an error. */
	unlink(path.data);
	tap_ok(mkdir(path.data, 0700) == 0, "penalty file is a directory");
	for (i = 0; i < 4; i++)
		if (penalty_fail_at(fx.store, "192.0.2.62", "frank", T0) != 2)
			flat = 0;
	tap_ok(flat, "unusable file: fixed delay each time");
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "192.0.2.62", T0), -1,
	    "unusable file: count -1");
	penalty_ok_at(fx.store, "192.0.2.62", "frank", T0);
	tap_ok(1, "success with an unusable file: no crash");
	rmdir(path.data);
	buf_free(&path);
}

static void
test_concurrency(void)
{
	struct buf path = BUF_INIT;
	pid_t pids[CHILDREN];
	int i, j, st, ok = 1;

	penalty_path(&path);
	unlink(path.data);
	for (i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			for (j = 0; j < EACH; j++) {
				(void)penalty_fail_at(fx.store, "198.51.100.7",
				    "carol", T0);
				/* keys of other buckets in between */
				if (j % 10 == 0)
					(void)penalty_fail_at(fx.store,
					    i % 2 ? "198.51.100.8" : "::1",
					    NULL, T0);
			}
			_exit(0);
		}
		if (pids[i] < 0)
			ok = 0;
	}
	for (i = 0; i < CHILDREN; i++)
		if (pids[i] > 0 && (waitpid(pids[i], &st, 0) < 0 ||
		    !WIFEXITED(st) || WEXITSTATUS(st) != 0))
			ok = 0;
	tap_ok(ok, "%d processes, %d failures each", CHILDREN, EACH);
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "198.51.100.7", T0),
	    CHILDREN * EACH, "address count exact");
	tap_is_int(penalty_count(fx.store, PENALTY_ACCOUNT, "carol", T0),
	    CHILDREN * EACH, "account count exact");
	tap_is_int(penalty_count(fx.store, PENALTY_ADDR, "198.51.100.8", T0),
	    CHILDREN / 2 * (EACH / 10), "other key exact");
	buf_free(&path);
}

int
main(void)
{
	fixture_open(&fx, "penalty", "LOGIN_FAIL_DELAY=2\n"
	    "LOGIN_FAIL_DELAY_MAX=30\nLOGIN_FAIL_DECAY=100\n");
	test_formula();
	test_growth();
	test_decay_and_reset();
	test_off();
	test_corrupt();
	test_concurrency();
	fixture_close(&fx);
	return tap_done();
}
