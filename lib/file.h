/*
 * NAME
 *	file - safe, durable file operations for the store
 * DESCRIPTION
 *	The store's files are never opened through a symbolic link
 *	(O_NOFOLLOW), and every replacement of a whole file is: write a new
 *	file beside it (O_EXCL), fsync it, rename(2) it over the old one,
 *	fsync the directory. With FILE_NOSYNC the fsyncs are left to the
 *	caller, who must make the change durable (file_syncfs()) before
 *	reporting success; popmgr does this for commands touching many
 *	accounts.
 *
 *	file_errno_temporary() is the one place that decides whether an
 *	errno means "may work later" (deliver's EX_TEMPFAIL) or not.
 * MEMORY
 *	*why_r, when set, is allocated; the caller frees it.
 */
#ifndef POPSTORE_FILE_H
#define POPSTORE_FILE_H

#include <stddef.h>
#include <sys/types.h>

struct buf;

#define FILE_NOSYNC	0x01	/* leave fsync to the caller */

/* Replace path with len bytes of data, atomically (see above). */
int file_write_atomic(const char *path, const void *data, size_t len,
    mode_t mode, int flags, char **why_r);

/*
 * Read a whole regular file of at most max bytes into out (appended).
 * Returns 1, 0 if it does not exist, -1 on error (too large, not a
 * regular file, a symbolic link, I/O error).
 */
int file_read(const char *path, size_t max, struct buf *out, char **why_r);

/* mkdir -p with mode for each directory created. 0 or -1. */
int file_mkdirs(const char *path, mode_t mode, char **why_r);

/* mkdir -p of the directory holding path. 0 or -1. */
int file_mkparents(const char *path, mode_t mode, char **why_r);

/* fsync a directory; fsync the directory holding path. 0 or -1. */
int file_fsync_dir(const char *dir);
int file_fsync_parent(const char *path);

/* syncfs(2) of the file system holding path. 0 or -1. */
int file_syncfs(const char *path);

/* open(2) with O_NOFOLLOW | O_CLOEXEC added. */
int file_open(const char *path, int flags, mode_t mode);

/* Remove a directory tree (no symbolic links followed). 0 or -1. */
int file_remove_tree(const char *path, char **why_r);

/* 1 if errno value err may go away by itself (retry later), else 0. */
int file_errno_temporary(int err);

/*
 * Open dir/name read-only for a file the store itself made (a message
 * file): name is not followed if it is a symbolic link, a FIFO or a
 * device does not block the open, and anything but a regular file
 * owned by the owner of dir is refused with EPERM. A hard link planted
 * to another user's file (/etc/shadow) keeps that user as its owner,
 * so it is refused even by a tool running as root. Returns the fd, or
 * -1 with errno.
 */
int file_open_store(const char *dir, const char *name);

/*
 * The same in the directory open as dfd, whose owner (st_uid) the
 * caller has taken from fstat(dfd): a session that opens many messages
 * of one folder opens and checks the directory once.
 */
int file_open_store_at(int dfd, uid_t owner, const char *name);

/* Set *why_r to "what: strerror(errno)" and return -1. */
int file_why(char **why_r, const char *what);

/* Set *why_r to a formatted message and return -1. */
int file_whyf(char **why_r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
