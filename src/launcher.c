/*
 * launcher.c: the launcher relays signals and the terminal, and returns the status.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/*
 * The launcher that its clean-up at exit ends. The one pointer kept: an
 * atexit handler takes no argument, and die() may exit from anywhere in
 * the launcher. Set by launcher_on_exit, cleared by launcher_done before
 * the struct it points to goes.
 */
static struct launcher *exiting;

static void restore_terminal(struct launcher *l)
{
	if (l->termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &l->saved_termios);
	l->termios_saved = false;
}

/* Signals init through its pidfd where there is one: never a recycled pid. */
static void signal_init(struct launcher *l, int sig)
{
	if (l->reaped)	/* its pid may be someone else's by now */
		return;
	if (l->pidfd < 0 || syscall(SYS_pidfd_send_signal, l->pidfd, sig, NULL, 0))
		kill(l->init, sig);
}

/* Whatever path the launcher exits by, init doesn't outlive it. */
static void kill_container(struct launcher *l)
{
	if (l->init > 0 && !l->reaped) {
		signal_init(l, SIGKILL);
		waitpid(l->init, NULL, 0);
	}
}

static void kill_container_at_exit(void)
{
	if (exiting)
		kill_container(exiting);
}

static void restore_terminal_at_exit(void)
{
	if (exiting)
		restore_terminal(exiting);
}

/* Before the clone: from here on, L's init and terminal are put right at exit. */
void launcher_on_exit(struct launcher *l)
{
	exiting = l;
	on_launcher_exit(kill_container_at_exit);
	on_launcher_exit(restore_terminal_at_exit);
}

/* What the clean-up at exit would do, done now: L ends before the process does. */
void launcher_done(struct launcher *l)
{
	restore_terminal(l);
	kill_container(l);
	exiting = NULL;
}

/* Init's status once it has ended on its own (a failed create): nothing to relay. */
int launcher_wait_init(struct launcher *l)
{
	int status;

	while (waitpid(l->init, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("waitpid: init");
	l->reaped = true;
	return exit_status(status);
}

/* OCI create: init lives on without the launcher, whose clean-up then leaves it be. */
void launcher_hand_over(struct launcher *l)
{
	exiting = NULL;
	l->init = -1;
}

void set_raw_terminal(struct launcher *l)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &l->saved_termios))
		return;
	l->termios_saved = true;
	raw = l->saved_termios;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw))
		die_errno("tcsetattr: stdin");
}

void copy_window_size(const struct launcher *l)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(l->pty, TIOCSWINSZ, &ws);
}

/*
 * Reads one message from the container; prints errors. Returns its type,
 * or 0 at EOF or for what is not a message.
 */
enum msg_type read_container_msg(struct launcher *l)
{
	struct ipc_msg m;

	if (ipc_recv(l->sock, &m) <= 0)
		return 0;
	/* log_error escapes again: the text stays one line, whoever wrote it. */
	if (m.type == MSG_ERROR)
		log_error("%s", m.text);
	if (m.type == MSG_PTY && m.fd >= 0 && l->pty < 0)
		l->pty = m.fd;
	else if (m.fd >= 0)
		close(m.fd);
	return m.type;
}

static void reap_init(struct launcher *l)
{
	int status;

	if (!l->reaped && waitpid(l->init, &status, WNOHANG) == l->init) {
		l->reaped = true;
		l->status = exit_status(status);
	}
}

/* Forwards what the launcher receives; TERM and INT arm the stop timeout. */
static void handle_launcher_signal(struct launcher *l)
{
	struct signalfd_siginfo si;

	while (read(l->sigfd, &si, sizeof si) == sizeof si) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGCHLD) {
			reap_init(l);
			continue;
		}
		if (sig == SIGWINCH && l->pty >= 0) {
			copy_window_size(l);	/* the kernel signals the pty's group */
			continue;
		}
		if ((sig == SIGTERM || sig == SIGINT) && !l->kill_at)
			l->kill_at = now_ms() + l->stop_timeout_ms;
		signal_init(l, sig);
	}
}

/*
 * Sends the pty an end-of-file: VEOF, twice after an unfinished line. It
 * is sent again every 100 ms until the container exits: a shell that
 * switches the terminal to raw mode for line editing after our first one
 * arrived would otherwise never see it.
 */
static void send_pty_eof(struct launcher *l)
{
	struct termios t;
	char eof = 4;

	if (l->pty < 0) {	/* hung up */
		l->eof_at = 0;
		return;
	}
	if (tcgetattr(l->pty, &t) == 0 && t.c_cc[VEOF])
		eof = (char)t.c_cc[VEOF];
	if (!l->last_was_newline)
		(void)!write(l->pty, &eof, 1);
	(void)!write(l->pty, &eof, 1);
	l->last_was_newline = true;
	l->eof_at = now_ms() + 100;
}

static void relay_stdin(struct launcher *l)
{
	ssize_t n = read(STDIN_FILENO, l->in_buf, sizeof l->in_buf);

	if (n <= 0) {
		l->stdin_open = false;
		send_pty_eof(l);
		return;
	}
	l->in_len = (size_t)n;
	l->last_was_newline = l->in_buf[n - 1] == '\n';
}

static void flush_to_pty(struct launcher *l)
{
	ssize_t n = write(l->pty, l->in_buf, l->in_len);

	if (n > 0) {
		memmove(l->in_buf, l->in_buf + n, l->in_len - (size_t)n);
		l->in_len -= (size_t)n;
	} else if (n < 0 && errno != EAGAIN) {
		l->in_len = 0;
		l->stdin_open = false;
	}
}

/*
 * Stdout is gone (its reader closed it, a disk is full): so is the
 * workload's terminal. Closing the master hangs the slave up, as closing a
 * terminal window does: SIGHUP to the session, EIO to its writes. Output
 * thrown away instead would keep `run -t yes | head -1` running for good.
 */
static void hang_up_pty(struct launcher *l)
{
	log_debug("stdout: %s: hanging the container's terminal up", strerror(errno));
	close(l->pty);
	l->pty = -1;
	l->stdin_open = false;
	l->in_len = 0;
	l->eof_at = 0;
}

/* All of BUF to stdout; false if stdout is gone. */
static bool write_stdout(const char *buf, size_t len)
{
	struct pollfd out = { STDOUT_FILENO, POLLOUT, 0 };

	while (len) {
		ssize_t w = write(STDOUT_FILENO, buf, len);

		if (w < 0 && errno == EAGAIN)	/* a stdout that someone made O_NONBLOCK */
			poll(&out, 1, -1);
		else if (w < 0 && errno != EINTR)
			return false;
		if (w > 0) {
			buf += w;
			len -= (size_t)w;
		}
	}
	return true;
}

/*
 * Copies the pty's output to stdout: >0 copied, 0 once no process holds
 * the slave (EIO), -1 for nothing now. A read of the master gives 4 KiB at
 * most (n_tty's buffer): reading until EAGAIN and writing once saves a
 * poll and a write per 4 KiB. The write blocks: a reader that stops reading
 * stops us, and then the workload, with never more than 64 KiB held here.
 */
static ssize_t relay_pty_output(struct launcher *l)
{
	static char buf[64 * 1024];	/* one launcher per process */
	ssize_t n = 0, r;

	do
		r = read(l->pty, buf + n, sizeof buf - (size_t)n);
	while (r > 0 && (n += r) < (ssize_t)sizeof buf);
	if (n == 0)
		return r < 0 && (errno == EAGAIN || errno == EINTR) ? -1 : 0;
	if (!write_stdout(buf, (size_t)n))
		hang_up_pty(l);
	return n;
}

/* The earlier of two deadlines, where 0 is none. */
static int64_t earliest(int64_t a, int64_t b)
{
	return !a || (b && b < a) ? b : a;
}

/* The pty's entries in the poll set: its output, and stdin or the pty for input. */
static void poll_pty(const struct launcher *l, struct pollfd *out, struct pollfd *in)
{
	if (l->pty < 0)
		return;
	out->fd = l->pty_retry_at ? -1 : l->pty;
	in->fd = l->in_len ? (l->pty_retry_at ? -1 : l->pty) : l->stdin_open ? STDIN_FILENO : -1;
	in->events = l->in_len ? POLLOUT : POLLIN;
}

/*
 * Without a slave, the master polls as POLLHUP at once, and until init's
 * end (a few ms, or longer where the workload closed its terminal) the
 * loop would spin and take a core from the exit. A process may open the
 * slave again: look again in 100 ms. So for input that the slave has no
 * room for: it waits, as a pty keeps what is typed until someone reads.
 */
static void relay_pty(struct launcher *l, const struct pollfd *out, const struct pollfd *in)
{
	if (out->revents && relay_pty_output(l) == 0)
		l->pty_retry_at = now_ms() + 100;
	else if (l->pty_retry_at && now_ms() >= l->pty_retry_at)
		l->pty_retry_at = 0;
	if (l->pty < 0 || !in->revents)
		return;
	if (in->fd == STDIN_FILENO)	/* by fd: a pty's POLLHUP must not read an idle stdin */
		relay_stdin(l);
	else if (in->revents & POLLOUT)
		flush_to_pty(l);
	else	/* no slave, no room */
		l->pty_retry_at = now_ms() + 100;
}

/* A reader of stdout gone: EPIPE to the relay, not a death that skips the clean-up. */
static void block_sigpipe(void)
{
	sigset_t sigpipe;

	sigemptyset(&sigpipe);
	sigaddset(&sigpipe, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &sigpipe, NULL))
		die_errno("sigprocmask");
}

/*
 * run: a pipe whose write end only init keeps (the workload's copy goes at
 * its exec). Its end of file says that init exits: init closes it just
 * before (a killed init's files close as it dies), and from there the
 * kernel tears init's namespaces down (two RCU grace periods), which the
 * clean-up that needs nothing of init (the run's folder) need not wait
 * for. FN is called then, once. Only the end of file counts: a process
 * that got a copy of the write end (one that may ptrace init) can write
 * to it, or keep it open, which only puts that clean-up back at the end.
 */
void launcher_watch_ending(struct launcher *l, struct runtime *rt, void (*fn)(void))
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK))
		die_errno("pipe");
	l->ending = p[0];
	rt->ending_pipe = p[1];	/* the launcher's copy goes after the clone */
	l->on_ending = fn;
}

/* Init's ending pipe is readable: at its end of file, init exits. */
static void init_ending(struct launcher *l)
{
	char buf[64];

	if (read(l->ending, buf, sizeof buf) != 0)
		return;	/* bytes (not init's): read and dropped */
	close(l->ending);
	l->ending = -1;
	if (l->on_ending)
		l->on_ending();
}

/* The launcher's loop while the container runs. */
int supervise(struct launcher *l)
{
	if (l->pty >= 0)
		block_sigpipe();
	while (!l->reaped) {
		struct pollfd p[6] = {
			{ l->sigfd, POLLIN, 0 }, { l->sock, POLLIN, 0 },
			{ -1, POLLIN, 0 }, { -1, 0, 0 }, { l->log_in, POLLIN, 0 },
			{ l->ending, POLLIN, 0 },
		};
		int64_t next = earliest(earliest(l->kill_at, l->eof_at), l->pty_retry_at);
		int timeout = -1;

		poll_pty(l, &p[2], &p[3]);
		if (next)
			timeout = (int)(next > now_ms() ? next - now_ms() : 0);
		if (poll(p, 6, timeout) < 0 && errno != EINTR)
			die_errno("poll");
		if (p[5].revents)	/* first: init's end is on its way */
			init_ending(l);
		if (p[0].revents)
			handle_launcher_signal(l);
		if (p[1].revents && !read_container_msg(l)) {
			close(l->sock);
			l->sock = -1;
		}
		relay_pty(l, &p[2], &p[3]);
		if (p[4].revents && relay_log(l) == 0)
			l->log_in = -1;	/* run -d's log: its end */
		if (l->eof_at && now_ms() >= l->eof_at && !l->reaped)
			send_pty_eof(l);
		if (l->kill_at && now_ms() >= l->kill_at && !l->reaped) {
			log_warn("stop timeout: killing the container");
			signal_init(l, SIGKILL);
			l->kill_at = 0;
		}
	}
	/*
	 * Whatever the container said or printed last, the user sees. A read
	 * of the pty flushes the kernel's queue first: EAGAIN means all that
	 * was written is read, and a process that outlives init (exec's, in
	 * a container that runs on) can't keep the launcher here.
	 */
	while (l->sock >= 0 && read_container_msg(l))
		;
	while (l->pty >= 0 && relay_pty_output(l) > 0)
		;
	while (l->log_in >= 0 && relay_log(l) > 0)
		;
	return l->status;
}
