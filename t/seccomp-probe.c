/*
 * seccomp-probe: makes one system call and says how it went, for
 * t/300-seccomp.t. Static, so that it runs in the busybox rootfs.
 *
 *   seccomp-probe CALL [ARG]
 *
 * Prints "ok", or the errno's name (EPERM, ENOSYS, ...), and exits 0; a
 * filter that kills shows as death by SIGSYS. CALL is one of:
 *   i386             getpid through int 0x80, the 32-bit ABI
 *   x32              getpid with the x32 bit set
 *   personality N    personality(N)
 *   add_key, keyctl  the kernel keyring
 *   clone FLAGS      clone(FLAGS), the child exits at once
 *   clone3           clone3 without flags
 *   socket DOMAIN    socket(DOMAIN, SOCK_STREAM, 0)
 *   syscall NR [A..] system call NR with arguments A (up to 6, 64-bit), the rest 0
 *   bench N [NR [A]] N calls of NR (default getppid), with A as first
 *                    argument; prints the nanoseconds per call
 *
 * SPDX-License-Identifier: MIT
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/sched.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

static const struct { int num; const char *name; } errnos[] = {
	{ EPERM, "EPERM" }, { ENOSYS, "ENOSYS" }, { EINVAL, "EINVAL" },
	{ EACCES, "EACCES" }, { EFAULT, "EFAULT" }, { ENOKEY, "ENOKEY" },
	{ EAFNOSUPPORT, "EAFNOSUPPORT" }, { EBADF, "EBADF" },
};

/* Reports a raw system call result: negative values are errnos. */
static int report(long ret, int err)
{
	if (ret >= 0) {
		puts("ok");
		return 0;
	}
	for (size_t i = 0; i < sizeof errnos / sizeof errnos[0]; i++)
		if (errnos[i].num == err) {
			puts(errnos[i].name);
			return 0;
		}
	printf("errno %d\n", err);
	return 0;
}

#if defined(__x86_64__)
static long int80(long nr)
{
	long ret;

	/* Older kernels clobber r8-r11 on int 0x80 from 64-bit code. */
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory", "r8", "r9", "r10", "r11");
	return ret;
}
#else
/* No instruction of this architecture enters i386's table (arm64's compat
 * calls need a 32-bit program: t/vm/arm32-probe.sh). */
static long int80(long nr)
{
	(void)nr;
	return -ENOSYS;
}
#endif

static long child_exits(long pid)
{
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, __WALL);
	return pid;
}

static int bench(long n, long nr, long arg)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		syscall(nr, arg);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
	return 0;
}

int main(int argc, char **argv)
{
	const char *call = argc > 1 ? argv[1] : "";
	long arg = argc > 2 ? strtol(argv[2], NULL, 0) : 0;
	long ret;

	if (!strcmp(call, "i386")) {
		ret = int80(20);	/* __NR_getpid in the i386 table */
		return report(ret, (int)-ret);
	}
	if (!strcmp(call, "x32"))
		ret = syscall(0x40000000 | 39);	/* getpid */
	else if (!strcmp(call, "personality"))
		ret = syscall(SYS_personality, arg);
	else if (!strcmp(call, "add_key"))
		ret = syscall(SYS_add_key, "user", "probe", "x", 1, -2 /* process keyring */);
	else if (!strcmp(call, "keyctl"))
		ret = syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -2, 1);
	else if (!strcmp(call, "clone"))
		ret = child_exits(syscall(SYS_clone, arg | SIGCHLD, 0, 0, 0, 0));
	else if (!strcmp(call, "clone3")) {
		struct clone_args ca = { .exit_signal = SIGCHLD };

		ret = child_exits(syscall(SYS_clone3, &ca, sizeof ca));
	} else if (!strcmp(call, "socket"))
		ret = socket((int)arg, SOCK_STREAM, 0);
	else if (!strcmp(call, "syscall")) {
		unsigned long a[6] = { 0 };

		for (int i = 0; i < 6 && i + 3 < argc; i++)
			a[i] = strtoul(argv[i + 3], NULL, 0);
		ret = syscall(arg, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	else if (!strcmp(call, "bench"))
		return bench(arg > 0 ? arg : 1000000, argc > 3 ? strtol(argv[3], NULL, 0) : SYS_getppid,
			     argc > 4 ? strtol(argv[4], NULL, 0) : 0);
	else {
		fprintf(stderr, "usage: seccomp-probe CALL [ARG] (see its source)\n");
		return 2;
	}
	return report(ret, errno);
}
