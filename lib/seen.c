/* seen - per-user \Seen of shared folders; see seen.h. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fanout.h"
#include "file.h"
#include "folder.h"
#include "kvfile.h"
#include "mem.h"
#include "num.h"
#include "seen.h"

#define SEEN_FILE_MAX	(8 * 1024 * 1024)

/* Index of the first pair whose hi >= uid. */
static size_t
find(const struct seen_set *set, uint32_t uid)
{
	size_t lo = 0, hi = set->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (set->r[2 * mid + 1] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int
seen_set_has(const struct seen_set *set, uint32_t uid)
{
	size_t i = find(set, uid);

	return i < set->n && set->r[2 * i] <= uid;
}

static void
insert_pair(struct seen_set *set, size_t i, uint32_t lo, uint32_t hi)
{
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 16;
		set->r = mem_realloc(set->r, set->cap, 2 * sizeof(*set->r));
	}
	memmove(&set->r[2 * (i + 1)], &set->r[2 * i],
	    (set->n - i) * 2 * sizeof(*set->r));
	set->r[2 * i] = lo;
	set->r[2 * i + 1] = hi;
	set->n++;
}

static void
remove_pair(struct seen_set *set, size_t i)
{
	memmove(&set->r[2 * i], &set->r[2 * (i + 1)],
	    (set->n - i - 1) * 2 * sizeof(*set->r));
	set->n--;
}

void
seen_set_add(struct seen_set *set, uint32_t uid)
{
	size_t i = find(set, uid);

	if (uid == 0 || (i < set->n && set->r[2 * i] <= uid))
		return;
	if (i > 0 && set->r[2 * i - 1] == uid - 1) {
		set->r[2 * i - 1] = uid;
		if (i < set->n && set->r[2 * i] == uid + 1) {
			set->r[2 * i - 1] = set->r[2 * i + 1];
			remove_pair(set, i);
		}
	} else if (i < set->n && set->r[2 * i] == uid + 1) {
		set->r[2 * i] = uid;
	} else {
		insert_pair(set, i, uid, uid);
	}
}

void
seen_set_del(struct seen_set *set, uint32_t uid)
{
	size_t i = find(set, uid);
	uint32_t lo, hi;

	if (i >= set->n || set->r[2 * i] > uid)
		return;
	lo = set->r[2 * i];
	hi = set->r[2 * i + 1];
	if (lo == hi)
		remove_pair(set, i);
	else if (uid == lo)
		set->r[2 * i] = uid + 1;
	else if (uid == hi)
		set->r[2 * i + 1] = uid - 1;
	else {
		set->r[2 * i + 1] = uid - 1;
		insert_pair(set, i + 1, uid + 1, hi);
	}
}

static void
add_range(struct seen_set *set, uint32_t lo, uint32_t hi)
{
	size_t i;

	/* The common case, a file written by seen_set_format(): append. */
	if (set->n == 0 || set->r[2 * set->n - 1] + 1 < lo) {
		insert_pair(set, set->n, lo, hi);
		return;
	}
	for (i = lo; i <= hi && i != 0; i++)
		seen_set_add(set, (uint32_t)i);
}

int
seen_set_parse(struct seen_set *set, const char *text)
{
	const char *p = text, *end, *colon;
	uint64_t lo, hi;

	while (*p) {
		end = p + strcspn(p, ",");
		colon = memchr(p, ':', (size_t)(end - p));
		if (num_parse_u64n(p, (size_t)((colon ? colon : end) - p),
		    UINT32_MAX, &lo) < 0 || lo == 0)
			return -1;
		hi = lo;
		if (colon && (num_parse_u64n(colon + 1, (size_t)(end - colon - 1),
		    UINT32_MAX, &hi) < 0 || hi < lo))
			return -1;
		if (hi - lo > 100000000)
			return -1;
		add_range(set, (uint32_t)lo, (uint32_t)hi);
		p = *end ? end + 1 : end;
	}
	return 0;
}

void
seen_set_format(const struct seen_set *set, struct buf *out)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (i)
			buf_putc(out, ',');
		if (set->r[2 * i] == set->r[2 * i + 1])
			buf_printf(out, "%u", set->r[2 * i]);
		else
			buf_printf(out, "%u:%u", set->r[2 * i], set->r[2 * i + 1]);
	}
}

void
seen_set_free(struct seen_set *set)
{
	free(set->r);
	memset(set, 0, sizeof(*set));
}

static void
seen_path(struct folder *f, const char *user, struct buf *out)
{
	buf_printf(out, "%s/seen.", folder_dir(f));
	fanout_encode(user, out);
}

static int
read_set(struct folder *f, const char *user, struct seen_set *set,
    char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT;
	struct kvfile kv;
	const char *v;
	int rc;

	memset(set, 0, sizeof(*set));
	seen_path(f, user, &path);
	rc = file_read(path.data, SEEN_FILE_MAX, &text, why_r);
	if (rc == 1) {
		rc = -1;
		if (kvfile_parse(text.data, text.len, "seen", &kv, why_r) == 0) {
			v = kvfile_get(&kv, "uids");
			if (v == NULL || seen_set_parse(set, v) == 0)
				rc = 0;
			else
				file_whyf(why_r, "%s: bad UID set", path.data);
			kvfile_free(&kv);
		}
	}
	buf_free(&path);
	buf_free(&text);
	if (rc < 0)
		seen_set_free(set);
	return rc < 0 ? -1 : 0;
}

int
seen_load(struct folder *f, const char *user, struct seen *s, char **why_r)
{
	memset(s, 0, sizeof(*s));
	s->user = mem_strdup(user);
	if (read_set(f, user, &s->set, why_r) < 0) {
		seen_free(s);
		return -1;
	}
	return 0;
}

int
seen_has(const struct seen *s, uint32_t uid)
{
	return seen_set_has(&s->set, uid);
}

void
seen_mark(struct seen *s, uint32_t uid, int on)
{
	if (on) {
		seen_set_add(&s->set, uid);
		seen_set_add(&s->add, uid);
		seen_set_del(&s->del, uid);
	} else {
		seen_set_del(&s->set, uid);
		seen_set_del(&s->add, uid);
		seen_set_add(&s->del, uid);
	}
}

int
seen_dirty(const struct seen *s)
{
	return s->add.n > 0 || s->del.n > 0;
}

/* Apply the pending ranges of from to set (on: add, else remove). */
static void
apply(struct seen_set *set, const struct seen_set *from, int on)
{
	size_t i;
	uint32_t u;

	for (i = 0; i < from->n; i++)
		for (u = from->r[2 * i]; ; u++) {
			if (on)
				seen_set_add(set, u);
			else
				seen_set_del(set, u);
			if (u == from->r[2 * i + 1])
				break;
		}
}

/* Keep only UIDs that still exist (below UIDNEXT and in the view). */
static void
prune(struct folder *f, struct seen_set *set)
{
	uint32_t uidnext = folder_state(f)->uidnext;

	while (set->n > 0 && set->r[2 * set->n - 2] >= uidnext)
		set->n--;
	if (set->n > 0 && set->r[2 * set->n - 1] >= uidnext)
		set->r[2 * set->n - 1] = uidnext - 1;
}

int
seen_save(struct folder *f, struct seen *s, char **why_r)
{
	struct buf path = BUF_INIT, text = BUF_INIT, uids = BUF_INIT;
	struct seen_set cur;
	struct kvfile kv;
	int rc = -1;

	if (!seen_dirty(s))
		return 0;
	if (folder_lock(f, why_r) < 0)
		return -1;
	if (read_set(f, s->user, &cur, NULL) < 0)
		memset(&cur, 0, sizeof(cur));	/* damaged: start again */
	apply(&cur, &s->add, 1);
	apply(&cur, &s->del, 0);
	prune(f, &cur);
	seen_set_format(&cur, &uids);
	kvfile_init(&kv, "seen", 1);
	kvfile_set(&kv, "uids", uids.data ? uids.data : "");
	kvfile_format(&kv, &text);
	kvfile_free(&kv);
	seen_path(f, s->user, &path);
	if (file_write_atomic(path.data, text.data, text.len, 0600, 0,
	    why_r) == 0) {
		seen_set_free(&s->set);
		s->set = cur;
		memset(&cur, 0, sizeof(cur));
		seen_set_free(&s->add);
		seen_set_free(&s->del);
		rc = 0;
	}
	folder_unlock(f);
	seen_set_free(&cur);
	buf_free(&path);
	buf_free(&text);
	buf_free(&uids);
	return rc;
}

void
seen_free(struct seen *s)
{
	free(s->user);
	seen_set_free(&s->set);
	seen_set_free(&s->add);
	seen_set_free(&s->del);
	memset(s, 0, sizeof(*s));
}
