#!/bin/bash
# t/165-tty-relay.t: the launcher's pty relay, from outside. It sleeps
# while the workload's terminal is closed (it doesn't spin on the master's
# hangup); all of a large output arrives, in order; a reader that stops
# reading stops the workload, with a bounded amount held in between; a
# reader gone hangs the workload's terminal up.
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

# The same with input waiting: a pipe of yes fills the slave's input, which
# nobody reads, then the workload closes its terminal. The master polls as
# hung up with no room, and the relay must not retry at once (it wrote
# 321,355 times a second).
yes | "$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" -t -v "$work:/w" \
	sh -c 'sleep 0.5; exec 0<&- >/dev/null 2>&1; touch /w/closed-in; sleep 3' >/dev/null 2>&1 &
if poll test -e "$work/closed-in"; then
	launcher=$(pgrep -f "^$CARAPACE run .* sh -c sleep 0.5; exec 0<&-")
	io() { awk '$1 == "syscr:" || $1 == "syscw:" { s += $2 } END { print s }' "/proc/$launcher/io"; }
	before=$(io)
	sleep 1
	after=$(io)
	calls=$((after - before))
	ok "input waiting for a closed terminal: the launcher sleeps ($calls reads and writes in 1 s, under 100)" \
		test "$calls" -lt 100
else
	fail "input waiting for a closed terminal: the workload never got there"
fi
wait

# The slave opened again after that: what is written to it still arrives.
OUT=$(cara -t sh -c 'exec </dev/null >/dev/null 2>&1; sleep 0.3; echo again >/dev/console; sleep 0.3' \
	</dev/null 2>&1 | tr -d '\r')
is "$OUT" "again" "a terminal closed, then opened again: its output is relayed"

# --- a large output: 8 MiB of base64 text (the pty adds \r before \n)
cara -t -v "$work:/w" sh -c 'head -c 6291456 /dev/urandom | base64 | tee /w/sent' \
	</dev/null 2>/dev/null | tr -d '\r' >"$work/got"
is "$(stat -c %s "$work/got")" "$(stat -c %s "$work/sent")" "8 MiB through -t: every byte arrives"
is "$(sha256sum <"$work/got")" "$(sha256sum <"$work/sent")" "... and in order (sha256)"
ok "... and it was 8 MiB" test "$(stat -c %s "$work/sent")" -gt 8388608

# --- a reader that stops reading: a FIFO opened and never read
# The launcher's RSS with nothing to relay, to compare (ASan's is 10 MiB).
"$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" -t sleep "1000.$$" \
	</dev/null >/dev/null 2>&1 &
idle=$!
poll pgrep -f "^sleep 1000\.$$\$" >/dev/null
idle_rss=$(field "/proc/$idle/status" VmRSS)
pkill -KILL -f "^sleep 1000\.$$\$"
wait "$idle"
mkfifo "$work/fifo"
"$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" -t yes "slow-reader.$$" \
	</dev/null >"$work/fifo" 2>/dev/null &
launcher=$!
exec 3<"$work/fifo"
# wchar_stable PID: what PID has written stays the same for 0.2 s.
wchar_stable() {
	local a b
	a=$(field "/proc/$1/io" wchar) && sleep 0.2 && b=$(field "/proc/$1/io" wchar) &&
		[ -n "$a" ] && [ "$a" = "$b" ]
}
poll pgrep -f "^yes slow-reader\.$$\$" >/dev/null
yes=$(pgrep -f "^yes slow-reader\.$$\$")
ok "a reader that stops reading: the workload blocks" poll wchar_stable "$yes"
written=$(field "/proc/$yes/io" wchar)
ok "... having written under 1 MiB (it wrote ${written:-?} bytes)" test "${written:-0}" -lt 1048576
rss=$(field "/proc/$launcher/status" VmRSS)
ok "... and the launcher holds little (VmRSS ${rss:-?} kB, an idle one's $idle_rss + under 2 MiB)" \
	test "${rss:-99999}" -lt $((${idle_rss:-0} + 2048))
head -c 4194304 <&3 >/dev/null
ok "when the reader reads again, the workload goes on" test "$(field "/proc/$yes/io" wchar)" -gt "$written"
cat <&3 >/dev/null &
reader=$!
kill -KILL "$yes"
wait "$launcher"
is "$?" 137 "the workload killed: the launcher returns its status"
exec 3<&-
wait "$reader"

# --- stdout's reader gone: SIGPIPE must not kill the launcher (that skips
# its clean-up), nor the output be thrown away for good (yes never ends).
cara -t yes "gone-reader.$$" </dev/null 2>/dev/null | head -c 100 >/dev/null
is "${PIPESTATUS[0]}" 129 "stdout's reader gone: the terminal is hung up, the workload gets SIGHUP"
nok "... and it is gone" pgrep -f "^yes gone-reader\.$$\$"

no_leaks "no process or mount left behind"
done_testing
