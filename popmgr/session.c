/*
 * session - the popmgr session: errors and exit codes, the store and
 * its durability, who may do what; the commands init, login, logout,
 * set and rebuild-db.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "fwdmap.h"
#include "log.h"
#include "mem.h"
#include "mgmtdb.h"
#include "name.h"
#include "passwd.h"
#include "store.h"
#include "popmgr.h"

int
mgr_fail(struct mgr *m, int code, const char *fmt, ...)
{
	struct buf b = BUF_INIT;
	va_list ap;

	(void)m;
	fflush(stdout);
	buf_puts(&b, "popmgr: ");
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	buf_putc(&b, '\n');
	(void)!write(STDERR_FILENO, b.data, b.len);
	buf_free(&b);
	return code;
}

int
mgr_code(int err)
{
	if (err == EACCES || err == EPERM)
		return EX_NOPERM;
	if (err == EEXIST)
		return EX_CANTCREAT;
	if (file_errno_temporary(err) || err == EWOULDBLOCK)
		return EX_TEMPFAIL;
	return EX_IOERR;
}

int
mgr_open_store(struct mgr *m)
{
	char *why = NULL;

	if (m->store)
		return 0;
	if (store_open(&m->conf, &m->store, &why) < 0) {
		int code = errno == EACCES ? EX_NOPERM : EX_CONFIG;

		mgr_fail(m, code, "%s", why);
		free(why);
		return code;
	}
	(void)store_set_batch(m->store, 1, NULL);
	return 0;
}

void
mgr_hold(struct mgr *m)
{
	/* Failing to hold only costs speed: each update opens the file. */
	(void)mgmtdb_hold(m->store, MGMTDB_ACCOUNTS, NULL);
}

void
mgr_changed(struct mgr *m)
{
	if (++m->pending < MGR_SYNC_EVERY)
		return;
	(void)mgr_checkpoint(m);
	mgr_hold(m);		/* the batch goes on */
}

int
mgr_checkpoint(struct mgr *m)
{
	char *why = NULL;

	if (m->store == NULL)
		return 0;
	m->pending = 0;
	mgmtdb_close(m->store);
	if (store_sync(m->store, &why) < 0) {
		mgr_fail(m, EX_IOERR, "cannot make changes durable: %s", why);
		free(why);
		return EX_IOERR;
	}
	return 0;
}

int
mgr_args(struct mgr *m, const struct sw_def *defs, const struct words *w,
    struct sw_val *vals, struct words *params)
{
	char *why = NULL;

	if (parse_switches(defs, w, 1, vals, params, &why) == 0)
		return 0;
	mgr_fail(m, EX_USAGE, "%s: %s", w->v[0], why);
	free(why);
	return EX_USAGE;
}

struct sw_val *
mgr_sw(const struct sw_def *defs, struct sw_val *vals, const char *name)
{
	static struct sw_val none;
	size_t i;

	for (i = 0; defs[i].name; i++)
		if (strcmp(defs[i].name, name) == 0)
			return &vals[i];
	memset(&none, 0, sizeof(none));
	return &none;
}

int
mgr_canon(struct mgr *m, const char *input, struct buf *out)
{
	char *why = NULL;

	if (name_canon(&m->conf, m->store->domain, input, out, &why) == 0)
		return 0;
	mgr_fail(m, EX_DATAERR, "%s", why);
	free(why);
	return EX_DATAERR;
}

int
mgr_may_manage(struct mgr *m, const struct acct *target)
{
	char *why = NULL;
	int rc;

	if (!m->confined)
		return 1;
	rc = group_may_manage(m->store, &m->manager, target, &why);
	if (rc < 0) {
		mgr_fail(m, EX_TEMPFAIL, "%s: %s", target->name, why);
		free(why);
	}
	return rc;
}

int
mgr_world(struct mgr *m)
{
	return !m->confined || group_is_world_manager(m->store, &m->manager);
}

int
mgr_load(struct mgr *m, const char *name, struct acct *a, int manage)
{
	char *why = NULL;
	int rc = acct_load(m->store, name, a, &why);

	if (rc < 0) {
		rc = mgr_fail(m, mgr_code(errno), "%s", why);
		free(why);
		return rc;
	}
	if (rc == 0)
		return mgr_fail(m, EX_NOUSER, "%s: no such account", name);
	if (manage && (rc = mgr_may_manage(m, a)) != 1) {
		acct_wipe(a);
		if (rc < 0)
			return EX_TEMPFAIL;
		return mgr_fail(m, EX_NOPERM, "%s: permission denied (not "
		    "managed by %s)", name, m->manager.name);
	}
	return 0;
}

int
mgr_key(struct mgr *m, int quiet)
{
	struct buf path = BUF_INIT;
	char *why = NULL;
	int rc = 0;

	if (m->key_loaded)
		return 0;
	store_secret_key_path(m->store, &path);
	if (secret_key_load(path.data, &m->key, &why) < 0)
		rc = quiet ? EX_CONFIG : mgr_fail(m, EX_CONFIG,
		    "APOP/CRAM-MD5 secret key: %s", why);
	else
		m->key_loaded = 1;
	free(why);
	buf_free(&path);
	return rc;
}

void
mgr_time(int64_t t, struct buf *out)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char s[64];

	if (t <= 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		buf_puts(out, "No time recorded");
		return;
	}
	buf_puts(out, s);
}

/* ---- init ---- */

static int
init_default(struct mgr *m)
{
	struct acct a;
	char *why = NULL;
	int rc = 0;

	if (acct_exists(m->store, "default"))
		return 0;
	if (acct_from_default(m->store, "default", &a, &why) < 0 ||
	    ((a.type = ACCT_IMAP), (a.flags |= ACCT_DISUSER),
	    acct_create(m->store, &a, &why) < 0)) {
		rc = mgr_fail(m, mgr_code(errno), "default: %s", why);
		free(why);
		return rc;
	}
	log_event(LOG_NOTICE, "account_add", "account", "default", "by", m->by,
	    NULL);
	return 0;
}

static int
init_key(struct mgr *m)
{
	struct buf path = BUF_INIT;
	struct stat st;
	char *why = NULL;
	int rc = 0;

	if (!m->conf.apop_cram_md5)
		return 0;
	store_secret_key_path(m->store, &path);
	if (lstat(path.data, &st) < 0 && errno == ENOENT) {
		if (secret_key_create(path.data, &why) < 0) {
			rc = mgr_fail(m, EX_CANTCREAT, "%s", why);
			free(why);
		} else {
			log_event(LOG_NOTICE, "secret_key_created", "file",
			    path.data, "by", m->by, NULL);
		}
	}
	buf_free(&path);
	return rc;
}

int
cmd_init(struct mgr *m, const struct words *w)
{
	char *why = NULL;
	int rc;

	if (w->n != 1)
		return mgr_fail(m, EX_USAGE, "usage: init");
	if (m->store && !mgr_world(m))
		return mgr_fail(m, EX_NOPERM, "init: only a WORLD manager may");
	if (store_create(&m->conf, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "init: %s", why);
		free(why);
		return rc;
	}
	if ((rc = mgr_open_store(m)) != 0 || (rc = init_default(m)) != 0 ||
	    (rc = init_key(m)) != 0)
		return rc;
	if ((rc = mgr_checkpoint(m)) != 0)
		return rc;
	log_event(LOG_NOTICE, "store_init", "dir", m->conf.store_dir, "by", m->by,
	    NULL);
	if (!m->script)
		printf("Store ready in %s\n", m->conf.store_dir);
	return 0;
}

/* ---- login, logout ---- */

const struct sw_def login_switches[] = {
	{ "password", SW_VALUE, 0 },
	{ NULL, 0, 0 }
};

/* 1 when the password is right and the account may manage. */
static int
login_check(struct mgr *m, const char *name, const char *pw, struct acct *a)
{
	char *why = NULL;
	int rc = acct_load(m->store, name, a, &why);

	if (rc != 1) {
		free(why);
		return 0;
	}
	rc = a->password[0] && passwd_verify(a->password, pw, &why) == 1 &&
	    (a->flags & ACCT_MANAGE) && !(a->flags & ACCT_DISUSER);
	free(why);
	acct_wipe(a);
	return rc;
}

int
cmd_login(struct mgr *m, const struct words *w)
{
	struct sw_val vals[2];
	struct words params = { NULL, 0, 0 };
	struct buf name = BUF_INIT, pw = BUF_INIT;
	struct acct a;
	int rc;

	if ((rc = mgr_args(m, login_switches, w, vals, &params)) != 0)
		goto out;
	if (params.n > 1) {
		rc = mgr_fail(m, EX_USAGE, "usage: login [NAME]");
		goto out;
	}
	if ((rc = mgr_canon(m, params.n ? params.v[0] : m->os_user, &name)) != 0)
		goto out;
	if (vals[0].given)
		buf_puts(&pw, vals[0].value);
	else if ((rc = prompt_secret(m, "Password: ", &pw)) != 0)
		goto out;
	if (!login_check(m, name.data, buf_cstr(&pw), &a)) {
		log_event(LOG_WARNING, "login", "account", acct_exists(m->store,
		    name.data) ? name.data : "(unknown)", "result", "failed",
		    "by", m->os_user, NULL);
		sleep((unsigned)m->conf.login_fail_delay);
		rc = mgr_fail(m, EX_NOPERM, "login failed");
		goto out;
	}
	m->manager = a;
	m->confined = 1;
	snprintf(m->by, sizeof(m->by), "%s", a.name);
	free(m->store->domain);
	m->store->domain = mem_strdup(name_domain(a.name));
	log_event(LOG_NOTICE, "login", "account", a.name, "result", "ok", "by",
	    m->os_user, NULL);
	if (!m->script)
		printf("Login succeeded; management capabilities enabled\n");
out:
	buf_free(&name);
	buf_free_secret(&pw);
	words_free(&params);
	return rc;
}

int
cmd_logout(struct mgr *m, const struct words *w)
{
	if (w->n != 1)
		return mgr_fail(m, EX_USAGE, "usage: logout");
	if (!m->confined) {
		if (!m->script)
			printf("Not logged in\n");
		return 0;
	}
	log_event(LOG_NOTICE, "logout", "account", m->manager.name, "by",
	    m->os_user, NULL);
	memset(&m->manager, 0, sizeof(m->manager));
	m->confined = 0;
	snprintf(m->by, sizeof(m->by), "%s", m->os_user);
	if (!m->script)
		printf("Logged out\n");
	return 0;
}

/* ---- set ---- */

static int
set_domain(struct mgr *m, const char *input)
{
	struct buf dflt = BUF_INIT, canon = BUF_INIT;
	const char *dom = "", *own;
	char *why = NULL;
	int rc;

	if ((rc = mgr_open_store(m)) != 0)
		return rc;
	if (input) {
		if (!m->conf.use_domains)
			return mgr_fail(m, EX_USAGE, "set domain: user domains "
			    "need USE_DOMAINS=1");
		buf_printf(&dflt, "default@%s", input);
		if (name_canon(&m->conf, "", dflt.data, &canon, &why) < 0) {
			rc = mgr_fail(m, EX_DATAERR, "set domain: %s", why);
			goto out;
		}
		dom = name_domain(canon.data);
		if (*dom && !acct_exists(m->store, canon.data)) {
			rc = mgr_fail(m, EX_NOUSER, "set domain: no such domain "
			    "%s (add -domain creates one)", dom);
			goto out;
		}
	}
	own = name_domain(m->manager.name);
	if (m->confined && *own && strcmp(own, dom) != 0) {
		rc = mgr_fail(m, EX_NOPERM, "set domain: %s manages domain %s "
		    "only", m->manager.name, own);
		goto out;
	}
	free(m->store->domain);
	m->store->domain = mem_strdup(dom);
out:
	free(why);
	buf_free(&dflt);
	buf_free(&canon);
	return rc;
}

int
cmd_set(struct mgr *m, const struct words *w)
{
	uint64_t unit;

	if (w->n == 1) {
		printf("domain:        %s\nstorage_units: %s\n",
		    m->store && *m->store->domain ? m->store->domain :
		    "(default)", parse_units_name(m->unit));
		return 0;
	}
	if (strncasecmp(w->v[1], "domain", strlen(w->v[1])) == 0 && w->n <= 3)
		return set_domain(m, w->n == 3 ? w->v[2] : NULL);
	if (strncasecmp(w->v[1], "storage_units", strlen(w->v[1])) == 0 &&
	    w->n == 3) {
		if (parse_units(w->v[2], &unit) < 0)
			return mgr_fail(m, EX_USAGE, "set storage_units: bytes, "
			    "kbytes, mbytes or gbytes");
		m->unit = unit;
		return 0;
	}
	return mgr_fail(m, EX_USAGE, "usage: set domain [DOMAIN] | "
	    "set storage_units UNITS");
}

/* ---- rebuild-db ---- */

int
cmd_rebuild_db(struct mgr *m, const struct words *w)
{
	char *why = NULL;
	long na, ng, nf;
	int rc;

	if (w->n != 1)
		return mgr_fail(m, EX_USAGE, "usage: rebuild-db");
	if (!mgr_world(m))
		return mgr_fail(m, EX_NOPERM, "rebuild-db: only a WORLD manager "
		    "may");
	if (acct_rebuild_db(m->store, &why) < 0 ||
	    group_rebuild_db(m->store, &why) < 0 ||
	    fwdmap_rebuild_db(m->store, &why) < 0) {
		rc = mgr_fail(m, mgr_code(errno), "rebuild-db: %s", why);
		free(why);
		return rc;
	}
	mgmtdb_close(m->store);
	na = mgmtdb_count(m->store, MGMTDB_ACCOUNTS, NULL);
	ng = mgmtdb_count(m->store, MGMTDB_GROUPS, NULL);
	nf = mgmtdb_count(m->store, MGMTDB_FORWARD, NULL);
	{
		char a[24], g[24], f[24];

		snprintf(a, sizeof(a), "%ld", na);
		snprintf(g, sizeof(g), "%ld", ng);
		snprintf(f, sizeof(f), "%ld", nf);
		log_event(LOG_NOTICE, "db_rebuild", "accounts", a, "groups", g,
		    "forwardings", f, "by", m->by, NULL);
	}
	if (!m->script)
		printf("Rebuilt: %ld accounts, %ld groups, %ld forwardings\n",
		    na, ng, nf);
	return 0;
}
