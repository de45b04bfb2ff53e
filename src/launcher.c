/*
 * launcher.c: The launcher: relays signals and the terminal, returns the status.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"


struct launcher L = { .init = -1, .pidfd = -1, .sock = -1, .pty = -1 };
static struct termios saved_termios;
static bool termios_saved;

void restore_terminal(void)
{
	if (termios_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	termios_saved = false;
}

/* Signals init through its pidfd where there is one: never a recycled pid. */
static void signal_init(int sig)
{
	if (L.reaped)	/* its pid may be someone else's by now */
		return;
	if (L.pidfd < 0 || syscall(SYS_pidfd_send_signal, L.pidfd, sig, NULL, 0))
		kill(L.init, sig);
}

/* atexit: whatever path the launcher exits by, init doesn't outlive it. */
void kill_container(void)
{
	if (L.init > 0 && !L.reaped) {
		signal_init(SIGKILL);
		waitpid(L.init, NULL, 0);
	}
}

void set_raw_terminal(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	termios_saved = true;
	raw = saved_termios;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &raw))
		die_errno("tcsetattr: stdin");
}

void copy_window_size(void)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0 ||
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(L.pty, TIOCSWINSZ, &ws);
}

/*
 * Reads one message from the container; prints errors. Returns its type,
 * or 0 at EOF or for what is not a message.
 */
enum msg_type read_container_msg(void)
{
	struct ipc_msg m;

	if (ipc_recv(L.sock, &m) <= 0)
		return 0;
	/* log_error escapes again: the text stays one line, whoever wrote it. */
	if (m.type == MSG_ERROR)
		log_error("%s", m.text);
	if (m.type == MSG_PTY && m.fd >= 0 && L.pty < 0)
		L.pty = m.fd;
	else if (m.fd >= 0)
		close(m.fd);
	return m.type;
}

static void reap_init(void)
{
	int status;

	if (!L.reaped && waitpid(L.init, &status, WNOHANG) == L.init) {
		L.reaped = true;
		L.status = exit_status(status);
	}
}

/* Forwards what the launcher receives; TERM and INT arm the stop timeout. */
static void handle_launcher_signal(void)
{
	struct signalfd_siginfo si;

	while (read(L.sigfd, &si, sizeof si) == sizeof si) {
		int sig = (int)si.ssi_signo;

		if (sig == SIGCHLD) {
			reap_init();
			continue;
		}
		if (sig == SIGWINCH && L.pty >= 0) {
			copy_window_size();	/* the kernel signals the pty's group */
			continue;
		}
		if ((sig == SIGTERM || sig == SIGINT) && !L.kill_at)
			L.kill_at = now_ms() + L.stop_timeout_ms;
		signal_init(sig);
	}
}

/*
 * Sends the pty an end-of-file: VEOF, twice after an unfinished line. It
 * is sent again every 100 ms until the container exits: a shell that
 * switches the terminal to raw mode for line editing after our first one
 * arrived would otherwise never see it.
 */
static void send_pty_eof(void)
{
	struct termios t;
	char eof = 4;

	if (tcgetattr(L.pty, &t) == 0 && t.c_cc[VEOF])
		eof = (char)t.c_cc[VEOF];
	if (!L.last_was_newline)
		(void)!write(L.pty, &eof, 1);
	(void)!write(L.pty, &eof, 1);
	L.last_was_newline = true;
	L.eof_at = now_ms() + 100;
}

static void relay_stdin(void)
{
	ssize_t n = read(STDIN_FILENO, L.in_buf, sizeof L.in_buf);

	if (n <= 0) {
		L.stdin_open = false;
		send_pty_eof();
		return;
	}
	L.in_len = (size_t)n;
	L.last_was_newline = L.in_buf[n - 1] == '\n';
}

static void flush_to_pty(void)
{
	ssize_t n = write(L.pty, L.in_buf, L.in_len);

	if (n > 0) {
		memmove(L.in_buf, L.in_buf + n, L.in_len - (size_t)n);
		L.in_len -= (size_t)n;
	} else if (n < 0 && errno != EAGAIN) {
		L.in_len = 0;
		L.stdin_open = false;
	}
}

/* Copies the pty's output to stdout; false once the pty is closed. */
static bool relay_pty_output(void)
{
	char buf[8192];
	ssize_t n = read(L.pty, buf, sizeof buf);

	if (n < 0 && errno == EAGAIN)
		return true;
	if (n <= 0)
		return false;	/* EIO: no process holds the slave any more */
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));

		if (w < 0 && errno != EINTR)
			return true;	/* stdout is gone; keep draining */
		off += w > 0 ? w : 0;
	}
	return true;
}

/* The launcher's loop while the container runs. */
int supervise(void)
{
	while (!L.reaped) {
		struct pollfd p[4] = {
			{ L.sigfd, POLLIN, 0 }, { L.sock, POLLIN, 0 },
			{ -1, POLLIN, 0 }, { -1, 0, 0 },
		};
		int timeout = -1;

		if (L.pty >= 0) {
			p[2].fd = L.pty;
			p[3].fd = L.in_len ? L.pty : L.stdin_open ? STDIN_FILENO : -1;
			p[3].events = L.in_len ? POLLOUT : POLLIN;
		}
		int64_t next = L.kill_at && (!L.eof_at || L.kill_at < L.eof_at) ? L.kill_at : L.eof_at;

		if (next)
			timeout = (int)(next > now_ms() ? next - now_ms() : 0);
		if (poll(p, 4, timeout) < 0 && errno != EINTR)
			die_errno("poll");
		if (p[0].revents)
			handle_launcher_signal();
		if (p[1].revents && !read_container_msg()) {
			close(L.sock);
			L.sock = -1;
		}
		if (p[2].revents && !relay_pty_output())
			p[2].fd = -1;
		if (p[3].revents & POLLOUT)
			flush_to_pty();
		else if (p[3].revents)
			relay_stdin();
		if (L.eof_at && now_ms() >= L.eof_at && !L.reaped)
			send_pty_eof();
		if (L.kill_at && now_ms() >= L.kill_at && !L.reaped) {
			log_warn("stop timeout: killing the container");
			signal_init(SIGKILL);
			L.kill_at = 0;
		}
	}
	/* Whatever the container said or printed last, the user sees. */
	while (L.sock >= 0 && read_container_msg())
		;
	while (L.pty >= 0 && relay_pty_output())
		;
	return L.status;
}
