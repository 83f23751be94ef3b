/*
 * NAME
 *	mboxlist - an account's list of folders
 * DESCRIPTION
 *	An account's mail directory (store.h) holds one directory per folder,
 *	named f<ID> (f0 is INBOX), and the list that maps folder names to
 *	IDs, `mailboxes` ("popstore-mailboxes 1": next_id, one field
 *	f<ID> = "UIDVALIDITY SPECIAL-USE NAME" per folder and, for folders
 *	with an access control list, a<ID> = the ACL text), replaced
 *	atomically on every change under the account lock. Because folders
 *	are found by ID, a folder name never becomes a path: any name is
 *	stored safely, and renaming a folder renames no directory.
 *
 *	Each folder directory also holds its own `folder` file (name,
 *	UIDVALIDITY, special-use), so reconstruct can rebuild the list.
 *
 *	Names are UTF-8 (imapd converts from modified UTF-7), '/' separates
 *	hierarchy levels, and INBOX is case-insensitive. The list is created
 *	on first use: INBOX, plus Drafts, Sent, Trash and Junk (with their
 *	special-use attributes) for IMAP accounts.
 * MEMORY
 *	struct mboxlist owns its entries; mboxlist_free() releases them.
 */
#ifndef POPSTORE_MBOXLIST_H
#define POPSTORE_MBOXLIST_H

#include <stddef.h>
#include <stdint.h>

struct acct;
struct buf;
struct store;

#define MBOX_NAME_MAX		1000	/* bytes of UTF-8 */
#define MBOX_DEPTH_MAX		32	/* hierarchy levels */
#define MBOX_COUNT_MAX		10000	/* folders per account */
#define MBOX_INBOX_ID		0

struct mbox {
	uint32_t id;
	uint32_t uidvalidity;
	char	 special[16];	/* "\\Sent" etc., or "" */
	char	*name;
	char	*acl;		/* acl.h text, "" when none */
};

struct mboxlist {
	struct mbox *v;
	size_t	 n;
	uint32_t next_id;
};

/*
 * Load the account's folder list, creating the default folders when the
 * account has none yet. 0 or -1 with *why_r.
 */
int mboxlist_load(struct store *s, const struct acct *a, struct mboxlist *l,
    char **why_r);

/* The entry named name (INBOX in any case), or NULL. */
const struct mbox *mboxlist_find(const struct mboxlist *l, const char *name);

/* The entry with ID id, or NULL. */
const struct mbox *mboxlist_find_id(const struct mboxlist *l, uint32_t id);

/*
 * Create a folder (and its directory) named name with optional
 * special-use; *id_r its ID. -1 with EEXIST if it exists, EINVAL for a
 * bad name.
 */
int mboxlist_create(struct store *s, const struct acct *a, const char *name,
    const char *special, uint32_t *id_r, char **why_r);

/* Delete a folder and its messages (not INBOX). */
int mboxlist_delete(struct store *s, const struct acct *a, const char *name,
    char **why_r);

/*
 * Rename a folder and every folder below it (from/x -> to/x). Renaming
 * INBOX moves its messages to a new folder and leaves INBOX empty
 * (RFC 3501), handled by the caller through folder.h; here it is refused.
 */
int mboxlist_rename(struct store *s, const struct acct *a, const char *from,
    const char *to, char **why_r);

/* Replace the ACL text of a folder (acl.h). */
int mboxlist_set_acl(struct store *s, const struct acct *a, const char *name,
    const char *acl, char **why_r);

void mboxlist_free(struct mboxlist *l);

/* 0 if name is an acceptable folder name, else -1 with *why_r. */
int mbox_name_check(const char *name, char **why_r);

/* 1 if name is INBOX (any case). */
int mbox_is_inbox(const char *name);

/* lib/ only: read the list without creating it (1, 0 none, -1). */
int mboxlist_read(struct store *s, const struct acct *a, struct mboxlist *l,
    char **why_r);

/* lib/ only: replace the list file (caller holds the account lock). */
int mboxlist_write(struct store *s, const struct acct *a,
    const struct mboxlist *l, char **why_r);

/* lib/ only: append an entry to a list in memory. */
void mboxlist_add(struct mboxlist *l, uint32_t id, uint32_t uidvalidity,
    const char *special, const char *name);

/* lib/ only: the directory of folder id of account a, appended to out. */
int mbox_dir(struct store *s, const struct acct *a, uint32_t id,
    struct buf *out);

/* lib/ only: the account's mail directory, appended to out. */
int mbox_account_dir(struct store *s, const struct acct *a, struct buf *out);

#endif
