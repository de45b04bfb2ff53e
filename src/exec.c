/*
 * exec.c: carapace exec, a new process in a running container.
 *
 * exec forks a joiner, puts it into the container's cgroups, and the
 * joiner enters init's namespaces (through init's pidfd) and init's root.
 * It then clones the process with CLONE_PARENT, so that the process is
 * exec's own child: exec waits for it, or with --detach leaves it to the
 * caller's subreaper (conmon, containerd's shim), as runc does. The
 * process runs the same code as the container's own (start_container_workload):
 * user, rlimits, capabilities, no_new_privs, seccomp, then execve.
 *
 * The container is hostile: until its exec, the joiner and the process are
 * not dumpable (no ptrace, no /proc/PID/{exe,fd,environ,mem} for the
 * container; runc CVE-2016-9962), they hold no host fd and no host path
 * (the command line is overwritten), and whatever the process reads of
 * the container (its /etc/passwd) is read as a bounded regular file.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/* At most this many fds pass with --preserve-fds (options.c's bound). */
#define PRESERVE_FDS_MAX 1000

static const struct {
	const char *name;
	unsigned long type;
} ns_files[] = {	/* the user namespace first: it gives the right to join the rest */
	{ "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS }, { "pid", CLONE_NEWPID },
	{ "uts", CLONE_NEWUTS }, { "ipc", CLONE_NEWIPC }, { "net", CLONE_NEWNET },
	{ "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};
#define N_NS (sizeof ns_files / sizeof ns_files[0])

/* One exec, from the state read to the process's end. */
struct exec_job {
	struct oci_state st;
	struct container c;
	struct runtime rt;
	pid_t init;		/* the container's, on the host */
	int init_pidfd;
	int init_root;		/* O_PATH on init's root, through /proc/PID/root */
	struct stat root_stat;	/* of that root: the joiner's must be it */
	unsigned long ns;	/* init's namespaces that are not exec's */
	char *cgroups;		/* the state's description of them */
	struct cgroups *cg;	/* read from it, for the joiner to join */
	pid_t exec_pid;		/* the joiner's parent, whose death ends it */
	pid_t joiner;
	bool joiner_reaped;
};

/* Static: the clean-up at exit reads it. */
static struct exec_job job;

static void kill_joiner_at_exit(void)
{
	if (job.joiner > 0 && !job.joiner_reaped && getpid() == job.exec_pid) {
		kill(job.joiner, SIGKILL);
		waitpid(job.joiner, NULL, 0);
	}
}

/* ------------------------------------------------------------------ */
/* What to run: the container's settings, and exec's options on them  */
/* ------------------------------------------------------------------ */

/*
 * An older carapace's run-args file: its bytes, and N their length; NULL:
 * none. (A run now keeps its options in its state: st->run_args.)
 */
static char *read_run_args_file(const struct oci_state *st, size_t *n)
{
	autoclose int fd = openat(st->dir_fd, "run-args", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat sb;
	char *text;

	if (fd < 0 && errno == ENOENT)
		return NULL;
	if (fd < 0 || fstat(fd, &sb))
		die_errno("exec: %s: run-args", st->id);
	if (!S_ISREG(sb.st_mode) || sb.st_size > (1 << 20))
		die(EXIT_CANT_RUN, "exec: %s: run-args: not a file of its size", st->id);
	text = xrealloc(NULL, (size_t)sb.st_size + 1);
	if (read(fd, text, (size_t)sb.st_size) != sb.st_size)
		die(EXIT_CANT_RUN, "exec: %s: run-args: short read", st->id);
	*n = (size_t)sb.st_size;
	text[*n] = '\0';
	return text;
}

/*
 * run --name's registration: its options as a NUL-separated argv, paths
 * absolute, without "run" and the command: parsed as run's, with a
 * stand-in command that exec's replaces.
 */
static bool load_run_args(struct container *c, const struct oci_state *st)
{
	size_t n = st->run_args_len;
	char *text = st->run_args ? st->run_args : read_run_args_file(st, &n);
	char **argv = xrealloc(NULL, 2 * sizeof *argv);
	int argc = 1;

	if (!text)
		return false;
	argv[0] = "run";
	for (char *p = text; p < text + n; p += strlen(p) + 1) {
		argv = xrealloc(argv, ((size_t)argc + 3) * sizeof *argv);
		argv[argc++] = p;
	}
	argv[argc++] = "true";
	argv[argc] = NULL;
	parse_recorded_run_options(c, argc, argv);
	return true;
}

/* The container as it was made: run's options, or the config.json create kept. */
static void load_container(struct container *c, const struct oci_state *st)
{
	char *config;
	int profile;

	if (load_run_args(c, st)) {
		/* --seccomp FILE: the bytes run compiled, not the file as it is now. */
		profile = openat(st->dir_fd, "seccomp-profile", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (profile < 0 && errno != ENOENT)
			die_errno("exec: %s: seccomp-profile", st->id);
		if (profile >= 0)
			c->privileges.seccomp = xasprintf("/proc/self/fd/%d", profile);
		return;
	}
	config = state_config(st);
	if (!config)
		die(EXIT_CANT_RUN, "exec: %s: no config.json in its state", st->id);
	oci_parse_config(c, config, strlen(config), st->bundle);
	free(config);
}

/*
 * The bounding set the container's own process got, from the sets its
 * state notes ("bounding 0xHEX"): the spec's less what create withheld
 * (CAP_MKNOD where the host's devices are not kept shut). For a state
 * without it, the spec's less MKNOD, unless a user namespace or
 * --privileged makes MKNOD harmless.
 */
static uint64_t container_bounding(const struct container *c, const struct oci_state *st)
{
	uint64_t spec = c->oci.caps.given ? c->oci.caps.bounding : c->privileges.caps;
	const char *text = st->caps, *line;
	char *end;
	uint64_t bounding;

	if (!text || !(line = strstr(text, "bounding ")) || (line != text && line[-1] != '\n')) {
		if ((c->namespaces & CLONE_NEWUSER) || c->privileges.privileged)
			return spec;
		return spec & ~CAP(MKNOD);
	}
	errno = 0;
	bounding = strtoull(line + 9, &end, 16);
	if (errno || end == line + 9 || (*end && *end != '\n'))
		die(EXIT_CANT_RUN, "exec: %s: caps: not a capability set: '%.32s'", st->id, line);
	return bounding & spec;
}

static const char *first_cap_name(uint64_t set)
{
	for (int cap = 0; cap < 64; cap++)
		if (set & (1ULL << cap))
			return cap < N_CAPS && cap_names[cap] ? cap_names[cap] : "?";
	return "?";
}

/* A uid or gid of --user: a name, or a number below (uid_t)-1, which setresuid reads as "unchanged". */
static void check_user_part(const char *user, const char *part, size_t len)
{
	char *end;
	unsigned long long id;

	if (!len)
		die(EXIT_CANT_RUN, "exec: --user: '%s': an empty user or group", user);
	if (strspn(part, "0123456789") < len)
		return;
	errno = 0;
	id = strtoull(part, &end, 10);
	if (errno || len > 10 || id > UINT32_MAX - 1)
		die(EXIT_CANT_RUN, "exec: --user: '%s': %.*s is no id (at most 4294967294)", user,
		    (int)len, part);
}

static void check_user(const char *user)
{
	const char *colon = strchr(user, ':');

	check_user_part(user, user, colon ? (size_t)(colon - user) : strlen(user));
	if (colon)
		check_user_part(user, colon + 1, strlen(colon + 1));
}

/* --process FILE: its process replaces the container's, whole. */
static void read_process_file(struct container *c, const char *path)
{
	struct text_file t;

	if (!open_text_file(&t, "exec: --process: ", path))
		die(EXIT_CANT_RUN, "exec: --process: %s: %s", path, strerror(errno));
	c->process.argv = NULL;
	c->process.env = NULL;
	c->process.env_len = 0;
	c->process.cwd = NULL;
	c->process.tty = TTY_NEVER;
	c->privileges.user = NULL;
	c->privileges.rlimits_len = 0;
	c->privileges.no_new_privs = false;
	memset(&c->oci.process, 0, sizeof c->oci.process);
	c->oci.process.umask = -1;
	c->oci.caps.given = false;
	oci_parse_process(c, t.data, t.len);
	close_text_file(&t);
	if (!c->process.env) {
		c->process.env = xrealloc(NULL, sizeof *c->process.env);
		c->process.env[0] = NULL;
	}
}

/*
 * The capabilities the process gets: --process's or the container's, and
 * --cap's, all within what the container's own process may have.
 */
static void bound_caps(struct container *c, struct runtime *rt, uint64_t caps_added,
		       uint64_t bounding)
{
	typeof(c->oci.caps) *o = &c->oci.caps;
	uint64_t wanted;

	if (caps_added & ~bounding)
		die(EXIT_CANT_RUN, "exec: --cap CAP_%s: not in the container's bounding set",
		    first_cap_name(caps_added & ~bounding));
	if (o->given) {
		o->effective |= caps_added;
		o->permitted |= caps_added;
		o->inheritable |= caps_added;
		o->ambient |= caps_added;
		wanted = o->bounding | o->effective | o->permitted | o->inheritable | o->ambient;
		c->privileges.caps = o->bounding & o->permitted;
	} else {
		c->privileges.caps |= caps_added;
		wanted = c->privileges.caps;
	}
	if (wanted & ~bounding)
		die(EXIT_CANT_RUN, "exec: --process: capabilities: CAP_%s: not in the container's "
		    "bounding set", first_cap_name(wanted & ~bounding));
	rt->caps = c->privileges.caps & bounding;
}

/* Exec's options onto the container's process; ARGV: the command, if no --process. */
static void set_exec_process(struct container *c, struct runtime *rt, const struct oci_args *a,
			     char **argv)
{
	uint64_t bounding = container_bounding(c, &job.st);

	typeof(c->oci.caps) *o = &c->oci.caps;

	/* The container's own sets, as its process got them: less what create withheld. */
	o->bounding &= bounding, o->effective &= bounding, o->permitted &= bounding;
	o->inheritable &= bounding, o->ambient &= bounding;
	c->privileges.caps &= bounding;
	memset(c->oci.hooks_len, 0, sizeof c->oci.hooks_len);	/* the container's, not exec's */
	c->process.action = EXEC_COMMAND;
	if (a->exec.process) {
		read_process_file(c, a->exec.process);
	} else {
		c->process.argv = argv;
		c->process.tty = TTY_NEVER;
	}
	if (a->exec.tty)
		c->process.tty = TTY_ALWAYS;
	if (a->exec.cwd)
		c->process.cwd = a->exec.cwd;
	if (!c->process.cwd)
		c->process.cwd = "/";
	for (size_t i = 0; i < a->exec.env_len; i++) {
		c->process.home_set |= !strncmp(a->exec.env[i], "HOME=", 5);
		env_set(c, a->exec.env[i]);
	}
	if (a->exec.user) {
		check_user(a->exec.user);
		c->privileges.user = a->exec.user;
		c->oci.process.ids_given = false;
		c->privileges.groups_add_len = 0;
	}
	c->privileges.no_new_privs |= a->exec.no_new_privs;
	c->process.preserve_fds = a->preserve_fds;
	bound_caps(c, rt, a->exec.caps, bounding);
}

/* ------------------------------------------------------------------ */
/* The container: running, its init, its namespaces and root          */
/* ------------------------------------------------------------------ */

/* The state of a running container, locked; init's pidfd and root, and how it differs from us. */
static void open_container(struct exec_job *j, const struct oci_args *a)
{
	enum oci_status status;
	char path[64];

	if (!state_open(&j->st, a, a->id))
		die(EXIT_CANT_RUN, "exec: container %s does not exist", a->id);
	status = state_status(&j->st);
	if (status == STATUS_PAUSED)
		die(EXIT_CANT_RUN, "exec: %s: container is paused (resume it first)", j->st.id);
	if (status != STATUS_RUNNING)
		die(EXIT_CANT_RUN, "exec: %s: container is not running (%s)", j->st.id,
		    status_name(status));
	if (state_pid_foreign(&j->st))	/* its pid names another process here, or none */
		die(EXIT_CANT_RUN, "exec: %s: its init is of another pid namespace (pid %d there): "
		    "exec from there", j->st.id, (int)j->st.pid);
	j->init_pidfd = state_pidfd(&j->st);
	if (j->init_pidfd < 0)
		die(EXIT_CANT_RUN, "exec: %s: container is not running (its init is gone)", j->st.id);
	j->init = j->st.pid;
	snprintf(path, sizeof path, "/proc/%d/root", (int)j->init);
	j->init_root = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (j->init_root < 0 || fstat(j->init_root, &j->root_stat))
		die_errno("exec: %s: init's root", j->st.id);
	for (size_t i = 0; i < N_NS; i++) {
		struct stat theirs, ours;

		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)j->init, ns_files[i].name);
		if (stat(path, &theirs)) {
			if (errno == ENOENT)	/* a kernel without it */
				continue;
			die_errno("exec: %s: %s", j->st.id, path);
		}
		snprintf(path, sizeof path, "/proc/self/ns/%s", ns_files[i].name);
		if (stat(path, &ours) || theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev)
			j->ns |= ns_files[i].type;
	}
	/* Init's start time again: the pid read is still the container's. */
	if (process_start_time(j->init) != j->st.start_time)
		die(EXIT_CANT_RUN, "exec: %s: container is not running (its init is gone)", j->st.id);
	j->cgroups = state_read_file(&j->st, "cgroups");
}

/* The fds 3 to 2+N that --preserve-fds passes must be open. */
static void check_preserved_fds(int n)
{
	if (n > PRESERVE_FDS_MAX)
		die(EXIT_CANT_RUN, "exec: --preserve-fds: %d: more than %d", n, PRESERVE_FDS_MAX);
	for (int fd = 3; fd < 3 + n; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			die(EXIT_CANT_RUN, "exec: --preserve-fds %d: fd %d is not open", n, fd);
}

/* ------------------------------------------------------------------ */
/* The joiner: into the container, then the process's clone           */
/* ------------------------------------------------------------------ */

/* Exec has died: its end of SOCK is closed. */
static bool exec_gone(int sock)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && ((p.revents & (POLLHUP | POLLERR)) ||
				       recv(sock, &(char){ 0 }, 1, MSG_PEEK | MSG_DONTWAIT) == 0);
}

/*
 * After each change of credentials: the kernel then resets dumpable to
 * the suid_dumpable sysctl and clears the parent-death signal. Exec's
 * death must still end the process (but a detached one's, once it runs),
 * and exec may have died just before.
 */
void exec_keep_parent(int sock, bool detach)
{
	prctl(PR_SET_DUMPABLE, 0);
	prctl(PR_SET_PDEATHSIG, detach ? 0 : SIGKILL);
	if (exec_gone(sock))
		_exit(EXIT_CANT_RUN);
}

/*
 * The home of UID in the container's /etc/passwd, or "/": an engine's
 * process file gives a named user's ids and often no HOME (ctr's --user),
 * which runc then takes from there.
 */
const char *exec_home(uid_t uid)
{
	char *field[7], *line = find_entry(CONTAINER_FILE, "/etc/passwd", NULL, (long)uid, field);

	return line && field[5] && *field[5] ? field[5] : "/";
}

/* Init's namespaces: all at once by its pidfd (5.8), else one /proc/PID/ns file at a time. */
static void enter_namespaces(const struct exec_job *j)
{
	int fds[N_NS];
	char path[64];

	if (!j->ns || syscall(SYS_setns, j->init_pidfd, (int)j->ns) == 0)
		return;
	if (errno != EINVAL && errno != EBADF)
		die_errno("exec: setns: the container's namespaces");
	log_debug("exec: setns by pidfd: %s: through /proc/PID/ns", strerror(errno));
	for (size_t i = 0; i < N_NS; i++) {	/* all opened while /proc is the host's */
		fds[i] = -1;
		snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)j->init, ns_files[i].name);
		if ((j->ns & ns_files[i].type) && (fds[i] = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			die_errno("exec: %s", path);
	}
	for (size_t i = 0; i < N_NS; i++) {
		if (fds[i] >= 0 && setns(fds[i], (int)ns_files[i].type))
			die_errno("exec: setns: the container's %s namespace", ns_files[i].name);
		if (fds[i] >= 0)
			close(fds[i]);
	}
}

/* In a user namespace, its root, as init is: the maps say who that is on the host. */
static void become_root_inside(void)
{
	if (setresgid(0, 0, 0))
		die_errno("exec: userns: setgid 0");
	if (setgroups(0, NULL) && errno != EPERM)
		die_errno("exec: userns: setgroups");
	if (setresuid(0, 0, 0))
		die_errno("exec: userns: setuid 0");
}

/*
 * Init's root, by the fd opened on the host: the mount namespace's own
 * root is not it where init entered its root by chroot (--no-pivot).
 * Then "/" must be that very folder, by device and inode.
 */
static void enter_root(const struct exec_job *j)
{
	struct stat now;

	if (fchdir(j->init_root) || chroot(".") || chdir("/"))
		die_errno("exec: enter the container's root");
	if (stat("/", &now) || now.st_dev != j->root_stat.st_dev ||
	    now.st_ino != j->root_stat.st_ino)
		die(EXIT_CANT_RUN, "exec: the root is not the container's");
	close(j->init_root);
	close(j->init_pidfd);
}

/*
 * exec's environment is the host's: the original strings are wiped before
 * the joiner enters the container (hide_environment), and so is the copy.
 * The process gets the container's environment, a copy of its own.
 */
static void forget_environment(void)
{
	hide_environment();
	for (char **e = environ; e && *e; e++)
		memset(*e, 0, strlen(*e));
	environ = NULL;
}

/* The process's signals: none blocked, none ignored (the engine's rule, as init's). */
static void exec_signals(struct saved_signals *saved)
{
	sigemptyset(&saved->mask);
	sigemptyset(&saved->ignored);
	saved->all_default = true;
}

/*
 * In the joiner: into the container, a pty if asked, then the process,
 * a clone that is exec's child. Sends exec its host pid, and exits.
 */
__attribute__((noreturn))
static void join_container(struct exec_job *j, int sock)
{
	int keep[] = { sock, j->init_pidfd, j->init_root };
	struct saved_signals saved;
	struct ipc_msg m = IPC_MSG(MSG_PID);
	int pty_slave = -1;
	long pid;

	prctl(PR_SET_DUMPABLE, 0);	/* first: nobody ptraces us, or reads our fds */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != j->exec_pid)
		_exit(EXIT_CANT_RUN);
	set_fail_mode(FAIL_REPORT, sock);
	if (j->cg)	/* its v1 leaves, by itself, as init does */
		cgroups_join_self(j->cg);
	hide_command_line();	/* the container may read /proc/PID/cmdline */
	forget_environment();
	close_fds_except(3 + j->c.process.preserve_fds, keep, sizeof keep / sizeof keep[0]);
	forget_log_file();
	if (!ipc_expect(sock, MSG_GO, NULL))	/* EOF: exec died */
		_exit(EXIT_CANT_RUN);
	set_oom_score_adj(&j->c, getpid());	/* by the host's /proc; the process inherits it */
	enter_namespaces(j);
	if (j->ns & CLONE_NEWUSER)
		become_root_inside();
	exec_keep_parent(sock, false);
	enter_root(j);
	if (j->c.process.tty == TTY_ALWAYS)
		pty_slave = open_pty(&j->c, sock);
	exec_signals(&saved);
	pid = clone_process(CLONE_PARENT | SIGCHLD, NULL);
	if (pid < 0)
		die_errno("exec: clone the process");
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);	/* not inherited; exec is our parent now */
		if (exec_gone(sock))
			_exit(EXIT_CANT_RUN);
		j->rt.exec_joined = true;
		start_container_workload(&j->c, &j->rt, sock, pty_slave, &saved);
	}
	m.code = (int)pid;
	if (!ipc_send(sock, &m))
		_exit(EXIT_CANT_RUN);	/* exec is gone: so is the process, by its death signal */
	_exit(0);
}

/* The joiner, born in the container's v2 cgroup where there is one (clone3, 5.7). */
static pid_t clone_joiner(int cgroup_fd, bool *in_cgroup)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	long pid;

	*in_cgroup = cgroup_fd >= 0;
	if (cgroup_fd >= 0) {
		args.flags = CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
		pid = syscall(SYS_clone3, &args, sizeof args);
		if (pid >= 0 || (errno != ENOSYS && errno != E2BIG && errno != EINVAL))
			return (pid_t)pid;
	}
	*in_cgroup = false;
	return fork();
}

/* ------------------------------------------------------------------ */
/* Exec's side: the joiner's messages, then the process's life         */
/* ------------------------------------------------------------------ */

struct started {
	pid_t pid;		/* the process's; 0: none */
	int pty;		/* its master, or -1 */
	int code;		/* a setup error's status; 0: none */
};

/* The joiner's and the process's messages until both have let go of the socket. */
static void read_joiner(int sock, struct started *s)
{
	struct ipc_msg m;

	while (ipc_recv(sock, &m) > 0) {
		if (m.type == MSG_ERROR) {
			log_error("%s", m.text);
			s->code = m.code ? m.code : EXIT_CANT_RUN;
		} else if (m.type == MSG_PID && m.code > 0 && !s->pid) {
			s->pid = m.code;
		}
		if (m.type == MSG_PTY && m.fd >= 0 && s->pty < 0)
			s->pty = m.fd;
		else if (m.fd >= 0)
			close(m.fd);
	}
}

static int wait_joiner(struct exec_job *j)
{
	int status;

	while (waitpid(j->joiner, &status, 0) < 0)
		if (errno != EINTR)
			die_errno("exec: waitpid: the joiner");
	j->joiner_reaped = true;
	return exit_status(status);
}

/* Exec's wait for the process: its status, with signals forwarded and the pty relayed. */
static int supervise_process(struct launcher *l, int pty)
{
	l->pidfd = (int)syscall(SYS_pidfd_open, l->init, 0);	/* our child: its pid is ours */
	l->stop_timeout_ms = 10000;	/* as run's --stop-timeout default */
	if (pty >= 0) {
		l->pty = pty;
		if (fcntl(pty, F_SETFL, O_NONBLOCK))
			die_errno("fcntl: pty");
		copy_window_size(l);
		set_raw_terminal(l);
		l->stdin_open = true;
		l->last_was_newline = true;
	}
	return supervise(l);
}

static int run_exec(struct exec_job *j, const struct oci_args *a)
{
	struct launcher l = LAUNCHER_INIT;
	struct started s = { .pty = -1 };
	autoclose int cgroup_fd = -1;
	int socks[2], joined, status;
	bool in_cgroup;

	if (j->cgroups && !(j->cg = cgroups_load(j->cgroups)))
		die_errno("exec: %s: join its cgroups", j->st.id);
	if (j->cg) {
		cgroup_fd = cgroups_v2_leaf_fd(j->cg);
		cgroups_open_self_join(j->cg);
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks))
		die_errno("socketpair");
	l.sigfd = launcher_signals();
	j->exec_pid = getpid();
	on_launcher_exit(kill_joiner_at_exit);
	j->joiner = clone_joiner(cgroup_fd, &in_cgroup);
	if (j->joiner < 0)
		die_errno("exec: fork");
	if (j->joiner == 0) {
		close(socks[0]);
		join_container(j, socks[1]);
	}
	close(socks[1]);
	if (j->cg) {	/* the v2 leaf, if the clone could not place it there */
		cgroups_close_self_join(j->cg);
		join_cgroups(j->cg, j->joiner, in_cgroup);
	}
	if (!ipc_send(socks[0], &IPC_MSG(MSG_GO)) && errno != EPIPE)
		die_errno("exec: tell the joiner");
	read_joiner(socks[0], &s);
	close(socks[0]);
	joined = wait_joiner(j);
	if (!s.pid)
		return s.code ? s.code : joined ? joined : EXIT_CANT_RUN;
	l.init = s.pid;
	launcher_on_exit(&l);	/* from here on, exec's death is the process's */
	if (s.code) {	/* it failed before its exec, and said why */
		launcher_wait_init(&l);
		launcher_done(&l);
		return s.code;
	}
	if (a->exec.detach) {
		if (s.pty >= 0)
			send_console(a->console_socket, s.pty);
		if (a->pid_file)
			write_pid_file(a->pid_file, s.pid);
		launcher_hand_over(&l);
		return 0;
	}
	if (a->pid_file)
		write_pid_file(a->pid_file, s.pid);
	if (s.pty >= 0 && a->console_socket) {
		send_console(a->console_socket, s.pty);
		close(s.pty);
		s.pty = -1;
	}
	status = supervise_process(&l, s.pty);

	launcher_done(&l);
	return status;
}

/* The terminal's options, checked together. */
static void check_terminal(const struct container *c, const struct oci_args *a)
{
	bool tty = c->process.tty == TTY_ALWAYS;

	if (tty && a->exec.detach && !a->console_socket)
		die(EXIT_CANT_RUN, "exec: --tty with --detach: give --console-socket");
	if (!tty && a->console_socket)
		die(EXIT_CANT_RUN, "exec: --console-socket: without --tty (or terminal: true)");
}

int cmd_exec(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	int rest = parse_oci_options(&a, "exec", argc, argv);

	if (!a.id)
		die(EXIT_CANT_RUN, "exec: no container ID given (see carapace exec --help)");
	if (rest == argc && !a.exec.process)
		die(EXIT_CANT_RUN, "exec: %s: no command given, and no --process", a.id);
	if (rest < argc && a.exec.process)
		die(EXIT_CANT_RUN, "exec: %s: a command or --process, not both", a.id);
	if (geteuid() != 0)
		die(EXIT_CANT_RUN, "exec: not supported rootless: a container's init is not "
		    "dumpable, and only root may enter its namespaces");
	check_preserved_fds(a.preserve_fds);
	job.rt.root_fd = job.rt.cg.v2_fd = job.rt.start_listener = -1;
	open_container(&job, &a);
	load_container(&job.c, &job.st);
	set_exec_process(&job.c, &job.rt, &a, argv + rest);
	check_terminal(&job.c, &a);
	build_seccomp(&job.c, &job.rt.filter);
	job.rt.exec_detach = a.exec.detach;
	/*
	 * Read all it needs: other commands on the container, another exec
	 * too, go on meanwhile. The pidfd keeps init from being taken for
	 * another process; if the container ends now, so does the joining.
	 */
	state_close(&job.st);
	return run_exec(&job, &a);
}
