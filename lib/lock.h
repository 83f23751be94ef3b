/*
 * NAME
 *	lock - fcntl record locks with a timeout
 * DESCRIPTION
 *	The store's locks are POSIX fcntl(2) locks on small files that are
 *	never replaced (a folder's "lock", an account's "lock", the database
 *	lock files), so they work over NFS and survive renames of the data
 *	they protect. A lock is held by the process and released when any
 *	descriptor of the file closes: only this module opens lock files,
 *	and a process takes a given lock at most once.
 *
 *	Waiting polls with a growing sleep (1 ms to 20 ms), so no signal
 *	handler is involved, until timeout seconds have passed.
 * MEMORY
 *	Nothing allocated except *why_r on error.
 */
#ifndef POPSTORE_LOCK_H
#define POPSTORE_LOCK_H

#define LOCK_SHARED	0
#define LOCK_EXCLUSIVE	1

/*
 * Lock path (created mode 0600 if missing), waiting at most timeout
 * seconds (0: try once). Returns the descriptor holding the lock, or -1
 * with errno EWOULDBLOCK on timeout (*why_r "lock timeout: PATH") or
 * the open/fcntl errno.
 */
int lock_acquire(const char *path, int exclusive, unsigned timeout,
    char **why_r);

/*
 * Lock the whole of an already open file (fd open for reading for a
 * shared lock, for writing for an exclusive one), waiting at most
 * timeout seconds: for a file the caller also reads and writes (a
 * Berkeley mailbox, mbox.h). Closing any descriptor of the file still
 * releases the lock. Returns 0, or -1 with errno (EWOULDBLOCK on
 * timeout).
 */
int lock_fd(int fd, int exclusive, unsigned timeout);

/* Release a lock taken by lock_acquire(); -1 is ignored. */
void lock_release(int fd);

#endif
