/*
 * NAME
 *	websess - sessions of the web interface: signed cookies, their
 *	server-side records, CSRF tokens
 * SYNOPSIS
 *	#include "websess.h"
 * DESCRIPTION
 *	A successful login to a web program (popstore-cgi(8)) opens a
 *	session: a random 128-bit ID recorded in the account's profile
 *	directory, and a cookie naming it:
 *
 *	    1.NAME.ID.EXPIRY.MAC
 *
 *	    NAME	the canonical account name, base64url without padding
 *	    ID		32 lower-case hex digits
 *	    EXPIRY	seconds since the epoch, decimal
 *	    MAC		base64url of HMAC-SHA-256(key, "popstore-web-session-1"
 *			NUL NAME NUL ID NUL EXPIRY), NAME and ID as decoded
 *
 *	The key is the site's web key, STORE_DIR/etc/web.key
 *	(SECRET_KEY_LEN random bytes, mode 0600, made on first use). A
 *	cookie is good while its MAC is right, it has not expired, and the
 *	account's record still lists its ID: logging out removes the ID,
 *	changing the password removes every other ID, deleting or renaming
 *	the account removes the records with the profile directory.
 *
 *	The record is the file "websessions" of the profile directory, a
 *	kvfile ("popstore-websessions 1") with one field per session,
 *	"s" ID -> EXPIRY; expired sessions are dropped whenever it is
 *	written, and at most WEBSESS_PER_ACCOUNT are kept (the oldest go).
 *	It is changed under the account lock and replaced atomically.
 *
 *	A CSRF token is the first WEBSESS_CSRF_LEN characters of base64url
 *	HMAC-SHA-256(key, "popstore-web-csrf-1" NUL BINDING): the session
 *	ID for a session, "basic" NUL NAME NUL password hash for a request
 *	with HTTP Basic credentials. A stamp (websess_stamp_make) is a
 *	token with its own expiry, "EXPIRY.MAC", for forms shown before a
 *	login.
 * MEMORY
 *	Tokens are appended to caller buffers. *why_r is allocated; the
 *	caller frees it.
 */
#ifndef POPSTORE_WEBSESS_H
#define POPSTORE_WEBSESS_H

#include <stddef.h>
#include <stdint.h>

#include "acct.h"
#include "secret.h"

struct buf;
struct store;

#define WEBSESS_ID_LEN		32	/* hex digits of a session ID */
#define WEBSESS_TOKEN_MAX	256	/* longest cookie value accepted */
#define WEBSESS_CSRF_LEN	32	/* characters of a CSRF token */
#define WEBSESS_PER_ACCOUNT	32	/* sessions kept per account */

/*
 * Load the web key, creating it when there is none. 0, or -1 with
 * *why_r.
 */
int websess_key_load(struct store *s, struct secret_key *key_r,
    char **why_r);

/*
 * Open a session for account name (canonical), good for lifetime
 * seconds from now: record it, append the cookie value to cookie and
 * put the ID in id_r. 0, or -1 with *why_r.
 */
int websess_open(struct store *s, const struct secret_key *key,
    const char *name, uint64_t lifetime, int64_t now, struct buf *cookie,
    char id_r[WEBSESS_ID_LEN + 1], char **why_r);

/*
 * Check a cookie value: 1 good, with the account's name and the ID in
 * name_r and id_r; 0 when it is malformed, forged, expired or no
 * longer recorded; -1 with *why_r when the record cannot be read.
 */
int websess_check(struct store *s, const struct secret_key *key,
    const char *token, int64_t now, char name_r[ACCT_NAME_MAX + 1],
    char id_r[WEBSESS_ID_LEN + 1], char **why_r);

/*
 * Close session id of name (logout); with id NULL, close every session
 * of name but keep (NULL: all). 0 or -1 with *why_r.
 */
int websess_close(struct store *s, const char *name, const char *id,
    const char *keep, char **why_r);

/* ---- the parts that need no store (also for tests) ---- */

/* Append the cookie value for name, id and expiry to out. */
void websess_token_make(const struct secret_key *key, const char *name,
    const char *id, int64_t expiry, struct buf *out);

/*
 * Parse and authenticate a cookie value: 1 with name_r, id_r and
 * *expiry_r set, 0 when malformed or the MAC is wrong. Expiry is not
 * checked here.
 */
int websess_token_parse(const struct secret_key *key, const char *token,
    char name_r[ACCT_NAME_MAX + 1], char id_r[WEBSESS_ID_LEN + 1],
    int64_t *expiry_r);

/* Append the CSRF token of binding[0..len) to out. */
void websess_csrf(const struct secret_key *key, const void *binding,
    size_t len, struct buf *out);

/* 1 when token is the CSRF token of the binding (constant time). */
int websess_csrf_check(const struct secret_key *key, const void *binding,
    size_t len, const char *token);

/* Append a stamp for purpose, good until now + lifetime, to out. */
void websess_stamp_make(const struct secret_key *key, const char *purpose,
    int64_t now, uint64_t lifetime, struct buf *out);

/* 1 when stamp was made for purpose and has not expired, else 0. */
int websess_stamp_check(const struct secret_key *key, const char *purpose,
    const char *stamp, int64_t now);

#endif
