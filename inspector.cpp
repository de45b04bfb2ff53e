// inspector.cpp: what the container looks like, told from inside.
//
// Compiled by g++ against musl's headers with no C++ runtime: no
// exceptions, no RTTI, no libstdc++, no allocation. Its C API: inspector.h.
//
// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <linux/capability.h>
#include <linux/magic.h>

#include "inspector.h"
#include "src/shared.h"

namespace {

struct ns_name {
	unsigned long flag;
	const char *name;
};

constexpr ns_name namespaces[] = {
	{ CLONE_NEWPID, "pid" }, { CLONE_NEWNS, "mnt" }, { CLONE_NEWUTS, "uts" },
	{ CLONE_NEWIPC, "ipc" }, { CLONE_NEWNET, "net" }, { CLONE_NEWCGROUP, "cgroup" },
	{ CLONE_NEWUSER, "user" },
};

// Appends to a fixed buffer; a full buffer cuts the text, never overflows.
struct line {
	char buf[512];
	size_t len = 0;

	template <typename... Args>
	void add(const char *fmt, Args... args)
	{
		if (len >= sizeof buf)
			return;
		int n = snprintf(buf + len, sizeof buf - len, fmt, args...);
		if (n > 0)
			len += (size_t)n < sizeof buf - len ? (size_t)n : sizeof buf - len - 1;
	}
};

int popcount64(unsigned long long v)
{
	int n = 0;
	for (; v; v &= v - 1)
		n++;
	return n;
}

// ------------------------------------------------------------------
// The report's output: one set of calls, written as text or as JSON
// ------------------------------------------------------------------

// Length of the valid UTF-8 sequence at S (nul-terminated), or 0.
size_t utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, lo = s[0] == 0xe0 ? 0xa0 : lo, hi = s[0] == 0xed ? 0x9f : hi;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, lo = s[0] == 0xf0 ? 0x90 : lo, hi = s[0] == 0xf4 ? 0x8f : hi;
	else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/*
 * Text: "key: value" lines, a section's members indented under it, a row
 * on one line. JSON: one object; a row is an object on one line. Either
 * way it goes through a fixed buffer, and a failed write is remembered.
 */
class output {
public:
	output(int fd, bool json) : fd(fd), json(json) {}

	// An object: the document (KEY null), a section, or a sub-section.
	void begin(const char *key, int width = 0)
	{
		if (depth == 0) {
			if (json)
				put("{");
		} else if (json) {
			member(key);
			put("{");
		} else {
			heading(key);
		}
		push(OBJECT, width);
	}

	// An array of strings (items) or of objects (rows); LINES: an item a line.
	void list(const char *key, bool lines = false)
	{
		if (json) {
			member(key);
			put("[");
		} else if (depth > 1) {	// in a section: "key:" padded like a scalar's
			stack[depth - 1].n++;
			newline(depth - 1);
			padded_key(key, stack[depth - 1].width);
		} else {
			heading(key);
		}
		push(LIST, 0);
		stack[depth - 1].lines = lines;
	}

	// An object on one line: in a list, {"KEY": "LABEL", ...}; else "LABEL": {...}.
	void row(const char *key, const char *label, int width = 0)
	{
		bool in_list = stack[depth - 1].type == LIST;

		if (json) {
			stack[depth - 1].rows = true;
			member(in_list ? nullptr : label);
			put("{");
			if (in_list) {
				string(key);
				put(": ");
				string(label);
			}
		} else {
			stack[depth - 1].n++;
			newline(depth - 1);
			pad(label, width);
		}
		push(ROW, 0);
		stack[depth - 1].n = in_list;
	}

	void end()
	{
		level &top = stack[--depth];

		if (json && top.type == OBJECT) {
			if (top.n)
				newline(depth);
			put("}");
		} else if (json && top.type == LIST) {
			if (top.n && (top.rows || top.lines))
				newline(depth);
			put("]");
		} else if (json) {
			put("}");
		} else if (top.type != ROW && top.n == 0) {
			put(" (none)");
		}
	}

	void str(const char *key, const char *value)
	{
		member(key);
		if (!value)
			put(json ? "null" : "-");
		else if (json)
			string(value);
		else
			text(value);
	}

	void num(const char *key, long long v)
	{
		char buf[32];

		snprintf(buf, sizeof buf, "%lld", v);
		member(key);
		put(buf);
	}

	void flag(const char *key, bool v)
	{
		member(key);
		put(json ? (v ? "true" : "false") : (v ? "yes" : "no"));
	}

	void item(const char *value) { str(nullptr, value); }

	// Ends the document; 0 if every byte was written.
	int finish()
	{
		put("\n");
		flush();
		return failed ? -1 : 0;
	}

private:
	enum kind { OBJECT, LIST, ROW };
	struct level {
		kind type;
		int n;		// members so far
		int width;	// text: keys are padded to this
		bool rows, lines;
	};

	int fd;
	bool json;
	bool failed = false;
	bool started = false;
	char buf[4096];
	size_t len = 0;
	level stack[8];
	int depth = 0;

	void push(kind k, int width)
	{
		if (depth < (int)(sizeof stack / sizeof stack[0]))
			stack[depth++] = level{ k, 0, width, false, false };
	}

	void flush()
	{
		for (size_t off = 0; off < len;) {
			ssize_t n = write(fd, buf + off, len - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				failed = true;
				break;
			}
			off += (size_t)n;
		}
		len = 0;
	}

	void put(const char *s, size_t n)
	{
		started = true;
		if (len + n > sizeof buf)
			flush();
		if (n > sizeof buf)
			n = sizeof buf;	// no single string is that long: cut it
		memcpy(buf + len, s, n);
		len += n;
	}

	void put(const char *s) { put(s, strlen(s)); }

	void newline(int indent)
	{
		if (started)
			put("\n");
		for (int i = 0; i < indent; i++)
			put("  ");
	}

	// A value in text: control characters would break the lines.
	void text(const char *s)
	{
		for (const char *p = s; *p; p++)
			put((unsigned char)*p < 0x20 || *p == 0x7f ? "?" : p, 1);
	}

	// A section's "key:"; a blank line before each at the top.
	void heading(const char *key)
	{
		stack[depth - 1].n++;
		if (depth == 1 && started)
			put("\n");
		newline(depth - 1);
		text(key);
		put(":");
	}

	void pad(const char *s, int width)
	{
		text(s);
		for (int i = (int)strlen(s); i < width; i++)
			put(" ");
	}

	void padded_key(const char *key, int width)
	{
		text(key);
		put(":");
		pad("", width - (int)strlen(key));
	}

	// A JSON string: quoted, escaped, and valid UTF-8 whatever S holds.
	void string(const char *s)
	{
		put("\"");
		for (const unsigned char *p = (const unsigned char *)s; *p;) {
			size_t n = *p < 0x80 ? 1 : utf8_len(p);
			char esc[8];

			if (*p == '"' || *p == '\\') {
				esc[0] = '\\', esc[1] = (char)*p;
				put(esc, 2);
			} else if (*p < 0x20 || *p == 0x7f) {
				snprintf(esc, sizeof esc, "\\u%04x", *p);
				put(esc);
			} else if (n) {
				put((const char *)p, n);
				p += n - 1;
			} else {
				put("\\ufffd");
			}
			p++;
		}
		put("\"");
	}

	// What comes before a member's value: separator, indentation and key.
	void member(const char *key)
	{
		level &top = stack[depth - 1];
		bool first = top.n++ == 0;

		if (json) {
			if (!first)
				put(",");
			if (top.type == OBJECT || (top.type == LIST && (top.rows || top.lines)))
				newline(depth);
			else if (!first)
				put(" ");
			if (key) {
				string(key);
				put(": ");
			}
		} else if (top.type == OBJECT) {
			newline(depth - 1);
			padded_key(key, top.width);
			put(" ");
		} else if (top.type == LIST) {
			if (top.lines)
				newline(depth - 1);
			else
				put(" ");
		} else {
			put("  ");
			text(key);
			put(": ");
		}
	}
};

// ------------------------------------------------------------------
// Reading /proc and /sys with fixed buffers
// ------------------------------------------------------------------

// Reads a small file whole into BUF, nul-terminated; its length, or -1.
ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	while (len < size - 1 && ((n = read(fd, buf + len, size - 1 - len)) > 0 ||
				  (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(fd);
	buf[len] = '\0';
	return n < 0 ? -1 : (ssize_t)len;
}

// Reads a file a line at a time; a line longer than the buffer is cut.
class line_reader {
public:
	explicit line_reader(const char *path) : fd(open(path, O_RDONLY | O_CLOEXEC)) {}
	~line_reader()
	{
		if (fd >= 0)
			close(fd);
	}

	// The next line, without its newline; null at the end.
	char *next()
	{
		for (;;) {
			char *nl = (char *)memchr(buf + start, '\n', end - start);

			if (nl) {
				char *line = buf + start;

				*nl = '\0';
				start = (size_t)(nl + 1 - buf);
				if (skip) {
					skip = false;
					continue;
				}
				return line;
			}
			memmove(buf, buf + start, end - start);
			end -= start;
			start = 0;
			if (end == sizeof buf - 1) {	// the rest of this line gets skipped
				buf[end] = '\0';
				end = 0;
				if (skip)
					continue;
				skip = true;
				return buf;
			}
			ssize_t n = fd < 0 ? 0 : read(fd, buf + end, sizeof buf - 1 - end);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {	// a last line without newline still counts
				buf[end] = '\0';
				bool any = end > 0 && !skip;
				end = 0;
				skip = false;
				return any ? buf : nullptr;
			}
			end += (size_t)n;
		}
	}

private:
	int fd;
	char buf[4096];
	size_t start = 0, end = 0;
	bool skip = false;
};

// The value of "KEY:\t..." in /proc/self/status text, copied to OUT; false if absent.
bool status_field(const char *status, const char *key, char *out, size_t size)
{
	size_t n = strlen(key);

	for (const char *p = status; p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (strncmp(p, key, n) || p[n] != ':')
			continue;
		p += n + 1;
		p += strspn(p, " \t");
		snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
		return true;
	}
	return false;
}

// Collapses runs of blanks into one space and trims both ends, in place.
char *squeeze(char *s)
{
	char *w = s;

	for (char *p = s + strspn(s, " \t\n"); *p;) {
		size_t word = strcspn(p, " \t\n");

		if (w != s)
			*w++ = ' ';
		memmove(w, p, word);
		w += word;
		p += word;
		p += strspn(p, " \t\n");
	}
	*w = '\0';
	return s;
}

// ------------------------------------------------------------------
// The report's sections
// ------------------------------------------------------------------

constexpr const char *ns_files[] = {
	"cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts",
};
constexpr int n_ns_files = sizeof ns_files / sizeof ns_files[0];
static_assert(n_ns_files == 8, "carapace.c passes 8 host namespace inodes");

void report_system(output &o)
{
	struct utsname u;
	char host[256] = "";

	if (uname(&u) != 0) {
		strcpy(u.release, "?");
		strcpy(u.machine, "?");
	}
	gethostname(host, sizeof host - 1);
	o.str("hostname", host);
	o.str("kernel", u.release);
	/* As the workload sees it: linux.personality LINUX32 makes it i686 or armv8l. */
	o.str("arch", u.machine);
}

void report_namespaces(output &o, const unsigned long long host_ns[])
{
	o.begin("namespaces");
	for (int i = 0; i < n_ns_files; i++) {
		char path[64], inside[64], host[64];
		struct stat st;
		ssize_t n;

		snprintf(path, sizeof path, "/proc/self/ns/%s", ns_files[i]);
		n = readlink(path, inside, sizeof inside - 1);
		inside[n > 0 ? n : 0] = '\0';
		snprintf(host, sizeof host, "%s:[%llu]", ns_files[i], host_ns[i]);
		o.row("name", ns_files[i], 6);
		if (n > 0 && stat(path, &st) == 0)
			o.flag("isolated", st.st_ino != host_ns[i]);
		else
			o.str("isolated", nullptr);	// the kernel lacks this namespace
		o.str("inside", n > 0 ? inside : nullptr);
		o.str("host", host_ns[i] ? host : nullptr);
		o.end();
	}
	o.end();
}

void report_id_map(output &o, const char *key, const char *path)
{
	line_reader r(path);

	o.list(key, true);
	while (char *l = r.next())
		o.item(squeeze(l));
	o.end();
}

// ID as the parent user namespace (the host's, for carapace) knows it; -1: unmapped.
long long host_id(const char *map_path, unsigned id)
{
	line_reader r(map_path);

	while (char *l = r.next()) {
		unsigned long long inside, outside, count;

		char *p = l, *end;

		// three numbers, as sscanf's "%llu %llu %llu" (not linked: 10 KB) took
		inside = strtoull(p, &end, 10);
		if (end == p || (outside = strtoull(p = end, &end, 10), end == p) ||
		    (count = strtoull(p = end, &end, 10), end == p))
			continue;
		if (id >= inside && id - inside < count)
			return (long long)(outside + (id - inside));
	}
	return -1;
}

void report_identity(output &o)
{
	gid_t groups[256];
	int n = getgroups(sizeof groups / sizeof groups[0], groups);

	o.begin("identity", 7);
	o.num("uid", getuid());
	o.num("euid", geteuid());
	o.num("gid", getgid());
	o.num("egid", getegid());
	o.list("groups");
	for (int i = 0; i < n; i++) {
		char buf[16];

		snprintf(buf, sizeof buf, "%u", (unsigned)groups[i]);
		o.item(buf);
	}
	o.end();
	report_id_map(o, "uid_map", "/proc/self/uid_map");
	report_id_map(o, "gid_map", "/proc/self/gid_map");
	// Who the workload is outside: root inside need not be root there.
	o.num("host_uid", host_id("/proc/self/uid_map", geteuid()));
	o.num("host_gid", host_id("/proc/self/gid_map", getegid()));
	o.end();
}

void report_capabilities(output &o, const char *status)
{
	static constexpr const char *sets[][2] = {
		{ "CapInh", "inheritable" }, { "CapPrm", "permitted" }, { "CapEff", "effective" },
		{ "CapBnd", "bounding" }, { "CapAmb", "ambient" },
	};

	o.begin("capabilities", 11);
	for (const auto &set : sets) {
		char hex[32];

		if (!status_field(status, set[0], hex, sizeof hex)) {
			o.str(set[1], nullptr);
			continue;
		}
		unsigned long long caps = strtoull(hex, nullptr, 16);

		o.list(set[1]);
		for (int bit = 0; bit < 64; bit++) {
			char name[32];

			if (!(caps & (1ULL << bit)))
				continue;
			if (bit < N_CAPS)
				snprintf(name, sizeof name, "CAP_%s", cap_names[bit]);
			else
				snprintf(name, sizeof name, "CAP_%d", bit);
			o.item(name);
		}
		o.end();
	}
	o.end();
}

void report_security(output &o, const char *status)
{
	static constexpr const char *seccomp_modes[] = { "disabled", "strict", "filter" };
	char v[32];

	o.begin("security", 15);
	if (status_field(status, "NoNewPrivs", v, sizeof v))
		o.flag("no_new_privs", atoi(v) != 0);
	else
		o.str("no_new_privs", nullptr);
	if (status_field(status, "Seccomp", v, sizeof v) && atoi(v) >= 0 && atoi(v) <= 2)
		o.str("seccomp", seccomp_modes[atoi(v)]);
	else
		o.str("seccomp", nullptr);	// a kernel without CONFIG_SECCOMP
	if (status_field(status, "Seccomp_filters", v, sizeof v))	// Linux 5.9 and later
		o.num("seccomp_filters", atoll(v));
	else
		o.str("seccomp_filters", nullptr);
	o.end();
}

// What is mounted at /sys/fs/cgroup, as the workload sees it.
const char *cgroup_hierarchy()
{
	struct statfs sfs;

	if (statfs("/sys/fs/cgroup", &sfs))
		return "none";
	if ((unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC)
		return "v2";
	if ((unsigned long)sfs.f_type != TMPFS_MAGIC)
		return "none";
	if (statfs("/sys/fs/cgroup/unified", &sfs) == 0 &&
	    (unsigned long)sfs.f_type == CGROUP2_SUPER_MAGIC)
		return "hybrid";
	return "v1";
}

// Each limit file where present: v2 at the top, v1 in a controller's folder.
void report_cgroup_limits(output &o)
{
	static constexpr const char *files[] = {
		"pids.max", "memory.max", "memory.limit_in_bytes", "memory.swap.max",
		"memory.memsw.limit_in_bytes", "cpu.max", "cpu.cfs_quota_us",
		"cpu.cfs_period_us", "cpu.weight", "cpu.shares", "cpuset.cpus.effective",
		"cpuset.cpus",
	};
	char dirs[16][64] = { "" };
	int ndirs = 1;
	DIR *d = opendir("/sys/fs/cgroup");

	while (d && ndirs < 16) {
		struct dirent *e = readdir(d);

		if (!e)
			break;
		if (e->d_type == DT_DIR && e->d_name[0] != '.' && strlen(e->d_name) < sizeof dirs[0])
			strcpy(dirs[ndirs++], e->d_name);
	}
	if (d)
		closedir(d);
	o.begin("limits", 27);
	for (const char *file : files) {
		for (int i = 0; i < ndirs; i++) {
			char path[160], value[256];

			snprintf(path, sizeof path, "/sys/fs/cgroup/%.63s%s%s", dirs[i],
				 *dirs[i] ? "/" : "", file);
			if (read_small(path, value, sizeof value) < 0)
				continue;
			o.str(file, squeeze(value));
			break;
		}
	}
	o.end();
}

void report_cgroup(output &o)
{
	line_reader r("/proc/self/cgroup");

	o.begin("cgroup", 9);
	o.str("hierarchy", cgroup_hierarchy());
	o.list("membership", true);
	while (char *l = r.next())
		o.item(l);
	o.end();
	report_cgroup_limits(o);
	o.end();
}

// Whether the workload can see nothing in the folder PATH.
bool shows_nothing(const char *path)
{
	DIR *d = opendir(path);
	int entries = 0;

	if (!d)
		return errno == EACCES;
	while (struct dirent *e = readdir(d))
		entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return entries == 0;
}

// masked: /dev/null over it, or an empty (or unreadable) read-only tmpfs;
// else read-only, exposed or absent.
const char *path_state(const char *path)
{
	struct stat st;
	struct statfs sfs;
	struct statvfs svfs;

	if (lstat(path, &st))
		return errno == ENOENT || errno == ENOTDIR ? "absent" : "unknown";
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3)
		return "masked";
	if (statvfs(path, &svfs))
		return "unknown";
	bool rdonly = svfs.f_flag & ST_RDONLY;

	if (S_ISDIR(st.st_mode) && rdonly && statfs(path, &sfs) == 0 &&
	    (unsigned long)sfs.f_type == TMPFS_MAGIC && shows_nothing(path))
		return "masked";
	return rdonly ? "read-only" : "exposed";
}

// PATHS: NULL-terminated, the container's own list.
void report_paths(output &o, const char *key, const char *const *paths)
{
	o.begin(key, 30);
	for (const char *const *p = paths; *p; p++)
		o.str(*p, path_state(*p));
	o.end();
}

// Undoes mountinfo's octal escapes (\040 for a space), in place.
char *unescape(char *s)
{
	char *w = s;

	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*w++ = (char)((p[1] - '0') << 6 | (p[2] - '0') << 3 | (p[3] - '0'));
			p += 3;
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return s;
}

// "id parent maj:min root target options [optional...] - fstype source super_options"
void report_mounts(output &o)
{
	line_reader r("/proc/self/mountinfo");

	o.list("mounts");
	while (char *l = r.next()) {
		char *f[32];
		int n = 0, sep = -1;

		for (char *tok = strtok(l, " "); tok && n < 32; tok = strtok(nullptr, " ")) {
			if (sep < 0 && n >= 6 && !strcmp(tok, "-"))
				sep = n;
			f[n++] = tok;
		}
		if (sep < 0 || n < sep + 3)
			continue;
		o.row("target", unescape(f[4]), 16);
		o.str("type", unescape(f[sep + 1]));
		o.str("source", unescape(f[sep + 2]));
		o.str("root", unescape(f[3]));	// a bind's path in its source filesystem
		o.str("options", unescape(f[5]));
		o.end();
	}
	o.end();
}

} // namespace

extern "C" int inspector_banner(int fd, const char *hostname, unsigned long ns_flags,
				const char *root_mode, unsigned long long caps)
{
	struct utsname u;
	line l;

	if (uname(&u) != 0)
		strcpy(u.release, "?");
	l.add("carapace: container ready: %s, kernel %s, ns", hostname, u.release);
	const char *sep = " ";
	for (const ns_name &ns : namespaces) {
		if (ns_flags & ns.flag) {
			l.add("%s%s", sep, ns.name);
			sep = ",";
		}
	}
	l.add(", %s, %d caps\n", root_mode, popcount64(caps));
	return write(fd, l.buf, l.len) == (ssize_t)l.len ? 0 : -1;
}

extern "C" void inspector_host_namespaces(unsigned long long inodes[8])
{
	for (int i = 0; i < n_ns_files; i++) {
		char path[64];
		struct stat st;

		snprintf(path, sizeof path, "/proc/self/ns/%s", ns_files[i]);
		inodes[i] = stat(path, &st) == 0 ? st.st_ino : 0;
	}
}

// Cold: it runs once, so GCC optimizes it for size, a third of -O2's.
extern "C" __attribute__((cold)) int inspector_report(int fd, bool json,
						      const unsigned long long host_ns[8],
						      const char *const *masked,
						      const char *const *readonly)
{
	output o(fd, json);
	char status[8192];

	if (read_small("/proc/self/status", status, sizeof status) < 0)
		status[0] = '\0';
	o.begin(nullptr);
	report_system(o);
	report_namespaces(o, host_ns);
	report_identity(o);
	report_capabilities(o, status);
	report_security(o, status);
	report_cgroup(o);
	report_paths(o, "masked_paths", masked);
	report_paths(o, "read_only_paths", readonly);
	report_mounts(o);
	o.end();
	return o.finish();
}
