/*
 * NAME
 *	watch - wake an idle session when its folder changes (IMAP IDLE)
 * DESCRIPTION
 *	watch_folder() returns an inotify(7) descriptor that becomes
 *	readable when the folder's state log is appended to or replaced,
 *	when its index is replaced (expunge), or when a per-user seen file
 *	changes: every change another session or a delivery makes. The
 *	caller waits on it together with the client (netio_wait()), then
 *	calls watch_drain() and folder_refresh(). No polling, no timer.
 * MEMORY
 *	The caller closes the descriptor.
 */
#ifndef POPSTORE_WATCH_H
#define POPSTORE_WATCH_H

struct folder;

/* An inotify descriptor watching folder f, or -1 with *why_r. */
int watch_folder(struct folder *f, char **why_r);

/* Read and discard pending events (non-blocking). */
void watch_drain(int fd);

#endif
