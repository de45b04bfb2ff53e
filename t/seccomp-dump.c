/*
 * t/seccomp-dump.c: prints the seccomp filters of a process as the kernel
 * holds them, for t/seccomp-filters.sh, which compares the filters that
 * two builds of carapace install.
 *
 *   seccomp-dump PID
 *
 * Attaches with ptrace and reads each filter with PTRACE_SECCOMP_GET_FILTER
 * (root, and a kernel with CONFIG_CHECKPOINT_RESTORE), newest first: a
 * "filter N: LEN instructions" line, then one "code jt jf k" line, in hex,
 * per instruction. Exits 0, or 1 with a message.
 * Build: musl-gcc -static -isystem build/include -o seccomp-dump t/seccomp-dump.c
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <linux/filter.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

static int fail(const char *what, pid_t pid)
{
	fprintf(stderr, "seccomp-dump: %s %d: %s\n", what, (int)pid, strerror(errno));
	return 1;
}

/* Prints filter INDEX of the stopped tracee PID; 0, 1 past the last, -1 on error. */
static int dump_filter(pid_t pid, unsigned long index)
{
	long n = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)index, NULL);
	struct sock_filter *insns;

	if (n < 0)
		return errno == ENOENT ? 1 : -1;
	insns = calloc((size_t)n, sizeof *insns);
	if (!insns || ptrace(PTRACE_SECCOMP_GET_FILTER, pid, (void *)index, insns) != n) {
		free(insns);
		return -1;
	}
	printf("filter %lu: %ld instructions\n", index, n);
	for (long i = 0; i < n; i++)
		printf("%04x %02x %02x %08x\n", insns[i].code, insns[i].jt, insns[i].jf,
		       insns[i].k);
	free(insns);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long index = 0;
	int status, rc;
	pid_t pid;

	if (argc != 2 || (pid = (pid_t)atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: seccomp-dump PID\n");
		return 2;
	}
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL))
		return fail("attach to", pid);
	if (waitpid(pid, &status, __WALL) != pid)
		return fail("wait for", pid);
	while ((rc = dump_filter(pid, index)) == 0)
		index++;
	if (rc < 0)
		return fail("read the filters of", pid);
	if (index == 0)
		printf("no filter\n");
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL))
		return fail("detach from", pid);
	return 0;
}
