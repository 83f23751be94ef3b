/*
 * NAME
 *	acl - access control lists of folders (RFC 4314)
 * DESCRIPTION
 *	A folder's ACL is a text of "IDENTIFIER RIGHTS" pairs separated by
 *	spaces, kept in the account's mailbox list (mboxlist.h). IDENTIFIER
 *	is a canonical account name, "anyone", or either prefixed with '-'
 *	for negative rights. RIGHTS are RFC 4314 letters:
 *
 *	l lookup  r read  s keep \Seen  w write flags  i insert (APPEND,
 *	COPY in)  p post (deliver to it by address)  k create folders
 *	x delete folder  t set \Deleted  e expunge  a administer (ACL)
 *
 *	The obsolete "c" means "kx" and "d" means "te". The owner of a
 *	personal folder always has every right; everybody else has the union
 *	of the rights of their own entry and "anyone", minus negative
 *	entries. Every command that touches another account's or a public
 *	folder asks acl_rights(); nothing else decides.
 * MEMORY
 *	ACL texts are allocated strings the caller owns.
 */
#ifndef POPSTORE_ACL_H
#define POPSTORE_ACL_H

struct buf;

#define ACL_L	0x001
#define ACL_R	0x002
#define ACL_S	0x004
#define ACL_W	0x008
#define ACL_I	0x010
#define ACL_P	0x020
#define ACL_K	0x040
#define ACL_X	0x080
#define ACL_T	0x100
#define ACL_E	0x200
#define ACL_A	0x400
#define ACL_ALL	0x7ff

#define ACL_TEXT_MAX	4096
#define ACL_RIGHTS	"lrswipkxtea"

/* Parse rights letters (c and d accepted); -1 on an unknown letter. */
int acl_parse_rights(const char *s, unsigned *rights_r);

/* Append the letters of rights in RFC 4314 order. */
void acl_format_rights(unsigned rights, struct buf *out);

/* The rights of identity on a folder owned by owner ("" = no owner, as
 * for public folders) whose ACL text is acl (NULL = empty). */
unsigned acl_rights(const char *acl, const char *owner, const char *identity);

/*
 * Change the entry of identity in *acl: rights "+xyz" adds, "-xyz"
 * removes, "xyz" replaces, "" deletes the entry. -1 with *why_r for bad
 * rights or an ACL grown past ACL_TEXT_MAX.
 */
int acl_modify(char **acl, const char *identity, const char *rights,
    char **why_r);

/*
 * Call fn for each entry (identifier, rights letters as written).
 * fn returns nonzero to stop.
 */
int acl_walk(const char *acl,
    int (*fn)(const char *identifier, const char *rights, void *ctx),
    void *ctx);

#endif
