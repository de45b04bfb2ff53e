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

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

enum msg_type {
	MSG_GO = 'G',		/* launcher -> init: host-side setup is done */
	MSG_READY = 'R',	/* init -> launcher: container is set up */
	MSG_START = 'S',	/* launcher -> init: run the workload */
	MSG_ERROR = 'E',	/* container -> launcher: code, then message */
	MSG_PTY = 'P',		/* init -> launcher: the pty master, as SCM_RIGHTS */
};

#define autoclose __attribute__((cleanup(close_fdp)))

/* Functions and tables, by the file that defines them. */

/* src/util.c */
extern enum log_level log_threshold;
extern int report_fd;
void send_msg(int sock, char type, int code, const char *text);
__attribute__((noreturn, format(printf, 2, 3)))
void die(int code, const char *fmt, ...);
__attribute__((noreturn, format(printf, 1, 2)))
void die_errno(const char *fmt, ...);
void *xrealloc(void *p, size_t n);
__attribute__((format(printf, 1, 2)))
char *xasprintf(const char *fmt, ...);
void close_fdp(int *fd);
int64_t now_ms(void);
int sys_open_tree(int dfd, const char *path, unsigned flags);
int sys_move_mount(int from, int to);
int sys_mount_setattr(int dfd, const char *path, unsigned flags, struct mount_attr *attr);
__attribute__((format(printf, 2, 3)))
void log_msg(enum log_level level, const char *fmt, ...);

#endif /* CARAPACE_H */
