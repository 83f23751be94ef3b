/*
 * NAME
 *	passwd - stored password hashes: create, verify, upgrade, rules
 * SYNOPSIS
 *	#include "passwd.h"
 * DESCRIPTION
 *	A profile never holds a password, only a salted, slow, versioned
 *	hash string. The primary scheme is a SCRAM-SHA-256 verifier
 *	(RFC 5802, RFC 7677), so one stored string both checks plaintext
 *	logins (USER/PASS, IMAP LOGIN, SASL PLAIN and LOGIN) and lets the
 *	SCRAM-SHA-256 mechanism run without any plaintext on the server:
 *
 *	    $scram-sha-256$v=1$i=ITER$SALT$STOREDKEY$SERVERKEY
 *
 *	    ITER	PBKDF2 iteration count, decimal, 1 to 10000000
 *			(new hashes use PASSWORD_ITERATIONS, at least 4096)
 *	    SALT	random salt, standard base64 with padding
 *			(8 to 64 bytes; new hashes use 16)
 *	    STOREDKEY	base64 of SHA-256(HMAC(SaltedPassword, "Client Key"))
 *	    SERVERKEY	base64 of HMAC(SaltedPassword, "Server Key")
 *
 *	where SaltedPassword = PBKDF2-HMAC-SHA-256(prep(password), SALT,
 *	ITER, 32 bytes), the "Hi()" of RFC 5802. "v=1" is the version of
 *	this layout; a later scheme gets a new tag or version, and
 *	passwd_needs_upgrade() tells the caller to rehash on the next
 *	successful plaintext login.
 *
 *	prep() is the part of SASLprep (RFC 4013) that needs no Unicode
 *	tables: a password of printable ASCII is used as is (SASLprep is the
 *	identity there). In a valid UTF-8 password, the non-ASCII spaces of
 *	RFC 3454 table C.1.2 become U+0020 and the "mapped to nothing"
 *	characters of table B.1 (soft hyphen, zero-width joiners, variation
 *	selectors, U+FEFF) are removed. NFKC normalisation is NOT applied,
 *	so a password whose NFKC form differs from its bytes (fullwidth
 *	forms, ligatures, decomposed accents) works for plaintext logins and
 *	for SCRAM clients that do not normalise (Cyrus SASL's client does
 *	not), but not for SCRAM clients that apply full SASLprep. Bytes that
 *	are not valid UTF-8 are used unchanged. Prohibited characters are
 *	refused when a password is set (passwd_check_new), not when checked.
 *
 *	For migration from /etc/shadow, crypt(3) strings are accepted for
 *	verification only: $1$ (MD5), $5$ (SHA-256), $6$ (SHA-512), $y$
 *	and $gy$ (yescrypt), $7$ (scrypt), $2a$/$2b$/$2y$ (bcrypt), checked
 *	with libcrypt's crypt_rn() on the password's raw bytes. DES and
 *	other schemes are refused. Such a hash cannot serve SCRAM and always
 *	needs an upgrade.
 *
 *	The base64 helpers are the strict codec of the stored formats
 *	(passwd and secret): canonical standard base64 with padding only.
 * MEMORY
 *	Returned strings are allocated; the caller frees them with free().
 *	*why_r, when set, is allocated, never contains the password, and
 *	the caller frees it. Every intermediate key is wiped.
 * ERRORS
 *	-1 means the input is malformed or a crypto primitive failed; a
 *	wrong password is not an error (passwd_verify returns 0).
 */
#ifndef POPSTORE_PASSWD_H
#define POPSTORE_PASSWD_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define PASSWD_MIN_ITERATIONS	4096
#define PASSWD_MAX_ITERATIONS	10000000
#define PASSWD_KEY_LEN		32	/* SHA-256 output */
#define PASSWD_SALT_LEN		16	/* salt of new hashes */
#define PASSWD_SALT_MIN		8
#define PASSWD_SALT_MAX		64
#define PASSWD_MAX_LEN		1024	/* longest password, bytes */
#define PASSWD_HASH_MAX		512	/* longest hash string accepted */

enum passwd_scheme {
	PASSWD_SCHEME_UNKNOWN,
	PASSWD_SCHEME_SCRAM,		/* $scram-sha-256$v=1$... */
	PASSWD_SCHEME_CRYPT		/* a crypt(3) string, verify only */
};

/* A parsed SCRAM-SHA-256 verifier. */
struct passwd_scram {
	uint64_t	 iterations;
	unsigned char	 salt[PASSWD_SALT_MAX];
	size_t		 salt_len;
	unsigned char	 stored_key[PASSWD_KEY_LEN];
	unsigned char	 server_key[PASSWD_KEY_LEN];
};

/*
 * Hash password (a C string of at most PASSWD_MAX_LEN bytes) with a
 * fresh random salt and the given iteration count
 * (PASSWD_MIN_ITERATIONS..PASSWD_MAX_ITERATIONS). Returns the hash
 * string, or NULL with *why_r set.
 */
char *passwd_hash(const char *password, uint64_t iterations, char **why_r);

/*
 * Check password against a stored hash. Returns 1 when it matches, 0
 * when it does not, -1 with *why_r set when the hash is malformed or of
 * an unsupported scheme (a locked shadow entry such as "!..." or "*"
 * is such a hash). The comparison is constant-time.
 */
int passwd_verify(const char *hash, const char *password, char **why_r);

/*
 * Whether a successful plaintext login should store a new hash: 1 for
 * a legacy or unknown scheme, a malformed hash, or fewer iterations than
 * wanted; 0 otherwise.
 */
int passwd_needs_upgrade(const char *hash, uint64_t iterations);

/* The scheme of a hash string, judged by its prefix only. */
enum passwd_scheme passwd_scheme(const char *hash);

/*
 * Parse a SCRAM-SHA-256 hash. Returns 1 and fills *scram_r, 0 when hash
 * is of another scheme, -1 when it claims to be SCRAM but is malformed.
 */
int passwd_scram_parse(const char *hash, struct passwd_scram *scram_r);

/* Format a verifier as a hash string (never fails). */
char *passwd_scram_format(const struct passwd_scram *scram);

/*
 * Derive StoredKey and ServerKey from a password, as a SCRAM-SHA-256
 * server would store them (prep() is applied to password first).
 * Returns 0, or -1 for bad arguments or a crypto failure.
 */
int passwd_scram_keys(const char *password, const unsigned char *salt,
    size_t salt_len, uint64_t iterations,
    unsigned char stored_key_r[PASSWD_KEY_LEN],
    unsigned char server_key_r[PASSWD_KEY_LEN]);

/*
 * A well-formed SCRAM hash of random keys with the given iteration
 * count (clamped to the valid range), matching no password. Verifying
 * against it costs what a real hash costs, so an unknown user takes as
 * long as a wrong password. Cheap to make: no key derivation.
 */
char *passwd_dummy(uint64_t iterations);

/*
 * Append prep(password) (see DESCRIPTION) to out. The caller wipes out
 * with buf_free_secret().
 */
void passwd_prep(const char *password, struct buf *out);

/*
 * Rules for a new password: at least min_length characters (UTF-8 code
 * points), at most PASSWD_MAX_LEN bytes, valid UTF-8 without control
 * characters, not one character repeated, not equal to the user name and
 * not containing it (ASCII case-insensitive; "containing" is checked for
 * names of 3 or more characters, and also for the part before '@' of a
 * name with a domain). user may be NULL or "". Returns 0 when acceptable,
 * -1 with *why_r set to a sentence for the user.
 */
int passwd_check_new(const char *user, const char *password,
    uint64_t min_length, char **why_r);

/* Append the standard base64 of p[0..len) to out. */
void passwd_b64_encode(struct buf *out, const void *p, size_t len);

/*
 * Decode canonical base64 s[0..len) and append the bytes to out.
 * Returns 0, or -1 (out unchanged) for anything but canonical padded
 * standard base64. Empty input decodes to nothing.
 */
int passwd_b64_decode(struct buf *out, const char *s, size_t len);

#endif
