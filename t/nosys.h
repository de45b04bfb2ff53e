/*
 * nosys.h: what the nosys-* test programs share: install a seccomp filter
 * (with no_new_privs, so that no privilege is needed), then run PROGRAM
 * under it. Exit 125 for a failure of their own, 127 for a failed exec.
 *
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/filter.h>
#include <linux/seccomp.h>

static int run_filtered(const char *me, const struct sock_fprog *prog, char **argv)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		fprintf(stderr, "%s: PR_SET_NO_NEW_PRIVS: %s\n", me, strerror(errno));
		return 125;
	}
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, prog)) {
		fprintf(stderr, "%s: seccomp: %s\n", me, strerror(errno));
		return 125;
	}
	execvp(argv[0], argv);
	fprintf(stderr, "%s: exec: %s: %s\n", me, argv[0], strerror(errno));
	return 127;
}

/* main for a program whose filter is fixed: PROGRAM [ARG...] under FILTER. */
#define RUN_FILTERED(me, filter, argc, argv) \
	run_fixed(me, &(struct sock_fprog){ .len = sizeof(filter) / sizeof((filter)[0]), \
					    .filter = (filter) }, argc, argv)

static inline int run_fixed(const char *me, const struct sock_fprog *prog, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM [ARG...]\n", me);
		return 125;
	}
	return run_filtered(me, prog, argv + 1);
}
