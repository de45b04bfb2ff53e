/*
 * options.c: Options: one table per command; the help text is made from it.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

enum {
	OPT_HOSTNAME = 256,
	OPT_NO_PIVOT,
	OPT_STOP_TIMEOUT,
	OPT_PRESERVE_FDS,
	OPT_PIDS,
	OPT_MEMORY,
	OPT_MEMORY_SWAP,
	OPT_CPUS,
	OPT_CPU_WEIGHT,
	OPT_CPU_SHARES,
	OPT_CPUSET_CPUS,
	OPT_CGROUP_PARENT,
	OPT_NAME,
	OPT_CAP_ADD,
	OPT_CAP_DROP,
	OPT_PRIVILEGED,
	OPT_GROUP_ADD,
	OPT_ULIMIT,
	OPT_JSON,
	OPT_SECCOMP,
	OPT_ALLOW_NEW_PRIVS,
	OPT_TMPFS,
	OPT_MOUNT,
	OPT_READ_ONLY,
	OPT_OVERLAY,
	OPT_OVERLAY_DIR,
	OPT_ROOTFS_RW,
	OPT_ROOTFS_SIZE,
	OPT_VERBOSE,
	OPT_USERNS,
	OPT_UIDMAP,
	OPT_GIDMAP,
};


static const struct option_doc run_options[] = {
	{ "rootfs", 'r', "DIR", "root filesystem (default $CARAPACE_ROOTFS, else ./rootfs)" },
	{ "", 0, NULL, "  or a tarball, .tar[.gz|.xz], unpacked into memory" },
	{ "volume", 'v', "SRC:DST[:OPTS]", "bind the host's SRC on DST; OPTS: ro, nodev, noexec, rslave..." },
	{ "tmpfs", OPT_TMPFS, "DST[:OPTS]", "mount a tmpfs on DST; OPTS: size= (default 64m), mode=1777," },
	{ "", 0, NULL, "  ro, exec..." },
	{ "mount", OPT_MOUNT, "KEY=VALUE,...", "mount anything: type=bind|tmpfs|proc|sysfs|mqueue|devpts," },
	{ "", 0, NULL, "  src=SRC, dst=DST and the options of -v and --tmpfs" },
	{ "read-only", OPT_READ_ONLY, NULL, "read-only root, its submounts too; volumes, tmpfs and /dev keep theirs" },
	{ "overlay", OPT_OVERLAY, NULL, "the default: write to an overlay in memory, thrown away at the" },
	{ "", 0, NULL, "  end; the rootfs folder stays untouched" },
	{ "overlay-dir", OPT_OVERLAY_DIR, "DIR", "like --overlay, but keep the changes in DIR: setuid files too" },
	{ "rootfs-rw", OPT_ROOTFS_RW, NULL, "write the rootfs folder itself: the container's root can leave" },
	{ "", 0, NULL, "  setuid files there, and fill its disk (unsafe)" },
	{ "rootfs-size", OPT_ROOTFS_SIZE, "SIZE", "the root's memory: the overlay's changes, or the unpacked" },
	{ "", 0, NULL, "  tarball and its changes (default 512m, or half of --memory)" },
	{ "hostname", OPT_HOSTNAME, "NAME", "hostname in the container (default carapace)" },
	{ "env", 'e', "NAME=VALUE", "set an environment variable (repeatable)" },
	{ "workdir", 'w', "DIR", "working directory in the container (default /)" },
	{ "tty", 't', NULL, "give the workload a pty even when stdin is no terminal" },
	{ "no-tty", 'T', NULL, "never give the workload a pty" },
	{ "forward-to-group", 'g', NULL, "forward signals to the workload's process group" },
	{ "stop-timeout", OPT_STOP_TIMEOUT, "SECONDS", "after TERM or INT, kill the container this late (default 10)" },
	{ "preserve-fds", OPT_PRESERVE_FDS, "N", "pass fds 3 to 2+N to the workload" },
	{ "no-pivot", OPT_NO_PIVOT, NULL, "use MS_MOVE and chroot instead of pivot_root (less safe)" },
	{ "pids", OPT_PIDS, "N", "at most N processes, or unlimited (default 2048)" },
	{ "memory", OPT_MEMORY, "SIZE", "memory limit; SIZE in bytes, or with k, m or g" },
	{ "memory-swap", OPT_MEMORY_SWAP, "SIZE", "memory plus swap limit (-1: unlimited swap)" },
	{ "cpus", OPT_CPUS, "FLOAT", "CPU time, in CPUs (0.5: half of one)" },
	{ "cpu-weight", OPT_CPU_WEIGHT, "N", "relative CPU weight, 1 to 10000 (v2 style)" },
	{ "cpu-shares", OPT_CPU_SHARES, "N", "relative CPU shares, 2 to 262144 (v1 style)" },
	{ "cpuset-cpus", OPT_CPUSET_CPUS, "LIST", "CPUs the container may use, e.g. 0-1,3" },
	{ "cgroup-parent", OPT_CGROUP_PARENT, "PATH", "parent cgroup, from the hierarchy's root (default carapace)" },
	{ "name", OPT_NAME, "NAME", "container name, also its cgroup's (default: unique)" },
	{ "user", 'u', "USER[:GROUP]", "run as USER (name or number, from the container's /etc/passwd)" },
	{ "group-add", OPT_GROUP_ADD, "GROUP", "add a supplementary group (repeatable)" },
	{ "userns", OPT_USERNS, NULL, "a user namespace: root inside is no root outside (rootless: always)" },
	{ "uidmap", OPT_UIDMAP, "IN:OUT:COUNT", "map COUNT uids from IN in the container to OUT (repeatable)" },
	{ "gidmap", OPT_GIDMAP, "IN:OUT:COUNT", "the same for gids (default: as --uidmap)" },
	{ "cap-add", OPT_CAP_ADD, "CAP", "add a capability (NAME, CAP_NAME or ALL; repeatable)" },
	{ "cap-drop", OPT_CAP_DROP, "CAP", "drop a capability (NAME, CAP_NAME or ALL; repeatable)" },
	{ "ulimit", OPT_ULIMIT, "NAME=SOFT[:HARD]", "set a resource limit, e.g. nofile=1024:2048" },
	{ "privileged", OPT_PRIVILEGED, NULL, "all capabilities, host devices, no masking (unsafe)" },
	{ "json", OPT_JSON, NULL, "inspect only: write the report as JSON" },
	{ "seccomp", OPT_SECCOMP, "PROFILE", "system call filter file, or unconfined (default: docker's)" },
	{ "allow-new-privs", OPT_ALLOW_NEW_PRIVS, NULL, "let setuid and file capabilities raise privileges" },
	{ "quiet", 'q', NULL, "no banner, no warnings" },
	{ "verbose", OPT_VERBOSE, NULL, "say what carapace does" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 }
};

const struct option_doc init_options[] = {
	{ "forward-to-group", 'g', NULL, "forward signals to the child's process group" },
	{ "subreaper", 's', NULL, "register as child subreaper when not PID 1" },
	{ "quiet", 'q', NULL, "no warnings" },
	{ "verbose", 'v', NULL, "say what carapace does" },
	{ "help", 'h', NULL, "show this help" },
	{ 0 }
};


/* Builds getopt_long's tables from an option_doc table. */
void make_getopt_tables(const struct option_doc *doc, struct getopt_tables *t)
{
	struct option *l = t->longopts;
	char *s = t->shortopts;

	*s++ = '+';	/* stop at the first non-option: it is the command */
	*s++ = ':';	/* report a missing argument as ':' */
	for (; doc->name; doc++) {
		if (!*doc->name)	/* a help line that continues the one above */
			continue;
		if (l == t->longopts + sizeof t->longopts / sizeof *l - 1)
			die(EXIT_CANT_RUN, "internal error: more than %zu options",
			    sizeof t->longopts / sizeof *l - 1);
		*l++ = (struct option){ doc->name,
			doc->arg ? required_argument : no_argument, NULL, doc->val };
		if (doc->val < 256) {
			*s++ = (char)doc->val;
			if (doc->arg)
				*s++ = ':';
		}
	}
	*l = (struct option){ 0 };
	*s = '\0';
}

static void print_options(FILE *out, const struct option_doc *doc)
{
	for (; doc->name; doc++) {
		char left[64] = "";

		if (*doc->name)
			snprintf(left, sizeof left, "%c%c%s--%s%s%s",
				 doc->val < 256 ? '-' : ' ', doc->val < 256 ? doc->val : ' ',
				 doc->val < 256 ? ", " : "  ", doc->name,
				 doc->arg ? " " : "", doc->arg ? doc->arg : "");
		fprintf(out, "  %-28s %s\n", left, doc->help);
	}
}


static void usage_run(FILE *out, enum exec_action action)
{
	if (action == EXEC_INSPECT)
		fprintf(out, "Usage: carapace inspect [OPTIONS] [--] [COMMAND [ARG...]]\n"
			"Make the container as run would, and report from inside what COMMAND\n"
			"would get instead of running it: namespaces, ids, capabilities,\n"
			"seccomp, cgroup limits, masked paths and mounts.\n\nOptions:\n");
	else
		fprintf(out, "Usage: carapace run [OPTIONS] [--] COMMAND [ARG...]\n"
			"Run COMMAND in a new container.\n\nOptions:\n");
	print_options(out, run_options);
}

void usage_init(FILE *out)
{
	fprintf(out, "Usage: carapace init [OPTIONS] [--] PROGRAM [ARG...]\n"
		"Run PROGRAM under carapace's init, without namespaces (like tini).\n\n"
		"Options:\n");
	print_options(out, init_options);
}

void usage(FILE *out)
{
	fprintf(out, "Usage: carapace COMMAND [OPTIONS] ...\n\n"
		"Commands:\n"
		"  run     run a command in a new container\n"
		"  inspect report what a command would get in that container\n"
		"  init    run a program under carapace's init, without namespaces\n\n"
		"Options:\n"
		"  -h, --help     show this help (carapace COMMAND --help for a command)\n"
		"  -V, --version  show the version\n\n"
		"Exit status: the command's, 128+N if signal N killed it, 125 if carapace\n"
		"failed, 126 if the command can't be executed, 127 if it wasn't found.\n");
}

/* The one-line error for a bad option, as getopt_long left it. */
__attribute__((noreturn))
void die_bad_option(const char *cmd, int c, int argc, char **argv)
{
	/* musl leaves optind past argc after a trailing short option. */
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "";

	if (c == ':' && !strncmp(arg, "--", 2))
		die(EXIT_CANT_RUN, "%s: option %s needs an argument", cmd, arg);
	if (c == ':')
		die(EXIT_CANT_RUN, "%s: option -%c needs an argument", cmd, optopt);
	if (optopt && optopt < 256)
		die(EXIT_CANT_RUN, "%s: unknown option: -%c", cmd, optopt);
	die(EXIT_CANT_RUN, "%s: unknown option: %s", cmd, arg);
}

static unsigned long parse_number(const char *opt, const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (*s < '0' || *s > '9')
		die(EXIT_CANT_RUN, "%s: not a number: '%s'", opt, s);
	v = strtoul(s, &end, 10);
	if (*end || errno || v > max)
		die(EXIT_CANT_RUN, "%s: not a number from 0 to %lu: '%s'", opt, max, s);
	return v;
}

/* Docker's default capability set. */
static const uint64_t default_caps = CAP(CHOWN) | CAP(DAC_OVERRIDE) | CAP(FSETID) |
	CAP(FOWNER) | CAP(MKNOD) | CAP(NET_RAW) | CAP(SETGID) | CAP(SETUID) |
	CAP(SETFCAP) | CAP(SETPCAP) | CAP(NET_BIND_SERVICE) | CAP(SYS_CHROOT) |
	CAP(KILL) | CAP(AUDIT_WRITE);

/* What runc hides from, and makes read-only for, every container. */
static const char *const default_masked_paths[] = {
	"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};
static const char *const default_readonly_paths[] = {
	"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	"/proc/sysrq-trigger", NULL,
};
const char *const no_paths[] = { NULL };

/* The command line's bound on the root's tmpfs: --rootfs-size. */
#define DEFAULT_ROOTFS_SIZE ((int64_t)512 << 20)
/* The filesystems every container gets, as OCI's default config has them. */
static const struct mount_spec default_mounts[] = {
	{ "proc", "proc", "/proc", MS_SAFE, 0, NULL, NULL },
	{ "sysfs", "sysfs", "/sys", MS_SAFE | MS_RDONLY, 0, NULL, NULL },
	/* ~15 entries are carapace's. tmpfs's default inode count, half of RAM's
	 * pages, would let empty files eat the host's kernel memory. */
	{ "tmpfs", "tmpfs", "/dev", MS_NOSUID | MS_NOEXEC, 0, "mode=755,size=64k,nr_inodes=4k", NULL },
	/* max=: the host's ptys (kernel.pty.max, 4096) are shared by all instances. */
	{ "devpts", "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, 0,
	  "newinstance,ptmxmode=0666,mode=0620,gid=5,max=128", NULL },
	/* An inode per 4 KiB of its size, as every tmpfs carapace makes. */
	{ "tmpfs", "shm", "/dev/shm", MS_SAFE, 0, "mode=1777,size=65536k,nr_inodes=16k", NULL },
	{ "mqueue", "mqueue", "/dev/mqueue", MS_SAFE, 0, NULL, NULL },
};

/* What --mount may mount, and how unless its options say otherwise. */
static const struct mount_type {
	const char *type;
	unsigned long flags;
	const char *data;
} mount_types[] = {
	{ "bind", MS_BIND | MS_REC | MS_NOSUID, NULL },
	{ "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=64m" },	/* size=: a bound */
	{ "proc", MS_SAFE, NULL },
	{ "sysfs", MS_SAFE | MS_RDONLY, NULL },
	{ "mqueue", MS_SAFE, NULL },
	{ "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5,max=128" },
};

static const char default_path[] =
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

/* Sets NAME=VALUE in the container's environment, replacing NAME. */
void env_set(struct container *c, char *entry)
{
	size_t name_len = strcspn(entry, "=");
	size_t i;

	for (i = 0; i < c->process.env_len; i++) {
		if (!strncmp(c->process.env[i], entry, name_len + 1)) {
			c->process.env[i] = entry;
			return;
		}
	}
	c->process.env = xrealloc(c->process.env, (i + 2) * sizeof(char *));
	c->process.env[i] = entry;
	c->process.env[i + 1] = NULL;
	c->process.env_len++;
}

/* -e NAME=VALUE sets; -e NAME passes the host's value, if any, as docker does. */
static void env_option(struct container *c, char *arg)
{
	if (!*arg || *arg == '=')
		die(EXIT_CANT_RUN, "--env: expected NAME=VALUE: '%s'", arg);
	c->process.home_set |= !strncmp(arg, "HOME=", 5) || !strcmp(arg, "HOME");
	if (strchr(arg, '='))
		env_set(c, arg);
	else if (getenv(arg))
		env_set(c, xasprintf("%s=%s", arg, getenv(arg)));
}

/* Appends M to the container's mounts, which are mounted in this order. */
static void add_mount(struct container *c, const struct mount_spec *m)
{
	c->mounts = xrealloc(c->mounts, (c->mounts_len + 1) * sizeof *m);
	c->mounts[c->mounts_len++] = *m;
}

void spec_defaults(struct container *c)
{
	const char *rootfs = getenv("CARAPACE_ROOTFS");

	*c = (struct container){ 0 };
	c->root.path = rootfs && *rootfs ? rootfs : "./rootfs";
	c->root.fd = -1;
	c->hostname = "carapace";
	c->process.cwd = "/";
	c->namespaces = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
			CLONE_NEWNET | CLONE_NEWCGROUP;
	for (size_t i = 0; i < sizeof default_mounts / sizeof default_mounts[0]; i++)
		add_mount(c, &default_mounts[i]);
	c->limits.parent = "carapace";
	c->limits.pids = c->limits.memory = c->limits.memory_swap = -1;
	c->privileges.caps = default_caps;
	c->privileges.masked_paths = default_masked_paths;
	c->privileges.readonly_paths = default_readonly_paths;
	c->privileges.no_new_privs = true;
	c->init.stop_timeout = 10;
	env_set(c, (char *)default_path);
	env_set(c, "HOME=/root");
	if (getenv("TERM"))
		env_set(c, xasprintf("TERM=%s", getenv("TERM")));
}

/* SIZE: bytes, or with the suffix k, m or g (powers of 1024). */
int64_t parse_size(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);	/* which takes spaces and a sign: the test below doesn't */
	if (*end && !end[1])
		shift = *end == 'k' || *end == 'K' ? 10 : *end == 'm' || *end == 'M' ? 20 :
			*end == 'g' || *end == 'G' ? 30 : -1;
	if (!isdigit((unsigned char)*s) || errno || shift < 0 || (*end && end[1]) ||
	    v == 0 || v > (unsigned long long)(INT64_MAX >> shift))
		die(EXIT_CANT_RUN, "%s: not a size (bytes, or with k, m or g): '%s'", opt, s);
	return (int64_t)(v << shift);
}

/* --cpus 0.5 -> 50000us per 100000us period; at most 3 decimals, as docker. */
uint64_t parse_cpus(const char *s)
{
	size_t int_len = strspn(s, "0123456789");
	char *end;
	double v;

	/* Plain decimals only: strtod also takes spaces, signs, hex, inf and nan. */
	if (!int_len && s[0] != '.')
		die(EXIT_CANT_RUN, "--cpus: not a number from 0.001 to 1024: '%s'", s);
	if (s[int_len] && (s[int_len] != '.' ||
			   strspn(s + int_len + 1, "0123456789") != strlen(s + int_len + 1)))
		die(EXIT_CANT_RUN, "--cpus: not a number from 0.001 to 1024: '%s'", s);
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= 0.001) || v > 1024)
		die(EXIT_CANT_RUN, "--cpus: not a number from 0.001 to 1024: '%s'", s);
	return (uint64_t)(v * 100000 + 0.5);
}

const char *const cap_names[N_CAPS] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID",
	"SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST",
	"NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO",
	"SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE",
	"AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
	"BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
};
_Static_assert(CAP_CHECKPOINT_RESTORE == N_CAPS - 1, "a capability without a name");

/* A capability name, with or without CAP_, in any case; or ALL. */
static uint64_t parse_caps(const char *arg)
{
	const char *name = strncasecmp(arg, "CAP_", 4) ? arg : arg + 4;

	if (!strcasecmp(name, "ALL"))
		return (1ULL << N_CAPS) - 1;
	for (size_t i = 0; i < N_CAPS; i++)
		if (!strcasecmp(name, cap_names[i]))
			return 1ULL << i;
	die(EXIT_CANT_RUN, "--cap-add/--cap-drop: unknown capability: '%s'", arg);
}

static const struct { const char *name; int resource; } rlimit_names[] = {
	{ "as", RLIMIT_AS }, { "core", RLIMIT_CORE }, { "cpu", RLIMIT_CPU },
	{ "data", RLIMIT_DATA }, { "fsize", RLIMIT_FSIZE }, { "locks", RLIMIT_LOCKS },
	{ "memlock", RLIMIT_MEMLOCK }, { "msgqueue", RLIMIT_MSGQUEUE }, { "nice", RLIMIT_NICE },
	{ "nofile", RLIMIT_NOFILE }, { "nproc", RLIMIT_NPROC }, { "rss", RLIMIT_RSS },
	{ "rtprio", RLIMIT_RTPRIO }, { "rttime", RLIMIT_RTTIME },
	{ "sigpending", RLIMIT_SIGPENDING }, { "stack", RLIMIT_STACK },
};

static rlim_t parse_rlim(const char *arg, const char *s, size_t len)
{
	char buf[32], *end;
	unsigned long long v;

	if (!len || len >= sizeof buf)
		die(EXIT_CANT_RUN, "--ulimit: expected NAME=SOFT[:HARD]: '%s'", arg);
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!strcmp(buf, "unlimited") || !strcmp(buf, "-1"))
		return RLIM_INFINITY;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (*end || errno || buf[0] == '-')
		die(EXIT_CANT_RUN, "--ulimit: not a number or unlimited: '%s'", arg);
	return (rlim_t)v;
}

/* --ulimit nofile=1024:2048; a lone value sets both, as docker does. */
void parse_ulimit(struct container *c, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct rlimit_spec r = { arg, -1, { 0, 0 } };
	const char *colon;

	for (size_t i = 0; eq && i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
		if (strlen(rlimit_names[i].name) == (size_t)(eq - arg) &&
		    !strncmp(arg, rlimit_names[i].name, (size_t)(eq - arg)))
			r.resource = rlimit_names[i].resource;
	if (r.resource < 0)
		die(EXIT_CANT_RUN, "--ulimit: unknown limit (nofile, nproc, core, stack, ...): '%s'", arg);
	colon = strchr(eq + 1, ':');
	r.limit.rlim_cur = parse_rlim(arg, eq + 1, colon ? (size_t)(colon - eq - 1) : strlen(eq + 1));
	r.limit.rlim_max = colon ? parse_rlim(arg, colon + 1, strlen(colon + 1)) : r.limit.rlim_cur;
	if (r.limit.rlim_cur > r.limit.rlim_max)
		die(EXIT_CANT_RUN, "--ulimit: soft limit above hard limit: '%s'", arg);
	c->privileges.rlimits = xrealloc(c->privileges.rlimits,
					 (c->privileges.rlimits_len + 1) * sizeof r);
	c->privileges.rlimits[c->privileges.rlimits_len++] = r;
}

/* A CPU number of a --cpuset-cpus list, at P; moves P past it. */
static int cpuset_number(const char **p, const char *arg)
{
	size_t n = strspn(*p, "0123456789");
	int v = 0;

	if (!n || n > 4)
		die(EXIT_CANT_RUN, "--cpuset-cpus: not a CPU list like 0-2,4: '%s'", arg);
	for (size_t i = 0; i < n; i++)
		v = v * 10 + ((*p)[i] - '0');
	*p += n;
	return v;
}

/*
 * "0-2,4": items N or A-B with A <= B, none empty, each a CPU that this
 * process may run on. Checked now, before any cgroup exists: the kernel's
 * answer to a bad list, when the cgroup is written, names no CPU.
 */
void check_cpuset(const char *arg)
{
	cpu_set_t allowed;

	if (sched_getaffinity(0, sizeof allowed, &allowed))
		die_errno("--cpuset-cpus: sched_getaffinity");
	for (const char *p = arg;; p++) {
		int first = cpuset_number(&p, arg), last = first;

		if (*p == '-') {
			p++;
			last = cpuset_number(&p, arg);
		}
		if (last < first || (*p && *p != ','))
			die(EXIT_CANT_RUN, "--cpuset-cpus: not a CPU list like 0-2,4: '%s'", arg);
		for (int cpu = first; cpu <= last; cpu++)
			if (cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed))
				die(EXIT_CANT_RUN, "--cpuset-cpus: CPU %d is not one carapace may "
				    "run on (%d online): '%s'", cpu, (int)sysconf(_SC_NPROCESSORS_ONLN),
				    arg);
		if (!*p)
			return;
	}
}

/* Docker's floor: below it, a container is killed before it is set up. */
#define MIN_MEMORY (6 << 20)

static void parse_limit_option(struct container *c, int opt, const char *arg)
{
	switch (opt) {
	case OPT_PIDS:
		c->limits.pids = !strcmp(arg, "unlimited") ? -1 :
				 (int64_t)parse_number("--pids", arg, 4194304);
		if (!c->limits.pids)
			die(EXIT_CANT_RUN, "--pids: must be from 1 to 4194304, or unlimited: '%s'", arg);
		break;
	case OPT_MEMORY:
		c->limits.memory = parse_size("--memory", arg);
		if (c->limits.memory < MIN_MEMORY)
			die(EXIT_CANT_RUN, "--memory: at least 6m: '%s'", arg);
		break;
	case OPT_MEMORY_SWAP:
		c->limits.memory_swap = !strcmp(arg, "-1") ? -2 : parse_size("--memory-swap", arg);
		break;
	case OPT_CPUS: c->limits.cpu_quota = parse_cpus(arg); break;
	case OPT_CPU_WEIGHT:
		c->limits.cpu_weight = parse_number("--cpu-weight", arg, 10000);
		if (!c->limits.cpu_weight)
			die(EXIT_CANT_RUN, "--cpu-weight: must be from 1 to 10000: '%s'", arg);
		break;
	case OPT_CPU_SHARES:
		c->limits.cpu_shares = parse_number("--cpu-shares", arg, 262144);
		if (c->limits.cpu_shares < 2)
			die(EXIT_CANT_RUN, "--cpu-shares: must be from 2 to 262144: '%s'", arg);
		break;
	case OPT_CPUSET_CPUS:
		check_cpuset(arg);
		c->limits.cpuset_cpus = arg;
		break;
	case OPT_CGROUP_PARENT: c->limits.parent = arg; break;
	case OPT_NAME: c->limits.name = arg; break;
	}
}

/* A mount's options while they are parsed: flags to set and clear on its type's. */
struct mount_opts {
	unsigned long set, clear;
	unsigned long propagation;
	const char *data;	/* tmpfs's own options */
};

static unsigned long propagation_word(const char *word)
{
	return !strcmp(word, "private") ? MS_PRIVATE :
	       !strcmp(word, "rprivate") ? MS_PRIVATE | MS_REC :
	       !strcmp(word, "slave") ? MS_SLAVE :
	       !strcmp(word, "rslave") ? MS_SLAVE | MS_REC : 0;
}

/* ro, rw, nosuid, suid, nodev, dev, noexec, exec and propagation; false if WORD is none. */
static bool mount_word(struct mount_opts *o, const char *word)
{
	static const struct { const char *word; unsigned long flag; bool on; } words[] = {
		{ "ro", MS_RDONLY, true }, { "rw", MS_RDONLY, false },
		{ "nosuid", MS_NOSUID, true }, { "suid", MS_NOSUID, false },
		{ "nodev", MS_NODEV, true }, { "dev", MS_NODEV, false },
		{ "noexec", MS_NOEXEC, true }, { "exec", MS_NOEXEC, false },
	};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcmp(word, words[i].word))
			continue;
		o->set = words[i].on ? o->set | words[i].flag : o->set & ~words[i].flag;
		o->clear = words[i].on ? o->clear & ~words[i].flag : o->clear | words[i].flag;
		return true;
	}
	if (!propagation_word(word))
		return false;
	o->propagation = propagation_word(word);
	return true;
}

/* size=, mode=, uid=, gid= and nr_inodes=, tmpfs's; false if KV is none, or bad. */
static bool tmpfs_word(struct mount_opts *o, const char *kv)
{
	static const struct { const char *key, *chars; } keys[] = {
		{ "size=", "0123456789kKmMgG%" }, { "nr_inodes=", "0123456789kKmMgG" },
		{ "mode=", "01234567" }, { "uid=", "0123456789" }, { "gid=", "0123456789" },
	};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *value = kv + strlen(keys[i].key);

		if (strncmp(kv, keys[i].key, strlen(keys[i].key)))
			continue;
		if (!*value || strspn(value, keys[i].chars) != strlen(value))
			return false;
		o->data = o->data ? xasprintf("%s,%s", o->data, kv) : kv;
		return true;
	}
	return false;
}

/* Splits OPTS, a comma list, into O; TMPFS: tmpfs's own options are allowed. */
static void mount_words(const struct mount_spec *m, struct mount_opts *o, char *opts, bool tmpfs)
{
	for (char *w = opts, *next; w; w = next) {
		next = strchr(w, ',');
		if (next)
			*next++ = '\0';
		if (!mount_word(o, w) && !(tmpfs && tmpfs_word(o, w)))
			die(EXIT_CANT_RUN, "%s: unknown option: '%s'", m->origin, w);
	}
}

/*
 * DATA with an inode per 4 KiB of its (last) size=, unless it gives
 * nr_inodes= or an unbounded size=0: tmpfs's default, half of RAM's pages,
 * would let empty files, which size= doesn't count, fill the host's kernel
 * memory, which no OOM kill of the container gives back.
 */
static const char *tmpfs_bounded(const char *data)
{
	const char *size = NULL;
	unsigned long long v, bytes;
	struct sysinfo si;
	char *end;

	for (const char *p = data; p; p = strchr(p, ','), p = p ? p + 1 : NULL) {
		if (!strncmp(p, "nr_inodes=", 10))
			return data;
		if (!strncmp(p, "size=", 5))
			size = p + 5;
	}
	if (!size || (v = strtoull(size, &end, 10)) == 0 || end == size || v >> 33)
		return data;
	if (*end == '%')	/* of RAM, as the kernel takes it */
		bytes = sysinfo(&si) ? 0 : (unsigned long long)si.totalram * si.mem_unit / 100 * v;
	else
		bytes = v << (*end == 'k' || *end == 'K' ? 10 : *end == 'm' || *end == 'M' ? 20 :
			      *end == 'g' || *end == 'G' ? 30 : 0);
	if (!bytes || (bytes >> 12) > (1ULL << 31))
		return data;
	return xasprintf("%s,nr_inodes=%llu", data, (bytes >> 12) + 1);
}

/* Completes M with its type's defaults and O, checks it, and appends it. */
static void finish_mount(struct container *c, struct mount_spec *m, const struct mount_opts *o)
{
	const struct mount_type *t = NULL;
	bool bind = !strcmp(m->type, "bind");

	for (size_t i = 0; i < sizeof mount_types / sizeof mount_types[0]; i++)
		if (!strcmp(m->type, mount_types[i].type))
			t = &mount_types[i];
	if (!t)
		die(EXIT_CANT_RUN, "%s: unknown type '%s' (bind, tmpfs, proc, sysfs, mqueue, devpts)",
		    m->origin, m->type);
	if (!m->target || m->target[0] != '/')
		die(EXIT_CANT_RUN, "%s: the destination must be an absolute path", m->origin);
	if (bind && (!m->source || !*m->source))
		die(EXIT_CANT_RUN, "%s: a bind needs a source", m->origin);
	if (!bind && o->propagation)
		die(EXIT_CANT_RUN, "%s: propagation is for binds only", m->origin);
	if (o->data && strcmp(m->type, "tmpfs"))
		die(EXIT_CANT_RUN, "%s: size, mode, uid, gid and nr_inodes are for tmpfs only",
		    m->origin);
	if (!m->source)
		m->source = m->type;
	m->flags = (t->flags | o->set) & ~o->clear;
	m->propagation = o->propagation ? o->propagation : bind ? MS_PRIVATE | MS_REC : 0;
	/* tmpfs takes the last of a repeated option: the user's come last. */
	m->data = t->data && o->data ? xasprintf("%s,%s", t->data, o->data) :
		  o->data ? o->data : t->data;
	if (!strcmp(m->type, "tmpfs"))
		m->data = tmpfs_bounded(m->data);
	add_mount(c, m);
}

/* -v SRC:DST[:OPTS] */
static void volume_option(struct container *c, const char *arg)
{
	struct mount_spec m = { .type = "bind", .origin = xasprintf("volume %s", arg) };
	struct mount_opts o = { 0 };
	char *src = xasprintf("%s", arg), *dst = strchr(src, ':'), *opts;

	if (!dst || dst == src)
		die(EXIT_CANT_RUN, "%s: expected SRC:DST[:OPTS]", m.origin);
	*dst++ = '\0';
	opts = strchr(dst, ':');
	if (opts)
		*opts++ = '\0';
	m.source = src;
	m.target = dst;
	mount_words(&m, &o, opts, false);
	finish_mount(c, &m, &o);
}

/* --tmpfs DST[:OPTS] */
static void tmpfs_option(struct container *c, const char *arg)
{
	struct mount_spec m = { .type = "tmpfs", .origin = xasprintf("tmpfs %s", arg) };
	struct mount_opts o = { 0 };
	char *dst = xasprintf("%s", arg), *opts = strchr(dst, ':');

	if (opts)
		*opts++ = '\0';
	m.target = dst;
	mount_words(&m, &o, opts, true);
	finish_mount(c, &m, &o);
}

/* The value of WORD if it is KEY=VALUE, else NULL. */
static char *key_value(char *word, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(word, key, n) && word[n] == '=' ? word + n + 1 : NULL;
}

/* --mount type=T,src=S,dst=D,..., with docker's names for the keys too. */
static void mount_option(struct container *c, const char *arg)
{
	struct mount_spec m = { .origin = xasprintf("mount %s", arg) };
	struct mount_opts o = { 0 };
	char *v;

	for (char *w = xasprintf("%s", arg), *next; w; w = next) {
		next = strchr(w, ',');
		if (next)
			*next++ = '\0';
		if ((v = key_value(w, "type")))
			m.type = v;
		else if ((v = key_value(w, "src")) || (v = key_value(w, "source")))
			m.source = v;
		else if ((v = key_value(w, "dst")) || (v = key_value(w, "target")) ||
			 (v = key_value(w, "destination")))
			m.target = v;
		else if ((v = key_value(w, "readonly")) || (v = key_value(w, "ro"))) {
			bool on = !strcmp(v, "true") || !strcmp(v, "1");

			if (!on && strcmp(v, "false") && strcmp(v, "0"))
				die(EXIT_CANT_RUN, "%s: not true or false: '%s'", m.origin, w);
			mount_word(&o, on ? "ro" : "rw");
		} else if ((v = key_value(w, "bind-propagation")) && propagation_word(v))
			mount_word(&o, v);
		else if ((v = key_value(w, "tmpfs-size")) &&
			 tmpfs_word(&o, xasprintf("size=%s", v)))
			;
		else if ((v = key_value(w, "tmpfs-mode")) &&
			 tmpfs_word(&o, xasprintf("mode=%s", v)))
			;
		else if (!(!strcmp(w, "readonly") && mount_word(&o, "ro")) && !mount_word(&o, w) &&
			 !tmpfs_word(&o, w))
			die(EXIT_CANT_RUN, "%s: unknown option: '%s'", m.origin, w);
	}
	if (!m.type)
		die(EXIT_CANT_RUN, "%s: needs type=bind, tmpfs, proc, sysfs, mqueue or devpts",
		    m.origin);
	finish_mount(c, &m, &o);
}

/* Whether [A, A+N) and [B, B+M) share an id. */
bool ranges_overlap(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	return a < b + m && b < a + n;
}

/* IN:OUT:COUNT, as podman's --uidmap; the kernel refuses overlaps, so do we, first. */
static void parse_id_range(struct id_map *map, const char *opt, const char *arg)
{
	unsigned long v[3];
	char *end;
	const char *p = arg;

	for (int i = 0; i < 3; i++) {
		errno = 0;
		v[i] = strtoul(p, &end, 10);
		if (!isdigit((unsigned char)*p) || errno || v[i] > UINT32_MAX - 1 ||
		    *end != (i < 2 ? ':' : '\0'))
			die(EXIT_CANT_RUN, "%s: expected IN:OUT:COUNT: '%s'", opt, arg);
		p = end + 1;
	}
	if (!v[2] || v[0] + v[2] > UINT32_MAX || v[1] + v[2] > UINT32_MAX)
		die(EXIT_CANT_RUN, "%s: an empty range, or one past 4294967294: '%s'", opt, arg);
	for (size_t i = 0; i < map->len; i++) {
		const struct id_range *r = &map->ranges[i];

		if (ranges_overlap(v[0], v[2], r->inside, r->count) ||
		    ranges_overlap(v[1], v[2], r->outside, r->count))
			die(EXIT_CANT_RUN, "%s: '%s' overlaps an earlier range", opt, arg);
	}
	if (map->len == sizeof map->ranges / sizeof map->ranges[0])
		die(EXIT_CANT_RUN, "%s: at most %zu ranges", opt, map->len);
	map->ranges[map->len++] = (struct id_range){ v[0], v[1], v[2] };
}

/*
 * The command line's root: a throwaway overlay, so that the container's
 * root never writes the rootfs folder (a setuid file, a device) unless
 * asked to; its tmpfs is bounded, as the memory limit may not be given.
 */
static void root_defaults(struct container *c)
{
	if (c->root.rw && (c->root.overlay || c->root.readonly))
		die(EXIT_CANT_RUN, "--rootfs-rw: not with --read-only, --overlay or --overlay-dir");
	if (!c->root.rw && !c->root.readonly && !c->root.overlay)
		c->root.overlay = c->root.overlay_optional = true;
	/* Under a smaller --memory, the tmpfs fills before the OOM killer comes. */
	if (!c->root.size)
		c->root.size = c->limits.memory > 0 && c->limits.memory / 2 < DEFAULT_ROOTFS_SIZE ?
			       c->limits.memory / 2 : DEFAULT_ROOTFS_SIZE;
}

/* As podman's: plenty for a service, far below the host's pid_max. */
#define DEFAULT_PIDS 2048

void parse_run_options(struct container *c, int argc, char **argv)
{
	struct getopt_tables opts;
	const char *cmd = c->process.action == EXEC_INSPECT ? "inspect" : "run";
	bool pids_given = false;
	int opt;

	make_getopt_tables(run_options, &opts);
	opterr = 0;
	while ((opt = getopt_long(argc, argv, opts.shortopts, opts.longopts, NULL)) != -1) {
		pids_given |= opt == OPT_PIDS;
		switch (opt) {
		case 'r': c->root.path = optarg; break;
		case OPT_HOSTNAME: c->hostname = optarg; break;
		case 'e': env_option(c, optarg); break;
		case 'w': c->process.cwd = optarg; break;
		case 't': c->process.tty = TTY_ALWAYS; break;
		case 'T': c->process.tty = TTY_NEVER; break;
		case 'g': c->init.forward_to_group = true; break;
		case OPT_STOP_TIMEOUT:
			c->init.stop_timeout = parse_number("--stop-timeout", optarg, 86400);
			break;
		case OPT_PRESERVE_FDS:
			c->process.preserve_fds = parse_number("--preserve-fds", optarg, 1000);
			break;
		case OPT_NO_PIVOT: c->root.no_pivot = true; break;
		case OPT_PIDS ... OPT_NAME: parse_limit_option(c, opt, optarg); break;
		case 'u': c->privileges.user = optarg; break;
		case OPT_GROUP_ADD:
			c->privileges.groups_add = xrealloc(c->privileges.groups_add,
				(c->privileges.groups_add_len + 1) * sizeof(char *));
			c->privileges.groups_add[c->privileges.groups_add_len++] = optarg;
			break;
		case OPT_USERNS: c->namespaces |= CLONE_NEWUSER; break;
		case OPT_UIDMAP: parse_id_range(&c->userns.uids, "--uidmap", optarg); break;
		case OPT_GIDMAP: parse_id_range(&c->userns.gids, "--gidmap", optarg); break;
		case OPT_CAP_ADD: c->privileges.caps |= parse_caps(optarg); break;
		case OPT_CAP_DROP: c->privileges.caps &= ~parse_caps(optarg); break;
		case OPT_ULIMIT: parse_ulimit(c, optarg); break;
		case OPT_PRIVILEGED: c->privileges.privileged = true; break;
		case OPT_JSON: c->inspect.json = true; break;
		case OPT_SECCOMP: c->privileges.seccomp = optarg; break;
		case OPT_ALLOW_NEW_PRIVS: c->privileges.no_new_privs = false; break;
		case 'v': volume_option(c, optarg); break;
		case OPT_TMPFS: tmpfs_option(c, optarg); break;
		case OPT_MOUNT: mount_option(c, optarg); break;
		case OPT_READ_ONLY: c->root.readonly = true; break;
		case OPT_OVERLAY: c->root.overlay = true; break;
		case OPT_OVERLAY_DIR: c->root.overlay = true; c->root.overlay_dir = optarg; break;
		case OPT_ROOTFS_RW: c->root.rw = true; break;
		case OPT_ROOTFS_SIZE: c->root.size = parse_size("--rootfs-size", optarg); break;
		case 'q': log_threshold = LOG_ERROR; break;
		case OPT_VERBOSE: log_threshold = LOG_DEBUG; break;
		case 'h': usage_run(stdout, c->process.action); exit(0);
		default: die_bad_option(cmd, opt, argc, argv);
		}
	}
	/* A fork bomb stops here; --pids raises it, --pids unlimited removes it. */
	if (!pids_given) {
		c->limits.pids = DEFAULT_PIDS;
		c->limits.pids_default = true;
	}
	if (c->inspect.json && c->process.action != EXEC_INSPECT)
		die(EXIT_CANT_RUN, "run: --json: only carapace inspect has it");
	if (optind >= argc && c->process.action != EXEC_INSPECT)
		die(EXIT_CANT_RUN, "run: no command given (see carapace run --help)");
	c->process.argv = argv + optind;
	root_defaults(c);
}
