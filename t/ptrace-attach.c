/*
 * t/ptrace-attach.c: tries to PTRACE_ATTACH to a process, for t/150-proc1.t.
 *
 *   ptrace-attach PID    attach to PID
 *   ptrace-attach child  attach to a child of our own (shows ptrace works)
 *
 * Exits 0 when the attach succeeded, 1 with a message when it failed.
 * Build: musl-gcc -static -o ptrace-attach t/ptrace-attach.c
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t pid, child = 0;
	int status;

	if (argc != 2) {
		fprintf(stderr, "usage: ptrace-attach PID|child\n");
		return 2;
	}
	if (!strcmp(argv[1], "child")) {
		child = fork();
		if (child < 0) {
			perror("fork");
			return 2;
		}
		if (child == 0) {
			pause();
			_exit(0);
		}
		pid = child;
	} else {
		pid = (pid_t)atoi(argv[1]);
	}
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL)) {
		fprintf(stderr, "ptrace-attach: %d: %s\n", (int)pid, strerror(errno));
		if (child)
			kill(child, SIGKILL);
		return 1;
	}
	/* Wait for the attach stop, then let the tracee go as it was. */
	waitpid(pid, &status, child ? 0 : __WALL);
	ptrace(PTRACE_DETACH, pid, NULL, NULL);
	if (child)
		kill(child, SIGKILL);
	printf("attached to %d\n", (int)pid);
	return 0;
}
