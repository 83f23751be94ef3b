/*
 * NAME
 *	maildir - reading a Maildir: message file names and listing
 * SYNOPSIS
 *	#include "maildir.h"
 * DESCRIPTION
 *	A Maildir (qmail's maildir(5), as written by Postfix, Exim,
 *	procmail, Dovecot, Courier) is a directory with tmp/, new/ and cur/.
 *	A message is one file, named "UNIQUE" in new/ and "UNIQUE:2,FLAGS"
 *	in cur/ once a reader saw it. FLAGS are ASCII letters in ASCII
 *	order: D draft, F flagged, P passed (resent), R replied, S seen,
 *	T trashed; lowercase letters are reader-private keywords (Dovecot)
 *	and are ignored. Some systems use ';' or '!' instead of ':' (file
 *	systems that cannot hold ':'); they are accepted too. Info of
 *	another version ("1,...") is kept as no flags.
 *
 *	migrate(8) reads Maildirs through this module: the flags become
 *	the store's \Draft, \Flagged, \Answered, \Seen and \Deleted; the
 *	unique part becomes the message's POP3 UIDL when it is one
 *	(maildir_uidl_ok), as Dovecot and Courier use it.
 *
 *	Names come from a directory listing of a directory the caller does
 *	not control: a name that is empty, starts with '.', holds '/' or a
 *	control byte, or is longer than MAILDIR_NAME_MAX is not a message.
 * MEMORY
 *	maildir_list() allocates the entries; maildir_list_free() releases
 *	them. *why_r is allocated; the caller frees it.
 */
#ifndef POPSTORE_MAILDIR_H
#define POPSTORE_MAILDIR_H

#include <stddef.h>
#include <stdint.h>

#define MAILDIR_NAME_MAX	255	/* bytes of a file name */
#define MAILDIR_UIDL_MAX	70	/* RFC 1939: a UIDL's length */
#define MAILDIR_COUNT_MAX	10000000 /* messages in one listing */

/* One message file name, parsed. */
struct maildir_name {
	size_t	 uniq_len;	/* bytes of the unique part */
	uint32_t flags;		/* MSG_* of folder.h */
	int	 has_info;	/* ":2," (or ";2,", "!2,") was present */
};

/*
 * Parse the file name name[0..len). Returns 0 with *n set, or -1 when
 * it is not a message file name (see DESCRIPTION).
 */
int maildir_name_parse(const char *name, size_t len, struct maildir_name *n);

/* 1 when s[0..len) can serve as a POP3 UIDL: 1..70 bytes 0x21..0x7e. */
int maildir_uidl_ok(const char *s, size_t len);

struct maildir_entry {
	char		*path;		/* DIR/new/NAME or DIR/cur/NAME */
	char		*uniq;		/* the unique part */
	uint32_t	 flags;		/* MSG_*; none for new/ */
	int64_t		 mtime;		/* delivery time */
	uint64_t	 size;
};

struct maildir_list {
	struct maildir_entry *v;
	size_t		 n;
};

/*
 * List the messages of the Maildir dir (new/ and cur/, regular files
 * only, not following symbolic links), oldest first (mtime, then
 * name). Returns 1, 0 when dir is not a Maildir (no cur/ and no new/),
 * or -1 with *why_r.
 */
int maildir_list(const char *dir, struct maildir_list *l, char **why_r);

void maildir_list_free(struct maildir_list *l);

#endif
