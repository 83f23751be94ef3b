/* passwd: stored hashes, verification, legacy crypt, rules, base64. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "lib/tap.h"
#include "passwd.h"

/* crypt(3) strings of "legacy pw" made with libcrypt / openssl passwd. */
static const char *const legacy[] = {
	"$6$Qm8z0Xk2$AVWOvSroCkfRmhS.C/JX988dEYHnfrIwa5hxSXF0uYD2SbR8VPcVRtMA"
	    "f1lgnztV50LpfKNzuqHKbUp7tLJDJ/",
	"$y$j9T$9DHjWHFE3Ni9nLhyyI11m0$D0mGsXNO2hcClP.l7iz25nndqndWyW88uziPf9"
	    "7liZ7",
	"$2b$05$TKRKHopfUAvLRzzdSEj3p.V77jN.wKn3ObIkOQEUevynOvzoULXh2",
	"$5$ePuWFMnxv5GLv9tI$YetQ1Ra1aYjFOdA/KB0u2BDI2yVSJrvhXKT9jyDN9T.",
	"$1$Cfd6TE3T$oVw.ws1SDWWZW6LHXRj.Q.",
	"$7$CU..../....z6nrsz/58KxeFSB4bmdpb.$xYkVi5uvYU7zNi6S8LVAW9R1ZINa7lT"
	    "NwTMyR3M8mB3",
	NULL
};

static const char *const malformed[] = {
	"",
	"plaintext",
	"$scram-sha-256$",
	"$scram-sha-256$v=2$i=4096$AAAAAAAAAAAAAAAAAAAAAA==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	"$scram-sha-256$v=1$i=0$W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	"$scram-sha-256$v=1$i=99999999$W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	"$scram-sha-256$v=1$i=04096$W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	"$scram-sha-256$v=1$i=4x96$W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	"$scram-sha-256$v=1$i=4096$W22ZaJ0SNY7soEsUEjb6gQ$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	"$scram-sha-256$v=1$i=4096$W22Z$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	"$scram-sha-256$v=1$i=4096$W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4q==$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	"$scram-sha-256$v=1$i=4096$W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
	"$scram-sha-256$v=1$i=4096$W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=$",
	"$scram-sha-256$v=1$i=4096$W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU= ",
	"$scram-sha-256$v=1$i=4096$W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qZ=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	"$6$",
	"$1$x",
	"!$6$Qm8z0Xk2$AVWOvSroCkfRmhS.C/JX988dEYHnfrIwa5hxSXF0uYD2SbR8VPcVRt",
	"*",
	"abVs3vF8DGFLY",		/* traditional DES: refused */
	NULL
};

static void
test_roundtrip(void)
{
	char *h, *why = NULL;

	h = passwd_hash("correct horse", 4096, &why);
	tap_ok(h != NULL, "hash made");
	tap_ok(h && strncmp(h, "$scram-sha-256$v=1$i=4096$", 26) == 0,
	    "hash has scheme, version, iterations: %s", h);
	tap_is_int(passwd_scheme(h), PASSWD_SCHEME_SCRAM, "scheme SCRAM");
	tap_is_int(passwd_verify(h, "correct horse", &why), 1, "right password");
	tap_is_int(passwd_verify(h, "correct horsf", &why), 0, "wrong password");
	tap_is_int(passwd_verify(h, "", &why), 0, "empty password");
	tap_is_int(passwd_verify(h, "correct horse ", &why), 0, "extra space");
	tap_is_int(passwd_needs_upgrade(h, 4096), 0, "no upgrade at 4096");
	tap_is_int(passwd_needs_upgrade(h, 10000), 1, "upgrade wanted at 10000");
	tap_is_int(passwd_needs_upgrade(h, 1000), 0, "no downgrade");
	free(h);

	h = passwd_hash("x", 4095, &why);
	tap_ok(h == NULL && why != NULL, "4095 iterations refused: %s",
	    why ? why : "");
	free(why);
	why = NULL;
	tap_ok(passwd_hash("a", 20000000, NULL) == NULL, "too many iterations");
}

static void
test_salts_differ(void)
{
	char *a = passwd_hash("same", 4096, NULL);
	char *b = passwd_hash("same", 4096, NULL);

	tap_ok(a && b && strcmp(a, b) != 0, "two hashes of one password differ");
	tap_is_int(passwd_verify(b, "same", NULL), 1, "second verifies too");
	free(a);
	free(b);
}

static void
test_malformed(void)
{
	char *why;
	size_t i;

	for (i = 0; malformed[i]; i++) {
		why = NULL;
		tap_is_int(passwd_verify(malformed[i], "pencil", &why), -1,
		    "malformed #%zu refused (%s)", i, why ? why : "no why");
		tap_is_int(passwd_needs_upgrade(malformed[i], 4096), 1,
		    "malformed #%zu needs upgrade", i);
		free(why);
	}
	tap_is_int(passwd_verify(NULL, "x", NULL), -1, "NULL hash");
}

static void
test_legacy(void)
{
	size_t i;

	for (i = 0; legacy[i]; i++) {
		tap_is_int(passwd_scheme(legacy[i]), PASSWD_SCHEME_CRYPT,
		    "legacy #%zu is crypt", i);
		tap_is_int(passwd_verify(legacy[i], "legacy pw", NULL), 1,
		    "legacy %.4s right password", legacy[i]);
		tap_is_int(passwd_verify(legacy[i], "legacy PW", NULL), 0,
		    "legacy %.4s wrong password", legacy[i]);
		tap_is_int(passwd_needs_upgrade(legacy[i], 4096), 1,
		    "legacy %.4s needs upgrade", legacy[i]);
	}
}

/* RFC 7677 section 3: user "user", password "pencil". */
static void
test_rfc7677(void)
{
	static const char auth_message[] =
	    "n=user,r=rOprNGfwEbeRWgbNEkqO,"
	    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
	    "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
	    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
	static const char proof_b64[] =
	    "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
	static const char verifier_b64[] =
	    "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
	struct buf salt = BUF_INIT, proof = BUF_INIT, want = BUF_INIT;
	struct buf got = BUF_INIT;
	struct passwd_scram v;
	unsigned char stored[PASSWD_KEY_LEN], server[PASSWD_KEY_LEN];
	unsigned char sig[EVP_MAX_MD_SIZE], client_key[PASSWD_KEY_LEN];
	unsigned char h[PASSWD_KEY_LEN];
	unsigned int len;
	char *hash;
	size_t i;

	tap_is_int(passwd_b64_decode(&salt, "W22ZaJ0SNY7soEsUEjb6gQ==", 24), 0,
	    "RFC salt decodes");
	tap_is_int(passwd_scram_keys("pencil", (unsigned char *)salt.data,
	    salt.len, 4096, stored, server), 0, "keys derived");
	passwd_b64_encode(&got, stored, PASSWD_KEY_LEN);
	tap_is_str(got.data, "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=",
	    "StoredKey");
	buf_reset(&got);
	passwd_b64_encode(&got, server, PASSWD_KEY_LEN);
	tap_is_str(got.data, "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
	    "ServerKey");

	/* The server signature v= of the RFC's exchange. */
	HMAC(EVP_sha256(), server, PASSWD_KEY_LEN,
	    (const unsigned char *)auth_message, strlen(auth_message), sig, &len);
	passwd_b64_decode(&want, verifier_b64, strlen(verifier_b64));
	tap_is_mem(sig, len, want.data, want.len, "ServerSignature matches v=");

	/* The client proof p= checks against StoredKey, as a server does. */
	HMAC(EVP_sha256(), stored, PASSWD_KEY_LEN,
	    (const unsigned char *)auth_message, strlen(auth_message), sig, &len);
	passwd_b64_decode(&proof, proof_b64, strlen(proof_b64));
	for (i = 0; i < PASSWD_KEY_LEN && i < proof.len; i++)
		client_key[i] = (unsigned char)proof.data[i] ^ sig[i];
	EVP_Digest(client_key, PASSWD_KEY_LEN, h, NULL, EVP_sha256(), NULL);
	tap_is_mem(h, PASSWD_KEY_LEN, stored, PASSWD_KEY_LEN,
	    "H(ClientProof XOR ClientSignature) == StoredKey");

	/* The same verifier as a stored hash. */
	memset(&v, 0, sizeof(v));
	v.iterations = 4096;
	memcpy(v.salt, salt.data, salt.len);
	v.salt_len = salt.len;
	memcpy(v.stored_key, stored, PASSWD_KEY_LEN);
	memcpy(v.server_key, server, PASSWD_KEY_LEN);
	hash = passwd_scram_format(&v);
	tap_is_str(hash, "$scram-sha-256$v=1$i=4096$W22ZaJ0SNY7soEsUEjb6gQ==$"
	    "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=$"
	    "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=", "hash string");
	tap_is_int(passwd_verify(hash, "pencil", NULL), 1, "RFC hash verifies");
	tap_is_int(passwd_verify(hash, "Pencil", NULL), 0, "case matters");
	memset(&v, 0, sizeof(v));
	tap_is_int(passwd_scram_parse(hash, &v), 1, "parses");
	tap_ok(v.iterations == 4096 && v.salt_len == 16 &&
	    memcmp(v.stored_key, stored, PASSWD_KEY_LEN) == 0,
	    "parsed fields");
	tap_is_int(passwd_scram_parse(legacy[0], &v), 0, "crypt is not SCRAM");
	free(hash);
	buf_free(&salt);
	buf_free(&proof);
	buf_free(&want);
	buf_free(&got);
}

static void
test_prep(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "pencil", "pencil" },
		{ "I\xc2\xadX", "IX" },			/* soft hyphen removed */
		{ "a\xc2\xa0" "b", "a b" },		/* NBSP to space */
		{ "a\xe3\x80\x80" "b", "a b" },		/* ideographic space */
		{ "\xef\xbb\xbfpw", "pw" },		/* BOM removed */
		{ "caf\xc3\xa9", "caf\xc3\xa9" },	/* kept as is */
		{ "bad\xff\xc2\xa0", "bad\xff\xc2\xa0" },	/* not UTF-8 */
		{ "", "" },
	};
	struct buf b = BUF_INIT;
	char *h;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		passwd_prep(cases[i].in, &b);
		tap_is_str(buf_cstr(&b), cases[i].out, "prep case %zu", i);
	}
	buf_free_secret(&b);
	h = passwd_hash("a\xc2\xa0" "b", 4096, NULL);
	tap_is_int(passwd_verify(h, "a b", NULL), 1,
	    "NBSP and space hash the same");
	free(h);
}

static void
test_rules(void)
{
	static const struct {
		const char *user, *pw;
		int ok;
	} cases[] = {
		{ "jdoe", "s3cret-Pass", 0 },
		{ "jdoe", "short", -1 },
		{ "jdoe", "", -1 },
		{ "jdoe", "aaaaaaaaaa", -1 },
		{ "jdoe", "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9", -1 },
		{ "jdoe", "xxJDOExxyy", -1 },
		{ "longname", "LongName", -1 },
		{ "jdoe@example.com", "jdoe@example.com", -1 },
		{ "jdoe@example.com", "my-jdoe-pass", -1 },
		{ "jo", "jo-is-fine-here", 0 },
		{ NULL, "no user given", 0 },
		{ "jdoe", "tab\there1", -1 },
		{ "jdoe", "bad\xff utf8 x", -1 },
		{ "jdoe", "caf\xc3\xa9-au-lait", 0 },
		{ "jdoe", "\xc3\xa9t\xc3\xa9-1", -1 },	/* 6 characters */
	};
	char *why;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why = NULL;
		tap_is_int(passwd_check_new(cases[i].user, cases[i].pw, 8, &why),
		    cases[i].ok, "rule case %zu: %s", i, why ? why : "ok");
		tap_ok((why != NULL) == (cases[i].ok < 0), "why iff refused");
		free(why);
	}
}

static void
test_b64(void)
{
	static const char *const bad[] = {
		"A", "AA", "AAA", "AAA=A", "A===", "AB==CD==", "ab c", "AB=C",
		"QQ=\n", "QR==", "QUI", "!!!!", NULL
	};
	struct buf b = BUF_INIT;
	size_t i;

	for (i = 0; bad[i]; i++) {
		buf_puts(&b, "k");
		tap_is_int(passwd_b64_decode(&b, bad[i], strlen(bad[i])), -1,
		    "bad base64 #%zu", i);
		tap_is_str(buf_cstr(&b), "k", "output unchanged");
		buf_reset(&b);
	}
	tap_is_int(passwd_b64_decode(&b, "QQ==", 4), 0, "QQ== decodes");
	tap_is_mem(b.data, b.len, "A", 1, "to A");
	buf_reset(&b);
	tap_is_int(passwd_b64_decode(&b, "", 0), 0, "empty decodes");
	tap_is_int((long long)b.len, 0, "to nothing");
	passwd_b64_encode(&b, "any carnal pleas", 16);
	tap_is_str(buf_cstr(&b), "YW55IGNhcm5hbCBwbGVhcw==", "encode");
	buf_free(&b);
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_dummy(void)
{
	char *real = passwd_hash("pw", 4096, NULL);
	char *d = passwd_dummy(4096);
	double t0, t1, t2;

	tap_is_int(passwd_scheme(d), PASSWD_SCHEME_SCRAM, "dummy is SCRAM");
	tap_is_int(passwd_verify(d, "pw", NULL), 0, "dummy matches nothing");
	tap_ok(strstr(d, "$i=4096$") != NULL, "dummy has the iterations");
	free(d);
	d = passwd_dummy(1);
	tap_ok(strstr(d, "$i=4096$") != NULL, "dummy iterations clamped");
	t0 = seconds();
	passwd_verify(real, "wrong", NULL);
	t1 = seconds();
	passwd_verify(d, "wrong", NULL);
	t2 = seconds();
	tap_diag("one verification at 4096 iterations: real %.2f ms, dummy "
	    "%.2f ms", (t1 - t0) * 1e3, (t2 - t1) * 1e3);
	free(d);
	free(real);
}

int
main(void)
{
	test_roundtrip();
	test_salts_differ();
	test_malformed();
	test_legacy();
	test_rfc7677();
	test_prep();
	test_rules();
	test_b64();
	test_dummy();
	return tap_done();
}
