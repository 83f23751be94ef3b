/*
 * NAME
 *	group - management groups and the one rule of who manages whom
 * DESCRIPTION
 *	Accounts belong to at most one management group (acct.group, up to
 *	16 characters, case-insensitive, stored in lower case). A group lists
 *	its subgroups, which list theirs: a manager's reach is its own group
 *	and everything reachable through subgroup lists. WORLD is the
 *	implicit group that contains everything; a group that lists "world"
 *	among its subgroups reaches everything too. Putting an account in a
 *	group that does not exist yet creates it (group_ensure).
 *
 *	A group is a file STORE_DIR/groups/NAME ("popstore-group 1": name,
 *	subgroups as a comma-separated list, description), mirrored in
 *	groups.gdbm (mgmtdb.h).
 *
 *	The rule (group_may_manage): an account with the MANAGE flag (and
 *	not DISUSER) manages the accounts of its own group and of every group
 *	it reaches; MANAGE with no group, or with a group reaching WORLD,
 *	manages every account. The command line, the web interface and any
 *	other caller ask this module; none decides by itself.
 * MEMORY
 *	struct group is a plain value. *why_r is allocated; caller frees.
 */
#ifndef POPSTORE_GROUP_H
#define POPSTORE_GROUP_H

#include "acct.h"

#define GROUP_WORLD		"world"
#define GROUP_NAME_MAX		ACCT_GROUP_MAX
#define GROUP_DESC_MAX		255
#define GROUP_DEPTH_MAX		32
#define GROUP_SUBS_MAX		1023	/* bytes of the subgroup list */

struct store;

struct group {
	char	name[GROUP_NAME_MAX + 1];
	char	subgroups[GROUP_SUBS_MAX + 1];	/* "a,b,c" */
	char	description[GROUP_DESC_MAX + 1];
};

/* Lower-case and validate a group name (1-16 of a-z 0-9 . _ -). */
int group_canon(const char *in, char out[GROUP_NAME_MAX + 1], char **why_r);

/* 1 found, 0 none, -1 error. WORLD is always found. */
int group_load(struct store *s, const char *name, struct group *g,
    char **why_r);

/*
 * Create a group; the subgroups it lists are created if missing. -1
 * with EEXIST if it exists.
 */
int group_create(struct store *s, const struct group *g, char **why_r);

/* Create group name (no subgroups) unless it exists. 0 or -1. */
int group_ensure(struct store *s, const char *name, char **why_r);

/* Replace the subgroup list or description of an existing group. */
int group_modify(struct store *s, const struct group *g, char **why_r);

/*
 * Delete a group and remove it from other groups' subgroup lists; with
 * recurse, its subgroups too (those no other group lists). Accounts in
 * it are not deleted: they keep the group name, which then reaches
 * nothing below it.
 */
int group_delete(struct store *s, const char *name, int recurse,
    char **why_r);

/* Canonicalise a comma-separated subgroup list ("(a, B)" -> "a,b"). */
int group_list_canon(const char *in, char out[GROUP_SUBS_MAX + 1],
    char **why_r);

/* Every group from the group files; fn returns nonzero to stop. */
int group_walk(struct store *s, int (*fn)(const struct group *g, void *ctx),
    void *ctx, char **why_r);

/*
 * 1 if group is top or is reachable from top through subgroup lists;
 * "" and WORLD as top (or a top reaching WORLD) contain everything.
 * 0 if not, -1 on error.
 */
int group_within(struct store *s, const char *group, const char *top,
    char **why_r);

/* The rule above, for an account. 1 may, 0 may not, -1 error. */
int group_may_manage(struct store *s, const struct acct *manager,
    const struct acct *target, char **why_r);

/* The same rule for a group name (creating accounts in it, or groups). */
int group_may_manage_group(struct store *s, const struct acct *manager,
    const char *group, char **why_r);

/* 1 if the manager manages everything (WORLD or no group). */
int group_is_world_manager(struct store *s, const struct acct *manager);

/* Rebuild groups.gdbm from the group files. */
int group_rebuild_db(struct store *s, char **why_r);

#endif
