#!/bin/bash
# t/620-containerd.t: containerd (1.6) drives the runtime under test through
# its runc shim (io.containerd.runc.v2), as ctr run --runc-binary does:
# run with --rm, -t and -d, ctr task kill and delete, exit codes, the
# runtime's error in --log. The test starts a containerd of its own (its
# socket, root, state and config in the test's folder, no CRI plugin) and
# stops it at the end; the runtime's --root is in the test's folder too.
# ENGINE_RUNTIME=/usr/sbin/runc proves the harness.
. "$(dirname "$0")/tap.sh"
need_root
need_rootfs
. "$TOP/t/engine.sh"

containerd_setup

# --- ctr run --rm: output, stdin, exit codes.
snapshot_host
run crun r1 --rm "$IMAGE" r1 sh -c 'echo hello from $$'
like "$OUT" '^hello from [0-9]+$' "ctr run --rm: the workload's stdout"
is "$RC" 0 "ctr run --rm: exit code 0"
nok "ctr run --rm: the container is gone" cq container info r1
nothing_left "ctr run --rm: nothing left"

# One line, not up to EOF: ctr forwards its stdin's EOF late or never when
# the input came before the task started (cat then waits for ever).
snapshot_host
OUT=$(echo piped | crun r2 --rm "$IMAGE" r2 sh -c 'read -r line; echo "read: $line"' 2>&1)
is "$OUT" "read: piped" "ctr run: the workload reads ctr's stdin"
nothing_left "ctr run, stdin: nothing left"

snapshot_host
run crun r3 --rm "$IMAGE" r3 sh -c 'exit 42'
is "$RC" 42 "ctr run --rm: exit code 42"
nothing_left "ctr run --rm, exit 42: nothing left"

snapshot_host
run crun r4 --rm "$IMAGE" r4 sh -c 'no-such-command'
is "$RC" 127 "ctr run --rm: a shell's missing command, exit code 127"
nothing_left "ctr run --rm, exit 127: nothing left"

# The runtime fails create: containerd reads why from the runtime's --log
# (JSON lines) and says it.
snapshot_host
run crun r5 --rm "$IMAGE" r5 /no/such/command
isnt "$RC" 0 "ctr run of a missing command: fails"
like "$ERR" 'OCI runtime create failed: .*/no/such/command' "ctr run of a missing command: containerd shows the runtime's error"
unlike "$ERR" 'unable to retrieve OCI runtime error' "ctr run of a missing command: the runtime's --log has it, as JSON"
cq container delete r5
nothing_left "ctr run of a missing command: nothing left"

snapshot_host
run crun r6 --rm "$IMAGE" r6 grep -E '^Sig(Ign|Blk):' /proc/self/status
like "$OUT" '^SigIgn:[[:space:]]*0+$' "ctr run: the workload starts with no signal ignored"
like "$OUT" '^SigBlk:[[:space:]]*0+$' "ctr run: the workload starts with no signal blocked"
nothing_left "ctr run, signal masks: nothing left"

# ctr's process env has no HOME: the runtime gives the user's, from the
# image's /etc/passwd, as runc does.
snapshot_host
run crun r7 --rm "$IMAGE" r7 sh -c 'echo "$HOME"'
is "$OUT" /root "ctr run: HOME, root's from the image's passwd"
nothing_left "ctr run, HOME: nothing left"

# --- -t: the shim's pty, through the console socket; script plays the
# terminal.
snapshot_host
engine_state_dir "$RROOT/$NS/t1"
timeout -k 5 60 script -qec "ctr --address $sock --namespace $NS run --rm -t --runc-binary $RUNTIME --runc-root $RROOT --fifo-dir $eng/fifo $IMAGE t1 sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys; exit 3'" /dev/null </dev/null >"$TMPDIR/tty.out" 2>&1
RC=$?
OUT=$(tr -d '\r' <"$TMPDIR/tty.out")
like "$OUT" '/dev/pts/[0-9]+$' "ctr run -t: the workload's stdin is a pty"
like "$OUT" '^both-ttys$' "ctr run -t: stdin and stdout are the terminal"
is "$RC" 3 "ctr run -t: exit code 3"
nothing_left "ctr run -t: nothing left"

# --- -d, ctr task kill, ctr task delete. The workload writes to a folder of
# the test's, bound in.
out=$(mktemp -d)
snapshot_host
run crun d1 -d --mount "type=bind,src=$out,dst=/out,options=rbind:rw" "$IMAGE" d1 sh -c \
	"trap 'echo got USR1 >>/out/log' USR1; trap 'echo got TERM >>/out/log; exit 7' TERM; echo started >/out/log; while :; do sleep 0.1; done"
is "$RC" 0 "ctr run -d: exits 0"
ok "ctr run -d: the workload runs" wait_for "$out/log" '^started$'
is "$(task_status d1)" RUNNING "ctr task ls: RUNNING"
pid=$(c task ls 2>/dev/null | awk '$1 == "d1" { print $2 }')
ok "ctr task ls: the task's pid is a live process" live_pid "$pid"
c task kill -s USR1 d1
ok "ctr task kill -s USR1: the workload's trap ran" wait_for "$out/log" '^got USR1$'
is "$(task_status d1)" RUNNING "ctr task kill -s USR1: still running"
c task kill d1
ok "ctr task kill: TERM, the workload's trap ran" wait_for "$out/log" '^got TERM$'
ok "ctr task kill: the task stops" wait_status d1 STOPPED
run c task delete d1
is "$RC" 0 "ctr task delete: exits 0"
like "$ERR" 'exit code 7' "ctr task delete: the task's exit code, 7"
nok "ctr task delete: the task is gone" cq task ps d1
cq container delete d1
nothing_left "ctr run -d, task kill, task delete: nothing left"

snapshot_host
crun d2 -d "$IMAGE" d2 sleep 1000 >/dev/null
wait_status d2 RUNNING >/dev/null
c task kill -s KILL d2
ok "ctr task kill -s KILL: the task stops" wait_status d2 STOPPED
run c task delete d2
like "$ERR" 'exit code 137' "ctr task delete after KILL: exit code 137"
cq container delete d2
nothing_left "ctr task kill -s KILL, delete: nothing left"

# ctr task delete of a running task is refused; with -f it is killed.
snapshot_host
crun d3 -d "$IMAGE" d3 sleep 1000 >/dev/null
wait_status d3 RUNNING >/dev/null
nok "ctr task delete of a running task: refused" cq task delete d3
is "$(task_status d3)" RUNNING "ctr task delete refused: still running"
ok "ctr task delete -f of a running task" cq task delete -f d3
nok "ctr task delete -f: the task is gone" cq task ps d3
cq container delete d3
nothing_left "ctr task delete -f: nothing left"

# ctr task ps lists the task's processes (the runtime's ps --format json);
# pause stops the counting, resume lets it go on.
snapshot_host
crun d4 -d --mount "type=bind,src=$out,dst=/out,options=rbind:rw" "$IMAGE" d4 sh -c \
	'i=0; while :; do i=$((i+1)); echo $i >>/out/count; sleep 0.05; done' >/dev/null
wait_for "$out/count" '^3$'
pid=$(c task ls 2>/dev/null | awk '$1 == "d4" { print $2 }')
run c task ps d4
is "$RC" 0 "ctr task ps: exits 0"
like "$OUT" "^$pid( |\$)" "ctr task ps: lists the task's pid"
ok "ctr task ps: more than init (its child, the workload)" \
	test "$(printf '%s\n' "$OUT" | sed 1d | grep -c '^[0-9]')" -ge 2
run c task pause d4
is "$RC" 0 "ctr task pause: exits 0"
is "$(task_status d4)" PAUSED "ctr task ls: PAUSED"
before=$(tail -n 1 "$out/count")
sleep 0.5
is "$(tail -n 1 "$out/count")" "$before" "ctr task pause: no count while paused"
run c task resume d4
is "$RC" 0 "ctr task resume: exits 0"
is "$(task_status d4)" RUNNING "ctr task resume: RUNNING"
ok "ctr task resume: it counts on" wait_for "$out/count" "^$((before + 2))\$"
cq task delete -f d4
cq container delete d4
nothing_left "ctr task ps, pause, resume: nothing left"
rm -rf -- "$out"

# --- the engine's own: the daemon stops, its mounts go.
engine_done "containerd stopped, its folders and the test's cgroups removed: nothing left"

done_testing
