/*
 * NAME
 *	name - account names: naming styles, case folding, addresses
 * DESCRIPTION
 *	A name typed by a user, an administrator or an MTA becomes the
 *	canonical account name here, and only here. The rules are set by
 *	USERNAME_STYLE (popstore.conf(5)):
 *
 *	1  letters, digits, '.', '-' and '_'; starts with a letter or digit;
 *	   case-insensitive (stored in lower case). The default.
 *	2  printable US-ASCII except space and ( ) < > [ ] @ , ; : \ " / %
 *	   ! and the subaddress character; case-insensitive.
 *	3  like 2, plus 8-bit characters of USERNAME_CHARSET (UTF-8, which
 *	   must be valid, or ISO-8859-1); case-insensitive for ASCII and,
 *	   in ISO-8859-1 and in UTF-8's Latin-1 range, for accented letters.
 *
 *	The local part has 1 to 32 bytes. With USE_DOMAINS=1 a name may
 *	carry "@domain" (1 to 40 bytes of letters, digits, '-' and '.',
 *	case-insensitive); the canonical name is "local@domain", or just
 *	"local" in DEFAULT_DOMAIN or when no domain is given. With
 *	USE_DOMAINS=0 a domain part is ignored.
 *
 *	"default" is reserved for the template account and "post" for
 *	public folders; they are valid names but name_is_reserved() says so.
 * MEMORY
 *	Results go to caller buffers; *why_r is allocated; caller frees.
 */
#ifndef POPSTORE_NAME_H
#define POPSTORE_NAME_H

#include <stddef.h>

struct buf;
struct conf;

/*
 * The canonical account name for input, in the user domain `domain`
 * when input names none ("" = the default domain). Appends to out;
 * -1 with *why_r saying what is wrong with the name.
 */
int name_canon(const struct conf *c, const char *domain, const char *input,
    struct buf *out, char **why_r);

/*
 * Split a recipient address ("<Local+Detail@Domain>", quotes and angle
 * brackets allowed) into the account name to look up (canonical, see
 * name_canon) and the subaddress detail (after SUBADDRESS_CHAR, may be
 * empty). -1 when the address cannot name an account here.
 */
int name_recipient(const struct conf *c, const char *address,
    struct buf *account, struct buf *detail, char **why_r);

/* 1 for "default" and "post" (in any domain). */
int name_is_reserved(const char *canon);

/* The domain of a canonical name ("" for the default domain). */
const char *name_domain(const char *canon);

/* 1 if s holds wildcard characters ('*' any run, '%' one character). */
int name_has_wildcards(const char *s);

/* 1 if name matches a pattern of '*' and '%' (case-insensitive). */
int name_match(const char *pattern, const char *name);

#endif
