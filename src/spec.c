/*
 * spec.c: the spec's validation, before anything is made, and the text-file reader.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

static bool valid_cgroup_path(const char *p, bool nested)
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

static void validate_limits(struct container *c, const struct runtime *rt)
{
	bool any;

	/* Rootless, a cgroup needs a delegation: a default must not ask for one. */
	if (c->limits.pids_default && rt->rootless) {
		log_debug("cgroup: rootless: no default pids limit (give --pids for one)");
		c->limits.pids = -1;
		c->limits.pids_default = false;
	}
	any = c->limits.pids >= 0 || c->limits.memory >= 0 ||
		   c->limits.memory_swap != -1 || c->limits.cpu_quota ||
		   c->limits.cpu_weight || c->limits.cpu_shares || c->limits.cpuset_cpus;

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
	/*
	 * Every container but a privileged one has a cgroup: devices need one.
	 * Rootless, the kernel keeps host devices shut, and a cgroup is made
	 * only for a limit (with --name, if given, as its name).
	 */
	if (rt->rootless && !any) {
		c->limits.name = NULL;
		return;
	}
	if ((any || !c->privileges.privileged) && !c->limits.name)
		c->limits.name = xasprintf("carapace-%d-%lx", (int)getpid(),
					   (unsigned long)now_ms() & 0xffffff);
}

/* --privileged: every capability, the host's devices, nothing masked. */
static void make_privileged(struct container *c)
{
	for (size_t i = 0; i < c->mounts_len; i++) {
		struct mount_spec *m = &c->mounts[i];

		/* The /dev made before the root change: carapace's, not a user's. */
		if (m->phase == MOUNT_BEFORE_ROOT_CHANGE && !strcmp(m->target, "/dev")) {
			m->type = m->source = "devtmpfs";
			m->data = NULL;
		}
	}
	c->privileges.caps = (1ULL << N_CAPS) - 1;
	c->privileges.masked_paths = c->privileges.readonly_paths = no_paths;
	c->privileges.seccomp = "unconfined";
	c->privileges.no_new_privs = false;
}

/* A file is a rootfs if its name says it is a tarball; compression is sniffed. */
static bool tarball_name(const char *path)
{
	static const char *const suffixes[] = {
		".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar.zst",
	};
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t k = strlen(suffixes[i]);

		if (n > k && !strcmp(path + n - k, suffixes[i]))
			return true;
	}
	return false;
}

/* True if PATH is DIR or lies below it; both absolute and canonical. */
bool path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strcmp(dir, "/") || (!strncmp(path, dir, n) && (!path[n] || path[n] == '/'));
}

static char *absolute_path(const char *what, const char *path)
{
	char *abs = realpath(path, NULL);

	if (!abs)
		die_errno("%s: %s", what, path);
	return abs;
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

static bool id_mapped(const struct id_map *map, uint32_t id)
{
	return host_id(map, id) != (uint32_t)-1;
}

/* The rootfs, a folder or a tarball, and where an overlay keeps its changes. */
static void validate_root(struct container *c, struct runtime *rt)
{
	struct statfs sfs;
	struct stat st;

	if (stat(c->root.path, &st))
		die_errno("rootfs: %s", c->root.path);
	c->root.tarball = S_ISREG(st.st_mode) && tarball_name(c->root.path);
	if (!S_ISDIR(st.st_mode) && !c->root.tarball)
		die(EXIT_CANT_RUN, "rootfs: %s: %s", c->root.path, strerror(ENOTDIR));
	c->root.path = absolute_path("rootfs", c->root.path);
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
	if (!c->root.overlay_dir)
		return;
	c->root.overlay_dir = absolute_path("--overlay-dir", c->root.overlay_dir);
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
	if (!c->root.tarball && (path_within(c->root.overlay_dir, c->root.path) ||
				 path_within(c->root.path, c->root.overlay_dir)))
		die(EXIT_CANT_RUN, "--overlay-dir: %s: must not be in the rootfs, nor hold it",
		    c->root.overlay_dir);
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

/* NAME's full path in $PATH, or NULL. */
static char *find_program(const char *name)
{
	const char *path = getenv("PATH");

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	for (const char *dir = path;; dir++) {
		size_t n = strcspn(dir, ":");
		char *full = xasprintf("%.*s/%s", (int)n, dir, name);

		if (n && access(full, X_OK) == 0)
			return full;
		free(full);
		if (!dir[n])
			return NULL;
		dir += n;
	}
}

/* Appends the ranges that FILE (/etc/subuid, /etc/subgid) gives USER, or ID, from INSIDE on. */
static void add_subordinate_ranges(struct id_map *map, const char *file, const char *user,
				   unsigned long id, uint32_t inside)
{
	struct text_file t;
	char *line, owner[256], start_s[16], count_s[16], end;
	unsigned long start, count;
	size_t max = sizeof map->ranges / sizeof map->ranges[0];

	if (!open_text_file(&t, "--userns: the host's ", file))
		return;
	while ((line = next_line(&t))) {
		bool numeric;

		/* A whole line, and all of it: too long a field is no match. */
		if (sscanf(line, "%255[^:]:%15[0-9]:%15[0-9]%c", owner, start_s, count_s, &end) != 3)
			continue;
		numeric = strspn(owner, "0123456789") == strlen(owner);
		if (numeric ? strtoul(owner, NULL, 10) != id : !user || strcmp(owner, user))
			continue;
		start = strtoul(start_s, NULL, 10);
		count = strtoul(count_s, NULL, 10);
		if (!count || start + count > UINT32_MAX || inside + count > UINT32_MAX)
			continue;
		for (size_t i = 0; i < map->len; i++)
			if (ranges_overlap(start, count, map->ranges[i].outside,
					   map->ranges[i].count))
				die(EXIT_CANT_RUN, "%s: %s's ranges overlap", file, owner);
		if (map->len == max) {
			log_warn("%s: only the first %zu ranges are used", file, max);
			break;
		}
		map->ranges[map->len++] = (struct id_range){ inside, (uint32_t)start, (uint32_t)count };
		inside += count;
	}
	close_text_file(&t);
}

/* Only OWN, once: the map that an ordinary user may write without help. */
static bool only_own_id(const struct id_map *map, uint32_t own)
{
	return map->len == 1 && map->ranges[0].inside == 0 && map->ranges[0].outside == own &&
	       map->ranges[0].count == 1;
}

/*
 * Root inside, someone else outside. Root gives the maps, or takes its
 * /etc/subuid ranges; an ordinary user is root inside, and has its ranges
 * from 1 up when newuidmap and newgidmap can write them.
 */
static void default_id_map(struct id_map *map, const char *file, const char *user, uint32_t own,
			   bool have_helper)
{
	if (own == 0) {
		add_subordinate_ranges(map, file, user, own, 0);
		if (!map->len)
			die(EXIT_CANT_RUN, "--userns: give --uidmap, or give root a range in %s", file);
		return;
	}
	map->ranges[map->len++] = (struct id_range){ 0, own, 1 };
	if (have_helper)
		add_subordinate_ranges(map, file, user, own, 1);
}

static void validate_userns(struct container *c, struct runtime *rt)
{
	struct id_map *uids = &c->userns.uids, *gids = &c->userns.gids;
	char *newuidmap, *newgidmap, *line, *field[7];
	const char *user;

	rt->rootless = geteuid() != 0;
	if (rt->rootless || uids->len || gids->len)
		c->namespaces |= CLONE_NEWUSER;
	if (!(c->namespaces & CLONE_NEWUSER))
		return;
	newuidmap = find_program("newuidmap");
	newgidmap = find_program("newgidmap");
	/* The host's name for the user, by which /etc/subuid may know it. */
	line = find_entry(HOST_FILE, "/etc/passwd", NULL, geteuid(), field);
	user = line ? field[0] : NULL;
	if (uids->len && !gids->len)
		*gids = *uids;	/* as podman does */
	if (!uids->len)
		default_id_map(uids, "/etc/subuid", user, geteuid(), newuidmap && newgidmap);
	if (!gids->len)
		default_id_map(gids, "/etc/subgid", user, getegid(), newuidmap && newgidmap);
	if (!id_mapped(uids, 0))
		die(EXIT_CANT_RUN, "--uidmap: maps no uid 0, the container's root");
	if (!id_mapped(gids, 0))
		die(EXIT_CANT_RUN, "--gidmap: maps no gid 0, the container's root");
	if (!rt->rootless)
		return;
	if (only_own_id(uids, geteuid()) && only_own_id(gids, getegid())) {
		/* The kernel's rule: such a gid map only once setgroups is off. */
		rt->deny_setgroups = true;
		return;
	}
	if (!newuidmap || !newgidmap)
		die(EXIT_CANT_RUN, "--uidmap: an ordinary user maps more than its own ids only "
		    "with newuidmap and newgidmap (package uidmap)");
	rt->newuidmap = newuidmap;
	rt->newgidmap = newgidmap;
}

/* A user namespace mounts no devtmpfs: devpts's gid=5 and /dev need what is allowed there. */
static void adapt_mounts_to_userns(struct container *c)
{
	for (size_t i = 0; i < c->mounts_len && (c->namespaces & CLONE_NEWUSER); i++) {
		struct mount_spec *m = &c->mounts[i];

		if (m->phase != MOUNT_BEFORE_ROOT_CHANGE)	/* the user's are as asked */
			continue;
		if (!strcmp(m->type, "devpts") && !id_mapped(&c->userns.gids, 5))
			m->data = "newinstance,ptmxmode=0666,mode=0620";
		if (!strcmp(m->type, "devtmpfs")) {	/* --privileged: the host's /dev */
			m->type = "bind";
			m->source = "/dev";
			m->flags = MS_BIND | MS_REC | MS_NOSUID;
			m->propagation = MS_PRIVATE | MS_REC;
		}
	}
}

/* Checks what can be checked before any namespace exists. */
void validate_spec(struct container *c, struct runtime *rt)
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
	/* -e HOSTNAME=x wins, as in docker; a config.json's env is as given. */
	if (!c->oci.bundle && !env_get(c->process.env, "HOSTNAME"))
		env_set(c, xasprintf("HOSTNAME=%s", c->hostname));
	if (c->privileges.privileged)
		make_privileged(c);
	adapt_mounts_to_userns(c);
	validate_limits(c, rt);
	open_ns_joins(c, rt);
	check_lsm_labels(c);
}
