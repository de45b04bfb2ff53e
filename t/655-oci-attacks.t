#!/bin/bash
# Attacks on the OCI runtime's life cycle: what the container's process
# inherits (fds), forged or moved state (pid reuse, symlinks), IDs, the pid
# file, and a create killed at each step. Each claim of README's "The OCI
# runtime" that is about safety gets a test that tries to break it.
. "$(dirname "$0")/tap.sh"
oci_lifecycle

snapshot_host
mkdir -p "$STATE"

# --- the process inherits no fd of carapace's: not the state folder, the
# start socket, the cgroup locks nor the --log file
bundle fds -- sh -c 'ls -l /proc/self/fd/ | sed -n "s/.* \([0-9]*\) -> \(.*\)/\1 \2/p"'
create_bg fds --log "$TMPDIR/log"
run oci --log "$TMPDIR/log" start fds
is "$RC" 0 "start of the fd probe"
wait "$REAPER_PID"
FDS=$(awk '$1 > 2' "$B/fds.out" | grep -v "/proc/.*/fd")
is "$FDS" "" "the process has only fds 0, 1, 2 (and ls's own)"
unlike "$(cat "$B/fds.out")" "$STATE|/sys/fs/cgroup|$TMPDIR/log|socket" "none of them is carapace's"
oci delete fds

# --- what init holds while created: only its socket, and the cgroup locks
bundle held -- true
create_bg held --log "$TMPDIR/log"
PID=$(cat "$B/held.pid")
INITFDS=$(ls -l /proc/$PID/fd/ | sed -n 's/.* \([0-9]*\) -> \(.*\)/\1 \2/p')
note "$INITFDS"
unlike "$INITFDS" "$TMPDIR/log|$STATE/held\$" "init holds neither the log nor the state folder"
oci delete held
wait "$REAPER_PID"

# --- the container's processes can't reach init's fds (the cgroup locks,
# its socket to start): init is not dumpable
bundle peek -- sh -c 'n=0; for f in /proc/1/fd/*; do readlink "$f" >/dev/null 2>&1 && n=$((n+1)); ls "$f/" >/dev/null 2>&1 && n=$((n+1)); cat "$f" >/dev/null 2>&1 && n=$((n+1)); done; echo "fds followed: $n"; cat /proc/1/environ >/dev/null 2>&1 && echo "environ open" || echo "environ shut"'
create_bg peek
oci start peek
wait "$REAPER_PID"
is "$(cat "$B/peek.out")" "$(printf 'fds followed: 0\nenviron shut')" "the process can't read, follow or open init's fds (cgroup locks among them), nor its environ"
oci delete peek

# --- a signal to a created container: TERM ends it, WINCH and CONT don't
bundle sig -- true
create_bg sig
oci kill sig WINCH
oci kill sig CONT
sleep 0.2
is "$(status_of sig)" created "WINCH and CONT leave a created container waiting"
oci kill sig TERM
wait "$REAPER_PID"
is "$(tail -1 "$B/sig.status")" "exit 143" "TERM ends it, with 128+15"
is "$(cat "$B/sig.out")" "" "and its process never ran"
run oci start sig
is "$RC" 125 "start of the ended container fails"
oci delete sig

# --- two starts at once: the process runs once
bundle twice -- sh -c 'echo ran'
create_bg twice
oci start twice 2>"$B/twice.e1" & S1=$!
oci start twice 2>"$B/twice.e2" & S2=$!
wait "$S1"; R1=$?; wait "$S2"; R2=$?
wait "$REAPER_PID"
is "$(sort <<<"$R1 $R2" | tr '\n' ' ')" "$( [ "$R1" = 0 ] && echo "0 $R2 " || echo "$R1 0 ")" "one start succeeds"
ok "the other fails" test "$R1" != "$R2"
is "$(grep -c ran "$B/twice.out")" 1 "the process ran once"
oci delete twice

# --- init closes the launcher's --log fd with the other host fds: it must
# not write its log lines to that number afterwards, where another file of
# its (in the container's root, its console) may be
if command -v strace >/dev/null; then
	bundle dbg -- true
	strace -f -s 256 -o "$TMPDIR/dbg.trace" -e trace=write -e signal=none \
		"$CARAPACE" --debug --log "$TMPDIR/dbg.log" --root "$STATE" create --bundle "$B/dbg" dbg \
		</dev/null >/dev/null 2>&1 &
	TRACER=$!
	for i in $(seq 100); do [ -e "$STATE/dbg/state" ] && break; sleep 0.1; done
	sleep 0.3
	oci delete --force dbg
	wait "$TRACER"
	LAUNCHER=$(head -1 "$TMPDIR/dbg.trace" | cut -d' ' -f1)
	STRAY=$(grep -E '^[0-9]+ +write\([0-9]+, "20[0-9-]+T[0-9:.]+Z (debug|info|warning|error): ' "$TMPDIR/dbg.trace" |
		grep -v "^$LAUNCHER ")
	is "$STRAY" "" "only the launcher writes --log lines: init writes none to a closed fd's number"
	like "$(cat "$TMPDIR/dbg.log")" "debug: " "the launcher's debug lines are in the log"
else
	skip "no strace: init and the --log fd"
fi

# --- pid reuse: a state whose pid is now another process's (same start time check)
bundle reuse -- true
create_bg reuse
INIT=$(cat "$B/reuse.pid")
# Started a tick later: a start time is in clock ticks (10 ms), and one in
# init's own tick would be init's for the check (the test failed 3 in 8).
sleep 0.05
sleep 1000 & VICTIM=$!
sed -i "s/^pid .*/pid $VICTIM/" "$STATE/reuse/state"
is "$(status_of reuse)" stopped "a pid whose start time differs is not the container's"
run oci kill reuse KILL
is "$RC" 125 "kill refuses it"
ok "the other process is not signalled" kill -0 "$VICTIM"
run oci delete reuse
is "$RC" 0 "delete removes the state"
ok "and does not signal the other process either" kill -0 "$VICTIM"
kill "$VICTIM"; wait "$VICTIM" 2>/dev/null
kill -KILL "$INIT" 2>/dev/null; wait "$REAPER_PID"

# --- a symlink in the state root is no container
mkdir -p "$TMPDIR/elsewhere"
echo "pid $$" >"$TMPDIR/elsewhere/state"
echo keep >"$TMPDIR/elsewhere/cgroups"
ln -s "$TMPDIR/elsewhere" "$STATE/link"
run oci delete --force link
ok "delete --force through a symlink leaves its target's files" test -e "$TMPDIR/elsewhere/state" -a -e "$TMPDIR/elsewhere/cgroups"
run oci state link
is "$RC" 125 "state of a symlinked folder fails"
rm "$STATE/link"

# --- a state's config.json (its last bytes) of another length than its line
# says: a warning, no failure (a run's sweep reads every folder), and delete
# --force removes the container
bundle badlen -- true
run oci create --bundle "$B/badlen" badlen
is "$RC" 0 "create of a container whose state will be edited"
sed -i 's/^config.json \([0-9]*\)$/config.json 1\1/' "$STATE/badlen/state"
run oci state badlen
like "$RC:$ERR" "^0:carapace: warning: state: badlen: its config.json is not the [0-9]+ bytes it says" \
	"a config.json of another length than the state says: state warns and reports"
run oci delete --force badlen
is "$RC" 0 "... and delete --force removes it"
ok "... its folder too" test ! -e "$STATE/badlen"

# --- IDs that are paths
for id in ../x a/b . .. "" "$(printf 'a\nb')"; do
	run oci create --bundle "$B/held" "$id"
	is "$RC" 125 "create refuses ID '$id'"
done
ok "nothing was made outside the root" test ! -e "$TMPDIR/x"

# --- the pid file: a symlink there is replaced, not written through
bundle pf -- true
echo precious >"$TMPDIR/target"
ln -sf "$TMPDIR/target" "$B/pf.pid"
"$REAPER" "$B/pf.pid.r" "$B/pf.status" "$CARAPACE" --root "$STATE" create --bundle "$B/pf" --pid-file "$B/pf.pid" pf </dev/null >/dev/null 2>&1 &
REAPER_PID=$!
for i in $(seq 100); do [ -e "$STATE/pf/state" ] && break; sleep 0.1; done
sleep 0.5
is "$(cat "$TMPDIR/target")" precious "the pid file's symlink target is untouched"
oci delete --force pf
wait "$REAPER_PID" 2>/dev/null

# --- a create SIGKILLed at each step: the cgroups' first note (before the
# mkdirs) and the state (config.json in it) are renameat's 1 and 2, the
# cgroups' second note (once the leaves are made) rewrites the first in
# place, pwrite64's 1, init's clone (after the cgroups, before init has
# built the container) is clone3, the pid file is rename's. README says what is
# left is a folder that state reports as stopped and delete --force
# removes, with the cgroups. (Killed between the cgroups' mkdir and their
# note, the leaves are left to the next create's sweep of stale leaves.)
if command -v strace >/dev/null; then
	bundle killed -- true
	for at in renameat:1 pwrite64:1 clone3:1 renameat:2 rename:1; do
		# In a subshell: the shell's own "Killed" line goes with its stderr.
		(strace -o /dev/null -e inject=${at%:*}:signal=KILL:when=${at#*:} \
			"$CARAPACE" --root "$STATE" create --bundle "$B/killed" --pid-file "$B/killed.pid" killed \
			</dev/null >/dev/null 2>&1; true) 2>/dev/null
		# Init dies of its parent-death signal, a moment after create.
		for i in $(seq 100); do [ "$(status_of killed)" = stopped ] && break; sleep 0.1; done
		is "$(status_of killed)" stopped "create killed at $at: state says stopped"
		run oci delete --force killed
		is "$RC" 0 "create killed at $at: delete --force succeeds"
		ok "create killed at $at: its folder is gone" test ! -e "$STATE/killed"
		left=$(ls -d /sys/fs/cgroup/*/"$TEST_CGROUP_PARENT"/killed /sys/fs/cgroup/"$TEST_CGROUP_PARENT"/killed 2>/dev/null)
		is "$left" "" "create killed at $at: its cgroups are gone"
	done
else
	skip "no strace: a create killed at its renames"
fi

no_leaks
done_testing
