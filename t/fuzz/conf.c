/*
 * conf - fuzz the option file reader (lib/conf.c).
 *
 * The input is a popstore.conf. Checked: conf_load() accepts it or says
 * why (never both, never neither); an accepted file, written back as
 * NAME=VALUE lines from conf_walk(), loads again to the same values (so
 * `popmgr show -options` output is a valid option file); conf_free()
 * releases everything (LeakSanitizer).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "fuzzstore.h"

static const char *
path(void)
{
	static char p[512];

	if (p[0] == '\0')
		snprintf(p, sizeof(p), "%s/fuzz-conf-%ld",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
	return p;
}

static int
as_lines(const char *name, const char *value, const char *dflt, void *ctx)
{
	(void)dflt;
	buf_printf(ctx, "%s=%s\n", name, value);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf t1 = BUF_INIT, t2 = BUF_INIT;
	struct conf c;
	char *why = NULL;
	int rc;

	fuzz_write(path(), data, size);
	rc = conf_load(path(), &c, &why);
	if ((rc < 0) != (why != NULL))
		abort();
	if (rc < 0) {
		free(why);
		unlink(path());
		return 0;
	}
	conf_walk(&c, as_lines, &t1);
	conf_free(&c);
	fuzz_write(path(), t1.data, t1.len);
	if (conf_load(path(), &c, &why) < 0) {
		fprintf(stderr, "conf: written back, refused: %s\n", why);
		abort();
	}
	conf_walk(&c, as_lines, &t2);
	conf_free(&c);
	if (t1.len != t2.len || memcmp(t1.data, t2.data, t1.len) != 0) {
		fprintf(stderr, "conf: round trip differs:\n%s---\n%s", t1.data,
		    t2.data);
		abort();
	}
	buf_free(&t1);
	buf_free(&t2);
	unlink(path());
	return 0;
}
