#!/bin/bash
# t/680-detached.t: carapace run registers its container under --root (a
# private one here), so that state, kill and ps find it by --name, with a
# run-args file that replays its options from any folder; the folder goes
# when the run ends, however it ends, and a run killed with SIGKILL is
# cleaned up by the next command. run -d leaves a monitor that outlives the
# shell, logs the container's stdout and stderr (bounded), records its exit
# status, and removes its cgroups; ps, logs [-f], stop, wait and rm work
# on it, and nothing of it is left after rm, even if its monitor was killed.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

S=$TMPDIR/state
mkdir -m 0700 "$S"
export S
bg_pids=
cleanup() {
	local pid
	# shellcheck disable=SC2086 # pids, one a word
	for pid in $bg_pids; do kill -KILL "$pid" 2>/dev/null; done
	for n in $(ls "$S" 2>/dev/null); do cr rm -f "$n" >/dev/null 2>&1; done
}
trap cleanup EXIT

cr() { "$CARAPACE" --root "$S" "$@"; }
runs() { cr run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" "$@"; }
rund() { runs -d "$@"; }
# state_field NAME KEY: a field of the state's JSON, as text.
state_field() { cr state "$1" 2>/dev/null | sed -n "s/^  \"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p"; }
# until_state NAME STATUS: polls (10 s at most) until state NAME says STATUS.
until_state() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(state_field "$1" status)" = "$2" ] && return 0
		sleep 0.05
	done
	diag "$1: never $2 (state: $(cr state "$1" 2>&1 | tr '\n' ' '))"
	return 1
}
# until_gone PID: polls (10 s at most) until PID has exited.
until_gone() {
	local i
	for ((i = 0; i < 200; i++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
	return 1
}
# The containers' folders; .network is the networking's own (its state, not a container).
root_empty() { is "$(ls -A "$S" | grep -vx .network)" "" "$1: the state root is empty"; }

snapshot_host

# --- every run registers: state (the caps among its lines), run-args, command; the name is unique
mkdir "$TMPDIR/w" "$TMPDIR/w/vol"
ln -s "$ROOTFS" "$TMPDIR/w/rfs"
echo marker >"$TMPDIR/w/vol/m"
(cd "$TMPDIR/w" && exec "$CARAPACE" --root "$S" run -q -r rfs -v vol:/mnt:ro \
	--cgroup-parent "$TEST_CGROUP_PARENT" --name fg -e FROM_HOST sleep 1000) \
	</dev/null >"$TMPDIR/fg.out" 2>&1 &
fg=$!
bg_pids+=" $fg"
ok "run --name fg: its state says running" until_state fg running
PID=$(state_field fg pid)
is "$(cat "/proc/$PID/comm" 2>/dev/null)" "carapace" "  its pid is the container's init"
is "$(state_field fg rootfs)" "$ROOTFS" "  its rootfs is the absolute path"
# state's run_arg lines, one an option or argument, %XX-escaped
run_args_of() {
	local l
	sed -n 's/^run_arg //p' "$S/$1/state" | while IFS= read -r l; do printf '%b\n' "${l//%/\\x}"; done
}
args=$(run_args_of fg)
like "$args" "^--rootfs$" "  run-args: a state line each, --rootfs"
is "$(printf '%s\n' "$args" | grep -A1 -x -- --rootfs | tail -1)" "$ROOTFS" \
	"  run-args: the rootfs's absolute path, not the relative one given"
is "$(printf '%s\n' "$args" | grep -A1 -x -- --volume | tail -1)" "$(cd "$TMPDIR/w" && pwd -P)/vol:/mnt:ro" \
	"  run-args: the volume's source made absolute"
is "$(printf '%s\n' "$args" | grep -A1 -x -- --name | tail -1)" "fg" "  run-args: the name"
unlike "$args" "^sleep$" "  run-args: no command"
is "$(sed -n 's/^command //p' "$S/fg/state")" "sleep%201000" "  the command, for ps, escaped"
ok "  run-args and command in no file of their own" test ! -e "$S/fg/run-args" -a ! -e "$S/fg/command"
like "$(grep '^bounding ' "$S/fg/state")" "^bounding 0x[0-9a-f]+$" "  the capability sets (the state's bounding...)"
ok "  in no file of their own" test ! -e "$S/fg/caps"
like "$(cat "$S/fg/cgroups")" "$TEST_CGROUP_PARENT/fg" "  its cgroups, as create notes them"
# run-args replayed by the command-line parser, from elsewhere, under another root and
# name (fg's cgroup is taken): the same container.
mkdir -m 0700 "$TMPDIR/other"
run_args_of fg | tr '\n' '\0' >"$TMPDIR/fg.args"
run sh -c 'cd / && xargs -0 -a "$TMPDIR/fg.args" sh -c '\''exec "$CARAPACE" --root "$0" run "$@" --name fg2 cat /mnt/m'\'' "$1"' \
	sh "$TMPDIR/other"
is "$RC:$OUT" "0:marker" "run-args, replayed from /: the same rootfs and volume"
is "$(ls -A "$TMPDIR/other" | grep -vx .network)" "" "  and that run's state folder went with it"
run cr ps
like "$OUT" "^NAME +STATUS +PID +CREATED +COMMAND$" "ps without ID: docker's header"
like "$OUT" "^fg +running +$PID +[0-9T:-]+Z +sleep 1000$" "  fg's line: running, its pid, its command"
run cr ps fg
like "$OUT" "^$PID +" "ps fg keeps its OCI meaning: the container's processes"
run runs --name fg true
is "$RC" 125 "a second run with fg's name: refused, 125"
is "$ERR" "carapace: --name: fg: a container of that name is running" "  and says why"
run cr kill fg KILL
is "$RC" 0 "kill fg KILL (the OCI command, on a run's container)"
wait "$fg"
is "$?" 137 "  the run returns 137"
bg_pids=
ok "  its state folder went with it" test ! -e "$S/fg"
root_empty "run --name"

# --- options too large to record: the state, which every later command
# reads (16 MiB at most), would make them all fail. Escaped, a space is 3
# bytes: two --env-file of 39 lines of 100,000 spaces are 23 MB of state.
python3 -c 'import sys; f = open(sys.argv[1], "w"); f.writelines("A=" + " " * 100000 + "\n" for _ in range(39))' \
	"$TMPDIR/big.env"
run runs --name big --env-file "$TMPDIR/big.env" --env-file "$TMPDIR/big.env" true
like "$RC:$ERR" "^125:carapace: run: its options and command: [0-9]+ bytes to record in its state, more than 4 MiB" \
	"a run whose options are too large to record: 125, one line"
is "$(printf '%s\n' "$ERR" | wc -l)" 1 "  one line"
ok "  and no state folder is made" test ! -e "$S/big"
run runs --name after-big true
is "$RC" 0 "  and the next run runs"

# --- a name another run is making (its .new-NAME held): said in run's words, not OCI's
mkdir -m 0700 "$S/.new-held"
exec {held}<"$S/.new-held"
flock "$held"
run runs --name held true
is "$RC:$ERR" "125:carapace: --name: held: a container of that name is running" \
	"a name whose folder another run holds: 125, run's words"
exec {held}<&-
rmdir "$S/.new-held"

# --- a generated name; every other end of a run
(exec "$CARAPACE" --root "$S" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" sleep 1000) \
	</dev/null >/dev/null 2>&1 &
gen=$!
bg_pids+=" $gen"
for ((i = 0; i < 200; i++)); do [ -n "$(ls "$S")" ] && [ -e "$S/$(ls "$S")/state" ] && break; sleep 0.05; done
name=$(ls "$S")
like "$name" "^carapace-[0-9]+-[0-9a-f]+$" "no --name: a generated one"
kill -TERM "$gen"
wait "$gen"
is "$?" 143 "  TERM to the run ends it: 143"
root_empty "a TERMed run"
run runs nosuchcommand
is "$RC" 127 "a missing command: 127"
root_empty "a run whose command is missing"
run runs --name 'a/b' true
is "$RC:$ERR" "125:carapace: --name: not a valid name: 'a/b' (letters, digits and _.+-, not starting with a dot, at most 250 bytes)" \
	"--name a/b: refused"
run runs --name .. true
is "$RC" 125 "--name ..: refused"
root_empty "bad names"

# --- a run killed with SIGKILL: the next command cleans up
(exec "$CARAPACE" --root "$S" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" \
	--name killed sleep 1000) </dev/null >/dev/null 2>&1 &
k=$!
until_state killed running
kpid=$(state_field killed pid)
kill -KILL "$k"
wait "$k" 2>/dev/null
ok "a SIGKILLed run: its init dies with it" until_gone "$kpid"
ok "  its folder is still there" test -d "$S/killed"
run cr list
is "$RC" 0 "  the next command (list) runs"
unlike "$OUT" "killed" "  and does not list it"
root_empty "a SIGKILLed run, once list looked"

# --- a removal killed midway (its ".removing" left): the next command to look finishes it
mkdir -m 0700 "$S/half1" "$S/half2" "$S/busy"
: >"$S/half1/.removing"
: >"$S/half2/.removing"; printf 'pid 0\nstart_time 0\nowner 0\n' >"$S/half2/state"
: >"$S/busy/.removing"
# (A remover alive, holding the lock, that finishes while list waits for it.)
flock "$S/busy" sh -c 'sleep 0.5; rm -r "$S/busy"' &
bg_pids+=" $!"
for ((i = 0; i < 100; i++)); do grep -q ":$(stat -c %i "$S/busy") " /proc/locks && break; sleep 0.05; done
run cr list
is "$RC:$ERR" "0:" "list, with removals killed midway and one under way in the state root"
ok "  a removal killed after its state: finished" test ! -e "$S/half1"
ok "  a removal killed before its state: finished" test ! -e "$S/half2"
ok "  the one under way: its remover's" test ! -e "$S/busy"
wait "$!" 2>/dev/null
# Killed between its folder's mkdir and its first write (t/130 does it at random): an empty
# folder, left be for 5 s (another run may be about to lock and write it).
mkdir -m 0700 "$S/early"
runs true
ok "an empty folder made just now is left be" test -d "$S/early"
sleep 6	# its ctime, which no tool sets, must be 5 s old
runs true
ok "a run killed before its first write: the next run removes its empty folder" test ! -e "$S/early"
run runs --name killed true
is "$RC" 0 "  its name may be taken again"

# --- a start sweeps 8 folders at most (src/state.c's SWEEP_FOLDERS), each start from where
# the last one stopped: K stale folders go in K/8 starts, and a live one is never touched.
# Forged as a killed run leaves them: a state with no exit, an owner lock no one holds.
forge_stale() {
	local i
	for ((i = 1; i <= $1; i++)); do
		mkdir -m 0700 "$S/stale$i"
		printf 'pid 0\nstart_time 0\nowner 0\n' >"$S/stale$i/state"
		: >"$S/stale$i/owner"
	done
}
stale_left() { ls "$S" | grep -c '^stale'; }
rund --name live1 sleep 1000 >/dev/null
until_state live1 running
live_files() { (cd "$S/live1" && ls -A && md5sum state && grep -c ":$(stat -c %i owner) " /proc/locks); }
live_before=$(live_files)
forge_stale 20
runs true
left=$(stale_left)
ok "of 20 stale folders and a live one, a start reaps 7 or 8 (it looks at 8)" \
	test "$left" -ge 12 -a "$left" -le 13
runs true
left2=$(stale_left)
ok "  the next start reaps 7 or 8 more, from where the first stopped" \
	test $((left - left2)) -ge 7 -a $((left - left2)) -le 8
runs true
is "$(stale_left)" 0 "  a third start: all 20 gone"
is "$(live_files)" "$live_before" "  the live container's folder: untouched (files, state, owner lock)"
is "$(state_field live1 status)" running "  and it runs on"
forge_stale 20
runs true
run cr list
is "$RC:$(stale_left)" 0:0 "list looks at every folder: it reaps all that a start left"
run cr rm -f live1
is "$RC" 0 "  rm -f the live one"
root_empty "the bounded sweep"

# --- run -d: the name, the log, stop with TERM trapped, the status, wait, rm
run rund --name d1 sh -c 'echo out; echo err >&2; trap "echo got TERM; exit 3" TERM
	while :; do sleep 0.1; done'
is "$RC:$OUT" "0:d1" "run -d returns and prints the name"
is "$ERR" "" "  nothing on stderr"
is "$(state_field d1 status)" running "  state: running"
dpid=$(state_field d1 pid)
mon=$(awk '{ print $4 }' "/proc/$dpid/stat")
ok "  its monitor is carapace" test "/proc/$mon/exe" -ef "$CARAPACE"
is "$(awk '{ print $6 }' "/proc/$mon/stat")" "$mon" "  the monitor leads a session of its own"
for ((i = 0; i < 200; i++)); do grep -q err "$S/d1/log" 2>/dev/null && break; sleep 0.05; done
run cr logs d1
is "$RC:$OUT" "$(printf '0:out\nerr')" "logs: the container's stdout and stderr"
run cr ps
like "$OUT" "^d1 +running +$dpid +.* sh -c echo out;" "ps: d1 running"
run cr rm d1
is "$RC" 125 "rm of a running container: refused, 125"
like "$ERR" "^carapace: rm: d1: the container is running \(stop it first, or rm -f\)$" "  and says why"
run cr stop d1
is "$RC:$ERR" "0:" "stop d1"
is "$(state_field d1 status)" stopped "  state: stopped"
is "$(state_field d1 exitStatus)" 3 "  state: its exit status, 3"
run cr logs d1
is "$OUT" "$(printf 'out\nerr\ngot TERM')" "  the workload trapped the TERM (its words in the log)"
run cr wait d1
is "$RC:$OUT" "0:3" "wait d1: prints 3, exits 0"
run cr ps
like "$OUT" "^d1 +exited\(3\) +0 " "ps: d1 exited(3)"
ok "  its cgroup is gone" test -z "$(_tap_cgroup_dirs | grep '/d1$')"
run cr rm d1
is "$RC:$ERR" "0:" "rm d1"
ok "  its folder and log are gone" test ! -e "$S/d1"
root_empty "run -d, stop, rm"

# --- ps prints no control a terminal acts on: C0, DEL, the C1 CSI in UTF-8
# ("\xc2\x9b") and alone (8-bit "\x9b"); other UTF-8 stays
runs -d --name ctl -- sh -c $'sleep 1000 #\e[31m\xc2\x9b31m\x9b32m \xe2\x82\xac' >/dev/null
run cr ps
line=$(printf '%s\n' "$OUT" | grep -a '^ctl ')
like "$line" '^ctl +running ' "ps: ctl running"
is "$(printf '%s' "$line" | LC_ALL=C sed $'s/\xe2\x82\xac//' | LC_ALL=C grep -a -c $'[\x01-\x1f\x7f\x80-\x9f]')" \
	0 "  no C0 or C1 control in its line (EUR's bytes aside)"
like "$line" $'\xe2\x82\xac$' "  a UTF-8 character (EUR) is kept whole"
cr stop -t 0 ctl >/dev/null; cr rm ctl

# --- run -d: wait for a running one; stop's KILL after -t; logs -f
rund --name w1 sh -c 'sleep 0.3; exit 7' >/dev/null
run cr wait w1
is "$RC:$OUT" "0:7" "wait for a running container: its status once it ends"
# TERM only once the trap is set (its "ignoring" in the log): sent as soon as
# run -d returns, under load it came before, and sh died of it (143).
rund --name t1 sh -c 'trap "" TERM; echo ignoring; while :; do sleep 0.1; done' >/dev/null
wait_for "$S/t1/log" '^ignoring$' 400
run cr stop -t 1 t1
is "$RC" 0 "stop -t 1 of a workload that ignores TERM"
is "$(state_field t1 exitStatus)" 137 "  KILL after the timeout: 137"
rund --name f1 sh -c 'echo one; sleep 0.5; echo two' >/dev/null
run timeout 20 "$CARAPACE" --root "$S" logs -f f1
is "$RC:$OUT" "$(printf '0:one\ntwo')" "logs -f: follows until the container ends"
rund --name p1 sleep 1000 >/dev/null
if cr pause p1 2>/dev/null; then
	is "$(state_field p1 status)" paused "pause of a run -d container: state says paused"
	like "$(cr ps)" "^p1 +paused " "  ps says paused"
	run cr stop p1
	is "$RC:$ERR" "0:" "stop of a paused container: thawed, then TERM"
	is "$(state_field p1 exitStatus)" 143 "  TERM ended it: 143"
else
	skip "no freezer cgroup"; skip "no freezer cgroup"; skip "no freezer cgroup"
	skip "no freezer cgroup"
	cr stop -t 0 p1
fi
for n in w1 t1 f1 p1; do cr rm "$n"; done
root_empty "wait, stop -t, logs -f"

# --- exec NAME, docker's words, into a run -d container: run's settings, from its run_arg lines
mkdir -p "$TMPDIR/vol" && echo host-file >"$TMPDIR/vol/f"
rund --name e1 --hostname web -e GREETING=hi -u nobody -v "$TMPDIR/vol:/data:ro" sleep 1000 >/dev/null
epid=$(state_field e1 pid)
run cr exec e1 sh -c 'echo "$(hostname) $GREETING $(id -u) $(cat /data/f)"'
is "$RC:$OUT" "0:web hi 65534 host-file" "exec e1: run's hostname, -e, -u and volume"
run cr exec -u 0 -e GREETING=yo -w /data e1 sh -c 'echo "$(id -u) $GREETING $(pwd)"'
is "$RC:$OUT" "0:0 yo /data" "  exec -u 0 -e -w change them"
run cr exec e1 sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/mnt'
is "$OUT" "$(readlink "/proc/$epid/ns/pid" "/proc/$epid/ns/mnt")" "  in the container's pid and mount namespaces"
run cr exec e1 sh -c 'exit 7'
is "$RC" 7 "  its status comes back"
run cr exec e1 /no/such
is "$RC" 127 "  a missing command: 127"
run cr exec nosuch true
is "$RC" 125 "exec into an unknown name: 125"
cr stop -t 0 e1 >/dev/null; cr rm e1
root_empty "exec NAME"

# --- run -d --bundle: the config.json as run read it, kept as create keeps it (no run-args)
oci_bundle "$TMPDIR/bb" bb
sed -i 's|"args": \[ "sh", "-c", "true" \]|"args": [ "sh", "-c", "echo from the bundle; sleep 1000" ]|' \
	"$TMPDIR/bb/config.json"
run cr run -d -q --bundle "$TMPDIR/bb" --name bb
is "$RC:$OUT" "0:bb" "run -d --bundle: the name"
for ((i = 0; i < 200; i++)); do grep -q bundle "$S/bb/log" 2>/dev/null && break; sleep 0.05; done
is "$(cr logs bb)" "from the bundle" "  its process's output in the log"
is "$(state_field bb bundle)" "$TMPDIR/bb" "  state: the bundle's absolute path"
ok "  the state keeps config.json as it was read, its last bytes" \
	cmp -s <(tail -c "$(sed -n 's/^config.json //p' "$S/bb/state")" "$S/bb/state") "$TMPDIR/bb/config.json"
ok "  in no file of its own" test ! -e "$S/bb/config.json"
ok "  and no run-args: exec reads the kept config, not the bundle again" test ! -e "$S/bb/run-args"
cr rm -f bb

# --- run -d: bad input
run rund --name bad nosuchcommand
is "$RC" 127 "run -d of a missing command: 127"
like "$ERR" "nosuchcommand" "  the error reaches the caller"
is "$OUT" "" "  and no name is printed"
run rund -t --name tty true
is "$RC" 125 "run -d -t: refused"
is "$(timeout 20 "$CARAPACE" --root "$S" run -d -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" \
	--name sub sleep 1000)" sub "run -d in \$(...): returns, as the monitor keeps none of its stdout"
cr rm -f sub
rund --name d2 sleep 1000 >/dev/null
run rund --name d2 true
is "$RC" 125 "run -d with a live container's name: refused"
for cmd in logs stop rm wait; do
	run cr "$cmd" nosuch
	is "$RC:$ERR" "125:carapace: $cmd: no such container: nosuch" "$cmd of an unknown name: 125"
done
run cr rm -f d2
is "$RC:$ERR" "0:" "rm -f of a running container"
root_empty "run -d's bad input, rm -f"

# --- a detached container outlives the shell that started it, and its SIGHUP
hup_rc=$( { setsid bash -c '"$CARAPACE" --root "$S" run -d -q -r "$ROOTFS" \
	--cgroup-parent "$TEST_CGROUP_PARENT" --name hup sleep 1000 >/dev/null; kill -HUP 0; sleep 5' \
	</dev/null >/dev/null 2>&1; echo "$?"; } 2>/dev/null)
is "$hup_rc" 129 "the shell that ran run -d died of its SIGHUP"
is "$(state_field hup status)" running "  the container still runs"

# --- a SIGKILLed monitor: init dies with it; the next command records it; rm leaves nothing
hpid=$(state_field hup pid)
mon=$(awk '{ print $4 }' "/proc/$hpid/stat")
kill -KILL "$mon"
ok "a SIGKILLed monitor: its container dies with it" until_gone "$hpid"
is "$(state_field hup status)" stopped "  state (the next command): stopped"
is "$(state_field hup exitStatus)" 137 "  as by KILL: 137"
ok "  its cgroup was removed" test -z "$(_tap_cgroup_dirs | grep '/hup$')"
run cr rm hup
is "$RC:$ERR" "0:" "  rm"
root_empty "a SIGKILLed monitor, then rm"

# --- the log is bounded: 2 MiB at most, the newest kept
rund --name big sh -c 'yes 0123456789abcde | head -c 3000000; echo; echo last' >/dev/null
cr wait big >/dev/null
size=$(cr logs big | wc -c)
ok "3 MB written: the log keeps at most 2 MiB ($size bytes)" test "$size" -le 2097152
ok "  and at least the last 1 MiB" test "$size" -ge 1048576
is "$(cr logs big | tail -1)" "last" "  the newest line is there"
cr rm big
root_empty "a bounded log"

no_leaks "no cgroup, process or mount left"
done_testing
