/*
 * sievecmd - sieve: an account's Sieve script (sieve.h). -check parses
 * a file and reports the first error as FILE:LINE:COLUMN: text; -set
 * does the same and installs the script only when it is valid; -show
 * prints it; -remove deletes it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "log.h"
#include "sieve.h"
#include "popmgr.h"

#define SIEVE_FILE_MAX	(16u << 20)	/* bytes read from -set/-check FILE */

const struct sw_def sieve_switches[] = {
	{ "set", SW_VALUE, 0 },
	{ "show", SW_FLAG, 0 },
	{ "check", SW_VALUE, 0 },
	{ "remove", SW_FLAG, 0 },
	{ NULL, 0, 0 }
};

/* Read FILE ("-" for standard input) into out. 0 or an exit code. */
static int
read_script(struct mgr *m, const char *file, struct buf *out)
{
	char chunk[65536];
	char *why = NULL;
	ssize_t n;
	int rc;

	if (strcmp(file, "-") != 0) {
		rc = file_read(file, SIEVE_FILE_MAX, out, &why);
		if (rc == 1)
			return 0;
		rc = rc == 0 ? mgr_fail(m, EX_NOINPUT, "%s: no such file", file) :
		    mgr_fail(m, EX_NOINPUT, "%s", why);
		free(why);
		return rc;
	}
	while ((n = read(0, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mgr_fail(m, EX_IOERR, "standard input: %s",
			    strerror(errno));
		if (out->len + (size_t)n > SIEVE_FILE_MAX)
			return mgr_fail(m, EX_DATAERR, "standard input: larger "
			    "than %u bytes", SIEVE_FILE_MAX);
		buf_append(out, chunk, (size_t)n);
	}
	return 0;
}

/* Parse FILE: 0 when valid (script text in out), else an exit code. */
static int
check_file(struct mgr *m, const char *file, struct buf *out)
{
	struct sieve_script *s = NULL;
	char *why = NULL;
	int rc;

	if ((rc = read_script(m, file, out)) != 0)
		return rc;
	if (sieve_parse(buf_cstr(out), out->len, &s, &why) < 0) {
		rc = mgr_fail(m, EX_DATAERR, "%s:%s", file, why);
		free(why);
		return rc;
	}
	sieve_free(s);
	return 0;
}

static int
sieve_show(struct mgr *m, const char *name)
{
	struct buf text = BUF_INIT;
	char *why = NULL;
	int rc = sieve_script_load(m->store, name, &text, &why);

	if (rc < 0)
		rc = mgr_fail(m, mgr_code(errno), "%s: %s", name, why);
	else if (rc == 0)
		rc = mgr_fail(m, EX_NOINPUT, "%s: no Sieve script", name);
	else {
		fwrite(text.data, 1, text.len, stdout);
		rc = ferror(stdout) ? EX_IOERR : 0;
	}
	free(why);
	buf_free(&text);
	return rc;
}

static int
sieve_change(struct mgr *m, const char *name, const char *file)
{
	struct buf text = BUF_INIT;
	char *why = NULL, bytes[24];
	int rc;

	if (file) {
		if ((rc = check_file(m, file, &text)) != 0)
			goto out;
		if (sieve_script_save(m->store, name, text.data, text.len,
		    &why) < 0) {
			rc = mgr_fail(m, mgr_code(errno), "%s: %s", name, why);
			goto out;
		}
	} else {
		rc = sieve_script_remove(m->store, name, &why);
		if (rc <= 0) {
			rc = rc < 0 ? mgr_fail(m, mgr_code(errno), "%s: %s", name,
			    why) : mgr_fail(m, EX_NOINPUT, "%s: no Sieve script",
			    name);
			goto out;
		}
	}
	rc = 0;
	snprintf(bytes, sizeof(bytes), "%zu", text.len);
	log_event(LOG_NOTICE, file ? "sieve_set" : "sieve_remove", "account",
	    name, "bytes", file ? bytes : NULL, "by", m->by, NULL);
	mgr_changed(m);
out:
	free(why);
	buf_free(&text);
	return rc;
}

int
cmd_sieve(struct mgr *m, const struct words *w)
{
	struct sw_val vals[5];
	struct words params = { NULL, 0, 0 };
	struct buf name = BUF_INIT, text = BUF_INIT;
	struct acct a;
	int rc, ops;

	memset(vals, 0, sizeof(vals));
	if ((rc = mgr_args(m, sieve_switches, w, vals, &params)) != 0)
		goto out;
	ops = vals[0].given + vals[1].given + vals[2].given + vals[3].given;
	if (ops != 1 || params.n > 1 || (params.n == 0 && !vals[2].given)) {
		rc = mgr_fail(m, EX_USAGE, "usage: sieve ACCOUNT -set=FILE | "
		    "-show | -check=FILE | -remove");
		goto out;
	}
	if (vals[2].given && params.n == 0) {
		if ((rc = check_file(m, vals[2].value, &text)) == 0)
			printf("%s: ok\n", vals[2].value);
		goto out;
	}
	if ((rc = mgr_canon(m, params.v[0], &name)) != 0 ||
	    (rc = mgr_load(m, name.data, &a, 1)) != 0)
		goto out;
	acct_wipe(&a);
	if (vals[2].given) {
		if ((rc = check_file(m, vals[2].value, &text)) == 0)
			printf("%s: ok\n", vals[2].value);
	} else if (vals[1].given) {
		rc = sieve_show(m, name.data);
	} else {
		rc = sieve_change(m, name.data, vals[0].given ? vals[0].value :
		    NULL);
	}
out:
	buf_free(&name);
	buf_free(&text);
	words_free(&params);
	return rc;
}
