/* login - one user name and password checked against the store; login.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "conf.h"
#include "file.h"
#include "login.h"
#include "mem.h"
#include "name.h"
#include "secret.h"
#include "store.h"

struct lctx {
	struct store		*s;
	const struct secret_key	*key;
	int			 found;
	char			 name[ACCT_NAME_MAX + 1];
};

int
login_account(struct store *s, const struct secret_key *key,
    const char *user, struct sasl_account *sa, char *name_r, size_t size,
    char **why_r)
{
	struct acct a;
	int r = acct_load(s, user, &a, why_r);

	if (r <= 0)
		return r;
	if (name_r)
		snprintf(name_r, size, "%s", a.name);
	sa->hash = a.password[0] ? mem_strdup(a.password) : NULL;
	sa->pwd_elsewhere = (a.flags & ACCT_PWD_ELSEWHERE) != 0;
	sa->disabled = (a.flags & ACCT_DISUSER) != 0 || name_is_reserved(a.name);
	/* CRAM-MD5 (APOP_CRAM_MD5 only) needs the decrypted secret. */
	if (s->conf->apop_cram_md5 && key && a.secret[0] &&
	    secret_decrypt(key, a.name, a.secret, &sa->secret,
	    &sa->secret_len, NULL) < 0)
		sa->secret = NULL;
	acct_wipe(&a);
	return 1;
}

int
login_canon(const struct conf *c, const char *in, size_t inlen, char *out,
    size_t outsize)
{
	struct buf typed = BUF_INIT, canon = BUF_INIT;
	int rc = -1;

	buf_append(&typed, in, inlen);
	if (memchr(in, '\0', inlen) == NULL &&
	    name_canon(c, "", typed.data, &canon, NULL) == 0 &&
	    canon.len < outsize) {
		memcpy(out, canon.data, canon.len + 1);
		rc = 0;
	}
	buf_free(&typed);
	buf_free(&canon);
	return rc;
}

static int
lookup(void *ctx, const char *user, struct sasl_account *sa, char **why_r)
{
	struct lctx *l = ctx;
	int r = login_account(l->s, l->key, user, sa, l->name, sizeof(l->name),
	    why_r);

	if (r == 1)
		l->found = 1;
	return r;
}

static int
canon(void *ctx, const char *in, size_t inlen, char *out, size_t outsize)
{
	struct lctx *l = ctx;

	return login_canon(l->s->conf, in, inlen, out, outsize);
}

/* Keep what sasl_session_upgrade() offers: a new hash, a first secret. */
static void
upgrade(struct lctx *l, struct sasl_session *ss)
{
	char *hash = NULL, *secret = NULL;
	struct acct a;

	if (sasl_session_upgrade(ss, &hash, &secret) &&
	    acct_load(l->s, l->name, &a, NULL) == 1) {
		if (hash)
			snprintf(a.password, sizeof(a.password), "%s", hash);
		if (secret)
			snprintf(a.secret, sizeof(a.secret), "%s", secret);
		(void)acct_save(l->s, &a, NULL);	/* next login retries */
		acct_wipe(&a);
	}
	mem_free_secret(hash);
	mem_free_secret(secret);
}

static void
result(struct login_result *res, const struct lctx *l,
    enum sasl_outcome outcome, const char *why)
{
	res->outcome = outcome;
	res->found = l->found;
	snprintf(res->name, sizeof(res->name), "%s", l->found ? l->name : "");
	res->why = mem_strdup(why ? why : "");
}

static int
verdict(const struct login_result *res)
{
	if (res->outcome == SASL_OUTCOME_OK)
		return 1;
	return res->outcome == SASL_OUTCOME_TEMPFAIL ? -1 : 0;
}

int
login_check(struct store *s, const struct secret_key *key,
    const struct login_req *rq, struct login_result *res)
{
	struct lctx l;
	struct sasl_params sp;
	struct sasl_session *ss;
	char rip[80], *why = NULL;

	memset(res, 0, sizeof(*res));
	memset(&l, 0, sizeof(l));
	l.s = s;
	l.key = key;
	if (sasl_setup(NULL, &why) < 0) {
		result(res, &l, SASL_OUTCOME_TEMPFAIL, why);
		free(why);
		return -1;
	}
	memset(&sp, 0, sizeof(sp));
	sasl_params_from_conf(&sp, s->conf);
	sp.service = rq->service;
	sp.tls = rq->tls;
	if (rq->remote_ip && *rq->remote_ip) {
		snprintf(rip, sizeof(rip), "%s;0", rq->remote_ip);
		sp.remote_ipport = rip;
	}
	sp.apop_cram_md5 = s->conf->apop_cram_md5 && key != NULL;
	sp.secret_key = key;
	sp.backend.lookup = lookup;
	sp.backend.canon = canon;
	sp.backend.ctx = &l;
	if ((ss = sasl_session_new(&sp, &why)) == NULL) {
		result(res, &l, SASL_OUTCOME_TEMPFAIL, why);
		free(why);
		return -1;
	}
	if (sasl_session_check(ss, rq->user, rq->password) == 0) {
		result(res, &l, SASL_OUTCOME_OK, NULL);
		upgrade(&l, ss);
	} else {
		result(res, &l, sasl_session_outcome(ss), sasl_session_why(ss));
	}
	sasl_session_free(ss);
	return verdict(res);
}

/* What a digest is checked against when the account has no secret. */
#define DUMMY_SECRET	"popstore digest dummy secret"

/* Lower-case hex of HMAC-MD5(secret, challenge): RFC 2195. */
static void
cram_md5(const char *secret, size_t len, const char *challenge,
    char hex_r[2 * 16 + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (HMAC(EVP_md5(), secret, (int)len, (const unsigned char *)challenge,
	    strlen(challenge), md, &mdlen) == NULL || mdlen != 16) {
		hex_r[0] = '\0';
		return;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(hex_r + 2 * i, 3, "%02x", md[i]);
}

static int
digest_ok(enum login_digest_kind kind, const char *secret, size_t len,
    const char *challenge, const char *digest)
{
	char want[2 * 16 + 1], got[2 * 16 + 1];
	size_t i;

	if (kind == LOGIN_APOP)
		return secret_apop_verify(challenge, secret, len, digest);
	cram_md5(secret, len, challenge, want);
	if (strlen(digest) != 32 || want[0] == '\0')
		return 0;
	for (i = 0; i <= 32; i++)
		got[i] = (char)(digest[i] >= 'A' && digest[i] <= 'F' ?
		    digest[i] + 32 : digest[i]);
	return CRYPTO_memcmp(want, got, 32) == 0;
}

int
login_digest(struct store *s, const struct secret_key *key, const char *user,
    enum login_digest_kind kind, const char *challenge, const char *digest,
    struct buf *secret_r, struct login_result *res)
{
	struct lctx l;
	struct buf name = BUF_INIT;
	struct sasl_account sa;
	char *why = NULL;
	enum sasl_outcome o = SASL_OUTCOME_NOUSER;
	int r;

	memset(res, 0, sizeof(*res));
	memset(&l, 0, sizeof(l));
	memset(&sa, 0, sizeof(sa));
	l.s = s;
	l.key = key;
	if (!s->conf->apop_cram_md5 || key == NULL) {
		result(res, &l, SASL_OUTCOME_REFUSED, "APOP_CRAM_MD5 is off");
		return 0;
	}
	if (name_canon(s->conf, "", user, &name, NULL) == 0 &&
	    (r = lookup(&l, name.data, &sa, &why)) != 0) {
		if (r < 0)
			o = SASL_OUTCOME_TEMPFAIL;
		else if (sa.disabled)
			o = SASL_OUTCOME_DISABLED;
		else if (sa.secret == NULL)
			o = SASL_OUTCOME_NOVERIFIER;
		else
			o = digest_ok(kind, sa.secret, sa.secret_len, challenge,
			    digest) ? SASL_OUTCOME_OK : SASL_OUTCOME_BADPASS;
	}
	/* No secret to check: the same digest work all the same. */
	if (o != SASL_OUTCOME_OK && o != SASL_OUTCOME_BADPASS)
		(void)digest_ok(kind, DUMMY_SECRET, sizeof(DUMMY_SECRET) - 1,
		    challenge, digest);
	result(res, &l, o, why);
	if (o == SASL_OUTCOME_OK && secret_r)
		buf_append(secret_r, sa.secret, sa.secret_len);
	free(why);
	free(sa.hash);
	if (sa.secret) {
		explicit_bzero(sa.secret, sa.secret_len);
		free(sa.secret);
	}
	buf_free(&name);
	return verdict(res);
}

void
login_result_free(struct login_result *res)
{
	free(res->why);
	res->why = NULL;
}
