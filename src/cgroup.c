/*
 * cgroup.c: cgroups v2, v1 or hybrid, each controller where it really lives.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

static const char *const controller_names[N_CTL] = {
	"pids", "memory", "cpu", "cpuset", "cpuacct", "freezer", "devices", "blkio", "hugetlb",
};

/* cgroup v2 calls blkio "io"; the others keep their names. */
static const char *v2_name(int ctl)
{
	return ctl == CTL_BLKIO ? "io" : controller_names[ctl];
}


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
	return len == 2 && !strncmp(name, "io", 2) ? CTL_BLKIO : -1;
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

		if (!sep || !nth_word(line, 4, mnt, sizeof mnt) ||
		    !nth_word(sep + 3, 0, type, sizeof type) || !nth_word(sep + 3, 2, opts, sizeof opts))
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

/* linux.resources.unified's KEY: the controller its prefix names, -1 for "cgroup.", -2 for none. */
static int unified_controller(const char *key)
{
	size_t n = strcspn(key, ".");

	if (n == 6 && !strncmp(key, "cgroup", 6))
		return -1;
	if (n == 2 && !strncmp(key, "io", 2))
		return CTL_BLKIO;
	if (n == 5 && !strncmp(key, "blkio", 5))	/* v1's name is no v2 file's */
		return -2;
	int ctl = controller_bit(key, n);

	return ctl < 0 || ctl == CTL_CPUACCT || ctl == CTL_FREEZER || ctl == CTL_DEVICES ? -2 : ctl;
}

/* What an OCI config's resources beyond the command line's limits need. */
static unsigned oci_controllers_needed(const struct container *c)
{
	const typeof(c->oci.resources) *r = &c->oci.resources;
	unsigned need = 0;

	/* swappiness is an OCI config's only: run leaves it 0, which is no wish */
	if (r->memory_reservation || r->disable_oom_killer ||
	    (c->oci.bundle && r->memory_swappiness >= 0))
		need |= 1u << CTL_MEMORY;
	if (r->cpu_period)
		need |= 1u << CTL_CPU;
	if (r->cpuset_mems)
		need |= 1u << CTL_CPUSET;
	if (r->blkio_weight)
		need |= 1u << CTL_BLKIO;
	if (r->hugetlb_len)
		need |= 1u << CTL_HUGETLB;
	for (size_t i = 0; i < r->unified_len; i++)
		if (unified_controller(r->unified[i].key) >= 0)
			need |= 1u << unified_controller(r->unified[i].key);
	return need;
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
	return need | oci_controllers_needed(c);
}

static const char *const limit_option[N_CTL] = {
	"--pids", "--memory", "--cpus", "--cpuset-cpus", "", "", "devices",
	"linux.resources.blockIO", "linux.resources.hugepageLimits",
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
		if (cg->v2_core && (ctl == CTL_DEVICES || ctl == CTL_FREEZER))
			mount = cg->v2_mount;
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

/*
 * linux.resources.unified: each key a file of the v2 leaf, checked before
 * any cgroup exists: a name (no '/', no "..") of a controller that cgroup
 * v2 holds on this host. That the file exists, the write finds out.
 */
static void check_unified(const struct cgroups *cg, const struct container *c)
{
	for (size_t i = 0; i < c->oci.resources.unified_len; i++) {
		const char *key = c->oci.resources.unified[i].key;
		int ctl = unified_controller(key);

		if (!*key || strchr(key, '/') || strstr(key, "..") || key[0] == '.' ||
		    !strchr(key, '.'))
			die(EXIT_CANT_RUN, "linux.resources.unified: not a cgroup file name: '%s'",
			    key);
		if (!cg->v2_mount)
			die(EXIT_CANT_RUN, "linux.resources.unified: %s: the host has no cgroup v2",
			    key);
		if (ctl == -2)
			die(EXIT_CANT_RUN, "linux.resources.unified: %s: not a file of a cgroup v2 "
			    "controller carapace manages", key);
		if (ctl >= 0 && (cg->v1_mount[ctl] || !(cg->v2_ctls & (1u << ctl))))
			die(EXIT_CANT_RUN, "linux.resources.unified: %s: the %s controller is not "
			    "on cgroup v2 on this host%s", key, v2_name(ctl),
			    cg->v1_mount[ctl] ? " (it is on v1)" : "");
	}
}

/* A "cgroup." key of unified needs a v2 leaf even if no controller does. */
static void plan_v2_leaf(struct cgroups *cg, const struct container *c)
{
	for (size_t i = 0; i < cg->ndirs; i++)
		if (cg->dirs[i].v2)
			return;
	if (!c->oci.resources.unified_len)
		return;
	cg->dirs[cg->ndirs].mount = cg->v2_mount;
	cg->dirs[cg->ndirs].path = xasprintf("%s/%s/%s", cg->v2_mount, c->limits.parent,
					     c->limits.name);
	cg->dirs[cg->ndirs].v2 = true;
	cg->ndirs++;
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

	/* cgroup2 has these without a controller, or not at all */
	if (!(ctls & ~(1u << CTL_CPUACCT | 1u << CTL_FREEZER | 1u << CTL_DEVICES)))
		return;
	/* " pids memory ", to find " name " in */
	if (read_file(dir, "cgroup.subtree_control", enabled + 1, sizeof enabled - 2) < 0)
		enabled[1] = '\0';
	strcat(enabled, " ");
	for (char *nl = strchr(enabled, '\n'); nl; nl = strchr(nl, '\n'))
		*nl = ' ';
	for (int ctl = 0; ctl < N_CTL; ctl++) {
		snprintf(word, sizeof word, " %s ", v2_name(ctl));
		if (ctls & (1u << ctl) && ctl != CTL_CPUACCT && ctl != CTL_FREEZER &&
		    ctl != CTL_DEVICES && !strstr(enabled, word))
			snprintf(list + strlen(list), sizeof list - strlen(list), "+%s ",
				 v2_name(ctl));
	}
	if (*list && write_file(dir, "cgroup.subtree_control", list))
		die_cgroup(cg, "cgroup: %s/cgroup.subtree_control: %s", dir, list);
}

/*
 * Carapace removes only the cgroups it made, and knows them by a mark, an
 * xattr (a trusted one needs root; cgroup2 lets a delegated user set user.
 * ones): "leaf" on a container's leaf, "parent" on a parent it made,
 * "oci" on the leaf of an OCI container, which outlives its launcher
 * (carapace create exits; carapace delete removes it).
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
 * Whether the folder FD holds a folder: a cgroup's rmdir fails then, but
 * only once it holds the kernel's cgroup lock, which every start needs.
 */
static bool has_child(int fd)
{
	char buf[1024];
	ssize_t n;

	while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
		for (ssize_t off = 0; off < n;) {
			const struct dirent *e = (const struct dirent *)(buf + off);

			off += e->d_reclen;
			if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				return true;
		}
	return false;
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

		if (fd < 0 || !(has_mark(cg, fd, "parent") || own_parent) || has_child(fd) ||
		    rmdir(path))
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
 * An OCI container's leaf outlives its launcher, whose flock goes with it:
 * a free flock is no sign of a dead container there. Its processes are
 * never killed here, and the leaf goes only if it is empty: the kernel's
 * rmdir of a cgroup that holds a process fails (EBUSY), at once.
 */
static bool sweep_oci_leaf(const char *leaf, int fd)
{
	char buf[16];

	if (flock(fd, LOCK_EX | LOCK_NB) || read_file(leaf, "cgroup.procs", buf, sizeof buf))
		return false;	/* its creator lives, or the container does */
	if (rmdir(leaf))
		return errno == ENOENT;
	log_debug("cgroup: removed the empty OCI container's %s", leaf);
	return true;
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
	if (has_mark(cg, fd, "oci"))
		return sweep_oci_leaf(leaf, fd);
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
 * before the mkdir it leaves a note on the parent, "<mark>.new.<pidns>-<pid>"
 * = the leaf's name, and takes it back once the leaf is marked. With the
 * pid namespace: two launchers of pid 3 in two of them must not share a
 * note, nor judge each other's pid.
 */
static char *new_leaf_note(const struct cgroups *cg, pid_t pid)
{
	return xasprintf("%s.new.%llx-%d", mark_name(cg), own_pid_namespace(), (int)pid);
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
 * Whether TAIL, a note's "<pidns>-<pid>", names a launcher that is gone:
 * only one of our own pid namespace can be judged, by its pid; another's
 * is left to a launcher of its own. (A bare "<pid>": an older carapace's.)
 * A live pid (or one reused) keeps the note.
 */
static bool noted_launcher_gone(const char *tail, long *pid)
{
	char *end;
	unsigned long long ns = strchr(tail, '-') ? strtoull(tail, &end, 16) : 0;

	if (ns && (*end != '-' || ns != own_pid_namespace()))
		return false;
	tail = ns ? end + 1 : tail;
	*pid = strtol(tail, &end, 10);
	return end != tail && !*end && *pid > 0 && kill((pid_t)*pid, 0) && errno == ESRCH;
}

/*
 * The folder that a gone launcher's note names goes if it is unmarked,
 * unlocked and empty (a marked one is the common sweep's). A parent folder
 * whose launcher was killed before the mark may hold other runs' leaves by
 * now (this run's own: the sweep comes after its mkdir). It is marked then,
 * as its launcher meant to, so that the last run in it removes it (or
 * delete, cgroups_remove_described): once the note is gone, nothing else
 * would. A note says that a launcher meant to make the folder: one killed
 * between the note and its mkdir leaves a note on a folder that isn't
 * there, which the next sweep drops, unless a user makes one of that
 * name first (it is then taken for carapace's, as it was before).
 */
static void sweep_noted_folder(const struct cgroups *cg, const char *path, long pid)
{
	autoclose int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || has_mark(cg, fd, "leaf") || has_mark(cg, fd, "parent") ||
	    has_mark(cg, fd, "oci") || flock(fd, LOCK_EX | LOCK_NB))
		return;
	if (rmdir(path) == 0)
		log_debug("cgroup: removed the unmarked %s of launcher %ld", path, pid);
	else if (has_child(fd) && !fsetxattr(fd, mark_name(cg), "parent", strlen("parent"), 0))
		log_debug("cgroup: marked %s, launcher %ld's parent folder", path, pid);
}

/* The note of a launcher that is gone: its folder, then the note. */
static void sweep_new_leaf_note(const struct cgroups *cg, const char *parent,
				const char *note)
{
	const char *tail = note + strlen(mark_name(cg)) + strlen(".new.");
	char name[256];
	long pid;
	ssize_t n;

	if (!noted_launcher_gone(tail, &pid))
		return;
	n = getxattr(parent, note, name, sizeof name - 1);
	/* A name, as --cgroup-parent's segments are: not . nor .., no slash. */
	if (n > 0 && (name[n] = '\0', !strchr(name, '/')) && strcmp(name, ".") && strcmp(name, "..")) {
		char *path = xasprintf("%s/%s", parent, name);

		sweep_noted_folder(cg, path, pid);
		free(path);
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

/*
 * A start looks at this many leaves of its parent at most: a sweep of all
 * of them made N parallel starts cost O(N^2) (331 ms of sweep each at 200).
 */
#define SWEEP_LEAVES 8

/* The parent's folder, whose leaves sweep_parent sweeps. */
struct swept_parent {
	const struct cgroups *cg;
	const char *dir_path;
	const char *own;	/* the run's own leaf, made already: passed over */
};

/* A leaf is a folder: no file, nor a dot name, nor ours (outside the budget). */
static enum sweep_kind look_at_leaf(void *arg, int fd, const struct dirent *e)
{
	const struct swept_parent *p = arg;

	(void)fd;
	if (p->own && !strcmp(e->d_name, p->own))
		return SWEEP_SKIP;
	return e->d_type != DT_DIR || e->d_name[0] == '.' ? SWEEP_SKIP : SWEEP_ENTRY;
}

static void take_leaf(void *arg, const char *name)
{
	const struct swept_parent *p = arg;
	char *leaf = xasprintf("%s/%s", p->dir_path, name);

	sweep_leaf(p->cg, leaf, 1);
	free(leaf);
}

/*
 * Stale leaves under PARENT, SWEEP_LEAVES at most, from a place chosen at
 * random: kernfs lists a folder by its names' hashes, and seeks to a hash.
 * From there to the end, then from the start to the first one seen: all
 * of them where they are few, and each one soon where they are many. A
 * leaf still busy goes another time. A clash of names sweeps that leaf.
 */
static void sweep_parent(const struct cgroups *cg, const char *mount, const char *parent,
			 const char *own)
{
	char *dir_path = xasprintf("%s/%s", mount, parent), first[256] = "";
	autoclose int fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct swept_parent p = { cg, dir_path, own };
	struct sweep s = { .budget = SWEEP_LEAVES, .first = first, .first_size = sizeof first,
			   .look = look_at_leaf, .take = take_leaf, .arg = &p };
	uint32_t from = 2 + ((uint32_t)getpid() * 2654435761u ^ (uint32_t)now_ms()) % (INT_MAX - 3);

	/* The notes of the path's folders, on each one's own parent, from the top. */
	for (char *slash = dir_path + strlen(mount); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		sweep_new_leaf_notes(cg, dir_path);
		*slash = '/';
	}
	sweep_new_leaf_notes(cg, dir_path);
	if (fd >= 0 && lseek(fd, from, SEEK_SET) >= 0 && sweep_listed(fd, &s) &&
	    lseek(fd, 0, SEEK_SET) == 0) {
		s.stop = *first ? first : NULL;
		s.first = NULL;
		sweep_listed(fd, &s);
	}
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
	mark_cgroup(cg, d->path, c->oci.bundle ? "oci" : "leaf");
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

/* A hugepage size as the kernel names its files: digits, then KB, MB or GB. */
static bool valid_page_size(const char *size)
{
	size_t n = strspn(size, "0123456789");

	return n && n < 12 && (!strcmp(size + n, "KB") || !strcmp(size + n, "MB") ||
			       !strcmp(size + n, "GB"));
}

/* The blkio weight: v1's blkio.weight, else BFQ's; v2's io.weight, else io.bfq.weight. */
static void write_blkio_weight(const struct cgroups *cg, unsigned weight)
{
	const char *dir = cgroup_dir_of(cg, CTL_BLKIO);
	bool v1 = cg->v1_mount[CTL_BLKIO];
	const char *plain = v1 ? "blkio.weight" : "io.weight";
	const char *bfq = v1 ? "blkio.bfq.weight" : "io.bfq.weight";
	char value[32];

	snprintf(value, sizeof value, v1 ? "%u" : "default %u", weight);
	if (!write_file(dir, plain, value))
		return;
	if (errno == ENOENT && !write_file(dir, bfq, value))
		return;
	if (errno == ENOENT)
		die(EXIT_CANT_RUN, "linux.resources.blockIO.weight: the host's %s controller has "
		    "no weight (no %s nor %s: no CFQ or BFQ I/O scheduler)",
		    v1 ? "blkio" : "io", plain, bfq);
	die_cgroup(cg, "linux.resources.blockIO.weight: %s/%s: %s", dir, plain, value);
}

/* linux.resources beyond the command line's limits; unified last, as it overrides. */
static void write_oci_limits(const struct cgroups *cg, const struct container *c)
{
	const typeof(c->oci.resources) *r = &c->oci.resources;
	bool v1_memory = cg->v1_mount[CTL_MEMORY];
	const char *v2_dir = NULL;

	if (r->memory_reservation)
		write_limit(cg, CTL_MEMORY, v1_memory ? "memory.soft_limit_in_bytes" : "memory.low",
			    "%lld", (long long)r->memory_reservation);
	if (c->oci.bundle && r->memory_swappiness >= 0 && v1_memory)
		write_limit(cg, CTL_MEMORY, "memory.swappiness", "%lld",
			    (long long)r->memory_swappiness);
	else if (c->oci.bundle && r->memory_swappiness >= 0)
		log_debug("linux.resources.memory.swappiness: ignored: cgroup v2 has none");
	if (r->disable_oom_killer && v1_memory)
		write_limit(cg, CTL_MEMORY, "memory.oom_control", "1");
	else if (r->disable_oom_killer)
		die(EXIT_CANT_RUN, "linux.resources.memory.disableOOMKiller: cgroup v2 can't "
		    "disable the OOM killer (memory.oom.group is the opposite)");
	if (r->cpuset_mems)
		write_limit(cg, CTL_CPUSET, "cpuset.mems", "%s", r->cpuset_mems);
	if (r->blkio_weight)
		write_blkio_weight(cg, r->blkio_weight);
	for (size_t i = 0; i < r->hugetlb_len; i++) {
		const char *size = r->hugetlb[i].page_size;
		char file[64];

		if (!valid_page_size(size))
			die(EXIT_CANT_RUN, "linux.resources.hugepageLimits: not a page size: '%s'",
			    size);
		snprintf(file, sizeof file, cg->v1_mount[CTL_HUGETLB] ?
			 "hugetlb.%s.limit_in_bytes" : "hugetlb.%s.max", size);
		write_limit(cg, CTL_HUGETLB, file, "%llu", (unsigned long long)r->hugetlb[i].limit);
	}
	for (size_t i = 0; i < cg->ndirs; i++)
		if (cg->dirs[i].v2)
			v2_dir = cg->dirs[i].path;
	for (size_t i = 0; i < r->unified_len; i++)
		if (write_file(v2_dir, r->unified[i].key, r->unified[i].value))
			die_cgroup(cg, "linux.resources.unified: %s/%s: %s", v2_dir,
				   r->unified[i].key, r->unified[i].value);
}

/* pids.max: -1 is no limit. */
static void write_pids_limit(const struct cgroups *cg, int64_t pids)
{
	if (pids < 0)
		write_limit(cg, CTL_PIDS, "pids.max", "max");
	else
		write_limit(cg, CTL_PIDS, "pids.max", "%lld", (long long)pids);
}

/* A limit file's value: a number, or the version's word for none. */
static void limit_value(char *buf, size_t size, bool v1, int64_t bytes)
{
	if (bytes < 0)
		snprintf(buf, size, v1 ? "-1" : "max");
	else
		snprintf(buf, size, "%lld", (long long)bytes);
}

/*
 * v1: the memory limit, then memory + swap; the kernel keeps memory at or
 * below memory + swap, so a raise past it writes memory + swap first.
 */
static void write_memory_v1(const struct cgroups *cg, bool set_memory, int64_t memory,
			    int64_t swap)
{
	const char *dir = cgroup_dir_of(cg, CTL_MEMORY);
	char mem[32], memsw[32];

	limit_value(mem, sizeof mem, true, memory);
	limit_value(memsw, sizeof memsw, true, swap == -2 ? -1 : swap);
	if (set_memory && write_file(dir, "memory.limit_in_bytes", mem)) {
		if (errno != EINVAL || swap == -1)
			die_cgroup(cg, "memory: %s/memory.limit_in_bytes: %s%s", dir, mem,
				   errno == EINVAL ? " (above the memory + swap limit: give "
				   "the swap limit too)" : "");
		write_limit(cg, CTL_MEMORY, "memory.memsw.limit_in_bytes", "%s", memsw);
		write_limit(cg, CTL_MEMORY, "memory.limit_in_bytes", "%s", mem);
		return;
	}
	if (swap != -1)
		write_limit(cg, CTL_MEMORY, "memory.memsw.limit_in_bytes", "%s", memsw);
}

/* v2's memory.max, and memory.swap.max: swap alone, beyond the memory limit. */
static void write_memory_v2(const struct cgroups *cg, bool set_memory, int64_t memory,
			    int64_t swap)
{
	const char *dir = cgroup_dir_of(cg, CTL_MEMORY);
	char buf[64];

	if (set_memory) {
		limit_value(buf, sizeof buf, false, memory);
		write_limit(cg, CTL_MEMORY, "memory.max", "%s", buf);
	}
	if (swap == -2)
		write_limit(cg, CTL_MEMORY, "memory.swap.max", "max");
	if (swap < 0)
		return;
	if (!set_memory) {	/* swap alone: beyond the limit in force */
		if (read_file(dir, "memory.max", buf, sizeof buf) <= 0)
			die_cgroup(cg, "memory: %s/memory.max", dir);
		memory = isdigit((unsigned char)buf[0]) ? strtoll(buf, NULL, 10) : -1;
	}
	if (memory < 0 || swap < memory)
		die(EXIT_CANT_RUN, "memory: swap %lld: %s", (long long)swap, memory < 0 ?
		    "needs a memory limit (swap is memory and swap together)" :
		    "less than the memory limit (swap is memory and swap together)");
	write_limit(cg, CTL_MEMORY, "memory.swap.max", "%lld", (long long)(swap - memory));
}

/*
 * The memory limit (SET_MEMORY: MEMORY's bytes, -1 none) and SWAP, memory
 * and swap together: -1 keeps it, -2 is no limit.
 */
static void write_memory_limit(const struct cgroups *cg, bool set_memory, int64_t memory,
			       int64_t swap)
{
	if (cg->v1_mount[CTL_MEMORY])
		write_memory_v1(cg, set_memory, memory, swap);
	else
		write_memory_v2(cg, set_memory, memory, swap);
}

/*
 * CPU time: QUOTA us (UINT64_MAX: none) per PERIOD us; 0 keeps either.
 * v2's cpu.max takes the quota alone, and the period only with a quota:
 * the one in force, read back.
 */
static void write_cpu_max(const struct cgroups *cg, uint64_t quota, uint64_t period)
{
	const char *dir = cgroup_dir_of(cg, CTL_CPU);
	char now[64] = "max";

	if (cg->v1_mount[CTL_CPU]) {
		if (period)
			write_limit(cg, CTL_CPU, "cpu.cfs_period_us", "%llu",
				    (unsigned long long)period);
		if (quota == UINT64_MAX)
			write_limit(cg, CTL_CPU, "cpu.cfs_quota_us", "-1");
		else if (quota)
			write_limit(cg, CTL_CPU, "cpu.cfs_quota_us", "%llu",
				    (unsigned long long)quota);
		return;
	}
	if (quota && quota != UINT64_MAX)
		snprintf(now, sizeof now, "%llu", (unsigned long long)quota);
	else if (!quota && read_file(dir, "cpu.max", now, sizeof now) > 0)
		now[strcspn(now, " \n")] = '\0';
	if (period)
		write_limit(cg, CTL_CPU, "cpu.max", "%s %llu", now, (unsigned long long)period);
	else if (quota)
		write_limit(cg, CTL_CPU, "cpu.max", "%s", now);
}

/* Weight and shares map onto each other as runc and crun convert them. */
static void write_cpu_weight(const struct cgroups *cg, uint64_t weight)
{
	if (cg->v1_mount[CTL_CPU])
		write_limit(cg, CTL_CPU, "cpu.shares", "%llu",
			    (unsigned long long)(2 + (weight - 1) * 262142 / 9999));
	else
		write_limit(cg, CTL_CPU, "cpu.weight", "%llu", (unsigned long long)weight);
}

static void write_cpu_shares(const struct cgroups *cg, uint64_t shares)
{
	if (cg->v1_mount[CTL_CPU])
		write_limit(cg, CTL_CPU, "cpu.shares", "%llu", (unsigned long long)shares);
	else
		write_limit(cg, CTL_CPU, "cpu.weight", "%llu",
			    (unsigned long long)(1 + (shares - 2) * 9999 / 262142));
}

/* The limits of the command line (and their twins in an OCI config). */
static void write_limits(const struct cgroups *cg, const struct container *c)
{
	const char *cpuset = cgroup_dir_of(cg, CTL_CPUSET);

	/* The default: if pids exist. */
	if (c->limits.pids >= 0 && cgroup_dir_of(cg, CTL_PIDS))
		write_pids_limit(cg, c->limits.pids);
	if (c->limits.memory >= 0)
		write_memory_limit(cg, true, c->limits.memory, c->limits.memory_swap);
	if (c->limits.cpu_quota || c->oci.resources.cpu_period)
		write_cpu_max(cg, c->limits.cpu_quota, c->oci.resources.cpu_period);
	if (c->limits.cpu_weight)
		write_cpu_weight(cg, c->limits.cpu_weight);
	if (c->limits.cpu_shares)
		write_cpu_shares(cg, c->limits.cpu_shares);
	if (cpuset && !cg->v1_mount[CTL_CPUSET]) {
		if (c->limits.cpuset_cpus)	/* v2: an empty one is its parent's */
			write_limit(cg, CTL_CPUSET, "cpuset.cpus", "%s", c->limits.cpuset_cpus);
	} else if (cpuset) {
		/* v1 runs nothing in a cpuset without CPUs or memory nodes */
		if (!c->oci.resources.cpuset_mems)
			copy_cpuset(cpuset, "cpuset.mems");
		if (c->limits.cpuset_cpus)
			write_limit(cg, CTL_CPUSET, "cpuset.cpus", "%s", c->limits.cpuset_cpus);
		else
			copy_cpuset(cpuset, "cpuset.cpus");
	}
	write_oci_limits(cg, c);
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

/*
 * carapace create: the container is up and lives on after its launcher;
 * carapace delete removes its cgroups (cgroups_remove_described). Only
 * the flocks go with the launcher: the sweep knows an "oci" leaf.
 */
void cgroups_outlive_launcher(struct cgroups *cg)
{
	if (cgroups_at_exit == cg)
		cgroups_at_exit = NULL;
}

/*
 * The devices a container may read and write, after mknod of any.
 * Not 5:1, the host's system console: a node of it, made or shipped in a
 * rootfs, would write to it and could make it a controlling terminal.
 * A container's /dev/console is a bind of its own pty (see bind_console).
 * 5:2 is every devpts instance's ptmx, the container's own included.
 * Applied in order from "deny all", as v1's devices.allow and .deny are;
 * an OCI config's linux.resources.devices come before them (as runc puts
 * its own allowed devices last): the devices the runtime spec says every
 * container has stay usable.
 */
static const struct device_rule default_device_rules[] = {
	{ true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },
	{ true, 'c', 1, 3, "rwm" }, { true, 'c', 1, 5, "rwm" }, { true, 'c', 1, 7, "rwm" },
	{ true, 'c', 1, 8, "rwm" }, { true, 'c', 1, 9, "rwm" }, { true, 'c', 5, 0, "rwm" },
	{ true, 'c', 5, 2, "rwm" }, { true, 'c', 136, -1, "rwm" },
};
#define N_DEFAULT_RULES (sizeof default_device_rules / sizeof default_device_rules[0])

/* The container's rules, in order: the config's, then the defaults. */
static struct device_rule *device_rules(const struct container *c, size_t *n)
{
	size_t extra = c->oci.device_rules_given ? c->oci.device_rules_len : 0;
	struct device_rule *rules = xrealloc(NULL, (extra + N_DEFAULT_RULES) * sizeof *rules);

	for (size_t i = 0; i < extra; i++) {
		const struct device_rule *r = &c->oci.device_rules[i];

		if ((r->type != 'a' && r->type != 'c' && r->type != 'b') ||
		    r->major < -1 || r->major > INT32_MAX || r->minor < -1 ||
		    r->minor > INT32_MAX || strspn(r->access, "rwm") != strlen(r->access))
			die(EXIT_CANT_RUN, "linux.resources.devices: rule %zu: not a device rule "
			    "(type a, c or b; major and minor -1 or more; access of rwm)", i + 1);
		rules[i] = *r;
		if (!*r->access)	/* none said: all three, as runc reads it */
			strcpy(rules[i].access, "rwm");
	}
	memcpy(rules + extra, default_device_rules, sizeof default_device_rules);
	*n = extra + N_DEFAULT_RULES;
	return rules;
}

static void device_number(char *buf, size_t size, int64_t n)
{
	if (n < 0)
		snprintf(buf, size, "*");
	else
		snprintf(buf, size, "%lld", (long long)n);
}

/* v1 reads "a" as every device with every access, whatever follows it. */
static bool v1_all_devices(const struct device_rule *r)
{
	return r->type == 'a' && r->major < 0 && r->minor < 0 && !strcmp(r->access, "rwm");
}

static bool devices_overlap(const struct device_rule *a, const struct device_rule *b)
{
	return (a->type == 'a' || b->type == 'a' || a->type == b->type) &&
	       (a->major < 0 || b->major < 0 || a->major == b->major) &&
	       (a->minor < 0 || b->minor < 0 || a->minor == b->minor);
}

/*
 * v1 keeps a list of allowed devices, and a deny takes access away only
 * from an entry of exactly its type and numbers: a deny of part of an
 * earlier, wider allow (c 10:* then c 10:200) would change nothing. Such
 * a list is refused rather than half held; the device program holds it.
 */
static void check_v1_deny(const struct device_rule *rules, size_t i)
{
	const struct device_rule *d = &rules[i];

	if (v1_all_devices(d))	/* "a": all gone, and v1 says so too */
		return;
	for (size_t j = 0; j < i; j++)
		if (rules[j].allow && devices_overlap(&rules[j], d) &&
		    (rules[j].type != d->type || rules[j].major != d->major ||
		     rules[j].minor != d->minor || d->type == 'a'))
			die(EXIT_CANT_RUN, "linux.resources.devices: rule %zu: a deny of part of "
			    "rule %zu's allow, which v1's devices cgroup can't hold", i + 1, j + 1);
}

/* One rule to FD, as v1 writes it; "a" with numbers or less access as a c and a b line. */
static void write_v1_rule(int fd, const char *path, const struct device_rule *r)
{
	char rule[96], major[24], minor[24];
	const char *types = r->type == 'a' && !v1_all_devices(r) ? "cb" : (char[]){ r->type, 0 };

	device_number(major, sizeof major, r->major);
	device_number(minor, sizeof minor, r->minor);
	for (const char *t = types; *t; t++) {
		int len = snprintf(rule, sizeof rule, "%c %s:%s %s", *t, major, minor, r->access);

		if (write(fd, rule, (size_t)len) != len)
			die_errno("cgroup: %s: %s", path, rule);
	}
}

/* v1: "deny all", then each rule, in order: a write each, to one fd per file. */
static void confine_devices_v1(const char *dir, const struct device_rule *rules, size_t n)
{
	char *allow_path = xasprintf("%s/devices.allow", dir);
	char *deny_path = xasprintf("%s/devices.deny", dir);
	autoclose int allow = open(allow_path, O_WRONLY | O_CLOEXEC);
	autoclose int deny = open(deny_path, O_WRONLY | O_CLOEXEC);

	if (allow < 0 || deny < 0)
		die_errno("cgroup: %s", allow < 0 ? allow_path : deny_path);
	for (size_t i = 0; i < n; i++)
		if (!rules[i].allow)
			check_v1_deny(rules, i);
	if (write(deny, "a", 1) != 1)
		die_errno("cgroup: %s: a", deny_path);
	for (size_t i = 0; i < n; i++)
		write_v1_rule(rules[i].allow ? allow : deny, rules[i].allow ? allow_path : deny_path,
			      &rules[i]);
	free(allow_path);
	free(deny_path);
}

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

static int access_bits(const char *access)
{
	return (strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0) |
	       (strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
	       (strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0);
}

/*
 * The device program as it is written: its jumps to an answer or to a
 * type's rules are fixed once all is written. The verifier's time grows
 * with the instructions it walks (0.3 ms for the first form of the
 * default list, on a 6.18 guest), so each type's rules come once, behind
 * one test of the type, and a device's major and minor are one number.
 */
enum dev_label { TO_ALLOW, TO_DENY, TO_BLOCK, N_DEV_LABELS };

struct dev_prog {
	struct bpf_insn *insn;
	int n;
	int at[N_DEV_LABELS];	/* where each label is, -1 until written */
	int *fix;		/* each jump's label, -1: none or fixed already */
};

static void emit(struct dev_prog *p, struct bpf_insn insn, int label)
{
	p->fix[p->n] = label;
	p->insn[p->n++] = insn;
}

static void emit_label(struct dev_prog *p, enum dev_label label)
{
	p->at[label] = p->n;
}

/* R4, the major, and R5, the minor, in R6: MAJOR(dev) is 12 bits, MINOR(dev) 20. */
#define DEV_KEY(major, minor) ((int32_t)((major) << 20 | (minor)))
#define DEV_KEY_FITS(r) ((r)->major >= 0 && (r)->major < 2048 && (r)->minor >= 0 && \
			 (r)->minor <= 0xfffff)	/* and no sign bit for the 64-bit compare */

/*
 * One rule, the type known: if the access matches it, answer. R3 holds
 * the access, R4 the major, R5 the minor, R6 both. An allow rule must
 * cover every access asked for; a deny rule matches one that asks any it
 * names. True if it answers every access left: the type's rules end there.
 */
static bool emit_type_rule(struct dev_prog *p, const struct device_rule *r)
{
	int acc = access_bits(r->access), start = p->n, ntests = 0;
	int answer = r->allow ? TO_ALLOW : TO_DENY;
	bool every_access = r->allow && acc == 7;
	struct { int reg; int32_t k; } test[2];

	if (!r->allow && !acc)	/* denies nothing */
		return false;
	if (DEV_KEY_FITS(r)) {
		test[ntests++] = (typeof(*test)){ BPF_REG_6,
						  DEV_KEY((int32_t)r->major, (int32_t)r->minor) };
	} else {
		if (r->major >= 0)
			test[ntests++] = (typeof(*test)){ BPF_REG_4, (int32_t)r->major };
		if (r->minor >= 0)
			test[ntests++] = (typeof(*test)){ BPF_REG_5, (int32_t)r->minor };
	}
	if (!ntests && every_access) {
		emit(p, INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), answer);
		return true;
	}
	for (int i = 0; i < ntests; i++)	/* "no" skips the rule; fixed below */
		if (every_access && i == ntests - 1)
			emit(p, INSN(BPF_JMP | BPF_JEQ | BPF_K, test[i].reg, 0, 0, test[i].k), answer);
		else
			emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, test[i].reg, 0, 0, test[i].k), -1);
	if (!every_access) {
		emit(p, INSN(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0), -1);
		emit(p, INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_1, 0, 0, r->allow ? ~acc & 7 : acc), -1);
		emit(p, INSN(BPF_JMP | (r->allow ? BPF_JEQ : BPF_JNE) | BPF_K, BPF_REG_1, 0, 0, 0), answer);
	}
	for (int i = start; i < p->n; i++)
		if (p->fix[i] < 0 && BPF_CLASS(p->insn[i].code) == BPF_JMP)
			p->insn[i].off = (short)(p->n - i - 1);
	return false;
}

/* TYPE's rules, the last first (the last that matches decides), then deny. */
static void emit_type_rules(struct dev_prog *p, char type, const struct device_rule *rules,
			    size_t nrules)
{
	for (size_t i = nrules; i-- > 0;)
		if ((rules[i].type == 'a' || rules[i].type == type) && emit_type_rule(p, &rules[i]))
			return;
	emit(p, INSN(BPF_JMP | BPF_JA, 0, 0, 0, 0), TO_DENY);
}

/* An answer, where some jump goes: the verifier refuses what none reaches. */
static void emit_answer(struct dev_prog *p, enum dev_label label, int value)
{
	bool used = false;

	for (int i = 0; i < p->n; i++)
		used |= p->fix[i] == (int)label;
	if (!used)
		return;
	emit_label(p, label);
	emit(p, INSN(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, value), -1);
	emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0), -1);
}

/*
 * The program for RULES (malloc'ed; *LEN instructions): R2 the type, then
 * char devices' rules, block devices', and the answers. A type neither
 * char nor block, which the kernel never asks, is denied. t/unit.c runs
 * it against the rules' own reading.
 */
struct bpf_insn *device_program(const struct device_rule *rules, size_t nrules, int *len)
{
	size_t most = 24 + 2 * 5 * nrules;
	struct dev_prog p = { .insn = xrealloc(NULL, most * sizeof *p.insn),
			      .fix = xrealloc(NULL, most * sizeof *p.fix) };

	for (int i = 0; i < N_DEV_LABELS; i++)
		p.at[i] = -1;
	emit(&p, INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0), -1);	/* access_type */
	emit(&p, INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0), -1);	/* major */
	emit(&p, INSN(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0), -1);	/* minor */
	emit(&p, INSN(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0), -1);
	emit(&p, INSN(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16), -1);	/* access */
	emit(&p, INSN(BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff), -1);	/* type */
	emit(&p, INSN(BPF_ALU | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_4, 0, 0), -1);
	emit(&p, INSN(BPF_ALU | BPF_LSH | BPF_K, BPF_REG_6, 0, 0, 20), -1);
	emit(&p, INSN(BPF_ALU | BPF_OR | BPF_X, BPF_REG_6, BPF_REG_5, 0, 0), -1);	/* both */
	emit(&p, INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_2, 0, 0, BPF_DEVCG_DEV_BLOCK), TO_BLOCK);
	emit(&p, INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, BPF_DEVCG_DEV_CHAR), TO_DENY);
	emit_type_rules(&p, 'c', rules, nrules);
	emit_label(&p, TO_BLOCK);
	emit_type_rules(&p, 'b', rules, nrules);
	emit_answer(&p, TO_ALLOW, 1);
	emit_answer(&p, TO_DENY, 0);
	/* A jump's offset is 16 bits: a longer program would jump elsewhere, or be refused. */
	if (p.n > SHRT_MAX)
		die(EXIT_CANT_RUN, "linux.resources.devices: %zu rules: too many for a device "
		    "program (%d instructions, at most %d)", nrules, p.n, SHRT_MAX);
	for (int i = 0; i < p.n; i++)
		if (p.fix[i] >= 0)
			p.insn[i].off = (short)(p.at[p.fix[i]] - i - 1);
	free(p.fix);
	*len = p.n;
	return p.insn;
}

/*
 * v2 has no devices controller: a BPF_PROG_TYPE_CGROUP_DEVICE program on
 * the leaf answers 1 (allow) or 0 (deny) for each access, from the same
 * rules: the last that matches decides, as the last write does on v1, and
 * none is "deny". Returns false where the kernel can't load or attach one.
 */
static bool confine_devices_v2(int cgroup_fd, const struct device_rule *rules, size_t nrules)
{
	int n, prog_fd;
	struct bpf_insn *prog = device_program(rules, nrules, &n);
	union bpf_attr attr;

	memset(&attr, 0, sizeof attr);
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)prog;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	prog_fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
	free(prog);
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

static void make_leaf(const struct cgroups *cg, struct cgroup_dir *d, const struct container *c);

/*
 * Hybrid, where the kernel can't load or attach a device program: the v1
 * devices leaf after all, made as create_cgroups makes the others. Its
 * path, or NULL where there is no v1 devices hierarchy.
 */
static const char *v1_devices_leaf(struct cgroups *cg, const struct container *c)
{
	struct cgroup_dir *d = &cg->dirs[cg->ndirs];

	if (!cg->v1_mount[CTL_DEVICES] || cg->ndirs == N_CTL)
		return NULL;
	log_debug("devices: no device program on the v2 leaf (%s): v1's devices cgroup",
		  strerror(errno));
	for (size_t i = 0; i < cg->ndirs; i++)
		cg->dirs[i].ctls &= ~(1u << CTL_DEVICES);
	d->mount = cg->v1_mount[CTL_DEVICES];
	d->path = xasprintf("%s/%s/%s", d->mount, c->limits.parent, c->limits.name);
	d->ctls = 1u << CTL_DEVICES;
	d->pending = true;
	cg->ndirs++;
	/* Noted "new" before its mkdir: a launcher killed after it leaves its parent folder too. */
	if (cg->note)
		cg->note(cg, cg->note_arg);
	make_leaf(cg, d, c);
	d->pending = false;
	return d->path;
}

/* Container root holds MKNOD: the device cgroup keeps host devices shut. */
static void confine_devices(struct cgroups *cg, const struct container *c)
{
	const char *dir = cgroup_dir_of(cg, CTL_DEVICES);
	bool v1 = cg->v1_mount[CTL_DEVICES] && !cg->v2_core;
	size_t n;
	struct device_rule *rules = device_rules(c, &n);

	if (!v1 && cg->v2_fd >= 0 && confine_devices_v2(cg->v2_fd, rules, n)) {
		cg->devices_confined = true;
	} else if (v1 || (cg->v2_core && (dir = v1_devices_leaf(cg, c)))) {
		confine_devices_v1(dir, rules, n);
		cg->devices_confined = true;
	} else if (c->oci.device_rules_given) {
		die_errno("linux.resources.devices: no device cgroup on this host");
	} else {
		log_debug("devices: no device cgroup (%s): dropping CAP_MKNOD", strerror(errno));
	}
	free(rules);
}

/*
 * Hybrid, run's own container: the device program may be loaded after the
 * clone, while init sets up (its load and attach take 0.2 to 0.5 ms, most
 * of it the verifier's), as the workload is forked only once the launcher
 * says start. Only where its failure has v1's devices leaf to fall back
 * on: CAP_MKNOD, kept for init as the device cgroup will guard it, can't
 * be taken back then. Init makes its cgroup namespace only once told that
 * this is settled (MSG_SETTLED): that leaf, joined after the namespace,
 * would be above its root, and root with CAP_SYS_ADMIN could mount the
 * hierarchy and leave the leaf.
 */
static bool devices_can_wait(const struct cgroups *cg)
{
	return cg->v2_core && cg->v2_fd >= 0 && cg->v1_mount[CTL_DEVICES] && cg->ndirs < N_CTL;
}

/*
 * Init joins a leaf made after its clone itself, by the "tasks" fd sent
 * here (MSG_TASKS, its controller in code): a thread that moves itself
 * takes no cgroup-attach lock (cgroups_open_self_join), where a write of
 * init's pid would wait for an RCU grace period.
 */
static void send_tasks_fd(const struct cgroups *cg, const struct cgroup_dir *d, int sock)
{
	struct ipc_msg m = IPC_MSG(MSG_TASKS);
	char *path = xasprintf("%s/tasks", d->path);

	m.code = __builtin_ctz(d->ctls);
	snprintf(m.text, sizeof m.text, "%s", path);	/* for init's error, if any */
	if ((m.fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		die_cgroup(cg, "cgroup: %s", path);
	if (!ipc_send(sock, &m) && errno != EPIPE && errno != ECONNRESET)
		die_errno("sendmsg: %c", MSG_TASKS);
	close(m.fd);
	free(path);
}

/*
 * After the clone, before the start: the device program on the v2 leaf,
 * or else v1's devices leaf, which init joins. True if a leaf was added
 * (the state's note of the cgroups is to be written again).
 */
bool confine_devices_later(struct cgroups *cg, const struct container *c, int sock)
{
	size_t ndirs = cg->ndirs;

	cg->devices_later = false;
	confine_devices(cg, c);	/* devices_can_wait: the v2 program, or v1's leaf */
	if (cg->ndirs == ndirs)
		return false;
	send_tasks_fd(cg, &cg->dirs[ndirs], sock);
	return true;
}

/*
 * Hybrid, run's own container (v1_later): the v1 leaves too are made
 * after the clone, while init sets up, as the device program is loaded:
 * their mkdirs, marks and limits (about 0.17 ms) leave the start's
 * critical path. Init joins each by its "tasks" before it is settled, and
 * forks nothing before that (make_cgroups' caller sees to it), so nothing
 * of the container runs outside a limit.
 */
void make_cgroups_later(struct cgroups *cg, const struct container *c, int sock)
{
	if (!cg->v1_later)
		return;
	for (size_t i = 0; i < cg->ndirs; i++)
		if (!cg->dirs[i].v2) {
			make_leaf(cg, &cg->dirs[i], c);
			cg->dirs[i].pending = false;
		}
	write_limits(cg, c);
	for (size_t i = 0; i < cg->ndirs; i++)
		if (!cg->dirs[i].v2)
			send_tasks_fd(cg, &cg->dirs[i], sock);
}

/*
 * Init, from its first step until cgroups_join_sent is through, where the
 * launcher makes or adds a leaf after the clone (devices_later): a child
 * forked before it comes would never be in it.
 */
static bool leaves_to_come;

/* Before init forks: dies if a leaf is still to come (a bug, never the container's doing). */
void cgroups_check_settled(const char *what)
{
	if (leaves_to_come)
		die(EXIT_CANT_RUN, "%s: init would fork before its cgroups are settled "
		    "(a bug in carapace: please report it)", what);
}

/* Init: joins the leaf whose "tasks" M carries, and adds it to CG if the launcher added it. */
static void join_sent_leaf(struct cgroups *cg, struct ipc_msg *m)
{
	size_t i;

	if (m->fd < 0 || m->code < 0 || m->code >= N_CTL || !cg->v1_mount[m->code])
		die(EXIT_CANT_RUN, "cgroup: the launcher's leaf to join (%s): no fd, or no "
		    "such hierarchy", m->text);
	if (write(m->fd, "0", 1) != 1)
		die_cgroup(cg, "cgroup: %s", m->text);
	close(m->fd);
	/* The v2 leaf holds devices' bit too, for its device program. */
	for (i = 0; i < cg->ndirs; i++)
		if (!cg->dirs[i].v2 && cg->dirs[i].ctls & (1u << m->code))
			break;
	if (i == cg->ndirs && i < N_CTL) {
		cg->dirs[i].mount = cg->v1_mount[m->code];
		cg->dirs[i].ctls = 1u << m->code;
		cg->ndirs++;
	}
}

/*
 * Init, until the launcher says settled: joins each leaf it is sent the
 * "tasks" of, and adds to CG, its copy of the plan that mount_cgroupfs
 * follows, a leaf that the launcher added (v1's devices, where the device
 * program was refused). False at end of file: the launcher died, and its
 * death says why. Any other message is a broken protocol, said in a line.
 */
bool cgroups_join_sent(struct cgroups *cg, int sock)
{
	struct ipc_msg m = IPC_MSG(0);
	int n;

	while ((n = ipc_recv(sock, &m)) > 0 && m.type == MSG_TASKS)
		join_sent_leaf(cg, &m);
	if (n < 0)
		die_errno("cgroup: the launcher's leaves to join");
	if (n > 0 && m.type != MSG_SETTLED) {
		if (m.fd >= 0)
			close(m.fd);
		die(EXIT_CANT_RUN, "cgroup: the launcher's leaves to join: message %c, not %c",
		    m.type, MSG_SETTLED);
	}
	if (n > 0 && m.fd >= 0)
		close(m.fd);
	leaves_to_come = false;
	return n > 0;
}

/* Where the container's leaves go: the host's hierarchies read, nothing made yet. */
void plan_cgroups(struct cgroups *cg, const struct container *c, bool rootless)
{
	unsigned need = controllers_needed(c);

	cgroup_detect(cg);
	check_unified(cg, c);
	cg->rootless = rootless;
	/*
	 * Hybrid: the devices' allow-list a BPF program on a v2 leaf, and the
	 * freezer that leaf's cgroup.freeze, which init is born in
	 * (CLONE_INTO_CGROUP): no v1 leaf but for a v1 controller's work
	 * (pids' limit, memory's charge). An engine's container keeps v1's,
	 * which its engine and tools read.
	 */
	cg->v2_core = !strcmp(cg->mode, "hybrid") && !rootless && !c->oci.bundle;
	/* Rootless: nothing but what was asked for, as nothing else is delegated. */
	cgroup_plan(cg, c, need, cg->rootless ? 0 : (1u << CTL_FREEZER) |
		    (c->limits.pids_default ? 1u << CTL_PIDS : 0) |
		    (c->privileges.privileged ? 0 : 1u << CTL_DEVICES) |
		    /*
		     * Every container is charged apart, limit or not: update
		     * --memory may give it one later. An engine's is counted too.
		     */
		    1u << CTL_MEMORY | (c->oci.bundle ? 1u << CTL_PIDS : 0) |
		    /* and has a leaf for each limit that update may change, and for events' usage */
		    (c->oci.bundle ? 1u << CTL_CPU | 1u << CTL_CPUACCT | 1u << CTL_CPUSET |
		     1u << CTL_BLKIO : 0) |
		    /* --verbose's report of CPU time */
		    (log_threshold >= LOG_DEBUG ? 1u << CTL_CPUACCT : 0));
	plan_v2_leaf(cg, c);
	if (!cg->ndirs)
		die(EXIT_CANT_RUN, "cgroup: no cgroup hierarchy is mounted");
	log_debug("cgroup: %s mode, leaf %s/%s", cg->mode, c->limits.parent, c->limits.name);
}

static void make_leaf(const struct cgroups *cg, struct cgroup_dir *d, const struct container *c)
{
	for (int tries = 0; !make_locked_leaf(cg, d, c);)
		if (++tries == 10)
			die(EXIT_CANT_RUN, "cgroup: %s: removed as fast as it is made", d->path);
}

/*
 * Before the clone: the planned leaves exist and hold every limit; but
 * with INIT_WAITS (init forks nothing before it is settled), on a hybrid
 * host where the device program can wait, only the v2 leaf that init is
 * born in, the v1 leaves by make_cgroups_later.
 */
void make_cgroups(struct cgroups *cg, const struct container *c, bool init_waits)
{
	bool devices_wait;

	cg->parent = c->limits.parent;
	cgroups_at_exit = cg;
	on_launcher_exit(remove_cgroups_at_exit);
	for (size_t i = 0; i < cg->ndirs; i++)
		if (cg->dirs[i].v2) {
			make_leaf(cg, &cg->dirs[i], c);
			cg->v2_fd = open(cg->dirs[i].path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
	/*
	 * Only where init forks nothing before it is settled: a child of its
	 * (a tarball's decompressor) would be in no leaf that comes later,
	 * and outside a device program not yet attached.
	 */
	devices_wait = cgroup_dir_of(cg, CTL_DEVICES) && devices_can_wait(cg) && init_waits;
	cg->v1_later = devices_wait;
	for (size_t i = 0; i < cg->ndirs; i++)
		if (!cg->dirs[i].v2 && !(cg->dirs[i].pending = cg->v1_later))
			make_leaf(cg, &cg->dirs[i], c);
	if (!cg->v1_later)
		write_limits(cg, c);
	if (devices_wait)
		cg->devices_later = cg->devices_confined = true;
	else if (cgroup_dir_of(cg, CTL_DEVICES))
		confine_devices(cg, c);
	cg->made = true;
}

void create_cgroups(struct cgroups *cg, const struct container *c, bool rootless)
{
	plan_cgroups(cg, c, rootless);
	make_cgroups(cg, c, false);
	sweep_cgroups(cg, c);
}

/*
 * The stale leaves of killed launchers, SWEEP_LEAVES at most in each
 * hierarchy. Nothing of ours depends on it (a clash of names sweeps that
 * leaf as it is made): the launcher calls it after the clone, while init
 * sets the container up on another CPU, and not before (0.3 ms a start
 * on a hybrid host's 10 hierarchies, in the critical path).
 */
void sweep_cgroups(const struct cgroups *cg, const struct container *c)
{
	for_each_hierarchy(cg, sweep_parent, c->limits.parent, c->limits.name);
}

/* After the clone, for what CLONE_INTO_CGROUP and init's self_join didn't do. */
void join_cgroups(const struct cgroups *cg, pid_t pid, bool v2_done)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%d", (int)pid);
	for (size_t i = 0; i < cg->ndirs; i++)
		if (!(cg->dirs[i].v2 ? v2_done : cg->self_join) &&
		    write_file(cg->dirs[i].path, "cgroup.procs", buf))
			die_cgroup(cg, "cgroup: %s/cgroup.procs", cg->dirs[i].path);
}

/*
 * Before the clone: the v1 leaves' "tasks", for init to join them itself.
 * The launcher's write of init's pid to cgroup.procs moves a thread group:
 * the kernel takes its cgroup-attach lock for writing, which waits for an
 * RCU grace period (7.5 ms median, at starts 0.25 s apart). A thread that
 * moves itself alone, writing "0" to tasks, takes neither (0.025 ms).
 */
void cgroups_open_self_join(struct cgroups *cg)
{
	for (size_t i = 0; i < cg->ndirs; i++) {
		struct cgroup_dir *d = &cg->dirs[i];
		char *path = xasprintf("%s/tasks", d->path);

		d->tasks_fd = d->v2 || cg->v1_later ? -1 : open(path, O_WRONLY | O_CLOEXEC);
		if (!d->v2 && !cg->v1_later && d->tasks_fd < 0)
			die_cgroup(cg, "cgroup: %s", path);
		free(path);
	}
	cg->self_join = true;
}

/* Init, first of all: one thread yet, and nothing of the container runs. */
void cgroups_join_self(const struct cgroups *cg)
{
	leaves_to_come = cg->devices_later;
	for (size_t i = 0; cg->self_join && i < cg->ndirs; i++) {
		const struct cgroup_dir *d = &cg->dirs[i];

		if (d->tasks_fd < 0)	/* v2, or v1_later's: joined by cgroups_join_sent */
			continue;
		if (write(d->tasks_fd, "0", 1) != 1)
			die_cgroup(cg, "cgroup: %s/tasks", d->path);
		close(d->tasks_fd);
	}
}

/* The launcher's copies, once init has its own. */
void cgroups_close_self_join(const struct cgroups *cg)
{
	for (size_t i = 0; cg->self_join && i < cg->ndirs; i++)
		if (cg->dirs[i].tasks_fd >= 0)
			close(cg->dirs[i].tasks_fd);
}

/* The v1 freezer leaf, or NULL: a v2 leaf freezes by its cgroup.freeze. */
static const char *v1_freezer(const struct cgroups *cg)
{
	for (size_t i = 0; i < cg->ndirs; i++)
		if (!cg->dirs[i].v2 && cg->dirs[i].ctls & (1u << CTL_FREEZER))
			return cg->dirs[i].path;
	return NULL;
}

/* Kills whatever is still in DIR: cgroup.kill on v2, else freeze, kill, thaw. */
static void kill_cgroup(const struct cgroups *cg, const struct cgroup_dir *d)
{
	const char *freezer = v1_freezer(cg);
	char buf[4096];

	/* A v1 leaf's processes are its v2 leaf's too, where there is one: cgroup.kill there. */
	for (size_t i = 0; !d->v2 && i < cg->ndirs; i++)
		if (cg->dirs[i].v2 && cg->dirs[i].created)
			kill_cgroup(cg, &cg->dirs[i]);

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

/* A leaf of this launcher's, emptied and removed. */
static void remove_leaf(const struct cgroups *cg, const struct cgroup_dir *d)
{
	if (!d->created)	/* another container's, of the same name */
		return;
	kill_cgroup(cg, d);
	/* A dying task may hold the cgroup for a moment. */
	for (int tries = 0; rmdir(d->path) && errno == EBUSY && tries < 200; tries++)
		usleep(5000);
}

/* At the launcher's exit: the leaves, and the parents if no other container uses them. */
static void remove_cgroups(struct cgroups *cg)
{
	/* The v2 leaf first: its cgroup.kill kills every process at once, forks and all. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < cg->ndirs; i++)
			if (cg->dirs[i].v2 == !pass)
				remove_leaf(cg, &cg->dirs[i]);
	/* The parents on the hierarchies it used: on another, rmdir would fail. */
	for (size_t i = 0; i < cg->ndirs; i++)
		remove_path(cg, cg->dirs[i].mount, cg->parent, NULL);
	cg->ndirs = 0;
}

/* FILE's number (KEY's, for a "KEY N" line) in CTL's leaf; -1 if there is none. */
long long cgroup_number(const struct cgroups *cg, enum controller ctl, const char *file,
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
		v = cgroup_number(cg, CTL_MEMORY, "memory.oom_control", "oom_kill");
	else
		v = cgroup_number(cg, CTL_MEMORY, "memory.events", "oom_kill");
	if (v > 0) {	/* the limit given, or one update gave since */
		long long limit = c->limits.memory >= 0 ? (long long)c->limits.memory :
				  cgroup_number(cg, CTL_MEMORY, cg->v1_mount[CTL_MEMORY] ?
						"memory.limit_in_bytes" : "memory.max", NULL);

		if (limit > 0 && limit < 1LL << 50)
			log_error("container killed by the OOM killer (memory limit %lldM)",
				  limit >> 20);
		else
			log_error("container killed by the OOM killer");
	}
	if (log_threshold < LOG_DEBUG)
		return;
	v = cg->v1_mount[CTL_MEMORY] ?
	    cgroup_number(cg, CTL_MEMORY, "memory.max_usage_in_bytes", NULL) :
	    cgroup_number(cg, CTL_MEMORY, "memory.peak", NULL);
	if (v >= 0)
		log_debug("usage: peak memory %lld KiB", v >> 10);
	v = cg->v1_mount[CTL_CPUACCT] ? cgroup_number(cg, CTL_CPUACCT, "cpuacct.usage", NULL) / 1000
				     : cgroup_number(cg, CTL_PIDS, "cpu.stat", "usage_usec");
	if (v < 0)
		v = cgroup_number(cg, CTL_MEMORY, "cpu.stat", "usage_usec");
	if (v >= 0)
		log_debug("usage: CPU time %lld.%03lld s", v / 1000000, v / 1000 % 1000);
	v = cgroup_number(cg, CTL_PIDS, "pids.peak", NULL);
	if (v >= 0)
		log_debug("usage: peak pids %lld", v);
}

/* D's mkdirs are behind us: a leaf planned after the clone only once it is made. */
static bool dir_made(const struct cgroups *cg, const struct cgroup_dir *d)
{
	return cg->made && !d->pending;
}

/*
 * An OCI container's cgroups, described for its state file, so that a
 * later carapace (delete, kill --all, state) finds them: one line per
 * folder, "v1|v2 leaf|parent ours|theirs|new MOUNT PATH", PATH from MOUNT,
 * the parent folders from the top down before each hierarchy's leaf. "ours"
 * is carapace's to remove: a leaf this launcher made, a parent folder
 * carapace made (its mark) or its default "carapace". "new", before the
 * mkdirs: one that this launcher may yet make, its own if it bears
 * carapace's mark and no living launcher's flock (as the sweep tells).
 */
static void describe_dir(char **text, size_t *len, const struct cgroups *cg,
			 const struct cgroup_dir *d)
{
	const char *rel = d->path + strlen(d->mount) + 1;
	char *line;

	for (const char *slash = strchr(rel, '/'); slash; slash = strchr(slash + 1, '/')) {
		char *dir = xasprintf("%s/%.*s", d->mount, (int)(slash - rel), rel);
		autoclose int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		bool ours = (fd >= 0 && has_mark(cg, fd, "parent")) ||
			    (slash - rel == 8 && !strncmp(rel, "carapace", 8));

		line = xasprintf("%s parent %s %s %.*s\n", d->v2 ? "v2" : "v1",
				 ours ? "ours" : dir_made(cg, d) ? "theirs" : "new", d->mount,
				 (int)(slash - rel), rel);
		*text = xrealloc(*text, *len + strlen(line) + 1);
		strcpy(*text + *len, line);
		*len += strlen(line);
		free(line);
		free(dir);
	}
	line = xasprintf("%s leaf %s %s %s\n", d->v2 ? "v2" : "v1",
			 d->created ? "ours" : dir_made(cg, d) ? "theirs" : "new", d->mount, rel);
	*text = xrealloc(*text, *len + strlen(line) + 1);
	strcpy(*text + *len, line);
	*len += strlen(line);
	free(line);
}

char *cgroups_describe(const struct cgroups *cg)
{
	char *text = xrealloc(NULL, 1);
	size_t len = 0;

	*text = '\0';
	for (size_t i = 0; i < cg->ndirs; i++)
		describe_dir(&text, &len, cg, &cg->dirs[i]);
	return text;
}

/* A described folder, as read back. */
struct described {
	bool v2, leaf, ours;
	bool new;		/* maybe made: see cgroups_describe */
	const char *mount;	/* the host's own mount point, from mountinfo */
	char *path;		/* MOUNT/PATH */
};

/* PATH is a relative cgroup path: no "", "." or ".." name, no spaces. */
static bool valid_described_path(const char *path)
{
	if (!*path || *path == '/' || strlen(path) > PATH_MAX / 2)
		return false;
	for (const char *seg = path; *seg; seg += *seg == '/') {
		size_t n = strcspn(seg, "/");

		if (!n || (n == 1 && seg[0] == '.') || (n == 2 && !strncmp(seg, "..", 2)))
			return false;
		seg += n;
	}
	return !strpbrk(path, " \t\n");
}

/*
 * One line of a description, checked: a state file is trusted only as far
 * as its folder's permissions, so MOUNT must be one of this host's cgroup
 * hierarchies, of the version said, and PATH must stay below it.
 */
static bool parse_described(const struct cgroups *host, char *line, struct described *out)
{
	char *field[6], *save = NULL;
	int n = 0;

	/* mountinfo escapes a space (\040), and a path has none */
	for (char *f = strtok_r(line, " ", &save); f && n < 6; f = strtok_r(NULL, " ", &save))
		field[n++] = f;
	if (n != 5 || (strcmp(field[0], "v1") && strcmp(field[0], "v2")) ||
	    (strcmp(field[1], "leaf") && strcmp(field[1], "parent")) ||
	    (strcmp(field[2], "ours") && strcmp(field[2], "theirs") && strcmp(field[2], "new")) ||
	    !valid_described_path(field[4]))
		return false;
	out->v2 = field[0][1] == '2';
	out->leaf = field[1][0] == 'l';
	out->ours = field[2][0] == 'o';
	out->new = field[2][0] == 'n';
	out->mount = NULL;
	if (out->v2 && host->v2_mount && !strcmp(field[3], host->v2_mount))
		out->mount = host->v2_mount;
	for (int ctl = 0; !out->v2 && ctl < N_CTL; ctl++)
		if (host->v1_mount[ctl] && !strcmp(field[3], host->v1_mount[ctl]))
			out->mount = host->v1_mount[ctl];
	if (!out->mount)
		return false;
	out->path = xasprintf("%s/%s", out->mount, field[4]);
	return true;
}

/* The controllers of the v2 leaf DIR (its cgroup.controllers) that v1 does not hold. */
static unsigned v2_leaf_controllers(const struct cgroups *cg, const char *dir)
{
	char buf[512];
	unsigned ctls = 0;

	if (read_file(dir, "cgroup.controllers", buf, sizeof buf) < 0)
		return 0;
	for (char *o = strtok(buf, " \n"); o; o = strtok(NULL, " \n")) {
		int bit = controller_bit(o, strlen(o));

		if (bit >= 0 && !cg->v1_mount[bit])
			ctls |= 1u << bit;
	}
	return ctls;
}

/*
 * Reads TEXT into CG (the host's hierarchies, and the leaves as dirs) and
 * PARENTS (every line, in order). False, with errno EINVAL and a log
 * line, for a line that is not one cgroups_describe writes for this host.
 */
static bool read_description(const char *text, struct cgroups *cg, struct described **lines,
			     size_t *nlines)
{
	char *copy = xasprintf("%s", text), *save = NULL;

	memset(cg, 0, sizeof *cg);
	cg->v2_fd = -1;
	cgroup_detect(cg);
	*lines = NULL;
	*nlines = 0;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct described d;
		char *fields = xasprintf("%s", line);	/* parse_described cuts it up */

		if (!parse_described(cg, fields, &d)) {
			log_error("cgroup: the state's cgroups: not a cgroup of this host: '%s'", line);
			free(fields);
			free(copy);
			errno = EINVAL;
			return false;
		}
		free(fields);
		*lines = xrealloc(*lines, (*nlines + 1) * sizeof **lines);
		(*lines)[(*nlines)++] = d;
		if (d.leaf && cg->ndirs < N_CTL) {
			struct cgroup_dir *dir = &cg->dirs[cg->ndirs++];

			dir->mount = d.mount;
			dir->path = d.path;
			dir->v2 = d.v2;
			dir->created = d.ours;
			for (int ctl = 0; ctl < N_CTL; ctl++)	/* the freezer, for kill_cgroup */
				if (!d.v2 && cg->v1_mount[ctl] == d.mount)
					dir->ctls |= 1u << ctl;
			if (d.v2)	/* update and events: what the leaf has on */
				dir->ctls |= v2_leaf_controllers(cg, dir->path);
		}
	}
	free(copy);
	return true;
}

static void free_description(struct described *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i].path);
	free(lines);
}

/* DIR's pids, all of them, in a buffer to free; NULL if it can't be read. */
static char *read_procs(const char *dir)
{
	char *path = xasprintf("%s/cgroup.procs", dir), *buf = NULL;
	autoclose int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0, size = 0;
	ssize_t n;

	free(path);
	if (fd < 0)
		return NULL;
	do {
		if (len + 4096 > size)
			buf = xrealloc(buf, size = len + 65536);
		n = read(fd, buf + len, size - len - 1);
		len += n > 0 ? (size_t)n : 0;
	} while (n > 0);
	buf[len] = '\0';
	return buf;
}

/*
 * A "new" folder of a launcher killed before its cgroups were all made:
 * a leaf goes if the sweep would take it (marked, and no flock on it; or
 * unmarked, named by its dead launcher's note on the parent), a parent
 * folder if it is carapace's and empty.
 */
static void remove_new(const struct cgroups *cg, const struct described *d)
{
	autoclose int fd = open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char *up = xasprintf("%s", d->path);

	*strrchr(up, '/') = '\0';
	if (d->leaf) {
		sweep_new_leaf_notes(cg, up);
		sweep_leaf(cg, d->path, 400);
	} else if (fd >= 0 && has_mark(cg, fd, "parent") && !has_child(fd)) {
		rmdir(d->path);
	}
	free(up);
}

/*
 * A parent folder described as theirs that a sweep has marked carapace's
 * since (sweep_noted_folder: a killed launcher's, which this container's
 * leaf was in when the sweep came).
 */
static bool marked_since(const struct cgroups *cg, const struct described *d)
{
	autoclose int fd = d->leaf ? -1 : open(d->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd >= 0 && has_mark(cg, fd, "parent");
}

/*
 * carapace delete: kills what is left in the described leaves (cgroup.kill
 * on v2, else frozen and killed until empty) and removes the folders that
 * are ours, children first. One already gone is fine; a parent another
 * container still uses stays. False, with errno and a log line, if a leaf
 * can't be removed.
 */
bool cgroups_remove_described(const char *text)
{
	struct cgroups cg;
	struct described *lines;
	size_t n;
	bool ok = true;

	if (!read_description(text, &cg, &lines, &n))
		return false;
	for (int pass = 0; pass < 2; pass++)	/* v2's cgroup.kill first, as at exit */
		for (size_t i = 0; i < cg.ndirs; i++)
			if (cg.dirs[i].created && cg.dirs[i].v2 == !pass)
				kill_cgroup(&cg, &cg.dirs[i]);
	cg.rootless = geteuid() != 0;	/* whose marks: trusted or user */
	for (size_t i = n; i-- > 0;) {
		int tries = 0, err;

		if (lines[i].new)
			remove_new(&cg, &lines[i]);
		if (!lines[i].ours && !marked_since(&cg, &lines[i]))
			continue;
		while (rmdir(lines[i].path) && errno == EBUSY && lines[i].leaf && tries++ < 200)
			usleep(5000);	/* a dying task may hold the cgroup for a moment */
		err = errno;
		if (!access(lines[i].path, F_OK) && lines[i].leaf) {
			log_error("cgroup: rmdir %s: %s", lines[i].path, strerror(err));
			errno = err;
			ok = false;
		}
	}
	free_description(lines, n);
	return ok;
}

/* The leaf to signal: v2's if there is one, as one hierarchy holds every process. */
static const struct cgroup_dir *signal_leaf(const struct cgroups *cg)
{
	for (size_t i = 0; i < cg->ndirs; i++)
		if (cg->dirs[i].v2)
			return &cg->dirs[i];
	return cg->ndirs ? &cg->dirs[0] : NULL;
}

static const struct cgroup_dir *freezer_leaf(const struct cgroups *cg);
static bool leaf_frozen(const struct cgroup_dir *d);
static bool set_frozen(const struct cgroup_dir *d, bool freeze);

/*
 * carapace kill --all: SIG to every process in the container's cgroups,
 * frozen meanwhile (v1's freezer, else the v2 leaf's cgroup.freeze), so
 * that none forks past it; KILL on v2 is cgroup.kill. Returns how many
 * were signalled, or -1 with errno.
 */
int cgroups_signal_all(const char *text, int sig)
{
	struct cgroups cg;
	struct described *lines;
	const struct cgroup_dir *leaf, *freezer;
	char *procs, *save = NULL;
	size_t n;
	int count = 0;
	bool was_frozen;

	if (!read_description(text, &cg, &lines, &n))
		return -1;
	leaf = signal_leaf(&cg);
	freezer = freezer_leaf(&cg);
	procs = leaf ? read_procs(leaf->path) : NULL;
	if (!procs) {
		free_description(lines, n);
		errno = leaf ? errno : ENOENT;
		return -1;
	}
	/* SIGKILL, on v2: cgroup.kill, which no fork outruns, and no freeze. */
	if (sig == SIGKILL && leaf->v2 && write_file(leaf->path, "cgroup.kill", "1") == 0) {
		for (char *p = strtok_r(procs, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
			count++;
		goto out;
	}
	was_frozen = freezer && leaf_frozen(freezer);
	if (freezer && (was_frozen || set_frozen(freezer, true))) {
		char *all = read_procs(leaf->path);	/* once frozen, the whole list */

		if (all) {
			free(procs);
			procs = all;
		}
	}
	for (char *p = strtok_r(procs, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		count += kill((pid_t)atoi(p), sig) == 0;
	/* A paused container stays paused, but a frozen task dies of KILL only once thawed. */
	if (freezer && (!was_frozen || sig == SIGKILL))
		set_frozen(freezer, false);
out:
	free(procs);
	free_description(lines, n);
	return count;
}

/*
 * The leaf that freezes the container: its v1 freezer, where there is one
 * (the one kill_cgroup uses), else its v2 leaf, whose cgroup.freeze holds
 * every process as well. NULL if it has neither.
 */
static const struct cgroup_dir *freezer_leaf(const struct cgroups *cg)
{
	for (size_t i = 0; i < cg->ndirs; i++)
		if (!cg->dirs[i].v2 && cg->dirs[i].ctls & (1u << CTL_FREEZER))
			return &cg->dirs[i];
	for (size_t i = 0; i < cg->ndirs; i++)
		if (cg->dirs[i].v2)
			return &cg->dirs[i];
	return NULL;
}

/* Whether D is frozen, all of it: FROZEN on v1 (not FREEZING), "frozen 1" on v2. */
static bool leaf_frozen(const struct cgroup_dir *d)
{
	char buf[512];

	if (!d->v2)
		return read_file(d->path, "freezer.state", buf, sizeof buf) > 0 &&
		       !strncmp(buf, "FROZEN", 6);
	if (read_file(d->path, "cgroup.events", buf, sizeof buf) <= 0)
		return false;
	return !strncmp(buf, "frozen 1", 8) || strstr(buf, "\nfrozen 1");
}

/*
 * Asks D to be frozen (or thawed) and waits until it is: a v1 freezer may
 * stay FREEZING while a task is busy in the kernel, so the wish is written
 * again each round. False, with errno, if it can't be written or takes
 * more than about 5 s.
 */
static bool set_frozen(const struct cgroup_dir *d, bool freeze)
{
	const char *file = d->v2 ? "cgroup.freeze" : "freezer.state";
	const char *value = d->v2 ? (freeze ? "1" : "0") : (freeze ? "FROZEN" : "THAWED");

	for (int round = 0; round < 1000; round++) {
		if (write_file(d->path, file, value))
			return false;
		if (leaf_frozen(d) == freeze)
			return true;
		usleep(5000);
	}
	errno = ETIMEDOUT;
	return false;
}

/*
 * carapace pause / resume: freezes or thaws every process of the container.
 * A pause that can't finish thaws what it froze. -1 with errno (ENOTSUP: no
 * freezer; EINVAL: a description not of this host) on failure.
 */
int cgroups_freeze(const char *text, bool freeze)
{
	struct cgroups cg;
	struct described *lines;
	const struct cgroup_dir *leaf;
	size_t n;
	int ret = 0, err = 0;

	if (!read_description(text, &cg, &lines, &n))
		return -1;
	leaf = freezer_leaf(&cg);
	if (!leaf) {
		err = ENOTSUP;
	} else if (!set_frozen(leaf, freeze)) {
		err = errno;
		if (freeze)
			set_frozen(leaf, false);
	}
	if (err) {
		ret = -1;
		errno = err;
	}
	free_description(lines, n);
	return ret;
}

/* Whether the container is frozen: 1, 0, or -1 if it has no freezer (or TEXT is bad). */
int cgroups_frozen(const char *text)
{
	struct cgroups cg;
	struct described *lines;
	const struct cgroup_dir *leaf;
	size_t n;
	int frozen;

	if (!read_description(text, &cg, &lines, &n))
		return -1;
	leaf = freezer_leaf(&cg);
	frozen = leaf ? leaf_frozen(leaf) : -1;
	free_description(lines, n);
	return frozen;
}

static int compare_pids(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/*
 * carapace ps: the host pids of every described leaf's cgroup.procs, sorted,
 * each once (on v1 a process is in every hierarchy's leaf). NULL, with
 * errno, if TEXT is bad or no leaf can be read.
 */
pid_t *cgroups_pids(const char *text, size_t *count)
{
	struct cgroups cg;
	struct described *lines;
	size_t n, len = 0, read_ok = 0;
	pid_t *pids = NULL;

	if (!read_description(text, &cg, &lines, &n))
		return NULL;
	for (size_t i = 0; i < cg.ndirs; i++) {
		char *procs = read_procs(cg.dirs[i].path), *save = NULL;

		if (!procs)
			continue;
		read_ok++;
		for (char *p = strtok_r(procs, "\n", &save); p; p = strtok_r(NULL, "\n", &save)) {
			pids = xrealloc(pids, (len + 1) * sizeof *pids);
			pids[len++] = (pid_t)atoi(p);
		}
		free(procs);
	}
	free_description(lines, n);
	if (!read_ok) {
		free(pids);
		errno = cg.ndirs ? errno : ENOENT;
		return NULL;
	}
	if (len)
		qsort(pids, len, sizeof *pids, compare_pids);
	*count = 0;
	for (size_t i = 0; i < len; i++)
		if (!*count || pids[*count - 1] != pids[i])
			pids[(*count)++] = pids[i];
	return pids ? pids : xrealloc(NULL, sizeof *pids);
}

/* Whether any described leaf still holds a process. */
bool cgroups_have_procs(const char *text)
{
	struct cgroups cg;
	struct described *lines;
	size_t n;
	bool any = false;

	if (!read_description(text, &cg, &lines, &n))
		return false;
	for (size_t i = 0; i < cg.ndirs && !any; i++) {
		char buf[16];

		any = read_file(cg.dirs[i].path, "cgroup.procs", buf, sizeof buf) > 0;
	}
	free_description(lines, n);
	return any;
}

/* The controllers that an update of C's limits writes to (0 or NULL: a limit kept). */
static unsigned update_controllers(const struct container *c)
{
	unsigned need = oci_controllers_needed(c);

	if (c->limits.pids)
		need |= 1u << CTL_PIDS;
	if (c->limits.memory || c->limits.memory_swap > 0 || c->limits.memory_swap == -2)
		need |= 1u << CTL_MEMORY;
	if (c->limits.cpu_quota || c->limits.cpu_shares || c->limits.cpu_weight)
		need |= 1u << CTL_CPU;
	if (c->limits.cpuset_cpus)
		need |= 1u << CTL_CPUSET;
	return need;
}

/*
 * carapace update: the limits C gives, written into the described leaves
 * of a running container by the writers create uses: the kernel enforces
 * them from the write on. A limit left 0 (NULL) is kept; pids and memory
 * -1, a quota of UINT64_MAX and a swap of -2 are no limit. Dies on error.
 */
void cgroups_update(const char *text, const struct container *c)
{
	struct cgroups cg;
	struct described *lines;
	size_t n;
	unsigned need = update_controllers(c);
	int64_t swap = c->limits.memory_swap;
	bool v2_leaf = false;

	if (!read_description(text, &cg, &lines, &n))
		exit(EXIT_CANT_RUN);	/* its one line said which line is not this host's */
	cg.rootless = geteuid() != 0;
	check_unified(&cg, c);
	for (int ctl = 0; ctl < N_CTL; ctl++)
		if (need & (1u << ctl) && !cgroup_dir_of(&cg, ctl))
			die(EXIT_CANT_RUN, "update: the container has no %s cgroup of its own",
			    cg.v1_mount[ctl] ? controller_names[ctl] : v2_name(ctl));
	for (size_t i = 0; i < cg.ndirs; i++)
		v2_leaf |= cg.dirs[i].v2;
	if (c->oci.resources.unified_len && !v2_leaf)
		die(EXIT_CANT_RUN, "update: linux.resources.unified: the container has no cgroup v2 "
		    "leaf");
	if (c->limits.pids)
		write_pids_limit(&cg, c->limits.pids);
	if (c->limits.memory || swap > 0 || swap == -2)
		write_memory_limit(&cg, c->limits.memory, c->limits.memory,
				   swap > 0 || swap == -2 ? swap : -1);
	if (c->limits.cpu_quota || c->oci.resources.cpu_period)
		write_cpu_max(&cg, c->limits.cpu_quota, c->oci.resources.cpu_period);
	if (c->limits.cpu_weight)
		write_cpu_weight(&cg, c->limits.cpu_weight);
	if (c->limits.cpu_shares)
		write_cpu_shares(&cg, c->limits.cpu_shares);
	if (c->limits.cpuset_cpus)
		write_limit(&cg, CTL_CPUSET, "cpuset.cpus", "%s", c->limits.cpuset_cpus);
	write_oci_limits(&cg, c);
	free_description(lines, n);
}

/*
 * A container's cgroups, read back from their description (TEXT), for
 * carapace events to read its usage from: cgroup_number and cgroup_read.
 * NULL, with errno EINVAL, if TEXT is not this host's.
 */
struct cgroups *cgroups_load(const char *text)
{
	struct cgroups *cg = xrealloc(NULL, sizeof *cg);
	struct described *lines;
	size_t n;

	if (!read_description(text, cg, &lines, &n)) {
		free(cg);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)	/* the leaves' paths stay in cg->dirs */
		if (!lines[i].leaf)
			free(lines[i].path);
	free(lines);
	return cg;
}

/* FILE of CTL's leaf into BUF; its length, or -1 if the container has none. */
ssize_t cgroup_read(const struct cgroups *cg, enum controller ctl, const char *file, char *buf,
		    size_t size)
{
	const char *dir = cgroup_dir_of(cg, ctl);

	*buf = '\0';
	return dir ? read_file(dir, file, buf, size) : -1;
}

/*
 * linux.cgroupsPath into the parent and the leaf. "/a/b/c": parent "a/b",
 * leaf "c", from each hierarchy's root. Relative, "b/c" or "c": below
 * carapace's own parent, "carapace" (the runtime spec leaves a relative
 * path's place to the runtime). "slice:prefix:name" is systemd's form,
 * which only a systemd cgroup manager reads: carapace has none.
 */
void cgroups_path_split(struct container *c, const char *cgroups_path)
{
	const char *p = cgroups_path, *slash;

	if (*p != '/' && strchr(p, ':'))
		die(EXIT_CANT_RUN, "config.json: linux.cgroupsPath: '%s': the systemd form (slice:prefix:name) "
		    "needs systemd's cgroup manager, and carapace has none: give a path", p);
	while (*p == '/')
		p++;
	slash = strrchr(p, '/');
	if (!*p || (slash && !slash[1]))
		die(EXIT_CANT_RUN, "config.json: linux.cgroupsPath: '%s': no cgroup name at its end", cgroups_path);
	if (*cgroups_path == '/' && !slash)
		die(EXIT_CANT_RUN, "config.json: linux.cgroupsPath: '%s': carapace makes no container's cgroup "
		    "at a hierarchy's root: give /PARENT/NAME", cgroups_path);
	c->limits.name = xasprintf("%s", slash ? slash + 1 : p);
	if (*cgroups_path == '/')
		c->limits.parent = xasprintf("%.*s", (int)(slash - p), p);
	else
		c->limits.parent = slash ? xasprintf("carapace/%.*s", (int)(slash - p), p) : "carapace";
}

/* carapace exec: the v2 leaf of a loaded container, O_PATH, for CLONE_INTO_CGROUP; or -1. */
int cgroups_v2_leaf_fd(const struct cgroups *cg)
{
	for (size_t i = 0; i < cg->ndirs; i++)
		if (cg->dirs[i].v2)
			return open(cg->dirs[i].path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return -1;
}
