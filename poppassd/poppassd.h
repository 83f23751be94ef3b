/*
 * poppassd.h - private interfaces of poppassd (poppassd(8)).
 *
 * main.c	options, configuration, start-up as root, the privilege drop
 * dialog.c	the Eudora/Qualcomm password-change dialogue
 */
#ifndef POPPASSD_POPPASSD_H
#define POPPASSD_POPPASSD_H

struct conf;
struct netio;
struct secret_key;
struct store;

#define POPPASS_LINE_MAX	2048	/* a command line: passwords are
					   up to PASSWD_MAX_LEN bytes */
#define POPPASS_BAD_MAX		10	/* bad commands before closing */

struct poppass_env {
	const struct conf	*conf;
	struct store		*store;		/* NULL: the store is down */
	const struct secret_key	*key;		/* NULL: no site key */
};

/*
 * Run one dialogue on io until quit, end of input, timeout or too many
 * failures. Returns 0.
 */
int dialog_run(const struct poppass_env *env, struct netio *io);

#endif
