/*
 * NAME
 *	secret - the encrypted APOP/CRAM-MD5 secret, and APOP itself
 * SYNOPSIS
 *	#include "secret.h"
 * DESCRIPTION
 *	APOP (RFC 1939) and CRAM-MD5 (RFC 2195) need a plaintext-equivalent
 *	secret on the server. They are off unless the site sets
 *	APOP_CRAM_MD5=1; then the secret (the account's password, captured
 *	when it is set or at the next plaintext login) is kept in the
 *	profile encrypted, never in the clear:
 *
 *	    $aes-256-gcm$v=1$NONCE$SEALED
 *
 *	    NONCE	12 random bytes, standard base64 (16 characters)
 *	    SEALED	AES-256-GCM ciphertext followed by the 16-byte tag,
 *			standard base64 with padding
 *
 *	The associated data is the 19 bytes "popstore-secret-v1" and a NUL,
 *	followed by the account name, so a value copied into another
 *	account's profile does not decrypt. "v=1" versions the layout. The
 *	secret is at most SECRET_MAX_LEN bytes, so the text is at most
 *	SECRET_TEXT_MAX characters.
 *
 *	The key is the site key file (SECRET_KEY_FILE; STORE_DIR/etc/
 *	secret.key when that option is empty): exactly SECRET_KEY_LEN
 *	random bytes, a regular file that neither group nor others may
 *	access. Losing the file loses the secrets (not the passwords):
 *	APOP and CRAM-MD5 then fail until each user's next plaintext login
 *	or password change stores a new secret.
 *
 *	The APOP helpers compute and check MD5(timestamp secret) in
 *	lowercase hex, and make the greeting's timestamp.
 * MEMORY
 *	Decrypted secrets and returned strings are allocated; free a secret
 *	with mem_free_secret(), other strings with free(). A struct
 *	secret_key lives where the caller puts it and is wiped with
 *	secret_key_wipe(). Every internal plaintext buffer is wiped.
 * ERRORS
 *	-1 or NULL with *why_r set (allocated, caller frees; never holds
 *	key or secret bytes).
 */
#ifndef POPSTORE_SECRET_H
#define POPSTORE_SECRET_H

#include <stddef.h>

#define SECRET_KEY_LEN		32
#define SECRET_NONCE_LEN	12
#define SECRET_TAG_LEN		16
#define SECRET_MAX_LEN		128	/* longest secret, bytes */
#define SECRET_TEXT_MAX		226	/* longest encrypted text */
#define SECRET_APOP_HEX		32	/* hex digits of an APOP digest */

struct secret_key {
	unsigned char	bytes[SECRET_KEY_LEN];
};

/*
 * Create the key file at path with SECRET_KEY_LEN random bytes, mode
 * 0600, refusing to follow a symlink or replace any existing file, and
 * sync it and its directory. Returns 0, or -1 with *why_r set (the
 * file is removed again when writing it failed).
 */
int secret_key_create(const char *path, char **why_r);

/*
 * Read the key file at path into *key_r. Refuses a symlink, anything
 * but a regular file of exactly SECRET_KEY_LEN bytes, and a file that
 * group or others may access. Returns 0, or -1 with *why_r set.
 */
int secret_key_load(const char *path, struct secret_key *key_r, char **why_r);

/* Wipe a key from memory. */
void secret_key_wipe(struct secret_key *key);

/*
 * Encrypt plain[0..len) (1..SECRET_MAX_LEN bytes) for account with a
 * fresh random nonce. Returns the text form, or NULL with *why_r set.
 */
char *secret_encrypt(const struct secret_key *key, const char *account,
    const void *plain, size_t len, char **why_r);

/*
 * Decrypt a text form made by secret_encrypt() for the same account.
 * Returns 0 with *plain_r (NUL-terminated, allocated) and *len_r set,
 * or -1 with *why_r set when the text is malformed, was altered, or
 * belongs to another account or key.
 */
int secret_decrypt(const struct secret_key *key, const char *account,
    const char *text, char **plain_r, size_t *len_r, char **why_r);

/*
 * The APOP digest of RFC 1939: lowercase hex of MD5(timestamp secret),
 * NUL-terminated in hex_r.
 */
void secret_apop_digest(const char *timestamp, const void *secret,
    size_t len, char hex_r[SECRET_APOP_HEX + 1]);

/*
 * Check a client's APOP digest (32 hex digits, either case) in constant
 * time. Returns 1 when it matches, 0 otherwise (malformed included).
 */
int secret_apop_verify(const char *timestamp, const void *secret, size_t len,
    const char *digest);

/*
 * A fresh APOP timestamp "<pid.random.time@hostname>" for the POP3
 * greeting. hostname NULL or "" means gethostname(); a name with
 * characters other than letters, digits, '.', '-' and '_' is replaced
 * by "localhost".
 */
char *secret_apop_timestamp(const char *hostname);

#endif
