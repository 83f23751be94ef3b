/*
 * 122-tls - tls_server_ctx() and netio under TLS. Implicit TLS and
 * STARTTLS (with the pipelined injection discarded), the TLS 1.2 floor,
 * the certificate chain file, strict ALPN, sendfile, dot-stuffing and
 * literals byte-exact over TLS, waiting with input buffered inside
 * TLS and across a KeyUpdate, handshake timeouts and failures.
 *
 * Certificates (root CA -> intermediate CA -> leaf for "localhost")
 * are made with the OpenSSL API in the test's temporary directory. A
 * forked child is the server (netio); this process is the client (a
 * plain blocking OpenSSL client that verifies the chain).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "buf.h"
#include "conf.h"
#include "crc.h"
#include "netio.h"
#include "tls.h"
#include "lib/tap.h"
#include "netio-test.h"

#define PATH_LEN	4200

static char p_root[PATH_LEN], p_chain[PATH_LEN], p_leaf[PATH_LEN],
    p_key[PATH_LEN], p_combined[PATH_LEN], p_other[PATH_LEN];
static struct buf content, dots;	/* the 1 MB files f1m and dots */

static void
tpath(char *out, const char *name)
{
	snprintf(out, PATH_LEN, "%s/%s", tap_tmpdir(), name);
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL ||
	    !X509_add_ext(x, e, -1))
		exit(2);
	X509_EXTENSION_free(e);
}

/* A certificate for key, signed by issuer/ikey (NULL: self-signed). */
static X509 *
new_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
    int ca)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, name);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
	X509_set_pubkey(x, key);
	add_ext(x, issuer ? issuer : x, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (ca)
		add_ext(x, issuer ? issuer : x, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
	else
		add_ext(x, issuer, NID_subject_alt_name, "DNS:localhost");
	if (!X509_sign(x, ikey ? ikey : key, EVP_sha256()))
		exit(2);
	X509_NAME_free(name);
	return x;
}

static void
write_pem(const char *path, X509 *a, X509 *b, EVP_PKEY *key)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || (a && !PEM_write_X509(fp, a)) ||
	    (b && !PEM_write_X509(fp, b)) ||
	    (key && !PEM_write_PrivateKey(fp, key, NULL, NULL, 0, NULL,
	    NULL)) || fclose(fp) != 0)
		exit(2);
}

static void
make_certs(void)
{
	EVP_PKEY *kr = EVP_EC_gen("P-256"), *ki = EVP_EC_gen("P-256"),
	    *kl = EVP_EC_gen("P-256"), *ko = EVP_EC_gen("P-256");
	X509 *root, *inter, *leaf;

	if (!kr || !ki || !kl || !ko)
		exit(2);
	root = new_cert("popstore test root", kr, NULL, NULL, 1);
	inter = new_cert("popstore test intermediate", ki, root, kr, 1);
	leaf = new_cert("localhost", kl, inter, ki, 0);
	tpath(p_root, "root.pem");
	tpath(p_chain, "chain.pem");
	tpath(p_leaf, "leaf.pem");
	tpath(p_key, "key.pem");
	tpath(p_combined, "combined.pem");
	tpath(p_other, "other-key.pem");
	write_pem(p_root, root, NULL, NULL);
	write_pem(p_chain, leaf, inter, NULL);
	write_pem(p_leaf, leaf, NULL, NULL);
	write_pem(p_key, NULL, NULL, kl);
	write_pem(p_combined, leaf, inter, kl);
	write_pem(p_other, NULL, NULL, ko);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	EVP_PKEY_free(kr);
	EVP_PKEY_free(ki);
	EVP_PKEY_free(kl);
	EVP_PKEY_free(ko);
}

/* popstore.conf's defaults, with the test certificate. */
static struct conf
test_conf(void)
{
	struct conf c;

	memset(&c, 0, sizeof(c));
	c.tls_cert_file = p_chain;
	c.tls_key_file = p_key;
	c.tls_ciphers = "HIGH:!aNULL:!MD5:!RC4:!3DES:!SHA1";
	c.tls_ciphersuites = "";
	c.tls_min_protocol = "TLSv1.2";
	return c;
}

static SSL_CTX *
server_ctx(const struct conf *c, const char *alpn)
{
	char *why = NULL;
	SSL_CTX *ctx = tls_server_ctx(c, alpn, &why);

	if (ctx == NULL) {
		tap_diag("tls_server_ctx: %s", why);
		exit(2);
	}
	return ctx;
}

/* ---- the server (child) ---- */

struct srv {
	SSL_CTX		*ctx;
	int		 starttls;	/* plain greeting, STARTTLS first */
	int		 timeout;	/* ms */
	int		 want;		/* expected netio_starttls() result */
	const char	*why_has;	/* ... and text of netio_why() */
};

#define EXIT_EOF	20		/* the client left without QUIT */

static int
crc_fn(void *ctx, const char *data, size_t len)
{
	uint32_t *crc = ctx;

	*crc = crc32c_update(*crc, data, len);
	return 0;
}

/* "SEND name", "STUFF name": +OK, the file, ".". */
static int
srv_send(struct netio *n, const char *name, int stuff)
{
	char path[PATH_LEN];
	struct stat st;
	int fd, r;

	tpath(path, name);
	if ((fd = open(path, O_RDONLY)) < 0 || fstat(fd, &st) < 0)
		return -1;
	netio_puts(n, "+OK\r\n");
	r = stuff ? netio_send_dotstuffed(n, fd, 0, (uint64_t)st.st_size) :
	    netio_sendfile(n, fd, 0, (uint64_t)st.st_size);
	netio_puts(n, ".\r\n");
	close(fd);
	return r;
}

static int
srv_commands(struct netio *n, struct srv *a)
{
	const char *line;
	size_t len, d;
	uint32_t crc;
	int nul, r;

	for (;;) {
		if ((r = netio_read_line(n, 1000, &line, &len, &nul)) < 0)
			return r == NETIO_EOF ? EXIT_EOF : 10 - r;
		if (strcmp(line, "QUIT") == 0)
			return netio_flush(n) == 0 ? 0 : 1;
		if (strncmp(line, "SEND ", 5) == 0)
			r = srv_send(n, line + 5, 0);
		else if (strncmp(line, "STUFF ", 6) == 0)
			r = srv_send(n, line + 6, 1);
		else if (strncmp(line, "LIT ", 4) == 0) {
			unsigned long long k = strtoull(line + 4, NULL, 10);

			crc = crc32c("", 0);
			netio_puts(n, "+ go\r\n");
			r = netio_read_stream(n, k, crc_fn, &crc);
			netio_printf(n, "lit %llu %08x\r\n", k, crc);
		} else if (strncmp(line, "WAIT ", 5) == 0)
			netio_printf(n, "wait %d\r\n",
			    netio_wait(n, -1, atoi(line + 5)));
		else if (strcmp(line, "STARTTLS") == 0)
			netio_printf(n, "again %d\r\n",
			    netio_starttls(n, a->ctx, &d));
		else
			netio_printf(n, "echo %s\r\n", line);
		if (r < 0) {
			fprintf(stderr, "# server: %s: %d %s\n", line, r,
			    netio_why(n));
			return 2;
		}
	}
}

static int
srv_session(struct netio *n, void *arg)
{
	struct srv *a = arg;
	const char *line;
	size_t len, discarded = 0;
	int nul, r;

	netio_set_timeout(n, a->timeout ? a->timeout : 5000);
	if (a->starttls) {
		netio_puts(n, "+OK ready\r\n");
		if (netio_read_line(n, 100, &line, &len, &nul) != 0 ||
		    strcmp(line, "STARTTLS") != 0)
			return 3;
		netio_puts(n, "OK begin TLS\r\n");
	}
	r = netio_starttls(n, a->ctx, &discarded);
	if (a->want != 0 || r != 0) {
		if (r == a->want && a->why_has &&
		    strstr(netio_why(n), a->why_has) != NULL)
			return 0;
		fprintf(stderr, "# server: starttls %d: %s\n", r, netio_why(n));
		return 4;
	}
	netio_printf(n, "* discarded=%zu tls=%d plain=%d %s %s\r\n",
	    discarded, netio_is_tls(n),
	    netio_plaintext_allowed(n, PLAINTEXT_NEVER),
	    netio_tls_protocol(n), netio_tls_cipher(n));
	return srv_commands(n, a);
}

/* ---- the client (this process) ---- */

struct copts {
	int		 minv, maxv;
	const char	*ciphers;
	const char	*alpn;		/* wire format */
};

static SSL *
client(int rfd, int wfd, const struct copts *o)
{
	SSL_CTX *c = SSL_CTX_new(TLS_client_method());
	SSL *s;

	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	if (!SSL_CTX_load_verify_locations(c, p_root, NULL))
		exit(2);
	if (o && o->minv)
		SSL_CTX_set_min_proto_version(c, o->minv);
	if (o && o->maxv)
		SSL_CTX_set_max_proto_version(c, o->maxv);
	if (o && o->ciphers)
		SSL_CTX_set_cipher_list(c, o->ciphers);
	if (o && o->alpn)
		SSL_CTX_set_alpn_protos(c, (const unsigned char *)o->alpn,
		    (unsigned)strlen(o->alpn));
	s = SSL_new(c);
	SSL_CTX_free(c);
	SSL_set_rfd(s, rfd);
	SSL_set_wfd(s, wfd);
	SSL_set_tlsext_host_name(s, "localhost");
	SSL_set1_host(s, "localhost");
	if (SSL_connect(s) != 1) {
		SSL_free(s);
		ERR_clear_error();
		return NULL;
	}
	return s;
}

/* One reply line without its CRLF; -1 at the end. */
static int
cl_line(SSL *s, struct buf *b)
{
	char c;

	buf_reset(b);
	while (SSL_read(s, &c, 1) == 1) {
		if (c == '\n') {
			if (b->len > 0 && b->data[b->len - 1] == '\r')
				buf_truncate(b, b->len - 1);
			return 0;
		}
		buf_putc(b, c);
	}
	return -1;
}

static int
cl_exact(SSL *s, struct buf *b, size_t len)
{
	char tmp[16384];
	size_t want;
	int r;

	buf_reset(b);
	while (b->len < len) {
		want = len - b->len < sizeof(tmp) ? len - b->len : sizeof(tmp);
		if ((r = SSL_read(s, tmp, (int)want)) <= 0)
			return -1;
		buf_append(b, tmp, (size_t)r);
	}
	return 0;
}

/* Send a command line, return the first reply line. */
static const char *
cl_cmd(SSL *s, const char *cmd, struct buf *reply)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s\r\n", cmd);
	if (SSL_write(s, b.data, (int)b.len) != (int)b.len ||
	    cl_line(s, reply) < 0)
		buf_puts(reply, "(no reply)");
	buf_free(&b);
	return buf_cstr(reply);
}

struct conn {
	int	 fd;
	pid_t	 pid;
	SSL	*ssl;
};

/* A server on a socketpair, and no client yet. */
static void
conn_spawn(struct conn *c, struct srv *a)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		exit(2);
	c->pid = serve(sv[0], sv[0], sv[1], srv_session, a);
	close(sv[0]);
	c->fd = sv[1];
	c->ssl = NULL;
}

/* A server on a socketpair; the TLS client unless a->starttls. */
static void
conn_start(struct conn *c, struct srv *a, const struct copts *o)
{
	conn_spawn(c, a);
	if (!a->starttls)
		c->ssl = client(c->fd, c->fd, o);
}

/* QUIT if connected; the server's exit status. */
static int
conn_end(struct conn *c, int quit)
{
	struct buf b = BUF_INIT;

	if (c->ssl != NULL && quit) {
		(void)cl_cmd(c->ssl, "QUIT", &b);
		buf_free(&b);
	}
	SSL_free(c->ssl);
	close(c->fd);
	return reap(c->pid);
}

/* SEND or STUFF a file and compare what arrives with want. */
static void
check_file(SSL *s, const char *cmd, const char *want, size_t wlen)
{
	struct buf line = BUF_INIT, got = BUF_INIT;
	int ok;

	ok = strcmp(cl_cmd(s, cmd, &line), "+OK") == 0 &&
	    cl_exact(s, &got, wlen) == 0 && cl_line(s, &line) == 0 &&
	    strcmp(buf_cstr(&line), ".") == 0;
	tap_ok(ok && got.len == wlen && memcmp(buf_cstr(&got), want, wlen) == 0,
	    "TLS %s: %zu bytes byte-exact", cmd, wlen);
	buf_free(&line);
	buf_free(&got);
}

/* The dot-stuffed form of data, as the memory netio (121) makes it. */
static void
stuffed(const char *name, struct buf *out)
{
	char path[PATH_LEN];
	struct stat st;
	const char *p;
	size_t len;
	int fd;
	struct netio *n = netio_create_mem("", 0, 0);

	tpath(path, name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || fstat(fd, &st) < 0 ||
	    netio_send_dotstuffed(n, fd, 0, (uint64_t)st.st_size) != 0)
		exit(2);
	p = netio_mem_output(n, &len);
	buf_append(out, p, len);
	netio_free(n);
	close(fd);
}

/*
 * The TLS 1.2 ciphers a context offers: count them, and those without
 * forward secrecy, below 128 bits, or NULL/anonymous.
 */
static void
count_ciphers(SSL_CTX *ctx, int *n_r, int *weak_r, const char *want,
    int *want_r)
{
	STACK_OF(SSL_CIPHER) *sk = SSL_CTX_get_ciphers(ctx);
	int i;

	*n_r = *weak_r = *want_r = 0;
	for (i = 0; sk && i < sk_SSL_CIPHER_num(sk); i++) {
		const SSL_CIPHER *ci = sk_SSL_CIPHER_value(sk, i);
		int kx = SSL_CIPHER_get_kx_nid(ci);
		int au = SSL_CIPHER_get_auth_nid(ci);

		if (kx == NID_kx_any)	/* TLS 1.3 */
			continue;
		(*n_r)++;
		if ((kx != NID_kx_ecdhe && kx != NID_kx_dhe) ||
		    au == NID_auth_null ||
		    SSL_CIPHER_get_bits(ci, NULL) < 128 ||
		    SSL_CIPHER_get_cipher_nid(ci) == NID_undef)
			(*weak_r)++;
		if (want && strcmp(SSL_CIPHER_get_name(ci), want) == 0)
			(*want_r)++;
	}
}

static void
test_cipher_floor(void)
{
	struct conf c = test_conf();
	char *why = NULL;
	SSL_CTX *ctx;
	int n, weak, want;

	c.tls_ciphers = "";
	ctx = tls_server_ctx(&c, NULL, &why);
	count_ciphers(ctx, &n, &weak, "AES256-GCM-SHA384", &want);
	tap_ok(ctx && n > 5 && weak == 0 && want == 0,
	    "empty TLS_CIPHERS: %d TLS 1.2 ciphers, %d weak, no kRSA", n,
	    weak);
	SSL_CTX_free(ctx);
	c.tls_ciphers = "HIGH:!aNULL:!MD5:!RC4:!3DES:!SHA1";
	ctx = tls_server_ctx(&c, NULL, &why);
	count_ciphers(ctx, &n, &weak, "AES128-GCM-SHA256", &want);
	tap_ok(ctx && n > 5 && weak == 0 && want == 0,
	    "default TLS_CIPHERS: %d ciphers, none without forward secrecy",
	    n);
	SSL_CTX_free(ctx);
	c.tls_ciphers = "ALL:COMPLEMENTOFALL";
	ctx = tls_server_ctx(&c, NULL, &why);
	count_ciphers(ctx, &n, &weak, "ECDHE-RSA-AES128-SHA", &want);
	tap_ok(ctx && n > 5 && weak == 0 && want == 1,
	    "ALL:COMPLEMENTOFALL: %d ciphers left, none weak", n);
	SSL_CTX_free(ctx);
	c.tls_ciphers = "AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256";
	ctx = tls_server_ctx(&c, NULL, &why);
	count_ciphers(ctx, &n, &weak, "ECDHE-ECDSA-AES128-GCM-SHA256", &want);
	tap_ok(ctx && n == 1 && want == 1, "a list is honoured, minus kRSA");
	SSL_CTX_free(ctx);
	c.tls_min_protocol = "TLSv1.3";
	ctx = tls_server_ctx(&c, NULL, &why);
	tap_ok(ctx && SSL_CTX_get_min_proto_version(ctx) == TLS1_3_VERSION,
	    "TLS_MIN_PROTOCOL=TLSv1.3");
	SSL_CTX_free(ctx);
	free(why);
}

static void
test_ctx(void)
{
	struct conf c = test_conf();
	char *why = NULL;
	SSL_CTX *ctx;
	int v = 0;

	struct {
		const char	*what;
		char		*cert, *key, *ciphers, *suites, *min;
		const char	*why_has;
	} bad[] = {
		{ "no certificate", "", "", NULL, NULL, NULL, "TLS_CERT_FILE" },
		{ "missing file", "/nonexistent/c.pem", "", NULL, NULL, NULL,
		    "/nonexistent/c.pem" },
		{ "key of another certificate", p_chain, p_other, NULL, NULL,
		    NULL, "not the key of TLS_CERT_FILE" },
		{ "certificate without key", p_chain, "", NULL, NULL, NULL,
		    "TLS_KEY_FILE" },
		{ "unknown protocol", p_chain, p_key, NULL, NULL, "SSLv3",
		    "TLS_MIN_PROTOCOL SSLv3" },
		{ "bad cipher list", p_chain, p_key, "NOPE", NULL, NULL,
		    "TLS_CIPHERS NOPE" },
		{ "bad cipher suites", p_chain, p_key, NULL, "NOPE", NULL,
		    "TLS_CIPHERSUITES NOPE" },
		{ "minimum TLSv1.1", p_chain, p_key, NULL, NULL, "TLSv1.1",
		    "TLS_MIN_PROTOCOL TLSv1.1: older than TLSv1.2" },
		{ "minimum TLSv1", p_chain, p_key, NULL, NULL, "tlsv1",
		    "TLS_MIN_PROTOCOL tlsv1: older than TLSv1.2" },
		{ "only RSA key exchange", p_chain, p_key,
		    "AES256-GCM-SHA384:AES128-SHA", NULL, NULL,
		    "TLS_CIPHERS AES256-GCM-SHA384:AES128-SHA" },
		{ "only weak ciphers", p_chain, p_key,
		    "NULL:aNULL:RC4:3DES:DES:EXP:LOW:MD5", NULL, NULL,
		    "TLS_CIPHERS NULL:" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = test_conf();
		c.tls_cert_file = bad[i].cert;
		c.tls_key_file = bad[i].key;
		if (bad[i].ciphers)
			c.tls_ciphers = bad[i].ciphers;
		if (bad[i].suites)
			c.tls_ciphersuites = bad[i].suites;
		if (bad[i].min)
			c.tls_min_protocol = bad[i].min;
		why = NULL;
		ctx = tls_server_ctx(&c, NULL, &why);
		tap_ok(ctx == NULL && why && strstr(why, bad[i].why_has),
		    "%s: refused: %s", bad[i].what, why ? why : "(no why)");
		SSL_CTX_free(ctx);
		free(why);
	}
	c = test_conf();
	c.tls_cert_file = p_combined;
	c.tls_key_file = "";
	why = NULL;
	ctx = tls_server_ctx(&c, NULL, &why);
	tap_ok(ctx != NULL, "key in the certificate file: accepted");
	SSL_CTX_free(ctx);
	c.tls_min_protocol = "";
	ctx = tls_server_ctx(&c, NULL, &why);
	tap_ok(ctx && SSL_CTX_get_min_proto_version(ctx) == TLS1_2_VERSION,
	    "empty TLS_MIN_PROTOCOL: TLS 1.2 floor");
	tap_ok(ctx && (SSL_CTX_get_options(ctx) & SSL_OP_NO_COMPRESSION) &&
	    (SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION) &&
	    (SSL_CTX_get_options(ctx) & SSL_OP_CIPHER_SERVER_PREFERENCE) &&
	    SSL_CTX_get_session_cache_mode(ctx) == SSL_SESS_CACHE_OFF,
	    "no compression, no renegotiation, server order, no cache");
	SSL_CTX_free(ctx);
	test_cipher_floor();
	tap_ok(tls_protocol_version("tlsv1.3", &v) == 0 &&
	    v == TLS1_3_VERSION, "tls_protocol_version(tlsv1.3)");
	tap_is_int(tls_protocol_version("SSLv3", &v), -1,
	    "tls_protocol_version(SSLv3): unknown");
}

static void
test_implicit(SSL_CTX *ctx)
{
	struct srv a = { ctx, 0, 0, 0, NULL };
	struct buf line = BUF_INIT, lit = BUF_INIT, want = BUF_INIT;
	struct timespec t0;
	struct conn c;
	char expect[64];
	int ok;

	conn_start(&c, &a, NULL);
	if (!tap_ok(c.ssl != NULL, "implicit TLS: handshake, chain verified")) {
		conn_end(&c, 0);
		return;
	}
	ok = cl_line(c.ssl, &line) == 0;
	tap_ok(ok && strncmp(buf_cstr(&line),
	    "* discarded=0 tls=1 plain=1 TLSv1.3 ", 36) == 0,
	    "greeting under TLS: %s", buf_cstr(&line));
	tap_is_str(cl_cmd(c.ssl, "A1 NOOP", &line), "echo A1 NOOP",
	    "command and reply");
	check_file(c.ssl, "SEND f0", "", 0);
	check_file(c.ssl, "SEND f1", content.data, 1);
	check_file(c.ssl, "SEND f1m", content.data, content.len);
	stuffed("dots", &want);
	check_file(c.ssl, "STUFF dots", want.data, want.len);

	/* A 3 MB literal streamed through the server. */
	random_bytes(&lit, 3000000, NULL, 7);
	ok = strcmp(cl_cmd(c.ssl, "LIT 3000000", &line), "+ go") == 0 &&
	    SSL_write(c.ssl, lit.data, (int)lit.len) == (int)lit.len &&
	    cl_line(c.ssl, &line) == 0;
	snprintf(expect, sizeof(expect), "lit 3000000 %08x",
	    crc32c(lit.data, lit.len));
	tap_ok(ok && strcmp(buf_cstr(&line), expect) == 0,
	    "3 MB literal over TLS: %s", buf_cstr(&line));

	/* Input already inside TLS and netio counts as ready at once. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	tap_is_str(cl_cmd(c.ssl, "WAIT 3000\r\nZ", &line), "wait 1",
	    "wait with a pipelined line buffered: client ready");
	tap_ok(ms_since(&t0) < 1500, "at once (%lld ms)", ms_since(&t0));
	ok = cl_line(c.ssl, &line) == 0;
	tap_ok(ok && strcmp(buf_cstr(&line), "echo Z") == 0,
	    "and the buffered line is read");
	tap_is_str(cl_cmd(c.ssl, "WAIT 300", &line), "wait 0",
	    "wait with nothing sent: timeout");

	/* A KeyUpdate is TLS traffic but no input: no wake-up. */
	ok = SSL_write(c.ssl, "WAIT 800\r\n", 10) == 10;
	usleep(200000);
	ok &= SSL_key_update(c.ssl, SSL_KEY_UPDATE_REQUESTED) == 1 &&
	    SSL_do_handshake(c.ssl) == 1;
	ok = ok && cl_line(c.ssl, &line) == 0;
	tap_ok(ok && strcmp(buf_cstr(&line), "wait 0") == 0,
	    "a KeyUpdate during the wait does not wake it: %s",
	    buf_cstr(&line));
	tap_is_str(cl_cmd(c.ssl, "A2 NOOP", &line), "echo A2 NOOP",
	    "session goes on with the new keys");
	tap_is_str(cl_cmd(c.ssl, "STARTTLS", &line), "again -1",
	    "STARTTLS under TLS: NETIO_ERROR");
	tap_is_int(conn_end(&c, 1), 0, "server: QUIT, close_notify, exit 0");
	buf_free(&line);
	buf_free(&lit);
	buf_free(&want);
}

static void
test_starttls(SSL_CTX *ctx)
{
	struct srv a = { ctx, 1, 0, 0, NULL };
	struct buf line = BUF_INIT;
	struct conn c;
	char ch;

	conn_start(&c, &a, NULL);
	buf_reset(&line);
	while (read(c.fd, &ch, 1) == 1 && ch != '\n')
		buf_putc(&line, ch);
	tap_is_str(buf_cstr(&line), "+OK ready\r", "plaintext greeting");
	/* RFC 3207 4.2: the injection rides in the STARTTLS segment. */
	tap_ok(write(c.fd, "STARTTLS\r\nINJECTED\r\n", 20) == 20,
	    "client sends \"STARTTLS\\r\\nINJECTED\\r\\n\" in one write");
	buf_reset(&line);
	while (read(c.fd, &ch, 1) == 1 && ch != '\n')
		buf_putc(&line, ch);
	tap_is_str(buf_cstr(&line), "OK begin TLS\r", "STARTTLS answered");
	c.ssl = client(c.fd, c.fd, NULL);
	tap_ok(c.ssl != NULL, "handshake after STARTTLS");
	if (c.ssl != NULL) {
		int ok = cl_line(c.ssl, &line) == 0;

		tap_ok(ok && strncmp(buf_cstr(&line), "* discarded=10 tls=1",
		    20) == 0, "10 injected bytes discarded: %s",
		    buf_cstr(&line));
		tap_is_str(cl_cmd(c.ssl, "A1 NOOP", &line), "echo A1 NOOP",
		    "first command under TLS is the client's, not INJECTED");
	}
	tap_is_int(conn_end(&c, 1), 0, "server exit 0");
	buf_free(&line);
}

static void
test_pipes(SSL_CTX *ctx)
{
	struct srv a = { ctx, 0, 0, 0, NULL };
	struct buf line = BUF_INIT;
	int up[2], down[2];
	struct conn c;

	if (pipe(up) < 0 || pipe(down) < 0)
		exit(2);
	c.pid = serve(up[0], down[1], -1, srv_session, &a);
	close(up[0]);
	close(down[1]);
	c.ssl = client(down[0], up[1], NULL);
	c.fd = up[1];
	if (tap_ok(c.ssl != NULL && cl_line(c.ssl, &line) == 0,
	    "TLS over two pipes: handshake, greeting"))
		check_file(c.ssl, "SEND f1m", content.data, content.len);
	tap_is_int(conn_end(&c, 1), 0, "server exit 0");
	close(down[0]);
	buf_free(&line);
}

/* A handshake the server must refuse with want and why_has. */
static void
check_refused(const char *what, SSL_CTX *ctx, const struct copts *o,
    int want, const char *why_has)
{
	struct srv a = { ctx, 0, 0, want, why_has };
	struct conn c;

	conn_start(&c, &a, o);
	tap_ok(c.ssl == NULL, "%s: client handshake fails", what);
	tap_is_int(conn_end(&c, 0), 0, "%s: server says %d (%s)", what, want,
	    why_has);
}

/* A handshake that must work; returns the greeting. */
static int
check_accepted(const char *what, SSL_CTX *ctx, const struct copts *o,
    const char *greeting_has)
{
	struct srv a = { ctx, 0, 0, 0, NULL };
	struct buf line = BUF_INIT;
	struct conn c;
	int ok;

	conn_start(&c, &a, o);
	ok = c.ssl != NULL && cl_line(c.ssl, &line) == 0 &&
	    strstr(buf_cstr(&line), greeting_has) != NULL;
	tap_ok(ok, "%s: %s", what, c.ssl ? buf_cstr(&line) : "no handshake");
	tap_is_int(conn_end(&c, c.ssl != NULL), c.ssl ? 0 : 4,
	    "%s: server exit", what);
	buf_free(&line);
	return ok;
}

static void
test_protocols(SSL_CTX *ctx)
{
	struct copts tls11 = { TLS1_1_VERSION, TLS1_1_VERSION,
	    "DEFAULT:@SECLEVEL=0", NULL };
	struct copts tls12 = { TLS1_2_VERSION, TLS1_2_VERSION, NULL, NULL };
	struct copts tls13 = { TLS1_3_VERSION, TLS1_3_VERSION, NULL, NULL };
	struct conf c = test_conf();
	SSL_CTX *strict;

	check_refused("TLS 1.1 client, default settings", ctx, &tls11,
	    NETIO_ERROR, "unsupported protocol");
	check_accepted("TLS 1.2 client", ctx, &tls12, " TLSv1.2 ");
	check_accepted("TLS 1.3 client", ctx, &tls13, " TLSv1.3 ");
	/* TLS_MIN_PROTOCOL=TLSv1.3 turns the TLS 1.2 client away. */
	c.tls_min_protocol = "TLSv1.3";
	strict = server_ctx(&c, NULL);
	check_refused("TLS 1.2 client, TLS_MIN_PROTOCOL=TLSv1.3", strict,
	    &tls12, NETIO_ERROR, "unsupported protocol");
	check_accepted("TLS 1.3 client, TLS_MIN_PROTOCOL=TLSv1.3", strict,
	    &tls13, " TLSv1.3 ");
	SSL_CTX_free(strict);
}

static void
test_chain_alpn(void)
{
	struct conf c = test_conf();
	struct copts pop3 = { 0, 0, NULL, "\x04pop3" };
	struct copts imap = { 0, 0, NULL, "\x04pop3\x04imap" };
	SSL_CTX *ctx;

	c.tls_cert_file = p_leaf;
	ctx = server_ctx(&c, NULL);
	check_refused("leaf without its intermediate", ctx, NULL, NETIO_ERROR,
	    "unknown ca");
	SSL_CTX_free(ctx);

	c = test_conf();
	ctx = server_ctx(&c, "imap");
	check_refused("ALPN pop3 at an imap server", ctx, &pop3, NETIO_ERROR,
	    "no application protocol");
	check_accepted("ALPN pop3+imap at an imap server", ctx, &imap,
	    "tls=1");
	check_accepted("no ALPN at an imap server", ctx, NULL, "tls=1");
	SSL_CTX_free(ctx);
}

static void
test_failures(SSL_CTX *ctx)
{
	struct srv a = { ctx, 0, 1000, NETIO_TIMEOUT, "timed out" };
	struct buf line = BUF_INIT;
	struct timespec t0;
	struct conn c;

	/* A client that connects and says nothing. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	conn_spawn(&c, &a);
	tap_is_int(reap(c.pid), 0, "silent client: handshake times out");
	/* It waited for the timeout, and ended (a loaded machine may be
	 * slow to schedule the server, so only a hang fails the bound). */
	tap_ok(ms_since(&t0) >= 950 && ms_since(&t0) < 60000,
	    "after the 1 s timeout (%lld ms)", ms_since(&t0));
	close(c.fd);

	/* Plaintext where the ClientHello should be. */
	a = (struct srv){ ctx, 0, 0, NETIO_ERROR, "TLS handshake" };
	conn_spawn(&c, &a);
	tap_ok(write(c.fd, "A1 LOGIN x y\r\n", 14) == 14, "garbage sent");
	tap_is_int(conn_end(&c, 0), 0, "garbage: handshake error");

	/* The client goes away during the handshake. */
	a = (struct srv){ ctx, 0, 0, NETIO_EOF, "closed" };
	conn_spawn(&c, &a);
	tap_is_int(conn_end(&c, 0), 0, "client gone: NETIO_EOF");

	/* Gone mid-session without close_notify: EOF, not an error. */
	a = (struct srv){ ctx, 0, 0, 0, NULL };
	conn_start(&c, &a, NULL);
	(void)cl_line(c.ssl, &line);
	tap_is_str(cl_cmd(c.ssl, "A1 NOOP", &line), "echo A1 NOOP",
	    "session up");
	tap_is_int(conn_end(&c, 0), EXIT_EOF,
	    "client vanishes without close_notify: server sees EOF");
	buf_free(&line);
}

int
main(void)
{
	char path[PATH_LEN];
	struct conf c;
	SSL_CTX *ctx;

	make_certs();
	random_bytes(&content, 1 << 20, NULL, 3);
	random_bytes(&dots, 1 << 20, ".\r\na", 5);
	tpath(path, "f0");
	make_file(path, "", 0);
	tpath(path, "f1");
	make_file(path, content.data, 1);
	tpath(path, "f1m");
	make_file(path, content.data, content.len);
	tpath(path, "dots");
	make_file(path, dots.data, dots.len);

	test_ctx();
	c = test_conf();
	ctx = server_ctx(&c, NULL);
	test_implicit(ctx);
	test_starttls(ctx);
	test_pipes(ctx);
	test_protocols(ctx);
	test_chain_alpn();
	test_failures(ctx);
	SSL_CTX_free(ctx);
	buf_free(&content);
	buf_free(&dots);
	return tap_done();
}
