#!/bin/bash
# t/625-containerd-exec.t: containerd (1.6) gets into a running task
# through its runc shim and the runtime under test (the shim calls its
# exec --process --detach --pid-file, with --console-socket for -t): ctr
# task exec --exec-id with exit codes 0, N, 126, 127 and 128+N, stdin, -t,
# --user, --cwd, the exec'd process in the task's namespaces and
# cgroup; ctr task ps (the runtime's ps --format json) with the exec'd
# process; pause and resume (exec refused while paused, by the shim
# itself: the runtime is not called); kill --all (the shim's kill --all ID
# 9); and ctr task metrics, which the shim reads from the cgroups itself
# (it calls no events --stats of the runtime: a logging wrapper as
# ENGINE_RUNTIME shows create, start, exec, ps, pause, resume, kill and
# delete, nothing else). The test's own containerd, stopped at
# the end; nothing left. ENGINE_RUNTIME=/usr/sbin/runc proves the harness.
. "$(dirname "$0")/tap.sh"
need_root
need_rootfs
. "$TOP/t/engine.sh"

# The runtime's exec is what this test is about (carapace's came with issue 13).
runtime_has exec || skip_all "$RUNTIME has no exec command"
containerd_setup

# cx ID EXEC-ID [OPTIONS...] -- CMD ARGS...: ctr task exec, in ctr's order
# (its options, the task, then the command).
cx() {
	local id=$1 eid=$2; shift 2
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
	shift
	c task exec --exec-id "$eid" "${opts[@]}" "$id" "$@"
}
# task_pid ID: the task's init, from ctr task ls.
task_pid() { c task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $2 }'; }
# cg_procs ID: the pids of the task's pids (or v2) cgroup.
cg_procs() {
	cat "/sys/fs/cgroup/pids/$NS/$1/cgroup.procs" 2>/dev/null ||
		cat "/sys/fs/cgroup/$NS/$1/cgroup.procs" 2>/dev/null
}
SECURITY='^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):'

out=$(mktemp -d)
snapshot_host
run crun e1 -d --mount "type=bind,src=$out,dst=/out,options=rbind:rw" "$IMAGE" e1 sh -c \
	"grep -E '$SECURITY' /proc/self/status >/out/security; echo marker >/marker; echo started >/out/log; while :; do sleep 0.1; done"
is "$RC" 0 "ctr run -d: exits 0"
ok "ctr run -d: the task runs" wait_for "$out/log" '^started$'
pid=$(task_pid e1)
ok "ctr task ls: the task's pid is a live process" live_pid "$pid"

# --- exit codes
run cx e1 x1 -- true
is "$RC" 0 "ctr task exec true: exit code 0"
run cx e1 x2 -- sh -c 'echo out; echo err >&2; exit 3'
is "$OUT" out "ctr task exec: the process's stdout"
is "$ERR" err "ctr task exec: the process's stderr"
is "$RC" 3 "ctr task exec: exit code 3"
run cx e1 x3 -- /no/such/command
isnt "$RC" 0 "ctr task exec of a missing command: fails"
like "$ERR" 'no/such/command' "ctr task exec of a missing command: the error names it"
run cx e1 x4 -- /etc/passwd
isnt "$RC" 0 "ctr task exec of a file that isn't executable: fails"
like "$ERR" '/etc/passwd' "ctr task exec of a file that isn't executable: the error names it"
run cx e1 x5 -- sh -c 'no-such-command'
is "$RC" 127 "ctr task exec: a shell's missing command, exit code 127"
run cx e1 x6 -- sh -c './etc/passwd'
is "$RC" 126 "ctr task exec: a shell's non-executable file, exit code 126"
run cx e1 x7 -- sh -c 'kill -KILL $$'
is "$RC" 137 "ctr task exec: a process killed by SIGKILL gives 137"
OUT=$(echo piped | c task exec --exec-id x8 e1 sh -c 'read -r line; echo "read: $line"' 2>&1)
is "$OUT" "read: piped" "ctr task exec: the process reads ctr's stdin"
run cx e1 x1 -- true
is "$RC" 0 "ctr task exec: an exec id may be used again once its process ended"

# --- the process is in the task: namespaces, root, cgroup, credentials
ns_of() {
	local n
	for n in pid net mnt uts ipc; do printf '%s ' "$(readlink "$1/ns/$n")"; done
}
run cx e1 n1 -- sh -c 'for n in pid net mnt uts ipc; do printf "%s " "$(readlink /proc/self/ns/$n)"; done'
is "$OUT" "$(ns_of "/proc/$pid")" "ctr task exec: the process is in the task's pid, net, mnt, uts and ipc namespaces"
ok "ctr task exec: ...which are not the host's" test -n "$OUT" -a "$OUT" != "$(ns_of /proc/self)"
run cx e1 n2 -- cat /marker
is "$OUT" marker "ctr task exec: the task's root"
run cx e1 n3 -- sh -c 'cat /proc/self/cgroup; echo --; cat /proc/1/cgroup'
is "${OUT%%--*}" "${OUT#*--
}
" "ctr task exec: the process is in the cgroups of the task's pid 1"
run cx e1 n4 -- grep -E "$SECURITY" /proc/self/status
is "$OUT" "$(cat "$out/security")" "ctr task exec: the task's uid, gid, capabilities, no_new_privs and seccomp"

# --- -t, --user, --cwd (ctr's exec has no --env)
# What the process finds is kept in a file of the container's too, read
# back by a second exec: the last output before the process's exit was lost
# in about 1 run in 5, with the binary of before this change too (where it
# goes, ctr's copy of the console or the pty, is not known). The line on the
# terminal comes first, with a fork and an exec after it.
timeout -k 5 60 script -qec "ctr --address $sock --namespace $NS task exec -t --exec-id t1 e1 sh -c 't=\$(tty); echo \"\$t\"; b=no; [ -t 0 ] && [ -t 1 ] && b=both-ttys; echo \"\$t \$b\" | cat >/tmp/tty-check; exit 4'" /dev/null </dev/null >"$TMPDIR/tty.out" 2>&1
TTY_RC=$?
# (ctr's terminal may put a NUL before the output.)
like "$(tr -d '\r\0' <"$TMPDIR/tty.out")" '/dev/pts/[0-9]+$' "ctr task exec -t: the output comes through ctr's terminal"
run cx e1 t2 -- cat /tmp/tty-check
like "$OUT" '^/dev/pts/[0-9]+ ' "ctr task exec -t: the process's stdin is a pty"
like "$OUT" ' both-ttys$' "ctr task exec -t: stdin and stdout are the terminal"
RC=$TTY_RC
is "$RC" 4 "ctr task exec -t: exit code 4"
run cx e1 u1 --user 1000:1000 -- sh -c 'id -u; id -g; grep CapEff /proc/self/status'
like "$OUT" '^1000
1000
CapEff:[[:space:]]*0+$' "ctr task exec --user 1000:1000: uid and gid, no effective capability"
run cx e1 u2 --user app -- sh -c 'echo "$HOME"'
is "$OUT" /home/app "ctr task exec --user app: HOME from the container's passwd (ctr gives none)"
run cx e1 w1 --cwd /tmp -- pwd
is "$OUT" /tmp "ctr task exec --cwd /tmp: the process's working directory"

# --- ctr task ps: the task's processes, an exec'd one among them
c task exec --exec-id s1 e1 sleep 1000 >/dev/null 2>&1 &
exec_ctr=$!
spid=
for ((i = 0; i < 50; i++)); do
	for p in $(cg_procs e1); do
		[ "$( { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null)" = "sleep 1000 " ] && spid=$p
	done
	[ -n "$spid" ] && break
	sleep 0.1
done
ok "ctr task exec (in the background): its process is in the task's cgroup" live_pid "$spid"
run c task ps e1
is "$RC" 0 "ctr task ps: exits 0"
like "$OUT" "^$pid( |\$)" "ctr task ps: lists the task's pid"
like "$OUT" "^${spid:-none}( |\$)" "ctr task ps: lists the exec'd process"

# --- pause and resume: exec refused while paused
run c task pause e1
is "$RC" 0 "ctr task pause: exits 0"
is "$(task_status e1)" PAUSED "ctr task ls: PAUSED"
run cx e1 p1 -- true
isnt "$RC" 0 "ctr task exec into a paused task: refused"
like "$ERR" 'paused' "ctr task exec into a paused task: the error says paused"
run c task resume e1
is "$RC" 0 "ctr task resume: exits 0"
is "$(task_status e1)" RUNNING "ctr task resume: RUNNING"
run cx e1 p2 -- true
is "$RC" 0 "ctr task exec after resume: exit code 0"

# --- metrics: the shim reads the task's cgroups
run c task metrics e1
is "$RC" 0 "ctr task metrics: exits 0"
like "$OUT" 'pids\.current|memory\.usage_in_bytes|memory\.usage' "ctr task metrics: the task's pids and memory"

# --- kill --all: the task and the exec'd process end
run c task kill --all -s KILL e1
is "$RC" 0 "ctr task kill --all -s KILL: exits 0"
ok "ctr task kill --all: the task stops" wait_status e1 STOPPED
wait "$exec_ctr"
is "$?" 137 "ctr task kill --all: the exec'd process ended too, 137"
ok "ctr task kill --all: no process left in the task's cgroup" test -z "$(cg_procs e1)"
run c task delete e1
like "$ERR" 'exit code 137' "ctr task delete after kill --all: exit code 137"
cq container delete e1
nothing_left "ctr task exec, ps, pause, resume, metrics, kill --all: nothing left"
rm -rf -- "$out"

# --- exec into a task that ended
snapshot_host
crun e2 -d "$IMAGE" e2 true >/dev/null
wait_status e2 STOPPED >/dev/null
run cx e2 z1 -- true
isnt "$RC" 0 "ctr task exec into a stopped task: refused"
cq task delete e2
cq container delete e2
nothing_left "ctr task exec into a stopped task: nothing left"

engine_done "containerd stopped, its folders and the test's cgroups removed: nothing left"

done_testing
