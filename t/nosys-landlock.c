/*
 * nosys-landlock: run a program as on a kernel without Landlock.
 *
 *   nosys-landlock PROGRAM [ARG...]
 *
 * A seccomp filter answers landlock_create_ruleset (444) with ENOSYS, as
 * kernels before 5.13 do, then PROGRAM runs; children keep the filter.
 * t/340-proc1-exe.t uses it to test the sealed memfd fallback that guards
 * the host's carapace binary. On another architecture than x86_64 nothing
 * is filtered, and the test skips.
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

#define NR_LANDLOCK_CREATE_RULESET 444

int main(int argc, char **argv)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_LANDLOCK_CREATE_RULESET, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	return RUN_FILTERED("nosys-landlock", filter, argc, argv);
}
