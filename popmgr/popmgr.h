/*
 * popmgr - the administrator's command-line manager (private header)
 *
 * One struct mgr holds a session: the configuration, the store (opened
 * on first use, so that `init` can create it), who is managing (the
 * invoking user with full rights, or a manager account after `login`),
 * the storage units, and the exit status so far. Commands are
 * functions of the dispatch table in cmd.c taking the session and the
 * command's words; each returns 0 or a sysexits code, having printed
 * its own messages.
 *
 * The store is kept in batch mode (store.h): writes skip fsync, and
 * mgr_checkpoint() makes them durable with syncfs(2) at the end of
 * each command given on the command line or typed at the prompt, every
 * MGR_SYNC_EVERY changes, and in a script before popmgr waits for more
 * input and before it exits.
 */
#ifndef POPMGR_POPMGR_H
#define POPMGR_POPMGR_H

#include <stdint.h>
#include <sysexits.h>

#include "acct.h"
#include "conf.h"
#include "group.h"
#include "parse.h"
#include "secret.h"

struct buf;
struct store;
struct manage_filter;
struct template;

#define MGR_SYNC_EVERY	2000	/* changes between syncs in a batch */
#define MGR_RUN_DEPTH	8	/* nested `run FILE` */
#define MGR_PROMPT	"popstore> "

struct mgr {
	struct conf	 conf;
	struct store	*store;		/* NULL until first needed */
	int		 interactive;	/* stdin is a terminal */
	int		 script;	/* commands come from a pipe or file */
	int		 quit;		/* `exit` was given */
	int		 depth;		/* `run` nesting */
	uint64_t	 unit;		/* bytes per storage unit */
	int		 confined;	/* after `login` */
	struct acct	 manager;	/* the logged-in manager */
	char		 by[ACCT_NAME_MAX + 16];	/* who, for the log */
	char		 os_user[64];	/* the invoking user */
	int		 status;	/* first failure's exit code */
	unsigned long	 pending;	/* changes since the last sync */
	struct secret_key key;
	int		 key_loaded;
};

/* One command of the dispatch table. */
struct command {
	const char	*name;
	int		(*fn)(struct mgr *m, const struct words *w);
	int		 store;		/* needs the store open */
	const struct sw_def *switches;	/* for help, may be NULL */
	const char	*synopsis;
	const char	*help;
};

/* cmd.c */
int cmd_dispatch(struct mgr *m, const struct words *w);
int cmd_reader(struct mgr *m, int fd, int prompt);
int cmd_help(struct mgr *m, const struct words *w);
int cmd_run(struct mgr *m, const struct words *w);
int cmd_exit(struct mgr *m, const struct words *w);
void cmd_usage(int to_stderr);

/* session.c: the session, errors, durability, permissions */
int mgr_fail(struct mgr *m, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int mgr_code(int err);
int mgr_open_store(struct mgr *m);
void mgr_changed(struct mgr *m);
int mgr_checkpoint(struct mgr *m);
int mgr_args(struct mgr *m, const struct sw_def *defs, const struct words *w,
    struct sw_val *vals, struct words *params);
struct sw_val *mgr_sw(const struct sw_def *defs, struct sw_val *vals,
    const char *name);
int mgr_canon(struct mgr *m, const char *input, struct buf *out);
int mgr_may_manage(struct mgr *m, const struct acct *target);
int mgr_world(struct mgr *m);
int mgr_load(struct mgr *m, const char *name, struct acct *a, int manage);
void mgr_hold(struct mgr *m);
int mgr_key(struct mgr *m, int quiet);
void mgr_time(int64_t t, struct buf *out);
int cmd_init(struct mgr *m, const struct words *w);
extern const struct sw_def login_switches[];
int cmd_login(struct mgr *m, const struct words *w);
int cmd_logout(struct mgr *m, const struct words *w);
int cmd_set(struct mgr *m, const struct words *w);
int cmd_rebuild_db(struct mgr *m, const struct words *w);

/* prompt.c: questions at the terminal */
int prompt_secret(struct mgr *m, const char *question, struct buf *answer);
int prompt_new_password(struct mgr *m, struct buf *pw);
int prompt_confirm(struct mgr *m, const char *question);

/* select.c: names and wildcards to accounts */
struct manage_filter *select_filter_new(struct mgr *m, const char *group,
    int *rc_r);
int select_accounts(struct mgr *m, const struct words *items,
    const char *group, int with_reserved, struct words *out, int *wild_r);
int select_confirm(struct mgr *m, const char *verb, const struct words *names,
    int wild, struct sw_val *confirm, int *each_r);

/* change.c: the account switches of add, copy and modify */
struct change;
extern const struct sw_def change_add_switches[];
extern const struct sw_def change_copy_switches[];
extern const struct sw_def change_modify_switches[];
int change_parse(struct mgr *m, const struct sw_def *defs,
    struct sw_val *vals, struct change **ch_r);
int change_profile(struct mgr *m, const struct change *ch,
    const struct acct *old, struct acct *a);
int change_usage(struct mgr *m, const struct change *ch, const char *name);
int change_has_usage(const struct change *ch);
int change_trim_count(const struct change *ch, uint64_t *count_r);
void change_fields(const struct change *ch, struct buf *out);
void change_free(struct change *ch);
int change_rebind_secret(struct mgr *m, struct acct *a, const char *old_name);

/* acctcmd.c */
extern const struct sw_def delete_switches[];
int cmd_add(struct mgr *m, const struct words *w);
int cmd_copy(struct mgr *m, const struct words *w);
int cmd_modify(struct mgr *m, const struct words *w);
int cmd_rename(struct mgr *m, const struct words *w);
int cmd_delete(struct mgr *m, const struct words *w);

/* movecmd.c */
extern const struct sw_def move_switches[];
int cmd_move(struct mgr *m, const struct words *w);
extern const struct sw_def export_switches[];
int cmd_export(struct mgr *m, const struct words *w);
extern const struct sw_def import_switches[];
int cmd_import(struct mgr *m, const struct words *w);

/* msgs.c: an account's messages */
int msgs_count(struct mgr *m, const struct acct *a, uint64_t *count_r);
int msgs_delete(struct mgr *m, const struct acct *a, int do_return,
    int account_gone, unsigned long *deleted_r, unsigned long *returned_r);
int msgs_trim(struct mgr *m, const struct acct *a, uint64_t keep,
    unsigned long *deleted_r);
int msgs_show(struct mgr *m, const struct acct *a, const char *folder,
    const char *format_file, struct buf *out);

/* show.c */
extern const struct sw_def show_switches[];
int cmd_show(struct mgr *m, const struct words *w);
int show_load_template(struct mgr *m, const char *file, const char *builtin,
    const char *const *names, struct template **t_r);
int show_output(struct mgr *m, const char *file, const struct buf *out);

/* sievecmd.c */
extern const struct sw_def sieve_switches[];
int cmd_sieve(struct mgr *m, const struct words *w);

/* fwdcmd.c, groupcmd.c */
extern const struct sw_def forward_switches[];
extern const struct sw_def group_switches[];
int cmd_forward(struct mgr *m, const struct words *w);
int cmd_noforward(struct mgr *m, const struct words *w);
int cmd_group(struct mgr *m, const struct words *w);

#endif
