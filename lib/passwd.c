/* passwd - stored password hashes; see passwd.h. */
#include <crypt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "buf.h"
#include "file.h"
#include "mem.h"
#include "num.h"
#include "passwd.h"

#define SCRAM_PREFIX	"$scram-sha-256$"
#define SCRAM_V1	SCRAM_PREFIX "v=1$i="
#define B64_CHUNK	768		/* input bytes per EVP_EncodeBlock call */

/* crypt(3) prefixes accepted for verification (see passwd.h). */
static const char *const crypt_prefixes[] = {
	"$1$", "$5$", "$6$", "$y$", "$gy$", "$7$", "$2a$", "$2b$", "$2y$",
	NULL
};

/*
 * Decode one UTF-8 sequence of s[0..len), len > 0. Returns the code
 * point and its length in *n_r, or -1 for anything that is not valid
 * UTF-8 (overlong forms, surrogates and values past U+10FFFF included).
 */
static long
utf8_next(const unsigned char *s, size_t len, size_t *n_r)
{
	unsigned long cp;
	size_t n, i;

	if (s[0] < 0x80) {
		*n_r = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return -1;
	if (len < n)
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*n_r = n;
	return (long)cp;
}

/* Number of code points of s[0..len), or -1 if it is not valid UTF-8. */
static long
utf8_count(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	long count = 0;

	while (len > 0) {
		if (utf8_next(p, len, &n) < 0)
			return -1;
		p += n;
		len -= n;
		count++;
	}
	return count;
}

/* RFC 3454 table C.1.2, non-ASCII space characters. */
static int
is_nonascii_space(long cp)
{
	return cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200b) ||
	    cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* RFC 3454 table B.1, commonly mapped to nothing. */
static int
is_mapped_to_nothing(long cp)
{
	return cp == 0xad || cp == 0x34f || cp == 0x1806 ||
	    (cp >= 0x180b && cp <= 0x180d) || (cp >= 0x200b && cp <= 0x200d) ||
	    cp == 0x2060 || (cp >= 0xfe00 && cp <= 0xfe0f) || cp == 0xfeff;
}

void
passwd_prep(const char *password, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)password;
	size_t len = strlen(password), n;
	long cp, chars = utf8_count(password, len);

	/* ASCII, or not UTF-8 at all: nothing to map. */
	if (chars < 0 || chars == (long)len) {
		buf_append(out, password, len);
		return;
	}
	while (len > 0) {
		cp = utf8_next(p, len, &n);
		if (is_nonascii_space(cp))
			buf_putc(out, ' ');
		else if (!is_mapped_to_nothing(cp))
			buf_append(out, p, n);
		p += n;
		len -= n;
	}
}

void
passwd_b64_encode(struct buf *out, const void *p, size_t len)
{
	const unsigned char *in = p;
	size_t n;
	int w;

	while (len > 0) {
		n = len < B64_CHUNK ? len : B64_CHUNK;
		buf_reserve(out, (n + 2) / 3 * 4);
		w = EVP_EncodeBlock((unsigned char *)out->data + out->len, in,
		    (int)n);
		out->len += (size_t)w;
		in += n;
		len -= n;
	}
	if (out->data)
		out->data[out->len] = '\0';
}

int
passwd_b64_decode(struct buf *out, const char *s, size_t len)
{
	struct buf check = BUF_INIT;
	size_t start = out->len, n, pad;
	int r, ok;

	if (len == 0)
		return 0;
	if (len % 4 != 0 || len > INT_MAX / 2)
		return -1;
	pad = s[len - 1] == '=' ? (s[len - 2] == '=' ? 2 : 1) : 0;
	n = len / 4 * 3;
	buf_reserve(out, n);
	r = EVP_DecodeBlock((unsigned char *)out->data + start,
	    (const unsigned char *)s, (int)len);
	ok = r >= 0 && (size_t)r == n;
	if (ok) {
		passwd_b64_encode(&check, out->data + start, n - pad);
		ok = check.len == len && memcmp(check.data, s, len) == 0;
		buf_free(&check);
	}
	if (!ok) {
		explicit_bzero(out->data + start, n);
		out->data[start] = '\0';
		return -1;
	}
	out->len = start + n - pad;
	out->data[out->len] = '\0';
	return 0;
}

int
passwd_scram_keys(const char *password, const unsigned char *salt,
    size_t salt_len, uint64_t iterations,
    unsigned char stored_key_r[PASSWD_KEY_LEN],
    unsigned char server_key_r[PASSWD_KEY_LEN])
{
	struct buf pw = BUF_INIT;
	unsigned char salted[PASSWD_KEY_LEN], client[PASSWD_KEY_LEN];
	const EVP_MD *md = EVP_sha256();
	unsigned int len;
	int ok;

	if (password == NULL || salt == NULL || salt_len == 0 ||
	    salt_len > PASSWD_SALT_MAX || iterations < 1 ||
	    iterations > PASSWD_MAX_ITERATIONS ||
	    strlen(password) > PASSWD_MAX_LEN)
		return -1;
	passwd_prep(password, &pw);
	ok = PKCS5_PBKDF2_HMAC(pw.len ? pw.data : "", (int)pw.len, salt,
	    (int)salt_len, (int)iterations, md, PASSWD_KEY_LEN, salted) == 1 &&
	    HMAC(md, salted, PASSWD_KEY_LEN, (const unsigned char *)"Client Key",
	    10, client, &len) != NULL &&
	    EVP_Digest(client, PASSWD_KEY_LEN, stored_key_r, NULL, md,
	    NULL) == 1 &&
	    HMAC(md, salted, PASSWD_KEY_LEN, (const unsigned char *)"Server Key",
	    10, server_key_r, &len) != NULL;
	explicit_bzero(salted, sizeof(salted));
	explicit_bzero(client, sizeof(client));
	buf_free_secret(&pw);
	return ok ? 0 : -1;
}

enum passwd_scheme
passwd_scheme(const char *hash)
{
	size_t i;

	if (hash == NULL)
		return PASSWD_SCHEME_UNKNOWN;
	if (strncmp(hash, SCRAM_PREFIX, strlen(SCRAM_PREFIX)) == 0)
		return PASSWD_SCHEME_SCRAM;
	for (i = 0; crypt_prefixes[i]; i++)
		if (strncmp(hash, crypt_prefixes[i],
		    strlen(crypt_prefixes[i])) == 0)
			return PASSWD_SCHEME_CRYPT;
	return PASSWD_SCHEME_UNKNOWN;
}

/* Decode base64 field f[0..len) into dst, which must get min..max bytes. */
static int
decode_field(const char *f, size_t len, unsigned char *dst, size_t min,
    size_t max, size_t *n_r)
{
	struct buf b = BUF_INIT;
	int ok;

	ok = passwd_b64_decode(&b, f, len) == 0 && b.len >= min && b.len <= max;
	if (ok) {
		memcpy(dst, b.data, b.len);
		*n_r = b.len;
	}
	buf_free(&b);
	return ok ? 0 : -1;
}

int
passwd_scram_parse(const char *hash, struct passwd_scram *scram_r)
{
	const char *f[4], *end;
	size_t flen[4], i, n;

	if (passwd_scheme(hash) != PASSWD_SCHEME_SCRAM)
		return 0;
	if (strlen(hash) > PASSWD_HASH_MAX ||
	    strncmp(hash, SCRAM_V1, strlen(SCRAM_V1)) != 0)
		return -1;
	f[0] = hash + strlen(SCRAM_V1);
	for (i = 0; i < 4; i++) {
		if (i > 0)
			f[i] = f[i - 1] + flen[i - 1] + 1;
		end = strchr(f[i], '$');
		if ((end != NULL) != (i < 3))
			return -1;
		flen[i] = end ? (size_t)(end - f[i]) : strlen(f[i]);
	}
	memset(scram_r, 0, sizeof(*scram_r));
	if ((flen[0] > 1 && f[0][0] == '0') ||
	    num_parse_u64n(f[0], flen[0], PASSWD_MAX_ITERATIONS,
	    &scram_r->iterations) < 0 || scram_r->iterations < 1)
		return -1;
	if (decode_field(f[1], flen[1], scram_r->salt, PASSWD_SALT_MIN,
	    PASSWD_SALT_MAX, &scram_r->salt_len) < 0 ||
	    decode_field(f[2], flen[2], scram_r->stored_key, PASSWD_KEY_LEN,
	    PASSWD_KEY_LEN, &n) < 0 ||
	    decode_field(f[3], flen[3], scram_r->server_key, PASSWD_KEY_LEN,
	    PASSWD_KEY_LEN, &n) < 0)
		return -1;
	return 1;
}

char *
passwd_scram_format(const struct passwd_scram *scram)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, SCRAM_V1 "%" PRIu64 "$", scram->iterations);
	passwd_b64_encode(&b, scram->salt, scram->salt_len);
	buf_putc(&b, '$');
	passwd_b64_encode(&b, scram->stored_key, PASSWD_KEY_LEN);
	buf_putc(&b, '$');
	passwd_b64_encode(&b, scram->server_key, PASSWD_KEY_LEN);
	return buf_steal(&b);
}

/* Constant-time check of password against a parsed verifier. */
static int
scram_check(const struct passwd_scram *scram, const char *password,
    char **why_r)
{
	unsigned char stored[PASSWD_KEY_LEN], server[PASSWD_KEY_LEN];
	int diff;

	if (strlen(password) > PASSWD_MAX_LEN)
		return 0;
	if (passwd_scram_keys(password, scram->salt, scram->salt_len,
	    scram->iterations, stored, server) < 0) {
		file_whyf(why_r, "SCRAM-SHA-256 key derivation failed");
		return -1;
	}
	diff = CRYPTO_memcmp(stored, scram->stored_key, PASSWD_KEY_LEN) |
	    CRYPTO_memcmp(server, scram->server_key, PASSWD_KEY_LEN);
	explicit_bzero(stored, sizeof(stored));
	explicit_bzero(server, sizeof(server));
	return diff == 0;
}

/* Check password against a crypt(3) string with libcrypt. */
static int
crypt_check(const char *hash, const char *password, char **why_r)
{
	struct crypt_data *cd;
	const char *out;
	size_t len = strlen(hash);
	int r;

	if (len > PASSWD_HASH_MAX) {
		file_whyf(why_r, "crypt(3) hash too long");
		return -1;
	}
	cd = mem_zalloc(1, sizeof(*cd));
	out = crypt_rn(password, hash, cd, (int)sizeof(*cd));
	/* A complete hash yields output of its own length, right or wrong. */
	if (out == NULL || out[0] == '*' || strlen(out) != len) {
		file_whyf(why_r, "crypt(3) cannot use this hash");
		r = -1;
	} else {
		r = CRYPTO_memcmp(out, hash, len) == 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return r;
}

int
passwd_verify(const char *hash, const char *password, char **why_r)
{
	struct passwd_scram scram;

	if (hash == NULL || password == NULL) {
		file_whyf(why_r, "no password hash");
		return -1;
	}
	switch (passwd_scheme(hash)) {
	case PASSWD_SCHEME_SCRAM:
		if (passwd_scram_parse(hash, &scram) != 1) {
			file_whyf(why_r, "malformed SCRAM-SHA-256 hash");
			return -1;
		}
		return scram_check(&scram, password, why_r);
	case PASSWD_SCHEME_CRYPT:
		return crypt_check(hash, password, why_r);
	default:
		file_whyf(why_r, "unsupported password hash scheme");
		return -1;
	}
}

int
passwd_needs_upgrade(const char *hash, uint64_t iterations)
{
	struct passwd_scram scram;

	if (passwd_scram_parse(hash, &scram) != 1)
		return 1;
	return scram.iterations < iterations;
}

char *
passwd_hash(const char *password, uint64_t iterations, char **why_r)
{
	struct passwd_scram scram;
	char *hash = NULL;

	memset(&scram, 0, sizeof(scram));
	if (password == NULL || strlen(password) > PASSWD_MAX_LEN)
		file_whyf(why_r, "password longer than %d bytes", PASSWD_MAX_LEN);
	else if (iterations < PASSWD_MIN_ITERATIONS ||
	    iterations > PASSWD_MAX_ITERATIONS)
		file_whyf(why_r, "iteration count %" PRIu64 " not in %d..%d",
		    iterations, PASSWD_MIN_ITERATIONS, PASSWD_MAX_ITERATIONS);
	else if (RAND_bytes(scram.salt, PASSWD_SALT_LEN) != 1)
		file_whyf(why_r, "no random bytes for the salt");
	else if (passwd_scram_keys(password, scram.salt, PASSWD_SALT_LEN,
	    iterations, scram.stored_key, scram.server_key) < 0)
		file_whyf(why_r, "SCRAM-SHA-256 key derivation failed");
	else {
		scram.iterations = iterations;
		scram.salt_len = PASSWD_SALT_LEN;
		hash = passwd_scram_format(&scram);
	}
	explicit_bzero(&scram, sizeof(scram));
	return hash;
}

char *
passwd_dummy(uint64_t iterations)
{
	struct passwd_scram scram;

	memset(&scram, 0, sizeof(scram));
	if (iterations < PASSWD_MIN_ITERATIONS)
		iterations = PASSWD_MIN_ITERATIONS;
	if (iterations > PASSWD_MAX_ITERATIONS)
		iterations = PASSWD_MAX_ITERATIONS;
	scram.iterations = iterations;
	scram.salt_len = PASSWD_SALT_LEN;
	/*
	 * Zero keys on RNG failure still cost a full derivation to check.
	 * Every session makes one: from the kernel, so that a session that
	 * never needs OpenSSL's random generator does not start it.
	 */
	if (getrandom(scram.salt, PASSWD_SALT_LEN, 0) != PASSWD_SALT_LEN ||
	    getrandom(scram.stored_key, PASSWD_KEY_LEN, 0) != PASSWD_KEY_LEN ||
	    getrandom(scram.server_key, PASSWD_KEY_LEN, 0) != PASSWD_KEY_LEN)
		memset(scram.stored_key, 0, PASSWD_KEY_LEN);
	return passwd_scram_format(&scram);
}

/* Whether s[0..len) holds a C0 or C1 control character or DEL. */
static int
has_control(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	long cp;

	while (len > 0) {
		cp = utf8_next(p, len, &n);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return 1;
		p += n;
		len -= n;
	}
	return 0;
}

/* Whether every code point of the (valid UTF-8) s is the same. */
static int
all_same(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t first, n;

	if (len == 0 || utf8_next(p, len, &first) < 0)
		return 0;
	for (n = first; n < len; n += first)
		if (len - n < first || memcmp(p + n, p, first) != 0)
			return 0;
	return 1;
}

/* Case-insensitive (ASCII) substring test of name in password. */
static int
contains_name(const char *password, const char *name, size_t name_len)
{
	size_t plen = strlen(password), i;

	for (i = 0; name_len > 0 && i + name_len <= plen; i++)
		if (strncasecmp(password + i, name, name_len) == 0)
			return 1;
	return 0;
}

int
passwd_check_new(const char *user, const char *password, uint64_t min_length,
    char **why_r)
{
	size_t len = strlen(password), ulen = user ? strlen(user) : 0;
	const char *at = user ? strchr(user, '@') : NULL;
	long chars = utf8_count(password, len);

	if (len > PASSWD_MAX_LEN)
		file_whyf(why_r, "The password must not be longer than %d bytes.",
		    PASSWD_MAX_LEN);
	else if (chars < 0)
		file_whyf(why_r, "The password is not valid UTF-8 text.");
	else if (has_control(password, len))
		file_whyf(why_r, "The password must not contain control characters.");
	else if (len == 0 || (uint64_t)chars < min_length)
		file_whyf(why_r, "The password must be at least %" PRIu64
		    " characters long.", min_length ? min_length : 1);
	else if (chars > 1 && all_same(password, len))
		file_whyf(why_r, "The password must not be one character repeated.");
	else if (ulen > 0 && strcasecmp(password, user) == 0)
		file_whyf(why_r, "The password must not be the user name.");
	else if ((ulen >= 3 && contains_name(password, user, ulen)) ||
	    (at && at - user >= 3 &&
	    contains_name(password, user, (size_t)(at - user))))
		file_whyf(why_r, "The password must not contain the user name.");
	else
		return 0;
	return -1;
}
