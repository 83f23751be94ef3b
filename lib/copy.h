/*
 * NAME
 *	copy - copy messages between folders by hard link (IMAP COPY, MOVE)
 * DESCRIPTION
 *	copy_messages() puts existing messages of one folder into another
 *	without rewriting them: each file is hard-linked into the target
 *	folder as NEWUID.eml (copied through the target partition's tmp
 *	directory when the folders are on different partitions), its cache
 *	payload is copied, and records are appended under the target
 *	folder's lock in the order delivery uses (delivery.h): links and
 *	copied data durable first, then records, state and the account's
 *	counters, then those durable. Internal dates, sizes and flags are
 *	kept; keywords are carried by name; the records get new modseqs.
 *	The copies count towards the target account's usage (quota_used
 *	counts every folder's messages); the quota is not checked here -
 *	IMAP COPY within an account is never refused for quota, and the
 *	caller checks it for a copy into another account.
 *
 *	All or nothing: when any message cannot be linked (for example it
 *	was expunged meanwhile) the links made so far are removed and
 *	nothing is appended. Only an I/O error while records are appended
 *	leaves the copies made until then, consistent as after a crash.
 * MEMORY
 *	The caller provides newuids_r with room for n UIDs.
 */
#ifndef POPSTORE_COPY_H
#define POPSTORE_COPY_H

#include <stddef.h>
#include <stdint.h>

struct acct;
struct folder;
struct store;

/*
 * Copy messages uids[0..n) (ascending UIDs of src's view) into folder
 * dst_id of account dst. flags (may be NULL) overrides the system flags
 * of each copy (for per-user \Seen); otherwise they are the source's.
 * On success returns 0 with the new UIDs in newuids_r (same order) and
 * the target's UIDVALIDITY; -1 with *why_r and errno (ENOENT when a
 * source message or the target folder is gone).
 */
int copy_messages(struct store *s, struct folder *src, const uint32_t *uids,
    const uint32_t *flags, size_t n, const struct acct *dst, uint32_t dst_id,
    uint32_t *newuids_r, uint32_t *uidvalidity_r, char **why_r);

#endif
