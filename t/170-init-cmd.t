#!/bin/bash
# t/170-init-cmd.t: `carapace init`, the tini-like init without namespaces:
# exit codes, signal forwarding, the subreaper warning, reaping orphans as a
# subreaper and as PID 1, and the signal state the program inherits.
. "$(dirname "$0")/tap.sh"
need_binary

work=$(mktemp -d)
bg_pid=
cleanup() {
	if [ -n "$bg_pid" ]; then kill -KILL "$bg_pid" 2>/dev/null; fi
	rm -rf -- "$work"
}
trap cleanup EXIT

# Default dispositions: a test's background job starts with INT and QUIT
# ignored, and init passes ignored signals on, on purpose. (Not for jobs
# started with &: $! would be the pid of a subshell running the function.)
init() { env --default-signal "$CARAPACE" init "$@"; }

# finish_bg NAME: waits for the background init, 10 s at most; sets RC, OUT, ERR.
finish_bg() {
	local i
	for ((i = 0; i < 200; i++)); do kill -0 "$bg_pid" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$bg_pid" 2>/dev/null	# only if it hung
	wait "$bg_pid"
	RC=$?
	bg_pid=
	OUT=$(cat "$work/$1") ERR=$(cat "$work/$1.err")
}

warning="carapace: warning: not PID 1 and not a subreaper (-s): orphans won't be reaped"

# --- exit codes
run init -s -- sh -c 'exit 5'
is "$RC" 5 "init -- sh -c 'exit 5': exit 5"
run init -s -- /no/such/program
is "$RC" 127 "program not found: exit 127"
is "$ERR" "carapace: exec: /no/such/program: No such file or directory" "... with a one-line error"
run init -s -- /etc/passwd
is "$RC" 126 "program not executable: exit 126"
run init -s
is "$RC" 125 "no program: exit 125"
run init -s -- sh -c 'echo out; echo err >&2'
is "$OUT:$ERR" "out:err" "the program's stdout and stderr pass through"

# --- the subreaper warning
run init -- true
is "$ERR" "$warning" "not PID 1, without -s: a one-line warning about subreapers"
is "$RC" 0 "... and the program still runs"
run init -s -- true
is "$ERR" "" "with -s: no warning"
run init --subreaper -- true
is "$ERR" "" "with --subreaper: no warning"
run init -q -- true
is "$ERR" "" "with -q: no warning"

# --- signals: TERM to init reaches the program's trap. The trap ends the
# sleep too: an orphaned sleep would outlive init on the host.
env --default-signal "$CARAPACE" init -s -- \
	sh -c 'trap "echo got TERM; kill \$!; exit 0" TERM; echo ready; sleep 1000 & wait' \
	</dev/null >"$work/term" 2>"$work/term.err" &
bg_pid=$!
wait_for "$work/term" '^ready$'
kill -TERM "$bg_pid"
finish_bg term
is "$OUT" $'ready\ngot TERM' "TERM to carapace init reaches the program's trap"
is "$RC" 0 "... and the trap's exit status is init's"

# -g: the program's child, in its group, gets the signal too (see
# t/100-signals.t for the design). Each of the child's traps ends its
# sleep: here, unlike in a container, nothing else would.
cat >"$work/child.sh" <<'EOF_CHILD'
trap 'echo child got TERM; kill $s 2>/dev/null; exit 0' TERM
trap 'echo child got XCPU; kill $s 2>/dev/null; exit 0' XCPU
sleep 1000 & s=$!
echo ready
wait $s
EOF_CHILD
group_workload() {
	printf '%s\n' "trap 'echo parent got TERM; ${1:-} wait \$child; exit 0' TERM" \
		'sh "$1" & child=$!' 'wait $child'
}
for g in -g ""; do
	if [ -n "$g" ]; then workload=$(group_workload); else workload=$(group_workload 'kill -XCPU $child;'); fi
	env --default-signal "$CARAPACE" init -s $g -- sh -c "$workload" - "$work/child.sh" \
		</dev/null >"$work/group$g" 2>"$work/group$g.err" &
	bg_pid=$!
	wait_for "$work/group$g" '^ready$'
	kill -TERM "$bg_pid"
	finish_bg "group$g"
	if [ -n "$g" ]; then
		like "$OUT" '^child got TERM$' "init -g: TERM reaches the program's child too"
	else
		like "$OUT" '^child got XCPU$' "init without -g: the program's child gets no TERM"
	fi
	like "$OUT" '^parent got TERM$' "init ${g:-without -g}: TERM reaches the program"
done

# A TERM that comes as init starts the program must reach it. With -g,
# init signals the program's group, which the child makes (setpgid) only
# after the fork: a TERM forwarded before must still land. The TERM goes out
# as soon as init has blocked it (before that, it would kill init itself).
early_term() { early_term_codes "$CARAPACE" init -s "$@" -- sleep 1; }
all_143=$(printf '143 %.0s' {1..20})
is "$(early_term)" "$all_143" "a TERM as the program starts kills it (20 tries)"
is "$(early_term -g)" "$all_143" "-g: a TERM as the program starts kills it (20 tries)"

# --- orphans. The program orphans a short sleep, checks that init adopted
# it, and waits (bounded) for its /proc entry to vanish: a zombie keeps one
# until its parent reaps it.
orphan_check='
	(sleep 0.3 & echo $! >"$1")
	gc=$(cat "$1")
	ppid=$(sed "s/.*) //" /proc/$gc/stat | cut -d" " -f2)
	[ "$ppid" = "$PPID" ] && echo adopted=yes || echo adopted=no
	i=0
	while [ -e /proc/$gc ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	if [ -e /proc/$gc ]; then echo "left in state $(sed "s/.*) //" /proc/$gc/stat | cut -d" " -f1)"
	else echo reaped; fi'
run init -s -- sh -c "$orphan_check" - "$work/gc"
is "$OUT" $'adopted=yes\nreaped' "init -s adopts an orphaned grandchild and reaps it"
run init -q -- sh -c "$orphan_check" - "$work/gc"
like "$OUT" '^adopted=no$' "without -s the orphan goes elsewhere, as the warning says"

# As PID 1 of a new PID namespace (with its own /proc), no -s needed.
if [ "$(id -u)" = 0 ] && unshare --pid --fork --mount-proc true 2>/dev/null; then
	run unshare --pid --fork --mount-proc env --default-signal "$CARAPACE" init -- sh -c "$orphan_check" - "$work/gc"
	is "$OUT" $'adopted=yes\nreaped' "as PID 1: adopts and reaps orphans"
	is "$ERR" "" "as PID 1: no warning"
	run unshare --pid --fork --mount-proc env --default-signal "$CARAPACE" init -- sh -c 'echo $$; exit 7'
	is "$OUT:$RC" "2:7" "as PID 1: the program is PID 2 and its status passes"
	# PID 1 gets only the signals it has a handler for; init has one for TERM.
	unshare --pid --fork --mount-proc env --default-signal "$CARAPACE" init -- \
		sh -c 'trap "echo got TERM; kill \$!; exit 0" TERM; echo ready; sleep 1000 & wait' \
		</dev/null >"$work/pid1" 2>"$work/pid1.err" &
	bg_pid=$!
	wait_for "$work/pid1" '^ready$'
	kill -TERM "$(pgrep -P "$bg_pid")"	# unshare's child is init
	finish_bg pid1
	is "$OUT:$RC" $'ready\ngot TERM:0' "as PID 1: TERM from outside reaches the program"
else
	skip "unshare --pid needs root"
	skip "unshare --pid needs root"
	skip "unshare --pid needs root"
	skip "unshare --pid needs root"
fi

# --- the signal state init passes on
# Ignored signals stay ignored, as across any exec.
OUT=$( (trap '' USR1; exec "$CARAPACE" init -s -- sh -c 'kill -USR1 $$; echo survived') 2>&1)
is "$OUT" survived "an inherited ignored USR1 stays ignored in the program"
run init -s -- sh -c 'kill -USR1 $$; echo survived'
is "$RC" 138 "without it, USR1 kills the program (138)"
# Fault signals too (tini keeps them; init itself never blocks them). SEGV is
# signal 11 (mask 0x400), BUS signal 7 (0x40); each is checked on its own.
# (The ASan build's runtime takes SEGV and BUS for its own reports.)
for sig in SEGV:400 BUS:40; do
	if asan_build; then
		skip "the ASan build handles ${sig%:*} itself"
		continue
	fi
	OUT=$( (trap '' "${sig%:*}"; exec "$CARAPACE" init -s -- cat /proc/self/status) 2>&1 | grep '^SigIgn')
	want=$(printf '%016x' $(( 0x${sig#*:} | 0x$(grep '^SigIgn' /proc/self/status | cut -f2) )))
	is "$OUT" "SigIgn:	$want" "an inherited ignored ${sig%:*} stays ignored in the program"
done
# init's own handlers and blocked set don't leak into the program.
# (cat, not grep: GNU grep catches SEGV itself.)
# The baseline is what this shell passes on: a CI runner may ignore some.
baseline=$(cat /proc/self/status | grep -E '^Sig(Blk|Ign|Cgt)')
run init -s -- cat /proc/self/status
OUT=$(printf '%s\n' "$OUT" | grep -E '^Sig(Blk|Ign|Cgt)')
is "$OUT" "$baseline" \
	"the program starts with the signal state init got: nothing of init's own"
# An inherited blocked set is restored, as tini does. perl can set one.
if perl -MPOSIX -e 1 2>/dev/null; then
	# (Not through env --default-signal: that unblocks everything.)
	run perl -MPOSIX -e 'sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGUSR2)); exec @ARGV' \
		"$CARAPACE" init -s -- cat /proc/self/status
	OUT=$(printf '%s\n' "$OUT" | grep '^SigBlk')
	is "$OUT" $'SigBlk:\t0000000000000800' "an inherited blocked USR2 is blocked in the program again"
else
	skip "no perl POSIX to block a signal"
fi

done_testing
