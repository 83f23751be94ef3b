/*
 * NAME
 *	pwchange - giving an account a new password: the site's rules, the
 *	hash, the encrypted APOP/CRAM-MD5 secret
 * SYNOPSIS
 *	#include "pwchange.h"
 * DESCRIPTION
 *	popmgr(8) and the web interface set passwords the same way, here:
 *	the new password must pass passwd_check_new() with the site's
 *	PASSWORD_MIN_LENGTH; the profile gets a fresh hash of
 *	PASSWORD_ITERATIONS (passwd.h); with APOP_CRAM_MD5=1 the secret is
 *	the password encrypted for the account (secret.h), or nothing for a
 *	password longer than SECRET_MAX_LEN, never the old one; the time of
 *	the change is recorded and PWD_EXPIRED cleared. Nothing is saved:
 *	the caller saves the profile (acct_save).
 *
 *	A secret is encrypted for one account name, so copying or renaming
 *	an account re-encrypts it (pwchange_rebind_secret).
 * MEMORY
 *	Every copy of the password made here is wiped. *why_r is
 *	allocated; the caller frees it.
 */
#ifndef POPSTORE_PWCHANGE_H
#define POPSTORE_PWCHANGE_H

#include <stdint.h>

struct acct;
struct conf;
struct secret_key;

/*
 * The site's rules for a new password pw of account a. 0, or -1 with
 * *why_r a sentence for the user.
 */
int pwchange_check(const struct conf *c, const struct acct *a, const char *pw,
    char **why_r);

/*
 * 1 when setting a password needs the site key (APOP_CRAM_MD5 is on
 * and pw is short enough to keep as a secret), else 0.
 */
int pwchange_needs_key(const struct conf *c, const char *pw);

/*
 * Set a's password to pw in memory (see DESCRIPTION); key is needed
 * when pwchange_needs_key() says so, else it may be NULL. The rules
 * are not checked here. 0, or -1 with *why_r.
 */
int pwchange_set(const struct conf *c, const struct secret_key *key,
    struct acct *a, const char *pw, char **why_r);

/*
 * 1 when a's password must be changed before the account is used: the
 * PWD_EXPIRED flag, or PASSWORD_LIFETIME days since the last change
 * (not for PWD_ELSEWHERE passwords, nor when no change is recorded).
 */
int pwchange_expired(const struct conf *c, const struct acct *a, int64_t now);

/*
 * a is a copy of account old_name (now named a->name): re-encrypt its
 * secret for the new name. Without APOP_CRAM_MD5, without a key, or
 * when the secret does not decrypt, the secret is dropped; the next
 * plaintext login stores a new one.
 */
void pwchange_rebind_secret(const struct conf *c, const struct secret_key *key,
    struct acct *a, const char *old_name);

#endif
