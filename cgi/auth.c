/*
 * auth - logging in to the web programs: the login form and its POST,
 * the session cookie, HTTP Basic credentials for scripts, the CSRF
 * token every POST must carry, logging out.
 *
 * A failed login is delayed (LOGIN_FAIL_DELAY) and logged as one line
 * for fail2ban, like the servers':
 *	event=auth_failed user=NAME ip=ADDR mech=form|basic reason=...
 * with user=unknown unless the account exists. A password is never
 * logged, never put in a URL, never echoed into a page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cgi.h"
#include "log.h"
#include "login.h"
#include "name.h"
#include "pwchange.h"
#include "store.h"
#include "tmpl.h"

#define LOGIN_STAMP	"login"

void
web_log(struct web *w, int prio, const char *event, const char *k1,
    const char *v1, const char *k2, const char *v2)
{
	const char *user = w->authed ? w->user.name : "-";

	if (k1 && k2)
		log_event(prio, event, "user", user, "ip", w->remote, k1, v1, k2,
		    v2, NULL);
	else if (k1)
		log_event(prio, event, "user", user, "ip", w->remote, k1, v1,
		    NULL);
	else
		log_event(prio, event, "user", user, "ip", w->remote, NULL);
}

/* The login page, with an error sentence or none; exits. */
static void
login_form(struct web *w, int status, const char *error)
{
	struct buf stamp = BUF_INIT;

	websess_stamp_make(&w->key, LOGIN_STAMP, w->now,
	    w->conf.cgi_session_lifetime, &stamp);
	tmpl_set(w->data, "login_token", stamp.data);
	if (error)
		tmpl_set(w->data, "error", error);
	buf_free(&stamp);
	if (status != 200)
		web_error(w, status, error);
	web_page(w, "login");
}

static void
set_cookie(struct web *w, const char *value, uint64_t max_age)
{
	buf_printf(&w->headers, "Set-Cookie: " WEB_COOKIE "=%s; Path=%s; "
	    "Max-Age=%llu; HttpOnly; SameSite=Strict%s\r\n", value, w->script,
	    (unsigned long long)max_age, w->https ? "; Secure" : "");
}

/* After a refused password: log, wait, and say nothing more. */
static void
failed(struct web *w, const struct login_result *res, const char *mech,
    const char *reason)
{
	log_event(LOG_NOTICE, "auth_failed", "user", res->found ? res->name :
	    "unknown", "ip", w->remote, "mech", mech, "reason", reason,
	    "detail", res->why ? res->why : "", NULL);
	if (w->conf.login_fail_delay)
		sleep((unsigned)w->conf.login_fail_delay);
}

/* May this account use this program? NULL, or the reason for the log. */
static const char *
refusal(struct web *w, const struct acct *a)
{
	if ((a->flags & ACCT_DISUSER) || name_is_reserved(a->name))
		return "disuser";
	if (w->manage && !(a->flags & ACCT_MANAGE))
		return "not_manager";
	if (w->manage && pwchange_expired(&w->conf, a, w->now))
		return "password_expired";
	return NULL;
}

/*
 * Check a name and password; 1 with w->user loaded, 0 refused (logged
 * and delayed), -1 the store or saslauthd failed (logged).
 */
static int
check(struct web *w, const char *user, const char *pass, const char *mech)
{
	struct login_req rq;
	struct login_result res;
	const char *no = NULL;
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.user = user;
	rq.password = pass;
	rq.service = "web";
	rq.remote_ip = w->remote;
	rq.tls = w->https;
	rc = login_check(w->store, w->have_skey ? &w->skey : NULL, &rq, &res);
	if (rc == 1 && acct_load(w->store, res.name, &w->user, NULL) != 1)
		rc = -1;
	if (rc == 1 && (no = refusal(w, &w->user)) != NULL) {
		acct_wipe(&w->user);
		rc = 0;
	}
	if (rc < 0)
		log_event(LOG_ERR, "auth_unavailable", "ip", w->remote, "mech",
		    mech, "reason", res.why, NULL);
	else if (rc == 0)
		failed(w, &res, mech, no ? no : sasl_outcome_name(res.outcome));
	login_result_free(&res);
	return rc;
}

static void
login_post(struct web *w)
{
	const char *user = web_str(w, "username"), *pass = web_str(w, "password");
	struct buf cookie = BUF_INIT;
	char *why = NULL;
	int rc;

	if (!websess_stamp_check(&w->key, LOGIN_STAMP, web_str(w, "csrf"),
	    w->now))
		login_form(w, 200, "The login form had expired. Please try "
		    "again.");
	tmpl_set(w->data, "username", user);
	if (*user == '\0' || *pass == '\0')
		login_form(w, 200, "Give your name and password.");
	if ((rc = check(w, user, pass, "form")) < 0)
		web_error(w, 503, "Logging in is not possible now. Please try "
		    "again later.");
	if (rc == 0)
		login_form(w, 200, "Login failed.");
	if (websess_open(w->store, &w->key, w->user.name,
	    w->conf.cgi_session_lifetime, w->now, &cookie, w->sid, &why) < 0) {
		log_event(LOG_ERR, "session_failed", "user", w->user.name,
		    "reason", why, NULL);
		free(why);
		web_error(w, 503, "Logging in is not possible now.");
	}
	w->authed = 1;
	set_cookie(w, cookie.data, w->conf.cgi_session_lifetime);
	buf_free(&cookie);
	web_log(w, LOG_NOTICE, "login", "mech", "form", NULL, NULL);
	web_redirect(w, "");
}

static void
basic(struct web *w, const char *header)
{
	struct buf user = BUF_INIT, pass = BUF_INIT;
	int rc = form_basic_auth(header, &user, &pass);

	if (rc == 0)
		goto out;	/* another scheme: not ours */
	if (rc < 0 || (rc = check(w, user.data, pass.data, "basic")) == 0) {
		buf_free_secret(&pass);
		buf_puts(&w->headers, "WWW-Authenticate: Basic realm=\"popstore\", "
		    "charset=\"UTF-8\"\r\n");
		web_error(w, 401, "Authentication failed.");
	}
	if (rc < 0)
		web_error(w, 503, "Authentication is not possible now.");
	w->authed = w->basic = 1;
out:
	buf_free(&user);
	buf_free_secret(&pass);
}

static void
session(struct web *w, const char *token)
{
	char name[ACCT_NAME_MAX + 1], *why = NULL;
	int rc = websess_check(w->store, &w->key, token, w->now, name, w->sid,
	    &why);

	if (rc < 0) {
		log_event(LOG_ERR, "session_unreadable", "reason", why, NULL);
		free(why);
		web_error(w, 503, "The service is not available now.");
	}
	if (rc == 1 && acct_load(w->store, name, &w->user, NULL) == 1) {
		if (refusal(w, &w->user) == NULL) {
			w->authed = 1;
			return;
		}
		acct_wipe(&w->user);
	}
	set_cookie(w, "", 0);	/* forget it */
}

/* The CSRF binding: the session ID, or the account and its hash. */
static void
binding(const struct web *w, struct buf *out)
{
	if (!w->basic) {
		buf_puts(out, w->sid);
		return;
	}
	buf_puts(out, "basic");
	buf_putc(out, '\0');
	buf_puts(out, w->user.name);
	buf_putc(out, '\0');
	buf_puts(out, w->user.password);
}

void
web_logout_all(struct web *w, int keep_this)
{
	char *why = NULL;

	if (websess_close(w->store, w->user.name, NULL, keep_this && !w->basic ?
	    w->sid : NULL, &why) < 0) {
		web_log(w, LOG_ERR, "session_close_failed", "reason", why, NULL,
		    NULL);
		free(why);
	}
}

static void
logout(struct web *w)
{
	char *why = NULL;

	if (!w->basic && websess_close(w->store, w->user.name, w->sid, NULL,
	    &why) < 0) {
		web_log(w, LOG_ERR, "session_close_failed", "reason", why, NULL,
		    NULL);
		free(why);
	}
	set_cookie(w, "", 0);
	web_log(w, LOG_NOTICE, "logout", NULL, NULL, NULL, NULL);
	web_redirect(w, "done=logout");
}

void
web_login(struct web *w)
{
	const char *act = w->post ? web_arg(w, "do") : NULL;
	const char *authz = getenv("HTTP_AUTHORIZATION");
	const char *token = form_get(&w->cookies, WEB_COOKIE);
	struct buf bind = BUF_INIT;

	if (act && strcmp(act, "login") == 0)
		login_post(w);
	if (authz && *authz)
		basic(w, authz);
	if (!w->authed && token && *token)
		session(w, token);
	if (!w->authed) {
		const char *done = web_arg(w, "done");

		if (done && strcmp(done, "logout") == 0)
			tmpl_set(w->data, "notice", "You have logged out.");
		login_form(w, 200, w->post ? "Your session has ended. Please "
		    "log in again." : NULL);
	}
	binding(w, &bind);
	websess_csrf(&w->key, bind.data, bind.len, &w->csrf);
	if (w->post && !websess_csrf_check(&w->key, bind.data, bind.len,
	    web_arg(w, "csrf"))) {
		buf_free_secret(&bind);
		web_log(w, LOG_WARNING, "csrf_refused", "action", act ? act : "-",
		    NULL, NULL);
		web_error(w, 403, "The form was not accepted. Reload the page "
		    "and try again.");
	}
	buf_free_secret(&bind);
	if (act && strcmp(act, "logout") == 0)
		logout(w);
}
