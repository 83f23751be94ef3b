/*
 * sasl: whole exchanges between the Cyrus client library and a
 * sasl_session, in one process, for PLAIN, LOGIN, SCRAM-SHA-256 and
 * CRAM-MD5; the plaintext check; saslauthd through a fake daemon.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "buf.h"
#include "conf.h"
#include "lib/tap.h"
#include "mem.h"
#include "passwd.h"
#include "sasl.h"
#include "secret.h"

#define CB(f)	((sasl_callback_ft)(void (*)(void))(f))
#define ITER	4096

/* ---- the account table behind the lookup callback ---- */

struct acct {
	const char	*name;
	const char	*password;	/* hashed at start unless hash is set */
	const char	*hash;
	const char	*secret;
	int		 elsewhere, disabled;
	char		*stored;
};

static struct acct accts[] = {
	{ "jdoe", "s3cret pw", NULL, "tanstaaf", 0, 0, NULL },
	{ "nosecret", "plain only", NULL, NULL, 0, 0, NULL },
	{ "old", NULL, "$6$Qm8z0Xk2$AVWOvSroCkfRmhS.C/JX988dEYHnfrIwa5hxSXF0uYD2"
	    "SbR8VPcVRtMAf1lgnztV50LpfKNzuqHKbUp7tLJDJ/", NULL, 0, 0, NULL },
	{ "locked", "locked pw", NULL, "locksecret", 0, 1, NULL },
	{ "remote", NULL, NULL, NULL, 1, 0, NULL },
	{ "broken", NULL, "$scram-sha-256$v=1$garbage", NULL, 0, 0, NULL },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL }
};
static unsigned lookups;

static int
lookup(void *ctx, const char *user, struct sasl_account *a, char **why_r)
{
	struct acct *p;

	(void)ctx;
	lookups++;
	if (strcmp(user, "ioerror") == 0) {
		*why_r = mem_strdup("disk on fire");
		return -1;
	}
	for (p = accts; p->name; p++) {
		if (strcmp(p->name, user) != 0)
			continue;
		a->hash = p->stored ? mem_strdup(p->stored) : NULL;
		if (p->secret) {
			a->secret = mem_strdup(p->secret);
			a->secret_len = strlen(p->secret);
		}
		a->pwd_elsewhere = p->elsewhere;
		a->disabled = p->disabled;
		return 1;
	}
	return 0;
}

/* Lower-case canonical names. */
static int
canon(void *ctx, const char *in, size_t inlen, char *out, size_t outsize)
{
	size_t i;

	(void)ctx;
	if (inlen == 0 || inlen >= outsize || memchr(in, '/', inlen))
		return -1;
	for (i = 0; i < inlen; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	out[inlen] = '\0';
	return 0;
}

static struct secret_key key;
static char sockpath[100];

static void
params_init(struct sasl_params *p, int policy, int tls, int cram)
{
	memset(p, 0, sizeof(*p));
	p->service = "pop";
	p->hostname = "mail.example.org";
	p->local_ipport = "192.0.2.1;110";
	p->remote_ipport = "192.0.2.99;40000";
	p->tls = tls;
	p->plaintext_login = policy;
	p->apop_cram_md5 = cram;
	p->mechanisms = "SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 GSSAPI";
	p->saslauthd_path = sockpath;
	p->iterations = ITER;
	p->secret_key = &key;
	p->backend.lookup = lookup;
	p->backend.canon = canon;
}

static struct sasl_session *
session(int policy, int tls, int cram)
{
	struct sasl_params p;
	struct sasl_session *s;
	char *why = NULL;

	params_init(&p, policy, tls, cram);
	s = sasl_session_new(&p, &why);
	if (s == NULL) {
		tap_diag("sasl_session_new: %s", why ? why : "?");
		exit(tap_done());
	}
	return s;
}

/* ---- the Cyrus client side ---- */

static const char *c_authname, *c_authzid, *c_password;

static int
client_simple(void *ctx, int id, const char **result, unsigned *len)
{
	(void)ctx;
	*result = id == SASL_CB_AUTHNAME ? c_authname : c_authzid;
	if (len)
		*len = (unsigned)strlen(*result);
	return SASL_OK;
}

static int
client_secret(sasl_conn_t *conn, void *ctx, int id, sasl_secret_t **psecret)
{
	static sasl_secret_t *sec;
	size_t n = strlen(c_password);

	(void)conn;
	(void)ctx;
	(void)id;
	free(sec);
	sec = mem_zalloc(1, sizeof(*sec) + n + 1);
	sec->len = n;
	memcpy(sec->data, c_password, n);
	*psecret = sec;
	return SASL_OK;
}

static int
client_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
	return SASL_OK;
}

static const sasl_callback_t client_cb[] = {
	{ SASL_CB_AUTHNAME, CB(client_simple), NULL },
	{ SASL_CB_USER, CB(client_simple), NULL },
	{ SASL_CB_PASS, CB(client_secret), NULL },
	{ SASL_CB_LOG, CB(client_log), NULL },
	{ SASL_CB_LIST_END, NULL, NULL }
};

static int server_steps;	/* challenges the server sent */

/*
 * Run one exchange. Returns what the session's last call returned, or
 * -2 when the client gave up (it could not check the server).
 */
static int
exchange(struct sasl_session *s, const char *mech, const char *user,
    const char *authzid, const char *password, int use_ir)
{
	sasl_conn_t *c = NULL;
	const char *cout = NULL, *chosen = NULL;
	unsigned coutlen = 0;
	const void *sout;
	size_t soutlen;
	struct buf in = BUF_INIT;
	int r, sr;

	c_authname = user;
	c_authzid = authzid;
	c_password = password;
	server_steps = 0;
	if (sasl_client_new("pop", "mail.example.org", NULL, NULL, client_cb,
	    0, &c) != SASL_OK)
		return -3;
	r = sasl_client_start(c, mech, NULL, &cout, &coutlen, &chosen);
	if (r != SASL_OK && r != SASL_CONTINUE) {
		sasl_dispose(&c);
		return -3;
	}
	if (use_ir || cout == NULL) {
		sr = sasl_session_start(s, mech, cout, coutlen, &sout, &soutlen);
	} else {
		sr = sasl_session_start(s, mech, NULL, 0, &sout, &soutlen);
		if (sr == 1 && soutlen == 0)
			sr = sasl_session_step(s, cout, coutlen, &sout, &soutlen);
	}
	while (sr == 1) {
		server_steps++;
		buf_reset(&in);
		buf_append(&in, sout, soutlen);
		r = sasl_client_step(c, in.data, (unsigned)in.len, NULL, &cout,
		    &coutlen);
		if (r != SASL_OK && r != SASL_CONTINUE) {
			sr = -2;
			break;
		}
		sr = sasl_session_step(s, cout, coutlen, &sout, &soutlen);
	}
	buf_free(&in);
	sasl_dispose(&c);
	return sr;
}

static void
expect(struct sasl_session *s, int got, int want, enum sasl_outcome outcome,
    const char *user, const char *what)
{
	tap_is_int(got, want, "%s: result", what);
	tap_is_str(sasl_outcome_name(sasl_session_outcome(s)),
	    sasl_outcome_name(outcome), "%s: outcome (%s)", what,
	    sasl_session_why(s));
	tap_is_str(sasl_session_user(s), user, "%s: user", what);
}

/* ---- a fake saslauthd on a socket in the test directory ---- */

static pid_t authd;

static int
read_full(int fd, void *p, size_t len)
{
	char *q = p;
	ssize_t n;

	while (len > 0) {
		n = read(fd, q, len);
		if (n <= 0)
			return -1;
		q += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_counted(int fd, char *out, size_t max)
{
	unsigned char hdr[2];
	size_t n;

	if (read_full(fd, hdr, 2) < 0)
		return -1;
	n = (size_t)hdr[0] << 8 | hdr[1];
	if (n >= max || read_full(fd, out, n) < 0)
		return -1;
	out[n] = '\0';
	return 0;
}

/* Answer OK for remote/"far away" asked by service pop, NO otherwise. */
static void
authd_serve(int ls)
{
	char user[256], pass[256], service[256], realm[256];
	int fd, ok;

	for (;;) {
		fd = accept(ls, NULL, NULL);
		if (fd < 0)
			continue;
		ok = read_counted(fd, user, sizeof(user)) == 0 &&
		    read_counted(fd, pass, sizeof(pass)) == 0 &&
		    read_counted(fd, service, sizeof(service)) == 0 &&
		    read_counted(fd, realm, sizeof(realm)) == 0 &&
		    strcmp(user, "remote") == 0 &&
		    strcmp(pass, "far away") == 0 &&
		    strcmp(service, "pop") == 0 && realm[0] == '\0';
		if (write(fd, ok ? "\0\2OK" : "\0\2NO", 4) != 4)
			_exit(1);
		close(fd);
	}
}

static void
authd_start(void)
{
	struct sockaddr_un sa;
	int ls, p[2];
	char c;

	snprintf(sockpath, sizeof(sockpath), "%s/mux", tap_tmpdir());
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(sockpath) >= sizeof(sa.sun_path))
		tap_skip_all("temporary directory path too long for a socket");
	memcpy(sa.sun_path, sockpath, strlen(sockpath) + 1);
	if (pipe(p) < 0)
		exit(1);
	authd = fork();
	if (authd == 0) {
		close(p[0]);
		ls = socket(AF_UNIX, SOCK_STREAM, 0);
		if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(ls, 5) < 0)
			_exit(1);
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		close(p[1]);
		authd_serve(ls);
	}
	close(p[1]);
	tap_ok(authd > 0 && read(p[0], &c, 1) == 1, "fake saslauthd ready");
	close(p[0]);
}

static void
authd_stop(void)
{
	if (authd > 0) {
		kill(authd, SIGTERM);
		waitpid(authd, NULL, 0);
	}
	unlink(sockpath);
}

/* ---- tests ---- */

static void
test_policy(void)
{
	struct sasl_session *s;
	char *hash = NULL, *sec = NULL;

	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_NEVER, 0, NULL), 0,
	    "never, no TLS");
	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_NEVER, 1, NULL), 1,
	    "never, TLS");
	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_ALWAYS, 0, "192.0.2.1;1"),
	    1, "always");
	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_LOCAL, 0, "127.0.0.1;5"),
	    1, "local, 127.0.0.1");
	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_LOCAL, 0, "127.9.8.7;5"),
	    1, "local, 127/8");
	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_LOCAL, 0, "::1;5"), 1,
	    "local, ::1");
	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_LOCAL, 0,
	    "::ffff:127.0.0.1;5"), 1, "local, v4-mapped loopback");
	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_LOCAL, 0, "192.0.2.1;5"),
	    0, "local, remote address");
	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_LOCAL, 0, "2001:db8::1;5"),
	    0, "local, remote v6");
	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_LOCAL, 0, NULL), 1,
	    "local, not a socket");
	tap_is_int(sasl_plaintext_allowed(PLAINTEXT_LOCAL, 1, "192.0.2.1;5"),
	    1, "local, TLS");

	s = session(PLAINTEXT_ALWAYS, 0, 0);
	tap_is_str(sasl_session_mechanisms(s), "SCRAM-SHA-256 PLAIN LOGIN",
	    "mechanisms, plaintext allowed, CRAM-MD5 off");
	tap_is_int(sasl_session_plaintext_ok(s), 1, "plaintext ok");
	sasl_session_free(s);

	s = session(PLAINTEXT_ALWAYS, 0, 1);
	tap_is_str(sasl_session_mechanisms(s),
	    "SCRAM-SHA-256 PLAIN LOGIN CRAM-MD5", "CRAM-MD5 on");
	sasl_session_free(s);

	s = session(PLAINTEXT_LOCAL, 0, 0);
	tap_is_str(sasl_session_mechanisms(s), "SCRAM-SHA-256",
	    "remote client without TLS: no PLAIN, no LOGIN");
	tap_is_int(sasl_session_plaintext_ok(s), 0, "plaintext refused here");
	expect(s, sasl_session_check(s, "jdoe", "s3cret pw"), -1,
	    SASL_OUTCOME_REFUSED, NULL, "USER/PASS refused");
	expect(s, exchange(s, "PLAIN", "jdoe", "", "s3cret pw", 1), -1,
	    SASL_OUTCOME_REFUSED, NULL, "PLAIN refused");
	tap_is_int(sasl_session_upgrade(s, &hash, &sec), 0, "nothing to store");
	sasl_session_free(s);

	s = session(PLAINTEXT_NEVER, 1, 0);
	tap_is_str(sasl_session_mechanisms(s), "SCRAM-SHA-256 PLAIN LOGIN",
	    "under TLS");
	sasl_session_free(s);
}

/* One exchange (mech NULL: a plaintext check) and what must come of it. */
struct xcase {
	const char	*mech, *user, *authzid, *pass;
	int		 ir, want;
	enum sasl_outcome outcome;
	const char	*canon;		/* the authenticated name */
};

static void
run_cases(struct sasl_session *s, const struct xcase *c, size_t n)
{
	char what[160];
	int got;

	for (; n > 0; c++, n--) {
		snprintf(what, sizeof(what), "%s %s%s%s \"%s\"%s",
		    c->mech ? c->mech : "check", c->user, c->authzid[0] ? "/" : "",
		    c->authzid, c->pass, c->ir ? "" : " (no initial response)");
		got = c->mech ? exchange(s, c->mech, c->user, c->authzid, c->pass,
		    c->ir) : sasl_session_check(s, c->user, c->pass);
		expect(s, got, c->want, c->outcome, c->canon, what);
	}
}

#define NCASES(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_plain(void)
{
	static const struct xcase cases[] = {
		{ "PLAIN", "jdoe", "", "s3cret pw", 1, 0, SASL_OUTCOME_OK, "jdoe" },
		{ "plain", "jdoe", "", "s3cret pw", 0, 0, SASL_OUTCOME_OK, "jdoe" },
		{ "PLAIN", "JDoe", "", "s3cret pw", 1, 0, SASL_OUTCOME_OK, "jdoe" },
		{ "PLAIN", "jdoe", "", "s3cret PW", 1, -1, SASL_OUTCOME_BADPASS,
		    NULL },
		{ "PLAIN", "nobody", "", "s3cret pw", 1, -1, SASL_OUTCOME_NOUSER,
		    NULL },
		{ "PLAIN", "locked", "", "locked pw", 1, -1,
		    SASL_OUTCOME_DISABLED, NULL },
		{ "PLAIN", "broken", "", "x", 1, -1, SASL_OUTCOME_NOVERIFIER,
		    NULL },
		{ "PLAIN", "jdoe", "nosecret", "s3cret pw", 1, -1,
		    SASL_OUTCOME_REFUSED, NULL },	/* no proxy logins */
		{ "PLAIN", "jdoe", "jdoe", "s3cret pw", 1, 0, SASL_OUTCOME_OK,
		    "jdoe" },
		{ "LOGIN", "jdoe", "", "s3cret pw", 0, 0, SASL_OUTCOME_OK, "jdoe" },
		{ "LOGIN", "jdoe", "", "wrong", 0, -1, SASL_OUTCOME_BADPASS, NULL },
		{ "PLAIN", "ioerror", "", "x", 1, -1, SASL_OUTCOME_TEMPFAIL, NULL },
	};
	static const struct xcase legacy = { "PLAIN", "old", "", "legacy pw", 1,
	    0, SASL_OUTCOME_OK, "old" };
	struct sasl_session *s = session(PLAINTEXT_ALWAYS, 0, 0);
	char *hash, *sec;
	struct acct *old = &accts[2];

	run_cases(s, cases, NCASES(cases));
	tap_ok(strstr(sasl_session_why(s), "disk on fire") != NULL,
	    "why names the lookup error");
	run_cases(s, cases, 1);
	tap_is_str(sasl_session_mech(s), "PLAIN", "mechanism");
	tap_is_int(sasl_session_upgrade(s, &hash, &sec), 0, "no upgrade due");

	run_cases(s, &legacy, 1);
	tap_is_int(sasl_session_upgrade(s, &hash, &sec), 1, "upgrade due");
	tap_ok(hash && strncmp(hash, "$scram-sha-256$v=1$i=4096$", 26) == 0,
	    "new hash is SCRAM");
	tap_is_int(passwd_verify(hash, "legacy pw", NULL), 1,
	    "new hash verifies");
	tap_ok(sec == NULL, "no secret without CRAM-MD5");
	free(old->stored);
	old->stored = hash;	/* the caller would store it */
	sasl_session_free(s);
}

static void
test_check(void)
{
	static const struct xcase cases[] = {
		{ NULL, "jdoe", "", "s3cret pw", 1, 0, SASL_OUTCOME_OK, "jdoe" },
		{ NULL, "JDOE", "", "s3cret pw", 1, 0, SASL_OUTCOME_OK, "jdoe" },
		{ NULL, "jdoe", "", "s3cret p", 1, -1, SASL_OUTCOME_BADPASS, NULL },
		{ NULL, "nobody", "", "s3cret pw", 1, -1, SASL_OUTCOME_NOUSER,
		    NULL },
		{ NULL, "a/b", "", "s3cret pw", 1, -1, SASL_OUTCOME_NOUSER, NULL },
		{ NULL, "", "", "x", 1, -1, SASL_OUTCOME_NOUSER, NULL },
		{ NULL, "locked", "", "locked pw", 1, -1, SASL_OUTCOME_DISABLED,
		    NULL },
		/* With CRAM-MD5 on, a login captures the missing secret. */
		{ NULL, "nosecret", "", "plain only", 1, 0, SASL_OUTCOME_OK,
		    "nosecret" },
	};
	struct sasl_session *s = session(PLAINTEXT_ALWAYS, 0, 1);
	char *hash, *sec, *plain = NULL;
	size_t len;

	run_cases(s, cases, 1);
	tap_ok(sasl_session_mech(s) == NULL, "no mechanism for a check");
	run_cases(s, cases + 1, NCASES(cases) - 1);
	tap_is_int(sasl_session_upgrade(s, &hash, &sec), 1, "secret to store");
	tap_ok(hash == NULL, "hash current");
	tap_is_int(sec ? secret_decrypt(&key, "nosecret", sec, &plain, &len,
	    NULL) : -1, 0, "secret decrypts for the account");
	tap_is_str(plain, "plain only", "secret is the password");
	mem_free_secret(plain);
	free(sec);
	tap_is_int(sasl_session_upgrade(s, &hash, &sec), 0, "handed over once");
	sasl_session_free(s);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Fastest of n plaintext checks of user (the least disturbed by load). */
static double
fastest_check(struct sasl_session *s, const char *user, int n)
{
	double t0, t, best = 1e9;

	while (n-- > 0) {
		t0 = now();
		sasl_session_check(s, user, "wrong password");
		t = now() - t0;
		if (t < best)
			best = t;
	}
	return best;
}

static void
test_timing(void)
{
	struct sasl_session *s = session(PLAINTEXT_ALWAYS, 0, 0);
	double known = fastest_check(s, "jdoe", 10);
	double unknown = fastest_check(s, "nobody", 10);

	tap_diag("failed check, fastest of 10: known user %.2f ms, unknown "
	    "user %.2f ms", known * 1e3, unknown * 1e3);
	tap_ok(unknown > known * 0.5 && unknown < known * 2,
	    "unknown user costs what a wrong password costs");
	sasl_session_free(s);
}

static void
test_scram(void)
{
	static const struct xcase cases[] = {
		{ "SCRAM-SHA-256", "jdoe", "", "s3cret pW", 1, -1,
		    SASL_OUTCOME_BADPASS, NULL },
		{ "SCRAM-SHA-256", "nobody", "", "s3cret pw", 1, -1,
		    SASL_OUTCOME_NOUSER, NULL },
		{ "SCRAM-SHA-256", "locked", "", "locked pw", 1, -1,
		    SASL_OUTCOME_DISABLED, NULL },
		{ "SCRAM-SHA-256", "remote", "", "far away", 1, -1,
		    SASL_OUTCOME_NOVERIFIER, NULL },	/* password elsewhere */
		{ "SCRAM-SHA-256", "old", "", "legacy pw", 1, 0,
		    SASL_OUTCOME_OK, "old" },	/* after the $6$ upgrade */
		{ "SCRAM-SHA-256", "JDoe", "", "s3cret pw", 1, 0,
		    SASL_OUTCOME_OK, "jdoe" },
		{ "SCRAM-SHA-256", "jdoe", "", "s3cret pw", 0, 0,
		    SASL_OUTCOME_OK, "jdoe" },
	};
	static const struct xcase good = { "SCRAM-SHA-256", "jdoe", "",
	    "s3cret pw", 1, 0, SASL_OUTCOME_OK, "jdoe" };
	struct sasl_session *s = session(PLAINTEXT_NEVER, 0, 0), *s2;
	const void *out, *out2;
	size_t outlen, outlen2, i;
	const char *first = "n,,n=nobody,r=abcdefghijklmnop";
	char a[200], b[200];

	run_cases(s, &good, 1);
	tap_is_int(server_steps, 2, "server-first and server-final challenges");
	for (i = 0; i < 2; i++) {
		run_cases(s, cases + i, 1);
		tap_is_int(server_steps, 1, "failed after client-final");
	}
	run_cases(s, cases + 2, NCASES(cases) - 2);

	/* An unknown user's salt is the same on the next connection. */
	s2 = session(PLAINTEXT_NEVER, 0, 0);
	tap_is_int(sasl_session_start(s, "SCRAM-SHA-256", first, strlen(first),
	    &out, &outlen), 1, "server-first for unknown user");
	tap_is_int(sasl_session_start(s2, "SCRAM-SHA-256", first, strlen(first),
	    &out2, &outlen2), 1, "again on another connection");
	snprintf(a, sizeof(a), "%.*s", (int)outlen, (const char *)out);
	snprintf(b, sizeof(b), "%.*s", (int)outlen2, (const char *)out2);
	tap_ok(strstr(a, ",s=") && strcmp(strstr(a, ",s="), strstr(b, ",s=")) == 0,
	    "same salt and iterations: %s", strstr(a, ",s=") ? strstr(a, ",s=") : a);
	tap_ok(strstr(a, ",i=4096") != NULL, "configured iterations");
	sasl_session_free(s2);

	expect(s, sasl_session_start(s, "SCRAM-SHA-256", "junk", 4, &out,
	    &outlen), -1, SASL_OUTCOME_PROTOCOL, NULL, "SCRAM garbage");
	expect(s, sasl_session_start(s, "DIGEST-MD5", NULL, 0, &out, &outlen),
	    -1, SASL_OUTCOME_REFUSED, NULL, "mechanism not offered");
	expect(s, sasl_session_start(s, "SCRAM-SHA-1", NULL, 0, &out, &outlen),
	    -1, SASL_OUTCOME_REFUSED, NULL, "SCRAM-SHA-1 not offered");
	expect(s, sasl_session_step(s, "x", 1, &out, &outlen), -1,
	    SASL_OUTCOME_PROTOCOL, NULL, "step without start");
	expect(s, sasl_session_start(s, "CRAM-MD5", NULL, 0, &out, &outlen),
	    -1, SASL_OUTCOME_REFUSED, NULL, "CRAM-MD5 off");
	sasl_session_free(s);
}

static void
test_cram(void)
{
	static const struct xcase cases[] = {
		{ "CRAM-MD5", "jdoe", "", "tanstaaf", 1, 0, SASL_OUTCOME_OK,
		    "jdoe" },
		{ "CRAM-MD5", "jdoe", "", "s3cret pw", 1, -1,
		    SASL_OUTCOME_BADPASS, NULL },
		{ "CRAM-MD5", "nobody", "", "tanstaaf", 1, -1,
		    SASL_OUTCOME_NOUSER, NULL },
		{ "CRAM-MD5", "nosecret", "", "plain only", 1, -1,
		    SASL_OUTCOME_NOVERIFIER, NULL },
		{ "CRAM-MD5", "locked", "", "locksecret", 1, -1,
		    SASL_OUTCOME_DISABLED, NULL },
		/* The secret must not work as a password, nor SCRAM use it. */
		{ "SCRAM-SHA-256", "jdoe", "", "tanstaaf", 1, -1,
		    SASL_OUTCOME_BADPASS, NULL },
	};
	static const struct xcase mixed[] = {
		{ NULL, "jdoe", "", "tanstaaf", 1, -1, SASL_OUTCOME_BADPASS, NULL },
		{ "CRAM-MD5", "jdoe", "", "tanstaaf", 1, 0, SASL_OUTCOME_OK,
		    "jdoe" },
		{ NULL, "jdoe", "", "tanstaaf", 1, -1, SASL_OUTCOME_BADPASS, NULL },
	};
	struct sasl_session *s = session(PLAINTEXT_NEVER, 0, 1);
	const void *out;
	size_t outlen;

	run_cases(s, cases, NCASES(cases));
	expect(s, sasl_session_start(s, "CRAM-MD5", "x", 1, &out, &outlen), -1,
	    SASL_OUTCOME_PROTOCOL, NULL, "CRAM-MD5 with initial response");
	sasl_session_free(s);
	s = session(PLAINTEXT_ALWAYS, 0, 1);
	run_cases(s, mixed, NCASES(mixed));
	sasl_session_free(s);
}

static void
test_saslauthd(void)
{
	static const struct xcase cases[] = {
		{ NULL, "Remote", "", "far away", 1, 0, SASL_OUTCOME_OK,
		    "remote" },
		{ NULL, "remote", "", "near", 1, -1, SASL_OUTCOME_BADPASS, NULL },
		{ "PLAIN", "remote", "", "far away", 1, 0, SASL_OUTCOME_OK,
		    "remote" },
		{ "LOGIN", "remote", "", "nope", 0, -1, SASL_OUTCOME_BADPASS,
		    NULL },
		{ NULL, "jdoe", "", "s3cret pw", 1, 0, SASL_OUTCOME_OK, "jdoe" },
		{ "CRAM-MD5", "remote", "", "far away", 1, -1,
		    SASL_OUTCOME_NOVERIFIER, NULL },
	};
	static const struct xcase down = { NULL, "remote", "", "far away", 1,
	    -1, SASL_OUTCOME_TEMPFAIL, NULL };
	struct sasl_session *s = session(PLAINTEXT_ALWAYS, 0, 1);
	struct sasl_params p;
	char *hash, *sec;

	run_cases(s, cases, 1);
	tap_is_int(sasl_session_upgrade(s, &hash, &sec), 0,
	    "nothing stored for a password elsewhere");
	run_cases(s, cases + 1, NCASES(cases) - 1);
	sasl_session_free(s);

	params_init(&p, PLAINTEXT_ALWAYS, 0, 0);
	p.saslauthd_path = "/nonexistent/mux";
	s = sasl_session_new(&p, NULL);
	run_cases(s, &down, 1);
	tap_ok(strstr(sasl_session_why(s), "saslauthd") != NULL,
	    "why: %s", sasl_session_why(s));
	sasl_session_free(s);
}

static void
test_limits(void)
{
	struct sasl_session *s = session(PLAINTEXT_ALWAYS, 0, 0);
	char *big = mem_zalloc(1, SASL_MAX_INPUT + 2);
	const void *out;
	size_t outlen;
	struct sasl_params p;
	char *why = NULL;

	memset(big, 'a', SASL_MAX_INPUT + 1);
	expect(s, sasl_session_start(s, "PLAIN", big, SASL_MAX_INPUT + 1, &out,
	    &outlen), -1, SASL_OUTCOME_PROTOCOL, NULL, "initial response too long");
	expect(s, sasl_session_check(s, big, "x"), -1, SASL_OUTCOME_NOUSER,
	    NULL, "user name too long");
	expect(s, sasl_session_start(s, "PLAIN", "", 0, &out, &outlen), -1,
	    SASL_OUTCOME_PROTOCOL, NULL, "empty initial response");
	expect(s, sasl_session_start(s, "PLAIN", "\0jdoe", 5, &out, &outlen),
	    -1, SASL_OUTCOME_PROTOCOL, NULL, "PLAIN without password part");
	free(big);
	sasl_session_free(s);

	params_init(&p, PLAINTEXT_ALWAYS, 0, 0);
	p.backend.lookup = NULL;
	tap_ok(sasl_session_new(&p, &why) == NULL, "no lookup refused: %s",
	    why ? why : "");
	free(why);
}

static void
test_from_conf(void)
{
	struct conf c;
	struct sasl_params p;

	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	c.hostname = "";
	c.plaintext_login = PLAINTEXT_LOCAL;
	c.apop_cram_md5 = 1;
	c.sasl_mechanisms = "PLAIN";
	c.saslauthd_path = "/run/saslauthd/mux";
	c.password_iterations = 20000;
	sasl_params_from_conf(&p, &c);
	tap_ok(p.hostname == NULL && p.plaintext_login == PLAINTEXT_LOCAL &&
	    p.apop_cram_md5 == 1 && strcmp(p.mechanisms, "PLAIN") == 0 &&
	    strcmp(p.saslauthd_path, "/run/saslauthd/mux") == 0 &&
	    p.iterations == 20000, "params from conf");
}

int
main(void)
{
	static const sasl_callback_t client_global[] = {
		{ SASL_CB_LOG, CB(client_log), NULL },
		{ SASL_CB_LIST_END, NULL, NULL }
	};
	struct acct *p;
	char *why = NULL, kpath[4096];

	tap_is_int(sasl_setup(NULL, &why), 0, "sasl_setup: %s", why ? why : "ok");
	tap_is_int(sasl_setup(NULL, &why), 0, "sasl_setup again");
	if (sasl_client_init(client_global) != SASL_OK)
		tap_skip_all("no Cyrus SASL client");
	snprintf(kpath, sizeof(kpath), "%s/secret.key", tap_tmpdir());
	tap_ok(secret_key_create(kpath, NULL) == 0 &&
	    secret_key_load(kpath, &key, NULL) == 0, "site key");
	for (p = accts; p->name; p++)
		p->stored = p->password ? passwd_hash(p->password, ITER, NULL) :
		    p->hash ? mem_strdup(p->hash) : NULL;
	authd_start();

	test_policy();
	test_plain();
	test_check();
	test_timing();
	test_scram();
	test_cram();
	test_saslauthd();
	test_limits();
	test_from_conf();

	authd_stop();
	for (p = accts; p->name; p++)
		free(p->stored);
	sasl_client_done();
	sasl_shutdown();
	return tap_done();
}
