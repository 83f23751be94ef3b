/*
 * popstore-auth.cgi - the authentication endpoint of nginx's mail
 * proxy (ngx_mail_auth_http_module; popstore-cgi(8))
 *
 * nginx asks, for each login of an IMAP or POP3 client, with request
 * headers Auth-Method (plain, apop, cram-md5), Auth-User and Auth-Pass
 * (%-escaped by nginx), Auth-Protocol (imap, pop3, smtp), Auth-Salt
 * (the APOP or CRAM-MD5 challenge), Auth-Login-Attempt, Client-IP and
 * Auth-SSL. The answer is in response headers:
 *
 *	Auth-Status: OK			the password is right;
 *	Auth-Server: ADDRESS		the backend holding the account: its
 *	Auth-Port: PORT			profile's backend field, or
 *					MAIL_PROXY_BACKEND when empty, with
 *					MAIL_PROXY_POP3_PORT or _IMAP_PORT
 *	Auth-Pass: PASSWORD		after APOP or CRAM-MD5 only: nginx
 *					logs in to the backend with it
 *
 *	Auth-Status: TEXT		refused, TEXT for the client;
 *	Auth-Wait: SECONDS		LOGIN_FAIL_DELAY, which nginx waits
 *					before it answers the client
 *
 * The password is checked like any login (login.h): saslauthd for
 * PWD_ELSEWHERE, DISUSER refused, PLAINTEXT_LOGIN with the client's
 * address and TLS state. A failure is logged like the servers' (user
 * only when the account exists). nginx needs an IP address: a backend
 * given by name is resolved here.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "form.h"
#include "log.h"
#include "login.h"
#include "privsep.h"
#include "pwchange.h"
#include "secret.h"
#include "store.h"

#define AUTH_FIELD_MAX	1024	/* bytes of a decoded user or password */

static const char usage[] =
    "usage: popstore-auth.cgi\n"
    "  a CGI program for nginx's mail proxy (auth_http): run by a web\n"
    "  server with POPSTORE_CONF naming the option file; see\n"
    "  popstore-cgi(8)\n";

/* What nginx asks (the request headers, decoded). */
struct authreq {
	const char	*method;	/* plain, apop, cram-md5 ... */
	const char	*protocol;	/* imap, pop3, smtp */
	const char	*salt;
	const char	*client;	/* Client-IP */
	const char	*attempt;
	int		 ssl;
	struct buf	 user, pass;
};

static void
refused(const struct conf *c, const char *text, struct buf *out)
{
	buf_printf(out, "Auth-Status: %s\r\nAuth-Wait: %llu\r\n", text,
	    (unsigned long long)c->login_fail_delay);
}

static void
tempfail(const struct conf *c, struct buf *out)
{
	refused(c, "Temporary server problem, try again later", out);
}

/* The backend's address (nginx takes no names) into addr. 0 or -1. */
static int
resolve(const char *host, char *addr, size_t size)
{
	struct addrinfo hints, *res = NULL;
	const void *p;
	int rc = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0 || res == NULL)
		return -1;
	p = res->ai_family == AF_INET6 ?
	    (const void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr :
	    (const void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
	if (inet_ntop(res->ai_family, p, addr, (socklen_t)size) != NULL)
		rc = 0;
	freeaddrinfo(res);
	return rc;
}

static void
log_failure(const struct authreq *rq, const struct login_result *res,
    const char *reason)
{
	log_event(LOG_NOTICE, "auth_failed", "user", res->found ? res->name :
	    "unknown", "ip", rq->client, "mech", rq->method, "service",
	    rq->protocol, "reason", reason, "detail", res->why ? res->why : "",
	    NULL);
}

/* The password check of the request: login.h's result. */
static int
check(struct store *s, const struct secret_key *key, const struct authreq *rq,
    struct buf *secret, struct login_result *res)
{
	struct login_req lr;

	if (strcasecmp(rq->method, "apop") == 0 ||
	    strcasecmp(rq->method, "cram-md5") == 0)
		return login_digest(s, key, rq->user.data, *rq->method == 'a' ||
		    *rq->method == 'A' ? LOGIN_APOP : LOGIN_CRAM_MD5,
		    rq->salt, rq->pass.data, secret, res);
	/* nginx says "login" for IMAP LOGIN and AUTHENTICATE LOGIN; a
	 * method this endpoint does not know is never taken as plain. */
	if (strcasecmp(rq->method, "plain") != 0 &&
	    strcasecmp(rq->method, "login") != 0) {
		memset(res, 0, sizeof(*res));
		res->outcome = SASL_OUTCOME_REFUSED;
		return 0;
	}
	memset(&lr, 0, sizeof(lr));
	lr.user = rq->user.data;
	lr.password = rq->pass.data;
	lr.service = strcmp(rq->protocol, "imap") == 0 ? "imap" : "pop";
	lr.remote_ip = rq->client;
	lr.tls = rq->ssl;
	return login_check(s, key, &lr, res);
}

/* After a right password: the account's own rules and its backend. */
static void
success(struct store *s, const struct authreq *rq,
    const struct login_result *res, const struct buf *secret,
    struct buf *out)
{
	const struct conf *c = s->conf;
	struct acct a;
	char addr[INET6_ADDRSTRLEN];
	const char *host;

	if (acct_load(s, res->name, &a, NULL) != 1) {
		tempfail(c, out);
		return;
	}
	host = *a.backend ? a.backend : c->mail_proxy_backend;
	if (pwchange_expired(c, &a, (int64_t)time(NULL))) {
		log_failure(rq, res, "password_expired");
		refused(c, "Your password has expired", out);
	} else if (resolve(host, addr, sizeof(addr)) < 0) {
		log_event(LOG_ERR, "backend_unknown", "user", a.name, "backend",
		    host, NULL);
		tempfail(c, out);
	} else {
		buf_printf(out, "Auth-Status: OK\r\nAuth-Server: %s\r\n"
		    "Auth-Port: %llu\r\n", addr, (unsigned long long)
		    (strcmp(rq->protocol, "imap") == 0 ? c->mail_proxy_imap_port :
		    c->mail_proxy_pop3_port));
		if (secret->len && !memchr(secret->data, '\r', secret->len) &&
		    !memchr(secret->data, '\n', secret->len))
			buf_printf(out, "Auth-Pass: %s\r\n", secret->data);
		log_event(LOG_INFO, "proxy_login", "user", a.name, "ip",
		    rq->client, "service", rq->protocol, "backend", addr, NULL);
	}
	acct_wipe(&a);
}

/*
 * The answer headers for one request (for tests too): appended to out.
 * key is the APOP/CRAM-MD5 site key or NULL.
 */
void authhttp_answer(struct store *s, const struct secret_key *key,
    const struct authreq *rq, struct buf *out);

void
authhttp_answer(struct store *s, const struct secret_key *key,
    const struct authreq *rq, struct buf *out)
{
	struct login_result res;
	struct buf secret = BUF_INIT;
	int rc;

	if (strcmp(rq->protocol, "imap") != 0 &&
	    strcmp(rq->protocol, "pop3") != 0) {
		refused(s->conf, "Only IMAP and POP3 are served here", out);
		buf_puts(out, "Auth-Error-Code: 535 5.7.8\r\n");
		return;
	}
	if (rq->user.len == 0) {
		refused(s->conf, "Invalid login or password", out);
		return;
	}
	rc = check(s, key, rq, &secret, &res);
	if (rc == 1)
		success(s, rq, &res, &secret, out);
	else if (rc < 0) {
		log_event(LOG_ERR, "auth_unavailable", "ip", rq->client, "reason",
		    res.why, NULL);
		tempfail(s->conf, out);
	} else {
		log_failure(rq, &res, sasl_outcome_name(res.outcome));
		refused(s->conf, "Invalid login or password", out);
	}
	login_result_free(&res);
	buf_free_secret(&secret);
}

/* ---- the CGI request ---- */

static const char *
header(const char *name)
{
	const char *v = getenv(name);

	return v ? v : "";
}

/* Read the request headers; -1 when a field is malformed. */
static int
read_request(struct authreq *rq)
{
	const char *u = header("HTTP_AUTH_USER"), *p = header("HTTP_AUTH_PASS");

	memset(rq, 0, sizeof(*rq));
	rq->method = *header("HTTP_AUTH_METHOD") ? header("HTTP_AUTH_METHOD") :
	    "plain";
	rq->protocol = header("HTTP_AUTH_PROTOCOL");
	rq->salt = header("HTTP_AUTH_SALT");
	rq->client = *header("HTTP_CLIENT_IP") ? header("HTTP_CLIENT_IP") :
	    header("REMOTE_ADDR");
	rq->attempt = header("HTTP_AUTH_LOGIN_ATTEMPT");
	rq->ssl = strcasecmp(header("HTTP_AUTH_SSL"), "on") == 0;
	if (strlen(u) > AUTH_FIELD_MAX * 3 || strlen(p) > AUTH_FIELD_MAX * 3 ||
	    form_decode(u, strlen(u), 0, &rq->user) < 0 ||
	    form_decode(p, strlen(p), 0, &rq->pass) < 0)
		return -1;
	buf_reserve(&rq->user, 0);
	buf_reserve(&rq->pass, 0);
	return 0;
}

static void
answer(const struct buf *h)
{
	struct buf out = BUF_INIT;

	buf_printf(&out, "Status: 200 OK\r\nContent-Type: text/plain\r\n"
	    "Cache-Control: no-store\r\n%s\r\n", buf_cstr(h));
	(void)fwrite(out.data, 1, out.len, stdout);
	(void)fflush(stdout);
	buf_free_secret(&out);
}

#ifndef AUTHHTTP_NO_MAIN
int
main(int argc, char **argv)
{
	struct conf c;
	struct store *s = NULL;
	struct secret_key key;
	struct authreq rq;
	struct buf h = BUF_INIT, path = BUF_INIT;
	char *why = NULL;
	int have_key = 0;

	memset(&rq, 0, sizeof(rq));
	if (getenv("GATEWAY_INTERFACE") == NULL) {
		int help = argc > 1 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0);

		fputs(usage, help ? stdout : stderr);
		return help ? 0 : EX_USAGE;
	}
	log_open("popstore-auth", 0);
	memset(&c, 0, sizeof(c));
	if (conf_load(NULL, &c, &why) == 0)
		(void)log_set_file(c.log_file);
	if (why || (geteuid() == 0 && *c.store_user == '\0' &&
	    (why = strdup("started as root without STORE_USER"))) ||
	    privsep_drop(c.store_user, 0, &why) < 0 ||
	    privsep_refuse_root(&why) < 0 || store_open(&c, &s, &why) < 0) {
		log_event(LOG_ERR, "auth_unavailable", "reason", why ? why :
		    "configuration", NULL);
		c.login_fail_delay = c.login_fail_delay ? c.login_fail_delay : 1;
		tempfail(&c, &h);
	} else if (read_request(&rq) < 0) {
		refused(&c, "Invalid login or password", &h);
	} else {
		if (c.apop_cram_md5) {
			store_secret_key_path(s, &path);
			have_key = secret_key_load(path.data, &key, NULL) == 0;
		}
		authhttp_answer(s, have_key ? &key : NULL, &rq, &h);
	}
	buf_free_secret(&rq.user);
	buf_free_secret(&rq.pass);
	answer(&h);
	if (have_key)
		secret_key_wipe(&key);
	free(why);
	buf_free_secret(&h);
	buf_free(&path);
	store_close(s);
	conf_free(&c);
	return 0;
}
#endif
