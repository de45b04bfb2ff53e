#!/bin/bash
# t/165-tty-relay.t: the launcher's pty relay, from outside. It sleeps
# while the workload's terminal is closed (it doesn't spin on the master's
# hangup).
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

work=$(mktemp -d)
snapshot_host

# field FILE NAME: the number after "NAME:" in a /proc file.
field() { awk -v k="$2:" '$1 == k { print $2 }' "$1" 2>/dev/null; }
# poll CMD...: runs CMD every 0.05 s until it succeeds, 10 s at most.
poll() {
	local i
	for ((i = 0; i < 200; i++)); do "$@" && return 0; sleep 0.05; done
	return 1
}

# --- the master's hangup: a workload that closed its terminal and runs on
# No process holds the slave, so the master polls as POLLHUP at once: a
# relay that polls it again at once calls read() thousands of times a
# second. /proc/PID/io counts the launcher's reads (syscr).
"$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" -t -v "$work:/w" sh -c 'exec </dev/null >/dev/null 2>&1; touch /w/closed; sleep 3' \
	</dev/null >/dev/null 2>&1 &
launcher=$!
if poll test -e "$work/closed"; then
	before=$(field "/proc/$launcher/io" syscr)
	sleep 1
	after=$(field "/proc/$launcher/io" syscr)
	reads=$((after - before))
	ok "a closed terminal: the launcher sleeps (it read $reads times in 1 s, under 100)" \
		test "$reads" -lt 100
else
	fail "a closed terminal: the workload never got there"
fi
wait "$launcher"
is "$?" 0 "... and it exits 0 when the workload does"

# The slave opened again after that: what is written to it still arrives.
OUT=$(cara -t sh -c 'exec </dev/null >/dev/null 2>&1; sleep 0.3; echo again >/dev/console; sleep 0.3' \
	</dev/null 2>&1 | tr -d '\r')
is "$OUT" "again" "a terminal closed, then opened again: its output is relayed"

no_leaks "no process or mount left behind"
done_testing
