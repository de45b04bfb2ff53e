/*
 * hooks.c: the OCI hooks (config.json's hooks), each run with the
 * container's state on its stdin, and that state as the runtime spec's
 * JSON (also what carapace state prints).
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

static const char *const hook_names[N_HOOK_KINDS] = {
	[HOOK_PRESTART] = "prestart",
	[HOOK_CREATE_RUNTIME] = "createRuntime",
	[HOOK_CREATE_CONTAINER] = "createContainer",
	[HOOK_START_CONTAINER] = "startContainer",
	[HOOK_POSTSTART] = "poststart",
	[HOOK_POSTSTOP] = "poststop",
};

/* The hook's side of the fork: the state on stdin, stdout to our stderr, no fd of ours. */
__attribute__((noreturn))
static void exec_hook(const struct hook *h, int state_in)
{
	static char *no_env[] = { NULL };
	char *only_path[] = { (char *)h->path, NULL };
	sigset_t none;

	set_fail_mode(FAIL_PRINT, -1);
	setpgid(0, 0);	/* a group of its own, so that a timeout ends its children too */
	if (dup2(state_in, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		die_errno("hook: dup2");
	/* The launcher's and init's fds (the socket to init, the pty, cgroup locks) stay ours. */
	cloexec_from(3);
	/* A blocked signal stays blocked across exec: the launcher blocks several. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(h->path, h->args ? h->args : only_path, h->env ? h->env : no_env);
	die(errno == ENOENT || errno == ENOTDIR ? EXIT_NOT_FOUND : EXIT_CANT_EXEC,
	    "hook: exec: %s: %s", h->path, strerror(errno));
}

/*
 * Feeds STATE to the hook as it reads it, without blocking, so that a
 * hook that never reads its stdin still meets its timeout. Returns how
 * much is written; a hook that closed its stdin (EPIPE) has had it all.
 */
static size_t feed_hook(int fd, const char *state, size_t done, size_t len)
{
	while (done < len) {
		ssize_t n = write(fd, state + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return done;
		if (n < 0)	/* EPIPE: it doesn't want the rest */
			return len;
		done += (size_t)n;
	}
	return done;
}

/*
 * Runs hook H with STATE on its stdin; returns its wait status, or -1 if
 * it outlived its timeout and was killed.
 */
static int run_hook(const struct hook *h, const char *state)
{
	struct sigaction ignore = { .sa_handler = SIG_IGN }, old_pipe;
	int64_t deadline = now_ms() + (int64_t)h->timeout * 1000;
	size_t len = strlen(state), done = 0;
	int fds[2], status;
	pid_t pid;

	cgroups_check_settled("hook");
	if (pipe2(fds, O_CLOEXEC))
		die_errno("hook: pipe");
	if ((pid = fork()) < 0)
		die_errno("hook: fork");
	if (pid == 0)
		exec_hook(h, fds[0]);
	close(fds[0]);
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	/* A hook that closes its stdin must not kill carapace with SIGPIPE. */
	sigaction(SIGPIPE, &ignore, &old_pipe);
	for (;;) {
		pid_t r;

		if (fds[1] >= 0 && (done = feed_hook(fds[1], state, done, len)) == len) {
			close(fds[1]);
			fds[1] = -1;
		}
		if ((r = waitpid(pid, &status, WNOHANG)) == pid)
			break;
		if (r < 0 && errno != EINTR)
			die_errno("hook: waitpid");
		if (h->timeout > 0 && now_ms() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);	/* if it had no time to make its group */
			waitpid(pid, &status, 0);
			status = -1;
			break;
		}
		/* Until it exits, or its stdin has room again: 10 ms at a time. */
		poll(&(struct pollfd){ .fd = fds[1], .events = POLLOUT }, 1, 10);
	}
	sigaction(SIGPIPE, &old_pipe, NULL);
	if (fds[1] >= 0)
		close(fds[1]);
	return status;
}

/*
 * The runtime spec: a hook that fails before the workload runs stops the
 * container; one after it (poststart, poststop) only gets a warning.
 */
void run_hooks(const struct container *c, enum hook_kind kind, const char *state_json)
{
	bool fatal = kind != HOOK_POSTSTART && kind != HOOK_POSTSTOP;

	for (size_t i = 0; i < c->oci.hooks_len[kind]; i++) {
		const struct hook *h = &c->oci.hooks[kind][i];
		int status = run_hook(h, state_json);
		char why[64];

		if (status == -1)
			snprintf(why, sizeof why, "timed out after %d s, killed", h->timeout);
		else if (WIFSIGNALED(status))
			snprintf(why, sizeof why, "killed by signal %d", WTERMSIG(status));
		else if (WEXITSTATUS(status))
			snprintf(why, sizeof why, "exited with %d", WEXITSTATUS(status));
		else
			continue;
		if (fatal)
			die(EXIT_CANT_RUN, "hook %s %s: %s", hook_names[kind], h->path, why);
		log_warn("hook %s %s: %s", hook_names[kind], h->path, why);
	}
}

/*
 * The container's pid on the host, for the hooks that run inside it: init
 * reads it from the host's /proc while that is still its /proc (before
 * the root change), and the workload, forked later, inherits it.
 */
static pid_t init_host_pid;

static pid_t own_host_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);

	buf[n > 0 ? n : 0] = '\0';
	return n > 0 ? (pid_t)atoi(buf) : 0;
}

/*
 * Runs the hooks of KIND with the container's state: STATUS, and PID its
 * init's on the host; -1: this process is init or the workload, inside,
 * whose host pid init found itself (at its createContainer call, which
 * comes first).
 */
void run_state_hooks(const struct container *c, enum hook_kind kind, const char *status,
		     pid_t pid)
{
	char *state;

	if (pid < 0 && !init_host_pid &&
	    (c->oci.hooks_len[HOOK_CREATE_CONTAINER] || c->oci.hooks_len[HOOK_START_CONTAINER]))
		init_host_pid = own_host_pid();
	if (!c->oci.hooks_len[kind])
		return;
	state = oci_state_json(c->oci.id ? c->oci.id : c->limits.name ? c->limits.name : "",
			       status, pid < 0 ? init_host_pid : pid,
			       c->oci.bundle ? c->oci.bundle : "", c->oci.annotations,
			       c->oci.annotations_len);
	run_hooks(c, kind, state);
	free(state);
}

static void json_member(FILE *f, const char *key, const char *value)
{
	fputc(',', f);
	json_write_string(f, key);
	fputc(':', f);
	json_write_string(f, value);
}

/*
 * The runtime spec's state of a container, one line of JSON: PID is left
 * out when there is none (0: stopped, or not yet), as the spec allows.
 */
char *oci_state_json(const char *id, const char *status, pid_t pid, const char *bundle,
		     const struct key_value *annotations, size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		die_errno("state: %s", id);
	fputs("{\"ociVersion\":", f);
	json_write_string(f, OCI_VERSION);
	json_member(f, "id", id);
	json_member(f, "status", status);
	if (pid > 0)
		fprintf(f, ",\"pid\":%d", (int)pid);
	json_member(f, "bundle", bundle);
	if (n) {
		fputs(",\"annotations\":{", f);
		for (size_t i = 0; i < n; i++) {
			fputs(i ? "," : "", f);
			json_write_string(f, annotations[i].key);
			fputc(':', f);
			json_write_string(f, annotations[i].value);
		}
		fputc('}', f);
	}
	fputc('}', f);
	if (fclose(f))
		die_errno("state: %s", id);
	return text;
}
