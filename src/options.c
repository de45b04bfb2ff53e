/*
 * options.c: the command line's front end. One table per command says,
 * for each option, its names, its argument, its help and what it does:
 * getopt's tables, the help and the dispatch are made from it, so that
 * none of them can miss an option or drift from the others.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/*
 * The command line as it is parsed: the container it fills, by a command's
 * table, and what the defaults, applied after it, need to know. A field
 * left 0 or NULL was not given; these say the rest.
 */
struct cmdline {
	struct container c;
	struct oci_args oci;		/* the OCI commands' options */
	const struct command *cmd;
	uint64_t caps_added, caps_dropped;	/* on docker's set, in order */
	bool stop_timeout_given;
	bool new_privs_allowed;
	bool docker_rm;		/* --rm: taken, as it is what carapace does anyway */
	const char *bundle;	/* --bundle: the config gives the rest */
	const char *not_with_bundle;	/* the first option given that it can't have */
	bool rootless;		/* carapace spec --rootless */
};

/*
 * What an option does with its argument: SET_STRING and SET_TRUE store
 * it, or true, in the field at FIELD in struct cmdline; CALL gives it to
 * CALL, which checks and parses it.
 */
enum option_kind { CALL, SET_STRING, SET_TRUE };

struct option_def {
	const char *name;	/* the long option; NULL ends a table */
	char letter;		/* the short option, or 0 */
	const char *arg;	/* its argument's name; NULL: it takes none */
	const char *help;	/* a newline in it: the rest goes on below */
	enum option_kind kind;
	unsigned short field;
	void (*call)(struct cmdline *cl, char *arg);
	bool with_bundle;	/* may go with --bundle, which gives the container */
};

/* FIELD's offset; one of another type than TYPE does not compile. */
#define FIELD(f, type) (offsetof(struct cmdline, f) + \
			0 * sizeof(_Generic(((struct cmdline *)0)->f, type: 0)))
_Static_assert(sizeof(struct cmdline) <= USHRT_MAX, "option_def.field can't hold an offset");
#define STRING(f) .kind = SET_STRING, .field = FIELD(f, const char *)
#define FLAG(f) .kind = SET_TRUE, .field = FIELD(f, bool)
#define CALLS(fn) .kind = CALL, .call = fn

/* A command with options: carapace NAME [OPTIONS] [--] OPERANDS. */
struct command {
	const char *name;
	const char *operands;
	const char *summary;	/* its line in carapace --help */
	const char *about;	/* the first lines of its own --help */
	const struct option_def *options;
	int (*run)(const struct oci_args *global, int argc, char **argv);
};

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

/* Docker's default capability set (also carapace spec's). */
const uint64_t default_caps = CAP(CHOWN) | CAP(DAC_OVERRIDE) | CAP(FSETID) |
	CAP(FOWNER) | CAP(MKNOD) | CAP(NET_RAW) | CAP(SETGID) | CAP(SETUID) |
	CAP(SETFCAP) | CAP(SETPCAP) | CAP(NET_BIND_SERVICE) | CAP(SYS_CHROOT) |
	CAP(KILL) | CAP(AUDIT_WRITE);

const char *const no_paths[] = { NULL };

/* The command line's bound on the root's tmpfs: --rootfs-size. */
#define DEFAULT_ROOTFS_SIZE ((int64_t)512 << 20)
/* The filesystems every container gets, as OCI's default config has them (and carapace spec's). */
const struct mount_spec default_mounts[N_DEFAULT_MOUNTS] = {
	{ "proc", "proc", "/proc", MS_SAFE, 0, NULL, NULL, MOUNT_BEFORE_ROOT_CHANGE },
	{ "sysfs", "sysfs", "/sys", MS_SAFE | MS_RDONLY, 0, NULL, NULL, MOUNT_BEFORE_ROOT_CHANGE },
	/* ~15 entries are carapace's. tmpfs's default inode count, half of RAM's
	 * pages, would let empty files eat the host's kernel memory. */
	{ "tmpfs", "tmpfs", "/dev", MS_NOSUID | MS_NOEXEC, 0, "mode=755,size=64k,nr_inodes=4k", NULL,
	  MOUNT_BEFORE_ROOT_CHANGE },
	/* max=: the host's ptys (kernel.pty.max, 4096) are shared by all instances. */
	{ "devpts", "devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC, 0,
	  "newinstance,ptmxmode=0666,mode=0620,gid=5,max=128", NULL, MOUNT_BEFORE_ROOT_CHANGE },
	/* An inode per 4 KiB of its size, as every tmpfs carapace makes. */
	{ "tmpfs", "shm", "/dev/shm", MS_SAFE, 0, "mode=1777,size=65536k,nr_inodes=16k", NULL,
	  MOUNT_BEFORE_ROOT_CHANGE },
	{ "mqueue", "mqueue", "/dev/mqueue", MS_SAFE, 0, NULL, NULL, MOUNT_BEFORE_ROOT_CHANGE },
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

/* Not const: an environment's entries are execve's char *, and none is cast. */
static char default_path[] =
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
static void env_option(struct cmdline *cl, char *arg)
{
	struct container *c = &cl->c;

	if (!*arg || *arg == '=')
		die(EXIT_CANT_RUN, "--env: expected NAME=VALUE: '%s'", arg);
	c->process.home_set |= !strncmp(arg, "HOME=", 5) || !strcmp(arg, "HOME");
	if (strchr(arg, '='))
		env_set(c, arg);
	else if (getenv(arg))
		env_set(c, xasprintf("%s=%s", arg, getenv(arg)));
}

/*
 * The variables of FILE in docker's --env-file format: NAME=VALUE lines,
 * the value as it is (no quotes, no trimming); a bare NAME takes the host's
 * value, or is left out if the host has none; blank lines and lines that
 * start with # are skipped. Returns them NULL-terminated.
 */
static char **env_file_vars(const char *file)
{
	struct text_file t;
	char **vars = xrealloc(NULL, sizeof *vars), *line;
	size_t n = 0;

	if (!open_text_file(&t, "--env-file: ", file))
		die(EXIT_CANT_RUN, "--env-file: %s: %s", file, strerror(ENOENT));
	while ((line = next_line(&t))) {
		size_t len, name;

		line += strspn(line, " \t");
		len = strlen(line);
		if (len && line[len - 1] == '\r')	/* a file written on Windows */
			line[len - 1] = '\0';
		if (!*line || *line == '#')
			continue;
		name = strcspn(line, "=");

		if (!name || strcspn(line, " \t") < name)
			die(EXIT_CANT_RUN, "--env-file: %s: line %d: expected NAME=VALUE or NAME: '%s'",
			    file, t.number, line);
		if (!line[name] && !getenv(line))
			continue;
		vars = xrealloc(vars, (n + 2) * sizeof *vars);
		vars[n++] = line[name] ? xasprintf("%s", line) :
			    xasprintf("%s=%s", line, getenv(line));
	}
	close_text_file(&t);
	vars[n] = NULL;
	return vars;
}

/* --env-file FILE: as many --env NAME=VALUE, in the file's order. */
static void env_file_option(struct cmdline *cl, char *arg)
{
	for (char **v = env_file_vars(arg); *v; v++)
		env_option(cl, *v);
}

/* Appends M to the container's mounts, which are mounted in this order. */
static void add_mount(struct container *c, const struct mount_spec *m)
{
	c->mounts = xrealloc(c->mounts, (c->mounts_len + 1) * sizeof *m);
	c->mounts[c->mounts_len++] = *m;
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
	unsigned long long nanos;
	const char *end;

	/* Plain decimals only: strtod also takes spaces, signs, hex, inf and nan. */
	if (!int_len && s[0] != '.')
		die(EXIT_CANT_RUN, "--cpus: not a number from 0.001 to 1024: '%s'", s);
	if (s[int_len] && (s[int_len] != '.' ||
			   strspn(s + int_len + 1, "0123456789") != strlen(s + int_len + 1)))
		die(EXIT_CANT_RUN, "--cpus: not a number from 0.001 to 1024: '%s'", s);
	end = scan_decimal(s, 9, &nanos);
	if (!end || *end || nanos < 1000000 || nanos > 1024000000000ULL)
		die(EXIT_CANT_RUN, "--cpus: not a number from 0.001 to 1024: '%s'", s);
	return (nanos + 5000) / 10000;
}

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

/* The resource of a limit's NAME: "nofile", or "NOFILE" (config.json's RLIMIT_NOFILE); -1: none. */
int rlimit_resource(const char *name)
{
	for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
		if (!strcasecmp(name, rlimit_names[i].name))
			return rlimit_names[i].resource;
	return -1;
}

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

static void ulimit_option(struct cmdline *cl, char *arg)
{
	parse_ulimit(&cl->c, arg);
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
				    "run on (%d online): '%s'", cpu, CPU_COUNT(&allowed),
				    arg);
		if (!*p)
			return;
	}
}

/* Docker's floor: below it, a container is killed before it is set up. */
#define MIN_MEMORY (6 << 20)

static void pids_option(struct cmdline *cl, char *arg)
{
	struct container *c = &cl->c;

	c->limits.pids = !strcmp(arg, "unlimited") ? -1 :
			 (int64_t)parse_number("--pids", arg, 4194304);
	if (!c->limits.pids)
		die(EXIT_CANT_RUN, "--pids: must be from 1 to 4194304, or unlimited: '%s'", arg);
}

static void memory_option(struct cmdline *cl, char *arg)
{
	cl->c.limits.memory = parse_size("--memory", arg);
	if (cl->c.limits.memory < MIN_MEMORY)
		die(EXIT_CANT_RUN, "--memory: at least 6m: '%s'", arg);
}

static void memory_swap_option(struct cmdline *cl, char *arg)
{
	cl->c.limits.memory_swap = !strcmp(arg, "-1") ? -2 : parse_size("--memory-swap", arg);
}

static void cpus_option(struct cmdline *cl, char *arg)
{
	cl->c.limits.cpu_quota = parse_cpus(arg);
}

static void cpu_weight_option(struct cmdline *cl, char *arg)
{
	cl->c.limits.cpu_weight = parse_number("--cpu-weight", arg, 10000);
	if (!cl->c.limits.cpu_weight)
		die(EXIT_CANT_RUN, "--cpu-weight: must be from 1 to 10000: '%s'", arg);
}

static void cpu_shares_option(struct cmdline *cl, char *arg)
{
	cl->c.limits.cpu_shares = parse_number("--cpu-shares", arg, 262144);
	if (cl->c.limits.cpu_shares < 2)
		die(EXIT_CANT_RUN, "--cpu-shares: must be from 2 to 262144: '%s'", arg);
}

static void cpuset_cpus_option(struct cmdline *cl, char *arg)
{
	check_cpuset(arg);
	cl->c.limits.cpuset_cpus = arg;
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

/*
 * size=, mode=, uid=, gid= and nr_inodes=, tmpfs's; false if KV is none of
 * them. A bad value is named (ORIGIN: the mount), not "unknown option".
 */
static bool tmpfs_word(struct mount_opts *o, const char *kv, const char *origin)
{
	static const struct { const char *key, *chars, *want; } keys[] = {
		{ "size=", "0123456789kKmMgG%", "bytes, with k, m, g or % of RAM" },
		{ "nr_inodes=", "0123456789kKmMgG", "a count, with k, m or g" },
		{ "mode=", "01234567", "octal" }, { "uid=", "0123456789", "a number" },
		{ "gid=", "0123456789", "a number" },
	};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		const char *value = kv + strlen(keys[i].key);

		if (strncmp(kv, keys[i].key, strlen(keys[i].key)))
			continue;
		if (!*value || strspn(value, keys[i].chars) != strlen(value))
			die(EXIT_CANT_RUN, "%s: bad %.*s value: '%s' (%s)", origin,
			    (int)strlen(keys[i].key) - 1, keys[i].key, value, keys[i].want);
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
		if (!mount_word(o, w) && !(tmpfs && tmpfs_word(o, w, m->origin)))
			die(EXIT_CANT_RUN, "%s: unknown option: '%s'", m->origin, w);
	}
}

/*
 * DATA with an inode per 4 KiB of its (last) size=, unless it gives
 * nr_inodes= or an unbounded size=0: tmpfs's default, half of RAM's pages,
 * would let empty files, which size= doesn't count, fill the host's kernel
 * memory, which no OOM kill of the container gives back.
 */
const char *tmpfs_bounded(const char *data)
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
	m->phase = MOUNT_AFTER_ROOT_CHANGE;	/* on top of the defaults */
	add_mount(c, m);
}

/* -v SRC:DST[:OPTS] */
static void volume_option(struct cmdline *cl, char *arg)
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
	finish_mount(&cl->c, &m, &o);
}

/* --tmpfs DST[:OPTS] */
static void tmpfs_option(struct cmdline *cl, char *arg)
{
	struct mount_spec m = { .type = "tmpfs", .origin = xasprintf("tmpfs %s", arg) };
	struct mount_opts o = { 0 };
	char *dst = xasprintf("%s", arg), *opts = strchr(dst, ':');

	if (opts)
		*opts++ = '\0';
	m.target = dst;
	mount_words(&m, &o, opts, true);
	finish_mount(&cl->c, &m, &o);
}

/* The value of WORD if it is KEY=VALUE, else NULL. */
static char *key_value(char *word, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(word, key, n) && word[n] == '=' ? word + n + 1 : NULL;
}

/* --mount type=T,src=S,dst=D,..., with docker's names for the keys too. */
static void mount_option(struct cmdline *cl, char *arg)
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
			 tmpfs_word(&o, xasprintf("size=%s", v), m.origin))
			;
		else if ((v = key_value(w, "tmpfs-mode")) &&
			 tmpfs_word(&o, xasprintf("mode=%s", v), m.origin))
			;
		else if (!(!strcmp(w, "readonly") && mount_word(&o, "ro")) && !mount_word(&o, w) &&
			 !tmpfs_word(&o, w, m.origin))
			die(EXIT_CANT_RUN, "%s: unknown option: '%s'", m.origin, w);
	}
	if (!m.type)
		die(EXIT_CANT_RUN, "%s: needs type=bind, tmpfs, proc, sysfs, mqueue or devpts",
		    m.origin);
	finish_mount(&cl->c, &m, &o);
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

/* The options' own handlers: those that are more than a field to fill. */

static void overlay_dir_option(struct cmdline *cl, char *arg)
{
	cl->c.root.overlay = true;
	cl->c.root.overlay_dir = arg;
}

/*
 * Checked here too: rootless, with no limit, the name makes no cgroup and
 * is dropped; it stays the container's ID in the state root (oci.id).
 */
static void name_option(struct cmdline *cl, char *arg)
{
	if (!valid_cgroup_path(arg, false) || !valid_container_id(arg))
		die(EXIT_CANT_RUN, "--name: not a valid name: '%.64s' (letters, digits and _.+-, not starting with a dot, at most 250 bytes)",
		    arg);
	cl->c.limits.name = cl->c.oci.id = arg;
}

static void rootfs_size_option(struct cmdline *cl, char *arg)
{
	cl->c.root.size = parse_size("--rootfs-size", arg);
}

static void tty_option(struct cmdline *cl, char *arg)
{
	(void)arg;
	cl->c.process.tty = TTY_ALWAYS;
}

static void no_tty_option(struct cmdline *cl, char *arg)
{
	(void)arg;
	cl->c.process.tty = TTY_NEVER;
}

static void stop_timeout_option(struct cmdline *cl, char *arg)
{
	cl->stop_timeout_given = true;
	cl->c.init.stop_timeout = parse_number("--stop-timeout", arg, 86400);
}

static void preserve_fds_option(struct cmdline *cl, char *arg)
{
	cl->c.process.preserve_fds = parse_number("--preserve-fds", arg, 1000);
}

static void group_add_option(struct cmdline *cl, char *arg)
{
	struct container *c = &cl->c;

	c->privileges.groups_add = xrealloc(c->privileges.groups_add,
		(c->privileges.groups_add_len + 1) * sizeof(char *));
	c->privileges.groups_add[c->privileges.groups_add_len++] = arg;
}

static void userns_option(struct cmdline *cl, char *arg)
{
	(void)arg;
	cl->c.namespaces |= CLONE_NEWUSER;
}

static void uidmap_option(struct cmdline *cl, char *arg)
{
	parse_id_range(&cl->c.userns.uids, "--uidmap", arg);
}

static void gidmap_option(struct cmdline *cl, char *arg)
{
	parse_id_range(&cl->c.userns.gids, "--gidmap", arg);
}

/* Each bit is added, dropped or docker's: the last --cap-add or --cap-drop of it wins. */
static void cap_add_option(struct cmdline *cl, char *arg)
{
	uint64_t caps = parse_caps(arg);

	cl->caps_added |= caps;
	cl->caps_dropped &= ~caps;
}

static void cap_drop_option(struct cmdline *cl, char *arg)
{
	uint64_t caps = parse_caps(arg);

	cl->caps_dropped |= caps;
	cl->caps_added &= ~caps;
}

static void network_option(struct cmdline *cl, char *arg)
{
	parse_network_option(&cl->c, arg);
}

static void publish_option(struct cmdline *cl, char *arg)
{
	parse_publish_option(&cl->c, arg);
}

static void quiet_option(struct cmdline *cl, char *arg)
{
	(void)cl, (void)arg;
	log_threshold = LOG_ERROR;
}

static void verbose_option(struct cmdline *cl, char *arg)
{
	(void)cl, (void)arg;
	log_threshold = LOG_DEBUG;
}

/* O in --help: its names, then its help, whose further lines go below, indented. */
static void print_option(FILE *out, const struct option_def *o)
{
	char left[64];
	const char *line = o->help;
	int len;

	snprintf(left, sizeof left, "%c%c%s--%s%s%s", o->letter ? '-' : ' ',
		 o->letter ? o->letter : ' ', o->letter ? ", " : "  ", o->name,
		 o->arg ? " " : "", o->arg ? o->arg : "");
	for (;;) {
		len = (int)strcspn(line, "\n");
		fprintf(out, "  %-28s %s%.*s\n", left, line == o->help ? "" : "  ", len, line);
		if (!line[len])
			return;
		line += len + 1;
		*left = '\0';
	}
}

static void usage_command(FILE *out, const struct command *cmd)
{
	fprintf(out, "Usage: carapace %s [OPTIONS] [--] %s\n%s\n\nOptions:\n",
		cmd->name, cmd->operands, cmd->about);
	for (const struct option_def *o = cmd->options; o->name; o++)
		print_option(out, o);
}

static void help_option(struct cmdline *cl, char *arg)
{
	(void)arg;
	usage_command(stdout, cl->cmd);
	exit(0);
}

/* -i: stdin is passed on anyway, as docker's -i would. */
static void interactive_option(struct cmdline *cl, char *arg)
{
	(void)cl, (void)arg;
}

/* The tables: the one place that says which options there are. */

static const struct option_def run_options[] = {
	{ "bundle", 'b', "DIR", "run the OCI bundle DIR: its config.json gives the container\n"
	  "and the command, instead of the other options", STRING(bundle), .with_bundle = true },
	{ "rootfs", 'r', "DIR", "root filesystem (default $CARAPACE_ROOTFS, else ./rootfs)\n"
	  "or a tarball, .tar[.gz|.xz|.bz2|.zst] (or by its content; -: on stdin),\n"
	  "unpacked into memory", STRING(c.root.path) },
	{ "volume", 'v', "SRC:DST[:OPTS]",
	  "bind the host's SRC on DST; OPTS: ro, nodev, noexec, rslave...", CALLS(volume_option) },
	{ "tmpfs", 0, "DST[:OPTS]", "mount a tmpfs on DST; OPTS: size= (default 64m), mode=1777,\n"
	  "ro, exec...", CALLS(tmpfs_option) },
	{ "mount", 0, "KEY=VALUE,...", "mount anything: type=bind|tmpfs|proc|sysfs|mqueue|devpts,\n"
	  "src=SRC, dst=DST and the options of -v and --tmpfs", CALLS(mount_option) },
	{ "read-only", 0, NULL,
	  "read-only root, its submounts too; volumes, tmpfs and /dev keep theirs",
	  FLAG(c.root.readonly) },
	{ "overlay", 0, NULL, "the default: write to an overlay in memory, thrown away at the\n"
	  "end; the rootfs folder stays untouched", FLAG(c.root.overlay) },
	{ "overlay-dir", 0, "DIR", "like --overlay, but keep the changes in DIR: setuid files too\n"
	  "(DIR is made, 0700, if missing)",
	  CALLS(overlay_dir_option) },
	{ "rootfs-rw", 0, NULL, "write the rootfs folder itself: the container's root can leave\n"
	  "setuid files there, and fill its disk (unsafe)", FLAG(c.root.rw) },
	{ "rootfs-size", 0, "SIZE", "the root's memory: the overlay's changes, or the unpacked\n"
	  "tarball and its changes (default 512m, or half of --memory)", CALLS(rootfs_size_option) },
	{ "cache", 0, "DIR", "root's tarballs are unpacked once into DIR, root's alone, and\n"
	  "shared read-only (default $CARAPACE_CACHE, else " CACHE_DIR ");\n"
	  "none: into memory for each container; carapace prune empties it",
	  STRING(c.root.cache) },
	{ "hostname", 0, "NAME", "hostname in the container (default carapace)", STRING(c.hostname) },
	{ "network", 0, "MODE", "none (the default: only lo), host, bridge, ns:PATH or\n"
	  "container:NAME (see Networking in the README)", CALLS(network_option) },
	{ "subnet", 0, "CIDR", "the bridge's subnet (default " NETWORK_DEFAULT_SUBNET ")",
	  STRING(c.network.subnet) },
	{ "publish", 'p', "[IP:]HOST:CONTAINER[/udp]", "publish a container port on the host\n"
	  "(repeatable; implies --network bridge)", CALLS(publish_option) },
	{ "env", 'e', "NAME=VALUE", "set an environment variable (repeatable)", CALLS(env_option) },
	{ "env-file", 0, "FILE", "set the variables of FILE: docker's NAME=VALUE lines, # comments;\n"
	  "a bare NAME passes the host's value (repeatable)", CALLS(env_file_option) },
	{ "workdir", 'w', "DIR", "working directory in the container (default /)",
	  STRING(c.process.cwd) },
	{ "tty", 't', NULL, "give the workload a pty even when stdin is no terminal",
	  CALLS(tty_option) },
	{ "interactive", 'i', NULL, "taken for docker's sake: stdin is always passed on",
	  CALLS(interactive_option) },
	{ "no-tty", 'T', NULL, "never give the workload a pty", CALLS(no_tty_option) },
	{ "forward-to-group", 'g', NULL, "forward signals to the workload's process group",
	  FLAG(c.init.forward_to_group) },
	{ "stop-timeout", 0, "SECONDS", "after TERM or INT, kill the container this late (default 10)",
	  CALLS(stop_timeout_option) },
	{ "preserve-fds", 0, "N", "pass fds 3 to 2+N to the workload", CALLS(preserve_fds_option) },
	{ "no-pivot", 0, NULL, "use MS_MOVE and chroot instead of pivot_root (less safe)",
	  FLAG(c.root.no_pivot) },
	{ "pids", 0, "N", "at most N processes, or unlimited (default 2048)", CALLS(pids_option) },
	{ "memory", 0, "SIZE", "memory limit; SIZE in bytes, or with k, m or g",
	  CALLS(memory_option) },
	{ "memory-swap", 0, "SIZE", "memory plus swap limit (-1: unlimited swap)",
	  CALLS(memory_swap_option) },
	{ "cpus", 0, "FLOAT", "CPU time, in CPUs (0.5: half of one)", CALLS(cpus_option) },
	{ "cpu-weight", 0, "N", "relative CPU weight, 1 to 10000 (v2 style)",
	  CALLS(cpu_weight_option) },
	{ "cpu-shares", 0, "N", "relative CPU shares, 2 to 262144 (v1 style)",
	  CALLS(cpu_shares_option) },
	{ "cpuset-cpus", 0, "LIST", "CPUs the container may use, e.g. 0-1,3",
	  CALLS(cpuset_cpus_option) },
	{ "cgroup-parent", 0, "PATH", "parent cgroup, from the hierarchy's root (default carapace)",
	  STRING(c.limits.parent) },
	{ "name", 'n', "NAME", "container name, also its cgroup's and its ID under --root\n"
	  "(default: unique)", CALLS(name_option), .with_bundle = true },
	{ "detach", 'd', NULL, "run in the background: print the name and return; logs, stop,\n"
	  "wait and rm take it from there", FLAG(c.process.detach), .with_bundle = true },
	{ "rm", 0, NULL, "taken for docker's sake: a container leaves nothing behind when it\n"
	  "ends, always (but a -d one's state and log, until carapace rm)", FLAG(docker_rm),
	  .with_bundle = true },
	{ "user", 'u', "USER[:GROUP]", "run as USER (name or number, from the container's /etc/passwd)",
	  STRING(c.privileges.user) },
	{ "group-add", 0, "GROUP", "add a supplementary group (repeatable)", CALLS(group_add_option) },
	{ "userns", 0, NULL, "a user namespace: root inside is no root outside (rootless: always)",
	  CALLS(userns_option) },
	{ "uidmap", 0, "IN:OUT:COUNT", "map COUNT uids from IN in the container to OUT (repeatable)",
	  CALLS(uidmap_option) },
	{ "gidmap", 0, "IN:OUT:COUNT", "the same for gids (default: as --uidmap)",
	  CALLS(gidmap_option) },
	{ "cap-add", 0, "CAP", "add a capability (NAME, CAP_NAME or ALL; repeatable)",
	  CALLS(cap_add_option) },
	{ "cap-drop", 0, "CAP", "drop a capability (NAME, CAP_NAME or ALL; repeatable)",
	  CALLS(cap_drop_option) },
	{ "ulimit", 0, "NAME=SOFT[:HARD]", "set a resource limit, e.g. nofile=1024:2048",
	  CALLS(ulimit_option) },
	{ "privileged", 0, NULL, "all capabilities, host devices, no masking (unsafe)",
	  FLAG(c.privileges.privileged) },
	{ "json", 0, NULL, "inspect only: write the report as JSON", FLAG(c.inspect.json),
	  .with_bundle = true },
	{ "seccomp", 0, "PROFILE", "system call filter file, or unconfined (default: docker's)",
	  STRING(c.privileges.seccomp) },
	{ "allow-new-privs", 0, NULL, "let setuid and file capabilities raise privileges",
	  FLAG(new_privs_allowed) },
	{ "quiet", 'q', NULL, "no banner, no warnings", CALLS(quiet_option), .with_bundle = true },
	{ "verbose", 0, NULL, "say what carapace does", CALLS(verbose_option),
	  .with_bundle = true },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def init_options[] = {
	{ "forward-to-group", 'g', NULL, "forward signals to the child's process group",
	  FLAG(c.init.forward_to_group) },
	{ "subreaper", 's', NULL, "register as child subreaper when not PID 1",
	  FLAG(c.init.subreaper) },
	{ "quiet", 'q', NULL, "no warnings", CALLS(quiet_option) },
	{ "verbose", 'v', NULL, "say what carapace does", CALLS(verbose_option) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static int parse_options(struct cmdline *cl, int argc, char **argv);

static const struct option_def spec_options[] = {
	{ "bundle", 'b', "DIR", "write DIR/config.json (default: ./config.json)",
	  STRING(c.oci.bundle) },
	{ "rootless", 0, NULL, "for an ordinary user: a user namespace mapping only you",
	  FLAG(rootless) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};


static void preserve_fds_oci_option(struct cmdline *cl, char *arg)
{
	cl->oci.preserve_fds = (int)parse_number("--preserve-fds", arg, 1000);
}

static void debug_option(struct cmdline *cl, char *arg)
{
	(void)cl, (void)arg;
	log_threshold = LOG_DEBUG;
}

static void log_format_option(struct cmdline *cl, char *arg)
{
	if (strcmp(arg, "text") && strcmp(arg, "json"))
		die(EXIT_CANT_RUN, "--log-format: text or json, not '%s'", arg);
	cl->oci.log_format = arg;
}

/* runc's --rootless true|false|auto: carapace tells by its effective uid. */
static void rootless_option(struct cmdline *cl, char *arg)
{
	(void)cl;
	if (strcmp(arg, "true") && strcmp(arg, "false") && strcmp(arg, "auto"))
		die(EXIT_CANT_RUN, "--rootless: true, false or auto, not '%s'", arg);
}

static void version_option(struct cmdline *cl, char *arg)
{
	(void)cl, (void)arg;
	printf("carapace %s\n", CARAPACE_VERSION);
	exit(0);
}

static void global_help_option(struct cmdline *cl, char *arg)
{
	(void)cl, (void)arg;
	usage(stdout);
	exit(0);
}

/* Before the command, as runc takes them: engines give them to every command. */
static const struct option_def global_options[] = {
	{ "root", 0, "DIR", "the containers' state, OCI's and run's (default /run/carapace;\n"
	  "rootless: $XDG_RUNTIME_DIR/carapace)", STRING(oci.root) },
	{ "log", 0, "FILE", "OCI: write errors to FILE too", STRING(oci.log) },
	{ "log-format", 0, "FORMAT", "OCI: text, or json (one object a line, as runc's)",
	  CALLS(log_format_option) },
	{ "debug", 0, NULL, "say what carapace does", CALLS(debug_option) },
	{ "systemd-cgroup", 0, NULL, "refused: carapace writes cgroupfs itself, without systemd",
	  FLAG(oci.systemd_cgroup) },
	{ "rootless", 0, "true|false|auto", "taken for runc's sake: carapace tells by its uid",
	  CALLS(rootless_option) },
	{ "help", 'h', NULL, "show this help (carapace COMMAND --help for a command)",
	  CALLS(global_help_option) },
	{ "version", 'V', NULL, "show the version", CALLS(version_option) },
	{ 0 }
};

/* update: runc's flags; a limit not given is kept. */

/* -1 (or unlimited) is no limit; else from 1 to MAX. */
static int64_t limit_or_none(const char *opt, const char *arg, unsigned long max)
{
	unsigned long v;

	if (!strcmp(arg, "-1") || !strcmp(arg, "unlimited"))
		return -1;
	if (!(v = parse_number(opt, arg, max)))
		die(EXIT_CANT_RUN, "%s: must be from 1 to %lu, or -1 (no limit): '%s'", opt, max, arg);
	return (int64_t)v;
}

static void update_memory_option(struct cmdline *cl, char *arg)
{
	cl->c.limits.memory = !strcmp(arg, "-1") ? -1 : parse_size("--memory", arg);
	if (cl->c.limits.memory >= 0 && cl->c.limits.memory < MIN_MEMORY)
		die(EXIT_CANT_RUN, "--memory: at least 6m: '%s'", arg);
}

static void memory_reservation_option(struct cmdline *cl, char *arg)
{
	cl->c.oci.resources.memory_reservation = parse_size("--memory-reservation", arg);
}

static void pids_limit_option(struct cmdline *cl, char *arg)
{
	cl->c.limits.pids = limit_or_none("--pids-limit", arg, 4194304);
}

static void cpu_quota_option(struct cmdline *cl, char *arg)
{
	int64_t v = limit_or_none("--cpu-quota", arg, 1000000000);

	if (v >= 0 && v < 1000)
		die(EXIT_CANT_RUN, "--cpu-quota: at least 1000 us, or -1 (no limit): '%s'", arg);
	cl->c.limits.cpu_quota = v < 0 ? UINT64_MAX : (uint64_t)v;
}

static void cpu_period_option(struct cmdline *cl, char *arg)
{
	cl->c.oci.resources.cpu_period = parse_number("--cpu-period", arg, 1000000);
	if (cl->c.oci.resources.cpu_period < 1000)
		die(EXIT_CANT_RUN, "--cpu-period: must be from 1000 to 1000000 us: '%s'", arg);
}

static void cpuset_mems_option(struct cmdline *cl, char *arg)
{
	check_cpuset(arg);
	cl->c.oci.resources.cpuset_mems = arg;
}

static void blkio_weight_option(struct cmdline *cl, char *arg)
{
	cl->c.oci.resources.blkio_weight = (uint16_t)parse_number("--blkio-weight", arg, 1000);
	if (cl->c.oci.resources.blkio_weight < 10)
		die(EXIT_CANT_RUN, "--blkio-weight: must be from 10 to 1000: '%s'", arg);
}

static void resources_option(struct cmdline *cl, char *arg)
{
	read_resources(&cl->c, arg);
}

static const struct option_def update_options[] = {
	{ "resources", 'r', "FILE", "the limits as an OCI linux.resources JSON object (- for\n"
	  "stdin), as engines send them; the options after it win", CALLS(resources_option) },
	{ "memory", 0, "SIZE", "memory limit: bytes, or with k, m or g; -1: none",
	  CALLS(update_memory_option) },
	{ "memory-swap", 0, "SIZE", "memory plus swap limit; -1: unlimited swap",
	  CALLS(memory_swap_option) },
	{ "memory-reservation", 0, "SIZE", "memory soft limit (v1 soft_limit_in_bytes, v2 memory.low)",
	  CALLS(memory_reservation_option) },
	{ "pids-limit", 0, "N", "at most N processes; -1: no limit", CALLS(pids_limit_option) },
	{ "cpu-quota", 0, "US", "CPU time in us per period; -1: no limit", CALLS(cpu_quota_option) },
	{ "cpu-period", 0, "US", "the CPU quota's period, 1000 to 1000000 us",
	  CALLS(cpu_period_option) },
	{ "cpu-shares", 0, "N", "relative CPU shares, 2 to 262144 (v2: as cpu.weight)",
	  CALLS(cpu_shares_option) },
	{ "cpuset-cpus", 0, "LIST", "CPUs the container may use, e.g. 0-1,3",
	  CALLS(cpuset_cpus_option) },
	{ "cpuset-mems", 0, "LIST", "memory nodes the container may use", CALLS(cpuset_mems_option) },
	{ "blkio-weight", 0, "N", "relative I/O weight, 10 to 1000", CALLS(blkio_weight_option) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def events_options[] = {
	{ "stats", 0, NULL, "print one stats event and exit", FLAG(oci.stats) },
	{ "interval", 0, "DURATION", "between stats events: 5s (the default), 500ms, 1m...",
	  STRING(oci.interval) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def create_options[] = {
	{ "bundle", 'b', "DIR", "the bundle: config.json and the root it names (default .)",
	  STRING(oci.bundle) },
	{ "pid-file", 0, "FILE", "write the container's pid (its init's, on the host) to FILE",
	  STRING(oci.pid_file) },
	{ "console-socket", 0, "SOCKET", "with terminal: true, send the pty's master there",
	  STRING(oci.console_socket) },
	{ "preserve-fds", 0, "N", "pass fds 3 to 2+N to the process", CALLS(preserve_fds_oci_option) },
	{ "no-pivot", 0, NULL, "use MS_MOVE and chroot instead of pivot_root (less safe)",
	  FLAG(oci.no_pivot) },
	{ "no-new-keyring", 0, NULL, "keep the caller's session keyring (default: a new one)",
	  FLAG(oci.no_new_keyring) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def help_only_options[] = {
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def kill_options[] = {
	{ "all", 'a', NULL, "signal every process of the container, not only its init",
	  FLAG(oci.all) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def delete_options[] = {
	{ "force", 'f', NULL, "kill a running container first", FLAG(oci.force) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def list_options[] = {
	{ "quiet", 'q', NULL, "only the IDs", FLAG(oci.quiet) },
	{ "format", 'f', "FORMAT", "table (the default) or json", STRING(oci.format) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def logs_options[] = {
	{ "follow", 'f', NULL, "go on printing what it writes, until it ends", FLAG(oci.follow) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def stop_options[] = {
	{ "time", 't', "SECONDS", "after TERM, wait this long before KILL (default 10)",
	  STRING(oci.timeout) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def rm_options[] = {
	{ "force", 'f', NULL, "kill a running container first", FLAG(oci.force) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def prune_options[] = {
	{ "cache", 0, "DIR", "the cache of run --cache DIR (default $CARAPACE_CACHE, else\n"
	  CACHE_DIR ")", STRING(oci.cache) },
	{ "keep", 0, "SIZE", "keep the last used entries that fit in SIZE (k, m or g), as\n"
	  "--rootfs-size counts them", STRING(oci.keep) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

static const struct option_def ps_options[] = {
	{ "format", 'f', "FORMAT", "table (the default: PID and CMD) or json (a list of pids)",
	  STRING(oci.format) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

/* exec's own handlers: what it adds to the process it runs (src/exec.c). */
static void exec_env_option(struct cmdline *cl, char *arg)
{
	typeof(cl->oci.exec) *e = &cl->oci.exec;

	if (!*arg || *arg == '=')
		die(EXIT_CANT_RUN, "exec: --env: expected NAME=VALUE: '%s'", arg);
	if (!strchr(arg, '=')) {
		if (!getenv(arg))
			return;
		arg = xasprintf("%s=%s", arg, getenv(arg));
	}
	e->env = xrealloc(e->env, (e->env_len + 1) * sizeof *e->env);
	e->env[e->env_len++] = arg;
}

static void exec_cap_option(struct cmdline *cl, char *arg)
{
	cl->oci.exec.caps |= parse_caps(arg);
}

static const struct option_def exec_options[] = {
	{ "process", 'p', "FILE", "the process to run: a runtime spec process object (args,\n"
	  "env, cwd, user, capabilities, rlimits...) instead of COMMAND", STRING(oci.exec.process) },
	{ "detach", 'd', NULL, "return once the process runs: the caller, or its subreaper,\n"
	  "waits for it", FLAG(oci.exec.detach) },
	{ "tty", 't', NULL, "a pty from the container's devpts for the process", FLAG(oci.exec.tty) },
	{ "interactive", 'i', NULL, "taken for docker's sake: stdin is always passed",
	  CALLS(interactive_option) },
	{ "console-socket", 0, "SOCKET", "with --tty, send the pty's master there",
	  STRING(oci.console_socket) },
	{ "pid-file", 0, "FILE", "write the process's pid, on the host, to FILE",
	  STRING(oci.pid_file) },
	{ "preserve-fds", 0, "N", "pass fds 3 to 2+N to the process (at most 1000)",
	  CALLS(preserve_fds_oci_option) },
	{ "cwd", 'w', "DIR", "working directory in the container (default: the container's)",
	  STRING(oci.exec.cwd) },
	{ "env", 'e', "NAME=VALUE", "set an environment variable (repeatable)",
	  CALLS(exec_env_option) },
	{ "user", 'u', "USER[:GROUP]", "user and group, names from the container's /etc/passwd\n"
	  "and /etc/group, or numbers", STRING(oci.exec.user) },
	{ "cap", 'c', "CAP", "add a capability the container's bounding set has (repeatable)",
	  CALLS(exec_cap_option) },
	{ "no-new-privs", 0, NULL, "set no_new_privs: setuid and file capabilities give nothing",
	  FLAG(oci.exec.no_new_privs) },
	{ "help", 'h', NULL, "show this help", CALLS(help_option) },
	{ 0 }
};

enum { CMD_RUN, CMD_INSPECT, CMD_INIT, CMD_CREATE, CMD_START, CMD_STATE, CMD_KILL,
       CMD_DELETE, CMD_LIST, CMD_PS, CMD_PAUSE, CMD_RESUME, CMD_SPEC, CMD_FEATURES,
       CMD_EXEC, CMD_UPDATE, CMD_EVENTS, CMD_LOGS, CMD_STOP, CMD_RM, CMD_WAIT, CMD_PRUNE, N_COMMANDS };
/* The commands, in carapace --help's order; main() runs them from here. */
static const struct command commands[N_COMMANDS] = {
	[CMD_RUN] = { "run", "COMMAND [ARG...]", "run a command in a new container",
		      "Run COMMAND in a new container.", run_options, cmd_run },
	[CMD_INSPECT] = { "inspect", "[COMMAND [ARG...]]",
			  "report what a command would get in that container",
			  "Make the container as run would, and report from inside what COMMAND\n"
			  "would get instead of running it: namespaces, ids, capabilities,\n"
			  "seccomp, cgroup limits, masked paths and mounts.", run_options,
			  cmd_inspect },
	[CMD_INIT] = { "init", "PROGRAM [ARG...]",
		       "run a program under carapace's init, without namespaces",
		       "Run PROGRAM under carapace's init, without namespaces (like tini).",
		       init_options, cmd_init },
	[CMD_CREATE] = { "create", "ID", "OCI: set a bundle's container up; start runs it",
			 "Make container ID from an OCI bundle (config.json and its root), with\n"
			 "carapace's init as its PID 1, and return: its process waits for start.",
			 create_options, cmd_create },
	[CMD_START] = { "start", "ID", "OCI: run the process of a created container",
			"Run the process of container ID, made by create.", help_only_options,
			cmd_start },
	[CMD_STATE] = { "state", "ID", "OCI: print a container's state as JSON",
			"Print the state of container ID, as the OCI runtime spec says.",
			help_only_options, cmd_state },
	[CMD_KILL] = { "kill", "ID [SIGNAL]", "OCI: send a signal to a container",
		       "Send SIGNAL (a number or a name; default TERM) to the init of container\n"
		       "ID, which passes it on to the process; KILL ends the container.",
		       kill_options, cmd_kill },
	[CMD_DELETE] = { "delete", "ID", "OCI: remove a stopped container",
			 "Remove container ID: its cgroups and its state. A running one only with\n"
			 "--force, which kills it first.", delete_options, cmd_delete },
	[CMD_LIST] = { "list", "", "OCI: list the containers",
		       "List the containers under --root.", list_options, cmd_list },
	[CMD_PS] = { "ps", "[ID]", "list the containers, or a container's processes",
		     "Without ID: the containers under --root, as docker ps: NAME, STATUS, PID,\n"
		     "CREATED and COMMAND. With ID (OCI): the processes of container ID, from\n"
		     "its cgroups, as host pids: PID and CMD, or with --format json a list of\n"
		     "pids (containerd reads it).",
		     ps_options, cmd_ps },
	[CMD_PAUSE] = { "pause", "ID", "OCI: freeze every process of a container",
			"Freeze every process of running container ID: the v1 freezer cgroup, or\n"
			"v2's cgroup.freeze. state then says paused; resume thaws it.",
			help_only_options, cmd_pause },
	[CMD_RESUME] = { "resume", "ID", "OCI: thaw a paused container",
			 "Thaw every process of container ID, paused by pause.", help_only_options,
			 cmd_resume },
	[CMD_EXEC] = { "exec", "ID [COMMAND [ARG...]]",
		       "run a command in a running container (OCI and docker's form)",
		       "Run COMMAND, or --process FILE's process, in running container ID (an\n"
		       "OCI ID, or a name of carapace run --name): its namespaces, cgroup, root,\n"
		       "user, capabilities, seccomp filter and rlimits. Its exit status is\n"
		       "exec's, unless --detach.", exec_options, cmd_exec },
	[CMD_SPEC] = { "spec", "", "OCI: write a config.json with carapace's secure defaults",
		       "Write an OCI config.json with carapace's defaults: docker's capabilities,\n"
		       "masked and read-only paths, no_new_privs, pids 2048. An existing one is\n"
		       "never overwritten.", spec_options, cmd_spec },
	[CMD_FEATURES] = { "features", "", "OCI: print what carapace supports, as runc features",
			   "Print, as JSON, what carapace supports of the OCI runtime spec.",
			   help_only_options, cmd_features },
	[CMD_UPDATE] = { "update", "ID", "OCI: change the limits of a running container",
			 "Change the cgroup limits of running container ID at once: the kernel\n"
			 "enforces them from then on. A limit not given is kept.", update_options,
			 cmd_update },
	[CMD_EVENTS] = { "events", "ID", "OCI: print a container's usage and OOM kills as JSON",
			 "Print events of container ID, one JSON object a line, as runc's: stats\n"
			 "(cpu, memory, pids) every --interval, and oom when the OOM killer kills\n"
			 "in it, until the container ends; with --stats, one stats event.",
			 events_options, cmd_events },
	[CMD_LOGS] = { "logs", "NAME", "print what a detached container wrote",
		       "Print the stdout and stderr of container NAME, started with run -d, as\n"
		       "its monitor kept them (the last 2 MiB at most).", logs_options, cmd_logs },
	[CMD_STOP] = { "stop", "NAME", "stop a container: TERM, then KILL",
		       "Send TERM to container NAME, and KILL if it still runs after --time\n"
		       "seconds; return once it has ended.", stop_options, cmd_stop },
	[CMD_RM] = { "rm", "NAME", "remove a stopped container started by run",
		     "Remove container NAME, started with run -d: its state and its log. A\n"
		     "running one only with --force, which kills it first.", rm_options, cmd_rm },
	[CMD_WAIT] = { "wait", "NAME", "wait for a container to end; print its status",
		       "Wait until container NAME, started with run -d, has ended, and print its\n"
		       "exit status (128+N if signal N killed it).", help_only_options, cmd_wait },
	[CMD_PRUNE] = { "prune", "", "remove the cached tarballs no container uses",
			"Remove every tarball of run's cache that no running container uses (or,\n"
			"with --keep, those past SIZE, the least recently used first), and what\n"
			"an unpacking killed midway left; print each entry removed or kept.",
			prune_options, cmd_prune },
};

const struct command *find_command(const char *name)
{
	for (int i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int run_command(const struct command *cmd, const struct oci_args *global, int argc, char **argv)
{
	return cmd->run(global, argc, argv);
}

/* The global options into A; returns the command's index in ARGV. */
int parse_global_options(struct oci_args *a, int argc, char **argv)
{
	/* No name: its errors read "carapace: unknown option: ...". */
	static const struct command global = { "", "COMMAND", "", "", global_options, NULL };
	struct cmdline cl = { .cmd = &global };
	int first = parse_options(&cl, argc, argv);

	*a = cl.oci;
	return first;
}

/*
 * An OCI command's options into A (which holds the global ones), and its
 * ID operand; returns the index of the operand after it.
 */
int parse_oci_options(struct oci_args *a, const char *name, int argc, char **argv)
{
	struct cmdline cl = { .oci = *a, .cmd = find_command(name) };
	int first = parse_options(&cl, argc, argv);

	*a = cl.oci;
	if (cl.cmd->operands[0] && first < argc)
		a->id = argv[first++];
	return first;
}

/* update's options into C (the limits to change) and A; returns the operand's index after ID. */
int parse_update_options(struct container *c, struct oci_args *a, int argc, char **argv)
{
	struct cmdline cl = { .oci = *a, .cmd = &commands[CMD_UPDATE] };
	int first;

	cl.c.oci.resources.memory_swappiness = -1;	/* 0 is a value */
	first = parse_options(&cl, argc, argv);
	*a = cl.oci;
	*c = cl.c;
	if (first < argc)
		a->id = argv[first++];
	return first;
}

static const char exit_statuses[] =
	"the command's, 128+N if signal N killed it, 125 if carapace\n"
	"failed, 126 if the command can't be executed, 127 if it wasn't found.";

/* The help, made from the tables. */

void usage(FILE *out)
{
	fprintf(out, "Usage: carapace [OPTIONS] COMMAND [OPTIONS] ...\n\nCommands:\n");
	for (int i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nOptions, before the command:\n");
	for (const struct option_def *o = global_options; o->name; o++)
		print_option(out, o);
	fprintf(out, "\nExit status: %s\n", exit_statuses);
}

/* The man page, made from the same tables: roff, for man -l or groff -man. */

/* S as roff text: a hyphen is \-, a backslash \e, and no line starts with a request. */
static void roff(FILE *out, const char *s)
{
	for (bool line_start = true; *s; line_start = *s++ == '\n') {
		if (line_start && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		if (*s == '-' || *s == '\\')
			fputc('\\', out);
		fputc(*s == '\\' ? 'e' : *s, out);
	}
}

static void man_option(FILE *out, const struct option_def *o)
{
	fputs(".TP\n", out);
	if (o->letter)
		fprintf(out, "\\fB\\-%c\\fR, ", o->letter);
	fputs("\\fB\\-\\-", out);
	roff(out, o->name);
	fputs("\\fR", out);
	if (o->arg) {
		fputs(" \\fI", out);
		roff(out, o->arg);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	roff(out, o->help);
	fputc('\n', out);
}

/*
 * carapace(1): a synopsis line, then a section, for each command. Only
 * src/man.c calls it (make man): link-time optimisation leaves it out of
 * carapace itself.
 */
void print_man(FILE *out)
{
	fprintf(out, ".TH CARAPACE 1 \"\" \"carapace %s\" \"User Commands\"\n"
		".SH NAME\ncarapace \\- a small container runtime in one static binary\n"
		".SH SYNOPSIS\n", CARAPACE_VERSION);
	for (int i = 0; i < N_COMMANDS; i++) {
		fprintf(out, ".B carapace %s\n[OPTIONS] [\\-\\-] ", commands[i].name);
		roff(out, commands[i].operands);
		fputs("\n.br\n", out);
	}
	fputs(".B carapace\n\\-\\-help | \\-\\-version\n.SH COMMANDS\n", out);
	for (int i = 0; i < N_COMMANDS; i++) {
		fprintf(out, ".SS carapace %s\n", commands[i].name);
		roff(out, commands[i].about);
		fputc('\n', out);
		if (i && commands[i].options == commands[i - 1].options) {
			fprintf(out, "It takes the options of %s.\n", commands[i - 1].name);
			continue;
		}
		for (const struct option_def *o = commands[i].options; o->name; o++)
			man_option(out, o);
	}
	fprintf(out, ".SH \"EXIT STATUS\"\n%c", toupper(exit_statuses[0]));
	roff(out, exit_statuses + 1);
	fputc('\n', out);
}

/* Parsing, by the tables. */

/* The one-line error for a bad option, as getopt_long left it. */
/*
 * Options of docker run that carapace run lacks, and what it offers
 * instead: said in place of a bare "unknown option".
 */
static const struct { const char *option, *instead; } docker_options[] = {
	{ "--entrypoint", "carapace has no image config, so no entrypoint to replace: "
	  "give the whole command after the options" },
	{ "--restart", "carapace restarts nothing: a service manager (systemd) can" },
	{ "--pull", "carapace pulls no images: -r takes a folder or a tarball" },
	{ "--platform", "carapace pulls no images: -r takes a folder or a tarball" },
	{ "--init", "carapace always runs its own init as the container's pid 1" },
	{ "--dns", "the container's /etc/resolv.conf is the host's: bind your own with "
	  "-v FILE:/etc/resolv.conf" },
	{ "--add-host", "bind your own hosts file: -v FILE:/etc/hosts" },
	{ "--label", "no labels: --name NAME names a container" },
	{ "-l", "no labels: --name NAME names a container" },
	{ "--link", "--network container:NAME shares another container's network" },
	{ "--ipc", "a container has its own IPC namespace, always" },
	{ "--security-opt", "use --seccomp PROFILE, --allow-new-privs or --privileged" },
	{ "--device", "carapace gives the default devices only (--privileged: the host's)" },
	{ "--shm-size", "use --tmpfs /dev/shm:size=SIZE" },
	{ "--cpu-quota", "use --cpus FLOAT" },
	{ "--cpu-period", "use --cpus FLOAT" },
	{ "--pids-limit", "use --pids N" },
	{ "--memory-reservation", "use --memory SIZE" },
	{ "-m", "use --memory SIZE" },
	{ "--attach", "stdin, stdout and stderr are always attached (but with -d)" },
	{ "-a", "stdin, stdout and stderr are always attached (but with -d)" },
	{ "--log-driver", "run -d keeps a log: carapace logs NAME" },
	{ "--publish-all", "publish each port: -p HOST:CONTAINER" },
	{ "-P", "publish each port: -p HOST:CONTAINER" },
	{ "--volumes-from", "give the same -v SRC:DST again" },
	{ "--sysctl", "no sysctls: the container's namespaces keep the kernel's defaults" },
	{ "--cidfile", "--name NAME gives the container the name you choose" },
};

/* What carapace run offers instead of docker's OPTION (--x=y: --x); NULL if none. */
static const char *docker_instead(const char *cmd, const char *option)
{
	size_t n = strcspn(option, "=");

	if (strcmp(cmd, "run"))
		return NULL;
	for (size_t i = 0; i < sizeof docker_options / sizeof docker_options[0]; i++)
		if (strlen(docker_options[i].option) == n &&
		    !strncmp(docker_options[i].option, option, n))
			return docker_options[i].instead;
	return NULL;
}

__attribute__((noreturn))
static void die_bad_option(const char *cmd, int c, int argc, char **argv)
{
	/* musl leaves optind past argc after a trailing short option. */
	const char *arg = optind - 1 < argc ? argv[optind - 1] : "";
	char prefix[64];

	snprintf(prefix, sizeof prefix, "%s%s", cmd, *cmd ? ": " : "");
	if (c == ':' && !strncmp(arg, "--", 2))
		die(EXIT_CANT_RUN, "%soption %s needs an argument", prefix, arg);
	if (c == ':')
		die(EXIT_CANT_RUN, "%soption -%c needs an argument", prefix, optopt);
	/* --NAME=VALUE for an option that takes none: optopt is that option's value. */
	if (optopt && !strncmp(arg, "--", 2) && strchr(arg, '='))
		die(EXIT_CANT_RUN, "%soption %.*s takes no argument", prefix,
		    (int)strcspn(arg, "="), arg);
	if (optopt && optopt < 256) {
		char letter[3] = { '-', (char)optopt, 0 };

		if (docker_instead(cmd, letter))
			die(EXIT_CANT_RUN, "%sunknown option: %s: %s", prefix, letter,
			    docker_instead(cmd, letter));
		die(EXIT_CANT_RUN, "%sunknown option: -%c", prefix, optopt);
	}
	if (docker_instead(cmd, arg))
		die(EXIT_CANT_RUN, "%sunknown option: %.*s: %s", prefix, (int)strcspn(arg, "="), arg,
		    docker_instead(cmd, arg));
	die(EXIT_CANT_RUN, "%sunknown option: %s", prefix, arg);
}

/* getopt_long's value for O, of TABLE: its letter, or past all letters, its place. */
static int option_value(const struct option_def *table, const struct option_def *o)
{
	return o->letter ? o->letter : 256 + (int)(o - table);
}

/* getopt_long's two tables, as long as TABLE needs. */
static void make_getopt_tables(const struct option_def *table, struct option **longopts,
			       char **shortopts)
{
	size_t n = 0;
	struct option *l;
	char *s;

	while (table[n].name)
		n++;
	l = *longopts = xrealloc(NULL, (n + 1) * sizeof *l);
	s = *shortopts = xrealloc(NULL, 2 + 2 * n + 1);	/* "+:", "x:" each, NUL */
	*s++ = '+';	/* stop at the first non-option: it is the command */
	*s++ = ':';	/* report a missing argument as ':' */
	for (const struct option_def *o = table; o->name; o++) {
		*l++ = (struct option){ o->name, o->arg ? required_argument : no_argument, NULL,
					option_value(table, o) };
		if (o->letter) {
			*s++ = o->letter;
			if (o->arg)
				*s++ = ':';
		}
	}
	*l = (struct option){ 0 };
	*s = '\0';
}

/* Does ARGV's options into CL, by its command's table; returns the first operand's index. */
static int parse_options(struct cmdline *cl, int argc, char **argv)
{
	const struct option_def *table = cl->cmd->options, *o;
	struct option *longopts;
	char *shortopts;
	int opt;

	make_getopt_tables(table, &longopts, &shortopts);
	opterr = 0;
	optind = 0;	/* a new scan: glibc's getopt needs 0 to start over with "+" */
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		for (o = table; o->name && option_value(table, o) != opt; o++)
			;
		if (!o->name)
			die_bad_option(cl->cmd->name, opt, argc, argv);
		if (!o->with_bundle && !cl->not_with_bundle)
			cl->not_with_bundle = o->name;
		if (o->kind == SET_STRING)
			*(const char **)((char *)cl + o->field) = optarg;
		else if (o->kind == SET_TRUE)
			*(bool *)((char *)cl + o->field) = true;
		else
			o->call(cl, optarg);
	}
	free(longopts);
	free(shortopts);
	return optind;
}

/* The environment's defaults, in their places; the user's -e, replayed on them, win. */
static void env_defaults(struct container *c)
{
	char **given = c->process.env;
	size_t n = c->process.env_len;

	c->process.env = NULL;
	c->process.env_len = 0;
	env_set(c, default_path);
	env_set(c, "HOME=/root");
	if (getenv("TERM"))
		env_set(c, xasprintf("TERM=%s", getenv("TERM")));
	for (size_t i = 0; i < n; i++)
		env_set(c, given[i]);
	free(given);
}

/* The default mounts, first: the user's, which come after, may mount on them. */
static void mount_defaults(struct container *c)
{
	struct mount_spec *given = c->mounts;
	size_t n = c->mounts_len;

	c->mounts = NULL;
	c->mounts_len = 0;
	for (size_t i = 0; i < sizeof default_mounts / sizeof default_mounts[0]; i++)
		add_mount(c, &default_mounts[i]);
	for (size_t i = 0; i < n; i++)
		add_mount(c, &given[i]);
	free(given);
}

/*
 * Docker's defaults, for what the command line did not give: after it was
 * parsed, as they are this front end's, not the spec's (an OCI config
 * brings its own).
 */
static void cmdline_defaults(struct cmdline *cl)
{
	struct container *c = &cl->c;
	const char *rootfs = getenv("CARAPACE_ROOTFS");

	if (!c->root.path)
		c->root.path = rootfs && *rootfs ? rootfs : "./rootfs";
	if (!c->hostname)
		c->hostname = "carapace";
	if (!c->process.cwd)
		c->process.cwd = "/";
	c->namespaces |= CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
			 CLONE_NEWNET | CLONE_NEWCGROUP;
	mount_defaults(c);
	if (!c->limits.parent)
		c->limits.parent = "carapace";
	/* A fork bomb stops here; --pids raises it, --pids unlimited removes it. */
	if (!c->limits.pids) {
		c->limits.pids = DEFAULT_PIDS;
		c->limits.pids_default = true;
	}
	if (!c->limits.memory)
		c->limits.memory = -1;
	if (!c->limits.memory_swap)
		c->limits.memory_swap = -1;
	c->privileges.caps = (default_caps & ~cl->caps_dropped) | cl->caps_added;
	c->privileges.masked_paths = default_masked_paths;
	c->privileges.readonly_paths = default_readonly_paths;
	c->privileges.no_new_privs = !cl->new_privs_allowed;
	if (!cl->stop_timeout_given)
		c->init.stop_timeout = 10;
	env_defaults(c);
}

/* With --bundle, config.json says what the container is: no option may say otherwise. */
static void bundle_options(const struct cmdline *cl, int operands)
{
	const char *cmd = cl->cmd->name;

	if (cl->not_with_bundle)
		die(EXIT_CANT_RUN, "%s: --bundle: config.json gives the container, not --%s "
		    "(only --name, --quiet and --verbose go with it)", cmd, cl->not_with_bundle);
	if (operands > 0)
		die(EXIT_CANT_RUN, "%s: --bundle: config.json gives the command (process.args), "
		    "not the command line", cmd);
	if (cl->c.inspect.json && cl->c.process.action != EXEC_INSPECT)
		die(EXIT_CANT_RUN, "run: --json: only carapace inspect has it");
}

/* The defaults that depend on the host, or on other options: once all are parsed. */

/* --privileged: every capability, the host's devices, nothing masked. */
static void make_privileged(struct container *c)
{
	for (size_t i = 0; i < c->mounts_len; i++) {
		struct mount_spec *m = &c->mounts[i];

		/* The /dev made before the root change: carapace's, not a user's. */
		if (m->phase == MOUNT_BEFORE_ROOT_CHANGE && !strcmp(m->target, "/dev")) {
			m->type = m->source = "devtmpfs";
			m->data = NULL;
		}
	}
	c->privileges.caps = (1ULL << N_CAPS) - 1;
	c->privileges.masked_paths = c->privileges.readonly_paths = no_paths;
	c->privileges.seccomp = "unconfined";
	c->privileges.no_new_privs = false;
}

/* A file is a rootfs if its name says it is a tarball (or its content does). */
static bool tarball_name(const char *path)
{
	static const char *const suffixes[] = {
		".tar", ".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar.zst",
	};
	size_t n = strlen(path);

	for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		size_t k = strlen(suffixes[i]);

		if (n > k && !strcmp(path + n - k, suffixes[i]))
			return true;
	}
	return false;
}

static char *absolute_path(const char *what, const char *path)
{
	char *abs = realpath(path, NULL);

	if (!abs)
		die_errno("%s: %s", what, path);
	return abs;
}

/*
 * PATH absolute, as absolute_path, or if only its last name is missing (a
 * folder to make: --overlay-dir), its parent's absolute path and that name.
 */
static char *absolute_new_path(const char *what, const char *path)
{
	char *abs = realpath(path, NULL), *copy, *slash, *name, *parent;

	if (abs || errno != ENOENT)
		return abs ? abs : absolute_path(what, path);
	copy = xasprintf("%s", path);
	while ((slash = strrchr(copy, '/')) && slash > copy && !slash[1])
		*slash = '\0';		/* DIR/ is DIR */
	name = slash ? slash + 1 : copy;
	if (!*name || !strcmp(name, ".") || !strcmp(name, ".."))
		return absolute_path(what, path);
	parent = slash ? (slash == copy ? "/" : (*slash = '\0', copy)) : ".";
	abs = absolute_path(what, parent);
	return xasprintf("%s%s%s", abs, strcmp(abs, "/") ? "/" : "", name);
}

/* "OWNER:START:COUNT", the whole line; too long a field is no match. */
static bool subid_fields(const char *line, char owner[256], char start_s[16], char count_s[16])
{
	size_t o = strcspn(line, ":"), s, c;

	if (!o || o >= 256 || line[o] != ':')
		return false;
	s = strspn(line + o + 1, "0123456789");
	if (!s || s >= 16 || line[o + 1 + s] != ':')
		return false;
	c = strspn(line + o + 2 + s, "0123456789");
	if (!c || c >= 16 || line[o + 2 + s + c])
		return false;
	memcpy(owner, line, o);
	owner[o] = '\0';
	memcpy(start_s, line + o + 1, s);
	start_s[s] = '\0';
	memcpy(count_s, line + o + 2 + s, c);
	count_s[c] = '\0';
	return true;
}

/* Appends the ranges that FILE (/etc/subuid, /etc/subgid) gives USER, or ID, from INSIDE on. */
static void add_subordinate_ranges(struct id_map *map, const char *file, const char *user,
				   unsigned long id, uint32_t inside)
{
	struct text_file t;
	char *line, owner[256], start_s[16], count_s[16];
	unsigned long start, count;
	size_t max = sizeof map->ranges / sizeof map->ranges[0];

	if (!open_text_file(&t, "--userns: the host's ", file))
		return;
	while ((line = next_line(&t))) {
		bool numeric;

		/* A whole line, and all of it: too long a field is no match. */
		if (!subid_fields(line, owner, start_s, count_s))
			continue;
		numeric = strspn(owner, "0123456789") == strlen(owner);
		if (numeric ? strtoul(owner, NULL, 10) != id : !user || strcmp(owner, user))
			continue;
		start = strtoul(start_s, NULL, 10);
		count = strtoul(count_s, NULL, 10);
		if (!count || start + count > UINT32_MAX || inside + count > UINT32_MAX)
			continue;
		for (size_t i = 0; i < map->len; i++)
			if (ranges_overlap(start, count, map->ranges[i].outside,
					   map->ranges[i].count))
				die(EXIT_CANT_RUN, "%s: %s's ranges overlap", file, owner);
		if (map->len == max) {
			log_warn("%s: only the first %zu ranges are used", file, max);
			break;
		}
		map->ranges[map->len++] = (struct id_range){ inside, (uint32_t)start, (uint32_t)count };
		inside += count;
	}
	close_text_file(&t);
}

/*
 * Root inside, someone else outside. Root gives the maps, or takes its
 * /etc/subuid ranges; an ordinary user is root inside, and has its ranges
 * from 1 up when newuidmap and newgidmap can write them.
 */
static void default_id_map(struct id_map *map, const char *file, const char *user, uint32_t own,
			   bool have_helper)
{
	if (own == 0) {
		add_subordinate_ranges(map, file, user, own, 0);
		if (!map->len)
			die(EXIT_CANT_RUN, "--userns: give --uidmap, or give root a range in %s", file);
		return;
	}
	map->ranges[map->len++] = (struct id_range){ 0, own, 1 };
	if (have_helper)
		add_subordinate_ranges(map, file, user, own, 1);
}

/* A user namespace mounts no devtmpfs: devpts's gid=5 and /dev need what is allowed there. */
static void adapt_mounts_to_userns(struct container *c)
{
	for (size_t i = 0; i < c->mounts_len && (c->namespaces & CLONE_NEWUSER); i++) {
		struct mount_spec *m = &c->mounts[i];

		if (m->phase != MOUNT_BEFORE_ROOT_CHANGE)	/* the user's are as asked */
			continue;
		if (!strcmp(m->type, "devpts") && !id_mapped(&c->userns.gids, 5))
			m->data = "newinstance,ptmxmode=0666,mode=0620";
		if (!strcmp(m->type, "devtmpfs")) {	/* --privileged: the host's /dev */
			m->type = "bind";
			m->source = "/dev";
			m->flags = MS_BIND | MS_REC | MS_NOSUID;
			m->propagation = MS_PRIVATE | MS_REC;
		}
	}
}

/*
 * A user namespace when run by an ordinary user (the kernel gives it no
 * other way in), or when id maps are given; and the maps not given: the
 * gids as the uids (as podman does), or the defaults from /etc/subuid.
 */
static void userns_defaults(struct container *c, bool rootless)
{
	struct id_map *uids = &c->userns.uids, *gids = &c->userns.gids;
	char *newuidmap, *newgidmap, *line, *field[7];
	const char *user;
	bool helpers;

	if (rootless || uids->len || gids->len)
		c->namespaces |= CLONE_NEWUSER;
	if (!(c->namespaces & CLONE_NEWUSER))
		return;
	if (uids->len && !gids->len)
		*gids = *uids;
	if (uids->len && gids->len)
		return;
	newuidmap = find_program("newuidmap");
	newgidmap = find_program("newgidmap");
	helpers = newuidmap && newgidmap;
	free(newuidmap);
	free(newgidmap);
	/* The host's name for the user, by which /etc/subuid may know it. */
	line = find_entry(HOST_FILE, "/etc/passwd", NULL, geteuid(), field);
	user = line ? field[0] : NULL;
	if (!uids->len)
		default_id_map(uids, "/etc/subuid", user, geteuid(), helpers);
	if (!gids->len)
		default_id_map(gids, "/etc/subgid", user, getegid(), helpers);
}

/* Parsing run-args, for exec: "-r -" names what run read, not exec's stdin. */
static bool rootfs_recorded;

/*
 * -r -: the tarball on stdin, copied into a memfd, which tar_open reads as
 * it reads a file: its magic first, then from the start. Bounded by the
 * root's tmpfs, which the tarball unpacked fills at least as much. Stdin is
 * at its end then, and the workload reads nothing more from it.
 */
static void tarball_from_stdin(struct container *c)
{
	int64_t bound = c->root.size ? c->root.size : DEFAULT_ROOTFS_SIZE, total = 0;
	int fd = (int)syscall(SYS_memfd_create, "carapace-rootfs-stdin", MFD_CLOEXEC);
	char buf[65536];
	ssize_t n;

	if (isatty(STDIN_FILENO))
		die(EXIT_CANT_RUN, "rootfs: -: stdin is a terminal: pipe a tarball in (-r - <FILE)");
	if (fd < 0)
		die_errno("rootfs: -: memfd");
	while ((n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno("rootfs: -: stdin");
		if ((total += n) > bound)
			die(EXIT_CANT_RUN, "rootfs: -: the tarball on stdin is larger than the "
			    "root's tmpfs (%lldm; --rootfs-size raises it)", (long long)(bound >> 20));
		if (write(fd, buf, n) != n)
			die_errno("rootfs: -: memfd");
	}
	if (!total)
		die(EXIT_CANT_RUN, "rootfs: -: stdin is empty: pipe a tarball in");
	if (!tarball_content(xasprintf("/proc/self/fd/%d", fd)))
		die(EXIT_CANT_RUN, "rootfs: -: stdin is no tarball (nor gzip, xz, bzip2 or zstd data)");
	c->root.tarball = c->root.from_stdin = true;
	/* Past --preserve-fds, so that it is none of the fds the workload gets. */
	c->root.stdin_copy = fcntl(fd, F_DUPFD_CLOEXEC, 3 + c->process.preserve_fds);
	if (c->root.stdin_copy < 0)
		die_errno("rootfs: -: memfd");
	close(fd);
	if (c->root.overlay_dir)
		c->root.overlay_dir = absolute_new_path("--overlay-dir", c->root.overlay_dir);
}

/*
 * What the rootfs is, a folder or a tarball (by its name: compression is
 * sniffed later), and the paths made absolute, as the spec has them.
 */
static void root_paths(struct container *c)
{
	struct stat st;

	if (!strcmp(c->root.path, "-") && rootfs_recorded) {	/* exec: run read it */
		c->root.tarball = c->root.from_stdin = true;
		c->root.stdin_copy = -1;
		return;
	}
	if (!strcmp(c->root.path, "-")) {
		tarball_from_stdin(c);
		return;
	}

	/* Mostly an installed carapace run where there is no ./rootfs: say where one comes from. */
	if (stat(c->root.path, &st)) {
		if (errno == ENOENT)
			die(EXIT_CANT_RUN, "rootfs: %s: %s (give one with -r DIR or "
			    "$CARAPACE_ROOTFS, or make ./rootfs with ./setup.sh rootfs)",
			    c->root.path, strerror(ENOENT));
		die_errno("rootfs: %s", c->root.path);
	}
	c->root.tarball = S_ISREG(st.st_mode) &&
			  (tarball_name(c->root.path) || tarball_content(c->root.path));
	if (!S_ISDIR(st.st_mode) && !c->root.tarball)
		die(EXIT_CANT_RUN, "rootfs: %s: %s, nor a tarball", c->root.path, strerror(ENOTDIR));
	c->root.path = absolute_path("rootfs", c->root.path);
	if (c->root.overlay_dir)
		c->root.overlay_dir = absolute_new_path("--overlay-dir", c->root.overlay_dir);
}

/*
 * Every container but a privileged one has a cgroup: devices need one.
 * Rootless, the kernel keeps host devices shut, and a cgroup is made only
 * for a limit (with --name, if given, as its name): as a cgroup needs a
 * delegation there, the default pids limit is none.
 */
static void cgroup_defaults(struct container *c, bool rootless)
{
	bool any;

	if (c->limits.pids_default && rootless) {
		log_debug("cgroup: rootless: no default pids limit (give --pids for one)");
		c->limits.pids = -1;
		c->limits.pids_default = false;
	}
	any = c->limits.pids >= 0 || c->limits.memory >= 0 ||
	      c->limits.memory_swap != -1 || c->limits.cpu_quota ||
	      c->limits.cpu_weight || c->limits.cpu_shares || c->limits.cpuset_cpus;
	if (rootless && !any)
		c->limits.name = NULL;
	else if ((any || !c->privileges.privileged) && !c->limits.name)
		c->limits.name = made_up_name();
}

/*
 * The command line's defaults that depend on the host (who runs it, its
 * /etc/subuid, what the rootfs is) or on other options (--privileged,
 * --userns), once all are parsed: validate_spec only checks the spec.
 */
static void cmdline_host_defaults(struct container *c)
{
	bool rootless = geteuid() != 0;

	userns_defaults(c, rootless);
	root_paths(c);
	if (!env_get(c->process.env, "HOSTNAME"))	/* -e HOSTNAME=x wins, as in docker */
		env_set(c, xasprintf("HOSTNAME=%s", c->hostname));
	if (c->privileges.privileged)
		make_privileged(c);
	adapt_mounts_to_userns(c);
	cgroup_defaults(c, rootless);
	network_defaults(c, rootless);
}

/* run's options as run-args recorded them: for exec, which makes no root. */
void parse_recorded_run_options(struct container *c, int argc, char **argv)
{
	rootfs_recorded = true;
	parse_run_options(c, argc, argv);
	rootfs_recorded = false;
}

void parse_run_options(struct container *c, int argc, char **argv)
{
	struct cmdline cl = { .c = *c };

	cl.cmd = &commands[c->process.action == EXEC_INSPECT ? CMD_INSPECT : CMD_RUN];
	optind = parse_options(&cl, argc, argv);
	if (cl.bundle) {
		bundle_options(&cl, argc - optind);
		*c = cl.c;
		/* Kept: run's registration saves it, as create does, for exec to read, not the bundle's. */
		c->oci.config_json = oci_read_config(c, cl.bundle);
		return;
	}
	cmdline_defaults(&cl);
	*c = cl.c;
	if (c->inspect.json && c->process.action != EXEC_INSPECT)
		die(EXIT_CANT_RUN, "run: --json: only carapace inspect has it");
	if (optind >= argc && c->process.action != EXEC_INSPECT)
		die(EXIT_CANT_RUN, "run: no command given (see carapace run --help)");
	c->process.argv = argv + optind;
	root_defaults(c);
	cmdline_host_defaults(c);
}

/* carapace init's options: only what init.forward_to_group and init.subreaper say. */
char **parse_init_options(struct container *c, int argc, char **argv)
{
	struct cmdline cl = { .c = *c, .cmd = &commands[CMD_INIT] };
	int first = parse_options(&cl, argc, argv);

	*c = cl.c;
	if (first >= argc)
		die(EXIT_CANT_RUN, "init: no program given (see carapace init --help)");
	return argv + first;
}

/* carapace spec's options; returns the bundle (NULL: the working folder). */
const char *parse_spec_options(int argc, char **argv, bool *rootless)
{
	struct cmdline cl = { .cmd = &commands[CMD_SPEC] };

	if (parse_options(&cl, argc, argv) < argc)
		die(EXIT_CANT_RUN, "spec: takes no operand: %s", argv[optind]);
	*rootless = cl.rootless;
	return cl.c.oci.bundle;
}

void parse_features_options(int argc, char **argv)
{
	struct cmdline cl = { .cmd = &commands[CMD_FEATURES] };

	if (parse_options(&cl, argc, argv) < argc)
		die(EXIT_CANT_RUN, "features: takes no operand: %s", argv[optind]);
}

/* A relative host path of a run option, from the folder run was started in. */
static char *from_cwd(const char *path)
{
	char cwd[PATH_MAX];

	if (path[0] == '/' || !getcwd(cwd, sizeof cwd))
		return xasprintf("%s", path);
	return xasprintf("%s/%s", cwd, path);
}

/* OPT's ARG, with its host path absolute: -v SRC:..., --mount src=..., --seccomp FILE. */
static char *absolute_arg(const char *opt, const char *arg)
{
	const char *colon = strchr(arg, ':');
	char *out = NULL, *rest;
	size_t len = 0;
	FILE *f;

	if (!strcmp(opt, "volume") && colon && arg[0] != '/') {
		char *src = xasprintf("%.*s", (int)(colon - arg), arg), *abs = from_cwd(src);

		out = xasprintf("%s%s", abs, colon);
		free(src), free(abs);
		return out;
	}
	if (!strcmp(opt, "seccomp") && strcmp(arg, "unconfined"))
		return from_cwd(arg);
	if (!strcmp(opt, "env") && !strchr(arg, '='))	/* NAME alone: the host's value now */
		return xasprintf("%s=%s", arg, getenv(arg) ? getenv(arg) : "");
	if (strcmp(opt, "mount") || !(f = open_memstream(&out, &len)))
		return xasprintf("%s", arg);
	rest = xasprintf("%s", arg);
	for (char *save, *w = strtok_r(rest, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		char *v = strchr(w, '=');
		bool src = v && (!strncmp(w, "src=", 4) || !strncmp(w, "source=", 7));
		char *abs = src ? from_cwd(v + 1) : NULL;

		fprintf(f, "%s%.*s%s", ftell(f) ? "," : "", src ? (int)(v + 1 - w) : (int)strlen(w),
			w, abs ? abs : "");
		free(abs);
	}
	fclose(f);
	free(rest);
	return out;
}

static void put_arg(FILE *f, const char *arg)
{
	fwrite(arg, 1, strlen(arg) + 1, f);
}

/*
 * run's options again, as a NUL-separated argv without the command, that
 * carapace can parse from any folder (exec rebuilds the container's
 * settings from it): host paths absolute, the name and the rootfs as run
 * resolved them, and no --detach, which is no setting of the container.
 * (run --bundle keeps its config.json instead, as create does.)
 */
char *run_args(const struct container *c, int argc, char **argv, size_t *len)
{
	const struct option_def *table = run_options, *o;
	struct option *longopts;
	char *shortopts, *text = NULL;
	FILE *f = open_memstream(&text, len);
	int opt;

	if (!f)
		die_errno("run-args");
	put_arg(f, "--name");
	put_arg(f, c->oci.id);
	put_arg(f, "--rootfs");
	put_arg(f, c->root.path);
	if (c->root.overlay_dir) {
		put_arg(f, "--overlay-dir");
		put_arg(f, c->root.overlay_dir);
	}
	make_getopt_tables(table, &longopts, &shortopts);
	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		for (o = table; o->name && option_value(table, o) != opt; o++)
			;
		if (!o->name || !strcmp(o->name, "name") || !strcmp(o->name, "rootfs") ||
		    !strcmp(o->name, "overlay-dir") || !strcmp(o->name, "detach"))
			continue;
		/* The variables as run read them: the file may be gone, or changed, by exec. */
		if (!strcmp(o->name, "env-file")) {
			for (char **v = env_file_vars(optarg); *v; v++)
				put_arg(f, "--env"), put_arg(f, *v);
			continue;
		}
		fprintf(f, "--%s%c", o->name, 0);
		if (!o->arg)
			continue;
		char *arg = absolute_arg(o->name, optarg);

		put_arg(f, arg);
		free(arg);
	}
	free(longopts);
	free(shortopts);
	if (fclose(f))
		die_errno("run-args");
	return text;
}
