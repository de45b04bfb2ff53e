/*
 * carapace.h: the one interface between carapace.c, the container's life
 * story, and the subsystems in src/ that it calls in order.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CARAPACE_H
#define CARAPACE_H

#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/bpf.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <linux/seccomp.h>

#define CARAPACE_VERSION "0.1.0"

/* Exit codes, as docker, runc and crun use them. */
enum {
	EXIT_CANT_RUN = 125,	/* carapace itself failed */
	EXIT_CANT_EXEC = 126,	/* the command exists but can't be executed */
	EXIT_NOT_FOUND = 127,	/* the command was not found */
};

/* The inspector (inspector.cpp) prints what the container looks like. */
int inspector_banner(int fd, const char *hostname, unsigned long namespaces,
		     const char *root_mode, unsigned long long caps);
void inspector_host_namespaces(unsigned long long inodes[8]);
int inspector_report(int fd, bool json, const unsigned long long host_ns[8]);

/* Functions and tables, by the file that defines them. */

#endif /* CARAPACE_H */
