/* watch - inotify on a folder for IDLE; see watch.h. */
#include <sys/inotify.h>
#include <unistd.h>

#include "file.h"
#include "folder.h"
#include "watch.h"

int
watch_folder(struct folder *f, char **why_r)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0)
		return file_why(why_r, "inotify_init1");
	/* The directory: appends to state (IN_MODIFY of a child), and the
	 * index, state or a seen file renamed into place (IN_MOVED_TO). */
	if (inotify_add_watch(fd, folder_dir(f), IN_MODIFY | IN_MOVED_TO |
	    IN_CLOSE_WRITE | IN_DELETE_SELF | IN_ONLYDIR) < 0) {
		file_why(why_r, "inotify_add_watch");
		close(fd);
		return -1;
	}
	return fd;
}

void
watch_drain(int fd)
{
	char buf[4096];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
}
