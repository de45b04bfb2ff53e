/*
 * namespaces.c: namespaces joined by path (OCI's linux.namespaces[].path),
 * and what lives in a namespace: the domain name and the sysctls.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"
#include <linux/nsfs.h>

static const struct { unsigned long type; const char *name; } ns_names[] = {
	{ CLONE_NEWNET, "net" }, { CLONE_NEWIPC, "ipc" }, { CLONE_NEWUTS, "uts" },
	{ CLONE_NEWCGROUP, "cgroup" }, { CLONE_NEWPID, "pid" }, { CLONE_NEWNS, "mount" },
	{ CLONE_NEWUSER, "user" }, { CLONE_NEWTIME, "time" },
};

static const char *ns_name(unsigned long type)
{
	for (size_t i = 0; i < sizeof ns_names / sizeof ns_names[0]; i++)
		if (ns_names[i].type == type)
			return ns_names[i].name;
	return "unknown";
}

/*
 * One namespace file, opened once, here in the launcher: it must be a
 * namespace (nsfs, as /proc/PID/ns/net and a bind of it in /run/netns
 * are), of the type named. What the fd is, is what is joined: the path
 * is never looked up again.
 */
static int open_ns_file(const struct ns_join *j)
{
	const char *name = ns_name(j->type);
	struct statfs sfs;
	int fd, type;

	/*
	 * A user namespace would have to be joined before the others and
	 * would change whose ids the maps speak of; a mount namespace would
	 * take the host's paths (the rootfs, the volumes) from the launcher.
	 */
	if (j->type == CLONE_NEWUSER || j->type == CLONE_NEWNS || j->type == CLONE_NEWTIME)
		die(EXIT_CANT_RUN, "linux.namespaces: %s: joining an existing %s namespace "
		    "is not supported", j->path, name);
	if ((fd = open(j->path, O_RDONLY | O_CLOEXEC)) < 0)
		die_errno("linux.namespaces: %s: %s", name, j->path);
	if (fstatfs(fd, &sfs) || sfs.f_type != NSFS_MAGIC)
		die(EXIT_CANT_RUN, "linux.namespaces: %s: %s: not a namespace file", name, j->path);
	if ((type = ioctl(fd, NS_GET_NSTYPE)) < 0)
		die_errno("linux.namespaces: %s: %s: NS_GET_NSTYPE", name, j->path);
	if ((unsigned long)type != j->type)
		die(EXIT_CANT_RUN, "linux.namespaces: %s: %s: a %s namespace, not a %s one",
		    name, j->path, ns_name((unsigned long)type), name);
	return fd;
}

/* True when NS_FD is the namespace of TYPE that this process is in. */
static bool is_own_namespace(int ns_fd, unsigned long type)
{
	char path[32];
	struct stat mine, joined;

	snprintf(path, sizeof path, "/proc/self/ns/%s", ns_name(type));
	return !stat(path, &mine) && !fstat(ns_fd, &joined) &&
	       mine.st_dev == joined.st_dev && mine.st_ino == joined.st_ino;
}

/* The namespace a sysctl belongs to, as runc sees it; 0: not namespaced. */
static unsigned long sysctl_namespace(const char *key)
{
	static const char *const ipc[] = {
		"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
		"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
	};

	if (!strncmp(key, "net.", 4))
		return CLONE_NEWNET;
	if (!strncmp(key, "fs.mqueue.", 10))
		return CLONE_NEWIPC;
	if (!strcmp(key, "kernel.hostname") || !strcmp(key, "kernel.domainname"))
		return CLONE_NEWUTS;
	for (size_t i = 0; i < sizeof ipc / sizeof ipc[0]; i++)
		if (!strcmp(key, ipc[i]))
			return CLONE_NEWIPC;
	return 0;
}

/*
 * A key is names of letters, digits, '_' and '-' between dots: no "/",
 * no empty name, nothing that could lead out of /proc/sys.
 */
static bool is_sysctl_key(const char *key)
{
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_-.", *p))
			return false;
	return *key && *key != '.' && !strstr(key, "..") && key[strlen(key) - 1] != '.';
}

/*
 * Each sysctl must belong to a namespace of the container's own, made or
 * joined: never one that would change the host. OWN: the namespaces the
 * container has, made or joined; HOST: those joined that are the
 * launcher's own.
 */
static void validate_sysctls(const struct container *c, unsigned long own, unsigned long host)
{
	for (size_t i = 0; i < c->oci.sysctls_len; i++) {
		const struct key_value *s = &c->oci.sysctls[i];
		unsigned long ns = sysctl_namespace(s->key);

		if (!is_sysctl_key(s->key))
			die(EXIT_CANT_RUN, "linux.sysctl: '%s': not a sysctl name", s->key);
		if (strchr(s->value, '\n'))
			die(EXIT_CANT_RUN, "linux.sysctl: %s: the value has a newline", s->key);
		if (!ns)
			die(EXIT_CANT_RUN, "linux.sysctl: %s: not in any namespace: it would "
			    "change the host", s->key);
		if (!(own & ns))
			die(EXIT_CANT_RUN, "linux.sysctl: %s: needs a %s namespace of the "
			    "container's own", s->key, ns_name(ns));
		if (host & ns)
			die(EXIT_CANT_RUN, "linux.sysctl: %s: the joined %s namespace is the "
			    "host's", s->key, ns_name(ns));
	}
}

/*
 * In the launcher, before the clone: opens and checks each namespace to
 * join (the front end leaves it out of those clone3 makes); then checks what needs a
 * namespace of the container's own (the domain name, the sysctls).
 */
void open_ns_joins(const struct container *c, struct runtime *rt)
{
	unsigned long joined = 0, host = 0;

	for (size_t i = 0; i < c->oci.joins_len; i++) {
		const struct ns_join *j = &c->oci.joins[i];

		if (joined & j->type)
			die(EXIT_CANT_RUN, "linux.namespaces: %s: given twice", ns_name(j->type));
		if (rt->joins_len == sizeof rt->joins / sizeof rt->joins[0])
			die(EXIT_CANT_RUN, "linux.namespaces: too many to join");
		rt->joins[rt->joins_len] = (struct joined_ns){ j->type, open_ns_file(j) };
		if (is_own_namespace(rt->joins[rt->joins_len].fd, j->type))
			host |= j->type;
		rt->joins_len++;
		joined |= j->type;
	}
	if (c->namespaces & joined)
		die(EXIT_CANT_RUN, "linux.namespaces: a namespace both made and joined");
	if (c->oci.domainname && !((c->namespaces | joined) & CLONE_NEWUTS))
		die(EXIT_CANT_RUN, "domainname: needs a uts namespace of the container's own");
	if (c->oci.domainname && strlen(c->oci.domainname) > 64)
		die(EXIT_CANT_RUN, "domainname: longer than 64 characters");
	validate_sysctls(c, c->namespaces | joined, host);
}

/*
 * In the launcher, just before the clone, so that init is born in them.
 * Here rather than in init: a namespace of the host's user namespace can
 * be joined only with the host's capabilities, which init, in a user
 * namespace of its own from its first instruction, never has. A pid
 * namespace is for the children only: init, not the launcher.
 */
void join_namespaces(struct runtime *rt)
{
	for (size_t i = 0; i < rt->joins_len; i++) {
		if (setns(rt->joins[i].fd, (int)rt->joins[i].type))
			die_errno("setns: %s namespace", ns_name(rt->joins[i].type));
		close(rt->joins[i].fd);
	}
	rt->joins_len = 0;
}

/*
 * clone(2) as fork() with FLAGS (namespaces, CLONE_PIDFD...), on the
 * caller's stack; with CLONE_PIDFD the kernel writes the pidfd to PIDFD
 * through parent_tid. clone's order of arguments is the architecture's
 * (kernel/fork.c): x86-64 has flags, stack, parent_tid, child_tid, tls;
 * the CLONE_BACKWARDS ones (arm64, arm, powerpc, mips, i386) flags, stack,
 * parent_tid, tls, child_tid; s390 (CLONE_BACKWARDS2) swaps flags and
 * stack; microblaze (CLONE_BACKWARDS3) has a stack size third. With no
 * stack, child_tid or tls, flags first and parent_tid third hold on all
 * but the last two; an architecture named nowhere here must be checked.
 */
pid_t clone_process(unsigned long flags, int *pidfd)
{
#if defined(__x86_64__) || defined(__aarch64__)
	return (pid_t)syscall(SYS_clone, flags, NULL, pidfd, NULL, NULL);
#elif defined(__s390x__)
	return (pid_t)syscall(SYS_clone, NULL, flags, pidfd, NULL, NULL);
#else
#error "clone_process: check clone's order of arguments on this architecture"
#endif
}

/*
 * Init, in a pid namespace joined: not its PID 1, whose death would end
 * the rest. As a subreaper, the workload's orphans come to init all the
 * same; those of the namespace's own PID 1 stay its.
 */
void reap_as_subreaper(void)
{
	if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1))
		die_errno("prctl: PR_SET_CHILD_SUBREAPER");
}

void set_domainname(const struct container *c)
{
	const char *name = c->oci.domainname;

	if (name && setdomainname(name, strlen(name)))
		die_errno("setdomainname: %s", name);
}

/*
 * One sysctl, below /proc/sys of the procfs PROC (the container's own,
 * carapace's mount): a name at a time, no symlink followed.
 */
static void write_sysctl(int proc, const struct key_value *s)
{
	char path[256], *save = NULL, *name, *next;
	autoclose int dir = openat(proc, "sys", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	autoclose int file = -1;
	size_t len = strlen(s->value);

	if (snprintf(path, sizeof path, "%s", s->key) >= (int)sizeof path)
		die(EXIT_CANT_RUN, "linux.sysctl: %s: too long a name", s->key);
	name = strtok_r(path, ".", &save);
	for (; dir >= 0 && (next = strtok_r(NULL, ".", &save)); name = next) {
		int sub = openat(dir, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		close(dir);
		dir = sub;
	}
	if (dir < 0 || (file = openat(dir, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			die(EXIT_CANT_RUN, "linux.sysctl: %s: the kernel has no such setting",
			    s->key);
		die_errno("linux.sysctl: %s", s->key);
	}
	if (write(file, s->value, len) != (ssize_t)len)
		die_errno("linux.sysctl: %s=%s", s->key, s->value);
	log_debug("sysctl: %s=%s", s->key, s->value);
}

/* Inside, after the root change, in the container's own procfs. */
void write_sysctls(const struct mount_state *ms, const struct container *c)
{
	autoclose int proc = -1;

	if (!c->oci.sysctls_len)
		return;
	if ((proc = open_procfs(ms)) < 0)
		die(EXIT_CANT_RUN, "linux.sysctl: no /proc of the container's own to write them in");
	for (size_t i = 0; i < c->oci.sysctls_len; i++)
		write_sysctl(proc, &c->oci.sysctls[i]);
}
