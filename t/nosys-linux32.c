/*
 * nosys-linux32: run a program on a kernel that seems to run no 32-bit
 * programs, as arm64 on a CPU without AArch32 at EL0.
 *
 *   nosys-linux32 PROGRAM [ARG...]
 *
 * Installs a seccomp filter under which personality(PER_LINUX32) fails with
 * EINVAL, as arch/arm64/kernel/sys.c answers there, then execs PROGRAM.
 * t/605-oci-settings.t uses it to test that carapace refuses
 * linux.personality LINUX32 then, before it makes anything.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/personality.h>
#include <linux/audit.h>
#include "nosys.h"

#if defined(__x86_64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_AARCH64
#else
#error "nosys-linux32: no audit number for this architecture"
#endif

int main(int argc, char **argv)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_HERE, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_personality, 0, 3),
		/* The argument's low word, little-endian: the kernel reads an unsigned int. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PER_LINUX32, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	return RUN_FILTERED("nosys-linux32", filter, argc, argv);
}
