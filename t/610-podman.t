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
need_rootfs
. "$TOP/t/engine.sh"

podman_setup

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
engine_done "podman's storage and the test's cgroups removed: nothing left"

done_testing
