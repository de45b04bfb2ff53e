#!/bin/bash
# t/615-podman-exec.t: podman (4.3) gets into a running container through
# the runtime under test (conmon calls its exec --detach --process): exit
# codes 0, N, 126, 127 and 128+N, stdin, -t, -u, -w, -e, -d and
# --preserve-fds; the process sees the container's namespaces, root,
# capabilities, no_new_privs, seccomp and rlimits, and holds no host fd. pause and unpause (state
# paused, exec refused while paused), update (podman's, and the runtime's
# own update --pids-limit on podman's container: podman 4.3 has no
# --pids-limit), top, restart, and stop and rm leaving nothing.
# ENGINE_RUNTIME=/usr/sbin/runc proves the harness.
. "$(dirname "$0")/tap.sh"
need_root
need_rootfs
. "$TOP/t/engine.sh"

# The runtime's exec is what this test is about (carapace's came with issue 13).
runtime_has exec || skip_all "$RUNTIME has no exec command"
podman_setup

# pexec ARGS...: podman exec, bounded in time, with default signal
# dispositions (as prun).
pexec() { env --default-signal timeout -k 5 60 podman exec "$@"; }
# cg_file CONTROLLER ID FILE: FILE of the container's cgroup, v1 or v2.
cg_file() {
	cat "/sys/fs/cgroup/$1/$TEST_CGROUP_PARENT/libpod-$2/$3" 2>/dev/null ||
		cat "/sys/fs/cgroup/$TEST_CGROUP_PARENT/libpod-$2/$3" 2>/dev/null
}
# in_cgroup ID CMDLINE: a process of the container's pids cgroup runs
# CMDLINE (its words joined by spaces), within 5 s.
in_cgroup() {
	local i p
	for ((i = 0; i < 50; i++)); do
		for p in $(cg_file pids "$1" cgroup.procs); do
			[ "$( { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null)" = "$2 " ] && return 0
		done
		sleep 0.1
	done
	return 1
}
# rt ARGS...: the runtime itself, on podman's containers (its default root).
rt() { timeout -k 5 60 "$RUNTIME" --root "$STATE_ROOT" "$@"; }
# What the container's own process is: its credentials and security, as
# /proc/self/status says them, compared with an exec's.
SECURITY='^(Uid|Gid|Groups|Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp):'

# The container for the exec tests: it says what it is, then waits.
snapshot_host
new_cid
id=$(prun -d "$IMAGE" sh -c "echo marker >/marker; grep -E '$SECURITY' /proc/self/status;
	echo started; while :; do sleep 0.1; done")
last_id >/dev/null
ok "podman run -d: the container runs" wait_logs "$id" '^started$'
pid=$(inspect "$id" '{{.State.Pid}}')
ok "podman inspect: the container's pid is a live process" live_pid "$pid"
own=$(podman logs "$id" 2>/dev/null | grep -E "$SECURITY")

# --- exit codes
run pexec "$id" true
is "$RC" 0 "podman exec true: exit code 0"
run pexec "$id" sh -c 'echo out; echo err >&2; exit 3'
is "$OUT" out "podman exec: the process's stdout"
is "$ERR" err "podman exec: the process's stderr"
is "$RC" 3 "podman exec: exit code 3"
run pexec "$id" /no/such/command
is "$RC" 127 "podman exec of a missing command: exit code 127"
like "$ERR" '/no/such/command' "podman exec of a missing command: the error names it"
run pexec "$id" /etc/passwd
is "$RC" 126 "podman exec of a file that isn't executable: exit code 126"
run pexec "$id" sh -c 'kill -KILL $$'
is "$RC" 137 "podman exec: a process killed by SIGKILL gives 137"
OUT=$(echo piped | pexec -i "$id" cat 2>&1)
is "$OUT" piped "podman exec -i: the process reads podman's stdin"

# --- the process is in the container: its namespaces, root, cgroup
ns_of() {
	local n
	for n in pid net mnt uts ipc cgroup; do printf '%s ' "$(readlink "$1/ns/$n")"; done
}
run pexec "$id" sh -c 'for n in pid net mnt uts ipc cgroup; do printf "%s " "$(readlink /proc/self/ns/$n)"; done'
is "$OUT" "$(ns_of "/proc/$pid")" "podman exec: the process is in the container's pid, net, mnt, uts, ipc and cgroup namespaces"
ok "podman exec: ...which are not the host's" test -n "$OUT" -a "$OUT" != "$(ns_of /proc/self)"
run pexec "$id" sh -c 'cat /marker; hostname'
is "$OUT" "marker
$(inspect "$id" '{{.Config.Hostname}}')" "podman exec: the container's root and hostname"
run pexec "$id" sh -c 'cat /proc/self/cgroup; echo --; cat /proc/1/cgroup'
is "${OUT%%--*}" "${OUT#*--
}
" "podman exec: the process is in the cgroups of the container's pid 1"
run pexec -d "$id" sleep 1000
is "$RC" 0 "podman exec -d: exits 0"
ok "podman exec -d: its process is in the container's cgroup" in_cgroup "$id" "sleep 1000"
run pexec "$id" sh -c 'ps -o pid,comm | grep -c "sleep"'
ok "podman exec -d: the process runs in the container" test "${OUT:-0}" -ge 1

# --- what the process may do: the container's credentials and limits
run pexec "$id" grep -E "$SECURITY" /proc/self/status
is "$OUT" "$own" "podman exec: the container's uid, gid, capabilities, no_new_privs and seccomp"
run pexec "$id" sh -c 'ulimit -n; ulimit -u'
is "$OUT" "20000
32768" "podman exec: the container's rlimits (podman's default_ulimits)"
run pexec "$id" ls /proc/self/fd
is "$(echo $OUT)" "0 1 2 3" "podman exec: no fd but its stdio (3 is ls's own)"

# --- -t, -u, -w, -e
env --default-signal timeout -k 5 60 script -qec "podman exec -t $id sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo both-ttys; exit 4'" /dev/null </dev/null >"$TMPDIR/tty.out" 2>&1
RC=$?
OUT=$(tr -d '\r' <"$TMPDIR/tty.out")
like "$OUT" '^/dev/pts/[0-9]+$' "podman exec -t: the process's stdin is a pty"
like "$OUT" '^both-ttys$' "podman exec -t: stdin and stdout are the terminal"
is "$RC" 4 "podman exec -t: exit code 4"
run pexec -u 1000:1000 "$id" id
like "$OUT" '^uid=1000\(app\) gid=1000\(app\)' "podman exec -u 1000:1000: uid and gid"
run pexec -u app "$id" sh -c 'id -u; id -g; grep CapEff /proc/self/status'
like "$OUT" '^1000
1000
CapEff:[[:space:]]*0+$' "podman exec -u app: the user's ids from the container's passwd, no effective capability"
run pexec -w /tmp "$id" pwd
is "$OUT" /tmp "podman exec -w /tmp: the process's working directory"
run pexec -w /nonexistent "$id" pwd
is "$RC" 127 "podman exec -w of a missing folder: 127 (podman's word for the runtime's ENOENT)"
like "$ERR" '/nonexistent' "podman exec -w of a missing folder: the error names it"
run pexec -u app "$id" sh -c 'echo "$HOME"'
is "$OUT" /home/app "podman exec -u app: HOME from the container's passwd"
run pexec --preserve-fds 1 "$id" sh -c 'cat <&3' 3<<<"from fd 3"
is "$OUT" "from fd 3" "podman exec --preserve-fds 1: the process reads podman's fd 3"
run pexec -e FOO=bar -e PATH=/bin "$id" sh -c 'echo "$FOO $PATH"'
is "$OUT" "bar /bin" "podman exec -e: the process's environment"

# --- pause and unpause: the state, and exec refused while paused
run timeout 60 podman pause "$id"
is "$RC" 0 "podman pause: exits 0"
is "$(inspect "$id" '{{.State.Status}}')" paused "podman pause: podman says paused"
like "$(rt state "$id" 2>/dev/null)" '"status": *"paused"' "podman pause: the runtime's state says paused"
run pexec "$id" true
isnt "$RC" 0 "podman exec into a paused container: refused"
# podman refuses by itself ("container state improper"): the runtime's own
# exec, as conmon would call it, must refuse too.
run rt exec "$id" true
isnt "$RC" 0 "the runtime's exec into the paused container: refused"
like "$ERR" 'paused' "the runtime's exec into the paused container: the error says paused"
run timeout 60 podman unpause "$id"
is "$RC" 0 "podman unpause: exits 0"
is "$(inspect "$id" '{{.State.Status}}')" running "podman unpause: running again"
run pexec "$id" true
is "$RC" 0 "podman exec after unpause: exit code 0"

# --- update: podman's (memory, cpu), then the runtime's own --pids-limit
if runtime_has update; then
	run timeout 60 podman update --memory 64m --memory-swap 64m --cpu-quota 50000 --cpu-period 100000 "$id"
	is "$RC" 0 "podman update --memory 64m --cpu-quota 50000: exits 0"
	[ "$RC" = 0 ] || diag "podman update: $ERR"
	is "$(cg_file memory "$id" memory.limit_in_bytes || cg_file . "$id" memory.max)" 67108864 \
		"podman update --memory 64m: the cgroup's memory limit, from outside"
	is "$(cg_file cpu "$id" cpu.cfs_quota_us || cg_file . "$id" cpu.max | cut -d' ' -f1)" 50000 \
		"podman update --cpu-quota 50000: the cgroup's cpu quota, from outside"
	# podman 4.3's update has no --pids-limit: the runtime's own update, on the
	# container podman made, in the runtime's default root.
	run rt update --pids-limit 10 "$id"
	is "$RC" 0 "the runtime's update --pids-limit 10 on podman's container: exits 0"
	is "$(cg_file pids "$id" pids.max)" 10 "update --pids-limit 10: pids.max, from outside"
	run pexec "$id" sh -c 'n=0; for i in $(seq 20); do sleep 30 & n=$((n + 1)); done; kill $(jobs -p) 2>/dev/null; exit 0'
	like "$ERR$OUT" "can't fork|Resource temporarily unavailable" "update --pids-limit 10: the next forks fail"
else
	for d in "podman update: exits 0" "memory limit" "cpu quota" "the runtime's update --pids-limit" \
		"pids.max" "the next forks fail"; do
		skip "$d: the runtime has no update command"
	done
fi

# --- top: the container's processes, the exec -d one among them
run timeout 60 podman top "$id" pid args
is "$RC" 0 "podman top: exits 0"
like "$OUT" 'sleep 1000' "podman top: lists the exec -d process"
like "$OUT" 'while :' "podman top: lists the container's own process"

# --- restart: a new process, exec goes on working
run timeout 60 podman restart -t 1 "$id"
is "$RC" 0 "podman restart: exits 0"
ok "podman restart: running again" wait_logs "$id" '^started$'
is "$(inspect "$id" '{{.State.Status}}')" running "podman restart: podman says running"
pid2=$(inspect "$id" '{{.State.Pid}}')
ok "podman restart: a new live pid" test "$pid2" != "$pid" -a -n "$pid2"
ok "podman restart: the old one is gone" test ! -e "/proc/$pid"
run pexec "$id" sh -c 'exit 5'
is "$RC" 5 "podman exec after restart: exit code 5"

# --- stop and rm: nothing left, the exec's process neither
run timeout 60 podman stop -t 1 "$id"
is "$RC" 0 "podman stop: exits 0"
is "$(inspect "$id" '{{.State.Status}}')" exited "podman stop: exited"
podman rm "$id" >/dev/null
nok "podman rm: the container is gone" podman container exists "$id"
nothing_left "podman exec, pause, update, top, restart, stop, rm: nothing left"

# --- exec into a container that is not running
snapshot_host
new_cid
prun "$IMAGE" true >/dev/null
id=$(last_id)
run pexec "$id" true
isnt "$RC" 0 "podman exec into an exited container: refused"
podman rm "$id" >/dev/null
nothing_left "podman exec into an exited container: nothing left"

engine_done "podman's storage and the test's cgroups removed: nothing left"

done_testing
