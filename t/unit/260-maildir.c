/*
 * maildir and migrate: Maildir file names (table), UIDL validity, the
 * listing (order, flags, what is not a message), Status/X-Status flags,
 * X-UIDL, the UIDL set, and a mailbox message's legacy UIDL.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "buf.h"
#include "folder.h"
#include "maildir.h"
#include "mbox.h"
#include "migrate.h"
#include "lib/tap.h"

static const struct {
	const char	*name;
	int		 ok;
	size_t		 uniq_len;
	uint32_t	 flags;
} names[] = {
	{ "1400000000.M1P2.host", 0, 20, 0 },
	{ "1400000000.M1P2.host:2,", 0, 20, 0 },
	{ "1400000000.M1P2.host:2,S", 0, 20, MSG_SEEN },
	{ "u:2,DFPRST", 0, 1, MSG_DRAFT | MSG_FLAGGED | MSG_ANSWERED |
	    MSG_SEEN | MSG_DELETED },
	{ "u;2,RS", 0, 1, MSG_ANSWERED | MSG_SEEN },
	{ "u!2,F", 0, 1, MSG_FLAGGED },
	{ "u:2,Sab", 0, 1, MSG_SEEN },		/* keywords ignored */
	{ "u:1,S", 0, 1, 0 },			/* experimental info */
	{ "u:3,S", 0, 5, 0 },			/* not info: all unique */
	{ "a:b:2,S", 0, 3, MSG_SEEN },		/* first info separator */
	{ "u:2", 0, 3, 0 },			/* too short for info */
	{ "", -1, 0, 0 },
	{ ".", -1, 0, 0 },
	{ "..", -1, 0, 0 },
	{ ".hidden", -1, 0, 0 },
	{ ":2,S", -1, 0, 0 },			/* empty unique part */
	{ "a/b", -1, 0, 0 },
	{ "a\tb", -1, 0, 0 },
	{ "a\x7f", -1, 0, 0 },
};

static void
test_names(void)
{
	struct maildir_name n;
	char longname[MAILDIR_NAME_MAX + 2];
	size_t i;
	int rc;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++) {
		rc = maildir_name_parse(names[i].name, strlen(names[i].name), &n);
		tap_is_int(rc, names[i].ok, "parse \"%s\"", names[i].name);
		if (rc == 0) {
			tap_is_int((long long)n.uniq_len,
			    (long long)names[i].uniq_len, "  unique length");
			tap_is_int(n.flags, names[i].flags, "  flags");
		}
	}
	memset(longname, 'x', sizeof(longname));
	tap_is_int(maildir_name_parse(longname, MAILDIR_NAME_MAX, &n), 0,
	    "name of MAILDIR_NAME_MAX bytes");
	tap_is_int(maildir_name_parse(longname, MAILDIR_NAME_MAX + 1, &n), -1,
	    "one byte more");
	tap_is_int(maildir_name_parse("a\0b", 3, &n), -1, "NUL in a name");
	tap_is_int(maildir_uidl_ok("abc", 3), 1, "UIDL abc");
	tap_is_int(maildir_uidl_ok("a b", 3), 0, "UIDL with a space");
	tap_is_int(maildir_uidl_ok("", 0), 0, "empty UIDL");
	tap_is_int(maildir_uidl_ok(longname, 70), 1, "UIDL of 70 bytes");
	tap_is_int(maildir_uidl_ok(longname, 71), 0, "UIDL of 71 bytes");
}

static void
put(const char *dir, const char *name, const char *text, time_t mtime)
{
	struct buf p = BUF_INIT;
	struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };

	buf_printf(&p, "%s/%s", dir, name);
	tap_write_file(p.data, text);
	utimes(p.data, tv);
	buf_free(&p);
}

static void
test_list(void)
{
	struct buf md = BUF_INIT, sub = BUF_INIT, link = BUF_INIT;
	struct maildir_list l;
	char *why = NULL;
	int rc;

	buf_printf(&md, "%s/Maildir", tap_tmpdir());
	tap_is_int(maildir_list(md.data, &l, &why), 0, "no Maildir: 0");
	mkdir(md.data, 0700);
	buf_printf(&sub, "%s/new", md.data);
	mkdir(sub.data, 0700);
	buf_reset(&sub);
	buf_printf(&sub, "%s/cur", md.data);
	mkdir(sub.data, 0700);
	put(sub.data, "300.c.host:2,RS", "Subject: c\n\n", 300);
	put(sub.data, "100.a.host:2,F", "Subject: a\n\n", 100);
	put(sub.data, ".hidden", "x\n", 50);
	buf_printf(&link, "%s/200.link", sub.data);
	(void)symlink("/etc/passwd", link.data);
	buf_printf(&sub, "/../new");
	put(sub.data, "200.b.host", "Subject: b\n\n", 200);
	buf_printf(&sub, "/../new/subdir");
	mkdir(sub.data, 0700);
	rc = maildir_list(md.data, &l, &why);
	tap_is_int(rc, 1, "Maildir listed");
	tap_is_int((long long)l.n, 3, "three messages (no dot file, "
	    "symbolic link, directory)");
	if (l.n == 3) {
		tap_is_str(l.v[0].uniq, "100.a.host", "oldest first");
		tap_is_int(l.v[0].flags, MSG_FLAGGED, "  its flags");
		tap_is_str(l.v[1].uniq, "200.b.host", "then new/");
		tap_is_int(l.v[1].flags, 0, "  no flags in new/");
		tap_is_str(l.v[2].uniq, "300.c.host", "then the newest");
		tap_is_int(l.v[2].flags, MSG_SEEN | MSG_ANSWERED, "  its flags");
		tap_is_int(l.v[2].mtime, 300, "  its time");
		tap_is_int((long long)l.v[2].size, 12, "  its size");
	}
	maildir_list_free(&l);
	free(why);
	buf_free(&md);
	buf_free(&sub);
	buf_free(&link);
}

static void
test_headers(void)
{
	static const char h1[] = "Subject: x\nStatus: RO\nX-Status: AFTD\n\n";
	static const char h2[] = "Status: O\nX-UIDL:  abc-123 \n\n";
	static const char h3[] = "X-UIDL: has space\n\n";
	struct buf u = BUF_INIT;

	tap_is_int(migrate_status_flags(h1, strlen(h1)), MSG_SEEN |
	    MSG_ANSWERED | MSG_FLAGGED | MSG_DRAFT | MSG_DELETED,
	    "Status RO, X-Status AFTD");
	tap_is_int(migrate_status_flags(h2, strlen(h2)), 0, "Status O: unread");
	tap_is_int(migrate_status_flags("", 0), 0, "no header");
	tap_is_int(migrate_xuidl(h2, strlen(h2), &u), 1, "X-UIDL found");
	tap_is_str(buf_cstr(&u), "abc-123", "  trimmed");
	buf_reset(&u);
	tap_is_int(migrate_xuidl(h3, strlen(h3), &u), 0, "X-UIDL with a "
	    "space refused");
	tap_is_int((long long)u.len, 0, "  nothing appended");
	tap_is_int(migrate_xuidl(h1, strlen(h1), &u), 0, "no X-UIDL");
	buf_free(&u);
}

static void
test_uidls(void)
{
	struct migrate_uidls u;
	struct mbox_file *mb = NULL;
	struct buf path = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	char *why = NULL;
	unsigned i, found;

	memset(&u, 0, sizeof(u));
	migrate_uidls_add(&u, "b");
	migrate_uidls_add(&u, "a");
	tap_is_int(migrate_uidls_has(&u, "a"), 1, "set has a");
	tap_is_int(migrate_uidls_has(&u, "c"), 0, "set lacks c");
	migrate_uidls_add(&u, "c");
	tap_is_int(migrate_uidls_has(&u, "c"), 1, "c added after a lookup");
	migrate_uidls_free(&u);
	tap_is_int(migrate_uidls_has(&u, "a"), 0, "a freed set is empty");
	for (i = 0; i < 5000; i++) {
		buf_reset(&a);
		buf_printf(&a, "u%u", i * 7919u);
		migrate_uidls_add(&u, buf_cstr(&a));
	}
	for (i = 0, found = 0; i < 5000; i++) {
		buf_reset(&a);
		buf_printf(&a, "u%u", i * 7919u);
		found += migrate_uidls_has(&u, buf_cstr(&a));
	}
	tap_is_int((long long)found, 5000, "5000 added: all found (table grown)");
	tap_is_int(migrate_uidls_has(&u, "u1"), 0, "  and no other");
	tap_is_int((long long)u.n, 5000, "  in the order added");
	migrate_uidls_free(&u);
	buf_reset(&a);

	buf_printf(&path, "%s/mbox", tap_tmpdir());
	tap_write_file(path.data, "From a@b Mon Jan  5 10:00:00 2015\n"
	    "Subject: one\n\nbody\n\nFrom a@b Mon Jan  5 10:00:00 2015\n"
	    "Subject: two\n\nbody\n");
	if (mbox_open(path.data, MBOX_RDONLY, &mb, &why) == 1 &&
	    mbox_scan(mb, &why) == 0) {
		tap_is_int(migrate_mbox_uidl(mb, 0, &a, &why), 0, "UIDL 0");
		tap_is_int(migrate_mbox_uidl(mb, 1, &b, &why), 0, "UIDL 1");
		tap_ok(a.len > 16 && a.len <= MIGRATE_UIDL_MAX, "UIDL length %zu",
		    a.len);
		tap_ok(strcmp(buf_cstr(&a), buf_cstr(&b)) != 0,
		    "different headers, different UIDLs");
		buf_reset(&b);
		migrate_mbox_uidl(mb, 0, &b, &why);
		tap_is_str(buf_cstr(&b), buf_cstr(&a), "stable");
		tap_is_int(migrate_mbox_uidl(mb, 2, &b, &why), -1,
		    "no message 3");
	} else {
		tap_ok(0, "mbox: %s", why ? why : "?");
	}
	mbox_close(mb);
	free(why);
	buf_free(&path);
	buf_free(&a);
	buf_free(&b);
}

int
main(void)
{
	test_names();
	test_list();
	test_headers();
	test_uidls();
	return tap_done();
}
