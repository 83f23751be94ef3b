/*
 * NAME
 *	login - one user name and password checked against the store, for
 *	the web programs and the mail proxy's authentication endpoint
 * SYNOPSIS
 *	#include "login.h"
 * DESCRIPTION
 *	pop3d and imapd check passwords inside their protocols (sasl.h).
 *	The web interface and the auth_http endpoint (popstore-cgi(8))
 *	check one name and password per request, by the same path:
 *
 *	- the name typed is made canonical (name.h); one that cannot be an
 *	  account name is an unknown user;
 *	- the password goes through sasl_session_check(): the profile's
 *	  hash, or saslauthd for accounts with PWD_ELSEWHERE; an unknown
 *	  user costs as much as a wrong password;
 *	- DISUSER accounts and the reserved names (default, post) are
 *	  refused; PLAINTEXT_LOGIN applies, with the request's TLS state
 *	  and client address;
 *	- after a success, a hash of an old scheme is upgraded and, with
 *	  APOP_CRAM_MD5, a missing secret stored (sasl_session_upgrade).
 *
 *	login_digest() checks what a mail proxy forwards for APOP and
 *	CRAM-MD5, whose challenge the proxy made: the digest is compared
 *	with one computed from the account's decrypted secret.
 *
 *	Nothing is logged here: the caller logs the outcome (with the
 *	account name only when res.found, since users type passwords into
 *	the name field).
 * MEMORY
 *	struct login_result holds fixed arrays; login_result_free() frees
 *	its why string.
 */
#ifndef POPSTORE_LOGIN_H
#define POPSTORE_LOGIN_H

#include "acct.h"
#include "sasl.h"

struct conf;
struct secret_key;
struct store;

struct login_req {
	const char	*user;		/* as typed */
	const char	*password;
	const char	*service;	/* saslauthd service: "web", "pop" ... */
	const char	*remote_ip;	/* the client's address, or NULL */
	int		 tls;		/* the client's connection is encrypted */
};

struct login_result {
	enum sasl_outcome outcome;	/* SASL_OUTCOME_OK on success */
	int		 found;		/* the account exists */
	char		 name[ACCT_NAME_MAX + 1];	/* canonical, or "" */
	char		*why;		/* for the log: never a password */
};

enum login_digest_kind { LOGIN_APOP, LOGIN_CRAM_MD5 };

/*
 * Check rq against the store (see DESCRIPTION). key is the site key of
 * the APOP/CRAM-MD5 secrets, or NULL. 1 accepted, 0 refused, -1 a
 * temporary failure (store or saslauthd); res says more either way.
 */
int login_check(struct store *s, const struct secret_key *key,
    const struct login_req *rq, struct login_result *res);

/*
 * Check an APOP or CRAM-MD5 digest (hex) made with challenge for user.
 * Needs APOP_CRAM_MD5 and key; returns as login_check(). On success
 * the decrypted secret (the password) is appended to secret_r when it
 * is not NULL: a proxy logs in to the backend with it. The caller
 * wipes it (buf_free_secret).
 */
int login_digest(struct store *s, const struct secret_key *key,
    const char *user, enum login_digest_kind kind, const char *challenge,
    const char *digest, struct buf *secret_r, struct login_result *res);

void login_result_free(struct login_result *res);

/*
 * sasl.h's account lookup for the store: fill *sa (hash, flags, and the
 * decrypted CRAM-MD5 secret when APOP_CRAM_MD5 is on and key is given)
 * from account user; its canonical name into name_r[0..size) when
 * name_r is not NULL. 1 found, 0 no such account, -1 error (*why_r).
 */
int login_account(struct store *s, const struct secret_key *key,
    const char *user, struct sasl_account *sa, char *name_r, size_t size,
    char **why_r);

/*
 * sasl.h's name canonicalisation: the account name a client typed,
 * in[0..inlen) (no NUL inside), canonical per USERNAME_STYLE into
 * out[0..outsize). 0, or -1 when it is not a valid name or too long.
 */
int login_canon(const struct conf *c, const char *in, size_t inlen, char *out,
    size_t outsize);

#endif
