/*
 * form, websess, webrules: the request parsers in every split, signed
 * tokens and CSRF tokens (tampering, expiry), the rules' Sieve scripts
 * (hostile values quoted, read back unchanged, parsed by sieve.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "lib/tap.h"
#include "mem.h"
#include "secret.h"
#include "sieve.h"
#include "webrules.h"
#include "websess.h"

static void
test_form(void)
{
	static const struct {
		const char *in;
		int rc;
		const char *name, *value;	/* of the last field */
		size_t n;
	} cases[] = {
		{ "a=1&b=2", 0, "b", "2", 2 },
		{ "a=x+y%2Bz", 0, "a", "x y+z", 1 },
		{ "a", 0, "a", "", 1 },
		{ "a=&&b=%C3%A9", 0, "b", "\xc3\xa9", 2 },
		{ "&&&", 0, NULL, NULL, 0 },
		{ "a=%zz", -1, NULL, NULL, 0 },
		{ "a=%4", -1, NULL, NULL, 0 },
		{ "a=%00", -1, NULL, NULL, 0 },
		{ "=x", -1, NULL, NULL, 0 },
		{ "a%3Cb=1", -1, NULL, NULL, 0 },
		{ "a b=1", -1, NULL, NULL, 0 },
	};
	size_t i, cut;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct form f = FORM_INIT;
		char *why = NULL;
		int rc = form_parse(&f, cases[i].in, strlen(cases[i].in), &why);

		tap_is_int(rc, cases[i].rc, "form %s: rc", cases[i].in);
		if (rc == 0) {
			tap_is_int((long long)f.n, (long long)cases[i].n,
			    "form %s: fields", cases[i].in);
			if (cases[i].name)
				tap_is_str(form_get(&f, cases[i].name),
				    cases[i].value, "form %s: value", cases[i].in);
		} else {
			tap_ok(why != NULL, "form %s: a reason", cases[i].in);
		}
		free(why);
		form_free(&f);
	}
	/* every split on a '&' gives the same fields */
	{
		const char *s = "do=rule_add&field=subject&value=%5Blist%5D&arg=L";
		int same = 1;

		for (cut = 0; cut < strlen(s); cut++) {
			struct form f = FORM_INIT;

			if (s[cut] != '&')
				continue;
			if (form_parse(&f, s, cut, NULL) < 0 ||
			    form_parse(&f, s + cut + 1, strlen(s) - cut - 1,
			    NULL) < 0 || f.n != 4 ||
			    strcmp(form_get(&f, "value"), "[list]") != 0)
				same = 0;
			form_free(&f);
		}
		tap_ok(same, "form: every split on '&' gives the same fields");
	}
	{
		struct buf big = BUF_INIT;
		struct form f = FORM_INIT;
		char *why = NULL;

		for (i = 0; i < FORM_FIELDS_MAX + 1; i++)
			buf_printf(&big, "f%zu=1&", i);
		tap_is_int(form_parse(&f, big.data, big.len, &why), -1,
		    "form: more than FORM_FIELDS_MAX fields refused");
		free(why);
		form_free(&f);
		buf_reset(&big);
		buf_puts(&big, "v=");
		for (i = 0; i < FORM_VALUE_MAX + 1; i++)
			buf_putc(&big, 'x');
		why = NULL;
		tap_is_int(form_parse(&f, big.data, big.len, &why), -1,
		    "form: a value over FORM_VALUE_MAX refused");
		free(why);
		form_free(&f);
		buf_free(&big);
	}
}

static void
test_cookies(void)
{
	struct form f = FORM_INIT;
	const char *h = "theme=dark; popstore_session=1.YQ.ab.9.Zz; "
	    "q=\"quoted\"; bad=a b; x=1,2; =y; ;";

	form_parse_cookies(&f, h, strlen(h));
	tap_is_str(form_get(&f, "popstore_session"), "1.YQ.ab.9.Zz",
	    "cookie: ours");
	tap_is_str(form_get(&f, "q"), "quoted", "cookie: quotes removed");
	tap_ok(form_get(&f, "bad") == NULL, "cookie: a blank skips it");
	tap_ok(form_get(&f, "x") == NULL, "cookie: a comma skips it");
	tap_is_str(form_get(&f, "theme"), "dark", "cookie: others kept");
	form_free(&f);
}

static void
test_basic(void)
{
	static const struct {
		const char *h;
		int rc;
		const char *user, *pass;
	} cases[] = {
		{ "Basic amRvZTpTZWNyZXQxMjM=", 1, "jdoe", "Secret123" },
		{ "basic amRvZTpTZWNyZXQxMjM=", 1, "jdoe", "Secret123" },
		{ "Basic YTpiOmM=", 1, "a", "b:c" },
		{ "Bearer xyz", 0, NULL, NULL },
		{ "Basic !!!", -1, NULL, NULL },
		{ "Basic am9l", -1, NULL, NULL },		/* no ':' */
		{ "Basic am9lCmJhZDpwdw==", -1, NULL, NULL },	/* LF */
		{ "Basic YQBiOmM=", -1, NULL, NULL },		/* NUL */
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf u = BUF_INIT, p = BUF_INIT;
		int rc = form_basic_auth(cases[i].h, &u, &p);

		tap_is_int(rc, cases[i].rc, "basic %s", cases[i].h);
		if (rc == 1) {
			tap_is_str(buf_cstr(&u), cases[i].user, "basic user");
			tap_is_str(buf_cstr(&p), cases[i].pass, "basic password");
		}
		buf_free(&u);
		buf_free_secret(&p);
	}
}

static void
test_websess(void)
{
	struct secret_key k, k2;
	struct buf tok = BUF_INIT, bad = BUF_INIT, c1 = BUF_INIT, c2 = BUF_INIT;
	char name[ACCT_NAME_MAX + 1], id[WEBSESS_ID_LEN + 1];
	const char *sid = "0123456789abcdef0123456789abcdef";
	int64_t exp = 0;
	size_t i;

	memset(&k, 7, sizeof(k));
	memset(&k2, 8, sizeof(k2));
	websess_token_make(&k, "jdoe@example.com", sid, 2000000000, &tok);
	tap_ok(strncmp(tok.data, "1.", 2) == 0, "token: version 1");
	tap_is_int(websess_token_parse(&k, tok.data, name, id, &exp), 1,
	    "token: parses");
	tap_is_str(name, "jdoe@example.com", "token: name");
	tap_is_str(id, sid, "token: id");
	tap_is_int(exp, 2000000000, "token: expiry");
	tap_is_int(websess_token_parse(&k2, tok.data, name, id, &exp), 0,
	    "token: another key refuses it");
	/* every single-character change is refused */
	{
		int all = 1;

		for (i = 0; i < tok.len; i++) {
			buf_reset(&bad);
			buf_append(&bad, tok.data, tok.len);
			bad.data[i] = bad.data[i] == 'A' ? 'B' : 'A';
			if (websess_token_parse(&k, buf_cstr(&bad), name, id,
			    &exp) != 0)
				all = 0;
		}
		tap_ok(all, "token: every changed character refused");
		tap_is_int(websess_token_parse(&k, "", name, id, &exp), 0,
		    "token: empty refused");
		buf_reset(&bad);
		buf_append(&bad, tok.data, tok.len - 1);
		tap_is_int(websess_token_parse(&k, buf_cstr(&bad), name, id,
		    &exp), 0, "token: truncated refused");
	}
	websess_csrf(&k, "sid1", 4, &c1);
	websess_csrf(&k, "sid2", 4, &c2);
	tap_is_int((long long)c1.len, WEBSESS_CSRF_LEN, "csrf: length");
	tap_ok(strcmp(c1.data, c2.data) != 0, "csrf: bound to the session");
	tap_is_int(websess_csrf_check(&k, "sid1", 4, c1.data), 1,
	    "csrf: right token");
	tap_is_int(websess_csrf_check(&k, "sid1", 4, c2.data), 0,
	    "csrf: another session's token");
	tap_is_int(websess_csrf_check(&k, "sid1", 4, ""), 0, "csrf: empty");
	tap_is_int(websess_csrf_check(&k, "sid1", 4, NULL), 0, "csrf: NULL");
	buf_reset(&c2);
	websess_stamp_make(&k, "login", 1000, 60, &c2);
	tap_is_int(websess_stamp_check(&k, "login", c2.data, 1059), 1,
	    "stamp: good before expiry");
	tap_is_int(websess_stamp_check(&k, "login", c2.data, 1061), 0,
	    "stamp: expired");
	tap_is_int(websess_stamp_check(&k, "other", c2.data, 1001), 0,
	    "stamp: another purpose");
	buf_free(&tok);
	buf_free(&bad);
	buf_free(&c1);
	buf_free(&c2);
}

static void
test_webrules(void)
{
	struct webrules w, back;
	struct buf s = BUF_INIT;
	struct sieve_script *sc = NULL;
	char *why = NULL;
	const char *hostile = "a\" { discard; } if \"\\";

	webrules_init(&w);
	webrules_add(&w, WEBRULES_SUBJECT, hostile, WEBRULES_FILEINTO,
	    "Lists");
	webrules_add(&w, WEBRULES_FROM, "spam@", WEBRULES_DISCARD, "");
	webrules_add(&w, WEBRULES_FROM, "boss@", WEBRULES_FORWARD,
	    "me@example.org");
	w.vacation = 1;
	snprintf(w.start, sizeof(w.start), "2026-11-01");
	snprintf(w.end, sizeof(w.end), "2026-11-30");
	w.days = 3;
	free(w.subject);
	w.subject = mem_strdup("Away \"now\"");
	free(w.text);
	w.text = mem_strdup("Line one\n.\nLine three");
	tap_is_int(webrules_check(&w, &why), 0, "rules: valid");
	free(why);
	why = NULL;
	webrules_script(&w, 0, "2026-11-15", &s);
	tap_is_int(sieve_parse(s.data, s.len, &sc, &why), 0,
	    "rules: the script parses");
	if (why)
		tap_diag("%s\n%s", why, s.data);
	free(why);
	why = NULL;
	tap_ok(sc && sieve_requires(sc, "vacation"),
	    "rules: vacation inside the range");
	sieve_free(sc);
	webrules_init(&back);
	tap_is_int(webrules_read(s.data, s.len, &back, &why), 1,
	    "rules: read back");
	tap_is_int((long long)back.n, 3, "rules: three rules back");
	tap_is_str(back.n ? back.v[0].value : "", hostile,
	    "rules: hostile value unchanged");
	tap_is_str(back.text ? back.text : "", w.text, "rules: text back");
	tap_is_str(back.start, "2026-11-01", "rules: start back");
	webrules_free(&back);
	buf_reset(&s);
	webrules_script(&w, 0, "2026-12-01", &s);
	sc = NULL;
	tap_is_int(sieve_parse(s.data, s.len, &sc, NULL), 0,
	    "rules: out of range parses");
	tap_ok(sc && !sieve_requires(sc, "vacation"),
	    "rules: no vacation outside the range");
	sieve_free(sc);
	snprintf(w.end, sizeof(w.end), "2026-10-01");
	tap_is_int(webrules_check(&w, &why), -1, "rules: end before start");
	free(why);
	why = NULL;
	snprintf(w.end, sizeof(w.end), "2026-02-30");
	tap_is_int(webrules_check(&w, &why), -1, "rules: no such day");
	free(why);
	why = NULL;
	snprintf(w.end, sizeof(w.end), "2026-11-30");
	free(w.v[2].arg);
	w.v[2].arg = mem_strdup("not an <address>");
	tap_is_int(webrules_check(&w, &why), -1, "rules: bad address");
	free(why);
	why = NULL;
	tap_is_int(webrules_read("require \"fileinto\";\n", 20, &back, &why),
	    0, "rules: a foreign script is not ours");
	free(why);
	webrules_free(&w);
	buf_free(&s);
}

int
main(void)
{
	test_form();
	test_cookies();
	test_basic();
	test_websess();
	test_webrules();
	return tap_done();
}
