/*
 * acctmove - move an account's mail to another partition (acctmove.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "acct.h"
#include "acctmove.h"
#include "buf.h"
#include "conf.h"
#include "file.h"
#include "kvfile.h"
#include "lock.h"
#include "log.h"
#include "mboxlist.h"
#include "mem.h"
#include "name.h"
#include "recon.h"
#include "store.h"

#define MOVE_TRIES	5	/* folder list changed while locking */
#define MOVE_DEPTH_MAX	16	/* directory levels inside an account */

/* Hard links inside the account, kept when copying across devices. */
struct ino_map {
	dev_t	 dev;
	ino_t	 ino;
	char	*path;		/* the copy's path */
};

struct mover {
	struct acctmove_stats st;
	struct ino_map *map;
	size_t	 nmap, capmap;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
copy_data(int from, const struct stat *sst, const char *to, char **why_r)
{
	char buf[65536];
	struct timespec ts[2];
	ssize_t n, w;
	size_t off;
	int fd, rc = 0;

	if ((fd = file_open(to, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		return file_why(why_r, to);
	while ((n = read(from, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = file_why(why_r, to);
			break;
		}
		for (off = 0; off < (size_t)n; off += (size_t)w) {
			w = write(fd, buf + off, (size_t)n - off);
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w <= 0) {
				rc = file_why(why_r, to);
				break;
			}
		}
		if (rc < 0)
			break;
	}
	ts[0] = sst->st_atim;
	ts[1] = sst->st_mtim;
	if (rc == 0 && (fchmod(fd, sst->st_mode & 07777) < 0 ||
	    futimens(fd, ts) < 0 || fsync(fd) < 0))
		rc = file_why(why_r, to);
	if (close(fd) < 0 && rc == 0)
		rc = file_why(why_r, to);
	if (rc < 0)
		(void)unlink(to);
	return rc;
}

/* One regular file: link, or copy keeping links inside the account. */
static int
move_file(struct mover *mv, const char *from, const struct stat *sst,
    const char *to, char **why_r)
{
	size_t i;
	int fd, rc;

	if (link(from, to) == 0) {
		mv->st.linked++;
		return 0;
	}
	if (errno != EXDEV && errno != EPERM)
		return file_why(why_r, to);
	if (sst->st_nlink > 1)
		for (i = 0; i < mv->nmap; i++)
			if (mv->map[i].dev == sst->st_dev &&
			    mv->map[i].ino == sst->st_ino) {
				if (link(mv->map[i].path, to) < 0)
					return file_why(why_r, to);
				return 0;
			}
	if ((fd = file_open(from, O_RDONLY, 0)) < 0)
		return file_why(why_r, from);
	rc = copy_data(fd, sst, to, why_r);
	(void)close(fd);
	if (rc == 0 && sst->st_nlink > 1) {
		if (mv->nmap == mv->capmap) {
			mv->capmap = mv->capmap ? mv->capmap * 2 : 64;
			mv->map = mem_realloc(mv->map, mv->capmap,
			    sizeof(*mv->map));
		}
		mv->map[mv->nmap].dev = sst->st_dev;
		mv->map[mv->nmap].ino = sst->st_ino;
		mv->map[mv->nmap].path = mem_strdup(to);
		mv->nmap++;
	}
	return rc;
}

/*
 * The next entry of directory d (from) as the paths from/NAME and
 * to/NAME in f and t: 1, or 0 at the end (errno nonzero on an error).
 */
static int
next_pair(DIR *d, const char *from, const char *to, struct buf *f,
    struct buf *t)
{
	struct dirent *de;

	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		buf_reset(f);
		buf_reset(t);
		buf_printf(f, "%s/%s", from, de->d_name);
		buf_printf(t, "%s/%s", to, de->d_name);
		return 1;
	}
	return 0;
}

/* Copy directory from (which exists) to to (created here), recursively. */
static int
copy_tree(struct mover *mv, const char *from, const char *to, int depth,
    char **why_r)
{
	struct buf f = BUF_INIT, t = BUF_INIT;
	struct stat st;
	DIR *d = NULL;
	int rc = -1;

	if (depth > MOVE_DEPTH_MAX)
		return file_whyf(why_r, "%s: too deep", from);
	if (lstat(from, &st) < 0)
		return file_why(why_r, from);
	if (mkdir(to, st.st_mode & 07777) < 0)
		return file_why(why_r, to);
	mv->st.dirs++;
	if ((d = opendir(from)) == NULL) {
		file_why(why_r, from);
		goto out;
	}
	while (next_pair(d, from, to, &f, &t)) {
		if (lstat(f.data, &st) < 0) {
			file_why(why_r, f.data);
			goto out;
		}
		if (S_ISDIR(st.st_mode)) {
			if (copy_tree(mv, f.data, t.data, depth + 1, why_r) < 0)
				goto out;
		} else if (S_ISREG(st.st_mode)) {
			if (move_file(mv, f.data, &st, t.data, why_r) < 0)
				goto out;
			mv->st.files++;
			mv->st.bytes += (unsigned long long)st.st_size;
		} else {
			file_whyf(why_r, "%s: not a file or directory", f.data);
			goto out;
		}
	}
	if (errno != 0) {
		file_why(why_r, from);
		goto out;
	}
	if (file_fsync_dir(to) < 0) {
		file_why(why_r, to);
		goto out;
	}
	rc = 0;
out:
	if (d)
		closedir(d);
	buf_free(&f);
	buf_free(&t);
	return rc;
}

/* Every name of from exists in to with the same type and size. */
static int
same_tree(const char *from, const char *to, int depth, char **why_r)
{
	struct buf f = BUF_INIT, t = BUF_INIT;
	struct stat fs, ts;
	DIR *d;
	int rc = 0;

	if (depth > MOVE_DEPTH_MAX || (d = opendir(from)) == NULL)
		return file_whyf(why_r, "%s: cannot verify the copy", from);
	while (rc == 0 && next_pair(d, from, to, &f, &t)) {
		if (lstat(f.data, &fs) < 0 || lstat(t.data, &ts) < 0 ||
		    (fs.st_mode & S_IFMT) != (ts.st_mode & S_IFMT) ||
		    (S_ISREG(fs.st_mode) && fs.st_size != ts.st_size))
			rc = file_whyf(why_r, "%s: copy differs", t.data);
		else if (S_ISDIR(fs.st_mode))
			rc = same_tree(f.data, t.data, depth + 1, why_r);
	}
	closedir(d);
	buf_free(&f);
	buf_free(&t);
	return rc;
}

/* DIR/.deleted.T.PID.LEAF for path DIR/LEAF: a name reconstruct removes. */
static void
debris_name(const char *path, struct buf *out)
{
	const char *slash = strrchr(path, '/');

	buf_reset(out);
	buf_append(out, path, (size_t)(slash - path));
	buf_printf(out, "/.deleted.%ld.%ld.%s", (long)time(NULL),
	    (long)getpid(), slash + 1);
}

/* Remove whatever is at path (a tombstone, an unused copy). */
static int
clear_path(const char *path, char **why_r)
{
	struct buf gone = BUF_INIT;
	struct stat st;
	int rc = 0;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : file_why(why_r, path);
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(path) < 0)
			rc = file_why(why_r, path);
	} else {
		debris_name(path, &gone);
		if (rename(path, gone.data) < 0)
			rc = file_why(why_r, path);
		else
			(void)file_remove_tree(gone.data, NULL);
	}
	if (rc == 0)
		(void)file_fsync_parent(path);
	buf_free(&gone);
	return rc;
}

static void
release_all(int *fds, size_t n, int acctfd)
{
	size_t i;

	acct_unlock(acctfd);
	for (i = n; i > 0; i--)
		lock_release(fds[i - 1]);
}

/*
 * Lock every folder of a (path order), then the account. 0 with the
 * locks in *fds_r / *n_r / *acctfd_r and a reloaded under them; 1 when
 * the folder list or the partition changed meanwhile (nothing held);
 * -1 on error.
 */
static int
lock_account(struct store *s, struct acct *a, int **fds_r, size_t *n_r,
    int *acctfd_r, char **why_r)
{
	struct mboxlist l, l2;
	struct buf dir = BUF_INIT;
	char **paths = NULL;
	char part[sizeof(a->partition)];
	int *fds = NULL, acctfd = -1, rc = -1;
	size_t i, n = 0;

	memcpy(part, a->partition, sizeof(part));
	if (mboxlist_load(s, a, &l, why_r) < 0)
		return -1;
	paths = mem_zalloc(l.n ? l.n : 1, sizeof(*paths));
	fds = mem_alloc(l.n ? l.n : 1, sizeof(*fds));
	for (i = 0; i < l.n; i++) {
		buf_reset(&dir);
		if (mbox_dir(s, a, l.v[i].id, &dir) < 0) {
			file_whyf(why_r, "%s: partition '%s' is not "
			    "configured", a->name, a->partition);
			goto out;
		}
		buf_puts(&dir, "/lock");
		paths[i] = buf_steal(&dir);
	}
	qsort(paths, l.n, sizeof(*paths), cmp_str);
	for (n = 0; n < l.n; n++)
		if ((fds[n] = lock_acquire(paths[n], LOCK_EXCLUSIVE,
		    (unsigned)s->conf->lock_timeout, why_r)) < 0)
			goto out;
	if ((acctfd = acct_lock(s, a->name, why_r)) < 0)
		goto out;
	if ((rc = acct_load(s, a->name, a, why_r)) <= 0) {
		if (rc == 0) {
			errno = ENOENT;
			file_whyf(why_r, "%s: no such account", a->name);
		}
		rc = -1;
		goto out;
	}
	if (strcmp(part, a->partition) != 0) {
		rc = 1;
		goto out;
	}
	if (mboxlist_read(s, a, &l2, why_r) < 0) {
		rc = -1;
		goto out;
	}
	rc = 0;
	if (l2.n != l.n)
		rc = 1;
	for (i = 0; rc == 0 && i < l.n; i++)
		if (mboxlist_find_id(&l2, l.v[i].id) == NULL)
			rc = 1;
	mboxlist_free(&l2);
out:
	if (rc != 0) {
		release_all(fds, n, acctfd);
		free(fds);
		fds = NULL;
		n = 0;
		acctfd = -1;
	}
	*fds_r = fds;
	*n_r = n;
	*acctfd_r = acctfd;
	for (i = 0; i < l.n; i++)
		free(paths[i]);
	free(paths);
	mboxlist_free(&l);
	buf_free(&dir);
	return rc;
}

/* acct_load(), with "no such account" (ENOENT) an error. 0 or -1. */
static int
load_acct(struct store *s, const char *name, struct acct *a, char **why_r)
{
	int rc = acct_load(s, name, a, why_r);

	if (rc == 0) {
		errno = ENOENT;
		file_whyf(why_r, "%s: no such account", name);
	}
	return rc <= 0 ? -1 : 0;
}

static int
check_partition(struct store *s, const char *partition, char **why_r)
{
	if (conf_partition_dir(s->conf, partition) != NULL)
		return 0;
	errno = EINVAL;
	return file_whyf(why_r, "partition '%s' is not configured", partition);
}

/* The locks of one account, as lock_account() takes them. */
struct held {
	int	*fds;
	size_t	 n;
	int	 acctfd;
};

/*
 * Load account name into a and lock it (lock_account), again while it
 * changes under us. When skip is not NULL and the account is on that
 * partition, 1 with nothing held. 0 with h held (release_held), -1.
 */
static int
hold_account(struct store *s, const char *name, struct acct *a,
    const char *skip, struct held *h, char **why_r)
{
	int tries, rc;

	memset(h, 0, sizeof(*h));
	h->acctfd = -1;
	for (tries = 0; tries < MOVE_TRIES; tries++) {
		if (load_acct(s, name, a, why_r) < 0)
			return -1;
		if (skip && strcmp(a->partition, skip) == 0)
			return 1;
		rc = lock_account(s, a, &h->fds, &h->n, &h->acctfd, why_r);
		if (rc <= 0)
			return rc;
	}
	errno = EAGAIN;
	return file_whyf(why_r, "%s: the account keeps changing; try again",
	    name);
}

static void
release_held(struct held *h)
{
	release_all(h->fds, h->n, h->acctfd);
	free(h->fds);
	memset(h, 0, sizeof(*h));
	h->acctfd = -1;
}

static void
mover_free(struct mover *mv)
{
	size_t i;

	for (i = 0; i < mv->nmap; i++)
		free(mv->map[i].path);
	free(mv->map);
	mv->map = NULL;
	mv->nmap = mv->capmap = 0;
}

/* With the locks held: copy, switch, retire. */
static int
move_locked(struct store *s, struct acct *a, const char *partition,
    struct mover *mv, char **why_r)
{
	struct buf old = BUF_INIT, new = BUF_INIT, stage = BUF_INIT,
	    gone = BUF_INIT, tomb = BUF_INIT;
	char oldpart[sizeof(a->partition)];
	struct stat st;
	int have_old, fd, rc = -1;

	memcpy(oldpart, a->partition, sizeof(oldpart));
	if (store_mail_dir(s, a->partition, a->name, &old) < 0 ||
	    store_mail_dir(s, partition, a->name, &new) < 0) {
		errno = EINVAL;
		file_whyf(why_r, "%s: partition not configured", a->name);
		goto out;
	}
	have_old = lstat(old.data, &st) == 0 && S_ISDIR(st.st_mode);
	if (clear_path(new.data, why_r) < 0 ||
	    file_mkparents(new.data, 0750, why_r) < 0)
		goto out;
	if (have_old) {
		debris_name(new.data, &stage);
		if (copy_tree(mv, old.data, stage.data, 0, why_r) < 0 ||
		    same_tree(old.data, stage.data, 0, why_r) < 0) {
			(void)file_remove_tree(stage.data, NULL);
			goto out;
		}
		if (rename(stage.data, new.data) < 0) {
			file_why(why_r, new.data);
			(void)file_remove_tree(stage.data, NULL);
			goto out;
		}
		if (file_fsync_parent(new.data) < 0) {
			file_why(why_r, new.data);
			(void)clear_path(new.data, NULL);
			goto out;
		}
	}
	/* The commit point: the profile names the new partition. */
	snprintf(a->partition, sizeof(a->partition), "%s", partition);
	if (acct_save(s, a, why_r) < 0) {
		memcpy(a->partition, oldpart, sizeof(oldpart));
		(void)clear_path(new.data, NULL);
		goto out;
	}
	if (s->batch)
		(void)store_sync(s, NULL);
	rc = 0;
	if (!have_old)
		goto out;
	/* Retire the old copy; a tombstone keeps processes that still hold
	 * the old profile from recreating folders there. */
	debris_name(old.data, &gone);
	if (rename(old.data, gone.data) < 0) {
		log_event(LOG_WARNING, "account_move_cleanup", "account",
		    a->name, "path", old.data, "error", strerror(errno), NULL);
		goto out;
	}
	buf_printf(&tomb, "popstore: account moved to partition %s\n",
	    partition);
	if ((fd = file_open(old.data, O_WRONLY | O_CREAT | O_EXCL, 0640)) >= 0) {
		if (write(fd, tomb.data, tomb.len) < 0)
			log_event(LOG_WARNING, "account_move_cleanup", "account",
			    a->name, "path", old.data, "error",
			    strerror(errno), NULL);
		(void)close(fd);
	}
	(void)file_fsync_parent(old.data);
	(void)file_remove_tree(gone.data, NULL);
out:
	buf_free(&old);
	buf_free(&new);
	buf_free(&stage);
	buf_free(&gone);
	buf_free(&tomb);
	return rc;
}

int
acctmove_partition(struct store *s, const char *name, const char *partition,
    struct acctmove_stats *stats_r, char **why_r)
{
	struct mover mv;
	struct held h;
	struct acct a;
	char files[32];
	int rc;

	memset(&mv, 0, sizeof(mv));
	memset(&a, 0, sizeof(a));
	if (stats_r)
		memset(stats_r, 0, sizeof(*stats_r));
	if (check_partition(s, partition, why_r) < 0)
		return -1;
	if ((rc = hold_account(s, name, &a, partition, &h, why_r)) != 0) {
		acct_wipe(&a);
		return rc < 0 ? -1 : 0;
	}
	rc = move_locked(s, &a, partition, &mv, why_r);
	release_held(&h);
	if (rc == 0) {
		snprintf(files, sizeof(files), "%lu", mv.st.files);
		log_event(LOG_NOTICE, "account_move", "account", name,
		    "partition", partition, "files", files, NULL);
	}
	if (stats_r)
		*stats_r = mv.st;
	mover_free(&mv);
	acct_wipe(&a);
	return rc;
}

/* ---- export and import ---- */

/* Run tar(1) with argv (no shell). 0, or -1 with *why_r. */
static int
run_tar(char *const argv[], char **why_r)
{
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return file_why(why_r, "fork");
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return file_why(why_r, "waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		errno = EIO;
		return file_whyf(why_r, "tar %s failed (status %d)", argv[1],
		    WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	}
	return 0;
}

/* A new private directory PART/tmp/WHAT.PID.TIME. */
static int
make_stage(struct store *s, const char *partition, const char *what,
    struct buf *out, char **why_r)
{
	buf_reset(out);
	if (store_tmp_dir(s, partition, out) < 0) {
		errno = EINVAL;
		return file_whyf(why_r, "partition '%s' is not configured",
		    partition);
	}
	buf_printf(out, "/%s.%ld.%ld", what, (long)getpid(), (long)time(NULL));
	if (file_mkdirs(out->data, 0700, why_r) < 0)
		return -1;
	return 0;
}

int
acctmove_export(struct store *s, const char *name, const char *file,
    char **why_r)
{
	struct buf stage = BUF_INIT, p = BUF_INIT, q = BUF_INIT,
	    mark = BUF_INIT;
	struct kvfile kv;
	struct mover mv;
	struct stat st;
	struct held h;
	struct acct a;
	char *argv[7];
	int rc;

	memset(&mv, 0, sizeof(mv));
	memset(&a, 0, sizeof(a));
	if (hold_account(s, name, &a, NULL, &h, why_r) < 0) {
		acct_wipe(&a);
		return -1;
	}
	rc = -1;
	if (make_stage(s, a.partition, "export", &stage, why_r) < 0)
		goto unlock;
	store_profile_dir(s, name, &p);
	buf_printf(&q, "%s/profile", stage.data);
	if (copy_tree(&mv, p.data, q.data, 0, why_r) < 0)
		goto unlock;
	buf_reset(&p);
	buf_reset(&q);
	store_mail_dir(s, a.partition, name, &p);
	buf_printf(&q, "%s/mail", stage.data);
	if (lstat(p.data, &st) == 0 && copy_tree(&mv, p.data, q.data, 0,
	    why_r) < 0)
		goto unlock;
	kvfile_init(&kv, "export", 1);
	kvfile_set(&kv, "account", name);
	kvfile_set(&kv, "partition", a.partition);
	kvfile_format(&kv, &mark);
	kvfile_free(&kv);
	buf_reset(&q);
	buf_printf(&q, "%s/popstore-export", stage.data);
	if (file_write_atomic(q.data, mark.data, mark.len, 0640, FILE_NOSYNC,
	    why_r) < 0)
		goto unlock;
	argv[0] = (char *)"tar";
	argv[1] = (char *)"-cf";
	argv[2] = (char *)file;
	argv[3] = (char *)"-C";
	argv[4] = stage.data;
	argv[5] = (char *)".";
	argv[6] = NULL;
	rc = run_tar(argv, why_r);
unlock:
	release_held(&h);
	if (stage.len)
		(void)file_remove_tree(stage.data, NULL);
	mover_free(&mv);
	acct_wipe(&a);
	buf_free(&stage);
	buf_free(&p);
	buf_free(&q);
	buf_free(&mark);
	return rc;
}

/* Copy stage subtree from to its place to, through a .deleted. name. */
static int
place_tree(struct mover *mv, const char *from, const char *to, char **why_r)
{
	struct buf tmp = BUF_INIT;
	int rc = -1;

	if (file_mkparents(to, 0750, why_r) < 0)
		return -1;
	debris_name(to, &tmp);
	if (copy_tree(mv, from, tmp.data, 0, why_r) < 0)
		goto out;
	if (rename(tmp.data, to) < 0) {
		file_why(why_r, to);
		goto out;
	}
	(void)file_fsync_parent(to);
	rc = 0;
out:
	if (rc < 0)
		(void)file_remove_tree(tmp.data, NULL);
	buf_free(&tmp);
	return rc;
}

int
acctmove_import(struct store *s, const char *file, const char *partition,
    struct recon *rc, char **name_r, char **why_r)
{
	struct buf stage = BUF_INIT, p = BUF_INIT, q = BUF_INIT,
	    text = BUF_INIT, canon = BUF_INIT;
	struct kvfile kv;
	struct mover mv;
	struct stat st;
	struct acct a;
	const char *name;
	char *argv[8], *bad = NULL;
	int ret = -1, have_kv = 0;

	memset(&mv, 0, sizeof(mv));
	memset(&a, 0, sizeof(a));
	*name_r = NULL;
	if (check_partition(s, partition, why_r) < 0)
		return -1;
	if (make_stage(s, partition, "import", &stage, why_r) < 0)
		goto out;
	argv[0] = (char *)"tar";
	argv[1] = (char *)"-xf";
	argv[2] = (char *)file;
	argv[3] = (char *)"-C";
	argv[4] = stage.data;
	argv[5] = (char *)"--no-same-owner";
	argv[6] = (char *)"--no-overwrite-dir";
	argv[7] = NULL;
	if (run_tar(argv, why_r) < 0)
		goto out;
	buf_printf(&p, "%s/popstore-export", stage.data);
	if (file_read(p.data, 4096, &text, why_r) <= 0) {
		errno = EINVAL;
		if (why_r && *why_r == NULL)
			file_whyf(why_r, "%s: not a popstore export", file);
		goto out;
	}
	if (kvfile_parse(text.data, text.len, "export", &kv, why_r) < 0) {
		errno = EINVAL;
		goto out;
	}
	have_kv = 1;
	name = kvfile_get(&kv, "account");
	if (name == NULL || name_canon(s->conf, "", name, &canon, &bad) < 0 ||
	    strcmp(canon.data, name) != 0) {
		errno = EINVAL;
		file_whyf(why_r, "%s: bad account name", file);
		goto out;
	}
	if (acct_exists(s, name)) {
		errno = EEXIST;
		file_whyf(why_r, "%s: account exists", name);
		goto out;
	}
	/* Mail first, then the profile: the account appears complete. */
	buf_reset(&p);
	buf_printf(&p, "%s/mail", stage.data);
	store_mail_dir(s, partition, name, &q);
	if (lstat(q.data, &st) == 0) {
		errno = EEXIST;
		file_whyf(why_r, "%s: mail directory exists", q.data);
		goto out;
	}
	if (lstat(p.data, &st) == 0 && place_tree(&mv, p.data, q.data,
	    why_r) < 0)
		goto out;
	buf_reset(&p);
	buf_reset(&q);
	buf_printf(&p, "%s/profile", stage.data);
	store_profile_dir(s, name, &q);
	if (place_tree(&mv, p.data, q.data, why_r) < 0) {
		buf_reset(&q);
		store_mail_dir(s, partition, name, &q);
		(void)clear_path(q.data, NULL);
		goto out;
	}
	if (load_acct(s, name, &a, why_r) < 0) {
		errno = EINVAL;
		(void)acct_delete(s, name, NULL);
		goto out;
	}
	snprintf(a.partition, sizeof(a.partition), "%s", partition);
	a.backend[0] = '\0';
	if (acct_save(s, &a, why_r) < 0)
		goto out;
	*name_r = mem_strdup(name);
	ret = recon_account(s, name, rc, why_r);
out:
	if (stage.len)
		(void)file_remove_tree(stage.data, NULL);
	if (have_kv)
		kvfile_free(&kv);
	free(bad);
	mover_free(&mv);
	acct_wipe(&a);
	buf_free(&stage);
	buf_free(&p);
	buf_free(&q);
	buf_free(&text);
	buf_free(&canon);
	return ret;
}
