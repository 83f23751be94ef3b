/*
 * cmd - popmgr's commands: the dispatch table, the command reader
 * (prompt, pipe, `run FILE`), help.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "buf.h"
#include "popmgr.h"

static const struct sw_def no_switches[] = { { NULL, 0, 0 } };

static const struct command commands[] = {
	{ "add", cmd_add, 1, change_add_switches,
	  "add NAME[,NAME...] [-switch...] | add -domain DOMAIN",
	  "Create accounts as copies of the domain's default account, then\n"
	  "apply the switches. -domain creates a user domain instead." },
	{ "copy", cmd_copy, 1, change_copy_switches,
	  "copy FROM TO[,TO...] [-switch...]",
	  "Create accounts as copies of FROM (no messages, usage zeroed)." },
	{ "delete", cmd_delete, 1, delete_switches,
	  "delete NAME[,NAME...] [-messages] [-return] [-noconfirm] "
	  "[-group=GROUP] [-log]",
	  "Delete accounts, or with -messages only their messages. -return\n"
	  "sends unread messages back to their senders. Wildcards (* and %)\n"
	  "ask per account; -noconfirm asks once (and is required in a\n"
	  "script)." },
	{ "exit", cmd_exit, 0, no_switches, "exit", "Leave popmgr." },
	{ "export", cmd_export, 1, export_switches,
	  "export NAME -output=FILE",
	  "Write the account (profile and mail, UIDs kept) to FILE, a tar\n"
	  "archive for `import` on another store." },
	{ "forward", cmd_forward, 1, forward_switches,
	  "forward NAME ADDRESS[,ADDRESS...] [-nooverride]",
	  "Send mail for NAME to the addresses (NAME itself among them\n"
	  "keeps a copy). -nooverride refuses when NAME is an account." },
	{ "group", cmd_group, 1, group_switches,
	  "group -add GROUP [SUB,...] | -delete GROUP [-recur] | "
	  "-list [GROUP] | -modify GROUP SUB,...",
	  "Management groups and their subgroups." },
	{ "help", cmd_help, 0, no_switches, "help [COMMAND]",
	  "List the commands, or explain one." },
	{ "import", cmd_import, 1, import_switches,
	  "import FILE [-partition=PARTITION]",
	  "Create the account written by `export` in FILE, with the same\n"
	  "UIDs, UIDVALIDITY and flags, then check it like reconstruct." },
	{ "init", cmd_init, 0, no_switches, "init",
	  "Create the store and its default account (safe to repeat)." },
	{ "login", cmd_login, 1, login_switches,
	  "login [NAME] [-password=PASSWORD]",
	  "Act as the manager account NAME: every later command is limited\n"
	  "to the accounts that account may manage." },
	{ "logout", cmd_logout, 0, no_switches, "logout",
	  "End a login: back to the rights of the invoking user." },
	{ "modify", cmd_modify, 1, change_modify_switches,
	  "modify NAME[,NAME...] [-switch...]",
	  "Change accounts: only what the switches name." },
	{ "move", cmd_move, 1, move_switches,
	  "move NAME -partition=PARTITION",
	  "Move the account's mail to another partition while the servers\n"
	  "run; the profile's partition changes when the copy is complete." },
	{ "noforward", cmd_noforward, 1, no_switches, "noforward NAME[,NAME...]",
	  "Remove forwardings." },
	{ "quit", cmd_exit, 0, no_switches, "quit", "Leave popmgr." },
	{ "rebuild-db", cmd_rebuild_db, 1, no_switches, "rebuild-db",
	  "Recreate the management databases from the account, group and\n"
	  "forwarding files." },
	{ "rename", cmd_rename, 1, no_switches, "rename OLD NEW",
	  "Rename an account, keeping everything else." },
	{ "run", cmd_run, 0, no_switches, "run FILE",
	  "Execute the commands in FILE." },
	{ "set", cmd_set, 0, no_switches,
	  "set domain [DOMAIN] | set storage_units bytes|kbytes|mbytes|gbytes",
	  "Choose the user domain of later commands, or the units of sizes." },
	{ "sieve", cmd_sieve, 1, sieve_switches,
	  "sieve ACCOUNT -set=FILE | -show | -check=FILE | -remove",
	  "The account's Sieve mail filter (popstore-sieve(5)), run at\n"
	  "delivery. -check reports the first error of FILE as\n"
	  "FILE:LINE:COLUMN (ACCOUNT may then be left out); -set checks and\n"
	  "installs FILE (\"-\" reads standard input); -show prints the\n"
	  "script; -remove deletes it." },
	{ "show", cmd_show, 1, show_switches,
	  "show [NAME|PATTERN...] [-full|-brief] [-group=GROUP] "
	  "[-format=FILE] [-output=FILE] | show -count_users | "
	  "show -forwardings [PREFIX] | show -messages NAME [-folder=F] | "
	  "show -options",
	  "Display accounts, counts, forwardings, messages or options." },
};
#define NCOMMANDS	(sizeof(commands) / sizeof(commands[0]))

/* The command named (or uniquely abbreviated) by word, or NULL. */
static const struct command *
find_command(const char *word, int *ambiguous_r)
{
	const struct command *found = NULL;
	char name[32];
	size_t i, len = strlen(word);

	*ambiguous_r = 0;
	if (len == 0 || len >= sizeof(name))
		return NULL;
	for (i = 0; i <= len; i++)
		name[i] = word[i] == '_' ? '-' : word[i];
	for (i = 0; i < NCOMMANDS; i++) {
		if (strcasecmp(commands[i].name, name) == 0)
			return &commands[i];
		if (strncasecmp(commands[i].name, name, len) == 0) {
			if (found)
				*ambiguous_r = 1;
			found = &commands[i];
		}
	}
	return *ambiguous_r ? NULL : found;
}

/* Re-read the logged-in manager: a revoked MANAGE ends the login. */
static int
refresh_manager(struct mgr *m)
{
	struct acct a;
	char *why = NULL;
	int rc = acct_load(m->store, m->manager.name, &a, &why);

	if (rc == 1 && (a.flags & ACCT_MANAGE) && !(a.flags & ACCT_DISUSER)) {
		acct_wipe(&a);
		m->manager = a;
		return 0;
	}
	free(why);
	m->confined = 0;
	snprintf(m->by, sizeof(m->by), "%s", m->os_user);
	return mgr_fail(m, EX_NOPERM, "%s: may no longer manage; logged out "
	    "(run login again)", m->manager.name);
}

int
cmd_dispatch(struct mgr *m, const struct words *w)
{
	const struct command *c;
	int ambiguous, rc;

	if (w->n == 0)
		return 0;
	c = find_command(w->v[0], &ambiguous);
	if (c == NULL)
		rc = mgr_fail(m, EX_USAGE, "%s command: %s (try help)",
		    ambiguous ? "ambiguous" : "unknown", w->v[0]);
	else if (c->store && (rc = mgr_open_store(m)) != 0)
		;
	else if (c->store && m->confined && c->fn != cmd_logout &&
	    (rc = refresh_manager(m)) != 0)
		;
	else
		rc = c->fn(m, w);
	if (!m->script && mgr_checkpoint(m) != 0 && rc == 0)
		rc = EX_IOERR;
	if (rc != 0 && m->status == 0)
		m->status = rc;
	return rc;
}

struct reader {
	int	 fd;
	size_t	 pos, len;
	int	 eof;
	char	 buf[65536];
};

/*
 * One line (without its end) into out: 1, 0 at the end of input, -1
 * for a line longer than PARSE_LINE_MAX (skipped). Before waiting for
 * input, deferred changes are made durable.
 */
static int
read_line(struct mgr *m, struct reader *r, struct buf *out)
{
	int toolong = 0;
	ssize_t n;

	buf_reset(out);
	for (;;) {
		char *nl;
		size_t take;

		if (r->pos == r->len) {
			if (r->eof)
				return toolong ? -1 : out->len ? 1 : 0;
			if (mgr_checkpoint(m) != 0 && m->status == 0)
				m->status = EX_IOERR;
			do
				n = read(r->fd, r->buf, sizeof(r->buf));
			while (n < 0 && errno == EINTR);
			r->pos = 0;
			r->len = n > 0 ? (size_t)n : 0;
			r->eof = n <= 0;
			continue;
		}
		nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
		take = nl ? (size_t)(nl - (r->buf + r->pos)) : r->len - r->pos;
		if (!toolong && out->len + take > PARSE_LINE_MAX) {
			toolong = 1;
			buf_free(out);
		}
		if (!toolong)
			buf_append(out, r->buf + r->pos, take);
		r->pos += take + (nl != NULL);
		if (nl)
			return toolong ? -1 : 1;
	}
}

/* A whole command: lines joined by a trailing backslash. */
static int
read_command(struct mgr *m, struct reader *r, int prompt, struct buf *cmd)
{
	struct buf line = BUF_INIT;
	int rc;

	buf_reset(cmd);
	for (;;) {
		if (prompt) {
			fputs(cmd->len ? "_> " : MGR_PROMPT, stdout);
			fflush(stdout);
		}
		rc = read_line(m, r, &line);
		if (rc <= 0)
			break;
		while (line.len && line.data[line.len - 1] &&
		    strchr(" \t\r", line.data[line.len - 1]))
			buf_truncate(&line, line.len - 1);
		if (memchr(line.data, '\0', line.len)) {
			rc = -1;
			break;
		}
		if (line.len && line.data[line.len - 1] == '\\') {
			buf_append(cmd, line.data, line.len - 1);
			buf_putc(cmd, ' ');
			continue;
		}
		buf_append(cmd, line.data, line.len);
		if (cmd->len > PARSE_LINE_MAX)
			rc = -1;
		break;
	}
	if (rc == 0 && cmd->len)
		rc = 1;
	buf_free(&line);
	return rc;
}

int
cmd_reader(struct mgr *m, int fd, int prompt)
{
	struct reader *r = calloc(1, sizeof(*r));
	struct buf cmd = BUF_INIT;
	int rc, first = 0;
	char *why = NULL;

	if (r == NULL)
		return mgr_fail(m, EX_OSERR, "out of memory");
	r->fd = fd;
	while (!m->quit && (rc = read_command(m, r, prompt, &cmd)) != 0) {
		struct words w = { NULL, 0, 0 };
		const char *p = buf_cstr(&cmd);
		int one;

		p += strspn(p, " \t");
		if (rc < 0) {
			one = mgr_fail(m, EX_DATAERR, "command line too long or "
			    "holding a NUL byte: ignored");
			m->status = m->status ? m->status : one;
		} else if (*p == '!' || *p == '#' || *p == '\0') {
			continue;
		} else if (parse_line(p, &w, &why) < 0) {
			one = mgr_fail(m, EX_USAGE, "%s", why);
			m->status = m->status ? m->status : one;
			free(why);
			why = NULL;
		} else {
			one = cmd_dispatch(m, &w);
		}
		if (one && !first)
			first = one;
		words_free(&w);
	}
	if (prompt && !m->quit)
		fputc('\n', stdout);
	buf_free(&cmd);
	free(r);
	return first;
}

int
cmd_exit(struct mgr *m, const struct words *w)
{
	(void)w;
	m->quit = 1;
	return 0;
}

int
cmd_run(struct mgr *m, const struct words *w)
{
	int fd, rc, script = m->script;

	if (w->n != 2)
		return mgr_fail(m, EX_USAGE, "usage: run FILE");
	if (m->confined)
		return mgr_fail(m, EX_NOPERM, "run: not after login (files are "
		    "read with the invoking user's rights)");
	if (m->depth >= MGR_RUN_DEPTH)
		return mgr_fail(m, EX_USAGE, "run: nested more than %d deep",
		    MGR_RUN_DEPTH);
	if ((fd = open(w->v[1], O_RDONLY | O_CLOEXEC)) < 0)
		return mgr_fail(m, errno == ENOENT ? EX_NOINPUT : mgr_code(errno),
		    "%s: %s", w->v[1], strerror(errno));
	m->depth++;
	m->script = 1;
	rc = cmd_reader(m, fd, 0);
	m->script = script;
	m->depth--;
	m->quit = 0;
	close(fd);
	return rc;
}

static void
print_switches(const struct sw_def *defs)
{
	size_t i, col = 2;

	if (defs == NULL || defs[0].name == NULL)
		return;
	fputs("switches:\n ", stdout);
	for (i = 0; defs[i].name; i++) {
		char one[64];

		snprintf(one, sizeof(one), " -%s%s%s", defs[i].negatable ?
		    "[no]" : "", defs[i].name, defs[i].kind == SW_VALUE ? "=V" :
		    defs[i].kind == SW_OPTIONAL ? "[=V]" : "");
		if (col + strlen(one) > 76) {
			fputs("\n ", stdout);
			col = 2;
		}
		fputs(one, stdout);
		col += strlen(one);
	}
	fputc('\n', stdout);
}

void
cmd_usage(int to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	size_t i;

	fputs("usage: popmgr [-d] [-C file] [command [argument ...]]\n", f);
	if (to_stderr)
		return;
	fputs("Commands:", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "%s%s", i % 10 == 9 ? "\n" : " ", commands[i].name);
	fputs("\nWithout a command, commands are read from standard input.\n"
	    "`popmgr help COMMAND` explains one; see popmgr(8).\n", f);
}

int
cmd_help(struct mgr *m, const struct words *w)
{
	const struct command *c;
	size_t i;
	int ambiguous;

	if (w->n < 2) {
		fputs("Commands (any unambiguous abbreviation will do):\n",
		    stdout);
		for (i = 0; i < NCOMMANDS; i++)
			printf("  %s\n", commands[i].synopsis);
		fputs("`help COMMAND` explains one.\n", stdout);
		return 0;
	}
	if ((c = find_command(w->v[1], &ambiguous)) == NULL)
		return mgr_fail(m, EX_USAGE, "help: %s command: %s",
		    ambiguous ? "ambiguous" : "unknown", w->v[1]);
	printf("%s\n\n%s\n", c->synopsis, c->help);
	print_switches(c->switches);
	return 0;
}
