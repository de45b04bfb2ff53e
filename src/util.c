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

/* C, escaped into OUT (room for 4 and a NUL); returns its length. */
static size_t escape_char(char *out, unsigned char c)
{
	static const char short_form[] = "\a\b\t\n\v\f\r";
	const char *s = c && c < 0x20 ? strchr(short_form, c) : NULL;

	if (s)
		return (size_t)snprintf(out, 5, "\\%c", "abtnvfr"[s - short_form]);
	if (c < 0x20 || c == 0x7f)
		return (size_t)snprintf(out, 5, "\\x%02x", c);
	out[0] = (char)c;
	return 1;
}

/*
 * Copies IN to OUT with control characters written out (a newline as the
 * two characters \n, ESC as \x1b): a message that echoes input, a path or
 * a file's line, stays one line. What doesn't fit in SIZE (at least 4)
 * is cut, and the end says so with "...".
 */
static void escape_controls(char *out, size_t size, const char *in)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0;

	for (; *p; p++) {
		char esc[5];
		size_t len = escape_char(esc, *p);

		if (n + len >= size)
			break;
		memcpy(out + n, esc, len);
		n += len;
	}
	if (*p) {	/* n is at least size - 4 here */
		n = size - 4;
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

/* vsnprintf into OUT, SIZE bytes (at least 4); a text cut short ends in "...". */
static void format_text(char *out, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(out, size, fmt, ap);

	if (n >= 0 && (size_t)n >= size)
		memcpy(out + size - 4, "...", 4);
}

__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...)
{
	char buf[ERROR_TEXT_MAX], line[ERROR_TEXT_MAX];
	va_list ap;

	if (level > log_threshold)
		return;
	va_start(ap, fmt);
	format_text(buf, sizeof buf, fmt, ap);
	va_end(ap);
	escape_controls(line, sizeof line, buf);
	dprintf(STDERR_FILENO, "carapace: %s%s\n",
		level == LOG_WARN ? "warning: " : "", line);
}


/* Ends carapace with CODE; ERR: the errno behind it, or 0. In the container, the launcher prints MSG. */
__attribute__((noreturn))
static void fail_with(int code, int err, const char *msg)
{
	struct ipc_msg m = IPC_MSG(MSG_ERROR);

	m.code = code;
	m.err = err;
	escape_controls(m.text, sizeof m.text, msg);
	if (report_fd >= 0) {
		ipc_send(report_fd, &m);	/* the launcher gone: PDEATHSIG ends us anyway */
		_exit(code);
	}
	dprintf(STDERR_FILENO, "carapace: %s\n", m.text);
	exit(code);
}

__attribute__((noreturn, format(printf, 2, 3)))
void die(int code, const char *fmt, ...)
{
	char msg[ERROR_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	format_text(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fail_with(code, 0, msg);
}

/*
 * die() with ": strerror(errno)" appended, in crun's "step: path: why"
 * form. A text cut short is cut before the why.
 */
__attribute__((noreturn, format(printf, 1, 2)))
void die_errno(const char *fmt, ...)
{
	char msg[ERROR_TEXT_MAX];
	int saved = errno;
	const char *why = strerror(saved);
	size_t n = sizeof msg - strlen(": ") - strlen(why);
	va_list ap;

	va_start(ap, fmt);
	format_text(msg, n, fmt, ap);
	va_end(ap);
	strcat(strcat(msg, ": "), why);
	fail_with(EXIT_CANT_RUN, saved, msg);
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
