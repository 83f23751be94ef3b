/* secret: key file, AES-256-GCM secrets, APOP. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "lib/tap.h"
#include "mem.h"
#include "secret.h"

static char path[4096], other[4096];

static void
test_key_file(struct secret_key *key)
{
	struct secret_key k2;
	struct stat st;
	char *why = NULL;
	char lnk[4096];

	snprintf(path, sizeof(path), "%s/secret.key", tap_tmpdir());
	snprintf(other, sizeof(other), "%s/other.key", tap_tmpdir());
	tap_is_int(secret_key_create(path, &why), 0, "key file created");
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	    st.st_size == SECRET_KEY_LEN, "mode 0600, %d bytes", SECRET_KEY_LEN);
	secret_key_create(path, &why);
	tap_ok(why != NULL, "no overwrite: %s", why ? why : "");
	free(why);
	why = NULL;
	tap_is_int(secret_key_load(path, key, &why), 0, "key loads");

	snprintf(lnk, sizeof(lnk), "%s/link.key", tap_tmpdir());
	tap_ok(symlink(path, lnk) == 0, "symlink made");
	secret_key_load(lnk, &k2, &why);
	tap_ok(why != NULL, "symlink refused: %s", why ? why : "");
	free(why);
	why = NULL;
	tap_is_int(secret_key_create(lnk, &why), -1, "create via symlink refused");
	free(why);
	why = NULL;

	chmod(path, 0640);
	secret_key_load(path, &k2, &why);
	tap_ok(why != NULL, "group-readable refused: %s", why ? why : "");
	free(why);
	why = NULL;
	chmod(path, 0600);

	tap_write_file(other, "short");
	chmod(other, 0600);
	tap_is_int(secret_key_load(other, &k2, &why), -1, "wrong size refused");
	free(why);
	why = NULL;
	unlink(other);
	tap_is_int(secret_key_create(other, NULL), 0, "second key");
	tap_is_int(secret_key_load(other, &k2, NULL), 0, "second key loads");
	tap_ok(memcmp(k2.bytes, key->bytes, SECRET_KEY_LEN) != 0,
	    "keys are random");
	secret_key_wipe(&k2);
	secret_key_load("/nonexistent/x.key", &k2, &why);
	tap_ok(why != NULL, "missing file: %s", why ? why : "");
	free(why);
}

static int
secret_load_other(struct secret_key *k)
{
	return secret_key_load(other, k, NULL);
}

static void
test_crypt(const struct secret_key *key)
{
	struct secret_key k2;
	char *a, *b, *plain = NULL, *why = NULL, *t;
	size_t len = 0, i;
	char big[SECRET_MAX_LEN + 1];

	a = secret_encrypt(key, "jdoe", "tanstaaf", 8, &why);
	tap_ok(a && strncmp(a, "$aes-256-gcm$v=1$", 17) == 0,
	    "text form: %s", a ? a : why);
	b = secret_encrypt(key, "jdoe", "tanstaaf", 8, NULL);
	tap_ok(b && strcmp(a, b) != 0, "fresh nonce each time");
	tap_is_int(secret_decrypt(key, "jdoe", a, &plain, &len, &why), 0,
	    "decrypts");
	tap_is_mem(plain, len, "tanstaaf", 8, "same secret back");
	mem_free_secret(plain);
	plain = NULL;

	secret_decrypt(key, "jdoe2", a, &plain, &len, &why);
	tap_ok(why != NULL, "other account refused: %s", why ? why : "");
	free(why);
	why = NULL;
	tap_ok(secret_load_other(&k2) == 0, "other key");
	tap_is_int(secret_decrypt(&k2, "jdoe", a, &plain, &len, NULL), -1,
	    "other key refused");
	secret_key_wipe(&k2);

	/* Every single-character change is caught. */
	t = mem_strdup(a);
	for (i = strlen("$aes-256-gcm$v=1$"); t[i]; i++) {
		char c = t[i];
		int r;

		if (c == '$')
			continue;
		t[i] = c == 'A' ? 'B' : 'A';
		r = secret_decrypt(key, "jdoe", t, &plain, &len, NULL);
		t[i] = c;
		if (r != -1) {
			tap_ok(0, "tamper at %zu accepted", i);
			mem_free_secret(plain);
			break;
		}
	}
	tap_ok(t[i] == '\0', "every altered character refused");
	free(t);

	tap_is_int(secret_decrypt(key, "jdoe", "$aes-256-gcm$v=2$x$y", &plain,
	    &len, NULL), -1, "unknown version");
	tap_is_int(secret_decrypt(key, "jdoe", "tanstaaf", &plain, &len, NULL),
	    -1, "plain text refused");
	tap_is_int(secret_decrypt(key, "jdoe", "$aes-256-gcm$v=1$AAAAAAAAAAAA"
	    "AAAA$AAAA", &plain, &len, NULL), -1, "too short to hold a tag");

	memset(big, 'x', sizeof(big));
	tap_ok(secret_encrypt(key, "jdoe", big, sizeof(big), NULL) == NULL,
	    "too long refused");
	tap_ok(secret_encrypt(key, "jdoe", "", 0, NULL) == NULL, "empty refused");
	t = secret_encrypt(key, "jdoe", big, SECRET_MAX_LEN, NULL);
	tap_ok(t && strlen(t) <= SECRET_TEXT_MAX, "longest text %zu <= %d",
	    t ? strlen(t) : 0, SECRET_TEXT_MAX);
	tap_is_int(secret_decrypt(key, "jdoe", t, &plain, &len, NULL), 0,
	    "longest decrypts");
	tap_is_int((long long)len, SECRET_MAX_LEN, "longest length");
	mem_free_secret(plain);
	free(t);
	free(a);
	free(b);
}

static void
test_apop(void)
{
	const char *ts = "<1896.697170952@dbc.mtview.ca.us>";
	char hex[SECRET_APOP_HEX + 1];
	char *t;

	secret_apop_digest(ts, "tanstaaf", 8, hex);
	tap_is_str(hex, "c4c9334bac560ecc979e58001b3e22fb", "RFC 1939 example");
	tap_is_int(secret_apop_verify(ts, "tanstaaf", 8,
	    "c4c9334bac560ecc979e58001b3e22fb"), 1, "verifies");
	tap_is_int(secret_apop_verify(ts, "tanstaaf", 8,
	    "C4C9334BAC560ECC979E58001B3E22FB"), 1, "upper case accepted");
	tap_is_int(secret_apop_verify(ts, "tanstaaF", 8,
	    "c4c9334bac560ecc979e58001b3e22fb"), 0, "wrong secret");
	tap_is_int(secret_apop_verify(ts, "tanstaaf", 8,
	    "c4c9334bac560ecc979e58001b3e22f"), 0, "short digest");
	tap_is_int(secret_apop_verify(ts, "tanstaaf", 8,
	    "c4c9334bac560ecc979e58001b3e22fbb"), 0, "long digest");
	tap_is_int(secret_apop_verify(ts, "tanstaaf", 8,
	    "g4c9334bac560ecc979e58001b3e22fb"), 0, "not hex");
	tap_is_int(secret_apop_verify("<other@x>", "tanstaaf", 8,
	    "c4c9334bac560ecc979e58001b3e22fb"), 0, "other timestamp");

	t = secret_apop_timestamp("mail.example.org");
	tap_ok(t[0] == '<' && t[strlen(t) - 1] == '>' &&
	    strstr(t, "@mail.example.org>") != NULL, "timestamp %s", t);
	tap_ok(strchr(t, '.') < strchr(t, '@'), "pid.random.time part");
	free(t);
	t = secret_apop_timestamp("bad host>name");
	tap_ok(strstr(t, "@localhost>") != NULL, "bad host name replaced: %s", t);
	free(t);
	t = secret_apop_timestamp(NULL);
	tap_ok(t[0] == '<' && strchr(t, '@') != NULL, "own host name: %s", t);
	free(t);
}

int
main(void)
{
	struct secret_key key;

	umask(022);
	test_key_file(&key);
	test_crypt(&key);
	test_apop();
	secret_key_wipe(&key);
	return tap_done();
}
