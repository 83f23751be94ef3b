/*
 * imap_cmd - fuzz imapd's command reader (imapd/parse.c): lines with
 * NUL bytes, synchronizing and non-synchronizing literals of any size,
 * quoted strings, nesting, sequence sets, and the recovery after an
 * error (rd_skip). The input is the client's byte stream; commands are
 * tokenized generically until the stream ends. Any crash, leak or
 * unbounded memory is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../imapd/parse.c"

static void
tokens(struct rd *r, struct buf *tok)
{
	struct seqset set;
	uint64_t v;
	int c, n = 0;

	while (!r->err && !rd_at_eol(r) && n++ < 10000) {
		c = rd_peek(r);
		if (c == ' ')
			(void)rd_sp(r);
		else if (c == '(')
			(void)rd_open(r);
		else if (c == ')')
			(void)rd_close(r);
		else if (c == '"' || c == '{')
			(void)rd_astring(r, tok);
		else if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
			if (rd_seqset(r, tok) == 0 &&
			    seqset_parse(tok->data, 1000, &set) == 0) {
				(void)seqset_has(&set, 7);
				seqset_free(&set);
			}
		} else if (c == '%')
			(void)rd_listmbox(r, tok);
		else if (c == '\\') {
			r->pos++;
			(void)rd_atom(r, tok);
		} else if (c == '<') {
			r->pos++;
			(void)rd_number(r, UINT32_MAX, &v);
		} else
			(void)rd_atom(r, tok);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r;
	struct buf tok = BUF_INIT;
	size_t chunk = size ? (data[0] % 7) : 0;
	int cmds = 0;

	memset(&r, 0, sizeof(r));
	r.n = netio_create_mem(data, size, chunk);
	r.max_line = 1024;
	r.allow_nonsync = 1;
	while (cmds++ < 1000) {
		if (rd_begin(&r) < 0 && r.err == RD_IO)
			break;
		r.err = RD_OK;
		if (rd_tag(&r, &tok) == 0 && rd_sp(&r) == 0)
			tokens(&r, &tok);
		if (r.err)
			rd_skip(&r);
		if (r.err == RD_IO)
			break;
	}
	netio_free(r.n);
	buf_free(&r.line);
	buf_free(&tok);
	return 0;
}
