/* sasl - authentication through Cyrus SASL; see sasl.h. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <sasl/sasl.h>
#include <sasl/saslplug.h>

#include "buf.h"
#include "conf.h"
#include "file.h"
#include "mem.h"
#include "passwd.h"
#include "sasl.h"
#include "secret.h"

#define AUXPROP_NAME	"popstore"
/* A pwcheck_method naming no Cyrus verifier: Cyrus accepts nothing. */
#define NO_VERIFIER	"popstore-none"
#define FAKE_KEY_LEN	32
#define LOG_KEEP	256	/* longest library message kept for why */

/* Cast a callback to the type Cyrus stores (through the generic type). */
#define CB(f)	((sasl_callback_ft)(void (*)(void))(f))

/* Mechanisms popstore serves, and the plugin files providing them. */
static const char *const known_mechs[] = {
	"SCRAM-SHA-256", "PLAIN", "LOGIN", "CRAM-MD5", NULL
};
static const char *const plugin_files[] = {
	"libscram.so", "libplain.so", "liblogin.so", "libcrammd5.so", NULL
};

struct sasl_session {
	sasl_conn_t	*conn;
	int		 used;		/* conn finished an attempt: renew it */
	sasl_callback_t	 cb[6];
	struct sasl_backend backend;
	char		*service, *hostname, *local, *remote;
	int		 tls;
	char		*saslauthd_path;
	char		*allowed;	/* mech_list: configured and permitted */
	char		*mechs;		/* what the library offers of them */
	int		 plaintext_ok;
	int		 cram_md5;
	uint64_t	 iterations;
	const struct secret_key *key;
	unsigned char	 fake_key[FAKE_KEY_LEN];
	char		*dummy;		/* hash checked for unknown users */
	/* the current or last attempt */
	const char	*mech;		/* entry of known_mechs, or NULL */
	int		 in_progress;
	int		 elsewhere;	/* checkpass handed over to saslauthd */
	enum sasl_outcome outcome;
	struct buf	 why;
	struct buf	 log;		/* last warning of the library */
	struct buf	 input;		/* NUL-terminated copy of client data */
	char		*user;
	char		*new_hash;
	char		*new_secret;
};

static int setup_done;
static char *plugin_path;
static unsigned char process_fake_key[FAKE_KEY_LEN];
static sasl_callback_t global_cb[5];

/* ---- process-wide setup ---- */

static int
global_log(void *ctx, int level, const char *msg)
{
	(void)ctx;
	(void)level;
	(void)msg;
	return SASL_OK;
}

static int
global_getopt(void *ctx, const char *plugin, const char *option,
    const char **result, unsigned *len)
{
	(void)ctx;
	(void)plugin;
	(void)option;
	(void)result;
	(void)len;
	return SASL_FAIL;
}

static int
global_getpath(void *ctx, const char **path_r)
{
	(void)ctx;
	*path_r = plugin_path;
	return SASL_OK;
}

/* Load only the plugins popstore uses. */
static int
global_verifyfile(void *ctx, const char *file, sasl_verify_type_t type)
{
	const char *base = strrchr(file, '/');
	size_t i;

	(void)ctx;
	if (type != SASL_VRFY_PLUGIN)
		return SASL_OK;
	base = base ? base + 1 : file;
	for (i = 0; plugin_files[i]; i++)
		if (strcmp(base, plugin_files[i]) == 0)
			return SASL_OK;
	return SASL_CONTINUE;
}

static int aux_lookup(void *glob, sasl_server_params_t *sp, unsigned flags,
    const char *user, unsigned ulen);

static sasl_auxprop_plug_t aux_plug = {
	0, 0, NULL, NULL, aux_lookup, AUXPROP_NAME, NULL
};

static int
aux_init(const sasl_utils_t *utils, int max_version, int *out_version,
    sasl_auxprop_plug_t **plug, const char *name)
{
	(void)utils;
	(void)name;
	if (max_version < SASL_AUXPROP_PLUG_VERSION)
		return SASL_BADVERS;
	*out_version = SASL_AUXPROP_PLUG_VERSION;
	*plug = &aux_plug;
	return SASL_OK;
}

int
sasl_setup(const char *plugin_dir, char **why_r)
{
	size_t i = 0;
	int r;

	if (setup_done)
		return 0;
	if (plugin_dir) {
		plugin_path = mem_strdup(plugin_dir);
		global_cb[i++] = (sasl_callback_t){ SASL_CB_GETPATH,
		    CB(global_getpath), NULL };
	}
	global_cb[i++] = (sasl_callback_t){ SASL_CB_LOG, CB(global_log), NULL };
	global_cb[i++] = (sasl_callback_t){ SASL_CB_GETOPT, CB(global_getopt),
	    NULL };
	global_cb[i++] = (sasl_callback_t){ SASL_CB_VERIFYFILE,
	    CB(global_verifyfile), NULL };
	global_cb[i] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
	r = sasl_server_init(global_cb, NULL);
	if (r == SASL_OK) {
		r = sasl_auxprop_add_plugin(AUXPROP_NAME, aux_init);
		if (r != SASL_OK)
			sasl_server_done();
	}
	if (r != SASL_OK) {
		free(plugin_path);
		plugin_path = NULL;
		return file_whyf(why_r, "Cyrus SASL: %s",
		    sasl_errstring(r, NULL, NULL));
	}
	/*
	 * From the kernel: OpenSSL's RAND_bytes() would start its random
	 * generator in every session, some 50 page faults that a plaintext
	 * login never needs otherwise.
	 */
	if (getrandom(process_fake_key, FAKE_KEY_LEN, 0) != FAKE_KEY_LEN)
		memset(process_fake_key, 0, FAKE_KEY_LEN);
	setup_done = 1;
	return 0;
}

void
sasl_shutdown(void)
{
	if (!setup_done)
		return;
	sasl_server_done();
	free(plugin_path);
	plugin_path = NULL;
	explicit_bzero(process_fake_key, FAKE_KEY_LEN);
	setup_done = 0;
}

/* ---- policy ---- */

/* Whether "ip;port" (or a bare ip) is a loopback address. */
static int
is_loopback(const char *ipport)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *semi = strrchr(ipport, ';');
	size_t n = semi ? (size_t)(semi - ipport) : strlen(ipport);
	struct in_addr a4;
	struct in6_addr a6;

	if (n >= sizeof(host))
		return 0;
	memcpy(host, ipport, n);
	host[n] = '\0';
	if (inet_pton(AF_INET, host, &a4) == 1)
		return ntohl(a4.s_addr) >> 24 == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		    (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return 0;
}

int
sasl_plaintext_allowed(int policy, int tls, const char *remote_ipport)
{
	if (tls || policy == PLAINTEXT_ALWAYS)
		return 1;
	if (policy != PLAINTEXT_LOCAL)
		return 0;
	return remote_ipport == NULL || is_loopback(remote_ipport);
}

void
sasl_params_from_conf(struct sasl_params *params, const struct conf *conf)
{
	params->hostname = conf->hostname && conf->hostname[0] ?
	    conf->hostname : NULL;
	params->plaintext_login = conf->plaintext_login;
	params->apop_cram_md5 = conf->apop_cram_md5;
	params->mechanisms = conf->sasl_mechanisms;
	params->saslauthd_path = conf->saslauthd_path;
	params->iterations = conf->password_iterations;
}

/* The entry of known_mechs named by name[0..len) (any case), or NULL. */
static const char *
known_mech(const char *name, size_t len)
{
	size_t i;

	for (i = 0; known_mechs[i]; i++)
		if (strlen(known_mechs[i]) == len &&
		    strncasecmp(known_mechs[i], name, len) == 0)
			return known_mechs[i];
	return NULL;
}

/* The entry of known_mechs for name if list (space-separated) has it. */
static const char *
mech_in(const char *list, const char *name)
{
	const char *m = known_mech(name, strlen(name));
	size_t n;

	while (m && *list) {
		n = strcspn(list, " ");
		if (known_mech(list, n) == m)
			return m;
		list += n + strspn(list + n, " ");
	}
	return NULL;
}

/* The configured mechanisms this connection may use, space-separated. */
static char *
allowed_mechs(const char *configured, int plaintext_ok, int cram_md5)
{
	struct buf b = BUF_INIT;
	const char *p = configured ? configured : "", *m;
	size_t n;

	buf_puts(&b, "");
	while (*(p += strspn(p, " \t"))) {
		n = strcspn(p, " \t");
		m = known_mech(p, n);
		p += n;
		if (m == NULL || mech_in(b.data, m) ||
		    (!plaintext_ok && (!strcmp(m, "PLAIN") || !strcmp(m, "LOGIN"))) ||
		    (!cram_md5 && !strcmp(m, "CRAM-MD5")))
			continue;
		if (b.len)
			buf_putc(&b, ' ');
		buf_puts(&b, m);
	}
	return buf_steal(&b);
}

/* ---- accounts ---- */

static void
account_free(struct sasl_account *a)
{
	free(a->hash);
	if (a->secret) {
		explicit_bzero(a->secret, a->secret_len);
		free(a->secret);
	}
	memset(a, 0, sizeof(*a));
}

/* The backend's answer for user: 1, 0, or -1 with s->why set. */
static int
account_lookup(struct sasl_session *s, const char *user, struct sasl_account *a)
{
	char *why = NULL;
	int r;

	memset(a, 0, sizeof(*a));
	if (strlen(user) > SASL_MAX_USER)
		return 0;
	r = s->backend.lookup(s->backend.ctx, user, a, &why);
	if (r < 0) {
		buf_reset(&s->why);
		buf_printf(&s->why, "account lookup: %s", why ? why : "failed");
	}
	if (r != 1)
		account_free(a);
	free(why);
	return r;
}

/* What a failed lookup means for the attempt. */
static enum sasl_outcome
account_failure(int found, const struct sasl_account *a)
{
	if (found < 0)
		return SASL_OUTCOME_TEMPFAIL;
	if (found == 0)
		return SASL_OUTCOME_NOUSER;
	return a->disabled ? SASL_OUTCOME_DISABLED : SASL_OUTCOME_NOVERIFIER;
}

/* Record how the attempt ends, with a reason unless one is there. */
static void
note(struct sasl_session *s, enum sasl_outcome outcome, const char *why)
{
	static const char *const reasons[] = {
		[SASL_OUTCOME_NOUSER] = "no such account",
		[SASL_OUTCOME_BADPASS] = "password does not match",
		[SASL_OUTCOME_DISABLED] = "account disabled",
	};

	s->outcome = outcome;
	if (s->why.len > 0 || outcome == SASL_OUTCOME_OK)
		return;
	if ((size_t)outcome < sizeof(reasons) / sizeof(reasons[0]) &&
	    reasons[outcome] != NULL)
		why = reasons[outcome];
	buf_puts(&s->why, why ? why : "");
}

/* ---- auxprop plugin: SCRAM verifiers and CRAM-MD5 secrets ---- */

static int conn_checkpass(sasl_conn_t *conn, void *ctx, const char *user,
    const char *pass, unsigned passlen, struct propctx *propctx);

/* The session of the connection a plugin works for, or NULL. */
static struct sasl_session *
session_of(sasl_server_params_t *sp)
{
	sasl_callback_ft proc = NULL;
	void *ctx = NULL;

	if (sp->utils->getcallback(sp->utils->conn,
	    SASL_CB_SERVER_USERDB_CHECKPASS, &proc, &ctx) != SASL_OK ||
	    proc != CB(conn_checkpass))
		return NULL;
	return ctx;
}

/* Set a requested property, honouring SASL_AUXPROP_OVERRIDE. */
static void
aux_set(sasl_server_params_t *sp, unsigned flags, const char *name,
    const char *value, size_t len)
{
	const struct propval *pv;

	for (pv = sp->utils->prop_get(sp->propctx); pv && pv->name; pv++) {
		if (strcmp(pv->name, name) != 0)
			continue;
		if (pv->values && !(flags & SASL_AUXPROP_OVERRIDE))
			return;
		if (pv->values)
			sp->utils->prop_erase(sp->propctx, name);
		sp->utils->prop_set(sp->propctx, name, value, (int)len);
		return;
	}
}

/* A verifier matching nothing, its salt stable for one user name. */
static void
fake_verifier(const struct sasl_session *s, const char *user,
    struct passwd_scram *v)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	memset(v, 0, sizeof(*v));
	v->iterations = s->iterations;
	v->salt_len = PASSWD_SALT_LEN;
	if (HMAC(EVP_sha256(), s->fake_key, FAKE_KEY_LEN,
	    (const unsigned char *)user, strlen(user), md, &len) != NULL &&
	    len >= PASSWD_SALT_LEN)
		memcpy(v->salt, md, PASSWD_SALT_LEN);
	if (RAND_bytes(v->stored_key, PASSWD_KEY_LEN) != 1 ||
	    RAND_bytes(v->server_key, PASSWD_KEY_LEN) != 1)
		memset(v->stored_key, 0, PASSWD_KEY_LEN);
}

/* Supply "*authPassword" in the form Cyrus's scram plugin parses. */
static void
aux_scram(struct sasl_session *s, sasl_server_params_t *sp, unsigned flags,
    const char *user)
{
	struct sasl_account a;
	struct passwd_scram v;
	struct buf val = BUF_INIT;
	int found = account_lookup(s, user, &a);

	if (!(found == 1 && !a.disabled && !a.pwd_elsewhere && a.hash &&
	    passwd_scram_parse(a.hash, &v) == 1)) {
		fake_verifier(s, user, &v);
		note(s, account_failure(found, &a),
		    "no SCRAM-SHA-256 verifier for this account");
	}
	buf_printf(&val, "SCRAM-SHA-256$%" PRIu64 ":", v.iterations);
	passwd_b64_encode(&val, v.salt, v.salt_len);
	buf_putc(&val, '$');
	passwd_b64_encode(&val, v.stored_key, PASSWD_KEY_LEN);
	buf_putc(&val, ':');
	passwd_b64_encode(&val, v.server_key, PASSWD_KEY_LEN);
	aux_set(sp, flags, "*authPassword", val.data, val.len);
	buf_free_secret(&val);
	explicit_bzero(&v, sizeof(v));
	account_free(&a);
}

/* Supply "*userPassword" from the decrypted secret, for CRAM-MD5. */
static void
aux_cram(struct sasl_session *s, sasl_server_params_t *sp, unsigned flags,
    const char *user)
{
	struct sasl_account a;
	int found = account_lookup(s, user, &a);

	if (found == 1 && !a.disabled && !a.pwd_elsewhere && a.secret &&
	    a.secret_len > 0 && s->cram_md5)
		aux_set(sp, flags, "*userPassword", a.secret, a.secret_len);
	else
		note(s, account_failure(found, &a),
		    "no CRAM-MD5 secret for this account");
	account_free(&a);
}

static int
aux_lookup(void *glob, sasl_server_params_t *sp, unsigned flags,
    const char *user, unsigned ulen)
{
	struct sasl_session *s = session_of(sp);
	char *name;

	(void)glob;
	if (s == NULL || s->mech == NULL || (flags & SASL_AUXPROP_AUTHZID))
		return SASL_OK;
	name = mem_strndup(user, ulen);
	if (strcmp(s->mech, "SCRAM-SHA-256") == 0)
		aux_scram(s, sp, flags, name);
	else if (strcmp(s->mech, "CRAM-MD5") == 0)
		aux_cram(s, sp, flags, name);
	free(name);
	return SASL_OK;
}

/* ---- per-connection callbacks ---- */

static int
conn_getopt(void *ctx, const char *plugin, const char *option,
    const char **result, unsigned *len)
{
	struct sasl_session *s = ctx;
	const char *v = NULL;

	if (plugin != NULL)
		return SASL_FAIL;
	if (strcmp(option, "mech_list") == 0)
		v = s->allowed;
	else if (strcmp(option, "pwcheck_method") == 0)
		v = s->elsewhere ? "saslauthd" : NO_VERIFIER;
	else if (strcmp(option, "saslauthd_path") == 0)
		v = s->saslauthd_path;
	else if (strcmp(option, "auxprop_plugin") == 0)
		v = AUXPROP_NAME;
	if (v == NULL)
		return SASL_FAIL;
	*result = v;
	if (len)
		*len = (unsigned)strlen(v);
	return SASL_OK;
}

static int
conn_log(void *ctx, int level, const char *msg)
{
	struct sasl_session *s = ctx;

	if (level > SASL_LOG_WARN || msg == NULL ||
	    strncmp(msg, "unknown password verifier", 25) == 0)
		return SASL_OK;
	buf_reset(&s->log);
	buf_append(&s->log, msg, strnlen(msg, LOG_KEEP));
	return SASL_OK;
}

/* After a good password: what the caller should store (sasl.h). */
static void
plan_upgrade(struct sasl_session *s, const char *user, const char *pass,
    size_t passlen, const struct sasl_account *a)
{
	if (passwd_needs_upgrade(a->hash, s->iterations))
		s->new_hash = passwd_hash(pass, s->iterations, NULL);
	if (s->cram_md5 && s->key && a->secret == NULL && passlen > 0 &&
	    passlen <= SECRET_MAX_LEN)
		s->new_secret = secret_encrypt(s->key, user, pass, passlen, NULL);
}

static int
conn_checkpass(sasl_conn_t *conn, void *ctx, const char *user,
    const char *pass, unsigned passlen, struct propctx *propctx)
{
	struct sasl_session *s = ctx;
	struct sasl_account a;
	char *why = NULL;
	int found, v = -1;

	(void)conn;
	(void)propctx;
	found = account_lookup(s, user, &a);
	if (found == 1 && a.pwd_elsewhere && !a.disabled) {
		account_free(&a);
		s->elsewhere = 1;
		return SASL_NOUSER;	/* on to pwcheck_method saslauthd */
	}
	if (found == 1 && a.hash && strlen(pass) == passlen)
		v = passwd_verify(a.hash, pass, &why);
	if (v < 0)	/* the same work as a real check */
		(void)passwd_verify(s->dummy, pass, NULL);
	if (found != 1 || a.disabled)
		note(s, account_failure(found, &a), NULL);
	else if (strlen(pass) != passlen || v == 0)
		note(s, SASL_OUTCOME_BADPASS, NULL);
	else if (v < 0)
		note(s, SASL_OUTCOME_NOVERIFIER, why ? why : "no password hash");
	else
		note(s, SASL_OUTCOME_OK, NULL);
	if (s->outcome == SASL_OUTCOME_OK)
		plan_upgrade(s, user, pass, passlen, &a);
	free(why);
	account_free(&a);
	switch (s->outcome) {
	case SASL_OUTCOME_OK:		return SASL_OK;
	case SASL_OUTCOME_NOUSER:	return SASL_NOUSER;
	case SASL_OUTCOME_DISABLED:	return SASL_DISABLED;
	case SASL_OUTCOME_BADPASS:	return SASL_BADAUTH;
	default:			return SASL_FAIL;
	}
}

static int
conn_canon(sasl_conn_t *conn, void *ctx, const char *in, unsigned inlen,
    unsigned flags, const char *realm, char *out, unsigned out_max,
    unsigned *out_len)
{
	struct sasl_session *s = ctx;

	(void)conn;
	(void)flags;
	(void)realm;
	if (s->backend.canon(s->backend.ctx, in, inlen, out, out_max) < 0 ||
	    memchr(out, '\0', out_max) == NULL) {
		s->outcome = SASL_OUTCOME_NOUSER;
		buf_reset(&s->why);
		buf_puts(&s->why, "user name refused");
		return SASL_NOUSER;
	}
	*out_len = (unsigned)strlen(out);
	return SASL_OK;
}

/* Only the authenticated user himself: no proxy logins. */
static int
conn_authorize(sasl_conn_t *conn, void *ctx, const char *requested,
    unsigned rlen, const char *authid, unsigned alen, const char *realm,
    unsigned urlen, struct propctx *propctx)
{
	struct sasl_session *s = ctx;

	(void)realm;
	(void)urlen;
	(void)propctx;
	if (rlen == alen && memcmp(requested, authid, alen) == 0)
		return SASL_OK;
	s->outcome = SASL_OUTCOME_REFUSED;
	buf_reset(&s->why);
	buf_puts(&s->why, "authorization identity differs from the "
	    "authentication identity");
	sasl_seterror(conn, SASL_NOLOG, "proxy authorization not permitted");
	return SASL_NOAUTHZ;
}

/* ---- sessions ---- */

/* Copy of an optional string. */
static char *
dup_opt(const char *p)
{
	return p ? mem_strdup(p) : NULL;
}

/* The server name: given, or gethostname() (Cyrus would ask the DNS). */
static char *
server_name(const char *given)
{
	char host[256];

	if (given && given[0])
		return mem_strdup(given);
	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		return mem_strdup("localhost");
	host[sizeof(host) - 1] = '\0';
	return mem_strdup(host);
}

/* Open the library connection of a session (again after a success). */
static int
conn_open(struct sasl_session *s, char **why_r)
{
	sasl_security_properties_t secprops;
	sasl_ssf_t ssf = 256;
	int r;

	s->used = 0;
	r = sasl_server_new(s->service, s->hostname, NULL, s->local, s->remote,
	    s->cb, 0, &s->conn);
	if (r != SASL_OK) {
		s->conn = NULL;
		return file_whyf(why_r, "sasl_server_new: %s",
		    sasl_errstring(r, NULL, NULL));
	}
	memset(&secprops, 0, sizeof(secprops));
	secprops.security_flags = SASL_SEC_NOANONYMOUS |
	    (s->plaintext_ok ? 0 : SASL_SEC_NOPLAINTEXT);
	if (sasl_setprop(s->conn, SASL_SEC_PROPS, &secprops) != SASL_OK ||
	    (s->tls && sasl_setprop(s->conn, SASL_SSF_EXTERNAL, &ssf) !=
	    SASL_OK)) {
		sasl_dispose(&s->conn);
		return file_whyf(why_r, "sasl_setprop failed");
	}
	return 0;
}

/* The per-connection callbacks, all with the session as context. */
static void
session_callbacks(struct sasl_session *s)
{
	size_t i = 0;

	s->cb[i++] = (sasl_callback_t){ SASL_CB_GETOPT, CB(conn_getopt), s };
	s->cb[i++] = (sasl_callback_t){ SASL_CB_LOG, CB(conn_log), s };
	s->cb[i++] = (sasl_callback_t){ SASL_CB_SERVER_USERDB_CHECKPASS,
	    CB(conn_checkpass), s };
	s->cb[i++] = (sasl_callback_t){ SASL_CB_PROXY_POLICY,
	    CB(conn_authorize), s };
	if (s->backend.canon)
		s->cb[i++] = (sasl_callback_t){ SASL_CB_CANON_USER,
		    CB(conn_canon), s };
	s->cb[i] = (sasl_callback_t){ SASL_CB_LIST_END, NULL, NULL };
}

struct sasl_session *
sasl_session_new(const struct sasl_params *p, char **why_r)
{
	struct sasl_session *s;
	const char *list;
	unsigned len;
	int count;

	if (!setup_done || p->backend.lookup == NULL || p->service == NULL) {
		file_whyf(why_r, "sasl_session_new: %s", setup_done ?
		    "no service or lookup" : "sasl_setup() was not called");
		return NULL;
	}
	s = mem_zalloc(1, sizeof(*s));
	s->backend = p->backend;
	s->service = mem_strdup(p->service);
	s->hostname = server_name(p->hostname);
	s->local = dup_opt(p->local_ipport);
	s->remote = dup_opt(p->remote_ipport);
	s->tls = p->tls != 0;
	s->saslauthd_path = p->saslauthd_path && p->saslauthd_path[0] ?
	    mem_strdup(p->saslauthd_path) : NULL;
	s->plaintext_ok = sasl_plaintext_allowed(p->plaintext_login, p->tls,
	    p->remote_ipport);
	s->cram_md5 = p->apop_cram_md5 != 0;
	s->iterations = p->iterations ? p->iterations : 10000;
	if (s->iterations < PASSWD_MIN_ITERATIONS)
		s->iterations = PASSWD_MIN_ITERATIONS;
	if (s->iterations > PASSWD_MAX_ITERATIONS)
		s->iterations = PASSWD_MAX_ITERATIONS;
	s->key = p->secret_key;
	if (s->key == NULL || HMAC(EVP_sha256(), s->key->bytes, SECRET_KEY_LEN,
	    (const unsigned char *)"popstore fake SCRAM salt", 24, s->fake_key,
	    NULL) == NULL)
		memcpy(s->fake_key, process_fake_key, FAKE_KEY_LEN);
	s->dummy = passwd_dummy(s->iterations);
	s->allowed = allowed_mechs(p->mechanisms, s->plaintext_ok, s->cram_md5);
	session_callbacks(s);
	if (conn_open(s, why_r) < 0) {
		sasl_session_free(s);
		return NULL;
	}
	s->mechs = mem_strdup(sasl_listmech(s->conn, NULL, "", " ", "", &list,
	    &len, &count) == SASL_OK ? list : "");
	return s;
}

void
sasl_session_free(struct sasl_session *s)
{
	if (s == NULL)
		return;
	if (s->conn)
		sasl_dispose(&s->conn);
	free(s->service);
	free(s->hostname);
	free(s->local);
	free(s->remote);
	free(s->saslauthd_path);
	free(s->allowed);
	free(s->mechs);
	free(s->dummy);
	free(s->user);
	mem_free_secret(s->new_hash);
	mem_free_secret(s->new_secret);
	buf_free(&s->why);
	buf_free(&s->log);
	buf_free_secret(&s->input);
	explicit_bzero(s, sizeof(*s));
	free(s);
}

const char *
sasl_session_mechanisms(const struct sasl_session *s)
{
	return s->mechs;
}

int
sasl_session_plaintext_ok(const struct sasl_session *s)
{
	return s->plaintext_ok;
}

/* Forget the previous attempt. */
static void
attempt_reset(struct sasl_session *s)
{
	s->mech = NULL;
	s->in_progress = 0;
	s->elsewhere = 0;
	s->outcome = SASL_OUTCOME_NONE;
	buf_reset(&s->why);
	buf_reset(&s->log);
	free(s->user);
	s->user = NULL;
	mem_free_secret(s->new_hash);
	mem_free_secret(s->new_secret);
	s->new_hash = s->new_secret = NULL;
	/* The library keeps state of a finished exchange (after a success,
	 * sasl_server_step() would just say OK again): start afresh. */
	if (s->used && s->conn) {
		sasl_dispose(&s->conn);
		conn_open(s, NULL);
	}
	if (s->conn)
		sasl_auxprop_request(s->conn, NULL);
}

/* End an attempt without asking the library. */
static int
refuse(struct sasl_session *s, enum sasl_outcome outcome, const char *why)
{
	s->in_progress = 0;
	s->outcome = outcome;
	buf_reset(&s->why);
	buf_puts(&s->why, why);
	return -1;
}

/* Keep a NUL-terminated copy of client data, wiping the previous one. */
static const char *
take_input(struct sasl_session *s, const void *in, size_t len)
{
	if (s->input.data)
		explicit_bzero(s->input.data, s->input.cap);
	buf_reset(&s->input);
	if (in == NULL)
		return NULL;
	buf_append(&s->input, in, len);
	return s->input.data;
}

/* The outcome a library result means when no callback decided one. */
static enum sasl_outcome
classify(int r)
{
	switch (r) {
	case SASL_BADAUTH:	return SASL_OUTCOME_BADPASS;
	case SASL_NOUSER:	return SASL_OUTCOME_NOUSER;
	case SASL_DISABLED:
	case SASL_EXPIRED:	return SASL_OUTCOME_DISABLED;
	case SASL_NOAUTHZ:
	case SASL_NOMECH:
	case SASL_TOOWEAK:
	case SASL_ENCRYPT:	return SASL_OUTCOME_REFUSED;
	case SASL_BADPROT:
	case SASL_BADPARAM:	return SASL_OUTCOME_PROTOCOL;
	case SASL_TRANS:
	case SASL_NOVERIFY:	return SASL_OUTCOME_NOVERIFIER;
	default:		return SASL_OUTCOME_TEMPFAIL;
	}
}

/* Turn a library result into this module's 1 / 0 / -1. */
static int
finish(struct sasl_session *s, int r, const char *out, unsigned outlen,
    const void **out_r, size_t *outlen_r)
{
	const void *user = NULL;

	take_input(s, NULL, 0);
	if (r == SASL_CONTINUE) {
		*out_r = out ? out : "";
		*outlen_r = out ? outlen : 0;
		return 1;
	}
	s->in_progress = 0;
	s->used = 1;
	if (r == SASL_OK && sasl_getprop(s->conn, SASL_USERNAME, &user) ==
	    SASL_OK && user != NULL) {
		s->user = mem_strdup(user);
		s->outcome = SASL_OUTCOME_OK;
		buf_reset(&s->why);
		return 0;
	}
	if (r == SASL_OK)
		r = SASL_FAIL;
	if (s->outcome == SASL_OUTCOME_NONE || s->outcome == SASL_OUTCOME_OK)
		s->outcome = classify(r);
	mem_free_secret(s->new_hash);
	mem_free_secret(s->new_secret);
	s->new_hash = s->new_secret = NULL;
	if (s->why.len == 0) {
		if (s->elsewhere)
			buf_puts(&s->why, "saslauthd: ");
		buf_puts(&s->why, sasl_errdetail(s->conn));
		if (s->log.len && strstr(s->why.data, s->log.data) == NULL)
			buf_printf(&s->why, "; %s", s->log.data);
	}
	return -1;
}

int
sasl_session_start(struct sasl_session *s, const char *mech, const void *ir,
    size_t irlen, const void **out_r, size_t *outlen_r)
{
	const char *out = NULL, *in;
	unsigned outlen = 0;
	int r;

	*out_r = "";
	*outlen_r = 0;
	attempt_reset(s);
	if (s->conn == NULL)
		return refuse(s, SASL_OUTCOME_TEMPFAIL, "no SASL connection");
	s->mech = mech_in(s->mechs, mech);
	if (s->mech == NULL)
		return refuse(s, SASL_OUTCOME_REFUSED, "mechanism not offered");
	if (ir && irlen > SASL_MAX_INPUT)
		return refuse(s, SASL_OUTCOME_PROTOCOL, "initial response too long");
	s->in_progress = 1;
	in = take_input(s, ir, irlen);
	r = sasl_server_start(s->conn, s->mech, in, (unsigned)irlen, &out,
	    &outlen);
	return finish(s, r, out, outlen, out_r, outlen_r);
}

int
sasl_session_step(struct sasl_session *s, const void *in, size_t inlen,
    const void **out_r, size_t *outlen_r)
{
	const char *out = NULL, *data;
	unsigned outlen = 0;
	int r;

	*out_r = "";
	*outlen_r = 0;
	if (!s->in_progress)
		return refuse(s, SASL_OUTCOME_PROTOCOL, "no exchange in progress");
	if (inlen > SASL_MAX_INPUT)
		return refuse(s, SASL_OUTCOME_PROTOCOL, "response too long");
	data = take_input(s, in ? in : "", inlen);
	r = sasl_server_step(s->conn, data, (unsigned)inlen, &out, &outlen);
	return finish(s, r, out, outlen, out_r, outlen_r);
}

int
sasl_session_check(struct sasl_session *s, const char *user,
    const char *password)
{
	const void *out;
	size_t outlen;
	size_t ulen = strlen(user), plen = strlen(password);
	int r;

	attempt_reset(s);
	if (s->conn == NULL)
		return refuse(s, SASL_OUTCOME_TEMPFAIL, "no SASL connection");
	if (!s->plaintext_ok)
		return refuse(s, SASL_OUTCOME_REFUSED,
		    "plaintext passwords are not allowed on this connection");
	if (ulen == 0 || ulen > SASL_MAX_USER)
		return refuse(s, SASL_OUTCOME_NOUSER, "user name length");
	if (plen > PASSWD_MAX_LEN)
		return refuse(s, SASL_OUTCOME_BADPASS, "password too long");
	r = sasl_checkpass(s->conn, user, (unsigned)ulen, password,
	    (unsigned)plen);
	return finish(s, r, NULL, 0, &out, &outlen);
}

const char *
sasl_session_user(const struct sasl_session *s)
{
	return s->outcome == SASL_OUTCOME_OK ? s->user : NULL;
}

const char *
sasl_session_mech(const struct sasl_session *s)
{
	return s->mech;
}

enum sasl_outcome
sasl_session_outcome(const struct sasl_session *s)
{
	return s->outcome;
}

const char *
sasl_outcome_name(enum sasl_outcome outcome)
{
	static const char *const names[] = {
		"none", "ok", "nouser", "badpass", "disabled", "noverifier",
		"refused", "protocol", "tempfail"
	};

	if ((size_t)outcome >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[outcome];
}

const char *
sasl_session_why(const struct sasl_session *s)
{
	return s->why.len ? s->why.data : "";
}

int
sasl_session_upgrade(struct sasl_session *s, char **hash_r, char **secret_r)
{
	*hash_r = NULL;
	*secret_r = NULL;
	if (s->outcome != SASL_OUTCOME_OK)
		return 0;
	*hash_r = s->new_hash;
	*secret_r = s->new_secret;
	s->new_hash = s->new_secret = NULL;
	return *hash_r != NULL || *secret_r != NULL;
}
