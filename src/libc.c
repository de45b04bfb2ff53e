/*
 * libc.c: musl's setresuid, setresgid, setgroups and setrlimit, for a
 * process of one thread. musl's apply each to every thread of the process
 * (__synccall: a signal to each, semaphores, a timed wait: 2 KB of the
 * binary); carapace starts no thread, so each is its system call, with
 * the same result. They replace musl's at link time, as printf.c's
 * vfprintf does.
 *
 * SPDX-License-Identifier: MIT
 */
#include "carapace.h"

int setresuid(uid_t ruid, uid_t euid, uid_t suid)
{
	return (int)syscall(SYS_setresuid, ruid, euid, suid);
}

int setresgid(gid_t rgid, gid_t egid, gid_t sgid)
{
	return (int)syscall(SYS_setresgid, rgid, egid, sgid);
}

int setgroups(size_t count, const gid_t list[])
{
	return (int)syscall(SYS_setgroups, count, list);
}

int setrlimit(int resource, const struct rlimit *limit)
{
	return (int)syscall(SYS_prlimit64, 0, resource, limit, NULL);
}
