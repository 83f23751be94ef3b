/* maildir - Maildir message names and listing; see maildir.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "folder.h"
#include "maildir.h"
#include "mem.h"

static uint32_t
flag_of(char c)
{
	switch (c) {
	case 'D': return MSG_DRAFT;
	case 'F': return MSG_FLAGGED;
	case 'R': return MSG_ANSWERED;
	case 'S': return MSG_SEEN;
	case 'T': return MSG_DELETED;
	default: return 0;	/* P, keywords, unknown */
	}
}

int
maildir_name_parse(const char *name, size_t len, struct maildir_name *n)
{
	size_t i, sep = len;

	memset(n, 0, sizeof(*n));
	if (len == 0 || len > MAILDIR_NAME_MAX || name[0] == '.')
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '/')
			return -1;
		if (sep == len && (c == ':' || c == ';' || c == '!') &&
		    len - i >= 3 && name[i + 2] == ',' &&
		    (name[i + 1] == '1' || name[i + 1] == '2'))
			sep = i;
	}
	if (sep == 0)
		return -1;
	n->uniq_len = sep;
	if (sep == len)
		return 0;
	n->has_info = 1;
	if (name[sep + 1] == '2')
		for (i = sep + 3; i < len; i++)
			n->flags |= flag_of(name[i]);
	return 0;
}

int
maildir_uidl_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > MAILDIR_UIDL_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static void
add_entry(struct maildir_list *l, size_t *cap, const char *path,
    const char *name, const struct maildir_name *mn, const struct stat *st,
    int cur)
{
	struct maildir_entry *e;

	if (l->n == *cap) {
		*cap = *cap ? mem_add(*cap, *cap) : 64;
		l->v = mem_realloc(l->v, *cap, sizeof(*l->v));
	}
	e = &l->v[l->n++];
	e->path = mem_strdup(path);
	e->uniq = mem_strndup(name, mn->uniq_len);
	e->flags = cur ? mn->flags : 0;
	e->mtime = (int64_t)st->st_mtime;
	e->size = (uint64_t)st->st_size;
}

/* Add the messages of DIR/sub; 1 listed, 0 no such directory, -1. */
static int
list_sub(const char *dir, const char *sub, struct maildir_list *l,
    size_t *cap, char **why_r)
{
	struct buf path = BUF_INIT;
	struct maildir_name mn;
	struct dirent *de;
	struct stat st;
	size_t base;
	DIR *d;
	int fd, rc = 1;

	buf_printf(&path, "%s/%s", dir, sub);
	fd = file_open(path.data, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		rc = errno == ENOENT ? 0 : file_why(why_r, path.data);
		if (fd >= 0)
			close(fd);
		buf_free(&path);
		return rc;
	}
	buf_putc(&path, '/');
	base = path.len;
	while ((de = readdir(d)) != NULL) {
		if (maildir_name_parse(de->d_name, strlen(de->d_name), &mn) < 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;	/* gone meanwhile, or not a file */
		if (l->n >= MAILDIR_COUNT_MAX) {
			errno = EFBIG;
			rc = file_whyf(why_r, "%s: more than %d messages", dir,
			    MAILDIR_COUNT_MAX);
			break;
		}
		buf_truncate(&path, base);
		buf_puts(&path, de->d_name);
		add_entry(l, cap, path.data, de->d_name, &mn, &st,
		    strcmp(sub, "cur") == 0);
	}
	closedir(d);
	buf_free(&path);
	return rc;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct maildir_entry *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->uniq, y->uniq);
}

int
maildir_list(const char *dir, struct maildir_list *l, char **why_r)
{
	size_t cap = 0;
	int a, b;

	memset(l, 0, sizeof(*l));
	if ((a = list_sub(dir, "new", l, &cap, why_r)) < 0 ||
	    (b = list_sub(dir, "cur", l, &cap, why_r)) < 0) {
		maildir_list_free(l);
		return -1;
	}
	if (a == 0 && b == 0)
		return 0;
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
	return 1;
}

void
maildir_list_free(struct maildir_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].uniq);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
