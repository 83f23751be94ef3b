/*
 * prompt - questions at the terminal: passwords without echo, and the
 * confirmations of wildcard commands. Only when standard input is a
 * terminal; deferred changes are made durable before waiting.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "passwd.h"
#include "popmgr.h"

/* One line from standard input into out (no line end): 1, 0 at EOF. */
static int
read_answer(struct buf *out, size_t max)
{
	char c;
	ssize_t n;

	buf_reset(out);
	while ((n = read(STDIN_FILENO, &c, 1)) == 1 && c != '\n')
		if (out->len < max && c != '\r')
			buf_putc(out, c);
	return n == 1 || out->len > 0;
}

int
prompt_secret(struct mgr *m, const char *question, struct buf *answer)
{
	struct termios old, quiet;
	sigset_t block, saved;
	int got, echo_off;

	if (!m->interactive)
		return mgr_fail(m, EX_USAGE, "a password prompt needs a terminal "
		    "(or give -password=...)");
	(void)mgr_checkpoint(m);
	echo_off = tcgetattr(STDIN_FILENO, &old) == 0;
	/* A signal while echo is off is delivered once it is back on. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTSTP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &saved);
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		quiet.c_lflag |= ECHONL;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	fputs(question, stdout);
	fflush(stdout);
	got = read_answer(answer, PASSWD_MAX_LEN + 1);
	if (echo_off)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	if (!got)
		return mgr_fail(m, EX_USAGE, "no password given");
	if (answer->len > PASSWD_MAX_LEN)
		return mgr_fail(m, EX_DATAERR, "password longer than %d bytes",
		    PASSWD_MAX_LEN);
	return 0;
}

int
prompt_new_password(struct mgr *m, struct buf *pw)
{
	struct buf again = BUF_INIT;
	int rc;

	if ((rc = prompt_secret(m, "Password: ", pw)) == 0 &&
	    (rc = prompt_secret(m, "Retype password: ", &again)) == 0 &&
	    (pw->len != again.len || memcmp(pw->data, again.data, pw->len) != 0))
		rc = mgr_fail(m, EX_DATAERR, "the passwords differ");
	buf_free_secret(&again);
	return rc;
}

int
prompt_confirm(struct mgr *m, const char *question)
{
	struct buf answer = BUF_INIT;
	const char *a;
	int rc;

	(void)mgr_checkpoint(m);
	printf("%s [N]: ", question);
	fflush(stdout);
	if (!read_answer(&answer, 64)) {
		fputc('\n', stdout);
		buf_free(&answer);
		return -1;
	}
	a = buf_cstr(&answer);
	a += strspn(a, " \t");
	if (parse_yes(a))
		rc = 1;
	else if (strcasecmp(a, "a") == 0 || strcasecmp(a, "all") == 0)
		rc = 2;
	else if (strcasecmp(a, "q") == 0 || strcasecmp(a, "quit") == 0)
		rc = -1;
	else
		rc = 0;
	buf_free(&answer);
	return rc;
}
