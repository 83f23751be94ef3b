/* sendmail - hand a message to the MTA; see sendmail.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "conf.h"
#include "file.h"
#include "mem.h"
#include "sendmail.h"

static int
write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t n;

	while (len > 0) {
		n = write(fd, c, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
feed(int to, const void *prefix, size_t plen, int fd, off_t off)
{
	char buf[65536];
	ssize_t n;

	if (plen && write_all(to, prefix, plen) < 0)
		return -1;
	if (fd < 0)
		return 0;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		if (write_all(to, buf, (size_t)n) < 0)
			return -1;
		off += n;
	}
	return n < 0 ? -1 : 0;
}

static void
child(const struct conf *c, const char *sender, const char *const *rcpts,
    size_t n, int in)
{
	const char **argv = mem_alloc(n + 6, sizeof(char *));
	size_t i, k = 0;

	int devnull;

	if (dup2(in, 0) < 0)
		_exit(EX_OSERR);
	if (in != 0)
		close(in);
	/* Our standard output may be a protocol stream (deliver -l). */
	devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0 || dup2(devnull, 1) < 0)
		_exit(EX_OSERR);
	if (devnull != 1)
		close(devnull);
	argv[k++] = c->sendmail;
	argv[k++] = "-i";
	argv[k++] = "-f";
	argv[k++] = sender;
	argv[k++] = "--";
	for (i = 0; i < n; i++)
		argv[k++] = rcpts[i];
	argv[k] = NULL;
	execv(c->sendmail, (char *const *)argv);
	_exit(EX_UNAVAILABLE);
}

int
sendmail_send(const struct conf *c, const char *sender,
    const char *const *rcpts, size_t n, const void *prefix,
    size_t prefix_len, int fd, int *temporary_r, char **why_r)
{
	return sendmail_send_at(c, sender, rcpts, n, prefix, prefix_len, fd, 0,
	    temporary_r, why_r);
}

int
sendmail_send_at(const struct conf *c, const char *sender,
    const char *const *rcpts, size_t n, const void *prefix,
    size_t prefix_len, int fd, off_t offset, int *temporary_r, char **why_r)
{
	void (*old)(int);
	int p[2], status, fed;
	pid_t pid;

	if (temporary_r)
		*temporary_r = 1;
	if (n == 0 || n > SENDMAIL_RCPT_MAX)
		return file_whyf(why_r, "sendmail: %zu recipients", n);
	if (pipe2(p, O_CLOEXEC) < 0)
		return file_why(why_r, "sendmail: pipe");
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		return file_why(why_r, "sendmail: fork");
	}
	if (pid == 0) {
		close(p[1]);
		child(c, sender ? sender : "", rcpts, n, p[0]);
	}
	close(p[0]);
	old = signal(SIGPIPE, SIG_IGN);
	fed = feed(p[1], prefix, prefix_len, fd, offset);
	close(p[1]);
	signal(SIGPIPE, old);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return file_why(why_r, "sendmail: wait");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && fed == 0)
		return 0;
	if (WIFEXITED(status)) {
		if (temporary_r)
			*temporary_r = WEXITSTATUS(status) == EX_TEMPFAIL ||
			    WEXITSTATUS(status) == 0;
		return file_whyf(why_r, "%s exited with status %d%s", c->sendmail,
		    WEXITSTATUS(status), fed < 0 ? " before reading the message" :
		    "");
	}
	return file_whyf(why_r, "%s killed by signal %d", c->sendmail,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
