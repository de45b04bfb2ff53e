/*
 * t/seccomp-verdicts.c: what carapace's seccomp filter says to a set of
 * system calls, on the architecture it is built for, for t/301: it builds
 * the filter as carapace run does (src/seccomp.c, linked in as t/unit.c
 * is) and runs it in t/bpf-run.h's interpreter, so that an arm64 build
 * runs under qemu-user, which installs no filter, and on any arm64 board.
 *
 *   seccomp-verdicts [PROFILE]
 *
 * PROFILE: --seccomp's, either form; none: the default profile. Prints
 * "CALL: VERDICT" per line. The calls are named, so both architectures
 * print the same lines but where they differ on purpose: a name it
 * lacks says "none", and each prints its compat ABI's line (i386 or
 * 32-bit Arm) and x86-64 its x32 one.
 *
 * SPDX-License-Identifier: MIT
 */
#include "../src/carapace.h"
#include "bpf-run.h"

#if defined(__x86_64__)
#define COMPAT_ARCH AUDIT_ARCH_I386
#define OWN_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define COMPAT_ARCH AUDIT_ARCH_ARM
#define OWN_ARCH AUDIT_ARCH_AARCH64
#endif

static const char *verdict_name(uint32_t v)
{
	static char buf[32];

	switch (v & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW: return "allow";
	case SECCOMP_RET_KILL_PROCESS: return "kill-process";
	case SECCOMP_RET_KILL_THREAD: return "kill-thread";
	case SECCOMP_RET_TRAP: return "trap";
	case SECCOMP_RET_LOG: return "log";
	case SECCOMP_RET_ERRNO:
		return (v & SECCOMP_RET_DATA) == EPERM ? "EPERM" :
		       (v & SECCOMP_RET_DATA) == ENOSYS ? "ENOSYS" :
		       (snprintf(buf, sizeof buf, "errno %u", v & SECCOMP_RET_DATA), buf);
	}
	snprintf(buf, sizeof buf, "0x%08x", v);
	return buf;
}

static void say(const struct seccomp_filter *f, const char *label, uint32_t arch, int nr,
		uint64_t a0)
{
	struct seccomp_data d = { .nr = nr, .arch = arch, .args = { a0 } };

	printf("%s: %s\n", label, verdict_name(run_bpf(f, &d)));
}

int main(int argc, char **argv)
{
	static const struct { const char *label, *name; uint64_t a0; } calls[] = {
		{ "read", "read", 0 }, { "openat", "openat", 0 }, { "open", "open", 0 },
		{ "fork", "fork", 0 }, { "mkdirat", "mkdirat", 0 }, { "mount", "mount", 0 },
		{ "keyctl", "keyctl", 0 }, { "bpf", "bpf", 0 }, { "kexec_load", "kexec_load", 0 },
		{ "clone(0)", "clone", 0 }, { "clone(CLONE_NEWUSER)", "clone", CLONE_NEWUSER },
		{ "clone(CLONE_NEWNS|SIGCHLD)", "clone", CLONE_NEWNS | SIGCHLD },
		{ "clone3", "clone3", 0 }, { "personality(0xffffffff)", "personality", 0xffffffff },
		{ "personality(PER_LINUX32)", "personality", PER_LINUX32 },
		{ "personality(0x40008)", "personality", 0x40008 },
		{ "socket(AF_INET)", "socket", AF_INET }, { "socket(AF_VSOCK)", "socket", AF_VSOCK },
		{ "statmount", "statmount", 0 }, { "exit_group", "exit_group", 0 },
	};
	struct container c = { .privileges.seccomp = argc > 1 ? argv[1] : NULL };
	static struct seccomp_filter f;

	build_seccomp(&c, &f);
	for (size_t i = 0; i < sizeof calls / sizeof calls[0]; i++) {
		int nr = syscall_number(calls[i].name, strlen(calls[i].name));

		if (nr < 0)
			printf("%s: none\n", calls[i].label);
		else
			say(&f, calls[i].label, OWN_ARCH, nr, calls[i].a0);
	}
	say(&f, "number 1000", OWN_ARCH, 1000, 0);
	say(&f, "number -1", OWN_ARCH, -1, 0);
	/* The compat ABI's read, whatever its number there: 3 on both. */
	say(&f, "compat read", COMPAT_ARCH, 3, 0);
	say(&f, "another machine's read", AUDIT_ARCH_PPC64LE, 3, 0);
#ifdef __x86_64__
	say(&f, "x32 read", OWN_ARCH, 0x40000000, 0);
#endif
	return 0;
}
