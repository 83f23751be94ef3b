/* sendmail - hand a message to the MTA; see sendmail.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
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
	int spool, status;
	pid_t pid;

	if (temporary_r)
		*temporary_r = 1;
	if (n == 0 || n > SENDMAIL_RCPT_MAX)
		return file_whyf(why_r, "sendmail: %zu recipients", n);
	/*
	 * The whole message is spooled before the MTA starts: if we are
	 * killed before the fork, nothing is sent; after it, the MTA reads
	 * a complete message. A pipe fed as we go would hand the MTA a
	 * truncated message when we die half-way.
	 */
	if ((spool = memfd_create("popstore-sendmail", MFD_CLOEXEC)) < 0)
		return file_why(why_r, "sendmail: spool");
	if (feed(spool, prefix, prefix_len, fd, offset) < 0 ||
	    lseek(spool, 0, SEEK_SET) != 0) {
		close(spool);
		return file_why(why_r, "sendmail: spool");
	}
	if ((pid = fork()) < 0) {
		close(spool);
		return file_why(why_r, "sendmail: fork");
	}
	if (pid == 0)
		child(c, sender ? sender : "", rcpts, n, spool);
	close(spool);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return file_why(why_r, "sendmail: wait");
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status)) {
		if (temporary_r)
			*temporary_r = WEXITSTATUS(status) == EX_TEMPFAIL;
		return file_whyf(why_r, "%s exited with status %d", c->sendmail,
		    WEXITSTATUS(status));
	}
	return file_whyf(why_r, "%s killed by signal %d", c->sendmail,
	    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
