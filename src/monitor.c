/*
 * monitor.c: carapace run in the state root, and run -d's monitor.
 *
 * Every run registers its container under --root (src/state.c), so that
 * state, kill, ps, pause and exec find it by its name; the folder goes when
 * the run ends. run -d forks: the caller waits until the container runs,
 * prints its name and returns, while the fork, in a session of its own, is
 * the launcher that stays (as conmon): it keeps the container's stdout and
 * stderr in a bounded log, records how it ended, removes its cgroups, and
 * leaves the folder for logs, wait and rm. A run killed with SIGKILL holds
 * its owner lock no more: whoever looks at the registry next cleans up.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/* Bytes of "log" before it becomes "log.1": a container keeps 2 MiB at most. */
#define LOG_MAX (1 << 20)

static struct oci_state run_state;	/* the run's folder, until the process ends */
static bool registered;			/* run_state is a folder: there is a root for it */
static int notify_fd = -1;		/* run -d: the caller's socket until it runs */
static bool running;			/* run -d: the caller was told */
static int owner_fd = -1;		/* the folder's owner lock (state_take_owner) */
static int final_status = EXIT_CANT_RUN;	/* a monitor that dies records this */
static int log_fd = -1;
static size_t log_size;
static int log_out = -1;		/* run -d: the log's write end, our stderr once it runs */

/* At the run's exit, last of its clean-up: the folder goes, or, detached, says how it ended. */
static void end_run_state(void)
{
	if (!registered)
		return;
	if (run_state.removed) {	/* as init exited: but for the cgroups' note */
		state_end_note_gone(&run_state);
		state_close(&run_state);
		return;
	}
	state_lock(&run_state);
	if (running) {
		run_state.exited = true;
		run_state.exit_status = final_status;
		state_write(&run_state);
	} else {
		state_remove(&run_state);
	}
	state_close(&run_state);
}

/*
 * A run's init exits (launcher_watch_ending): its folder goes now, while
 * the kernel tears init down, but for the note of its cgroups, which goes
 * once they have, in the owner file whose lock stop and wait wait on
 * (state_remove_early). run -d's stays, for logs and rm.
 */
void monitor_init_ending(void)
{
	if (!registered || run_state.detached)
		return;
	state_lock(&run_state);
	if (!state_remove_early(&run_state, owner_fd)) {
		state_unlock(&run_state);
		return;
	}
	/*
	 * Its last fd (the owner file, held locked to the end, is out of it):
	 * the folder's inode is freed now, and its block (with a discard,
	 * where the filesystem has them) too, not at our exit.
	 */
	close(run_state.dir_fd);
	run_state.dir_fd = -1;
}

void monitor_exit_status(int status)
{
	final_status = status;
}

/* The workload's command line, its words joined by spaces, for ps. */
static char *command_line(char **argv)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		die_errno("run: its command");
	for (char **p = argv; p && *p; p++)
		fprintf(f, "%s%s", p == argv ? "" : " ", *p);
	if (fclose(f))
		die_errno("run: its command");
	return text;
}

/* The run's name: --name, or the cgroup's made-up one, or one made up here. */
static const char *run_name(struct container *c)
{
	if (!c->oci.id)
		c->oci.id = c->limits.name ? c->limits.name :
			    made_up_name();
	return c->oci.id;
}

/*
 * The run's folder under --root, made before anything else of the
 * container: a name that is taken (by a live container, or a stopped one
 * that rm has not removed) is refused here.
 */
/*
 * The options and the command, escaped, are lines of the state, which
 * every sweep, ps and rm reads (at most 16 MiB): a run that would write
 * more than RUN_LINES_MAX (a large --env-file, given twice) is refused,
 * or it would make every later command under its root fail.
 */
#define RUN_LINES_MAX (4 << 20)

static void check_recordable(const struct oci_state *st)
{
	size_t n = state_escaped_size(st->command);

	for (size_t at = 0; st->run_args && at < st->run_args_len;
	     at += strlen(st->run_args + at) + 1)
		n += sizeof "run_arg \n" + state_escaped_size(st->run_args + at);
	if (n > RUN_LINES_MAX)
		die(EXIT_CANT_RUN, "run: its options and command: %zu bytes to record in its state, "
		    "more than %d MiB (a large --env-file?)", n, RUN_LINES_MAX >> 20);
}

void register_run(const struct oci_args *global, struct container *c, struct runtime *rt,
		  int argc, char **argv)
{
	struct oci_args a = *global;
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct oci_state lines = { 0 };	/* what run records of itself */
	size_t len;

	a.id = run_name(c);
	a.run_name = true;	/* a name taken meanwhile is said as below */
	/* An ordinary user with no runtime folder has no registry: a run goes on without. */
	if (!a.root && geteuid() && (!xdg || xdg[0] != '/') && !c->process.detach) {
		log_debug("run: not registered: no --root, and XDG_RUNTIME_DIR is not set");
		return;
	}
	/* In the state: a file of its own cost an inode on /run's disk (state.c). */
	lines.run_args = c->oci.config_json ? NULL : run_args(c, argc, argv, &lines.run_args_len);
	lines.command = command_line(c->process.argv);
	check_recordable(&lines);	/* before anything is made */
	state_sweep(&a);	/* a killed run's name is free again */
	if (state_open(&run_state, &a, a.id)) {
		/* Its run lives (maybe still setting it up), or an OCI container's init does. */
		if (state_owner_alive(&run_state) == 1 || state_status(&run_state) != STATUS_STOPPED)
			die(EXIT_CANT_RUN, "--name: %s: a container of that name is running", a.id);
		die(EXIT_CANT_RUN, "--name: %s: a stopped container has that name "
		    "(carapace rm it, or take another)", a.id);
	}
	state_close(&run_state);
	state_create(&run_state, &a);
	owner_fd = state_take_owner(&run_state);	/* held, open, until this process ends */
	registered = true;
	on_launcher_exit(end_run_state);	/* first, so that it runs last */
	run_state.run_args = lines.run_args;
	run_state.run_args_len = lines.run_args_len;
	run_state.command = lines.command;
	/* run --bundle: the config as read, as create keeps it, written with the state */
	run_state.config = c->oci.config_json;
	if (seccomp_profile_read(&len))	/* --seccomp FILE's bytes as run compiled them */
		state_write_data(&run_state, "seccomp-profile", seccomp_profile_read(&len), len);
	run_state.detached = c->process.detach;
	run_state.bundle = (char *)(c->oci.bundle ? c->oci.bundle : "");
	run_state.rootfs = (char *)c->root.path;
	run_state.created = rfc3339_now();
	state_write(&run_state);
	if (c->process.detach) {
		log_fd = openat(run_state.dir_fd, "log", O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW |
				O_CLOEXEC, 0600);
		if (log_fd < 0)
			die_errno("run: %s: its log", run_state.id);
	}
	rt->state = &run_state;
	state_unlock(&run_state);
}

/* Init is ready and told to start: its pid on record (its caps are, since create_container). */
void note_started(const struct launcher *l)
{
	if (!registered)
		return;
	state_lock(&run_state);
	run_state.pid = l->init;
	run_state.start_time = process_start_time(l->init);
	run_state.started = true;
	state_write(&run_state);
	state_unlock(&run_state);
}

/*
 * run -d, before the container is made: the caller waits on a socket for
 * "running", or for the fork's exit status if it fails first; the fork
 * goes on as the monitor, in a session of its own, its stdin /dev/null.
 */
void detach_run(struct container *c, struct runtime *rt, struct launcher *l)
{
	int sv[2], logs[2], status, null;
	ssize_t n;
	pid_t pid;
	char b;

	if (c->process.tty == TTY_ALWAYS)
		die(EXIT_CANT_RUN, "run: --detach: not with --tty (there is no terminal to attach)");
	c->process.tty = TTY_NEVER;	/* whatever the caller's stdin is */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ||
	    pipe2(logs, O_CLOEXEC))
		die_errno("run: --detach");
	run_name(c);
	fflush(stdout);
	if ((pid = fork()) < 0)
		die_errno("run: --detach: fork");
	if (pid > 0) {
		close(sv[1]);
		close(logs[0]);
		close(logs[1]);
		while ((n = recv(sv[0], &b, 1, 0)) < 0 && errno == EINTR)
			;
		if (n == 1 && b == 'r') {
			printf("%s\n", c->oci.id);
			fflush(stdout);
			_exit(0);
		}
		while (waitpid(pid, &status, 0) < 0)
			if (errno != EINTR)
				_exit(EXIT_CANT_RUN);
		_exit(exit_status(status));
	}
	close(sv[0]);
	notify_fd = sv[1];
	set_fail_mode(FAIL_LAUNCHER, -1);	/* this process is the launcher now */
	if (setsid() < 0)
		die_errno("run: --detach: setsid");
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0)
		die_errno("run: --detach: /dev/null");
	close(null);
	if (fcntl(logs[0], F_SETFL, O_NONBLOCK))
		die_errno("run: --detach: its log");
	l->log_in = logs[0];
	rt->detached = true;
	rt->log_pipe = log_out = logs[1];
}

/*
 * run -d, once init was told to start: the caller returns when the
 * workload has exec'd (init's socket closes), not if it failed before;
 * from then on our own stdout and stderr are no more the caller's.
 */
void monitor_running(struct launcher *l)
{
	bool failed = false;
	enum msg_type type;
	int null;

	if (notify_fd < 0)
		return;
	while (l->sock >= 0) {
		struct pollfd p[2] = { { l->sock, POLLIN, 0 }, { l->log_in, POLLIN, 0 } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			die_errno("poll");
		if (p[1].revents && relay_log(l) == 0)	/* a hook's output, say: never a full pipe */
			l->log_in = -1;
		if (!p[0].revents)
			continue;
		if (!(type = read_container_msg(l))) {
			close(l->sock);
			l->sock = -1;
		} else if (type == MSG_ERROR) {
			failed = true;
		}
	}
	if (failed)
		return;	/* supervise gets the status: ours, for the caller */
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, STDOUT_FILENO) < 0 || dup2(log_out, STDERR_FILENO) < 0)
		die_errno("run: --detach: its stdio");
	close(null);
	/* Like any daemon: no folder of the caller's kept busy (init has its own cwd). */
	if (chdir("/"))
		die_errno("run: --detach: chdir /");
	running = true;
	if (send(notify_fd, "r", 1, MSG_NOSIGNAL) != 1)
		log_debug("run: --detach: the caller is gone");
	close(notify_fd);
	notify_fd = -1;
}

/* The log's next bytes: >0 copied, 0 at its end, -1 for none now. */
int relay_log(struct launcher *l)
{
	char buf[8192];
	ssize_t n = read(l->log_in, buf, sizeof buf);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return -1;
	if (n <= 0)
		return 0;
	if (log_size + (size_t)n > LOG_MAX && log_fd >= 0) {
		close(log_fd);
		renameat(run_state.dir_fd, "log", run_state.dir_fd, "log.1");
		log_fd = openat(run_state.dir_fd, "log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
				O_NOFOLLOW | O_CLOEXEC, 0600);
		log_size = 0;
	}
	if (log_fd >= 0 && write(log_fd, buf, (size_t)n) == n)
		log_size += (size_t)n;
	return (int)n;
}

/* ------------------------------------------------------------------ */
/* The commands for people: logs, stop, rm, wait, and ps without an ID */
/* ------------------------------------------------------------------ */

static void open_named(struct oci_state *st, const struct oci_args *a, const char *cmd)
{
	if (!a->id)
		die(EXIT_CANT_RUN, "%s: no container name given (see carapace %s --help)", cmd, cmd);
	if (!state_open(st, a, a->id)) {
		state_wait_ending(a, a->id, 10000);	/* one ending: gone once it is */
		die(EXIT_CANT_RUN, "%s: no such container: %.64s", cmd, a->id);
	}
}

/* One name: OPERANDS past it are refused. */
static void one_name(struct oci_args *a, const char *cmd, int argc, char **argv)
{
	if (parse_oci_options(a, cmd, argc, argv) != argc)
		die(EXIT_CANT_RUN, "%s: one container name only", cmd);
}

static void copy_out(int fd)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
		for (ssize_t off = 0; n > 0 && off < n;) {
			ssize_t w = write(STDOUT_FILENO, buf + off, (size_t)(n - off));

			if (w < 0 && errno != EINTR)
				exit(0);	/* stdout is gone: nothing more to say */
			off += w > 0 ? w : 0;
		}
}

/* "log" now, if it is another file than FD's: its monitor began a new one. */
static bool log_rotated(const struct oci_state *st, int fd)
{
	struct stat now, had;

	return !fstatat(st->dir_fd, "log", &now, AT_SYMLINK_NOFOLLOW) && !fstat(fd, &had) &&
	       (now.st_ino != had.st_ino || now.st_dev != had.st_dev);
}

int cmd_logs(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct oci_state st;
	int fd;

	one_name(&a, "logs", argc, argv);
	open_named(&st, &a, "logs");
	if (!st.detached)
		die(EXIT_CANT_RUN, "logs: %s: no log: only run -d keeps one", st.id);
	if ((fd = openat(st.dir_fd, "log.1", O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		copy_out(fd);
		close(fd);
	}
	fd = openat(st.dir_fd, "log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT)
		die_errno("logs: %s: its log", st.id);
	state_unlock(&st);	/* -f: others may look at it meanwhile, and rm it */
	for (bool ended = false;;) {
		if (fd >= 0)
			copy_out(fd);
		if (!a.follow || ended)
			break;
		if (fd >= 0 && log_rotated(&st, fd)) {
			close(fd);
			fd = openat(st.dir_fd, "log", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			continue;
		}
		/* Once its monitor is gone, what the log holds is all there is: once more. */
		ended = state_owner_alive(&st) != 1;
		if (!ended)
			usleep(100000);
	}
	if (fd >= 0)
		close(fd);
	state_close(&st);
	return 0;
}

/* Until init has exited, at most MS; false if it still runs. */
static bool wait_init(int pidfd, int ms)
{
	int n;

	while ((n = poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, ms)) < 0)
		if (errno != EINTR)
			die_errno("poll: a pidfd");
	return n == 1;
}

/* A frozen init takes no TERM, and on v1 no KILL either: thawed first. */
static void thaw(const struct oci_state *st)
{
	char *cgroups = state_read_file(st, "cgroups");

	if (cgroups && state_status(st) == STATUS_PAUSED)
		cgroups_freeze(cgroups, false);
	free(cgroups);
}

static void send_signal(const struct oci_state *st, int pidfd, int sig, const char *cmd)
{
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) && errno != ESRCH)
		die_errno("%s: %s: signal its init", cmd, st->id);
}

/*
 * TERM (init passes it to the workload, which may trap it), KILL after
 * TIMEOUT seconds; then, for a run's, until its launcher or monitor has
 * cleaned up: rm may follow at once. The folder unlocked: ST as opened.
 */
static void stop_container(const struct oci_state *st, int timeout, const char *cmd)
{
	autoclose int pidfd = state_pidfd(st);

	if (pidfd < 0 && state_pid_foreign(st) && state_status(st) != STATUS_STOPPED)
		die(EXIT_CANT_RUN, "%s: %s: its init is of another pid namespace (pid %d there): "
		    "%s it from there", cmd, st->id, (int)st->pid, cmd);
	thaw(st);
	if (pidfd >= 0) {
		if (timeout)
			send_signal(st, pidfd, SIGTERM, cmd);
		if (!timeout || !wait_init(pidfd, timeout * 1000)) {
			send_signal(st, pidfd, SIGKILL, cmd);
			if (!wait_init(pidfd, 10000))
				die(EXIT_CANT_RUN, "%s: %s: init %d did not end", cmd, st->id,
				    (int)st->pid);
		}
	}
	if (!state_unlock_and_wait_owner(st, 10000))
		die(EXIT_CANT_RUN, "%s: %s: its monitor did not end", cmd, st->id);
}

int cmd_stop(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct oci_state st;
	long timeout = 10;
	char *end;

	one_name(&a, "stop", argc, argv);
	if (a.timeout) {
		timeout = strtol(a.timeout, &end, 10);
		if (!*a.timeout || *end || timeout < 0 || timeout > 86400)
			die(EXIT_CANT_RUN, "stop: --time: not a number of seconds (0 to 86400): '%s'",
			    a.timeout);
	}
	open_named(&st, &a, "stop");
	stop_container(&st, (int)timeout, "stop");
	state_close(&st);
	return 0;
}

/* A run's container: its state and log; a live one only with --force. */
int cmd_rm(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct oci_state st;
	enum oci_status status;
	char *cgroups;

	one_name(&a, "rm", argc, argv);
	open_named(&st, &a, "rm");
	if (state_owner_alive(&st) < 0)
		die(EXIT_CANT_RUN, "rm: %s: not a container of carapace run (OCI's: use delete)",
		    st.id);
	status = state_status(&st);
	if (status != STATUS_STOPPED && !a.force)
		die(EXIT_CANT_RUN, "rm: %s: the container is %s (stop it first, or rm -f)", st.id,
		    status_name(status));
	stop_container(&st, 0, "rm");	/* a stopped one's monitor may be finishing */
	state_close(&st);
	if (!state_open(&st, &a, a.id))
		return 0;	/* a foreground run's, which its run removed */
	cgroups = state_read_file(&st, "cgroups");
	if (cgroups && !cgroups_remove_described(cgroups))
		die(EXIT_CANT_RUN, "rm: %s: its cgroups could not be removed", st.id);
	free(cgroups);
	state_remove(&st);
	state_close(&st);
	return 0;
}

/* Until a run -d's container has ended: its status, which its monitor recorded. */
int cmd_wait(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct oci_state st;

	one_name(&a, "wait", argc, argv);
	open_named(&st, &a, "wait");
	if (state_owner_alive(&st) < 0)
		die(EXIT_CANT_RUN, "wait: %s: not a container of carapace run", st.id);
	state_unlock_and_wait_owner(&st, -1);
	state_close(&st);
	if (!state_open(&st, &a, a.id) || !st.exited)
		die(EXIT_CANT_RUN, "wait: %s: ended, and its status went to its run (no -d)", a.id);
	printf("%d\n", st.exit_status);
	state_close(&st);
	return 0;
}

/*
 * One line a container, whatever its argv holds, and nothing a terminal
 * acts on: C0 controls, DEL, and the C1 ones (U+0080 to U+009F, "\xc2\x9b"
 * is a CSI in UTF-8; alone, a byte 0x80 to 0x9f is one in 8-bit terminals),
 * each byte a space. Other UTF-8 is kept.
 */
static void blank_controls(char *s)
{
	for (unsigned char *p = (unsigned char *)s, prev = 0; p && *p; prev = *p++)
		if (*p < ' ' || *p == 0x7f || (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) ||
		    (*p >= 0x80 && *p <= 0x9f && prev < 0x80))
			*p = ' ';
}

/* A line of ps: NAME STATUS PID CREATED COMMAND. */
static void list_one_for_people(const struct oci_args *a, const char *id)
{
	struct oci_state st = { .root_fd = -1, .dir_fd = -1 };
	enum oci_status s;
	char status[32], *command;

	if (!valid_container_id(id) || !state_open(&st, a, id) || !st.pid) {
		state_close(&st);
		return;
	}
	s = state_status(&st);
	if (st.exited)
		snprintf(status, sizeof status, "exited(%d)", st.exit_status);
	else
		snprintf(status, sizeof status, "%s", status_name(s));
	/* An older carapace's run has it in a file of its own. */
	command = st.command ? xasprintf("%s", st.command) : state_read_file(&st, "command");
	blank_controls(command);
	/* To the second, as people read it: 2026-12-02T13:38:37Z. */
	printf("%-24s %-11s %-8d %.19s%-2s %s\n", id, status, s == STATUS_STOPPED ? 0 : (int)st.pid,
	       st.created ? st.created : "-", st.created && strlen(st.created) > 19 ? "Z" : "",
	       command ? command : "-");
	free(command);
	state_close(&st);
}

/* carapace ps: docker's table of the containers under --root, runs' and OCI's. */
void list_for_people(const struct oci_args *a)
{
	DIR *d;
	struct dirent *e;

	state_reap_end_notes(a);	/* before the listing: a killed run's cgroups */
	d = opendir(state_root_path(a));

	if (!d && errno != ENOENT)
		die_errno("--root: %s", state_root_path(a));
	printf("%-24s %-11s %-8s %-21s %s\n", "NAME", "STATUS", "PID", "CREATED", "COMMAND");
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			list_one_for_people(a, e->d_name);
	if (d)
		closedir(d);
}
