/*
 * store_fixture - a fresh store in a temporary directory for unit tests.
 */
#ifndef POPSTORE_STORE_FIXTURE_H
#define POPSTORE_STORE_FIXTURE_H

#include "conf.h"
#include "store.h"

struct fixture {
	char		 dir[4096];
	struct conf	 conf;
	struct store	*store;
};

/* Create STORE_DIR under tap_tmpdir()/name with extra option lines
 * (may be NULL), run store_create and open it. Aborts on failure. */
void fixture_open(struct fixture *fx, const char *name, const char *extra);
void fixture_close(struct fixture *fx);

/* Create an account with defaults; aborts on failure. */
struct acct;
void fixture_account(struct fixture *fx, const char *name, int type,
    struct acct *a_r);

#endif
