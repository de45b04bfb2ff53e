/*
 * oci-cli.c: the OCI commands that look at or signal a container without
 * changing its life: state, kill and list. create, start and delete are
 * its life, and carapace.c tells them.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

static const struct {
	const char *name;
	int number;
} signal_names[] = {
	{ "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
	{ "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
	{ "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
	{ "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
	{ "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
	{ "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL }, { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

/* A signal as engines give it: 15, TERM, SIGTERM, or RTMIN+N. */
int parse_signal(const char *s)
{
	const char *name = strncasecmp(s, "SIG", 3) ? s : s + 3;
	char *end;
	long n;

	if (isdigit((unsigned char)*s)) {
		n = strtol(s, &end, 10);
		if (!*end && n > 0 && n < NSIG)
			return (int)n;
	}
	for (size_t i = 0; i < sizeof signal_names / sizeof signal_names[0]; i++)
		if (!strcasecmp(name, signal_names[i].name))
			return signal_names[i].number;
	if (!strncasecmp(name, "RTMIN+", 6) && isdigit((unsigned char)name[6])) {
		n = strtol(name + 6, &end, 10);
		if (!*end && SIGRTMIN + n <= SIGRTMAX)
			return SIGRTMIN + (int)n;
	}
	die(EXIT_CANT_RUN, "kill: not a signal: '%s'", s);
}

static void open_existing(struct oci_state *st, const struct oci_args *a)
{
	if (!state_open(st, a, a->id))
		die(EXIT_CANT_RUN, "container %s does not exist", a->id ? a->id : "");
}

int cmd_state(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct oci_state st;
	char *json;

	if (parse_oci_options(&a, "state", argc, argv) != argc)
		die(EXIT_CANT_RUN, "state: one container ID only");
	open_existing(&st, &a);
	json = state_json(&st, true);
	printf("%s\n", json);
	free(json);
	return 0;
}

/*
 * To init, by a pidfd checked against the state's start time: never to a
 * process that took a dead init's pid. Init passes it on to the process;
 * KILL ends init, and with it the container. --all: every process of the
 * container's cgroups too, and an init that is gone by then (the cgroups'
 * signal ended it) is what was asked, not an error.
 */
int cmd_kill(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct oci_state st;
	int rest = parse_oci_options(&a, "kill", argc, argv);
	int sig = rest < argc ? parse_signal(argv[rest++]) : SIGTERM;
	autoclose int pidfd = -1;

	if (rest != argc)
		die(EXIT_CANT_RUN, "kill: expected ID [SIGNAL]");
	open_existing(&st, &a);
	if (a.all) {
		char *cgroups = state_read_file(&st, "cgroups");

		if (cgroups && cgroups_signal_all(cgroups, sig) < 0)
			die_errno("kill: %s: signal its cgroups", st.id);
		free(cgroups);
	}
	pidfd = state_pidfd(&st);
	if (pidfd < 0 && a.all)
		return 0;
	if (pidfd < 0)
		die(EXIT_CANT_RUN, "kill: %s: container not running", st.id);
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0)) {
		/* --all's own signal may have ended init, and its reaper reaped it. */
		if (errno == ESRCH && a.all)
			return 0;
		if (errno == ESRCH)
			die(EXIT_CANT_RUN, "kill: %s: container not running", st.id);
		die_errno("kill: %s", st.id);
	}
	return 0;
}

static void list_one(FILE *out, const struct oci_args *a, const char *id, bool *first)
{
	struct oci_state st = { .root_fd = -1, .dir_fd = -1 };
	char *json;

	if (!valid_container_id(id) || !state_open(&st, a, id) || !st.pid) {
		state_close(&st);
		return;
	}
	if (a->quiet) {
		fprintf(out, "%s\n", id);
	} else if (a->format && !strcmp(a->format, "json")) {
		json = state_json(&st, false);
		fprintf(out, "%s%s", *first ? "" : ",", json);
		free(json);
	} else {
		enum oci_status s = state_status(&st);

		fprintf(out, "%-20s %-8d %-10s %-40s %s\n", id,
			s == STATUS_STOPPED ? 0 : (int)st.pid, status_name(s),
			st.bundle ? st.bundle : "", st.created ? st.created : "");
	}
	*first = false;
	state_close(&st);
}

int cmd_list(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	bool json, first = true;
	struct dirent *e;
	DIR *d;

	if (parse_oci_options(&a, "list", argc, argv) != argc)
		die(EXIT_CANT_RUN, "list: takes no operand");
	if (a.format && strcmp(a.format, "table") && strcmp(a.format, "json"))
		die(EXIT_CANT_RUN, "list: --format: table or json, not '%s'", a.format);
	json = a.format && !strcmp(a.format, "json") && !a.quiet;
	state_reap_end_notes(&a);	/* before the listing: a killed run's cgroups */
	d = opendir(state_root_path(&a));
	if (!d && errno != ENOENT)
		die_errno("--root: %s", state_root_path(&a));
	if (json)
		fputc('[', stdout);
	else if (!a.quiet)
		printf("%-20s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			list_one(stdout, &a, e->d_name, &first);
	if (json)
		puts("]");
	if (d)
		closedir(d);
	return 0;
}

/* The described cgroups of a live container, or a clear error. */
static char *live_cgroups(struct oci_state *st, const char *cmd, enum oci_status want)
{
	enum oci_status s = state_status(st);
	char *cgroups;

	if (s != want)
		die(EXIT_CANT_RUN, "%s: %s: container not %s", cmd, st->id,
		    want == STATUS_PAUSED ? "paused" : "running");
	cgroups = state_read_file(st, "cgroups");
	if (!cgroups)
		die(EXIT_CANT_RUN, "%s: %s: no cgroups in its state", cmd, st->id);
	return cgroups;
}

/* pause and resume: the freezer of the container's cgroups, v1's or v2's. */
static int freeze_command(const struct oci_args *global, const char *cmd, int argc, char **argv,
			  bool freeze)
{
	struct oci_args a = *global;
	struct oci_state st;
	char *cgroups;

	if (parse_oci_options(&a, cmd, argc, argv) != argc || !a.id)
		die(EXIT_CANT_RUN, "%s: one container ID", cmd);
	open_existing(&st, &a);
	cgroups = live_cgroups(&st, cmd, freeze ? STATUS_RUNNING : STATUS_PAUSED);
	if (cgroups_freeze(cgroups, freeze) < 0) {
		if (errno == ENOTSUP)
			die(EXIT_CANT_RUN, "%s: %s: the container has no freezer cgroup "
			    "(v1 freezer or v2 cgroup.freeze)", cmd, st.id);
		die_errno("%s: %s: %s its cgroups", cmd, st.id, freeze ? "freeze" : "thaw");
	}
	free(cgroups);
	return 0;
}

int cmd_pause(const struct oci_args *global, int argc, char **argv)
{
	return freeze_command(global, "pause", argc, argv, true);
}

int cmd_resume(const struct oci_args *global, int argc, char **argv)
{
	return freeze_command(global, "resume", argc, argv, false);
}

/* PID's command line, its arguments joined by spaces; its comm if it has none (a kernel thread, a zombie). */
static void print_cmdline(pid_t pid)
{
	char path[64], buf[4096];
	autoclose int fd = -1;
	ssize_t n = 0;

	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		n = read(fd, buf, sizeof buf - 1);
	if (n <= 0) {
		close(fd);
		snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		n = fd >= 0 ? read(fd, buf + 1, sizeof buf - 3) : -1;
		n = n > 0 ? n : 1;
		buf[0] = '[';
		buf[n] = ']';	/* over comm's newline */
		n++;
	}
	for (ssize_t i = 0; i < n; i++)
		buf[i] = buf[i] ? buf[i] : ' ';
	while (n > 0 && buf[n - 1] == ' ')
		n--;
	printf("%.*s\n", (int)n, buf);
}

/* The container's processes as host pids: containerd's shim reads the JSON list. */
int cmd_ps(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct oci_state st;
	bool json;
	char *cgroups;
	pid_t *pids;
	size_t n;

	if (parse_oci_options(&a, "ps", argc, argv) != argc)
		die(EXIT_CANT_RUN, "ps: one container ID, or none");
	if (a.format && strcmp(a.format, "table") && strcmp(a.format, "json"))
		die(EXIT_CANT_RUN, "ps: --format: table or json, not '%s'", a.format);
	if (!a.id && !a.format) {	/* docker's ps: the containers */
		list_for_people(&a);
		return 0;
	}
	if (!a.id)
		die(EXIT_CANT_RUN, "ps: --format: with a container ID (carapace list --format json "
		    "for all)");
	json = a.format && !strcmp(a.format, "json");
	open_existing(&st, &a);
	cgroups = state_read_file(&st, "cgroups");
	if (!cgroups)
		die(EXIT_CANT_RUN, "ps: %s: no cgroups in its state", st.id);
	pids = cgroups_pids(cgroups, &n);
	if (!pids)
		die_errno("ps: %s: read its cgroups", st.id);
	if (!json)
		printf("%-8s %s\n", "PID", "CMD");
	for (size_t i = 0; i < n; i++) {
		if (json) {
			printf("%s%d", i ? "," : "[", (int)pids[i]);
			continue;
		}
		printf("%-8d ", (int)pids[i]);
		print_cmdline(pids[i]);
	}
	if (json)
		puts(n ? "]" : "[]");
	free(pids);
	free(cgroups);
	return 0;
}
