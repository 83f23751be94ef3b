/* pwchange - giving an account a new password; see pwchange.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acct.h"
#include "conf.h"
#include "file.h"
#include "mem.h"
#include "passwd.h"
#include "pwchange.h"
#include "secret.h"

int
pwchange_check(const struct conf *c, const struct acct *a, const char *pw,
    char **why_r)
{
	return passwd_check_new(a->name, pw, c->password_min_length, why_r);
}

int
pwchange_needs_key(const struct conf *c, const char *pw)
{
	return c->apop_cram_md5 && strlen(pw) <= SECRET_MAX_LEN;
}

int
pwchange_set(const struct conf *c, const struct secret_key *key,
    struct acct *a, const char *pw, char **why_r)
{
	char *hash = NULL, *sec = NULL;
	int rc = -1;

	if (pwchange_needs_key(c, pw)) {
		if (key == NULL)
			return file_whyf(why_r, "the APOP/CRAM-MD5 secret key "
			    "is not available");
		if ((sec = secret_encrypt(key, a->name, pw, strlen(pw),
		    why_r)) == NULL)
			return -1;
	}
	if ((hash = passwd_hash(pw, c->password_iterations, why_r)) == NULL)
		goto out;
	if (strlen(hash) >= sizeof(a->password)) {
		file_whyf(why_r, "password hash too long");
		goto out;
	}
	snprintf(a->password, sizeof(a->password), "%s", hash);
	snprintf(a->secret, sizeof(a->secret), "%s", sec ? sec : "");
	a->password_changed = (int64_t)time(NULL);
	a->flags &= ~(unsigned)ACCT_PWD_EXPIRED;
	rc = 0;
out:
	mem_free_secret(hash);
	mem_free_secret(sec);
	return rc;
}

int
pwchange_expired(const struct conf *c, const struct acct *a, int64_t now)
{
	if (a->flags & ACCT_PWD_EXPIRED)
		return 1;
	if (c->password_lifetime == 0 || a->password_changed <= 0 ||
	    (a->flags & ACCT_PWD_ELSEWHERE))
		return 0;
	return now - a->password_changed >
	    (int64_t)(c->password_lifetime * 86400);
}

void
pwchange_rebind_secret(const struct conf *c, const struct secret_key *key,
    struct acct *a, const char *old_name)
{
	char *plain = NULL, *sec = NULL;
	size_t len;

	if (a->secret[0] == '\0')
		return;
	if (c->apop_cram_md5 && key && secret_decrypt(key, old_name, a->secret,
	    &plain, &len, NULL) == 0)
		sec = secret_encrypt(key, a->name, plain, len, NULL);
	mem_free_secret(plain);
	snprintf(a->secret, sizeof(a->secret), "%s", sec ? sec : "");
	mem_free_secret(sec);
}
