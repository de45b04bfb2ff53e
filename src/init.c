/*
 * init.c: PID 1's life after the fork, shared by run and init: signals,
 * reaping and the workload's status.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/* Signals that only a fault raises: never blocked, or a fault would hang. */
static bool is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
	       sig == SIGTRAP || sig == SIGSYS || sig == SIGABRT;
}

static void ignore_signal(int sig)
{
	(void)sig;
}

/*
 * Blocks every signal init forwards and returns a signalfd for them. Each
 * gets a handler too: PID 1 drops a signal whose disposition is the
 * default, so an explicit one makes forwarding independent of the mask.
 */
int init_take_signals(struct saved_signals *saved)
{
	struct sigaction sa = { .sa_handler = ignore_signal };
	struct sigaction old;
	sigset_t block;
	int fd;

	sigemptyset(&saved->ignored);
	saved->all_default = false;
	sigfillset(&block);
	for (int sig = 1; sig < NSIG; sig++) {
		bool keep = is_fault_signal(sig) || sig == SIGKILL || sig == SIGSTOP;

		/*
		 * The old disposition, with the new one set in the same call
		 * (one system call a signal, not two: 64 fewer in a start): an
		 * inherited ignored fault signal passes on, as tini's does.
		 */
		if (sigaction(sig, keep ? NULL : &sa, &old) == 0 && old.sa_handler == SIG_IGN)
			sigaddset(&saved->ignored, sig);
		if (keep)
			sigdelset(&block, sig);
	}
	if (sigprocmask(SIG_SETMASK, &block, &saved->mask))
		die_errno("sigprocmask");
	fd = signalfd(-1, &block, SFD_CLOEXEC);
	if (fd < 0)
		die_errno("signalfd");
	return fd;
}

int exit_status(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * With -g, to the workload's process group; but until the workload has
 * made its group (setsid or setpgid, just after the fork) there is none,
 * and then the workload itself must get the signal.
 */
static void forward_signal(pid_t workload, bool to_group, int sig)
{
	if (to_group && kill(-workload, sig) == 0)
		return;
	if (kill(workload, sig))
		log_debug("init: forward signal %d: %s", sig, strerror(errno));
}

/*
 * Forwards signals to the workload and reaps every child, until the
 * workload exits; returns its exit status. No die() here: the workload
 * runs. TSTP, TTIN and TTOU are forwarded like the rest; init itself
 * never stops for them, since they are blocked.
 */
int init_loop(int sigfd, pid_t workload, bool to_group)
{
	struct signalfd_siginfo si;

	for (;;) {
		ssize_t n = read(sigfd, &si, sizeof si);

		if (n != sizeof si) {
			if (n < 0 && errno == EINTR)
				continue;
			log_error("init: read signalfd: %s", strerror(errno));
			kill(to_group ? -workload : workload, SIGKILL);
			return EXIT_CANT_RUN;
		}
		if (si.ssi_signo != SIGCHLD) {
			forward_signal(workload, to_group, (int)si.ssi_signo);
			continue;
		}
		/* SIGCHLDs coalesce: reap all there is each time. */
		for (;;) {
			int status;
			pid_t pid = waitpid(-1, &status, WNOHANG);

			if (pid <= 0)
				break;
			if (pid == workload)
				return exit_status(status);
		}
	}
}

/*
 * A signal to a created container, whose process doesn't run yet: those
 * whose default is to go on (a child's end, a window's change) keep it
 * waiting; any other ends it, as it would end the process.
 */
bool ends_created_container(int sig)
{
	return sig != SIGCHLD && sig != SIGWINCH && sig != SIGURG && sig != SIGCONT &&
	       sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU;
}
