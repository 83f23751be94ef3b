/* conf - the option file popstore.conf; see conf.h and popstore.conf(5). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "mem.h"
#include "num.h"

enum opt_type { T_STR, T_INT, T_BOOL, T_SIZE, T_TIME, T_ENUM };

struct opt {
	const char	*name;
	enum opt_type	 type;
	size_t		 off;
	const char	*dflt;
	uint64_t	 min, max;	/* T_INT, T_SIZE, T_TIME */
	const char	*const *words;	/* T_ENUM, in value order */
};

static const char *const plaintext_words[] = { "never", "local", "always", NULL };
static const char *const sync_words[] = { "auto", "fsync", "syncfs", NULL };

#define O(f)	offsetof(struct conf, f)
#define DAY	86400ULL
#define GIB	(1024ULL * 1024 * 1024)

/* Every option, its type and default. popstore.conf(5) documents each. */
static const struct opt opts[] = {
	{ "STORE_DIR", T_STR, O(store_dir), NULL, 0, 0, NULL },
	{ "STORE_USER", T_STR, O(store_user), "", 0, 0, NULL },
	{ "DEFAULT_PARTITION", T_STR, O(default_partition), "main", 0, 0, NULL },
	{ "SYNC_MODE", T_ENUM, O(sync_mode), "auto", 0, 0, sync_words },
	{ "LOCK_TIMEOUT", T_TIME, O(lock_timeout), "30", 1, 3600, NULL },
	{ "LOG_FILE", T_STR, O(log_file), "", 0, 0, NULL },
	{ "HOSTNAME", T_STR, O(hostname), "", 0, 0, NULL },
	{ "LOCAL_DOMAINS", T_STR, O(local_domains), "", 0, 0, NULL },
	{ "USERNAME_STYLE", T_INT, O(username_style), "1", 1, 3, NULL },
	{ "USERNAME_CHARSET", T_STR, O(username_charset), "US-ASCII", 0, 0, NULL },
	{ "USE_DOMAINS", T_BOOL, O(use_domains), "0", 0, 0, NULL },
	{ "DEFAULT_DOMAIN", T_STR, O(default_domain), "", 0, 0, NULL },
	{ "SUBADDRESS_CHAR", T_STR, O(subaddress_char), "+", 0, 0, NULL },
	{ "PASSWORD_LIFETIME", T_INT, O(password_lifetime), "0", 0, 36500, NULL },
	{ "PASSWORD_MIN_LENGTH", T_INT, O(password_min_length), "8", 0, 256, NULL },
	{ "PASSWORD_ITERATIONS", T_INT, O(password_iterations), "10000", 4096, 10000000, NULL },
	{ "APOP_CRAM_MD5", T_BOOL, O(apop_cram_md5), "0", 0, 0, NULL },
	{ "SECRET_KEY_FILE", T_STR, O(secret_key_file), "", 0, 0, NULL },
	{ "PLAINTEXT_LOGIN", T_ENUM, O(plaintext_login), "local", 0, 0, plaintext_words },
	{ "SASL_MECHANISMS", T_STR, O(sasl_mechanisms), "SCRAM-SHA-256 PLAIN LOGIN", 0, 0, NULL },
	{ "SASLAUTHD_PATH", T_STR, O(saslauthd_path), "/run/saslauthd/mux", 0, 0, NULL },
	{ "LOGIN_FAIL_DELAY", T_TIME, O(login_fail_delay), "2", 0, 60, NULL },
	{ "LOGIN_FAIL_DELAY_MAX", T_TIME, O(login_fail_delay_max), "30", 0, 3600, NULL },
	{ "LOGIN_FAIL_DECAY", T_TIME, O(login_fail_decay), "5m", 1, 7 * DAY, NULL },
	{ "LOGIN_MAX_FAILURES", T_INT, O(login_max_failures), "3", 1, 100, NULL },
	{ "REJECT_OVER_QUOTA", T_BOOL, O(reject_over_quota), "0", 0, 0, NULL },
	{ "MAX_MESSAGE_SIZE", T_SIZE, O(max_message_size), "64M", 1024, 4 * GIB, NULL },
	{ "MAX_RECIPIENTS", T_INT, O(max_recipients), "1000", 1, 100000, NULL },
	{ "SENDMAIL", T_STR, O(sendmail), "/usr/sbin/sendmail", 0, 0, NULL },
	{ "DELIVERED_TO", T_BOOL, O(delivered_to), "1", 0, 0, NULL },
	{ "LMTP_TIMEOUT", T_TIME, O(lmtp_timeout), "300", 10, DAY, NULL },
	{ "TLS_CERT_FILE", T_STR, O(tls_cert_file), "", 0, 0, NULL },
	{ "TLS_KEY_FILE", T_STR, O(tls_key_file), "", 0, 0, NULL },
	{ "TLS_CIPHERS", T_STR, O(tls_ciphers), "HIGH:!aNULL:!MD5:!RC4:!3DES:!SHA1", 0, 0, NULL },
	{ "TLS_CIPHERSUITES", T_STR, O(tls_ciphersuites), "", 0, 0, NULL },
	{ "TLS_MIN_PROTOCOL", T_STR, O(tls_min_protocol), "TLSv1.2", 0, 0, NULL },
	{ "POP3_TIMEOUT", T_TIME, O(pop3_timeout), "600", 600, DAY, NULL },
	{ "POP3_LOGIN_DELAY", T_TIME, O(pop3_login_delay), "0", 0, DAY, NULL },
	{ "IMAP_TIMEOUT", T_TIME, O(imap_timeout), "1800", 1800, DAY, NULL },
	{ "IMAP_MAX_LINE", T_SIZE, O(imap_max_line), "64K", 1024, 16 * 1024 * 1024, NULL },
	{ "IMAP_MAX_LITERAL", T_SIZE, O(imap_max_literal), "64M", 1024, 4 * GIB, NULL },
	{ "LEGACY_MAIL_DIR", T_STR, O(legacy_mail_dir), "", 0, 0, NULL },
	{ "RETURN_AGE", T_INT, O(return_age), "0", 0, 36500, NULL },
	{ "RETURN_IMAP", T_BOOL, O(return_imap), "0", 0, 0, NULL },
	{ "DELETE_READ_AGE", T_INT, O(delete_read_age), "0", 0, 36500, NULL },
	{ "CGI_TEMPLATE_DIR", T_STR, O(cgi_template_dir), "", 0, 0, NULL },
	{ "CGI_SESSION_LIFETIME", T_TIME, O(cgi_session_lifetime), "1h", 60, 7 * DAY, NULL },
	{ "MAIL_PROXY_BACKEND", T_STR, O(mail_proxy_backend), "127.0.0.1", 0, 0, NULL },
	{ "MAIL_PROXY_POP3_PORT", T_INT, O(mail_proxy_pop3_port), "110", 1, 65535, NULL },
	{ "MAIL_PROXY_IMAP_PORT", T_INT, O(mail_proxy_imap_port), "143", 1, 65535, NULL },
};
#define NOPTS	(sizeof(opts) / sizeof(opts[0]))

static void
set_why(char **why_r, const char *file, unsigned line, const char *fmt,
    const char *arg)
{
	struct buf b = BUF_INIT;

	if (why_r == NULL)
		return;
	if (line)
		buf_printf(&b, "%s:%u: ", file, line);
	else
		buf_printf(&b, "%s: ", file);
	buf_printf(&b, fmt, arg);
	*why_r = buf_steal(&b);
}

/* PMDF's b%v notation: the base in decimal, then the value in that base. */
static int
parse_int(const char *s, uint64_t *v)
{
	const char *pct = strchr(s, '%');
	uint64_t base, r = 0;
	const char *p;
	int d;

	if (pct == NULL)
		return num_parse_u64(s, UINT64_MAX, v);
	if (num_parse_u64n(s, (size_t)(pct - s), 36, &base) < 0 || base < 2 ||
	    pct[1] == '\0')
		return -1;
	for (p = pct + 1; *p; p++) {
		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (isalpha((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			return -1;
		if ((uint64_t)d >= base || __builtin_mul_overflow(r, base, &r) ||
		    __builtin_add_overflow(r, (uint64_t)d, &r))
			return -1;
	}
	*v = r;
	return 0;
}

static int
set_value(struct conf *c, const struct opt *o, const char *val)
{
	char *field = (char *)c + o->off;
	uint64_t v = 0;
	int b, i;

	switch (o->type) {
	case T_STR:
		free(*(char **)field);
		*(char **)field = mem_strdup(val);
		return 0;
	case T_INT:
		if (parse_int(val, &v) < 0)
			return -1;
		break;
	case T_SIZE:
		if (num_parse_size(val, UINT64_MAX, &v) < 0)
			return -1;
		break;
	case T_TIME:
		if (num_parse_duration(val, UINT64_MAX, &v) < 0)
			return -1;
		break;
	case T_BOOL:
		if (num_parse_bool(val, &b) < 0)
			return -1;
		*(int *)field = b;
		return 0;
	case T_ENUM:
		for (i = 0; o->words[i]; i++)
			if (strcasecmp(o->words[i], val) == 0) {
				*(int *)field = i;
				return 0;
			}
		return -1;
	}
	if (v < o->min || v > o->max)
		return -1;
	*(uint64_t *)field = v;
	return 0;
}

static int
add_partition(struct conf *c, const char *name, const char *dir)
{
	size_t i;

	if (*name == '\0' || *dir != '/' || c->npartitions >= CONF_MAX_PARTITIONS)
		return -1;
	for (i = 0; name[i]; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '-')
			return -1;
	for (i = 0; i < c->npartitions; i++)
		if (strcasecmp(c->partitions[i].name, name) == 0)
			return -1;
	c->partitions[c->npartitions].name = mem_strdup(name);
	for (i = 0; c->partitions[c->npartitions].name[i]; i++)
		c->partitions[c->npartitions].name[i] =
		    (char)tolower((unsigned char)name[i]);
	c->partitions[c->npartitions].dir = mem_strdup(dir);
	c->npartitions++;
	return 0;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* One NAME=value line; returns NULL or the problem. */
static const char *
parse_line(struct conf *c, char *line, unsigned char *seen)
{
	char *eq = strchr(line, '='), *name, *val;
	size_t i;

	if (eq == NULL)
		return "expected NAME=value";
	*eq = '\0';
	name = trim(line);
	val = trim(eq + 1);
	if (strncasecmp(name, "PARTITION_", 10) == 0)
		return add_partition(c, name + 10, val) < 0 ?
		    "bad partition (PARTITION_name=/absolute/dir, names unique)" :
		    NULL;
	for (i = 0; i < NOPTS; i++)
		if (strcasecmp(opts[i].name, name) == 0)
			break;
	if (i == NOPTS)
		return "unknown option";
	if (seen[i])
		return "option set twice";
	seen[i] = 1;
	if (set_value(c, &opts[i], val) < 0)
		return "bad value";
	return NULL;
}

static int
set_defaults(struct conf *c)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (opts[i].dflt && set_value(c, &opts[i], opts[i].dflt) < 0)
			return -1;
	return 0;
}

static int
finish(struct conf *c, char **why_r)
{
	struct buf b = BUF_INIT;
	char host[256];

	if (c->store_dir == NULL || c->store_dir[0] != '/') {
		set_why(why_r, c->path, 0, "%s",
		    "STORE_DIR must be set to an absolute directory");
		return -1;
	}
	if (strlen(c->subaddress_char) > 1) {
		set_why(why_r, c->path, 0, "%s",
		    "SUBADDRESS_CHAR must be one character or empty");
		return -1;
	}
	if (c->npartitions == 0) {
		buf_printf(&b, "%s/mail", c->store_dir);
		add_partition(c, "main", b.data);
		buf_free(&b);
	}
	if (conf_partition_dir(c, c->default_partition) == NULL) {
		set_why(why_r, c->path, 0, "DEFAULT_PARTITION %s is not defined",
		    c->default_partition);
		return -1;
	}
	if (c->hostname[0] == '\0' && gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		free(c->hostname);
		c->hostname = mem_strdup(host);
	}
	return 0;
}

int
conf_load(const char *path, struct conf *c, char **why_r)
{
	unsigned char seen[NOPTS] = { 0 };
	struct buf line = BUF_INIT;
	const char *problem;
	unsigned lineno = 0;
	FILE *fp;
	char *p;
	int ch, rc = -1;

	memset(c, 0, sizeof(*c));
	if (path == NULL)
		path = getenv("POPSTORE_CONF");
	if (path == NULL || *path == '\0')
		path = CONF_DEFAULT_PATH;
	c->path = mem_strdup(path);
	if (set_defaults(c) < 0)
		mem_fatal("conf: bad built-in default");
	if ((fp = fopen(path, "re")) == NULL) {
		set_why(why_r, path, 0, "%s", strerror(errno));
		conf_free(c);
		return -1;
	}
	for (;;) {
		buf_reset(&line);
		while ((ch = getc(fp)) != EOF && ch != '\n')
			if (line.len < 4096)
				buf_putc(&line, ch);
		if (ch == EOF && line.len == 0)
			break;
		lineno++;
		if (line.len == 0)
			continue;	/* an empty line: nothing allocated */
		if (line.len >= 4096 || memchr(line.data, '\0', line.len)) {
			set_why(why_r, path, lineno, "%s", "line too long or NUL");
			goto out;
		}
		p = trim(line.data);
		if (*p == '\0' || *p == '#' || *p == '!')
			continue;
		if ((problem = parse_line(c, p, seen)) != NULL) {
			set_why(why_r, path, lineno, "%s", problem);
			goto out;
		}
	}
	if (ferror(fp)) {
		set_why(why_r, path, 0, "%s", "read error");
		goto out;
	}
	rc = finish(c, why_r);
out:
	fclose(fp);
	buf_free(&line);
	if (rc < 0)
		conf_free(c);
	return rc;
}

void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < NOPTS; i++)
		if (opts[i].type == T_STR) {
			free(*(char **)((char *)c + opts[i].off));
			*(char **)((char *)c + opts[i].off) = NULL;
		}
	for (i = 0; i < c->npartitions; i++) {
		free(c->partitions[i].name);
		free(c->partitions[i].dir);
	}
	c->npartitions = 0;
	free(c->path);
	c->path = NULL;
}

const char *
conf_partition_dir(const struct conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->npartitions; i++)
		if (strcasecmp(c->partitions[i].name, name) == 0)
			return c->partitions[i].dir;
	return NULL;
}

int
conf_walk(const struct conf *c,
    int (*fn)(const char *, const char *, const char *, void *), void *ctx)
{
	struct buf v = BUF_INIT;
	const char *field;
	size_t i;
	int rc = 0;

	for (i = 0; i < NOPTS && rc == 0; i++) {
		field = (const char *)c + opts[i].off;
		buf_reset(&v);
		switch (opts[i].type) {
		case T_STR:
			buf_puts(&v, *(char *const *)field ? *(char *const *)field : "");
			break;
		case T_BOOL:
			buf_puts(&v, *(const int *)field ? "1" : "0");
			break;
		case T_ENUM:
			buf_puts(&v, opts[i].words[*(const int *)field]);
			break;
		default:
			buf_printf(&v, "%llu",
			    (unsigned long long)*(const uint64_t *)field);
		}
		rc = fn(opts[i].name, buf_cstr(&v), opts[i].dflt ? opts[i].dflt : "",
		    ctx);
	}
	for (i = 0; i < c->npartitions && rc == 0; i++) {
		buf_reset(&v);
		buf_printf(&v, "PARTITION_%s", c->partitions[i].name);
		rc = fn(v.data, c->partitions[i].dir, "", ctx);
	}
	buf_free(&v);
	return rc;
}
