/*
 * t/exec-spy.c: for t/673-attacks.t, the container's side of an attack on
 * carapace exec (runc's CVE-2016-9962 and CVE-2019-5736 class). For
 * SECONDS, it watches /proc for processes that still run carapace (an
 * exec'd process before its exec; PID 1 is t/340's) and tries on each what
 * an attacker would: /proc/PID/exe opened for writing or as O_PATH,
 * /proc/PID/fd read, PTRACE_ATTACH; with SECRET, its /proc/PID/cmdline
 * and environ searched for it (exec's -e values, before the exec). Prints
 * "BROKEN: ..." for each success and, last, "tries N hits M"; exits 1 if
 * any succeeded.
 *
 *   exec-spy SECONDS [SECRET]
 *
 * Build: musl-gcc -static -o exec-spy t/exec-spy.c
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int is_carapace(const char *pid)
{
	char p[300], buf[256];
	ssize_t n;
	int fd;

	snprintf(p, sizeof p, "/proc/%s/comm", pid);
	if ((fd = open(p, O_RDONLY)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	return !strncmp(buf, "carapace", 8) || !strncmp(buf, "exe", 3);
}

/* Whether /proc/PID/FILE holds SECRET (NULs and all). */
static int leaks(const char *pid, const char *file, const char *secret)
{
	char p[300], buf[65536];
	ssize_t n;
	int fd;

	snprintf(p, sizeof p, "/proc/%s/%s", pid, file);
	if ((fd = open(p, O_RDONLY)) < 0)
		return 0;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] == 0)
			buf[i] = ' ';
	if (!strstr(buf, secret))
		return 0;
	printf("BROKEN: %s shows the secret\n", p);
	return 1;
}

int main(int argc, char **argv)
{
	const char *secret = argc > 2 ? argv[2] : NULL;
	time_t end = time(NULL) + (argc > 1 ? atoi(argv[1]) : 5);
	int self = getpid(), hits = 0, tries = 0;

	while (time(NULL) < end) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		while (d && (e = readdir(d))) {
			int pid = atoi(e->d_name);
			char p[64], l[256];

			if (pid <= 1 || pid == self || !is_carapace(e->d_name))
				continue;
			if (secret)
				hits += leaks(e->d_name, "cmdline", secret) +
					leaks(e->d_name, "environ", secret);
			tries++;
			snprintf(p, sizeof p, "/proc/%d/exe", pid);
			int fd = open(p, O_WRONLY);
			if (fd >= 0 || errno == ETXTBSY) {
				printf("BROKEN: %s opened for writing (%s)\n", p, fd >= 0 ? "ok" : "ETXTBSY");
				hits++;
			}
			if (fd >= 0)
				close(fd);
			fd = open(p, O_PATH);
			if (fd >= 0) {
				printf("BROKEN: %s opened O_PATH\n", p);
				hits++;
				close(fd);
			}
			snprintf(p, sizeof p, "/proc/%d/fd", pid);
			DIR *f = opendir(p);
			if (f) {
				struct dirent *x;
				while ((x = readdir(f)))
					if (x->d_name[0] != '.') {
						char q[600];
						snprintf(q, sizeof q, "%s/%s", p, x->d_name);
						ssize_t n = readlink(q, l, sizeof l - 1);
						if (n > 0) {
							l[n] = 0;
							printf("BROKEN: %s -> %s\n", q, l);
							hits++;
						}
					}
				closedir(f);
			}
			if (ptrace(PTRACE_ATTACH, pid, 0, 0) == 0) {
				printf("BROKEN: ptrace attached to %d\n", pid);
				hits++;
				waitpid(pid, NULL, __WALL);
				ptrace(PTRACE_DETACH, pid, 0, 0);
			}
		}
		if (d)
			closedir(d);
	}
	printf("tries %d hits %d\n", tries, hits);
	return hits ? 1 : 0;
}
