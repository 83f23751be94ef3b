/*
 * server: what the servers do as root before dropping privileges:
 * refusing to serve as root, the TLS context, the store, the site key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "lib/store_fixture.h"
#include "lib/tap.h"
#include "secret.h"
#include "server.h"
#include "store.h"

static void
conf_with(struct conf *c, const char *name, const char *text)
{
	char path[4200], *why = NULL;

	snprintf(path, sizeof(path), "%s/%s.conf", tap_tmpdir(), name);
	tap_write_file(path, text);
	if (conf_load(path, c, &why) < 0) {
		printf("Bail out! %s\n", why);
		exit(2);
	}
}

int
main(void)
{
	struct fixture fx;
	struct server_setup ss;
	struct buf text = BUF_INIT, key = BUF_INIT;
	struct conf c;
	char *why = NULL;

	fixture_open(&fx, "srv", NULL);
	if (geteuid() == 0) {
		buf_printf(&text, "STORE_DIR=%s\n", fx.dir);
		conf_with(&c, "root", text.data);
		tap_is_int(server_setup(&c, "pop3", &ss, &why), -1,
		    "root without STORE_USER refused");
		tap_ok(why && strstr(why, "STORE_USER"), "reason: %s", why);
		free(why);
		why = NULL;
		server_setup_free(&ss);
		conf_free(&c);
	} else {
		tap_ok(1, "# SKIP not root");
		tap_ok(1, "# SKIP not root");
	}

	buf_reset(&text);
	buf_printf(&text, "STORE_DIR=%s/none\nSTORE_USER=nobody\n"
	    "TLS_CERT_FILE=%s/missing.pem\nAPOP_CRAM_MD5=1\n", tap_tmpdir(),
	    tap_tmpdir());
	conf_with(&c, "broken", text.data);
	tap_is_int(server_setup(&c, "pop3", &ss, &why), 0, "a broken setup "
	    "still starts");
	tap_ok(ss.tls == NULL && ss.tls_why && strstr(ss.tls_why, "missing.pem"),
	    "TLS reason: %s", ss.tls_why ? ss.tls_why : "(none)");
	tap_ok(ss.store == NULL && ss.store_why != NULL, "store reason: %s",
	    ss.store_why ? ss.store_why : "(none)");
	tap_ok(!ss.have_key, "no key without a store");
	server_setup_free(&ss);
	tap_ok(ss.tls_why == NULL && ss.store == NULL, "freed and zeroed");
	conf_free(&c);

	buf_reset(&text);
	buf_printf(&text, "STORE_DIR=%s\nSTORE_USER=nobody\nAPOP_CRAM_MD5=1\n",
	    fx.dir);
	conf_with(&c, "nokey", text.data);
	server_setup(&c, "pop3", &ss, NULL);
	tap_ok(ss.store != NULL && !ss.have_key && ss.key_why != NULL,
	    "APOP_CRAM_MD5 without a key file: reason given");
	store_secret_key_path(ss.store, &key);
	tap_is_int(secret_key_create(key.data, NULL), 0, "key created");
	server_setup_free(&ss);
	server_setup(&c, "pop3", &ss, NULL);
	tap_ok(ss.have_key && ss.key_why == NULL, "key loaded");
	server_setup_free(&ss);
	conf_free(&c);
	buf_free(&text);
	buf_free(&key);
	fixture_close(&fx);
	return tap_done();
}
