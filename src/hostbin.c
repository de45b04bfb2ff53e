/*
 * hostbin.c: the host's carapace as the container could reach it: PID 1's
 * command line is hidden, and the binary is guarded by Landlock or run
 * from a sealed copy.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/*
 * Until its exec, the workload runs the host's carapace binary, as init
 * does all its life: /proc/self/exe and /proc/1/exe lead to it, and a
 * rootfs script starting "#!/proc/self/exe" would make the kernel execute
 * it in the container. Only ETXTBSY, while some process runs it, would
 * stand between the container and an overwrite. So the workload and all
 * it starts get a Landlock domain: executing, opening for writing and
 * truncating are allowed beneath the container's "/" only. A file outside
 * the container's mount tree, the host binary first, can't be executed or
 * written through any path, magic links included. A Landlock domain may
 * also not ptrace, nor open the /proc/1/{exe,mem,environ} of, a process
 * outside it: init stays out of reach even with --cap-add SYS_PTRACE.
 * Landlock was chosen over a sealed memfd copy to exec through: one
 * check at every exec and open instead of a copy and one more exec per
 * start, and it covers /proc/1/exe and host files given as fds too. The
 * memfd is the fallback: without Landlock, or for a workload that keeps
 * CAP_SYS_ADMIN, as a Landlock domain may not mount (guard_host_binary).
 */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE	/* Linux 6.2's, Landlock ABI 3 */
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

static int host_files_ruleset(uint64_t *handled)
{
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
	struct landlock_ruleset_attr attr = { 0 };

	if (abi < 0)
		return -1;
	*handled = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
		   (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0);
	attr.handled_access_fs = *handled;
	return (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
}

/* One rule: ACCESS allowed on FD's file, or beneath it for a directory. */
static bool allow_beneath(int ruleset, int fd, uint64_t access)
{
	struct landlock_path_beneath_attr rule = { .allowed_access = access, .parent_fd = fd };

	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) == 0)
		return true;
	if (errno != EBADFD)	/* a pipe or socket: nothing to allow, Landlock lets them be */
		die_errno("landlock: add a rule for fd %d", fd);
	return false;
}

/*
 * The fds the workload is given may be host files: reopening one through
 * /proc/self/fd (echo x >/dev/stdout) must still work, for writing only
 * if it was opened for writing. A preserved directory is the host user's
 * hand-over: whatever lies beneath it may be written and executed.
 */
static void allow_given_fds(int ruleset, uint64_t handled, int nfds)
{
	uint64_t file = handled & ~(uint64_t)LANDLOCK_ACCESS_FS_EXECUTE;
	struct stat st;

	for (int fd = 0; fd < nfds; fd++) {
		int flags = fcntl(fd, F_GETFL);

		if (flags < 0 || fstat(fd, &st))
			continue;
		if (S_ISDIR(st.st_mode) && fd > 2)
			allow_beneath(ruleset, fd, handled);
		else if (!S_ISDIR(st.st_mode) && (flags & O_ACCMODE) != O_RDONLY)
			allow_beneath(ruleset, fd, file);
	}
}

/* Returns false where the kernel has no Landlock (before 5.13, or not enabled). */
static bool restrict_host_files(const struct container *c)
{
	uint64_t handled = 0;
	autoclose int ruleset = host_files_ruleset(&handled), root = -1;

	if (ruleset < 0 && (errno == ENOSYS || errno == EOPNOTSUPP))
		return false;
	if (ruleset < 0)
		die_errno("landlock: create a ruleset");
	if ((root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		die_errno("open: /");
	allow_beneath(ruleset, root, handled);
	allow_given_fds(ruleset, handled, 3 + c->process.preserve_fds);
	/* Before the capabilities go: without no_new_privs, this takes CAP_SYS_ADMIN. */
	if (syscall(SYS_landlock_restrict_self, ruleset, 0))
		die_errno("landlock: restrict the workload");
	return true;
}

#define SEALED_NAME "carapace-sealed"

static int sealed_copy_of_self(void)
{
	autoclose int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	int fd = (int)syscall(SYS_memfd_create, SEALED_NAME, MFD_ALLOW_SEALING | MFD_CLOEXEC);
	struct stat st;

	if (self < 0 || fd < 0 || fstat(self, &st))
		die_errno("exec: a sealed copy of carapace");
	for (off_t done = 0; done < st.st_size;) {
		ssize_t n = sendfile(fd, self, &done, (size_t)(st.st_size - done));

		if (n <= 0)
			die_errno("exec: copy carapace into a memfd");
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL))
		die_errno("exec: seal the copy of carapace");
	return fd;
}

/*
 * Returns only on failure, with errno: execveat() of the copy, as
 * SEALED_ARGV0, which reports to the launcher over SOCK as we would.
 */
void exec_sealed(int sealed, int sock, char **argv, char **env)
{
	size_t n = 0;
	char fd[16], **args;

	while (argv[n])
		n++;
	args = xrealloc(NULL, (n + 3) * sizeof *args);
	snprintf(fd, sizeof fd, "%d", sock);
	args[0] = SEALED_ARGV0;
	args[1] = fd;
	memcpy(args + 2, argv, (n + 1) * sizeof *args);
	/* The copy reports a failed exec of the command as we would. */
	if (fcntl(sock, F_SETFD, 0) == 0)
		syscall(SYS_execveat, sealed, "", args, env, AT_EMPTY_PATH);
	int err = errno;

	fcntl(sock, F_SETFD, FD_CLOEXEC);
	free(args);
	errno = err;
}

/* main, run as SEALED_ARGV0 REPORT_FD COMMAND...: the last exec. */
int cmd_exec_sealed(int argc, char **argv)
{
	char *end;
	long fd = argc > 2 ? strtol(argv[1], &end, 10) : -1;

	if (fd < 3 || *end || fcntl((int)fd, F_SETFD, FD_CLOEXEC))
		die(EXIT_CANT_RUN, "%s: not run by carapace", SEALED_ARGV0);
	set_fail_mode(FAIL_REPORT, (int)fd);
	exec_command(argv + 2, environ);
	die_exec(argv[2]);
}

/* In main: the sealed copy started through a "#!/proc/self/exe" line. */
void refuse_sealed_reentry(void)
{
	char exe[64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n > 0 && (exe[n] = '\0', !strncmp(exe, "/memfd:" SEALED_NAME " ", 8 + strlen(SEALED_NAME))))
		die(EXIT_CANT_EXEC, "refusing to run carapace again in the container "
		    "(a #! line naming /proc/self/exe?)");
}

/*
 * Returns the sealed copy to exec through, or -1 where Landlock guards
 * the host binary. Without Landlock, CAP_SYS_PTRACE outside a user
 * namespace overrides init's non-dumpable flag: /proc/1/exe would lead to
 * the host binary and ptrace to init. That is refused (but --privileged,
 * which guards nothing). In a user namespace, init's memory belongs to the
 * host's, where the container's CAP_SYS_PTRACE counts for nothing.
 */
int guard_host_binary(const struct container *c)
{
	if (!(c->privileges.caps & CAP(SYS_ADMIN)) && restrict_host_files(c)) {
		log_debug("exec: Landlock keeps the host's carapace binary out of reach");
		return -1;
	}
	log_debug("exec: through a sealed copy of carapace");
	if ((c->privileges.caps & CAP(SYS_PTRACE)) && !(c->namespaces & CLONE_NEWUSER) &&
	    !c->privileges.privileged)
		die(EXIT_CANT_RUN, "--cap-add SYS_PTRACE: would reach init and the host's carapace "
		    "binary %s", c->privileges.caps & CAP(SYS_ADMIN) ? "with CAP_SYS_ADMIN" :
		    "without Landlock (Linux 5.13)");
	return sealed_copy_of_self();
}

/*
 * The argument strings as the kernel laid them out, from argv[0] to the
 * last one's NUL: /proc/PID/cmdline reads this memory (arg_start..arg_end).
 */
static struct { char *start, *end; } arg_area;

/*
 * main's argv, copied to the heap, and the original area noted: every
 * string the spec keeps (optarg included) then points into the copy, so
 * that init may overwrite the original (hide_command_line).
 */
char **copy_args(int argc, char **argv)
{
	char **copy = xrealloc(NULL, ((size_t)argc + 1) * sizeof *copy);

	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;

		copy[i] = memcpy(xrealloc(NULL, n), argv[i], n);
		/* Laid out end to end, as execve does; anything else is left as it is. */
		if (i == 0 || argv[i] == arg_area.end)
			arg_area.end = argv[i] + n;
		else
			arg_area.end = NULL;
	}
	copy[argc] = NULL;
	arg_area.start = argc > 0 && arg_area.end ? argv[0] : NULL;
	return copy;
}

/* The environment as main got it: the strings /proc/PID/environ reads. */
static char **host_environ;

/*
 * main's environment, copied to the heap as copy_args copies argv, so that
 * init and exec's joiner may wipe the original (hide_environment) while
 * getenv() and the spec's pointers go on reading the copy.
 */
void copy_environment(void)
{
	size_t n = 0;
	char **copy;

	while (environ && environ[n])
		n++;
	copy = xrealloc(NULL, (n + 1) * sizeof *copy);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(environ[i]) + 1;

		copy[i] = memcpy(xrealloc(NULL, len), environ[i], len);
	}
	copy[n] = NULL;
	host_environ = environ;
	environ = copy;
}

/*
 * The host's environment (the caller's, an engine's) is readable by a
 * container's root with CAP_SYS_ADMIN as /proc/1/environ, non-dumpable
 * init or not (seen on 6.18): the original strings are zeroed in place,
 * each one, wherever a libc or a sanitizer's runtime left them.
 */
void hide_environment(void)
{
	for (char **e = host_environ; e && *e; e++)
		memset(*e, 0, strlen(*e));
}

/*
 * Ends the argument area at END for /proc/PID/cmdline. PR_SET_MM_MAP
 * needs no capability (CRIU's unprivileged restore) but all the mm's
 * bounds at once: they come from /proc/self/stat, and the brk from brk(0).
 * Returns false where the kernel lacks it (no CONFIG_CHECKPOINT_RESTORE).
 */
static bool set_arg_end(char *end)
{
	char buf[2048], *p;
	unsigned long long f[52] = { 0 };
	autoclose int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	if (n <= 0 || !(p = (buf[n] = '\0', strrchr(buf, ')'))))
		return false;
	/* Field 3 (the state) follows the ")"; the numbers start at 4. */
	p = strchr(p + 2, ' ');
	for (int i = 4; i < 52 && p; i++, p = strchr(p + 1, ' '))
		f[i] = strtoull(p + 1, NULL, 10);
	struct prctl_mm_map map = {
		.start_code = f[26], .end_code = f[27], .start_stack = f[28],
		.start_data = f[45], .end_data = f[46], .start_brk = f[47],
		.brk = (uint64_t)syscall(SYS_brk, 0), .arg_start = f[48],
		.arg_end = (uint64_t)(uintptr_t)end, .env_start = f[50], .env_end = f[51],
		.exe_fd = (uint32_t)-1,
	};
	return map.arg_start == (uint64_t)(uintptr_t)arg_area.start &&
	       prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map, 0) == 0;
}

/*
 * In init: its argv, a copy of the launcher's, is readable by every
 * process in the container as /proc/1/cmdline, -e VALUEs and host paths
 * included, -u nobody too. Overwritten, and the area cut to fit, it reads
 * "carapace\0init\0". The last byte of the old area is left non-zero: if
 * the cut fails, the kernel reads the area as a title ending at its first
 * NUL, as after setproctitle(), so "carapace\0", never the rest nor its
 * length. The environment that follows is hide_environment's.
 */
void hide_command_line(void)
{
	static const char title[] = "carapace\0init";
	size_t len = arg_area.start ? (size_t)(arg_area.end - arg_area.start) : 0;
	size_t n = len - 1 < sizeof "carapace" ? len - 1 : sizeof "carapace";

	if (len < 2)
		return;
	memset(arg_area.start, ' ', len);
	if (len <= sizeof title) {	/* "./c run x": what fits of "carapace" */
		memcpy(arg_area.start, title, n - 1);
		arg_area.start[n - 1] = '\0';
		return;
	}
	memcpy(arg_area.start, title, sizeof title);
	if (!set_arg_end(arg_area.start + sizeof title))
		log_debug("init: can't cut /proc/1/cmdline to fit: %s", strerror(errno));
}
