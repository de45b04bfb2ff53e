/*
 * cache.c: a tarball rootfs unpacked once, into a folder only root can
 * enter, named by the SHA-256 of its tar stream, and shared read-only by
 * every container made of it: the overlay's lower layer.
 *
 * The folder (CACHE_DIR, or --cache) holds:
 *   HASH       an entry: the archive as tar_unpack checks it. A launcher
 *              whose container uses it holds a shared flock on it.
 *   i-DEV-INO  a symlink, "HASH SIZE MTIME CTIME": the archive file that
 *              was HASH when its stat said so. A later start whose fstat
 *              says the same takes HASH without reading the file again.
 *   s-HASH     a symlink, "BYTES": HASH's size, as --rootfs-size counts it.
 *   tmp-PID    an unpacking in progress, flocked by its launcher.
 *   old-HASH   an entry prune is removing.
 * A tmp- or old- that no one holds is what a SIGKILL left: the next
 * unpacking, or prune, removes it. An entry's atime is its last use.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

#define HASH_LEN 64
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1	/* <linux/fs.h>'s, which musl's headers lack */
#endif

/*
 * A folder that holds the cache must be root's and writable by root alone
 * (or sticky, as /tmp): else its owner could move the cache away and put
 * a folder of root's in its place (/root, say), where tmp- and 64-hex
 * names would then be made and removed.
 */
static void check_parent(const char *dir, const char *path, const char *what)
{
	struct stat st;

	if (stat(*dir ? dir : "/", &st))
		die_errno("%s: %s", what, *dir ? dir : "/");
	if (st.st_uid != 0 || ((st.st_mode & 022) && !(st.st_mode & S_ISVTX)))
		die(EXIT_CANT_RUN, "%s: %s: its folder %s may be changed by uid %u or others: "
		    "the cache must be in root's folders", what, path, *dir ? dir : "/",
		    (unsigned)st.st_uid);
}

/* Each folder above PATH, a canonical path. */
static void check_parents(const char *path, const char *what)
{
	char *p = xasprintf("%s", path);

	for (char *slash = strrchr(p, '/'); slash; slash = strrchr(p, '/')) {
		*slash = '\0';
		check_parent(p, path, what);
	}
	free(p);
}

/* mkdir -p PATH, 0700, in checked folders only: bad input makes nothing. */
static void make_dirs(const char *path, const char *what)
{
	char *p = xasprintf("%s", path);

	for (char *slash = strchr(p + 1, '/');; slash = strchr(slash + 1, '/')) {
		if (slash)
			*slash = '\0';
		if (access(p, F_OK)) {
			char *up = strrchr(p, '/');

			*up = '\0';
			check_parent(p, path, what);
			*up = '/';
			if (mkdir(p, 0700) && errno != EEXIST)
				die_errno("%s: mkdir %s", what, p);
		}
		if (!slash)
			break;
		*slash = '/';
	}
	free(p);
}

/* The folder, made 0700 if missing (with its parents); it must be root's, for root alone. */
static int open_cache_dir(const char *path, bool create, const char *what)
{
	char real[PATH_MAX];
	struct stat st;
	int fd;

	if (path[0] != '/')
		die(EXIT_CANT_RUN, "%s: not an absolute path: '%s'", what, path);
	if (create)
		make_dirs(path, what);
	if (!realpath(path, real)) {
		if (!create && errno == ENOENT)
			return -1;
		die_errno("%s: %s", what, path);
	}
	/* A symlink anywhere (a user's, in /tmp) could lead prune to someone else's folder. */
	if (strncmp(real, path, strlen(real)) || strspn(path + strlen(real), "/") != strlen(path + strlen(real)))
		die(EXIT_CANT_RUN, "%s: %s: a symlink or '..' on the way (it is %s): name the "
		    "folder itself", what, path, real);
	check_parents(real, what);
	if ((fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 || fstat(fd, &st))
		die_errno("%s: %s", what, path);
	/* Another's folder could be emptied, or filled with a tree of its choosing. */
	if (st.st_uid != 0 || (st.st_mode & 077))
		die(EXIT_CANT_RUN, "%s: %s: must be root's and mode 0700 (is uid %u, mode %03o)",
		    what, path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	return fd;
}

/*
 * A name of this launcher's own, "tmp-PID-RANDOM": launchers in other pid
 * namespaces may have the same PID, and one must never take another's.
 */
static char *temp_name(const char *suffix)
{
	unsigned long long r = 0;

	if (syscall(SYS_getrandom, &r, sizeof r, 0) != sizeof r)
		die_errno("cache: getrandom");
	return xasprintf("tmp-%d-%016llx%s", (int)getpid(), r, suffix);
}

/* Whether NAME is of temp_name's form, with SUFFIX. */
static bool is_temp(const char *name, const char *suffix)
{
	size_t digits = strncmp(name, "tmp-", 4) ? 0 : strspn(name + 4, "0123456789");

	return digits && name[4 + digits] == '-' &&
	       strspn(name + 5 + digits, "0123456789abcdef") == 16 &&
	       !strcmp(name + 21 + digits, suffix);
}

static bool is_hash(const char *name)
{
	return strlen(name) == HASH_LEN && strspn(name, "0123456789abcdef") == HASH_LEN;
}

/* The archive file's identity: any write, chmod or utimes changes its ctime, which only the clock sets. */
static char *memo_name(const struct stat *st)
{
	return xasprintf("i-%llx-%llx", (unsigned long long)st->st_dev,
			 (unsigned long long)st->st_ino);
}

static char *memo_value(const struct stat *st, const char *hash)
{
	return xasprintf("%s %lld %lld.%09ld %lld.%09ld", hash, (long long)st->st_size,
			 (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
			 (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec);
}

/* HASH of the archive, as a memo says, if its stat is the memo's. */
static bool memo_hash(int dir, const struct stat *st, char hash[HASH_LEN + 1])
{
	char buf[256], *want = memo_value(st, "");
	ssize_t n = readlinkat(dir, memo_name(st), buf, sizeof buf - 1);

	if (n <= HASH_LEN)
		return false;
	buf[n] = '\0';
	memcpy(hash, buf, HASH_LEN);
	hash[HASH_LEN] = '\0';
	return is_hash(hash) && !strcmp(buf + HASH_LEN, want);
}

/*
 * The cache folder's own flock: shared by a start from its mkdir of a
 * temp folder to its flock on it, and from its rename into place to its
 * shared flock on the entry; exclusive while prune or a sweep decides
 * what no one holds. No one sees a folder between its making and its lock.
 */
static void lock_cache(int dir, int how)
{
	if (flock(dir, how))
		die_errno("cache: flock");
}

/* A symlink made aside, then renamed over: a reader sees the old memo or the new. */
static void memo_write(int dir, const struct stat *st, const char *hash)
{
	char *name = memo_name(st), *tmp = temp_name(".memo");

	lock_cache(dir, LOCK_SH);
	if (symlinkat(memo_value(st, hash), dir, tmp) || renameat(dir, tmp, dir, name))
		log_warn("cache: %s: %s", name, strerror(errno));
	unlinkat(dir, tmp, 0);
	lock_cache(dir, LOCK_UN);
}

/*
 * FD (or NAME opened) held shared, while NAME is still it: prune renames
 * an entry, under its exclusive lock, before it removes it. -1: not there.
 */
static int hold_entry(int dir, const char *name, int fd)
{
	struct stat held, now;

	if (fd < 0 && (fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
				   O_CLOEXEC)) < 0)
		return -1;
	if (flock(fd, LOCK_SH) || fstat(fd, &held) ||
	    fstatat(dir, name, &now, AT_SYMLINK_NOFOLLOW) || held.st_ino != now.st_ino ||
	    held.st_dev != now.st_dev) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * NAME in DIR and all below it, by paths from DIR, and no symlink followed
 * at their ends: a folder's files go, then the walk goes into its first
 * subfolder, or up once it is empty. No fd per level: an archive's tree
 * may be 2048 folders deep. Only root changes the cache while it goes.
 */
static void remove_tree(int dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof path, "%s", name);
	for (;;) {
		int fd = openat(dir, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
		size_t len = strlen(path);
		bool down = false;
		char *up;

		for (struct dirent *e; d && !down && (e = readdir(d));) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
			    !unlinkat(fd, e->d_name, 0) || errno != EISDIR)
				continue;
			down = snprintf(path + len, sizeof path - len, "/%s", e->d_name) <
			       (int)(sizeof path - len);
			if (!down)
				path[len] = '\0';
		}
		if (d)
			closedir(d);
		else if (fd >= 0)
			close(fd);
		if (down)
			continue;
		/* What can't be removed stops the walk, which would come back to it. */
		if (unlinkat(dir, path, AT_REMOVEDIR) && errno != ENOENT) {
			log_warn("cache: remove %s: %s", path, strerror(errno));
			return;
		}
		if (!(up = strrchr(path, '/')))
			return;
		*up = '\0';
	}
}

/* NAME, if no one holds it: 0 removed, 1 in use, -1 not there. */
static int remove_unused(int dir, const char *name)
{
	autoclose int fd = -1;

	lock_cache(dir, LOCK_EX);
	if ((fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    flock(fd, LOCK_EX | LOCK_NB)) {
		lock_cache(dir, LOCK_UN);
		return fd < 0 ? -1 : 1;
	}
	if (is_hash(name)) {	/* out of sight first: a start that finds it holds it */
		char *old = xasprintf("old-%s", name);

		if (renameat(dir, name, dir, old)) {
			lock_cache(dir, LOCK_UN);
			return -1;
		}
		unlinkat(dir, xasprintf("s-%s", name), 0);
		name = old;
	}
	lock_cache(dir, LOCK_UN);	/* held by FD, and out of sight: no one takes it now */
	remove_tree(dir, name);
	return 0;
}

/* DIR's names from the start: a dup would share its offset, at the end after a walk. */
static DIR *list_dir(int dir)
{
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (!d)
		die_errno("cache: list");
	return d;
}

/* What a SIGKILL left mid-unpack or mid-prune: names of the exact forms only. */
static void sweep_leftovers(int dir)
{
	DIR *d = list_dir(dir);

	for (struct dirent *e; (e = readdir(d));) {
		const char *n = e->d_name;

		if (e->d_type == DT_LNK && is_temp(n, ".memo")) {
			lock_cache(dir, LOCK_EX);	/* memo_write's, between its two calls, is held */
			unlinkat(dir, n, 0);
			lock_cache(dir, LOCK_UN);
		}
		if (e->d_type == DT_DIR && (is_temp(n, "") || (!strncmp(n, "old-", 4) &&
							      is_hash(n + 4))))
			remove_unused(dir, n);
	}
	closedir(d);
}

/* Whether NAME in DIR is still the folder FD: else another's, never to touch. */
static bool still_ours(int dir, const char *name, int fd)
{
	struct stat held, now;

	return !fstat(fd, &held) && !fstatat(dir, name, &now, AT_SYMLINK_NOFOLLOW) &&
	       held.st_ino == now.st_ino && held.st_dev == now.st_dev;
}

/*
 * The unpacking, in a child: tar's errors end it with their one line, and
 * the launcher, which has clean-up to run, removes what it left. The
 * launcher's signals are blocked; the child's are not: ^C stops it.
 */
static void unpack_child(const struct container *c, int archive, int into, int out)
{
	struct sha256 sha;
	struct tar t = { .name = c->root.path, .room = c->root.size, .copy = archive,
			 .count_room = true, .hash = &sha };
	char hex[HASH_LEN + 1], msg[HASH_LEN + sizeof t.used];
	sigset_t none;

	set_fail_mode(FAIL_PRINT, -1);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sha256_init(&sha);
	tar_open(&t);
	unpack_tarball(&t, into);
	sha256_hex(&sha, hex);
	memcpy(msg, hex, HASH_LEN);
	memcpy(msg + HASH_LEN, &t.used, sizeof t.used);
	_exit(write(out, msg, sizeof msg) == sizeof msg ? 0 : EXIT_CANT_RUN);
}

/*
 * Unpacks ARCHIVE into TMP, a temp_name(); its hash into HASH, its size
 * into SIZE; returns its fd, flocked.
 */
static int unpack_aside(const struct container *c, int dir, int archive, const char *tmp,
			char *hash, int64_t *size)
{
	char msg[HASH_LEN + sizeof *size];
	int fd, pipes[2], status;
	pid_t child;
	ssize_t n;

	lock_cache(dir, LOCK_SH);
	if (mkdirat(dir, tmp, 0755) ||
	    (fd = openat(dir, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    flock(fd, LOCK_EX) || pipe2(pipes, O_CLOEXEC))
		die_errno("cache: %s", tmp);
	lock_cache(dir, LOCK_UN);
	if ((child = fork()) < 0)
		die_errno("fork");
	if (child == 0)
		unpack_child(c, archive, fd, pipes[1]);
	close(pipes[1]);
	n = read(pipes[0], msg, sizeof msg);
	close(pipes[0]);
	if (waitpid(child, &status, 0) < 0 || status || n != sizeof msg) {
		if (still_ours(dir, tmp, fd))
			remove_tree(dir, tmp);
		if (WIFSIGNALED(status))
			die(EXIT_CANT_RUN, "rootfs: %s: unpacking it: %s", c->root.path,
			    strsignal(WTERMSIG(status)));
		exit(EXIT_CANT_RUN);	/* the child said why */
	}
	memcpy(hash, msg, HASH_LEN);
	hash[HASH_LEN] = '\0';
	memcpy(size, msg + HASH_LEN, sizeof *size);
	return fd;
}

/* The new entry in place, or the one a concurrent start put there first. */
static int place_entry(int dir, int fd, const char *tmp, const char *hash, int64_t size)
{
	if (!still_ours(dir, tmp, fd))
		die(EXIT_CANT_RUN, "--cache: %s: replaced while it was unpacked", tmp);
	if (!syscall(SYS_renameat2, dir, tmp, dir, hash, RENAME_NOREPLACE)) {
		symlinkat(xasprintf("%lld", (long long)size), dir, xasprintf("s-%s", hash));
		return hold_entry(dir, hash, fd);	/* the exclusive lock turns shared */
	}
	if (errno != EEXIST && errno != ENOTEMPTY)
		die_errno("cache: rename %s", tmp);
	remove_tree(dir, tmp);	/* ours still: checked above, and held */
	close(fd);
	return hold_entry(dir, hash, -1);
}

/* Whether the container's root comes from the cache: root's tarball files, in no user namespace. */
static bool cacheable(const struct container *c, const struct runtime *rt)
{
	return c->root.tarball && !c->root.from_stdin && !rt->rootless && geteuid() == 0 &&
	       !(c->namespaces & CLONE_NEWUSER) && strcmp(cache_path(c->root.cache), "none");
}

/* --cache, else $CARAPACE_CACHE, else CACHE_DIR. */
const char *cache_path(const char *option)
{
	const char *env = getenv("CARAPACE_CACHE");

	return option ? option : env && *env ? env : CACHE_DIR;
}

/* The entry's atime is its last use, for prune --keep; the mtime stays the archive's. */
static int mark_used(int entry)
{
	futimens(entry, (struct timespec[2]){ { 0, UTIME_NOW }, { 0, UTIME_OMIT } });
	return entry;
}

/*
 * In the launcher, before the clone: the cache entry of the container's
 * tarball, unpacked now if it isn't there, as an fd held shared until the
 * launcher ends; init makes the overlay's lower layer of it. -1: no cache.
 */
int cache_tarball(const struct container *c, const struct runtime *rt)
{
	autoclose int dir = -1, archive = -1;
	char hash[HASH_LEN + 1];
	struct stat before, after;
	int64_t size;
	char *tmp;
	int entry;

	if (!cacheable(c, rt))
		return -1;
	dir = open_cache_dir(cache_path(c->root.cache), true, "--cache");
	/* No FIFO to hang on, no device to read forever: a path swapped since validation. */
	if ((archive = open(c->root.path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    fstat(archive, &before))
		die_errno("rootfs: %s", c->root.path);
	if (!S_ISREG(before.st_mode))
		die(EXIT_CANT_RUN, "rootfs: %s: a tarball, but not a regular file", c->root.path);
	if (memo_hash(dir, &before, hash) && (entry = hold_entry(dir, hash, -1)) >= 0) {
		log_debug("rootfs: %s: cached as %s", c->root.path, hash);
		return mark_used(entry);
	}
	sweep_leftovers(dir);
	tmp = temp_name("");
	entry = unpack_aside(c, dir, archive, tmp, hash, &size);
	lock_cache(dir, LOCK_SH);	/* the exclusive lock turns shared, with no prune between */
	entry = place_entry(dir, entry, tmp, hash, size);
	lock_cache(dir, LOCK_UN);
	if (entry < 0)
		die(EXIT_CANT_RUN, "--cache: %s: removed as it was made (by prune?): try again", hash);
	/* Written to meanwhile: the entry holds what was read, but the file is no longer it. */
	if (!fstat(archive, &after) && !strcmp(memo_value(&before, hash), memo_value(&after, hash)))
		memo_write(dir, &after, hash);
	log_debug("rootfs: %s: unpacked into the cache as %s", c->root.path, hash);
	return mark_used(entry);
}

/* Memos and sizes of entries gone: their names could come back only as other files. */
static void remove_memo(int dir, const char *name)
{
	char buf[256];
	ssize_t n = name[0] == 'i' ? readlinkat(dir, name, buf, sizeof buf - 1) : HASH_LEN;
	struct stat st;

	if (n < HASH_LEN)
		return;
	if (name[0] == 's')
		snprintf(buf, sizeof buf, "%s", name + 2);
	buf[HASH_LEN] = '\0';
	if (fstatat(dir, buf, &st, AT_SYMLINK_NOFOLLOW) && errno == ENOENT)
		unlinkat(dir, name, 0);
}

struct prune_entry {
	char name[HASH_LEN + 1];
	struct timespec used;
	int64_t size;
};

static int by_last_use(const void *a, const void *b)
{
	const struct timespec *x = &((const struct prune_entry *)a)->used;
	const struct timespec *y = &((const struct prune_entry *)b)->used;

	return x->tv_sec != y->tv_sec ? (y->tv_sec > x->tv_sec) - (y->tv_sec < x->tv_sec) :
	       (y->tv_nsec > x->tv_nsec) - (y->tv_nsec < x->tv_nsec);
}

/* The entries, the last used first, with their sizes (s-HASH; 0 if it's gone). */
static struct prune_entry *list_entries(int dir, size_t *len)
{
	struct prune_entry *v = NULL;
	DIR *d = list_dir(dir);
	struct stat st;

	*len = 0;
	for (struct dirent *e; (e = readdir(d));) {
		char size[32] = "0";

		if (!is_hash(e->d_name) || fstatat(dir, e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		(void)!readlinkat(dir, xasprintf("s-%s", e->d_name), size, sizeof size - 1);
		v = xrealloc(v, (*len + 1) * sizeof *v);
		memcpy(v[*len].name, e->d_name, sizeof v->name);	/* 64 digits and a NUL */
		v[*len].used = st.st_atim;
		v[(*len)++].size = strtoll(size, NULL, 10);
	}
	closedir(d);
	qsort(v, *len, sizeof *v, by_last_use);
	return v;
}

/*
 * carapace prune: every entry no container holds, and what is left of
 * those; with --keep SIZE, the last used that fit in SIZE stay.
 */
int cmd_prune(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	int first = parse_oci_options(&a, "prune", argc, argv), dir;
	int64_t keep = a.keep ? parse_size("prune: --keep", a.keep) : -1, total = 0;
	struct prune_entry *v;
	size_t len;
	DIR *d;

	if (first < argc)
		die(EXIT_CANT_RUN, "prune: takes no operand: '%s'", argv[first]);
	if ((dir = open_cache_dir(cache_path(a.cache), false, "prune")) < 0)
		return 0;	/* no cache: nothing to remove */
	sweep_leftovers(dir);
	v = list_entries(dir, &len);
	for (size_t i = 0; i < len; i++) {
		int r = (total += v[i].size) <= keep ? 2 : remove_unused(dir, v[i].name);

		if (r >= 0)
			printf("%s %s\n", r == 2 ? "kept" : r ? "in use" : "removed", v[i].name);
	}
	d = list_dir(dir);
	for (struct dirent *e; (e = readdir(d));)
		if (!strncmp(e->d_name, "i-", 2) || !strncmp(e->d_name, "s-", 2))
			remove_memo(dir, e->d_name);
	closedir(d);
	close(dir);
	return 0;
}
