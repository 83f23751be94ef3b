/*
 * NAME
 *	form - the fields of an HTTP request: forms, query strings, cookies,
 *	Basic credentials
 * SYNOPSIS
 *	#include "form.h"
 * DESCRIPTION
 *	The web programs (popstore-cgi(8)) get everything a browser sends
 *	through this module, and only as checked fields:
 *
 *	form_parse() reads application/x-www-form-urlencoded text (a POST
 *	body or a query string): fields separated by '&', name and value
 *	by the first '=', '+' meaning a space and %XX a byte. A field name
 *	is 1 to FORM_NAME_MAX letters, digits, '_', '-' and '.' after
 *	decoding. A malformed %-escape, a NUL byte, a bad name, a value
 *	longer than FORM_VALUE_MAX or more than FORM_FIELDS_MAX fields
 *	refuse the whole request: nothing is guessed.
 *
 *	form_parse_cookies() reads a Cookie header ("a=1; b=2"). Cookies
 *	of other applications on the same host may look like anything, so
 *	a cookie whose name or value is not plain is skipped, not refused;
 *	values are not decoded (popstore's own are base64url and dots), a
 *	pair of surrounding double quotes is removed.
 *
 *	form_basic_auth() takes the user and password out of an
 *	"Authorization: Basic ..." header (RFC 7617).
 *
 *	Values are kept as given apart from decoding: they are checked for
 *	UTF-8 and meaning by the caller, who knows what the field is.
 * LIMITS
 *	FORM_FIELDS_MAX	fields (or cookies) kept from one source
 *	FORM_NAME_MAX	bytes of a field name
 *	FORM_VALUE_MAX	bytes of one decoded value
 * MEMORY
 *	struct form owns its names and values; form_free() wipes the values
 *	(they may hold passwords) and releases them. *why_r is allocated;
 *	the caller frees it.
 */
#ifndef POPSTORE_FORM_H
#define POPSTORE_FORM_H

#include <stddef.h>

struct buf;

#define FORM_FIELDS_MAX	512
#define FORM_NAME_MAX	64
#define FORM_VALUE_MAX	(64 * 1024)

struct form_field {
	char	*name;
	char	*value;		/* NUL-terminated, no NUL inside */
	size_t	 len;
};

struct form {
	struct form_field *v;
	size_t	 n, cap;
};

#define FORM_INIT { NULL, 0, 0 }

/*
 * Add the fields of urlencoded text s[0..len) to f. 0, or -1 with
 * *why_r (f then holds the fields before the bad one).
 */
int form_parse(struct form *f, const char *s, size_t len, char **why_r);

/* Add the cookies of a Cookie header value s[0..len) to f. Never fails. */
void form_parse_cookies(struct form *f, const char *s, size_t len);

/* The first value of name, or NULL. */
const char *form_get(const struct form *f, const char *name);

/* The n-th (0-based) value of name, or NULL. */
const char *form_get_nth(const struct form *f, const char *name, size_t n);

/* Wipe the values and release everything; f is empty afterwards. */
void form_free(struct form *f);

/*
 * %XX-decode s[0..len), '+' as a space when plus is set, appending to
 * out. -1 (out holding part of the result) for a malformed escape or
 * an escaped NUL.
 */
int form_decode(const char *s, size_t len, int plus, struct buf *out);

/*
 * The credentials of an Authorization header value: 1 with user and
 * password appended, 0 when the scheme is not Basic, -1 when it is
 * malformed (bad base64, no ':', a NUL, a control character in the
 * user name, either part too long). The caller wipes pass.
 */
int form_basic_auth(const char *header, struct buf *user, struct buf *pass);

#endif
