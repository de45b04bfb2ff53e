#!/bin/bash
# t/100-signals.t: signals sent to the launcher reach the workload through
# init; an ignored TERM ends in SIGKILL after --stop-timeout; -g reaches the
# workload's whole process group.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

work=$(mktemp -d)
bg_pid=
cleanup() {
	if [ -n "$bg_pid" ]; then kill -KILL "$bg_pid" 2>/dev/null; fi
	rm -rf -- "$work"
}
trap cleanup EXIT

# start_bg NAME ARGS...: starts `carapace run` in the background, output in
# $work/NAME. env resets the dispositions: a script's background job has INT
# and QUIT ignored, and the launcher rightly leaves ignored signals alone.
start_bg() {
	local name=$1; shift
	env --default-signal "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" "$@" \
		<"/dev/null" >"$work/$name" 2>"$work/$name.err" &
	bg_pid=$!
}

# finish_bg NAME: waits (10 s at most) for the background launcher; sets
# RC, OUT and ERR. A launcher that hangs is killed, and RC says so.
finish_bg() {
	local i
	for ((i = 0; i < 200; i++)); do
		kill -0 "$bg_pid" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$bg_pid" 2>/dev/null; then
		diag "launcher $bg_pid still runs after 10 s: killing it"
		kill -KILL "$bg_pid"
	fi
	wait "$bg_pid"
	RC=$?
	bg_pid=
	OUT=$(cat "$work/$1") ERR=$(cat "$work/$1.err")
}

snapshot_host

# --- TERM reaches a trap; the trap's exit status is the container's
start_bg term sh -c 'trap "echo got TERM; exit 0" TERM; echo ready; sleep 1000 & wait'
wait_for "$work/term" '^ready$'
kill -TERM "$bg_pid"
finish_bg term
is "$OUT" $'ready\ngot TERM' "TERM to the launcher runs the workload's trap"
is "$RC" 0 "the trap's exit 0 is the exit status"
is "$ERR" "" "nothing on stderr"

# --- untrapped TERM kills the workload: 128+15
start_bg untrapped sh -c 'echo ready; exec sleep 1000'
wait_for "$work/untrapped" '^ready$'
kill -TERM "$bg_pid"
finish_bg untrapped
is "$RC" 143 "untrapped TERM: exit 143"

# --- an ignored TERM: the stop timeout kills the container
start_bg ignored --stop-timeout 1 sh -c 'trap "" TERM; echo ready; exec sleep 1000'
wait_for "$work/ignored" '^ready$'
kill -TERM "$bg_pid"
finish_bg ignored
is "$RC" 137 "ignored TERM: killed after --stop-timeout 1, exit 137"

# --- each forwarded signal, one container each
for sig in HUP INT QUIT TERM USR1 USR2 WINCH; do
	start_bg "sig-$sig" sh -c "trap 'echo got $sig; exit 0' $sig; echo ready; sleep 1000 & wait"
	wait_for "$work/sig-$sig" '^ready$'
	kill -"$sig" "$bg_pid"
	finish_bg "sig-$sig"
	is "$OUT" $'ready\ngot '"$sig" "$sig is forwarded to the workload"
	is "$RC" 0 "$sig: the workload's trap ends it with 0"
done

# --- -g: the signal reaches the workload's child in the same group.
# The child traps TERM and XCPU. The parent's TERM trap waits for the child:
# with -g the child's own TERM ends it (a child that never got TERM makes
# finish_bg time out). Without -g the parent's trap first sends the child
# XCPU, which ends it; a TERM to the child would have come with the
# parent's, in the same kill of the group.
child_script='
	trap "echo child got TERM; exit 0" TERM
	trap "echo child got XCPU; exit 0" XCPU
	echo ready; sleep 1000 & wait'
group_workload() {
	printf '%s\n' "trap 'echo parent got TERM; ${1:-} wait \$child; exit 0' TERM" \
		'sh -c "$1" & child=$!' 'wait $child'
}
start_bg group -g sh -c "$(group_workload)" - "$child_script"
wait_for "$work/group" '^ready$'
kill -TERM "$bg_pid"
finish_bg group
like "$OUT" '^child got TERM$' "-g: TERM reaches the workload's child"
like "$OUT" '^parent got TERM$' "-g: TERM reaches the workload itself"
is "$RC" 0 "-g: exit status 0"

start_bg nogroup sh -c "$(group_workload 'kill -XCPU $child;')" - "$child_script"
wait_for "$work/nogroup" '^ready$'
kill -TERM "$bg_pid"
finish_bg nogroup
like "$OUT" '^parent got TERM$' "without -g: TERM reaches the workload"
like "$OUT" '^child got XCPU$' "without -g: the child gets no TERM"

# --forward-to-group is -g's long name
start_bg grouplong --forward-to-group sh -c "$(group_workload)" - "$child_script"
wait_for "$work/grouplong" '^ready$'
kill -TERM "$bg_pid"
finish_bg grouplong
like "$OUT" '^child got TERM$' "--forward-to-group: TERM reaches the workload's child"

# --- a TERM that comes while the container is still being set up must not
# be lost. The launcher holds it (blocked, in its signalfd) and forwards it
# once the workload starts; init must be able to take it by then. The test
# sends TERM as soon as the launcher runs and has blocked it, which is
# during setup. Lost, `sleep 1` ends normally (exit 0) instead of dying of
# TERM (143). (Before the exec, the pid is a bash or an env whose TERM
# would kill the launcher itself: hence the check of /proc/PID/exe.)
# early_term ARGS...: `carapace run ARGS... sleep 1` and a TERM at once, 20 times.
early_term() { early_term_codes "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" "$@" sleep 1; }
all_143=$(printf '143 %.0s' {1..20})
is "$(early_term)" "$all_143" "a TERM sent during setup kills the workload (20 tries)"
# With -g, init signals the workload's group, which the workload only
# makes (setsid) after the fork: a TERM forwarded before must still land.
is "$(early_term -g)" "$all_143" "-g: a TERM sent during setup kills the workload (20 tries)"

no_leaks "no process or mount left behind"
done_testing
