/*
 * tar.c: a rootfs tarball unpacked into memory, and nowhere else.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"


__attribute__((noreturn, format(printf, 2, 3)))
static void tar_fail(struct tar *t, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	die(EXIT_CANT_RUN, "rootfs: %s: %s", t->name, msg);
}

/* ENTRY failed with errno; ENOSPC says which bound was hit, and what raises it. */
__attribute__((noreturn))
static void tar_fail_errno(struct tar *t, const char *entry)
{
	long long room = (long long)t->room;
	int shift = room % (1 << 20) == 0 ? 20 : room % (1 << 10) == 0 ? 10 : 0;

	if (errno == ENOSPC)
		tar_fail(t, "%s: the root's tmpfs is full (%lld%s; --rootfs-size raises it)", entry,
			 room >> shift, shift == 20 ? "m" : shift ? "k" : " bytes");
	tar_fail(t, "%s: %s", entry, strerror(errno));
}

/* Before the tmpfs hides the host's binaries: the decompressor runs, or we die. */
static void start_decompressor(struct tar *t, int file)
{
	int out[2], sync[2], err = 0;

	cgroups_check_settled(t->tool);
	if (pipe2(out, O_CLOEXEC) || pipe2(sync, O_CLOEXEC))
		die_errno("pipe");
	t->decompressor = fork();
	if (t->decompressor < 0)
		die_errno("fork: %s", t->tool);
	if (t->decompressor == 0) {
		int null = open("/dev/null", O_WRONLY);

		set_fail_mode(FAIL_PRINT, -1);	/* a helper: never the container's errors */
		/* find_program, not execlp: musl's PATH search would be its only use. */
		char *tool = find_program(t->tool);

		errno = ENOENT;
		if (tool && dup2(file, 0) == 0 && dup2(out[1], 1) == 1 && dup2(null, 2) == 2)
			execv(tool, (char *[]){ (char *)t->tool, "-dc", NULL });
		err = errno;
		(void)!write(sync[1], &err, sizeof err);
		_exit(127);
	}
	close(out[1]);
	close(sync[1]);
	/* EOF: the exec happened, and closed the pipe. */
	if (read(sync[0], &err, sizeof err) == sizeof err) {
		errno = err;
		die_errno("rootfs: %s: unpacking it needs %s", t->name, t->tool);
	}
	close(sync[0]);
	close(file);
	t->in = out[0];
}

/* The compressions that the host's tools undo, by their magic numbers. */
static const struct { unsigned char magic[6]; size_t len; const char *tool; } formats[] = {
	{ { 0x1f, 0x8b }, 2, "gzip" }, { { 0xfd, '7', 'z', 'X', 'Z', 0 }, 6, "xz" },
	{ { 'B', 'Z', 'h' }, 3, "bzip2" }, { { 0x28, 0xb5, 0x2f, 0xfd }, 4, "zstd" },
};

/*
 * Whether the file at PATH is a tarball by its content, whatever its name:
 * compressed as tar_open undoes it, or a plain archive's ustar magic at 257.
 */
bool tarball_content(const char *path)
{
	unsigned char head[512] = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	ssize_t n = fd < 0 ? -1 : pread(fd, head, sizeof head, 0);

	if (fd >= 0)
		close(fd);
	for (size_t i = 0; n > 0 && i < sizeof formats / sizeof formats[0]; i++)
		if ((size_t)n >= formats[i].len && !memcmp(head, formats[i].magic, formats[i].len))
			return true;
	return n >= 262 && !memcmp(head + 257, "ustar", 5);
}

/* The tarball's tar stream: the file itself, or a pipe from the host's gzip or xz. */
void tar_open(struct tar *t)
{
	unsigned char magic[6] = { 0 };
	int fd = t->copy >= 0 ? dup(t->copy) : open(t->name, O_RDONLY | O_CLOEXEC);

	/* A copy's offset is at its end: it was just written. */
	if (fd < 0 || pread(fd, magic, sizeof magic, 0) < 0 || lseek(fd, 0, SEEK_SET))
		die_errno("rootfs: %s", t->name);
	t->in = fd;
	t->decompressor = -1;
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		if (!memcmp(magic, formats[i].magic, formats[i].len)) {
			t->tool = formats[i].tool;
			start_decompressor(t, fd);
		}
	}
}

/* The stream ended before the archive did: say whose fault it is. */
__attribute__((noreturn))
static void tar_ended_early(struct tar *t)
{
	int status = 0;

	if (t->decompressor > 0 && waitpid(t->decompressor, &status, 0) > 0 && WIFSIGNALED(status))
		tar_fail(t, "%s -dc was killed: %s", t->tool, strsignal(WTERMSIG(status)));
	if (t->decompressor > 0 && status)
		tar_fail(t, "%s -dc failed: the file is damaged or cut short", t->tool);
	tar_fail(t, "the archive is cut short");
}

/* Reads exactly N bytes of the stream. */
static void tar_read(struct tar *t, void *buf, size_t n)
{
	for (size_t got = 0; got < n;) {
		ssize_t r = read(t->in, (char *)buf + got, n - got);

		if (r == 0)
			tar_ended_early(t);
		if (r < 0 && errno != EINTR)
			tar_fail(t, "read: %s", strerror(errno));
		if (r > 0 && t->hash)
			sha256_update(t->hash, (char *)buf + got, (size_t)r);
		got += r > 0 ? (size_t)r : 0;
	}
}

/* Reads N bytes and writes the first KEEP of them to FD, unless it is -1. */
static void tar_copy(struct tar *t, const char *entry, int fd, int64_t n, int64_t keep)
{
	char buf[65536];

	while (n > 0) {
		size_t chunk = n > (int64_t)sizeof buf ? sizeof buf : (size_t)n;
		size_t out = keep > (int64_t)chunk ? chunk : (size_t)keep;

		tar_read(t, buf, chunk);
		for (size_t off = 0; fd >= 0 && off < out;) {
			ssize_t w = write(fd, buf + off, out - off);

			if (w < 0 && errno != EINTR)
				tar_fail_errno(t, entry);
			off += w > 0 ? (size_t)w : 0;
		}
		keep -= (int64_t)out;
		n -= (int64_t)chunk;
	}
}

/* The largest entry whose data, padded to 512 bytes, still counts in an int64_t. */
#define TAR_MAX_SIZE (INT64_MAX - 511)

static int64_t tar_padded(int64_t size)
{
	return (size + 511) & ~(int64_t)511;	/* size <= TAR_MAX_SIZE: checked on reading */
}

/* A header's number: octal, or GNU's base-256 for big ones; -1 if bad. */
static int64_t tar_number(const unsigned char *f, size_t n)
{
	int64_t v = 0;
	size_t i = 0;

	if (f[0] == 0x80) {
		for (i = 1; i < n; i++) {
			if (v > INT64_MAX >> 8)
				return -1;
			v = v << 8 | f[i];
		}
		return v;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v > INT64_MAX >> 3)
			return -1;
		v = v * 8 + (f[i] - '0');
	}
	while (i < n && (f[i] == ' ' || !f[i]))
		i++;
	return i == n ? v : -1;
}

/* Both sums count: some old tars summed signed bytes. */
static bool tar_checksum_ok(const unsigned char *h)
{
	int64_t want = tar_number(h + 148, 8);
	long sum = 0, ssum = 0;

	for (int i = 0; i < 512; i++) {
		unsigned char b = i >= 148 && i < 156 ? ' ' : h[i];

		sum += b;
		ssum += (signed char)b;
	}
	return want == sum || want == ssum;
}

/* The data of a GNU long name or a pax header, at most 1 MiB. */
static char *tar_read_blob(struct tar *t, int64_t size)
{
	char *buf;

	if (size < 0 || size > 1 << 20)
		tar_fail(t, "a header of %lld bytes", (long long)size);
	buf = xrealloc(NULL, (size_t)size + 1);
	tar_read(t, buf, (size_t)size);
	buf[size] = '\0';
	tar_copy(t, "header", -1, tar_padded(size) - size, 0);
	return buf;
}

static void tar_set_name(struct tar *t, char *dst, const char *value, size_t len)
{
	if (len >= PATH_MAX || memchr(value, '\0', len))
		tar_fail(t, "a name too long, or with a NUL");
	memcpy(dst, value, len);
	dst[len] = '\0';
}

/* pax records, "LEN key=value\n", for the next entry: the ones that matter here. */
static void tar_pax(struct tar *t, char *buf, size_t len)
{
	for (size_t off = 0; off < len;) {
		char *rec = buf + off, *end, *key, *eq;
		unsigned long n = strtoul(rec, &end, 10);

		if (end == rec || *end != ' ' || n > len - off || n < 4 || rec[n - 1] != '\n')
			tar_fail(t, "a damaged pax header");
		rec[n - 1] = '\0';
		key = end + 1;
		eq = strchr(key, '=');
		if (!eq)
			tar_fail(t, "a damaged pax header");
		*eq = '\0';
		if (!strcmp(key, "path"))
			tar_set_name(t, t->path, eq + 1, (size_t)(rec + n - 1 - (eq + 1)));
		else if (!strcmp(key, "linkpath"))
			tar_set_name(t, t->link, eq + 1, (size_t)(rec + n - 1 - (eq + 1)));
		else if (!strcmp(key, "size") || !strcmp(key, "uid") || !strcmp(key, "gid")) {
			int64_t v;

			errno = 0;
			v = strtoll(eq + 1, &end, 10);
			if (!isdigit((unsigned char)eq[1]) || *end || errno ||
			    v > (key[0] == 's' ? TAR_MAX_SIZE : (int64_t)UINT32_MAX - 1))
				tar_fail(t, "a bad pax %s: '%.32s'", key, eq + 1);
			*(key[0] == 's' ? &t->size : key[0] == 'u' ? &t->uid : &t->gid) = v;
		}
		off += n;
	}
}

/*
 * Makes P relative and plain: "./a//b/" is "a/b", "./" is "". Absolute
 * paths and ".." are refused, naming LABEL: P is half rewritten by then.
 */
static void tar_clean_path(struct tar *t, char *p, const char *label)
{
	char *out = p;

	if (*p == '/')
		tar_fail(t, "%s: refused: an absolute path", label);
	for (const char *seg = p; *seg;) {
		size_t n = strcspn(seg, "/");

		if (n == 2 && !strncmp(seg, "..", 2))
			tar_fail(t, "%s: refused: a path with '..'", label);
		if (n && !(n == 1 && *seg == '.')) {
			if (out != p)
				*out++ = '/';
			memmove(out, seg, n);
			out += n;
		}
		seg += n;
		while (*seg == '/')
			seg++;
	}
	*out = '\0';
}

/*
 * An fd on folder DIR of the root ("": the root), walked one name at a
 * time and never through a symlink; CREATE makes missing folders.
 */
static int tar_open_dir(struct tar *t, const char *entry, const char *dir, bool create)
{
	int fd = dup(t->root);

	if (fd < 0)
		die_errno("dup");
	for (const char *seg = dir; *seg;) {
		size_t n = strcspn(seg, "/");
		char name[NAME_MAX + 1];
		int next, err, len;
		struct stat st;

		if (n > NAME_MAX)
			tar_fail(t, "%s: %s", entry, strerror(ENAMETOOLONG));
		memcpy(name, seg, n);
		name[n] = '\0';
		next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT && create && !mkdirat(fd, name, 0755))
			next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		err = errno;
		len = (int)(seg - dir + n);
		if (next < 0 && !fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode))
			tar_fail(t, "%s: refused: %.*s is a symlink", entry, len, dir);
		if (next < 0)
			tar_fail(t, "%s: %.*s: %s", entry, len, dir, strerror(err));
		close(fd);
		fd = next;
		seg += n + (seg[n] == '/');
	}
	return fd;
}

/* Copies P's folder into DIR ("" if none) and returns its last name. */
static const char *tar_split(const char *p, char *dir)
{
	const char *slash = strrchr(p, '/');
	size_t n = slash ? (size_t)(slash - p) : 0;

	memcpy(dir, p, n);
	dir[n] = '\0';
	return slash ? slash + 1 : p;
}

/* The folder of the entry; the last one's again when they share it. */
static int tar_parent(struct tar *t, const char *entry, const char *dir)
{
	if (t->dir_fd >= 0 && !strcmp(t->dir, dir))
		return t->dir_fd;
	if (t->dir_fd >= 0)
		close(t->dir_fd);
	t->dir_fd = tar_open_dir(t, entry, dir, true);
	snprintf(t->dir, sizeof t->dir, "%s", dir);
	return t->dir_fd;
}

/* As tar does, an entry replaces what is there; a folder stays for a folder. */
static bool tar_make_room(struct tar *t, const char *entry, int dir, const char *name, bool is_dir)
{
	struct stat st;

	if (fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW))
		return false;
	if (is_dir && S_ISDIR(st.st_mode))
		return true;
	if (unlinkat(dir, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0))
		tar_fail_errno(t, entry);
	return false;
}

struct tar_entry {
	char type;
	char path[PATH_MAX];
	char link[PATH_MAX];
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int64_t size, mtime;
	dev_t dev;
};

static void tar_owner(struct tar *t, const struct tar_entry *e, int fd, int dir, const char *name)
{
	int r = fd >= 0 ? fchown(fd, e->uid, e->gid) : fchownat(dir, name, e->uid, e->gid,
								 AT_SYMLINK_NOFOLLOW);

	if (r && errno == EINVAL)	/* in a user namespace, an id outside its maps */
		tar_fail(t, "%s: owner %lld:%lld is not mapped in the user namespace", e->path,
			 (long long)e->uid, (long long)e->gid);
	/* chown clears set-id bits: the mode comes after. */
	if (r || (fd >= 0 && fchmod(fd, e->mode)))
		tar_fail_errno(t, e->path);
}

/*
 * Where no tmpfs bounds the unpacking (the cache's folder): what tmpfs
 * would count, a 4 KiB block for each started and an inode per 4 KiB of
 * --rootfs-size, with its ENOSPC, so a tar bomb stops as it would in memory.
 */
static void tar_count(struct tar *t, const char *entry, int64_t size)
{
	if (!t->count_room)
		return;
	/* SIZE first: a size near INT64_MAX must not wrap the sum. */
	if (size > t->room || (t->used += (size + 4095) & ~(int64_t)4095) > t->room ||
	    ++t->inodes > (t->room >> 12) + 1) {
		errno = ENOSPC;
		tar_fail_errno(t, entry);
	}
}

static void tar_write_file(struct tar *t, const struct tar_entry *e, int dir, const char *name)
{
	struct timespec times[2] = { { 0, UTIME_OMIT }, { (time_t)e->mtime, 0 } };
	autoclose int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				  0600);

	if (fd < 0)
		tar_fail_errno(t, e->path);
	tar_copy(t, e->path, fd, tar_padded(e->size), e->size);
	tar_owner(t, e, fd, dir, name);
	futimens(fd, times);
}

static void tar_make_dir(struct tar *t, const struct tar_entry *e, int dir, const char *name)
{
	autoclose int fd = -1;

	if (!*name)
		fd = dup(t->root);
	else if (!tar_make_room(t, e->path, dir, name, true) && mkdirat(dir, name, 0700))
		tar_fail_errno(t, e->path);
	if (fd < 0)
		fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		tar_fail_errno(t, e->path);
	tar_owner(t, e, fd, dir, name);
}

/* A hard link's target is an entry of this archive, found the same safe way. */
static void tar_hard_link(struct tar *t, const struct tar_entry *e, int dir, const char *name)
{
	char target[PATH_MAX], folder[PATH_MAX];
	const char *target_name;
	autoclose int target_dir = -1;

	snprintf(target, sizeof target, "%s", e->link);
	tar_clean_path(t, target, xasprintf("%s: hard link to %s", e->path, e->link));
	target_name = tar_split(target, folder);
	if (!*target_name)
		tar_fail(t, "%s: refused: a hard link to the root", e->path);
	target_dir = tar_open_dir(t, e->path, folder, false);
	if (linkat(target_dir, target_name, dir, name, 0))
		tar_fail(t, "%s: link to %s: %s", e->path, e->link, strerror(errno));
}

static void tar_extract(struct tar *t, struct tar_entry *e)
{
	char clean[PATH_MAX], folder[PATH_MAX];
	const char *name;
	int dir;

	snprintf(clean, sizeof clean, "%s", e->path);
	tar_clean_path(t, clean, e->path);
	name = tar_split(clean, folder);
	if (!*name && e->type != '5')
		tar_fail(t, "%s: refused: the root must be a folder", e->path);
	dir = tar_parent(t, e->path, folder);
	if (e->type != '5' && *name)
		tar_make_room(t, e->path, dir, name, false);
	tar_count(t, e->path, e->type == '0' ? e->size : 0);
	switch (e->type) {
	case '0': tar_write_file(t, e, dir, name); return;
	case '5': tar_make_dir(t, e, dir, name); break;
	case '1': tar_hard_link(t, e, dir, name); break;
	case '2':
		if (symlinkat(e->link, dir, name))
			tar_fail_errno(t, e->path);
		tar_owner(t, e, -1, dir, name);
		break;
	default:	/* '3', '4', '6': devices and fifos */
		if (mknodat(dir, name, e->mode | (e->type == '3' ? S_IFCHR : e->type == '4' ?
						 S_IFBLK : S_IFIFO), e->dev))
			tar_fail_errno(t, e->path);
		tar_owner(t, e, -1, dir, name);
	}
	tar_copy(t, e->path, -1, tar_padded(e->size), 0);
}

/* The entry of header H, with what GNU and pax headers before it said. */
static void tar_read_entry(struct tar *t, const unsigned char *h, struct tar_entry *e)
{
	const char *name = (const char *)h, *prefix = (const char *)h + 345;
	int64_t mode = tar_number(h + 100, 8), uid = tar_number(h + 108, 8);
	int64_t gid = tar_number(h + 116, 8), major = tar_number(h + 329, 8);
	int64_t minor = tar_number(h + 337, 8);

	e->type = h[156] == '\0' || h[156] == '7' ? '0' : (char)h[156];
	e->size = t->size >= 0 ? t->size : tar_number(h + 124, 12);
	e->mtime = tar_number(h + 136, 12);
	/* As GNU tar: a size past what counts, or an id past uid_t's, is damage. */
	if (mode < 0 || uid < 0 || gid < 0 || e->size < 0 || e->size > TAR_MAX_SIZE ||
	    uid > (int64_t)UINT32_MAX - 1 || gid > (int64_t)UINT32_MAX - 1 || e->mtime < 0 ||
	    ((e->type == '3' || e->type == '4') && (major < 0 || minor < 0)))
		tar_fail(t, "%.100s: a damaged header", name);
	e->mode = (mode_t)mode & 07777;
	e->uid = (uid_t)(t->uid >= 0 ? t->uid : uid);
	e->gid = (gid_t)(t->gid >= 0 ? t->gid : gid);
	e->dev = makedev((unsigned)major, (unsigned)minor);
	if (*t->path)
		snprintf(e->path, sizeof e->path, "%s", t->path);
	else if (!memcmp(h + 257, "ustar\0", 6) && *prefix)	/* POSIX; GNU has no prefix */
		snprintf(e->path, sizeof e->path, "%.155s/%.100s", prefix, name);
	else
		snprintf(e->path, sizeof e->path, "%.100s", name);
	if (*t->link)
		snprintf(e->link, sizeof e->link, "%s", t->link);
	else
		snprintf(e->link, sizeof e->link, "%.100s", (const char *)h + 157);
	/* Old tars mark a folder with a slash only. */
	if (e->type == '0' && *e->path && e->path[strlen(e->path) - 1] == '/')
		e->type = '5';
	*t->path = *t->link = '\0';
	t->size = t->uid = t->gid = -1;
}

/* Unpacks the stream into ROOT; returns once the decompressor is done too. */
void unpack_tarball(struct tar *t, int root)
{
	static const unsigned char zeros[512];
	unsigned char h[512];
	struct tar_entry e;
	mode_t umask_was = umask(0);
	int status;

	t->root = root;
	t->dir_fd = -1;
	t->size = t->uid = t->gid = -1;
	for (bool first = true;; first = false) {
		tar_read(t, h, sizeof h);
		if (!memcmp(h, zeros, sizeof h))
			break;
		if (!tar_checksum_ok(h))
			tar_fail(t, first ? "not a tar archive" : "a damaged header");
		switch (h[156]) {
		case 'L': case 'K': case 'x': case 'g': {
			int64_t size = tar_number(h + 124, 12);
			char *blob = tar_read_blob(t, size);

			if (h[156] == 'L')
				tar_set_name(t, t->path, blob, strlen(blob));
			else if (h[156] == 'K')
				tar_set_name(t, t->link, blob, strlen(blob));
			else if (h[156] == 'x')
				tar_pax(t, blob, (size_t)size);
			free(blob);
			continue;
		}
		case '0': case '\0': case '1': case '2': case '3':
		case '4': case '5': case '6': case '7':
			break;
		default:
			tar_fail(t, "%.100s: entries of type '%c' are not supported",
				 (const char *)h, h[156]);
		}
		tar_read_entry(t, h, &e);
		tar_extract(t, &e);
	}
	/* The rest is padding; the decompressor must get to its end. */
	for (ssize_t n; (n = read(t->in, h, sizeof h)) > 0;)
		if (t->hash)
			sha256_update(t->hash, h, (size_t)n);
	close(t->in);
	if (t->dir_fd >= 0)
		close(t->dir_fd);
	umask(umask_was);
	if (t->decompressor > 0 && (waitpid(t->decompressor, &status, 0) < 0 || status))
		tar_fail(t, "%s -dc failed", t->tool);
}
