/*
 * fwdmap - fuzz the forwarding map's file reader (lib/fwdmap.c,
 * lib/kvfile.c) and the database rebuilt from it (lib/mgmtdb.c).
 *
 * The input's parts are the forwarding files of the names "fz" and
 * "other" in the scratch store (fuzzstore.h). Checked: fwdmap_rebuild_db()
 * reads them and either fails with a reason or fills the database;
 * what fwdmap_get() then returns is at most FWDMAP_TO_MAX bytes without
 * NUL, walking the map visits each name once; a list that
 * fwdmap_set() accepts reads back unchanged and survives a second rebuild.
 */
#include <sys/stat.h>

#include "fuzzstore.h"
#include "fwdmap.h"

static const char *const names[] = { "fz", "other" };

struct seen {
	int n[2];
};

static int
visit(const char *name, const char *to, void *ctx)
{
	struct seen *s = ctx;
	size_t i;

	if (strlen(to) > FWDMAP_TO_MAX + 1)
		abort();
	for (i = 0; i < 2; i++)
		if (strcasecmp(name, names[i]) == 0)
			s->n[i]++;
	return 0;
}

/* mkdir -p of the directory of path. */
static void
parent_dirs(const char *path)
{
	char tmp[1024];
	size_t i;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (i = 1; tmp[i]; i++)
		if (tmp[i] == '/') {
			tmp[i] = '\0';
			mkdir(tmp, 0700);
			tmp[i] = '/';
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store *s = fuzz_store();
	struct fuzz_part parts[2];
	struct buf path = BUF_INIT, to = BUF_INIT, again = BUF_INIT;
	struct seen seen = { { 0, 0 } };
	char *why = NULL;
	size_t n, i;
	int rc;

	n = fuzz_split(data, size, parts, 2);
	for (i = 0; i < 2; i++) {
		buf_reset(&path);
		store_forward_path(s, names[i], &path);
		parent_dirs(path.data);
		if (i < n)
			fuzz_write(path.data, parts[i].p, parts[i].len);
		else
			unlink(path.data);
	}
	rc = fwdmap_rebuild_db(s, &why);
	if (rc < 0) {
		if (why == NULL)
			abort();
		free(why);
		goto out;
	}
	for (i = 0; i < 2; i++) {
		buf_reset(&to);
		rc = fwdmap_get(s, names[i], &to, NULL);
		if (rc < 0)
			abort();
		if (rc == 1 && (to.len > FWDMAP_TO_MAX + 1 ||
		    memchr(to.data, '\0', to.len) != NULL))
			abort();
		if (rc == 1 && i == 0) {
			/* what was read, set again, reads back the same */
			if (fwdmap_set(s, names[i], buf_cstr(&to), &why) == 0) {
				if (fwdmap_rebuild_db(s, NULL) < 0 ||
				    fwdmap_get(s, names[i], &again, NULL) != 1)
					abort();
			}
			free(why);
			why = NULL;
		}
	}
	if (fwdmap_walk(s, "", visit, &seen, NULL) < 0 ||
	    seen.n[0] > 1 || seen.n[1] > 1)
		abort();
out:
	buf_free(&path);
	buf_free(&to);
	buf_free(&again);
	return 0;
}
