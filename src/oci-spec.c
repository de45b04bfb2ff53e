/*
 * oci-spec.c: carapace spec, a config.json with carapace's own secure
 * defaults (those of carapace run), and carapace features, what carapace
 * supports of the runtime spec, as runc prints it.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

/* One JSON value a line, as runc spec writes them: TABS deep, a comma unless LAST. */
static void line(FILE *f, int tabs, bool last, const char *fmt, ...)
{
	va_list ap;

	fprintf(f, "%.*s", tabs, "\t\t\t\t\t\t");
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputs(last ? "\n" : ",\n", f);
}

/* "KEY": [ the N strings of V ], one a line; none of them needs escaping. */
static void strings(FILE *f, int tabs, bool last, const char *key, const char *const *v,
		    size_t n)
{
	fprintf(f, "%.*s\"%s\": [\n", tabs, "\t\t\t\t\t\t", key);
	for (size_t i = 0; i < n; i++)
		line(f, tabs + 1, i + 1 == n, "\"%s\"", v[i]);
	line(f, tabs, last, "]");
}

static size_t count(const char *const *v)
{
	size_t n = 0;

	while (v[n])
		n++;
	return n;
}

/* "KEY": the capabilities of CAPS, by name. */
static void caps(FILE *f, int tabs, bool last, const char *key, uint64_t caps)
{
	const char *names[N_CAPS];
	char buf[N_CAPS][32];
	size_t n = 0;

	for (int i = 0; i < N_CAPS; i++)
		if (caps & (1ULL << i)) {
			snprintf(buf[n], sizeof buf[n], "CAP_%s", cap_names[i]);
			names[n] = buf[n];
			n++;
		}
	strings(f, tabs, last, key, names, n);
}

/*
 * The default mounts of carapace run (options.c), as OCI options; and
 * the cgroup mount, which carapace makes itself (mount_cgroupfs).
 * Rootless: no gid=5 for devpts, as only the user's own gid is mapped.
 */
static void spec_mounts(FILE *f, bool rootless)
{
	static const struct { unsigned long flag; const char *name; } flag_names[] = {
		{ MS_NOSUID, "nosuid" }, { MS_NOEXEC, "noexec" }, { MS_NODEV, "nodev" },
		{ MS_RDONLY, "ro" },
	};

	fputs("\t\"mounts\": [\n", f);
	for (size_t i = 0; i < N_DEFAULT_MOUNTS; i++) {
		const struct mount_spec *m = &default_mounts[i];
		const char *opts[16];
		char data[128], *word, *next;
		size_t n = 0;

		for (size_t k = 0; k < sizeof flag_names / sizeof flag_names[0]; k++)
			if (m->flags & flag_names[k].flag)
				opts[n++] = flag_names[k].name;
		snprintf(data, sizeof data, "%s", m->data ? m->data : "");
		for (word = strtok_r(data, ",", &next); word && n < 16;
		     word = strtok_r(NULL, ",", &next))
			if (!rootless || strcmp(word, "gid=5"))
				opts[n++] = word;
		fputs("\t\t{\n", f);
		line(f, 3, false, "\"destination\": \"%s\"", m->target);
		line(f, 3, false, "\"type\": \"%s\"", m->type);
		line(f, 3, false, "\"source\": \"%s\"", m->source);
		strings(f, 3, true, "options", opts, n);
		fputs("\t\t},\n", f);
	}
	fputs("\t\t{\n", f);
	line(f, 3, false, "\"destination\": \"/sys/fs/cgroup\"");
	line(f, 3, false, "\"type\": \"cgroup\"");
	line(f, 3, false, "\"source\": \"cgroup\"");
	strings(f, 3, true, "options", (const char *[]){ "nosuid", "noexec", "nodev",
							 "relatime", "ro" }, 5);
	fputs("\t\t}\n\t],\n", f);
}

/* "KEY": [ { "containerID": 0, "hostID": ID, "size": 1 } ] */
static void one_id_map(FILE *f, const char *key, unsigned id)
{
	fprintf(f, "\t\t\"%s\": [\n\t\t\t{\n", key);
	line(f, 4, false, "\"containerID\": 0");
	line(f, 4, false, "\"hostID\": %u", id);
	line(f, 4, true, "\"size\": 1");
	fputs("\t\t\t}\n\t\t],\n", f);
}

static void spec_linux(FILE *f, bool rootless)
{
	static const char *const namespaces[] = { "pid", "network", "ipc", "uts", "mount",
						  "cgroup", "user" };
	size_t n = sizeof namespaces / sizeof namespaces[0] - !rootless;

	fputs("\t\"linux\": {\n", f);
	if (rootless) {
		/* Only the user's own ids: what an ordinary user may map without newuidmap. */
		one_id_map(f, "uidMappings", getuid());
		one_id_map(f, "gidMappings", getgid());
	} else {
		/* No device but the defaults; a fork bomb stops at 2048, as carapace run. */
		fputs("\t\t\"resources\": {\n\t\t\t\"devices\": [\n\t\t\t\t{\n", f);
		line(f, 5, false, "\"allow\": false");
		line(f, 5, true, "\"access\": \"rwm\"");
		fputs("\t\t\t\t}\n\t\t\t],\n\t\t\t\"pids\": {\n", f);
		line(f, 4, true, "\"limit\": %d", DEFAULT_PIDS);
		fputs("\t\t\t}\n\t\t},\n", f);
	}
	fputs("\t\t\"namespaces\": [\n", f);
	for (size_t i = 0; i < n; i++)
		line(f, 3, i + 1 == n, "{ \"type\": \"%s\" }", namespaces[i]);
	fputs("\t\t],\n", f);
	strings(f, 2, false, "maskedPaths", default_masked_paths, count(default_masked_paths));
	strings(f, 2, true, "readonlyPaths", default_readonly_paths,
		count(default_readonly_paths));
	fputs("\t}\n", f);
}

static void write_spec(FILE *f, bool rootless)
{
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "TERM=xterm",
	};

	fputs("{\n", f);
	line(f, 1, false, "\"ociVersion\": \"%s\"", OCI_VERSION);
	fputs("\t\"process\": {\n", f);
	line(f, 2, false, "\"terminal\": true");
	line(f, 2, false, "\"user\": { \"uid\": 0, \"gid\": 0 }");
	strings(f, 2, false, "args", (const char *[]){ "sh" }, 1);
	strings(f, 2, false, "env", env, sizeof env / sizeof env[0]);
	line(f, 2, false, "\"cwd\": \"/\"");
	/* Root's: bounding = effective = permitted, none inherited, none ambient. */
	fputs("\t\t\"capabilities\": {\n", f);
	caps(f, 3, false, "bounding", default_caps);
	caps(f, 3, false, "effective", default_caps);
	caps(f, 3, true, "permitted", default_caps);
	fputs("\t\t},\n\t\t\"rlimits\": [\n\t\t\t{\n", f);
	line(f, 4, false, "\"type\": \"RLIMIT_NOFILE\"");
	line(f, 4, false, "\"hard\": 1024");
	line(f, 4, true, "\"soft\": 1024");
	fputs("\t\t\t}\n\t\t],\n", f);
	line(f, 2, true, "\"noNewPrivileges\": true");
	fputs("\t},\n\t\"root\": {\n", f);
	line(f, 2, false, "\"path\": \"rootfs\"");
	line(f, 2, true, "\"readonly\": true");
	fputs("\t},\n", f);
	line(f, 1, false, "\"hostname\": \"carapace\"");
	spec_mounts(f, rootless);
	spec_linux(f, rootless);
	fputs("}\n", f);
}

/* carapace spec [--rootless] [--bundle DIR]: never over an existing config.json, as runc. */
int cmd_spec(const struct oci_args *global __attribute__((unused)), int argc, char **argv)
{
	bool rootless;
	const char *bundle = parse_spec_options(argc, argv, &rootless);
	autoclose int dir = open(bundle ? bundle : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd;
	FILE *f;

	if (dir < 0)
		die_errno("spec: %s", bundle ? bundle : ".");
	fd = openat(dir, "config.json", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		    0644);
	if (fd < 0 && errno == EEXIST)
		die(EXIT_CANT_RUN, "spec: %s/config.json: exists already: remove it first",
		    bundle ? bundle : ".");
	if (fd < 0 || !(f = fdopen(fd, "w")))
		die_errno("spec: %s/config.json", bundle ? bundle : ".");
	write_spec(f, rootless);
	if (ferror(f) | fclose(f))
		die_errno("spec: %s/config.json: write", bundle ? bundle : ".");
	return 0;
}

/* The mount options oci-config.c knows: flags, propagation, and the filesystems' own. */
static const char *const mount_options[] = {
	"async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
	"iversion", "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec",
	"noiversion", "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid",
	"private", "rbind", "rdev", "relatime", "rexec", "rnodev", "rnoexec", "rnosuid",
	"ro", "rprivate", "rro", "rrw", "rshared", "rslave", "rsuid", "runbindable", "rw",
	"shared", "silent", "slave", "strictatime", "suid", "sync", "unbindable", NULL,
};

/*
 * carapace features: the truth about this build. seccomp: the actions
 * and operators its compiler knows (no SCMP_ACT_NOTIFY: no agent) and
 * the ABIs of the machine it is built for (x86-64's three, arm64's two);
 * cgroupfs, v1 and v2, no systemd; AppArmor profiles where the host has
 * AppArmor; no SELinux, no Intel RDT.
 */
int cmd_features(const struct oci_args *global __attribute__((unused)), int argc, char **argv)
{
	static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
					     "startContainer", "poststart", "poststop" };
	static const char *const namespaces[] = { "cgroup", "ipc", "mount", "network", "pid",
						  "user", "uts" };
	static const char *const actions[] = {
		"SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
		"SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP",
	};
	static const char *const operators[] = {
		"SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
		"SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE",
	};
	size_t n_archs;
	const char *const *archs = seccomp_arch_names(&n_archs);
	FILE *f = stdout;

	parse_features_options(argc, argv);
	fputs("{\n", f);
	line(f, 1, false, "\"ociVersionMin\": \"1.0.0\"");
	line(f, 1, false, "\"ociVersionMax\": \"%s\"", OCI_VERSION);
	strings(f, 1, false, "hooks", hooks, N_HOOK_KINDS);
	strings(f, 1, false, "mountOptions", mount_options, count(mount_options));
	fputs("\t\"linux\": {\n", f);
	strings(f, 2, false, "namespaces", namespaces, sizeof namespaces / sizeof namespaces[0]);
	caps(f, 2, false, "capabilities", ~0ULL);
	fputs("\t\t\"cgroup\": {\n", f);
	line(f, 3, false, "\"v1\": true");
	line(f, 3, false, "\"v2\": true");
	line(f, 3, false, "\"systemd\": false");
	line(f, 3, true, "\"systemdUser\": false");
	fputs("\t\t},\n\t\t\"seccomp\": {\n", f);
	line(f, 3, false, "\"enabled\": true");
	strings(f, 3, false, "actions", actions, sizeof actions / sizeof actions[0]);
	strings(f, 3, false, "operators", operators, sizeof operators / sizeof operators[0]);
	strings(f, 3, true, "archs", archs, n_archs);
	fputs("\t\t},\n", f);
	line(f, 2, false, "\"apparmor\": { \"enabled\": true }");
	line(f, 2, false, "\"selinux\": { \"enabled\": false }");
	line(f, 2, true, "\"intelRdt\": { \"enabled\": false }");
	fputs("\t},\n\t\"annotations\": {\n", f);
	line(f, 2, true, "\"org.carapace.version\": \"%s\"", CARAPACE_VERSION);
	fputs("\t}\n}\n", f);
	return fflush(f) ? EXIT_CANT_RUN : 0;
}
