#!/bin/bash
# t/040-stdio.t: without a terminal, the workload gets carapace's own stdin,
# stdout and stderr: data goes through whole, and the streams stay apart.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

# --- stdin
is "$(echo hi | cara cat)" hi "echo hi | carapace run cat prints hi"
printf 'line 1\nline 2\nno newline' >"$work/in"
run_in "$work/in" cara cat
is "$OUT" "$(cat "$work/in")" "stdin from a file"
run cara cat
is "$RC:$OUT" 0: "stdin from /dev/null: cat sees end of file at once"
run_in "$work/in" cara sh -c 'read -r first; echo "got $first"'
is "$OUT" "got line 1" "the shell reads stdin line by line"

# --- 1 MB of random bytes, in and out through pipes
head -c 1048576 /dev/urandom >"$work/random"
want=$(sha256sum <"$work/random")
got=$(cat "$work/random" | cara cat | sha256sum)
is "$got" "$want" "1 MB of random data through cat and pipes, byte for byte"
got=$(cara cat <"$work/random" | sha256sum)
is "$got" "$want" "1 MB from a file to a pipe, byte for byte"

# --- output to a file is complete when carapace exits
cara sh -c 'seq 1 200000; echo end' >"$work/out" </dev/null
is "$?" 0 "200000 lines to a file: exit 0"
is "$(wc -l <"$work/out")" 200001 "every line is in the file when carapace exits"
is "$(tail -n 1 "$work/out")" end "the last line is there"
is "$(seq 1 200000 | sha256sum)" "$(head -n 200000 "$work/out" | sha256sum)" "the lines are intact and in order"
cara cat <"$work/random" >"$work/copy"
is "$(sha256sum <"$work/copy")" "$want" "1 MB from a file to a file, byte for byte"

# --- stderr is its own stream
run cara sh -c 'echo out; echo err >&2; echo out2; echo err2 >&2'
is "$OUT" "$(printf 'out\nout2')" "stdout has only stdout"
is "$ERR" "$(printf 'err\nerr2')" "stderr has only stderr"
run cara sh -c 'echo only-err >&2'
is "$OUT:$ERR" ":only-err" "stderr alone, nothing on stdout"
run cara sh -c 'ls /no-such-file'
like "$ERR" 'no-such-file' "a command's own errors reach stderr"
isnt "$RC" 0 "and its failure the exit code"

# --- the workload's stdout being closed early doesn't hang or break carapace
run bash -c '"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" seq 1 1000000 | head -n 1'
is "$OUT" 1 "a reader that stops early gets what it read"

# --- fds 0-2 are the same files, not copies: a seek shows through
run_in "$work/in" cara sh -c 'read -r first; exec cat'
is "$OUT" "$(tail -n +2 "$work/in")" "the workload reads on from where the shell stopped"

# --- closed standard fds: carapace fills them with /dev/null, so neither it
# nor the workload gets a socket or pipe of carapace's own as stdin or stdout.
run bash -c '"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" cat <&-'
is "$RC:$OUT:$ERR" "0::" "stdin closed: cat reads end of file"
run bash -c '"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" sh -c "echo lost; exec 3>&1; readlink /proc/self/fd/3 >&2" >&-'
is "$RC:$OUT:$ERR" "0::/dev/null" "stdout closed: the workload writes to /dev/null"

# --- no other fd of the host's gets in: ls's own directory is fd 3
run cara ls /proc/self/fd 5<"$work/in" 9>"$work/fd9"
is "$(echo $OUT)" "0 1 2 3" "host fds above 2 don't reach the workload"

no_leaks
done_testing
