#!/bin/bash
# kill --all, as containerd's shim calls it (ctr task kill --all, and its
# delete of a container that shares a pid namespace): the signal goes to
# every process of the container's cgroups, then to init. An init that the
# cgroups' signal ended, and that its reaper reaped before kill's own
# signal, gives ESRCH: that is what was asked for, and kill exits 0 (the
# workload outlives the cgroups' signal by 0.3 s, and strace holds kill's
# signal to init back for 1 s, so that the race is made, not hoped for).
# KILL to all ends the container, a paused one too. Without --all, a
# stopped container is "not running", 125. Nothing left behind.
. "$(dirname "$0")/tap.sh"
oci_lifecycle
snapshot_host

# --- init reaped between kill's check of it and kill's own signal: the
# workload ends 0.3 s after the cgroups' TERM (and init with it), while
# strace holds kill's signal to init back for 1 s.
if command -v strace >/dev/null; then
	bundle k1 -- sh -c "trap 'sleep 0.3; exit 0' TERM; echo ready; while :; do sleep 0.05; done"
	create_bg k1
	oci start k1
	wait_for "$B/k1.out" '^ready$'
	run strace -f -qq -o "$TMPDIR/k1.strace" -e trace=pidfd_send_signal \
		-e inject=pidfd_send_signal:delay_enter=1000000 \
		"$CARAPACE" --root "$STATE" kill --all k1 TERM
	grep -q 'pidfd_send_signal(.*ESRCH' "$TMPDIR/k1.strace" || diag "strace: $(cat "$TMPDIR/k1.strace")"
	ok "kill --all: init was reaped before kill's signal to it (ESRCH)" \
		grep -q 'pidfd_send_signal(.*ESRCH' "$TMPDIR/k1.strace"
	is "$RC" 0 "kill --all: ESRCH from a reaped init is success, exit 0"
	is "$ERR" "" "kill --all: no error"
	wait "$REAPER_PID"
	is "$?" 0 "kill --all: the workload ended of its TERM trap, 0"
	is "$(status_of k1)" stopped "kill --all: the container is stopped"
	oci delete k1
else
	for d in "init reaped first (ESRCH)" "exit 0" "no error" "exit status" "stopped"; do
		skip "kill --all: $d: no strace (apt-get install strace)"
	done
fi

# --- KILL to all: the container ends
bundle k5 -- sh -c 'sleep 1000 & echo ready; wait'
create_bg k5
oci start k5
wait_for "$B/k5.out" '^ready$'
run oci kill --all k5 KILL
is "$RC:$ERR" "0:" "kill --all KILL: exit 0, no error"
wait "$REAPER_PID"
is "$?" 137 "kill --all KILL: the container ended of KILL, 137"
oci delete k5

# --- TERM to all: the workload and its child trap it, and say so. The
# workload may get TERM twice (from the cgroups', then init passes on
# kill's own), and each ends a wait: it waits until the child is gone.
bundle k2 -- sh -c "trap 'echo parent got TERM' TERM
	sh -c 'trap \"echo child got TERM; exit 0\" TERM; echo ready; while :; do sleep 0.05; done' &
	child=\$!
	while kill -0 \$child 2>/dev/null; do wait \$child; done; exit 0"
create_bg k2
oci start k2
wait_for "$B/k2.out" '^ready$'
run oci kill --all k2 TERM
is "$RC" 0 "kill --all TERM: exit 0"
wait "$REAPER_PID"
is "$?" 0 "kill --all TERM: both trapped it, the container exits 0"
like "$(cat "$B/k2.out")" '^child got TERM$' "kill --all TERM: the workload's child got it"
like "$(cat "$B/k2.out")" '^parent got TERM$' "kill --all TERM: the workload got it"
oci delete k2

# --- KILL to all of a paused container: it ends (the freezer thaws for it)
bundle k3 -- sh -c 'sleep 1000 & echo ready; wait'
create_bg k3
oci start k3
wait_for "$B/k3.out" '^ready$'
oci pause k3
is "$(status_of k3)" paused "kill --all of a paused container: paused first"
run oci kill --all k3 KILL
is "$RC" 0 "kill --all KILL of a paused container: exit 0"
wait "$REAPER_PID"
is "$?" 137 "kill --all KILL of a paused container: it ends, 137"
oci delete k3

# --- a stopped container: kill refuses, kill --all has nothing to do
bundle k4 -- true
create_bg k4
oci start k4
wait "$REAPER_PID"
run oci kill k4 KILL
is "$RC" 125 "kill of a stopped container: exit 125"
like "$ERR" '^carapace: kill: k4: container not running$' "kill of a stopped container: not running"
run oci kill --all k4 KILL
is "$RC" 0 "kill --all of a stopped container: exit 0"
oci delete k4

no_leaks "kill --all: nothing left"
ok "kill --all: the state root is empty" test -z "$(ls -A "$STATE")"

# --- a run container: kill --all freezes it meanwhile (on a hybrid host
# its freezer is its v2 leaf's cgroup.freeze) and thaws it after; KILL to
# all is that leaf's cgroup.kill. The shell survives its TERM (a trap).
V2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
snapshot_host
"$CARAPACE" --root "$STATE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --name ka sh -c \
	'trap "echo got-term" TERM; sleep 100 & echo ready; while :; do sleep 0.05; done' </dev/null >"$B/ka.out" 2>&1 &
ka=$!
wait_for "$B/ka.out" '^ready$'
run "$CARAPACE" --root "$STATE" kill --all ka TERM
is "$RC:$ERR" "0:" "run container: kill --all TERM"
wait_for "$B/ka.out" '^got-term$'
like "$(cat "$B/ka.out")" 'got-term' "... reaches the shell, which traps it"
if [ -e "$V2/$TEST_CGROUP_PARENT/ka/cgroup.freeze" ]; then
	is "$(cat "$V2/$TEST_CGROUP_PARENT/ka/cgroup.freeze")" 0 "... and leaves its v2 leaf thawed"
else
	skip "no v2 leaf"
fi
run "$CARAPACE" --root "$STATE" kill --all ka KILL
is "$RC:$ERR" "0:" "run container: kill --all KILL"
wait "$ka"
is "$?" 137 "... ends it: the run exits 137"
no_leaks "run container's kill --all: nothing left"

done_testing
