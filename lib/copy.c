/* copy - copy messages by hard link; see copy.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "buf.h"
#include "copy.h"
#include "file.h"
#include "folder.h"
#include "store.h"

struct copyjob {
	struct store	*s;
	struct folder	*src, *dst;
	const struct acct *acct;
	uint32_t	*newuids;
	size_t		 linked;
	size_t		 appended;
	int		 copied;	/* a file was copied (needs its data synced) */
};

/* Copy the file at from to the target partition's tmp, then link it. */
static int
copy_across(struct copyjob *j, const char *from, const char *to, char **why_r)
{
	struct buf tmp = BUF_INIT;
	char data[65536];
	struct timespec ts;
	ssize_t n;
	int in = -1, out = -1, rc = -1;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (store_tmp_dir(j->s, j->acct->partition, &tmp) < 0) {
		file_whyf(why_r, "partition %s is not configured",
		    j->acct->partition);
		goto done;
	}
	buf_printf(&tmp, "/copy.%lld.%09ld.%ld", (long long)ts.tv_sec,
	    ts.tv_nsec, (long)getpid());
	if ((in = file_open(from, O_RDONLY, 0)) < 0 ||
	    (out = file_open(tmp.data, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
		file_why(why_r, in < 0 ? from : tmp.data);
		goto done;
	}
	while ((n = read(in, data, sizeof(data))) > 0)
		if (write(out, data, (size_t)n) != n)
			break;
	if (n != 0 || fsync(out) < 0 || link(tmp.data, to) < 0) {
		file_why(why_r, to);
		goto done;
	}
	j->copied = 1;
	rc = 0;
done:
	if (in >= 0)
		close(in);
	if (out >= 0) {
		close(out);
		(void)unlink(tmp.data);
	}
	buf_free(&tmp);
	return rc;
}

/* Link every source file as the next free UID of the target. */
static int
link_all(struct copyjob *j, const uint32_t *uids, size_t n, char **why_r)
{
	struct buf from = BUF_INIT, to = BUF_INIT;
	uint32_t next = folder_uidnext(j->dst);
	int rc = 0;

	for (j->linked = 0; j->linked < n && rc == 0; next++) {
		buf_reset(&from);
		buf_reset(&to);
		buf_printf(&from, "%s/%u.eml", folder_dir(j->src), uids[j->linked]);
		buf_printf(&to, "%s/%u.eml", folder_dir(j->dst), next);
		if (next == 0) {
			errno = EOVERFLOW;
			rc = file_whyf(why_r, "UIDs exhausted");
		} else if (link(from.data, to.data) == 0 ||
		    (errno == EXDEV && copy_across(j, from.data, to.data,
		    why_r) == 0)) {
			j->newuids[j->linked++] = next;
		} else if (errno != EEXIST) {
			/* EEXIST: a file of an unfinished delivery; skip it. */
			rc = file_why(why_r, from.data);
		}
	}
	buf_free(&from);
	buf_free(&to);
	return rc;
}

/* Remove the links from index `from` on (their records were not written). */
static void
unlink_from(struct copyjob *j, size_t from)
{
	struct buf p = BUF_INIT;
	size_t i;

	for (i = from; i < j->linked; i++) {
		buf_reset(&p);
		buf_printf(&p, "%s/%u.eml", folder_dir(j->dst), j->newuids[i]);
		(void)unlink(p.data);
	}
	buf_free(&p);
}

static int
map_keywords(struct copyjob *j, uint64_t kw, uint64_t *out_r, char **why_r)
{
	const char *name;
	unsigned bit;
	int d;

	*out_r = 0;
	for (bit = 0; bit < FOLDER_KEYWORDS_MAX; bit++) {
		if (!(kw & ((uint64_t)1 << bit)) ||
		    (name = folder_keyword_name(j->src, bit)) == NULL)
			continue;
		if ((d = folder_keyword_bit(j->dst, name, 1, why_r)) < 0)
			return -1;
		*out_r |= (uint64_t)1 << d;
	}
	return 0;
}

static int
append_all(struct copyjob *j, const uint32_t *uids, const uint32_t *flags,
    size_t n, uint64_t *bytes_r, char **why_r)
{
	struct buf payload = BUF_INIT;
	struct msgrec r;
	uint32_t seq;
	size_t i;
	int rc = 0;

	*bytes_r = 0;
	for (i = 0; i < n && rc == 0; i++, j->appended += rc == 0) {
		buf_reset(&payload);
		if (folder_find_uid(j->src, uids[i], &seq, why_r) <= 0 ||
		    folder_record(j->src, seq, &r, why_r) <= 0 ||
		    folder_cache(j->src, &r, &payload, why_r) < 0 ||
		    map_keywords(j, r.keywords, &r.keywords, why_r) < 0) {
			if (errno == 0)
				errno = ENOENT;
			rc = -1;
			break;
		}
		if (flags)
			r.flags = (r.flags & ~MSG_SYSFLAGS) | (flags[i] & MSG_SYSFLAGS);
		r.uid = j->newuids[i];
		r.savedate = 0;
		rc = folder_append_record(j->dst, &r, payload.data, payload.len,
		    why_r);
		if (rc == 0)
			*bytes_r += r.size;
	}
	buf_free(&payload);
	return rc;
}

struct added {
	uint64_t n, bytes;
};

static int
add_usage(struct usage *u, void *ctx)
{
	const struct added *a = ctx;

	u->message_count += a->n;
	u->quota_used += a->bytes;
	return 0;
}

int
copy_messages(struct store *s, struct folder *src, const uint32_t *uids,
    const uint32_t *flags, size_t n, const struct acct *dst, uint32_t dst_id,
    uint32_t *newuids_r, uint32_t *uidvalidity_r, char **why_r)
{
	struct copyjob j;
	struct added add = { n, 0 };
	int rc = -1, r;

	memset(&j, 0, sizeof(j));
	j.s = s;
	j.src = src;
	j.acct = dst;
	j.newuids = newuids_r;
	r = folder_open_id(s, dst, dst_id, 0, &j.dst, why_r);
	if (r <= 0) {
		if (r == 0) {
			errno = ENOENT;
			file_whyf(why_r, "no such folder");
		}
		return -1;
	}
	if (folder_lock(j.dst, why_r) < 0)
		goto out;
	if (link_all(&j, uids, n, why_r) < 0 ||
	    file_fsync_dir(folder_dir(j.dst)) < 0 ||
	    (j.copied && file_syncfs(folder_dir(j.dst)) < 0)) {
		if (why_r && *why_r == NULL)
			file_why(why_r, folder_dir(j.dst));
		unlink_from(&j, 0);
		goto unlock;
	}
	if (append_all(&j, uids, flags, n, &add.bytes, why_r) < 0) {
		/* Records already written stay (with their files): the copy
		 * is partial but consistent, as after a crash. */
		unlink_from(&j, j.appended);
		add.n = j.appended;
		(void)folder_sync(j.dst, NULL);
		(void)usage_update(s, dst->name, add_usage, &add, 1, NULL);
		goto unlock;
	}
	if (folder_sync(j.dst, why_r) < 0)
		goto unlock;
	/* Counters are derived data: on failure reconstruct recounts. */
	(void)usage_update(s, dst->name, add_usage, &add, 1, NULL);
	*uidvalidity_r = folder_state(j.dst)->uidvalidity;
	rc = 0;
unlock:
	folder_unlock(j.dst);
out:
	folder_close(j.dst);
	return rc;
}
