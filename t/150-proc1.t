#!/bin/bash
# t/150-proc1.t: root in the container can't reach init through /proc/1
# (the runc CVE-2019-5736 path: /proc/1/exe is the host's carapace binary)
# nor ptrace it; init keeps only CAP_KILL, the workload Docker's default set.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

snapshot_host
sum_before=$(sha256sum <"$CARAPACE")

# Each check runs as root, in its own container, and must fail. Not a bare
# `ls /proc/1/fd`: a non-dumpable process's /proc entries belong to root,
# and root with CAP_DAC_OVERRIDE may read the fd numbers (not the links).
for cmd in \
	'echo x > /proc/1/exe' \
	'cat /proc/1/exe' \
	'readlink /proc/1/exe' \
	'cat /proc/1/mem' \
	'cat /proc/1/environ' \
	'cat /proc/1/fd/0' \
	'readlink /proc/1/fd/0' \
	'cat /proc/1/fd/3' \
	'ls /proc/1/fdinfo' \
	'cat /proc/1/fdinfo/0' \
	'ls /proc/1/root/' \
	'readlink /proc/1/cwd' \
	'cat /proc/1/maps'; do
	run cara sh -c "$cmd >/dev/null"
	isnt "$RC" 0 "as root in the container, fails: $cmd"
done
is "$(sha256sum <"$CARAPACE")" "$sum_before" "the carapace binary is unchanged"

# The same checks pass on the workload's own /proc entry: what stops them
# is init being non-dumpable, not a /proc that refuses everything.
run cara sh -c 'readlink /proc/$$/exe; ls /proc/$$/fd >/dev/null && echo fd ok; exit'
is "$OUT" $'/bin/busybox\nfd ok' "the workload's own /proc/PID/exe and fd are readable"

# SIGKILL to PID 1 from inside its namespace does nothing.
run cara sh -c 'kill -KILL 1; echo alive'
is "$OUT" alive "kill -KILL 1 from the workload: init survives"
is "$RC" 0 "... and the workload exits normally"

# --- capabilities
# Init drops them just after it forks the workload, which may look first:
# the workload waits (1 s at most) until init's effective set is CAP_KILL.
run cara sh -c 'i=0; while [ $i -lt 50 ] && ! grep -q "^CapEff:.0*20$" /proc/1/status; do
	sleep 0.02; i=$((i + 1)); done; grep -E "^Cap(Eff|Prm|Bnd|Inh|Amb)" /proc/1/status'
is "$OUT" $'CapInh:\t0000000000000000\nCapPrm:\t0000000000000020\nCapEff:\t0000000000000020\nCapBnd:\t0000000000000020\nCapAmb:\t0000000000000000' \
	"init keeps CAP_KILL alone, in every set"
run cara sh -c 'grep -E "^Cap(Eff|Prm|Bnd|Inh|Amb)" /proc/$$/status; exit'
is "$OUT" $'CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000' \
	"the workload has Docker's default set (a80425fb), nothing inheritable or ambient"

# --- ptrace: a static helper, in a private copy of the rootfs
if ! command -v musl-gcc >/dev/null; then
	skip "no musl-gcc to build t/ptrace-attach.c"
	skip "no musl-gcc to build t/ptrace-attach.c"
else
	cp -a -- "$ROOTFS" "$work/rootfs"
	if musl-gcc -static -O2 -o "$work/rootfs/bin/ptrace-attach" "$TOP/t/ptrace-attach.c"; then
		run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/rootfs" ptrace-attach child
		is "$RC" 0 "ptrace works in the container (attach to a child)"
		if [ "$RC" != 0 ]; then diag "$ERR"; fi
		run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/rootfs" ptrace-attach 1
		is "$RC:$ERR" "1:ptrace-attach: 1: Operation not permitted" \
			"PTRACE_ATTACH to PID 1 fails with EPERM"
	else
		fail "t/ptrace-attach.c builds"
	fi
fi

no_leaks "no process or mount left behind"
done_testing
