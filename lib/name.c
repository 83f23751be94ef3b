/* name - account names and naming styles; see name.h. */
#include <string.h>
#include <strings.h>

#include "acct.h"
#include "buf.h"
#include "conf.h"
#include "file.h"
#include "name.h"
#include "utf8.h"

static int
is_utf8_charset(const struct conf *c)
{
	return strcasecmp(c->username_charset, "UTF-8") == 0 ||
	    strcasecmp(c->username_charset, "UTF8") == 0;
}

static int
special(unsigned char c, const struct conf *conf)
{
	if (conf->subaddress_char[0] && c == (unsigned char)conf->subaddress_char[0])
		return 1;
	return strchr("()<>[]@,;:\\\"/%!", c) != NULL;
}

/* Append the folded local part, or return the problem. */
static const char *
fold_local(const struct conf *c, const char *in, size_t len, struct buf *out)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i, n;

	if (len == 0)
		return "empty name";
	if (len > ACCT_LOCAL_MAX)
		return "name longer than 32 characters";
	for (i = 0; i < len; i += n) {
		unsigned char ch = p[i];

		n = 1;
		if (ch >= 'A' && ch <= 'Z')
			ch = (unsigned char)(ch - 'A' + 'a');
		if (c->username_style == 1) {
			if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
			    ((ch == '.' || ch == '-' || ch == '_') && i > 0)))
				return "only letters, digits, '.', '-' and '_' "
				    "are allowed (USERNAME_STYLE=1)";
		} else if (ch < 0x80) {
			if (ch <= 0x20 || ch == 0x7f || special(ch, c))
				return "character not allowed in a name";
		} else if (c->username_style == 2) {
			return "8-bit characters need USERNAME_STYLE=3";
		} else if (is_utf8_charset(c)) {
			if ((n = utf8_decode(p + i, len - i, NULL)) == 0)
				return "name is not valid UTF-8";
			/* Latin-1 capitals U+00C0-U+00DE (not U+00D7). */
			if (n == 2 && p[i] == 0xc3 && p[i + 1] >= 0x80 &&
			    p[i + 1] <= 0x9e && p[i + 1] != 0x97) {
				buf_putc(out, 0xc3);
				buf_putc(out, p[i + 1] + 0x20);
				continue;
			}
			buf_append(out, p + i, n);
			continue;
		} else if (ch >= 0xc0 && ch <= 0xde && ch != 0xd7) {
			ch = (unsigned char)(ch + 0x20);
		} else if (ch < 0xa0) {
			return "control character in name";
		}
		buf_putc(out, ch);
	}
	return NULL;
}

static const char *
fold_domain(const char *in, size_t len, struct buf *out)
{
	size_t i;

	if (len == 0 || len > ACCT_DOMAIN_MAX)
		return "domain must be 1 to 40 characters";
	for (i = 0; i < len; i++) {
		char ch = in[i];

		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		    ch == '-' || (ch == '.' && i > 0 && i + 1 < len)))
			return "bad character in domain";
		buf_putc(out, ch);
	}
	return NULL;
}

int
name_canon(const struct conf *c, const char *domain, const char *input,
    struct buf *out, char **why_r)
{
	struct buf local = BUF_INIT, dom = BUF_INIT;
	const char *at = strrchr(input, '@'), *problem;
	size_t llen = at ? (size_t)(at - input) : strlen(input);
	int rc = -1;

	problem = fold_local(c, input, llen, &local);
	if (problem == NULL && c->use_domains) {
		if (at)
			problem = fold_domain(at + 1, strlen(at + 1), &dom);
		else if (domain && *domain)
			problem = fold_domain(domain, strlen(domain), &dom);
		if (problem == NULL && dom.len && *c->default_domain &&
		    strcasecmp(dom.data, c->default_domain) == 0)
			buf_reset(&dom);
	}
	if (problem) {
		file_whyf(why_r, "'%s': %s", input, problem);
		goto out;
	}
	buf_append(out, local.data, local.len);
	if (dom.len) {
		buf_putc(out, '@');
		buf_append(out, dom.data, dom.len);
	}
	rc = 0;
out:
	buf_free(&local);
	buf_free(&dom);
	return rc;
}

int
name_recipient(const struct conf *c, const char *address,
    struct buf *account, struct buf *detail, char **why_r)
{
	struct buf addr = BUF_INIT, local = BUF_INIT;
	const char *p = address, *at, *sep;
	size_t len = strlen(address);
	int rc;

	/* Strip one pair of angle brackets and an unquoted local part. */
	if (len >= 2 && p[0] == '<' && p[len - 1] == '>') {
		p++;
		len -= 2;
	}
	for (size_t i = 0; i < len; i++)
		if (p[i] != '"')
			buf_putc(&addr, p[i]);
	at = strrchr(buf_cstr(&addr), '@');
	buf_append(&local, buf_cstr(&addr),
	    at ? (size_t)(at - addr.data) : addr.len);
	sep = c->subaddress_char[0] ?
	    strchr(buf_cstr(&local), c->subaddress_char[0]) : NULL;
	if (sep) {
		buf_puts(detail, sep + 1);
		buf_truncate(&local, (size_t)(sep - local.data));
	}
	if (at && c->use_domains)
		buf_puts(&local, at);
	rc = name_canon(c, "", buf_cstr(&local), account, why_r);
	buf_free(&addr);
	buf_free(&local);
	return rc;
}

const char *
name_domain(const char *canon)
{
	const char *at = strchr(canon, '@');

	return at ? at + 1 : "";
}

int
name_is_reserved(const char *canon)
{
	size_t n = strcspn(canon, "@");

	return (n == 7 && strncmp(canon, "default", 7) == 0) ||
	    (n == 4 && strncmp(canon, "post", 4) == 0);
}

int
name_has_wildcards(const char *s)
{
	return strpbrk(s, "*%") != NULL;
}

int
name_match(const char *pat, const char *name)
{
	const char *star_p = NULL, *star_n = NULL;

	/* Iterative glob with one backtrack point: linear in practice,
	 * O(n*m) at worst, on names of at most 73 bytes. */
	while (*name) {
		if (*pat == '*') {
			star_p = ++pat;
			star_n = name;
		} else if (*pat == '%' || (*pat && (*pat | 0x20) == (*name | 0x20) &&
		    ((*pat | 0x20) >= 'a' && (*pat | 0x20) <= 'z')) ||
		    (*pat && *pat == *name)) {
			pat++;
			name++;
		} else if (star_p) {
			pat = star_p;
			name = ++star_n;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}
