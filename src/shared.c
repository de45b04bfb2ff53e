/*
 * shared.c: the tables that shared.h declares for the C code and for
 * inspector.cpp.
 *
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>
#include <linux/capability.h>
#include "shared.h"

/* By bit, so that no name sits in another's place; two for one bit fail to build. */
#define CAP_NAME(x) [CAP_##x] = #x
const char *const cap_names[N_CAPS] = {
	CAP_NAME(CHOWN), CAP_NAME(DAC_OVERRIDE), CAP_NAME(DAC_READ_SEARCH), CAP_NAME(FOWNER),
	CAP_NAME(FSETID), CAP_NAME(KILL), CAP_NAME(SETGID), CAP_NAME(SETUID),
	CAP_NAME(SETPCAP), CAP_NAME(LINUX_IMMUTABLE), CAP_NAME(NET_BIND_SERVICE),
	CAP_NAME(NET_BROADCAST), CAP_NAME(NET_ADMIN), CAP_NAME(NET_RAW), CAP_NAME(IPC_LOCK),
	CAP_NAME(IPC_OWNER), CAP_NAME(SYS_MODULE), CAP_NAME(SYS_RAWIO), CAP_NAME(SYS_CHROOT),
	CAP_NAME(SYS_PTRACE), CAP_NAME(SYS_PACCT), CAP_NAME(SYS_ADMIN), CAP_NAME(SYS_BOOT),
	CAP_NAME(SYS_NICE), CAP_NAME(SYS_RESOURCE), CAP_NAME(SYS_TIME),
	CAP_NAME(SYS_TTY_CONFIG), CAP_NAME(MKNOD), CAP_NAME(LEASE), CAP_NAME(AUDIT_WRITE),
	CAP_NAME(AUDIT_CONTROL), CAP_NAME(SETFCAP), CAP_NAME(MAC_OVERRIDE),
	CAP_NAME(MAC_ADMIN), CAP_NAME(SYSLOG), CAP_NAME(WAKE_ALARM), CAP_NAME(BLOCK_SUSPEND),
	CAP_NAME(AUDIT_READ), CAP_NAME(PERFMON), CAP_NAME(BPF), CAP_NAME(CHECKPOINT_RESTORE),
};
_Static_assert(CAP_CHECKPOINT_RESTORE == N_CAPS - 1, "a capability without a name");

const char *const default_masked_paths[] = {
	"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
	"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
	"/sys/firmware", "/sys/devices/virtual/powercap", NULL,
};
const char *const default_readonly_paths[] = {
	"/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	"/proc/sysrq-trigger", NULL,
};
