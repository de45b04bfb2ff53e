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

/*
 * --- src/seccomp.c: the system call table the build made, sorted by name
 * (build/include/syscall-table.h, by src/gen-syscalls.sh; its numbers are
 * checked against the header's __NR_ ones where seccomp.c is built).
 * syscall_number, a binary search, finds each name, and nothing that is
 * only like one.
 */
#include <syscall-table.h>
#define TABLE_ROW(nr, name) { #name, nr },
static const struct { const char *name; int nr; } table_rows[] = { SYSCALL_TABLE(TABLE_ROW) };

static void test_syscall_table(void)
{
	static const char *const unlike[] = { "", "a", "_", "zzz", "ope", "openat3", "openatt",
		"open ", " open", "OPEN", "reads", "_sysctlx", "writevz" };
	size_t n = sizeof table_rows / sizeof table_rows[0], wrong = 0, unsorted = 0;

	for (size_t i = 0; i < n; i++) {
		wrong += syscall_number(table_rows[i].name, strlen(table_rows[i].name)) !=
			 table_rows[i].nr;
		unsorted += i && strcmp(table_rows[i - 1].name, table_rows[i].name) >= 0;
	}
	is_num((long long)n, SYSCALL_COUNT, "syscall table: as many rows as it says");
	ok(n > 300 && !unsorted, "syscall table: %zu names, sorted, none twice", n);
	is_num((long long)wrong, 0, "syscall table: the search finds each name's number");
	for (size_t i = 0; i < sizeof unlike / sizeof unlike[0]; i++)
		is_num(syscall_number(unlike[i], strlen(unlike[i])), -1,
		       xasprintf("syscall table: '%s' is no system call", unlike[i]));
	is_num(syscall_number("openat\0x", 8), -1, "syscall table: a name with a NUL inside is none");
	is_num(syscall_number("openat2", 6), SYS_openat, "syscall table: the length given counts, not a NUL");
	is_num(syscall_number("read", 4), SYS_read, "syscall table: read is __NR_read");
	is_num(syscall_number("open_tree_attr", 14), 467, "syscall table: a later call (Linux 6.15) is there");
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

/* --- src/oci-seccomp.c and src/seccomp.c: OCI profiles, compiled and run here */

#include "bpf-run.h"

static struct seccomp_filter oci_filter;

/* Parses JSON as linux.seccomp and compiles it into oci_filter. */
static void compile_oci(const void *json)
{
	struct container c = { 0 };

	oci_parse_seccomp(&c, json, strlen(json));
	build_seccomp(&c, &oci_filter);
}

/* What oci_filter says to system call NR with arguments A0 and A1 on x86-64. */
static uint32_t oci_verdict(int nr, uint64_t a0, uint64_t a1)
{
	struct seccomp_data d = { .nr = nr, .arch = AUDIT_ARCH_X86_64, .args = { a0, a1 } };

	return run_bpf(&oci_filter, &d);
}

static bool op_holds(enum seccomp_op op, uint64_t arg, uint64_t v, uint64_t v2)
{
	switch (op) {
	case SECCOMP_OP_NE: return arg != v;
	case SECCOMP_OP_LT: return arg < v;
	case SECCOMP_OP_LE: return arg <= v;
	case SECCOMP_OP_EQ: return arg == v;
	case SECCOMP_OP_GE: return arg >= v;
	case SECCOMP_OP_GT: return arg > v;
	case SECCOMP_OP_MASKED_EQ: return (arg & v) == v2;
	}
	return false;
}

/* Each op against values whose words differ alone, and their neighbours. */
static void test_oci_seccomp_ops(void)
{
	static const char *const ops[] = { "NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ" };
	static const uint64_t values[] = {
		0, 1, 0xfffffffe, 0xffffffff, 0x100000000, 0x100000001, 0x1ffffffff,
		0x8000000000000000, 0xffffffff00000000, 0xfffffffffffffffe, UINT64_MAX,
	};
	const size_t nv = sizeof values / sizeof values[0];

	for (size_t op = 0; op < sizeof ops / sizeof ops[0]; op++) {
		size_t wrong = 0, tried = 0;

		for (size_t v = 0; v < nv; v++) {
			uint64_t v2 = values[(v + 3) % nv] & values[v];
			char *json = xasprintf("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
				"[{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38,"
				"\"args\":[{\"index\":1,\"value\":%llu,\"valueTwo\":%llu,"
				"\"op\":\"SCMP_CMP_%s\"}]}]}", (unsigned long long)values[v],
				(unsigned long long)v2, ops[op]);

			compile_oci(json);
			free(json);
			for (size_t a = 0; a < nv; a++)
				for (int delta = -1; delta <= 1; delta++) {
					uint64_t arg = values[a] + (uint64_t)(int64_t)delta;
					uint32_t want = op_holds((enum seccomp_op)op, arg, values[v], v2) ?
						SECCOMP_RET_ERRNO | 38 : SECCOMP_RET_ALLOW;

					tried++;
					if (oci_verdict(SYS_getpid, 0, arg) != want && !wrong++)
						printf("# SCMP_CMP_%s %#llx (%#llx): arg %#llx: got %#x\n",
						       ops[op], (unsigned long long)values[v],
						       (unsigned long long)v2, (unsigned long long)arg,
						       oci_verdict(SYS_getpid, 0, arg));
				}
		}
		ok(!wrong, "oci seccomp: SCMP_CMP_%s on all 64 bits: %zu comparisons as C makes them",
		   ops[op], tried);
	}
}

static void test_oci_seccomp_rules(void)
{
	compile_oci("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
		    " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
		    " \"syscalls\": ["
		    "{\"names\": [\"no_such_call\", \"read\", \"clock_settime64\"], \"action\": \"SCMP_ACT_ALLOW\"},"
		    "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
		    "  \"args\": [{\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]},"
		    "{\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\","
		    "  \"args\": [{\"index\": 0, \"value\": 8, \"valueTwo\": 0, \"op\": \"SCMP_CMP_EQ\"}]},"
		    "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22,"
		    "  \"args\": [{\"index\": 0, \"value\": 16, \"op\": \"SCMP_CMP_EQ\"},"
		    "            {\"index\": 2, \"value\": 9, \"op\": \"SCMP_CMP_EQ\"}]},"
		    "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\"},"
		    "{\"names\": [\"socket\", \"getppid\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"},"
		    "{\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\"},"
		    "{\"names\": [\"gettid\"], \"action\": \"SCMP_ACT_LOG\"},"
		    "{\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7},"
		    "{\"names\": [\"getgid\"], \"action\": \"SCMP_ACT_KILL\"},"
		    "{\"names\": [\"geteuid\"], \"action\": \"SCMP_ACT_TRAP\"}"
		    "]}");
	is_num(oci_verdict(SYS_read, 0, 0), SECCOMP_RET_ALLOW,
	       "oci seccomp: a rule's names the table lacks are skipped, the others kept");
	is_num(oci_verdict(SYS_write, 0, 0), SECCOMP_RET_ERRNO | 38,
	       "oci seccomp: what no rule names gets the default action, defaultErrnoRet's errno");
	is_num(oci_verdict(SYS_personality, 0, 0), SECCOMP_RET_ALLOW, "oci seccomp: personality(0) matches its rule");
	is_num(oci_verdict(SYS_personality, 8, 0), SECCOMP_RET_ALLOW, "oci seccomp: personality(8) matches the second rule");
	is_num(oci_verdict(SYS_personality, 0xffffffff, 0), SECCOMP_RET_ERRNO | 38,
	       "oci seccomp: personality(0xffffffff) matches none: the default action");
	is_num(oci_verdict(SYS_personality, 0x100000000, 0), SECCOMP_RET_ERRNO | 38,
	       "oci seccomp: personality(0x100000000), 0 in its low word, matches none");
	{
		struct seccomp_data d = { .nr = SYS_socket, .arch = AUDIT_ARCH_X86_64,
					  .args = { 16, 3, 9 } };

		is_num(run_bpf(&oci_filter, &d), SECCOMP_RET_ERRNO | 22,
		       "oci seccomp: a rule matches when all its args do (socket(16, 3, 9))");
		d.args[2] = 0;
		is_num(run_bpf(&oci_filter, &d), SECCOMP_RET_ALLOW,
		       "oci seccomp: ... and one arg that fails moves on to the next rule");
	}
	is_num(oci_verdict(SYS_getppid, 0, 0), SECCOMP_RET_KILL_PROCESS,
	       "oci seccomp: a rule after another rule's name still applies to its other names");
	is_num(oci_verdict(SYS_getpid, 0, 0), SECCOMP_RET_ERRNO | EPERM,
	       "oci seccomp: SCMP_ACT_ERRNO without errnoRet is EPERM");
	is_num(oci_verdict(SYS_gettid, 0, 0), SECCOMP_RET_LOG, "oci seccomp: SCMP_ACT_LOG");
	is_num(oci_verdict(SYS_getuid, 0, 0), SECCOMP_RET_TRACE | 7, "oci seccomp: SCMP_ACT_TRACE with its errnoRet");
	is_num(oci_verdict(SYS_getgid, 0, 0), SECCOMP_RET_KILL_THREAD, "oci seccomp: SCMP_ACT_KILL kills the thread");
	is_num(oci_verdict(SYS_geteuid, 0, 0), SECCOMP_RET_TRAP, "oci seccomp: SCMP_ACT_TRAP");
	is_num(oci_verdict(SYS_exit_group, 0, 0), SECCOMP_RET_ALLOW, "oci seccomp: exit_group always passes");
	is_num(oci_verdict(SYS_mkdirat, 0, 0), SECCOMP_RET_ERRNO | ENOSYS,
	       "oci seccomp: a number above the highest named gets ENOSYS");
	is_num(oci_verdict(0x40000000 | SYS_read, 0, 0), SECCOMP_RET_KILL_PROCESS,
	       "oci seccomp: an x32 call is killed though the profile lists SCMP_ARCH_X32");
	{
		struct seccomp_data d = { .nr = 3, .arch = AUDIT_ARCH_I386 };

		is_num(run_bpf(&oci_filter, &d), SECCOMP_RET_KILL_PROCESS,
		       "oci seccomp: an i386 call is killed though the profile lists SCMP_ARCH_X86");
	}
	is_num(oci_filter.flags, 0, "oci seccomp: no flags given, none passed");
	compile_oci("{\"defaultAction\":\"SCMP_ACT_LOG\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\","
		    "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_TSYNC\","
		    "\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],\"listenerPath\":\"/run/agent.sock\","
		    "\"listenerMetadata\":\"x\",\"comment\":{\"a\":[1,2]},\"syscalls\":[]}");
	is_num(oci_filter.flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
	       SECCOMP_FILTER_FLAG_TSYNC, "oci seccomp: flags go to seccomp(2), but WAIT_KILLABLE_RECV");
	is_num(oci_verdict(SYS_read, 0, 0), SECCOMP_RET_LOG,
	       "oci seccomp: an unknown field is ignored, and SCMP_ACT_LOG is the default");
	is_num(oci_verdict(1000, 0, 0), SECCOMP_RET_LOG, "oci seccomp: default LOG: unknown numbers too");
}

/* Installs oci_filter and makes system call NR(A0): exits with its errno, 0 if none. */
static void probe_oci_filter(const void *arg)
{
	const long *call = arg;
	long r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die_errno("unit: no_new_privs");
	install_seccomp(&oci_filter);
	errno = 0;
	r = syscall(call[0], call[1]);
	syscall(SYS_exit_group, r == -1 ? errno : 0);
}

static void test_oci_seccomp_installed(void)
{
	long personality_high[] = { SYS_personality, 0x100000000 },
	     personality_zero[] = { SYS_personality, 0 }, getppid[] = { SYS_getppid, 0 };

	compile_oci("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
		    "\"syscalls\":[{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ERRNO\","
		    "\"errnoRet\":38,\"args\":[{\"index\":0,\"value\":4294967296,\"op\":\"SCMP_CMP_EQ\"}]},"
		    "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}");
	is_num(in_child(probe_oci_filter, personality_high).code, ENOSYS,
	       "oci seccomp, installed with a flag: personality(1 << 32) gets errnoRet 38 (ENOSYS)");
	is_num(in_child(probe_oci_filter, personality_zero).code, 0,
	       "oci seccomp, installed: personality(0), the same low word, runs");
	is_num(in_child(probe_oci_filter, getppid).code, 128 + SIGSYS,
	       "oci seccomp, installed: SCMP_ACT_KILL_PROCESS ends it with SIGSYS");
}

/* Compiles the profile in PATH into oci_filter; false if there is no PATH. */
static bool compile_oci_file(const char *path)
{
	struct text_file t;

	if (!open_text_file(&t, "", path))
		return false;
	compile_oci(t.data);
	close_text_file(&t);
	return true;
}

/*
 * podman's default profile: as podman 4.3 writes it into config.json
 * (t/oci-seccomp/podman.json, the suite being run from the top folder),
 * and as containers-common ships it, where the host has it: in that
 * form, its rules' includes and excludes are ignored fields.
 */
static void test_oci_seccomp_podman(void)
{
	static const char *const busybox_needs[] = {
		"execve", "brk", "mmap", "arch_prctl", "set_tid_address", "read", "write", "openat",
		"close", "fstat", "newfstatat", "ioctl", "getdents64", "rt_sigaction", "clone",
		"wait4", "exit_group", "getpid", "getuid", "fcntl", "dup2", "pipe2", "uname",
	};
	bool compiled = compile_oci_file("t/oci-seccomp/podman.json");
	size_t denied = 0;

	if (!ok(compiled, "oci seccomp: podman's profile, from its config.json, compiles "
		"(%zu instructions)", BPF_MAXINSNS - oci_filter.start))
		return;
	for (size_t i = 0; i < sizeof busybox_needs / sizeof busybox_needs[0]; i++)
		if (oci_verdict(syscall_number(busybox_needs[i], strlen(busybox_needs[i])), 0, 0) !=
		    SECCOMP_RET_ALLOW && ++denied)
			printf("# %s is denied\n", busybox_needs[i]);
	ok(!denied, "oci seccomp: podman's: what busybox sh needs runs");
	is_num(oci_verdict(SYS_kexec_load, 0, 0), SECCOMP_RET_ERRNO | EPERM,
	       "oci seccomp: podman's: kexec_load gets EPERM");
	is_num(oci_verdict(SYS_bpf, 0, 0), SECCOMP_RET_ERRNO | EPERM,
	       "oci seccomp: podman's: bpf, without CAP_SYS_ADMIN, gets EPERM");
	is_num(oci_verdict(SYS_personality, 0x20008, 0), SECCOMP_RET_ALLOW,
	       "oci seccomp: podman's: personality(UNAME26 | PER_LINUX32) runs");
	is_num(oci_verdict(SYS_personality, 0x40008, 0), SECCOMP_RET_ERRNO | ENOSYS,
	       "oci seccomp: podman's: personality(0x40008) gets the default, ENOSYS");
	is_num(oci_verdict(SYS_add_key, 0, 0), SECCOMP_RET_ERRNO | ENOSYS,
	       "oci seccomp: podman's: add_key, named by no rule, gets ENOSYS");
	if (!compile_oci_file("/usr/share/containers/seccomp.json")) {
		ok(true, "# SKIP no /usr/share/containers/seccomp.json");
		return;
	}
	is_num(oci_verdict(SYS_read, 0, 0), SECCOMP_RET_ALLOW,
	       "oci seccomp: containers-common's seccomp.json compiles too; read runs");
	is_num(oci_verdict(SYS_socket, 16, 0), SECCOMP_RET_ALLOW,
	       "oci seccomp: containers-common's: socket(AF_NETLINK, 0, 0) runs");
}

struct bad_oci { const char *json, *msg, *desc; };

static void parse_bad_oci(const void *arg)
{
	compile_oci(((const struct bad_oci *)arg)->json);
}

static void test_oci_seccomp_bad(void)
{
#define RULE(x) "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[" x "]}"
#define ARG(x) RULE("{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[" x "]}")
	static const struct bad_oci bad[] = {
		{ "{}", ".defaultAction: missing", "no defaultAction" },
		{ "{\"defaultAction\":\"SCMP_ACT_DENY\"}", ".defaultAction: unknown action 'SCMP_ACT_DENY'",
		  "an unknown default action" },
		{ "{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}",
		  ".defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent, which carapace does not support",
		  "SCMP_ACT_NOTIFY" },
		{ "{\"defaultAction\":7}", ".defaultAction: not a string", "a number for an action" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":-1}",
		  ".defaultErrnoRet: '-1' is not a whole number from 0", "a negative errno" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":4096}",
		  ".defaultErrnoRet: 4096 is more than 4095", "an errno over 4095" },
		{ "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1.5}",
		  ".defaultErrnoRet: '1.5' is not a whole number", "a fraction" },
		{ "[1]", ": not one JSON object", "an array" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\"", ": not valid JSON", "JSON cut short" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}",
		  ".architectures[0]: unknown architecture 'SCMP_ARCH_Z80'", "an unknown architecture" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"]}",
		  ".flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_NEW_LISTENER'", "an unknown flag" },
		{ RULE("{\"action\":\"SCMP_ACT_ALLOW\"}"), ".syscalls[0]: no names", "a rule without names" },
		{ RULE("{\"names\":[],\"action\":\"SCMP_ACT_ALLOW\"}"), ".syscalls[0].names: no system call named",
		  "a rule with no names" },
		{ RULE("{\"names\":[\"read\"]}"), ".syscalls[0]: no action", "a rule without an action" },
		{ RULE("{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},{\"names\":[\"read\"],"
		       "\"action\":\"SCMP_ACT_NOTHING\"}"),
		  ".syscalls[1].action: unknown action 'SCMP_ACT_NOTHING'", "an unknown action" },
		{ RULE("{\"names\":[\"read\",3],\"action\":\"SCMP_ACT_ALLOW\"}"),
		  ".syscalls[0].names[1]: not a string", "a number for a name" },
		{ ARG("{\"index\":6,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}"),
		  ".syscalls[0].args[0].index: 6 is more than 5", "index 6" },
		{ ARG("{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_LIKE\"}"),
		  ".syscalls[0].args[0].op: unknown op 'SCMP_CMP_LIKE'", "an unknown op" },
		{ ARG("{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}"), ".syscalls[0].args[0]: needs a value",
		  "an arg without a value" },
		{ ARG("{\"index\":0,\"value\":18446744073709551616,\"op\":\"SCMP_CMP_EQ\"}"),
		  ".syscalls[0].args[0].value: more than 18446744073709551615", "a value over 64 bits" },
		{ ARG("{\"index\":0,\"value\":true,\"op\":\"SCMP_CMP_EQ\"}"),
		  ".syscalls[0].args[0].value: 'true' is not a whole number from 0", "true for a value" },
		{ RULE("{\"names\":[\"re\\u0000ad\"],\"action\":\"SCMP_ACT_ALLOW\"}"),
		  ".syscalls[0].names[0]: \\u0000 can't be in a string here", "a NUL in a name" },
		/* jsmn takes these; the readers walked past its tokens (make fuzz-seccomp). */
		{ RULE("{\"names\":[\"read\"],\"action\":\"SCMP_ACT_LOG\",\"cnt\":6 \"x\"}"),
		  ": not valid JSON: a key without one value", "a key with two values" },
		{ RULE("{\"names\":[\"read\"],\"action\":\"SCMP_ACT_LOG\",\"cnt\"}"),
		  ": not valid JSON: a key without one value", "a key with none, last" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"x\":1]}",
		  ": not valid JSON: a value where a comma belongs", "a key in an array" },
		{ "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"x\":[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}",
		  ": nested too deep", "arrays 19 deep" },
	};
#undef RULE
#undef ARG
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *msg = xasprintf("config.json: linux.seccomp%s", bad[i].msg), desc[128];

		snprintf(desc, sizeof desc, "oci seccomp: %s: refused in one line", bad[i].desc);
		dies(parse_bad_oci, &bad[i], msg, desc);
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

static void parse_signal_of(const void *arg)
{
	parse_signal(arg);
}

/* The OCI state folder's pieces: IDs, signals, the state file and its JSON. */
static void test_oci_state(void)
{
	struct oci_args a = { .root = scratch };
	struct key_value ann[] = { { "a\"b", "line\nbreak %20 x" } };
	struct oci_state st, back;
	char *json;

	ok(valid_container_id("c1") && valid_container_id("a.b_c+d-e") &&
	   valid_container_id("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
	   "container IDs: letters, digits and _.+-");
	ok(!valid_container_id("") && !valid_container_id(".") && !valid_container_id("..") &&
	   !valid_container_id("a/b") && !valid_container_id("a b") && !valid_container_id("é"),
	   "container IDs: not empty, not . or .., no slash, space or other byte");
	is_num(parse_signal("15") * 1000 + parse_signal("TERM"), 15015, "signals: 15 and TERM");
	is_num(parse_signal("SIGKILL") * 1000 + parse_signal("sigusr1"), 9010,
	       "signals: SIGKILL and sigusr1");
	is_num(parse_signal("RTMIN+2"), SIGRTMIN + 2, "signals: RTMIN+2");
	dies(parse_signal_of, "0", "kill: not a signal: '0'", "signals: 0 is refused");
	dies(parse_signal_of, "65", "kill: not a signal: '65'", "signals: 65 is refused");
	dies(parse_signal_of, "15x", "kill: not a signal: '15x'", "signals: 15x is refused");

	a.id = "unit-state";
	state_create(&st, &a);
	st.pid = getpid();
	st.start_time = process_start_time(getpid());
	st.bundle = "/b u n\ndle";
	st.rootfs = "/r";
	st.created = "2026-12-02T00:00:00.000000000Z";
	st.annotations = ann;
	st.annotations_len = 1;
	st.config = "{ \"a\": 1 }\nconfig.json 2\npid 7\n";	/* lines of its own that look like the state's */
	close(listen_for_start(&st));	/* as create binds it, before its first state write */
	state_write(&st);
	state_close(&st);
	if (ok(state_open(&back, &a, "unit-state"), "state: what was written reads back")) {
		is_num(back.pid, getpid(), "state: the pid");
		is_str(back.bundle, "/b u n\ndle", "state: a bundle path with spaces and a newline");
		is_str(back.annotations_len == 1 ? back.annotations[0].value : NULL,
		       "line\nbreak %20 x", "state: an annotation, escaped and back");
		is_str(status_name(state_status(&back)), "created", "state: a live init not started: created");
		json = state_config(&back);
		is_str(json, "{ \"a\": 1 }\nconfig.json 2\npid 7\n",
		       "state: config.json, its last bytes, whatever lines it holds");
		free(json);
		is_num(back.pid, getpid(), "state: a line of the config is not the state's");
		back.start_time++;
		is_str(status_name(state_status(&back)), "stopped",
		       "state: another start time is another process: stopped");
		back.start_time--;
		json = state_json(&back, false);
		ok(strstr(json, "\"bundle\": \"/b u n\\u000adle\"") &&
		   strstr(json, "{\"a\\\"b\": \"line\\u000abreak %20 x\"}"),
		   "state JSON: strings escaped as JSON");
		free(json);
		unlinkat(back.dir_fd, "start", 0);	/* as start does once init is told */
		state_close(&back);
	}
	if (ok(state_open(&back, &a, "unit-state"), "state: reads back after a start")) {
		is_str(status_name(state_status(&back)), "running",
		       "state: its start socket gone, with the same state file: running");
		state_remove(&back);
		state_close(&back);
	}
	ok(!state_open(&back, &a, "unit-state"), "state: gone once removed");
	state_close(&back);
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

/* --- src/oci-config.c: config.json */

/* A config.json that sets every field carapace reads, as engines write them. */
static const char full_config[] =
	"{ \"ociVersion\": \"1.0.2-dev\",\n"
	"  \"process\": { \"terminal\": true, \"consoleSize\": { \"height\": 25, \"width\": 80 },\n"
	"    \"user\": { \"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [ 5, 6 ] },\n"
	"    \"args\": [ \"sh\", \"-c\", \"a\\u00e9\\ud83d\\ude00\\n\\t\\\"\\\\\\/\" ],\n"
	"    \"env\": [ \"PATH=/bin\", \"A=b=c\" ], \"cwd\": \"/work\",\n"
	"    \"capabilities\": { \"bounding\": [ \"CAP_KILL\", \"CAP_CHOWN\" ],\n"
	"      \"permitted\": [ \"CAP_KILL\" ], \"effective\": [ \"CAP_KILL\" ],\n"
	"      \"inheritable\": [], \"ambient\": [ \"CAP_KILL\" ] },\n"
	"    \"rlimits\": [ { \"type\": \"RLIMIT_NOFILE\", \"soft\": 1024, \"hard\": 18446744073709551615 } ],\n"
	"    \"noNewPrivileges\": true, \"oomScoreAdj\": -500, \"apparmorProfile\": \"\",\n"
	"    \"selinuxLabel\": \"\" },\n"
	"  \"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
	"  \"hostname\": \"h\", \"domainname\": \"d\",\n"
	"  \"mounts\": [\n"
	"    { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },\n"
	"    { \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
	"      \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\" ] },\n"
	"    { \"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
	"      \"options\": [ \"rprivate\", \"ro\" ] },\n"
	"    { \"destination\": \"/data\", \"type\": \"bind\", \"source\": \"data\",\n"
	"      \"options\": [ \"rbind\", \"ro\", \"nosuid\", \"rslave\" ] },\n"
	"    { \"destination\": \"/run\", \"type\": \"tmpfs\", \"options\": [ \"noexec\", \"sync\" ] } ],\n"
	"  \"hooks\": { \"prestart\": [ { \"path\": \"/bin/hook\", \"args\": [ \"hook\", \"x\" ],\n"
	"      \"env\": [ \"A=1\" ], \"timeout\": 5 } ],\n"
	"    \"poststop\": [ { \"path\": \"/bin/a\" }, { \"path\": \"/bin/b\" } ] },\n"
	"  \"annotations\": { \"org.example/key\": \"value\" },\n"
	"  \"x-extension\": { \"anything\": [ 1, 2.5e3, null, true ] },\n"
	"  \"linux\": {\n"
	"    \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"mount\" }, { \"type\": \"uts\" },\n"
	"      { \"type\": \"user\" }, { \"type\": \"network\", \"path\": \"/run/netns/x\" } ],\n"
	"    \"uidMappings\": [ { \"containerID\": 0, \"hostID\": 100000, \"size\": 65536 } ],\n"
	"    \"gidMappings\": [ { \"containerID\": 0, \"hostID\": 200000, \"size\": 65536 } ],\n"
	"    \"cgroupsPath\": \"/machine/pod1/ctr\",\n"
	"    \"resources\": { \"pids\": { \"limit\": 100 },\n"
	"      \"memory\": { \"limit\": 67108864, \"swap\": -1, \"reservation\": 1048576,\n"
	"        \"swappiness\": 18446744073709551615, \"disableOOMKiller\": true },\n"
	"      \"cpu\": { \"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0\",\n"
	"        \"mems\": \"0\" },\n"
	"      \"devices\": [ { \"allow\": false, \"access\": \"rwm\" },\n"
	"        { \"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\" } ],\n"
	"      \"blockIO\": { \"weight\": 500 },\n"
	"      \"hugepageLimits\": [ { \"pageSize\": \"2MB\", \"limit\": 4194304 } ],\n"
	"      \"unified\": { \"memory.high\": \"50M\" }, \"network\": { \"classID\": 1 } },\n"
	"    \"devices\": [ { \"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229,\n"
	"      \"fileMode\": 438, \"uid\": 0, \"gid\": 0 }, { \"path\": \"/dev/p\", \"type\": \"p\" } ],\n"
	"    \"sysctl\": { \"net.ipv4.ip_forward\": \"1\" },\n"
	"    \"rootfsPropagation\": \"rslave\",\n"
	"    \"personality\": { \"domain\": \"LINUX32\" },\n"
	"    \"maskedPaths\": [ \"/proc/kcore\" ], \"readonlyPaths\": [],\n"
	"    \"mountLabel\": \"\" } }\n";

static struct container parsed;

static void parse_of(const void *json)
{
	parsed = (struct container){ 0 };
	oci_parse_config(&parsed, json, strlen(json), "/bundle");
}

static void test_oci_full(void)
{
	struct container *c = &parsed;
	const struct mount_spec *m;

	lives(parse_of, full_config, "oci: a config.json with every field parses");
	parse_of(full_config);
	is_str(c->process.argv[2], "a\xc3\xa9\xf0\x9f\x98\x80\n\t\"\\/",
	       "oci: escapes, \\u and a surrogate pair, into UTF-8");
	is_num(c->process.tty, TTY_ALWAYS, "oci: terminal");
	is_str(c->process.env[1], "A=b=c", "oci: env as given");
	is_num((long long)c->process.env_len, 2, "oci: env: nothing added");
	is_str(c->process.cwd, "/work", "oci: cwd");
	is_num(c->oci.process.uid * 1000 + c->oci.process.gid, 1000100, "oci: uid and gid");
	is_num(c->oci.process.additional_gids_len * 100 + c->oci.process.additional_gids[1], 206,
	       "oci: additionalGids");
	is_num(c->oci.process.umask, 18, "oci: umask");
	is_num(c->oci.process.console_rows * 1000 + c->oci.process.console_cols, 25080,
	       "oci: consoleSize");
	is_num(c->oci.process.oom_score_adj, -500, "oci: oomScoreAdj");
	is_num((long long)c->privileges.caps, (long long)CAP(KILL), "oci: caps: bounding and permitted");
	is_num((long long)c->oci.caps.bounding, (long long)(CAP(KILL) | CAP(CHOWN)),
	       "oci: the bounding set");
	is_num((long long)c->oci.caps.ambient, (long long)CAP(KILL), "oci: the ambient set");
	is_num(c->privileges.rlimits[0].resource, RLIMIT_NOFILE, "oci: an rlimit's type");
	ok(c->privileges.rlimits[0].limit.rlim_max == RLIM_INFINITY,
	   "oci: an rlimit of 2^64-1 is unlimited");
	ok(c->privileges.no_new_privs, "oci: noNewPrivileges");
	is_str(c->root.path, "/bundle/rootfs", "oci: root.path, relative to the bundle");
	ok(c->root.readonly && !c->root.rw && !c->root.overlay, "oci: root.readonly");
	is_str(c->hostname, "h", "oci: hostname");
	is_str(c->oci.domainname, "d", "oci: domainname");
	is_num((long long)c->mounts_len, 4, "oci: mounts, the cgroup one left to carapace");
	m = &c->mounts[1];
	is_str(m->data, "mode=755,size=65536k,nr_inodes=16385", "oci: a tmpfs's data, its inodes bounded");
	is_num((long long)m->flags, MS_NOSUID | MS_STRICTATIME, "oci: a tmpfs's flags");
	is_num(m->phase, MOUNT_BEFORE_ROOT_CHANGE, "oci: the kernel's filesystems first, before the root change");
	m = &c->mounts[2];
	is_str(m->source, "/bundle/data", "oci: a bind's source, relative to the bundle");
	is_num((long long)m->flags, MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID, "oci: a bind's flags");
	is_num((long long)m->propagation, MS_SLAVE | MS_REC, "oci: a bind's propagation");
	is_num(m->phase, MOUNT_AFTER_ROOT_CHANGE, "oci: a bind after the root change");
	m = &c->mounts[3];
	is_str(m->data, "sync", "oci: sync goes to the filesystem");
	is_num(m->phase, MOUNT_BEFORE_ROOT_CHANGE, "oci: a tmpfs after a bind still comes before the root change");
	is_str(m->source, "tmpfs", "oci: no source: the type");
	is_num((long long)c->namespaces, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWUSER,
	       "oci: namespaces");
	ok(c->oci.joins_len == 1 && c->oci.joins[0].type == CLONE_NEWNET &&
	   !strcmp(c->oci.joins[0].path, "/run/netns/x"), "oci: a namespace's path: joined");
	ok(c->userns.uids.len == 1 && c->userns.uids.ranges[0].outside == 100000 &&
	   c->userns.gids.ranges[0].outside == 200000 && c->userns.gids.ranges[0].count == 65536,
	   "oci: uid and gid maps");
	is_str(c->limits.parent, "machine/pod1", "oci: cgroupsPath's parent");
	is_str(c->limits.name, "ctr", "oci: cgroupsPath's leaf");
	is_num(c->limits.pids, 100, "oci: pids");
	is_num(c->limits.memory, 67108864, "oci: memory");
	is_num(c->limits.memory_swap, -2, "oci: swap -1: unlimited");
	is_num(c->oci.resources.memory_reservation, 1048576, "oci: memory reservation");
	is_num(c->oci.resources.memory_swappiness, -1, "oci: swappiness 2^64-1: unset");
	ok(c->oci.resources.disable_oom_killer, "oci: disableOOMKiller");
	is_num((long long)(c->limits.cpu_shares * 1000000 + c->limits.cpu_quota), 512050000,
	       "oci: cpu shares and quota");
	is_num((long long)c->oci.resources.cpu_period, 100000, "oci: cpu period");
	is_str(c->oci.resources.cpuset_mems, "0", "oci: cpu mems");
	ok(c->oci.device_rules_given && c->oci.device_rules_len == 2 &&
	   !c->oci.device_rules[0].allow && c->oci.device_rules[0].type == 'a' &&
	   c->oci.device_rules[0].major == -1 && c->oci.device_rules[1].minor == 3 &&
	   !strcmp(c->oci.device_rules[1].access, "rw"), "oci: device cgroup rules");
	is_num(c->oci.resources.blkio_weight, 500, "oci: blockIO weight");
	ok(c->oci.resources.hugetlb_len == 1 && !strcmp(c->oci.resources.hugetlb[0].page_size, "2MB") &&
	   c->oci.resources.hugetlb[0].limit == 4194304, "oci: hugepage limits");
	ok(c->oci.resources.unified_len == 1 && !strcmp(c->oci.resources.unified[0].key, "memory.high"),
	   "oci: unified");
	ok(c->oci.devices_len == 2 && c->oci.devices[0].major == 10 && c->oci.devices[0].mode == 0666 &&
	   c->oci.devices[0].ids_given && c->oci.devices[1].type == 'p' && !c->oci.devices[1].ids_given,
	   "oci: devices");
	ok(c->oci.sysctls_len == 1 && !strcmp(c->oci.sysctls[0].value, "1"), "oci: sysctl");
	is_num((long long)c->oci.root_propagation, MS_SLAVE | MS_REC, "oci: rootfsPropagation");
	ok(c->oci.personality_given && c->oci.personality == PER_LINUX32, "oci: personality");
	ok(c->oci.hooks_len[HOOK_PRESTART] == 1 && c->oci.hooks[HOOK_PRESTART][0].timeout == 5 &&
	   !strcmp(c->oci.hooks[HOOK_PRESTART][0].args[1], "x") &&
	   !strcmp(c->oci.hooks[HOOK_PRESTART][0].env[0], "A=1"), "oci: a hook");
	ok(c->oci.hooks_len[HOOK_POSTSTOP] == 2 && !c->oci.hooks[HOOK_POSTSTOP][1].args &&
	   !strcmp(c->oci.hooks[HOOK_POSTSTOP][1].path, "/bin/b"), "oci: hooks in order");
	ok(c->oci.annotations_len == 1 && !strcmp(c->oci.annotations[0].key, "org.example/key"),
	   "oci: annotations");
	ok(c->privileges.masked_paths[0] && !strcmp(c->privileges.masked_paths[0], "/proc/kcore") &&
	   !c->privileges.masked_paths[1] && !c->privileges.readonly_paths[0],
	   "oci: maskedPaths and readonlyPaths, as given");
	is_str(c->privileges.seccomp, "unconfined", "oci: no linux.seccomp: no filter");
}

/* The smallest config.json, with TAIL's members added. */
static char *minimal(const char *tail)
{
	return xasprintf("{ \"ociVersion\": \"1.0.0\", \"root\": { \"path\": \"/r\" }, "
			 "\"process\": { \"args\": [ \"sh\" ], \"cwd\": \"/\" }, "
			 "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ] }%s%s }",
			 *tail ? ", " : "", tail);
}

static void test_oci_defaults(void)
{
	struct container *c = &parsed;
	char *json = minimal("");

	lives(parse_of, json, "oci: the smallest config.json");
	parse_of(json);
	ok(c->process.env && !c->process.env[0], "oci: no env: empty");
	ok(c->root.rw && !c->root.readonly, "oci: no root.readonly: the rootfs is written");
	ok(c->privileges.masked_paths && !c->privileges.masked_paths[0], "oci: no maskedPaths: none");
	is_num((long long)c->privileges.caps, 0, "oci: no capabilities: none");
	is_str(c->limits.parent, "carapace", "oci: no cgroupsPath: parent carapace");
	ok(c->limits.name && !strncmp(c->limits.name, "carapace-", 9), "oci: no cgroupsPath: a unique leaf");
	is_num(c->limits.pids * 10 + c->limits.memory, -11, "oci: no resources: no limits");
	ok(!c->oci.hostname_given, "oci: no hostname: none set");
	is_num(c->process.tty, TTY_NEVER, "oci: no terminal: none");
	free(json);
	json = xasprintf("{ \"ociVersion\": \"1.0.0\", \"root\": { \"path\": \"/r\" }, "
			 "\"process\": { \"args\": [ \"sh\" ], \"cwd\": \"/\" }, \"linux\": { "
			 "\"namespaces\": [ { \"type\": \"mount\" } ], \"cgroupsPath\": \"/a/b/ctr\" } }");
	parse_of(json);
	ok(!strcmp(c->limits.parent, "a/b") && !strcmp(c->limits.name, "ctr"),
	   "oci: cgroupsPath /a/b/ctr: parent a/b, leaf ctr");
	free(json);
}

static void test_oci_bad(void)
{
	static const struct { const char *json, *message, *desc; } bad[] = {
		{ "{", "line 1, column 2: not valid JSON: it ends too soon", "JSON cut short" },
		{ "[]", "not a JSON object", "not an object" },
		{ "{} {}", "line 1, column 3: not valid JSON: more than one value", "two values" },
		{ "{\"a\": 1 \"b\": 2}", "line 1, column 8: not valid JSON: expected ','",
		  "a missing comma" },
		{ "{\"a\": [1 2]}", "line 1, column 10: not valid JSON: expected ','",
		  "a missing comma in an array" },
		{ "{\"a\": 1,}", "line 1, column 8: not valid JSON: unexpected text", "a trailing comma" },
		{ "{\"a\" 1}", "line 1, column 6: not valid JSON", "a missing colon" },
		{ "{\"x\": {\"a\": \"b\": \"c\"}, \"y\": 1}",
		  "line 1, column 16: not valid JSON: unexpected text", "a value with a colon after it" },
		{ "{\"a\": [\"b\": 1]}", "line 1, column 11: not valid JSON: unexpected text",
		  "a key in an array" },
		{ "{\"a\": 1: 2}", "line 1, column 10: not valid JSON",
		  "a number with a colon after it" },
		{ "{\"a\": tru}", "line 1, column 7: not valid JSON: not a number, true, false or null",
		  "a bad primitive" },
		{ "{\"a\": 01}", "line 1, column 7: not valid JSON: not a number, true, false or null",
		  "a leading zero" },
		{ "{\"a\": \"\\x\"}", "line 1, column 7: not valid JSON", "an invalid escape" },
		{ "{\"a\": \"\\u0000\"}", "a: a string with a NUL (\\u0000) in it", "\\u0000" },
		{ "{\"a\": \"\\ud800\"}", "a: a string with a lone UTF-16 surrogate", "a lone surrogate" },
		{ "{\"a\": \"\\udc00\\ud800\"}", "a: a string with a lone UTF-16 surrogate",
		  "surrogates the wrong way round" },
		{ "{\"a\": \"\t\"}", "a: a control character in a string (escape it)",
		  "a raw tab in a string" },
		{ "{\"a\": \"\xc3\"}", "a: a string that is not UTF-8", "cut UTF-8" },
		{ "{\"a\": \"\xc0\xaf\"}", "a: a string that is not UTF-8", "overlong UTF-8" },
		{ "{\"a\": 1, \"a\": 2}", "a: given twice", "a key twice" },
		{ "{\"a\": {\"b\": 1, \"\\u0062\": 2}}", "a.b: given twice", "a key twice, once escaped" },
		{ "{\"ociVersion\": \"1.0.0\"}", "root: missing", "no root" },
		{ "{\"ociVersion\": 1}", "ociVersion: not a string but a number", "a number for a string" },
		{ "{\"ociVersion\": \"0.9\"}", "ociVersion: carapace reads the runtime spec 1.x, not '0.9'",
		  "another version" },
	};
	static const struct { const char *tail, *message, *desc; } bad_field[] = {
		{ "\"hostname\": \"h\"", "hostname: needs a UTS namespace of the container's own",
		  "a hostname without a UTS namespace" },
		{ "\"mounts\": [ { \"destination\": \"x\", \"type\": \"tmpfs\" } ]",
		  "mounts[0].destination: not an absolute path: 'x'", "a relative destination" },
		{ "\"mounts\": [ { \"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [ \"nodev\", \"fast\" ] } ]",
		  "mounts[0].options[1]: unknown option 'fast' (of the mount on /x)", "an unknown mount option" },
		{ "\"mounts\": [ { \"destination\": \"/x\", \"type\": \"bind\", \"source\": \"/\", \"options\": [ \"size=1m\" ] } ]",
		  "mounts[0]: options: 'size=1m' is a filesystem's, not for a bind", "data for a bind" },
		{ "\"mounts\": [ { \"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [ \"rshared\" ] } ]",
		  "mounts[0]: options: shared, slave and unbindable are for binds only",
		  "shared for a new filesystem" },
		{ "\"mounts\": [ { \"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": [ \"remount\" ] } ]",
		  "mounts[0].options[0]: 'remount': carapace makes every mount anew", "remount" },
		{ "\"mounts\": [ { \"destination\": \"/x\" } ]",
		  "mounts[0]: type: missing, and no bind or rbind in options", "a mount without a type" },
		{ "\"mounts\": [ { \"destination\": \"/x\", \"type\": \"bind\", \"source\": \"/\", \"uidMappings\": [ { } ] } ]",
		  "mounts[0].uidMappings: carapace makes no idmapped mounts", "an idmapped mount" },
		{ "\"process\": { \"args\": [], \"cwd\": \"/\" }",
		  "process.args: empty: it needs at least the command", "no command" },
		{ "\"process\": { \"args\": [ \"sh\", 1 ], \"cwd\": \"/\" }",
		  "process.args[1]: not a string but a number", "a number in args" },
		{ "\"process\": { \"args\": [ \"sh\" ], \"cwd\": \"/\", \"env\": [ \"NOVALUE\" ] }",
		  "process.env[0]: not NAME=VALUE: 'NOVALUE'", "an env entry without =" },
		{ "\"process\": { \"args\": [ \"sh\" ], \"cwd\": \"/\", \"user\": { \"uid\": 1e3, \"gid\": 0 } }",
		  "process.user.uid: not an integer: 1e3", "an exponent for an integer" },
		{ "\"process\": { \"args\": [ \"sh\" ], \"cwd\": \"/\", \"user\": { \"uid\": 4294967295, \"gid\": 0 } }",
		  "process.user.uid: out of range (0 to 4294967294): 4294967295", "uid -1" },
		{ "\"process\": { \"args\": [ \"sh\" ], \"cwd\": \"/\", \"oomScoreAdj\": 99999999999999999999 }",
		  "process.oomScoreAdj: out of range: 99999999999999999999", "an overflow" },
		{ "\"process\": { \"args\": [ \"sh\" ], \"cwd\": \"/\", \"terminal\": \"yes\" }",
		  "process.terminal: not a boolean but a string", "a string for a boolean" },
		{ "\"process\": { \"args\": [ \"sh\" ], \"cwd\": \"/\", \"selinuxLabel\": \"system_u:x\" }",
		  "process.selinuxLabel: carapace has no SELinux support: 'system_u:x'", "an SELinux label" },
		{ "\"process\": { \"args\": [ \"sh\" ], \"cwd\": \"/\", \"rlimits\": [ "
		  "{ \"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 0 }, { \"type\": \"RLIMIT_CORE\", \"soft\": 0, \"hard\": 0 } ] }",
		  "process.rlimits[1].type: RLIMIT_CORE is given twice", "an rlimit twice" },
		{ "\"process\": { \"args\": [ \"sh\" ], \"cwd\": \"/\", \"rlimits\": [ "
		  "{ \"type\": \"RLIMIT_SPEED\", \"soft\": 0, \"hard\": 0 } ] }",
		  "process.rlimits[0].type: not a resource limit: 'RLIMIT_SPEED'", "an unknown rlimit" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" }, { \"type\": \"time\" } ] }",
		  "linux.namespaces[1].type: carapace makes no time namespace", "a time namespace" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" }, { \"type\": \"mount\" } ] }",
		  "linux.namespaces[1].type: 'mount' is given twice", "a namespace twice" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"pid\" } ] }",
		  "linux.namespaces: carapace needs a mount namespace of the container's own",
		  "no mount namespace" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"uidMappings\": [ "
		  "{ \"containerID\": 0, \"hostID\": 1, \"size\": 1 } ] }",
		  "linux.uidMappings: given without a user namespace", "maps without a user namespace" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" }, { \"type\": \"user\" } ], \"uidMappings\": [ "
		  "{ \"containerID\": 0, \"hostID\": 1, \"size\": 10 }, { \"containerID\": 5, \"hostID\": 100, \"size\": 1 } ] }",
		  "linux.uidMappings[1]: overlaps an earlier range", "overlapping maps" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"cgroupsPath\": \"system.slice:crio:x\" }",
		  "linux.cgroupsPath: 'system.slice:crio:x': the systemd form (slice:prefix:name) needs "
		  "systemd's cgroup manager, and carapace has none: give a path", "a systemd cgroup path" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"intelRdt\": { } }",
		  "linux.intelRdt: carapace has no Intel RDT support", "intelRdt" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"mountLabel\": \"x\" }",
		  "linux.mountLabel: carapace has no SELinux support", "a mount label" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"rootfsPropagation\": \"half\" }",
		  "linux.rootfsPropagation: not a propagation (private, rslave, shared...): 'half'",
		  "an unknown propagation" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"personality\": { \"domain\": \"BSD\" } }",
		  "linux.personality.domain: not LINUX or LINUX32: 'BSD'", "an unknown personality" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"devices\": [ "
		  "{ \"path\": \"/dev/x\", \"type\": \"x\", \"major\": 1, \"minor\": 1 } ] }",
		  "linux.devices[0].type: not c, b, u or p: 'x'", "an unknown device type" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"devices\": [ "
		  "{ \"path\": \"/dev/x\", \"type\": \"c\" } ] }",
		  "linux.devices[0]: needs major and minor", "a device without numbers" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"resources\": { \"devices\": [ "
		  "{ \"allow\": true, \"access\": \"rwx\" } ] } }",
		  "linux.resources.devices[0].access: not of r, w and m, each once: 'rwx'",
		  "a device rule's access" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"resources\": { \"memory\": "
		  "{ \"limit\": 100, \"swap\": 50 } } }",
		  "linux.resources.memory: swap: less than limit (swap is memory and swap together)",
		  "swap below memory" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"resources\": { \"cpu\": "
		  "{ \"shares\": 1 } } }", "linux.resources.cpu.shares: not from 2 to 262144: 1",
		  "cpu shares out of range" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"resources\": { \"blockIO\": "
		  "{ \"throttleReadBpsDevice\": [ { \"major\": 8, \"minor\": 0, \"rate\": 1 } ] } } }",
		  "linux.resources.blockIO.throttleReadBpsDevice: carapace sets only blockIO.weight",
		  "a blockIO throttle" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"sysctl\": { \"../x\": \"1\" } }",
		  "linux.sysctl.../x: not a sysctl name", "a sysctl that is a path" },
		{ "\"linux\": { \"namespaces\": [ { \"type\": \"mount\" } ], \"resources\": { \"unified\": "
		  "{ \"../cgroup.procs\": \"1\" } } }",
		  "linux.resources.unified.../cgroup.procs: not a cgroup file's name", "a unified key that is a path" },
		{ "\"hooks\": { \"prestart\": [ { \"path\": \"hook\" } ] }",
		  "hooks.prestart[0].path: not an absolute path: 'hook'", "a relative hook path" },
		{ "\"hooks\": { \"poststop\": [ { \"path\": \"/h\", \"timeout\": 0 } ] }",
		  "hooks.poststop[0].timeout: out of range (1 to 2147483647): 0", "a hook's timeout of 0" },
		{ "\"annotations\": { \"a\": 1 }", "annotations.a: not a string but a number",
		  "an annotation that is no string" },
	};
	char deep[256];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *msg = xasprintf("config.json: %s", bad[i].message), desc[160];

		snprintf(desc, sizeof desc, "oci: %s is refused", bad[i].desc);
		dies(parse_of, bad[i].json, msg, desc);
		free(msg);
	}
	for (size_t i = 0; i < sizeof bad_field / sizeof bad_field[0]; i++) {
		/* A later member replaces the minimal one's: no key is given twice. */
		char *json = minimal(""), *msg = xasprintf("config.json: %s", bad_field[i].message);
		const char *key = bad_field[i].tail + 1;
		char *at, desc[160];
		size_t n = strcspn(key, "\"");

		if (!strncmp(key, "process", n) || !strncmp(key, "linux", n)) {
			at = strstr(json, !strncmp(key, "process", n) ? "\"process\"" : "\"linux\"");
			char *old = json;

			*at = '\0';
			json = xasprintf("%.*s%s%s }", (int)(at - old), old, bad_field[i].tail,
					 strncmp(key, "linux", n) ? ", \"linux\": { \"namespaces\": "
					 "[ { \"type\": \"mount\" } ] }" : "");
			free(old);
		} else {
			free(json);
			json = minimal(bad_field[i].tail);
		}
		snprintf(desc, sizeof desc, "oci: %s is refused", bad_field[i].desc);
		dies(parse_of, json, msg, desc);
		free(json), free(msg);
	}
	memset(deep, '[', sizeof deep);
	memcpy(deep, "{\"a\":", 5);
	deep[sizeof deep - 1] = '\0';
	{
		char *json = xasprintf("%s%.*s}", deep, (int)sizeof deep - 6, deep + 5);

		for (char *p = json + sizeof deep - 1; *p && *p != '}'; p++)
			*p = ']';
		char want[512] = "config.json: a";

		for (int d = 0; d < 64; d++)
			strcat(want, "[0]");
		strcat(want, ": nested more than 64 deep");
		dies(parse_of, json, want, "oci: JSON nested too deep is refused");
		free(json);
	}
}

/* The state JSON: exact, escaped, valid whatever bytes it is given. */
static void test_state_json(void)
{
	static const struct key_value notes[] = {
		{ "org.example/a", "1" }, { "b\"q", "line\nnext\ttab\x01" },
	};
	char *s;

	s = oci_state_json("abc", "created", 42, "/srv/b", NULL, 0);
	is_str(s, "{\"ociVersion\":\"" OCI_VERSION "\",\"id\":\"abc\",\"status\":\"created\","
	       "\"pid\":42,\"bundle\":\"/srv/b\"}", "state: the spec's members, in order");
	free(s);
	s = oci_state_json("abc", "stopped", 0, "/b", NULL, 0);
	is_str(s, "{\"ociVersion\":\"" OCI_VERSION "\",\"id\":\"abc\",\"status\":\"stopped\","
	       "\"bundle\":\"/b\"}", "state: no pid when there is none");
	free(s);
	s = oci_state_json("x", "running", 7, "/b", notes, 2);
	is_str(s, "{\"ociVersion\":\"" OCI_VERSION "\",\"id\":\"x\",\"status\":\"running\","
	       "\"pid\":7,\"bundle\":\"/b\",\"annotations\":{\"org.example/a\":\"1\","
	       "\"b\\\"q\":\"line\\u000anext\\u0009tab\\u0001\"}}",
	       "state: annotations, quotes and control characters escaped");
	free(s);
	s = oci_state_json("q\"\\", "created", 1, "/\xc3\xa9/\xf0\x9f\x90\xa2/\xff/\xe2\x82/\xc0\xaf/"
			   "\xed\xa0\x80/\x7f", NULL, 0);
	is_str(s, "{\"ociVersion\":\"" OCI_VERSION "\",\"id\":\"q\\\"\\\\\",\"status\":\"created\","
	       "\"pid\":1,\"bundle\":\"/\xc3\xa9/\xf0\x9f\x90\xa2/\\ufffd/\\ufffd\\ufffd/"
	       "\\ufffd\\ufffd/\\ufffd\\ufffd\\ufffd/\\u007f\"}",
	       "state: valid UTF-8 kept; a stray, cut, overlong or surrogate byte is U+FFFD");
	free(s);
}

/* run_hooks(KIND) on HOOKS, in a child: its stderr gets the hooks' stdout. */
struct hooks_case {
	enum hook_kind kind;
	struct hook *hooks;
	size_t n;
	const char *state;
};

static void call_hooks(const void *arg)
{
	const struct hooks_case *hc = arg;
	struct container c = { 0 };

	c.oci.hooks[hc->kind] = hc->hooks;
	c.oci.hooks_len[hc->kind] = hc->n;
	run_hooks(&c, hc->kind, hc->state);
}

static bool hooks_give(const struct hooks_case *hc, int code, const char *err, const char *desc)
{
	struct outcome o = in_child(call_hooks, hc);
	bool pass = o.code == code && !strcmp(o.err, err);

	if (!ok(pass, "%s", desc)) {
		printf("#      got: exit %d, '%s'\n", o.code, o.err);
		printf("# expected: exit %d, '%s'\n", code, err);
	}
	return pass;
}

#define SH(...) (char *[]){ "sh", "-c", __VA_ARGS__, NULL }

static void test_hooks(void)
{
	static const char state[] = "{\"id\":\"h\"}";
	char *env_ab[] = { "A=1", "B=two words", NULL };
	struct hook cat = { "/bin/cat", NULL, NULL, 0 };
	struct hook env_given = { "/usr/bin/env", (char *[]){ "env", NULL }, env_ab, 0 };
	struct hook env_none = { "/usr/bin/env", (char *[]){ "env", NULL }, NULL, 0 };
	struct hook argv0 = { "/bin/sh", SH("echo $0 $1", "zero", "one"), NULL, 0 };
	struct hook two[] = { { "/bin/sh", SH("echo one"), NULL, 0 },
			      { "/bin/sh", SH("echo two"), NULL, 0 } };
	struct hook fails[] = { { "/bin/sh", SH("exit 3"), NULL, 0 },
				{ "/bin/sh", SH("echo after"), NULL, 0 } };
	struct hook killed = { "/bin/sh", SH("kill -9 $$"), NULL, 0 };
	struct hook missing = { "/nonexistent/hook", NULL, NULL, 0 };
	struct hook hangs = { "/bin/sh", SH("sleep 100; :"), NULL, 1 };	/* a child of the hook */
	struct hook ignores_stdin = { "/bin/true", NULL, NULL, 0 };
	struct hook deaf_hang = { "/bin/sh", SH("exec sleep 100"), NULL, 1 };
	struct hook fds = { "/bin/ls", (char *[]){ "ls", "/proc/self/fd", NULL }, NULL, 0 };
	struct hook closes_stdin = { "/bin/sh", SH("exec <&-; sleep 0.2"), NULL, 0 };
	char *big = xrealloc(NULL, 300000);
	int leak;

	memset(big, 'x', 299999);
	big[299999] = '\0';
	hooks_give(&(struct hooks_case){ HOOK_PRESTART, &cat, 1, state }, 0, state,
		   "hooks: the state on stdin, stdout to carapace's stderr, path as argv[0]");
	hooks_give(&(struct hooks_case){ HOOK_CREATE_RUNTIME, &env_given, 1, state }, 0,
		   "A=1\nB=two words\n", "hooks: the environment exactly as given");
	hooks_give(&(struct hooks_case){ HOOK_CREATE_RUNTIME, &env_none, 1, state }, 0, "",
		   "hooks: no env: an empty environment");
	hooks_give(&(struct hooks_case){ HOOK_CREATE_CONTAINER, &argv0, 1, state }, 0,
		   "zero one\n", "hooks: args as given, args[0] the hook's argv[0]");
	hooks_give(&(struct hooks_case){ HOOK_START_CONTAINER, two, 2, state }, 0, "one\ntwo\n",
		   "hooks: in the order given");
	hooks_give(&(struct hooks_case){ HOOK_PRESTART, fails, 2, state }, 125,
		   "carapace: hook prestart /bin/sh: exited with 3\n",
		   "hooks: a failing prestart hook is fatal, and the next one doesn't run");
	hooks_give(&(struct hooks_case){ HOOK_POSTSTART, fails, 2, state }, 0,
		   "carapace: warning: hook poststart /bin/sh: exited with 3\nafter\n",
		   "hooks: a failing poststart hook is a warning, and the next one runs");
	hooks_give(&(struct hooks_case){ HOOK_POSTSTOP, &killed, 1, state }, 0,
		   "carapace: warning: hook poststop /bin/sh: killed by signal 9\n",
		   "hooks: a poststop hook killed by a signal is a warning");
	hooks_give(&(struct hooks_case){ HOOK_CREATE_CONTAINER, &killed, 1, state }, 125,
		   "carapace: hook createContainer /bin/sh: killed by signal 9\n",
		   "hooks: a createContainer hook killed by a signal is fatal");
	hooks_give(&(struct hooks_case){ HOOK_CREATE_RUNTIME, &missing, 1, state }, 125,
		   "carapace: hook: exec: /nonexistent/hook: No such file or directory\n"
		   "carapace: hook createRuntime /nonexistent/hook: exited with 127\n",
		   "hooks: a hook that isn't there: 127, fatal");
	hooks_give(&(struct hooks_case){ HOOK_PRESTART, &hangs, 1, state }, 125,
		   "carapace: hook prestart /bin/sh: timed out after 1 s, killed\n",
		   "hooks: a hook past its timeout is killed, fatal before the start");
	hooks_give(&(struct hooks_case){ HOOK_POSTSTOP, &hangs, 1, state }, 0,
		   "carapace: warning: hook poststop /bin/sh: timed out after 1 s, killed\n",
		   "hooks: a poststop hook past its timeout is killed, a warning");
	hooks_give(&(struct hooks_case){ HOOK_PRESTART, &ignores_stdin, 1, big }, 0, "",
		   "hooks: a hook that exits without reading 300 KB of state");
	hooks_give(&(struct hooks_case){ HOOK_PRESTART, &closes_stdin, 1, big }, 0, "",
		   "hooks: a hook that closes its stdin unread: no SIGPIPE for carapace");
	hooks_give(&(struct hooks_case){ HOOK_PRESTART, &deaf_hang, 1, big }, 125,
		   "carapace: hook prestart /bin/sh: timed out after 1 s, killed\n",
		   "hooks: the timeout holds while the state fills the pipe, unread");
	leak = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC: the hook must not get it */
	hooks_give(&(struct hooks_case){ HOOK_PRESTART, &fds, 1, state }, 0, "0\n1\n2\n3\n",
		   "hooks: only fds 0, 1 and 2 (and ls's own 3) in the hook");
	close(leak);
	free(big);
}

/*
 * src/printf.c's vfprintf, under snprintf: each case as musl's own
 * formatter printed it (and glibc's), the return value too.
 */
__attribute__((format(printf, 3, 4)))
static void formats(const char *want, int want_n, const char *fmt, ...)
{
	char got[256], desc[300];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(got, sizeof got, fmt, ap);
	va_end(ap);
	snprintf(desc, sizeof desc, "printf: '%s' gives '%s'", fmt, want);
	if (is_str(got, want, desc))
		is_num(n, want_n, "... and returns its length");
}

static void test_printf(void)
{
	char small[4], big[3001], out[3100];
	volatile size_t small_size = sizeof small;	/* gcc would warn of the truncation tested */

	formats("abc|-42|42|18446744073709551615|-9223372036854775808", 52, "%s|%d|%u|%llu|%lld",
		"abc", -42, 42u, 18446744073709551615ULL, (long long)INT64_MIN);
	formats("he|hel||hi", 10, "%.*s|%.3s|%.0s|%.10s", 2, "hello", "hello", "x", "hi");
	formats("123|Z|05|-5|0xdead|0|ff", 23, "%zu|%c|%02d|%02d|%#llx|%#llx|%lx",
		(size_t)123, 'Z', 5, -5, 0xdeadULL, 0ULL, 0xffUL);
	formats("00ab|ab      |12      |     -12|    x|y    |z   |", 49,
		"%04x|%-8s|%-8d|%8d|%*s|%*s|%-*s|", 0xab, "ab", 12, -12, 5, "x", -5, "y", 4, "z");
	formats("-00000123|00001234|0010|010|0|0|007|00042|    -007|007     |+5| 5|-5", 68,
		"%09ld|%08x|%04o|%#o|%#o|%o|%03lld|%.5d|%8.3d|%-8.3d|%+d|% d|%+d",
		-123L, 0x1234u, 8, 8, 0, 0, 7LL, 42, -7, 7, 5, 5, -5);
	formats("||0|ABC|0XABC|0x1000|44|4464|44", 31, "%.0d|%.0u|%x|%X|%#X|%p|%hhd|%hd|%hhu",
		0, 0u, 0u, 0xabcu, 0xabcu, (void *)0x1000, 300, 70000, 300);
	formats("50%|a |long|-1|-2|7", 19, "%d%%|%-2s|%.155s|%jd|%td|%i",
		50, "a", "long", (intmax_t)-1, (ptrdiff_t)-2, 7);
	is_num(snprintf(small, small_size, "%s", "abcdef"), 6, "printf: truncated, the length is the whole");
	is_str(small, "abc", "... and the buffer ends in a NUL");
	is_num(snprintf(NULL, 0, "%d-%s", 12345, "xyz"), 9, "printf: a size of 0 measures");
	memset(big, 'q', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	is_num(snprintf(out, sizeof out, "<%s>", big), 3002, "printf: past its 1 KB of buffer");
	ok(strlen(out) == 3002 && out[0] == '<' && out[3000] == 'q' && out[3001] == '>',
	   "... all of it, in order");
}

static int compare_ints(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* src/libc.c's qsort, a heapsort, on inputs of each shape and size 0 to 300. */
static void test_qsort(void)
{
	static int a[300];
	unsigned seed = 1;
	bool sorted = true, kept = true;

	for (int shape = 0; shape < 4; shape++)
		for (size_t n = 0; n <= 300; n += n < 10 ? 1 : 29) {
			long long sum = 0, after = 0;

			for (size_t i = 0; i < n; i++) {
				seed = seed * 1103515245 + 12345;
				a[i] = shape == 0 ? (int)(seed >> 8) % 1000 - 500 : shape == 1 ? (int)i :
				       shape == 2 ? (int)(n - i) : (int)(seed >> 8) % 3;
				sum += a[i];
			}
			qsort(a, n, sizeof a[0], compare_ints);
			for (size_t i = 0; i < n; i++) {
				sorted &= i == 0 || a[i - 1] <= a[i];
				after += a[i];
			}
			kept &= sum == after;
		}
	ok(sorted, "qsort: random, sorted, reversed and 3-valued arrays of 0 to 300 come out in order");
	ok(kept, "... with the same elements (their sum)");
}

/* src/libc.c's strstr, called through a pointer that gcc can't fold. */
static void test_strstr(void)
{
	char *(*volatile find)(const char *, const char *) = strstr;
	static const struct { const char *h, *n; int at; } cases[] = {
		{ "abc", "", 0 }, { "", "", 0 }, { "", "a", -1 }, { "a..b", "..", 1 },
		{ "frozen 0\nfrozen 1", "\nfrozen 1", 8 }, { "aab", "ab", 1 }, { "ab", "abc", -1 },
		{ "x - y - z", " - ", 1 }, { "abcabd", "abd", 3 }, { "abc", "c", 2 }, { "abc", "d", -1 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = find(cases[i].h, cases[i].n);
		char desc[128];

		snprintf(desc, sizeof desc, "strstr('%s', '%s') is at %d", cases[i].h, cases[i].n, cases[i].at);
		is_num(got ? got - cases[i].h : -1, cases[i].at, desc);
	}
}

/*
 * src/lz4.h, the packed carapace's decoder (src/unpack.c): blocks made by
 * hand, good and damaged; a damaged one is refused and nothing is written
 * past the end of the output (the guard bytes after it stay).
 */
#include "../src/lz4.h"

static long decode_guarded(const char *in, size_t in_len, size_t out_len, char *out,
			   bool *guard_ok)
{
	uint8_t buf[80];
	long n;

	memset(buf, 0xa5, sizeof buf);
	n = lz4_decode_block((const uint8_t *)in, in_len, buf, buf, out_len);
	*guard_ok = true;
	for (size_t i = out_len; i < sizeof buf; i++)
		*guard_ok &= buf[i] == 0xa5;
	if (n >= 0 && out)
		memcpy(out, buf, (size_t)n), out[n] = '\0';
	return n;
}

static void test_lz4_blocks(void)
{
	static const struct { const char *in; size_t len; const char *out; } good[] = {
		{ "\x50hello", 6, "hello" },
		/* "ab", then 6 from 2 back (a run), then "c" */
		{ "\x22" "ab" "\x02\x00" "\x10" "c", 7, "ababababc" },
		/* 'x', then 4 + 15 + 10 from 1 back: 30 x's */
		{ "\x1f" "x" "\x01\x00" "\x0a" "\x10" "y", 7, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxy" },
		/* 15 + 3 literals: a length's extra byte */
		{ "\xf0\x03" "abcdefghijklmnopqr", 20, "abcdefghijklmnopqr" },
		/* 16 literals, then 20 from 16 back: in chunks of 8 */
		{ "\xff\x01" "0123456789abcdef" "\x10\x00\x01" "\x10" "z", 23,
		  "0123456789abcdef0123456789abcdef0123z" },
		{ "", 0, "" },
	};
	static const struct { const char *in; size_t len, out_len; const char *why; } bad[] = {
		{ "\x14" "a" "\x00\x00", 4, 40, "a match from 0 back" },
		{ "\x24" "ab" "\x03\x00", 5, 40, "a match from before the output" },
		{ "\x50" "abc", 4, 40, "literals past the block's end" },
		{ "\x50" "hello", 6, 4, "literals past the output's end" },
		{ "\x1f" "a" "\x01\x00" "\x0f", 5, 8, "a match past the output's end" },
		{ "\x14" "a" "\x01", 3, 40, "an offset cut short" },
		{ "\xf0\xff\xff", 3, 40, "a length that runs off the block" },
		{ "\x1f" "a" "\x01\x00\xff", 5, 40, "a match length that runs off the block" },
	};
	char out[80];
	bool guard_ok;

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		long n = decode_guarded(good[i].in, good[i].len, strlen(good[i].out), out, &guard_ok);

		is_num(n, (long long)strlen(good[i].out), "lz4: a good block makes all its bytes");
		if (n >= 0)
			is_str(out, good[i].out, "lz4: ... and the right ones");
		ok(guard_ok, "lz4: ... and nothing past them");
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char desc[128];

		snprintf(desc, sizeof desc, "lz4: refused: %s", bad[i].why);
		is_num(decode_guarded(bad[i].in, bad[i].len, bad[i].out_len, NULL, &guard_ok), -1, desc);
		ok(guard_ok, "lz4: ... and nothing written past the output");
	}
}

/* Random bytes as a block, many times: refused or not, never written past OUT. */
static void test_lz4_random(void)
{
	unsigned seed = 12345;
	int past = 0, taken = 0;

	for (int round = 0; round < 20000; round++) {
		char in[48];
		size_t len = 1 + (seed = seed * 1103515245 + 12345) % sizeof in, out_len;
		bool guard_ok;

		for (size_t i = 0; i < len; i++)
			in[i] = (char)((seed = seed * 1103515245 + 12345) >> 16);
		out_len = (seed >> 8) % 64;
		taken += decode_guarded(in, len, out_len, NULL, &guard_ok) >= 0;
		past += !guard_ok;
	}
	is_num(past, 0, "lz4: 20,000 random blocks: none wrote past the output");
	ok(taken > 0 && taken < 20000, "lz4: ... some taken (%d), some refused", taken);
}

/* Frames: the header the lz4 tool writes, checked; the output filled exactly. */
static void test_lz4_frames(void)
{
	static const uint8_t frame[] = { 0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0x73,
					 6, 0, 0, 0, 0x50, 'h', 'e', 'l', 'l', 'o',
					 3, 0, 0, 0x80, '!', '!', '\n', 0, 0, 0, 0 };
	uint8_t copy[sizeof frame + 8], out[16];
	const size_t len = sizeof frame;

	is_num(lz4_decode_frame(frame, frame + len, out, 8), 0, "lz4 frame: a block and a stored one");
	ok(!memcmp(out, "hello!!\n", 8), "lz4 frame: ... decoded in order");
	is_num(lz4_decode_frame(frame, frame + len, out, 9), -1, "lz4 frame: refused if it fills less");
	is_num(lz4_decode_frame(frame, frame + len, out, 7), -1, "lz4 frame: refused if it would fill more");
	is_num(lz4_decode_frame(frame, frame + len - 4, out, 8), -1, "lz4 frame: refused without its end mark");
	memcpy(copy, frame, len);
	copy[len] = 0;
	is_num(lz4_decode_frame(copy, copy + len + 1, out, 8), -1, "lz4 frame: refused with a byte after its end");
	/* With a content size (FLG 0x08): 8 bytes after BD, which must be the output's. */
	memcpy(copy, frame, 6);
	memcpy(copy + 14, frame + 6, len - 6);
	copy[4] |= 0x08;
	memcpy(copy + 6, "\x08\0\0\0\0\0\0\0", 8);
	is_num(lz4_decode_frame(copy, copy + len + 8, out, 8), 0, "lz4 frame: a content size that is the output's");
	copy[6] = 9;
	is_num(lz4_decode_frame(copy, copy + len + 8, out, 8), -1, "lz4 frame: refused with another content size");
	is_num(lz4_decode_frame(copy, copy + 10, out, 8), -1, "lz4 frame: refused when cut in its content size");
	for (size_t at = 0; at < 11; at++) {
		static const size_t changed[] = { 0, 1, 2, 3, 4, 4, 4, 7, 8, 9, 10 };
		static const uint8_t to[] = { 5, 0, 0, 0, 0xa0, 0x70, 0x61, 0xff, 0xff, 0xff, 0x7f };
		char desc[96];

		memcpy(copy, frame, len);
		copy[changed[at]] = to[at];
		snprintf(desc, sizeof desc, "lz4 frame: refused with byte %zu changed to %#x",
			 changed[at], to[at]);
		is_num(lz4_decode_frame(copy, copy + len, out, 8), -1, desc);
	}
}

/* src/libc.c's gmtime_r, against dates Python's datetime gave. */
static void test_gmtime(void)
{
	static const struct { time_t t; const char *want; int yday, wday; } cases[] = {
		{ 0, "1970-01-01T00:00:00", 0, 4 },
		{ 951782400, "2000-02-29T00:00:00", 59, 2 },
		{ 1709251199, "2024-02-29T23:59:59", 59, 4 },
		{ -1, "1969-12-31T23:59:59", 364, 3 },
		{ 4102444800, "2100-01-01T00:00:00", 0, 5 },
		{ 253402300799, "9999-12-31T23:59:59", 364, 5 },
		{ 68169600, "1972-02-29T00:00:00", 59, 2 },
		{ 1764720000, "2025-12-03T00:00:00", 336, 3 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tm tm;
		char got[64], desc[96];

		if (!gmtime_r(&cases[i].t, &tm)) {
			ok(false, "gmtime_r(%lld) fails", (long long)cases[i].t);
			continue;
		}
		snprintf(got, sizeof got, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		snprintf(desc, sizeof desc, "gmtime_r(%lld) is %s", (long long)cases[i].t, cases[i].want);
		is_str(got, cases[i].want, desc);
		ok(tm.tm_yday == cases[i].yday && tm.tm_wday == cases[i].wday,
		   "... day %d of its year, a weekday %d (got %d, %d)", cases[i].yday, cases[i].wday,
		   tm.tm_yday, tm.tm_wday);
	}
}

/* src/libc.c's strtoll and strtoull, against what musl's own gave (errno, the end too). */
static void test_strto(void)
{
	static const struct {
		const char *in;
		int base;
		long long ll;
		int ll_errno, end;
		unsigned long long ull;
		int ull_errno;
	} cases[] = {
		{ "0", 0, 0LL, 0, 1, 0ULL, 0 },
		{ "0", 1, 0LL, 22, 0, 0ULL, 22 },
		{ "123", 10, 123LL, 0, 3, 123ULL, 0 },
		{ "  -42", 0, -42LL, 0, 5, 18446744073709551574ULL, 0 },
		{ "+7", 2, 0LL, 22, 0, 0ULL, 22 },
		{ "0x1f", 0, 31LL, 0, 4, 31ULL, 0 },
		{ "0X1F", 16, 31LL, 0, 4, 31ULL, 0 },
		{ "0x", 16, 0LL, 0, 1, 0ULL, 0 },
		{ "0xg", 0, 0LL, 0, 1, 0ULL, 0 },
		{ "017", 0, 15LL, 0, 3, 15ULL, 0 },
		{ "08", 0, 0LL, 0, 1, 0ULL, 0 },
		{ "-0", 10, 0LL, 0, 2, 0ULL, 0 },
		{ "18446744073709551615", 10, 9223372036854775807LL, 34, 20, 18446744073709551615ULL, 0 },
		{ "18446744073709551616", 10, 9223372036854775807LL, 34, 20, 18446744073709551615ULL, 34 },
		{ "-18446744073709551615", 10, INT64_MIN, 34, 21, 1ULL, 0 },
		{ "9223372036854775807", 10, 9223372036854775807LL, 0, 19, 9223372036854775807ULL, 0 },
		{ "9223372036854775808", 10, 9223372036854775807LL, 34, 19, 9223372036854775808ULL, 0 },
		{ "-9223372036854775808", 10, INT64_MIN, 0, 20, 9223372036854775808ULL, 0 },
		{ "-9223372036854775809", 10, INT64_MIN, 34, 20, 9223372036854775807ULL, 0 },
		{ "", 10, 0LL, 22, 0, 0ULL, 22 },
		{ "-", 10, 0LL, 22, 0, 0ULL, 22 },
		{ "abc", 10, 0LL, 22, 0, 0ULL, 22 },
		{ "zz", 36, 1295LL, 0, 2, 1295ULL, 0 },
		{ "1e3", 10, 1LL, 0, 1, 1ULL, 0 },
		{ "-1", 10, -1LL, 0, 2, 18446744073709551615ULL, 0 },
		{ "99999999999999999999999", 10, 9223372036854775807LL, 34, 23, 18446744073709551615ULL, 34 },
		{ "-0x10", 0, -16LL, 0, 5, 18446744073709551600ULL, 0 },
		{ "12abc", 10, 12LL, 0, 2, 12ULL, 0 },
	};
	bool all = true;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *end;
		long long ll;
		unsigned long long ull;
		int ll_errno, ull_errno;

		errno = 0;
		ll = strtoll(cases[i].in, &end, cases[i].base);
		ll_errno = errno;
		errno = 0;
		ull = strtoull(cases[i].in, NULL, cases[i].base);
		ull_errno = errno;
		if (ll != cases[i].ll || ll_errno != cases[i].ll_errno || end - cases[i].in != cases[i].end ||
		    ull != cases[i].ull || ull_errno != cases[i].ull_errno) {
			all = false;
			printf("# '%s' in base %d: strtoll %lld (errno %d, end %d), strtoull %llu (errno %d)\n",
			       cases[i].in, cases[i].base, ll, ll_errno, (int)(end - cases[i].in), ull, ull_errno);
		}
	}
	ok(all, "strtoll, strtoull: %zu cases (signs, bases 0 to 36, 0x, overflow, no digits) as musl's",
	   sizeof cases / sizeof cases[0]);
	errno = 0;
	is_num(strtol("-2147483649", NULL, 10), -2147483649LL, "strtol: a long is 64 bits here");
	is_num(strtoul("-1", NULL, 10) == ULONG_MAX && !errno, 1, "strtoul('-1') is ULONG_MAX, as C says");
}

/*
 * The device program (src/cgroup.c's device_program) run here: eBPF as
 * the kernel runs a BPF_PROG_TYPE_CGROUP_DEVICE program, enough for the
 * instructions it writes. A register read before it is written, a jump
 * backwards or out, any other instruction: -1, which fails the test.
 */
static int run_device_program(const struct bpf_insn *p, int len, uint32_t type, uint32_t major,
			      uint32_t minor, uint32_t access)
{
	uint32_t ctx[3] = { access << 16 | type, major, minor };
	uint64_t r[11] = { 0 };
	unsigned set = 1u << 1;	/* R1, the context */

	for (int pc = 0; pc >= 0 && pc < len; pc++) {
		const struct bpf_insn *i = &p[pc];
		uint64_t k = (uint64_t)(int64_t)i->imm, s = r[i->src_reg] & 0xffffffff;
		bool reads_src = BPF_SRC(i->code) == BPF_X || BPF_CLASS(i->code) == BPF_LDX;
		bool reads_dst = BPF_CLASS(i->code) == BPF_JMP ? BPF_OP(i->code) != BPF_JA &&
				 BPF_OP(i->code) != BPF_EXIT : BPF_CLASS(i->code) == BPF_ALU &&
				 BPF_OP(i->code) != BPF_MOV;

		if ((reads_src && !(set >> i->src_reg & 1)) || (reads_dst && !(set >> i->dst_reg & 1)) ||
		    i->dst_reg > 10 || i->src_reg > 10)
			return -1;
		switch (i->code) {
		case BPF_LDX | BPF_W | BPF_MEM:
			if (i->src_reg != BPF_REG_1 || i->off < 0 || i->off > 8 || i->off % 4)
				return -1;
			r[i->dst_reg] = ctx[i->off / 4];
			break;
		case BPF_ALU | BPF_MOV | BPF_X: r[i->dst_reg] = s; break;
		case BPF_ALU | BPF_MOV | BPF_K: r[i->dst_reg] = (uint32_t)i->imm; break;
		case BPF_ALU | BPF_RSH | BPF_K: r[i->dst_reg] = (uint32_t)r[i->dst_reg] >> (i->imm & 31); break;
		case BPF_ALU | BPF_LSH | BPF_K: r[i->dst_reg] = (uint32_t)(r[i->dst_reg] << (i->imm & 31)); break;
		case BPF_ALU | BPF_AND | BPF_K: r[i->dst_reg] = (uint32_t)r[i->dst_reg] & (uint32_t)i->imm; break;
		case BPF_ALU | BPF_OR | BPF_X: r[i->dst_reg] = (uint32_t)(r[i->dst_reg] | s); break;
		case BPF_JMP | BPF_JEQ | BPF_K: if (r[i->dst_reg] == k) pc += i->off; break;
		case BPF_JMP | BPF_JNE | BPF_K: if (r[i->dst_reg] != k) pc += i->off; break;
		case BPF_JMP | BPF_JA: pc += i->off; break;
		case BPF_JMP | BPF_EXIT: return set & 1 ? (int)r[0] : -1;
		default: return -1;
		}
		if (BPF_CLASS(i->code) == BPF_JMP && i->off < 0)
			return -1;
		if (BPF_CLASS(i->code) != BPF_JMP)
			set |= 1u << i->dst_reg;
	}
	return -1;
}

/* The rules as v1's devices cgroup reads them: the last that matches decides; none, deny. */
static int rules_verdict(const struct device_rule *rules, size_t n, uint32_t type, uint32_t major,
			 uint32_t minor, uint32_t access)
{
	char t = type == BPF_DEVCG_DEV_CHAR ? 'c' : type == BPF_DEVCG_DEV_BLOCK ? 'b' : '?';

	for (size_t i = n; t != '?' && i-- > 0;) {
		const struct device_rule *r = &rules[i];
		uint32_t acc = (strchr(r->access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0) |
			       (strchr(r->access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
			       (strchr(r->access, 'w') ? BPF_DEVCG_ACC_WRITE : 0);

		if ((r->type != 'a' && r->type != t) || (r->major >= 0 && r->major != major) ||
		    (r->minor >= 0 && r->minor != minor))
			continue;
		if (r->allow && !(access & ~acc & 7))
			return 1;
		if (!r->allow && (access & acc))
			return 0;
	}
	return 0;
}

/* Every device and access of a grid, the program against the rules: the mismatches. */
static int device_program_mismatches(const struct device_rule *rules, size_t n, char *first,
				     size_t size)
{
	static const uint32_t majors[] = { 0, 1, 4, 5, 8, 10, 136, 2047, 2048, 4095 };
	static const uint32_t minors[] = { 0, 1, 2, 3, 5, 7, 8, 9, 200, 0x7ffff, 0xfffff };
	int len, bad = 0;
	struct bpf_insn *p = device_program(rules, n, &len);

	for (uint32_t type = 1; type <= 3; type++)
		for (size_t a = 0; a < sizeof majors / sizeof *majors; a++)
			for (size_t b = 0; b < sizeof minors / sizeof *minors; b++)
				for (uint32_t acc = 1; acc <= 7; acc++) {
					int got = run_device_program(p, len, type, majors[a], minors[b], acc);
					int want = rules_verdict(rules, n, type, majors[a], minors[b], acc);

					if (got != want && !bad++)
						snprintf(first, size, "type %u %u:%u access %u: %d, not %d",
							 type, majors[a], minors[b], acc, got, want);
				}
	free(p);
	return bad;
}

/* The kernel's verifier takes it (it refuses an instruction no path reaches): 1, 0, or -1 if no bpf. */
static int device_program_loads(const struct device_rule *rules, size_t n)
{
	int len, fd;
	struct bpf_insn *p = device_program(rules, n, &len);
	union bpf_attr attr = { .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
				.insns = (uint64_t)(uintptr_t)p, .insn_cnt = (uint32_t)len,
				.license = (uint64_t)(uintptr_t)"GPL" };

	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof attr);
	free(p);
	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 1 : errno == EPERM || errno == ENOSYS ? -1 : 0;
}

static struct device_rule random_device_rule(unsigned *seed)
{
	static const int64_t majors[] = { -1, -1, 1, 5, 136, 2047, 2048, 4095, INT32_MAX };
	static const int64_t minors[] = { -1, -1, 0, 3, 5, 0xfffff, 0x100000, INT32_MAX };
	static const char *const access[] = { "", "m", "r", "w", "rw", "rm", "wm", "rwm", "rwm" };
	static const char types[] = "aacccb";
	struct device_rule r;
	unsigned x = (*seed = *seed * 1103515245 + 12345) >> 8;

	r.allow = x & 1 ? true : (x >> 1) % 3 == 0;	/* allow twice as often */
	r.type = types[(x >> 3) % 6];
	r.major = majors[(x >> 6) % (sizeof majors / sizeof *majors)];
	r.minor = minors[(x >> 10) % (sizeof minors / sizeof *minors)];
	strcpy(r.access, access[(x >> 14) % (sizeof access / sizeof *access)]);
	return r;
}

/* 3300 deny rules of 10 instructions each: past a jump's 16-bit reach. */
static void device_program_of_3300(const void *arg)
{
	struct device_rule *rules = xrealloc(NULL, 3300 * sizeof *rules);
	int len;

	(void)arg;
	for (int i = 0; i < 3300; i++)
		rules[i] = (struct device_rule){ false, 'a', 3000 + i % 1000, i / 1000, "r" };
	free(device_program(rules, 3300, &len));
	free(rules);
}

static void test_device_program(void)
{
	/* carapace's default list (src/cgroup.c), and rules an OCI config may add before it */
	static const struct device_rule defaults[] = {
		{ true, 'c', -1, -1, "m" }, { true, 'b', -1, -1, "m" },
		{ true, 'c', 1, 3, "rwm" }, { true, 'c', 1, 5, "rwm" }, { true, 'c', 1, 7, "rwm" },
		{ true, 'c', 1, 8, "rwm" }, { true, 'c', 1, 9, "rwm" }, { true, 'c', 5, 0, "rwm" },
		{ true, 'c', 5, 2, "rwm" }, { true, 'c', 136, -1, "rwm" },
	};
	struct device_rule rules[16];
	char first[128] = "";
	unsigned seed = 4242;
	int bad = 0, loads = 0, refused = 0, lists = 0, len;

	is_num(device_program_mismatches(defaults, 10, first, sizeof first), 0,
	       "device program: the default list, every device and access of the grid");
	struct bpf_insn *p = device_program(defaults, 10, &len);
	ok(len <= 32, "device program: the default list in %d instructions, at most 32", len);
	free(p);
	for (int round = 0; round < 400; round++, lists++) {
		size_t n = (size_t)(round % 13);

		for (size_t i = 0; i < n; i++)
			rules[i] = random_device_rule(&seed);
		if (round % 2) {	/* the defaults after them, as device_rules puts them */
			memcpy(rules + n, defaults, 3 * sizeof *rules);
			n += 3;
		}
		bad += device_program_mismatches(rules, n, first, sizeof first) > 0;
		if (round % 8 == 0 && (loads >= 0 || round == 0)) {
			int l = device_program_loads(rules, n);

			loads = l < 0 ? -1 : loads + l;
			refused += l == 0;
		}
	}
	if (!ok(bad == 0, "device program: %d random lists, each against its rules: %d differ", lists, bad))
		printf("# first: %s\n", first);
	dies(device_program_of_3300, NULL, "linux.resources.devices: 3300 rules: too many for a "
	     "device program (33015 instructions, at most 32767)",
	     "device program: past a jump's reach, refused with a line");
	if (loads < 0)
		printf("ok %d - # skip device program: the kernel loads none here (no root, or no bpf)\n",
		       ++tests);
	else
		ok(refused == 0, "device program: the kernel's verifier takes all %d loaded (%d refused)",
		   loads + refused, refused);
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
	test_printf();
	test_qsort();
	test_strstr();
	test_gmtime();
	test_strto();
	test_lz4_blocks();
	test_lz4_random();
	test_lz4_frames();
	test_sizes();
	test_cpus();
	test_cpusets();
	test_ulimits();
	test_tar_good();
	test_tar_bad();
	test_syscall_table();
	test_seccomp();
	test_oci_seccomp_ops();
	test_oci_seccomp_rules();
	test_oci_seccomp_installed();
	test_oci_seccomp_podman();
	test_oci_seccomp_bad();
	test_passwd();
	test_oci_state();
	test_validate_spec();
	test_oci_full();
	test_oci_defaults();
	test_oci_bad();
	test_state_json();
	test_hooks();
	test_device_program();
	remove_tree(scratch);
	printf("1..%d\n", tests);
	return failures ? 1 : 0;
}
