/*
 * index - fuzz the folder readers (lib/folder.c, lib/folderfmt.c) and
 * reconstruct's folder repair (lib/recon.c) with damaged folder files.
 *
 * The scratch store (fuzzstore.h) has an INBOX with three messages. The
 * input's parts replace, in order, the folder's index, state, cache.G
 * (the cache file the index header names), expunged and keywords files;
 * absent parts leave the file as delivery wrote it. Each input starts
 * from the delivered folder again.
 *
 * Checked: a session opens the folder or refuses it, and reads every
 * record, its cache payload, UIDL and keywords without harm (damaged
 * records are errors, never served); after recon_folder() repairs the
 * folder a second, check-only pass reports nothing, every record reads
 * back with its cache, and no more messages are indexed than there are
 * message files.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "folder.h"
#include "fuzzstore.h"
#include "recon.h"

#define SNAP_MAX	32

struct snap {
	char	*name;
	struct buf data;
};

static struct snap snap[SNAP_MAX];
static size_t nsnap;
static struct buf dir = BUF_INIT;
static struct acct fz_acct;
static char cache_name[300];

static void
path_of(const char *name, struct buf *out)
{
	buf_reset(out);
	buf_printf(out, "%s/%s", dir.data, name);
}

static void
setup(void)
{
	struct buf p = BUF_INIT;
	struct dirent *de;
	DIR *d;

	if (acct_load(fuzz_store(), "fz", &fz_acct, NULL) != 1 ||
	    mbox_dir(fuzz_store(), &fz_acct, MBOX_INBOX_ID, &dir) < 0)
		abort();
	if ((d = opendir(dir.data)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || nsnap == SNAP_MAX)
			continue;
		snap[nsnap].name = strdup(de->d_name);
		path_of(de->d_name, &p);
		fuzz_read(p.data, &snap[nsnap].data);
		if (strncmp(de->d_name, "cache.", 6) == 0)
			snprintf(cache_name, sizeof(cache_name), "%s",
			    de->d_name);
		nsnap++;
	}
	closedir(d);
	buf_free(&p);
	if (cache_name[0] == '\0')
		abort();
}

/* Put the folder back as delivery left it. */
static void
restore(void)
{
	struct buf p = BUF_INIT;
	struct dirent *de;
	size_t i;
	DIR *d;

	if ((d = opendir(dir.data)) == NULL)
		abort();
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		for (i = 0; i < nsnap; i++)
			if (strcmp(snap[i].name, de->d_name) == 0)
				break;
		if (i == nsnap) {
			path_of(de->d_name, &p);
			unlink(p.data);
		}
	}
	closedir(d);
	for (i = 0; i < nsnap; i++) {
		path_of(snap[i].name, &p);
		unlink(p.data);		/* a fresh inode: no shared links */
		fuzz_write(p.data, snap[i].data.data, snap[i].data.len);
	}
	buf_free(&p);
}

static void
note_uid(uint32_t uid, void *ctx)
{
	(void)uid;
	(void)ctx;
}

/*
 * Read everything a session reads. With strict, every record and cache
 * payload must be readable; returns the message count.
 */
static uint32_t
session(int strict)
{
	struct buf out = BUF_INIT;
	struct folder *f = NULL;
	struct msgrec r;
	uint32_t n, seq, found;
	unsigned bit;
	int complete, rc;
	char *why = NULL;

	rc = folder_open_id(fuzz_store(), &fz_acct, MBOX_INBOX_ID, FOLDER_RDONLY,
	    &f, &why);
	free(why);
	why = NULL;
	if (rc != 1) {
		if (strict)
			abort();
		return 0;
	}
	n = folder_count(f);
	if (strict && n > 3)
		abort();
	for (seq = 0; seq < n && seq < 4096; seq++) {
		rc = folder_record(f, seq, &r, &why);
		free(why);
		why = NULL;
		if (rc != 1) {
			if (strict)
				abort();
			continue;
		}
		buf_reset(&out);
		rc = folder_cache(f, &r, &out, &why);
		free(why);
		why = NULL;
		if (strict && rc != 1)
			abort();
		buf_reset(&out);
		folder_uidl(f, &r, &out);
		if (folder_find_uid(f, r.uid, &found, NULL) == 1 &&
		    strict && found != seq)
			abort();
	}
	if (folder_record(f, n, &r, NULL) == 1)
		abort();
	for (bit = 0; bit < FOLDER_KEYWORDS_MAX + 2; bit++)
		(void)folder_keyword_name(f, bit);
	folder_expunged_since(f, 0, note_uid, NULL, &complete, &why);
	free(why);
	buf_free(&out);
	folder_close(f);
	return n;
}

static void
report(void *ctx, const char *where, const char *what)
{
	(void)ctx;
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "recon: %s: %s\n", where, what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = {
		"index", "state", NULL, "expunged", "keywords"
	};
	struct fuzz_part parts[5];
	struct recon rc = { 0 };
	struct buf p = BUF_INIT;
	size_t n, i;
	char *why = NULL;

	if (nsnap == 0)
		setup();
	restore();
	n = fuzz_split(data, size, parts, 5);
	for (i = 0; i < n; i++) {
		path_of(files[i] ? files[i] : cache_name, &p);
		fuzz_write(p.data, parts[i].p, parts[i].len);
	}
	session(0);

	rc.report = report;
	if (recon_folder(fuzz_store(), &fz_acct, MBOX_INBOX_ID, &rc, NULL, NULL,
	    &why) < 0) {
		/* a folder reconstruct cannot repair must say why */
		if (why == NULL)
			abort();
		free(why);
		buf_free(&p);
		return 0;
	}
	memset(&rc, 0, sizeof(rc));
	rc.report = report;
	rc.check_only = 1;
	if (recon_folder(fuzz_store(), &fz_acct, MBOX_INBOX_ID, &rc, NULL, NULL,
	    &why) < 0 || rc.problems != 0) {
		fprintf(stderr, "index: not clean after reconstruct: %s, "
		    "%lu problems\n", why ? why : "", rc.problems);
		abort();
	}
	session(1);
	buf_free(&p);
	return 0;
}
