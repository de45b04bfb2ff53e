/*
 * userns.c: the launcher writes init's uid and gid maps, and makes the idmapped root.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/* "IN OUT COUNT\n" per range for /proc, or "IN:OUT:COUNT," for a message. */
static char *format_map(const struct id_map *map, bool for_proc)
{
	char *text = xasprintf("%s", "");

	for (size_t i = 0; i < map->len; i++) {
		const struct id_range *r = &map->ranges[i];
		char *more = for_proc ?
			xasprintf("%s%u %u %u\n", text, r->inside, r->outside, r->count) :
			xasprintf("%s%s%u:%u:%u", text, i ? "," : "", r->inside, r->outside, r->count);

		free(text);
		text = more;
	}
	return text;
}

static void write_proc_file(pid_t pid, const char *file, const char *text)
{
	char path[64];
	autoclose int fd = -1;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		die_errno("userns: write %s", path);
}

/* newuidmap PID IN OUT COUNT...: a setuid helper that checks /etc/subuid. */
static void run_map_helper(char *helper, pid_t pid, const struct id_map *map)
{
	char *argv[3 + 3 * sizeof map->ranges / sizeof map->ranges[0]], said[512] = "";
	int argc = 0, status, out[2];
	ssize_t n = 0;
	pid_t child;

	argv[argc++] = helper;
	argv[argc++] = xasprintf("%d", (int)pid);
	for (size_t i = 0; i < map->len; i++) {
		argv[argc++] = xasprintf("%u", map->ranges[i].inside);
		argv[argc++] = xasprintf("%u", map->ranges[i].outside);
		argv[argc++] = xasprintf("%u", map->ranges[i].count);
	}
	argv[argc] = NULL;
	if (pipe2(out, O_CLOEXEC))
		die_errno("pipe");
	if ((child = fork()) < 0)
		die_errno("fork: %s", helper);
	if (child == 0) {
		int null = open("/dev/null", O_RDONLY);
		sigset_t none;

		set_fail_mode(FAIL_PRINT, -1);	/* a helper: never the launcher's clean-up */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* A setuid helper gets nothing of ours but its answer's pipe. */
		if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(out[1], STDOUT_FILENO) < 0 ||
		    dup2(out[1], STDERR_FILENO) < 0)
			_exit(127);
		syscall(SYS_close_range, 3, ~0U, 0);
		execv(helper, argv);
		_exit(127);
	}
	close(out[1]);
	/* What it says goes into carapace's one line. */
	for (ssize_t r; (r = read(out[0], said + n, sizeof said - 1 - (size_t)n)) > 0;)
		n += r;
	close(out[0]);
	said[n] = '\0';
	for (char *nl; (nl = strchr(said, '\n'));)
		*nl = nl[1] ? ' ' : '\0';
	if (waitpid(child, &status, 0) < 0)
		die_errno("waitpid: %s", helper);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die(EXIT_CANT_RUN, "userns: %s %s: failed%s%s", helper, format_map(map, false),
		    *said ? ": " : " (is every range in /etc/subuid and /etc/subgid?)", said);
}

/*
 * Root with --userns: the rootfs as a detached copy that shows the files
 * of the host's ids as the container's (host root's belong to its root).
 * Only real root makes one: the launcher, for init, which moves it in.
 * Nodev, and read-only for the workload: what root inside wrote through
 * it would be the host root's (a setuid binary, say). Init makes its
 * submounts read-only at once, and its own mount once the mount targets
 * are made in it (make_submounts_readonly, make_root_readonly); under
 * --overlay, a layer of its own takes the writes. Not for a workload with
 * CAP_SYS_ADMIN, which could remount it.
 */
int idmapped_root(const struct container *c, const struct runtime *rt, pid_t pid)
{
	struct mount_attr attr = {
		.attr_set = MOUNT_ATTR_IDMAP | MOUNT_ATTR_NODEV |
			    (c->root.overlay ? MOUNT_ATTR_RDONLY : 0),
		.propagation = MS_PRIVATE,	/* a copy of a shared mount would share */
	};
	char path[64];
	autoclose int userns = -1;
	int tree;

	if (c->privileges.caps & CAP(SYS_ADMIN)) {
		log_debug("rootfs: not idmapped: the workload holds CAP_SYS_ADMIN");
		return -1;
	}
	snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
	if ((userns = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		die_errno("open: %s", path);
	attr.userns_fd = (uint64_t)userns;
	/* From the fd validated before: a path swapped since can't be used. */
	tree = sys_open_tree(rt->root_fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE |
			     OPEN_TREE_CLOEXEC | AT_RECURSIVE);
	if (tree >= 0 && !sys_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr))
		return tree;
	/* Before Linux 5.12, or a filesystem without idmapped mounts. */
	log_warn("rootfs: %s: no idmapped mount (%s): its files keep the host's owners",
		 c->root.path, strerror(errno));
	if (tree >= 0)
		close(tree);
	return -1;
}

/* Before init goes on: it waits for these, then becomes root inside. */
void write_id_maps(const struct container *c, const struct runtime *rt, pid_t pid)
{
	if (log_threshold >= LOG_DEBUG)	/* the formatting isn't free */
		log_debug("userns: uids %s, gids %s, written by %s", format_map(&c->userns.uids, false),
			  format_map(&c->userns.gids, false),
			  rt->newuidmap ? "newuidmap and newgidmap" : "carapace");
	if (rt->newuidmap) {
		run_map_helper(rt->newuidmap, pid, &c->userns.uids);
		run_map_helper(rt->newgidmap, pid, &c->userns.gids);
		return;
	}
	if (rt->deny_setgroups)
		write_proc_file(pid, "setgroups", "deny");
	write_proc_file(pid, "uid_map", format_map(&c->userns.uids, true));
	write_proc_file(pid, "gid_map", format_map(&c->userns.gids, true));
}
