/*
 * nosys-mount: run a program on a kernel that seems older than it is.
 *
 *   nosys-mount SYSCALL[,SYSCALL...] PROGRAM [ARG...]
 *
 * SYSCALL is mount_setattr (Linux 5.12), openat2 (5.6) or open_tree (5.2).
 * A seccomp filter makes each fail with ENOSYS, as on kernels before it,
 * then PROGRAM runs; the filter passes to children, so the volume tests use
 * it to test carapace's fallbacks. x86_64 only: elsewhere every system call
 * is let through.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include "nosys.h"

static const struct { const char *name; unsigned nr; } known[] = {
	{ "open_tree", 428 }, { "openat2", 437 }, { "mount_setattr", 442 },
};

int main(int argc, char **argv)
{
	struct sock_filter filter[4 + 2 * 3 + 1] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	};
	struct sock_fprog prog = { .filter = filter };
	unsigned short n = 4;

	if (argc < 3) {
		fprintf(stderr, "usage: nosys-mount SYSCALL[,SYSCALL...] PROGRAM [ARG...]\n");
		return 125;
	}
	for (char *name = strtok(argv[1], ","); name; name = strtok(NULL, ",")) {
		size_t i;

		for (i = 0; i < sizeof known / sizeof known[0] && strcmp(name, known[i].name); i++)
			;
		if (i == sizeof known / sizeof known[0] || n == 10) {
			fprintf(stderr, "nosys-mount: unknown or repeated system call: %s\n", name);
			return 125;
		}
		filter[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, known[i].nr, 0, 1);
		filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	}
	filter[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog.len = n;
	return run_filtered("nosys-mount", &prog, argv + 2);
}
