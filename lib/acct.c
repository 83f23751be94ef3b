/* acct - accounts: profiles, usage counters, flags; see acct.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "be.h"
#include "buf.h"
#include "conf.h"
#include "fanout.h"
#include "file.h"
#include "kvfile.h"
#include "lock.h"
#include "log.h"
#include "mem.h"
#include "mgmtdb.h"
#include "num.h"
#include "rlog.h"
#include "store.h"

#define PROFILE_MAX	65536
#define USAGE_KIND	RLOG_KIND('U', 'S', 'A', 'G')
#define USAGE_RECSIZE	104	/* 12 x 8 bytes + 4 reserved + CRC */

static const struct {
	const char	*name;
	unsigned	 flag;
} flag_names[] = {
	{ "dismail", ACCT_DISMAIL },
	{ "disuser", ACCT_DISUSER },
	{ "lockpwd", ACCT_LOCKPWD },
	{ "manage", ACCT_MANAGE },
	{ "migrated", ACCT_MIGRATED },
	{ "pwd_elsewhere", ACCT_PWD_ELSEWHERE },
	{ "pwd_expired", ACCT_PWD_EXPIRED },
};
#define NFLAGS	(sizeof(flag_names) / sizeof(flag_names[0]))

void
acct_flags_format(unsigned flags, struct buf *out)
{
	size_t i;
	int first = 1;

	for (i = 0; i < NFLAGS; i++)
		if (flags & flag_names[i].flag) {
			if (!first)
				buf_putc(out, ',');
			buf_puts(out, flag_names[i].name);
			first = 0;
		}
}

static int
flag_word(const char *w, size_t len, unsigned *set, unsigned *clear)
{
	int neg = 0;
	size_t i;

	if (len > 2 && strncasecmp(w, "no", 2) == 0) {
		/* "nodismail"; but not a flag that itself starts with "no". */
		for (i = 0; i < NFLAGS; i++)
			if (strlen(flag_names[i].name) == len - 2 &&
			    strncasecmp(flag_names[i].name, w + 2, len - 2) == 0)
				break;
		if (i < NFLAGS) {
			neg = 1;
			w += 2;
			len -= 2;
		}
	}
	for (i = 0; i < NFLAGS; i++)
		if (strlen(flag_names[i].name) == len &&
		    strncasecmp(flag_names[i].name, w, len) == 0) {
			if (neg) {
				*clear |= flag_names[i].flag;
				*set &= ~flag_names[i].flag;
			} else {
				*set |= flag_names[i].flag;
				*clear &= ~flag_names[i].flag;
			}
			return 0;
		}
	return -1;
}

int
acct_flags_parse(const char *list, unsigned *set, unsigned *clear,
    char **why_r)
{
	const char *p = list, *end;
	size_t len = strlen(list);

	*set = *clear = 0;
	if (len >= 2 && list[0] == '(' && list[len - 1] == ')') {
		p = list + 1;
		len -= 2;
	}
	end = p + len;
	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t wl = comma ? (size_t)(comma - p) : (size_t)(end - p);

		while (wl && (*p == ' ')) {
			p++;
			wl--;
		}
		while (wl && p[wl - 1] == ' ')
			wl--;
		if (wl && flag_word(p, wl, set, clear) < 0)
			return file_whyf(why_r, "unknown flag '%.*s'", (int)wl, p);
		p = comma ? comma + 1 : end;
	}
	return 0;
}

const char *
acct_type_name(int type)
{
	return type == ACCT_IMAP ? "imap" : "pop";
}

int
acct_type_parse(const char *s)
{
	if (strcasecmp(s, "pop") == 0 || strcasecmp(s, "pop3") == 0)
		return ACCT_POP;
	if (strcasecmp(s, "imap") == 0)
		return ACCT_IMAP;
	return -1;
}

int
acct_quota_allows(const struct acct *a, const struct usage *u, uint64_t size)
{
	uint64_t after, limit;

	if (a->quota == 0)
		return 1;
	if (u->quota_used > a->quota)
		return 0;
	if (__builtin_add_overflow(u->quota_used, size, &after) ||
	    __builtin_add_overflow(a->quota, a->overdraft, &limit))
		return 0;
	return after <= limit;
}

void
acct_wipe(struct acct *a)
{
	explicit_bzero(a->password, sizeof(a->password));
	explicit_bzero(a->secret, sizeof(a->secret));
}

/* ---- profile text ---- */

static int
copy_field(char *dst, size_t size, const char *v)
{
	size_t len = v ? strlen(v) : 0;

	if (len >= size)
		return -1;
	memcpy(dst, v ? v : "", len + 1);
	return 0;
}

static int
get_i64(const struct kvfile *kv, const char *key, int64_t *v)
{
	const char *s = kvfile_get(kv, key);
	uint64_t u;

	if (s == NULL || *s == '\0') {
		*v = 0;
		return 0;
	}
	if (num_parse_u64(s, INT64_MAX, &u) < 0)
		return -1;
	*v = (int64_t)u;
	return 0;
}

static int
get_u64(const struct kvfile *kv, const char *key, uint64_t *v)
{
	const char *s = kvfile_get(kv, key);

	if (s == NULL || *s == '\0') {
		*v = 0;
		return 0;
	}
	return num_parse_u64(s, UINT64_MAX, v);
}

static int
profile_decode(const struct kvfile *kv, struct acct *a, char **why_r)
{
	const char *type = kvfile_get(kv, "type");
	const char *flags = kvfile_get(kv, "flags");
	unsigned set, clear;
	const char *bad = NULL;

	memset(a, 0, sizeof(*a));
	a->version = kv->version;
	if (copy_field(a->name, sizeof(a->name), kvfile_get(kv, "name")) < 0 ||
	    a->name[0] == '\0')
		bad = "name";
	else if (copy_field(a->password, sizeof(a->password),
	    kvfile_get(kv, "password")) < 0)
		bad = "password";
	else if (copy_field(a->secret, sizeof(a->secret),
	    kvfile_get(kv, "secret")) < 0)
		bad = "secret";
	else if (copy_field(a->owner, sizeof(a->owner), kvfile_get(kv, "owner")) < 0)
		bad = "owner";
	else if (copy_field(a->private_data, sizeof(a->private_data),
	    kvfile_get(kv, "private")) < 0)
		bad = "private";
	else if (copy_field(a->group, sizeof(a->group), kvfile_get(kv, "group")) < 0)
		bad = "group";
	else if (copy_field(a->partition, sizeof(a->partition),
	    kvfile_get(kv, "partition")) < 0)
		bad = "partition";
	else if (copy_field(a->backend, sizeof(a->backend),
	    kvfile_get(kv, "backend")) < 0)
		bad = "backend";
	else if (type == NULL || (a->type = acct_type_parse(type)) < 0)
		bad = "type";
	else if (acct_flags_parse(flags ? flags : "", &set, &clear, NULL) < 0)
		bad = "flags";
	else if (get_u64(kv, "quota", &a->quota) < 0)
		bad = "quota";
	else if (get_u64(kv, "overdraft", &a->overdraft) < 0)
		bad = "overdraft";
	else if (get_i64(kv, "created", &a->created) < 0)
		bad = "created";
	else if (get_i64(kv, "password_changed", &a->password_changed) < 0)
		bad = "password_changed";
	if (bad) {
		acct_wipe(a);
		return file_whyf(why_r, "profile: bad %s field", bad);
	}
	a->flags = set;
	return 0;
}

static void
put_num(struct kvfile *kv, const char *key, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)v);
	kvfile_set(kv, key, tmp);
}

static void
profile_encode(const struct acct *a, struct buf *out)
{
	struct buf flags = BUF_INIT;
	struct kvfile kv;

	kvfile_init(&kv, "profile", ACCT_VERSION);
	kvfile_set(&kv, "name", a->name);
	kvfile_set(&kv, "type", acct_type_name(a->type));
	acct_flags_format(a->flags, &flags);
	kvfile_set(&kv, "flags", buf_cstr(&flags));
	kvfile_set(&kv, "password", a->password);
	kvfile_set(&kv, "secret", a->secret);
	kvfile_set(&kv, "owner", a->owner);
	kvfile_set(&kv, "private", a->private_data);
	kvfile_set(&kv, "group", a->group);
	kvfile_set(&kv, "partition", a->partition);
	kvfile_set(&kv, "backend", a->backend);
	put_num(&kv, "quota", a->quota);
	put_num(&kv, "overdraft", a->overdraft);
	put_num(&kv, "created", (uint64_t)a->created);
	put_num(&kv, "password_changed", (uint64_t)a->password_changed);
	kvfile_format(&kv, out);
	kvfile_free(&kv);
	buf_free(&flags);
}

static void
profile_path(struct store *s, const char *name, const char *file,
    struct buf *out)
{
	store_profile_dir(s, name, out);
	if (file) {
		buf_putc(out, '/');
		buf_puts(out, file);
	}
}

int
acct_load(struct store *s, const char *name, struct acct *a, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	char *why = NULL;
	int rc;

	profile_path(s, name, "profile", &path);
	rc = file_read(path.data, PROFILE_MAX, &text, why_r);
	if (rc <= 0)
		goto out;
	if (kvfile_parse(text.data, text.len, "profile", &kv, &why) < 0) {
		rc = -1;
	} else {
		rc = profile_decode(&kv, a, &why) < 0 ? -1 : 1;
		kvfile_free(&kv);
	}
	if (rc < 0) {
		file_whyf(why_r, "%s: %s", path.data, why);
		free(why);
	} else if (strcmp(a->name, name) != 0) {
		file_whyf(why_r, "%s: profile names %s", path.data, a->name);
		acct_wipe(a);
		rc = -1;
	}
out:
	buf_free(&path);
	buf_free_secret(&text);
	return rc;
}

int
acct_exists(struct store *s, const char *name)
{
	struct buf path = BUF_INIT;
	struct stat st;
	int rc;

	profile_path(s, name, "profile", &path);
	rc = lstat(path.data, &st) == 0 && S_ISREG(st.st_mode);
	buf_free(&path);
	return rc;
}

static void
db_update(struct store *s, const struct acct *a)
{
	struct buf v = BUF_INIT;
	char *why = NULL;

	buf_printf(&v, "%s\t%s\t%u", a->group, acct_type_name(a->type), a->flags);
	if (mgmtdb_put(s, MGMTDB_ACCOUNTS, a->name, v.data, &why) < 0) {
		log_event(LOG_WARNING, "mgmtdb", "account", a->name, "error", why,
		    "action", "run reconstruct", NULL);
		free(why);
	}
	buf_free(&v);
}

static void
db_remove(struct store *s, const char *name)
{
	char *why = NULL;

	if (mgmtdb_delete(s, MGMTDB_ACCOUNTS, name, &why) < 0) {
		log_event(LOG_WARNING, "mgmtdb", "account", name, "error", why,
		    "action", "run reconstruct", NULL);
		free(why);
	}
}

static int
write_profile(struct store *s, const struct acct *a, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	int rc;

	profile_path(s, a->name, "profile", &path);
	profile_encode(a, &text);
	rc = file_write_atomic(path.data, text.data, text.len, 0600,
	    store_write_flags(s), why_r);
	buf_free(&path);
	buf_free_secret(&text);
	return rc;
}

int
acct_create(struct store *s, const struct acct *a, char **why_r)
{
	struct buf dir = BUF_INIT;
	struct usage u;
	int rc = -1;

	if (conf_partition_dir(s->conf, a->partition) == NULL) {
		errno = EINVAL;
		return file_whyf(why_r, "%s: partition '%s' is not configured",
		    a->name, a->partition);
	}
	profile_path(s, a->name, NULL, &dir);
	if (file_mkparents(dir.data, 0750, why_r) < 0)
		goto out;
	if (mkdir(dir.data, 0750) < 0) {
		if (errno == EEXIST)
			file_whyf(why_r, "%s: account exists", a->name);
		else
			file_why(why_r, dir.data);
		goto out;
	}
	memset(&u, 0, sizeof(u));
	if (write_profile(s, a, why_r) < 0 || usage_write(s, a->name, &u, why_r) < 0) {
		file_remove_tree(dir.data, NULL);
		goto out;
	}
	if (!s->batch && file_fsync_parent(dir.data) < 0) {
		file_why(why_r, dir.data);
		goto out;
	}
	db_update(s, a);
	rc = 0;
out:
	buf_free(&dir);
	return rc;
}

int
acct_save(struct store *s, const struct acct *a, char **why_r)
{
	if (!acct_exists(s, a->name)) {
		errno = ENOENT;
		return file_whyf(why_r, "%s: no such account", a->name);
	}
	if (write_profile(s, a, why_r) < 0)
		return -1;
	db_update(s, a);
	return 0;
}

/* Move a directory out of the tree to a unique ".deleted" name. */
static int
retire_dir(const char *dir, struct buf *gone, char **why_r)
{
	const char *slash = strrchr(dir, '/');

	buf_reset(gone);
	buf_append(gone, dir, (size_t)(slash - dir));
	buf_printf(gone, "/.deleted.%ld.%ld.%s", (long)time(NULL),
	    (long)getpid(), slash + 1);
	if (rename(dir, gone->data) < 0)
		return file_why(why_r, dir);
	return 0;
}

int
acct_delete(struct store *s, const char *name, char **why_r)
{
	struct buf dir = BUF_INIT, gone = BUF_INIT, mail = BUF_INIT,
	    mgone = BUF_INIT;
	struct acct a;
	struct stat st;
	int lockfd, rc = -1;

	rc = acct_load(s, name, &a, why_r);
	if (rc == 0) {
		errno = ENOENT;
		file_whyf(why_r, "%s: no such account", name);
	}
	if (rc <= 0)
		return -1;
	rc = -1;
	acct_wipe(&a);
	if ((lockfd = acct_lock(s, name, why_r)) < 0)
		return -1;
	/* Mail first, so that a failure leaves the account as it was (or,
	 * after a crash, a profile without mail and debris reconstruct
	 * removes), never mail without an account. */
	if (store_mail_dir(s, a.partition, name, &mail) == 0 &&
	    lstat(mail.data, &st) == 0 &&
	    retire_dir(mail.data, &mgone, why_r) < 0)
		goto out;
	profile_path(s, name, NULL, &dir);
	if (retire_dir(dir.data, &gone, why_r) < 0) {
		if (mgone.len)
			(void)rename(mgone.data, mail.data);
		goto out;
	}
	if (!s->batch)
		(void)file_fsync_parent(dir.data);
	store_write_flags(s);
	db_remove(s, name);
	if (mgone.len)
		(void)file_remove_tree(mgone.data, NULL);
	(void)file_remove_tree(gone.data, NULL);
	rc = 0;
out:
	acct_unlock(lockfd);
	buf_free(&dir);
	buf_free(&gone);
	buf_free(&mail);
	buf_free(&mgone);
	return rc;
}

int
acct_rename(struct store *s, const char *from, const char *to, char **why_r)
{
	struct buf dfrom = BUF_INIT, dto = BUF_INIT, mfrom = BUF_INIT,
	    mto = BUF_INIT;
	struct acct a;
	struct stat st;
	int lockfd = -1, rc;

	rc = acct_load(s, from, &a, why_r);
	if (rc == 0) {
		errno = ENOENT;
		file_whyf(why_r, "%s: no such account", from);
	}
	if (rc <= 0)
		return -1;
	rc = -1;
	if (acct_exists(s, to)) {
		errno = EEXIST;
		file_whyf(why_r, "%s: account exists", to);
		goto out;
	}
	if ((lockfd = acct_lock(s, from, why_r)) < 0)
		goto out;
	profile_path(s, from, NULL, &dfrom);
	profile_path(s, to, NULL, &dto);
	if (file_mkparents(dto.data, 0750, why_r) < 0)
		goto out;
	/* Mail first: a crash between the two leaves a profile whose mail
	 * reconstruct finds under the new name. */
	if (store_mail_dir(s, a.partition, from, &mfrom) == 0 &&
	    lstat(mfrom.data, &st) == 0) {
		store_mail_dir(s, a.partition, to, &mto);
		if (file_mkparents(mto.data, 0750, why_r) < 0)
			goto out;
		if (rename(mfrom.data, mto.data) < 0) {
			file_why(why_r, mfrom.data);
			goto out;
		}
	}
	if (rename(dfrom.data, dto.data) < 0) {
		file_why(why_r, dfrom.data);
		if (mto.len)
			(void)rename(mto.data, mfrom.data);
		goto out;
	}
	snprintf(a.name, sizeof(a.name), "%s", to);
	if (write_profile(s, &a, why_r) < 0) {
		/* Put both back: a profile under the new name that still
		 * names the old one is an account nobody can reach. */
		if (rename(dto.data, dfrom.data) == 0 && mto.len)
			(void)rename(mto.data, mfrom.data);
		goto out;
	}
	if (!s->batch) {
		(void)file_fsync_parent(dfrom.data);
		(void)file_fsync_parent(dto.data);
		if (mto.len) {
			(void)file_fsync_parent(mfrom.data);
			(void)file_fsync_parent(mto.data);
		}
	}
	db_remove(s, from);
	db_update(s, &a);
	rc = 0;
out:
	acct_wipe(&a);
	acct_unlock(lockfd);
	buf_free(&dfrom);
	buf_free(&dto);
	buf_free(&mfrom);
	buf_free(&mto);
	return rc;
}

struct walk_ctx {
	int	(*fn)(const char *, void *);
	void	*ctx;
};

static int
walk_one(const char *name, const char *path, void *ctx)
{
	struct walk_ctx *w = ctx;

	(void)path;
	return w->fn(name, w->ctx);
}

int
acct_walk(struct store *s, int (*fn)(const char *, void *), void *ctx,
    char **why_r)
{
	struct walk_ctx w = { fn, ctx };
	struct buf base = BUF_INIT;
	int rc;

	buf_printf(&base, "%s/users", s->dir);
	rc = fanout_walk(base.data, walk_one, NULL, &w, why_r);
	buf_free(&base);
	return rc;
}

struct dbwalk_ctx {
	int	(*fn)(const struct acct *, void *);
	void	*ctx;
};

/* Decode one accounts.gdbm entry "GROUP\tTYPE\tFLAGS"; skip bad ones. */
static int
dbwalk_one(const char *key, const char *value, void *ctx)
{
	struct dbwalk_ctx *w = ctx;
	const char *t1 = strchr(value, '\t');
	const char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
	struct buf type = BUF_INIT;
	struct acct a;
	uint64_t flags;

	memset(&a, 0, sizeof(a));
	if (t2 == NULL || copy_field(a.name, sizeof(a.name), key) < 0 ||
	    (size_t)(t1 - value) > ACCT_GROUP_MAX ||
	    num_parse_u64(t2 + 1, ACCT_FLAGS_ALL, &flags) < 0)
		return 0;
	memcpy(a.group, value, (size_t)(t1 - value));
	buf_append(&type, t1 + 1, (size_t)(t2 - t1 - 1));
	a.type = acct_type_parse(type.data);
	buf_free(&type);
	if (a.type < 0)
		return 0;
	a.flags = (unsigned)flags;
	a.version = ACCT_VERSION;
	return w->fn(&a, w->ctx);
}

int
acct_db_walk(struct store *s, int (*fn)(const struct acct *, void *),
    void *ctx, char **why_r)
{
	struct dbwalk_ctx w = { fn, ctx };

	return mgmtdb_walk(s, MGMTDB_ACCOUNTS, dbwalk_one, &w, why_r);
}

static int
rebuild_one(const char *name, void *ctx)
{
	struct store *s = ctx;
	struct acct a;
	char *why = NULL;

	if (acct_load(s, name, &a, &why) == 1) {
		db_update(s, &a);
		acct_wipe(&a);
	} else if (why) {
		log_event(LOG_WARNING, "profile_unreadable", "account", name,
		    "error", why, NULL);
		free(why);
	}
	return 0;
}

int
acct_rebuild_db(struct store *s, char **why_r)
{
	if (mgmtdb_clear(s, MGMTDB_ACCOUNTS, why_r) < 0 ||
	    mgmtdb_hold(s, MGMTDB_ACCOUNTS, why_r) < 0)
		return -1;
	return acct_walk(s, rebuild_one, s, why_r) < 0 ? -1 : 0;
}

int
acct_from_default(struct store *s, const char *name, struct acct *a,
    char **why_r)
{
	struct buf dflt = BUF_INIT;
	const char *at = strchr(name, '@');
	int rc;

	buf_puts(&dflt, "default");
	if (at)
		buf_puts(&dflt, at);
	rc = acct_load(s, dflt.data, a, why_r);
	buf_free(&dflt);
	if (rc < 0)
		return -1;
	if (rc == 0) {
		memset(a, 0, sizeof(*a));
		a->type = ACCT_IMAP;
	}
	/* A template's own state is not inherited. */
	a->flags &= ~(ACCT_DISUSER | ACCT_MIGRATED);
	a->version = ACCT_VERSION;
	snprintf(a->name, sizeof(a->name), "%s", name);
	if (a->partition[0] == '\0')
		snprintf(a->partition, sizeof(a->partition), "%s",
		    s->conf->default_partition);
	a->created = (int64_t)time(NULL);
	a->password_changed = 0;
	a->password[0] = a->secret[0] = '\0';
	return 0;
}

/* ---- usage ---- */

static void
usage_encode(const struct usage *u, unsigned char *r)
{
	memset(r, 0, USAGE_RECSIZE);
	be64_put(r + 0, u->seq);
	be64_put(r + 8, u->message_count);
	be64_put(r + 16, u->quota_used);
	be64_put(r + 24, u->messages_received);
	be64_put(r + 32, u->bytes_received);
	be64_put(r + 40, u->total_connections);
	be64_put(r + 48, (uint64_t)u->last_connect);
	be64_put(r + 56, (uint64_t)u->last_disconnect);
	be64_put(r + 64, u->total_connect);
	be64_put(r + 72, u->past_block_days);
	be64_put(r + 80, u->past_block_remainder);
	be64_put(r + 88, (uint64_t)u->last_billing);
}

static void
usage_decode(const unsigned char *r, struct usage *u)
{
	u->seq = be64_get(r + 0);
	u->message_count = be64_get(r + 8);
	u->quota_used = be64_get(r + 16);
	u->messages_received = be64_get(r + 24);
	u->bytes_received = be64_get(r + 32);
	u->total_connections = be64_get(r + 40);
	u->last_connect = (int64_t)be64_get(r + 48);
	u->last_disconnect = (int64_t)be64_get(r + 56);
	u->total_connect = be64_get(r + 64);
	u->past_block_days = be64_get(r + 72);
	u->past_block_remainder = be64_get(r + 80);
	u->last_billing = (int64_t)be64_get(r + 88);
}

int
usage_read(struct store *s, const char *name, struct usage *u, char **why_r)
{
	unsigned char rec[USAGE_RECSIZE];
	struct buf path = BUF_INIT;
	int fd, rc;

	memset(u, 0, sizeof(*u));
	profile_path(s, name, "usage", &path);
	fd = rlog_open(path.data);
	if (fd < 0) {
		rc = errno == ENOENT ? 0 : file_why(why_r, path.data);
		buf_free(&path);
		return rc;
	}
	rc = rlog_read_last(fd, USAGE_KIND, USAGE_RECSIZE, rec, NULL);
	if (rc == 1)
		usage_decode(rec, u);
	else
		rc = 0;		/* damaged: zeros, reconstruct recomputes */
	close(fd);
	buf_free(&path);
	return rc;
}

static int
usage_append(struct store *s, const char *name, struct usage *u, int sync,
    char **why_r)
{
	unsigned char rec[USAGE_RECSIZE];
	struct buf path = BUF_INIT;
	int rc;

	u->seq++;
	usage_encode(u, rec);
	profile_path(s, name, "usage", &path);
	rc = rlog_append(path.data, USAGE_KIND, USAGE_RECSIZE, rec,
	    sync && !s->batch ? RLOG_SYNC : 0, why_r);
	buf_free(&path);
	return rc;
}

int
usage_update(struct store *s, const char *name,
    int (*fn)(struct usage *, void *), void *ctx, int sync, char **why_r)
{
	struct usage u;
	int lockfd, rc = -1;

	if ((lockfd = acct_lock(s, name, why_r)) < 0)
		return -1;
	if (usage_read(s, name, &u, why_r) >= 0) {
		if (fn(&u, ctx) != 0)
			rc = 0;
		else
			rc = usage_append(s, name, &u, sync, why_r);
	}
	acct_unlock(lockfd);
	return rc;
}

static int
replace_usage(struct usage *u, void *ctx)
{
	uint64_t seq = u->seq;

	*u = *(const struct usage *)ctx;
	u->seq = seq;
	return 0;
}

int
usage_write(struct store *s, const char *name, const struct usage *u,
    char **why_r)
{
	store_write_flags(s);
	return usage_update(s, name, replace_usage, (void *)u, 1, why_r);
}

void
usage_add_block_days(struct usage *u, uint64_t size, int64_t since, int64_t now)
{
	const uint64_t block_day = 1024ULL * 1440ULL;	/* byte-minutes */
	uint64_t minutes, bm, rem;

	if (now <= since)
		return;
	minutes = (uint64_t)(now - since) / 60;
	if (__builtin_mul_overflow(size, minutes, &bm)) {
		/* Over 2^64 byte-minutes: carry the block-days directly. */
		u->past_block_days += size / 1024 * minutes / 1440;
		return;
	}
	rem = u->past_block_remainder + bm % block_day;
	u->past_block_days += bm / block_day + rem / block_day;
	u->past_block_remainder = rem % block_day;
}

int
acct_lock(struct store *s, const char *name, char **why_r)
{
	struct buf path = BUF_INIT;
	int fd;

	profile_path(s, name, "lock", &path);
	fd = lock_acquire(path.data, LOCK_EXCLUSIVE,
	    (unsigned)s->conf->lock_timeout, why_r);
	buf_free(&path);
	return fd;
}

void
acct_unlock(int fd)
{
	lock_release(fd);
}
