/*
 * profile - fuzz the account profile readers (lib/kvfile.c, lib/acct.c).
 *
 * The input's first part is the text of the profile file of the scratch
 * store's account "fz" (fuzzstore.h), the second (optional) its usage
 * log. Each input starts from the profile and usage acct_create() and
 * delivery wrote.
 *
 * Checked: kvfile text that parses formats to text that parses to the
 * same fields (and formats identically again); a profile acct_load()
 * accepts survives acct_save() and loads back field for field; the usage
 * log reads as a record or as zeros, and what usage_write() writes reads
 * back; reconstruct of the account then leaves it clean for a second,
 * check-only pass.
 */
#include <errno.h>

#include "fuzzstore.h"
#include "kvfile.h"
#include "recon.h"

static struct buf orig_profile = BUF_INIT, orig_usage = BUF_INIT;
static struct buf profile_path = BUF_INIT, usage_path = BUF_INIT;

static void
setup(void)
{
	store_profile_dir(fuzz_store(), "fz", &profile_path);
	buf_printf(&usage_path, "%s/usage", profile_path.data);
	buf_puts(&profile_path, "/profile");
	fuzz_read(profile_path.data, &orig_profile);
	fuzz_read(usage_path.data, &orig_usage);
}

static void
kv_roundtrip(const uint8_t *p, size_t len)
{
	struct kvfile kv, kv2;
	struct buf t1 = BUF_INIT, t2 = BUF_INIT;
	size_t i;

	if (kvfile_parse((const char *)p, len, "profile", &kv, NULL) < 0)
		return;
	kvfile_format(&kv, &t1);
	if (kvfile_parse(t1.data, t1.len, "profile", &kv2, NULL) < 0 ||
	    kv2.n != kv.n || kv2.version != kv.version)
		abort();
	for (i = 0; i < kv.n; i++)
		if (strcmp(kv.keys[i], kv2.keys[i]) != 0 ||
		    strcmp(kv.values[i], kv2.values[i]) != 0)
			abort();
	kvfile_format(&kv2, &t2);
	if (t1.len != t2.len || memcmp(t1.data, t2.data, t1.len) != 0)
		abort();
	kvfile_free(&kv);
	kvfile_free(&kv2);
	buf_free(&t1);
	buf_free(&t2);
}

static int
same_acct(const struct acct *a, const struct acct *b)
{
	return strcmp(a->name, b->name) == 0 && a->flags == b->flags &&
	    a->type == b->type && strcmp(a->password, b->password) == 0 &&
	    strcmp(a->secret, b->secret) == 0 &&
	    strcmp(a->owner, b->owner) == 0 &&
	    strcmp(a->private_data, b->private_data) == 0 &&
	    strcmp(a->group, b->group) == 0 &&
	    strcmp(a->partition, b->partition) == 0 &&
	    strcmp(a->backend, b->backend) == 0 && a->quota == b->quota &&
	    a->overdraft == b->overdraft && a->created == b->created &&
	    a->password_changed == b->password_changed;
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
	struct store *s = fuzz_store();
	struct fuzz_part parts[2];
	struct acct a, b;
	struct usage u, u2;
	struct recon rc = { 0 };
	char *why = NULL;
	size_t n;
	int r;

	if (orig_profile.len == 0)
		setup();
	n = fuzz_split(data, size, parts, 2);
	fuzz_write(profile_path.data, parts[0].p, parts[0].len);
	if (n > 1)
		fuzz_write(usage_path.data, parts[1].p, parts[1].len);
	else
		fuzz_write(usage_path.data, orig_usage.data, orig_usage.len);
	kv_roundtrip(parts[0].p, parts[0].len);

	r = acct_load(s, "fz", &a, &why);
	if (r < 0 && why == NULL)
		abort();
	free(why);
	why = NULL;
	if (r == 1) {
		if (acct_save(s, &a, &why) == 0) {
			if (acct_load(s, "fz", &b, NULL) != 1 || !same_acct(&a, &b))
				abort();
		}
		free(why);
		why = NULL;
	}

	r = usage_read(s, "fz", &u, NULL);
	if (r < 0)
		abort();
	u.seq++;
	if (usage_write(s, "fz", &u, NULL) == 0) {
		if (usage_read(s, "fz", &u2, NULL) != 1 ||
		    u2.message_count != u.message_count ||
		    u2.quota_used != u.quota_used ||
		    u2.last_billing != u.last_billing)
			abort();
	}

	if (r >= 0 && acct_load(s, "fz", &a, NULL) == 1) {
		rc.report = report;
		if (recon_account(s, "fz", &rc, &why) == 0) {
			memset(&rc, 0, sizeof(rc));
			rc.report = report;
			rc.check_only = 1;
			if (recon_account(s, "fz", &rc, &why) < 0 ||
			    rc.problems != 0) {
				fprintf(stderr, "profile: not clean after "
				    "reconstruct: %s\n", why ? why : "");
				abort();
			}
		}
		free(why);
	}
	fuzz_write(profile_path.data, orig_profile.data, orig_profile.len);
	return 0;
}
