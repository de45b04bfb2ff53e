/*
 * state.c: an OCI container's state folder, ROOT/ID: what create leaves on
 * disk for start, state, kill and delete, which are other processes.
 *
 * Every file in it is written whole to a temporary name and renamed into
 * place (or swapped with the old one), so that a reader after any process
 * is killed sees the old text or the new, never half of one. Nothing is
 * synced: after a power loss (on a host whose /run is on a disk, not a
 * tmpfs) a file may be empty, which reads as a run that died, reaped. A command that changes a container holds an flock on
 * its folder: two calls on one ID at once run one after the other.
 *
 * The folder holds:
 *   state    what state prints: pid, its start time, bundle, created...
 *   cgroups  the cgroups create made, for delete (src/cgroup.c's text)
 *   start    the socket init listens on until start connects
 *   config.json  the bundle's, as create read it: the hooks of start and delete
 *   caps     the workload's capability sets, as allowed: exec's bound
 *
 * carapace run registers its container here too (src/monitor.c), with:
 *   owner    flocked by the run's launcher (run -d: its monitor) while it
 *            lives: free, with no exit recorded, the run was killed
 *   seccomp-profile  --seccomp FILE's bytes, as run compiled them (for exec)
 *   log, log.1  run -d: the container's stdout and stderr
 * and, in state, run's options ("run_arg" lines, paths absolute: exec
 * reads them) and the workload's command line (for ps), which an older
 * carapace kept in files of their own, run-args and command.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

#ifndef RENAME_NOREPLACE	/* linux/fs.h's, which clashes with sys/mount.h */
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/*
 * The longest ID: its folder is a file name (NAME_MAX, 255), and so is
 * ".new-ID", the name create makes it under.
 */
#define ID_MAX (NAME_MAX - 5)

/*
 * As runc's rule, and a file name in any case: letters, digits, and
 * "_.+-", at most ID_MAX bytes; not starting with ".", which also keeps
 * "." and ".." out, and the state root's own entries (.network, with
 * the bridge's leases), that state, delete or run --name would take for
 * a container's folder.
 */
bool valid_container_id(const char *id)
{
	size_t n = strlen(id);

	if (!n || n > ID_MAX || id[0] == '.')
		return false;
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.+-", *p))
			return false;
	return true;
}

/* --root, or /run/carapace for root, $XDG_RUNTIME_DIR/carapace for a user. */
const char *state_root_path(const struct oci_args *a)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (a->root)
		return a->root;
	if (geteuid() == 0)
		return "/run/carapace";
	if (!xdg || xdg[0] != '/')
		die(EXIT_CANT_RUN, "--root: not given, and XDG_RUNTIME_DIR is not set");
	return xasprintf("%s/carapace", xdg);
}

/*
 * The states are trusted (delete runs the hooks of a saved config, and
 * removes the cgroups a state names): only from a folder that no one but
 * us can write to.
 */
static void check_state_root(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st))
		die_errno("--root: %s", path);
	if (st.st_uid != geteuid())
		die(EXIT_CANT_RUN, "--root: %s: belongs to uid %u, not to this user (uid %u)",
		    path, (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		die(EXIT_CANT_RUN, "--root: %s: others may write to it (mode %04o)", path,
		    (unsigned)(st.st_mode & 07777));
}

/*
 * A folder on the way to the state root: root's or ours, and if others may
 * write to it, sticky (/tmp: they may add names there, not take ours). In
 * another user's folder the root could be renamed, or replaced by a symlink
 * to a folder of ours, whose entries a sweep would then remove.
 */
static void check_folder_on_way(int dir, const char *path, const char *name)
{
	struct stat sb;

	if (fstat(dir, &sb))
		die_errno("--root: %s", path);
	if (sb.st_uid != 0 && sb.st_uid != geteuid())
		die(EXIT_CANT_RUN, "--root: %s: the folder that holds %s belongs to uid %u "
		    "(a state root is reached through root's folders or yours)", path, name,
		    (unsigned)sb.st_uid);
	if (sb.st_mode & (S_IWGRP | S_IWOTH) && !(sb.st_mode & S_ISVTX))
		die(EXIT_CANT_RUN, "--root: %s: others may write to the folder that holds %s "
		    "(mode %04o, not sticky)", path, name, (unsigned)(sb.st_mode & 07777));
}

static int walk_to_root(int dir, const char *rest, const char *path, bool make, int links,
			bool trust_dir);

/*
 * NAME in DIR, a checked folder (but where TRUST_DIR: the caller's working
 * folder, for a relative --root): the folder it is, made if missing and
 * MAKE; a symlink followed only if it is root's or ours. -1: not there.
 * DIR is closed.
 */
static int step_to(int dir, const char *name, const char *path, bool make, int links,
		   bool trust_dir)
{
	char target[PATH_MAX];
	struct stat sb;
	ssize_t n;
	int next;

	if (!trust_dir)
		check_folder_on_way(dir, path, name);
	if (fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT)
			die_errno("--root: %s: %s", path, name);
		if (!make) {
			close(dir);
			return -1;
		}
		if ((mkdirat(dir, name, 0700) && errno != EEXIST) ||
		    fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW))
			die_errno("--root: %s: mkdir %s", path, name);
	}
	if (!S_ISLNK(sb.st_mode)) {
		next = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0)
			die_errno("--root: %s: %s", path, name);
		close(dir);
		return next;
	}
	if (sb.st_uid != 0 && sb.st_uid != geteuid())
		die(EXIT_CANT_RUN, "--root: %s: %s is a symlink of uid %u", path, name,
		    (unsigned)sb.st_uid);
	if (links >= 16 || (n = readlinkat(dir, name, target, sizeof target - 1)) < 0)
		die(EXIT_CANT_RUN, "--root: %s: %s: %s", path, name,
		    links >= 16 ? "too many levels of symbolic links" : strerror(errno));
	target[n] = '\0';
	if (target[0] == '/') {
		close(dir);
		dir = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	return walk_to_root(dir, target, path, make, links + 1, false);
}

/* REST from DIR (closed), one name at a time (step_to): the folder reached, or -1. */
static int walk_to_root(int dir, const char *rest, const char *path, bool make, int links,
			bool trust_dir)
{
	char *copy = xasprintf("%s", rest), *save = NULL;

	if (dir < 0)
		die_errno("--root: %s", path);
	for (char *name = strtok_r(copy, "/", &save); name && dir >= 0;
	     name = strtok_r(NULL, "/", &save), trust_dir = false)
		dir = step_to(dir, name, path, make, links, trust_dir);
	free(copy);
	return dir;
}

/*
 * The --root folder, made if missing with its missing parents, as runc
 * does (containerd names one per namespace; 0700: the states are the
 * owner's business). Reached one name at a time, through root's folders
 * or ours only (check_folder_on_way), then checked itself.
 */
/*
 * The last root walked to, for the process's next look at it (a run looks
 * three times: its sweep, its name's check, its folder's making): its path,
 * an O_PATH fd, and that folder's inode, by which the fd is known to be it
 * still (a helper that closed its fds may have the number for another
 * file), and still linked.
 */
static struct { char *path; int fd; dev_t dev; ino_t ino; } walked = { .fd = -1 };

static int walked_again(const char *path)
{
	struct stat sb;

	if (walked.fd < 0 || strcmp(walked.path, path) || fstat(walked.fd, &sb) ||
	    sb.st_dev != walked.dev || sb.st_ino != walked.ino || !sb.st_nlink)
		return -1;
	return fcntl(walked.fd, F_DUPFD_CLOEXEC, 0);
}

static void keep_walked(const char *path, int dir)
{
	struct stat sb;

	if (fstat(dir, &sb) || (walked.fd = fcntl(dir, F_DUPFD_CLOEXEC, 0)) < 0)
		return;
	free(walked.path);
	walked.path = xasprintf("%s", path);
	walked.dev = sb.st_dev;
	walked.ino = sb.st_ino;
}

static int open_state_root(const struct oci_args *a, bool make)
{
	const char *path = state_root_path(a);
	int dir = walked_again(path), fd;

	if (dir < 0) {
		int at = open(path[0] == '/' ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);

		dir = walk_to_root(at, path, path, make, 0, path[0] != '/');
		if (dir >= 0)
			keep_walked(path, dir);
	}
	if (dir < 0 && !make)
		return -1;
	if (dir < 0)
		die(EXIT_CANT_RUN, "--root: %s: could not be made", path);
	fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(dir);
	if (fd < 0)
		die_errno("--root: %s", path);
	check_state_root(fd, path);
	return fd;
}

static void lock_folder(int fd, const char *id)
{
	while (flock(fd, LOCK_EX))
		if (errno != EINTR)
			die_errno("state: %s: lock", id);
}

static void check_id(const char *id)
{
	if (!id)
		die(EXIT_CANT_RUN, "no container ID given");
	if (!valid_container_id(id))
		die(EXIT_CANT_RUN, "%.64s: not a valid container ID (letters, digits and _.+-, not starting with a dot, "
		    "at most %d bytes)", id, ID_MAX);
}

/* Still in the state root: not removed while we waited for its lock. */
static bool folder_linked(int dir_fd)
{
	struct stat sb;

	return !fstat(dir_fd, &sb) && sb.st_nlink > 0;
}

/*
 * The name a new folder for ID is made under, before it is renamed to ID:
 * ".new-ID", which no ID takes (IDs start with no dot), and the ID's own,
 * so that what a create killed before its rename left is found by the
 * next command that names the ID.
 */
static void new_folder_name(const char *id, char name[static NAME_MAX + 1])
{
	if (snprintf(name, NAME_MAX + 1, ".new-%s", id) > NAME_MAX)	/* check_id's ID_MAX keeps it in */
		die(EXIT_CANT_RUN, "%.64s: not a valid container ID (longer than %d bytes)", id, ID_MAX);
}

/*
 * Folder NAME, a new folder no create holds, removed: what a create killed
 * before its rename left. 0 if it is gone (or was never there),
 * EWOULDBLOCK if a create holds it, or the errno of what failed. (One in
 * the moment between its mkdir and its lock is removed too: that create
 * finds it gone, and makes another.)
 */
static int remove_unheld_new_folder(int root_fd, const char *name)
{
	autoclose int fd = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? 0 : errno;
	if (flock(fd, LOCK_EX | LOCK_NB))
		return errno;
	if (unlinkat(root_fd, name, AT_REMOVEDIR) && errno != ENOENT)
		return errno;
	return 0;
}

/*
 * Folder NAME made, locked and still NAME (not removed as a leftover
 * between the mkdir and the lock): its fd; -1 if it was removed so.
 * Dies if another create of the same ID holds its folder.
 */
/* Dies: ID is taken, by a create or a run under way. */
__attribute__((noreturn))
static void die_taken(const char *id, bool run_name)
{
	if (run_name)
		die(EXIT_CANT_RUN, "--name: %s: a container of that name is running", id);
	die(EXIT_CANT_RUN, "container with id exists: %s", id);
}

static int make_locked_new_folder(int root_fd, const char *id, const char *name, bool run_name)
{
	int fd;

	while (mkdirat(root_fd, name, 0700)) {
		if (errno != EEXIST)
			die_errno("state: %s", name);
		errno = remove_unheld_new_folder(root_fd, name);
		if (errno == EWOULDBLOCK)
			die_taken(id, run_name);
		if (errno)
			die_errno("state: %s", name);
	}
	fd = openat(root_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return -1;
	if (fd < 0)
		die_errno("state: %s", name);
	lock_folder(fd, name);
	if (!folder_linked(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A new state folder for A->id, locked; dies if the ID is taken. It is
 * made locked under another name and renamed into place (never over a
 * folder): another command that opens the ID finds it locked, or not at
 * all. A folder made under its ID and locked after left a moment when
 * another run --name took it for a stopped container's, and rm could
 * remove it. (The rename finds no folder: it was removed as a leftover
 * before it was locked, or after, by another create that took it over.)
 */
void state_create(struct oci_state *st, const struct oci_args *a)
{
	char tmp[NAME_MAX + 1];
	int err;

	check_id(a->id);
	*st = (struct oci_state){ .root_fd = open_state_root(a, true), .dir_fd = -1,
				  .owner = geteuid() };
	snprintf(st->id, sizeof st->id, "%s", a->id);
	new_folder_name(st->id, tmp);
	for (int tries = 0;; tries++) {
		st->dir_fd = make_locked_new_folder(st->root_fd, st->id, tmp, a->run_name);
		if (st->dir_fd >= 0 &&
		    !syscall(SYS_renameat2, st->root_fd, tmp, st->root_fd, st->id, RENAME_NOREPLACE))
			return;
		err = st->dir_fd < 0 ? ENOENT : errno;
		if (err != ENOENT || tries >= 100)
			break;
		if (st->dir_fd >= 0)
			close(st->dir_fd);
	}
	if (st->dir_fd >= 0)
		unlinkat(st->root_fd, tmp, AT_REMOVEDIR);
	if (err == EEXIST)
		die_taken(st->id, a->run_name);
	errno = err;
	die_errno("state: %s/%s", state_root_path(a), st->id);
}

/*
 * NAME's TEXT over its old text, in the same file, where TEXT is no
 * shorter and fits in a page: one pwrite, which a kill can't cut short
 * (the kernel copies a page at a time, and looks for a fatal signal only
 * before each), and readers take the folder's lock. No new file, whose
 * inode costs 0.1 to 0.5 ms on an ext4 root that containers churn (ext4's
 * allocator skips the inodes freed in the last minute, one by one), and
 * no rename over the old one, which has ext4 write the new one out at
 * once (auto_da_alloc), to be discarded at its unlink. False: not done.
 */
static bool rewrite_in_place(const struct oci_state *st, const char *name, const char *text)
{
	autoclose int fd = openat(st->dir_fd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t len = strlen(text);
	struct stat sb;

	if (fd < 0 || fstat(fd, &sb) || !S_ISREG(sb.st_mode) || sb.st_nlink != 1 ||
	    (size_t)sb.st_size > len || len > 4096)
		return false;
	if (pwrite(fd, text, len, 0) != (ssize_t)len)
		die_errno("state: %s: write %s", st->id, name);
	return true;
}

/*
 * The cgroups create made, for delete: written as soon as they are there,
 * before the mkdirs ("new" folders), and again once they are made: "ours"
 * and "theirs" are no shorter than "new", so the second rewrites the first.
 */
void state_note_cgroups(const struct oci_state *st, const struct cgroups *cg)
{
	char *text = cgroups_describe(cg);

	if (!rewrite_in_place(st, "cgroups", text))
		state_write_file(st, "cgroups", text);
	free(text);
}

/*
 * The workload's five capability sets, "NAME 0xHEX" a line, as create
 * allows them (CAPS: the spec's, less what the host's devices forbid):
 * exec gives no capability beyond its bounding set. Lines of the state,
 * written with it once init is on record (a file of their own cost a new
 * inode in every create: 0.1 to 0.5 ms on an ext4 root that containers
 * churn); an exec has no container to enter before that.
 */
void state_note_caps(struct oci_state *st, const struct container *c, uint64_t caps)
{
	const typeof(c->oci.caps) *o = &c->oci.caps;
	uint64_t withheld = c->privileges.caps & ~caps;
	unsigned long long set[5] = { caps, caps, caps, 0, 0 };
	char *text;

	if (o->given) {
		set[0] = o->bounding & ~withheld;
		set[1] = o->effective & ~withheld;
		set[2] = o->permitted & ~withheld;
		set[3] = o->inheritable & ~withheld;
		set[4] = o->ambient & ~withheld;
	}
	text = xasprintf("bounding %#llx\neffective %#llx\npermitted %#llx\ninheritable %#llx\n"
			 "ambient %#llx\n", set[0], set[1], set[2], set[3], set[4]);
	free(st->caps);
	st->caps = text;
}

/* Percent-escapes what would end a line or a field: values stay one word. */
static void put_escaped(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == '%' || *p >= 0x7f)
			fprintf(f, "%%%02x", *p);
		else
			fputc(*p, f);
}

/* What put_escaped writes of S: its length. */
size_t state_escaped_size(const char *s)
{
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++)
		n += *p <= ' ' || *p == '%' || *p >= 0x7f ? 3 : 1;
	return n;
}

static unsigned hex_digit(char c)
{
	return isdigit((unsigned char)c) ? (unsigned)(c - '0') : (unsigned)(tolower(c) - 'a' + 10);
}

static char *unescape(const char *s)
{
	char *out = xrealloc(NULL, strlen(s) + 1), *o = out;

	for (; *s; s++) {
		unsigned v;

		if (*s == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2]) &&
		    (v = hex_digit(s[1]) << 4 | hex_digit(s[2]))) {
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

/* NAME's TEXT, whole or not at all. */
void state_write_file(const struct oci_state *st, const char *name, const char *text)
{
	state_write_data(st, name, text, strlen(text));
}

/*
 * NAME becomes the file TMP, at once for every reader. An existing NAME is
 * swapped with TMP (RENAME_EXCHANGE), and the old one, now TMP, unlinked:
 * a rename over it would make ext4 (auto_da_alloc, the default) write the
 * new file's blocks out then and there, and free them again, with a
 * discard, when the folder is removed. State folders live in /run, which
 * is not always a tmpfs (here: ext4, -o discard), and a run rewrites
 * "state" and "cgroups" once each: the writes' I/O, and the unlinks at the
 * end waiting on it, cost about 0.8 ms a start. What readers need of the
 * rename, that NAME is always one whole file, the exchange keeps.
 */
static void replace_file(const struct oci_state *st, const char *tmp, const char *name)
{
	if (!syscall(SYS_renameat2, st->dir_fd, tmp, st->dir_fd, name, RENAME_EXCHANGE)) {
		if (unlinkat(st->dir_fd, tmp, 0))
			die_errno("state: %s: %s", st->id, tmp);
		return;
	}
	/* No NAME yet (ENOENT), or a file system that swaps nothing (EINVAL). */
	if ((errno != ENOENT && errno != EINVAL) || renameat(st->dir_fd, tmp, st->dir_fd, name))
		die_errno("state: %s: %s", st->id, name);
}

/* NAME's LEN bytes of TEXT (NULs too: run-args), whole or not at all. */
void state_write_data(const struct oci_state *st, const char *name, const char *text,
		      size_t len)
{
	char tmp[64];
	int fd;

	snprintf(tmp, sizeof tmp, ".%s.new", name);
	fd = openat(st->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		die_errno("state: %s: %s", st->id, name);
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			die_errno("state: %s: write %s", st->id, name);
		}
		done += (size_t)n;
	}
	if (close(fd))
		die_errno("state: %s: %s", st->id, name);
	replace_file(st, tmp, name);
}

/* The whole of NAME, or NULL if there is none. */
char *state_read_file(const struct oci_state *st, const char *name)
{
	autoclose int fd = openat(st->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	size_t len = 0, size = 4096;
	char *buf;

	if (fd < 0 && errno == ENOENT)
		return NULL;
	if (fd < 0)
		die_errno("state: %s: %s", st->id, name);
	buf = xrealloc(NULL, size);
	for (;;) {
		ssize_t n = read(fd, buf + len, size - len - 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno("state: %s: read %s", st->id, name);
		if (n == 0)
			break;
		len += (size_t)n;
		if (len + 1 == size) {
			if (size >= (16 << 20))
				die(EXIT_CANT_RUN, "state: %s: %s: too large", st->id, name);
			buf = xrealloc(buf, size *= 2);
		}
	}
	buf[len] = '\0';
	return buf;
}

void state_write(const struct oci_state *st)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		die_errno("state: %s", st->id);
	/* The pid's namespace: the first writer's, the launcher's, which wrote the pid. */
	fprintf(f, "pid %d\nstart_time %llu\npidns %llu\nstarted %d\nowner %u\ncreated ",
		(int)st->pid, st->start_time, st->pidns ? st->pidns : own_pid_namespace(),
		st->started, (unsigned)st->owner);
	put_escaped(f, st->created ? st->created : "");
	fputs("\nbundle ", f);
	put_escaped(f, st->bundle ? st->bundle : "");
	fputs("\nrootfs ", f);
	put_escaped(f, st->rootfs ? st->rootfs : "");
	fputc('\n', f);
	if (st->detached)
		fputs("detached 1\n", f);
	if (st->exited)
		fprintf(f, "exit_status %d\n", st->exit_status);
	if (st->caps)
		fputs(st->caps, f);
	for (size_t i = 0; i < st->annotations_len; i++) {
		fputs("annotation ", f);
		put_escaped(f, st->annotations[i].key);
		fputc(' ', f);
		put_escaped(f, st->annotations[i].value);
		fputc('\n', f);
	}
	if (st->command) {
		fputs("command ", f);
		put_escaped(f, st->command);
		fputc('\n', f);
	}
	for (size_t at = 0; st->run_args && at < st->run_args_len;
	     at += strlen(st->run_args + at) + 1) {
		fputs("run_arg ", f);
		put_escaped(f, st->run_args + at);
		fputc('\n', f);
	}
	if (st->config)	/* last, as it is: its length, then its bytes */
		fprintf(f, "config.json %zu\n%s", strlen(st->config), st->config);
	if (fclose(f))
		die_errno("state: %s", st->id);
	state_write_file(st, "state", text);
	free(text);
}

/* ARG, to free, after the run's options so far: NUL-separated, as run_args() makes them. */
static void add_run_arg(struct oci_state *st, char *arg)
{
	size_t n = strlen(arg) + 1;

	st->run_args = xrealloc(st->run_args, st->run_args_len + n);
	memcpy(st->run_args + st->run_args_len, arg, n);
	st->run_args_len += n;
	free(arg);
}

static void parse_state_line(struct oci_state *st, char *line)
{
	char *key = line, *value = strchr(line, ' '), *second;

	if (!value)
		return;
	*value++ = '\0';
	if (!strcmp(key, "pid"))
		st->pid = (pid_t)strtol(value, NULL, 10);
	else if (!strcmp(key, "start_time"))
		st->start_time = strtoull(value, NULL, 10);
	else if (!strcmp(key, "pidns"))
		st->pidns = strtoull(value, NULL, 10);
	else if (!strcmp(key, "started"))
		st->started = *value == '1';
	else if (!strcmp(key, "owner"))
		st->owner = (uid_t)strtoul(value, NULL, 10);
	else if (!strcmp(key, "created"))
		st->created = unescape(value);
	else if (!strcmp(key, "bundle"))
		st->bundle = unescape(value);
	else if (!strcmp(key, "rootfs"))
		st->rootfs = unescape(value);
	else if (!strcmp(key, "detached"))
		st->detached = *value == '1';
	else if (!strcmp(key, "bounding") || !strcmp(key, "effective") ||
		 !strcmp(key, "permitted") || !strcmp(key, "inheritable") ||
		 !strcmp(key, "ambient")) {
		char *caps = xasprintf("%s%s %s\n", st->caps ? st->caps : "", key, value);

		free(st->caps);
		st->caps = caps;
	}
	else if (!strcmp(key, "command"))
		st->command = unescape(value);
	else if (!strcmp(key, "run_arg"))
		add_run_arg(st, unescape(value));
	else if (!strcmp(key, "exit_status")) {
		st->exited = true;
		st->exit_status = (int)strtol(value, NULL, 10);
	}
	else if (!strcmp(key, "annotation") && (second = strchr(value, ' '))) {
		*second++ = '\0';
		st->annotations = xrealloc(st->annotations,
					   (st->annotations_len + 1) * sizeof *st->annotations);
		st->annotations[st->annotations_len++] =
			(struct key_value){ unescape(value), unescape(second) };
	}
}

/*
 * The state's lines, up to "config.json LEN", after which come LEN bytes of
 * the config (state_write's): kept in the state, not in a file of its own,
 * whose inode cost 0.1 to 0.9 ms in every create on an ext4 root that
 * containers churn (ext4's allocator steps over each inode freed in the
 * last minute). Every other line is escaped, so none of them starts so.
 * One of another length is no config (a warning): the folder is still
 * the container's, for delete, and a sweep of it must not fail a run.
 */
static void parse_state(struct oci_state *st, char *text)
{
	for (char *line = text, *next; *line; line = next) {
		char *nl = strchr(line, '\n');
		unsigned long long len;

		next = nl ? nl + 1 : line + strlen(line);
		if (nl)
			*nl = '\0';
		if (strncmp(line, "config.json ", 12)) {
			parse_state_line(st, line);
			continue;
		}
		len = strtoull(line + 12, NULL, 10);
		if (strlen(next) == len)
			st->config = xasprintf("%s", next);
		else
			log_warn("state: %s: its config.json is not the %llu bytes it says", st->id,
				 len);
		return;
	}
}

/* config.json as create read it, to free; NULL: none. An older carapace's folder has it as a file. */
char *state_config(const struct oci_state *st)
{
	return st->config ? xasprintf("%s", st->config) : state_read_file(st, "config.json");
}

/*
 * A run's cgroups' note, from its folder's removal as init exits until the
 * cgroups are gone: ".end-ID" in the root (ID_MAX leaves room for ".end-").
 */
/* Its size at most, less one: a longer note stays in its folder to the end. */
#define END_NOTE_MAX 8192

static bool end_note_name(const char *id, char name[static NAME_MAX + 1])
{
	return snprintf(name, NAME_MAX + 1, ".end-%s", id) <= NAME_MAX;	/* ID_MAX keeps it in */
}

static bool reap_abandoned(struct oci_state *st);
static void leaves_as_new(char *text);

/*
 * A folder whose removal its remover did not finish: what its note names
 * goes first, as a run killed as its init exited may have left its cgroups
 * (state_remove_early); its leaves as "new", only if no launcher holds them.
 */
static void reap_noted_cgroups(struct oci_state *st)
{
	char *text = state_read_file(st, "cgroups");

	if (text) {
		leaves_as_new(text);
		if (!cgroups_remove_described(text))
			log_warn("state: %s: its cgroups could not all be removed", st->id);
	}
	free(text);
}
static void reap_end_note(int root_fd, const char *name);

/* What a create of ID killed before its rename left, removed: no folder of ID, so none is on its way. */
static void remove_leftover_new_folder(int root_fd, const char *id)
{
	char name[NAME_MAX + 1];

	new_folder_name(id, name);
	remove_unheld_new_folder(root_fd, name);
}

/*
 * The state of container ID, its folder locked; false if there is no such
 * container (its folder gone, or being removed). WAIT false: false too if
 * another command holds its lock.
 */
static bool open_state(struct oci_state *st, const struct oci_args *a, const char *id, bool wait)
{
	char *text;

	check_id(id);
	*st = (struct oci_state){ .root_fd = open_state_root(a, false), .dir_fd = -1 };
	snprintf(st->id, sizeof st->id, "%s", id);
	if (st->root_fd < 0)
		return false;
	st->dir_fd = openat(st->root_fd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (st->dir_fd < 0 && errno == ENOENT) {
		remove_leftover_new_folder(st->root_fd, id);
		return false;
	}
	if (st->dir_fd < 0)
		die_errno("state: %s", id);
	if (!wait && flock(st->dir_fd, LOCK_EX | LOCK_NB))
		return false;
	lock_folder(st->dir_fd, id);
	/*
	 * ".removing", and the lock ours: its remover held the lock and died
	 * midway (SIGKILL), so the removal is finished here. (Folder gone: it
	 * finished itself.)
	 */
	if (!faccessat(st->dir_fd, ".removing", F_OK, 0)) {
		if (folder_linked(st->dir_fd)) {
			reap_noted_cgroups(st);
			state_remove(st);
		}
		return false;
	}
	text = state_read_file(st, "state");
	if (!text)	/* a create that died before its first write: a folder to remove, no more */
		return folder_linked(st->dir_fd);
	parse_state(st, text);
	free(text);
	/*
	 * create binds the start socket before its first write of the state,
	 * and start removes it: an init on record without it was started.
	 */
	if (!st->started && st->pid && faccessat(st->dir_fd, "start", F_OK, AT_SYMLINK_NOFOLLOW) &&
	    errno == ENOENT)
		st->started = true;
	/* A run whose launcher or monitor was killed: whoever looks first cleans up. */
	if (!st->exited && state_owner_alive(st) == 0)
		return reap_abandoned(st);
	return true;
}

bool state_open(struct oci_state *st, const struct oci_args *a, const char *id)
{
	return open_state(st, a, id, true);
}

/*
 * Unlocked, with no state, and not just made (an older carapace took the
 * lock a moment after the mkdir; state_create renames it in locked): a run
 * or create that died before its first write left it.
 */
static bool died_unwritten(const struct oci_state *st)
{
	struct stat sb;

	return faccessat(st->dir_fd, "state", F_OK, AT_SYMLINK_NOFOLLOW) && errno == ENOENT &&
	       !fstat(st->dir_fd, &sb) && sb.st_ctime + 5 < time(NULL);
}

/*
 * A start looks at this many folders at most: a sweep of all of them made
 * N parallel starts cost O(N^2) (4,600 more system calls a start at 200).
 */
#define SWEEP_FOLDERS 8

/*
 * Where the last sweep stopped: a position in the state root's listing
 * (a d_off, which lseek takes back), kept on the root itself, so that
 * the next start goes on from there and every folder comes round.
 */
#define SWEEP_FROM "user.carapace.sweep-from"

/* What a run killed with SIGKILL left in folder NAME, cleaned; a folder another command holds is left be. */
static void sweep_folder(const struct oci_args *a, const char *name)
{
	struct oci_state st = { .root_fd = -1, .dir_fd = -1 };

	if (open_state(&st, a, name, false) && died_unwritten(&st))
		state_remove(&st);
	state_close(&st);
}

/* A state root's entry: a container's folder to sweep, or a create's leftover .new-, swept here. */
static enum sweep_kind look_at_entry(void *arg, int fd, const struct dirent *e)
{
	(void)arg;
	if (!strncmp(e->d_name, ".new-", 5)) {
		remove_unheld_new_folder(fd, e->d_name);	/* a create killed before its rename */
		return SWEEP_ASIDE;
	}
	if (!strncmp(e->d_name, ".end-", 5)) {
		reap_end_note(fd, e->d_name);	/* a run killed as its init exited */
		return SWEEP_ASIDE;
	}
	return e->d_name[0] != '.' && valid_container_id(e->d_name) ? SWEEP_ENTRY : SWEEP_SKIP;
}

static void take_folder(void *arg, const char *name)
{
	sweep_folder(arg, name);
}

/*
 * What the runs killed with SIGKILL left under --root, cleaned: run calls
 * it before it registers. SWEEP_FOLDERS of them at most, each one in turn
 * (sweep_round). A command that names a container, and list, clean up
 * what they look at whatever the sweep did.
 */
void state_sweep(const struct oci_args *a)
{
	/* Checked: a sweep kills what a note names (reap_end_note), and a root others own may lie. */
	autoclose int fd = open_state_root(a, false);
	struct sweep s = { .budget = SWEEP_FOLDERS, .look = look_at_entry, .take = take_folder,
			   .arg = (void *)a };

	if (fd >= 0)
		sweep_round(fd, SWEEP_FROM, &s);
}

/* The run's owner lock, taken for the life of the process (run, or run -d's monitor). */
int state_take_owner(const struct oci_state *st)
{
	int fd = openat(st->dir_fd, "owner", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB))
		die_errno("state: %s: its owner lock", st->id);
	return fd;
}

/* 1: the run that made ST lives; 0: it has ended or was killed; -1: not a run's (OCI's). */
int state_owner_alive(const struct oci_state *st)
{
	autoclose int fd = openat(st->dir_fd, "owner", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? -1 : 1;
	return flock(fd, LOCK_SH | LOCK_NB) ? 1 : 0;
}

/* Until FD's holder lets go of its flock, at most TIMEOUT_MS (-1: no limit). */
static bool wait_for_flock(int fd, int timeout_ms, const char *id)
{
	int64_t end = now_ms() + timeout_ms;

	while (flock(fd, LOCK_SH | (timeout_ms < 0 ? 0 : LOCK_NB))) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			die_errno("state: %s: wait for its owner", id);
		if (timeout_ms >= 0 && now_ms() >= end)
			return false;
		if (errno == EWOULDBLOCK)
			usleep(20000);
	}
	return true;
}

/*
 * The folder locked by us: unlocked, then until the run's launcher or
 * monitor has exited (its clean-up done), at most TIMEOUT_MS (-1: no
 * limit). Its owner file is opened under the lock, so that the wait is on
 * that run's, wherever the file goes (as its folder goes when init exits,
 * the file becomes its cgroups' note, .end-ID: state_remove_early).
 */
bool state_unlock_and_wait_owner(const struct oci_state *st, int timeout_ms)
{
	autoclose int fd = openat(st->dir_fd, "owner", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	state_unlock(st);
	if (fd < 0)
		return true;	/* removed with its folder, or never a run's */
	return wait_for_flock(fd, timeout_ms, st->id);
}

/*
 * No folder of ID: if a run of that name is ending (its folder gone as its
 * init exited, ".end-ID" held), until it has cleaned up, TIMEOUT_MS at most:
 * a command that finds no such container may be followed by a run of it.
 */
void state_wait_ending(const struct oci_args *a, const char *id, int timeout_ms)
{
	autoclose int root = open_state_root(a, false);
	autoclose int fd = -1;
	char name[NAME_MAX + 1];

	if (root >= 0 && valid_container_id(id) && end_note_name(id, name))
		fd = openat(root, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0)
		wait_for_flock(fd, timeout_ms, id);
}

void state_lock(const struct oci_state *st)
{
	lock_folder(st->dir_fd, st->id);
}

void state_unlock(const struct oci_state *st)
{
	flock(st->dir_fd, LOCK_UN);
}

/*
 * A run whose launcher (run -d: monitor) was killed: init died with it,
 * of its parent-death signal. Its cgroups go, and its folder, but for a
 * detached run's, which keeps its log until rm: it ended as by KILL.
 */
static bool reap_abandoned(struct oci_state *st)
{
	char *cgroups = state_read_file(st, "cgroups");
	autoclose int pidfd = state_pidfd(st);

	log_debug("state: %s: its run was killed: cleaning up", st->id);
	if (pidfd >= 0 && !syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0))
		poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, 10000);
	if (cgroups && !cgroups_remove_described(cgroups))
		log_warn("state: %s: its cgroups could not all be removed", st->id);
	free(cgroups);
	if (!st->detached) {
		state_remove(st);
		return false;
	}
	st->exited = true;
	st->exit_status = 128 + SIGKILL;
	state_write(st);
	return true;
}

/* PID's start time, field 22 of /proc/PID/stat; 0 if it is gone or a zombie. */
unsigned long long process_start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	autoclose int fd = -1;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || (n = read(fd, buf, sizeof buf - 1)) <= 0)
		return 0;
	buf[n] = '\0';
	/* The name may hold spaces and parentheses: the fields start after the last ')'. */
	if (!(p = strrchr(buf, ')')) || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	p += 2;
	for (int field = 3; field < 22 && p; field++)
		if ((p = strchr(p, ' ')))
			p++;
	if (p)
		t = strtoull(p, NULL, 10);
	return t;
}

/*
 * Whether ST's pid is another pid namespace's (its launcher's was not
 * ours: a CI runner's, a container's): it names another process here, or
 * none, even with the same start time. Not ours to signal, nor to judge.
 */
bool state_pid_foreign(const struct oci_state *st)
{
	return st->pid > 0 && st->pidns && own_pid_namespace() && st->pidns != own_pid_namespace();
}

static bool init_alive(const struct oci_state *st)
{
	return st->pid > 0 && st->start_time && !state_pid_foreign(st) &&
	       process_start_time(st->pid) == st->start_time;
}

/*
 * Whether pause froze it: the freezer's state, through the described
 * cgroups (a state file is checked like any other). Read only for a live,
 * started container: a file and mountinfo, no more.
 */
static bool container_frozen(const struct oci_state *st)
{
	char *cgroups = state_read_file(st, "cgroups");
	bool frozen = cgroups && cgroups_frozen(cgroups) == 1;

	free(cgroups);
	return frozen;
}

/*
 * No pid: no state was written, and state_open got the lock, which create
 * holds until it exits: a create that died before its state. Stopped.
 */
enum oci_status state_status(const struct oci_state *st)
{
	/* Another namespace's: a run's owner lock says, from any; an OCI init's, nothing. */
	if (state_pid_foreign(st)) {
		if (st->exited || state_owner_alive(st) == 0)
			return STATUS_STOPPED;
		return st->started ? STATUS_RUNNING : STATUS_CREATED;
	}
	if (!st->pid || !init_alive(st))
		return STATUS_STOPPED;
	if (!st->started)
		return STATUS_CREATED;
	return container_frozen(st) ? STATUS_PAUSED : STATUS_RUNNING;
}

const char *status_name(enum oci_status s)
{
	static const char *const names[] = { "creating", "created", "running", "paused",
					     "stopped" };

	return names[s];
}

/*
 * A pidfd on the container's init, or -1 if it is gone: opened first, then
 * checked, so that the pid it holds can't be another process's.
 */
int state_pidfd(const struct oci_state *st)
{
	int fd;

	if (st->pid <= 0)
		return -1;
	fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (fd < 0)
		return -1;
	if (!init_alive(st)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The runtime spec's state, as runc prints it: pid 0 once stopped. */
char *state_json(const struct oci_state *st, bool pretty)
{
	enum oci_status status = state_status(st);
	const char *nl = pretty ? "\n" : "", *ind = pretty ? "  " : "";
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		die_errno("state: %s", st->id);
	fprintf(f, "{%s%s\"ociVersion\": \"1.0.2\",%s%s\"id\": ", nl, ind, nl, ind);
	json_write_string(f, st->id);
	fprintf(f, ",%s%s\"pid\": %d,%s%s\"status\": \"%s\",%s%s\"bundle\": ", nl, ind,
		status == STATUS_STOPPED ? 0 : (int)st->pid, nl, ind, status_name(status), nl, ind);
	json_write_string(f, st->bundle ? st->bundle : "");
	fprintf(f, ",%s%s\"rootfs\": ", nl, ind);
	json_write_string(f, st->rootfs ? st->rootfs : "");
	fprintf(f, ",%s%s\"created\": ", nl, ind);
	json_write_string(f, st->created ? st->created : "");
	if (st->exited)	/* run -d's, not the spec's: how it ended */
		fprintf(f, ",%s%s\"exitStatus\": %d", nl, ind, st->exit_status);
	fprintf(f, ",%s%s\"owner\": \"\",%s%s\"annotations\": {", nl, ind, nl, ind);
	for (size_t i = 0; i < st->annotations_len; i++) {
		fputs(i ? ", " : "", f);
		json_write_string(f, st->annotations[i].key);
		fputs(": ", f);
		json_write_string(f, st->annotations[i].value);
	}
	fprintf(f, "}%s}", nl);
	if (fclose(f))
		die_errno("state: %s", st->id);
	return text;
}

/*
 * The folder's files, then the folder. ".removing" first: a command that
 * waited on the lock and finds it knows the container is gone. The state
 * file is renamed to it where there is one: a new file would cost an inode
 * on the root's filesystem (0.1 to 0.4 ms on ext4).
 */
void state_remove(struct oci_state *st)
{
	static const char *const files[] = { "start", "cgroups", "config.json", ".state.new",
					     ".cgroups.new", ".config.json.new", "run-args",
					     ".run-args.new", "command", ".command.new", "caps",
					     ".caps.new", "seccomp-profile", ".seccomp-profile.new",
					     "log", "log.1", "owner", "state" };
	int fd = -1;

	if (renameat(st->dir_fd, "state", st->dir_fd, ".removing") &&
	    (fd = openat(st->dir_fd, ".removing", O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		if (unlinkat(st->dir_fd, files[i], 0) && errno != ENOENT)
			log_warn("state: %s: remove %s: %s", st->id, files[i], strerror(errno));
	unlinkat(st->dir_fd, ".removing", 0);
	if (unlinkat(st->root_fd, st->id, AT_REMOVEDIR) && errno != ENOENT)
		log_warn("state: %s: remove its folder: %s", st->id, strerror(errno));
}

/*
 * The note's leaves as "new" (the same length: "new" and spaces): whoever
 * reaps a note out of its folder takes a leaf only if it bears carapace's
 * mark and no living launcher's flock, as the folder no longer holds the
 * name: a later run of that name may have its leaves there by then.
 */
static void leaves_as_new(char *text)
{
	static const char *const from[] = { " leaf ours ", " leaf theirs " };

	for (size_t i = 0; i < 2; i++)
		for (char *p = text; (p = strstr(p, from[i])); p += strlen(from[i]))
			memcpy(p + 6, "new      ", strlen(from[i]) - 7);
}

/*
 * A run, as init exits: its folder goes now, while the kernel tears init's
 * namespaces down (two RCU grace periods), not after, at the end of the
 * start: on an ext4 /run its removal frees four inodes and a block (0.17
 * ms; 0.3 ms where starts are spaced and the block is discarded). The
 * note of its cgroups, not yet removed, stays, with its leaves "new", in
 * the owner file OWNER (flocked by the launcher for its life, so that the
 * lock and the note are one inode, which stop and wait wait on), renamed
 * to ".end-ID" in the root; the sweep reaps it if this launcher is killed
 * before state_end_note_gone. In this order, so that a launcher killed at
 * any step leaves a note that a reaper reads: the folder's own (its owner
 * unlocked), then the folder as ".removing" with its note (open_state),
 * then ".end-ID" too. False, the folder as it was but for its note's
 * words: it could not be done.
 */
bool state_remove_early(struct oci_state *st, int owner)
{
	char name[NAME_MAX + 1], text[END_NOTE_MAX];
	autoclose int fd = openat(st->dir_fd, "cgroups", O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = 0;

	if (fd < 0 && errno != ENOENT)
		goto fail;
	if (!end_note_name(st->id, name)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if (fd >= 0 && (n = pread(fd, text, sizeof text - 1, 0)) == sizeof text - 1)
		errno = EFBIG;
	if (n < 0 || n == sizeof text - 1)
		goto fail;
	text[n] = '\0';
	leaves_as_new(text);
	/* One there: a stale one of a killed run of this name, the sweep's (no other has the name). */
	if (!faccessat(st->root_fd, name, F_OK, AT_SYMLINK_NOFOLLOW)) {
		errno = EEXIST;
		goto fail;
	}
	if (errno != ENOENT || (fd >= 0 && pwrite(fd, text, (size_t)n, 0) != n) ||
	    pwrite(owner, text, (size_t)n, 0) != n ||
	    renameat(st->dir_fd, "state", st->dir_fd, ".removing"))
		goto fail;
	if (syscall(SYS_renameat2, st->dir_fd, "owner", st->root_fd, name, RENAME_NOREPLACE)) {
		log_debug("state: %s: its owner file: %s", st->id, strerror(errno));
		renameat(st->dir_fd, ".removing", st->dir_fd, "state");
		return false;
	}
	state_remove(st);
	st->removed = true;
	return true;
fail:
	log_debug("state: %s: its folder stays until the end: %s", st->id, strerror(errno));
	return false;
}

/* The run's cgroups are gone: so is their note; its lock goes with the process. */
void state_end_note_gone(struct oci_state *st)
{
	char name[NAME_MAX + 1];

	if (!st->removed || !end_note_name(st->id, name))
		return;
	if (unlinkat(st->root_fd, name, 0) && errno != ENOENT)
		log_warn("state: %s: remove %s: %s", st->id, name, strerror(errno));
}

/*
 * The note NAME in the root (a checked one, as every sweep's), which FD
 * has open and flocked: still that name's file, ours alone (not a link a
 * user made to another), or the name may be a later run's by now.
 */
static bool end_note_held(int root_fd, const char *name, int fd)
{
	struct stat sb, at;

	return !fstat(fd, &sb) && S_ISREG(sb.st_mode) && sb.st_uid == geteuid() &&
	       !(sb.st_mode & (S_IWGRP | S_IWOTH)) && sb.st_nlink == 1 &&
	       !fstatat(root_fd, name, &at, AT_SYMLINK_NOFOLLOW) &&
	       at.st_dev == sb.st_dev && at.st_ino == sb.st_ino;
}

/*
 * The sweep: a note of a run killed between its folder's removal and its
 * cgroups' (its flock free), reaped. Its leaves are "new": only one that
 * no living launcher holds is taken.
 */
static void reap_end_note(int root_fd, const char *name)
{
	autoclose int fd = openat(root_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	char text[END_NOTE_MAX];
	ssize_t n;

	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB))
		return;	/* gone meanwhile, or its launcher lives */
	if (!end_note_held(root_fd, name, fd) || (n = pread(fd, text, sizeof text - 1, 0)) < 0)
		return;
	text[n] = '\0';
	log_debug("state: %s: a killed run's cgroups: cleaning up", name);
	if (n > 0 && !cgroups_remove_described(text))
		log_warn("state: %s: its cgroups could not all be removed", name);
	unlinkat(root_fd, name, 0);
}

/* list and ps: every note a killed run left (the sweep of a run takes a few at a time). */
void state_reap_end_notes(const struct oci_args *a)
{
	int fd = open_state_root(a, false);
	struct dirent *e;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, ".end-", 5))
			reap_end_note(dirfd(d), e->d_name);
	closedir(d);
}

/* Create's folder, until it is handed over (state_keep): removed on any way out. */
static struct oci_state *state_at_exit;

static void remove_state_at_exit(void)
{
	if (state_at_exit)
		state_remove(state_at_exit);
}

void state_remove_on_exit(struct oci_state *st)
{
	state_at_exit = st;
	on_launcher_exit(remove_state_at_exit);
}

void state_keep(void)
{
	state_at_exit = NULL;
}

/*
 * The socket init waits on until start connects: in the state folder,
 * reached through /proc/self/fd, so that a long --root doesn't overflow
 * sun_path. Only the folder's owner may connect: the folder is 0700.
 */
static struct sockaddr_un start_socket_address(const struct oci_state *st, socklen_t *len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/start", st->dir_fd);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(sa.sun_path) + 1);
	return sa;
}

int listen_for_start(const struct oci_state *st)
{
	socklen_t len;
	struct sockaddr_un sa = start_socket_address(st, &len);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) || listen(fd, 4))
		die_errno("create: %s: the start socket", st->id);
	return fd;
}

int connect_to_init(const struct oci_state *st)
{
	socklen_t len;
	struct sockaddr_un sa = start_socket_address(st, &len);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, len))
		die_errno("start: %s: reach its init", st->id);
	return fd;
}

/* PID into PATH, whole or not at all, as engines read it the moment create returns. */
void write_pid_file(const char *path, pid_t pid)
{
	char *tmp = xasprintf("%s.carapace-new", path), text[24];
	int fd;

	/* A new file of ours, never one that was there (or a link's target). */
	if (unlink(tmp) && errno != ENOENT)
		die_errno("--pid-file: %s", tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	int n = snprintf(text, sizeof text, "%d", (int)pid);

	if (fd < 0)
		die_errno("--pid-file: %s", tmp);
	if (write(fd, text, (size_t)n) != n || close(fd) || rename(tmp, path)) {
		int err = errno;

		unlink(tmp);
		errno = err;
		die_errno("--pid-file: %s", path);
	}
	free(tmp);
}

/* Its fds, and the lock with them. */
void state_close(struct oci_state *st)
{
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	if (st->root_fd >= 0)
		close(st->root_fd);
	st->dir_fd = st->root_fd = -1;
}

/*
 * The hooks of KIND in CONFIG, the text create kept (read once), with the
 * state on their stdin: poststart for start, poststop for delete.
 */
void state_run_hooks(const struct oci_state *st, const char *config, enum hook_kind kind)
{
	struct container c = { 0 };
	char *json;

	if (!config || !strstr(config, "\"hooks\""))
		return;
	oci_parse_config(&c, config, strlen(config), st->bundle);
	if (!c.oci.hooks_len[kind])
		return;
	json = state_json(st, false);
	run_hooks(&c, kind, json);
	free(json);
}
