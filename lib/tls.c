/* tls - the servers' OpenSSL context; see tls.h. */
#include <string.h>
#include <strings.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "buf.h"
#include "conf.h"
#include "mem.h"
#include "tls.h"

static const struct {
	const char	*name;
	int		 version;
} versions[] = {
	{ "TLSv1", TLS1_VERSION },
	{ "TLSv1.0", TLS1_VERSION },
	{ "TLSv1.1", TLS1_1_VERSION },
	{ "TLSv1.2", TLS1_2_VERSION },
	{ "TLSv1.3", TLS1_3_VERSION },
};

int
tls_protocol_version(const char *name, int *version_r)
{
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strcasecmp(name, versions[i].name) == 0) {
			*version_r = versions[i].version;
			return 0;
		}
	return -1;
}

char *
tls_why(const char *what, int sys_errno)
{
	struct buf b = BUF_INIT;
	char text[256];
	unsigned long e;
	const char *sep = ": ";

	buf_puts(&b, what);
	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, text, sizeof(text));
		buf_printf(&b, "%s%s", sep, text);
		sep = "; ";
	}
	if (*sep == ':' && sys_errno != 0)
		buf_printf(&b, ": %s", strerror(sys_errno));
	else if (*sep == ':')
		buf_puts(&b, ": unknown TLS error");
	return buf_steal(&b);
}

/* "OPTION value: OpenSSL's reasons" into *why_r. */
static void
option_why(char **why_r, const char *option, const char *value)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s %s", option, value);
	*why_r = tls_why(buf_cstr(&b), 0);
	buf_free(&b);
}

/*
 * Strict ALPN: accept the client's list only if it names our protocol.
 * Called by OpenSSL only when the client sent the extension.
 */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
    const unsigned char *in, unsigned int inlen, void *arg)
{
	const char *want = arg;
	size_t wlen = strlen(want);
	unsigned int i = 0;

	(void)ssl;
	while (i < inlen) {
		unsigned int len = in[i];

		if (len > inlen - i - 1)
			break;
		if (len == wlen && memcmp(in + i + 1, want, wlen) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)len;
			return SSL_TLSEXT_ERR_OK;
		}
		i += len + 1;
	}
	return SSL_TLSEXT_ERR_ALERT_FATAL;
}

/*
 * Removed from every TLS 1.2 cipher list, whatever TLS_CIPHERS says:
 * no forward secrecy (RSA key exchange), no authentication or no
 * encryption, pre-shared keys and SRP (never configured), and every
 * cipher below 128 bits or with a broken primitive.
 */
static const char cipher_floor[] = "!aNULL:!eNULL:!kRSA:!PSK:!SRP:!LOW:"
    "!MEDIUM:!EXP:!RC4:!DES:!3DES:!MD5:!IDEA:!SEED:!DSS";

static int
set_protocols(SSL_CTX *ctx, const struct conf *conf, char **why_r)
{
	const char *min = conf->tls_min_protocol;
	const char *list = conf->tls_ciphers;
	struct buf ciphers = BUF_INIT;
	int version, ok;

	if (min == NULL || *min == '\0')
		min = "TLSv1.2";
	if (tls_protocol_version(min, &version) < 0) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "TLS_MIN_PROTOCOL %s: unknown (TLSv1, TLSv1.1, "
		    "TLSv1.2, TLSv1.3)", min);
		*why_r = buf_steal(&b);
		return -1;
	}
	if (version < TLS1_2_VERSION) {
		struct buf b = BUF_INIT;

		buf_printf(&b, "TLS_MIN_PROTOCOL %s: older than TLSv1.2 is not "
		    "supported", min);
		*why_r = buf_steal(&b);
		return -1;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, version)) {
		option_why(why_r, "TLS_MIN_PROTOCOL", min);
		return -1;
	}
	if (list == NULL || *list == '\0')
		list = "DEFAULT";
	buf_printf(&ciphers, "%s:%s", list, cipher_floor);
	ok = SSL_CTX_set_cipher_list(ctx, buf_cstr(&ciphers));
	buf_free(&ciphers);
	if (!ok) {
		option_why(why_r, "TLS_CIPHERS", list);
		return -1;
	}
	if (conf->tls_ciphersuites && *conf->tls_ciphersuites &&
	    !SSL_CTX_set_ciphersuites(ctx, conf->tls_ciphersuites)) {
		option_why(why_r, "TLS_CIPHERSUITES", conf->tls_ciphersuites);
		return -1;
	}
	return 0;
}

/* The key does not belong to the certificate: say so plainly. */
static void
mismatch_why(char **why_r, const char *cert, const char *key)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "TLS_KEY_FILE %s: not the key of TLS_CERT_FILE %s",
	    key, cert);
	*why_r = tls_why(buf_cstr(&b), 0);
	buf_free(&b);
}

static int
load_keys(SSL_CTX *ctx, const struct conf *conf, char **why_r)
{
	const char *cert = conf->tls_cert_file;
	const char *key = conf->tls_key_file;

	if (cert == NULL || *cert == '\0') {
		*why_r = mem_strdup("TLS_CERT_FILE is not set");
		return -1;
	}
	if (key == NULL || *key == '\0')
		key = cert;
	if (!SSL_CTX_use_certificate_chain_file(ctx, cert)) {
		option_why(why_r, "TLS_CERT_FILE", cert);
		return -1;
	}
	if (!SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM)) {
		if (ERR_GET_REASON(ERR_peek_last_error()) ==
		    X509_R_KEY_VALUES_MISMATCH)
			mismatch_why(why_r, cert, key);
		else
			option_why(why_r, "TLS_KEY_FILE", key);
		return -1;
	}
	/* A key of another type lands in an empty slot: caught here. */
	if (!SSL_CTX_check_private_key(ctx)) {
		mismatch_why(why_r, cert, key);
		return -1;
	}
	return 0;
}

SSL_CTX *
tls_server_ctx(const struct conf *conf, const char *alpn, char **why_r)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		*why_r = tls_why("SSL_CTX_new", 0);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
	    SSL_OP_NO_TICKET | SSL_OP_ENABLE_KTLS);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_dh_auto(ctx, 1);
	if (alpn != NULL)
		SSL_CTX_set_alpn_select_cb(ctx, alpn_select, (void *)alpn);
	if (set_protocols(ctx, conf, why_r) < 0 ||
	    load_keys(ctx, conf, why_r) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}
