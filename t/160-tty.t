#!/bin/bash
# t/160-tty.t: the workload's terminal. Without a person at a terminal: -t
# over a pipe, and no banner. With one, played by tmux: window size and
# resizes, ^C, ^Z and fg, exit status, the host terminal restored, the
# container's own /dev/pts/0, -T, and the banner.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

work=$(mktemp -d)
sock=$work/tmux.sock
tm() { tmux -f /dev/null -S "$sock" "$@"; }
cleanup() {
	if [ -S "$sock" ]; then tm kill-server 2>/dev/null; fi
	rm -rf -- "$work"
}
trap cleanup EXIT

snapshot_host

# --- no terminal at all
# -t over a pipe: the pty must pass the pipe's EOF on, or the shell never
# ends. SIGKILL bounds the wait if it doesn't (PDEATHSIG ends init).
echo 'echo hi' | timeout -s KILL 5 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -t -r "$ROOTFS" sh >"$work/pipe" 2>&1
RC=$?
OUT=$(tr -d '\r' <"$work/pipe")
like "$OUT" '^hi$' "echo 'echo hi' | carapace run -t sh: prints hi"
is "$RC" 0 "echo 'echo hi' | carapace run -t sh: exits 0 at the pipe's EOF"
if [ "$RC" != 0 ]; then
	diag "the pty relayed:" "$(od -c "$work/pipe" | tail -n 4)"
fi
timeout -s KILL 5 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -t -r "$ROOTFS" sh </dev/null >/dev/null 2>&1
is "$?" 0 "carapace run -t sh </dev/null: exits 0 at once"

OUT=$(timeout -s KILL 5 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -t -r "$ROOTFS" sh -c 'cat; echo cat-done' \
	< <(printf 'one\ntwo\n') 2>&1 | tr -d '\r')
like "$OUT" '^cat-done$' "-t with a pipe: cat in the container sees EOF"

# stderr is a file here: nobody would see a banner.
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -r "$ROOTFS" true
is "$ERR" "" "no banner when stderr is not a terminal"
is "$RC" 0 "... and exit 0"

if ! command -v tmux >/dev/null; then
	skip "no tmux: the interactive tests"
	no_leaks "no process or mount left behind"
	done_testing
fi

# --- a person at a terminal, played by tmux
# screen SESSION: the pane's whole text, wrapped lines joined.
screen() { tm capture-pane -p -J -S - -t "$1"; }
# wait_screen SESSION ERE: polls until a line of the pane matches, 10 s at most.
wait_screen() {
	local i
	for ((i = 0; i < 200; i++)); do
		screen "$1" | grep -Eq -- "$2" && return 0
		sleep 0.05
	done
	diag "timed out waiting for /$2/ in tmux session $1; the pane shows:" "$(screen "$1")"
	return 1
}
# type_line SESSION TEXT: types TEXT and Enter, as a person would.
type_line() { tm send-keys -t "$1" -l "$2" && tm send-keys -t "$1" Enter; }
# poll CMD...: runs CMD every 0.05 s until it succeeds, 10 s at most.
poll() {
	local i
	for ((i = 0; i < 200; i++)); do "$@" && return 0; sleep 0.05; done
	return 1
}
stat_field() { awk -v n="$2" '{ sub(/.*\) /, ""); print $(n - 2) }' "/proc/$1/stat" 2>/dev/null; }
# in_foreground PID: PID runs and is its terminal's foreground process group.
in_foreground() {
	[ -n "$1" ] && [ "$(stat_field "$1" 3)" != T ] &&
		[ "$(stat_field "$1" 5)" = "$(stat_field "$1" 8)" ]
}
is_stopped() { [ "$(stat_field "$1" 3)" = T ]; }

# A plain host shell in a 100x30 pane; everything below is typed into it.
tm new-session -d -s main -x 100 -y 30 \
	"env -i PATH=$PATH TERM=screen HOME=$work PS1='host\$ ' bash --norc --noprofile"
tm set-option -g remain-on-exit on
wait_screen main '^host\$ '

type_line main "stty -g >$work/before; $CARAPACE run --cgroup-parent $TEST_CGROUP_PARENT -q -r $ROOTFS sh; echo EXIT=\$? >$work/exit; stty -g >$work/after"
# ash's prompt for root: "/ # "
wait_screen main '^/ # '

type_line main 'echo SIZE=$(stty size) TTY=$(tty)'
wait_screen main '^SIZE=[0-9]+ [0-9]+ TTY='
like "$(screen main)" '^SIZE=30 100 ' "stty size in the container is the pane's size"
like "$(screen main)" ' TTY=/dev/pts/0$' "the workload's tty is the container's own /dev/pts/0"

tm resize-window -t main -x 120 -y 40
type_line main 'echo SIZE2=$(stty size)'
wait_screen main '^SIZE2=[0-9]'
like "$(screen main)" '^SIZE2=40 120$' "after tmux resize-window, stty size follows"

# ^C at a running sleep: wait until the sleep is the terminal's foreground
# job, or the ^C would reach the shell before the sleep exists.
type_line main "sleep 100.$$"
poll pgrep -f "^sleep 100\.$$\$" >/dev/null
poll in_foreground "$(pgrep -f "^sleep 100\.$$\$")"
tm send-keys -t main C-c
type_line main 'echo INT=$?'
wait_screen main '^INT=[0-9]'
like "$(screen main)" '^INT=130$' "^C ends the sleep (status 130) and the shell prompts again"

# ^Z stops a job, fg resumes it.
type_line main "sleep 101.$$"
poll pgrep -f "^sleep 101\.$$\$" >/dev/null
job=$(pgrep -f "^sleep 101\.$$\$")
poll in_foreground "$job"
tm send-keys -t main C-z
ok "^Z stops the job" poll is_stopped "$job"
wait_screen main 'Stopped'
type_line main fg
ok "fg resumes it in the foreground" poll in_foreground "$job"
tm send-keys -t main C-c
type_line main 'echo FG=$?'
wait_screen main '^FG=[0-9]'
like "$(screen main)" '^FG=130$' "^C ends the resumed job"

type_line main 'exit 3'
poll test -s "$work/after"
is "$(cat "$work/exit" 2>/dev/null)" "EXIT=3" "exit 3 ends the session with status 3"
is "$(cat "$work/after" 2>/dev/null)" "$(cat "$work/before" 2>/dev/null)" \
	"the host terminal's settings are back as they were"

# -T: no pty, even at a terminal. The pane's tty isn't in the container's
# /dev/pts, so `tty` can't name it.
type_line main "$CARAPACE run --cgroup-parent $TEST_CGROUP_PARENT -q -T -r $ROOTFS sh -c 'echo TTYT=\$(tty) PTS=\$(ls /dev/pts | tr \"\\n\" \" \")'"
# Not anchored: when the command line fills the pane's width exactly, tmux
# joins the output to it as one wrapped line.
wait_screen main 'TTYT=[^$]'
like "$(screen main)" 'TTYT=not a tty PTS=ptmx ?$' "-T: no tty, and no pty in the container's devpts"

# TERM to a launcher at a terminal: an interactive ash ignores it, so the
# stop timeout kills the container; the terminal must still be restored.
rm -f "$work/before" "$work/after" "$work/exit"
type_line main "stty -g >$work/before; $CARAPACE run --cgroup-parent $TEST_CGROUP_PARENT -q --stop-timeout 1 -r $ROOTFS sh; echo EXIT=\$? >$work/exit; stty -g >$work/after"
wait_screen main '^/ # $'
pane_pid=$(tm display-message -p -t main '#{pane_pid}')
launcher=$(pgrep -P "$pane_pid" -f "$CARAPACE")
kill -TERM "$launcher"
poll test -s "$work/after"
is "$(cat "$work/exit" 2>/dev/null)" "EXIT=137" "TERM, ignored by the shell: killed after the stop timeout"
is "$(cat "$work/after" 2>/dev/null)" "$(cat "$work/before" 2>/dev/null)" \
	"... and the host terminal's settings are restored"

# --- the banner: only for a person, only without -q. Each runs as a
# pane's own command, so its first line is carapace's first line.
tm new-session -d -s banner -x 200 -y 30 "$CARAPACE run --cgroup-parent $TEST_CGROUP_PARENT -r $ROOTFS sh -c 'echo BODY'"
wait_screen banner '^BODY'
like "$(screen banner | head -n 1)" 'container ready' "at a terminal, the first line is the banner"
tm new-session -d -s quiet -x 200 -y 30 "$CARAPACE run --cgroup-parent $TEST_CGROUP_PARENT -q -r $ROOTFS sh -c 'echo BODY'"
wait_screen quiet '^BODY'
is "$(screen quiet | head -n 1)" "BODY" "with -q, no banner"
unlike "$(screen quiet)" 'container ready' "with -q, no banner anywhere"
tm new-session -d -s notty -x 200 -y 30 "$CARAPACE run --cgroup-parent $TEST_CGROUP_PARENT -T -r $ROOTFS sh -c 'echo BODY'"
wait_screen notty '^BODY'
like "$(screen notty | head -n 1)" 'container ready' "with -T at a terminal, the banner too"

tm kill-server
no_leaks "no process or mount left behind"
done_testing
