/*
 * mount.c: the container's root and its standard filesystems.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/*
 * A folder NAME in DIR, fresh or there already, opened without following a
 * symlink: its fd. A fresh one gets OWNER's owner and mode if given, by that
 * fd. DIR may be --overlay-dir, a folder of someone else's: were NAME looked
 * up again (by fchmodat, or by the overlay's upperdir=), a symlink swapped
 * in would lead the mode, or the whole upper layer, anywhere on the host.
 * -1: OWNER's owner is not mapped in the user namespace.
 */
static int make_layer_dir(int dir, const char *name, const struct stat *owner, const char *what)
{
	bool fresh = mkdirat(dir, name, 0755) == 0;
	struct stat st;
	int fd;

	if (!fresh && errno != EEXIST)
		die_errno("%s: mkdir %s", what, name);
	if ((fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		die_errno("%s: %s", what, name);
	if (!fresh || !owner)
		return fd;
	/* Another folder swapped in since the mkdir: not carapace's to chown. */
	if (fstat(fd, &st) || st.st_uid != geteuid() || st.st_nlink != 2)
		die(EXIT_CANT_RUN, "%s: %s: replaced while it was made", what, name);
	if (fchown(fd, owner->st_uid, owner->st_gid)) {
		if (errno != EINVAL)	/* EINVAL: an overflow id, the real one isn't in the maps */
			die_errno("%s: %s", what, name);
		close(fd);
		return -1;
	}
	if (fchmod(fd, owner->st_mode & 07777))
		die_errno("%s: %s", what, name);
	return fd;
}

/*
 * Whether the rootfs LOWER's own folders (etc, bin, usr) show, in the user
 * namespace, as the overflow ids, that is, owned by someone unmapped, while
 * the folder itself (TOP) doesn't: the overlay could not copy them up, so
 * /etc would be "Permission denied" while / is writable (a folder of the
 * user's, filled by root's setup.sh). The folder's own owner is checked by
 * make_layer_dir's fchown. When the folder shows as the overflow ids too
 * (root's --uidmap on a filesystem without idmapped mounts, which maps
 * 65534), the overlay is made as before.
 */
static bool tree_unmapped(const struct container *c, int lower, const struct stat *top)
{
	static const char *const names[] = { "etc", "bin", "usr" };
	const unsigned overflow = 65534;	/* the kernel's default overflowuid/gid */
	struct stat st;

	if (!(c->namespaces & CLONE_NEWUSER))
		return false;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!fstatat(lower, names[i], &st, AT_SYMLINK_NOFOLLOW) && S_ISDIR(st.st_mode) &&
		    ((st.st_uid == overflow && top->st_uid != overflow) ||
		     (st.st_gid == overflow && top->st_gid != overflow)))
			return true;
	return false;
}

/* The default overlay can't be made: a read-only root, never the folder written. */
static int no_overlay(struct mount_state *ms, const struct container *c, const char *why)
{
	log_warn("rootfs: %s: no overlay (%s): the root is read-only; --rootfs-rw writes "
		 "the folder itself", c->root.path, why);
	ms->root_readonly_fallback = true;
	return -1;
}

static int configure_fs(int fs, const char *data);

/*
 * A detached TYPE filesystem (fsopen, fsmount) made of DATA, with ATTRS on
 * its mount: its fd, or -1 and errno. No path: the caller attaches it
 * onto an fd, so the host's names, which the rootfs owner may swap
 * meanwhile, are never looked up again.
 */
int detached_fs(const char *type, const char *data, unsigned attrs)
{
	int fs = (int)syscall(SYS_fsopen, type, FSOPEN_CLOEXEC), mnt = -1, err;

	if (fs >= 0 && !syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", type, 0) &&
	    !configure_fs(fs, data) && !syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
		mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, attrs);
	err = errno;
	if (fs >= 0)
		close(fs);
	errno = err;
	return mnt;
}

/* A path for FD, for the calls that take only paths: it names that fd's file alone. */
static const char *fd_path(int fd)
{
	return xasprintf("/proc/self/fd/%d", fd);
}

/*
 * The overlay on TARGET, an fd: LOWER is read-only, BASE holds upper and
 * work. Layers are named by /proc/self/fd paths: no path of the host is
 * parsed again, and commas or colons in it can't break the options. Nodev:
 * a node in the rootfs, or made in it, is never a device. Returns the fd on
 * the overlay's mount; -1: the default overlay can't be made, see no_overlay().
 */
static int mount_overlay(struct mount_state *ms, const struct container *c, int lower, int base,
			 int target)
{
	autoclose int upper = -1, work = -1;
	struct statfs sfs;
	struct stat st;
	char *data;
	int mnt;

	if (fstat(lower, &st))
		die_errno("--overlay: rootfs");
	if (tree_unmapped(c, lower, &st) || (upper = make_layer_dir(base, "upper", &st, "--overlay")) < 0) {
		if (c->root.overlay_optional)
			return no_overlay(ms, c, "its owner is not mapped in the user namespace");
		die(EXIT_CANT_RUN, "--overlay: the rootfs's owner is not mapped in the user "
		    "namespace");
	}
	work = make_layer_dir(base, "work", NULL, "--overlay");
	data = xasprintf("lowerdir=/proc/self/fd/%d,upperdir=/proc/self/fd/%d,"
			 "workdir=/proc/self/fd/%d", lower, upper, work);
	if ((mnt = detached_fs("overlay", data, MOUNT_ATTR_NODEV)) >= 0) {
		if (sys_move_mount(mnt, target))
			die_errno("--overlay: mount overlay on %s", c->root.path);
		return mnt;
	}
	if (errno == ENODEV && c->root.overlay_optional)
		return no_overlay(ms, c, "the kernel has no overlay filesystem");
	if (errno == ENODEV)
		die(EXIT_CANT_RUN, "--overlay: the kernel has no overlay filesystem");
	if (!fstatfs(lower, &sfs) && sfs.f_type == OVERLAYFS_SUPER_MAGIC)
		die_errno("--overlay: the rootfs %s is on an overlay already, and the kernel "
			  "can't stack another", c->root.path);
	die_errno("--overlay: mount overlay on %s", c->root.path);
}

/* Where the root's tmpfs goes: the rootfs folder, or the tarball's folder. */
static const char *root_folder(const struct container *c)
{
	const char *path = c->root.path;

	/* Stdin's has none: the tmpfs, in this mount namespace only, hides /tmp. */
	if (c->root.from_stdin)
		return "/tmp";
	return c->root.tarball ? strndup(path, strrchr(path, '/') - path) : path;
}

/*
 * The cached tarball, whose fd the launcher opened in the host's mount
 * namespace: the overlay takes no layer of another namespace's mount, so
 * it is opened again by its path, in this one, and must be the same inode:
 * a name looked up twice is trusted once only.
 */
static int reopen_cached(int held)
{
	char path[PATH_MAX];
	ssize_t n = readlink(fd_path(held), path, sizeof path - 1);
	struct stat was, now;
	int fd;

	if (n <= 0 || n == sizeof path - 1)
		die_errno("--cache: the tarball's entry");
	path[n] = '\0';
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &now) || fstat(held, &was) || was.st_ino != now.st_ino ||
	    was.st_dev != now.st_dev)
		die(EXIT_CANT_RUN, "--cache: %s: not the entry the launcher holds", path);
	close(held);
	return fd;
}

/*
 * MS->retired on a folder of the scratch tmpfs, which is under the old
 * root once the root has changed: its unmount takes that mount along. A
 * detached mount dropped by its last fd is unmounted alone, and that
 * waits for an RCU grace period of its own (0.1 to 0.2 ms here), or for
 * one the old root's unmount has begun, or makes that one wait.
 */
static void retire_under(struct mount_state *ms, int scratch)
{
	autoclose int at = -1;

	if (ms->retired <= 0)
		return;
	at = make_layer_dir(scratch, "retired", NULL, "mount");
	if (sys_move_mount(ms->retired, at))
		log_debug("mount: a detached mount under the old root: %s", strerror(errno));
	close(ms->retired);
	ms->retired = 0;
}

/*
 * The overlay and tarballs. A tmpfs of --rootfs-size, in this mount
 * namespace only, on BASE (the rootfs folder, or the tarball's folder) holds
 * the unpacked tarball and the overlay's changes: no host folder is written,
 * but --overlay-dir. Nodev, as the overlay on it. The tmpfs is made detached
 * and attached onto BASE's fd, and its own fd is all that is used after:
 * were the folder looked up again, its owner could have swapped it for a
 * symlink to a folder of its own by then, and the layers (the setuid files
 * of the container's root) would be there, on the host. CACHED: root's
 * tarball, unpacked once in src/cache.c, is the overlay's lower layer, and
 * the tmpfs holds only the changes. Returns the fd on the root's mount;
 * -1: no overlay after all, and the tmpfs is gone again.
 */
static int ephemeral_root(struct mount_state *ms, const struct container *c, int base,
			  int cached)
{
	const char *at = root_folder(c);
	autoclose int lower = -1, scratch = -1, upper = -1, merged = -1;
	struct tar t = { .name = c->root.path, .room = c->root.size,
			 .copy = c->root.from_stdin ? c->root.stdin_copy : -1 };
	int root;

	/* First what the tmpfs will hide: the decompressor, the layers. */
	if (cached >= 0)	/* closed with LOWER: the workload gets no fd on the cache */
		lower = reopen_cached(cached);
	else if (c->root.tarball)
		tar_open(&t);
	else if ((lower = openat(base, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno("rootfs: %s", c->root.path);
	if (c->root.from_stdin)		/* tar_open's dup reads it: init keeps no copy */
		close(c->root.stdin_copy);
	if (c->root.overlay_dir &&
	    (upper = open(c->root.overlay_dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno("--overlay-dir: %s", c->root.overlay_dir);
	/* An inode per 4 KiB: empty files, which size= doesn't count, are bounded too. */
	if ((c->root.tarball && cached < 0) || !c->root.overlay_dir) {
		char *data = xasprintf("mode=700,size=%lld,nr_inodes=%lld", (long long)c->root.size,
				       (long long)(c->root.size >> 12) + 1);

		if ((scratch = detached_fs("tmpfs", data, MOUNT_ATTR_NODEV)) < 0 ||
		    sys_move_mount(scratch, base))
			die_errno("mount: tmpfs on %s", at);
		retire_under(ms, scratch);
	}
	if (c->root.tarball && cached < 0) {
		lower = make_layer_dir(scratch, "lower", NULL, "rootfs");
		unpack_tarball(&t, lower);
		/* In memory already: the default's overlay would only add to the cost. */
		if (!c->root.overlay || c->root.overlay_optional) {
			/* A mount of its own, on itself: pivot_root takes mounts only. */
			if ((root = sys_open_tree(lower, "", AT_EMPTY_PATH | OPEN_TREE_CLONE |
						  OPEN_TREE_CLOEXEC)) < 0 || sys_move_mount(root, lower))
				die_errno("mount: bind %s/lower", at);
			return root;
		}
	}
	if (scratch < 0)
		root = mount_overlay(ms, c, lower, upper, base);
	else
		root = mount_overlay(ms, c, lower, upper >= 0 ? upper : scratch,
				     merged = make_layer_dir(scratch, "merged", NULL, "--overlay"));
	/* A cached tarball has no root but the overlay: the folder's would be the host's. */
	if (root < 0 && cached >= 0)
		die(EXIT_CANT_RUN, "rootfs: %s: the cached tarball needs an overlay (--cache none "
		    "unpacks it into memory)", c->root.path);
	if (scratch < 0)
		return root;
	if (root < 0 && umount2(fd_path(scratch), MNT_DETACH))
		die_errno("umount: tmpfs on %s", at);
	return root;
}

static int remount_with(const char *path, unsigned long flags);

/* Makes the mount that becomes "/", on BASE; returns the fd on it. */
static int make_root_mount(struct mount_state *ms, const struct container *c, int base,
			   int cached)
{
	struct mount_attr nodev = { .attr_set = MOUNT_ATTR_NODEV };
	int root;

	if ((c->root.tarball || c->root.overlay) && (root = ephemeral_root(ms, c, base, cached)) >= 0)
		return root;
	/* A copy of BASE's tree: BASE itself, whatever its path names by now. */
	if ((root = sys_open_tree(base, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
				  AT_RECURSIVE)) < 0 || sys_move_mount(root, base))
		die_errno("mount: bind rootfs: %s", c->root.path);
	if (!c->root.rw && !c->root.make_targets) {	/* only --rootfs-rw lets carapace write it */
		struct stat st;

		if (fstat(root, &st))
			die_errno("rootfs: %s", c->root.path);
		ms->folder_kept = true;
		ms->folder_dev = st.st_dev;
	}
	/* Even the folder written in place: only carapace's /dev holds devices. */
	if (sys_mount_setattr(root, "", AT_EMPTY_PATH | AT_RECURSIVE, &nodev) &&
	    (errno != ENOSYS || remount_with(fd_path(root), MS_NODEV)))
		die_errno("mount: rootfs: nodev: %s", c->root.path);
	return root;
}

/*
 * Mounts the root and enters it; returns an fd on it. The default mounts
 * go on it before the root change: in a user namespace, the kernel lets
 * /proc and /sys be mounted only while the host's are still visible. The
 * host's path of the rootfs (or of the tarball's folder) is looked up once
 * here, and the root is made from that fd alone.
 */
int prepare_root(struct mount_state *ms, const struct container *c, int idmapped_tree,
		 int cached)
{
	autoclose int base = -1;
	int root;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die_errno("mount: / (make private)");
	if (idmapped_tree >= 0) {	/* the launcher's, on top of the rootfs */
		autoclose int at = open(c->root.path, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (at < 0 || sys_move_mount(idmapped_tree, at))
			die_errno("mount: idmapped rootfs on %s", c->root.path);
		base = idmapped_tree;
	} else if ((base = open(root_folder(c), O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno("rootfs: %s", root_folder(c));
	root = make_root_mount(ms, c, base, cached);
	if (fchdir(root))
		die_errno("chdir: %s", c->root.path);
	return root;
}

/* Makes the prepared root "/"; returns how it did that. */
const char *change_root(struct mount_state *ms, const struct container *c)
{
	ms->root_changed = true;	/* from the next line on, or the container dies */
	if (!c->root.no_pivot) {
		/* pivot_root(".", ".") stacks the old root on the new; detach it. */
		if (syscall(SYS_pivot_root, ".", ".") == 0) {
			if (umount2(".", MNT_DETACH))
				die_errno("umount: old root");
			if (chdir("/"))
				die_errno("chdir: /");
			return "pivot_root";
		}
		/* EINVAL: the host's root is an initramfs, which can't be pivoted. */
		if (errno != EINVAL)
			die_errno("pivot_root: %s", c->root.path);
		log_debug("root: pivot_root: %s: falling back to MS_MOVE and chroot",
			  strerror(errno));
	}
	if (mount(".", "/", NULL, MS_MOVE, NULL))
		die_errno("mount: move rootfs to /");
	if (chroot("."))
		die_errno("chroot: %s", c->root.path);
	if (chdir("/"))
		die_errno("chdir: /");
	return "chroot";
}

__attribute__((noreturn))
static void die_mount(const struct mount_spec *m, const char *step)
{
	if (!m->origin)	/* no option asked for it */
		die_errno("mount: %s%s%s", m->target, step ? ": " : "", step ? step : "");
	die_errno("%s: %s", m->origin, step ? step : "mount");
}

/*
 * Before the root change, while paths are the host's: each bind's source,
 * as a detached copy of its mount tree, so that nothing can swap it later.
 * Done before "/" turns private, so that a slave volume can be one.
 */
int *open_bind_sources(const struct container *c)
{
	int *trees = xrealloc(NULL, c->mounts_len * sizeof *trees);

	for (size_t i = 0; i < c->mounts_len; i++) {
		const struct mount_spec *m = &c->mounts[i];

		trees[i] = -1;
		if (!(m->flags & MS_BIND))
			continue;
		trees[i] = sys_open_tree(AT_FDCWD, m->source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
					 (m->flags & MS_REC ? AT_RECURSIVE : 0));
		if (trees[i] < 0)
			die_mount(m, errno == ENOSYS ? "source: open_tree (Linux 5.2)" : "source");
	}
	return trees;
}

/*
 * Before Linux 5.6, without openat2, before the root change: one name at a
 * time, and a symlink or ".." on the way is refused, as it could lead out
 * of ROOT.
 */
static int walk_in_root(int root, const char *path)
{
	char buf[PATH_MAX], *save = NULL;
	int fd = fcntl(root, F_DUPFD_CLOEXEC, 0);
	struct stat st;

	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
		close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *name = strtok_r(buf, "/", &save); name && fd >= 0;
	     name = strtok_r(NULL, "/", &save)) {
		int next = strcmp(name, "..") ? openat(fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC) : -1;

		if (next < 0 && !strcmp(name, ".."))
			errno = EXDEV;
		close(fd);
		if (next >= 0 && (fstat(next, &st) || S_ISLNK(st.st_mode))) {
			close(next);
			errno = ELOOP;
			next = -1;
		}
		fd = next;
	}
	return fd;
}

/*
 * PATH in the container, opened O_PATH: symlinks resolve as if ROOT were
 * "/", and magic links (/proc/N/fd/M) are refused.
 */
static int open_in_root(const struct mount_state *ms, int root, const char *path)
{
	static bool no_openat2;
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (!no_openat2) {
		fd = (int)syscall(SYS_openat2, root, path, &how, sizeof how);
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		no_openat2 = true;
	}
	return ms->root_changed ? openat(root, path, O_PATH | O_CLOEXEC) : walk_in_root(root, path);
}

/*
 * PATH below DIR (a mount's fd, or the root), opened O_PATH, no symlink
 * followed anywhere on the way, nor at the end: for carapace's own mount
 * targets and for masked and read-only paths. A rootfs owner who swaps a
 * name for a symlink gets an error, not a mount somewhere else.
 */
static int open_beneath(int dir, const char *path)
{
	static bool no_openat2;
	/* No O_NOFOLLOW: with it, a symlink at the end would be opened, not refused. */
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd;

	if (!*path)	/* DIR itself */
		path = "/";
	if (!no_openat2) {
		fd = (int)syscall(SYS_openat2, dir, path, &how, sizeof how);
		if (fd >= 0 || errno != ENOSYS)
			return fd;
		no_openat2 = true;
	}
	return walk_in_root(dir, path);
}

/*
 * Whether a missing target may be made in DIR: anywhere in a throwaway root
 * (the overlay, a tarball's tmpfs), else only on a tmpfs of the container's,
 * never in the host's rootfs folder that carapace promised not to write.
 */
static bool may_make_in(const struct mount_state *ms, int dir)
{
	struct statfs sfs;
	struct stat st;

	if (!ms->folder_kept)
		return true;
	return !fstat(dir, &st) && st.st_dev != ms->folder_dev && !fstatfs(dir, &sfs) &&
	       sfs.f_type == TMPFS_MAGIC;
}

/*
 * The target, made first if missing, with its folders: a folder, or an
 * empty file. SYMLINKS: followed inside the root (a user's target), or
 * refused (carapace's own).
 */
static int open_target(const struct mount_state *ms, int root, const char *path, bool dir,
		       bool symlinks)
{
	char parent[PATH_MAX], *name;
	autoclose int parent_fd = -1;
	int fd = symlinks ? open_in_root(ms, root, path) : open_beneath(root, path);
	size_t len = strlen(path);

	if (fd >= 0 || errno != ENOENT)
		return fd;
	while (len > 1 && path[len - 1] == '/')
		len--;
	if (len >= sizeof parent) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(parent, path, len);
	parent[len] = '\0';
	name = strrchr(parent, '/') + 1;
	name[-1] = '\0';
	parent_fd = open_target(ms, root, *parent ? parent : "/", true, symlinks);
	if (parent_fd < 0)
		return -1;
	if (!may_make_in(ms, parent_fd)) {
		errno = EROFS;
		return -1;
	}
	if ((dir ? mkdirat(parent_fd, name, 0755) : mknodat(parent_fd, name, S_IFREG | 0644, 0)) &&
	    errno != EEXIST)
		return -1;
	/* What was just made, not the path again: a symlink there now is a swap. */
	return open_beneath(parent_fd, name);
}

/* The target must be a folder for a folder, and not the root itself. */
static void check_target(const struct mount_spec *m, int target, bool dir, const struct stat *root)
{
	struct stat st;

	if (fstat(target, &st))
		die_mount(m, "destination");
	errno = EBUSY;
	if (st.st_dev == root->st_dev && st.st_ino == root->st_ino)
		die_mount(m, "destination: the container's root");
	errno = dir ? ENOTDIR : EISDIR;
	if (!S_ISDIR(st.st_mode) != !dir)
		die_mount(m, "destination");
}

/* Remounts the mount on PATH with FLAGS too; it keeps those it has. */
static int remount_with(const char *path, unsigned long flags)
{
	static const struct { unsigned long st, ms; } keep[] = {
		{ ST_RDONLY, MS_RDONLY }, { ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV },
		{ ST_NOEXEC, MS_NOEXEC }, { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	struct statvfs sv;

	if (statvfs(path, &sv))
		return -1;
	flags &= MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (sv.f_flag & keep[i].st)
			flags |= keep[i].ms;
	return mount(NULL, path, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
}

/* mountinfo writes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/*
 * Before mount_setattr (Linux 5.12): remounts with FLAGS the mount on TOP
 * (if WITH_TOP) and each one below it (if BELOW), by mountinfo's paths.
 */
static int remount_paths(const char *top, unsigned long flags, bool with_top, bool below)
{
	char line[8192], mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int rc = 0;

	if (!f)
		return -1;
	while (!rc && fgets(line, sizeof line, f)) {
		if (!nth_word(line, 4, mnt, sizeof mnt))
			continue;
		unescape_octal(mnt);
		if (strcmp(mnt, top) ? below && path_within(mnt, top) : with_top)
			rc = remount_with(mnt, flags);
	}
	fclose(f);
	return rc;
}

/* Before mount_setattr (Linux 5.12): each mount of the attached bind, by its path. */
static void remount_bind(const struct mount_spec *m, int tree)
{
	char top[PATH_MAX], link[32];
	ssize_t n;

	snprintf(link, sizeof link, "/proc/self/fd/%d", tree);
	if ((n = readlink(link, top, sizeof top - 1)) < 0)
		die_mount(m, "readlink");
	top[n] = '\0';
	if (remount_paths(top, m->flags, true, m->flags & MS_REC))
		die_mount(m, "remount");
	if (mount(NULL, top, NULL, m->propagation & MS_REC ? m->propagation : MS_PRIVATE | MS_REC,
		  NULL) ||
	    (!(m->propagation & MS_REC) && mount(NULL, top, NULL, m->propagation, NULL)))
		die_mount(m, "propagation");
}

/* The atime flags a mount may ask for (config.json's noatime, strictatime...). */
#define MS_ATIME_FLAGS (MS_RELATIME | MS_NOATIME | MS_STRICTATIME)

static unsigned mount_attrs(unsigned long flags)
{
	return (flags & MS_RDONLY ? MOUNT_ATTR_RDONLY : 0) |
	       (flags & MS_NOSUID ? MOUNT_ATTR_NOSUID : 0) |
	       (flags & MS_NODEV ? MOUNT_ATTR_NODEV : 0) |
	       (flags & MS_NOEXEC ? MOUNT_ATTR_NOEXEC : 0) |
	       (flags & MS_NOATIME ? MOUNT_ATTR_NOATIME :
		flags & MS_STRICTATIME ? MOUNT_ATTR_STRICTATIME : 0) |
	       (flags & MS_NODIRATIME ? MOUNT_ATTR_NODIRATIME : 0);
}

/*
 * A bind's flags go on every mount of its tree, before it is attached: a
 * read-only volume is read-only all the way down, submounts too.
 */
static void attach_bind(const struct mount_spec *m, int tree, int target)
{
	unsigned rec = m->flags & MS_REC ? AT_RECURSIVE : 0;
	struct mount_attr all = {
		.attr_set = mount_attrs(m->flags),
		/* An atime mode replaces the tree's: the kernel wants the old one cleared. */
		.attr_clr = m->flags & MS_ATIME_FLAGS ? MOUNT_ATTR__ATIME : 0,
		.propagation = m->propagation & MS_REC ? m->propagation & ~MS_REC : MS_PRIVATE,
	};
	/* "slave" without the r is for the top mount: the ones below stay private. */
	struct mount_attr top = { .propagation = m->propagation & ~MS_REC };
	bool old_kernel = false;

	if (sys_mount_setattr(tree, "", AT_EMPTY_PATH | rec, &all)) {
		if (errno != ENOSYS)
			die_mount(m, "mount_setattr");
		old_kernel = true;
	}
	if (!old_kernel && !(m->propagation & MS_REC) &&
	    sys_mount_setattr(tree, "", AT_EMPTY_PATH, &top))
		die_mount(m, "mount_setattr");
	if (sys_move_mount(tree, target))
		die_mount(m, NULL);
	if (old_kernel)
		remount_bind(m, tree);
}

/*
 * Each filesystem carapace mounted, by the fd on the very mount the kernel
 * made. Mounts below one, masks and read-only paths in one, and the checks
 * all go through these fds, never through the container's paths again:
 * whoever owns the rootfs folder may rename its entries at any moment (a
 * symlink for "proc"), so a path looked up twice may name two things.
 */
struct made_mount {
	const char *target;	/* as asked for: "/proc" */
	const char *type;	/* the filesystem's, or "bind" */
	int fd;			/* O_PATH, on the mount's root */
};

static void remember_mount(struct mount_state *ms, const char *target, const char *type, int fd)
{
	ms->made = xrealloc(ms->made, (ms->made_len + 1) * sizeof *ms->made);
	ms->made[ms->made_len++] = (struct made_mount){ .target = target, .type = type, .fd = fd };
}

/* Once the filesystem is built: init needs them no more. */
void forget_mounts(struct mount_state *ms)
{
	for (size_t i = 0; i < ms->made_len; i++)
		close(ms->made[i].fd);
	free(ms->made);
	ms->made = NULL;
	ms->made_len = 0;
	close_fdp(&ms->null_node);
	ms->null_node = -1;
}

/* What of PATH lies below DIR, name by name: "/x" or "" (DIR itself); NULL: not below. */
static const char *path_below(const char *path, const char *dir)
{
	for (;;) {
		size_t n;

		while (*dir == '/')
			dir++;
		if (!*dir)
			return path;
		while (*path == '/')
			path++;
		n = strcspn(dir, "/");
		if (strncmp(path, dir, n) || (path[n] && path[n] != '/'))
			return NULL;
		path += n;
		dir += n;
	}
}

static bool is_pseudo_fs(const char *type)
{
	return !strcmp(type, "proc") || !strcmp(type, "sysfs");
}

/*
 * The deepest mount carapace made that holds PATH (PSEUDO: a procfs or
 * sysfs only), the latest of equals; *REL: what of PATH lies in it.
 */
static const struct made_mount *mount_holding(const struct mount_state *ms, const char *path,
					      const char **rel, bool pseudo)
{
	const struct made_mount *best = NULL;

	for (size_t i = 0; i < ms->made_len; i++) {
		const char *below = path_below(path, ms->made[i].target);

		if (!below || (pseudo && !is_pseudo_fs(ms->made[i].type)) ||
		    (best && strlen(ms->made[i].target) < strlen(best->target)))
			continue;
		best = &ms->made[i];
		*rel = below;
	}
	return best;
}

/* What fstatfs must say of a new mount of TYPE; 0: not checked. */
static unsigned long fs_magic(const char *type)
{
	static const struct { const char *type; unsigned long magic; } known[] = {
		{ "proc", PROC_SUPER_MAGIC }, { "sysfs", SYSFS_MAGIC }, { "tmpfs", TMPFS_MAGIC },
		{ "devpts", DEVPTS_SUPER_MAGIC }, { "mqueue", 0x19800202 /* MQUEUE_MAGIC */ },
		{ "cgroup", CGROUP_SUPER_MAGIC }, { "cgroup2", CGROUP2_SUPER_MAGIC },
	};

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(type, known[i].type))
			return known[i].magic;
	return 0;
}

/* DATA, a comma list, into FS's configuration: KEY=VALUE, or KEY alone for a flag. */
static int configure_fs(int fs, const char *data)
{
	char *copy = xasprintf("%s", data ? data : ""), *save = NULL;
	int rc = 0;

	for (char *w = strtok_r(copy, ",", &save); w && !rc; w = strtok_r(NULL, ",", &save)) {
		char *value = strchr(w, '=');

		if (value)
			*value++ = '\0';
		rc = (int)syscall(SYS_fsconfig, fs, value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG,
				  w, value, 0);
	}
	free(copy);
	return rc;
}

/*
 * M's filesystem, made detached (fsopen and fsmount, Linux 5.2) for this
 * process's namespaces (its PID namespace's procfs, its network
 * namespace's sysfs), with M's flags on the mount. Returns the fd on the
 * mount, whose filesystem is checked: nothing else can be behind that fd.
 */
static int new_mount(const struct mount_spec *m)
{
	autoclose int fs = (int)syscall(SYS_fsopen, m->type, FSOPEN_CLOEXEC);
	unsigned long magic = fs_magic(m->type);
	struct statfs sfs;
	int mnt;

	if (fs < 0)
		die_mount(m, errno == ENOSYS ? "fsopen (Linux 5.2)" : NULL);
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", m->source, 0) ||
	    configure_fs(fs, m->data) || syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0))
		die_mount(m, NULL);
	if ((mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, mount_attrs(m->flags))) < 0)
		die_mount(m, NULL);
	if (magic && (fstatfs(mnt, &sfs) || (unsigned long)sfs.f_type != magic))
		die(EXIT_CANT_RUN, "mount: %s: not the expected filesystem", m->target);
	return mnt;
}

/* A new filesystem on TARGET, an fd; returns the fd on its mount. */
static int mount_new(const struct mount_spec *m, int target)
{
	int mnt = new_mount(m);

	if (sys_move_mount(mnt, target))
		die_mount(m, NULL);
	return mnt;
}

/*
 * Before the root change: below the deepest mount made so far that holds
 * the target (/dev/pts in the /dev tmpfs), else in ROOT; no symlink
 * followed. After: in ROOT, with its symlinks followed inside it.
 */
static int open_mount_target(const struct mount_state *ms, const struct mount_spec *m, int root,
			     bool dir)
{
	const char *rel = m->target;
	bool early = m->phase == MOUNT_BEFORE_ROOT_CHANGE;
	const struct made_mount *under = early ? mount_holding(ms, m->target, &rel, false) : NULL;

	return open_target(ms, under ? under->fd : root, rel, dir, !early);
}

/*
 * In list order, the mounts of PHASE: those before the root change, or
 * those after it (which go on top: on /dev/shm, say), on ROOT, the
 * container's root. Every target resolves inside it,
 * once, into an fd, and the mount goes onto that fd: a symlink in the
 * rootfs, or a rename meanwhile, can't send a mount elsewhere.
 */
void mount_filesystems(struct mount_state *ms, const struct container *c, int root,
		       const int *trees, enum mount_phase phase)
{
	struct stat root_st, st;

	if (fstat(root, &root_st))
		die_errno("stat: /");
	for (size_t i = 0; i < c->mounts_len; i++) {
		const struct mount_spec *m = &c->mounts[i];
		bool dir = trees[i] < 0 || (!fstat(trees[i], &st) && S_ISDIR(st.st_mode));
		autoclose int target = -1;
		int mnt;

		if (m->phase != phase)
			continue;
		if ((target = open_mount_target(ms, m, root, dir)) < 0 && errno == EROFS &&
		    ms->folder_kept)
			die(EXIT_CANT_RUN, "%s: destination: %s is missing in the rootfs folder, "
			    "which carapace doesn't write: make it there, or drop --read-only "
			    "(the overlay takes it)", m->origin ? m->origin : "mount", m->target);
		if (target < 0)
			die_mount(m, "destination");
		check_target(m, target, dir, &root_st);
		if (trees[i] >= 0) {
			attach_bind(m, trees[i], target);
			if ((mnt = fcntl(trees[i], F_DUPFD_CLOEXEC, 0)) < 0)
				die_mount(m, "dup");
		} else {
			mnt = mount_new(m, target);
		}
		remember_mount(ms, m->target, m->type, mnt);
		if (m->origin)
			log_debug("%s: mounted", m->origin);
	}
}

/* The binds' sources are attached by now; the fds go, the mounts stay. */
void close_all(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

/*
 * Before mount_setattr (Linux 5.12): remounts the mount FD is on with
 * FLAGS, by the magic link to FD in the procfs carapace made, from a cwd
 * there: no path of the container is looked up.
 */
static int remount_fd(const struct mount_state *ms, int fd, unsigned long flags)
{
	const char *rel;
	const struct made_mount *proc = mount_holding(ms, "/proc", &rel, true);
	autoclose int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char link[32];
	int rc;

	snprintf(link, sizeof link, "self/fd/%d", fd);
	if (!proc || cwd < 0 || fchdir(proc->fd))
		return -1;
	rc = mount(NULL, link, NULL, MS_REMOUNT | MS_BIND | flags, NULL);
	if (fchdir(cwd))
		die_errno("chdir: back");
	return rc;
}

/* The root is read-only for the workload: with --read-only, or idmapped. */
bool root_readonly(const struct mount_state *ms, const struct container *c, int root_tree)
{
	return c->root.readonly || ms->root_readonly_fallback ||
	       (root_tree >= 0 && !c->root.overlay);
}

/*
 * A read-only root: the host's mounts below it (a bind on rootfs/mnt/sub,
 * say) go read-only at once, all of them, before carapace mounts anything
 * of its own (which keeps its own mode). The root's own mount stays as it
 * is until make_root_readonly(): the mount targets are made in it first.
 */
void make_submounts_readonly(int root)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	struct mount_attr rw = { .attr_clr = MOUNT_ATTR_RDONLY };
	char link[32], top[PATH_MAX];
	struct statvfs sv;
	ssize_t n;

	if (fstatvfs(root, &sv))
		die_errno("read-only root: statvfs");
	if (!sys_mount_setattr(root, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro)) {
		if (!(sv.f_flag & ST_RDONLY) && sys_mount_setattr(root, "", AT_EMPTY_PATH, &rw))
			die_errno("read-only root: mount_setattr");
		return;
	}
	if (errno != ENOSYS)
		die_errno("read-only root: mount_setattr: submounts");
	snprintf(link, sizeof link, "/proc/self/fd/%d", root);
	if ((n = readlink(link, top, sizeof top - 1)) < 0)
		die_errno("readlink: %s", link);
	top[n] = '\0';
	if (remount_paths(top, MS_RDONLY, false, true))
		die_errno("read-only root: remount submounts");
}

/*
 * Last, the root's own mount; its submounts are read-only already, and
 * carapace's mounts on it (volumes, tmpfs, /dev, /proc) keep their modes.
 */
void make_root_readonly(void)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (sys_mount_setattr(AT_FDCWD, "/", 0, &attr) &&
	    (errno != ENOSYS || remount_with("/", MS_RDONLY)))
		die_errno("--read-only: remount /");
}

/*
 * Inside, after the root change: the container's own cgroups, read-only,
 * on /sys/fs/cgroup of the sysfs carapace made, found from its mount's fd.
 */
void mount_cgroupfs(struct mount_state *ms, const struct cgroups *cg)
{
	struct mount_spec top = { "tmpfs", "tmpfs", "/sys/fs/cgroup", MS_SAFE, 0,
				  "mode=755,size=16k", NULL, MOUNT_AFTER_ROOT_CHANGE };
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	const char *rel = NULL;
	const struct made_mount *sys = mount_holding(ms, top.target, &rel, true);
	autoclose int target = sys ? open_beneath(sys->fd, rel) : (errno = ENOENT, -1);
	int tmpfs;

	if (target < 0)
		die_errno("mount: %s", top.target);
	if (!strcmp(cg->mode, "unified")) {
		top.type = top.source = "cgroup2";
		top.flags |= MS_RDONLY;
		top.data = NULL;
		remember_mount(ms, top.target, top.type, mount_new(&top, target));
		return;
	}
	remember_mount(ms, top.target, top.type, tmpfs = mount_new(&top, target));
	for (size_t i = 0; i < cg->ndirs; i++) {
		const struct cgroup_dir *d = &cg->dirs[i];
		const char *name = d->v2 ? "unified" : strrchr(d->mount, '/') + 1;
		struct mount_spec fs = {
			.type = d->v2 ? "cgroup2" : "cgroup", .source = "cgroup",
			.target = xasprintf("%s/%s", top.target, name), .flags = MS_SAFE | MS_RDONLY,
			.data = d->v2 ? NULL : cg->v1_opts[__builtin_ctz(d->ctls)],
		};
		autoclose int dir = -1;

		if ((mkdirat(tmpfs, name, 0755) && errno != EEXIST) ||
		    (dir = open_beneath(tmpfs, name)) < 0)
			die_errno("mkdir: %s", fs.target);
		remember_mount(ms, fs.target, fs.type, mount_new(&fs, dir));
	}
	if (sys_mount_setattr(tmpfs, "", AT_EMPTY_PATH, &ro) &&
	    (errno != ENOSYS || remount_fd(ms, tmpfs, MS_SAFE | MS_RDONLY)))
		die_errno("mount: remount %s read-only", top.target);
}

/* PATH has a name "." or "..". */
static bool has_dot_names(const char *path)
{
	for (const char *p = path; (p = strchr(p, '.')); p++)
		if ((p == path || p[-1] == '/') &&
		    (!p[1] || p[1] == '/' || (p[1] == '.' && (!p[2] || p[2] == '/'))))
			return true;
	return false;
}

/*
 * Calls FN on what PATH, a masked or read-only path, names. Under a procfs
 * or sysfs that carapace mounted: in each one of that type, from its fd,
 * so that a second procfs (--mount type=proc) is masked as /proc is. Else
 * in the deepest mount carapace made that holds it, else in ROOT.
 */
static void for_each_place(const struct mount_state *ms, int root, const char *path,
			   void (*fn)(const struct mount_state *, int, const char *, const char *))
{
	const char *rel = path;
	const struct made_mount *under;

	/* ".." would stop at a mount's top, and name something else: refused. */
	if (*path != '/' || has_dot_names(path))
		die(EXIT_CANT_RUN, "%s: must be an absolute path without . or ..", path);
	under = mount_holding(ms, path, &rel, true);

	if (under) {
		const char *type = under->type;

		for (size_t i = 0; i < ms->made_len; i++)
			if (!strcmp(ms->made[i].type, type))
				fn(ms, ms->made[i].fd, rel, path);
		return;
	}
	under = mount_holding(ms, path, &rel, false);
	fn(ms, under ? under->fd : root, rel, path);
}

/*
 * Hides REL in DIR: the container's /dev/null, by the fd on the node
 * verified when it was made, over a file; an empty read-only tmpfs over a
 * folder. Resolved once, no symlink followed, and mounted onto that fd.
 */
static void mask_one(const struct mount_state *ms, int dir, const char *rel, const char *path)
{
	static const struct mount_spec empty = { "tmpfs", "tmpfs", "mask", MS_SAFE | MS_RDONLY, 0,
						  "size=4k,mode=500", NULL,
						  MOUNT_AFTER_ROOT_CHANGE };
	autoclose int fd = open_beneath(dir, rel), mask = -1;
	struct stat st;

	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0 || fstat(fd, &st))
		die_errno("mask: %s", path);
	if (S_ISDIR(st.st_mode))
		mask = new_mount(&empty);
	else if (ms->null_node < 0)
		die(EXIT_CANT_RUN, "mask: %s: no /dev/null to mask it with", path);
	else if ((mask = sys_open_tree(ms->null_node, "", AT_EMPTY_PATH | OPEN_TREE_CLONE |
				       OPEN_TREE_CLOEXEC)) < 0)
		die_errno("mask: %s: /dev/null", path);
	if (sys_move_mount(mask, fd))
		die_errno("mask: %s", path);
}

/* Last of all mounts, so that nothing mounted later can uncover one. */
void mask_paths(const struct mount_state *ms, int root, const char *const *paths)
{
	for (; *paths; paths++)
		for_each_place(ms, root, *paths, mask_one);
}

/*
 * REL in DIR, read-only: a copy of its mount tree, submounts too, made
 * read-only before it is attached onto REL's own fd; then asked.
 */
static void readonly_one(const struct mount_state *ms, int dir, const char *rel, const char *path)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
					     MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	autoclose int fd = open_beneath(dir, rel), tree = -1;
	bool old_kernel = false;
	struct statvfs sv;

	if (fd < 0 && errno == ENOENT)
		return;
	if (fd < 0 || (tree = sys_open_tree(fd, "", AT_EMPTY_PATH | AT_RECURSIVE |
					    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
		die_errno("read-only: %s", path);
	if (sys_mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &ro)) {
		if (errno != ENOSYS)
			die_errno("read-only: %s: mount_setattr", path);
		old_kernel = true;
	}
	if (sys_move_mount(tree, fd) || (old_kernel && remount_fd(ms, tree, MS_SAFE | MS_RDONLY)))
		die_errno("read-only: %s", path);
	if (fstatvfs(tree, &sv) || !(sv.f_flag & ST_RDONLY))
		die(EXIT_CANT_RUN, "read-only: %s: still writable", path);
}

void make_paths_readonly(const struct mount_state *ms, int root, const char *const *paths)
{
	for (; *paths; paths++)
		for_each_place(ms, root, *paths, readonly_one);
}

/*
 * The basic devices, on the /dev tmpfs DEV_DIR: made with mknod, or, in a
 * user namespace, where mknod is not allowed, bound from the host's /dev.
 * Either way, the fd on what was made must turn out to be the device it
 * claims to be, on that tmpfs if made there; returns that O_PATH fd.
 */
static int make_device(int dev_dir, const char *name, dev_t dev, bool bind)
{
	struct mount_attr nosuid_noexec = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC };
	autoclose int fd = -1;
	struct stat st, dir_st;
	int node;

	if (!bind) {
		if (mknodat(dev_dir, name, S_IFCHR | 0666, dev) ||
		    fchmodat(dev_dir, name, 0666, 0) ||
		    (node = openat(dev_dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
			die_errno("mknod: /dev/%s", name);
	} else {
		char *host = xasprintf("/dev/%s", name);

		if ((fd = openat(dev_dir, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666)) < 0)
			die_errno("bind: /dev/%s: target", name);
		if ((node = sys_open_tree(AT_FDCWD, host, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
			die_errno("bind: %s: source", host);
		if (sys_mount_setattr(node, "", AT_EMPTY_PATH, &nosuid_noexec) && errno != ENOSYS)
			die_errno("bind: %s: mount_setattr", host);
		if (sys_move_mount(node, fd))
			die_errno("bind: /dev/%s", name);
		free(host);
	}
	if (fstat(node, &st) || fstat(dev_dir, &dir_st) || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != dev || (!bind && st.st_dev != dir_st.st_dev))
		die(EXIT_CANT_RUN, "%s: /dev/%s: not the expected device", bind ? "bind" : "mknod", name);
	return node;
}

/* The /dev tmpfs carapace made, opened from its mount's fd for real (mknodat). */
static int open_dev_tmpfs(const struct mount_state *ms)
{
	const char *rel = "";
	const struct made_mount *mnt = mount_holding(ms, "/dev", &rel, false);
	struct statfs sfs;
	int dev;

	/* The mount's fd is O_PATH, not enough for mknodat: open it again, for real. */
	errno = ENOENT;
	if (!mnt || *rel || (dev = openat(mnt->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno("open: /dev");
	if (fstatfs(dev, &sfs) || sfs.f_type != TMPFS_MAGIC)
		die(EXIT_CANT_RUN, "mount: /dev: not the expected filesystem");
	return dev;
}

/* On the /dev tmpfs carapace made, from its mount's fd. */
void populate_dev(struct mount_state *ms, bool bind)
{
	static const struct { const char *name; unsigned maj, min; } nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const char *links[][2] = {
		{ "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	autoclose int dev = open_dev_tmpfs(ms);

	for (size_t i = 0; i < sizeof nodes / sizeof nodes[0]; i++) {
		int node = make_device(dev, nodes[i].name, makedev(nodes[i].maj, nodes[i].min), bind);

		if (!strcmp(nodes[i].name, "null"))	/* what masks are made of */
			ms->null_node = node;
		else
			close(node);
	}
	for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
		if (symlinkat(links[i][0], dev, links[i][1]))
			die_errno("symlink: /dev/%s", links[i][1]);
}

/* What a linux.devices type is as a file: 0 for none. */
static mode_t device_file_type(char type)
{
	return type == 'c' || type == 'u' ? S_IFCHR : type == 'b' ? S_IFBLK :
	       type == 'p' ? S_IFIFO : 0;
}

/*
 * The folder that D's node goes in, below DEV (the /dev tmpfs), made on
 * the way: one name at a time, no symlink followed, none on another mount
 * (a volume on /dev/x is a host folder). *NAME: the node's own name.
 */
static int open_device_dir(int dev, const struct device_spec *d, char *buf, size_t size,
			   const char **name)
{
	const char *rel = path_below(d->path, "/dev");
	struct stat top, st;
	char *save = NULL, *next;
	int dir;

	if (d->path[0] != '/' || !rel || !*rel || has_dot_names(d->path) ||
	    strlen(rel) >= size || rel[strlen(rel) - 1] == '/')
		die(EXIT_CANT_RUN, "linux.devices: %s: not a file's path under /dev", d->path);
	snprintf(buf, size, "%s", rel);
	if (fstat(dev, &top) || (dir = fcntl(dev, F_DUPFD_CLOEXEC, 0)) < 0)
		die_errno("linux.devices: /dev");
	*name = strtok_r(buf, "/", &save);
	for (; (next = strtok_r(NULL, "/", &save)); *name = next) {
		int sub;

		if (mkdirat(dir, *name, 0755) && errno != EEXIST)
			die_errno("linux.devices: %s: mkdir %s", d->path, *name);
		sub = openat(dir, *name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dir);
		if ((dir = sub) < 0)
			die_errno("linux.devices: %s: %s", d->path, *name);
		if (fstat(dir, &st) || st.st_dev != top.st_dev)
			die(EXIT_CANT_RUN, "linux.devices: %s: %s: not on the container's /dev",
			    d->path, *name);
	}
	return dir;
}

/* The host's node at D's path, bound onto a file made as NAME in DIR. */
static void bind_device(int dir, const char *name, const struct device_spec *d)
{
	struct mount_attr nosuid_noexec = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC };
	autoclose int target = -1, node = -1;
	struct stat st;

	if ((node = sys_open_tree(AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC)) < 0)
		die_errno("linux.devices: %s: the host's node, to bind in a user namespace",
			  d->path);
	if (fstat(node, &st) || (st.st_mode & S_IFMT) != device_file_type(d->type) ||
	    st.st_rdev != makedev(d->major, d->minor))
		die(EXIT_CANT_RUN, "linux.devices: %s: the host's node is not that device", d->path);
	if ((target = openat(dir, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
			     0600)) < 0)
		die_errno("linux.devices: %s", d->path);
	if (sys_mount_setattr(node, "", AT_EMPTY_PATH, &nosuid_noexec) && errno != ENOSYS)
		die_errno("linux.devices: %s: mount_setattr", d->path);
	if (sys_move_mount(node, target))
		die_errno("linux.devices: bind %s", d->path);
}

/*
 * One linux.devices node: made with mknod, its mode exact (the umask
 * aside) and owned as asked; in a user namespace, where the kernel makes
 * no device node, the host's node bound, with the host's mode and owner,
 * as runc does. A fifo can be made anywhere. A node there already (one of
 * the defaults) is kept if it is that device.
 */
static void make_oci_device(int dev, const struct device_spec *d, bool bind)
{
	mode_t type = device_file_type(d->type), old_umask;
	dev_t rdev = type == S_IFIFO ? 0 : makedev(d->major, d->minor);
	autoclose int dir = -1, node = -1;
	const char *name;
	char buf[PATH_MAX];
	struct stat st, dir_st;
	bool made = true;
	int rc;

	if (!type)
		die(EXIT_CANT_RUN, "linux.devices: %s: type '%c': not c, u, b or p", d->path, d->type);
	dir = open_device_dir(dev, d, buf, sizeof buf, &name);
	if (bind && type != S_IFIFO) {
		bind_device(dir, name, d);
	} else {
		old_umask = umask(0);
		rc = mknodat(dir, name, type | (d->mode ? d->mode & 0777 : 0666), rdev);
		umask(old_umask);
		if (rc && errno != EEXIST)
			die_errno("linux.devices: mknod %s", d->path);
		made = rc == 0;
	}
	if ((node = openat(dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(node, &st) ||
	    fstat(dir, &dir_st))
		die_errno("linux.devices: %s", d->path);
	if ((st.st_mode & S_IFMT) != type || (type != S_IFIFO && st.st_rdev != rdev) ||
	    (!bind && st.st_dev != dir_st.st_dev))
		die(EXIT_CANT_RUN, "linux.devices: %s: %s", d->path,
		    made ? "not the expected device" : "there already, as another file");
	if (made && !bind && d->ids_given && fchownat(node, "", d->uid, d->gid, AT_EMPTY_PATH))
		die_errno("linux.devices: %s: chown %u:%u", d->path, d->uid, d->gid);
}

/* Before the root change, on the /dev tmpfs, after the default nodes. */
void make_devices(const struct mount_state *ms, const struct container *c, bool bind)
{
	autoclose int dev = -1;

	if (!c->oci.devices_len)
		return;
	dev = open_dev_tmpfs(ms);
	for (size_t i = 0; i < c->oci.devices_len; i++)
		make_oci_device(dev, &c->oci.devices[i], bind);
}

/*
 * The procfs carapace mounted on the container's /proc, by its mount's
 * fd: nothing the rootfs holds, nor a volume. -1: there is none.
 */
int open_procfs(const struct mount_state *ms)
{
	const char *rel = "";
	const struct made_mount *proc = mount_holding(ms, "/proc", &rel, true);
	struct statfs sfs;
	int fd;

	if (!proc || *rel || strcmp(proc->type, "proc"))
		return -1;
	if ((fd = fcntl(proc->fd, F_DUPFD_CLOEXEC, 0)) < 0 || fstatfs(fd, &sfs) ||
	    sfs.f_type != PROC_SUPER_MAGIC)
		die(EXIT_CANT_RUN, "/proc: not the container's procfs");
	return fd;
}

/*
 * linux.rootfsPropagation: the container's "/" (and, with MS_REC, every
 * mount below it) after the root change, in its own mount namespace,
 * whose mounts were all made private first: shared or slave propagates
 * nothing from the host, only among the container's mounts. Last of all
 * mounts: an unbindable /dev/pts could not be bound on /dev/console.
 */
void set_root_propagation(const struct container *c)
{
	unsigned long flags = c->oci.root_propagation;

	if (flags && mount(NULL, "/", NULL, flags, NULL))
		die_errno("linux.rootfsPropagation: /");
}

void set_loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	autoclose int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die_errno("socket: loopback");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr))
		die_errno("ioctl: lo: SIOCGIFFLAGS");
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr))
		die_errno("ioctl: lo: SIOCSIFFLAGS");
}
