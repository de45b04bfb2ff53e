#!/bin/bash
# t/140-fds.t: the workload gets fds 0, 1 and 2 and nothing else of the
# host's, unless --preserve-fds N passes fds 3 to 2+N on purpose.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
echo three >"$work/three"
echo four >"$work/four"
echo five >"$work/five"

# The shell's own fds, one a line. Not $(...): its pipe would be one more
# fd of the shell. Not `ls /proc/self/fd`: ls's fd for the directory would
# show. `; exit` keeps ash from exec'ing ls in its own place.
list_fds='ls /proc/$$/fd; exit'

snapshot_host

run cara sh -c "$list_fds"
is "$OUT" $'0\n1\n2' "the workload has fds 0, 1 and 2 only"
is "$RC" 0 "exit 0"

# fds the test opens without close-on-exec reach the launcher; the
# container must stop them (3: right after stdio; 7 and 100: gaps).
exec 3<"$work/three" 7</etc/hostname 100<"$work/four"
run cara sh -c "$list_fds"
is "$OUT" $'0\n1\n2' "leaked host fds 3, 7 and 100 don't reach the workload"
exec 3<&- 7<&- 100<&-

# --preserve-fds N passes exactly 3 to 2+N, still readable inside.
exec 3<"$work/three" 4<"$work/four" 5<"$work/five"
run cara --preserve-fds 2 sh -c "ls /proc/\$\$/fd; cat <&3; cat <&4"
is "$OUT" $'0\n1\n2\n3\n4\nthree\nfour' "--preserve-fds 2: fds 3 and 4 pass, readable; 5 does not"
is "$RC" 0 "--preserve-fds 2: exit 0"
run cara --preserve-fds 1 sh -c "$list_fds"
is "$OUT" $'0\n1\n2\n3' "--preserve-fds 1: only fd 3 passes"
run cara --preserve-fds 0 sh -c "$list_fds"
is "$OUT" $'0\n1\n2' "--preserve-fds 0: nothing passes"
exec 4<&-
run cara --preserve-fds 2 sh -c "$list_fds"
is "$RC" 125 "--preserve-fds 2 with fd 4 closed: exit 125"
is "$ERR" "carapace: --preserve-fds: fd 4: Bad file descriptor" "... and a one-line error"
exec 3<&- 5<&-

# A preserved fd may be a pipe: the workload writes, the host reads.
exec 3> >(cat >"$work/from-container")
pipe_pid=$!
run cara --preserve-fds 1 sh -c 'echo through the pipe >&3'
exec 3>&-
wait "$pipe_pid"
is "$(cat "$work/from-container")" "through the pipe" "--preserve-fds passes a pipe"

# A closed stdin must not let one of carapace's own fds (the signalfd, the
# socket) take its number and reach the workload as fd 0.
OUT=$(cara sh -c "ls /proc/\$\$/fd; head -c 1 <&0 | wc -c" <&- 2>&1)
is "$OUT" $'0\n1\n2\n0' "with stdin closed, the workload gets 0 1 2, and 0 reads as empty"

no_leaks "no process or mount left behind"
done_testing
