/*
 * imapd - private declarations of the IMAP server (see imapd(8)).
 *
 * main.c: options, configuration, TLS, privileges, hand-off;
 * parse.c: the command reader (lines, literals, tokens, sets);
 * cmd.c: the command loop and dispatch table per state;
 * auth.c: CAPABILITY, STARTTLS, LOGIN, AUTHENTICATE, ID, ENABLE;
 * mbox.c: mailbox names, namespaces, rights; CREATE, DELETE, RENAME,
 *	   SUBSCRIBE, LIST, LSUB, STATUS, NAMESPACE, ACL and QUOTA commands;
 * select.c: SELECT/EXAMINE, the session's view, untagged updates,
 *	   NOOP, CHECK, IDLE, CLOSE, UNSELECT, EXPUNGE;
 * fetch.c: FETCH; store.c: STORE, COPY, MOVE, APPEND;
 * search.c: SEARCH, SORT, THREAD through lib/search.h;
 * split.c: the pre-auth split (privsep.h): the sandboxed child that
 *	   parses the NOT AUTHENTICATED state, and the parent's side that
 *	   reads client input for it, runs STARTTLS and SASL and logs in.
 */
#ifndef IMAPD_H
#define IMAPD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "acct.h"
#include "buf.h"
#include "sasl.h"
#include "seen.h"

struct conf;
struct folder;
struct msgrec;
struct netio;
struct store;

#define IMAP_NEST_MAX		16	/* parenthesised list depth */
#define IMAP_LITERALS_MAX	1000	/* literals in one command */
#define IMAP_BAD_MAX		20	/* bad commands before BYE */
#define IMAP_TAG_MAX		64
#define IMAP_PREAUTH_TIMEOUT	180	/* seconds before login */
#define IMAP_SET_MAX		100000	/* ranges in one sequence set */
#define IMAP_FETCH_ATTS_MAX	100	/* items in one FETCH */

/* ---- parse.c: the command reader ---- */

enum rd_err { RD_OK = 0, RD_BAD, RD_TOOBIG, RD_IO };

/*
 * Where the reader gets client bytes when not from its netio (the
 * pre-auth child asks the parent, split.c). Each returns 0 or a
 * NETIO_ code, as netio_read_line(), netio_read_exact() and
 * netio_read_stream() with no consumer do.
 */
struct rd_src {
	int	(*line)(void *ctx, size_t max, const char **line_r,
		    size_t *len_r, int *nul_r);
	int	(*exact)(void *ctx, void *dst, size_t len);
	int	(*skip)(void *ctx, uint64_t len);
};

struct rd {
	struct netio	*n;
	size_t		 max_line;	/* IMAP_MAX_LINE */
	struct buf	 line;		/* the current line, copied */
	size_t		 pos;
	size_t		 budget;	/* literal bytes left in this command */
	unsigned	 nlit;
	int		 err;		/* enum rd_err */
	int		 io;		/* netio code when err == RD_IO */
	const char	*msg;		/* why, for BAD */
	int		 nest;
	int		 allow_nonsync;	/* LITERAL+ */
	const struct rd_src *src;	/* NULL: read n */
	void		*src_ctx;
};

int rd_begin(struct rd *r);
int rd_peek(const struct rd *r);
int rd_at_eol(const struct rd *r);
int rd_fail(struct rd *r, int err, const char *msg);
int rd_char(struct rd *r, int c);
int rd_sp(struct rd *r);
int rd_eol(struct rd *r);
int rd_atom(struct rd *r, struct buf *out);
int rd_tag(struct rd *r, struct buf *out);
/* Whether tag[0..len) is a tag as rd_tag() reads one. */
int rd_tag_ok(const char *tag, size_t len);
int rd_string(struct rd *r, struct buf *out);
int rd_astring(struct rd *r, struct buf *out);
int rd_nstring(struct rd *r, struct buf *out, int *nil_r);
int rd_mailbox(struct rd *r, struct buf *out);
int rd_listmbox(struct rd *r, struct buf *out);
int rd_number(struct rd *r, uint64_t max, uint64_t *v_r);
int rd_literal_head(struct rd *r, uint64_t *len_r, int *sync_r);
int rd_continue(struct rd *r);
/* One line from the reader's source (src or n), as netio_read_line(). */
int rd_read_line(struct rd *r, size_t max, const char **line_r,
    size_t *len_r, int *nul_r);
void rd_skip(struct rd *r);
int rd_open(struct rd *r);
int rd_close(struct rd *r);

/* Sequence and UID sets: sorted, merged ranges; '*' resolved by caller. */
#define SET_STAR	UINT32_MAX
struct seqset {
	uint32_t *r;		/* lo, hi pairs */
	size_t	 n;
};
int rd_seqset(struct rd *r, struct buf *raw);
int seqset_parse(const char *s, uint32_t star, struct seqset *set);
int seqset_has(const struct seqset *set, uint32_t v);
void seqset_free(struct seqset *set);
void seqset_format(const uint32_t *v, size_t n, struct buf *out);

/* A growing list of numbers, formatted sorted as a set. */
struct uidlist {
	uint32_t *v;
	size_t	 n, cap;
};
void uidlist_add(struct uidlist *l, uint32_t v);
void uidlist_format(struct uidlist *l, struct buf *out);
void uidlist_free(struct uidlist *l);
int u32_cmp(const void *a, const void *b);

/* ---- the session ---- */

enum imap_state { ST_NOAUTH, ST_AUTH, ST_SELECTED, ST_LOGOUT };

struct pend {
	uint32_t seq, uid;	/* client sequence number, UID */
};

struct recent_range {
	uint32_t lo, hi;	/* [lo, hi) */
};

struct sel {
	struct folder	*f;
	struct acct	 owner;
	char		*folder;	/* name within the owner's account */
	char		*name;		/* as the client names it (UTF-8) */
	unsigned	 rights;
	int		 readonly;
	int		 peruser;	/* \Seen from the seen file */
	struct seen	 seen;
	uint32_t	 known;		/* EXISTS as the client knows it */
	struct recent_range *recent;
	size_t		 nrecent;
	struct pend	*pend;		/* expunges not yet told, by seq */
	size_t		 npend, cappend;
	uint64_t	 modseq_known;	/* flag changes up to here told */
	int		 watch_fd;
	uint32_t	 kw_known;	/* keywords announced in FLAGS */
};

/* What the pre-auth child knows of the connection (from the parent). */
struct imap_conn {
	char	rip[80];
	int	starttls_ok;		/* STARTTLS may be offered */
	int	plaintext_ok;		/* sasl_session_plaintext_ok() */
	char	mechs[512];		/* sasl_session_mechanisms() */
};

struct sess {
	const struct conf *conf;
	struct store	*store;
	struct netio	*n;
	SSL_CTX		*tls;
	int		 implicit_tls;
	struct sasl_params sp;
	char		 lip[80], rip[80];
	struct sasl_session *sasl;
	char		 tried[ACCT_NAME_MAX + 1]; /* name the attempt looked up */
	int		 state;
	struct acct	 user;
	int		 manager;	/* MANAGE flag: may SETQUOTA etc. */
	int		 condstore, qresync;
	unsigned	 bad, failures;
	struct sel	*sel;
	time_t		 login_time;
	struct rd	 rd;
	char		 tag[IMAP_TAG_MAX + 1];
	struct buf	 tmp;
	int		 uid;		/* the command has the UID prefix */
	int		 no_expunge;	/* command may not send EXPUNGE */
	struct seqset	 saved;		/* SEARCHRES $: UIDs */
	/* the pre-auth split (split.c) */
	int		 preauth_pid;	/* parent: the child, else 0 */
	int		 preauth_ctl;	/* this side of the control channel */
	int		 preauth_data;	/* this side of the reply channel */
	int		 child;		/* this is the pre-auth child */
	struct imap_conn conn;		/* child: the connection */
	struct buf	 rpc;		/* child: the last answer */
	struct buf	 cline;		/* child: the last line read */
	char		 mech[64];	/* parent: the SASL exchange's */
};

/* cmd.c */
int cmd_loop(struct sess *s);
void reply_tagged(struct sess *s, const char *status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void reply_untagged(struct sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void write_astring(struct sess *s, const char *str);
void write_string(struct sess *s, const char *str, size_t len);
void write_mailbox(struct sess *s, const char *utf8);
void cmd_internal_error(struct sess *s, const char *what, char *why);

/* auth.c */
void capability_string(struct sess *s, struct buf *out);
int cmd_capability(struct sess *s);
int cmd_starttls(struct sess *s);
int cmd_login(struct sess *s);
int cmd_authenticate(struct sess *s);
int cmd_id(struct sess *s);
int cmd_enable(struct sess *s);
int cmd_logout(struct sess *s);
void auth_session_new(struct sess *s);
void auth_end(struct sess *s);
/* Where SASL runs (the parent): STARTTLS after its tagged command was
 * read, and a LOGIN attempt. 0 go on, -2 end the session. */
int auth_starttls(struct sess *s);
int auth_login_attempt(struct sess *s, const char *user, const char *pass);
/* A SASL exchange's end: login_ok() on rc 0, else the failure. */
int auth_sasl_end(struct sess *s, int rc, const char *mech);

/* split.c: the pre-auth split (privsep.h, PRE-AUTHENTICATION SANDBOX) */
#define IMAP_PREAUTH_LINE_MAX	(60 * 1024)	/* a line asked for */
#define IMAP_PREAUTH_CHUNK	(32 * 1024)	/* literal bytes per request */
/* Parent, after the greeting: serve the child until the login or its
 * end; then close its channels and reap it. */
void split_serve(struct sess *s);
/* Parent, at the end, if split_serve() did not run: reap the child. */
void split_end(struct sess *s);
/* Child: the NOT AUTHENTICATED state on ctl and data. */
void split_child(struct sess *s, int ctl, int data);
/* Child: STARTTLS, LOGIN and SASL steps through the parent. */
int split_starttls(struct sess *s);
int split_login(struct sess *s, const struct buf *user,
    const struct buf *pass);
/* Start (mech != NULL) or continue an exchange: 1 a challenge in
 * *out_r (valid until the next request), 2 the parent has answered
 * (s->state says how it ended). */
int split_sasl(struct sess *s, const char *mech, int has_data,
    const void *data, size_t len, const void **out_r, size_t *outlen_r);

/* mbox.c */
enum ns { NS_PERSONAL, NS_OTHER, NS_PUBLIC };
#define NS_OTHER_PREFIX		"Other Users"
#define NS_PUBLIC_PREFIX	"Public Folders"
#define PUBLIC_ACCOUNT		"post"

struct mref {
	int	 ns;
	struct acct owner;
	char	*folder;	/* within the owner's account ("" = its root) */
	uint32_t id;		/* folder ID when it exists */
	int	 exists;
	unsigned rights;
	char	 special[16];
};
int mref_resolve(struct sess *s, const char *name, struct mref *m,
    char **why_r);
void mref_free(struct mref *m);
void sel_recheck_rights(struct sess *s);
int mbox_decode_name(struct sess *s, const struct buf *wire, struct buf *out);
int cmd_create(struct sess *s);
int cmd_delete(struct sess *s);
int cmd_rename(struct sess *s);
int cmd_subscribe(struct sess *s);
int cmd_unsubscribe(struct sess *s);
int cmd_list(struct sess *s);
int cmd_lsub(struct sess *s);
int cmd_status(struct sess *s);
int cmd_namespace(struct sess *s);
int cmd_setacl(struct sess *s);
int cmd_deleteacl(struct sess *s);
int cmd_getacl(struct sess *s);
int cmd_listrights(struct sess *s);
int cmd_myrights(struct sess *s);
int cmd_getquota(struct sess *s);
int cmd_getquotaroot(struct sess *s);
int cmd_setquota(struct sess *s);
void quota_untagged(struct sess *s, const struct acct *a);
int quota_allows(struct sess *s, const struct acct *owner, uint64_t size);

/* select.c */
int cmd_select(struct sess *s);
int cmd_examine(struct sess *s);
int cmd_noop(struct sess *s);
int cmd_check(struct sess *s);
int cmd_idle(struct sess *s);
int cmd_close(struct sess *s);
int cmd_unselect(struct sess *s);
int cmd_expunge(struct sess *s);
void sel_close(struct sess *s);
int sel_update(struct sess *s, int announce_flags);
int sel_refresh(struct sess *s);
void sel_flush_pending(struct sess *s);
int sel_client_to_view(struct sess *s, uint32_t cseq, uint32_t *vseq_r);
uint32_t sel_view_to_client(struct sess *s, uint32_t vseq);
int sel_is_recent(const struct sel *sel, uint32_t uid);
uint32_t sel_flags(struct sess *s, const struct msgrec *r);
void write_flags(struct sess *s, const struct msgrec *r);
void write_flag_list(struct sess *s);
int sel_save_seen(struct sess *s);
void sel_expunged(struct sess *s, uint32_t uid, uint32_t cseq);
struct msgset_iter {
	struct seqset	 set;
	size_t		 i;
	uint32_t	 next;		/* client seq or UID to look at */
	int		 uid;
	int		 started;
};
int iter_begin(struct sess *s, const char *raw, int uid, struct msgset_iter *it);
int iter_next(struct sess *s, struct msgset_iter *it, uint32_t *vseq_r,
    struct msgrec *rec_r);
void iter_end(struct msgset_iter *it);

/* fetch.c */
int cmd_fetch(struct sess *s);
void fetch_flags_response(struct sess *s, uint32_t vseq, const struct msgrec *r,
    int with_uid, int with_modseq);

/* store.c */
int cmd_store(struct sess *s);
int cmd_copy(struct sess *s);
int cmd_move(struct sess *s);
int cmd_append(struct sess *s);
int parse_flag_list(struct sess *s, struct folder *f, uint32_t *flags_r,
    uint64_t *kw_r, int add_keywords, struct buf *kwnames);

/* search.c */
int cmd_search(struct sess *s);
int cmd_sort(struct sess *s);
int cmd_thread(struct sess *s);

#endif
