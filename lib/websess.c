/* websess - sessions of the web interface; see websess.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "acct.h"
#include "buf.h"
#include "file.h"
#include "kvfile.h"
#include "num.h"
#include "passwd.h"
#include "store.h"
#include "websess.h"

#define KEY_FILE	"web.key"
#define RECORD_FILE	"websessions"
#define RECORD_KIND	"websessions"
#define RECORD_MAX	8192	/* bytes of a record file */
#define SESSION_LABEL	"popstore-web-session-1"
#define CSRF_LABEL	"popstore-web-csrf-1"
#define STAMP_LABEL	"popstore-web-stamp-1"

/* ---- base64url and the MAC ---- */

static void
b64url(struct buf *out, const void *p, size_t len)
{
	size_t start = out->len, i;

	passwd_b64_encode(out, p, len);
	while (out->len > start && out->data[out->len - 1] == '=')
		buf_truncate(out, out->len - 1);
	for (i = start; i < out->len; i++) {
		if (out->data[i] == '+')
			out->data[i] = '-';
		else if (out->data[i] == '/')
			out->data[i] = '_';
	}
}

static int
b64url_decode(const char *s, size_t len, struct buf *out)
{
	struct buf std = BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '+' || c == '/' || c == '=') {
			buf_free(&std);
			return -1;
		}
		buf_putc(&std, c == '-' ? '+' : c == '_' ? '/' : c);
	}
	while (std.len % 4)
		buf_putc(&std, '=');
	rc = passwd_b64_decode(out, buf_cstr(&std), std.len);
	buf_free(&std);
	return rc;
}

/* HMAC-SHA-256 over the NUL-separated parts, base64url into out. */
static void
mac(const struct secret_key *key, const char *const *parts,
    const size_t *lens, size_t n, struct buf *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct buf msg = BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(&msg, '\0');
		buf_append(&msg, parts[i], lens[i]);
	}
	if (HMAC(EVP_sha256(), key->bytes, SECRET_KEY_LEN,
	    (const unsigned char *)(msg.data ? msg.data : ""), msg.len, md,
	    &mdlen) == NULL)
		mdlen = 0;	/* an empty MAC matches nothing we make */
	b64url(out, md, mdlen);
	buf_free(&msg);
}

static int
same(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && alen > 0 && CRYPTO_memcmp(a, b, alen) == 0;
}

/* ---- tokens ---- */

static void
session_mac(const struct secret_key *key, const char *name, const char *id,
    const char *expiry, struct buf *out)
{
	const char *parts[4] = { SESSION_LABEL, name, id, expiry };
	size_t lens[4] = { strlen(SESSION_LABEL), strlen(name), strlen(id),
	    strlen(expiry) };

	mac(key, parts, lens, 4, out);
}

void
websess_token_make(const struct secret_key *key, const char *name,
    const char *id, int64_t expiry, struct buf *out)
{
	char exp[24];

	snprintf(exp, sizeof(exp), "%lld", (long long)expiry);
	buf_puts(out, "1.");
	b64url(out, name, strlen(name));
	buf_printf(out, ".%s.%s.", id, exp);
	session_mac(key, name, id, exp, out);
}

static int
valid_id(const char *s, size_t len)
{
	size_t i;

	if (len != WEBSESS_ID_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
websess_token_parse(const struct secret_key *key, const char *token,
    char name_r[ACCT_NAME_MAX + 1], char id_r[WEBSESS_ID_LEN + 1],
    int64_t *expiry_r)
{
	const char *f[5], *p = token;
	size_t len[5], i;
	struct buf name = BUF_INIT, want = BUF_INIT;
	char exp[24];
	uint64_t e;
	int ok = 0;

	if (strlen(token) > WEBSESS_TOKEN_MAX)
		return 0;
	for (i = 0; i < 5; i++) {
		const char *dot = strchr(p, '.');

		f[i] = p;
		len[i] = dot && i < 4 ? (size_t)(dot - p) : strlen(p);
		if ((i < 4 && dot == NULL) || (i == 4 && dot != NULL))
			return 0;
		p += len[i] + 1;
	}
	if (len[0] != 1 || f[0][0] != '1' || !valid_id(f[2], len[2]) ||
	    len[3] >= sizeof(exp) || num_parse_u64n(f[3], len[3], INT64_MAX,
	    &e) < 0 || b64url_decode(f[1], len[1], &name) < 0 ||
	    name.len == 0 || name.len > ACCT_NAME_MAX ||
	    memchr(name.data, '\0', name.len) != NULL)
		goto out;
	memcpy(id_r, f[2], WEBSESS_ID_LEN);
	id_r[WEBSESS_ID_LEN] = '\0';
	memcpy(exp, f[3], len[3]);
	exp[len[3]] = '\0';
	session_mac(key, name.data, id_r, exp, &want);
	if (!same(f[4], len[4], want.data, want.len))
		goto out;
	memcpy(name_r, name.data, name.len + 1);
	*expiry_r = (int64_t)e;
	ok = 1;
out:
	buf_free(&name);
	buf_free(&want);
	return ok;
}

void
websess_csrf(const struct secret_key *key, const void *binding, size_t len,
    struct buf *out)
{
	const char *parts[2] = { CSRF_LABEL, binding };
	size_t lens[2] = { strlen(CSRF_LABEL), len };
	size_t start = out->len;

	mac(key, parts, lens, 2, out);
	if (out->len - start > WEBSESS_CSRF_LEN)
		buf_truncate(out, start + WEBSESS_CSRF_LEN);
}

int
websess_csrf_check(const struct secret_key *key, const void *binding,
    size_t len, const char *token)
{
	struct buf want = BUF_INIT;
	int ok;

	websess_csrf(key, binding, len, &want);
	ok = token && same(token, strlen(token), want.data, want.len);
	buf_free(&want);
	return ok;
}

void
websess_stamp_make(const struct secret_key *key, const char *purpose,
    int64_t now, uint64_t lifetime, struct buf *out)
{
	char exp[24];
	const char *parts[3] = { STAMP_LABEL, purpose, exp };
	size_t lens[3];

	snprintf(exp, sizeof(exp), "%lld", (long long)(now + (int64_t)lifetime));
	lens[0] = strlen(STAMP_LABEL);
	lens[1] = strlen(purpose);
	lens[2] = strlen(exp);
	buf_printf(out, "%s.", exp);
	mac(key, parts, lens, 3, out);
}

int
websess_stamp_check(const struct secret_key *key, const char *purpose,
    const char *stamp, int64_t now)
{
	const char *dot = stamp ? strchr(stamp, '.') : NULL;
	struct buf want = BUF_INIT;
	uint64_t e;
	int ok = 0;

	if (dot == NULL || (size_t)(dot - stamp) >= 24 ||
	    num_parse_u64n(stamp, (size_t)(dot - stamp), INT64_MAX, &e) < 0 ||
	    (int64_t)e < now)
		return 0;
	websess_stamp_make(key, purpose, (int64_t)e, 0, &want);
	ok = same(stamp, strlen(stamp), want.data, want.len);
	buf_free(&want);
	return ok;
}

/* ---- the key ---- */

int
websess_key_load(struct store *s, struct secret_key *key_r, char **why_r)
{
	struct buf path = BUF_INIT;
	struct stat st;
	int rc = 0;

	store_etc_path(s, KEY_FILE, &path);
	if (lstat(path.data, &st) < 0 && errno == ENOENT &&
	    (file_mkparents(path.data, 0750, why_r) < 0 ||
	    (secret_key_create(path.data, why_r) < 0 && errno != EEXIST)))
		rc = -1;
	if (rc == 0 && why_r && *why_r) {	/* lost a race: it exists */
		free(*why_r);
		*why_r = NULL;
	}
	if (rc == 0)
		rc = secret_key_load(path.data, key_r, why_r);
	buf_free(&path);
	return rc;
}

/* ---- the records ---- */

static void
record_path(struct store *s, const char *name, struct buf *out)
{
	store_profile_dir(s, name, out);
	buf_puts(out, "/" RECORD_FILE);
}

/* Read the record into kv: 0 (an empty one when missing), -1. */
static int
record_read(struct store *s, const char *name, struct kvfile *kv,
    char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	int rc;

	record_path(s, name, &path);
	rc = file_read(path.data, RECORD_MAX, &text, why_r);
	if (rc == 0)
		kvfile_init(kv, RECORD_KIND, 1);
	else if (rc == 1)
		rc = kvfile_parse(text.data, text.len, RECORD_KIND, kv, why_r);
	buf_free(&path);
	buf_free(&text);
	return rc < 0 ? -1 : 0;
}

static int64_t
record_expiry(const struct kvfile *kv, size_t i)
{
	uint64_t e;

	if (kv->keys[i][0] != 's' || !valid_id(kv->keys[i] + 1,
	    strlen(kv->keys[i] + 1)) || num_parse_u64(kv->values[i], INT64_MAX,
	    &e) < 0)
		return -1;
	return (int64_t)e;
}

/*
 * A change of the record: expired sessions always go; then drop (an
 * ID, or NULL) or, with drop_all, every session but keep (NULL: all);
 * add (NULL: none) expiring at add_expiry is appended, and only the
 * newest WEBSESS_PER_ACCOUNT stay.
 */
struct edit {
	const char	*drop, *keep, *add;
	int		 drop_all;
	int64_t		 add_expiry, now;
};

static int
keep_entry(const struct edit *e, const struct kvfile *kv, size_t i)
{
	int64_t exp = record_expiry(kv, i);
	const char *id = kv->keys[i] + 1;

	if (exp < e->now)
		return 0;
	if (e->drop_all)
		return e->keep && strcmp(id, e->keep) == 0;
	return e->drop == NULL || strcmp(id, e->drop) != 0;
}

static int
record_edit(struct store *s, const char *name, const struct edit *e,
    char **why_r)
{
	struct kvfile old, kv;
	struct buf path = BUF_INIT, text = BUF_INIT;
	size_t i, n = 0, skip, room = WEBSESS_PER_ACCOUNT - (e->add != NULL);
	int lock, rc = -1;

	if ((lock = acct_lock(s, name, why_r)) < 0)
		return -1;
	memset(&old, 0, sizeof(old));
	if (record_read(s, name, &old, NULL) < 0)
		kvfile_init(&old, RECORD_KIND, 1);	/* damaged: start over */
	kvfile_init(&kv, RECORD_KIND, 1);
	for (i = 0; i < old.n; i++)
		n += keep_entry(e, &old, i);
	skip = n > room ? n - room : 0;	/* the oldest (first) go */
	for (i = 0; i < old.n; i++) {
		if (!keep_entry(e, &old, i))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		kvfile_set(&kv, old.keys[i], old.values[i]);
	}
	if (e->add) {
		char key[WEBSESS_ID_LEN + 2], val[24];

		snprintf(key, sizeof(key), "s%s", e->add);
		snprintf(val, sizeof(val), "%lld", (long long)e->add_expiry);
		kvfile_set(&kv, key, val);
	}
	kvfile_format(&kv, &text);
	record_path(s, name, &path);
	rc = file_write_atomic(path.data, text.data, text.len, 0600,
	    store_write_flags(s), why_r);
	kvfile_free(&old);
	kvfile_free(&kv);
	buf_free(&path);
	buf_free(&text);
	acct_unlock(lock);
	return rc;
}

int
websess_open(struct store *s, const struct secret_key *key, const char *name,
    uint64_t lifetime, int64_t now, struct buf *cookie,
    char id_r[WEBSESS_ID_LEN + 1], char **why_r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[WEBSESS_ID_LEN / 2];
	struct edit e;
	size_t i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return file_whyf(why_r, "no random bytes for a session ID");
	for (i = 0; i < sizeof(rnd); i++) {
		id_r[2 * i] = hex[rnd[i] >> 4];
		id_r[2 * i + 1] = hex[rnd[i] & 15];
	}
	id_r[WEBSESS_ID_LEN] = '\0';
	memset(&e, 0, sizeof(e));
	e.add = id_r;
	e.add_expiry = now + (int64_t)lifetime;
	e.now = now;
	if (record_edit(s, name, &e, why_r) < 0)
		return -1;
	websess_token_make(key, name, id_r, e.add_expiry, cookie);
	return 0;
}

int
websess_check(struct store *s, const struct secret_key *key,
    const char *token, int64_t now, char name_r[ACCT_NAME_MAX + 1],
    char id_r[WEBSESS_ID_LEN + 1], char **why_r)
{
	struct kvfile kv;
	char field[WEBSESS_ID_LEN + 2];
	const char *v;
	int64_t expiry;
	uint64_t e;
	int rc;

	if (!websess_token_parse(key, token, name_r, id_r, &expiry) ||
	    expiry < now || !acct_exists(s, name_r))
		return 0;
	memset(&kv, 0, sizeof(kv));
	if (record_read(s, name_r, &kv, why_r) < 0)
		return -1;
	snprintf(field, sizeof(field), "s%s", id_r);
	v = kvfile_get(&kv, field);
	rc = v && num_parse_u64(v, INT64_MAX, &e) == 0 &&
	    (int64_t)e == expiry;
	kvfile_free(&kv);
	return rc;
}

int
websess_close(struct store *s, const char *name, const char *id,
    const char *keep, char **why_r)
{
	struct edit e;

	memset(&e, 0, sizeof(e));
	e.drop = id;
	e.drop_all = id == NULL;
	e.keep = keep;
	e.now = (int64_t)time(NULL);
	return record_edit(s, name, &e, why_r);
}
