#!/bin/bash
# t/310-escapes.t: escape attempts from a default container, as root inside.
# Each must fail. (Others live with their topic: the chroot break-out in
# 060, mknod of the host's disk in 080, fds in 140, /proc/1 and ptrace in
# 150, mount and unshare in 300.)
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
host_hostname=$(hostname)

# /proc/sys is read-only: no sysctl reaches the host.
run cara /bin/sh -c 'echo evil > /proc/sys/kernel/hostname'
like "$ERR" 'Read-only file system' "writing /proc/sys/kernel/hostname fails with EROFS"
is "$(hostname)" "$host_hostname" "the host's hostname is unchanged"
run cara /bin/sh -c 'echo 1 > /proc/sys/vm/drop_caches'
isnt "$RC" 0 "writing /proc/sys/vm/drop_caches fails"
run cara /bin/sh -c 'echo h > /proc/sysrq-trigger'
isnt "$RC" 0 "writing /proc/sysrq-trigger fails"

# Masked files read as nothing; masked folders are empty.
run cara /bin/sh -c 'for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do
	[ -e $f ] && printf "%s:%s\n" $f "$(head -c 64 $f | wc -c)"; done; ls -A /sys/firmware /proc/acpi 2>/dev/null | grep -c "^[^/]"'
unlike "$OUT" ':[1-9]' "masked /proc files read as empty ($(echo $OUT))"
is "$(echo "$OUT" | tail -1)" 0 "/sys/firmware and /proc/acpi show nothing"

# Kernel modules: no CAP_SYS_MODULE, and seccomp denies the calls. (A kernel
# without module support answers ENOSYS: it fails all the same.)
run cara /bin/sh -c 'insmod /bin/busybox'
isnt "$RC" 0 "loading a kernel module fails"
like "$ERR" "can't insert" "loading a kernel module: insmod says it could not ($ERR)"

# Host processes are invisible, and a guessed pid is no one.
sleep 300 &
host_sleep=$!
run cara /bin/sh -c "kill -9 $host_sleep; ls /proc | grep -c '^[0-9]'"
like "$ERR" 'No such process' "killing a host pid ($host_sleep) from inside gives ESRCH"
ok "the host process survives" kill -0 "$host_sleep"
kill "$host_sleep"
wait "$host_sleep" 2>/dev/null

# The network is the container's own: only lo.
run cara /bin/sh -c 'ls /sys/class/net'
is "$OUT" lo "only lo is visible"

# Capabilities: exactly Docker's default set, no more.
run cara /bin/sh -c 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status'
is "$(echo "$OUT" | awk '{ print $2 }' | tr '\n' ' ')" \
	"0000000000000000 00000000a80425fb 00000000a80425fb 00000000a80425fb 0000000000000000 " \
	"caps: inheritable and ambient empty; permitted, effective, bounding = docker's default"
for cap in CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP \
	NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE; do
	run cara --cap-drop "$cap" /bin/sh -c 'grep CapBnd /proc/self/status'
	isnt "$OUT" "CapBnd:	00000000a80425fb" "caps: $cap is in the default set (dropping it changes the set)"
done
run cara --cap-drop ALL /bin/sh -c 'grep CapEff /proc/self/status'
is "$OUT" "CapEff:	0000000000000000" "caps: --cap-drop ALL leaves none"
if asan_build; then skip_sealed_copy 1 "--cap-add sys_admin"; else
	run cara --cap-add sys_admin --cap-drop CAP_MKNOD /bin/sh -c 'grep CapBnd /proc/self/status'
	is "$OUT" "CapBnd:	00000000a02425fb" "caps: --cap-add sys_admin --cap-drop CAP_MKNOD"
fi
run cara --cap-add CAP_BOGUS /bin/true
is "$RC:$ERR" "125:carapace: --cap-add/--cap-drop: unknown capability: 'CAP_BOGUS'" \
	"caps: an unknown name is an error"

# Users: names from the container's files, never the host's.
run cara -u app /bin/sh -c 'id; echo $HOME; grep CapEff /proc/self/status'
is "$(echo "$OUT" | head -1)" "uid=1000(app) gid=1000(app) groups=50(staff)" \
	"-u app: uid, gid and the container's supplementary groups"
is "$(echo "$OUT" | sed -n 2p)" /home/app "-u app: HOME from the container's passwd"
is "$(echo "$OUT" | sed -n 3p)" "CapEff:	0000000000000000" "-u app: no effective capabilities"
run cara -u 4321:staff --group-add tty id
is "$OUT" "uid=4321 gid=50(staff) groups=5(tty)" "-u NUMBER:GROUP --group-add: numbers always work"
run cara -u app -e HOME=/tmp /bin/sh -c 'echo $HOME'
is "$OUT" /tmp "-u with -e HOME: the explicit HOME wins"
if getent passwd daemon >/dev/null; then
	run cara -u daemon id
	is "$RC" 125 "-u daemon: a user only the host has is an error"
	like "$ERR" "^carapace: --user: daemon: no such user in the container's /etc/passwd$" \
		"-u daemon: the message names it"
fi
run cara -u app:nogroup-here /bin/true
is "$RC" 125 "-u app:UNKNOWN: an unknown group is an error"

# Resource limits.
run cara --ulimit nofile=100:200 /bin/sh -c 'ulimit -n; ulimit -Hn'
is "$(echo $OUT)" "100 200" "--ulimit nofile=100:200"
run cara --ulimit core=0 /bin/sh -c 'ulimit -c'
is "$OUT" 0 "--ulimit core=0"
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ]; then
	run cara --ulimit nofile=10:$((hard + 1)) /bin/true
	is "$RC" 125 "--ulimit above the hard limit without CAP_SYS_RESOURCE: 125"
	like "$ERR" "^carapace: --ulimit: nofile=10:$((hard + 1)): Operation not permitted$" \
		"--ulimit above the hard limit: the message names it"
fi
for badu in nofile banana=1 nofile=x nofile=5:2; do
	run cara --ulimit "$badu" /bin/true
	is "$RC" 125 "--ulimit $badu: exit 125"
done

# A setuid binary gains nothing under no_new_privs (on by default).
if command -v musl-gcc >/dev/null; then
	priv=$(mktemp -d)
	cp -a "$ROOTFS" "$priv/rootfs"
	printf '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("euid=%%d\\n", (int)geteuid()); return 0; }\n' >"$priv/euid.c"
	musl-gcc -static -O2 -o "$priv/rootfs/bin/euid" "$priv/euid.c"
	chown 0:0 "$priv/rootfs/bin/euid"
	chmod 4755 "$priv/rootfs/bin/euid"
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$priv/rootfs" -u app /bin/euid
	is "$OUT" "euid=1000" "no_new_privs: a setuid-root binary run by app stays euid 1000"
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$priv/rootfs" -u app --allow-new-privs /bin/euid
	is "$OUT" "euid=0" "--allow-new-privs: the same binary gets euid 0 (the test can tell)"
	rm -rf "$priv"
else
	skip "no musl-gcc to build the setuid probe"
	skip "no musl-gcc to build the setuid probe"
fi

# --privileged is the one explicit opt-out.
if asan_build; then skip_sealed_copy 3 --privileged; else
	run cara --privileged /bin/sh -c 'grep CapBnd /proc/self/status; test -c /dev/kmsg && echo host-devices;
		mount | grep -c " /proc/sys "'
	like "$OUT" 'CapBnd:	0000[0-9a-f]*fffeffffff' "--privileged: all capabilities (but what root's bounding set lacks)"
	like "$OUT" host-devices "--privileged: the host's devices"
	is "$(echo "$OUT" | tail -1)" 0 "--privileged: /proc/sys is not read-only"
fi

no_leaks
done_testing
