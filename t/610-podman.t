#!/bin/bash
# t/610-podman.t: podman (4.3) drives the runtime under test through conmon,
# as it would runc: run in the foreground, with -i and -t, -d with logs,
# kill, stop, rm -f, --rm, exit codes, --init, limits, --read-only,
# volumes, --network none and a published port. Podman keeps all its
# storage and state in the test's folder; the runtime keeps its state in
# its default root (podman passes no --root), where each test looks for
# what is left. ENGINE_RUNTIME=/usr/sbin/runc proves the harness.
. "$(dirname "$0")/tap.sh"
need_root
command -v podman >/dev/null || skip_all "podman is not installed (apt-get install podman)"
command -v conmon >/dev/null || skip_all "conmon is not installed (apt-get install conmon)"
need_rootfs
. "$TOP/t/engine.sh"

# Where the runtime keeps a container's state: its default --root.
case ${RUNTIME##*/} in
runc) STATE_ROOT=/run/runc ;;
crun) STATE_ROOT=/run/crun ;;
*) STATE_ROOT=/run/carapace ;;
esac
STATE_ROOT=${ENGINE_STATE_ROOT:-$STATE_ROOT}

# podman --init's init: catatonit, or tini's static build.
INIT=
for f in /usr/libexec/podman/catatonit /usr/bin/catatonit /usr/bin/tini-static; do
	[ -x "$f" ] && { INIT=$f; break; }
done

# conmon writes files in its folder (an "oom" file when the OOM killer
# came): the test's.
cd "$TMPDIR" || exit 1

snapshot_host
start_snapshot=$_tap_snapshot

# Podman's configuration, storage and state, all in the test's folder. The
# runtime is named carapace (podman keys what it expects of a runtime on
# its name, hence the name in runtime_supports_json); it is $RUNTIME. The
# host's limits: root's hard nofile is 20000 here, and the bounding set
# lacks CAP_SYS_RESOURCE, so podman's default ulimits can't be raised to.
# Its run folder and tmp_dir are in a short folder of their own: under a
# long path (as $TMPDIR's) conmon's attach socket fails, and each podman run
# then waits 20 s for an exit code that comes another way.
eng=$TMPDIR/podman
short=$(mktemp -d /tmp/pm.XXXXXX) || { echo "Bail out! no folder in /tmp"; exit 1; }
ENGINE_DIRS=$short
mkdir -p "$eng/root" "$short/run" "$short/tmp" "$eng/net" "$eng/volumes"
cat >"$eng/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
${INIT:+init_path = \"$INIT\"}
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$eng/events.log"
tmp_dir = "$short/tmp"
static_dir = "$eng/root/libpod"
volume_path = "$eng/volumes"
runtime = "carapace"
runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "carapace"]
[engine.runtimes]
carapace = ["$RUNTIME"]
[network]
network_config_dir = "$eng/net"
EOF
cat >"$eng/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$eng/root"
runroot = "$short/run"
# Not the driver's bind of its folder on itself, which comes and goes.
[storage.options.overlay]
skip_mount_home = "true"
EOF
export CONTAINERS_CONF=$eng/containers.conf CONTAINERS_STORAGE_CONF=$eng/storage.conf
# Host folders that podman or netavark make when they are missing, and that
# the test removes if it made them (netavark's ipam lock lives in one).
host_dirs=(/run/containers/networks /run/containers)
made_dirs=()
for d in "${host_dirs[@]}"; do [ -e "$d" ] || made_dirs+=("$d"); done
# Podman makes /run/netns a shared bind of itself, once, and keeps it: the
# test's to remove, if it was not there, once no namespace is pinned in it.
made_netns=
[ -e /run/netns ] || made_netns=1
drop_run_netns() {
	[ -n "$made_netns" ] && [ -d /run/netns ] || return 0
	[ -z "$(ls -A /run/netns)" ] || return 0
	mountpoint -q /run/netns && umount /run/netns
	rmdir /run/netns
}

IMAGE=localhost/carapace-test:latest
cleanup() {
	podman rm -a -f -t 0 >/dev/null 2>&1
	podman rmi -a -f >/dev/null 2>&1
	# What podman failed to unmount (a container's root), so that no rm
	# crosses it.
	local d
	for d in "$eng" "$short"; do
		awk -v d="$d" 'substr($5, 1, length(d) + 1) == d "/" { print $5 }' /proc/self/mountinfo
	done | sort -r | while read -r m; do umount "$m"; done
	rm -rf --one-file-system -- "$short"
	drop_engine_cgroups
	drop_run_netns
	for d in "${made_dirs[@]}"; do
		[ "$d" = /run/containers/networks ] && rm -f "$d/ipam.db"
		rmdir "$d" 2>/dev/null
	done
}
trap cleanup EXIT

rootfs_tar "$TMPDIR/rootfs.tar"
podman import -q "$TMPDIR/rootfs.tar" "$IMAGE" >/dev/null ||
	{ echo "Bail out! podman import failed"; exit 1; }
rm -f "$TMPDIR/rootfs.tar"

# prun ARGS...: podman run in the test's cgroup parent, bounded in time.
# The run's container id goes to the file $cid, which new_cid names before
# (in the test's shell, not in a prun's $(...)); last_id reads it, and the
# container's state folder becomes one the leak checks look for.
_runs=0
new_cid() { _runs=$((_runs + 1)); cid=$TMPDIR/cid.$_runs; }
# Default signal dispositions, not the test's (a shell's & ignores SIGINT),
# so that what the workload gets is conmon's and the runtime's doing.
prun() {
	env --default-signal timeout -k 5 120 podman run --cgroup-parent "/$TEST_CGROUP_PARENT" --cidfile "$cid" "$@"
}
last_id() {
	local id
	id=$(cat "$cid" 2>/dev/null) && [ -n "$id" ] && engine_state_dir "$STATE_ROOT/$id"
	echo "$id"
}
# inspect ID FORMAT: one of podman inspect's fields.
inspect() { podman inspect -f "$2" "$1" 2>/dev/null; }

# --- podman run, the foreground: stdout, stdin, exit codes.
snapshot_host
new_cid
run prun --rm "$IMAGE" sh -c 'echo hello from $(hostname)'
id=$(last_id)
like "$OUT" '^hello from ' "podman run: the workload's stdout"
is "$RC" 0 "podman run: exit code 0"
nok "podman run --rm: the container is gone" podman container exists "$id"
nothing_left "podman run --rm: nothing left"

snapshot_host
new_cid
OUT=$(echo piped | prun --rm -i "$IMAGE" cat 2>&1)
RC=$?
last_id >/dev/null
is "$OUT" piped "podman run -i: the workload reads podman's stdin"
is "$RC" 0 "podman run -i: exits 0 at its EOF"
nothing_left "podman run -i: nothing left"

snapshot_host
new_cid
run prun "$IMAGE" sh -c 'exit 42'
id=$(last_id)
is "$RC" 42 "podman run: exit code 42"
is "$(inspect "$id" '{{.State.ExitCode}}')" 42 "podman inspect: exit code 42"
podman rm "$id" >/dev/null
nothing_left "podman run, exit 42, podman rm: nothing left"

snapshot_host
new_cid
run prun --rm "$IMAGE" /no/such/command
last_id >/dev/null
is "$RC" 127 "podman run of a missing command: exit code 127"
like "$ERR" '/no/such/command' "podman run of a missing command: the error names it"
nothing_left "podman run of a missing command: nothing left"

snapshot_host
new_cid
run prun --rm "$IMAGE" /etc/passwd
last_id >/dev/null
is "$RC" 126 "podman run of a file that isn't executable: exit code 126"
nothing_left "podman run of a file that isn't executable: nothing left"

snapshot_host
new_cid
run prun --rm "$IMAGE" sh -c 'sh -c "kill -KILL \$\$"; exit $?'
last_id >/dev/null
is "$RC" 137 "podman run: a shell killed by SIGKILL inside gives 137"
nothing_left "podman run, 137: nothing left"

# conmon ignores SIGPIPE, and the runtime must not pass that on. (grep
# itself: busybox sh as pid 1 ignores SIGQUIT, and its children inherit it.)
snapshot_host
new_cid
run prun --rm "$IMAGE" grep -E '^Sig(Ign|Blk):' /proc/self/status
last_id >/dev/null
like "$OUT" '^SigIgn:[[:space:]]*0+$' "podman run: the workload starts with no signal ignored"
like "$OUT" '^SigBlk:[[:space:]]*0+$' "podman run: the workload starts with no signal blocked"
nothing_left "podman run, signal masks: nothing left"

# --- -t: a terminal of podman's (conmon's) through the console socket,
# with script as the person at the terminal.
snapshot_host
new_cid
env --default-signal timeout -k 5 120 script -qec "podman run --rm -t --cgroup-parent /$TEST_CGROUP_PARENT --cidfile $cid $IMAGE sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys; exit 3'" /dev/null </dev/null >"$TMPDIR/tty.out" 2>&1
RC=$?
OUT=$(tr -d '\r' <"$TMPDIR/tty.out")
last_id >/dev/null
like "$OUT" '^/dev/pts/[0-9]+$' "podman run -t: the workload's stdin is a pty"
like "$OUT" '^both-ttys$' "podman run -t: stdin and stdout are the terminal"
is "$RC" 3 "podman run -t: exit code 3"
nothing_left "podman run -t: nothing left"

# --- -d, logs, kill, stop.
# wait_logs ID ERE: podman logs ID has a line matching ERE (10 s).
wait_logs() {
	local i
	for ((i = 0; i < 100; i++)); do
		podman logs "$1" 2>/dev/null | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	diag "podman logs $1: no /$2/ in: $(podman logs "$1" 2>&1 | tail -n 5)"
	return 1
}
# A workload that traps a signal, says so in its log, and goes on.
trapper() { echo "trap 'echo got $1' $1; echo started; while :; do sleep 0.1; done"; }

snapshot_host
new_cid
id=$(prun -d "$IMAGE" sh -c "$(trapper USR1)")
last_id >/dev/null
ok "podman run -d: the workload's output in podman logs" wait_logs "$id" '^started$'
is "$(inspect "$id" '{{.State.Running}}')" true "podman run -d: running"
pid=$(inspect "$id" '{{.State.Pid}}')
ok "podman inspect: the container's pid is a live process" live_pid "$pid"
podman kill -s USR1 "$id" >/dev/null
ok "podman kill -s USR1: the workload's trap ran" wait_logs "$id" '^got USR1$'
is "$(inspect "$id" '{{.State.Running}}')" true "podman kill -s USR1: still running"
podman kill -s KILL "$id" >/dev/null
run timeout 30 podman wait "$id"
is "$OUT" 137 "podman kill -s KILL: exit code 137"
podman rm "$id" >/dev/null
nothing_left "podman run -d, kill: nothing left"

# stop sends the image's stop signal, TERM; a workload that ends on it
# gives its own exit code...
snapshot_host
new_cid
id=$(prun -d "$IMAGE" sh -c "trap 'echo got TERM; exit 7' TERM; echo started; while :; do sleep 0.1; done")
last_id >/dev/null
wait_logs "$id" '^started$' >/dev/null
run timeout 60 podman stop -t 30 "$id"
is "$RC" 0 "podman stop: exits 0"
is "$(inspect "$id" '{{.State.ExitCode}}')" 7 "podman stop: TERM ends the workload, its exit code 7"
ok "podman stop: the workload's TERM trap ran" wait_logs "$id" '^got TERM$'
podman rm "$id" >/dev/null
nothing_left "podman stop (TERM): nothing left"

# ...and one that shrugs it off is killed when the timeout is up.
snapshot_host
new_cid
id=$(prun -d "$IMAGE" sh -c "$(trapper TERM)")
last_id >/dev/null
wait_logs "$id" '^started$' >/dev/null
run timeout 60 podman stop -t 1 "$id"
is "$RC" 0 "podman stop -t 1 of a workload that traps TERM: exits 0"
ok "podman stop -t 1: the workload got TERM first" wait_logs "$id" '^got TERM$'
is "$(inspect "$id" '{{.State.ExitCode}}')" 137 "podman stop -t 1: then KILL, exit code 137"
podman rm "$id" >/dev/null
nothing_left "podman stop (TERM, then KILL): nothing left"

snapshot_host
new_cid
id=$(prun -d "$IMAGE" sleep 1000)
last_id >/dev/null
run timeout 60 podman rm -f -t 1 "$id"
is "$RC" 0 "podman rm -f of a running container: exits 0"
nok "podman rm -f: the container is gone" podman container exists "$id"
nothing_left "podman rm -f of a running container: nothing left"

# --- pause and unpause: the counting stops, state says paused, then it goes on.
snapshot_host
new_cid
id=$(prun -d "$IMAGE" sh -c 'i=0; while :; do i=$((i+1)); echo $i; sleep 0.05; done')
last_id >/dev/null
wait_logs "$id" '^3$' >/dev/null
run timeout 60 podman pause "$id"
is "$RC" 0 "podman pause: exits 0"
is "$(inspect "$id" '{{.State.Status}}')" paused "podman pause: podman says paused"
before=$(podman logs "$id" 2>/dev/null | tail -n 1)
sleep 0.5
is "$(podman logs "$id" 2>/dev/null | tail -n 1)" "$before" "podman pause: no count while paused"
run timeout 60 podman unpause "$id"
is "$RC" 0 "podman unpause: exits 0"
is "$(inspect "$id" '{{.State.Status}}')" running "podman unpause: running again"
ok "podman unpause: it counts on" wait_logs "$id" "^$((before + 2))\$"
podman rm -f -t 0 "$id" >/dev/null
nothing_left "podman pause, unpause: nothing left"

# --- --init: podman's init (catatonit) runs the workload, its parent.
snapshot_host
if [ -n "$INIT" ]; then
	new_cid
	run prun --rm --init "$IMAGE" sh -c 'tr "\0" " " </proc/$PPID/cmdline; echo; echo "sh is $$"; exit 5'
	last_id >/dev/null
	# Its parent: PID 1 under runc; under carapace, carapace's init is PID 1 and podman's its child.
	like "$OUT" '^/run/podman-init -- ' "podman run --init: podman's init runs the workload"
	like "$OUT" '^sh is ([2-9]|[1-9][0-9]+)$' "podman run --init: the workload is not pid 1"
	is "$RC" 5 "podman run --init: the workload's exit code 5 through the init"
else
	skip "podman run --init: no catatonit (apt-get install catatonit)"
	skip "podman run --init: no catatonit"
	skip "podman run --init: no catatonit"
fi
nothing_left "podman run --init: nothing left"

# --- limits, seen from inside and from outside.
snapshot_host
new_cid
id=$(prun -d --pids-limit 20 "$IMAGE" sh -c 'echo started; while :; do sleep 0.1; done')
last_id >/dev/null
wait_logs "$id" '^started$' >/dev/null
is "$(cat "/sys/fs/cgroup/pids/$TEST_CGROUP_PARENT/libpod-$id/pids.max" 2>/dev/null ||
	cat "/sys/fs/cgroup/$TEST_CGROUP_PARENT/libpod-$id/pids.max" 2>/dev/null)" 20 \
	"podman run --pids-limit 20: pids.max of the container's cgroup, from outside"
podman rm -f -t 0 "$id" >/dev/null
nothing_left "podman run --pids-limit, outside: nothing left"

# --- podman update (4.3 has no --pids-limit): the runtime's update
# --resources FILE changes the memory limit at once, seen in the cgroup and
# felt inside (the next 32 MiB allocation is OOM-killed), and the CPU shares.
snapshot_host
new_cid
id=$(prun -d "$IMAGE" sh -c 'mkfifo /dev/shm/f && exec 3<>/dev/shm/f; echo started; while read -r x <&3; do if dd if=/dev/zero of=/dev/null bs=32M count=1 2>/dev/null; then echo alloc-ok; else echo alloc-failed; fi; done')
last_id >/dev/null
wait_logs "$id" '^started$' >/dev/null
run timeout 60 podman update --memory 16m --memory-swap 16m --cpu-shares 512 "$id"
is "$RC:$ERR" "0:" "podman update --memory 16m --memory-swap 16m --cpu-shares 512: exits 0"
cg=/sys/fs/cgroup/memory/$TEST_CGROUP_PARENT/libpod-$id
[ -d "$cg" ] || cg=/sys/fs/cgroup/$TEST_CGROUP_PARENT/libpod-$id
is "$(cat "$cg/memory.limit_in_bytes" 2>/dev/null || cat "$cg/memory.max")" 16777216 \
	"podman update: the memory limit is 16 MiB at once"
cg=/sys/fs/cgroup/cpu/$TEST_CGROUP_PARENT/libpod-$id
[ -d "$cg" ] || cg=/sys/fs/cgroup/$TEST_CGROUP_PARENT/libpod-$id
is "$(cat "$cg/cpu.shares" 2>/dev/null || cat "$cg/cpu.weight")" \
	"$([ -e "$cg/cpu.shares" ] && echo 512 || echo 20)" "podman update: the CPU shares (v2: weight)"
echo go >"/proc/$(inspect "$id" '{{.State.Pid}}')/root/dev/shm/f"
ok "podman update: inside, the next 32 MiB allocation fails" wait_logs "$id" '^alloc-failed$'
podman rm -f -t 0 "$id" >/dev/null
nothing_left "podman update: nothing left"

snapshot_host
new_cid
run prun --rm --pids-limit 20 "$IMAGE" sh -c '
	cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null
	n=0; for i in $(seq 40); do sleep 30 & n=$((n + 1)); done; echo "forked $n"
	kill $(jobs -p) 2>/dev/null; exit 0'
last_id >/dev/null
like "$OUT" '^20$' "podman run --pids-limit 20: pids.max is 20, inside"
like "$ERR$OUT" "can't fork|Resource temporarily unavailable" "podman run --pids-limit 20: a fork loop is stopped"
nothing_left "podman run --pids-limit, fork loop: nothing left"

snapshot_host
new_cid
run prun --rm --memory 32m --memory-swap 32m "$IMAGE" sh -c 'exec tail /dev/zero'
last_id >/dev/null
is "$RC" 137 "podman run --memory 32m: the OOM killer's SIGKILL gives 137"
nothing_left "podman run --memory, OOM: nothing left"

# --- the filesystem: --read-only, volumes.
snapshot_host
new_cid
run prun --rm --read-only "$IMAGE" sh -c 'touch /new; echo "root: $?"; touch /tmp/new && echo "tmp: $?"'
last_id >/dev/null
like "$OUT" '^root: 1$' "podman run --read-only: / can't be written"
like "$ERR" 'Read-only file system' "podman run --read-only: EROFS"
like "$OUT" '^tmp: 0$' "podman run --read-only: podman's /tmp tmpfs can"
nothing_left "podman run --read-only: nothing left"

snapshot_host
vol=$(mktemp -d) ro=$(mktemp -d)
echo from-host >"$ro/file"
new_cid
run prun --rm -v "$vol:/data" -v "$ro:/ro:ro" "$IMAGE" sh -c \
	'echo from-container >/data/out; cat /ro/file; echo x >/ro/new; echo "ro: $?"'
last_id >/dev/null
is "$(cat "$vol/out" 2>/dev/null)" from-container "podman run -v: the container's write is on the host"
like "$OUT" '^from-host$' "podman run -v :ro: the host's file is read inside"
like "$OUT" '^ro: 1$' "podman run -v :ro: and can't be written"
rm -rf -- "$vol" "$ro"
nothing_left "podman run -v: nothing left"

# --- the network: none, and a published port.
snapshot_host
new_cid
run prun --rm --network none "$IMAGE" sh -c 'ls /sys/class/net; readlink /proc/self/ns/net'
last_id >/dev/null
is "$(printf '%s\n' "$OUT" | grep -v '^net:')" lo "podman run --network none: only lo"
ns=$(printf '%s\n' "$OUT" | grep '^net:')
ok "podman run --network none: a network namespace of its own" \
	test -n "$ns" -a "$ns" != "$(readlink /proc/self/ns/net)"
nothing_left "podman run --network none: nothing left"

# -p 8080:80 needs podman's bridge (netavark, iptables): in a network
# namespace of the test's, so that nothing of it touches the host's. httpd
# serves a volume; the host side fetches from 127.0.0.1:8080, with curl or
# GNU wget (busybox's wget dies of SIGSEGV in such a namespace here).
fetch=
if command -v curl >/dev/null; then fetch="curl -sS --max-time 2"
elif command -v wget >/dev/null; then fetch="wget -q -T 2 -O -"; fi
snapshot_host
www=$(mktemp -d)
echo "served by httpd" >"$www/index.html"
new_cid
cat >"$TMPDIR/port.sh" <<EOF
ip link set lo up
podman run -d --network bridge -p 8080:80 -v "$www:/www:ro" --cgroup-parent "/$TEST_CGROUP_PARENT" \
	--cidfile "$cid" "$IMAGE" httpd -f -p 80 -h /www >/dev/null || exit 1
for i in \$(seq 25); do
	out=\$($fetch http://127.0.0.1:8080/ 2>&1) && break
	sleep 0.2
done
echo "fetched: \$out"
podman rm -f -t 0 "\$(cat "$cid")" >/dev/null
EOF
if [ -z "$fetch" ]; then
	skip "podman run -p 8080:80: no curl nor wget to fetch with (apt-get install curl)"
elif command -v netavark >/dev/null || [ -x /usr/lib/podman/netavark ]; then
	run timeout -k 5 120 unshare --net bash "$TMPDIR/port.sh"
	last_id >/dev/null
	is "$OUT" "fetched: served by httpd" "podman run -p 8080:80 httpd: 127.0.0.1:8080 serves the container's page"
	[ "$RC" = 0 ] || diag "port.sh: $ERR"
else
	skip "podman run -p 8080:80: no netavark (apt-get install netavark)"
fi
rm -rf -- "$www"
drop_run_netns
nothing_left "podman run -p 8080:80: nothing left"

# --- the engine's own: its storage goes with the test.
cleanup
trap - EXIT
_tap_snapshot=$start_snapshot
no_leaks "podman's storage and the test's cgroups removed: nothing left"

done_testing
