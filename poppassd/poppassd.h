/*
 * poppassd.h - private interfaces of poppassd (poppassd(8)).
 *
 * main.c	options, configuration, start-up as root, the pre-auth
 *		child, the privilege drop
 * dialog.c	the Eudora/Qualcomm password-change dialogue (the parser)
 *		and the account side (the password check and change)
 * split.c	the pre-auth split (privsep.h): the parser in a sandboxed
 *		child, the account side in the parent
 */
#ifndef POPPASSD_POPPASSD_H
#define POPPASSD_POPPASSD_H

#include <stddef.h>

#include "acct.h"

struct conf;
struct netio;
struct secret_key;
struct store;

#define POPPASS_LINE_MAX	2048	/* a command line: passwords are
					   up to PASSWD_MAX_LEN bytes */
#define POPPASS_BAD_MAX		10	/* bad commands before closing */
#define POPPASS_TEXT_MAX	256	/* a rule's sentence in a result */

struct poppass_env {
	const struct conf	*conf;
	struct store		*store;		/* NULL: the store is down */
	const struct secret_key	*key;		/* NULL: no site key */
};

/* What a password check or change came to (struct pp_result). */
enum pp_outcome {
	PP_OK,			/* right old password / password changed */
	PP_WRONG,		/* wrong old password or unknown user */
	PP_DISABLED,		/* DISUSER */
	PP_LOCKED,		/* LOCKPWD */
	PP_UNAVAILABLE,		/* the account could not be read */
	PP_PLAINTEXT,		/* no passwords on this connection */
	PP_RULES,		/* the new password breaks a rule: text */
	PP_SAME,		/* the new password is the old one */
	PP_NOT_CHANGED,		/* the profile could not be written */
	PP_ORDER,		/* no right old password for this user yet */
	PP_OUTCOMES
};

struct pp_result {
	enum pp_outcome	 outcome;
	int		 done;		/* too many failures: end the session */
	char		 text[POPPASS_TEXT_MAX];	/* PP_RULES: why */
};

/*
 * The account side: the one that reads and writes profiles, in the
 * parent (or in the one process without a split). It trusts nothing
 * the dialogue hands it: every length is checked, the user name is
 * canonicalised here, the old password is verified again before a
 * change, and it counts the failures and waits after each itself.
 */
struct pp_account {
	const struct poppass_env *env;
	struct netio	*io;		/* the client: address, TLS */
	char		 user[ACCT_NAME_MAX + 1];	/* canonical name the
						   old password was right
						   for, or "" */
	unsigned	 failures;
};

/* How the dialogue reaches the client's input and the account side. */
struct dialog_ops {
	/* netio_read_line() on the client */
	int	(*read_line)(void *ctx, size_t max, const char **line_r,
		    size_t *len_r, int *nul_r);
	/* account_check() */
	void	(*check)(void *ctx, const char *user, const char *pass,
		    struct pp_result *res);
	/* account_change() */
	void	(*change)(void *ctx, const char *user, const char *old,
		    const char *new_pass, struct pp_result *res);
};

/* How a dialogue ended, for the disconnect line (dialog_end_name()). */
enum pp_end {
	PP_END_QUIT, PP_END_EOF, PP_END_TIMEOUT, PP_END_ERROR,
	PP_END_BAD_COMMANDS, PP_END_AUTH_FAILURES, PP_END_STORE_DOWN,
	PP_END_PREAUTH, PP_ENDS
};

/*
 * Run one dialogue on io until quit, end of input, timeout or too many
 * failures, in one process (the store down, and the fuzz target):
 * connect and disconnect lines, the greeting, the dialogue. Returns 0.
 */
int dialog_run(const struct poppass_env *env, struct netio *io);

/*
 * The dialogue after the greeting: commands read through ops, replies
 * written to out, checks and changes handed to ops. plaintext_ok: the
 * connection may carry passwords (the account side checks again).
 * Every password is wiped from its buffers. Returns how it ended.
 */
enum pp_end dialog_loop(const struct conf *conf, struct netio *out,
    int plaintext_ok, const struct dialog_ops *ops, void *ctx);

/* The greeting line, on out. */
void dialog_greet(const struct conf *conf, struct netio *out);

/* "quit", "eof", ... for end; "unknown" when out of range. */
const char *dialog_end_name(unsigned end);

/* Start the account side for one session. */
void account_init(struct pp_account *a, const struct poppass_env *env,
    struct netio *io);

/*
 * Is pass the old password of user (as typed)? Logs and counts a
 * failure, and waits (account_fail_delay()) before returning it.
 */
void account_check(struct pp_account *a, const char *user, const char *pass,
    struct pp_result *res);

/*
 * Change the password of user (as typed) from old to new_pass, after a
 * successful account_check() for the same account.
 */
void account_change(struct pp_account *a, const char *user, const char *old,
    const char *new_pass, struct pp_result *res);

/*
 * The wait after a failed attempt for the account name tried (as made
 * canonical, or ""): LOGIN_FAIL_DELAY, growing with recent failures
 * (penalty.h).
 */
void account_fail_delay(struct pp_account *a, const char *tried);

/* ---- the pre-auth split (split.c) ---- */

/*
 * The parent's side, after the fork and the privilege drop: greet, serve
 * the child's requests on ctl (its replies come on data) until it ends,
 * then reap it. Returns 0.
 */
int split_parent(const struct poppass_env *env, struct netio *io, int ctl,
    int data, int pid);

/* The child's side, sandboxed: the dialogue through the parent. */
void split_child(const struct conf *conf, int ctl, int data);

/*
 * Control message types (privsep.h: length-prefixed, then fields); a
 * client line is PRIVSEP_READLINE and PRIVSEP_LINE.
 */
#define PP_CHECK	2	/* child: user, password */
#define PP_CHANGE	3	/* child: user, old password, new password */
#define PP_END		4	/* child: u32 enum pp_end; no answer */
#define PP_INFO		10	/* parent: u32 plaintext_ok */
#define PP_RESULT	12	/* parent: u32 outcome, u32 done, text */

#endif
