/*
 * form - fuzz the request parsers of the web programs (lib/form.c):
 * urlencoded forms and query strings, Cookie headers, Basic
 * credentials and %-decoding, all on the same input.
 *
 * Checked: a parse that succeeds keeps at most FORM_FIELDS_MAX fields,
 * each with a valid name and a value of its stated length without NUL
 * and within FORM_VALUE_MAX; a refused parse says why; parsing the
 * same text in two halves never accepts what the whole refuses less
 * (the fields of a successful whole parse are the first half's plus
 * the second's when the split falls on a '&'); cookies are plain; the
 * Basic parser's user has no control character and nothing is
 * returned unless it answers 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_fields(const struct form *f, int cookies)
{
	size_t i, j, nlen;

	if (f->n > FORM_FIELDS_MAX)
		abort();
	for (i = 0; i < f->n; i++) {
		nlen = strlen(f->v[i].name);
		if (nlen == 0 || nlen > FORM_NAME_MAX)
			abort();
		if (strlen(f->v[i].value) != f->v[i].len)
			abort();	/* NUL inside a value */
		if (!cookies && f->v[i].len > FORM_VALUE_MAX)
			abort();
		for (j = 0; j < nlen; j++) {
			unsigned char c = (unsigned char)f->v[i].name[j];

			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
			    c == '.'))
				abort();
		}
		for (j = 0; cookies && j < f->v[i].len; j++)
			if ((unsigned char)f->v[i].value[j] < 0x21 ||
			    f->v[i].value[j] == ';')
				abort();
	}
	if (f->n && form_get(f, f->v[0].name) != f->v[0].value)
		abort();
}

static void
forms(const char *s, size_t len)
{
	struct form whole = FORM_INIT, parts = FORM_INIT;
	char *why = NULL;
	const char *amp;
	size_t cut;
	int rc;

	rc = form_parse(&whole, s, len, &why);
	if (rc < 0 && (why == NULL || *why == '\0'))
		abort();
	if (rc == 0 && why != NULL)
		abort();
	check_fields(&whole, 0);
	free(why);
	why = NULL;
	/* Split at the middle '&': the two halves give the same fields. */
	amp = memchr(s + len / 2, '&', len - len / 2);
	if (rc == 0 && amp != NULL) {
		cut = (size_t)(amp - s);
		if (form_parse(&parts, s, cut, &why) == 0 &&
		    form_parse(&parts, amp + 1, len - cut - 1, &why) == 0) {
			size_t i;

			if (parts.n != whole.n)
				abort();
			for (i = 0; i < whole.n; i++)
				if (strcmp(parts.v[i].name, whole.v[i].name) != 0 ||
				    parts.v[i].len != whole.v[i].len ||
				    memcmp(parts.v[i].value, whole.v[i].value,
				    whole.v[i].len) != 0)
					abort();
		} else if (whole.n < FORM_FIELDS_MAX) {
			abort();	/* a half refused what the whole took */
		}
		free(why);
	}
	form_free(&whole);
	form_free(&parts);
	if (whole.n != 0 || whole.v != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct form c = FORM_INIT;
	struct buf u = BUF_INIT, p = BUF_INIT, d = BUF_INIT;
	char *z;
	size_t i;
	int rc;

	if (size > 256 * 1024)
		return 0;
	forms((const char *)data, size);

	form_parse_cookies(&c, (const char *)data, size);
	check_fields(&c, 1);
	form_free(&c);

	if (form_decode((const char *)data, size, 1, &d) == 0 &&
	    memchr(d.data ? d.data : "", '\0', d.len) != NULL)
		abort();
	buf_free(&d);

	z = mem_alloc(size + 1, 1);
	memcpy(z, data, size);
	z[size] = '\0';
	rc = form_basic_auth(z, &u, &p);
	if (rc != 1 && (u.len != 0 || p.len != 0) && rc != -1)
		abort();
	if (rc == 1)
		for (i = 0; i < u.len; i++)
			if ((unsigned char)u.data[i] < 0x20 || u.data[i] == 0x7f)
				abort();
	free(z);
	buf_free(&u);
	buf_free_secret(&p);
	return 0;
}
