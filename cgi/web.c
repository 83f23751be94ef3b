/*
 * web - what both web programs do around their pages: start (the
 * configuration, the drop to STORE_USER, the store and the web key),
 * read the request within its limits, and answer it with the security
 * headers every answer carries.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cgi.h"
#include "file.h"
#include "log.h"
#include "mem.h"
#include "num.h"
#include "privsep.h"
#include "store.h"
#include "tmpl.h"

#ifndef CGI_TEMPLATE_DEFAULT
#define CGI_TEMPLATE_DEFAULT	"/usr/local/share/popstore/templates"
#endif

/* Every answer: no script anywhere, no framing, no sniffing, no caching. */
static const char security_headers[] =
    "Content-Security-Policy: default-src 'none'; style-src 'self'; "
    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'\r\n"
    "X-Frame-Options: DENY\r\n"
    "X-Content-Type-Options: nosniff\r\n"
    "Referrer-Policy: no-referrer\r\n"
    "Cache-Control: no-store\r\n";

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 303: return "See Other";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 503: return "Service Unavailable";
	default: return "Internal Server Error";
	}
}

void
web_send(struct web *w, int status, const char *type, const char *extra,
    const void *body, size_t len)
{
	const char *method = getenv("REQUEST_METHOD");
	struct buf h = BUF_INIT;

	buf_printf(&h, "Status: %d %s\r\n", status, reason(status));
	if (extra == NULL || strstr(extra, "Content-Security-Policy:") == NULL)
		buf_puts(&h, security_headers);
	else
		buf_puts(&h, security_headers + strcspn(security_headers, "\n") +
		    1);
	if (type)
		buf_printf(&h, "Content-Type: %s\r\n", type);
	buf_printf(&h, "Content-Length: %zu\r\n", len);
	if (extra)
		buf_puts(&h, extra);
	buf_append(&h, w->headers.data, w->headers.len);
	buf_puts(&h, "\r\n");
	if (method == NULL || strcmp(method, "HEAD") != 0)
		buf_append(&h, body, len);
	(void)fwrite(h.data, 1, h.len, stdout);
	(void)fflush(stdout);
	buf_free(&h);
}

void
web_exit(struct web *w, int status)
{
	form_free(&w->query);
	form_free(&w->form);
	form_free(&w->cookies);
	acct_wipe(&w->user);
	secret_key_wipe(&w->key);
	secret_key_wipe(&w->skey);
	buf_free(&w->csrf);
	buf_free(&w->headers);
	tmpl_data_free(w->data);
	store_close(w->store);
	conf_free(&w->conf);
	exit(status);
}

/* The page data every template may use. */
static void
common_data(struct web *w)
{
	tmpl_set(w->data, "script", w->script ? w->script : "");
	tmpl_set(w->data, "prog", w->prog);
	tmpl_set_bool(w->data, "manage", w->manage);
	tmpl_set_bool(w->data, "authed", w->authed);
	if (w->authed) {
		tmpl_set(w->data, "user", w->user.name);
		tmpl_set(w->data, "csrf", buf_cstr(&w->csrf));
		tmpl_set_bool(w->data, "pop", w->user.type == ACCT_POP);
	}
}

void
web_error(struct web *w, int status, const char *text)
{
	struct tmpl *t = NULL;
	struct buf out = BUF_INIT;

	if (w->data == NULL)
		w->data = tmpl_data_new();
	tmpl_setf(w->data, "status", "%d", status);
	tmpl_set(w->data, "error", text);
	common_data(w);
	if (w->tmpl_dir && tmpl_load(w->tmpl_dir, "error", &t, NULL) == 0) {
		tmpl_render(t, w->data, &out);
		tmpl_free(t);
		web_send(w, status, "text/html; charset=utf-8", NULL, out.data,
		    out.len);
	} else {
		buf_printf(&out, "%s\n", text);
		web_send(w, status, "text/plain; charset=utf-8", NULL, out.data,
		    out.len);
	}
	buf_free(&out);
	web_exit(w, 0);
}

/* A problem of the site, not of the request: logged, then a 500/503. */
static void
broken(struct web *w, int status, const char *what, const char *why)
    __attribute__((noreturn));

static void
broken(struct web *w, int status, const char *what, const char *why)
{
	log_event(LOG_ERR, "web_unavailable", "what", what, "reason", why,
	    NULL);
	web_error(w, status, "The service is not available now.");
}

void
web_page(struct web *w, const char *name)
{
	struct tmpl *t = NULL;
	struct buf out = BUF_INIT;
	char *why = NULL;

	common_data(w);
	if (tmpl_load(w->tmpl_dir, name, &t, &why) < 0)
		broken(w, 500, "template", why);
	tmpl_render(t, w->data, &out);
	tmpl_free(t);
	web_send(w, 200, "text/html; charset=utf-8", NULL, out.data, out.len);
	buf_free(&out);
	web_exit(w, 0);
}

void
web_redirect(struct web *w, const char *query)
{
	const char *base = strrchr(w->script, '/');
	struct buf h = BUF_INIT;

	/* A relative reference: never a server-side redirect (RFC 3875). */
	buf_printf(&h, "Location: %s%s%s\r\n", base ? base + 1 : w->prog,
	    *query ? "?" : "", query);
	web_send(w, 303, "text/plain; charset=utf-8", h.data, "", 0);
	buf_free(&h);
	web_exit(w, 0);
}

void
web_style(struct web *w)
{
	struct buf path = BUF_INIT, css = BUF_INIT;
	char *why = NULL;

	buf_printf(&path, "%s/style.css", w->tmpl_dir);
	if (file_read(path.data, 256 * 1024, &css, &why) != 1)
		web_error(w, 404, "No stylesheet.");
	/* Served like a page: never cached past a template change. */
	web_send(w, 200, "text/css; charset=utf-8", NULL, css.data, css.len);
	free(why);
	buf_free(&path);
	buf_free(&css);
	web_exit(w, 0);
}

/* ---- start ---- */

static void
privileges(struct web *w)
{
	char *why = NULL;
	int rc;

	if (geteuid() == 0 && *w->conf.store_user == '\0') {
		broken(w, 500, "privileges", "started as root without "
		    "STORE_USER: refusing to serve as root");
	}
	/* The management interface returns messages through SENDMAIL,
	 * which may be a set-gid program (Postfix's postdrop). */
	rc = privsep_drop(w->conf.store_user, w->manage ? PRIVSEP_EXEC_SETID : 0,
	    &why);
	if (rc == 0 && privsep_refuse_root(&why) == 0)
		return;
	broken(w, 500, "privileges", why);
}

void
web_start(struct web *w, const char *prog, int manage, int argc,
    char **argv, const char *usage)
{
	/* log_open() keeps the pointer: the name must outlive this call. */
	static char name[64];
	char *why = NULL;
	struct buf path = BUF_INIT;

	memset(w, 0, sizeof(*w));
	w->prog = prog;
	w->manage = manage;
	w->script = "";
	if (getenv("GATEWAY_INTERFACE") == NULL) {
		int help = argc > 1 && (strcmp(argv[1], "--help") == 0 ||
		    strcmp(argv[1], "-h") == 0);

		fputs(usage, help ? stdout : stderr);
		exit(help ? 0 : EX_USAGE);
	}
	umask(077);
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(prog, "."), prog);
	log_open(name, 0);
	w->now = (int64_t)time(NULL);
	if (conf_load(NULL, &w->conf, &why) < 0)
		broken(w, 500, "configuration", why);
	if (log_set_file(w->conf.log_file) < 0)
		log_event(LOG_WARNING, "log_file", "file", w->conf.log_file,
		    "reason", strerror(errno), NULL);
	w->tmpl_dir = *w->conf.cgi_template_dir ? w->conf.cgi_template_dir :
	    CGI_TEMPLATE_DEFAULT;
	privileges(w);
	if (store_open(&w->conf, &w->store, &why) < 0)
		broken(w, 503, "store", why);
	if (websess_key_load(w->store, &w->key, &why) < 0)
		broken(w, 503, "web key", why);
	if (w->conf.apop_cram_md5) {
		store_secret_key_path(w->store, &path);
		w->have_skey = secret_key_load(path.data, &w->skey, NULL) == 0;
		buf_free(&path);
	}
	w->data = tmpl_data_new();
}

/* ---- the request ---- */

/* SCRIPT_NAME goes into headers and URLs: a plain absolute path only. */
static const char *
script_name(void)
{
	const char *s = getenv("SCRIPT_NAME");
	size_t i;

	if (s == NULL || s[0] != '/' || strlen(s) > 1024)
		return "/";
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] >= 0x7f ||
		    strchr("\"';,\\<>", s[i]))
			return "/";
	return s;
}

static void
read_body(struct web *w)
{
	const char *type = getenv("CONTENT_TYPE"), *len = getenv("CONTENT_LENGTH");
	struct buf body = BUF_INIT;
	uint64_t want;
	char *why = NULL;
	ssize_t n;

	if (type == NULL || strncasecmp(type, "application/x-www-form-urlencoded",
	    33) != 0 || (type[33] != '\0' && type[33] != ';'))
		web_error(w, 415, "Forms only.");
	if (len == NULL || num_parse_u64(len, UINT64_MAX, &want) < 0)
		web_error(w, 400, "The request has no length.");
	if (want > WEB_BODY_MAX)
		web_error(w, 413, "The request is too large.");
	buf_reserve(&body, (size_t)want);
	while (body.len < want) {
		n = read(STDIN_FILENO, body.data + body.len, want - body.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			web_error(w, 400, "The request was cut short.");
		body.len += (size_t)n;
	}
	if (form_parse(&w->form, body.data ? body.data : "", body.len,
	    &why) < 0) {
		log_event(LOG_NOTICE, "bad_request", "ip", w->remote, "reason",
		    why, NULL);
		free(why);
		buf_free_secret(&body);
		web_error(w, 400, "The form could not be read.");
	}
	buf_free_secret(&body);
}

void
web_read(struct web *w)
{
	const char *method = getenv("REQUEST_METHOD");
	const char *q = getenv("QUERY_STRING"), *c = getenv("HTTP_COOKIE");
	const char *https = getenv("HTTPS");
	char *why = NULL;

	w->script = script_name();
	w->remote = getenv("REMOTE_ADDR") ? getenv("REMOTE_ADDR") : "";
	w->https = https && (strcasecmp(https, "on") == 0 ||
	    strcmp(https, "1") == 0);
	if (method == NULL)
		web_error(w, 400, "No request method.");
	if (strcmp(method, "POST") == 0)
		w->post = 1;
	else if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		buf_puts(&w->headers, "Allow: GET, HEAD, POST\r\n");
		web_error(w, 405, "GET or POST only.");
	}
	if (q && strlen(q) > WEB_QUERY_MAX)
		web_error(w, 414, "The address is too long.");
	if (q && form_parse(&w->query, q, strlen(q), &why) < 0) {
		free(why);
		web_error(w, 400, "The address could not be read.");
	}
	if (c && strlen(c) <= WEB_COOKIE_MAX)
		form_parse_cookies(&w->cookies, c, strlen(c));
	if (w->post)
		read_body(w);
}

const char *
web_arg(const struct web *w, const char *name)
{
	return form_get(w->post ? &w->form : &w->query, name);
}

const char *
web_str(const struct web *w, const char *name)
{
	const char *v = web_arg(w, name);

	return v ? v : "";
}
