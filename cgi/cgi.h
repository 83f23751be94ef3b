/*
 * cgi - the web programs' private header (popstore-cgi(8))
 *
 * popstore-manage.cgi and popstore-user.cgi share everything but their
 * pages: one struct web per request holds the configuration, the
 * store, the site's web key, the parsed request (query, form, cookies),
 * who is logged in, and the page being built. Each request is:
 *
 *	web_start()	options, configuration, privileges, store, key
 *	web_read()	the request, within its limits
 *	web_login()	the login form, a session cookie or Basic
 *			credentials; a POST must carry the CSRF token
 *	(the program's page or action)
 *	web_page() / web_redirect() / web_error()
 *
 * Pages are templates (tmpl.h) from CGI_TEMPLATE_DIR; every value goes
 * in through w->data and is escaped by the template engine. Actions
 * (POST) answer with a redirect to a page and a code for its notice, so
 * reloading a page never repeats an action.
 */
#ifndef POPSTORE_CGI_H
#define POPSTORE_CGI_H

#include <stdint.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "form.h"
#include "secret.h"
#include "websess.h"

struct store;
struct tmpl_data;

#define WEB_BODY_MAX	(64 * 1024)	/* bytes of a POST body */
#define WEB_QUERY_MAX	8192		/* bytes of a query string */
#define WEB_COOKIE_MAX	8192		/* bytes of the Cookie header */
#define WEB_COOKIE	"popstore_session"
#define WEB_LIST_MAX	500		/* rows of one listing page */

struct web {
	const char	*prog;		/* "popstore-user.cgi" */
	int		 manage;	/* the management interface */
	struct conf	 conf;
	struct store	*store;
	struct secret_key key;		/* the web key (websess.h) */
	struct secret_key skey;		/* the APOP/CRAM-MD5 key, if any */
	int		 have_skey;
	const char	*tmpl_dir;
	int64_t		 now;
	/* the request */
	int		 post;
	const char	*script;	/* SCRIPT_NAME */
	const char	*remote;	/* REMOTE_ADDR, or "" */
	int		 https;
	struct form	 query, form, cookies;
	/* who */
	int		 authed;
	int		 basic;		/* by Basic credentials */
	struct acct	 user;		/* the account logged in */
	char		 sid[WEBSESS_ID_LEN + 1];
	struct buf	 csrf;
	/* the answer */
	struct buf	 headers;
	struct tmpl_data *data;
};

/* ---- web.c: start, request, answer ---- */

/*
 * Everything before the request: --help outside a web server, the
 * configuration, the drop to STORE_USER, the store, the key. Returns
 * only when the program should go on (else it has answered and exits).
 */
void web_start(struct web *w, const char *prog, int manage, int argc,
    char **argv, const char *usage);

/* Read the request; answers 400/413/415 and exits when it is bad. */
void web_read(struct web *w);

/* A request value: the form's (POST) or the query's, or NULL. */
const char *web_arg(const struct web *w, const char *name);

/* The same, "" when missing. */
const char *web_str(const struct web *w, const char *name);

/* Render template name with w->data as the answer, and exit. */
void web_page(struct web *w, const char *name) __attribute__((noreturn));

/*
 * Redirect to this program with query text (already encoded, may be
 * "") and exit: the answer to every successful action.
 */
void web_redirect(struct web *w, const char *query)
    __attribute__((noreturn));

/* An error page with an HTTP status and a sentence, and exit. */
void web_error(struct web *w, int status, const char *text)
    __attribute__((noreturn));

/* Serve the stylesheet of the template directory and exit. */
void web_style(struct web *w) __attribute__((noreturn));

/* Write a whole answer: status, type, extra headers, body; no exit. */
void web_send(struct web *w, int status, const char *type,
    const char *extra, const void *body, size_t len);

/* Release what the request holds and exit with status. */
void web_exit(struct web *w, int status) __attribute__((noreturn));

/* ---- auth.c: logging in ---- */

/*
 * Make sure someone is logged in (a manager for the management
 * interface): answers the login form, a login POST, a logout, or a
 * refused request and exits; returns once w->user is set. Every POST
 * that returns has passed the CSRF check.
 */
void web_login(struct web *w);

/* Close this session (and every other when all) of w->user. */
void web_logout_all(struct web *w, int keep_this);


/* ---- fmt.c: values for pages ---- */

/* "2026-11-23 12:00" in local time, or "never" for 0. */
void fmt_time(int64_t t, struct buf *out);

/* "1.5 MB" and the like. */
void fmt_size(uint64_t bytes, struct buf *out);

/* Set name in d to a formatted size / time. */
void fmt_set_size(struct tmpl_data *d, const char *name, uint64_t bytes);
void fmt_set_time(struct tmpl_data *d, const char *name, int64_t t);

/* Set the notice of a redirect's done=CODE (a fixed table), if any. */
void fmt_notice(struct web *w);

/* Log an event with the request's user and address added. */
void web_log(struct web *w, int prio, const char *event, const char *k1,
    const char *v1, const char *k2, const char *v2);

/* ---- msglist.c: listing one folder's messages ---- */

/*
 * Add up to max messages of folder id of account a to the list
 * "messages" of d, newest first, starting at the start-th newest; set
 * "more" when there are more and "folder", "uidvalidity", "total".
 * 0, or -1 (an error page was answered).
 */
int msglist_folder(struct web *w, const struct acct *a, uint32_t id,
    uint32_t start, uint32_t max, struct tmpl_data *d);

/*
 * The UIDs named by the form's "uid" fields (at most WEB_LIST_MAX).
 * Returns the count; *uids_r is allocated.
 */
size_t msglist_uids(struct web *w, uint32_t **uids_r);

/* ---- the management interface (manage.c, mgracct.c, mgrother.c) ---- */

/*
 * The account named by the request's field (canonical, loaded) if
 * the manager manages it; else an error page (a refusal is logged).
 */
void mgr_target(struct web *w, const char *field, struct acct *a);

/* The canonical form of a name the manager typed; NULL: page answered. */
void mgr_canon(struct web *w, const char *input, struct buf *out);

void mgr_account_page(struct web *w);
void mgr_form_page(struct web *w, const char *mode);
void mgr_rename_page(struct web *w);
void mgr_delete_page(struct web *w);
void mgr_act_save(struct web *w, const char *mode);
void mgr_act_rename(struct web *w);
void mgr_act_delete(struct web *w);
void mgr_act_messages(struct web *w);
void mgr_forwardings_page(struct web *w);
void mgr_act_forward(struct web *w, int remove);
void mgr_groups_page(struct web *w);
void mgr_act_group(struct web *w, const char *op);

/* ---- the user interface (user.c, usermsg.c, userrules.c) ---- */

void user_messages_page(struct web *w);
void user_message_page(struct web *w);
void user_part(struct web *w);
void user_act_delete(struct web *w);
void user_vacation_page(struct web *w);
void user_filters_page(struct web *w);
void user_act_vacation(struct web *w);
void user_act_rule(struct web *w, const char *op);

#endif
