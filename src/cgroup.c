/*
 * cgroup.c: cgroups v2, v1 or hybrid, each controller where it really lives.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

static const char *const controller_names[N_CTL] = {
	"pids", "memory", "cpu", "cpuset", "cpuacct", "freezer", "devices",
};


/* Rootless, a cgroup the user may not write is a missing delegation: say so. */
__attribute__((noreturn, format(printf, 2, 3)))
static void die_cgroup(const struct cgroups *cg, const char *fmt, ...)
{
	char what[PATH_MAX + 256];
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	if (cg->rootless && (err == EACCES || err == EPERM || err == EROFS))
		die(EXIT_CANT_RUN, "%s: %s (rootless, limits need a cgroup delegated to "
		    "uid %u: see --cgroup-parent)", what, strerror(err), (unsigned)geteuid());
	die(EXIT_CANT_RUN, "%s: %s", what, strerror(err));
}

static int write_file(const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];
	autoclose int fd = -1;
	size_t n = strlen(value);

	snprintf(path, sizeof path, "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	return write(fd, value, n) == (ssize_t)n ? 0 : -1;
}

/* Reads a small file into BUF; returns its length, or -1. */
static ssize_t read_file(const char *dir, const char *file, char *buf, size_t size)
{
	char path[PATH_MAX];
	autoclose int fd = -1;
	ssize_t n;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static int controller_bit(const char *name, size_t len)
{
	for (int i = 0; i < N_CTL; i++)
		if (strlen(controller_names[i]) == len && !strncmp(name, controller_names[i], len))
			return i;
	return -1;
}

/* Learns, from this process's mountinfo, which hierarchy holds each controller. */
static void cgroup_detect(struct cgroups *cg)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], buf[512];
	bool v1 = false;

	if (!f)
		die_errno("open: /proc/self/mountinfo");
	while (fgets(line, sizeof line, f)) {
		char mnt[PATH_MAX], type[32], opts[1024];
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 ||
		    sscanf(sep, " - %31s %*s %1023s", type, opts) != 2)
			continue;
		if (!strcmp(type, "cgroup2") && !cg->v2_mount)
			cg->v2_mount = strdup(mnt);
		if (strcmp(type, "cgroup"))
			continue;
		char *all = strdup(opts);

		for (char *o = strtok(opts, ","); o; o = strtok(NULL, ",")) {
			int bit = controller_bit(o, strlen(o));

			if (bit >= 0 && !cg->v1_mount[bit]) {
				cg->v1_mount[bit] = strdup(mnt);
				cg->v1_opts[bit] = all;
				v1 = true;
			}
		}
	}
	fclose(f);
	if (cg->v2_mount && read_file(cg->v2_mount, "cgroup.controllers", buf, sizeof buf) >= 0)
		for (char *o = strtok(buf, " \n"); o; o = strtok(NULL, " \n")) {
			int bit = controller_bit(o, strlen(o));

			if (bit >= 0)
				cg->v2_ctls |= 1u << bit;
		}
	cg->mode = !v1 ? "unified" : cg->v2_mount ? "hybrid" : "legacy";
}

/* The limits' controllers; cpuacct, freezer and cpu's usage come along if they exist. */
static unsigned controllers_needed(const struct container *c)
{
	unsigned need = 0;

	if (c->limits.pids >= 0 && !c->limits.pids_default)
		need |= 1u << CTL_PIDS;
	if (c->limits.memory >= 0)
		need |= 1u << CTL_MEMORY;
	if (c->limits.cpu_quota || c->limits.cpu_weight || c->limits.cpu_shares)
		need |= 1u << CTL_CPU;
	if (c->limits.cpuset_cpus)
		need |= 1u << CTL_CPUSET;
	return need;
}

static const char *const limit_option[N_CTL] = {
	"--pids", "--memory", "--cpus", "--cpuset-cpus", "", "", "devices",
};

/* The leaf that holds controller CTL, or NULL. */
static const char *cgroup_dir_of(const struct cgroups *cg, enum controller ctl)
{
	for (size_t i = 0; i < cg->ndirs; i++)
		if (cg->dirs[i].ctls & (1u << ctl))
			return cg->dirs[i].path;
	return NULL;
}

/* Plans one leaf per hierarchy: a controller on v1 stays there, else v2. */
static void cgroup_plan(struct cgroups *cg, const struct container *c, unsigned need,
			unsigned optional)
{
	for (int ctl = 0; ctl < N_CTL; ctl++) {
		unsigned bit = 1u << ctl;
		const char *mount = cg->v1_mount[ctl];
		size_t i;

		if (!((need | optional) & bit))
			continue;
		if (!mount && cg->v2_mount && ((cg->v2_ctls & bit) || ctl == CTL_DEVICES))
			mount = cg->v2_mount;
		if (!mount) {
			if (need & bit)
				die(EXIT_CANT_RUN, "%s: the host has no %s cgroup controller",
				    limit_option[ctl], controller_names[ctl]);
			continue;
		}
		for (i = 0; i < cg->ndirs && cg->dirs[i].mount != mount; i++)
			;
		if (i == cg->ndirs) {
			cg->dirs[i].mount = mount;
			cg->dirs[i].path = xasprintf("%s/%s/%s", mount, c->limits.parent,
						    c->limits.name);
			cg->dirs[i].v2 = mount == cg->v2_mount;
			cg->ndirs++;
		}
		cg->dirs[i].ctls |= bit;
	}
}

/* A new v1 cpuset has no CPUs and no memory nodes: it inherits its parent's. */
static void copy_cpuset(const char *dir, const char *file)
{
	char parent[PATH_MAX], buf[256];

	snprintf(parent, sizeof parent, "%s/..", dir);
	if (read_file(dir, file, buf, sizeof buf) > 1)
		return;
	if (read_file(parent, file, buf, sizeof buf) < 0 || write_file(dir, file, buf))
		die_errno("cgroup: %s/%s", dir, file);
}

/* Turns on what DIR's children lack; a delegated user may write none above its own. */
static void enable_controllers(const struct cgroups *cg, const char *dir, unsigned ctls)
{
	char list[128] = "", enabled[256] = " ", word[32];

	/* " pids memory ", to find " name " in */
	if (read_file(dir, "cgroup.subtree_control", enabled + 1, sizeof enabled - 2) < 0)
		enabled[1] = '\0';
	strcat(enabled, " ");
	for (char *nl = strchr(enabled, '\n'); nl; nl = strchr(nl, '\n'))
		*nl = ' ';
	for (int ctl = 0; ctl < N_CTL; ctl++) {
		snprintf(word, sizeof word, " %s ", controller_names[ctl]);
		if (ctls & (1u << ctl) && ctl != CTL_CPUACCT && ctl != CTL_FREEZER &&
		    ctl != CTL_DEVICES && !strstr(enabled, word))
			snprintf(list + strlen(list), sizeof list - strlen(list), "+%s ",
				 controller_names[ctl]);
	}
	if (*list && write_file(dir, "cgroup.subtree_control", list))
		die_cgroup(cg, "cgroup: %s/cgroup.subtree_control: %s", dir, list);
}

/*
 * Carapace removes only the cgroups it made, and knows them by a mark, an
 * xattr (a trusted one needs root; cgroup2 lets a delegated user set user.
 * ones): "leaf" on a container's leaf, "parent" on a parent it made.
 */
static const char *mark_name(const struct cgroups *cg)
{
	return cg->rootless ? "user.carapace" : "trusted.carapace";
}

static void mark_cgroup(const struct cgroups *cg, const char *dir, const char *kind)
{
	if (setxattr(dir, mark_name(cg), kind, strlen(kind), 0))
		log_debug("cgroup: %s: no mark (%s): carapace won't remove it after a crash",
			  dir, strerror(errno));
}

static bool has_mark(const struct cgroups *cg, int fd, const char *kind)
{
	char value[16];
	ssize_t n = fgetxattr(fd, mark_name(cg), value, sizeof value);

	return n == (ssize_t)strlen(kind) && !memcmp(value, kind, (size_t)n);
}

/* mkdir -p of the parent, from the hierarchy's root down. */
static void note_new_leaf(const struct cgroups *cg, const char *parent, const char *name);
static void drop_new_leaf_note(const struct cgroups *cg, const char *parent);

/*
 * One folder of the parent path, made in UP if it isn't there. Under a
 * note on UP, as a leaf is (note_new_leaf): a launcher killed between the
 * mkdir and the mark would leave a folder that no sweep takes.
 */
static void make_parent_folder(const struct cgroups *cg, const char *up, const char *path)
{
	/*
	 * One that is there is not ours to note: killed at the mkdir, we
	 * would leave a note naming the user's folder, for a sweep to take.
	 */
	if (!access(path, F_OK))
		return;
	note_new_leaf(cg, up, path + strlen(up) + 1);
	if (mkdir(path, 0755) == 0)
		mark_cgroup(cg, path, "parent");
	else if (errno != EEXIST) {
		drop_new_leaf_note(cg, up);
		die_cgroup(cg, "cgroup: mkdir %s", path);
	}
	drop_new_leaf_note(cg, up);
}

static void make_cgroup_parent(const struct cgroups *cg, const struct cgroup_dir *d,
			       const char *parent)
{
	char path[PATH_MAX], up[PATH_MAX];
	size_t len = (size_t)snprintf(path, sizeof path, "%s", d->mount);

	for (const char *seg = parent; *seg;) {
		size_t n = strcspn(seg, "/");

		if (n) {
			if (d->v2)	/* no internal processes: only leaves hold any */
				enable_controllers(cg, path, d->ctls);
			memcpy(up, path, len + 1);
			len += (size_t)snprintf(path + len, sizeof path - len, "/%.*s", (int)n, seg);
			make_parent_folder(cg, up, path);
			if (!d->v2 && d->ctls & (1u << CTL_CPUSET)) {
				copy_cpuset(path, "cpuset.cpus");
				copy_cpuset(path, "cpuset.mems");
			}
		}
		seg += n + (seg[n] == '/');
	}
	if (d->v2)
		enable_controllers(cg, path, d->ctls);
}

/* Calls FN(cg, mount, parent, name) once for every hierarchy on the host. */
static void for_each_hierarchy(const struct cgroups *cg,
			       void (*fn)(const struct cgroups *, const char *, const char *,
					  const char *),
			       const char *parent, const char *name)
{
	if (cg->v2_mount)
		fn(cg, cg->v2_mount, parent, name);
	for (int ctl = 0; ctl < N_CTL; ctl++) {
		int seen = 0;

		for (int j = 0; j < ctl; j++)
			seen |= cg->v1_mount[j] && cg->v1_mount[ctl] &&
				!strcmp(cg->v1_mount[j], cg->v1_mount[ctl]);
		if (cg->v1_mount[ctl] && !seen)
			fn(cg, cg->v1_mount[ctl], parent, name);
	}
}

/*
 * rmdir of mount/parent/name, then of the parents left empty: those that
 * carapace made, and its own default, never one the user made.
 */
static void remove_path(const struct cgroups *cg, const char *mount, const char *parent,
			const char *name)
{
	char *path = xasprintf("%s/%s/%s", mount, parent, name ? name : "");
	bool own_parent = !strcmp(parent, "carapace");

	if (name && rmdir(path) && errno != ENOENT)
		goto out;
	path[strlen(mount) + 1 + strlen(parent)] = '\0';
	for (char *slash;;) {
		autoclose int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 || !(has_mark(cg, fd, "parent") || own_parent) || rmdir(path))
			break;	/* gone, the user's, or in use by another container */
		slash = strrchr(path, '/');
		if (!slash || slash <= path + strlen(mount))
			break;
		*slash = '\0';
		own_parent = false;
	}
out:
	free(path);
}

/* SIGKILL for the tasks left in a stale leaf: cgroup.kill on v2, else each. */
static void kill_stale_tasks(const char *leaf)
{
	char buf[4096];

	if (write_file(leaf, "cgroup.kill", "1") == 0)
		return;
	if (read_file(leaf, "cgroup.procs", buf, sizeof buf) <= 0)
		return;
	for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
		kill((pid_t)atoi(p), SIGKILL);
}

/*
 * A launcher holds an flock on each of its leaves for its whole life, and
 * marks them. A marked leaf whose flock is free is a killed launcher's:
 * its tasks die, and it goes, if they die within TRIES * 5 ms. True if
 * it is gone.
 */
static bool sweep_leaf(const struct cgroups *cg, const char *leaf, int tries)
{
	autoclose int fd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT;
	if (!has_mark(cg, fd, "leaf") || flock(fd, LOCK_EX | LOCK_NB))
		return false;	/* another tool's, or a living container's */
	for (int i = 0; rmdir(leaf); i++) {
		if (errno == ENOENT)
			return true;
		if (errno != EBUSY || i >= tries)
			return false;
		kill_stale_tasks(leaf);
		usleep(5000);
	}
	log_debug("cgroup: removed the stale %s", leaf);
	return true;
}

/*
 * A launcher killed between a leaf's mkdir and its mark would leave a leaf
 * that no sweep takes, as carapace never removes an unmarked cgroup. So
 * before the mkdir it leaves a note on the parent, "<mark>.new.<pid>" =
 * the leaf's name, and takes it back once the leaf is marked.
 */
static char *new_leaf_note(const struct cgroups *cg, pid_t pid)
{
	return xasprintf("%s.new.%d", mark_name(cg), (int)pid);
}

static void note_new_leaf(const struct cgroups *cg, const char *parent, const char *name)
{
	char *note = new_leaf_note(cg, getpid());

	if (setxattr(parent, note, name, strlen(name), 0))
		log_debug("cgroup: %s: no note (%s): a crash now would leave %s",
			  parent, strerror(errno), name);
	free(note);
}

static void drop_new_leaf_note(const struct cgroups *cg, const char *parent)
{
	char *note = new_leaf_note(cg, getpid());

	removexattr(parent, note);
	free(note);
}

/*
 * The note of a launcher that is gone: its leaf (or parent folder) goes if
 * it is unmarked, unlocked and empty (a marked one is the common sweep's),
 * then the note.
 * A live pid (or one reused) keeps both: the leaf is its launcher's.
 */
static void sweep_new_leaf_note(const struct cgroups *cg, const char *parent,
				const char *note)
{
	const char *tail = note + strlen(mark_name(cg)) + strlen(".new.");
	char name[256], *end;
	long pid = strtol(tail, &end, 10);
	ssize_t n;

	if (end == tail || *end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
		return;
	n = getxattr(parent, note, name, sizeof name - 1);
	if (n > 0 && (name[n] = '\0', !strchr(name, '/')) && name[0] != '.') {
		char *leaf = xasprintf("%s/%s", parent, name);
		autoclose int fd = open(leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0 && !has_mark(cg, fd, "leaf") && !has_mark(cg, fd, "parent") &&
		    !flock(fd, LOCK_EX | LOCK_NB) &&
		    rmdir(leaf) == 0)
			log_debug("cgroup: removed the unmarked %s of launcher %ld", leaf, pid);
		free(leaf);
	}
	removexattr(parent, note);
}

static void sweep_new_leaf_notes(const struct cgroups *cg, const char *parent)
{
	char list[4096], prefix[64];
	ssize_t len = listxattr(parent, list, sizeof list);

	snprintf(prefix, sizeof prefix, "%s.new.", mark_name(cg));
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(list + i) + 1)
		if (!strncmp(list + i, prefix, strlen(prefix)))
			sweep_new_leaf_note(cg, parent, list + i);
}

/* The stale leaves under PARENT, now: a leaf still busy goes next time. */
static void sweep_parent(const struct cgroups *cg, const char *mount, const char *parent,
			 const char *unused)
{
	char *dir_path = xasprintf("%s/%s", mount, parent);
	DIR *dir = opendir(dir_path);
	struct dirent *e;

	(void)unused;
	/* The notes of the path's folders, on each one's own parent, from the top. */
	for (char *slash = dir_path + strlen(mount); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		sweep_new_leaf_notes(cg, dir_path);
		*slash = '/';
	}
	sweep_new_leaf_notes(cg, dir_path);
	while (dir && (e = readdir(dir))) {
		char *leaf = xasprintf("%s/%s", dir_path, e->d_name);

		if (e->d_type == DT_DIR && e->d_name[0] != '.')
			sweep_leaf(cg, leaf, 1);
		free(leaf);
	}
	if (dir)
		closedir(dir);
	free(dir_path);
}

/* The mkdir, lock and mark of make_locked_leaf, under its note. */
static bool make_noted_leaf(const struct cgroups *cg, struct cgroup_dir *d,
			    const struct container *c, const char *parent)
{
	if (mkdir(d->path, 0755)) {
		if (errno == EEXIST) {
			/* A killed launcher's leaf of that name: its tasks die in a moment. */
			if (sweep_leaf(cg, d->path, 400))
				return false;
			drop_new_leaf_note(cg, parent);
			die(EXIT_CANT_RUN, "--name: %s: a container of that name is running",
			    c->limits.name);
		}
		if (errno == ENOENT)	/* the parent went away: try again */
			return false;
		die_cgroup(cg, "cgroup: mkdir %s", d->path);
	}
	d->created = true;
	d->lock_fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->lock_fd < 0 && errno == ENOENT)	/* gone before our lock */
		return false;
	if (d->lock_fd < 0 || flock(d->lock_fd, LOCK_EX))
		die_errno("cgroup: lock %s", d->path);
	if (access(d->path, F_OK)) {
		close(d->lock_fd);
		d->lock_fd = -1;
		return false;
	}
	/* Only now, locked: a sweeper never takes a marked leaf that lives. */
	mark_cgroup(cg, d->path, "leaf");
	return true;
}

/* Makes leaf D, locks and marks it; false if a sweeper or an exiting launcher raced us. */
static bool make_locked_leaf(const struct cgroups *cg, struct cgroup_dir *d,
			     const struct container *c)
{
	char *parent = xasprintf("%s/%s", d->mount, c->limits.parent);
	bool ok;

	d->created = false;
	make_cgroup_parent(cg, d, c->limits.parent);
	note_new_leaf(cg, parent, c->limits.name);
	ok = make_noted_leaf(cg, d, c, parent);
	drop_new_leaf_note(cg, parent);
	free(parent);
	return ok;
}

__attribute__((format(printf, 4, 5)))
static void write_limit(const struct cgroups *cg, enum controller ctl, const char *file,
			const char *fmt, ...)
{
	const char *dir = cgroup_dir_of(cg, ctl);
	char value[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(value, sizeof value, fmt, ap);
	va_end(ap);
	if (write_file(dir, file, value))
		die_cgroup(cg, "%s: %s/%s: %s", limit_option[ctl], dir, file, value);
}

static void write_limits(const struct cgroups *cg, const struct container *c)
{
	bool v2 = cg->v2_mount && !cg->v1_mount[CTL_CPU];
	const char *cpuset = cgroup_dir_of(cg, CTL_CPUSET);

	/* The default: if pids exist. */
	if (c->limits.pids >= 0 && cgroup_dir_of(cg, CTL_PIDS))
		write_limit(cg, CTL_PIDS, "pids.max", "%lld", (long long)c->limits.pids);
	if (c->limits.memory >= 0 && cg->v1_mount[CTL_MEMORY]) {
		write_limit(cg, CTL_MEMORY, "memory.limit_in_bytes", "%lld",
			    (long long)c->limits.memory);
		if (c->limits.memory_swap == -2)	/* v1's own word for unlimited */
			write_limit(cg, CTL_MEMORY, "memory.memsw.limit_in_bytes", "-1");
		else if (c->limits.memory_swap != -1)
			write_limit(cg, CTL_MEMORY, "memory.memsw.limit_in_bytes", "%lld",
				    (long long)c->limits.memory_swap);
	} else if (c->limits.memory >= 0) {
		write_limit(cg, CTL_MEMORY, "memory.max", "%lld", (long long)c->limits.memory);
		if (c->limits.memory_swap == -2)
			write_limit(cg, CTL_MEMORY, "memory.swap.max", "max");
		else if (c->limits.memory_swap >= 0)
			write_limit(cg, CTL_MEMORY, "memory.swap.max", "%lld",
				    (long long)(c->limits.memory_swap - c->limits.memory));
	}
	if (c->limits.cpu_quota && v2)
		write_limit(cg, CTL_CPU, "cpu.max", "%llu 100000",
			    (unsigned long long)c->limits.cpu_quota);
	else if (c->limits.cpu_quota) {
		write_limit(cg, CTL_CPU, "cpu.cfs_period_us", "100000");
		write_limit(cg, CTL_CPU, "cpu.cfs_quota_us", "%llu",
			    (unsigned long long)c->limits.cpu_quota);
	}
	/* Weight and shares map onto each other as runc and crun convert them. */
	if (c->limits.cpu_weight && !v2)
		write_limit(cg, CTL_CPU, "cpu.shares", "%llu",
			    (unsigned long long)(2 + (c->limits.cpu_weight - 1) * 262142 / 9999));
	else if (c->limits.cpu_weight)
		write_limit(cg, CTL_CPU, "cpu.weight", "%llu",
			    (unsigned long long)c->limits.cpu_weight);
	if (c->limits.cpu_shares && v2)
		write_limit(cg, CTL_CPU, "cpu.weight", "%llu",
			    (unsigned long long)(1 + (c->limits.cpu_shares - 2) * 9999 / 262142));
	else if (c->limits.cpu_shares)
		write_limit(cg, CTL_CPU, "cpu.shares", "%llu",
			    (unsigned long long)c->limits.cpu_shares);
	if (cpuset && !cg->v1_mount[CTL_CPUSET])
		write_limit(cg, CTL_CPUSET, "cpuset.cpus", "%s", c->limits.cpuset_cpus);
	else if (cpuset) {
		copy_cpuset(cpuset, "cpuset.mems");
		write_limit(cg, CTL_CPUSET, "cpuset.cpus", "%s", c->limits.cpuset_cpus);
	}
}

static void remove_cgroups(struct cgroups *cg);

/*
 * The launcher's cgroups, for its clean-up at exit (on_launcher_exit): the
 * one pointer to them that is no argument, as an exit handler takes none,
 * and the clean-up must run on every way out of the launcher, die() included.
 */
static struct cgroups *cgroups_at_exit;

static void remove_cgroups_at_exit(void)
{
	if (cgroups_at_exit)
		remove_cgroups(cgroups_at_exit);
}

/* OCI create: the cgroups outlive the launcher; delete removes them. */
void keep_cgroups(void)
{
	cgroups_at_exit = NULL;
}

/*
 * The devices a container may read and write; mknod of any is allowed.
 * Not 5:1, the host's system console: a node of it, made or shipped in a
 * rootfs, would write to it and could make it a controlling terminal.
 * A container's /dev/console is a bind of its own pty (see bind_console).
 * 5:2 is every devpts instance's ptmx, the container's own included.
 */
static const struct { char type; int major, minor; } allowed_devices[] = {
	{ 'c', 1, 3 }, { 'c', 1, 5 }, { 'c', 1, 7 }, { 'c', 1, 8 }, { 'c', 1, 9 },
	{ 'c', 5, 0 }, { 'c', 5, 2 }, { 'c', 136, -1 },
};
#define N_ALLOWED_DEVICES (sizeof allowed_devices / sizeof allowed_devices[0])

static void confine_devices_v1(const char *dir)
{
	char rule[64];

	if (write_file(dir, "devices.deny", "a") || write_file(dir, "devices.allow", "c *:* m") ||
	    write_file(dir, "devices.allow", "b *:* m"))
		die_errno("cgroup: %s/devices.allow", dir);
	for (size_t i = 0; i < N_ALLOWED_DEVICES; i++) {
		if (allowed_devices[i].minor < 0)
			snprintf(rule, sizeof rule, "%c %d:* rwm", allowed_devices[i].type,
				 allowed_devices[i].major);
		else
			snprintf(rule, sizeof rule, "%c %d:%d rwm", allowed_devices[i].type,
				 allowed_devices[i].major, allowed_devices[i].minor);
		if (write_file(dir, "devices.allow", rule))
			die_errno("cgroup: %s/devices.allow: %s", dir, rule);
	}
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/*
 * v2 has no devices controller: a BPF_PROG_TYPE_CGROUP_DEVICE program on
 * the leaf answers 1 (allow) or 0 (deny) for each access. Returns false
 * where the kernel can't load or attach one.
 */
static bool confine_devices_v2(int cgroup_fd)
{
	struct bpf_insn prog[64];
	int n = 0, prog_fd;
	union bpf_attr attr;

	prog[n++] = INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);	/* access_type */
	prog[n++] = INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0);	/* major */
	prog[n++] = INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0);	/* minor */
	prog[n++] = INSN(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0);
	prog[n++] = INSN(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);		/* access */
	prog[n++] = INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);		/* type */
	prog[n++] = INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_3, 0, 0, BPF_DEVCG_ACC_MKNOD);
	int jump_to_allow[N_ALLOWED_DEVICES + 1], njumps = 0;
	jump_to_allow[njumps++] = n - 1;
	prog[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 2 * N_ALLOWED_DEVICES, BPF_DEVCG_DEV_CHAR);
	for (size_t i = 0; i < N_ALLOWED_DEVICES; i++) {
		/* major matches and (any minor or minor matches) -> allow */
		bool any = allowed_devices[i].minor < 0;

		prog[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 1, allowed_devices[i].major);
		prog[n++] = any ? INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0) :
			INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_5, 0, 0, allowed_devices[i].minor);
		jump_to_allow[njumps++] = n - 1;
	}
	prog[n++] = INSN(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);		/* deny */
	prog[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (int j = 0; j < njumps; j++)	/* each jump lands on "allow" */
		prog[jump_to_allow[j]].off = (short)(n - jump_to_allow[j] - 1);
	prog[n++] = INSN(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);		/* allow */
	prog[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
	if (prog_fd < 0)
		return false;
	memset(&attr, 0, sizeof attr);
	attr.target_fd = (uint32_t)cgroup_fd;
	attr.attach_bpf_fd = (uint32_t)prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	bool ok = syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof attr) == 0;
	close(prog_fd);	/* the attachment keeps the program */
	return ok;
}

/* Container root holds MKNOD: the device cgroup keeps host devices shut. */
static void confine_devices(struct cgroups *cg)
{
	const char *dir = cgroup_dir_of(cg, CTL_DEVICES);

	if (cg->v1_mount[CTL_DEVICES]) {
		confine_devices_v1(dir);
		cg->devices_confined = true;
	} else if (cg->v2_fd >= 0 && confine_devices_v2(cg->v2_fd)) {
		cg->devices_confined = true;
	} else {
		log_debug("devices: no device cgroup (%s): dropping CAP_MKNOD", strerror(errno));
	}
}

/* Before the clone: the leaves exist and hold every limit. */
void create_cgroups(struct cgroups *cg, const struct container *c, bool rootless)
{
	unsigned need = controllers_needed(c);

	cgroup_detect(cg);
	cg->rootless = rootless;
	/* Rootless: nothing but what was asked for, as nothing else is delegated. */
	cgroup_plan(cg, c, need, cg->rootless ? 0 : (1u << CTL_FREEZER) |
		    (c->limits.pids_default ? 1u << CTL_PIDS : 0) |
		    (c->privileges.privileged ? 0 : 1u << CTL_DEVICES) |
		    (log_threshold >= LOG_DEBUG ? 1u << CTL_CPUACCT : 0));
	if (!cg->ndirs)
		die(EXIT_CANT_RUN, "cgroup: no cgroup hierarchy is mounted");
	log_debug("cgroup: %s mode, leaf %s/%s", cg->mode, c->limits.parent, c->limits.name);
	for_each_hierarchy(cg, sweep_parent, c->limits.parent, NULL);
	cg->parent = c->limits.parent;
	cgroups_at_exit = cg;
	on_launcher_exit(remove_cgroups_at_exit);
	for (size_t i = 0; i < cg->ndirs; i++) {
		int tries = 0;

		while (!make_locked_leaf(cg, &cg->dirs[i], c))
			if (++tries == 10)
				die(EXIT_CANT_RUN, "cgroup: %s: removed as fast as it is made",
				    cg->dirs[i].path);
	}
	write_limits(cg, c);
	for (size_t i = 0; i < cg->ndirs; i++)
		if (cg->dirs[i].v2)
			cg->v2_fd = open(cg->dirs[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgroup_dir_of(cg, CTL_DEVICES))
		confine_devices(cg);
}

/* After the clone, for what CLONE_INTO_CGROUP didn't do. */
void join_cgroups(const struct cgroups *cg, pid_t pid, bool v2_done)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%d", (int)pid);
	for (size_t i = 0; i < cg->ndirs; i++)
		if (!(cg->dirs[i].v2 && v2_done) &&
		    write_file(cg->dirs[i].path, "cgroup.procs", buf))
			die_cgroup(cg, "cgroup: %s/cgroup.procs", cg->dirs[i].path);
}

/* Kills whatever is still in DIR: cgroup.kill on v2, else freeze, kill, thaw. */
static void kill_cgroup(const struct cgroups *cg, const struct cgroup_dir *d)
{
	const char *freezer = cgroup_dir_of(cg, CTL_FREEZER);
	char buf[4096];

	for (int round = 0; round < 100; round++) {
		if (read_file(d->path, "cgroup.procs", buf, sizeof buf) <= 0)
			return;
		if (d->v2 && write_file(d->path, "cgroup.kill", "1") == 0) {
			usleep(1000);
			continue;
		}
		if (freezer)
			write_file(freezer, "freezer.state", "FROZEN");
		for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
			kill((pid_t)atoi(p), SIGKILL);
		if (freezer)
			write_file(freezer, "freezer.state", "THAWED");
		usleep(1000);
	}
}

/* At the launcher's exit: the leaves, and the parents if no other container uses them. */
static void remove_cgroups(struct cgroups *cg)
{
	for (size_t i = 0; i < cg->ndirs; i++) {
		if (!cg->dirs[i].created)	/* another container's, of the same name */
			continue;
		kill_cgroup(cg, &cg->dirs[i]);
		/* A dying task may hold the cgroup for a moment. */
		for (int tries = 0; rmdir(cg->dirs[i].path) && errno == EBUSY && tries < 200;
		     tries++)
			usleep(5000);
	}
	if (cg->ndirs)
		for_each_hierarchy(cg, remove_path, cg->parent, NULL);
	cg->ndirs = 0;
}

static long long read_number(const struct cgroups *cg, enum controller ctl, const char *file,
			     const char *key)
{
	const char *dir = cgroup_dir_of(cg, ctl);
	char buf[4096];
	const char *p = buf;

	if (!dir || read_file(dir, file, buf, sizeof buf) <= 0)
		return -1;
	if (key) {
		size_t n = strlen(key);

		for (p = buf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (!strncmp(p, key, n) && p[n] == ' ')
				break;
		if (!p)
			return -1;
		p += n;
	}
	return strtoll(p, NULL, 10);
}

/* After the container: an OOM kill is named, and -v reports usage. */
void report_cgroups(const struct cgroups *cg, const struct container *c)
{
	long long v;

	if (cg->v1_mount[CTL_MEMORY])
		v = read_number(cg, CTL_MEMORY, "memory.oom_control", "oom_kill");
	else
		v = read_number(cg, CTL_MEMORY, "memory.events", "oom_kill");
	if (v > 0)
		log_error("container killed by the OOM killer (memory limit %lldM)",
			  (long long)c->limits.memory >> 20);
	if (log_threshold < LOG_DEBUG)
		return;
	v = cg->v1_mount[CTL_MEMORY] ?
	    read_number(cg, CTL_MEMORY, "memory.max_usage_in_bytes", NULL) :
	    read_number(cg, CTL_MEMORY, "memory.peak", NULL);
	if (v >= 0)
		log_debug("usage: peak memory %lld KiB", v >> 10);
	v = cg->v1_mount[CTL_CPUACCT] ? read_number(cg, CTL_CPUACCT, "cpuacct.usage", NULL) / 1000
				     : read_number(cg, CTL_PIDS, "cpu.stat", "usage_usec");
	if (v < 0)
		v = read_number(cg, CTL_MEMORY, "cpu.stat", "usage_usec");
	if (v >= 0)
		log_debug("usage: CPU time %lld.%03lld s", v / 1000000, v / 1000 % 1000);
	v = read_number(cg, CTL_PIDS, "pids.peak", NULL);
	if (v >= 0)
		log_debug("usage: peak pids %lld", v);
}
