/*
 * deliver's store-independent parts: the LMTP engine fed a session in
 * every chunk size (the replies must not depend on how input arrives),
 * its data unstuffing, and the Delivered-To header scan in every split.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/tap.h"

#include "../../deliver/result.c"
#include "../../deliver/lmtp.c"
#include "../../deliver/rcpt.c"
#include "../../deliver/txn.c"
#include "../../deliver/filter.c"

struct rec {
	struct buf data;
	size_t	 nrcpt;
	int	 mails;
};

static int
r_mail(void *be, const struct lmtp_mail *m, struct result *r)
{
	struct rec *x = be;

	(void)m;
	(void)r;
	x->mails++;
	x->nrcpt = 0;
	return 0;
}

static int
r_rcpt(void *be, const char *addr, struct result *r)
{
	struct rec *x = be;

	if (strcmp(addr, "nosuch") == 0) {
		result_set(r, RS_PERM, 550, "5.1.1", 67, "<%s>: no such user",
		    addr);
		return 0;
	}
	result_set(r, RS_OK, 250, "2.1.5", 0, "<%s>: ok", addr);
	x->nrcpt++;
	return 1;
}

static int
r_data(void *be, const char *p, size_t n)
{
	buf_append(&((struct rec *)be)->data, p, n);
	return 0;
}

static void
r_done(void *be, struct result *res, size_t n)
{
	size_t i;

	(void)be;
	for (i = 0; i < n; i++)
		result_set(&res[i], RS_OK, 250, "2.0.0", 0, "stored %zu", i);
}

static void
r_reset(void *be)
{
	(void)be;
}

static const struct lmtp_ops rec_ops = { r_mail, r_rcpt, r_data, r_done,
    r_reset };

static const char session[] =
    "LHLO client\r\nMAIL FROM:<a@b.example> SIZE=100\r\nRCPT TO:<u1>\r\n"
    "RCPT TO:<nosuch>\r\nRCPT TO:<u2@x.example>\r\nDATA\r\n"
    "Subject: t\r\n\r\n..dot\r\nbare lf\nlast\r\n.\r\nNOOP\r\nQUIT\r\n";

static const char want_out[] =
    "220 h LMTP popstore ready\r\n250-h\r\n250-PIPELINING\r\n"
    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250 SIZE 1000\r\n"
    "250 2.1.0 sender ok\r\n250 2.1.5 <u1>: ok\r\n"
    "550 5.1.1 <nosuch>: no such user\r\n250 2.1.5 <u2@x.example>: ok\r\n"
    "354 2.0.0 end data with <CR><LF>.<CR><LF>\r\n250 2.0.0 stored 0\r\n"
    "250 2.0.0 stored 1\r\n250 2.0.0 ok\r\n221 2.0.0 bye\r\n";

static const char want_data[] =
    "Subject: t\r\n\r\n.dot\r\nbare lf\r\nlast\r\n";

static void
test_splits(void)
{
	struct lmtp_limits lim = { "h", 1000, 10, -1 };
	size_t chunk, len, bad = 0;
	const char *out;

	for (chunk = 0; chunk <= sizeof(session); chunk++) {
		struct rec x;
		struct netio *n;

		memset(&x, 0, sizeof(x));
		n = netio_create_mem(session, sizeof(session) - 1, chunk);
		lmtp_serve(n, &lim, &rec_ops, &x);
		out = netio_mem_output(n, &len);
		if (len != sizeof(want_out) - 1 || memcmp(out, want_out, len) ||
		    x.data.len != sizeof(want_data) - 1 ||
		    memcmp(x.data.data, want_data, x.data.len)) {
			if (bad++ == 0)
				tap_is_mem(out, len, want_out, sizeof(want_out) - 1,
				    "chunk %zu", chunk);
		}
		netio_free(n);
		buf_free(&x.data);
	}
	tap_is_int((long long)bad, 0, "the same replies and data for every "
	    "chunk size 1..%zu", sizeof(session));
}

static void
test_hdrscan(void)
{
	static const char msg[] =
	    "Received: x\r\nDelivered-To: <Jdoe@Example.COM>\r\n"
	    "delivered-to:\r\n  folded@example.com\nSubject: s\r\n"
	    "X-Delivered-To: no@example.com\r\n\r\n"
	    "Delivered-To: body@example.com\r\n";
	size_t split, bad = 0;

	for (split = 1; split < sizeof(msg); split++) {
		struct hdrscan h;
		size_t i;

		memset(&h, 0, sizeof(h));
		for (i = 0; i < sizeof(msg) - 1; i += split)
			hdrscan_feed(&h, msg + i, sizeof(msg) - 1 - i < split ?
			    sizeof(msg) - 1 - i : split);
		if (h.ndt != 2 || strcmp(h.dt[0], "Jdoe@Example.COM") != 0 ||
		    strcmp(h.dt[1], "folded@example.com") != 0 || !h.done) {
			if (bad++ == 0)
				tap_diag("split %zu: %zu fields, first %s", split,
				    h.ndt, h.ndt ? h.dt[0] : "-");
		}
		hdrscan_free(&h);
	}
	tap_is_int((long long)bad, 0, "Delivered-To fields found in every "
	    "split, folded ones joined, none from the body");
}

static void
test_hdrscan_bounds(void)
{
	struct hdrscan h;
	struct buf b = BUF_INIT;
	size_t i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < DELIVER_DT_MAX + 50; i++)
		buf_printf(&b, "Delivered-To: a%zu@example.com\n", i);
	hdrscan_feed(&h, b.data, b.len);
	tap_is_int((long long)h.ndt, DELIVER_DT_MAX, "at most %d fields kept",
	    DELIVER_DT_MAX);
	hdrscan_free(&h);
	buf_reset(&b);
	memset(&h, 0, sizeof(h));
	for (i = 0; i < DELIVER_HDR_SCAN_MAX / 10 + 10; i++)
		buf_puts(&b, "X: 123456\n");
	buf_puts(&b, "Delivered-To: late@example.com\n");
	hdrscan_feed(&h, b.data, b.len);
	tap_ok(h.done && h.ndt == 0, "the scan stops after %d header bytes",
	    DELIVER_HDR_SCAN_MAX);
	hdrscan_free(&h);
	buf_free(&b);
}

static void
test_addr(void)
{
	char big[DELIVER_ADDR_MAX + 2];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tap_ok(addr_ok("user@example.com", 16), "a plain address is fine");
	tap_ok(!addr_ok("us\ner", 5), "a newline is refused");
	tap_ok(!addr_ok(big, strlen(big)), "an address over %d bytes is refused",
	    DELIVER_ADDR_MAX);
}

int
main(void)
{
	test_splits();
	test_hdrscan();
	test_hdrscan_bounds();
	test_addr();
	return tap_done();
}
