/*
 * t/init-probe.c: measures what an init does, for t/measure-init.sh.
 * Build: musl-gcc -static -O2 -o init-probe t/init-probe.c
 *
 *   init-probe storm orphans|children N
 *	Starts N processes that block on one pipe, then closes its write end:
 *	all N exit at once. "orphans": each is a grandchild whose parent
 *	already exited, so the init (PID 1 or subreaper) reaps them; the probe
 *	waits until no pid is left (kill(pid, 0) fails). "children": the probe
 *	reaps them itself, as the baseline. Prints the milliseconds from the
 *	close to the last pid gone.
 *
 *   init-probe storm zombies N
 *	Reaping alone, for an init that the caller stops and continues:
 *	starts N orphans as above, prints "spawned" and reads a line from
 *	stdin (the caller stops init meanwhile), lets the orphans exit, waits
 *	until all N are zombies, prints "zombies" (the caller records the
 *	time and continues init), waits until no pid is left and prints
 *	"t1 NS", NS on CLOCK_REALTIME (the clock a shell can read too).
 *
 *   init-probe sigprobe
 *	Prints "ready", then for each SIGTERM its handler records
 *	CLOCK_MONOTONIC, and the probe prints "t1 NS" and "ready" again.
 *
 *   init-probe siglat ROUNDS COMMAND...
 *	Runs COMMAND (which must end up running `init-probe sigprobe`) with
 *	stdout on a pipe. At each "ready" it records CLOCK_MONOTONIC, sends
 *	SIGTERM to COMMAND's process, and reads the probe's "t1 NS". Prints
 *	the median, minimum, 90th percentile and maximum of t1 - t0 in
 *	microseconds. The clock is system-wide, so both sides compare.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "init-probe: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The state letter of PID in /proc/PID/stat, or 0 if it has none. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

static int storm(int orphans, int stop_init, int n)
{
	int gate[2], pids[2];
	pid_t *list = calloc((size_t)n, sizeof *list);
	int64_t t0, t1;

	if (!list || pipe(gate) || pipe(pids))
		die("setup");
	for (int i = 0; i < n; i++) {
		pid_t p = fork();

		if (p < 0)
			die("fork");
		if (p == 0) {
			if (orphans) {
				pid_t g = fork();

				if (g < 0)
					_exit(1);
				if (g > 0) {
					(void)!write(pids[1], &g, sizeof g);
					_exit(0);	/* the grandchild is now an orphan */
				}
			}
			char c;

			close(gate[1]);
			close(pids[0]);
			close(pids[1]);
			(void)!read(gate[0], &c, 1);	/* until the gate closes */
			_exit(0);
		}
		if (orphans) {
			if (read(pids[0], &list[i], sizeof list[i]) != sizeof list[i])
				die("read pid");
			waitpid(p, NULL, 0);
		} else {
			list[i] = p;
		}
	}
	if (stop_init) {
		char line[64];

		printf("spawned\n");
		fflush(stdout);
		if (!fgets(line, sizeof line, stdin))
			die("read go");
		close(gate[1]);
		for (int i = 0; i < n;) {
			char st = proc_state(list[i]);

			if (st == 'Z')
				i++;
			else if (st == 0)
				die("an orphan was reaped: is init stopped?");
			else
				usleep(100);
		}
		printf("zombies\n");
		fflush(stdout);
		for (int i = 0; i < n;) {
			if (kill(list[i], 0) == 0)
				usleep(20);
			else
				i++;
		}
		printf("t1 %lld\n", (long long)realtime_ns());
		return 0;
	}
	t0 = now_ns();
	close(gate[1]);
	if (orphans) {
		for (int i = 0; i < n;) {
			if (kill(list[i], 0) == 0)
				usleep(50);
			else
				i++;
		}
	} else {
		for (int i = 0; i < n; i++)
			if (waitpid(-1, NULL, 0) < 0)
				die("waitpid");
	}
	t1 = now_ns();
	printf("%.1f\n", (double)(t1 - t0) / 1e6);
	return 0;
}

static volatile sig_atomic_t got;
static int64_t t_handler;

static void on_term(int sig)
{
	(void)sig;
	t_handler = now_ns();
	got = 1;
}

__attribute__((noreturn))
static void sigprobe(void)
{
	struct sigaction sa = { .sa_handler = on_term };
	sigset_t term, old;

	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		if (printf("ready\n") < 0 || fflush(stdout))
			exit(0);
		while (!got)
			sigsuspend(&old);	/* no TERM is lost between checks */
		got = 0;
		/* Once the reader is gone, so is the probe (SIGPIPE may be ignored). */
		if (printf("t1 %lld\n", (long long)t_handler) < 0 || fflush(stdout))
			exit(0);
	}
}

static int cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int siglat(int rounds, char **cmd)
{
	int out[2];
	pid_t pid;
	FILE *in;
	char line[128];
	int64_t *lat = calloc((size_t)rounds, sizeof *lat), t0 = 0;
	int done = 0;

	if (!lat || pipe(out))
		die("setup");
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		close(out[1]);
		execvp(cmd[0], cmd);
		die("exec");
	}
	close(out[1]);
	in = fdopen(out[0], "r");
	while (done < rounds && fgets(line, sizeof line, in)) {
		long long t1;

		if (!strcmp(line, "ready\n")) {
			usleep(2000);	/* let everything settle back to sleep */
			t0 = now_ns();
			kill(pid, SIGTERM);
		} else if (sscanf(line, "t1 %lld", &t1) == 1) {
			lat[done++] = t1 - t0;
		}
	}
	/*
	 * The end: with the pipe closed, one more TERM makes the probe's next
	 * write fail, and it exits; so does whatever init runs it. SIGKILL
	 * only as the last resort: an init's child could outlive it.
	 */
	fclose(in);
	kill(pid, SIGTERM);
	for (int i = 0; i < 500 && waitpid(pid, NULL, WNOHANG) == 0; i++)
		usleep(10000);
	if (kill(pid, 0) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (done < rounds) {
		fprintf(stderr, "init-probe: only %d of %d rounds\n", done, rounds);
		return 1;
	}
	qsort(lat, (size_t)rounds, sizeof *lat, cmp);
	printf("median %.1f min %.1f p90 %.1f max %.1f\n",
	       (double)lat[rounds / 2] / 1e3, (double)lat[0] / 1e3,
	       (double)lat[rounds * 9 / 10] / 1e3, (double)lat[rounds - 1] / 1e3);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "storm"))
		return storm(strcmp(argv[2], "children") != 0, !strcmp(argv[2], "zombies"),
			     atoi(argv[3]));
	if (argc == 2 && !strcmp(argv[1], "sigprobe"))
		sigprobe();
	if (argc >= 4 && !strcmp(argv[1], "siglat"))
		return siglat(atoi(argv[2]), argv + 3);
	fprintf(stderr, "usage: init-probe storm orphans|children|zombies N\n"
			"       init-probe sigprobe\n"
			"       init-probe siglat ROUNDS COMMAND...\n");
	return 2;
}
