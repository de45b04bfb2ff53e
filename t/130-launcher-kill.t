#!/bin/bash
# t/130-launcher-kill.t: when the launcher dies by SIGKILL, and so can clean
# nothing up, the container still goes away: init has PDEATHSIG, and the
# kernel kills a PID namespace's processes when its init dies.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
command -v pgrep >/dev/null || skip_all "no pgrep (procps)"

bg_pid=
cleanup() {
	if [ -n "$bg_pid" ]; then kill -KILL "$bg_pid" 2>/dev/null; fi
}
trap cleanup EXIT

# A sleep with an argument no other process on the host has.
marker="1000.$$"

# find_sleep: the host pid of our sleep, found by its exact command line.
find_sleep() { pgrep -f "^sleep $marker\$"; }

# poll_for CMD...: runs CMD every 0.05 s until it succeeds, for 10 s at most.
poll_for() {
	local i
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

field() { awk -v n="$2" '{ sub(/.*\) /, ""); print $(n - 2) }' "/proc/$1/stat" 2>/dev/null; }
# gone PID STARTTIME: the process has exited (a zombie has too), or its pid
# now belongs to another process.
gone() {
	local state
	state=$(field "$1" 3) || return 0
	[ -z "$state" ] || [ "$state" = Z ] || [ "$(field "$1" 22)" != "$2" ]
}
# start_sleep: starts the container in the background; sets sleep_pid,
# init_pid and their start times.
start_sleep() {
	"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" sleep "$marker" </dev/null >/dev/null 2>&1 &
	bg_pid=$!
	if ! poll_for find_sleep >/dev/null; then
		diag "the container's sleep never started"
		return 1
	fi
	sleep_pid=$(find_sleep)
	init_pid=$(field "$sleep_pid" 4)
	sleep_start=$(field "$sleep_pid" 22)
	init_start=$(field "$init_pid" 22)
}

snapshot_host

# cgroup_leaves PID: the cgroup directories of the launcher PID's container.
# A launcher that SIGKILL ends can't remove them; the next launcher does.
cgroup_leaves() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -name "carapace-$1-*" 2>/dev/null
}

# --- SIGKILL to the launcher
start_sleep
is "$(field "$init_pid" 4)" "$bg_pid" "the sleep's parent (init) is the launcher's child"
launcher=$bg_pid
# Braces: bash reports a job that a signal killed, on the stderr of the moment.
{ kill -KILL "$bg_pid"; wait "$bg_pid"; rc=$?; } 2>/dev/null
is "$rc" 137 "the launcher died of SIGKILL"
bg_pid=
ok "init is gone" poll_for gone "$init_pid" "$init_start"
ok "the workload is gone" poll_for gone "$sleep_pid" "$sleep_start"
nok "no 'sleep $marker' is left on the host" find_sleep
run cara true
is "$(cgroup_leaves "$launcher")" "" "the next carapace run removes the killed launcher's cgroups"
no_leaks "no process, mount or cgroup left behind after the launcher's SIGKILL"

# --- SIGKILL to the launcher once its leaves are made, before its state
# names them as made (strace holds it at the device program's load, on a
# host with cgroup2): the state said beforehand which leaves it would make,
# so whoever reaps the dead run's state (list here, which sweeps no
# cgroup) removes them, and the parent folder that carapace made for them.
if command -v strace >/dev/null && awk '$9 == "cgroup2" { f = 1 } END { exit !f }' /proc/self/mountinfo; then
	st="$TMPDIR/state"
	mkdir -p "$st"
	strace -f -qq -o /dev/null -e trace=bpf -e inject=bpf:delay_enter=2000000 \
		"$CARAPACE" --root "$st" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT/pre" \
		--name "pre-$$" sleep "$marker" </dev/null >/dev/null 2>&1 &
	tracer=$!
	leaves() { find /sys/fs/cgroup -mindepth 2 -maxdepth 5 -type d -path "*/$TEST_CGROUP_PARENT/pre*" 2>/dev/null; }
	poll_for eval '[ "$(leaves | grep -c "/pre-$$\$")" -ge 2 ]'
	sleep 0.2	# into strace's hold
	{ kill -KILL "$(pgrep -P "$tracer")"; wait "$tracer"; } 2>/dev/null
	ok "(the killed launcher's leaves are there)" test -n "$(leaves)"
	run "$CARAPACE" --root "$st" list
	is "$RC:$(leaves)" 0: "list reaps the killed run's state: its leaves and the parent it made go"
else
	skip "no strace or no cgroup2"
	skip "no strace or no cgroup2"
fi

# --- SIGKILL to the launcher as init exits: the run's folder goes while the
# kernel tears init down, and the note of its cgroups stays in the root as
# .end-NAME, locked, until they are gone. Killed there (strace holds each
# of its cgroup rmdirs 0.3 s), list, or the next run's sweep, reaps the note.
if command -v strace >/dev/null; then
	st="$TMPDIR/state-end"
	mkdir -p "$st"
	# held_run SYSCALL NAME CMD...: a run of NAME under $st, its launcher
	# held 0.3 s at each SYSCALL by strace ($tracer); kill_held kills it.
	held_run() {
		local syscall=$1 name=$2
		shift 2
		strace -qq -o /dev/null -e trace="$syscall" -e inject="$syscall":delay_enter=300000 \
			"$CARAPACE" --root "$st" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" \
			--name "$name" "$@" </dev/null >/dev/null 2>&1 &
		tracer=$!
	}
	kill_held() { { kill -KILL "$(pgrep -P "$tracer")"; wait "$tracer"; } 2>/dev/null; }
	held_run rmdir "end-$$" true
	end_leaves() { find /sys/fs/cgroup -mindepth 2 -maxdepth 4 -type d -path "*/$TEST_CGROUP_PARENT/$1" 2>/dev/null; }
	poll_for test -e "$st/.end-end-$$"
	is "$(ls -A "$st")" ".end-end-$$" "init exiting: the run's folder is gone, its cgroups' note is in the root"
	like "$(cat "$st/.end-end-$$")" "^v[12] leaf new " "... its leaves noted as new (taken only if no launcher holds them)"
	kill_held
	ok "(the killed launcher's leaves are there)" test -n "$(end_leaves "end-$$")"
	run "$CARAPACE" --root "$st" list
	is "$RC:$(end_leaves "end-$$"):$(ls -A "$st")" "0::" \
		"list reaps that note: its leaves go, and the note"
	held_run rmdir "end-$$" true
	poll_for test -e "$st/.end-end-$$"
	kill_held
	run "$CARAPACE" --root "$st" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" true
	is "$RC:$(end_leaves "end-$$"):$(ls -A "$st")" "0::" \
		"... and so does the next run's sweep"
	# Killed between the folder's ".removing" and the owner file's move
	# (held at each renameat2): the folder still has its note,
	# which list reaps with it.
	held_run renameat2 "mid-$$" true
	poll_for test -e "$st/mid-$$/.removing"
	kill_held
	ok "(killed with its folder half removed, its leaves there)" test -n "$(end_leaves "mid-$$")"
	run "$CARAPACE" --root "$st" list
	is "$RC:$(end_leaves "mid-$$"):$(ls -A "$st")" "0::" \
		"... list finishes the removal: the leaves its note names go, and the folder"
	# Such a note, stale, names the leaves of a later run of that name,
	# which lives: the sweep takes no leaf that a living launcher holds.
	"$CARAPACE" --root "$st" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" \
		--name "end2-$$" sleep "$marker" </dev/null >/dev/null 2>&1 &
	bg_pid=$!
	poll_for test -s "$st/end2-$$/cgroups"
	poll_for find_sleep >/dev/null
	sed 's/ leaf ours / leaf new  /' "$st/end2-$$/cgroups" >"$st/.end-end2-$$"
	run "$CARAPACE" --root "$st" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" true
	ok "a stale note of a living run's name: the sweep leaves that run be" \
		test "$RC" = 0 -a -n "$(find_sleep)" -a -n "$(end_leaves "end2-$$")" -a ! -e "$st/.end-end2-$$"
	{ kill -TERM "$bg_pid"; wait "$bg_pid"; } 2>/dev/null
	bg_pid=
	is "$(ls -A "$st"):$(end_leaves "end2-$$")" ":" "... and it ends as any run does: nothing left"
	# stop returns once the run has cleaned up, though its folder went
	# early: it waits on the owner file's lock, which is the note's now
	# (held at each of the launcher's cgroup rmdirs). A run of the same
	# name right after it starts.
	held_run rmdir "stop-$$" sleep "$marker"
	poll_for find_sleep >/dev/null
	run "$CARAPACE" --root "$st" stop "stop-$$"
	run "$CARAPACE" --root "$st" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" \
		--name "stop-$$" echo again
	is "$RC:$OUT" "0:again" "stop waits for the run's clean-up: a run of its name right after starts"
	wait "$tracer"
	# ... and a stop that comes once the folder has gone, the cgroups not yet.
	held_run rmdir "late-$$" true
	poll_for test -e "$st/.end-late-$$"
	run "$CARAPACE" --root "$st" stop "late-$$"
	like "$RC:$ERR" "^125:carapace: stop: no such container" "a stop as the run's cgroups go: no such container ..."
	run "$CARAPACE" --root "$st" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" \
		--name "late-$$" echo again
	is "$RC:$OUT" "0:again" "... said once they are gone: a run of its name right after starts"
	wait "$tracer"
	# A root that another user owns: refused before its sweep (which acts on
	# the notes there), so a note of theirs kills nothing (a sleep of ours in
	# a cgroup of ours here).
	victim=/sys/fs/cgroup/unified/$TEST_CGROUP_PARENT-victim
	evil="$TMPDIR/evil-root"
	if [ -d /sys/fs/cgroup/unified ] && mkdir "$victim" 2>/dev/null; then
		own_cgroup "$TEST_CGROUP_PARENT-victim"
		sleep "$marker" & victim_pid=$!
		echo "$victim_pid" >"$victim/cgroup.procs"
		mkdir -m 0777 "$evil" && chown 65534 "$evil"
		setpriv --reuid=65534 --regid=65534 --clear-groups sh -c \
			"echo 'v2 leaf ours /sys/fs/cgroup/unified $TEST_CGROUP_PARENT-victim' >'$evil/.end-x'"
		run "$CARAPACE" --root "$evil" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" true
		like "$RC:$ERR" "^125:carapace: --root: .*: belongs to uid 65534" "a root another user owns: refused"
		ok "... before a note there could kill what it names" kill -0 "$victim_pid"
		kill "$victim_pid"; wait "$victim_pid" 2>/dev/null
		rmdir "$victim"
	else
		skip "no cgroup2 mount to make a victim in"; skip "no cgroup2 mount to make a victim in"
	fi
	# ... nor one reached through another user's folder: there a symlink of
	# theirs named a folder of ours, whose entries the sweep removed as a
	# dead run's (each folder on the way is root's or ours, and sticky if
	# others may write to it).
	mkdir -p "$TMPDIR/eve" "$TMPDIR/ours/proj" && chown 65534 "$TMPDIR/eve" && chmod 755 "$TMPDIR"
	echo keep >"$TMPDIR/ours/proj/log"
	setpriv --reuid=65534 --regid=65534 --clear-groups ln -s "$TMPDIR/ours" "$TMPDIR/eve/r"
	run "$CARAPACE" --root "$TMPDIR/eve/r" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" true
	like "$RC:$ERR" "^125:carapace: --root: .*/eve/r: the folder that holds r belongs to uid 65534" \
		"a root reached through another user's folder: refused"
	is "$(cat "$TMPDIR/ours/proj/log" 2>&1)" keep "... and nothing of the folder its symlink names is removed"
	mkdir -m 0777 "$TMPDIR/open"
	run "$CARAPACE" --root "$TMPDIR/open/st" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" true
	like "$RC:$ERR" "^125:carapace: --root: .*/open/st: others may write to the folder that holds st" \
		"a root in a folder that others may write to, not sticky: refused"
else
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18; do skip "no strace"; done
fi

# --privileged: the workload may write to init's end of the pipe, which
# says that init exits only by its end of file: the run stays listed.
st="$TMPDIR/state-priv"
mkdir -p "$st"
if asan_build; then skip_sealed_copy 2 "--privileged"; else
	"$CARAPACE" --root "$st" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" --privileged \
		--name "priv-$$" sh -c 'for f in /proc/1/fd/*; do case $(readlink "$f") in pipe:*) echo x >"$f";; esac; done
		exec sleep '"$marker" </dev/null >/dev/null 2>&1 &
	bg_pid=$!
	poll_for find_sleep >/dev/null
	sleep 0.2
	like "$("$CARAPACE" --root "$st" ps)" "priv-$$ +running" \
		"a privileged workload writes to init's ending pipe: its run is still listed"
	{ kill -TERM "$bg_pid"; wait "$bg_pid"; } 2>/dev/null
	bg_pid=
	is "$(ls -A "$st")" "" "... and it ends as any run does"
fi

# --- SIGKILL to init from the host: the launcher reports 137
start_sleep
kill -KILL "$init_pid"
poll_for gone "$sleep_pid" "$sleep_start"
ok "the workload dies with init" gone "$sleep_pid" "$sleep_start"
poll_for eval '! kill -0 "$bg_pid" 2>/dev/null'
kill -KILL "$bg_pid" 2>/dev/null	# only if it hung
wait "$bg_pid" 2>/dev/null
is "$?" 137 "killing init: the launcher exits 137"
bg_pid=

# --- SIGKILL to the workload: the launcher reports 137 too
start_sleep
kill -KILL "$sleep_pid"
poll_for eval '! kill -0 "$bg_pid" 2>/dev/null'
kill -KILL "$bg_pid" 2>/dev/null	# only if it hung
wait "$bg_pid" 2>/dev/null
is "$?" 137 "killing the workload: the launcher exits 137"
bg_pid=
ok "init is gone after the workload" poll_for gone "$init_pid" "$init_start"

# --- SIGKILL to the launcher at any moment of the setup: whichever step
# init is at (waiting for "go", mounting, waiting for "start", running the
# workload), it must not outlive the launcher. In the default parent,
# which carapace removes when empty: a parent of the user's that carapace
# made is removed only once marked, and a SIGKILL between its mkdir and its
# mark leaves it. The test's leaves there are named by their launchers.
for delay in 0 0 0.001 0.002 0.005 0.01 0.02 0.05 0.1; do
	"$CARAPACE" run -q -r "$ROOTFS" sleep "$marker" </dev/null >/dev/null 2>&1 &
	bg_pid=$!
	own_cgroup "carapace/carapace-$bg_pid-*"
	sleep "$delay"
	{ kill -KILL "$bg_pid"; wait "$bg_pid"; } 2>/dev/null
	bg_pid=
done
ok "early SIGKILLs: no 'sleep $marker' is left on the host" poll_for eval '! find_sleep >/dev/null'
own_cgroup "carapace/sweep-$$"
run "$CARAPACE" run -q -r "$ROOTFS" --name "sweep-$$" true	# removes the killed launchers' cgroups
no_leaks "no process or mount left behind"
done_testing
