/*
 * carapace: a small container runtime in one static binary.
 *
 * The same process is launcher and init. The launcher clones the container;
 * the clone is PID 1 inside, sets the container up, waits for "start",
 * forks the workload and then stays as its reaper until the workload exits.
 *
 * This file tells a container's life, top to bottom: the commands, the
 * launcher's side of the creation, init's setup inside, the filesystem,
 * and the workload. The subsystems it calls in order live in src/, behind
 * src/carapace.h.
 *
 * SPDX-License-Identifier: MIT
 */
#include "src/carapace.h"
#include "inspector.h"

/* The life story, in the order it is told below. */
static int run_container(const struct oci_args *global, int argc, char **argv,
			 enum exec_action action);
static void create_from_bundle(struct oci_args *a, struct container *c, struct runtime *rt,
			       struct oci_state *st);
static void hand_over(const struct oci_args *a, const struct container *c,
		      struct runtime *rt, struct oci_state *st, struct launcher *l);
static void kill_and_wait(const struct oci_state *st);
static void create_container(const struct container *c, struct runtime *rt,
			     struct launcher *l);
static void send_to_init(const struct launcher *l, enum msg_type type, int fd);
static pid_t clone_container(unsigned long flags, int cgroup_fd, int *pidfd, bool *in_cgroup);
static bool wait_until_ready(struct launcher *l);
static bool init_waits_for_start(const struct container *c);
static bool init_forks_nothing_early(const struct container *c, const struct runtime *rt);
static void note_cgroups(const struct cgroups *cg, void *state);
__attribute__((noreturn))
static void container_init(const struct container *c, const struct runtime *rt, int sock);
static void become_root_inside(const struct runtime *rt, int sock);
static void close_host_fds(const struct container *c, const struct runtime *rt, int sock);
static int wait_for_start(const struct runtime *rt, int sock, int sigfd);
static void check_command(const struct container *c);
static const char *build_filesystem(const struct container *c, const struct runtime *rt,
				    int root_tree, int sock);
static void make_cgroup_namespace(const struct container *c, const struct runtime *rt);
static char **env_with_home(const struct container *c, const char *home);
static void restore_signals(const struct saved_signals *saved);
static void reset_reserved_signal(int sig);

/* ------------------------------------------------------------------ */
/* Commands: carapace run, inspect and init                           */
/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	const struct command *cmd;
	struct oci_args global;
	int first;

	if (argc > 0 && !strcmp(argv[0], SEALED_ARGV0))
		return cmd_exec_sealed(argc, argv);
	set_fail_mode(FAIL_LAUNCHER, -1);
	refuse_sealed_reentry();
	argv = copy_args(argc, argv);	/* init overwrites the original: hide_command_line */
	copy_environment();		/* and this one: hide_environment */
	ensure_std_fds();
	first = parse_global_options(&global, argc, argv);	/* --help and --version end here */
	set_log_file(&global);
	if (global.systemd_cgroup)
		die(EXIT_CANT_RUN, "--systemd-cgroup: not supported: carapace writes the cgroup "
		    "files itself, without systemd (use cgroupfs in the engine)");
	if (first >= argc)
		die(EXIT_CANT_RUN, "no command given (see carapace --help)");
	if (!strcmp(argv[first], "help")) {
		usage(stdout);
		return 0;
	}
	cmd = find_command(argv[first]);
	if (!cmd)
		die(EXIT_CANT_RUN, "unknown command: %s (see carapace --help)", argv[first]);
	return run_command(cmd, &global, argc - first, argv + first);
}

int cmd_run(const struct oci_args *global, int argc, char **argv)
{
	return run_container(global, argc, argv, EXEC_COMMAND);
}

int cmd_inspect(const struct oci_args *global, int argc, char **argv)
{
	return run_container(global, argc, argv, EXEC_INSPECT);
}

/*
 * run registers its container under --root (src/monitor.c), so that the
 * OCI commands and exec find it; run -d forks there, and the fork, the
 * monitor, goes on from here as the launcher.
 */
static int run_container(const struct oci_args *global, int argc, char **argv,
			 enum exec_action action)
{
	struct container c = { .process.action = action };
	/*
	 * Static: the cgroups' clean-up runs at exit, after cmd_run has
	 * returned. Zeroed, not initialised, to stay out of the binary's data.
	 */
	static struct runtime rt;
	struct launcher l = LAUNCHER_INIT;
	int status;

	rt.root_fd = rt.cg.v2_fd = rt.start_listener = -1;
	parse_run_options(&c, argc, argv);
	if (c.process.detach && action == EXEC_INSPECT)
		die(EXIT_CANT_RUN, "inspect: --detach: only carapace run has it");
	validate_spec(&c, &rt);
	if (action == EXEC_INSPECT)	/* before the clone: the host's, to compare */
		inspector_host_namespaces(rt.host_ns);
	build_seccomp(&c, &rt.filter);
	if (c.process.detach)
		detach_run(&c, &rt, &l);
	if (action == EXEC_COMMAND)
		register_run(global, &c, &rt, argc, argv);
	network_prepare(&c, &rt, global);	/* its clean-up last: after init's end */
	/* As init exits, the run's folder goes, while the kernel tears init down. */
	if (action == EXEC_COMMAND && !c.process.detach)
		launcher_watch_ending(&l, &rt, monitor_init_ending);

	l.sigfd = launcher_signals();
	l.stop_timeout_ms = (int64_t)c.init.stop_timeout * 1000;
	create_container(&c, &rt, &l);
	if (wait_until_ready(&l)) {
		if (init_waits_for_start(&c))
			send_to_init(&l, MSG_START, -1);
		if (action == EXEC_COMMAND)
			note_started(&l);
		run_state_hooks(&c, HOOK_POSTSTART, "running", l.init);
		monitor_running(&l);
	}
	status = supervise(&l);
	monitor_exit_status(status);
	if (rt.cg.ndirs)
		report_cgroups(&rt.cg, &c);
	launcher_done(&l);	/* l goes with this frame: its clean-up now, not at exit */
	run_state_hooks(&c, HOOK_POSTSTOP, "stopped", 0);
	return status;
}

int cmd_init(const struct oci_args *global, int argc, char **argv)
{
	struct container c = { 0 };	/* only its init's settings */
	struct saved_signals saved;
	char **program = parse_init_options(&c, argc, argv);
	int sigfd;
	pid_t child;

	(void)global;
	if (getpid() != 1) {
		if (!c.init.subreaper)
			log_warn("not PID 1 and not a subreaper (-s): orphans won't be reaped");
		else if (prctl(PR_SET_CHILD_SUBREAPER, 1))
			die_errno("prctl: PR_SET_CHILD_SUBREAPER");
	}
	sigfd = init_take_signals(&saved);
	child = fork();
	if (child < 0)
		die_errno("fork");
	if (child == 0) {
		set_fail_mode(FAIL_PRINT, -1);
		close(sigfd);
		/* Its own group, in the foreground, so that ^C reaches it and not us. */
		setpgid(0, 0);
		if (isatty(STDIN_FILENO))
			tcsetpgrp(STDIN_FILENO, getpgrp());
		restore_signals(&saved);
		exec_command(program, environ);
		die_exec(program[0]);
	}
	return init_loop(sigfd, child, c.init.forward_to_group);
}

/*
 * OCI create: the container, set up from the bundle, with init waiting
 * for start; its state on disk. Returns once init lives on its own, a
 * child of whoever is the caller's subreaper (conmon, containerd's shim).
 */
int cmd_create(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct container c = { .process.action = EXEC_COMMAND };
	/* Static, as run's: the clean-up at exit reads them. */
	static struct runtime rt;
	static struct oci_state st;
	struct launcher l = LAUNCHER_INIT;

	rt.root_fd = rt.cg.v2_fd = rt.start_listener = -1;
	if (parse_oci_options(&a, "create", argc, argv) != argc)
		die(EXIT_CANT_RUN, "create: one container ID only (see carapace create --help)");
	create_from_bundle(&a, &c, &rt, &st);
	l.detach = true;
	create_container(&c, &rt, &l);
	if (!wait_until_ready(&l))
		exit(launcher_wait_init(&l));	/* init failed and said why: its status */
	hand_over(&a, &c, &rt, &st, &l);
	return 0;
}

/* The bundle's container, checked; its state folder made and removed at exit until handed over. */
static void create_from_bundle(struct oci_args *a, struct container *c, struct runtime *rt,
			       struct oci_state *st)
{
	char *bundle = realpath(a->bundle ? a->bundle : ".", NULL), *config;

	if (!bundle)
		die_errno("--bundle: %s", a->bundle ? a->bundle : ".");
	state_create(st, a);
	state_remove_on_exit(st);	/* first: it goes last, after init and the cgroups */
	config = oci_read_config(c, bundle);
	c->oci.id = st->id;
	st->config = config;	/* as read, not read again: the state's, from hand_over */
	c->root.no_pivot |= a->no_pivot;
	c->process.preserve_fds = a->preserve_fds;
	if (c->process.tty == TTY_ALWAYS && !a->console_socket)
		die(EXIT_CANT_RUN, "create: process.terminal is true: give --console-socket");
	if (c->process.tty != TTY_ALWAYS && a->console_socket)
		die(EXIT_CANT_RUN, "create: --console-socket: process.terminal is not true");
	c->process.tty = c->process.tty == TTY_ALWAYS ? TTY_ALWAYS : TTY_NEVER;
	validate_spec(c, rt);
	build_seccomp(c, &rt->filter);
	rt->new_keyring = !a->no_new_keyring;
	rt->start_listener = listen_for_start(st);
	rt->state = st;
	st->bundle = bundle;
	st->rootfs = (char *)c->root.path;
	st->annotations = c->oci.annotations;
	st->annotations_len = c->oci.annotations_len;
}

/*
 * Init is set up and waits for start: the pty to the console socket, the
 * pid to the pid file and the state to disk, then init is told to outlive
 * us. Until init has closed its end, a death of ours is its death too.
 */
static void hand_over(const struct oci_args *a, const struct container *c,
		      struct runtime *rt, struct oci_state *st, struct launcher *l)
{
	struct ipc_msg m;

	(void)c;
	if (l->pty >= 0)
		send_console(a->console_socket, l->pty);
	st->pid = l->init;
	st->start_time = process_start_time(l->init);
	st->created = rfc3339_now();
	state_write(st);
	if (a->pid_file)
		write_pid_file(a->pid_file, l->init);
	send_to_init(l, MSG_DETACH, -1);
	if (ipc_recv(l->sock, &m) != 0)	/* EOF: init has let go of us */
		die(EXIT_CANT_RUN, "create: init did not take the hand-over");
	cgroups_outlive_launcher(&rt->cg);
	state_keep();
	launcher_hand_over(l);
}

/*
 * OCI start: init of a created container runs the process. Returns once
 * the process is exec'd; an error before that (the exec's) is printed,
 * and its status returned.
 */
int cmd_start(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct oci_state st;
	enum oci_status status;
	autoclose int conn = -1;
	struct ipc_msg m;
	int code = 0;

	if (parse_oci_options(&a, "start", argc, argv) != argc)
		die(EXIT_CANT_RUN, "start: one container ID only");
	if (!state_open(&st, &a, a.id))
		die(EXIT_CANT_RUN, "container %s does not exist", a.id ? a.id : "");
	status = state_status(&st);
	if (status != STATUS_CREATED)
		die(EXIT_CANT_RUN, "start: %s: cannot start a container that is %s", st.id,
		    status_name(status));
	conn = connect_to_init(&st);
	if (!ipc_send(conn, &IPC_MSG(MSG_START)))
		die_errno("start: %s: tell init", st.id);
	/*
	 * The socket's removal is the record of the start (state_status): no
	 * rewrite of the state, whose new file costs an inode on the root's
	 * filesystem (0.1 to 0.4 ms on ext4).
	 */
	st.started = true;
	if (unlinkat(st.dir_fd, "start", 0) && errno != ENOENT) {
		log_error("start: %s: remove its start socket: %s", st.id, strerror(errno));
		code = EXIT_CANT_RUN;
	}
	/* Until the exec, the process reports its own errors here; then EOF. */
	while (ipc_recv(conn, &m) > 0)
		if (m.type == MSG_ERROR) {
			log_error("%s", m.text);
			code = m.code;
		}
	if (!code)	/* after the process's exec, before start returns */
		state_run_hooks(&st, state_config(&st), HOOK_POSTSTART);
	return code;
}

/* ------------------------------------------------------------------ */
/* Create: the launcher makes the cgroups and clones init             */
/* ------------------------------------------------------------------ */

/*
 * Host side of the container's creation: cgroups, init in its namespaces,
 * then, once init is in its cgroups and has its id maps, "go".
 */
static void create_container(const struct container *c, struct runtime *rt,
			     struct launcher *l)
{
	int socks[2], root_tree;
	bool in_cgroup;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, socks))
		die_errno("socketpair");
	/* Before the cgroups: the unpacking is the host's work, not the container's. */
	rt->cache_entry = cache_tarball(c, rt);
	if (c->limits.name) {
		plan_cgroups(&rt->cg, c, rt->rootless);
		/* Before any mkdir: what a launcher killed from here on makes, a reap finds. */
		if (rt->state) {
			state_note_cgroups(rt->state, &rt->cg);
			rt->cg.note = note_cgroups;	/* and before a leaf added later */
			rt->cg.note_arg = rt->state;
		}
		make_cgroups(&rt->cg, c, init_forks_nothing_early(c, rt));	/* first: its
									 * clean-up runs last */
	}
	if (rt->state)	/* a create killed from here on: delete still finds them */
		state_note_cgroups(rt->state, &rt->cg);
	else if (rt->rootless)
		log_debug("cgroup: none: rootless, and no limit asked for");
	/*
	 * Root may make device nodes where the host's devices are kept shut:
	 * by a device cgroup, or by a user namespace, outside the initial one
	 * of which the kernel makes no device node.
	 */
	rt->caps = c->privileges.caps;
	if (!(c->namespaces & CLONE_NEWUSER) && !rt->cg.devices_confined &&
	    !c->privileges.privileged)
		rt->caps &= ~CAP(MKNOD);
	if (rt->state)	/* what exec may give, no more: the workload's own */
		state_note_caps(rt->state, c, rt->caps);
	launcher_on_exit(l);
	/* A prestart or createRuntime hook sees init in its cgroups: then the launcher moves it. */
	if (rt->cg.ndirs && !c->oci.hooks_len[HOOK_PRESTART] &&
	    !c->oci.hooks_len[HOOK_CREATE_RUNTIME])
		cgroups_open_self_join(&rt->cg);
	join_namespaces(rt);	/* OCI's, by path: init is born in them */
	/* With a cgroup of its own, init makes its cgroup namespace once inside. */
	l->init = clone_container(c->namespaces & ~(rt->cg.ndirs ? CLONE_NEWCGROUP : 0UL),
				  rt->cg.v2_fd, &l->pidfd, &in_cgroup);
	if (l->init < 0 && (c->namespaces & CLONE_NEWUSER) &&
	    (errno == ENOSPC || errno == EPERM || errno == EUSERS))
		die(EXIT_CANT_RUN, "clone: %s: no user namespace may be made here "
		    "(see user.max_user_namespaces, kernel.unprivileged_userns_clone, "
		    "or the LSM's policy)", strerror(errno));
	if (l->init < 0)
		die_errno("clone");
	if (l->init == 0) {
		close(socks[0]);
		container_init(c, rt, socks[1]);
	}
	close(socks[1]);
	l->sock = socks[0];
	if (rt->ending_pipe > 0)	/* init's alone from here on */
		close(rt->ending_pipe);
	cgroups_close_self_join(&rt->cg);
	if (rt->cg.ndirs)
		join_cgroups(&rt->cg, l->init, in_cgroup);
	set_oom_score_adj(c, l->init);
	if (c->namespaces & CLONE_NEWUSER)
		write_id_maps(c, rt, l->init);
	network_attach(c, rt, l->init);	/* --network bridge: its veth */
	run_state_hooks(c, HOOK_PRESTART, "creating", l->init);	/* namespaces made */
	run_state_hooks(c, HOOK_CREATE_RUNTIME, "creating", l->init);
	if (c->namespaces & CLONE_NEWUSER && !rt->rootless && !c->root.tarball &&
	    (root_tree = idmapped_root(c, rt, l->init)) >= 0) {
		send_to_init(l, MSG_GO, root_tree);
		close(root_tree);
	} else {
		send_to_init(l, MSG_GO, -1);
	}
	/*
	 * While init sets up: off the start's critical path. Init waits for
	 * "settled" before it makes its cgroup namespace (a v1 devices leaf
	 * that init joins after it would be outside the namespace's root).
	 */
	if (rt->cg.devices_later) {
		make_cgroups_later(&rt->cg, c, l->sock);
		/* A leaf added, or the v1 leaves made: the state's note says so. */
		if ((confine_devices_later(&rt->cg, c, l->sock) || rt->cg.v1_later) && rt->state)
			state_note_cgroups(rt->state, &rt->cg);
		send_to_init(l, MSG_SETTLED, -1);
	}
	network_after_go(rt);
	if (rt->cg.made)
		sweep_cgroups(&rt->cg, c);
}

/*
 * run: init goes on from "ready" to the workload at once, but with a
 * terminal: the launcher first sets the pty's window size and the
 * caller's terminal raw, which the workload must find done, and says
 * "start". Without one there is nothing to wait for, and the round trip
 * of two wake-ups across CPUs is 0.1 ms or more of each start.
 */
static bool init_waits_for_start(const struct container *c)
{
	return wants_tty(c);
}

/*
 * Until the launcher says settled, init forks nothing: no decompressor
 * of a tarball it unpacks itself, no hook. Then the v1 leaves may come
 * after the clone (make_cgroups_later): nothing runs outside their limits.
 */
static bool init_forks_nothing_early(const struct container *c, const struct runtime *rt)
{
	return (!c->root.tarball || rt->cache_entry >= 0) &&
	       !c->oci.hooks_len[HOOK_PRESTART] && !c->oci.hooks_len[HOOK_CREATE_RUNTIME] &&
	       !c->oci.hooks_len[HOOK_CREATE_CONTAINER];
}

/* cgroups' note hook: the state's note of them, written again. */
static void note_cgroups(const struct cgroups *cg, void *state)
{
	state_note_cgroups(state, cg);
}

/* Quiet if init is gone: then supervise() says how it ended. */
static void send_to_init(const struct launcher *l, enum msg_type type, int fd)
{
	struct ipc_msg m = IPC_MSG(type);

	m.fd = fd;
	if (!ipc_send(l->sock, &m) && errno != EPIPE && errno != ECONNRESET)
		die_errno("sendmsg: %c", type);
}

int launcher_signals(void)
{
	static const int forwarded[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM,
					 SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD };
	sigset_t set;
	int fd;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(&set, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		die_errno("sigprocmask");
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		die_errno("signalfd");
	return fd;
}

/*
 * Returns like fork(). clone3 first; kernels before 5.3 lack it, and then
 * clone(2) does the same job (clone_process: its arguments' order is the
 * architecture's).
 * Kernels before 5.2 lack CLONE_PIDFD too: then *pidfd stays -1.
 */
static pid_t clone_container(unsigned long flags, int cgroup_fd, int *pidfd, bool *in_cgroup)
{
	struct clone_args args = {
		.flags = flags | CLONE_PIDFD | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0),
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
		.cgroup = cgroup_fd >= 0 ? (uint64_t)cgroup_fd : 0,
	};
	long pid;

	*pidfd = -1;
	*in_cgroup = cgroup_fd >= 0;
	pid = syscall(SYS_clone3, &args, sizeof args);
	if (pid < 0 && cgroup_fd >= 0 && (errno == E2BIG || errno == EINVAL)) {
		/* Before Linux 5.7: no CLONE_INTO_CGROUP; the launcher moves init. */
		*in_cgroup = false;
		args.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
		args.cgroup = 0;
		pid = syscall(SYS_clone3, &args, sizeof args);
	}
	if (pid >= 0 || errno != ENOSYS)
		return pid;
	*in_cgroup = false;
	log_debug("clone3: %s: falling back to clone", strerror(errno));
	pid = clone_process(flags | CLONE_PIDFD | SIGCHLD, pidfd);
	if (pid < 0 && errno == EINVAL)
		pid = clone_process(flags | SIGCHLD, NULL);
	return pid;
}

/* Waits through the container's setup: true when it is ready to start. */
static bool wait_until_ready(struct launcher *l)
{
	for (;;) {
		enum msg_type type = read_container_msg(l);

		if (type == MSG_READY)
			return true;
		if (type != MSG_PTY)
			return false;	/* an error, or init died */
		if (l->detach)	/* the engine's to relay, not ours */
			continue;
		if (fcntl(l->pty, F_SETFL, O_NONBLOCK))
			die_errno("fcntl: pty");
		copy_window_size(l);
		set_raw_terminal(l);
		l->stdin_open = true;
		l->last_was_newline = true;
	}
}

/* ------------------------------------------------------------------ */
/* Init: PID 1 sets the container up, inside its namespaces           */
/* ------------------------------------------------------------------ */

/* PID 1 of the container, from its first instruction to its exit. */
__attribute__((noreturn))
static void container_init(const struct container *c, const struct runtime *rt, int sock)
{
	struct saved_signals saved;
	const char *root_mode;
	int pty_slave = -1, sigfd, root_tree = -1, status;
	sigset_t none;
	pid_t workload;

	/* First: errors go to the launcher, and if it dies, so does the container. */
	set_fail_mode(FAIL_REPORT, sock);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	cgroups_join_self(&rt->cg);	/* before any other process of the container can exist */
	hide_command_line();	/* before any process of the container exists */
	hide_environment();
	reap_as_subreaper();	/* in a pid namespace joined, where init is not PID 1 */
	/* The launcher's blocked signals are its own business, not the workload's. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* run -d: the monitor's log, in place of the caller's terminal. */
	if (rt->detached && (dup2(rt->log_pipe, STDOUT_FILENO) < 0 ||
			     dup2(rt->log_pipe, STDERR_FILENO) < 0))
		die_errno("dup2: the log");
	/* Host fds that the launcher inherited stop here. */
	close_host_fds(c, rt, sock);
	if (!ipc_expect(sock, MSG_GO, &root_tree))	/* EOF: a launcher that died early */
		_exit(EXIT_CANT_RUN);
	if (c->namespaces & CLONE_NEWUSER)
		become_root_inside(rt, sock);
	/*
	 * Nobody in the container may ptrace us or open /proc/1/exe. Not
	 * before: newuidmap wants init's /proc/PID to be its user's.
	 */
	prctl(PR_SET_DUMPABLE, 0);
	if (!rt->cg.devices_later)	/* else later, in build_filesystem */
		make_cgroup_namespace(c, rt);
	if (rt->new_keyring)
		join_new_keyring();
	root_mode = build_filesystem(c, rt, root_tree, sock);
	/* A config.json without a hostname keeps the UTS namespace's, maybe one joined. */
	if ((!c->oci.bundle || c->oci.hostname_given) &&
	    sethostname(c->hostname, strlen(c->hostname)))
		die_errno("sethostname: %s", c->hostname);
	set_domainname(c);
	if (c->namespaces & CLONE_NEWNET)
		set_loopback_up();
	network_inside(c, rt);
	if (wants_tty(c)) {
		pty_slave = open_pty(c, sock);
		/* --privileged has the host's devtmpfs: its console is the host's business. */
		if (!c->privileges.privileged)
			bind_console(pty_slave);
		/*
		 * OCI create: the caller waits for create's stdio to close
		 * (containerd's shim reads its stderr to the end), and its
		 * process has the pty, not create's stdio: init lets go of them.
		 */
		for (int fd = 0; fd < 3 && rt->start_listener >= 0; fd++)
			if (dup2(pty_slave, fd) < 0)
				die_errno("dup2: pty");
	}
	set_root_propagation(c);	/* last of the mounts */

	if (rt->start_listener >= 0)	/* as runc: a command not there fails create */
		check_command(c);
	/* Before "ready": a signal the launcher forwards from then on is kept. */
	sigfd = init_take_signals(&saved);
	if (c->oci.bundle) {	/* an engine's process gets what OCI says: no inherited SIG_IGN */
		sigemptyset(&saved.ignored);
		saved.all_default = true;
	}
	/* Not sent: the launcher is gone, and PDEATHSIG ends us. */
	ipc_send(sock, &IPC_MSG(MSG_READY));
	if (rt->start_listener >= 0)
		sock = wait_for_start(rt, sock, sigfd);
	else if (init_waits_for_start(c) && !ipc_expect(sock, MSG_START, NULL))
		_exit(EXIT_CANT_RUN);

	/*
	 * The banner goes where the workload's stderr goes, if a person sees it.
	 * Not for inspect: its report says all the banner would, and more.
	 */
	if (log_threshold >= LOG_INFO && c->process.action == EXEC_COMMAND &&
	    isatty(STDERR_FILENO))
		inspector_banner(pty_slave >= 0 ? pty_slave : STDERR_FILENO, c->hostname,
				 c->namespaces, root_mode, rt->caps);
	cgroups_check_settled("the workload");
	if ((workload = fork()) < 0)
		die_errno("fork");
	if (workload == 0) {
		close(sigfd);
		start_container_workload(c, rt, sock, pty_slave, &saved);
	}
	/* The workload reports its own exec errors; init needs nothing more. */
	close(sock);
	set_fail_mode(FAIL_PRINT, -1);
	if (pty_slave >= 0)
		close(pty_slave);
	limit_caps(CAP(KILL), NULL);	/* to signal a workload of another uid */
	status = init_loop(sigfd, workload, c->init.forward_to_group);
	/* Its end of file: a run's launcher removes its folder meanwhile (launcher_watch_ending). */
	if (rt->ending_pipe > 0)
		close(rt->ending_pipe);
	_exit(status);
}

/* The maps are written: root of the user namespace, with its capabilities. */
static void become_root_inside(const struct runtime *rt, int sock)
{
	if (setresgid(0, 0, 0))
		die_errno("userns: setgid 0");
	/* Denied by us, or by newgidmap for a map of one gid: then keep them, as we must. */
	if (!rt->deny_setgroups && setgroups(0, NULL) && errno != EPERM)
		die_errno("userns: setgroups");
	if (setresuid(0, 0, 0))
		die_errno("userns: setuid 0");
	/* A change of uid clears the parent-death signal; the launcher may have died meanwhile. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (poll(&(struct pollfd){ .fd = sock, .events = POLLIN }, 1, 0) == 1 &&
	    recv(sock, &(char){ 0 }, 1, MSG_PEEK | MSG_DONTWAIT) == 0)
		_exit(EXIT_CANT_RUN);
}

/*
 * All but the socket to the launcher, the memfd of -r -, and for OCI, the
 * start socket and the locks on the cgroup leaves: create exits, and init holds them while
 * it lives, so that no sweep of stale leaves takes its cgroups for a dead
 * launcher's.
 */
static void close_host_fds(const struct container *c, const struct runtime *rt, int sock)
{
	int keep[3 + N_CTL + 3 + 3] = { sock, rt->start_listener, rt->ending_pipe };
	size_t n = 3;

	for (size_t i = 0; rt->start_listener >= 0 && i < rt->cg.ndirs; i++)
		keep[n++] = rt->cg.dirs[i].lock_fd;
	for (size_t i = 0; i < 3; i++)	/* src/network.c's /etc files, to bind */
		if (rt->net.files[i] > 0)
			keep[n++] = rt->net.files[i];
	if (rt->net.tmpfs > 0)		/* and their tmpfs: build_filesystem */
		keep[n++] = rt->net.tmpfs;
	if (c->root.from_stdin)		/* -r -: the tarball, which the root is made of */
		keep[n++] = c->root.stdin_copy;
	if (rt->cache_entry >= 0)	/* the cached tarball: the overlay's lower layer */
		keep[n++] = rt->cache_entry;
	close_fds_except(3 + c->process.preserve_fds, keep, n);
	forget_log_file();	/* its lines go to stderr alone: create's, the engine's */
}

/*
 * OCI: create hands init over and exits; init then waits for start's
 * connection, which carries "start" and, until the exec, the process's
 * errors. A signal meanwhile (kill of a created container) ends init
 * as it would end the process.
 */
static int wait_for_start(const struct runtime *rt, int sock, int sigfd)
{
	if (!ipc_expect(sock, MSG_DETACH, NULL))
		_exit(EXIT_CANT_RUN);
	/* From here on init outlives create: the caller's subreaper reaps it. */
	prctl(PR_SET_PDEATHSIG, 0);
	close(sock);	/* the EOF that tells create so */
	set_fail_mode(FAIL_PRINT, -1);
	for (;;) {
		struct pollfd p[2] = { { rt->start_listener, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
		struct signalfd_siginfo si;
		int conn;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(EXIT_CANT_RUN);
		if ((p[1].revents & POLLIN) && read(sigfd, &si, sizeof si) == sizeof si &&
		    ends_created_container((int)si.ssi_signo))
			_exit(128 + (int)si.ssi_signo);
		if (!(p[0].revents & POLLIN))
			continue;
		conn = accept4(rt->start_listener, NULL, NULL, SOCK_CLOEXEC);
		if (conn >= 0 && ipc_expect(conn, MSG_START, NULL)) {
			close(rt->start_listener);
			set_fail_mode(FAIL_REPORT, conn);
			return conn;
		}
		if (conn >= 0)
			close(conn);
	}
}

/*
 * Create fails for a command that isn't there, as with runc, so that the
 * engine says "not found" (127) before anything runs. The exec checks again.
 */
static void check_command(const struct container *c)
{
	const char *cmd = c->process.argv[0], *path = env_get(c->process.env, "PATH");
	char file[PATH_MAX];

	if (strchr(cmd, '/')) {
		if (access(cmd, X_OK))
			die_exec(cmd);
		return;
	}
	while (next_in_path(&path, cmd, file))
		if (!access(file, X_OK))
			return;
	errno = ENOENT;
	die_exec(cmd);
}

/* ------------------------------------------------------------------ */
/* Filesystem: the root, the mounts, then pivot_root                  */
/* ------------------------------------------------------------------ */

/* Now that init is in all its cgroups, they become its cgroup namespace's root. */
static void make_cgroup_namespace(const struct container *c, const struct runtime *rt)
{
	if (rt->cg.ndirs && (c->namespaces & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP))
		die_errno("unshare: cgroup namespace");
}

/*
 * The container's filesystem, from the host's paths to its own "/", with
 * every mount in place and masked paths on top; returns how "/" was entered.
 * ROOT_TREE: the launcher's idmapped rootfs, or -1.
 */
static const char *build_filesystem(const struct container *c, const struct runtime *rt,
				    int root_tree, int sock)
{
	/* The /etc files' tmpfs, whose binds init has: it goes with the old root. */
	struct mount_state ms = { .null_node = -1, .retired = rt->net.tmpfs };
	struct cgroups cg = rt->cg;	/* and a leaf the launcher adds: cgroups_join_sent */
	int *trees = open_bind_sources(c);
	int root = prepare_root(&ms, c, root_tree, rt->cache_entry);
	const char *root_mode;

	if (ms.retired > 0)	/* no scratch tmpfs (a folder's root): the launcher's close */
		close(ms.retired);

	/* An idmapped root is read-only for the workload: see idmapped_root(). */
	if (root_readonly(&ms, c, root_tree))
		make_submounts_readonly(root);
	mount_filesystems(&ms, c, root, trees, MOUNT_BEFORE_ROOT_CHANGE);
	network_bind_files(rt, root);
	if (!c->privileges.privileged) {
		populate_dev(&ms, c->namespaces & CLONE_NEWUSER);
		make_devices(&ms, c, c->namespaces & CLONE_NEWUSER);
	}
	close(root);
	run_state_hooks(c, HOOK_CREATE_CONTAINER, "creating", -1);	/* the host's paths still */
	root_mode = change_root(&ms, c);
	log_debug("root: entered with %s", root_mode);
	/* The launcher has loaded the device program meanwhile, or put init in v1's leaf. */
	if (rt->cg.devices_later) {
		if (!cgroups_join_sent(&cg, sock))	/* EOF: the launcher died */
			_exit(EXIT_CANT_RUN);
		make_cgroup_namespace(c, rt);
	}
	if (cg.ndirs)
		mount_cgroupfs(&ms, &cg);
	/* Last, on top of the rest: /dev's nodes never go into a volume. */
	if ((root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno("open: /");
	mount_filesystems(&ms, c, root, trees, MOUNT_AFTER_ROOT_CHANGE);
	close_all(trees, c->mounts_len);
	if (root_readonly(&ms, c, root_tree))
		make_root_readonly();
	write_sysctls(&ms, c);	/* before /proc/sys turns read-only */
	/* Anything that masks paths comes after this line: after every user mount. */
	make_paths_readonly(&ms, root, c->privileges.readonly_paths);
	mask_paths(&ms, root, c->privileges.masked_paths);
	close(root);
	forget_mounts(&ms);
	return root_mode;
}

/* ------------------------------------------------------------------ */
/* Workload: the child that init forks and that execs the command     */
/* ------------------------------------------------------------------ */

/* In the container: the workload's side of the fork (or of exec's clone), up to exec. */
__attribute__((noreturn))
void start_container_workload(const struct container *c, const struct runtime *rt,
			      int sock, int pty_slave, const struct saved_signals *saved)
{
	struct user_ids user;
	char cwd[PATH_MAX], **env = c->process.env;
	bool as_user = c->privileges.user || c->oci.process.ids_given;
	int sealed;

	set_fail_mode(FAIL_REPORT, sock);	/* its own errors, up to the exec */
	if (setsid() < 0)
		die_errno("setsid");
	if (pty_slave >= 0) {
		if (ioctl(pty_slave, TIOCSCTTY, 0))
			die_errno("ioctl: TIOCSCTTY");
		for (int fd = 0; fd < 3; fd++)
			if (dup2(pty_slave, fd) < 0)
				die_errno("dup2: pty");
	}
	if (as_user)
		resolve_user(c, &user);
	/* HOME: --user's, unless -e gave it; an OCI process's, unless its env has one (as runc). */
	if ((c->privileges.user && !c->process.home_set) ||
	    (c->oci.process.ids_given && !env_get(env, "HOME")))
		env = env_with_home(c, user.home);
	else if (rt->exec_joined && as_user && !env_get(env, "HOME"))
		env = env_with_home(c, exec_home(user.uid));	/* as runc: ctr gives none */
	set_rlimits(c);
	set_process_traits(c);
	if (chdir(c->process.cwd))
		die_errno("workdir: %s", c->process.cwd);
	/* A cwd outside the root, like a leaked fd's, reads "(unreachable)". */
	if (!getcwd(cwd, sizeof cwd) || cwd[0] != '/')
		die(EXIT_CANT_RUN, "workdir: %s: outside the container", c->process.cwd);
	run_state_hooks(c, HOOK_START_CONTAINER, "created", -1);	/* the container's paths */
	sealed = guard_host_binary(c);
	/*
	 * Installing a filter takes no_new_privs or CAP_SYS_ADMIN. With
	 * no_new_privs, the filter comes last, so that it needn't allow what
	 * carapace does before the exec; without, it must come while the
	 * capability is still there, as runc does it too: the profile must
	 * then allow prctl, capset, close_range, fcntl and rt_sigaction.
	 */
	if (!c->privileges.no_new_privs)
		install_seccomp(&rt->filter);
	limit_workload_caps(c, rt->caps, as_user ? &user : NULL);
	if (rt->exec_joined)	/* the uid change cleared the parent-death signal */
		exec_keep_parent(sock, rt->exec_detach);
	cloexec_from(3 + c->process.preserve_fds);
	for (int fd = 3; fd < 3 + c->process.preserve_fds; fd++)
		fcntl(fd, F_SETFD, 0);
	apply_apparmor_profile(c);
	restore_signals(saved);
	if (c->privileges.no_new_privs) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			die_errno("prctl: no_new_privs");
		install_seccomp(&rt->filter);
	}
	if (c->process.action == EXEC_INSPECT)
		_exit(inspector_report(STDOUT_FILENO, c->inspect.json, rt->host_ns,
				       c->privileges.masked_paths,
				       c->privileges.readonly_paths) ? EXIT_CANT_RUN : 0);
	if (sealed >= 0) {
		exec_sealed(sealed, sock, c->process.argv, env);
		die_errno("exec: the sealed copy of carapace");
	}
	exec_command(c->process.argv, env);
	die_exec(c->process.argv[0]);
}

/*
 * The workload's environment: the spec's, with the user's home from its
 * passwd entry for HOME. A copy, as the spec says what was asked for only.
 */
static char **env_with_home(const struct container *c, const char *home)
{
	char **env = xrealloc(NULL, (c->process.env_len + 2) * sizeof *env);
	size_t i;

	memcpy(env, c->process.env, c->process.env_len * sizeof *env);
	for (i = 0; i < c->process.env_len && strncmp(env[i], "HOME=", 5); i++)
		;
	env[i] = xasprintf("HOME=%s", home);	/* in HOME's place, as env_set would */
	env[c->process.env_len + (i == c->process.env_len)] = NULL;
	return env;
}

/* execvpe() with the container's PATH; returns only on failure, with errno. */
void exec_command(char **argv, char **env)
{
	const char *path = env_get(env, "PATH");
	char file[PATH_MAX];
	int err = ENOENT;

	if (strchr(argv[0], '/') || !path) {
		execve(argv[0], argv, env);
		return;
	}
	while (next_in_path(&path, argv[0], file)) {
		execve(file, argv, env);
		if (errno != ENOENT && errno != ENOTDIR)
			err = errno;
	}
	errno = err;
}

__attribute__((noreturn))
void die_exec(const char *cmd)
{
	int code = errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANT_EXEC;

	die(code, "exec: %s: %s", cmd, strerror(errno));
}

static void restore_signals(const struct saved_signals *saved)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct sigaction ign = { .sa_handler = SIG_IGN };

	for (int sig = 1; sig < NSIG; sig++)
		if (sigaction(sig, sigismember(&saved->ignored, sig) ? &ign : &dfl, NULL) &&
		    errno == EINVAL && sig > SIGSYS && saved->all_default)
			reset_reserved_signal(sig);
	sigprocmask(SIG_SETMASK, &saved->mask, NULL);
}

/*
 * The real-time signals that libc keeps for itself (32 to 34 in musl)
 * can't be set through sigaction(), yet an ignored one passes through
 * exec: the kernel's call makes it the default again, as an engine's
 * process must start with no signal ignored. (run and init pass ignored
 * signals on, as any exec does: these too.)
 */
static void reset_reserved_signal(int sig)
{
	struct {
		void (*handler)(int);
		unsigned long flags;
		void (*restorer)(void);
		uint64_t mask;
	} dfl = { SIG_DFL, 0, NULL, 0 };

	syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
}

/* ------------------------------------------------------------------ */
/* The end: delete removes what create left                           */
/* ------------------------------------------------------------------ */

/*
 * OCI delete: a stopped container's cgroups and state; a created one is
 * killed first, a running one only with --force. Deleting what isn't
 * there is no error with --force: engines delete twice, to be sure.
 */
int cmd_delete(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct oci_state st;
	enum oci_status status;
	char *cgroups, *config;

	if (parse_oci_options(&a, "delete", argc, argv) != argc)
		die(EXIT_CANT_RUN, "delete: one container ID only");
	if (!state_open(&st, &a, a.id)) {
		if (a.force)
			return 0;
		die(EXIT_CANT_RUN, "container %s does not exist", a.id ? a.id : "");
	}
	status = state_status(&st);
	if ((status == STATUS_RUNNING || status == STATUS_PAUSED) && !a.force)
		die(EXIT_CANT_RUN, "delete: %s: cannot delete a container that is %s "
		    "(stop it, or use --force)", st.id, status_name(status));
	cgroups = state_read_file(&st, "cgroups");
	if (status == STATUS_PAUSED && cgroups)
		cgroups_freeze(cgroups, false);	/* a frozen init dies of KILL only once thawed (v1) */
	if (status != STATUS_STOPPED)
		kill_and_wait(&st);
	if (cgroups && !cgroups_remove_described(cgroups))
		die(EXIT_CANT_RUN, "delete: %s: its cgroups could not be removed", st.id);
	config = state_config(&st);
	state_remove(&st);
	/* Once the container is gone, before delete returns; a failure is a warning. */
	state_run_hooks(&st, config, HOOK_POSTSTOP);
	return 0;
}

/* SIGKILL to init ends the container: its pid namespace goes with it. */
static void kill_and_wait(const struct oci_state *st)
{
	autoclose int pidfd = state_pidfd(st);

	if (pidfd < 0)
		return;
	if (syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) && errno != ESRCH)
		die_errno("delete: %s: kill its init", st->id);
	/* Readable once it has exited, reaped by its parent or not. */
	if (poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, 10000) != 1)
		die(EXIT_CANT_RUN, "delete: %s: init %d did not exit", st->id, (int)st->pid);
}
