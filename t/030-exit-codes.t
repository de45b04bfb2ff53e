#!/bin/bash
# t/030-exit-codes.t: carapace exits with the workload's status, 128+N when
# signal N killed it, 126 when the command can't be executed and 127 when it
# doesn't exist, with docker's codes and crun's one-line messages.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
[ -f "$ROOTFS/etc/passwd" ] && [ ! -x "$ROOTFS/etc/passwd" ] ||
	skip_all "$ROOTFS/etc/passwd must be a non-executable file"

snapshot_host

# exits CODE DESC ARGS...: `cara ARGS` exits CODE, prints nothing on stderr.
exits() {
	local code=$1 desc=$2; shift 2
	run cara "$@"
	is "$RC" "$code" "$desc: exit $code"
	is "$ERR" "" "$desc: carapace says nothing"
	no_leaks "$desc: nothing left behind"
}

# fails CODE DESC ERR ARGS...: `cara ARGS` exits CODE with exactly the line ERR.
fails() {
	local code=$1 desc=$2 err=$3; shift 3
	run cara "$@"
	is "$RC" "$code" "$desc: exit $code"
	is "$ERR" "$err" "$desc: the error says why"
	is "$OUT" "" "$desc: nothing on stdout"
	no_leaks "$desc: nothing left behind"
}

# --- the workload's own status
exits 0 "true" true
exits 1 "false" false
exits 7 "exit 7" sh -c 'exit 7'
exits 255 "exit 255" sh -c 'exit 255'
# 125 to 127 from the workload itself are the workload's, not carapace's.
exits 125 "the workload's own exit 125" sh -c 'exit 125'

# --- killed by a signal: 128+N
exits 137 "SIGKILL" sh -c 'kill -KILL $$'
exits 143 "SIGTERM" sh -c 'kill -TERM $$'
exits 138 "SIGUSR1" sh -c 'kill -USR1 $$'

# --- can't execute: 126
fails 126 "a non-executable file" "carapace: exec: /etc/passwd: Permission denied" /etc/passwd
fails 126 "a directory" "carapace: exec: /tmp: Permission denied" /tmp
fails 126 "a non-executable file found in PATH" "carapace: exec: passwd: Permission denied" \
	-e PATH=/nonexistent:/etc passwd

# --- not found: 127
fails 127 "a command not in PATH" \
	"carapace: exec: no-such-command-x: No such file or directory" no-such-command-x
fails 127 "an absolute path that doesn't exist" \
	"carapace: exec: /no/such/file: No such file or directory" /no/such/file
fails 127 "a path through a file" \
	"carapace: exec: /etc/passwd/x: Not a directory" /etc/passwd/x

# The host's PATH and binaries play no part: bash exists on the host only.
if [ ! -e "$ROOTFS/bin/bash" ] && [ ! -e "$ROOTFS/usr/bin/bash" ]; then
	fails 127 "a host-only command" "carapace: exec: bash: No such file or directory" bash
else
	skip "the rootfs has bash" && skip "" && skip "" && skip ""
fi

done_testing
