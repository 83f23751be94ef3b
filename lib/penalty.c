/* penalty - failed-login delays shared by all servers; see penalty.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "be.h"
#include "buf.h"
#include "conf.h"
#include "crc.h"
#include "file.h"
#include "log.h"
#include "name.h"
#include "penalty.h"
#include "store.h"

#define FILE_NAME	"login-penalty"
#define MAGIC		"popstore-penalty"	/* 16 bytes, no NUL */
#define VERSION		1
#define KEY_LEN		32
#define BUCKET_BYTES	(PENALTY_WAYS * PENALTY_SLOT)
#define FILE_SIZE	(PENALTY_HEADER + (off_t)PENALTY_BUCKETS * BUCKET_BYTES)
#define COUNT_MAX	(1u << 20)
#define LOCK_TRIES	1000	/* of 1 ms each */
#define VALUE_MAX	255	/* bytes of a name or address hashed */

/* An open penalty file. */
struct pfile {
	int		 fd;
	unsigned char	 key[KEY_LEN];
};

/* One slot, decoded. */
struct slot {
	uint64_t	 tag;		/* 0: empty */
	int64_t		 last;		/* time of the last failure */
	uint32_t	 count;
};

/* Log a problem with the file once per process. */
static void
problem(const char *path, const char *what)
{
	static int logged;

	if (logged)
		return;
	logged = 1;
	log_event(LOG_WARNING, "penalty_unavailable", "file", path, "reason",
	    what, "fallback", "LOGIN_FAIL_DELAY", NULL);
}

static void
problem_errno(const char *path, const char *what)
{
	char b[256];

	snprintf(b, sizeof(b), "%s: %s", what, strerror(errno));
	problem(path, b);
}

/* Write a new, empty file and link (or, with replace, rename) it into
 * place. 0, or -1 (logged). */
static int
create_file(const char *path, int replace)
{
	unsigned char h[PENALTY_HEADER];
	struct buf tmp = BUF_INIT;
	int fd, rc = -1;

	memset(h, 0, sizeof(h));
	memcpy(h, MAGIC, 16);
	be32_put(h + 16, VERSION);
	be32_put(h + 20, PENALTY_BUCKETS);
	be32_put(h + 24, PENALTY_WAYS);
	be32_put(h + 28, PENALTY_SLOT);
	if (RAND_bytes(h + 32, KEY_LEN) != 1) {
		problem(path, "no random bytes for the key");
		return -1;
	}
	buf_printf(&tmp, "%s.new.%ld", path, (long)getpid());
	(void)unlink(tmp.data);
	fd = open(tmp.data, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd < 0) {
		problem_errno(path, "cannot create");
		goto out;
	}
	if (pwrite(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    ftruncate(fd, FILE_SIZE) < 0) {
		problem_errno(path, "cannot write");
		goto out;
	}
	if (replace ? rename(tmp.data, path) : link(tmp.data, path)) {
		if (replace || errno != EEXIST) {
			problem_errno(path, "cannot put in place");
			goto out;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	(void)unlink(tmp.data);
	explicit_bzero(h, sizeof(h));
	buf_free(&tmp);
	return rc;
}

/* Check the header of an open file and take its key. 1 good, 0 not a
 * penalty file of this version, -1 I/O error. */
static int
check_header(struct pfile *pf)
{
	unsigned char h[PENALTY_HEADER];
	struct stat st;
	ssize_t n;

	if (fstat(pf->fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode))
		return 0;
	n = pread(pf->fd, h, sizeof(h), 0);
	if (n < 0)
		return -1;
	if (n != (ssize_t)sizeof(h) || st.st_size != FILE_SIZE ||
	    memcmp(h, MAGIC, 16) != 0 || be32_get(h + 16) != VERSION ||
	    be32_get(h + 20) != PENALTY_BUCKETS ||
	    be32_get(h + 24) != PENALTY_WAYS ||
	    be32_get(h + 28) != PENALTY_SLOT)
		return 0;
	memcpy(pf->key, h + 32, KEY_LEN);
	explicit_bzero(h, sizeof(h));
	return 1;
}

/* Open the penalty file, creating it (create) or replacing a corrupt
 * one. 1 open, 0 it does not exist (and !create), -1 unusable. */
static int
pfile_open(struct store *s, int create, struct pfile *pf)
{
	struct buf path = BUF_INIT;
	int tries, r = -1;

	pf->fd = -1;
	store_db_path(s, FILE_NAME, &path);
	for (tries = 0; tries < 3; tries++) {
		pf->fd = open(path.data, O_RDWR | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK);
		if (pf->fd < 0 && errno == ENOENT) {
			if (!create) {
				r = 0;
				break;
			}
			if (create_file(path.data, 0) < 0)
				break;
			continue;
		}
		if (pf->fd < 0) {
			problem_errno(path.data, "cannot open");
			break;
		}
		r = check_header(pf);
		if (r == 1)
			break;
		close(pf->fd);
		pf->fd = -1;
		if (r < 0) {
			problem_errno(path.data, "cannot read");
			break;
		}
		/* Not ours, or damaged: start again with an empty one. */
		problem(path.data, "corrupt file replaced");
		r = -1;
		if (!create || create_file(path.data, 1) < 0)
			break;
	}
	if (r != 1 && pf->fd >= 0) {
		close(pf->fd);
		pf->fd = -1;
	}
	buf_free(&path);
	return r;
}

static void
pfile_close(struct pfile *pf)
{
	if (pf->fd >= 0)
		close(pf->fd);
	pf->fd = -1;
	explicit_bzero(pf->key, sizeof(pf->key));
}

/* Lock (type F_WRLCK, F_RDLCK) or unlock (F_UNLCK) one bucket. Waits
 * about a second at most: 0, or -1. */
static int
lock_bucket(int fd, uint32_t bucket, short type)
{
	struct flock fl;
	struct timespec ms = { 0, 1000000 };
	int i;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = PENALTY_HEADER + (off_t)bucket * BUCKET_BYTES;
	fl.l_len = BUCKET_BYTES;
	for (i = 0; i < LOCK_TRIES; i++) {
		if (fcntl(fd, F_SETLK, &fl) == 0)
			return 0;
		if (errno != EACCES && errno != EAGAIN && errno != EINTR)
			return -1;
		if (type == F_UNLCK)
			return -1;
		nanosleep(&ms, NULL);
	}
	return -1;
}

/* The normal form of an address: IPv6 by its /64, IPv4-mapped as IPv4. */
static void
addr_value(const char *addr, struct buf *out)
{
	unsigned char a6[16];

	if (inet_pton(AF_INET6, addr, a6) == 1) {
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0, 0xff, 0xff };

		if (memcmp(a6, mapped, sizeof(mapped)) == 0) {
			buf_printf(out, "4:%u.%u.%u.%u", a6[12], a6[13], a6[14],
			    a6[15]);
			return;
		}
		buf_puts(out, "6:");
		buf_append(out, (const char *)a6, 8);
		return;
	}
	buf_puts(out, "4:");
	buf_append(out, addr, strnlen(addr, VALUE_MAX));
}

/* The tag and bucket of a key. */
static void
key_of(const struct pfile *pf, enum penalty_kind kind, const char *value,
    uint64_t *tag_r, uint32_t *bucket_r)
{
	struct buf v = BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (kind == PENALTY_ADDR) {
		buf_putc(&v, 'a');
		addr_value(value, &v);
	} else {
		buf_putc(&v, 'u');
		buf_append(&v, value, strnlen(value, VALUE_MAX));
	}
	memset(md, 0, sizeof(md));
	(void)HMAC(EVP_sha256(), pf->key, KEY_LEN, (unsigned char *)v.data,
	    v.len, md, &len);
	*tag_r = be64_get(md);
	if (*tag_r == 0)
		*tag_r = 1;
	*bucket_r = be32_get(md + 8) % PENALTY_BUCKETS;
	buf_free(&v);
}

static void
slot_decode(const unsigned char *p, struct slot *sl)
{
	sl->tag = be64_get(p);
	sl->last = (int64_t)be64_get(p + 8);
	sl->count = be32_get(p + 16);
	/* A damaged slot is an empty one. */
	if (sl->tag != 0 && crc32c(p, 20) != be32_get(p + 20))
		sl->tag = 0;
	if (sl->tag == 0) {
		sl->last = 0;
		sl->count = 0;
	}
}

static void
slot_encode(const struct slot *sl, unsigned char *p)
{
	be64_put(p, sl->tag);
	be64_put(p + 8, (uint64_t)sl->last);
	be32_put(p + 16, sl->count);
	be32_put(p + 20, crc32c(p, 20));
}

/* count halved once per decay seconds since last. */
static uint32_t
decayed(const struct slot *sl, time_t now, uint64_t decay)
{
	uint64_t halvings;

	if (sl->tag == 0 || sl->count == 0)
		return 0;
	if ((int64_t)now <= sl->last || decay == 0)
		return sl->count;
	halvings = ((uint64_t)((int64_t)now - sl->last)) / decay;
	return halvings >= 32 ? 0 : sl->count >> halvings;
}

enum op { OP_FAIL, OP_CLEAR, OP_READ };

/*
 * Apply op to one key under its bucket's lock. OP_FAIL: the new count;
 * OP_CLEAR: 0; OP_READ: the decayed count. -1 on an I/O or lock error.
 */
static long
update(struct pfile *pf, enum penalty_kind kind, const char *value,
    enum op op, time_t now, uint64_t decay)
{
	unsigned char b[BUCKET_BYTES];
	struct slot sl[PENALTY_WAYS];
	uint64_t tag;
	uint32_t bucket, c;
	off_t off;
	long r = -1;
	int i, pick = -1;

	key_of(pf, kind, value, &tag, &bucket);
	off = PENALTY_HEADER + (off_t)bucket * BUCKET_BYTES;
	if (lock_bucket(pf->fd, bucket, op == OP_READ ? F_RDLCK : F_WRLCK) < 0)
		return -1;
	if (pread(pf->fd, b, sizeof(b), off) != (ssize_t)sizeof(b))
		goto out;
	for (i = 0; i < PENALTY_WAYS; i++) {
		slot_decode(b + i * PENALTY_SLOT, &sl[i]);
		if (sl[i].tag == tag)
			pick = i;
	}
	if (op == OP_READ) {
		r = pick < 0 ? 0 : (long)decayed(&sl[pick], now, decay);
		goto out;
	}
	if (op == OP_CLEAR) {
		r = 0;
		if (pick < 0)
			goto out;
		memset(&sl[pick], 0, sizeof(sl[pick]));
		memset(b + pick * PENALTY_SLOT, 0, PENALTY_SLOT);
	} else {
		if (pick < 0) {
			/* The emptiest slot: the lowest count, then the oldest. */
			for (pick = 0, i = 1; i < PENALTY_WAYS; i++) {
				c = decayed(&sl[i], now, decay);
				if (c < decayed(&sl[pick], now, decay) ||
				    (c == decayed(&sl[pick], now, decay) &&
				    sl[i].last < sl[pick].last))
					pick = i;
			}
			memset(&sl[pick], 0, sizeof(sl[pick]));
			sl[pick].tag = tag;
		}
		c = decayed(&sl[pick], now, decay);
		sl[pick].count = c < COUNT_MAX ? c + 1 : COUNT_MAX;
		sl[pick].last = (int64_t)now;
		slot_encode(&sl[pick], b + pick * PENALTY_SLOT);
		r = (long)sl[pick].count;
	}
	if (pwrite(pf->fd, b + pick * PENALTY_SLOT, PENALTY_SLOT,
	    off + pick * PENALTY_SLOT) != PENALTY_SLOT)
		r = -1;
out:
	(void)lock_bucket(pf->fd, bucket, F_UNLCK);
	explicit_bzero(b, sizeof(b));
	return r;
}

uint64_t
penalty_delay(uint64_t base, uint64_t cap, uint64_t n)
{
	uint64_t shift;

	if (base == 0 || n == 0)
		return 0;
	if (cap < base)
		cap = base;
	shift = n - 1;
	if (shift >= 63 || base > (cap >> shift))
		return cap;
	return base << shift;
}

uint64_t
penalty_fail_at(struct store *s, const char *addr, const char *account,
    time_t now)
{
	const struct conf *c;
	struct pfile pf;
	long n, most = 0;

	if (s == NULL)
		return 0;
	c = s->conf;
	if (c->login_fail_delay == 0)
		return 0;
	if (pfile_open(s, 1, &pf) != 1)
		return c->login_fail_delay;
	n = update(&pf, PENALTY_ADDR, addr ? addr : "", OP_FAIL, now,
	    c->login_fail_decay);
	if (n >= 0 && account && account[0]) {
		struct buf canon = BUF_INIT;

		/* One count per account however the name was typed. */
		most = n;
		if (strnlen(account, VALUE_MAX + 1) > VALUE_MAX ||
		    name_canon(c, "", account, &canon, NULL) < 0) {
			buf_reset(&canon);
			buf_puts(&canon, account);
		}
		n = update(&pf, PENALTY_ACCOUNT, canon.data, OP_FAIL, now,
		    c->login_fail_decay);
		buf_free(&canon);
	}
	pfile_close(&pf);
	if (n < 0) {
		problem(s->dir, "penalty file lock or I/O failed");
		return c->login_fail_delay;
	}
	if (n > most)
		most = n;
	return penalty_delay(c->login_fail_delay, c->login_fail_delay_max,
	    (uint64_t)most);
}

void
penalty_ok_at(struct store *s, const char *addr, const char *account,
    time_t now)
{
	struct pfile pf;

	(void)account;	/* the account's count decays on its own */
	if (s == NULL || s->conf->login_fail_delay == 0 ||
	    pfile_open(s, 0, &pf) != 1)
		return;
	(void)update(&pf, PENALTY_ADDR, addr ? addr : "", OP_CLEAR, now,
	    s->conf->login_fail_decay);
	pfile_close(&pf);
}

long
penalty_count(struct store *s, enum penalty_kind kind, const char *value,
    time_t now)
{
	struct pfile pf;
	long n;
	int r = pfile_open(s, 0, &pf);

	if (r <= 0)
		return r;
	n = update(&pf, kind, value ? value : "", OP_READ, now,
	    s->conf->login_fail_decay);
	pfile_close(&pf);
	return n;
}

void
penalty_sleep(uint64_t secs)
{
	struct timespec ts, left;

	if (secs == 0)
		return;
	ts.tv_sec = (time_t)secs;
	ts.tv_nsec = 0;
	while (nanosleep(&ts, &left) < 0 && errno == EINTR)
		ts = left;
}

void
penalty_login_failed(const struct conf *conf, struct store *s,
    const char *addr, const char *account)
{
	penalty_sleep(s ? penalty_fail_at(s, addr, account, time(NULL)) :
	    conf->login_fail_delay);
}

void
penalty_login_ok(struct store *s, const char *addr, const char *account)
{
	penalty_ok_at(s, addr, account, time(NULL));
}
