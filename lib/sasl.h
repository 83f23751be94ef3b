/*
 * NAME
 *	sasl - authentication through Cyrus SASL for pop3d and imapd
 * SYNOPSIS
 *	#include "sasl.h"
 * DESCRIPTION
 *	Every login (POP3 AUTH, USER/PASS, IMAP AUTHENTICATE and LOGIN)
 *	goes through one sasl_session, backed by the Cyrus SASL 2.1 server
 *	library, so that a password can live in the profile (passwd(3)
 *	hash) or, for accounts with the PWD_ELSEWHERE flag, in whatever
 *	saslauthd checks (PAM, shadow, LDAP). No Cyrus configuration file is
 *	read: every option is supplied by callbacks, per connection.
 *
 *	Accounts come from the caller's lookup callback (struct
 *	sasl_backend); this module knows nothing of profiles. How each
 *	mechanism is served:
 *
 *	PLAIN, LOGIN, sasl_session_check()
 *		Cyrus calls the SASL_CB_SERVER_USERDB_CHECKPASS callback,
 *		which looks the user up and runs passwd_verify(). For a
 *		PWD_ELSEWHERE account it declines, and the connection's
 *		pwcheck_method option, asked next, becomes "saslauthd":
 *		Cyrus then sends user, password, service ("pop"/"imap") and
 *		an empty realm to the saslauthd socket SASLAUTHD_PATH (a
 *		name "local@domain" goes as user "local", realm "domain";
 *		run saslauthd -r to get the whole name back). For every
 *		other account pwcheck_method is a word naming no verifier,
 *		so Cyrus's own checks can never accept a password.
 *	SCRAM-SHA-256
 *		an in-process auxprop plugin, "popstore", answers the scram
 *		plugin's "*authPassword" request with
 *		"SCRAM-SHA-256$ITER:SALT$STOREDKEY:SERVERKEY" taken from the
 *		stored hash: no plaintext exists on the server. An unknown
 *		user, a disabled account, or an account without a SCRAM
 *		verifier (legacy crypt hash, PWD_ELSEWHERE) gets a fake
 *		verifier whose salt is derived from the user name, so the
 *		exchange fails at the same step as a wrong password.
 *	CRAM-MD5
 *		only with APOP_CRAM_MD5=1: the auxprop plugin answers
 *		"*userPassword" with the account's decrypted secret, for
 *		this mechanism only.
 *
 *	Mechanisms advertised: those of SASL_MECHANISMS that are loaded,
 *	minus PLAIN and LOGIN when plaintext is not allowed on this
 *	connection (PLAINTEXT_LOGIN: "always", "never" = only under TLS,
 *	"local" = under TLS or from a loopback address), minus CRAM-MD5
 *	unless APOP_CRAM_MD5 is on. SCRAM-SHA-1 and the -PLUS variants are
 *	never offered. Only the plugin files libplain, liblogin, libscram
 *	and libcrammd5 are loaded. Success data is never sent with the
 *	final response: SCRAM's server signature arrives as a last
 *	challenge that the client answers with an empty response, which
 *	POP3 (RFC 5034) and IMAP (RFC 3501) both allow.
 *
 *	A plaintext password of an unknown user is checked against a
 *	dummy hash of PASSWORD_ITERATIONS, so it takes as long as a wrong
 *	password of a real user.
 * MEMORY
 *	A session owns everything it returns: the mechanism list, the
 *	user name and the reason string stay valid until the next call on
 *	the session; challenge data until the next start/step. Strings
 *	handed over by sasl_session_upgrade() belong to the caller. The
 *	lookup callback's strings become the session's, which frees them
 *	(the secret wiped).
 * ERRORS
 *	Functions return -1 on failure; sasl_session_outcome() then says
 *	why, for the caller's log only: a client is told nothing more than
 *	"authentication failed". sasl_session_why() never holds a password
 *	but may quote the library; log it through log_safe().
 */
#ifndef POPSTORE_SASL_H
#define POPSTORE_SASL_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct secret_key;

#define SASL_MAX_USER	255	/* longest user name, bytes */
#define SASL_MAX_INPUT	8192	/* longest decoded client response */

/* How the last attempt ended. */
enum sasl_outcome {
	SASL_OUTCOME_NONE,		/* no attempt yet, or one in progress */
	SASL_OUTCOME_OK,
	SASL_OUTCOME_NOUSER,		/* no such account */
	SASL_OUTCOME_BADPASS,		/* wrong password or response */
	SASL_OUTCOME_DISABLED,		/* account disabled */
	SASL_OUTCOME_NOVERIFIER,	/* the account has nothing this
					   mechanism can check (no SCRAM
					   verifier, no secret, bad hash) */
	SASL_OUTCOME_REFUSED,		/* mechanism not offered, plaintext
					   not allowed, or proxy login */
	SASL_OUTCOME_PROTOCOL,		/* malformed client data */
	SASL_OUTCOME_TEMPFAIL		/* lookup error, saslauthd down,
					   internal error: may work later */
};

/* What the lookup callback reports about one account. */
struct sasl_account {
	char	*hash;		/* password hash (passwd.h), malloc'd, or NULL */
	char	*secret;	/* decrypted APOP/CRAM-MD5 secret, malloc'd,
				   or NULL */
	size_t	 secret_len;
	int	 pwd_elsewhere;	/* plaintext is checked by saslauthd */
	int	 disabled;	/* refuse every login */
};

struct sasl_backend {
	/*
	 * Look up the canonical user name. Returns 1 and fills *acct_r
	 * (zeroed beforehand), 0 when there is no such account, -1 with
	 * *why_r set on error. Called as root or as the store user,
	 * whichever the caller is when authenticating.
	 */
	int	(*lookup)(void *ctx, const char *user, struct sasl_account *acct_r,
		    char **why_r);
	/*
	 * Optional: the canonical form of a name a client typed
	 * (in[0..inlen), not NUL-terminated) into out (outsize bytes,
	 * NUL-terminated). Return 0, or -1 to refuse the name.
	 */
	int	(*canon)(void *ctx, const char *in, size_t inlen, char *out,
		    size_t outsize);
	void	*ctx;
};

struct sasl_params {
	const char	*service;	/* "pop" or "imap" (saslauthd and PAM
					   see it as the service name) */
	const char	*hostname;	/* server name (CRAM-MD5 challenge);
					   NULL: gethostname(), no DNS */
	const char	*local_ipport;	/* "192.0.2.1;110", "::1;143", or NULL */
	const char	*remote_ipport;	/* client's, same form, or NULL when
					   not a network connection */
	int		 tls;		/* TLS is active */
	int		 plaintext_login;	/* enum plaintext_login (conf.h) */
	int		 apop_cram_md5;	/* offer CRAM-MD5 */
	const char	*mechanisms;	/* SASL_MECHANISMS, space-separated */
	const char	*saslauthd_path;
	uint64_t	 iterations;	/* PASSWORD_ITERATIONS */
	/*
	 * The site key (secret.h), or NULL. Used to derive the fake SCRAM
	 * salts of unknown users, so that they are the same from one
	 * connection to the next (without a key they are random per
	 * process, and a client connecting twice can tell an unknown user
	 * by SCRAM alone), and, with apop_cram_md5, to encrypt the secret
	 * captured at a plaintext login (sasl_session_upgrade).
	 */
	const struct secret_key *secret_key;
	struct sasl_backend backend;
};

/*
 * Initialise Cyrus SASL once per process, before privileges are
 * dropped (plugins are loaded from disk). plugin_dir NULL means the
 * library's default (or $SASL_PATH). Returns 0, or -1 with *why_r set.
 * Calling it again does nothing.
 */
int sasl_setup(const char *plugin_dir, char **why_r);

/* Release the library (for tests and leak checkers). */
void sasl_shutdown(void);

/*
 * The PLAINTEXT_LOGIN policy: 1 when plaintext passwords may be
 * accepted on this connection, else 0. remote_ipport NULL counts as
 * local.
 */
int sasl_plaintext_allowed(int policy, int tls, const char *remote_ipport);

/* Fill in params from the configuration (the connection fields and
 * the backend are left for the caller). */
void sasl_params_from_conf(struct sasl_params *params, const struct conf *conf);

/*
 * A session for one connection, in its current TLS state (after
 * STARTTLS/STLS, free it and make a new one). Returns NULL with *why_r
 * set when the library refuses the parameters.
 */
struct sasl_session *sasl_session_new(const struct sasl_params *params,
    char **why_r);

/* Dispose of a session (NULL is allowed), wiping what it held. */
void sasl_session_free(struct sasl_session *s);

/* The mechanisms to advertise, space-separated ("" for none). */
const char *sasl_session_mechanisms(const struct sasl_session *s);

/* Whether USER/PASS and IMAP LOGIN may be offered and accepted. */
int sasl_session_plaintext_ok(const struct sasl_session *s);

/*
 * Begin an exchange with mechanism mech (any case). ir is the decoded
 * initial response: NULL when the client sent none, non-NULL with
 * irlen 0 when it sent an empty one (SASL-IR "=", RFC 4959/5034).
 * Returns 1 with a challenge in *out_r and *outlen_r (raw bytes for the
 * caller to base64-encode; may be empty), 0 when the user is
 * authenticated, -1 on failure. Starting again abandons the exchange
 * in progress, which is also how a client's "*" is handled.
 */
int sasl_session_start(struct sasl_session *s, const char *mech,
    const void *ir, size_t irlen, const void **out_r, size_t *outlen_r);

/* Continue with the client's decoded response; returns as start. */
int sasl_session_step(struct sasl_session *s, const void *in, size_t inlen,
    const void **out_r, size_t *outlen_r);

/*
 * Check a plaintext user name and password (USER/PASS, IMAP LOGIN) by
 * the same path as PLAIN, saslauthd included. Refused when plaintext
 * is not allowed on this connection. Returns 0 when authenticated,
 * -1 otherwise.
 */
int sasl_session_check(struct sasl_session *s, const char *user,
    const char *password);

/* The canonical user name after success, else NULL. */
const char *sasl_session_user(const struct sasl_session *s);

/* The mechanism of the last exchange; NULL after sasl_session_check. */
const char *sasl_session_mech(const struct sasl_session *s);

/* How the last attempt ended (for logging only, never for the client). */
enum sasl_outcome sasl_session_outcome(const struct sasl_session *s);

/* A word for the log: "ok", "nouser", "badpass", ... */
const char *sasl_outcome_name(enum sasl_outcome outcome);

/* A reason for the log after a failure (no password in it), or "". */
const char *sasl_session_why(const struct sasl_session *s);

/*
 * After a successful plaintext login against a profile hash: *hash_r
 * gets a new hash when passwd_needs_upgrade() says so, *secret_r a
 * newly encrypted secret when APOP_CRAM_MD5 is on, a key was given
 * and the account has no secret yet. Either may be NULL. The caller
 * stores them in the profile and frees them. Returns 1 when at least
 * one is set, else 0.
 */
int sasl_session_upgrade(struct sasl_session *s, char **hash_r,
    char **secret_r);

#endif
