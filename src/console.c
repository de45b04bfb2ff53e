/*
 * console.c: the container's pty and its /dev/console.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/*
 * A pty from the container's own devpts, of OCI's consoleSize if given;
 * the master goes to the launcher. A terminal that the launcher itself
 * runs on gives the pty its size after this, and at each resize.
 */
int open_pty(const struct container *c, int sock)
{
	struct winsize ws = { .ws_row = (unsigned short)c->oci.process.console_rows,
			      .ws_col = (unsigned short)c->oci.process.console_cols };
	int unlock = 0;
	autoclose int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	int slave;
	struct ipc_msg m = IPC_MSG(MSG_PTY);

	if (ws.ws_row != c->oci.process.console_rows || ws.ws_col != c->oci.process.console_cols)
		die(EXIT_CANT_RUN, "process.consoleSize: more than %u rows or columns", USHRT_MAX);
	if (master < 0)
		die_errno("open: /dev/pts/ptmx");
	if (ioctl(master, TIOCSPTLCK, &unlock))
		die_errno("ioctl: TIOCSPTLCK");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		die_errno("ioctl: TIOCGPTPEER");
	if ((ws.ws_row || ws.ws_col) && ioctl(slave, TIOCSWINSZ, &ws))
		die_errno("process.consoleSize: ioctl: TIOCSWINSZ");
	m.fd = master;
	if (!ipc_send(sock, &m))
		die_errno("sendmsg: %c", MSG_PTY);
	return slave;
}

/*
 * The container's /dev, after the root change, for bind_console: one name
 * from "/", never through a symlink. It must be a tmpfs on which the
 * devpts that PTY_SLAVE came from is mounted as "pts": that devpts is the
 * container's own new instance, so this is the /dev carapace mounted, not a
 * directory of the rootfs nor a volume (no process of the container runs
 * yet to move anything).
 */
static int open_container_dev(int pty_slave)
{
	struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS };
	struct stat pts, slave;
	struct statfs sfs;
	autoclose int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int dev = root < 0 ? -1 : (int)syscall(SYS_openat2, root, "dev", &how, sizeof how);

	if (root >= 0 && dev < 0 && errno == ENOSYS)	/* before 5.6: one name, O_NOFOLLOW is enough */
		dev = openat(root, "dev", (int)how.flags);
	if (dev < 0)
		die_errno("console: open /dev");
	if (fstatfs(dev, &sfs) || sfs.f_type != TMPFS_MAGIC ||
	    fstatat(dev, "pts", &pts, AT_SYMLINK_NOFOLLOW) || fstat(pty_slave, &slave) ||
	    !S_ISDIR(pts.st_mode) || pts.st_dev != slave.st_dev)
		die(EXIT_CANT_RUN, "console: /dev: not the container's own /dev");
	return dev;
}

/*
 * /dev/console of a container with a terminal is its pty's slave, bound
 * onto an empty file made in /dev, all through fds, as runc does: a
 * program that writes to the console writes to its own terminal. Without
 * a terminal there is no /dev/console (/dev is carapace's tmpfs, so the
 * rootfs's own can't show through), and the host's, 5:1, is never allowed.
 */
void bind_console(int pty_slave)
{
	autoclose int dev = open_container_dev(pty_slave), target = -1, tree = -1, check = -1;
	struct mount_attr nosuid_noexec = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC };
	struct stat want, got;

	target = openat(dev, "console", O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
	/* Only a volume on /dev, the host user's choice (-v /dev:/dev), has one already. */
	if (target < 0 && errno == EEXIST) {
		log_debug("console: /dev is a volume with its own console: left alone");
		return;
	}
	if (target < 0)
		die_errno("console: create /dev/console");
	tree = sys_open_tree(pty_slave, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		die_errno("console: open_tree: pty");
	if (sys_mount_setattr(tree, "", AT_EMPTY_PATH, &nosuid_noexec) && errno != ENOSYS)
		die_errno("console: mount_setattr");
	if (sys_move_mount(tree, target))
		die_errno("console: bind the pty on /dev/console");
	/* What the name leads to now: the very slave, and nothing else. */
	check = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (check < 0 || fstat(check, &got) || fstat(pty_slave, &want) || !S_ISCHR(got.st_mode) ||
	    got.st_rdev != want.st_rdev || got.st_dev != want.st_dev || got.st_ino != want.st_ino)
		die(EXIT_CANT_RUN, "console: /dev/console: not the container's pty");
}

bool wants_tty(const struct container *c)
{
	return c->process.tty == TTY_ALWAYS ||
	       (c->process.tty == TTY_AUTO && isatty(STDIN_FILENO));
}

/*
 * OCI create: the pty's master to the engine's console socket, as
 * SCM_RIGHTS with its name as the payload, as runc sends it. The engine
 * (conmon, the shim) relays the terminal from then on.
 */
void send_console(const char *socket_path, int pty_master)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char payload[] = "/dev/ptmx";
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl = { 0 };
	struct iovec iov = { payload, sizeof payload - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			      .msg_controllen = sizeof ctl.buf };
	autoclose int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	if (strlen(socket_path) >= sizeof sa.sun_path)
		die(EXIT_CANT_RUN, "--console-socket: %s: longer than a socket's path may be",
		    socket_path);
	strcpy(sa.sun_path, socket_path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa))
		die_errno("--console-socket: %s", socket_path);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &pty_master, sizeof(int));
	while (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			die_errno("--console-socket: %s: send the pty", socket_path);
}
