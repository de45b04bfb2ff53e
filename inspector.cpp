// inspector.cpp: what the container looks like, told from inside.
//
// Compiled by g++ against musl's headers with no C++ runtime: no
// exceptions, no RTTI, no libstdc++, no allocation. It exposes a C API.
//
// SPDX-License-Identifier: MIT
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

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
