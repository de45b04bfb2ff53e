#!/bin/bash
# t/vm/guest.t: carapace's tests inside the test VM (t/vm/run.sh boots it;
# /init runs this as /guest.t with CARAPACE=/bin/carapace ROOTFS=/rootfs).
#
# The VM has a pure cgroup v2 hierarchy and its root is the initramfs, on
# which pivot_root(2) fails with EINVAL: carapace must fall back to MS_MOVE.
# The second half moves a tmpfs over / (as switch_root does) in a private
# mount namespace and runs again there, where pivot_root must be used.
#
# Modes: no argument: all tests. --moved-root-setup: build the tmpfs root
# (runs under unshare -m). --moved-root: the tests in it (run by chroot).

# Never on the host: the second half mounts over /.
if [ ! -f /etc/carapace-vm ]; then
	echo "1..0 # SKIP runs only inside the test VM (t/vm/run.sh)"
	exit 0
fi
. "$(dirname "$0")/tap.sh"

# has_words "LIST" WORD...: every WORD is a word of LIST.
has_words() {
	local list=" $1 " word
	shift
	for word; do
		case $list in *" $word "*) ;; *) return 1 ;; esac
	done
}

# try_pivot_root: what the kernel says to pivot_root(2) from the current
# root, tried in a throwaway mount namespace; sets RC and ERR.
try_pivot_root() {
	run unshare -m /bin/sh -c '
		mount -t tmpfs scratch /mnt && mkdir /mnt/old &&
		cd /mnt && pivot_root . old'
}

# root_fstype: the file system type of the mount at / (mountinfo has a
# variable number of optional fields before the "-" separator).
root_fstype() {
	awk '$5 == "/" { for (i = 7; $i != "-"; i++); print $(i + 1) }' /proc/self/mountinfo
}

# banner: carapace's "container ready" banner, which names how it entered
# the rootfs (pivot_root or chroot). carapace prints it only when its stderr
# is a terminal: the serial console is one. With -t it comes out of the pty
# on stdout.
banner() {
	"$CARAPACE" run -t -r "$ROOTFS" /bin/true </dev/null 2>/dev/console
}

# container_mount_points: the mount points that a process in the container sees.
container_mount_points() {
	cara /bin/cat /proc/self/mountinfo </dev/null | awk '{ print $5 }' | sort | tr '\n' ' '
}

# Part two, in a private mount namespace: a tmpfs holding a copy of what the
# tests need is moved over / and chrooted into, as switch_root does. Its
# root is then a real mount with a parent, so pivot_root(2) works.
if [ "${1:-}" = --moved-root-setup ]; then
	setup_failed() { echo "not ok 1 - moved root: cannot $*"; exit 1; }
	mount -t tmpfs -o mode=0755 newroot /newroot || setup_failed "mount a tmpfs"
	cp -a /bin /etc /lib /rootfs /guest.t /tap.sh /newroot/ || setup_failed "copy into it"
	mkdir -p /newroot/dev /newroot/proc /newroot/sys /newroot/mnt /newroot/tmp &&
		chmod 1777 /newroot/tmp || setup_failed "make directories"
	mount --rbind /dev /newroot/dev &&
		mount -t proc proc /newroot/proc &&
		mount --rbind /sys /newroot/sys || setup_failed "mount /dev, /proc, /sys"
	cd /newroot || setup_failed "cd /newroot"
	mount --move . / || setup_failed "move it over /"
	exec chroot . /guest.t --moved-root
fi

# masks_hold WHERE: /proc and a second procfs are masked and their sys is
# read-only, made through the mounts' own fds (fsmount, move_mount onto an
# fd, open_tree): as root, and as root of a user namespace.
masks_hold() {
	run cara --mount type=proc,dst=/p2 /bin/sh -c \
		'for d in /proc /p2; do stat -c %t,%T $d/keys; (: >>$d/sys/kernel/core_pattern) 2>&1; done'
	like "$(echo $OUT)" '^1,3 .*Read-only file system 1,3 .*Read-only file system$' \
		"$1: /proc and /p2 are masked, their sys read-only"
	run cara --uidmap 0:100000:65536 --mount type=proc,dst=/p2 /bin/sh -c \
		'stat -c %t,%T /proc/keys /p2/keys; grep -c " /p2/sys ro," /proc/self/mountinfo'
	is "$(echo $OUT)" "1,3 1,3 1" "$1: in a user namespace too"
}

# A skip would read as a pass: in the VM, missing pieces are a broken build.
[ -x "$CARAPACE" ] || { echo "Bail out! no $CARAPACE in the initramfs"; exit 1; }
[ -x "$ROOTFS/bin/busybox" ] || { echo "Bail out! no $ROOTFS in the initramfs"; exit 1; }

if [ "${1:-}" = --moved-root ]; then
	snapshot_host
	is "$(root_fstype)" tmpfs \
		"moved root: / is the tmpfs"
	try_pivot_root
	is "$RC $ERR" "0 " "kernel: pivot_root works once a tmpfs is moved over /"

	run "$CARAPACE" run --verbose -r "$ROOTFS" /bin/echo hi
	is "$OUT" hi "moved root: run --verbose echo hi prints hi"
	is "$RC" 0 "moved root: run --verbose echo hi exits 0"
	unlike "$ERR" 'falling back to MS_MOVE' "moved root: -v says no MS_MOVE fallback"
	like "$(banner)" ', pivot_root, ' "moved root: the banner says pivot_root"

	run cara /bin/sh -c 'echo $$'
	is "$OUT" 2 "moved root: the workload is PID 2"

	run "$CARAPACE" run -q --no-pivot -r "$ROOTFS" /bin/echo hi
	is "$RC:$OUT" 0:hi "moved root: --no-pivot (MS_MOVE) works too"
	masks_hold "moved root"

	no_leaks "moved root: nothing left behind"
	# The parent relays each result line and counts the failures; a
	# non-zero exit tells it that this part broke off.
	exit 0
fi

snapshot_host

# The system the VM is about.
is "$(awk '$3 ~ /^cgroup/ { print $3 " " $2 }' /proc/mounts)" "cgroup2 /sys/fs/cgroup" \
	"system: only cgroup2 is mounted, at /sys/fs/cgroup"
controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
ok "system: cgroup.controllers lists memory and pids ($controllers)" \
	has_words "$controllers" memory pids
ok "system: overlay is available (its module is loaded)" \
	grep -qw overlay /proc/filesystems
is "$(root_fstype)" rootfs \
	"system: / is the initramfs (rootfs)"
try_pivot_root
like "$RC $ERR" '^[1-9][0-9]* .*Invalid argument' \
	"kernel: pivot_root on the initramfs fails with EINVAL"

# From the initramfs: pivot_root fails, the MS_MOVE fallback must work.
run "$CARAPACE" run --verbose -r "$ROOTFS" /bin/echo hi
is "$OUT" hi "initramfs: run --verbose echo hi prints hi"
is "$RC" 0 "initramfs: run --verbose echo hi exits 0"
like "$ERR" 'falling back to MS_MOVE' "initramfs: -v says it falls back to MS_MOVE"
[ "$RC" -eq 0 ] || diag "stderr: $ERR"
like "$(banner)" ', chroot, ' "initramfs: the banner says chroot"

run cara /bin/sh -c 'echo $$'
is "$OUT" 2 "initramfs: the workload is PID 2 (carapace's init is PID 1)"

run cara /bin/hostname
is "$OUT" carapace "initramfs: the hostname inside is carapace"
masks_hold initramfs

inside=$(container_mount_points)
outside=$(awk '{ print $5 }' /proc/self/mountinfo | sort | tr '\n' ' ')
like "$inside" '^/ ' "initramfs: mountinfo inside has the container's / ($inside)"
ok "initramfs: mountinfo inside has its own /proc" has_words "$inside" /proc
unlike "$inside" '(^| )/(rootfs|newroot|mnt)' "initramfs: mountinfo inside shows no guest paths"
isnt "$inside" "$outside" "initramfs: mountinfo inside is not the guest's"

# no_leaks proves nothing if tap.sh can't see a container with the guest's
# busybox tools (its _host_state is what no_leaks compares).
"$CARAPACE" run -q -r "$ROOTFS" /bin/sleep 10 </dev/null &
sleeper=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	state=$(_host_state)
	case $state in *"process "*) break ;; esac
	sleep 0.2
done
like "$state" '^process [0-9]+ \(carapace\)$' "tap.sh: the leak check sees a running carapace"
kill "$sleeper"
wait "$sleeper"

# Cgroup v2: every limit is enforced by the kernel, seen from inside.
run cara --pids 5 /bin/sh -c 'for i in 1 2 3 4 5 6; do sleep 5 & done; echo all-started'
like "$ERR" "can't fork" "cgroup v2: --pids 5: the sixth background sleep can't fork"
unlike "$OUT" all-started "cgroup v2: --pids 5: not all six started"
run cara --pids 7 /bin/sh -c 'cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.max; touch /sys/fs/cgroup/x'
is "$(echo "$OUT" | head -1)" "0::/" "cgroup v2: the container sees its own cgroup as /"
is "$(echo "$OUT" | sed -n 2p)" 7 "cgroup v2: pids.max inside is 7"
like "$ERR" "Read-only file system" "cgroup v2: /sys/fs/cgroup inside is read-only"
run cara /bin/sh -c 'cat /sys/fs/cgroup/pids.max; stat -f -c %c /dev'
is "$(echo $OUT)" "2048 4096" "cgroup v2: without --pids, pids.max is 2048; /dev has 4096 inodes"
run cara --memory 32m /usr/bin/tail /dev/zero
is "$RC" 137 "cgroup v2: a memory hog under --memory 32m exits 137"
like "$ERR" "killed by the OOM killer \(memory limit 32M\)" "cgroup v2: the OOM kill is reported"
run cara --cpus 0.5 --cpu-weight 200 /bin/sh -c 'cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/cpu.weight'
is "$(echo $OUT)" "50000 100000 200" "cgroup v2: --cpus 0.5 and --cpu-weight 200 in cpu.max and cpu.weight"
run cara --cpuset-cpus 0 /bin/sh -c 'grep Cpus_allowed_list /proc/self/status'
like "$OUT" 'Cpus_allowed_list:[[:space:]]+0$' "cgroup v2: --cpuset-cpus 0 allows CPU 0 only"
run cara --memory 64m --memory-swap 64m /bin/cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory.swap.max
is "$(echo $OUT)" "67108864 0" "cgroup v2: --memory-swap equal to --memory means no swap"
run cara /bin/sh -c 'mknod /dev/kmsg2 c 1 11 && head -c 1 /dev/kmsg2'
like "$RC $ERR" '^1 .*Operation not permitted' "cgroup v2: the BPF device program denies a device outside the allow-list"
# Linux 6.1: Landlock, or the sealed copy where its kernel lacks it, keeps
# the host binary from a "#!/proc/self/exe" script.
printf '#!/proc/self/exe\necho ran\n' >/tmp/shebang && chmod 755 /tmp/shebang
run cara -v /tmp/shebang:/bin/shebang:ro /bin/shebang
is "$RC $OUT" "126 " "a #!/proc/self/exe script can't run the host's carapace binary"
run "$CARAPACE" run --verbose -r "$ROOTFS" /bin/true
note "$(echo "$ERR" | grep 'exec: ')"
run cara /bin/sh -c 'mknod /dev/c51 c 5 1 && : >/dev/c51'
like "$RC $ERR" '^1 .*Operation not permitted' "cgroup v2: the BPF device program denies c 5:1, the host's console"
run cara /bin/sh -c 'echo x > /dev/null && head -c 4 /dev/zero | wc -c'
is "$RC $OUT" "0 4" "cgroup v2: allowed devices still work"
run "$CARAPACE" run --verbose -r "$ROOTFS" --pids 10 --memory 64m /bin/true
like "$ERR" 'cgroup: unified mode' "cgroup v2: -v names the unified mode"
like "$ERR" 'usage: peak memory [0-9]+ KiB' "cgroup v2: -v reports peak memory"
run cara --memory banana /bin/true
is "$RC" 125 "cgroup v2: --memory banana exits 125"

# An OCI container's cgroups on v2 (t/oci-cgroups.c, as carapace create and
# delete would; t/087-oci-cgroups.t does the same on the hybrid host).
if [ -x /bin/oci-cgroups ]; then
	G=/sys/fs/cgroup/$TEST_CGROUP_PARENT/ocires
	run oci-cgroups create "$TEST_CGROUP_PARENT" ocires reservation=33554432 quota=25000 \
		period=50000 mems=0 device=allow:c:1:11:r unified=cgroup.max.descendants=5
	is "$RC" 0 "cgroup v2, OCI: the cgroups are made ($ERR)"
	printf '%s\n' "$OUT" >/tmp/ocires
	opid=$(sed -n 's/^pid //p' <<<"$ERR")
	like "$OUT" "^v2 leaf ours /sys/fs/cgroup $TEST_CGROUP_PARENT/ocires\$" "cgroup v2, OCI: described as a v2 leaf"
	is "$(cat $G/memory.low) $(cat $G/cpu.max) $(cat $G/cpuset.mems) $(cat $G/cgroup.max.descendants)" \
		"33554432 25000 50000 0 5" "cgroup v2, OCI: memory.low, cpu.max's period, cpuset.mems, unified's file"
	mknod /tmp/kmsg-oci c 1 11
	run sh -c "echo \$\$ >$G/cgroup.procs && exec head -c0 /tmp/kmsg-oci"
	is "$RC" 0 "cgroup v2, OCI: the BPF program allows a rule's c 1:11 r"
	run sh -c "echo \$\$ >$G/cgroup.procs && exec sh -c ': >/tmp/kmsg-oci'"
	like "$RC $OUT$ERR" '^[1-9].*ermitted' "cgroup v2, OCI: not for writing"
	run sh -c "echo \$\$ >$G/cgroup.procs && exec head -c0 /dev/null"
	is "$RC" 0 "cgroup v2, OCI: the defaults after the rules"
	rm -f /tmp/kmsg-oci
	run oci-cgroups remove /tmp/ocires
	is "$RC:$ERR" "0:" "cgroup v2, OCI: removed, its process killed (cgroup.kill)"
	for i in $(seq 100); do kill -0 "$opid" 2>/dev/null || break; sleep 0.05; done
	nok "cgroup v2, OCI: the process is gone" kill -0 "$opid" 2>/dev/null
	ok "cgroup v2, OCI: the leaf is gone" test ! -d "$G"
	run oci-cgroups create "$TEST_CGROUP_PARENT" ocibad no-oom
	like "$RC:$ERR" "^125:.*disableOOMKiller: cgroup v2 can't disable the OOM killer" \
		"cgroup v2, OCI: disableOOMKiller is refused"
	run oci-cgroups create "$TEST_CGROUP_PARENT" ocibad unified=memory.nosuch=1
	like "$RC:$ERR" "^125:.*memory.nosuch: 1: No such file" "cgroup v2, OCI: a unified file that does not exist"
else
	skip "no /bin/oci-cgroups in this initramfs"
fi

# carapace update and events of an OCI container on cgroup v2 (t/675-oci-update.t
# does the same on the hybrid host): each limit in its v2 file, enforced inside.
# The workload forks, or allocates 32 MiB, for each line written to its FIFO.
OCI_STATE=/tmp/oci-state
W='mkfifo /dev/shm/f && exec 3<>/dev/shm/f; echo ready; while read -r x <&3; do if (/bin/true && echo fork-ok); then :; else echo fork-failed; fi; if dd if=/dev/zero of=/dev/null bs=32M count=1 2>/dev/null; then echo alloc-ok; else echo alloc-failed; fi; done'
oci_bundle /tmp/upd upd
W=$W awk '/"args": \[ "sh", "-c", "true" \]/ { print "\"args\": [ \"sh\", \"-c\", \"" ENVIRON["W"] "\" ],"; next } { print }' \
	/tmp/upd/config.json >/tmp/upd/config.new && mv /tmp/upd/config.new /tmp/upd/config.json
oci() { "$CARAPACE" --root "$OCI_STATE" "$@"; }
# ask_inside: one request to the workload; prints its two answers.
ask_inside() {
	local i
	: >/tmp/upd.out
	echo go >"/proc/$(cat /tmp/upd.pid)/root/dev/shm/f"
	for i in $(seq 200); do grep -q '^alloc-' /tmp/upd.out && break; sleep 0.05; done
	tr -d '\0' </tmp/upd.out | grep -E '^(fork|alloc)-' | tr '\n' ' '
}
# Its output appended (O_APPEND), so that ask_inside may empty the file.
: >/tmp/upd.out
oci create --bundle /tmp/upd --pid-file /tmp/upd.pid upd </dev/null >>/tmp/upd.out 2>&1
run oci start upd
is "$RC:$ERR" "0:" "cgroup v2, update: an OCI container is created and started"
U=/sys/fs/cgroup/$TEST_CGROUP_PARENT/upd
for i in $(seq 100); do grep -q ready /tmp/upd.out 2>/dev/null && break; sleep 0.05; done
is "$(ask_inside)" "fork-ok alloc-ok " "cgroup v2, update: the workload forks and allocates"
run oci update --pids-limit 3 --memory 16m --cpu-quota 50000 --cpu-period 200000 --cpu-shares 512 upd
is "$RC:$ERR" "0:" "cgroup v2, update: runc's flags are taken"
is "$(cat "$U/pids.max") $(cat "$U/memory.max") $(cat "$U/cpu.max") $(cat "$U/cpu.weight")" \
	"3 16777216 50000 200000 20" "cgroup v2, update: pids.max, memory.max, cpu.max, cpu.weight"
is "$(ask_inside)" "fork-failed alloc-failed " \
	"cgroup v2, update: inside, the next fork fails and 32 MiB is OOM-killed"
like "$(cat "$U/memory.events")" 'oom_kill [1-9]' "cgroup v2, update: memory.events counts the OOM kill"
run oci events --stats upd
like "$OUT" '^\{"type":"stats","id":"upd","data":\{"cpu":\{"usage":\{"total":[1-9].*"memory":\{.*"limit":16777216,.*"pids":\{"current":[0-9]+,"limit":3\}' \
	"cgroup v2, events --stats: usage and the limits in runc's shape"
printf '{"pids":{"limit":-1},"memory":{"limit":-1},"cpu":{"quota":-1}}' >/tmp/upd.json
run oci update --resources /tmp/upd.json upd
is "$RC:$(cat "$U/pids.max") $(cat "$U/memory.max") $(cut -d' ' -f1 "$U/cpu.max")" "0:max max max" \
	"cgroup v2, update --resources: -1 is no limit"
is "$(ask_inside)" "fork-ok alloc-ok " "cgroup v2, update: inside, both work again"
printf '{"pids":{"limits":5}}' >/tmp/upd.json
run oci update --resources /tmp/upd.json upd
is "$RC:$ERR" "125:carapace: update: --resources: pids.limits: not a key carapace knows" \
	"cgroup v2, update --resources: an unknown key, one line, 125"
run oci delete --force upd
is "$RC:$ERR" "0:" "cgroup v2, update: the container is deleted"
ok "cgroup v2, update: its leaf is gone" test ! -e "$U"

# A launcher killed by SIGKILL: init dies with it, the next run sweeps the leaf.
"$CARAPACE" run -q -r "$ROOTFS" --name stale --pids 10 /bin/sleep 100 </dev/null 2>/dev/null &
killer=$!
for i in 1 2 3 4 5 6 7 8 9 10; do
	[ -d /sys/fs/cgroup/carapace/stale ] && grep -q . /sys/fs/cgroup/carapace/stale/cgroup.procs && break
	sleep 0.2
done
# bash reports the killed job on its stderr: that's expected here.
{ kill -9 "$killer"; wait "$killer"; } 2>/dev/null
run "$CARAPACE" run -q -r "$ROOTFS" --pids 10 /bin/true
ok "cgroup v2: a later run removes the stale leaf of a SIGKILLed launcher" \
	test ! -e /sys/fs/cgroup/carapace/stale
ok "cgroup v2: no carapace cgroup remains" \
	test -z "$(find /sys/fs/cgroup -name '*carapace*')"
# run -d on cgroup v2: pause is cgroup.freeze, stop thaws first, the monitor removes the leaf.
S=/tmp/detached-state
mkdir -m 0700 "$S"
run "$CARAPACE" --root "$S" run -d -q -r "$ROOTFS" --name bg /bin/sh -c \
	'echo up; trap "exit 3" TERM; while :; do sleep 0.1; done'
is "$RC:$OUT" "0:bg" "cgroup v2: run -d prints the name"
run "$CARAPACE" --root "$S" pause bg
is "$RC:$("$CARAPACE" --root "$S" ps | awk '$1 == "bg" { print $2 }')" "0:paused" \
	"cgroup v2: pause of a run -d container (cgroup.freeze)"
run "$CARAPACE" --root "$S" stop bg
is "$RC:$("$CARAPACE" --root "$S" wait bg)" "0:3" "cgroup v2: stop thaws it; the trapped TERM: status 3"
is "$("$CARAPACE" --root "$S" logs bg)" up "cgroup v2: the container's output is in its log"
ok "cgroup v2: its monitor removed its leaf" test ! -e /sys/fs/cgroup/carapace/bg
run "$CARAPACE" --root "$S" rm bg
is "$RC:$(ls -A "$S")" "0:" "cgroup v2: rm leaves the state root empty"
rmdir "$S"

# Seccomp: a call the default filter denies, and one of the compat ABI,
# which it kills, tried for real: this kernel runs them.
run cara /usr/local/bin/seccomp-probe add_key
is "$RC:$OUT" 0:EPERM "seccomp: the default filter denies add_key with EPERM"
run cara --seccomp unconfined /usr/local/bin/seccomp-probe add_key
is "$RC:$OUT" 0:ok "seccomp: unconfined, add_key works"
case $(uname -m) in
x86_64)
	# int 0x80 from a 64-bit program (IA32 emulation): the i386 ABI.
	run cara --seccomp unconfined /usr/local/bin/seccomp-probe i386
	is "$RC:$OUT" 0:ok "seccomp: unconfined, getpid through int 0x80 works on this kernel"
	run cara /usr/local/bin/seccomp-probe i386
	is "$RC" 159 "seccomp: the default filter kills an i386 system call (int 0x80) with SIGSYS" ;;
aarch64)
	# A 32-bit ARM program (CONFIG_COMPAT, AArch32 at EL0): its getpid
	# is AUDIT_ARCH_ARM's, a table A64 code can't reach.
	run cara --seccomp unconfined /usr/local/bin/arm32-probe
	is "$RC:$OUT" 0:ok "seccomp: unconfined, a 32-bit ARM program's getpid works on this kernel"
	run cara /usr/local/bin/arm32-probe
	is "$RC" 159 "seccomp: the default filter kills a 32-bit ARM (compat) system call with SIGSYS" ;;
*)
	fail "seccomp: no compat ABI test for $(uname -m)" ;;
esac

# carapace exec on cgroup v2: the joiner is born in the container's leaf
# (clone3's CLONE_INTO_CGROUP), and its process is in the same cgroup,
# namespaces and root as the container's own (t/670-exec.t on the host).
XB=/tmp/exec-bundle XS=/tmp/exec-state
mkdir -p "$XB" "$XS" && chmod 700 "$XS" && ln -s "$ROOTFS" "$XB/rootfs"
(cd "$XB" && "$CARAPACE" spec)
sed -i 's/"terminal": true/"terminal": false/; s/^\([[:space:]]*\)"sh"$/\1"sleep", "1000"/' "$XB/config.json"
"$CARAPACE" --root "$XS" create --bundle "$XB" --pid-file "$XS/x1.pid" x1 </dev/null >/dev/null 2>&1
"$CARAPACE" --root "$XS" start x1
XP=$(cat "$XS/x1.pid" 2>/dev/null)
XW=$(cat "/proc/$XP/task/$XP/children" 2>/dev/null | tr -d ' ')
run "$CARAPACE" --root "$XS" exec --detach --pid-file "$XS/e1.pid" x1 sleep 1000
XE=$(cat "$XS/e1.pid" 2>/dev/null)
is "$RC:$(cat "/proc/${XE:-0}/cgroup" 2>/dev/null)" "0:$(cat "/proc/${XW:-0}/cgroup" 2>/dev/null)" \
	"cgroup v2: exec's process is in the container's cgroup"
is "$(readlink "/proc/${XE:-0}/ns/pid")" "$(readlink "/proc/${XW:-0}/ns/pid")" \
	"cgroup v2: and in its pid namespace"
run "$CARAPACE" --root "$XS" exec x1 sh -c 'cat /proc/self/cgroup; exit 3'
is "$RC:$OUT" "3:0::/" "cgroup v2: exec's status, and its cgroup the root of the container's namespace"
[ -n "$XE" ] && kill -KILL "$XE"
"$CARAPACE" --root "$XS" delete --force x1
ok "cgroup v2: exec's container deleted, no state left" test ! -e "$XS/x1"

# User namespaces on cgroup v2. Root with --uidmap: cgroup2 is mounted inside
# the user namespace, and limits hold.
run cara --uidmap 0:100000:65536 --pids 7 /bin/sh -c \
	'cat /proc/self/uid_map; cat /proc/self/cgroup; cat /sys/fs/cgroup/pids.max'
is "$(echo $OUT)" "0 100000 65536 0::/ 7" "userns: root with --uidmap, its cgroup as /, pids.max 7"
run cara --uidmap 0:100000:65536 --pids 5 /bin/sh -c 'for i in 1 2 3 4 5 6; do sleep 5 & done; echo all-started'
like "$ERR" "can't fork" "userns: --pids 5 holds in the user namespace"

# Rootless: an ordinary user, uid 1000, without newuidmap (a single mapping).
echo 'tester:x:1000:1000:tester:/tmp:/bin/sh' >>/etc/passwd
echo 'tester:x:1000:' >>/etc/group
as_tester() { su -s /bin/sh -c "$*" tester; }
run as_tester "$CARAPACE" run -q -r "$ROOTFS" /bin/sh -c "'id -u; cat /proc/self/uid_map; echo \$\$'"
is "$(echo $OUT)" "0 0 1000 1 2" "rootless: root inside is uid 1000 outside; the workload is PID 2"
run as_tester "$CARAPACE" run -q -r "$ROOTFS" --pids 5 /bin/true
is "$RC" 125 "rootless: a limit without a delegated cgroup: exit 125"
like "$ERR" '^carapace: cgroup: mkdir /sys/fs/cgroup/carapace: Permission denied \(rootless' \
	"rootless: the message says the cgroup is not delegated"
# A delegated subtree, as systemd's Delegate=yes makes one: the user owns
# deleg and its files, and its shell lives in deleg/shell.
D=/sys/fs/cgroup/deleg
echo "+pids +memory" >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p "$D/shell"
chown 1000:1000 "$D" "$D/cgroup.procs" "$D/cgroup.subtree_control" "$D/cgroup.threads" \
	"$D/shell" "$D/shell/cgroup.procs"
in_deleg() { sh -c "echo \$\$ >$D/shell/cgroup.procs && exec su -s /bin/sh -c \"$*\" tester"; }
run in_deleg "$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent deleg --pids 5 \
	/bin/sh -c "'for i in 1 2 3 4 5 6; do sleep 5 & done; echo all-started'"
like "$ERR" "can't fork" "rootless, delegated cgroup: --pids 5 is enforced"
unlike "$OUT" all-started "rootless, delegated cgroup: not all six started"
run in_deleg "$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent deleg --memory 32m /usr/bin/tail /dev/zero
is "$RC" 137 "rootless, delegated cgroup: a memory hog under --memory 32m exits 137"
is "$(find "$D" -mindepth 1 -type d)" "$D/shell" "rootless, delegated cgroup: the leaves are gone"
rmdir "$D/shell" "$D"

# A kernel without overlayfs (module unloaded): the default root falls back
# to a read-only one, with a warning; an explicit --overlay is an error.
if rmmod overlay; then
	run "$CARAPACE" run -r "$ROOTFS" /bin/sh -c 'touch /x; grep " / " /proc/mounts | cut -d" " -f4 | cut -d, -f1-2'
	is "$RC:$OUT" 0:ro,nodev "no overlayfs: the default root is read-only and nodev"
	like "$ERR" "^carapace: warning: rootfs: $ROOTFS: no overlay \(the kernel has no overlay filesystem\): the root is read-only; --rootfs-rw writes the folder itself" \
		"no overlayfs: a warning says why, and what gives a writable root"
	like "$ERR" 'touch: /x: Read-only file system' "no overlayfs: a write to / fails with EROFS"
	ok "no overlayfs: nothing was written to the rootfs" test ! -e "$ROOTFS/x"
	run cara --overlay /bin/true
	is "$RC:$ERR" "125:carapace: --overlay: the kernel has no overlay filesystem" \
		"no overlayfs: --overlay, asked for, is exit 125 with one line"
	run cara --rootfs-rw /bin/sh -c 'touch /x && rm /x && echo rw'
	is "$OUT" rw "no overlayfs: --rootfs-rw gives a writable root"
	insmod /lib/modules/overlay.ko
else
	fail "rmmod overlay"
fi
ok "overlay is back" grep -qw overlay /proc/filesystems

no_leaks "initramfs: nothing left behind"

# Part two: its TAP is relayed line by line so that numbering and the
# failure count stay ours; its diagnostics go straight to stderr.
while IFS= read -r line; do
	case $line in
	"ok "*"# SKIP"*) skip "${line#*# SKIP }" ;;
	"ok "*) pass "${line#ok * - }" ;;
	"not ok "*) fail "${line#not ok * - }" ;;
	*) printf '%s\n' "$line" ;;
	esac
done < <(unshare -m /bin/bash "$0" --moved-root-setup)
wait $!
is "$?" 0 "moved root: its tests ran to the end"

done_testing
