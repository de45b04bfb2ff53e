/*
 * oci-update.c: update and events, the OCI commands that change a running
 * container's limits and report its usage, both through the cgroups its
 * state folder describes (src/cgroup.c's text, as create wrote it).
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

#define RESOURCES_MAX (1 << 20)	/* bytes of --resources: podman's are under 1 KiB */

/* --resources FILE, or - for stdin, into C's limits (oci_parse_resources). */
void read_resources(struct container *c, const char *path)
{
	autoclose int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(0);
	char *text = xrealloc(NULL, RESOURCES_MAX + 1);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		die_errno("update: --resources: %s", path);
	while (len < RESOURCES_MAX && (n = read(fd, text + len, RESOURCES_MAX - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die_errno("update: --resources: %s", path);
		len += (size_t)n;
	}
	if (len == RESOURCES_MAX)
		die(EXIT_CANT_RUN, "update: --resources: %s: larger than %d KiB", path,
		    RESOURCES_MAX >> 10);
	text[len] = '\0';
	oci_parse_resources(c, text, len);
	free(text);
}

/* The state of A's container, or its one-line error. */
static void open_container(struct oci_state *st, const struct oci_args *a, const char *cmd)
{
	if (!a->id)
		die(EXIT_CANT_RUN, "%s: one container ID", cmd);
	if (!state_open(st, a, a->id))
		die(EXIT_CANT_RUN, "container %s does not exist", a->id);
	if (state_status(st) == STATUS_STOPPED)
		die(EXIT_CANT_RUN, "%s: %s: container is stopped", cmd, st->id);
}

static char *container_cgroups(struct oci_state *st, const char *cmd)
{
	char *text = state_read_file(st, "cgroups");

	if (!text)
		die(EXIT_CANT_RUN, "%s: %s: no cgroups in its state", cmd, st->id);
	return text;
}

/*
 * runc's update: the limits given, written at once into the container's
 * cgroups (created, running or paused); the kernel enforces them from the
 * write on. Devices are create's alone, as runc keeps them.
 */
int cmd_update(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct container c;
	struct oci_state st;
	char *cgroups;

	if (parse_update_options(&c, &a, argc, argv) != argc)
		die(EXIT_CANT_RUN, "update: one container ID");
	open_container(&st, &a, "update");
	cgroups = container_cgroups(&st, "update");
	if (c.oci.device_rules_given)
		log_debug("update: %s: devices: kept as create set them", st.id);
	c.oci.bundle = st.bundle ? st.bundle : "";
	cgroups_update(cgroups, &c);
	free(cgroups);
	state_close(&st);
	return 0;
}

#define NS_PER_S 1000000000ULL

/* events --interval: Go's durations, as runc takes them (5s, 500ms, 1m30s); ms. */
static int64_t parse_duration(const char *s)
{
	static const struct { const char *unit; unsigned long long ns; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", NS_PER_S },
		{ "m", 60 * NS_PER_S }, { "h", 3600 * NS_PER_S },
	};
	const unsigned long long day = 86400 * NS_PER_S;
	const char *p = s;
	unsigned long long total = 0;

	while (*p) {
		unsigned long long v, whole, u;
		const char *end = scan_decimal(p, 9, &v);
		size_t unit = 0, i = sizeof units / sizeof units[0];

		while (end && isalpha((unsigned char)end[unit]))
			unit++;
		for (i = 0; end && i < sizeof units / sizeof units[0]; i++)
			if (strlen(units[i].unit) == unit && !strncmp(end, units[i].unit, unit))
				break;
		if (!end || i == sizeof units / sizeof units[0])
			die(EXIT_CANT_RUN, "events: --interval: not a duration (5s, 500ms, 1m): '%s'",
			    s);
		/* v is in 10^-9 units: its whole part and its fraction, in nanoseconds. */
		u = units[i].ns, whole = v / NS_PER_S, v %= NS_PER_S;
		if (whole > day / u + 1)
			total = day + 1;
		else
			total += whole * u + (u >= NS_PER_S ? v * (u / NS_PER_S) : v * u / NS_PER_S);
		if (total > day)
			total = day + 1;	/* no sum of terms may wrap */
		p = end + unit;
	}
	if (total < 1000000 || total > day)
		die(EXIT_CANT_RUN, "events: --interval: from 1ms to 24h: '%s'", s);
	return (int64_t)(total / 1000000);
}

/* A limit file's value; "max" (v2's none) as runc reports it, UINT64_MAX. */
static unsigned long long limit_number(const struct cgroups *cg, enum controller ctl,
				       const char *file)
{
	char buf[64];

	if (cgroup_read(cg, ctl, file, buf, sizeof buf) <= 0)
		return 0;
	return !strncmp(buf, "max", 3) ? ULLONG_MAX : strtoull(buf, NULL, 10);
}

static unsigned long long number(const struct cgroups *cg, enum controller ctl, const char *file,
				 const char *key)
{
	long long v = cgroup_number(cg, ctl, file, key);

	return v > 0 ? (unsigned long long)v : 0;
}

/* cpu: usage in ns, in total, per CPU (v1), in the kernel and user's; throttling. */
static void print_cpu(FILE *out, const struct cgroups *cg)
{
	bool v1 = cg->v1_mount[CTL_CPU] || cg->v1_mount[CTL_CPUACCT];
	char buf[4096];
	const char *sep = "";

	if (v1) {
		/* cpuacct.stat counts USER_HZ ticks: 100 a second on Linux */
		fprintf(out, "\"cpu\":{\"usage\":{\"total\":%llu,\"kernel\":%llu,\"user\":%llu",
			number(cg, CTL_CPUACCT, "cpuacct.usage", NULL),
			number(cg, CTL_CPUACCT, "cpuacct.stat", "system") * 10000000,
			number(cg, CTL_CPUACCT, "cpuacct.stat", "user") * 10000000);
		fputs(",\"percpu\":[", out);
		if (cgroup_read(cg, CTL_CPUACCT, "cpuacct.usage_percpu", buf, sizeof buf) > 0)
			for (char *t = strtok(buf, " \n"); t; t = strtok(NULL, " \n"), sep = ",")
				fprintf(out, "%s%llu", sep, strtoull(t, NULL, 10));
		fprintf(out, "]},\"throttling\":{\"periods\":%llu,\"throttled_periods\":%llu,"
			"\"throttled_time\":%llu}}", number(cg, CTL_CPU, "cpu.stat", "nr_periods"),
			number(cg, CTL_CPU, "cpu.stat", "nr_throttled"),
			number(cg, CTL_CPU, "cpu.stat", "throttled_time"));
		return;
	}
	/* v2: cpu.stat is there without the cpu controller too, in any leaf */
	enum controller ctl = cgroup_number(cg, CTL_CPU, "cpu.stat", "usage_usec") >= 0 ?
			      CTL_CPU : CTL_PIDS;

	if (ctl == CTL_PIDS && cgroup_number(cg, ctl, "cpu.stat", "usage_usec") < 0)
		ctl = CTL_MEMORY;
	fprintf(out, "\"cpu\":{\"usage\":{\"total\":%llu,\"kernel\":%llu,\"user\":%llu},"
		"\"throttling\":{\"periods\":%llu,\"throttled_periods\":%llu,"
		"\"throttled_time\":%llu}}",
		number(cg, ctl, "cpu.stat", "usage_usec") * 1000,
		number(cg, ctl, "cpu.stat", "system_usec") * 1000,
		number(cg, ctl, "cpu.stat", "user_usec") * 1000,
		number(cg, ctl, "cpu.stat", "nr_periods"),
		number(cg, ctl, "cpu.stat", "nr_throttled"),
		number(cg, ctl, "cpu.stat", "throttled_usec") * 1000);
}

/* memory.stat, each "key value" line a member of "raw". */
static void print_memory_raw(FILE *out, const struct cgroups *cg)
{
	char buf[8192], *save = NULL;
	const char *sep = "";

	fputs(",\"raw\":{", out);
	if (cgroup_read(cg, CTL_MEMORY, "memory.stat", buf, sizeof buf) > 0)
		for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
			char key[64];
			unsigned long long v;
			size_t len = strspn(l, "abcdefghijklmnopqrstuvwxyz_0123456789");

			/* "key value": a key of [a-z_0-9], as sscanf's "%63[a-z_0-9] %llu" took. */
			if (!len || len >= sizeof key || !word_number(l + len, 0, ULLONG_MAX, &v))
				continue;
			memcpy(key, l, len);
			key[len] = '\0';
			fprintf(out, "%s\"%s\":%llu", sep, key, v);
			sep = ",";
		}
	fputc('}', out);
}

/* memory: usage, limit, peak and failures, of memory and of swap; the page cache. */
static void print_memory(FILE *out, const struct cgroups *cg)
{
	if (cg->v1_mount[CTL_MEMORY]) {
		fprintf(out, "\"memory\":{\"cache\":%llu,\"usage\":{\"limit\":%llu,\"usage\":%llu,"
			"\"max\":%llu,\"failcnt\":%llu},\"swap\":{\"limit\":%llu,\"usage\":%llu,"
			"\"max\":%llu,\"failcnt\":%llu}",
			number(cg, CTL_MEMORY, "memory.stat", "cache"),
			limit_number(cg, CTL_MEMORY, "memory.limit_in_bytes"),
			number(cg, CTL_MEMORY, "memory.usage_in_bytes", NULL),
			number(cg, CTL_MEMORY, "memory.max_usage_in_bytes", NULL),
			number(cg, CTL_MEMORY, "memory.failcnt", NULL),
			limit_number(cg, CTL_MEMORY, "memory.memsw.limit_in_bytes"),
			number(cg, CTL_MEMORY, "memory.memsw.usage_in_bytes", NULL),
			number(cg, CTL_MEMORY, "memory.memsw.max_usage_in_bytes", NULL),
			number(cg, CTL_MEMORY, "memory.memsw.failcnt", NULL));
	} else {
		fprintf(out, "\"memory\":{\"cache\":%llu,\"usage\":{\"limit\":%llu,\"usage\":%llu,"
			"\"max\":%llu,\"failcnt\":%llu},\"swap\":{\"limit\":%llu,\"usage\":%llu,"
			"\"failcnt\":0}",
			number(cg, CTL_MEMORY, "memory.stat", "file"),
			limit_number(cg, CTL_MEMORY, "memory.max"),
			number(cg, CTL_MEMORY, "memory.current", NULL),
			number(cg, CTL_MEMORY, "memory.peak", NULL),
			number(cg, CTL_MEMORY, "memory.events", "max"),
			limit_number(cg, CTL_MEMORY, "memory.swap.max"),
			number(cg, CTL_MEMORY, "memory.swap.current", NULL));
	}
	print_memory_raw(out, cg);
	fputc('}', out);
}

/* One stats event, runc's types.Stats: cpu, memory, pids (limit 0: none). */
static void print_stats(const char *id, const struct cgroups *cg)
{
	unsigned long long pids_max = limit_number(cg, CTL_PIDS, "pids.max");

	fputs("{\"type\":\"stats\",\"id\":", stdout);
	json_write_string(stdout, id);
	fputs(",\"data\":{", stdout);
	print_cpu(stdout, cg);
	fputc(',', stdout);
	print_memory(stdout, cg);
	fprintf(stdout, ",\"pids\":{\"current\":%llu,\"limit\":%llu},\"blkio\":{},\"hugetlb\":{}}}\n",
		number(cg, CTL_PIDS, "pids.current", NULL), pids_max == ULLONG_MAX ? 0 : pids_max);
	fflush(stdout);
}

/* The OOM killer's kills in the container so far: memory.oom_control's (v1) or memory.events'. */
static long long oom_kills(const struct cgroups *cg)
{
	return cg->v1_mount[CTL_MEMORY] ? cgroup_number(cg, CTL_MEMORY, "memory.oom_control",
							"oom_kill")
					: cgroup_number(cg, CTL_MEMORY, "memory.events", "oom_kill");
}

/*
 * The stream: stats every INTERVAL ms, and an oom event as soon as a kill
 * is counted (looked for every 100 ms at most), until init's pidfd says
 * the container ended.
 */
static void stream_events(const char *id, const struct cgroups *cg, int pidfd,
			  int64_t interval)
{
	int64_t tick = interval < 100 ? interval : 100, next_stats = now_ms();
	long long kills = oom_kills(cg);

	for (;;) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		long long now_kills = oom_kills(cg);

		if (now_kills > kills) {
			fputs("{\"type\":\"oom\",\"id\":", stdout);
			json_write_string(stdout, id);
			fputs("}\n", stdout);
			fflush(stdout);
		}
		kills = now_kills > kills ? now_kills : kills;
		if (now_ms() >= next_stats) {
			print_stats(id, cg);
			next_stats += interval;
		}
		if (poll(&p, 1, (int)tick) > 0)
			return;
	}
}

int cmd_events(const struct oci_args *global, int argc, char **argv)
{
	struct oci_args a = *global;
	struct oci_state st;
	struct cgroups *cg;
	int64_t interval;
	autoclose int pidfd = -1;
	char *text;

	if (parse_oci_options(&a, "events", argc, argv) != argc)
		die(EXIT_CANT_RUN, "events: one container ID");
	interval = parse_duration(a.interval ? a.interval : "5s");
	open_container(&st, &a, "events");
	text = container_cgroups(&st, "events");
	if (!(cg = cgroups_load(text)))
		exit(EXIT_CANT_RUN);	/* its one line said which line is not this host's */
	pidfd = state_pidfd(&st);
	/* A stream must not hold the folder: delete, kill and update go on meanwhile. */
	flock(st.dir_fd, LOCK_UN);
	if (a.stats)
		print_stats(st.id, cg);
	else if (pidfd >= 0)
		stream_events(st.id, cg, pidfd, interval);
	free(text);
	state_close(&st);
	return 0;
}
