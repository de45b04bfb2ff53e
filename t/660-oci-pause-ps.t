#!/bin/bash
# pause, resume and ps of an OCI container, as podman and containerd's shim
# call them: pause freezes every process of the container through its
# cgroups (v1 freezer, or v2 cgroup.freeze), state and list say paused,
# resume lets it go on; ps lists its processes as host pids (json: a list,
# as the shim reads it). Bad input gets runc's words; nothing left behind.
. "$(dirname "$0")/tap.sh"
oci_lifecycle

# frozen_in_kernel PID: what the kernel says of PID's freezer cgroup, from
# outside carapace: v1 freezer.state, else v2 cgroup.events' frozen line.
frozen_in_kernel() {
	local path
	path=$(sed -n 's/^[0-9]*:freezer:\(.*\)/\1/p' "/proc/$1/cgroup")
	if [ -n "$path" ] && [ -r "/sys/fs/cgroup/freezer$path/freezer.state" ]; then
		cat "/sys/fs/cgroup/freezer$path/freezer.state"
		return
	fi
	path=$(sed -n 's/^0::\(.*\)/\1/p' "/proc/$1/cgroup")
	local v2
	v2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
	sed -n 's/^frozen \(.\)/v2 frozen \1/p' "$v2$path/cgroup.events"
}

# count_now ID: the last number the counting process wrote.
count_now() { tail -n 1 "$B/$1.out"; }

snapshot_host

# --- pause stops the counting, resume lets it go on
bundle p1 -- sh -c 'i=0; echo ready; while :; do i=$((i+1)); echo $i; sleep 0.02; done'
create_bg p1
oci start p1
wait_for "$B/p1.out" '^5$'
PID=$(cat "$B/p1.pid")
is "$(status_of p1)" running "the counter runs"
run oci pause p1
is "$RC:$ERR" "0:" "pause p1 succeeds"
is "$(status_of p1)" paused "state says paused"
like "$(oci list)" "^p1 +$PID +paused " "list says paused"
like "$(frozen_in_kernel "$PID")" '^(FROZEN|v2 frozen 1)$' "the kernel says its cgroup is frozen"
before=$(count_now p1)
sleep 0.5
is "$(count_now p1)" "$before" "no count while paused (0.5 s)"
ok "the process is still there" kill -0 "$PID"

run oci pause p1
is "$RC" 125 "pause of a paused container fails"
like "$ERR" '^carapace: pause: p1: container not running$' "in runc's words"
run oci delete p1
is "$RC" 125 "delete of a paused container without --force fails"
like "$ERR" 'cannot delete a container that is paused' "and says why"

run oci resume p1
is "$RC:$ERR" "0:" "resume p1 succeeds"
is "$(status_of p1)" running "state says running again"
like "$(frozen_in_kernel "$PID")" '^(THAWED|v2 frozen 0)$' "the kernel says its cgroup is thawed"
wait_for "$B/p1.out" "^$((before + 3))\$"
ok "it counts on after resume" test "$(count_now p1)" -gt "$before"
run oci resume p1
is "$RC" 125 "resume of a running container fails"
like "$ERR" '^carapace: resume: p1: container not paused$' "in runc's words"

# --- ps: the init and the process, as host pids; the counter first paused,
# so that no short-lived sleep of it exits between ps and the checks.
run oci ps --format json p1
like "$OUT" "^\[([0-9]+,)*$PID(,[0-9]+)*\]$" "ps of a running container has its init"
oci pause p1
run oci ps --format json p1
is "$RC:$ERR" "0:" "ps --format json succeeds"
is "$(printf '%s' "$OUT" | python3 -c 'import json,sys
p = json.load(sys.stdin); print(all(isinstance(x, int) for x in p) and p == sorted(set(p)))')" \
	True "it is a JSON list of pids, each once"
PIDS=$(printf '%s' "$OUT" | tr -d '[]' | tr ',' ' ')
CHILD=$(cat "/proc/$PID/task/$PID/children" | awk '{ print $1 }')
like " $PIDS " " $PID " "it has the init (the pid file's)"
like " $PIDS " " $CHILD " "and the process, init's child"
dead=
for p in $PIDS; do kill -0 "$p" 2>/dev/null || dead="$dead $p"; done
is "$dead" "" "every pid listed is a live process"
run oci ps p1
is "$RC" 0 "ps (a table) succeeds"
is "$(printf '%s\n' "$OUT" | head -n 1)" "PID      CMD" "its header: PID and CMD"
like "$OUT" "^$CHILD +sh -c i=0; " "the process's line has its command line"
is "$(printf '%s\n' "$OUT" | sed 1d | wc -l)" "$(echo $PIDS | wc -w)" "as many lines as pids"

# --- the end of a paused container: delete --force, and nothing left
run oci delete --force p1
is "$RC:$ERR" "0:" "delete --force of a paused container"
wait "$REAPER_PID"
is "$?" 137 "its init was killed"
ok "no state folder" test ! -e "$STATE/p1"
no_leaks "pause, resume, ps and delete leave nothing behind"

# --- bad input
for cmd in pause resume ps; do
	run oci $cmd nosuch
	is "$RC" 125 "$cmd of an unknown ID fails"
	like "$ERR" '^carapace: container nosuch does not exist$' "  and says it does not exist"
	[ "$cmd" = ps ] && continue	# ps without an ID lists the containers (t/680)
	run oci $cmd
	is "$RC:$(printf '%s\n' "$ERR" | wc -l)" "125:1" "$cmd without an ID: one line, 125"
done
run oci ps --format json
is "$RC:$(printf '%s\n' "$ERR" | wc -l)" "125:1" "ps --format json without an ID: one line, 125"
bundle p2 -- sleep 1000
create_bg p2
run oci pause p2
is "$RC" 125 "pause of a created container (not started) fails"
like "$ERR" 'container not running' "  container not running"
run oci ps --format yaml p2
is "$RC" 125 "ps --format yaml fails"
like "$ERR" "^carapace: ps: --format: table or json, not 'yaml'$" "  and says what it takes"
run oci ps --format json p2
like "$OUT" "^\[([0-9]+,)*$(cat "$B/p2.pid")(,[0-9]+)*\]$" "ps of a created container has its init"
oci kill p2 KILL
wait "$REAPER_PID"
run oci pause p2
like "$RC:$ERR" '^125:carapace: pause: p2: container not running$' "pause of a stopped container fails"
run oci resume p2
like "$RC:$ERR" '^125:carapace: resume: p2: container not paused$' "resume of a stopped container fails"
oci delete p2

# A forged cgroups file in the state: refused, as kill --all refuses it.
bundle p3 -- sleep 1000
create_bg p3
oci start p3
cp "$STATE/p3/cgroups" "$B/p3.cgroups"
printf 'v1 leaf ours /etc passwd\n' >"$STATE/p3/cgroups"
run oci pause p3
is "$RC" 125 "pause with a forged cgroups file fails"
like "$ERR" 'not a cgroup of this host' "  and says the line is not a cgroup of this host"
run oci ps --format json p3
is "$RC" 125 "ps with a forged cgroups file fails too"
cp "$B/p3.cgroups" "$STATE/p3/cgroups"
oci delete --force p3
wait "$REAPER_PID"
no_leaks "bad input leaves nothing behind"

done_testing
