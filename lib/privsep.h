/*
 * NAME
 *	privsep - give up root for good before the first client byte
 * SYNOPSIS
 *	#include "privsep.h"
 * DESCRIPTION
 *	The servers start as root only to read what only root may read (the
 *	TLS key, see tls.h) and to open syslog; privsep_drop() then makes
 *	them the store's user (STORE_USER) in a way that cannot be undone,
 *	before netio reads anything from the client:
 *
 *	  1. RLIMIT_CORE is set to 0 and the process is made non-dumpable:
 *	     a crash leaves no core holding mail or passwords, and other
 *	     processes of the store user (other sessions) cannot ptrace
 *	     this one or read its memory through /proc.
 *	  2. As root: the user is looked up (before any change, while the
 *	     password file is readable), then setgroups() to the user's
 *	     primary group only, setresgid(), setresuid(). A user whose uid
 *	     or primary gid is 0 is refused, and so is an empty user name:
 *	     a server must never go on as root.
 *	  3. The drop is verified: real, effective and saved ids are the
 *	     user's, the only group is the primary one, and setuid(0) and
 *	     setgid(0) fail.
 *	  4. PR_SET_NO_NEW_PRIVS: no later exec can gain privileges
 *	     (set-id programs, file capabilities).
 *
 *	Not started as root (run by hand, by tests, by an MTA as the store
 *	user), nothing changes identity: the process goes on as the
 *	invoking user, and steps 1 and 4 still apply.
 *
 *	PR_SET_NO_NEW_PRIVS also stops set-id helpers a program may exec:
 *	Postfix's sendmail hands mail to the set-gid postdrop, which then
 *	fails. A program that forwards or bounces mail through SENDMAIL
 *	passes PRIVSEP_EXEC_SETID to leave that bit alone.
 * MEMORY
 *	*why_r, when set, is allocated and the caller frees it.
 * ERRORS
 *	-1 with *why_r; the caller must then exit without serving: the
 *	process may be half-way through the change.
 */
#ifndef POPSTORE_PRIVSEP_H
#define POPSTORE_PRIVSEP_H

/* privsep_drop() flags. */
#define PRIVSEP_EXEC_SETID	0x1	/* do not set PR_SET_NO_NEW_PRIVS */

/*
 * Become user (see DESCRIPTION) if root, else stay the invoking user;
 * then forbid core dumps and, unless flags has PRIVSEP_EXEC_SETID,
 * privilege gain on exec. Returns 0, or -1 with *why_r.
 */
int privsep_drop(const char *user, unsigned flags, char **why_r);

/*
 * For code that runs after authentication: -1 with *why_r when any of
 * the real, effective or saved uids or gids, or any supplementary
 * group, is 0 (qmail-pop3d's rule); else 0.
 */
int privsep_refuse_root(char **why_r);

/*
 * RLIMIT_CORE 0 (soft and hard) and PR_SET_DUMPABLE 0, for programs
 * that handle mail or secrets without dropping privileges (popmgr,
 * reconstruct). privsep_drop() does this itself. Returns 0, or -1
 * with *why_r.
 */
int privsep_no_core(char **why_r);

#endif
