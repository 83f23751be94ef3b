/*
 * limits - the machine's limits for t/bench/run.
 *
 *	limits sendfile DIR SECONDS
 *	limits fsync DIR SECONDS
 *
 * sendfile: a 64 MB file in DIR (read once, so it is in the page cache)
 * is sent again and again with sendfile(2) over one loopback TCP
 * connection for SECONDS; the receiving process reads into a 1 MB buffer
 * and throws the bytes away. Prints "BYTES SECONDS" as the receiver saw
 * them: the most a server that sends whole files could push to one
 * client on this machine.
 *
 * fsync: for SECONDS, write 4 KB to DIR/limits.tmp, fsync it, close it
 * and rename it over DIR/limits.dat: the steps of one durable file update.
 * Prints "OPERATIONS SECONDS".
 *
 * Both stop after SECONDS (at most 60) whatever happens.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILESZ	(64L << 20)
#define BUFSZ	(1 << 20)

static void
die(const char *what)
{
	fprintf(stderr, "limits: %s: %s\n", what, strerror(errno));
	exit(1);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
do_sendfile(const char *dir, double secs)
{
	char path[4096], *buf;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int lfd, cfd, fd, pfd[2], status;
	long done;
	ssize_t n;
	double t0, t1, end;
	unsigned long long total = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/limits.sendfile", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) < 0)
		die(path);
	unlink(path);
	if ((buf = malloc(BUFSZ)) == NULL)
		die("malloc");
	memset(buf, 'x', BUFSZ);
	for (done = 0; done < FILESZ; done += BUFSZ)
		if (write(fd, buf, BUFSZ) != BUFSZ)
			die("write");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(lfd, 1) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) < 0)
		die("listen");
	if (pipe(pfd) < 0)
		die("pipe");
	if ((pid = fork()) < 0)
		die("fork");
	if (pid == 0) {
		close(pfd[0]);
		if ((cfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
		    connect(cfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			die("connect");
		t0 = 0;
		while ((n = read(cfd, buf, BUFSZ)) > 0) {
			if (t0 == 0)
				t0 = now();
			total += (unsigned long long)n;
		}
		t1 = now();
		dprintf(pfd[1], "%llu %.6f\n", total, t1 - t0);
		_exit(0);
	}
	close(pfd[1]);
	if ((cfd = accept(lfd, NULL, NULL)) < 0)
		die("accept");
	end = now() + secs;
	while (now() < end) {
		off_t off = 0;

		while (off < FILESZ) {
			n = sendfile(cfd, fd, &off, (size_t)(FILESZ - off));
			if (n <= 0)
				die("sendfile");
		}
	}
	close(cfd);
	n = read(pfd[0], buf, 200);
	waitpid(pid, &status, 0);
	if (n <= 0)
		die("receiver");
	fwrite(buf, 1, (size_t)n, stdout);
	return 0;
}

static int
do_fsync(const char *dir, double secs)
{
	char tmp[4096], dat[4096], block[4096];
	unsigned long ops = 0;
	double t0, end;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s/limits.tmp", dir);
	snprintf(dat, sizeof(dat), "%s/limits.dat", dir);
	memset(block, 'y', sizeof(block));
	t0 = now();
	end = t0 + secs;
	while (now() < end) {
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
			die(tmp);
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block) ||
		    fsync(fd) < 0 || close(fd) < 0)
			die("write");
		if (rename(tmp, dat) < 0)
			die("rename");
		ops++;
	}
	printf("%lu %.6f\n", ops, now() - t0);
	unlink(dat);
	return 0;
}

int
main(int argc, char **argv)
{
	double secs;

	if (argc != 4 || (secs = atof(argv[3])) <= 0 || secs > 60) {
		fputs("usage: limits sendfile|fsync DIR SECONDS (<= 60)\n",
		    stderr);
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)secs + 60);
	if (strcmp(argv[1], "sendfile") == 0)
		return do_sendfile(argv[2], secs);
	if (strcmp(argv[1], "fsync") == 0)
		return do_fsync(argv[2], secs);
	fputs("limits: sendfile or fsync\n", stderr);
	return 64;
}
