/*
 * security.c: users, capabilities, limits and fds.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"


/* A uid or gid: digits only, up to 4294967294 ((uid_t)-1 is no id). */
static bool is_number(const char *s)
{
	size_t n = strspn(s, "0123456789");

	return n && !s[n] && n <= 10 && strtoull(s, NULL, 10) <= UINT32_MAX - 1;
}

static uint32_t id_number(const char *s)
{
	return (uint32_t)strtoul(s, NULL, 10);
}

/*
 * Opens FILE, /etc/passwd or /etc/group, of WHOSE: the path is the same,
 * the root it is read in is not. WHOSE also names the file in errors.
 */
static bool open_user_file(struct text_file *t, enum whose_file whose, const char *file)
{
	static const char *const what[] = {
		[CONTAINER_FILE] = "--user: the container's ",
		[HOST_FILE] = "--userns: the host's ",
	};

	return open_text_file(t, what[whose], file);
}

/*
 * Finds NAME, or else the number ID, in FILE, a passwd or group file of
 * WHOSE. Splits the line into FIELD; returns it, or NULL. An empty name
 * matches nothing, and a line without a numeric id is no entry.
 */
char *find_entry(enum whose_file whose, const char *file, const char *name, long id,
		 char *field[7])
{
	char *line, *found = NULL;
	struct text_file t;

	if ((name && !*name) || !open_user_file(&t, whose, file))
		return NULL;
	while (!found && (line = next_line(&t))) {
		char *p = line;
		int n = 0;

		for (int i = 0; i < 7; i++)
			field[i] = NULL;
		while (n < 7 && p)
			field[n++] = strsep(&p, ":");
		if (n < 4 || !*field[0] || !is_number(field[2]))
			continue;
		if (name ? !strcmp(field[0], name) : id_number(field[2]) == id)
			found = line;
	}
	if (found)	/* FIELD points into it: kept */
		t.data = NULL;
	close_text_file(&t);
	return found;
}

static gid_t resolve_group(const char *group)
{
	char *field[7];

	if (is_number(group))
		return id_number(group);
	if (!find_entry(CONTAINER_FILE, "/etc/group", group, 0, field))
		die(EXIT_CANT_RUN, "group: %s: no such group in the container's /etc/group", group);
	return id_number(field[2]);
}

/* The groups that list USER as a member, from the container's /etc/group. */
static void add_member_groups(const char *user, struct user_ids *u)
{
	struct text_file t;
	char *line;

	if (!open_user_file(&t, CONTAINER_FILE, "/etc/group"))
		return;
	while ((line = next_line(&t)) && u->ngroups < 64) {
		char *p = line, *field[4] = { 0 };
		int n = 0;

		while (n < 4 && p)
			field[n++] = strsep(&p, ":");
		if (n < 4 || !is_number(field[2]))
			continue;
		for (char *m = strtok(field[3], ","); m && u->ngroups < 64; m = strtok(NULL, ","))
			if (!strcmp(m, user))
				u->groups[u->ngroups++] = id_number(field[2]);
	}
	close_text_file(&t);
}

/*
 * OCI's process.user: uid, gid and additionalGids exactly, as numbers;
 * nothing from the container's /etc/group, and from its /etc/passwd only
 * the uid's home, which HOME gets when the process's env has none.
 */
static void oci_user(const struct container *c, struct user_ids *u)
{
	size_t n = c->oci.process.additional_gids_len;
	char *field[7];

	if (n > sizeof u->groups / sizeof u->groups[0])
		die(EXIT_CANT_RUN, "process.user.additionalGids: %zu: more than %zu", n,
		    sizeof u->groups / sizeof u->groups[0]);
	u->uid = c->oci.process.uid;
	u->gid = c->oci.process.gid;
	for (size_t i = 0; i < n; i++)
		u->groups[i] = c->oci.process.additional_gids[i];
	u->ngroups = (int)n;
	/* Only the home, for an env without HOME (engines give none): the ids are as given. */
	if (find_entry(CONTAINER_FILE, "/etc/passwd", NULL, u->uid, field) && field[5] && *field[5])
		snprintf(u->home, sizeof u->home, "%s", field[5]);
}

/*
 * USER[:GROUP], as docker reads it: names from the container's files,
 * numbers always; or OCI's numbers. Inside it, once its root is /, before
 * the exec.
 */
void resolve_user(const struct container *c, struct user_ids *u)
{
	char spec[256], *field[7], *line;
	char *group;

	*u = (struct user_ids){ .home = "/" };
	if (c->oci.process.ids_given)
		return oci_user(c, u);
	if (strlen(c->privileges.user) >= sizeof spec)
		die(EXIT_CANT_RUN, "--user: longer than %zu bytes", sizeof spec - 1);
	snprintf(spec, sizeof spec, "%s", c->privileges.user);
	group = strchr(spec, ':');
	if (group)
		*group++ = '\0';
	line = is_number(spec) ?
		find_entry(CONTAINER_FILE, "/etc/passwd", NULL, id_number(spec), field) :
		find_entry(CONTAINER_FILE, "/etc/passwd", spec, 0, field);
	if (!line && !is_number(spec))
		die(EXIT_CANT_RUN, "--user: %s: no such user in the container's /etc/passwd", spec);
	u->uid = id_number(line ? field[2] : spec);
	if (line) {
		if (!is_number(field[3]))
			die(EXIT_CANT_RUN, "--user: %s: the container's /etc/passwd gives a bad gid: '%s'",
			    spec, field[3]);
		u->gid = id_number(field[3]);
		if (field[5] && *field[5])
			snprintf(u->home, sizeof u->home, "%s", field[5]);
		add_member_groups(field[0], u);
	}
	if (group)
		u->gid = resolve_group(group);
	for (size_t i = 0; i < c->privileges.groups_add_len && u->ngroups < 64; i++)
		u->groups[u->ngroups++] = resolve_group(c->privileges.groups_add[i]);
}

/* EINVAL: the id has no place in the user namespace's map. */
__attribute__((noreturn))
static void die_set_id(const char *what, unsigned id)
{
	if (errno == EINVAL)
		die(EXIT_CANT_RUN, "--user: %s %u: not mapped in the user namespace", what, id);
	die_errno("--user: set %s %u", what, id);
}

static void set_user(const struct user_ids *u)
{
	/* Where setgroups is denied (a rootless map of one id), none can be set or cleared. */
	if (setgroups((size_t)u->ngroups, u->groups) && (errno != EPERM || u->ngroups)) {
		if (errno == EPERM)
			die(EXIT_CANT_RUN, "--user: supplementary groups: setgroups is denied "
			    "in a user namespace that maps one gid (newgidmap maps more)");
		die_set_id("supplementary group", (unsigned)u->groups[0]);
	}
	if (setresgid(u->gid, u->gid, u->gid))
		die_set_id("gid", (unsigned)u->gid);
	if (setresuid(u->uid, u->uid, u->uid))
		die_set_id("uid", (unsigned)u->uid);
}

void set_rlimits(const struct container *c)
{
	for (size_t i = 0; i < c->privileges.rlimits_len; i++)
		if (setrlimit(c->privileges.rlimits[i].resource, &c->privileges.rlimits[i].limit))
			die_errno("--ulimit: %s", c->privileges.rlimits[i].arg);
}

/* The five capability sets, each a bit per CAP_*. */
struct cap_sets {
	uint64_t bounding, effective, permitted, inheritable, ambient;
};

static const char *cap_name(int cap)
{
	return cap < N_CAPS && cap_names[cap] ? cap_names[cap] : "?";
}

static void get_caps(struct cap_sets *s)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		die_errno("capget");
	s->effective = data[0].effective | (uint64_t)data[1].effective << 32;
	s->permitted = data[0].permitted | (uint64_t)data[1].permitted << 32;
	s->inheritable = data[0].inheritable | (uint64_t)data[1].inheritable << 32;
}

static void set_caps(const struct cap_sets *s, const char *what)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = {
		{ (uint32_t)s->effective, (uint32_t)s->permitted, (uint32_t)s->inheritable },
		{ (uint32_t)(s->effective >> 32), (uint32_t)(s->permitted >> 32),
		  (uint32_t)(s->inheritable >> 32) },
	};

	if (syscall(SYS_capset, &hdr, data))
		die_errno("capset: %s", what);
}

static void drop_bounding(uint64_t keep)
{
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) {
			if (errno == EINVAL)	/* past the kernel's last cap */
				break;
			die_errno("prctl: drop capability %d", cap);
		}
	}
}

/*
 * Leaves exactly S's five sets, switching to USER on the way if there is
 * one. The inheritable set is set while this process is still root (with
 * CAP_SETPCAP, it may take any of the bounding set); a uid other than 0
 * keeps its permitted set across the setuid by PR_SET_KEEPCAPS (which
 * exec clears), and gets its effective set back after. What this process
 * lacks (root's bounding set may lack some) it can't give: left out.
 */
static void apply_cap_sets(struct cap_sets s, const struct user_ids *user)
{
	struct cap_sets now;

	drop_bounding(s.bounding);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		die_errno("prctl: clear ambient capabilities");
	get_caps(&now);
	s.inheritable &= s.bounding;
	if (s.inheritable != now.inheritable) {
		now.inheritable = s.inheritable;
		set_caps(&now, "inheritable");
	}
	if (user && user->uid != 0 && s.permitted && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		die_errno("prctl: PR_SET_KEEPCAPS");
	if (user)
		set_user(user);
	s.permitted &= now.permitted;
	s.effective &= s.permitted;
	set_caps(&s, "effective and permitted");
	/*
	 * The kernel raises an ambient capability only if it is permitted and
	 * inheritable too. runc's own default config.json lists ambient ones
	 * with no inheritable set: skipped, as runc skips them.
	 */
	for (int cap = 0; cap < 64; cap++) {
		if (!(s.ambient & (1ULL << cap)))
			continue;
		if (!(s.permitted & s.inheritable & (1ULL << cap)))
			log_debug("capabilities: ambient %s: not permitted and inheritable: skipped",
				  cap_name(cap));
		else if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0))
			die_errno("process.capabilities.ambient: %s", cap_name(cap));
	}
}

/*
 * Leaves exactly KEEP in the bounding set and, for root, in the permitted
 * and effective sets; switches to USER on the way, when there is one. A
 * uid other than 0 loses every capability. Ambient and inheritable stay
 * empty (runc CVE-2022-29162).
 */
void limit_caps(uint64_t keep, const struct user_ids *user)
{
	struct cap_sets s = { keep, keep, keep, 0, 0 };

	if (user && user->uid != 0)
		s.effective = s.permitted = 0;
	apply_cap_sets(s, user);
}

/*
 * The workload's: CAPS, the spec's as the launcher allows them; or OCI's
 * five sets exactly, less what the launcher withheld from the spec's
 * (CAP_MKNOD where the host's devices are not kept shut).
 */
void limit_workload_caps(const struct container *c, uint64_t caps, const struct user_ids *user)
{
	uint64_t withheld = c->privileges.caps & ~caps;
	typeof(c->oci.caps) *o = &c->oci.caps;

	if (!o->given)
		return limit_caps(caps, user);
	apply_cap_sets((struct cap_sets){ o->bounding & ~withheld, o->effective & ~withheld,
					  o->permitted & ~withheld, o->inheritable & ~withheld,
					  o->ambient & ~withheld }, user);
}

/* Closes every fd from FIRST up, at exec; the workload gets only what it should. */
void cloexec_from(int first)
{
	if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (int fd = first; fd < 1024; fd++)	/* before Linux 5.11 */
		fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* fds 0-2 must exist, or the first fd carapace opens would become one. */
void ensure_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDWR) != fd)
			die_errno("open: /dev/null");
}

/* Closes every fd from FIRST up but the N in KEEP (-1s are none): init's host fds stop here. */
void close_fds_except(int first, int *keep, size_t n)
{
	/* In order, so that each gap between two kept fds is one close_range. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			int t = keep[j];

			keep[j] = keep[j - 1];
			keep[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		if (keep[i] < first)
			continue;
		if (keep[i] > first)
			syscall(SYS_close_range, first, keep[i] - 1, 0);
		first = keep[i] + 1;
	}
	syscall(SYS_close_range, first, ~0U, 0);
}

/*
 * OCI, as runc: a session keyring of the container's own, so that the
 * caller's keys (its session's) are not the container's.
 */
void join_new_keyring(void)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
		die_errno("keyctl: join a new session keyring");
}

/* The host's AppArmor is on: the module says so, and its securityfs is there. */
static bool host_has_apparmor(void)
{
	char on = 0;
	autoclose int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
	struct stat st;

	return fd >= 0 && read(fd, &on, 1) == 1 && on == 'Y' &&
	       !stat("/sys/kernel/security/apparmor", &st) && S_ISDIR(st.st_mode);
}

/*
 * In the launcher, before the clone, with the host's /sys in view: an
 * LSM label carapace can't apply is an error, never ignored.
 */
void check_lsm_labels(const struct container *c)
{
	const char *profile = c->oci.process.apparmor_profile;

	if (c->oci.process.selinux_label && *c->oci.process.selinux_label)
		die(EXIT_CANT_RUN, "process.selinuxLabel: %s: SELinux labels are not supported",
		    c->oci.process.selinux_label);
	if (profile && *profile && strchr(profile, '\n'))
		die(EXIT_CANT_RUN, "process.apparmorProfile: the name has a newline");
	if (profile && *profile && !host_has_apparmor())
		die(EXIT_CANT_RUN, "process.apparmorProfile: %s: AppArmor is not enabled on this "
		    "host", profile);
}

/*
 * In the launcher, on init before "go", through the host's /proc: the
 * workload inherits it at the fork. The kernel lets a process lower it
 * (below the least it was given) only with CAP_SYS_RESOURCE.
 */
void set_oom_score_adj(const struct container *c, pid_t pid)
{
	char path[64], value[16];
	autoclose int fd = -1;
	struct cap_sets now;
	int len;

	if (!c->oci.process.oom_score_adj_given)
		return;
	snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
	len = snprintf(value, sizeof value, "%d", c->oci.process.oom_score_adj);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0)
		die_errno("process.oomScoreAdj: %s", path);
	if (write(fd, value, (size_t)len) == len)
		return;
	get_caps(&now);
	if (errno == EACCES && !(now.effective & CAP(SYS_RESOURCE)))
		die(EXIT_CANT_RUN, "process.oomScoreAdj: %s: lowering it takes CAP_SYS_RESOURCE, "
		    "which carapace lacks here", value);
	die_errno("process.oomScoreAdj: %s", value);
}

/* The workload's umask and personality, before the exec. */
void set_process_traits(const struct container *c)
{
	if (c->oci.bundle && c->oci.process.umask >= 0)
		umask((mode_t)c->oci.process.umask);
	if (c->oci.personality_given && personality(c->oci.personality) < 0)
		die_errno("linux.personality: %#lx", c->oci.personality);
}

/*
 * AppArmor's profile, for the exec that follows: written to this process's
 * attr in the container's procfs (checked to be one), the newer file
 * first. check_lsm_labels found AppArmor on.
 */
void apply_apparmor_profile(const struct container *c)
{
	const char *profile = c->oci.process.apparmor_profile;
	char *text;
	autoclose int fd = -1;
	struct statfs sfs;
	size_t len;

	if (!profile || !*profile)
		return;
	fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		die_errno("process.apparmorProfile: %s: /proc/self/attr", profile);
	if (fstatfs(fd, &sfs) || sfs.f_type != PROC_SUPER_MAGIC)
		die(EXIT_CANT_RUN, "process.apparmorProfile: /proc: not a procfs");
	text = xasprintf("exec %s", profile);
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len)
		die_errno("process.apparmorProfile: %s", profile);
	free(text);
}
