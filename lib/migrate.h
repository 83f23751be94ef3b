/*
 * NAME
 *	migrate - what moving login mailboxes into the store needs to know
 * SYNOPSIS
 *	#include "migrate.h"
 * DESCRIPTION
 *	migrate(8) moves Berkeley mailboxes (mbox.h) and Maildirs
 *	(maildir.h) into store folders through delivery.h, keeping each
 *	message's flags, date and POP3 UIDL, and must be safe to run again.
 *
 *	Flags. Mail readers keep a Berkeley mailbox message's state in its
 *	header: Status: R (read) and O (old, not new), X-Status: A
 *	(answered), F (flagged), T (draft), D (deleted), as mutt, pine and
 *	UW imapd write them. migrate_status_flags() maps them to \Seen,
 *	\Answered, \Flagged, \Draft, \Deleted.
 *
 *	UIDLs. A message keeps the UIDL a POP3 client already knows, so a
 *	client that leaves mail on the server does not fetch it again: an
 *	X-UIDL header field (popper, qpopper) when it holds a valid UIDL,
 *	else the id pop3d's legacy mode serves for that mailbox message
 *	(its From_ line, header and size: migrate_mbox_uidl), else, for a
 *	Maildir, the file's unique name.
 *
 *	Running again. A migrated message is recognised by its UIDL: the
 *	UIDLs already in the target folder (migrate_uidls_load) are
 *	skipped, so a second run, or a run after a crash, adds only what
 *	is missing.
 * MEMORY
 *	struct migrate_uidls owns its strings; migrate_uidls_free()
 *	releases them. *why_r is allocated; the caller frees it.
 */
#ifndef POPSTORE_MIGRATE_H
#define POPSTORE_MIGRATE_H

#include <stddef.h>
#include <stdint.h>

struct acct;
struct buf;
struct mbox_file;
struct store;

#define MIGRATE_UIDL_MAX	70	/* RFC 1939 */

/* MSG_* flags from the Status: and X-Status: fields of hdr[0..len). */
uint32_t migrate_status_flags(const char *hdr, size_t len);

/*
 * The X-UIDL field of hdr[0..len), appended to out when it is a valid
 * UIDL (1..70 bytes 0x21..0x7e): 1, else 0 and out unchanged.
 */
int migrate_xuidl(const char *hdr, size_t len, struct buf *out);

/*
 * The UIDL pop3d's legacy mode gives message i of an indexed mailbox:
 * CRC-32C of its From_ line, CRC-32C of its header, its size with CRLF
 * line ends (hex). Appended to out; 0, or -1 with *why_r.
 */
int migrate_mbox_uidl(struct mbox_file *mb, size_t i, struct buf *out,
    char **why_r);

/*
 * A set of UIDLs (a folder's, a source's): v[0..n) in the order added,
 * and a hash table of indexes into v, so that a lookup and an addition
 * cost the same however many UIDLs the set holds.
 */
struct migrate_uidls {
	char	**v;
	size_t	 n, cap;
	size_t	*slots;		/* index + 1 into v, 0 empty */
	size_t	 nslots;	/* a power of two, or 0 */
};

/*
 * Load the UIDLs of folder folder_id of account a (stored ones and the
 * default UIDVALIDITY.UID ones alike). A folder that does not exist
 * yet holds none. 0, or -1 with *why_r.
 */
int migrate_uidls_load(struct store *s, const struct acct *a,
    uint32_t folder_id, struct migrate_uidls *u, char **why_r);

/* 1 if u holds uidl, else 0. */
int migrate_uidls_has(const struct migrate_uidls *u, const char *uidl);

/* Add uidl (a message just migrated). */
void migrate_uidls_add(struct migrate_uidls *u, const char *uidl);

void migrate_uidls_free(struct migrate_uidls *u);

#endif
