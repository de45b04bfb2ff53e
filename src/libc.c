/*
 * libc.c: musl's setresuid, setresgid, setgroups and setrlimit, for a
 * process of one thread. musl's apply each to every thread of the process
 * (__synccall: a signal to each, semaphores, a timed wait: 2 KB of the
 * binary); carapace starts no thread, so each is its system call, with
 * the same result. They replace musl's at link time, as printf.c's
 * vfprintf does.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
	return (int)syscall(SYS_setresuid, ruid, euid, suid);
}

int setresgid(gid_t rgid, gid_t egid, gid_t sgid)
{
	return (int)syscall(SYS_setresgid, rgid, egid, sgid);
}

int setgroups(size_t count, const gid_t list[])
{
	return (int)syscall(SYS_setgroups, count, list);
}

int setrlimit(int resource, const struct rlimit *limit)
{
	return (int)syscall(SYS_prlimit64, 0, resource, limit, NULL);
}

/*
 * qsort as a heapsort: musl's smoothsort is 2 KB, for the two sorts here
 * (a cgroup's pids, a JSON object's keys). O(n log n) on any input, in
 * place, not stable (qsort need not be).
 */
static void swap_bytes(char *a, char *b, size_t size)
{
	while (size--) {
		char t = *a;

		*a++ = *b;
		*b++ = t;
	}
}

static void sift_down(char *base, size_t root, size_t n, size_t size,
		      int (*cmp)(const void *, const void *))
{
	for (size_t child; (child = 2 * root + 1) < n; root = child) {
		if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
			child++;
		if (cmp(base + root * size, base + child * size) >= 0)
			return;
		swap_bytes(base + root * size, base + child * size, size);
	}
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char *b = base;

	for (size_t i = n / 2; i-- > 0; )
		sift_down(b, i, n, size, cmp);
	for (size_t end = n; end-- > 1; ) {
		swap_bytes(b, b + end * size, size);
		sift_down(b, 0, end, size, cmp);
	}
}

/*
 * strstr by comparing at each place: carapace's needles are a few bytes
 * of its own ("..", " - "), where musl's two-way search (1.3 KB) buys
 * nothing.
 */
char *strstr(const char *haystack, const char *needle)
{
	size_t len = strlen(needle);

	for (; *haystack; haystack++)
		if (!strncmp(haystack, needle, len))
			return (char *)haystack;
	return len ? NULL : (char *)haystack;
}
