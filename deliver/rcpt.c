/* rcpt - one recipient: name, forwarding, account, folder, quota. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "acct.h"
#include "acl.h"
#include "buf.h"
#include "conf.h"
#include "deliver.h"
#include "file.h"
#include "fwdmap.h"
#include "mboxlist.h"
#include "mem.h"
#include "name.h"

/* Lines of list that are not the name itself (a copy it keeps). */
static void
forward_targets(const struct conf *c, const char *list, const char *name,
    struct buf *out)
{
	struct buf one = BUF_INIT;
	const char *p = list;
	size_t len;

	while (*p) {
		len = strcspn(p, "\n");
		buf_reset(&one);
		buf_append(&one, p, len);
		if (len > 0 && !fwdmap_keeps_copy(c, one.data, name)) {
			buf_append(out, p, len);
			buf_putc(out, '\n');
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	buf_free(&one);
}

/* The folder for a subaddress detail: a postable folder of an IMAP
 * account with that name, else INBOX. */
static int
pick_folder(struct dctx *dc, struct rcpt *r, const char *detail, char **why_r)
{
	struct mboxlist l;
	const struct mbox *m;

	r->folder_id = MBOX_INBOX_ID;
	snprintf(r->folder, sizeof(r->folder), "INBOX");
	if (*detail == '\0' || r->acct.type != ACCT_IMAP || mbox_is_inbox(detail))
		return 0;
	if (mboxlist_load(dc->store, &r->acct, &l, why_r) < 0)
		return -1;
	m = mboxlist_find(&l, detail);
	if (m && (acl_rights(m->acl, r->acct.name, "anyone") & ACL_P)) {
		r->folder_id = m->id;
		snprintf(r->folder, sizeof(r->folder), "%s", m->name);
	}
	mboxlist_free(&l);
	return 0;
}

void
rcpt_check_quota(struct dctx *dc, struct rcpt *r, uint64_t size)
{
	struct usage u;
	char *why = NULL;

	if (!r->local || r->res.status != RS_OK)
		return;
	if (usage_read(dc->store, r->name, &u, &why) < 0) {
		result_from_errno(&r->res, errno, "usage", why);
		free(why);
		return;
	}
	if (acct_quota_allows(&r->acct, &u, size))
		return;
	if (dc->conf->reject_over_quota)
		result_set(&r->res, RS_PERM, 552, "5.2.2", EX_UNAVAILABLE,
		    "<%s>: mailbox full", r->addr);
	else
		result_set(&r->res, RS_TEMP, 452, "4.2.2", EX_TEMPFAIL,
		    "<%s>: mailbox full, try again later", r->addr);
}

/* The account part: exists, not DISMAIL, folder. 0 or -1 (res set). */
static int
resolve_account(struct dctx *dc, struct rcpt *r, const char *detail)
{
	char *why = NULL;
	int rc;

	rc = acct_load(dc->store, r->name, &r->acct, &why);
	acct_wipe(&r->acct);
	if (rc < 0) {
		result_from_errno(&r->res, errno, "account", why);
		free(why);
		return -1;
	}
	if (rc == 0) {
		if (r->forward) {	/* a forwarding naming an absent account */
			r->local = 0;
			return 0;
		}
		result_set(&r->res, RS_PERM, 550, "5.1.1", EX_NOUSER,
		    "<%s>: no such user", r->addr);
		return -1;
	}
	if (r->acct.flags & ACCT_DISMAIL) {
		result_set(&r->res, RS_PERM, 550, "5.2.1", EX_UNAVAILABLE,
		    "<%s>: mailbox disabled, not accepting messages", r->addr);
		return -1;
	}
	if (pick_folder(dc, r, detail, &why) < 0) {
		result_from_errno(&r->res, errno, "folder list", why);
		free(why);
		return -1;
	}
	return 0;
}

void
rcpt_resolve(struct dctx *dc, struct rcpt *r, const char *addr, uint64_t size)
{
	struct buf name = BUF_INIT, detail = BUF_INIT, to = BUF_INIT;
	char *why = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	r->addr = mem_strdup(addr);
	result_set(&r->res, RS_OK, 250, "2.1.5", 0, "<%s>: recipient ok", addr);
	if (!addr_ok(addr, strlen(addr)) ||
	    name_recipient(dc->conf, addr, &name, &detail, &why) < 0 ||
	    name.len > ACCT_NAME_MAX || name_is_reserved(name.data)) {
		result_set(&r->res, RS_PERM, 550, "5.1.1", EX_NOUSER,
		    "<%s>: no such user", addr);
		goto out;
	}
	memcpy(r->name, name.data, name.len + 1);
	rc = fwdmap_get(dc->store, r->name, &to, &why);
	if (rc < 0) {
		result_from_errno(&r->res, errno, "forwarding", why);
		goto out;
	}
	r->forward = rc == 1;
	r->local = !r->forward || fwdmap_keeps_copy(dc->conf, to.data, r->name);
	if (r->forward)
		forward_targets(dc->conf, to.data, r->name, &r->fwd_to);
	if (r->local && resolve_account(dc, r, detail.data ? detail.data : "") < 0)
		goto out;
	if (!r->local && r->fwd_to.len == 0) {
		result_set(&r->res, RS_PERM, 550, "5.1.1", EX_NOUSER,
		    "<%s>: no such user", addr);
		goto out;
	}
	rcpt_check_quota(dc, r, size);
out:
	free(why);
	buf_free(&name);
	buf_free(&detail);
	buf_free(&to);
}

void
rcpt_free(struct rcpt *r)
{
	free(r->addr);
	r->addr = NULL;
	buf_free(&r->fwd_to);
}
