#!/bin/bash
# t/080-cgroups.t: resource limits on this host's cgroups (hybrid here: v1
# controllers, cgroup2 without them), enforced by the kernel and observed
# from inside. Pure v2 is tested in the VM (t/900-vm.t).
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host

# v1 hierarchy of a controller on the host, from mountinfo, as carapace finds it.
v1_mount() {
	awk -v c="$1" '$0 ~ " - cgroup " { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $5 }' \
		/proc/self/mountinfo | head -1
}
[ -n "$(v1_mount pids)" ] || skip_all "no v1 pids hierarchy: this test is for v1 and hybrid hosts"

# The seed's demo: the sixth background sleep can't fork, and the container
# still exits cleanly, its status the shell's.
run cara --pids 5 /bin/sh -c 'for i in 1 2 3 4 5 6; do sleep 100 & done; echo all-started'
like "$ERR" "can't fork" "--pids 5: the sixth background sleep can't fork"
unlike "$OUT" all-started "--pids 5: not all six sleeps started"
is "$RC" 2 "--pids 5: the container exits with the shell's status"
no_leaks "--pids 5: no cgroup, mount or process left behind"

run cara --pids 7 /bin/sh -c 'cat /sys/fs/cgroup/pids/pids.max; grep pids /proc/self/cgroup; touch /sys/fs/cgroup/pids/x'
is "$(echo "$OUT" | head -1)" 7 "pids.max inside is 7"
like "$(echo "$OUT" | sed -n 2p)" ':pids:/$' "cgroup namespace: the container sees its own cgroup as /"
like "$ERR" 'Read-only file system' "/sys/fs/cgroup inside is read-only"

# On a hybrid host the v1 leaves are made while init sets up, after the
# clone. Held back (strace delays each of the launcher's mkdirs 0.2 s),
# init still waits for them: the workload's first look finds itself and
# init in them, at their limits, and its cgroup namespace rooted there.
if command -v strace >/dev/null && awk '$9 == "cgroup2" { f = 1 } END { exit !f }' /proc/self/mountinfo; then
	run strace -qq -o /dev/null -e trace=mkdir,mkdirat -e inject=mkdir,mkdirat:delay_enter=200000 \
		"$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" --pids 7 --memory 24m /bin/sh -c \
		'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes;
		grep -hE ":(pids|memory):" /proc/1/cgroup /proc/self/cgroup | cut -d: -f2- | sort | uniq -c'
	is "$(echo $OUT)" "7 25165824 2 memory:/ 2 pids:/" \
		"v1 leaves made after the clone, slowly: pids.max 7 and memory 24M hold init and the workload from the start"
	no_leaks "... and nothing is left behind"
	# Init's join of a leaf made after the clone fails (strace makes its
	# write into memory's "tasks" fail): one line that names that file.
	tasks=/sys/fs/cgroup/memory/$TEST_CGROUP_PARENT/j1-$$/tasks
	run strace -f -qq -o /dev/null -P "$tasks" -e trace=write -e inject=write:error=ENOSPC \
		"$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" --name "j1-$$" --memory 30m /bin/true
	is "$RC:$ERR" "125:carapace: cgroup: $tasks: No space left on device" \
		"init's join of memory's leaf fails: 125, and the line names the leaf's tasks"
	# Nothing of the container is forked before init has joined every leaf
	# (cgroups_check_settled guards it): in strace's record, no fork or
	# clone of init's comes before its last write into a "tasks". A folder;
	# an uncached gzipped tarball, whose decompressor init forks early (its
	# leaves are then made before the clone); and bpf refused, where v1's
	# devices leaf is added after the clone.
	joins_then_forks() {
		strace -f -qq -y -o "$tarball.trace" -e trace=write,clone,clone3,fork,vfork,bpf \
			"$@" "$CARAPACE" run -q --cgroup-parent "$TEST_CGROUP_PARENT" --pids 9 "${root[@]}" \
			/bin/true >/dev/null 2>&1
		awk '$0 ~ /^[0-9]+ +write\([0-9]+<\/sys\/fs\/cgroup\/[^>]*\/tasks>, "0", 1(\)| <unfinished)/ {
			if (!init) init = $1; if ($1 == init) { joins++; early += forks; forks = 0 } }
			$1 == init && $2 ~ /^(clone|clone3|fork|vfork)\(/ { forks++ }
			END { print joins + 0 " joins, " early + 0 " forks before the last" }' "$tarball.trace"
	}
	tarball=$(mktemp) && tar -C "$ROOTFS" -czf "$tarball" .
	root=(-r "$ROOTFS")
	is "$(joins_then_forks)" "2 joins, 0 forks before the last" "a folder: init joins pids and memory, then forks"
	root=(--cache none -r "$tarball")
	is "$(joins_then_forks)" "2 joins, 0 forks before the last" "an uncached tarball: init joins both before its gzip"
	root=(-r "$ROOTFS")
	is "$(joins_then_forks -e inject=bpf:error=EPERM)" "3 joins, 0 forks before the last" \
		"bpf refused: init joins pids, memory and v1's devices, then forks"
	root=(--cache none -r "$tarball")
	is "$(joins_then_forks -e inject=bpf:error=EPERM)" "3 joins, 0 forks before the last" \
		"bpf refused, an uncached tarball: init joins v1's devices too before its gzip"
	rm -f "$tarball" "$tarball.trace"
	no_leaks "... nothing left by the three"
else
	for i in 1 2 3 4 5 6 7 8; do skip "no strace, or not a hybrid host"; done
fi

# A memory hog is killed by the kernel, reported, and the status is 137.
run cara --memory 32m /usr/bin/tail /dev/zero
is "$RC" 137 "--memory 32m: the hog exits 137"
is "$ERR" "carapace: container killed by the OOM killer (memory limit 32M)" \
	"--memory 32m: the OOM kill is reported in one line"
run cara --memory 32m --memory-swap 64m /bin/sh -c \
	'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'
is "$(echo $OUT)" "33554432 67108864" "--memory-swap: memory.memsw.limit_in_bytes holds memory + swap"

# --cpus 0.5: a busy loop over 2 s gets about half a CPU. Usage, not wall
# time: the kernel's own throttle count and the CPU time it charged.
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" --verbose -r "$ROOTFS" --cpus 0.5 /bin/sh -c \
	'timeout 2 sh -c "while :; do :; done"; cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us; grep nr_throttled /sys/fs/cgroup/cpu/cpu.stat'
is "$(echo "$OUT" | head -1)" 50000 "--cpus 0.5: a quota of 50000us per 100000us"
throttled=$(echo "$OUT" | awk '/^nr_throttled/ { print $2 }')
ok "--cpus 0.5: the kernel throttled the loop ($throttled periods)" test "${throttled:-0}" -gt 0
cpu=$(echo "$ERR" | sed -n 's/.*usage: CPU time \([0-9.]*\) s.*/\1/p')
ok "--cpus 0.5: 2 s of busy loop used at most 1.3 s of CPU (${cpu:-none})" \
	awk -v t="${cpu:-99}" 'BEGIN { exit !(t > 0.1 && t <= 1.3) }'

run cara --cpu-shares 512 /bin/cat /sys/fs/cgroup/cpu/cpu.shares
is "$OUT" 512 "--cpu-shares 512 on v1"
run cara --cpu-weight 100 /bin/cat /sys/fs/cgroup/cpu/cpu.shares
is "$OUT" 2597 "--cpu-weight 100 becomes cpu.shares 2597 on v1 (the inverse of runc's shares-to-weight)"

run cara --cpuset-cpus 0 /bin/sh -c 'sleep 1 & grep Cpus_allowed_list /proc/1/status /proc/self/status /proc/$!/status'
is "$(echo "$OUT" | awk '{ print $2 }' | sort -u)" 0 "--cpuset-cpus 0: every process is allowed on CPU 0 only"

# Ten containers at once get ten cgroups, each with its own limit.
dir=$(mktemp -d)
for i in 0 1 2 3 4 5 6 7 8 9; do
	cara --name "par-$$-$i" --pids $((20 + i)) /bin/sh -c 'cat /sys/fs/cgroup/pids/pids.max; sleep 1' \
		>"$dir/$i" 2>&1 </dev/null &
done
leaves=0
for try in $(seq 50); do
	leaves=$(find "$(v1_mount pids)/$TEST_CGROUP_PARENT" -maxdepth 1 -name "par-$$-*" 2>/dev/null | wc -l)
	[ "$leaves" -ge 10 ] && break
	sleep 0.1
done
wait
is "$leaves" 10 "10 parallel containers: 10 leaf cgroups"
is "$(cat "$dir"/* | sort -n | tr '\n' ' ')" "20 21 22 23 24 25 26 27 28 29 " \
	"10 parallel containers: each sees its own pids.max"
rm -rf "$dir"

# Two containers can't share a name.
"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --name "dup-$$" --pids 10 /bin/sleep 2 </dev/null &
first=$!
for try in $(seq 50); do
	[ -d "$(v1_mount pids)/$TEST_CGROUP_PARENT/dup-$$" ] && break
	sleep 0.1
done
run cara --name "dup-$$" --pids 10 /bin/true
is "$RC" 125 "--name in use: exit 125"
like "$ERR" "^carapace: --name: dup-$$: a container of that name is running$" "--name in use: the message says so"
wait "$first"
is "$?" 0 "--name in use: the first container is unharmed"

# The device cgroup: root in the container holds MKNOD, but the host's disk stays shut.
rootdev=$(stat -c '%d' /)
major=$((rootdev >> 8)) minor=$((rootdev & 255))
run cara /bin/sh -c "mknod /dev/disk b $major $minor && head -c 512 /dev/disk | wc -c"
like "$ERR" 'Operation not permitted' "devices: reading the host's root disk ($major:$minor) via mknod fails"
run cara /bin/sh -c 'head -c 3 /dev/urandom | wc -c; echo x >/dev/null'
is "$RC:$OUT" "0:3" "devices: the allowed devices still work"

# A launcher killed by SIGKILL: the container dies with it; the next run
# removes the stale leaf. In the default parent, which others may use at
# the same time: the test's leaves there have names, for no_leaks.
# Not the cara function: $! must be carapace itself, not a subshell.
own_cgroup "carapace/stale-$$" "carapace/sweep-$$"
"$CARAPACE" run -q -r "$ROOTFS" --name "stale-$$" --pids 10 /bin/sleep 1000 </dev/null 2>/dev/null &
launcher=$!
for try in $(seq 50); do
	grep -q . "$(v1_mount pids)/carapace/stale-$$/cgroup.procs" 2>/dev/null && break
	sleep 0.1
done
# bash reports the killed job on its stderr: that's expected here.
{ kill -9 "$launcher"; wait "$launcher"; } 2>/dev/null
for try in $(seq 50); do
	[ -z "$(cat "$(v1_mount pids)/carapace/stale-$$/cgroup.procs" 2>/dev/null)" ] && break
	sleep 0.1
done
ok "launcher SIGKILL: its container's processes are gone" \
	test -z "$(cat "$(v1_mount pids)/carapace/stale-$$/cgroup.procs" 2>/dev/null)"
run "$CARAPACE" run -q -r "$ROOTFS" --name "sweep-$$" --pids 10 /bin/true
ok "launcher SIGKILL: the next run removes the stale leaf" \
	test ! -e "$(v1_mount pids)/carapace/stale-$$"

# Bad values: exit 125, one line, nothing left behind.
bad() {
	run cara "$@" /bin/true
	is "$RC" 125 "bad value $*: exit 125"
	like "$ERR" "^carapace: " "bad value $*: the message starts with carapace: ($ERR)"
	is "$(printf '%s\n' "$ERR" | wc -l)" 1 "bad value $*: the message is one line"
}
bad --memory banana
bad --pids -1
bad --cpus 0
bad --cpus abc
bad --memory-swap 10m
bad --memory 64m --memory-swap 32m
bad --cpuset-cpus 99
bad --cpu-weight 0
bad --cpu-shares 1
bad --name a/b
bad --cgroup-parent ../x
# A limit the host can't provide: hide the pids hierarchy in a private mount
# namespace (the host's cgroup mounts stay as they are).
run unshare -m sh -c "umount $(v1_mount pids) && exec $CARAPACE run --cgroup-parent $TEST_CGROUP_PARENT -q -r $ROOTFS --pids 5 /bin/true"
is "$RC" 125 "a missing controller: exit 125"
like "$ERR" '^carapace: --pids: the host has no pids cgroup controller$' "a missing controller: said in one line"

no_leaks "no cgroup, mount or process left behind"
done_testing
