#!/bin/bash
# t/seccomp-filters.sh [CARAPACE]: prints the seccomp filter that CARAPACE
# (default: ./carapace) installs for each of several option sets, as the
# kernel holds it (t/seccomp-dump.c), so that two builds can be compared:
#
#   t/seccomp-filters.sh old/carapace >old.txt
#   t/seccomp-filters.sh ./carapace >new.txt && diff old.txt new.txt
#
# The option sets: the default, capabilities that let system calls through,
# --allow-new-privs, and profiles with each default action, one of which
# names every system call carapace knows, and podman's default profile in
# the OCI form. Run as root, from the top folder.
set -eu
carapace=$(realpath "${1:-./carapace}")
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
musl-gcc -static -O2 -isystem "$top/build/include" -o "$work/seccomp-dump" \
	"$top/t/seccomp-dump.c"

# What busybox's sleep needs from its exec on: these stay allowed.
# restart_syscall: sleep's, after the dump's ptrace stop.
keep='execve brk mmap munmap mprotect arch_prctl set_tid_address set_robust_list
rseq prlimit64 rt_sigaction rt_sigprocmask rt_sigreturn readlink getrandom prctl
getuid nanosleep clock_nanosleep restart_syscall exit exit_group read write close'
# Every name carapace knows: the kernel header's, and the later ones.
names=$( (sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' \
	"$top/build/include/asm/unistd_64.h"
	printf '%s\n' uretprobe cachestat fchmodat2 map_shadow_stack futex_wake \
		futex_wait futex_requeue statmount listmount lsm_get_self_attr \
		lsm_set_self_attr lsm_list_modules mseal setxattrat getxattrat \
		listxattrat removexattrat open_tree_attr) | grep -vxF "$(printf '%s\n' $keep)")
# profile FILE DEFAULT: every name, with actions in turn, after DEFAULT.
profile() {
	{
		echo "default: $2"
		printf '%s allow\n' $keep
		printf '%s\n' $names |
			awk '{ print $1, NR % 3 == 0 ? "allow" : NR % 3 == 1 ? "errno" : "kill" }'
	} >"$1"
}
profile "$work/every-allow" allow
profile "$work/every-errno" errno
profile "$work/every-kill" kill
printf 'default: allow\nmkdir errno\nopen_tree_attr kill\n' >"$work/few"

# workload_of LAUNCHER: the pid of the sleep that LAUNCHER's init forked.
workload_of() {
	local init pid
	for _ in $(seq 100); do
		init=$(awk -v p="$1" '$4 == p { print $1 }' /proc/[0-9]*/stat 2>/dev/null | head -1)
		pid=${init:+$(awk -v p="$init" '$4 == p && $2 == "(sleep)" { print $1 }' \
			/proc/[0-9]*/stat 2>/dev/null | head -1)}
		[ -n "$pid" ] && { echo "$pid"; return; }
		sleep 0.05
	done
	echo "seccomp-filters: no workload under $1" >&2
	return 1
}

while read -r opts; do
	echo "== ${opts:-(default)}" | sed -e "s|$work/||g" -e "s|$top/||g"
	# shellcheck disable=SC2086 # the options are words
	"$carapace" run -q -r "$top/rootfs" $opts sleep 30 &
	launcher=$!
	"$work/seccomp-dump" "$(workload_of "$launcher")"
	kill "$launcher"
	wait "$launcher" || true
done <<EOF

--userns --uidmap 0:100000:65536 --cap-add ALL
--cap-add SYS_ADMIN
--cap-add SYS_PTRACE --cap-add SYS_TIME --cap-add SYSLOG
--allow-new-privs
--seccomp $work/every-allow
--seccomp $work/every-errno
--seccomp $work/every-kill
--seccomp $work/few --allow-new-privs
--seccomp $work/few
--seccomp $top/t/oci-seccomp/podman.json
EOF
