#!/bin/bash
# The OCI runtime's life cycle as engines drive it: create returns with the
# container set up and waiting, its init a child of the caller's subreaper
# (t/oci-reaper.py plays conmon's part); start runs the process; state, kill,
# list and delete; the exit status reaches the reaper. Bad input and every
# way of ending leave nothing behind: no state folder, cgroup or process.
. "$(dirname "$0")/tap.sh"
oci_lifecycle

snapshot_host

# --- the whole life: create, start, the exit status, delete
bundle c1 -- sh -c 'echo "pid1: $(cat /proc/1/comm)"; echo "me: $$"; exit 42'
create_bg c1
like "$(cat "$B/c1.status")" '^created [0-9]+$' "create returns, with its init left behind"
PID=$(cat "$B/c1.pid")
ok "the pid file names a live process" kill -0 "$PID"
is "$(status_of c1)" created "state says created"
run oci state c1
like "$OUT" "\"pid\": $PID," "state's pid is the pid file's"
like "$OUT" "\"bundle\": \"$B/c1\"" "state names the bundle"
is "$(cat "$B/c1.out")" "" "the process does not run before start"
run oci start c1
is "$RC" 0 "start succeeds"
wait "$REAPER_PID"
is "$?" 42 "the reaper gets the process's exit status from the pid it waited for"
is "$(cat "$B/c1.status" | tail -1)" "exit 42" "the pid in the pid file exits with it"
like "$(cat "$B/c1.out")" "pid1: (carapace|init)" "carapace's init is PID 1 in the container"
like "$(cat "$B/c1.out")" "me: [0-9]+" "the process runs under it"
is "$(status_of c1)" stopped "state says stopped once it exited"
like "$(oci state c1)" '"pid": 0,' "a stopped container's pid is 0, as runc's"
run oci delete c1
is "$RC:$ERR" "0:" "delete of a stopped container succeeds"
ok "its state folder is gone" test ! -e "$STATE/c1"
run oci state c1
is "$RC" 125 "state of a deleted container fails"
like "$ERR" '^carapace: container c1 does not exist$' "and says it does not exist (podman reads this)"
run oci delete --force c1
is "$RC:$ERR" "0:" "delete --force of what is gone is no error (engines delete twice)"

# --- kill reaches the process; KILL ends the container
bundle c2 -- sh -c 'trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.1; done'
create_bg c2
oci start c2
wait_for "$B/c2.out" '^ready$'
is "$(status_of c2)" running "state says running after start"
run oci start c2
is "$RC" 125 "start of a running container fails"
like "$ERR" 'cannot start a container that is running' "and says why"
run oci delete c2
is "$RC" 125 "delete of a running container without --force fails"
like "$ERR" 'cannot delete a container that is running' "and says why"
ok "the container still runs" kill -0 "$(cat "$B/c2.pid")"
run oci kill c2 TERM
is "$RC" 0 "kill c2 TERM"
wait "$REAPER_PID"
is "$?" 3 "TERM reached the process, which trapped it and exited 3"
like "$(cat "$B/c2.out")" 'got TERM' "the process saw TERM"
oci delete c2

bundle c3 -- sh -c 'trap "" TERM; echo ready; while :; do sleep 0.1; done'
create_bg c3
oci start c3
wait_for "$B/c3.out" '^ready$'
run oci kill c3 9
is "$RC" 0 "kill c3 9 (a number, as engines give it)"
wait "$REAPER_PID"
is "$?" 137 "KILL ends the container: 137"
run oci kill c3 15
is "$RC" 125 "kill of a stopped container fails"
like "$ERR" 'container not running' "in the words containerd's shim looks for"
oci delete c3
no_leaks "the whole life leaves nothing behind"

# --- ways of ending before start
bundle c4 -- sleep 1000
create_bg c4
run oci delete c4
is "$RC" 0 "delete of a created container, never started"
wait "$REAPER_PID"
is "$?" 137 "its init was killed"
ok "no state folder" test ! -e "$STATE/c4"

create_bg c4
kill -9 "$(cat "$B/c4.pid")"
wait "$REAPER_PID"
is "$(status_of c4)" stopped "a created container whose init was killed is stopped"
run oci delete c4
is "$RC" 0 "and delete removes it"

create_bg c4
run oci kill c4 TERM
wait "$REAPER_PID"
is "$?" 143 "TERM to a created container ends it (128+15)"
oci delete c4
no_leaks "create then delete, kill -9 or TERM: nothing left behind"

# --- create killed at any moment: delete --force cleans what it left
for delay in 0.001 0.005 0.01 0.02 0.04; do
	rm -f "$B/c5.pid"
	"$CARAPACE" --root "$STATE" create --bundle "$B/c4" --pid-file "$B/c5.pid" c5 \
		</dev/null >/dev/null 2>&1 &
	sleep "$delay"
	kill -9 $! 2>/dev/null
	wait $! 2>/dev/null
	[ -s "$B/c5.pid" ] && kill -9 "$(cat "$B/c5.pid")" 2>/dev/null
	oci delete --force c5 2>/dev/null
done
is "$(ls -A "$STATE")" "" "no state folder after creates killed at any moment (nor a .new-c5 one)"
no_leaks "nor a cgroup nor a process"

# --- a parent folder of the cgroups path that a killed launcher made and
# noted but had not marked: create's sweep marks it (its leaf is in it),
# after the state described it as not carapace's; delete removes it.
true & dead=$!; wait "$dead"
ns=$(printf '%x' "$(stat -Lc %i /proc/self/ns/pid)")
for m in $(_tap_cgroup_mounts); do
	mkdir -p "$m/$TEST_CGROUP_PARENT/half" &&
		python3 -c 'import os, sys; os.setxattr(sys.argv[1], sys.argv[2], b"half")' \
			"$m/$TEST_CGROUP_PARENT" "trusted.carapace.new.$ns-$dead"
done
"$TOP/t/oci/make-bundle.py" "$B/c6" "$ROOTFS" "/$TEST_CGROUP_PARENT/half/c6" -- true
create_bg c6
used=$(for m in $(_tap_cgroup_mounts); do [ -d "$m/$TEST_CGROUP_PARENT/half/c6" ] && echo "$m"; done)
oci start c6
wait "$REAPER_PID"
run oci delete c6
is "$RC" 0 "create, start and delete under a killed launcher's unmarked parent folder"
left=$(for m in $used; do [ -e "$m/$TEST_CGROUP_PARENT/half" ] && echo "$m"; done)
isnt "$used" "" "the container's leaves were under it"
is "$left" "" "delete removed that folder in every hierarchy the container was in"
for m in $(_tap_cgroup_mounts); do
	rmdir "$m/$TEST_CGROUP_PARENT/half/c6" "$m/$TEST_CGROUP_PARENT/half" 2>/dev/null
	rmdir "$m/$TEST_CGROUP_PARENT"
done
no_leaks "and left nothing else"

# --- what a create killed before its rename leaves: .new-ID, unlocked
# (create makes its folder there, locks it, and renames it to the ID)
mkdir "$STATE/.new-c5"
run oci delete --force c5
is "$RC:$(ls -A "$STATE")" "0:" "delete --force of the ID removes a .new-ID no create holds"
mkdir "$STATE/.new-c5"
run oci state c5
is "$RC:$(ls -A "$STATE")" "125:" "so does any command that names the ID (state)"
mkdir "$STATE/.new-c5"
bundle c5 -- sleep 1000
create_bg c5
is "$(status_of c5)" created "a create of the ID takes an unheld .new-ID over"
oci delete --force c5
wait "$REAPER_PID"
mkdir "$STATE/.new-c5"
exec {lock}<"$STATE/.new-c5"
flock "$lock"
run oci create --bundle "$B/c4" c5
is "$RC:$ERR" "125:carapace: container with id exists: c5" "a .new-ID another create holds: the ID is taken"
run oci delete --force c5
ok "and no command removes that one" test -d "$STATE/.new-c5"
exec {lock}<&-
rmdir "$STATE/.new-c5"
# The longest ID: 250 bytes, so that .new-ID is a file name (255)
long=$(printf 'l%.0s' {1..250})
mkdir "$STATE/.new-$long"
run oci delete --force "$long"
is "$RC:$(ls -A "$STATE")" "0:" "a 250-byte ID's leftover .new-ID is removed as well"
"$REAPER" "$B/long.pid" "$B/long.status" "$CARAPACE" --root "$STATE" create --bundle "$B/c5" \
	--pid-file "$B/long.pid" "$long" </dev/null >/dev/null 2>"$B/long.err" &
REAPER_PID=$!
wait_for "$B/long.status" '^(created|create) '
is "$(status_of "$long")" created "a 250-byte ID can be created"
oci delete --force "$long"
wait "$REAPER_PID"
run oci create --bundle "$B/c5" "l$long"
like "$RC:$ERR" "^125:carapace: l{64}: not a valid container ID \(.*at most 250 bytes\)$" \
	"a 251-byte one is refused, and the limit given"
no_leaks "the leftovers of killed creates: nothing left behind"

# --- bad input
bundle c6 -- true
create_bg c6
run oci create --bundle "$B/c6" c6
is "$RC" 125 "create of an ID that exists fails"
like "$ERR" '^carapace: container with id exists: c6$' "and says so"
is "$(status_of c6)" created "the first container is untouched"
oci delete c6
wait "$REAPER_PID"

for id in ../x . .. 'a b' "$(printf 'x%.0s' {1..1100})"; do
	run oci create --bundle "$B/c6" "$id"
	is "$RC" 125 "create refuses the ID '${id:0:20}'"
done
like "$ERR" 'not a valid container ID' "and says why"
run oci state nosuch
like "$RC:$ERR" '^125:carapace: container nosuch does not exist$' "state of an unknown ID"
run oci start nosuch
is "$RC" 125 "start of an unknown ID"
run oci kill nosuch
is "$RC" 125 "kill of an unknown ID"
run oci kill c6 NOSIG
like "$RC:$ERR" "^125:carapace: kill: not a signal: 'NOSIG'$" "kill with a bad signal"
run oci create --bundle "$TMPDIR/nosuch" c7
like "$RC:$ERR" '^125:carapace: ' "create with a missing bundle fails"
ok "and leaves no state folder" test ! -e "$STATE/c7"
: >"$TMPDIR/afile"
run "$CARAPACE" --root "$TMPDIR/afile/x" create --bundle "$B/c6" c7
like "$RC:$ERR" '^125:carapace: --root: ' "a --root that can't be made fails"
mkdir -m 777 "$TMPDIR/open-root" && chmod 777 "$TMPDIR/open-root"
run "$CARAPACE" --root "$TMPDIR/open-root" create --bundle "$B/c6" c7
like "$RC:$ERR" '^125:carapace: --root: .*: others may write to it \(mode 0777\)$' "a --root others may write to is refused"
mkdir "$TMPDIR/their-root" && chown 65534 "$TMPDIR/their-root"
run "$CARAPACE" --root "$TMPDIR/their-root" state c7
like "$RC:$ERR" '^125:carapace: --root: .*: belongs to uid 65534, not to this user \(uid 0\)$' "a --root of another user's is refused"
ok "and nothing was made in them" test -z "$(ls -A "$TMPDIR/open-root")$(ls -A "$TMPDIR/their-root")"
run "$CARAPACE" --systemd-cgroup --root "$STATE" create --bundle "$B/c6" c7
like "$RC:$ERR" '^125:carapace: --systemd-cgroup: not supported' "--systemd-cgroup is refused"

bundle c8 -- /bin/nosuch-command
run "$REAPER" "$B/c8.pid" "$B/c8.status" "$CARAPACE" --root "$STATE" create --bundle "$B/c8" \
	--pid-file "$B/c8.pid" c8
is "$RC" 127 "create of a command that isn't there fails with 127"
like "$ERR" 'nosuch-command: No such file or directory' "in words podman maps to 127"
ok "and leaves no state folder" test ! -e "$STATE/c8"

# --- --log in runc's JSON lines, which engines read the error from
run "$CARAPACE" --root "$STATE" --log "$TMPDIR/log.json" --log-format=json create \
	--bundle "$B/c8" c8
is "$RC" 127 "the same with --log-format=json"
run python3 -c 'import json,sys
for l in open(sys.argv[1]): d = json.loads(l)
print(d["level"], d["msg"], "time" in d)' "$TMPDIR/log.json"
like "$OUT" '^error exec: /bin/nosuch-command: No such file or directory True$' \
	"the log file's last line is the error, as JSON"

# --- two calls on one ID at once are one after the other
bundle c9 -- sleep 1000
create_bg c9
exec {lock}<"$STATE/c9"
flock "$lock"
run timeout 1 "$CARAPACE" --root "$STATE" state c9
is "$RC" 124 "state waits while another call holds the container's lock"
exec {lock}<&-
is "$(status_of c9)" created "and answers once it is free"


# --- a terminal: the pty's master goes to the engine's console socket
bundle c10 --tty -- sh -c 'echo "tty: $(tty)"; echo done'
"$TOP/t/oci/console-receiver.py" "$TMPDIR/console.sock" "$TMPDIR/console.out" &
RECEIVER=$!
for i in $(seq 200); do [ -e "$TMPDIR/console.out.ready" ] && break; sleep 0.05; done
run oci create --bundle "$B/c10" --pid-file "$B/c10.pid" --console-socket "$TMPDIR/console.sock" c10
is "$RC:$ERR" "0:" "create --console-socket"
run oci start c10
wait "$RECEIVER"
like "$(head -1 "$TMPDIR/console.out")" '^got 1 fd, payload b./dev/ptmx., isatty True$' \
	"the console socket got one fd, a terminal"
like "$(cat "$TMPDIR/console.out")" 'tty: /dev/(pts/[0-9]+|console)' "the process's stdin is that terminal"
like "$(cat "$TMPDIR/console.out")" 'done' "and its output comes through it"
oci delete --force c10
run oci create --bundle "$B/c10" c10
like "$RC:$ERR" '^125:carapace: create: process.terminal is true: give --console-socket$' \
	"terminal: true without --console-socket is refused"
run oci create --bundle "$B/c9" --console-socket "$TMPDIR/console.sock" c10
like "$RC:$ERR" '^125:carapace: create: --console-socket: process.terminal is not true$' \
	"--console-socket without terminal: true is refused"

# --- hooks at their moments: prestart in create, poststart in start, poststop in delete
printf '#!/bin/sh\n{ printf "%%s " "$1"; cat; echo; } >>"%s/hooks.log"\n' "$TMPDIR" >"$TMPDIR/hook"
chmod +x "$TMPDIR/hook"
hooks=$(printf '{"prestart":[{"path":"%s","args":["hook","prestart"]}],"poststart":[{"path":"%s","args":["hook","poststart"]}],"poststop":[{"path":"%s","args":["hook","poststop"]}]}' "$TMPDIR/hook" "$TMPDIR/hook" "$TMPDIR/hook")
bundle c11 --set "hooks=$hooks" -- sleep 1000
create_bg c11
like "$(sed -n 1p "$TMPDIR/hooks.log")" '^prestart \{.*"id": ?"c11".*"status": ?"creating"' "prestart runs in create, with the state on its stdin"
oci start c11
like "$(sed -n 2p "$TMPDIR/hooks.log")" '^poststart \{.*"status": ?"running"' "poststart runs in start, once the process runs"
oci delete --force c11
wait "$REAPER_PID"
like "$(sed -n 3p "$TMPDIR/hooks.log")" '^poststop \{.*"status": ?"stopped"' "poststop runs in delete, once the container is gone"
ok "and delete removed the state folder first" test ! -e "$STATE/c11"

# --- rootless: an ordinary user's containers, in $XDG_RUNTIME_DIR/carapace
RL=$TMPDIR/rootless
# The user's own, 0700, as a real one is: carapace refuses a root reached
# through a folder that others may write to (not sticky) or that another
# user owns.
mkdir -p "$RL/b" && chown 65534 "$RL" && chmod 700 "$RL" && chmod 777 "$RL/b"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_RUNTIME_DIR="$RL" "$@"; }
(cd "$RL/b" && as_nobody "$CARAPACE" spec --rootless)
python3 -c 'import json, sys
c = json.load(open(sys.argv[1])); c["root"] = {"path": sys.argv[2], "readonly": True}
c["process"]["args"] = ["sh", "-c", "cat /proc/self/uid_map >/tmp/x 2>&1; id -u; exit 7"]
c["process"]["terminal"] = False; json.dump(c, open(sys.argv[1], "w"))' "$RL/b/config.json" "$ROOTFS"
run as_nobody "$CARAPACE" create --bundle "$RL/b" r1
is "$RC:$ERR" "0:" "rootless create, state in \$XDG_RUNTIME_DIR/carapace"
is "$(stat -c %U:%a "$RL/carapace/r1" 2>/dev/null)" "nobody:700" "its state folder is the user's, 0700"
run as_nobody "$CARAPACE" start r1
is "$RC" 0 "rootless start"
for i in $(seq 100); do as_nobody "$CARAPACE" state r1 | grep -q '"stopped"' && break; sleep 0.05; done
like "$(as_nobody "$CARAPACE" state r1)" '"status": "stopped"' "the process ran and ended"
run as_nobody "$CARAPACE" delete r1
is "$RC:$ERR" "0:" "rootless delete"
ok "nothing left in the user's state root" test -z "$(ls -A "$RL/carapace")"

# --- a config without a cgroup namespace (containerd's) still sees only its own cgroups
bundle c12 -- sh -c 'cat /proc/self/cgroup | grep -c ":/\$"; ls /sys/fs/cgroup/pids | grep -c carapace-test'
create_bg c12
oci start c12
wait "$REAPER_PID"
is "$(cat "$B/c12.out" | tr '\n' ' ')" "$(grep -c . /proc/self/cgroup) 0 " \
	"its cgroups are the roots of its own cgroup namespace, and no host cgroup shows"
oci delete c12

# --- kill --all: every process of the container's cgroups
bundle c13 -- sh -c 'sleep 1000 & echo ready; wait'
create_bg c13
oci start c13
wait_for "$B/c13.out" '^ready$'
run oci kill --all c13 KILL
is "$RC" 0 "kill --all c13 KILL"
wait "$REAPER_PID"
is "$?" 137 "the container ends: 137"
oci delete c13

# --- the process starts with no signal ignored, even one libc keeps for itself
# (34 is musl's: its sigaction() refuses it; conmon ignores SIGPIPE, a CI runner more)
bundle c14 -- grep SigIgn /proc/self/status
run python3 -c 'import os, signal, sys
for s in (signal.SIGPIPE, signal.SIGINT, 34): signal.signal(s, signal.SIG_IGN)
os.execv(sys.argv[1], sys.argv[1:])' "$CARAPACE" run -q --bundle "$B/c14"
like "$OUT" '^SigIgn:[[:space:]]*0+$' "ignored PIPE, INT and signal 34 come to the process as the default"

# --- list
run oci list -q
is "$OUT" c9 "list -q names the container"
run oci list --format json
run python3 -c 'import json,sys; l = json.loads(sys.argv[1]); print(l[0]["id"], l[0]["status"])' "$OUT"
is "$OUT" "c9 created" "list --format json is the containers' state"
oci delete --force c9
wait "$REAPER_PID"
no_leaks "bad input, the lock and list leave nothing behind"
is "$(ls -A "$STATE")" "" "the state root is empty"

done_testing
