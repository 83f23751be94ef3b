/*
 * passwd_hash - fuzz the readers of stored password hashes.
 *
 * Input: a hash string as a profile might hold it (NUL ends it early).
 * passwd_scram_parse() must accept exactly what passwd_scram_format()
 * writes back unchanged; the scheme, upgrade test, base64 codec, prep
 * and the new-password rules must not crash on anything. No key
 * derivation or crypt(3) runs here: a hostile iteration or cost count
 * would only make the fuzzer slow.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mem.h"
#include "passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct passwd_scram v, w;
	struct buf b = BUF_INIT, e = BUF_INIT;
	char *s = mem_strndup((const char *)data, size), *f, *why = NULL;
	int r = passwd_scram_parse(s, &v);

	if (r == 1) {
		f = passwd_scram_format(&v);
		if (strcmp(f, s) != 0 || passwd_scram_parse(f, &w) != 1 ||
		    memcmp(&v, &w, sizeof(v)) != 0)
			abort();
		free(f);
	} else if (r == 0 && passwd_scheme(s) == PASSWD_SCHEME_SCRAM) {
		abort();
	}
	if (passwd_needs_upgrade(s, 4096) != (r != 1 || v.iterations < 4096))
		abort();
	if (passwd_b64_decode(&b, s, strlen(s)) == 0) {
		passwd_b64_encode(&e, b.data, b.len);
		if (strcmp(buf_cstr(&e), s) != 0)
			abort();
	}
	buf_reset(&b);
	passwd_prep(s, &b);
	if (passwd_check_new("jdoe", s, 8, &why) != (why ? -1 : 0))
		abort();
	free(why);
	buf_free(&b);
	buf_free(&e);
	free(s);
	return 0;
}
