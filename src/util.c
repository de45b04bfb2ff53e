/*
 * util.c: Basics: logging, fatal errors, allocators, cleanup.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

enum log_level log_threshold = LOG_INFO;

/*
 * Before the workload runs, the container side reports fatal errors to the
 * launcher over this socket instead of printing them, so that the launcher
 * owns stderr and the exit code. -1 in the launcher and in `carapace init`.
 */
int report_fd = -1;

/*
 * Copies IN to OUT with control characters written out (a newline as the
 * two characters \n, ESC as \x1b): a message that echoes input, a path or
 * a file's line, stays one line.
 */
static void escape_controls(char *out, size_t size, const char *in)
{
	static const char short_form[] = "\a\b\t\n\v\f\r";
	size_t n = 0;

	for (const unsigned char *p = (const unsigned char *)in; *p && n + 5 < size; p++) {
		const char *c = *p && *p < 0x20 ? strchr(short_form, *p) : NULL;

		if (c)
			n += (size_t)snprintf(out + n, size - n, "\\%c", "abtnvfr"[c - short_form]);
		else if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
		else
			out[n++] = (char)*p;
	}
	out[n] = '\0';
}

__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[1024], line[1024];
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	escape_controls(line, sizeof line, buf);
	dprintf(STDERR_FILENO, "carapace: %s%s\n",
		level == LOG_WARN ? "warning: " : "", line);
}


/* Ends carapace with CODE. In the container, the launcher prints MSG. */
__attribute__((noreturn))
static void fail_with(int code, const char *msg)
{
	char line[1024];

	escape_controls(line, sizeof line, msg);
	if (report_fd >= 0) {
		send_msg(report_fd, MSG_ERROR, code, line);
		_exit(code);
	}
	dprintf(STDERR_FILENO, "carapace: %s\n", line);
	exit(code);
}

__attribute__((noreturn, format(printf, 2, 3)))
void die(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fail_with(code, msg);
}

/* die() with ": strerror(errno)" appended, in crun's "step: path: why" form. */
__attribute__((noreturn, format(printf, 1, 2)))
void die_errno(const char *fmt, ...)
{
	char msg[1024];
	int saved = errno;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof msg)
		snprintf(msg + n, sizeof msg - n, ": %s", strerror(saved));
	fail_with(EXIT_CANT_RUN, msg);
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die(EXIT_CANT_RUN, "out of memory");
	return p;
}

__attribute__((format(printf, 1, 2)))
char *xasprintf(const char *fmt, ...)
{
	char *s;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		die(EXIT_CANT_RUN, "out of memory");
	return s;
}

void close_fdp(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The new mount API; musl has no wrappers. */
int sys_open_tree(int dfd, const char *path, unsigned flags)
{
	return (int)syscall(SYS_open_tree, dfd, path, flags);
}

int sys_move_mount(int from, int to)
{
	return (int)syscall(SYS_move_mount, from, "", to, "",
			    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

int sys_mount_setattr(int dfd, const char *path, unsigned flags, struct mount_attr *attr)
{
	return (int)syscall(SYS_mount_setattr, dfd, path, flags, attr, sizeof *attr);
}
