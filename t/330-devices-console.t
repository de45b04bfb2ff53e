#!/bin/bash
# t/330-devices-console.t: the host's system console (c 5:1) is shut to a
# container, whether its root makes the node or a rootfs ships one, and a
# container's /dev/console is its own pty's slave, or is not there at all.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
command -v tar >/dev/null || skip_all "no tar to make the tarball"

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
chmod 755 "$work"
snapshot_host

# --- c 5:1 made by the container's root: mknod may, open may not. Opening
# for writing writes nothing (": >"), even where the node is let through.
run cara sh -c 'mknod /dev/c51 c 5 1 && echo made; : >/dev/c51 && echo opened'
is "$OUT" made "root in the container can mknod c 5 1"
like "$ERR" '/dev/c51: Operation not permitted' "... but opening it for writing is refused (EPERM)"
run cara sh -c 'mknod /dev/c51 c 5 1 && exec 3</dev/c51 && echo opened'
like "$RC $ERR" '^[1-9].*Operation not permitted' "... and for reading too"
# v1's devices.list, where the container's devices are a v1 leaf's (not
# on a hybrid host, where a device program on its v2 leaf holds them).
run cara sh -c 'cat /sys/fs/cgroup/devices/devices.list'
if [ "$RC" = 0 ]; then
	is "$(echo "$OUT" | grep -c '^c 5:')" 2 "v1: devices.list holds c 5:0 and c 5:2, not c 5:1"
	unlike "$OUT" '^c 5:1 ' "... no rule for the host's console"
fi

# --- a hybrid host (v1 controllers, and cgroup2 beside them): the
# allow-list is a device program on the container's v2 leaf, which init is
# born in; there is no v1 devices leaf. A disk node made by root opens not.
v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
if [ -n "$v2" ] && awk '$9 == "cgroup" { f = 1 } END { exit !f }' /proc/self/mountinfo; then
	run cara sh -c 'mknod /dev/sda b 8 0 && echo made; exec 3</dev/sda && echo opened'
	like "$OUT" 'made' "hybrid: root in the container can mknod b 8 0 (/dev/sda)"
	unlike "$OUT" 'opened' "... but not open it"
	like "$ERR" '/dev/sda: Operation not permitted' "... EPERM, from the device program"
	"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --name "dev-$$" sleep 100 </dev/null &
	bg=$!
	for i in $(seq 100); do [ -s "$v2/$TEST_CGROUP_PARENT/dev-$$/cgroup.procs" ] && break; sleep 0.05; done
	init=$(head -1 "$v2/$TEST_CGROUP_PARENT/dev-$$/cgroup.procs" 2>/dev/null)
	cgroups=$(cat "/proc/${init:-0}/cgroup" 2>/dev/null)
	ok "hybrid: init is in its v2 leaf" grep -qx "0::/$TEST_CGROUP_PARENT/dev-$$" <<<"$cgroups"
	ok "... and in no v1 devices leaf" grep -qxE "[0-9]+:devices:/" <<<"$cgroups"
	ok "... which is not made" test ! -e "/sys/fs/cgroup/devices/$TEST_CGROUP_PARENT/dev-$$"
	kill -TERM "$bg"; wait "$bg"
	# The device program is loaded while init sets up: where the kernel
	# refuses it (strace makes bpf fail), v1's devices leaf guards the
	# disk all the same, init moved into it before the workload starts.
	if command -v strace >/dev/null; then
		# Loaded slowly (strace holds each bpf call 0.3 s): the workload
		# starts only once it is attached, and init's cgroup namespace is
		# made only then, at its leaves.
		run strace -f -qq -o /dev/null -e trace=bpf -e inject=bpf:delay_enter=300000 \
			"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" \
			sh -c 'grep -E "^0::|:devices:|:pids:" /proc/1/cgroup | sort; mknod /dev/sda b 8 0 && echo made; exec 3</dev/sda && echo opened'
		is "$(printf '%s\n' "$OUT" | grep -cxE '0::/|[0-9]+:(devices|pids):/|made')" 4 \
			"bpf slowed: init's cgroups are / in its namespace (v2, devices, pids), root makes /dev/sda"
		like "$ERR" '/dev/sda: Operation not permitted' "... which the workload's first open finds shut (EPERM)"
		run strace -f -qq -o /dev/null -e trace=bpf -e inject=bpf:error=EPERM \
			"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" \
			sh -c 'test -r /sys/fs/cgroup/devices/devices.list && echo listed;
			mknod /dev/sda b 8 0 && echo made; exec 3</dev/sda && echo opened'
		is "$(echo $OUT)" "listed made" \
			"no device program (bpf fails): the container's devices leaf is mounted, root still makes /dev/sda"
		like "$ERR" '/dev/sda: Operation not permitted' "... and v1's devices leaf keeps it shut (EPERM)"
		# The launcher SIGKILLed just after that leaf's mkdir (strace holds
		# each mkdir 0.3 s on its way out): the state's note names the leaf
		# and its parent folder before they are made, so the next look at
		# the state (list) removes them with the rest. The note once came
		# only after, and the devices parent folder stayed for good.
		devices=/sys/fs/cgroup/devices/$TEST_CGROUP_PARENT
		{ strace -qq -o /dev/null -e trace=bpf,mkdir -e inject=bpf:error=EPERM \
			-e inject=mkdir:delay_exit=300000 "$CARAPACE" --root "$work/state" run \
			--cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --name "dk-$$" sleep 100 \
			</dev/null & } 2>/dev/null
		tracer=$!
		for i in $(seq 200); do [ -d "$devices/dk-$$" ] && break; sleep 0.02; done
		launcher=$(pgrep -P "$tracer")
		is "$(grep -c "/devices $TEST_CGROUP_PARENT" "$work/state/dk-$$/cgroups" 2>&1)" 2 \
			"launcher held after the fallback devices leaf's mkdir: the state's note names it and its parent"
		kill -KILL "$launcher"; wait "$tracer" 2>/dev/null
		"$CARAPACE" --root "$work/state" list >/dev/null
		left=$(ls -d /sys/fs/cgroup/*/"$TEST_CGROUP_PARENT"/dk-$$ "$devices" "$work/state/dk-$$" 2>/dev/null)
		is "$left" "" "... killed there, list then removes every leaf, the devices parent folder and the state"
		# ... and the container's cgroup namespace is rooted at that leaf:
		# one made above it (init moved in after its unshare, as a device
		# program loaded after the clone had it) let root with SYS_ADMIN
		# mount the hierarchy and leave the leaf. bpf slowed, so that such
		# a race would be lost every time.
		if asan_build; then skip_sealed_copy 2 "--cap-add SYS_ADMIN"; else
		run strace -f -qq -o /dev/null -e trace=bpf -e inject=bpf:error=EPERM:delay_enter=100000 \
			"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --cap-add SYS_ADMIN sh -c \
			'grep :devices: /proc/self/cgroup; mkdir /tmp/c && mount -t cgroup -o devices none /tmp/c &&
			head -n 1 /tmp/c/devices.list && echo $$ >/tmp/c/cgroup.procs && head -n 1 /tmp/c/devices.list'
		is "$(printf '%s\n' "$OUT" | head -n 1)" "${OUT%%:*}:devices:/" \
			"bpf failing, the container's devices cgroup is / in its own namespace"
		is "$RC:$(printf '%s\n' "$OUT" | grep -c .):$(printf '%s\n' "$OUT" | grep -c 'a \*:\* rwm')" "0:3:0" \
			"... and root with SYS_ADMIN, the hierarchy mounted, finds no allow-all devices cgroup above it"
		fi
	else
		for i in 1 2 3 4 5 6 7 8; do skip "no strace"; done
	fi
else
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do skip "not a hybrid host"; done
fi
# The allowed ones are still there: the container's own tty, ptmx, null.
run cara sh -c 'mknod /dev/n13 c 1 3 && echo x >/dev/n13 && mknod /dev/p52 c 5 2 && exec 3<>/dev/p52 && echo fine'
is "$RC $OUT" "0 fine" "c 1:3 and c 5:2 made by root still open"
# Each rule of the default list, and its neighbours: root makes every node
# (c *:* m, b *:* m), and the device cgroup lets only the listed ones open
# (the device program, or v1's devices.list): their driver answers (c 5:0
# with ENXIO, a pts that isn't with EIO), the others are shut (EPERM).
run cara sh -c 'for d in "c 1 3" "c 1 5" "c 1 7" "c 1 8" "c 1 9" "c 5 0" "c 5 2" "c 136 7" "c 136 1048575" \
	"c 1 1" "c 1 2" "c 1 4" "c 1 6" "c 1 11" "c 5 1" "c 4 0" "c 10 200" "c 137 7" "c 3 3" "c 2047 0" "c 2048 3" "c 4095 1048575" "b 1 3" "b 136 7" "b 7 0"; do
	set -- $d; mknod /dev/t $1 $2 $3 || { echo "$d: no mknod"; continue; }
	e=$( (exec 3</dev/t) 2>&1 ); case $e in *"not permitted"*) echo "$d: shut" ;; *) echo "$d: let" ;; esac
	rm /dev/t; done'
is "$RC $OUT" "0 c 1 3: let
c 1 5: let
c 1 7: let
c 1 8: let
c 1 9: let
c 5 0: let
c 5 2: let
c 136 7: let
c 136 1048575: let
c 1 1: shut
c 1 2: shut
c 1 4: shut
c 1 6: shut
c 1 11: shut
c 5 1: shut
c 4 0: shut
c 10 200: shut
c 137 7: shut
c 3 3: shut
c 2047 0: shut
c 2048 3: shut
c 4095 1048575: shut
b 1 3: shut
b 136 7: shut
b 7 0: shut" \
	"root makes any node; only the default list's open (c 1:3 1:5 1:7 1:8 1:9 5:0 5:2 136:*)"

# --- a tarball that ships a 0666 node of the host's console, for -u 1000
mknod "$work/node" c 5 1 && chmod 666 "$work/node"
tar -C "$ROOTFS" -cf "$work/root.tar" .
tar -C "$work" --transform 's,^node$,./tmp/console,' -rf "$work/root.tar" node
mkdir -p "$work/dev" && mknod "$work/dev/console" c 5 1 && chmod 666 "$work/dev/console"
tar -C "$work" -rf "$work/root.tar" ./dev/console
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -u 1000 -r "$work/root.tar" sh -c 'stat -c "%a %t:%T" /tmp/console; : >/tmp/console && echo opened'
is "$OUT" "666 5:1" "the tarball's 0666 c 5:1 node is there"
# Two locks: the tarball's tmpfs is nodev (EACCES), and the device cgroup (EPERM).
like "$ERR" '/tmp/console: (Permission denied|Operation not permitted)' "-u 1000 can't open it"

# --- no terminal: no /dev/console, not even the one the rootfs ships
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -T -r "$work/root.tar" sh -c 'ls /dev/console'
like "$RC $ERR" '^1 .*No such file' "without a terminal there is no /dev/console (the rootfs's is hidden)"
run cara sh -c 'ls /dev/console'
like "$RC $ERR" '^1 .*No such file' "... in the plain rootfs either"

# --- a terminal: /dev/console is the pty's slave, the workload's own tty
probe='stat -L -c "%t:%T %i" /dev/console "$(tty)" | uniq | wc -l; stat -c %t /dev/console; echo to-console >/dev/console'
OUT=$(timeout -s KILL 10 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -t -r "$ROOTFS" sh -c "$probe" </dev/null 2>&1 | tr -d '\r')
is "$OUT" "$(printf '1\n88\nto-console')" "-t over a pipe: /dev/console is the workload's pty (136:N), and writes reach the launcher"
# script's terminal echoes the EOF of its stdin as "^@" first.
OUT=$(timeout -s KILL 10 script -qc "$CARAPACE run --cgroup-parent $TEST_CGROUP_PARENT -q -r $ROOTFS sh -c '$probe'" /dev/null </dev/null 2>&1 |
	tr -d '\r' | sed 's/^\^@//')
is "$OUT" "$(printf '1\n88\nto-console')" "at a terminal (script): the same"
OUT=$(timeout -s KILL 10 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -t --read-only -u 1000 -r "$ROOTFS" sh -c 'stat -c %t /dev/console' </dev/null 2>&1 | tr -d '\r')
is "$OUT" 88 "--read-only -u 1000: /dev/console is the pty too"
# The host's console node, shipped in the tarball's /dev, is hidden by the pty.
OUT=$(timeout -s KILL 10 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -t -r "$work/root.tar" sh -c 'stat -c %t:%T /dev/console' </dev/null 2>&1 | tr -d '\r')
like "$OUT" '^88:[0-9]+$' "a tarball's own /dev/console doesn't show through with -t either"

# --- ptys: kernel.pty.max (4096, 1024 of them kept for the host's own
# devpts) is shared by every devpts instance: one container must not take
# them all. Each level holds 7 more ptmx fds, until one can't.
hog='echo '"'"'{ sh /tmp/p.sh; } 2>/dev/null 3<>/dev/ptmx 4<>/dev/ptmx 5<>/dev/ptmx 6<>/dev/ptmx 7<>/dev/ptmx 8<>/dev/ptmx 9<>/dev/ptmx || { ls /dev/pts | grep -c "^[0-9]"; : 2>&1 3<>/dev/ptmx 4<>/dev/ptmx 5<>/dev/ptmx; }'"'"' >/tmp/p.sh; sh /tmp/p.sh'
run timeout -s KILL 30 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" sh -c "$hog"
held=$(echo "$OUT" | head -1)
ok "a container holds at most 128 ptys ($held)" test "${held:-0}" -gt 100 -a "${held:-9999}" -le 128
like "$OUT" 'No space left on device' "  the pty past them fails with ENOSPC"
run timeout -s KILL 30 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --mount type=devpts,dst=/mnt sh -c 'grep -c "/mnt .*max=128" /proc/self/mountinfo'
is "$OUT" 1 "  a --mount type=devpts too"

no_leaks "no process, mount or cgroup left behind"
done_testing
