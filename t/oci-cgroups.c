/*
 * t/oci-cgroups.c: src/cgroup.c's OCI side driven alone, linked with the
 * real modules (the Makefile's build/unit/oci-cgroups; t/087-oci-cgroups.t
 * runs it). As carapace create would, "create" makes a container's cgroups
 * from the settings given, puts a sleeping process in them, prints
 * cgroups_describe's text and exits, leaving both behind; "remove",
 * "signal" and "procs" read such a text back, as delete, kill --all and
 * state would; "split" shows cgroupsPath's parent and leaf.
 *
 *   oci-cgroups create PARENT NAME [SETTING...] >DESCRIPTION
 *   oci-cgroups remove|procs DESCRIPTION-FILE
 *   oci-cgroups signal DESCRIPTION-FILE SIGNAL
 *   oci-cgroups split CGROUPS-PATH
 *
 * A SETTING: memory=N reservation=N swappiness=N no-oom quota=US period=US
 * cpus=LIST mems=LIST blkio=N hugetlb=SIZE:N unified=KEY=VALUE
 * device=allow|deny:TYPE:MAJOR:MINOR:ACCESS (-1: any) pids=N; "launcher"
 * makes a plain leaf (no OCI bundle) whose creator exits all the same.
 *
 * SPDX-License-Identifier: MIT
 */
#include "../src/carapace.h"

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "re");
	static char buf[65536];
	size_t n;

	if (!f)
		die_errno("oci-cgroups: %s", path);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void add_device_rule(struct container *c, char *spec)
{
	struct device_rule *r;
	char *f[5], *save = NULL;
	int n = 0;

	for (char *p = strtok_r(spec, ":", &save); p && n < 5; p = strtok_r(NULL, ":", &save))
		f[n++] = p;
	if (n < 4)
		die(2, "oci-cgroups: device=allow|deny:TYPE:MAJOR:MINOR[:ACCESS]");
	c->oci.device_rules = xrealloc(c->oci.device_rules,
				       (c->oci.device_rules_len + 1) * sizeof *r);
	r = &c->oci.device_rules[c->oci.device_rules_len++];
	memset(r, 0, sizeof *r);
	r->allow = !strcmp(f[0], "allow");
	r->type = f[1][0];
	r->major = atoll(f[2]);
	r->minor = atoll(f[3]);
	snprintf(r->access, sizeof r->access, "%s", n == 5 ? f[4] : "");
	c->oci.device_rules_given = true;
}

static void add_setting(struct container *c, char *arg)
{
	typeof(c->oci.resources) *r = &c->oci.resources;
	char *v = strchr(arg, '=');

	v = v ? v + 1 : arg + strlen(arg);
	if (!strncmp(arg, "memory=", 7))
		c->limits.memory = atoll(v);
	else if (!strncmp(arg, "reservation=", 12))
		r->memory_reservation = atoll(v);
	else if (!strncmp(arg, "swappiness=", 11))
		r->memory_swappiness = atoll(v);
	else if (!strcmp(arg, "no-oom"))
		r->disable_oom_killer = true;
	else if (!strncmp(arg, "quota=", 6))
		c->limits.cpu_quota = strtoull(v, NULL, 10);
	else if (!strncmp(arg, "period=", 7))
		r->cpu_period = strtoull(v, NULL, 10);
	else if (!strncmp(arg, "cpus=", 5))
		c->limits.cpuset_cpus = v;
	else if (!strncmp(arg, "mems=", 5))
		r->cpuset_mems = v;
	else if (!strncmp(arg, "blkio=", 6))
		r->blkio_weight = (uint16_t)atoi(v);
	else if (!strncmp(arg, "pids=", 5))
		c->limits.pids = atoll(v);
	else if (!strncmp(arg, "hugetlb=", 8) && strchr(v, ':')) {
		r->hugetlb = xrealloc(r->hugetlb, (r->hugetlb_len + 1) * sizeof *r->hugetlb);
		*strchr(v, ':') = '\0';
		r->hugetlb[r->hugetlb_len].page_size = v;
		r->hugetlb[r->hugetlb_len++].limit = strtoull(v + strlen(v) + 1, NULL, 10);
	} else if (!strncmp(arg, "unified=", 8) && strchr(v, '=')) {
		r->unified = xrealloc(r->unified, (r->unified_len + 1) * sizeof *r->unified);
		*strchr(v, '=') = '\0';
		r->unified[r->unified_len].key = v;
		r->unified[r->unified_len++].value = v + strlen(v) + 1;
	} else if (!strncmp(arg, "device=", 7))
		add_device_rule(c, v);
	else if (!strcmp(arg, "launcher"))
		c->oci.bundle = NULL;
	else
		die(2, "oci-cgroups: unknown setting '%s'", arg);
}

/* The container's stand-in: in its cgroups, asleep, in a session of its own. */
static void start_sleeper(const struct cgroups *cg)
{
	int go[2];
	pid_t pid;
	char c;

	if (pipe(go))
		die_errno("pipe");
	pid = fork();
	if (pid < 0)
		die_errno("fork");
	if (pid == 0) {
		close(go[1]);
		setsid();
		if (read(go[0], &c, 1) != 1)	/* until it is in its cgroups */
			_exit(1);
		close(go[0]);
		/* as init does: the launcher's flocks are its own, not the container's */
		syscall(SYS_close_range, 3, ~0U, 0);
		for (int fd = 0; fd < 3; fd++)	/* the test's pipes are not ours to hold */
			dup2(open("/dev/null", O_RDWR), fd);
		for (;;)
			pause();
	}
	close(go[0]);
	join_cgroups(cg, pid, false);
	if (write(go[1], "g", 1) != 1)
		die_errno("write");
	close(go[1]);
	fprintf(stderr, "pid %d\n", (int)pid);
}

static int create(int argc, char **argv)
{
	static struct container c;
	static struct cgroups cg = { .v2_fd = -1 };
	char *text;

	if (argc < 4)
		die(2, "oci-cgroups create PARENT NAME [SETTING...]");
	c.limits.parent = argv[2];
	c.limits.name = argv[3];
	c.limits.pids = c.limits.memory = c.limits.memory_swap = -1;
	c.oci.bundle = "/nonexistent-bundle";
	c.oci.resources.memory_swappiness = -1;
	for (int i = 4; i < argc; i++)
		add_setting(&c, argv[i]);
	create_cgroups(&cg, &c, geteuid() != 0);
	start_sleeper(&cg);
	text = cgroups_describe(&cg);
	fputs(text, stdout);
	fflush(stdout);
	cgroups_outlive_launcher(&cg);
	return 0;
}

int main(int argc, char **argv)
{
	set_fail_mode(FAIL_LAUNCHER, -1);
	if (getenv("OCI_CGROUPS_DEBUG"))
		log_threshold = LOG_DEBUG;
	if (argc >= 2 && !strcmp(argv[1], "create"))
		return create(argc, argv);
	if (argc == 3 && !strcmp(argv[1], "remove"))
		return cgroups_remove_described(read_all(argv[2])) ? 0 : 1;
	if (argc == 3 && !strcmp(argv[1], "procs"))
		return cgroups_have_procs(read_all(argv[2])) ? 0 : 1;
	if (argc == 4 && !strcmp(argv[1], "signal")) {
		int n = cgroups_signal_all(read_all(argv[2]), atoi(argv[3]));

		printf("%d\n", n);
		return n < 0;
	}
	if (argc == 3 && !strcmp(argv[1], "split")) {
		static struct container c;

		cgroups_path_split(&c, argv[2]);
		printf("%s %s\n", c.limits.parent, c.limits.name);
		return 0;
	}
	fprintf(stderr, "usage: oci-cgroups create|remove|procs|signal|split ...\n");
	return 2;
}
