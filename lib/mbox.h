/*
 * NAME
 *	mbox - Berkeley mailbox files: index, read, lock, rewrite
 * SYNOPSIS
 *	#include "mbox.h"
 * DESCRIPTION
 *	A Berkeley mailbox (the /var/mail/USER of Debian's MTAs) is one
 *	file of messages, each introduced by a From_ line ("From " sender
 *	date) at the start of the file or after an empty line, with LF line
 *	ends. pop3d serves such files to login users without a store account
 *	(LEGACY_MAIL_DIR) and migrate moves them into the store; both read
 *	them through this module. (struct mbox of mboxlist.h is something
 *	else: a folder of the store.)
 *
 *	Quoting. The MTA writes a body line that would look like a From_
 *	line with a '>' in front. Readers undo it by one of two conventions,
 *	chosen at mbox_open():
 *
 *	  mboxo	  (default) one '>' is removed from a line starting ">From ".
 *		  This is what Postfix local(8), Exim's appendfile and
 *		  procmail write; an original ">From " line comes back as
 *		  "From " (the format cannot tell them apart).
 *	  mboxrd  (MBOX_MBOXRD) one '>' is removed from a line starting
 *		  with one or more '>' and "From ": reversible, for files
 *		  written by mboxrd writers (mutt with mbox_type=mboxrd,
 *		  getmail).
 *
 *	Content-Length. A message whose header has "Content-Length: N"
 *	(Solaris mail, mboxcl/mboxcl2) is taken to have a body of exactly N
 *	bytes when that leads to the end of the file or to a From_ line
 *	(directly or after one empty line); a From_ line inside such a body
 *	does not start a message. A Content-Length that leads elsewhere is
 *	ignored.
 *
 *	A message's text, as indexed and read: the bytes after its From_
 *	line up to the next From_ line, without the one empty line that
 *	separates messages (the MTA's addition; a message that ends the file
 *	loses a last empty line too), unquoted, with its own line ends.
 *
 *	Locking follows Debian policy and Postfix's mailbox_delivery_lock:
 *	an exclusive lock is an fcntl write lock on the file and then the
 *	dotlock FILE.lock (created with link(2), which works over NFS; a
 *	dotlock older than MBOX_DOTLOCK_STALE seconds is broken); if the
 *	dotlock cannot be had, the fcntl lock is given up again, so that a
 *	program taking them in the other order never deadlocks with us. A
 *	shared lock is an fcntl read lock only: the MTAs hold fcntl while
 *	appending, so readers see whole messages. Creating the dotlock needs
 *	write access to the directory (on Debian: group mail).
 *
 *	Concurrency. The index is a snapshot: mail appended later is not in
 *	it, and is kept by mbox_expunge(). A file rewritten by another
 *	program (a mail reader removing messages) is detected by each
 *	message's From_ line checksum: reads and the rewrite then fail with
 *	errno ESTALE instead of serving or removing the wrong bytes.
 *
 *	Memory: the index holds one struct mbox_msg per message; reading a
 *	message needs a fixed buffer whatever its size.
 * MEMORY
 *	mbox_open() allocates the struct mbox_file; mbox_close() frees it,
 *	releasing any lock. Message entries belong to it and stay valid
 *	until the next mbox_scan(), mbox_expunge() or mbox_close().
 * ERRORS
 *	-1 with *why_r (allocated, caller frees) and errno: EWOULDBLOCK for
 *	a lock timeout, ESTALE for a file changed behind the index, EINVAL
 *	for a file that is not a Berkeley mailbox.
 */
#ifndef POPSTORE_MBOX_H
#define POPSTORE_MBOX_H

#include <stddef.h>
#include <stdint.h>

struct buf;

#define MBOX_DOTLOCK_STALE	300	/* seconds before a dotlock is broken */
#define MBOX_HEADER_SCAN_MAX	(256 * 1024)	/* header bytes searched for
						   Content-Length */

/* mbox_open() flags */
#define MBOX_RDONLY		0x01	/* no rewrite, no exclusive lock */
#define MBOX_MBOXRD		0x02	/* mboxrd unquoting (see above) */

/* mbox_lock() modes */
#define MBOX_LOCK_SHARED	0
#define MBOX_LOCK_EXCLUSIVE	1

/* struct mbox_msg flags */
#define MBOX_MSG_CL		0x01	/* end found by Content-Length */
#define MBOX_MSG_QUOTED		0x02	/* has a line to unquote */
#define MBOX_MSG_DOT		0x04	/* a line (unquoted) starts with '.' */
#define MBOX_MSG_NOEOL		0x08	/* the text does not end with LF */

struct mbox_msg {
	uint64_t from_off;	/* offset of the From_ line */
	uint64_t text_off;	/* first byte after the From_ line */
	uint64_t text_end;	/* end of the text (before the separator) */
	uint64_t next_off;	/* the next From_ line, or the end of file */
	uint64_t size;		/* bytes of the unquoted text */
	uint64_t crlf_size;	/* the same with every bare LF as CR LF */
	uint64_t header_size;	/* unquoted bytes up to and including the
				   empty line ending the header (or size) */
	uint64_t lines;		/* LFs in the text */
	uint32_t from_crc;	/* CRC-32C of the From_ line */
	unsigned flags;		/* MBOX_MSG_* */
};

struct mbox_file;

/*
 * Open the mailbox at path (O_NOFOLLOW, a regular file), read-write
 * unless MBOX_RDONLY or the file allows reading only. No lock is taken
 * and nothing is read yet. Returns 1, 0 when there is no such file, or
 * -1 with *why_r.
 */
int mbox_open(const char *path, int flags, struct mbox_file **mb_r,
    char **why_r);

/* Release the locks, close and free (NULL is allowed). */
void mbox_close(struct mbox_file *mb);

/* 1 when the file could only be opened for reading. */
int mbox_is_rdonly(const struct mbox_file *mb);

/*
 * Take the lock (MBOX_LOCK_SHARED or MBOX_LOCK_EXCLUSIVE, see
 * DESCRIPTION), waiting at most timeout seconds. Returns 0, or -1 with
 * errno EWOULDBLOCK on timeout, EACCES when the dotlock cannot be
 * created, and *why_r. A held lock is released first.
 */
int mbox_lock(struct mbox_file *mb, int mode, unsigned timeout, char **why_r);

/* Release the lock (nothing when none is held). */
void mbox_unlock(struct mbox_file *mb);

/*
 * Index the file from its start (normally under a lock). An empty file
 * has no messages; a file that does not start with a From_ line is
 * refused (EINVAL). Returns 0 or -1 with *why_r.
 */
int mbox_scan(struct mbox_file *mb, char **why_r);

/* Messages in the index. */
size_t mbox_count(const struct mbox_file *mb);

/* Entry i (0-based) of the index, or NULL past the end. */
const struct mbox_msg *mbox_msg(const struct mbox_file *mb, size_t i);

/*
 * Hand message i's text (see DESCRIPTION) to fn in pieces: each piece
 * ends at an LF or is the part of a long line that fits the buffer;
 * bol is 1 when the piece starts a line. fn returns 0 to go on, or a
 * positive value to stop, which mbox_read() then returns. Returns 0,
 * fn's value, or -1 with *why_r (ESTALE when the From_ line at the
 * indexed offset changed).
 */
int mbox_read(struct mbox_file *mb, size_t i,
    int (*fn)(void *ctx, const char *p, size_t len, int bol), void *ctx,
    char **why_r);

/*
 * The envelope of message i from its From_ line: the sender (appended
 * to sender; "" for MAILER-DAEMON and "<>") and the date as seconds
 * since the epoch (asctime form, taken as UTC when it names no zone;
 * 0 when unreadable). Returns 0, or -1 with *why_r.
 */
int mbox_envelope(struct mbox_file *mb, size_t i, struct buf *sender,
    int64_t *date_r, char **why_r);

/*
 * Remove every message i for which want(i, ctx) returns nonzero, under
 * an exclusive lock the caller holds. The file is checked against the
 * index first (same file, every From_ line where it was: else ESTALE
 * and nothing changes). The kept messages from the first removed one
 * on, and anything appended since the scan, are copied to a temporary
 * file in the same directory and synced, then copied back over the
 * mailbox, which is truncated and synced (the file keeps its owner,
 * mode and inode); the temporary file is removed last, so a crash at
 * any point leaves every kept byte in the mailbox or in it. The index
 * is emptied: call mbox_scan() to use the file again. Returns the
 * number removed, or -1 with *why_r.
 */
long mbox_expunge(struct mbox_file *mb, int (*want)(size_t i, void *ctx),
    void *ctx, char **why_r);

#endif
