/* acl - folder access control lists (RFC 4314); see acl.h. */
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "buf.h"
#include "file.h"
#include "mem.h"

int
acl_parse_rights(const char *s, unsigned *rights_r)
{
	unsigned r = 0;
	const char *p;

	for (; *s; s++) {
		if (*s == 'c')
			r |= ACL_K | ACL_X;
		else if (*s == 'd')
			r |= ACL_T | ACL_E;
		else if ((p = strchr(ACL_RIGHTS, *s)) != NULL && *s)
			r |= 1U << (p - ACL_RIGHTS);
		else
			return -1;
	}
	*rights_r = r;
	return 0;
}

void
acl_format_rights(unsigned rights, struct buf *out)
{
	int i;

	for (i = 0; ACL_RIGHTS[i]; i++)
		if (rights & (1U << i))
			buf_putc(out, ACL_RIGHTS[i]);
}

int
acl_walk(const char *acl, int (*fn)(const char *, const char *, void *),
    void *ctx)
{
	struct buf id = BUF_INIT, rights = BUF_INIT;
	const char *p = acl ? acl : "";
	size_t n;
	int rc = 0;

	while (rc == 0 && *p) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n == 0)
			break;
		buf_reset(&id);
		buf_append(&id, p, n);
		p += n;
		p += strspn(p, " ");
		n = strcspn(p, " ");
		buf_reset(&rights);
		buf_append(&rights, p, n);
		p += n;
		rc = fn(id.data, buf_cstr(&rights), ctx);
	}
	buf_free(&id);
	buf_free(&rights);
	return rc;
}

struct rights_ctx {
	const char	*identity;
	unsigned	 pos, neg;
};

static int
add_entry(const char *ident, const char *letters, void *vctx)
{
	struct rights_ctx *c = vctx;
	int negative = ident[0] == '-';
	const char *who = ident + negative;
	unsigned r;

	if (strcmp(who, "anyone") != 0 && strcmp(who, c->identity) != 0)
		return 0;
	if (acl_parse_rights(letters, &r) < 0)
		return 0;	/* a damaged entry grants nothing */
	if (negative)
		c->neg |= r;
	else
		c->pos |= r;
	return 0;
}

unsigned
acl_rights(const char *acl, const char *owner, const char *identity)
{
	struct rights_ctx c = { identity, 0, 0 };

	if (owner && *owner && strcmp(owner, identity) == 0)
		return ACL_ALL;
	acl_walk(acl, add_entry, &c);
	return c.pos & ~c.neg;
}

struct modify_ctx {
	const char	*identity;
	struct buf	 out;
	unsigned	 old;
};

static int
keep_others(const char *ident, const char *letters, void *vctx)
{
	struct modify_ctx *c = vctx;

	if (strcmp(ident, c->identity) == 0) {
		(void)acl_parse_rights(letters, &c->old);
		return 0;
	}
	if (c->out.len)
		buf_putc(&c->out, ' ');
	buf_printf(&c->out, "%s %s", ident, letters);
	return 0;
}

static int
ident_ok(const char *id)
{
	const unsigned char *p = (const unsigned char *)id;

	if (*p == '-')
		p++;
	if (*p == '\0' || strlen(id) > 80)
		return 0;
	for (; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return 0;
	return 1;
}

int
acl_modify(char **acl, const char *identity, const char *rights,
    char **why_r)
{
	struct modify_ctx c = { identity, BUF_INIT, 0 };
	unsigned r, result;
	int mode = 0;

	if (!ident_ok(identity))
		return file_whyf(why_r, "bad identifier");
	if (*rights == '+' || *rights == '-')
		mode = *rights++;
	if (acl_parse_rights(rights, &r) < 0)
		return file_whyf(why_r, "unknown right in \"%s\"", rights);
	acl_walk(*acl, keep_others, &c);
	result = mode == '+' ? c.old | r : mode == '-' ? c.old & ~r : r;
	if (result) {
		if (c.out.len)
			buf_putc(&c.out, ' ');
		buf_printf(&c.out, "%s ", identity);
		acl_format_rights(result, &c.out);
	}
	if (c.out.len > ACL_TEXT_MAX) {
		buf_free(&c.out);
		return file_whyf(why_r, "ACL too long");
	}
	free(*acl);
	*acl = buf_steal(&c.out);
	return 0;
}
