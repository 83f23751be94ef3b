/*
 * Fuzz target: deliver's LMTP engine (deliver/lmtp.c) over memory input,
 * with a backend that stores nothing. The input is the client's side of
 * a session; its first byte picks the read chunk size, so every split of
 * commands and data is exercised. The engine must never crash, leak or
 * answer anything but whole CRLF-terminated reply lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../deliver/result.c"
#include "../../deliver/lmtp.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fake {
	int	 in_mail;
	size_t	 nrcpt;
	uint64_t bytes;
};

static int
f_mail(void *be, const struct lmtp_mail *m, struct result *r)
{
	struct fake *f = be;

	if (strncmp(m->sender, "temp", 4) == 0) {
		result_set(r, RS_TEMP, 451, "4.3.0", 75, "try later");
		return -1;
	}
	f->in_mail = 1;
	f->nrcpt = 0;
	f->bytes = 0;
	return 0;
}

static int
f_rcpt(void *be, const char *addr, struct result *r)
{
	struct fake *f = be;

	if (!f->in_mail)
		abort();	/* the engine must not call rcpt without mail */
	if (addr[0] == 'x') {
		result_set(r, RS_PERM, 550, "5.1.1", 67, "<%s>: no such user",
		    addr);
		return 0;
	}
	result_set(r, RS_OK, 250, "2.1.5", 0, "<%s>: ok", addr);
	f->nrcpt++;
	return 1;
}

static int
f_data(void *be, const char *p, size_t n)
{
	struct fake *f = be;

	(void)p;
	f->bytes += n;
	return f->bytes > 100000 ? -1 : 0;
}

static void
f_done(void *be, struct result *res, size_t n)
{
	struct fake *f = be;
	size_t i;

	if (n != f->nrcpt)
		abort();	/* one reply per accepted recipient */
	for (i = 0; i < n; i++)
		result_set(&res[i], f->bytes > 100000 ? RS_PERM : RS_OK,
		    f->bytes > 100000 ? 552 : 250, f->bytes > 100000 ? "5.3.4" :
		    "2.0.0", 0, "done");
}

static void
f_reset(void *be)
{
	struct fake *f = be;

	f->in_mail = 0;
	f->nrcpt = 0;
}

static const struct lmtp_ops fake_ops = {
	f_mail, f_rcpt, f_data, f_done, f_reset
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lmtp_limits lim = { "fuzz.example", 200000, 20, -1 };
	struct fake f = { 0, 0, 0 };
	struct netio *n;
	const char *out;
	size_t len, chunk;

	if (size == 0)
		return 0;
	chunk = data[0] % 16;		/* 0: all at once */
	n = netio_create_mem(data + 1, size - 1, chunk);
	(void)lmtp_serve(n, &lim, &fake_ops, &f);
	out = netio_mem_output(n, &len);
	if (len < 2 || out[len - 2] != '\r' || out[len - 1] != '\n')
		abort();		/* replies are whole lines */
	netio_free(n);
	return 0;
}
