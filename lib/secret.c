/* secret - the encrypted APOP/CRAM-MD5 secret, and APOP; see secret.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "file.h"
#include "mem.h"
#include "passwd.h"
#include "secret.h"

#define SECRET_PREFIX	"$aes-256-gcm$v=1$"
#define SECRET_AD	"popstore-secret-v1"

void
secret_key_wipe(struct secret_key *key)
{
	explicit_bzero(key, sizeof(*key));
}

/* write(2) all of p[0..len); 0 or -1 with errno set. */
static int
write_full(int fd, const unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0)
			errno = EIO;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
secret_key_create(const char *path, char **why_r)
{
	struct secret_key key;
	int fd, rc = -1;

	if (RAND_bytes(key.bytes, SECRET_KEY_LEN) != 1) {
		file_whyf(why_r, "%s: no random bytes", path);
		goto out;
	}
	fd = file_open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		file_whyf(why_r, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0 || write_full(fd, key.bytes, SECRET_KEY_LEN) < 0 ||
	    fsync(fd) < 0) {
		file_whyf(why_r, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		goto out;
	}
	if (close(fd) < 0 || file_fsync_parent(path) < 0) {
		file_whyf(why_r, "%s: %s", path, strerror(errno));
		unlink(path);
		goto out;
	}
	rc = 0;
out:
	secret_key_wipe(&key);
	return rc;
}

int
secret_key_load(const char *path, struct secret_key *key_r, char **why_r)
{
	struct stat st;
	ssize_t n;
	int fd;

	fd = file_open(path, O_RDONLY, 0);
	if (fd < 0)
		return file_whyf(why_r, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0) {
		file_whyf(why_r, "%s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode) || st.st_size != SECRET_KEY_LEN) {
		file_whyf(why_r, "%s: not a regular file of %d bytes", path,
		    SECRET_KEY_LEN);
	} else if (st.st_mode & 077) {
		file_whyf(why_r, "%s: mode %03o lets group or others read the "
		    "key (want 0600)", path, (unsigned)(st.st_mode & 0777));
	} else {
		do
			n = read(fd, key_r->bytes, SECRET_KEY_LEN);
		while (n < 0 && errno == EINTR);
		close(fd);
		if (n == SECRET_KEY_LEN)
			return 0;
		secret_key_wipe(key_r);
		return file_whyf(why_r, "%s: short read", path);
	}
	close(fd);
	return -1;
}

/* The associated data: SECRET_AD, a NUL, the account name. */
static void
secret_ad(struct buf *ad, const char *account)
{
	buf_append(ad, SECRET_AD, sizeof(SECRET_AD));
	buf_puts(ad, account);
}

/*
 * One AES-256-GCM operation: seal (enc 1: in -> out, tag written) or
 * open (enc 0: in -> out, tag checked). out has room for len bytes.
 * Returns 0, or -1 (for opening: the tag did not match).
 */
static int
gcm(int enc, const struct secret_key *key, const unsigned char *nonce,
    const char *account, const unsigned char *in, size_t len,
    unsigned char *out, unsigned char *tag)
{
	struct buf ad = BUF_INIT;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n, ok;

	if (ctx == NULL)
		return -1;
	secret_ad(&ad, account);
	ok = EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key->bytes, nonce,
	    enc) == 1 &&
	    EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)ad.data,
	    (int)ad.len) == 1 &&
	    EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 && (size_t)n == len &&
	    (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG,
	    SECRET_TAG_LEN, tag) == 1) &&
	    EVP_CipherFinal_ex(ctx, out + len, &n) == 1 && n == 0 &&
	    (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG,
	    SECRET_TAG_LEN, tag) == 1);
	EVP_CIPHER_CTX_free(ctx);
	buf_free(&ad);
	return ok ? 0 : -1;
}

char *
secret_encrypt(const struct secret_key *key, const char *account,
    const void *plain, size_t len, char **why_r)
{
	unsigned char nonce[SECRET_NONCE_LEN];
	unsigned char sealed[SECRET_MAX_LEN + SECRET_TAG_LEN];
	struct buf out = BUF_INIT;

	if (len == 0 || len > SECRET_MAX_LEN) {
		file_whyf(why_r, "secret must be 1 to %d bytes", SECRET_MAX_LEN);
		return NULL;
	}
	if (RAND_bytes(nonce, sizeof(nonce)) != 1 ||
	    gcm(1, key, nonce, account, plain, len, sealed, sealed + len) < 0) {
		explicit_bzero(sealed, sizeof(sealed));
		file_whyf(why_r, "AES-256-GCM encryption failed");
		return NULL;
	}
	buf_puts(&out, SECRET_PREFIX);
	passwd_b64_encode(&out, nonce, sizeof(nonce));
	buf_putc(&out, '$');
	passwd_b64_encode(&out, sealed, len + SECRET_TAG_LEN);
	return buf_steal(&out);
}

int
secret_decrypt(const struct secret_key *key, const char *account,
    const char *text, char **plain_r, size_t *len_r, char **why_r)
{
	struct buf nonce = BUF_INIT, sealed = BUF_INIT;
	const char *p, *dollar;
	char *plain;
	size_t len;
	int ok;

	if (strlen(text) > SECRET_TEXT_MAX ||
	    strncmp(text, SECRET_PREFIX, strlen(SECRET_PREFIX)) != 0 ||
	    (dollar = strchr(p = text + strlen(SECRET_PREFIX), '$')) == NULL ||
	    passwd_b64_decode(&nonce, p, (size_t)(dollar - p)) < 0 ||
	    nonce.len != SECRET_NONCE_LEN ||
	    passwd_b64_decode(&sealed, dollar + 1, strlen(dollar + 1)) < 0 ||
	    sealed.len <= SECRET_TAG_LEN ||
	    sealed.len > SECRET_MAX_LEN + SECRET_TAG_LEN) {
		buf_free(&nonce);
		buf_free(&sealed);
		return file_whyf(why_r, "malformed encrypted secret");
	}
	len = sealed.len - SECRET_TAG_LEN;
	plain = mem_alloc(len + 1, 1);
	ok = gcm(0, key, (unsigned char *)nonce.data, account,
	    (unsigned char *)sealed.data, len, (unsigned char *)plain,
	    (unsigned char *)sealed.data + len) == 0;
	buf_free(&nonce);
	buf_free(&sealed);
	if (!ok) {
		explicit_bzero(plain, len + 1);
		free(plain);
		return file_whyf(why_r, "encrypted secret does not decrypt "
		    "(altered, another account's, or another key)");
	}
	plain[len] = '\0';
	*plain_r = plain;
	*len_r = len;
	return 0;
}

void
secret_apop_digest(const char *timestamp, const void *secret, size_t len,
    char hex_r[SECRET_APOP_HEX + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[16];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t i;

	memset(md, 0, sizeof(md));
	if (ctx == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_md5(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, timestamp, strlen(timestamp)) != 1 ||
	    EVP_DigestUpdate(ctx, secret, len) != 1 ||
	    EVP_DigestFinal_ex(ctx, md, NULL) != 1)
		mem_fatal("MD5 unavailable");
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < sizeof(md); i++) {
		hex_r[2 * i] = digits[md[i] >> 4];
		hex_r[2 * i + 1] = digits[md[i] & 15];
	}
	hex_r[SECRET_APOP_HEX] = '\0';
	explicit_bzero(md, sizeof(md));
}

int
secret_apop_verify(const char *timestamp, const void *secret, size_t len,
    const char *digest)
{
	char want[SECRET_APOP_HEX + 1], got[SECRET_APOP_HEX];
	size_t i;
	int same;

	if (strlen(digest) != SECRET_APOP_HEX)
		return 0;
	for (i = 0; i < SECRET_APOP_HEX; i++) {
		got[i] = digest[i] >= 'A' && digest[i] <= 'F' ?
		    (char)(digest[i] - 'A' + 'a') : digest[i];
		if (!((got[i] >= '0' && got[i] <= '9') ||
		    (got[i] >= 'a' && got[i] <= 'f')))
			return 0;
	}
	secret_apop_digest(timestamp, secret, len, want);
	same = CRYPTO_memcmp(want, got, SECRET_APOP_HEX) == 0;
	explicit_bzero(want, sizeof(want));
	return same;
}

char *
secret_apop_timestamp(const char *hostname)
{
	char host[256];
	uint64_t r = 0;
	struct buf b = BUF_INIT;

	if (hostname == NULL || hostname[0] == '\0') {
		if (gethostname(host, sizeof(host)) < 0)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		hostname = host;
	}
	if (hostname[0] == '\0' || strlen(hostname) > 255 ||
	    strspn(hostname, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != strlen(hostname))
		hostname = "localhost";
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint64_t)clock();
	buf_printf(&b, "<%ld.%016" PRIx64 ".%lld@%s>", (long)getpid(), r,
	    (long long)time(NULL), hostname);
	return buf_steal(&b);
}
