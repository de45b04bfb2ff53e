/*
 * t/ipc-exit.c: src/ipc.c and the exit path of src/util.c, linked alone
 * and checked directly, in TAP. t/015-ipc-exit.t builds and runs it.
 *
 * The exit path can't be reached from outside: no forked helper of
 * carapace calls die() today (they _exit before and after their exec),
 * so only a program that forks and fails on purpose can show that such a
 * child neither runs the launcher's clean-up nor reports in init's name.
 *
 * SPDX-License-Identifier: MIT
 */
#include "../src/carapace.h"

/* Shared: the forked launcher below makes checks of its own. */
static struct { int tests, failed; } *tap;

static void ok(bool cond, const char *desc)
{
	tap->tests++;
	tap->failed += !cond;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap->tests, desc);
	fflush(stdout);
}

static void seqpacket_pair(int sv[2])
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		abort();
}

/* All of FD until EOF, NUL-terminated, in a buffer of SIZE. */
static size_t read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;

	for (ssize_t r; n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0;)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void test_round_trip(void)
{
	int sv[2], p[2];
	struct ipc_msg m = IPC_MSG(MSG_ERROR), got;
	char c = 0;

	seqpacket_pair(sv);
	m.code = 300;
	m.err = ENOENT;
	memset(m.text, 'x', sizeof m.text - 1);
	m.text[sizeof m.text - 1] = '\0';
	ok(ipc_send(sv[0], &m), "a message with the longest text is sent");
	ok(ipc_recv(sv[1], &got) == 1, "and received");
	ok(got.type == MSG_ERROR && got.code == 300 && got.err == ENOENT && got.fd == -1,
	   "type, a code above 255, errno and no fd survive");
	ok(!strcmp(got.text, m.text), "all of its ERROR_TEXT_MAX - 1 bytes of text survive");

	if (pipe(p))
		abort();
	m = IPC_MSG(MSG_PTY);
	m.fd = p[1];
	ok(ipc_send(sv[0], &m) && ipc_recv(sv[1], &got) == 1 && got.type == MSG_PTY &&
	   got.fd >= 0 && got.fd != p[1] && !strcmp(got.text, ""), "an fd arrives as a new fd");
	ok(write(got.fd, "y", 1) == 1 && read(p[0], &c, 1) == 1 && c == 'y',
	   "and it is the fd that was sent");
	ok(fcntl(got.fd, F_GETFD) == FD_CLOEXEC, "and it is close-on-exec");
	close(got.fd);

	m = IPC_MSG(MSG_GO);
	memset(m.text, 'x', sizeof m.text);
	errno = 0;
	ok(!ipc_send(sv[0], &m) && errno == EMSGSIZE, "a text with no NUL is refused, not cut");

	/* Not a message: short, or a header that says more than came. */
	ok(send(sv[0], "GO", 2, 0) == 2 && ipc_recv(sv[1], &got) == -1 && errno == EBADMSG,
	   "a packet shorter than a header is refused (EBADMSG)");
	uint32_t h[5] = { MSG_GO, 0, 0, 100, 0 };
	ok(send(sv[0], h, sizeof h, 0) == sizeof h && ipc_recv(sv[1], &got) == -1 &&
	   errno == EBADMSG, "a header whose length disagrees is refused (EBADMSG)");

	int before = open_fds();

	m = IPC_MSG(MSG_PTY);
	m.fd = p[1];
	ok(ipc_send(sv[0], &m) && !ipc_expect(sv[1], MSG_GO, NULL) && open_fds() == before,
	   "ipc_expect: another type is false, and the fd it carried is closed");
	ok(ipc_send(sv[0], &IPC_MSG(MSG_START)) && ipc_expect(sv[1], MSG_START, NULL),
	   "ipc_expect: the type wanted is true");
	close(sv[0]);
	ok(ipc_recv(sv[1], &got) == 0 && got.fd == -1, "end of file is 0");
	ok(!ipc_expect(sv[1], MSG_GO, NULL), "ipc_expect: end of file is false");
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

/* The launcher's clean-up, made visible: each run writes a line to this pipe. */
static int cleanup_pipe = -1;

static void cleanup_first(void)
{
	dprintf(cleanup_pipe, "first by %d\n", (int)getpid());
}

static void cleanup_second(void)
{
	dprintf(cleanup_pipe, "second by %d\n", (int)getpid());
}

struct child {
	pid_t pid;
	int status;
	char err[ERROR_TEXT_MAX + 64];	/* its stderr */
};

/* Forks; the child runs FN with ARG, its stderr into c->err. */
static void run_child(struct child *c, void (*fn)(int), int arg)
{
	int e[2];

	if (pipe(e) || (c->pid = fork()) < 0)
		abort();
	if (c->pid == 0) {
		dup2(e[1], STDERR_FILENO);
		close(e[0]);
		fn(arg);
		_exit(99);	/* fn returned: a fail path that did nothing */
	}
	close(e[1]);
	read_all(e[0], c->err, sizeof c->err);
	close(e[0]);
	waitpid(c->pid, &c->status, 0);
}

static bool exited(const struct child *c, int code)
{
	return WIFEXITED(c->status) && WEXITSTATUS(c->status) == code;
}

static void fork_silent(int unused)
{
	(void)unused;
	die(EXIT_CANT_RUN, "helper: failed");
}

static void fork_exit(int unused)
{
	(void)unused;
	set_fail_mode(FAIL_PRINT, -1);
	exit(3);	/* not even die(): exit() itself runs no clean-up of the launcher's */
}

static void fork_report(int sock)
{
	char path[3001];

	set_fail_mode(FAIL_REPORT, sock);
	memset(path, 'p', sizeof path - 1);
	path[sizeof path - 1] = '\0';
	errno = ENOENT;
	die_errno("workdir: /%s", path);
}

static void fork_long(int unused)
{
	char text[ERROR_TEXT_MAX + 100];

	(void)unused;
	set_fail_mode(FAIL_PRINT, -1);
	memset(text, 'l', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	text[10] = '\n';
	text[11] = '\x1b';
	die(200, "%s", text);
}

/*
 * The launcher, forked from the test so that its exit can be watched:
 * it registers its clean-up, forks children that fail every way, checks
 * them, and then fails itself. Its checks go to stdout like the rest.
 */
static void launcher(int unused)
{
	struct child c;
	struct ipc_msg m;
	char want[4096], path[3001];
	int sv[2];

	(void)unused;
	set_fail_mode(FAIL_LAUNCHER, -1);
	on_launcher_exit(cleanup_first);
	on_launcher_exit(cleanup_second);

	run_child(&c, fork_silent, 0);
	ok(exited(&c, EXIT_CANT_RUN), "a fork that set no mode: die() exits 125");
	ok(!strcmp(c.err, "carapace: helper: failed\n"), "and prints its one line");

	run_child(&c, fork_exit, 0);
	ok(exited(&c, 3), "a helper that calls exit() exits");

	seqpacket_pair(sv);
	run_child(&c, fork_report, sv[1]);
	close(sv[1]);
	ok(exited(&c, EXIT_CANT_RUN) && !strcmp(c.err, ""),
	   "FAIL_REPORT: exits 125 and prints nothing");
	memset(path, 'p', sizeof path - 1);
	path[sizeof path - 1] = '\0';
	snprintf(want, sizeof want, "workdir: /%s: %s", path, strerror(ENOENT));
	ok(ipc_recv(sv[0], &m) == 1 && m.type == MSG_ERROR && m.code == EXIT_CANT_RUN &&
	   m.err == ENOENT && !strcmp(m.text, want),
	   "FAIL_REPORT: the launcher gets code, errno and all 3,000+ bytes of text");
	close(sv[0]);

	run_child(&c, fork_long, 0);
	ok(exited(&c, 200), "a code above 127 is the exit status");
	ok(strlen(c.err) == strlen("carapace: ") + ERROR_TEXT_MAX - 1 + strlen("\n") &&
	   !strncmp(c.err, "carapace: llllllllll\\n\\x1blll", 29) &&
	   !strcmp(c.err + strlen(c.err) - 6, "ll...\n") &&
	   strchr(c.err, '\n') == c.err + strlen(c.err) - 1,
	   "a text over the bound: one line, escaped, cut at the bound with \"...\"");

	die(42, "launcher: failed");
}

static void test_exit_path(void)
{
	struct child c;
	char said[256];
	int p[2];

	if (pipe(p))
		abort();
	cleanup_pipe = p[1];
	fflush(stdout);
	run_child(&c, launcher, 0);
	close(p[1]);
	read_all(p[0], said, sizeof said);
	close(p[0]);
	ok(exited(&c, 42) && !strcmp(c.err, "carapace: launcher: failed\n"),
	   "the launcher's die(): its line, its code");
	snprintf(c.err, sizeof c.err, "second by %d\nfirst by %d\n", (int)c.pid, (int)c.pid);
	ok(!strcmp(said, c.err),
	   "the clean-up ran once, in the launcher only, last registered first");
	if (strcmp(said, c.err))
		printf("# clean-up said: %s", said);
}

int main(void)
{
	tap = mmap(NULL, sizeof *tap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tap == MAP_FAILED)
		abort();
	test_round_trip();
	test_exit_path();
	printf("1..%d\n", tap->tests);
	return tap->failed != 0;
}
