/*
 * secret_text - fuzz the reader of encrypted secrets and the APOP check.
 *
 * Input: an encrypted secret as a profile might hold it (NUL ends it
 * early). Under a fixed key, secret_decrypt() must refuse everything
 * but a text that secret_encrypt() made, and a text it accepts must
 * decrypt to at most SECRET_MAX_LEN bytes; the same input as an APOP
 * digest must never verify unless it is the right one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "secret.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char ts[] = "<1896.697170952@dbc.mtview.ca.us>";
	struct secret_key key;
	char *s = mem_strndup((const char *)data, size), *plain = NULL;
	char *why = NULL, hex[SECRET_APOP_HEX + 1];
	size_t len = 0;

	memset(&key, 0x5a, sizeof(key));
	if (secret_decrypt(&key, "jdoe", s, &plain, &len, &why) == 0) {
		if (len == 0 || len > SECRET_MAX_LEN || strlen(plain) > len)
			abort();
		mem_free_secret(plain);
	} else if (why == NULL) {
		abort();
	}
	free(why);
	secret_apop_digest(ts, "tanstaaf", 8, hex);
	if (secret_apop_verify(ts, "tanstaaf", 8, s) &&
	    strcasecmp(s, hex) != 0)
		abort();
	free(s);
	return 0;
}
