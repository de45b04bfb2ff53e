/*
 * t/unit.c: carapace's parsers tested alone, linked with the real modules
 * (the Makefile's build/unit/unit; t/015-unit.t runs it): the tar reader,
 * the seccomp profile reader, the size, CPU and limit options, the
 * passwd and group reader, and validate_spec, which must leave the spec
 * as the front end made it. Prints TAP. An error path ends in die(), which
 * exits: each runs in a forked child, and the test checks its exit code
 * and its one line on stderr, as bubblewrap's test-utils.c and crun's
 * tests_libcrun_* do.
 *
 * SPDX-License-Identifier: MIT
 */
#include "../src/carapace.h"
#include <ftw.h>

static int tests, failures;

__attribute__((format(printf, 2, 3)))
static bool ok(bool pass, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", pass ? "" : "not ", ++tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	failures += !pass;
	return pass;
}

static void diag(const char *what, const char *got, const char *want)
{
	printf("#      got %s: '%s'\n# expected %s: '%s'\n", what, got, what, want);
}

static bool is_str(const char *got, const char *want, const char *desc)
{
	bool pass = got && !strcmp(got, want);

	if (!ok(pass, "%s", desc))
		diag("", got ? got : "(null)", want);
	return pass;
}

static bool is_num(long long got, long long want, const char *desc)
{
	bool pass = got == want;

	if (!ok(pass, "%s", desc))
		printf("#      got: %lld\n# expected: %lld\n", got, want);
	return pass;
}

/* What a forked child did: its exit code (or 128 + signal) and its stderr. */
struct outcome {
	int code;
	char err[2048];
};

/* Runs FN(ARG) in a child whose stderr is caught; the child exits 0 if FN returns. */
static struct outcome in_child(void (*fn)(const void *), const void *arg)
{
	struct outcome o = { .code = -1 };
	int pipe_fds[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	fflush(stdout);	/* or the child's exit() prints the parent's buffered TAP again */
	if (pipe(pipe_fds) || (pid = fork()) < 0) {
		perror("unit: fork");
		exit(2);
	}
	if (pid == 0) {
		dup2(pipe_fds[1], STDERR_FILENO);
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		fn(arg);
		exit(0);
	}
	close(pipe_fds[1]);
	while ((n = read(pipe_fds[0], o.err + len, sizeof o.err - 1 - len)) > 0)
		len += (size_t)n;
	o.err[len] = '\0';
	close(pipe_fds[0]);
	if (waitpid(pid, &status, 0) == pid)
		o.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	return o;
}

/* FN(ARG) dies with exit 125 and exactly "carapace: MESSAGE\n". */
static void dies(void (*fn)(const void *), const void *arg, const char *message,
		 const char *desc)
{
	struct outcome o = in_child(fn, arg);
	char want[1024];

	snprintf(want, sizeof want, "carapace: %s\n", message);
	if (!ok(o.code == 125 && !strcmp(o.err, want), "%s", desc)) {
		printf("#      got: exit %d, '%s'\n", o.code, o.err);
		printf("# expected: exit 125, '%s'\n", want);
	}
}

/* FN(ARG) returns, with nothing on stderr. */
static void lives(void (*fn)(const void *), const void *arg, const char *desc)
{
	struct outcome o = in_child(fn, arg);

	if (!ok(o.code == 0 && !*o.err, "%s", desc))
		printf("#      got: exit %d, '%s'\n", o.code, o.err);
}

/* The test's scratch folder, under $TMPDIR; removed at the end. */
static char scratch[PATH_MAX];

static char *scratch_path(const char *name)
{
	return xasprintf("%s/%s", scratch, name);
}

static char *write_file(const char *name, const void *data, size_t len)
{
	char *path = scratch_path(name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd)) {
		perror(path);
		exit(2);
	}
	return path;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path) && errno != ENOENT ? -1 : 0;
}

static void remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- src/options.c: sizes, CPUs, CPU lists, ulimits */

static void size_of(const void *s) { printf("%lld", (long long)parse_size("--memory", s)); }
static void cpus_of(const void *s) { parse_cpus(s); }
static void cpuset_of(const void *s) { check_cpuset(s); }

static struct container ulimit_spec;
static void ulimit_of(const void *s) { parse_ulimit(&ulimit_spec, s); }

static void test_sizes(void)
{
	static const struct { const char *in; long long want; } good[] = {
		{ "1", 1 }, { "4096", 4096 }, { "1k", 1024 }, { "1K", 1024 }, { "64m", 64 << 20 },
		{ "2G", 2LL << 30 }, { "8589934591g", 8589934591LL << 30 },
		{ "9223372036854775807", INT64_MAX },
	};
	static const char *const bad[] = {
		"0", "0k", "-1", " 1", "+1", "1x", "1kb", "k", "", "1.5m", "8589934592g",
		"9223372036854775808", "99999999999999999999",
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char desc[128];

		snprintf(desc, sizeof desc, "parse_size: '%s' is %lld bytes", good[i].in, good[i].want);
		is_num(parse_size("--memory", good[i].in), good[i].want, desc);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char desc[128], msg[256];

		snprintf(desc, sizeof desc, "parse_size: '%s' is refused", bad[i]);
		snprintf(msg, sizeof msg, "--memory: not a size (bytes, or with k, m or g): '%s'", bad[i]);
		dies(size_of, bad[i], msg, desc);
	}
}

static void test_cpus(void)
{
	static const struct { const char *in; long long want; } good[] = {
		{ "1", 100000 }, { "0.5", 50000 }, { ".5", 50000 }, { "1.", 100000 },
		{ "0.001", 100 }, { "1.2345", 123450 }, { "1024", 102400000 }, { "007", 700000 },
	};
	static const char *const bad[] = {
		"0", "0.0004", "1024.001", "1025", "-1", "+1", " 1", "1e3", "0x10", "inf", "nan",
		".", "", "1,5", "1.2.3", "1 ",
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char desc[128];

		snprintf(desc, sizeof desc, "parse_cpus: '%s' is %lld us per 100000", good[i].in,
			 good[i].want);
		is_num((long long)parse_cpus(good[i].in), good[i].want, desc);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char desc[128], msg[256];

		snprintf(desc, sizeof desc, "parse_cpus: '%s' is refused", bad[i]);
		snprintf(msg, sizeof msg, "--cpus: not a number from 0.001 to 1024: '%s'", bad[i]);
		dies(cpus_of, bad[i], msg, desc);
	}
}

static void test_cpusets(void)
{
	static const char *const malformed[] = {
		"", ",", "0,", ",0", "0-", "-0", "a", "0-a", "0--1", "0 ", " 0", "0;1", "00000",
	};
	cpu_set_t allowed;
	int first = -1, last = -1, online = (int)sysconf(_SC_NPROCESSORS_ONLN);
	char list[64], msg[256];

	if (sched_getaffinity(0, sizeof allowed, &allowed))
		return;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &allowed) && first < 0)
			first = cpu;
		if (CPU_ISSET(cpu, &allowed))
			last = cpu;
	}
	snprintf(list, sizeof list, "%d", first);
	lives(cpuset_of, list, "check_cpuset: the first CPU this process may run on");
	snprintf(list, sizeof list, "%d-%d", first, first);
	lives(cpuset_of, list, "check_cpuset: a range of one");
	snprintf(list, sizeof list, "%d,%d", last, first);
	lives(cpuset_of, list, "check_cpuset: a list, in any order");
	for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
		char desc[128];

		snprintf(desc, sizeof desc, "check_cpuset: '%s' is no CPU list", malformed[i]);
		snprintf(msg, sizeof msg, "--cpuset-cpus: not a CPU list like 0-2,4: '%s'", malformed[i]);
		dies(cpuset_of, malformed[i], msg, desc);
	}
	if (last > 0) {
		snprintf(list, sizeof list, "%d-%d", last, first);
		snprintf(msg, sizeof msg, "--cpuset-cpus: not a CPU list like 0-2,4: '%s'", list);
		dies(cpuset_of, list, msg, "check_cpuset: a range backwards");
	}
	snprintf(msg, sizeof msg, "--cpuset-cpus: CPU 1024 is not one carapace may run on "
		 "(%d online): '%d,1024'", online, first);
	snprintf(list, sizeof list, "%d,1024", first);
	dies(cpuset_of, list, msg, "check_cpuset: a CPU past CPU_SETSIZE is named");
}

static void test_ulimits(void)
{
	static const struct { const char *in; int resource; rlim_t soft, hard; } good[] = {
		{ "nofile=1024:2048", RLIMIT_NOFILE, 1024, 2048 },
		{ "core=0", RLIMIT_CORE, 0, 0 },
		{ "stack=unlimited", RLIMIT_STACK, RLIM_INFINITY, RLIM_INFINITY },
		{ "nproc=-1:-1", RLIMIT_NPROC, RLIM_INFINITY, RLIM_INFINITY },
		{ "memlock=64:unlimited", RLIMIT_MEMLOCK, 64, RLIM_INFINITY },
	};
	static const struct { const char *in, *msg; } bad[] = {
		{ "bogus=1", "--ulimit: unknown limit (nofile, nproc, core, stack, ...): 'bogus=1'" },
		{ "nofile", "--ulimit: unknown limit (nofile, nproc, core, stack, ...): 'nofile'" },
		{ "nofil=1", "--ulimit: unknown limit (nofile, nproc, core, stack, ...): 'nofil=1'" },
		{ "nofile=", "--ulimit: expected NAME=SOFT[:HARD]: 'nofile='" },
		{ "nofile=1:", "--ulimit: expected NAME=SOFT[:HARD]: 'nofile=1:'" },
		{ "nofile=:1", "--ulimit: expected NAME=SOFT[:HARD]: 'nofile=:1'" },
		{ "nofile=x", "--ulimit: not a number or unlimited: 'nofile=x'" },
		{ "nofile=-2", "--ulimit: not a number or unlimited: 'nofile=-2'" },
		{ "nofile=1:2:3", "--ulimit: not a number or unlimited: 'nofile=1:2:3'" },
		{ "nofile=2:1", "--ulimit: soft limit above hard limit: 'nofile=2:1'" },
		{ "nofile=unlimited:1", "--ulimit: soft limit above hard limit: 'nofile=unlimited:1'" },
	};

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct rlimit_spec *r;
		char desc[128];
		size_t n = ulimit_spec.privileges.rlimits_len;

		parse_ulimit(&ulimit_spec, good[i].in);
		r = &ulimit_spec.privileges.rlimits[n];
		snprintf(desc, sizeof desc, "parse_ulimit: '%s' is appended, its limits as given",
			 good[i].in);
		ok(ulimit_spec.privileges.rlimits_len == n + 1 && r->resource == good[i].resource &&
		   r->limit.rlim_cur == good[i].soft && r->limit.rlim_max == good[i].hard &&
		   !strcmp(r->arg, good[i].in), "%s", desc);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char desc[128];

		snprintf(desc, sizeof desc, "parse_ulimit: '%s' is refused", bad[i].in);
		dies(ulimit_of, bad[i].in, bad[i].msg, desc);
	}
}

/* --- src/tar.c: an archive made here, one 512-byte block at a time */

struct archive {
	unsigned char *data;
	size_t len;
};

/* N - 1 octal digits, then a NUL, as tar writes a number. */
static void put_octal(unsigned char *field, size_t n, unsigned long long v)
{
	field[n - 1] = '\0';
	for (size_t i = n - 1; i-- > 0; v >>= 3)
		field[i] = (unsigned char)('0' + (v & 7));
}

static void seal_header(unsigned char *h)
{
	unsigned sum = 0;

	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

static unsigned char *add_block(struct archive *a)
{
	a->data = xrealloc(a->data, a->len + 512);
	memset(a->data + a->len, 0, 512);
	a->len += 512;
	return a->data + a->len - 512;
}

/* An entry: TYPE, NAME, LINK, and DATA of LEN bytes, owned by the test's user. */
static unsigned char *add_entry(struct archive *a, char type, const char *name, const char *link,
				const void *data, size_t len)
{
	unsigned char *h = add_block(a);
	size_t off;

	memcpy(h, name, strnlen(name, 100));
	put_octal(h + 100, 8, type == '5' ? 0755 : 0644);
	put_octal(h + 108, 8, getuid());
	put_octal(h + 116, 8, getgid());
	put_octal(h + 124, 12, len);
	put_octal(h + 136, 12, 1700000000);
	h[156] = (unsigned char)type;
	if (link)
		memcpy(h + 157, link, strnlen(link, 100));
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	seal_header(h);
	off = (size_t)(h - a->data);
	for (size_t done = 0; done < len; done += 512)
		memcpy(add_block(a), (const char *)data + done, len - done < 512 ? len - done : 512);
	return a->data + off;
}

static void end_archive(struct archive *a)
{
	add_block(a);
	add_block(a);
}

/* A pax header record, "LEN key=value\n", LEN counting itself. */
static char *pax_record(const char *key, const char *value)
{
	size_t body = strlen(key) + strlen(value) + 3, len = body + 1;

	while (snprintf(NULL, 0, "%zu", len) + body != len)
		len++;
	return xasprintf("%zu %s=%s\n", len, key, value);
}

/* Where unpack_tarball of an archive writes, and what it reads. */
struct unpack {
	const struct archive *a;
	const char *root;
};

static void unpack(const void *arg)
{
	const struct unpack *u = arg;
	struct tar t = { .name = "test.tar", .decompressor = -1, .room = 64 << 20 };
	int root = open(u->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	t.in = memfd_create("test.tar", MFD_CLOEXEC);
	if (root < 0 || t.in < 0 || write(t.in, u->a->data, u->a->len) != (ssize_t)u->a->len ||
	    lseek(t.in, 0, SEEK_SET))
		die_errno("unit: the archive");
	unpack_tarball(&t, root);
	close(root);
}

/* A fresh root to unpack into. */
static char *new_root(const char *name)
{
	char *path = scratch_path(name);

	remove_tree(path);
	if (mkdir(path, 0755))
		die_errno("unit: mkdir %s", path);
	return path;
}

static char *read_back(const char *root, const char *path)
{
	static char buf[4096];
	char *full = xasprintf("%s/%s", root, path);
	int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	if (fd >= 0)
		close(fd);
	free(full);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static void test_tar_good(void)
{
	struct archive a = { 0 };
	char long_name[300], *pax, *root, link[PATH_MAX], *full;
	struct unpack u = { &a, NULL };
	struct stat st, st2;
	ssize_t n;

	memset(long_name, 'n', sizeof long_name);
	memcpy(long_name, "dir/", 4);
	long_name[150] = '/';	/* no name of a path over NAME_MAX */
	long_name[sizeof long_name - 1] = '\0';
	add_entry(&a, '5', "./", NULL, "", 0);
	add_entry(&a, '5', "dir/", NULL, "", 0);
	add_entry(&a, '0', "dir/file", NULL, "hello\n", 6);
	add_entry(&a, '0', "./dir//sub/./deep", NULL, "deep\n", 5);	/* its folders made */
	add_entry(&a, '2', "dir/symlink", "file", "", 0);
	add_entry(&a, '1', "dir/hardlink", "dir/file", "", 0);
	add_entry(&a, '6', "fifo", NULL, "", 0);
	add_entry(&a, '0', "old-style-folder/", NULL, "", 0);		/* a slash only */
	add_entry(&a, 'L', "././@LongLink", NULL, long_name, strlen(long_name) + 1);
	add_entry(&a, '0', "ignored", NULL, "long\n", 5);
	pax = pax_record("path", "dir/pax name with spaces");
	add_entry(&a, 'x', "PaxHeader", NULL, pax, strlen(pax));
	add_entry(&a, '0', "ignored-too", NULL, "pax\n", 4);
	add_entry(&a, '0', "dir/file", NULL, "replaced\n", 9);		/* as tar: the last wins */
	end_archive(&a);
	u.root = root = new_root("good");
	lives(unpack, &u, "tar: an archive of folders, files, links, a fifo, GNU and pax names unpacks");
	is_str(read_back(root, "dir/file"), "replaced\n", "tar: a file's data; a later entry replaces it");
	is_str(read_back(root, "dir/sub/deep"), "deep\n", "tar: './a//b/./c' is a/b/c, its folders made");
	full = xasprintf("%s/dir/symlink", root);
	n = readlink(full, link, sizeof link - 1);
	link[n > 0 ? n : 0] = '\0';
	is_str(link, "file", "tar: a symlink, as written");
	free(full);
	full = xasprintf("%s/dir/hardlink", root);
	ok(!stat(full, &st) && st.st_nlink == 1 && !strcmp(read_back(root, "dir/hardlink"), "hello\n"),
	   "tar: a hard link to an entry: the first file, which the replacement unlinked");
	free(full);
	full = xasprintf("%s/fifo", root);
	ok(!lstat(full, &st) && S_ISFIFO(st.st_mode) && (st.st_mode & 07777) == 0644,
	   "tar: a fifo, with its mode");
	free(full);
	full = xasprintf("%s/old-style-folder", root);
	ok(!lstat(full, &st) && S_ISDIR(st.st_mode), "tar: a regular entry whose name ends in / is a folder");
	free(full);
	is_str(read_back(root, long_name), "long\n", "tar: a GNU long name (300 bytes) names the next entry");
	is_str(read_back(root, "dir/pax name with spaces"), "pax\n", "tar: a pax path names the next entry");
	ok(!read_back(root, "ignored") && !read_back(root, "ignored-too"),
	   "tar: the header names the long names replaced are not made");
	full = xasprintf("%s/dir/file", root);
	ok(!stat(full, &st) && st.st_mtime == 1700000000 && (st.st_mode & 07777) == 0644 &&
	   st.st_uid == getuid(), "tar: a file's mtime, mode and owner");
	free(full);
	full = xasprintf("%s/dir", root);
	ok(!stat(full, &st2) && (st2.st_mode & 07777) == 0755, "tar: a folder's mode");
	free(full);
	free(pax);
	free(a.data);
}

/* An archive of the entries that ADD makes dies with MESSAGE. */
static void tar_dies(void (*add)(struct archive *), const char *message, const char *desc)
{
	struct archive a = { 0 };
	struct unpack u = { &a, NULL };
	char *msg = xasprintf("rootfs: test.tar: %s", message);

	add(&a);
	u.root = new_root("bad");
	dies(unpack, &u, msg, desc);
	free(msg);
	free(a.data);
}

static void tar_dotdot(struct archive *a) { add_entry(a, '0', "a/../../escape", NULL, "x", 1); end_archive(a); }
static void tar_dotdot_end(struct archive *a) { add_entry(a, '5', "a/..", NULL, "", 0); end_archive(a); }
static void tar_absolute(struct archive *a) { add_entry(a, '0', "/etc/escape", NULL, "x", 1); end_archive(a); }
static void tar_through_symlink(struct archive *a)
{
	add_entry(a, '2', "link", "/tmp", "", 0);
	add_entry(a, '0', "link/escape", NULL, "x", 1);
	end_archive(a);
}
static void tar_hard_link_out(struct archive *a) { add_entry(a, '1', "h", "../../etc/passwd", "", 0); end_archive(a); }
static void tar_hard_link_root(struct archive *a) { add_entry(a, '1', "h", "./", "", 0); end_archive(a); }
static void tar_hard_link_via_symlink(struct archive *a)
{
	add_entry(a, '2', "etc", "/etc", "", 0);
	add_entry(a, '1', "h", "etc/passwd", "", 0);
	end_archive(a);
}
static void tar_root_file(struct archive *a) { add_entry(a, '0', ".", NULL, "x", 1); end_archive(a); }
static void tar_not_tar(struct archive *a) { memcpy(add_block(a), "not a tar", 9); add_block(a); }
static void tar_bad_sum(struct archive *a)
{
	add_entry(a, '0', "good", NULL, "x", 1);
	add_entry(a, '0', "bad", NULL, "x", 1)[148] ^= 1;
	end_archive(a);
}
static void tar_bad_mode(struct archive *a)
{
	unsigned char *h = add_entry(a, '0', "badmode", NULL, "", 0);

	memcpy(h + 100, "0000999", 7);
	seal_header(h);
	end_archive(a);
}
static void tar_bad_size(struct archive *a)
{
	unsigned char *h = add_entry(a, '0', "badsize", NULL, "", 0);

	memcpy(h + 124, "1x", 2);
	seal_header(h);
	end_archive(a);
}
static void tar_huge_size(struct archive *a)
{
	unsigned char *h = add_entry(a, '0', "huge", NULL, "", 0);

	memset(h + 124, 0xff, 12);	/* base-256, and past int64_t */
	h[124] = 0x80;
	seal_header(h);
	end_archive(a);
}
static void tar_cut_short(struct archive *a) { add_entry(a, '0', "cut", NULL, "0123456789", 10); a->len -= 512; }
static void tar_no_end(struct archive *a) { add_entry(a, '0', "f", NULL, "x", 1); }
static void tar_type(struct archive *a) { add_entry(a, 'S', "sparse", NULL, "", 0); end_archive(a); }
static void tar_big_header(struct archive *a)
{
	unsigned char *h = add_entry(a, 'x', "PaxHeader", NULL, "", 0);

	put_octal(h + 124, 12, (1 << 20) + 1);
	seal_header(h);
	end_archive(a);
}
static void tar_pax_damaged(struct archive *a)
{
	add_entry(a, 'x', "PaxHeader", NULL, "99 path=x\n", 10);
	add_entry(a, '0', "f", NULL, "", 0);
	end_archive(a);
}
static void tar_pax_no_eq(struct archive *a)
{
	add_entry(a, 'x', "PaxHeader", NULL, "8 pathx\n", 8);
	add_entry(a, '0', "f", NULL, "", 0);
	end_archive(a);
}
static void tar_pax_bad_size(struct archive *a)
{
	char *rec = pax_record("size", "-5");

	add_entry(a, 'x', "PaxHeader", NULL, rec, strlen(rec));
	add_entry(a, '0', "f", NULL, "", 0);
	end_archive(a);
	free(rec);
}
static void tar_pax_nul(struct archive *a)
{
	static const char rec[] = "12 path=a\0b\n";

	add_entry(a, 'x', "PaxHeader", NULL, rec, sizeof rec - 1);
	add_entry(a, '0', "f", NULL, "", 0);
	end_archive(a);
}

static void test_tar_bad(void)
{
	tar_dies(tar_dotdot, "a/../../escape: refused: a path with '..'", "tar: '..' in a path is refused");
	tar_dies(tar_dotdot_end, "a/..: refused: a path with '..'", "tar: a path ending in '..' too");
	tar_dies(tar_absolute, "/etc/escape: refused: an absolute path", "tar: an absolute path is refused");
	tar_dies(tar_through_symlink, "link/escape: refused: link is a symlink",
		 "tar: an entry through a symlink of the archive is refused");
	tar_dies(tar_hard_link_out, "h: hard link to ../../etc/passwd: refused: a path with '..'",
		 "tar: a hard link out of the root is refused");
	tar_dies(tar_hard_link_root, "h: refused: a hard link to the root",
		 "tar: a hard link to the root is refused");
	tar_dies(tar_hard_link_via_symlink, "h: refused: etc is a symlink",
		 "tar: a hard link through a symlink is refused");
	tar_dies(tar_root_file, ".: refused: the root must be a folder", "tar: the root as a file is refused");
	tar_dies(tar_not_tar, "not a tar archive", "tar: a file that isn't a tar");
	tar_dies(tar_bad_sum, "a damaged header", "tar: a later header with a bad checksum");
	tar_dies(tar_bad_mode, "badmode: a damaged header", "tar: a mode that isn't octal");
	tar_dies(tar_bad_size, "badsize: a damaged header", "tar: a size that isn't octal");
	tar_dies(tar_huge_size, "huge: a damaged header", "tar: a base-256 size past int64_t");
	tar_dies(tar_cut_short, "the archive is cut short", "tar: data cut short");
	tar_dies(tar_no_end, "the archive is cut short", "tar: no end blocks");
	tar_dies(tar_type, "sparse: entries of type 'S' are not supported", "tar: an unknown entry type");
	tar_dies(tar_big_header, "a header of 1048577 bytes", "tar: a pax header over 1 MiB");
	tar_dies(tar_pax_damaged, "a damaged pax header", "tar: a pax record longer than its header");
	tar_dies(tar_pax_no_eq, "a damaged pax header", "tar: a pax record without '='");
	tar_dies(tar_pax_bad_size, "a bad pax size: '-5'", "tar: a negative pax size");
	tar_dies(tar_pax_nul, "a name too long, or with a NUL", "tar: a pax path with a NUL");
	ok(access("/tmp/escape", F_OK) && access("/etc/escape", F_OK),
	   "tar: and nothing was written outside the roots");
}

/* --- src/seccomp.c: profiles, read and then installed in a child */

struct filter_probe {
	const char *profile;
	long nr;		/* the system call to try */
};

/*
 * Installs PROFILE's filter and makes system call NR on a path that isn't
 * there: exits 1 for EPERM, 3 for ENOSYS (the filter's), 0 for the call's
 * own answer.
 */
static void probe_filter(const void *arg)
{
	const struct filter_probe *p = arg;
	struct container c = { .privileges.seccomp = p->profile };
	static struct seccomp_filter f;
	long r;

	build_seccomp(&c, &f);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die_errno("unit: no_new_privs");
	install_seccomp(&f);
	errno = 0;
	r = syscall(p->nr, "/nonexistent-unit-dir/x", 0700);
	/* Not _exit: under ASan, its wrapper makes calls that the filter may deny. */
	syscall(SYS_exit_group, r == -1 && errno == EPERM ? 1 : r == -1 && errno == ENOSYS ? 3 : 0);
}

static void read_profile_of(const void *path)
{
	struct container c = { .privileges.seccomp = path };
	static struct seccomp_filter f;

	build_seccomp(&c, &f);
}

static int filter_verdict(const char *profile, long nr)
{
	struct filter_probe p = { profile, nr };

	return in_child(probe_filter, &p).code;
}

static void test_seccomp(void)
{
	static const char allow_but_mkdir[] =
		"# a comment, then a blank line\n\n  default: allow  \r\nmkdir errno # no folders\n";
	static const char errno_but_rmdir[] = "default: errno\nrmdir allow\n";
	static const char nul[] = "default: allow\nmk\0dir errno\n";
	static const char kill_mkdir[] = "default: allow\n\tmkdir\tkill\n";
	static const char no_trailing_newline[] = "default: allow\nmkdir errno";
	char *p;
	struct {
		const char *name, *text, *msg, *desc;
		size_t len;
	} bad[] = {
		{ "empty", "", "%s: no 'default: ACTION' line", "a profile with no lines", 0 },
		{ "comments", "# only\n\n", "%s: no 'default: ACTION' line", "only comments", 0 },
		{ "first", "mkdir errno\ndefault: allow\n", "%s:1: expected 'default: ACTION' first",
		  "a rule before the default", 0 },
		{ "action", "default: allow\nmkdir deny\n",
		  "%s:2: unknown action 'deny' (allow, errno or kill)", "an unknown action", 0 },
		{ "dflt", "default: maybe\n", "%s:1: unknown action 'maybe' (allow, errno or kill)",
		  "an unknown default action", 0 },
		{ "syscall", "default: allow\n\nnosuchcall errno\n", "%s:3: unknown system call 'nosuchcall'",
		  "an unknown system call, its line counted", 0 },
		{ "words", "default: allow\nmkdir errno now\n", "%s:2: expected NAME ACTION",
		  "three words", 0 },
		{ "word", "default: allow\nmkdir\n", "%s:2: expected NAME ACTION", "one word", 0 },
		{ "nul", nul, "%s:2: a NUL byte", "a NUL byte", sizeof nul - 1 },
	};

	p = write_file("allow-but-mkdir", allow_but_mkdir, strlen(allow_but_mkdir));
	is_num(filter_verdict(p, SYS_mkdir), 1, "seccomp: a rule's errno: mkdir gets EPERM");
	is_num(filter_verdict(p, SYS_rmdir), 0, "seccomp: default allow: rmdir runs (and fails on its own)");
	free(p);
	p = write_file("no-newline", no_trailing_newline, strlen(no_trailing_newline));
	is_num(filter_verdict(p, SYS_mkdir), 1, "seccomp: the last line needs no newline");
	free(p);
	p = write_file("errno-but-rmdir", errno_but_rmdir, strlen(errno_but_rmdir));
	is_num(filter_verdict(p, SYS_rmdir), 0, "seccomp: default errno: the rule's allow: rmdir runs");
	is_num(filter_verdict(p, SYS_mkdir), 1, "seccomp: default errno: mkdir (below rmdir) gets EPERM");
	is_num(filter_verdict(p, SYS_mkdirat), 3,
	       "seccomp: default errno: mkdirat, above the highest named, gets ENOSYS (as runc)");
	free(p);
	p = write_file("kill-mkdir", kill_mkdir, strlen(kill_mkdir));
	is_num(filter_verdict(p, SYS_mkdir), 128 + SIGSYS, "seccomp: kill: mkdir ends the process with SIGSYS");
	is_num(filter_verdict(p, SYS_rmdir), 0, "seccomp: kill: other calls run");
	free(p);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *path = write_file(bad[i].name, bad[i].text, bad[i].len ? bad[i].len : strlen(bad[i].text));
		char *msg = xasprintf(bad[i].msg, path), *full = xasprintf("seccomp: %s", msg);
		char desc[128];

		snprintf(desc, sizeof desc, "seccomp: %s is refused, naming the line", bad[i].desc);
		dies(read_profile_of, path, full, desc);
		free(path), free(msg), free(full);
	}
	p = scratch_path("no-such-profile");
	{
		char *msg = xasprintf("seccomp: %s: No such file or directory", p);

		dies(read_profile_of, p, msg, "seccomp: a missing profile");
		free(msg);
	}
	free(p);
	{
		char *msg = xasprintf("seccomp: %s: not a regular file", scratch);

		dies(read_profile_of, scratch, msg, "seccomp: a folder for a profile");
		free(msg);
	}
}

/* --- src/security.c find_entry and src/spec.c's text files */

/* Reads every line of PATH, as a name that isn't there does. */
static void find_entry_of(const void *path)
{
	char *field[7];

	find_entry(CONTAINER_FILE, path, "ghost", -1, field);
}

static void test_passwd(void)
{
	char long_line[6000], *path, *field[7], *line;
	static const char passwd[] =
		"root:x:0:0:root:/root:/bin/sh\n"
		"\n"
		"short:x:7\n"
		":x:8:8::/:/bin/sh\n"
		"bad:x:notanumber:1::/:/bin/sh\n"
		"neg:x:-1:1::/:/bin/sh\n"
		"big:x:4294967295:1::/:/bin/sh\n"
		"app:x:1000:1001:An App:/home/app:/bin/sh\n"
		"dup:x:1000:1000::/first:/bin/sh\n"
		"fields:x:1002:1002\n"
		"noshell:x:1003:1003::/home/noshell";
	struct text_file t;
	int lines = 0;

	/* A found line points into the file's text, kept for good: never freed. */

	path = write_file("passwd", passwd, strlen(passwd));
	line = find_entry(CONTAINER_FILE, path, "app", -1, field);
	ok(line && !strcmp(field[0], "app") && !strcmp(field[2], "1000") && !strcmp(field[3], "1001") &&
	   !strcmp(field[4], "An App") && !strcmp(field[5], "/home/app") && !strcmp(field[6], "/bin/sh"),
	   "find_entry: by name, every field");
	line = find_entry(CONTAINER_FILE, path, NULL, 1000, field);
	ok(line && !strcmp(field[0], "app"), "find_entry: by id, the first line with it");
	line = find_entry(CONTAINER_FILE, path, "fields", -1, field);
	ok(line && !strcmp(field[3], "1002") && !field[4] && !field[5],
	   "find_entry: a line of 4 fields, the rest NULL");
	line = find_entry(CONTAINER_FILE, path, "noshell", -1, field);
	ok(line && !strcmp(field[5], "/home/noshell") && !field[6], "find_entry: the last line, without a newline");
	ok(!find_entry(CONTAINER_FILE, path, "", -1, field), "find_entry: an empty name matches nothing");
	ok(!find_entry(CONTAINER_FILE, path, NULL, 8, field),
	   "find_entry: a line with an empty name is no entry");
	ok(!find_entry(CONTAINER_FILE, path, "short", -1, field),
	   "find_entry: a line of 3 fields is no entry");
	ok(!find_entry(CONTAINER_FILE, path, "bad", -1, field) &&
	   !find_entry(CONTAINER_FILE, path, "neg", -1, field) &&
	   !find_entry(CONTAINER_FILE, path, "big", -1, field),
	   "find_entry: a line without an id from 0 to 4294967294 is no entry");
	ok(!find_entry(CONTAINER_FILE, path, "ghost", -1, field), "find_entry: no such name");
	ok(!find_entry(CONTAINER_FILE, path, NULL, 4242, field), "find_entry: no such id");
	free(path);
	path = scratch_path("no-passwd");
	ok(!find_entry(CONTAINER_FILE, path, "root", -1, field), "find_entry: no file is no entry");
	free(path);

	/* A line longer than any buffer is one line: its tail is no entry of its own. */
	memset(long_line, 'x', 4096);
	strcpy(long_line + 4096, "root:x:0:0::/:/bin/sh\n");
	path = write_file("long", long_line, strlen(long_line));
	ok(!find_entry(CONTAINER_FILE, path, "root", -1, field),
	   "find_entry: the tail of a 4117-byte line is no line of its own");
	free(path);
	memset(long_line, 'y', 5000);
	strcpy(long_line + 5000, ":x:9:9::/:/bin/sh\nroot:x:0:0::/:/bin/sh\n");
	path = write_file("long2", long_line, strlen(long_line));
	line = find_entry(CONTAINER_FILE, path, NULL, 9, field);
	ok(line && strlen(field[0]) == 5000, "find_entry: a 5000-byte name, read whole");
	line = find_entry(CONTAINER_FILE, path, "root", -1, field);
	ok(line != NULL, "find_entry: and the line after it");
	free(path);

	path = write_file("nul", "root:x:0:0\nap\0p:x:1:1\n", 22);
	{
		char *msg = xasprintf("--user: the container's %s:2: a NUL byte", path);

		dies(find_entry_of, path, msg, "find_entry: a NUL byte dies, naming whose file and the line");
		free(msg);
	}
	free(path);
	path = scratch_path("fifo");
	if (!mkfifo(path, 0644)) {
		char *msg = xasprintf("--user: the container's %s: not a regular file", path);

		dies(find_entry_of, path, msg, "find_entry: a FIFO is refused, not read (which would hang)");
		free(msg);
	}
	free(path);
	{
		char *big = xrealloc(NULL, (4 << 20) + 1), *msg;

		memset(big, '\n', (4 << 20) + 1);
		path = write_file("big", big, (4 << 20) + 1);
		msg = xasprintf("--user: the container's %s: larger than 4 MiB", path);
		dies(find_entry_of, path, msg, "find_entry: a file over 4 MiB is refused");
		free(msg), free(big), free(path);
	}

	path = write_file("lines", "one\n\nthree\r\nfour", 16);
	if (ok(open_text_file(&t, "unit: ", path), "text_file: opens a regular file")) {
		const char *want[] = { "one", "", "three\r", "four" };

		for (char *l; (l = next_line(&t)); lines++)
			if (lines < 4 && strcmp(l, want[lines]))
				break;
		is_num(lines * 100 + t.number, 404, "text_file: 4 lines, numbered, an empty one and the last kept");
		close_text_file(&t);
	}
	free(path);
}

/* --- src/spec.c validate_spec: it checks the spec, fills struct runtime, and changes nothing */

/* The spec that the command line makes of ARGS, as after "carapace". */
static struct container cmdline_spec(const char *const *args)
{
	struct container c = { .process.action = EXEC_COMMAND };
	char **argv;
	int argc = 0;

	while (args[argc])
		argc++;
	argv = xrealloc(NULL, (argc + 1) * sizeof *argv);
	for (int i = 0; i <= argc; i++)
		argv[i] = args[i] ? strdup(args[i]) : NULL;
	optind = 0;	/* getopt starts afresh, on musl and on glibc */
	parse_run_options(&c, argc, argv);
	return c;
}

/* A spec's fields, its mounts and its environment, byte for byte. */
struct spec_copy {
	struct container c;
	struct mount_spec *mounts;
	char **env;
};

static struct spec_copy copy_spec(const struct container *c)
{
	struct spec_copy s;
	size_t env_size = (c->process.env_len + 1) * sizeof *c->process.env;

	memcpy(&s.c, c, sizeof *c);
	s.mounts = xrealloc(NULL, c->mounts_len * sizeof *c->mounts + 1);
	memcpy(s.mounts, c->mounts, c->mounts_len * sizeof *c->mounts);
	s.env = xrealloc(NULL, env_size);
	memcpy(s.env, c->process.env, env_size);
	return s;
}

static bool same_spec(const struct spec_copy *s, const struct container *c)
{
	return !memcmp(&s->c, c, sizeof *c) &&
	       !memcmp(s->mounts, c->mounts, c->mounts_len * sizeof *c->mounts) &&
	       !memcmp(s->env, c->process.env, (c->process.env_len + 1) * sizeof *c->process.env);
}

static struct runtime validated(const struct container *c)
{
	struct runtime rt = { .root_fd = -1, .cg.v2_fd = -1 };

	validate_spec(c, &rt);
	return rt;
}

/* The command line's ARGS, validated: the spec stays as it was. */
static struct runtime unchanged_by_validation(const char *const *args, const char *desc)
{
	struct container c = cmdline_spec(args);
	struct spec_copy before = copy_spec(&c);
	struct runtime rt = validated(&c);

	ok(same_spec(&before, &c), "validate_spec leaves the spec as it was: %s", desc);
	ok(rt.rootless == (geteuid() != 0), "validate_spec fills rt.rootless: %s", desc);
	free(before.mounts);
	free(before.env);
	return rt;
}

/* A spec that a front end left short of what validate_spec needs. */
enum spec_fault { RELATIVE_ROOT, FOLDER_AS_TARBALL, MAPS_WITHOUT_USERNS, DEVTMPFS_IN_USERNS };

struct faulty_spec {
	const struct container *c;
	enum spec_fault fault;
};

static void validate_faulty(const void *arg)
{
	const struct faulty_spec *f = arg;
	struct container c = *f->c;
	struct mount_spec *mounts = xrealloc(NULL, c.mounts_len * sizeof *mounts);

	memcpy(mounts, c.mounts, c.mounts_len * sizeof *mounts);
	c.mounts = mounts;
	if (f->fault == RELATIVE_ROOT)
		c.root.path = "rootfs";
	if (f->fault == FOLDER_AS_TARBALL)
		c.root.tarball = true;
	if (f->fault == MAPS_WITHOUT_USERNS) {
		c.namespaces &= ~(unsigned long)CLONE_NEWUSER;
		c.userns.uids = (struct id_map){ .ranges = { { 0, 100000, 1 } }, .len = 1 };
	}
	if (f->fault == DEVTMPFS_IN_USERNS && !(c.namespaces & CLONE_NEWUSER)) {
		c.namespaces |= CLONE_NEWUSER;
		c.userns.uids = c.userns.gids =
			(struct id_map){ .ranges = { { 0, 100000, 65536 } }, .len = 1 };
	}
	if (f->fault == DEVTMPFS_IN_USERNS) {
		for (size_t i = 0; i < c.mounts_len; i++)
			if (!strcmp(c.mounts[i].target, "/dev"))
				c.mounts[i].type = "devtmpfs";
	}
	validated(&c);
}

static void test_validate_spec(void)
{
	char *root = scratch_path("root"), *overlay = scratch_path("overlay");
	char *tarball = write_file("root.tar", "", 0);
	bool rootless = geteuid() != 0;
	struct container c;
	struct runtime rt;

	if (mkdir(root, 0755) || mkdir(overlay, 0755)) {
		perror("unit: mkdir");
		exit(2);
	}
	unchanged_by_validation((const char *const[]){ "run", "--rootfs", root, "true", NULL },
				"the defaults");
	unchanged_by_validation((const char *const[]){ "run", "--rootfs", root, "--privileged",
				"--overlay-dir", overlay, "--memory", "64m", "true", NULL },
				"--privileged, --overlay-dir, --memory");
	unchanged_by_validation((const char *const[]){ "run", "--rootfs", tarball,
				"--name", "unit-test", "-e", "HOSTNAME=given", "true", NULL },
				"a tarball, --name, -e HOSTNAME");
	if (!rootless) {
		rt = unchanged_by_validation((const char *const[]){ "run", "--rootfs", root,
					     "--uidmap", "0:100000:65536", "true", NULL },
					     "--uidmap, as root");
		ok(rt.root_fd >= 0 && !rt.newuidmap && !rt.deny_setgroups,
		   "validate_spec: root's --uidmap: the rootfs held as an fd, no helpers");
	} else {
		rt = unchanged_by_validation((const char *const[]){ "run", "--rootfs", root,
					     "true", NULL }, "rootless");
		ok(rt.root_fd < 0 && (rt.deny_setgroups || rt.newuidmap),
		   "validate_spec: rootless: its own ids, or the helpers");
	}

	c = cmdline_spec((const char *const[]){ "run", "--rootfs", root, "true", NULL });
	dies(validate_faulty, &(struct faulty_spec){ &c, RELATIVE_ROOT },
	     "rootfs: not an absolute path: 'rootfs'", "validate_spec: a relative rootfs path");
	{
		char *msg = xasprintf("rootfs: %s: a tarball, but not a regular file", root);

		dies(validate_faulty, &(struct faulty_spec){ &c, FOLDER_AS_TARBALL }, msg,
		     "validate_spec: a folder given as a tarball");
		free(msg);
	}
	dies(validate_faulty, &(struct faulty_spec){ &c, MAPS_WITHOUT_USERNS },
	     rootless ? "rootless: an ordinary user needs a user namespace" :
	     "--uidmap: id maps need a user namespace",
	     "validate_spec: id maps, but no user namespace");
	dies(validate_faulty, &(struct faulty_spec){ &c, DEVTMPFS_IN_USERNS },
	     "/dev: devtmpfs: none can be mounted in a user namespace",
	     "validate_spec: a devtmpfs in a user namespace");
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(scratch, sizeof scratch, "%s/carapace-unit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(scratch)) {
		perror("unit: mkdtemp");
		return 2;
	}
	test_sizes();
	test_cpus();
	test_cpusets();
	test_ulimits();
	test_tar_good();
	test_tar_bad();
	test_seccomp();
	test_passwd();
	test_validate_spec();
	remove_tree(scratch);
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
