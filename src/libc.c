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

/* glibc's prototype (the ASan build's) names its own type for the resource. */
#ifdef __GLIBC__
typedef __rlimit_resource_t setrlimit_resource;
#else
typedef int setrlimit_resource;
#endif

int setrlimit(setrlimit_resource resource, const struct rlimit *limit)
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

/*
 * gmtime_r, for the log's RFC 3339 stamps: the civil date from the day
 * number in closed form (days counted from 0000-03-01, in eras of 400
 * years of 146,097 days), where musl's __secs_to_tm takes 0.7 KB.
 */
static bool leap_year(long long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

struct tm *gmtime_r(const time_t *restrict t, struct tm *restrict tm)
{
	long long days = *t / 86400, secs = *t % 86400;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	long long z = days + 719468;		/* 1970-01-01 from 0000-03-01 */
	long long era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;	/* [0, 146096] */
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);	/* from March 1 */
	long long mp = (5 * doy + 2) / 153;	/* March is 0 */
	long long year = yoe + era * 400 + (mp >= 10);

	if (year - 1900 < INT_MIN || year - 1900 > INT_MAX) {
		errno = EOVERFLOW;
		return NULL;
	}
	*tm = (struct tm){
		.tm_year = (int)(year - 1900),
		.tm_mon = (int)(mp < 10 ? mp + 2 : mp - 10),
		.tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1),
		.tm_yday = (int)(mp >= 10 ? doy - 306 : doy + 59 + leap_year(year)),
		.tm_wday = (int)(((days + 4) % 7 + 7) % 7),
		.tm_hour = (int)(secs / 3600),
		.tm_min = (int)(secs / 60 % 60),
		.tm_sec = (int)(secs % 60),
		.tm_zone = "UTC",
	};
	return tm;
}

/*
 * strtoull, strtoll, strtoul and strtol, as C has them (leading space, a
 * sign, 0x or 0 by the base, ERANGE past the type), without musl's reader
 * of FILE streams (__intscan) that serves scanf as well.
 */
struct scanned {
	unsigned long long magnitude;	/* ULLONG_MAX when it was more */
	bool negative, over;
};

static struct scanned scan_integer(const char *s, char **end, int base)
{
	struct scanned r = { 0 };
	const char *p = s, *digits;

	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	r.negative = *p == '-';
	p += *p == '-' || *p == '+';
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 32) == 'x' &&
	    isxdigit((unsigned char)p[2])) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = *p == '0' ? 8 : 10;
	}
	if (base < 2 || base > 36)
		p = s;
	for (digits = p; base >= 2 && base <= 36; p++) {
		unsigned c = (unsigned char)*p, d = c - '0' < 10 ? c - '0' :
			     (c | 32) - 'a' < 26 ? (c | 32) - 'a' + 10 : 99;

		if (d >= (unsigned)base)
			break;
		if (r.magnitude > (ULLONG_MAX - d) / (unsigned)base)
			r.over = true;
		r.magnitude = r.over ? ULLONG_MAX : r.magnitude * (unsigned)base + d;
	}
	if (p == digits) {
		errno = EINVAL;		/* no digits: musl's answer, which callers may know */
		p = s;
	}
	if (end)
		*end = (char *)p;
	return r;
}

/* Unsigned: a '-' negates in the type, as C says; past MAX, MAX and ERANGE. */
static unsigned long long to_unsigned(const char *s, char **end, int base, unsigned long long max)
{
	struct scanned r = scan_integer(s, end, base);

	if (r.over || r.magnitude > max) {
		errno = ERANGE;
		return max;
	}
	return r.negative ? (0 - r.magnitude) & max : r.magnitude;
}

/* Signed: MIN to MAX, else the one passed and ERANGE. */
static long long to_signed(const char *s, char **end, int base, long long max)
{
	struct scanned r = scan_integer(s, end, base);

	if (r.over || r.magnitude > (unsigned long long)max + r.negative) {
		errno = ERANGE;
		return r.negative ? -max - 1 : max;
	}
	return r.negative ? (long long)(0 - r.magnitude) : (long long)r.magnitude;
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
	return to_unsigned(s, end, base, ULLONG_MAX);
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
	return (unsigned long)to_unsigned(s, end, base, ULONG_MAX);
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
	return to_signed(s, end, base, LLONG_MAX);
}

long strtol(const char *restrict s, char **restrict end, int base)
{
	return (long)to_signed(s, end, base, LONG_MAX);
}
