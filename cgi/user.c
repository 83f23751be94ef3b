/*
 * popstore-user.cgi - the web user interface (popstore-cgi(8))
 *
 * For every account that may log in: its usage, a new password (the
 * site's rules, LOCKPWD), the messages of a POP account (usermsg.c),
 * the vacation notice and filter rules (userrules.c). An account whose
 * password has expired sees only the password page until it changes it.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "cgi.h"
#include "log.h"
#include "login.h"
#include "passwd.h"
#include "pwchange.h"
#include "store.h"
#include "tmpl.h"

static const char usage[] =
    "usage: popstore-user.cgi\n"
    "  a CGI program: run by a web server with POPSTORE_CONF naming the\n"
    "  option file; see popstore-cgi(8)\n";

static void
home_page(struct web *w)
{
	struct tmpl_data *d = w->data;
	struct usage u;
	const struct acct *a = &w->user;

	memset(&u, 0, sizeof(u));
	(void)usage_read(w->store, a->name, &u, NULL);
	tmpl_set(d, "owner", a->owner);
	tmpl_set(d, "type", acct_type_name(a->type));
	if (a->quota) {
		fmt_set_size(d, "quota", a->quota);
		tmpl_setf(d, "percent", "%llu", (unsigned long long)
		    (u.quota_used >= a->quota ? 100 : u.quota_used * 100 /
		    a->quota));
	}
	fmt_set_size(d, "used", u.quota_used);
	tmpl_setf(d, "messages", "%llu", (unsigned long long)u.message_count);
	fmt_set_time(d, "last_connect", u.last_connect);
	fmt_set_time(d, "password_changed", a->password_changed);
	web_page(w, "home");
}

/* ---- the password ---- */

static void
password_page(struct web *w, const char *error) __attribute__((noreturn));

static void
password_page(struct web *w, const char *error)
{
	tmpl_set_bool(w->data, "lockpwd", (w->user.flags & ACCT_LOCKPWD) != 0);
	tmpl_set_bool(w->data, "elsewhere",
	    (w->user.flags & ACCT_PWD_ELSEWHERE) != 0);
	tmpl_set_bool(w->data, "expired", pwchange_expired(&w->conf, &w->user,
	    w->now));
	tmpl_setf(w->data, "min_length", "%llu",
	    (unsigned long long)w->conf.password_min_length);
	if (error)
		tmpl_set(w->data, "error", error);
	web_page(w, "password");
}

/* The old password, checked like a login (delay and log on failure). */
static int
old_password_ok(struct web *w, const char *old)
{
	struct login_req rq;
	struct login_result res;
	int rc;

	memset(&rq, 0, sizeof(rq));
	rq.user = w->user.name;
	rq.password = old;
	rq.service = "web";
	rq.remote_ip = w->remote;
	rq.tls = w->https;
	rc = login_check(w->store, w->have_skey ? &w->skey : NULL, &rq, &res);
	if (rc == 0) {
		log_event(LOG_NOTICE, "auth_failed", "user", w->user.name, "ip",
		    w->remote, "mech", "password_change", "reason",
		    sasl_outcome_name(res.outcome), NULL);
		if (w->conf.login_fail_delay)
			sleep((unsigned)w->conf.login_fail_delay);
	}
	login_result_free(&res);
	if (rc < 0)
		web_error(w, 503, "The password cannot be changed now.");
	return rc == 1;
}

static void
act_password(struct web *w)
{
	const char *old = web_str(w, "old"), *pw = web_str(w, "new");
	struct acct a;
	char *why = NULL;
	int rc;

	if (w->user.flags & (ACCT_LOCKPWD | ACCT_PWD_ELSEWHERE))
		password_page(w, "The password of this account cannot be "
		    "changed here.");
	if (!old_password_ok(w, old))
		password_page(w, "The current password is not right.");
	if (strcmp(pw, web_str(w, "new2")) != 0)
		password_page(w, "The two new passwords differ.");
	if (pwchange_check(&w->conf, &w->user, pw, &why) < 0)
		password_page(w, why);
	if (passwd_verify(w->user.password, pw, NULL) == 1)
		password_page(w, "The new password must differ from the old "
		    "one.");
	if ((rc = acct_load(w->store, w->user.name, &a, &why)) == 1) {
		rc = pwchange_set(&w->conf, w->have_skey ? &w->skey : NULL, &a,
		    pw, &why) == 0 && acct_save(w->store, &a, &why) == 0;
		acct_wipe(&a);
	}
	if (rc != 1) {
		web_log(w, LOG_ERR, "password_change_failed", "reason", why, NULL,
		    NULL);
		web_error(w, 503, "The password could not be changed now.");
	}
	web_logout_all(w, 1);
	web_log(w, LOG_NOTICE, "password_changed", "tls", w->https ? "yes" :
	    "no", NULL, NULL);
	web_redirect(w, "done=password");
}

/* ---- dispatch ---- */

int
main(int argc, char **argv)
{
	struct web w;
	const char *p, *act;

	web_start(&w, "popstore-user.cgi", 0, argc, argv, usage);
	web_read(&w);
	if (!w.post && strcmp(web_str(&w, "p"), "style") == 0)
		web_style(&w);
	web_login(&w);
	act = w.post ? web_str(&w, "do") : "";
	p = web_str(&w, "p");
	if (pwchange_expired(&w.conf, &w.user, w.now)) {
		if (strcmp(act, "password") == 0)
			act_password(&w);
		password_page(&w, NULL);
	}
	if (strcmp(act, "password") == 0)
		act_password(&w);
	else if (strcmp(act, "delete") == 0)
		user_act_delete(&w);
	else if (strcmp(act, "vacation") == 0)
		user_act_vacation(&w);
	else if (strncmp(act, "rule_", 5) == 0)
		user_act_rule(&w, act + 5);
	else if (w.post)
		web_error(&w, 400, "Unknown action.");
	fmt_notice(&w);
	if (*p == '\0' || strcmp(p, "home") == 0)
		home_page(&w);
	else if (strcmp(p, "password") == 0)
		password_page(&w, NULL);
	else if (strcmp(p, "messages") == 0)
		user_messages_page(&w);
	else if (strcmp(p, "message") == 0)
		user_message_page(&w);
	else if (strcmp(p, "part") == 0)
		user_part(&w);
	else if (strcmp(p, "vacation") == 0)
		user_vacation_page(&w);
	else if (strcmp(p, "filters") == 0)
		user_filters_page(&w);
	web_error(&w, 404, "No such page.");
}
