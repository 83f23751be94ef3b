/*
 * sortkeys - fuzz the reader of a folder's sort-key file (lib/sort.c,
 * popstore(5)).
 *
 * The scratch store (fuzzstore.h) has an INBOX with three messages. The
 * input is the folder's sortkeys file; a new session then sorts every
 * message by each criterion that takes keys from the cache, alone, in
 * reverse and after another. The seed corpus holds files the sorts
 * wrote, with and without ranks.
 *
 * Checked: every sort succeeds and lists each message exactly once,
 * whatever the file holds (a file that fails a check is ignored and
 * replaced; one that passes every check, CRC included, is trusted and
 * may only change the order).
 */
#include <sys/stat.h>

#include "folder.h"
#include "fuzzstore.h"
#include "search.h"
#include "sort.h"

static struct buf keys = BUF_INIT;
static struct acct fz_acct;

static void
setup(void)
{
	struct buf dir = BUF_INIT;

	if (acct_load(fuzz_store(), "fz", &fz_acct, NULL) != 1 ||
	    mbox_dir(fuzz_store(), &fz_acct, MBOX_INBOX_ID, &dir) < 0)
		abort();
	buf_printf(&keys, "%s/sortkeys", dir.data);
	buf_free(&dir);
}

/* Sort all messages by crit; each must appear once. */
static void
check_sort(struct folder *f, int key, int reverse, int then)
{
	struct sort_crit crit[2];
	struct search_env env;
	struct search_result res;
	struct search_node *all = search_new_simple("ALL");
	uint32_t n = folder_count(f), seen = 0;
	size_t ncrit = 1, i;
	char *why = NULL;

	memset(&env, 0, sizeof(env));
	memset(&res, 0, sizeof(res));
	env.folder = f;
	crit[0].key = key;
	crit[0].reverse = reverse;
	if (then) {
		crit[1].key = then;
		crit[1].reverse = !reverse;
		ncrit = 2;
	}
	if (all == NULL || n > 32 ||
	    sort_run(&env, all, crit, ncrit, &res, &why) != 0 || res.n != n)
		abort();
	for (i = 0; i < res.n; i++) {
		if (res.pos[i] >= n || (seen & (1U << res.pos[i])) ||
		    res.seq[i] != res.pos[i] + 1)
			abort();
		seen |= 1U << res.pos[i];
	}
	search_result_free(&res);
	search_free(all);
	free(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int keys_of_cache[] = { SORT_SUBJECT, SORT_FROM,
	    SORT_TO, SORT_CC, SORT_DISPLAYFROM, SORT_DISPLAYTO, SORT_DATE };
	struct folder *f = NULL;
	char *why = NULL;
	size_t i;

	if (keys.len == 0)
		setup();
	fuzz_write(keys.data, data, size);
	if (folder_open_id(fuzz_store(), &fz_acct, MBOX_INBOX_ID, 0, &f,
	    &why) != 1)
		abort();
	for (i = 0; i < sizeof(keys_of_cache) / sizeof(keys_of_cache[0]);
	    i++) {
		check_sort(f, keys_of_cache[i], 0, 0);
		check_sort(f, keys_of_cache[i], 1, SORT_SUBJECT);
	}
	folder_close(f);
	/* what the sorts wrote is read back by the next session */
	if (folder_open_id(fuzz_store(), &fz_acct, MBOX_INBOX_ID, 0, &f,
	    &why) != 1)
		abort();
	check_sort(f, SORT_DATE, 0, SORT_FROM);
	folder_close(f);
	free(why);
	return 0;
}
