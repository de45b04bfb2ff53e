/*
 * spec.c: the spec's validation, before anything is made, and the text-file reader.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/* A cgroup's path, NESTED, or a leaf's name: no "." or ".." in it. */
bool valid_cgroup_path(const char *p, bool nested)
{
	if (!*p || strlen(p) > 200)
		return false;
	for (const char *seg = p; *seg; seg += strcspn(seg, "/")) {
		while (*seg == '/' && nested)
			seg++;
		size_t n = strcspn(seg, "/");

		if ((n == 1 && seg[0] == '.') || (n == 2 && !strncmp(seg, "..", 2)) ||
		    (!nested && seg[n] == '/'))
			return false;
	}
	return true;
}

static void validate_limits(const struct container *c)
{
	if (c->limits.memory_swap >= 0 && c->limits.memory < 0)
		die(EXIT_CANT_RUN, "--memory-swap: needs --memory too");
	if (c->limits.memory_swap >= 0 && c->limits.memory_swap < c->limits.memory)
		die(EXIT_CANT_RUN, "--memory-swap: must not be less than --memory");
	if (c->limits.cpu_weight && c->limits.cpu_shares)
		die(EXIT_CANT_RUN, "--cpu-weight and --cpu-shares: give one of them");
	if (!valid_cgroup_path(c->limits.parent, true))
		die(EXIT_CANT_RUN, "--cgroup-parent: not a cgroup path: '%s'", c->limits.parent);
	if (c->limits.name && !valid_cgroup_path(c->limits.name, false))
		die(EXIT_CANT_RUN, "--name: not a valid name: '%s'", c->limits.name);
}

/* True if PATH is DIR or lies below it; both absolute and canonical. */
bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strcmp(dir, "/") || (!strncmp(path, dir, n) && (!path[n] || path[n] == '/'));
}

/*
 * Two overlays on one upper folder are undefined behaviour: the launcher
 * holds an flock on it for its whole life, the fd left open on purpose.
 */
static void lock_overlay_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		die_errno("--overlay-dir: %s", dir);
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return;
	if (errno == EWOULDBLOCK)
		die(EXIT_CANT_RUN, "--overlay-dir: %s: in use by another container", dir);
	die_errno("--overlay-dir: lock %s", dir);
}

/* ID of the container as the host knows it; -1 (never a valid id): unmapped. */
static uint32_t host_id(const struct id_map *map, uint32_t id)
{
	for (size_t i = 0; i < map->len; i++)
		if (id >= map->ranges[i].inside && id - map->ranges[i].inside < map->ranges[i].count)
			return map->ranges[i].outside + (id - map->ranges[i].inside);
	return (uint32_t)-1;
}

bool id_mapped(const struct id_map *map, uint32_t id)
{
	return host_id(map, id) != (uint32_t)-1;
}

/*
 * --overlay-dir DIR that doesn't exist yet: made, 0700, in its parent's fd,
 * never through a symlink for its last name, and given to the container's
 * root (the caller, but for root's --userns) which makes the overlay in it.
 * Only after the checks of the path itself, so that a refused DIR is never
 * made (in the rootfs, above all).
 */
static void make_overlay_dir(const char *dir, uid_t uid, gid_t gid)
{
	char *parent = strndup(dir, strrchr(dir, '/') - dir), *name = strrchr(dir, '/') + 1;
	autoclose int at = -1, fd = -1;
	struct stat st;

	if (!parent)
		die_errno("--overlay-dir: %s", dir);
	if ((at = open(*parent ? parent : "/", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		die_errno("--overlay-dir: %s: its folder %s", dir, *parent ? parent : "/");
	if (mkdirat(at, name, 0700) && errno != EEXIST)
		die_errno("--overlay-dir: mkdir %s", dir);
	if ((fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st))
		die_errno("--overlay-dir: %s", dir);
	free(parent);
	/* Someone else's, made in between: the checks that follow judge it. */
	if (st.st_uid != geteuid() || (st.st_mode & 07777) != 0700)
		return;
	if ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid))
		die_errno("--overlay-dir: chown %s", dir);
}

/* The rootfs, a folder or a tarball, and where an overlay keeps its changes. */
static void validate_root(const struct container *c, struct runtime *rt)
{
	struct statfs sfs;
	struct stat st;

	if (c->root.from_stdin)		/* a memfd: none of a path's checks apply */
		goto overlay_dir;
	if (c->root.path[0] != '/')
		die(EXIT_CANT_RUN, "rootfs: not an absolute path: '%s'", c->root.path);
	if (stat(c->root.path, &st))
		die_errno("rootfs: %s", c->root.path);
	if (c->root.tarball && !S_ISREG(st.st_mode))
		die(EXIT_CANT_RUN, "rootfs: %s: a tarball, but not a regular file", c->root.path);
	if (!c->root.tarball && !S_ISDIR(st.st_mode))
		die(EXIT_CANT_RUN, "rootfs: %s: %s", c->root.path, strerror(ENOTDIR));
	/* For root's idmapped copy: held from here on, so a path swapped later is never used. */
	if (!c->root.tarball && (c->namespaces & CLONE_NEWUSER) && !rt->rootless &&
	    (rt->root_fd = open(c->root.path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno("rootfs: %s", c->root.path);
	/* Its folder gets a tmpfs on top, and "/" can't take one. */
	if (c->root.tarball && strrchr(c->root.path, '/') == c->root.path)
		die(EXIT_CANT_RUN, "rootfs: %s: a tarball can't be unpacked from /: "
		    "move it into a folder", c->root.path);
	if (c->root.overlay && !c->root.tarball && !strcmp(c->root.path, "/"))
		die(EXIT_CANT_RUN, "%s", c->root.overlay_optional ? "rootfs: /: the host's root "
		    "can't be a rootfs" : "--overlay: the rootfs can't be /");
overlay_dir:
	if (!c->root.overlay_dir)
		return;
	if (c->root.overlay_dir[0] != '/')
		die(EXIT_CANT_RUN, "--overlay-dir: not an absolute path: '%s'", c->root.overlay_dir);
	if (!c->root.tarball && (path_within(c->root.overlay_dir, c->root.path) ||
				 path_within(c->root.path, c->root.overlay_dir)))
		die(EXIT_CANT_RUN, "--overlay-dir: %s: must not be in the rootfs, nor hold it",
		    c->root.overlay_dir);
	if (lstat(c->root.overlay_dir, &st) && errno == ENOENT)
		make_overlay_dir(c->root.overlay_dir, (c->namespaces & CLONE_NEWUSER) ?
				 host_id(&c->userns.uids, 0) : geteuid(),
				 (c->namespaces & CLONE_NEWUSER) ? host_id(&c->userns.gids, 0) :
				 getegid());
	if (stat(c->root.overlay_dir, &st) || statfs(c->root.overlay_dir, &sfs))
		die_errno("--overlay-dir: %s", c->root.overlay_dir);
	if (!S_ISDIR(st.st_mode))
		die(EXIT_CANT_RUN, "--overlay-dir: %s: %s", c->root.overlay_dir, strerror(ENOTDIR));
	/* The overlay is made inside, by the container's root: the folder must be its. */
	if ((c->namespaces & CLONE_NEWUSER) && st.st_uid != host_id(&c->userns.uids, 0))
		die(EXIT_CANT_RUN, "--overlay-dir: %s: belongs to uid %u, but the container's "
		    "root is uid %u on the host", c->root.overlay_dir, (unsigned)st.st_uid,
		    (unsigned)host_id(&c->userns.uids, 0));
	if (sfs.f_type == OVERLAYFS_SUPER_MAGIC)
		die(EXIT_CANT_RUN, "--overlay-dir: %s: on an overlay, which can't hold "
		    "another overlay's changes", c->root.overlay_dir);
	lock_overlay_dir(c->root.overlay_dir);
}

/* The sources of binds are checked again at mount time; here, before any namespace. */
static void validate_mounts(const struct container *c)
{
	struct stat st;

	for (size_t i = 0; i < c->mounts_len; i++) {
		const struct mount_spec *m = &c->mounts[i];

		if (!strcmp(m->type, "bind") && stat(m->source, &st))
			die_errno("%s: source", m->origin ? m->origin : m->target);
		/* The kernel mounts none there: a front end binds the host's /dev instead. */
		if (!strcmp(m->type, "devtmpfs") && (c->namespaces & CLONE_NEWUSER))
			die(EXIT_CANT_RUN, "%s: devtmpfs: none can be mounted in a user namespace",
			    m->origin ? m->origin : m->target);
	}
}

#define TEXT_FILE_MAX (4 << 20)

/* False, with errno, if PATH can't be opened; dies if it is no text file. */
bool open_text_file(struct text_file *t, const char *what, const char *path)
{
	autoclose int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	ssize_t n = 1;

	*t = (struct text_file){ .what = what, .path = path };
	/* A device on a nodev mount can't even be opened: say what it is. */
	if (fd < 0 && errno != ENOENT && errno != ENOTDIR) {
		int err = errno;

		if (!stat(path, &st) && !S_ISREG(st.st_mode))
			die(EXIT_CANT_RUN, "%s%s: not a regular file", what, path);
		errno = err;
		die_errno("%s%s", what, path);
	}
	if (fd < 0)
		return false;
	if (fstat(fd, &st))
		die_errno("%s%s", what, path);
	if (!S_ISREG(st.st_mode))
		die(EXIT_CANT_RUN, "%s%s: not a regular file", what, path);
	t->data = xrealloc(NULL, TEXT_FILE_MAX + 2);
	while (n > 0 && t->len <= TEXT_FILE_MAX) {
		n = read(fd, t->data + t->len, TEXT_FILE_MAX + 1 - t->len);
		if (n < 0 && errno != EINTR)
			die_errno("%s%s", what, path);
		t->len += n > 0 ? (size_t)n : 0;
	}
	if (t->len > TEXT_FILE_MAX)
		die(EXIT_CANT_RUN, "%s%s: larger than %d MiB", what, path, TEXT_FILE_MAX >> 20);
	t->data[t->len] = '\0';
	return true;
}

/* The next line, without its newline; NULL at the end. */
char *next_line(struct text_file *t)
{
	char *line = t->data + t->pos, *nl;
	size_t n;

	if (t->pos >= t->len)
		return NULL;
	nl = memchr(line, '\n', t->len - t->pos);
	n = nl ? (size_t)(nl - line) : t->len - t->pos;
	t->number++;
	if (memchr(line, '\0', n))
		die(EXIT_CANT_RUN, "%s%s:%d: a NUL byte", t->what, t->path, t->number);
	line[n] = '\0';
	t->pos += n + 1;
	return line;
}

void close_text_file(struct text_file *t)
{
	free(t->data);
	*t = (struct text_file){ 0 };
}

/* Only OWN, once: the map that an ordinary user may write without help. */
static bool only_own_id(const struct id_map *map, uint32_t own)
{
	return map->len == 1 && map->ranges[0].inside == 0 && map->ranges[0].outside == own &&
	       map->ranges[0].count == 1;
}

/*
 * The user namespace and its maps, as the front end gave them; the host's
 * part, into RT: who runs carapace, and how the maps can be written.
 */
static void validate_userns(const struct container *c, struct runtime *rt)
{
	const struct id_map *uids = &c->userns.uids, *gids = &c->userns.gids;
	char *newuidmap, *newgidmap;

	rt->rootless = geteuid() != 0;
	if (!(c->namespaces & CLONE_NEWUSER) && rt->rootless)
		die(EXIT_CANT_RUN, "rootless: an ordinary user needs a user namespace");
	if (!(c->namespaces & CLONE_NEWUSER) && (uids->len || gids->len))
		die(EXIT_CANT_RUN, "--uidmap: id maps need a user namespace");
	if (!(c->namespaces & CLONE_NEWUSER))
		return;
	if (!id_mapped(uids, 0))
		die(EXIT_CANT_RUN, "--uidmap: maps no uid 0, the container's root");
	if (!id_mapped(gids, 0))
		die(EXIT_CANT_RUN, "--gidmap: maps no gid 0, the container's root");
	if (!rt->rootless)
		return;
	newuidmap = find_program("newuidmap");
	newgidmap = find_program("newgidmap");
	if (only_own_id(uids, geteuid()) && only_own_id(gids, getegid())) {
		/* The kernel's rule: such a gid map only once setgroups is off. */
		rt->deny_setgroups = true;
		free(newuidmap);
		free(newgidmap);
		return;
	}
	if (!newuidmap || !newgidmap)
		die(EXIT_CANT_RUN, "--uidmap: an ordinary user maps more than its own ids only "
		    "with newuidmap and newgidmap (package uidmap)");
	rt->newuidmap = newuidmap;
	rt->newgidmap = newgidmap;
}

/*
 * Checks what can be checked before any namespace exists, and fills RT's
 * first part (rootless, root_fd, newuidmap and newgidmap, deny_setgroups)
 * from the host; the caller has set RT's fds to -1. It never changes the
 * spec: a front end (the command line's parse_run_options, an OCI
 * config.json's oci_read_config) has filled it whole before:
 * - namespaces: every CLONE_NEW* to make, CLONE_NEWUSER too when an
 *   ordinary user runs carapace (refused without) and when maps are given;
 * - userns.uids and gids: with CLONE_NEWUSER, the whole maps, each mapping
 *   id 0 (none is added from /etc/subuid); without it, empty;
 * - root.path: absolute and canonical (realpath), a folder, or a regular
 *   file if root.tarball, which the front end sets; root.overlay_dir the
 *   same, or NULL; the overlay flags and root.size;
 * - process: argv, the whole env (none is added: the command line adds
 *   HOSTNAME), an absolute cwd, preserve_fds;
 * - hostname: 1 to 64 characters;
 * - mounts: all of them, in order, each with its phase, and fit for the
 *   namespaces (no devtmpfs in a user namespace: the host's /dev bound);
 * - limits: a valid parent; name the leaf, or NULL for no cgroup of its
 *   own (none is made up here); pids -1 or a limit, memory and
 *   memory_swap -1 where unset;
 * - privileges: the final caps, masked and read-only paths (no_paths for
 *   none), seccomp and no_new_privs (privileged only says: the host's
 *   devices, no device cgroup; what else --privileged means is applied).
 */
void validate_spec(const struct container *c, struct runtime *rt)
{
	int fd;

	/* First, before carapace opens fds of its own that could be taken for them. */
	for (fd = 3; fd < 3 + c->process.preserve_fds; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			die_errno("--preserve-fds: fd %d", fd);
	validate_userns(c, rt);
	validate_root(c, rt);
	validate_mounts(c);
	if (c->process.cwd[0] != '/')
		die(EXIT_CANT_RUN, "--workdir: not an absolute path: '%s'", c->process.cwd);
	if (strlen(c->hostname) > 64 || !*c->hostname)
		die(EXIT_CANT_RUN, "--hostname: must have 1 to 64 characters: '%s'", c->hostname);
	validate_limits(c);
	open_ns_joins(c, rt);
	check_lsm_labels(c);
}
