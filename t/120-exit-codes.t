#!/bin/bash
# t/120-exit-codes.t: carapace run, carapace init and tini agree on exit
# codes: the workload's own status, 126 and 127 for exec failures, 128+N
# for a workload that signal N killed.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

# Each runner takes a command. `run` resolves it in the rootfs, the others
# on the host; every path used below exists in both. env resets signal
# dispositions: an inherited ignored INT would survive into the workload
# (on purpose, for init) and `kill -INT $$` would do nothing.
runners=(run init)
if [ -x /usr/bin/tini ]; then runners+=(tini); fi
run_with() {
	local runner=$1; shift
	case $runner in
	run) env --default-signal "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" "$@" ;;
	init) env --default-signal "$CARAPACE" init -s -- "$@" ;;
	tini) env --default-signal /usr/bin/tini -s -- "$@" ;;
	esac
}

# scenario EXPECTED DESC COMMAND...: the same command under every runner.
scenario() {
	local expected=$1 desc=$2 runner; shift 2
	for runner in "${runners[@]}"; do
		run run_with "$runner" "$@"
		is "$RC" "$expected" "$runner: $desc: exit $expected"
	done
	if [ ! -x /usr/bin/tini ]; then skip "tini is not installed"; fi
}

for code in 0 1 2 42 126 127 255; do
	scenario "$code" "exit $code passes through" sh -c "exit $code"
done
scenario 127 "absolute path not found" /no/such/program
scenario 127 "not found in PATH" no-such-program
scenario 126 "not executable (a 0644 file)" /etc/passwd
scenario 126 "not executable (a directory)" /etc
scenario 137 "killed by signal 9" sh -c 'kill -9 $$'
scenario 143 "killed by signal 15" sh -c 'kill -15 $$'
scenario 130 "killed by signal 2" sh -c 'kill -2 $$'
# Not QUIT: busybox's ash ignores it for itself, so `kill -3 $$` does nothing.

# carapace's own exec errors: one line, naming the program and the reason.
for runner in run init; do
	run run_with "$runner" /no/such/program
	is "$ERR" "carapace: exec: /no/such/program: No such file or directory" \
		"$runner: not found: one line on stderr"
	run run_with "$runner" /etc/passwd
	is "$ERR" "carapace: exec: /etc/passwd: Permission denied" \
		"$runner: not executable: one line on stderr"
done
done_testing
