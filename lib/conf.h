/*
 * NAME
 *	conf - the option file popstore.conf
 * SYNOPSIS
 *	#include "conf.h"
 * DESCRIPTION
 *	popstore.conf holds NAME=value lines; blank lines and lines starting
 *	with '#' or '!' are comments. Names are case-insensitive. A file
 *	holding only STORE_DIR=/some/dir is complete: every other option has
 *	the default documented in popstore.conf(5), and the table in conf.c
 *	is the one place that lists them. An unknown option, a bad value or a
 *	repeated option is an error naming the file and line.
 *
 *	The file is found as: the -C argument, else $POPSTORE_CONF, else
 *	CONF_DEFAULT_PATH. Integer options accept PMDF's base notation b%v
 *	(16%FF is 255) as well as plain decimal.
 *
 *	PARTITION_<name>=directory adds a partition (see popstore(5)); with
 *	none, the partition "main" is STORE_DIR/mail.
 * MEMORY
 *	conf_load() fills a struct conf whose strings it owns; conf_free()
 *	releases them. *why_r, when set, is allocated and the caller frees it.
 */
#ifndef POPSTORE_CONF_H
#define POPSTORE_CONF_H

#include <stddef.h>
#include <stdint.h>

#ifndef CONF_DEFAULT_PATH
#define CONF_DEFAULT_PATH	"/etc/popstore/popstore.conf"
#endif

#define CONF_MAX_PARTITIONS	64

enum plaintext_login { PLAINTEXT_NEVER, PLAINTEXT_LOCAL, PLAINTEXT_ALWAYS };
enum sync_mode { SYNC_AUTO, SYNC_FSYNC, SYNC_SYNCFS };

struct conf_partition {
	char	*name;
	char	*dir;
};

struct conf {
	char	*path;			/* the file read */
	/* store */
	char	*store_dir;
	char	*store_user;
	char	*default_partition;
	struct conf_partition partitions[CONF_MAX_PARTITIONS];
	size_t	 npartitions;
	int	 sync_mode;		/* enum sync_mode */
	uint64_t lock_timeout;		/* seconds */
	char	*log_file;
	char	*hostname;
	char	*local_domains;		/* more domains that are this host */
	/* names */
	uint64_t username_style;	/* 1, 2 or 3 */
	char	*username_charset;
	int	 use_domains;
	char	*default_domain;
	char	*subaddress_char;
	/* passwords and login */
	uint64_t password_lifetime;	/* days, 0 = never expires */
	uint64_t password_min_length;
	uint64_t password_iterations;
	int	 apop_cram_md5;
	char	*secret_key_file;
	int	 plaintext_login;	/* enum plaintext_login */
	char	*sasl_mechanisms;
	char	*saslauthd_path;
	uint64_t login_fail_delay;	/* seconds */
	uint64_t login_fail_delay_max;	/* seconds (penalty.h) */
	uint64_t login_fail_decay;	/* seconds: a count halves */
	uint64_t login_max_failures;
	/* quotas and delivery */
	int	 reject_over_quota;
	uint64_t max_message_size;
	uint64_t max_recipients;
	char	*sendmail;
	int	 delivered_to;
	uint64_t lmtp_timeout;
	/* servers */
	char	*tls_cert_file;
	char	*tls_key_file;
	char	*tls_ciphers;
	char	*tls_ciphersuites;
	char	*tls_min_protocol;
	uint64_t pop3_timeout;
	uint64_t pop3_login_delay;
	uint64_t imap_timeout;
	uint64_t imap_max_line;
	uint64_t imap_max_literal;
	char	*legacy_mail_dir;
	/* bouncer */
	uint64_t return_age;		/* days, 0 = never expire */
	int	 return_imap;
	uint64_t delete_read_age;	/* days, 0 = same as return_age */
	/* web interface and mail proxy endpoint */
	char	*cgi_template_dir;	/* "" = the installed templates */
	uint64_t cgi_session_lifetime;	/* seconds */
	char	*mail_proxy_backend;	/* for accounts without a backend */
	uint64_t mail_proxy_pop3_port;
	uint64_t mail_proxy_imap_port;
};

/*
 * Read the option file at path (NULL: $POPSTORE_CONF or the default).
 * Returns 0, or -1 with *why_r set ("FILE:LINE: problem").
 */
int conf_load(const char *path, struct conf *conf, char **why_r);

/* Release what conf_load() allocated. */
void conf_free(struct conf *conf);

/* The directory of the named partition; NULL when there is none. */
const char *conf_partition_dir(const struct conf *conf, const char *name);

/*
 * Walk the option table: for each option, its name, its default as
 * text, and its current value as text (for `popmgr show -options`).
 * fn returns nonzero to stop.
 */
int conf_walk(const struct conf *conf,
    int (*fn)(const char *name, const char *value, const char *dflt, void *ctx),
    void *ctx);

#endif
