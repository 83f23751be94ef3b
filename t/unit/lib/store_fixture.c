/* store_fixture - a fresh store for unit tests; see store_fixture.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acct.h"
#include "buf.h"
#include "store_fixture.h"
#include "tap.h"

void
fixture_open(struct fixture *fx, const char *name, const char *extra)
{
	struct buf conf = BUF_INIT, path = BUF_INIT;
	char *why = NULL;

	memset(fx, 0, sizeof(*fx));
	snprintf(fx->dir, sizeof(fx->dir), "%s/%s", tap_tmpdir(), name);
	buf_printf(&conf, "STORE_DIR=%s\nSYNC_MODE=fsync\nLOCK_TIMEOUT=5\n%s\n",
	    fx->dir, extra ? extra : "");
	buf_printf(&path, "%s/%s.conf", tap_tmpdir(), name);
	tap_write_file(path.data, conf.data);
	if (conf_load(path.data, &fx->conf, &why) < 0 ||
	    store_create(&fx->conf, &why) < 0 ||
	    store_open(&fx->conf, &fx->store, &why) < 0) {
		printf("Bail out! fixture: %s\n", why);
		exit(2);
	}
	buf_free(&conf);
	buf_free(&path);
}

void
fixture_close(struct fixture *fx)
{
	store_close(fx->store);
	conf_free(&fx->conf);
}

void
fixture_account(struct fixture *fx, const char *name, int type,
    struct acct *a)
{
	char *why = NULL;

	if (acct_from_default(fx->store, name, a, &why) < 0) {
		printf("Bail out! %s\n", why);
		exit(2);
	}
	a->type = type;
	if (acct_create(fx->store, a, &why) < 0) {
		printf("Bail out! create %s: %s\n", name, why);
		exit(2);
	}
}
