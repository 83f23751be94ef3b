/*
 * msglist - one folder's messages as a page lists them: newest first,
 * a page at a time (work proportional to what is shown), sender and
 * subject from the cache (msgsum.h).
 */
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "cgi.h"
#include "folder.h"
#include "log.h"
#include "mem.h"
#include "msgsum.h"
#include "num.h"
#include "tmpl.h"

static void
add_message(struct folder *f, const struct msgrec *r, struct tmpl_data *d)
{
	struct tmpl_data *it = tmpl_add(d, "messages");
	struct buf hdr = BUF_INIT, from = BUF_INIT, subject = BUF_INIT;

	msgsum_fields(f, r, &hdr);
	msgsum_text(hdr.data, hdr.len, "From", &from);
	msgsum_text(hdr.data, hdr.len, "Subject", &subject);
	tmpl_setf(it, "uid", "%u", (unsigned)r->uid);
	tmpl_set(it, "from", from.data ? from.data : "");
	tmpl_set(it, "subject", subject.len ? subject.data : "(no subject)");
	fmt_set_size(it, "size", r->size);
	fmt_set_time(it, "date", r->internaldate);
	tmpl_set_bool(it, "seen", (r->flags & MSG_SEEN) != 0);
	tmpl_set_bool(it, "deleted", (r->flags & MSG_DELETED) != 0);
	buf_free(&hdr);
	buf_free(&from);
	buf_free(&subject);
}

int
msglist_folder(struct web *w, const struct acct *a, uint32_t id,
    uint32_t start, uint32_t max, struct tmpl_data *d)
{
	struct folder *f = NULL;
	struct msgrec r;
	char *why = NULL;
	uint32_t n, k;
	int rc = folder_open_id(w->store, a, id, FOLDER_RDONLY, &f, &why);

	if (rc < 0) {
		web_log(w, LOG_ERR, "folder_unreadable", "account", a->name,
		    "reason", why);
		free(why);
		web_error(w, 503, "The messages cannot be read now.");
	}
	if (rc == 0)
		return 0;
	n = folder_count(f);
	tmpl_set(d, "folder", folder_name(f));
	tmpl_setf(d, "folder_id", "%u", (unsigned)id);
	tmpl_setf(d, "uidvalidity", "%u", (unsigned)folder_state(f)->uidvalidity);
	tmpl_setf(d, "total", "%u", (unsigned)n);
	for (k = start; k < n && k - start < max; k++)
		if (folder_record(f, n - 1 - k, &r, NULL) == 1)
			add_message(f, &r, d);
	if (k < n)
		tmpl_setf(d, "more", "%u", (unsigned)k);
	if (start > 0)
		tmpl_setf(d, "prev", "%u", (unsigned)(start > max ? start - max :
		    0));
	tmpl_set_bool(d, "earlier", start > 0);
	folder_close(f);
	return 0;
}

size_t
msglist_uids(struct web *w, uint32_t **uids_r)
{
	uint32_t *v = mem_alloc(WEB_LIST_MAX, sizeof(*v));
	const char *s;
	uint64_t u;
	size_t i, n = 0;

	for (i = 0; i < WEB_LIST_MAX &&
	    (s = form_get_nth(&w->form, "uid", i)) != NULL; i++)
		if (num_parse_u64(s, UINT32_MAX, &u) == 0 && u > 0)
			v[n++] = (uint32_t)u;
	*uids_r = v;
	return n;
}
