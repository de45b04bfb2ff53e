/*
 * util.c: logging, fatal errors and how each process fails, allocators, cleanup, $PATH.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

enum log_level log_threshold = LOG_INFO;

/*
 * How a fatal error ends this process, as set_fail_mode said. It holds
 * for the process that said it only: a fork that says nothing fails as
 * FAIL_PRINT, so that no child reports in its parent's name or runs the
 * launcher's clean-up.
 */
static struct {
	enum fail_mode mode;
	int sock;		/* FAIL_REPORT's: to the launcher */
	pid_t pid;		/* whose mode it is */
} fail = { FAIL_PRINT, -1, 0 };

/* The launcher's clean-up, in the order registered (on_launcher_exit). */
static void (*cleanup[8])(void);
static size_t cleanup_len;

/*
 * At each change of role: the launcher as it starts, init and the workload
 * as they begin, each forked helper first thing. By pid, not by memory
 * alone: a fork copies this, but its pid is not the one it names. (Init,
 * PID 1 of a new pid namespace, has the launcher's pid where the launcher
 * is PID 1 of its own: init says its mode before anything can fail.)
 */
void set_fail_mode(enum fail_mode mode, int sock)
{
	fail.mode = mode;
	fail.sock = sock;
	fail.pid = getpid();
}

static enum fail_mode fail_mode(void)
{
	return getpid() == fail.pid ? fail.mode : FAIL_PRINT;
}

/* atexit: the launcher's clean-up, last registered first; in the launcher only. */
static void run_launcher_cleanup(void)
{
	if (fail_mode() != FAIL_LAUNCHER)
		return;
	while (cleanup_len)
		cleanup[--cleanup_len]();
}

/*
 * FN runs when the launcher exits, whatever path it exits by, and in no
 * other process: not in init nor in any fork, even one that calls exit().
 */
void on_launcher_exit(void (*fn)(void))
{
	static bool registered;

	if (fail_mode() != FAIL_LAUNCHER ||
	    cleanup_len == sizeof cleanup / sizeof cleanup[0])
		die(EXIT_CANT_RUN, "on_launcher_exit: not the launcher, or no room");
	if (!registered && atexit(run_launcher_cleanup))
		die(EXIT_CANT_RUN, "atexit: no room");
	registered = true;
	cleanup[cleanup_len++] = fn;
}

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

/* "2026-12-02T03:53:41.550325730Z" and its NUL: at most 40 bytes with a year past 9999. */
#define RFC3339_LEN 48

/* --log: where errors go too, as text or as runc's JSON lines; -1: nowhere. */
static struct {
	int fd;
	bool json;
} log_file = { -1, false };

/* The length of the valid UTF-8 sequence at S (1 to 4), or 0 if none starts there. */
static size_t utf8_length(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 :
		   s[0] < 0xf5 ? 4 : 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* Overlong forms, UTF-16 surrogates, and past U+10FFFF */
	if ((n == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (n == 3 && s[0] == 0xed && s[1] >= 0xa0) ||
	    (n == 4 && s[0] == 0xf0 && s[1] < 0x90) || (n == 4 && s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/*
 * S as a JSON string: quotes, backslashes and control characters escaped,
 * and a byte that is no part of valid UTF-8 (a path may hold any) as
 * U+FFFD, as Go's encoder does, so that the output is always valid JSON.
 */
void json_write_string(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		size_t n = utf8_length(p);

		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else if (n == 0)
			fputs("\\ufffd", out);
		else
			fwrite(p, 1, n, out);
		p += n ? n : 1;
	}
	fputc('"', out);
}

void set_log_file(const struct oci_args *a)
{
	if (!a->log)
		return;
	log_file.json = a->log_format && !strcmp(a->log_format, "json");
	log_file.fd = open(a->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (log_file.fd < 0)
		die_errno("--log: %s", a->log);
}

/*
 * Init closed the host's fds, the log's too: its number may be another
 * file of init's now (in the container's root, its console). Never again.
 */
void forget_log_file(void)
{
	log_file.fd = -1;
}

/* One line of LEVEL into the --log file: engines read the last error from it. */
/* Now, as RFC 3339 in UTC with nanoseconds, into OUT: no allocation, for the error path too. */
static void rfc3339_stamp(char out[RFC3339_LEN])
{
	struct timespec ts;
	struct tm tm;

	/* Not strftime: it brings musl's time zone reader (5 KB) for UTC. */
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, RFC3339_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

/* The same, allocated: the state's "created". */
char *rfc3339_now(void)
{
	char stamp[RFC3339_LEN];

	rfc3339_stamp(stamp);
	return xasprintf("%s", stamp);
}

static void write_log_file(enum log_level level, const char *line)
{
	static const char *const levels[] = { "error", "warning", "info", "debug" };
	char *text = NULL, stamp[RFC3339_LEN];
	size_t len = 0;
	FILE *f;

	if (log_file.fd < 0 || !(f = open_memstream(&text, &len)))
		return;
	rfc3339_stamp(stamp);
	if (log_file.json) {
		fprintf(f, "{\"level\":\"%s\",\"msg\":", levels[level]);
		json_write_string(f, line);
		fprintf(f, ",\"time\":\"%s\"}\n", stamp);
	} else {
		fprintf(f, "%s %s: %s\n", stamp, levels[level], line);
	}
	if (!fclose(f))
		(void)!write(log_file.fd, text, len);
	free(text);
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
	write_log_file(level, line);
}


/*
 * Ends this process with CODE, by its fail mode; ERR: the errno behind
 * it, or 0. Only the launcher exit()s: only it has clean-up to run.
 */
__attribute__((noreturn))
static void fail_with(int code, int err, const char *msg)
{
	enum fail_mode mode = fail_mode();
	struct ipc_msg m = IPC_MSG(MSG_ERROR);

	m.code = code;
	m.err = err;
	escape_controls(m.text, sizeof m.text, msg);
	if (mode == FAIL_REPORT) {
		ipc_send(fail.sock, &m);	/* the launcher gone: PDEATHSIG ends us anyway */
		_exit(code);
	}
	dprintf(STDERR_FILENO, "carapace: %s\n", m.text);
	write_log_file(LOG_ERROR, m.text);
	if (mode == FAIL_LAUNCHER)
		exit(code);
	_exit(code);
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

/*
 * A container's name when none is given, "carapace-PID-RANDOM": its cgroup
 * leaf's and its state folder's, shared by launchers in other pid
 * namespaces, whose pids are the same (and whose clocks may be: the time
 * was the second half until now). A clash is refused, never shared.
 */
char *made_up_name(void)
{
	uint32_t r;

	if (syscall(SYS_getrandom, &r, sizeof r, 0) != sizeof r)
		die_errno("getrandom");
	return xasprintf("carapace-%d-%06x", (int)getpid(), (unsigned)(r & 0xffffff));
}

/*
 * Sweeps what FD's folder lists from where it stands, as struct sweep
 * says (src/cgroup.c's leaves, src/state.c's folders): up to S->budget
 * entries, and to the one named S->stop. False once the budget is spent.
 */
bool sweep_listed(int fd, struct sweep *s)
{
	char buf[1024];
	ssize_t n;

	while (s->budget > 0 && (n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
		for (ssize_t off = 0; off < n && s->budget > 0;) {
			const struct dirent *e = (const struct dirent *)(buf + off);
			enum sweep_kind kind;

			off += e->d_reclen;
			kind = s->look(s->arg, fd, e);
			if (kind == SWEEP_ENTRY) {
				if (s->stop && !strcmp(e->d_name, s->stop))
					return false;
				if (s->first && !*s->first)
					snprintf(s->first, s->first_size, "%s", e->d_name);
				s->take(s->arg, e->d_name);
			}
			if (kind != SWEEP_SKIP)
				--s->budget;
			s->pos = e->d_off;
		}
	return s->budget > 0;
}

/*
 * A sweep of FD's folder as S says (its budget, look and take), from where
 * the last one stopped, kept in FD's xattr PLACE, to the end, then from the
 * start to the first one seen: all of them where they are few, each one in
 * turn where they are many. (No place kept, where the folder takes no user
 * xattr: from a random one, which on a hashed listing is as good.)
 */
void sweep_round(int fd, const char *place, struct sweep *s)
{
	autoclose int again = -1;
	int64_t from = 0;
	char first[256] = "";

	s->stop = NULL;
	s->first = first;
	s->first_size = sizeof first;
	if (fgetxattr(fd, place, &from, sizeof from) != sizeof from)
		from = errno == ENOTSUP ? (int64_t)(((uint32_t)getpid() * 2654435761u ^
						     (uint32_t)now_ms()) % INT_MAX) : 0;
	if (from < 0 || lseek(fd, from, SEEK_SET) != from)	/* a place the listing refuses */
		from = 0;
	if (!from && lseek(fd, 0, SEEK_SET))
		return;
	s->pos = from;
	/*
	 * The start again through a new open of the folder: ext4 lists nothing
	 * after an lseek back to 0 from its end (it keeps the hash it was at
	 * unless the place it last stopped differs, and a listing begun at the
	 * end stopped at 0).
	 */
	if (sweep_listed(fd, s) && from > 0 &&
	    (again = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		s->stop = *first ? first : NULL;
		s->first = NULL;
		sweep_listed(again, s);
	}
	s->first = NULL;
	if (s->pos != from)
		fsetxattr(fd, place, &s->pos, sizeof s->pos, 0);
}

/*
 * Our pid namespace's inode: a pid means something in its namespace only,
 * and launchers in many (a CI runner's, a container's) share the cgroups
 * and the state root. 0 where /proc says nothing.
 */
unsigned long long own_pid_namespace(void)
{
	static unsigned long long ino;
	struct stat st;

	if (!ino && !stat("/proc/self/ns/pid", &st))
		ino = (unsigned long long)st.st_ino;
	return ino;
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

/*
 * The next place to look for NAME in the colon-separated list *PATH:
 * "DIR/NAME" into FILE; false past the list's end, which *PATH then is
 * (NULL). A DIR too long for PATH_MAX is skipped.
 */
bool next_in_path(const char **path, const char *name, char file[PATH_MAX])
{
	while (*path) {
		const char *dir = *path, *end = strchrnul(dir, ':');
		int n = snprintf(file, PATH_MAX, "%.*s/%s", (int)(end - dir), dir, name);

		*path = *end ? end + 1 : NULL;
		if (n < PATH_MAX)
			return true;
	}
	return false;
}

/* NAME's full path in the host's $PATH, or NULL; an empty entry is no folder. */
char *find_program(const char *name)
{
	const char *path = getenv("PATH");
	char file[PATH_MAX];

	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
	while (next_in_path(&path, name, file))
		if (strcmp(file + 1, name) && access(file, X_OK) == 0)
			return xasprintf("%s", file);
	return NULL;
}

/*
 * Word N (from 0) of S, split at blanks, into OUT: what sscanf's
 * "%*s %*s %s" did, without musl's scanf and the float reader it brings
 * (10 KB). NULL when S has fewer words or word N doesn't fit in SIZE,
 * else where the word ends.
 */
const char *nth_word(const char *s, unsigned n, char *out, size_t size)
{
	for (;;) {
		size_t len;

		s += strspn(s, " \t\n");
		len = strcspn(s, " \t\n");
		if (!len)
			return NULL;
		if (!n--) {
			if (len >= size)
				return NULL;
			memcpy(out, s, len);
			out[len] = '\0';
			return s + len;
		}
		s += len;
	}
}

bool word_is(const char *s, unsigned n, const char *want)
{
	char word[64];

	return nth_word(s, n, word, sizeof word) && !strcmp(word, want);
}

/* Word N of S, all decimal digits, no more than MAX. */
bool word_number(const char *s, unsigned n, unsigned long long max, unsigned long long *out)
{
	char word[32], *end;

	if (!nth_word(s, n, word, sizeof word) || strspn(word, "0123456789") != strlen(word))
		return false;
	errno = 0;
	*out = strtoull(word, &end, 10);
	return !errno && *out <= max;
}

/*
 * The plain decimal at S (digits, at most one '.', a digit somewhere) as
 * an integer of 10^-PLACES units, digits past those dropped: strtod's
 * work for --cpus and --interval, without its float reader. NULL when S
 * starts with no such number or it overflows, else where it ends.
 */
const char *scan_decimal(const char *s, unsigned places, unsigned long long *out)
{
	unsigned long long v = 0;
	bool digit = false, point = false;

	for (;; s++) {
		if (*s == '.' && !point) {
			point = true;
			continue;
		}
		if (*s < '0' || *s > '9')
			break;
		digit = true;
		if (point && !places)
			continue;
		if (v > (ULLONG_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (unsigned)(*s - '0');
		if (point)
			places--;
	}
	for (; places; places--) {
		if (v > ULLONG_MAX / 10)
			return NULL;
		v *= 10;
	}
	*out = v;
	return digit ? s : NULL;
}
