#!/bin/bash
# t/110-zombies.t: init reaps a storm of orphans that all exit at once, and
# still forwards signals afterwards.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

work=$(mktemp -d)
bg_pid=
cleanup() {
	if [ -n "$bg_pid" ]; then kill -KILL "$bg_pid" 2>/dev/null; fi
	rm -rf -- "$work"
}
trap cleanup EXIT

# The workload orphans N cats that all block reading one FIFO. Its fd 5 is
# the FIFO's only writer (each cat closes its copies of 4 and 5), so closing
# it gives every cat EOF at the same moment: N orphans exit at once and init
# gets one coalesced SIGCHLD for many of them. Then it counts, inside the
# container, the cats left and the processes in state Z. Each wait is a
# bounded poll. Last, it traps TERM to show that init still forwards.
storm='
	n=$1
	# /dev/shm is a fresh tmpfs in each container: nothing stays in the rootfs.
	mkfifo /dev/shm/f
	exec 3<>/dev/shm/f 4</dev/shm/f 5>/dev/shm/f 3>&-
	i=0
	while [ $i -lt $n ]; do (cat <&4 4<&- 5>&- >/dev/null &); i=$((i + 1)); done
	exec 4<&-
	cats() { ps -o comm | grep -c "^cat$"; }
	t=0
	while [ "$(cats)" -lt $n ] && [ $t -lt 400 ]; do sleep 0.05; t=$((t + 1)); done
	echo "orphans before: $(cats)"
	orphaned=0
	for p in $(ps -o ppid,comm | awk "\$2 == \"cat\" { print \$1 }"); do
		[ "$p" = 1 ] && orphaned=$((orphaned + 1))
	done
	echo "children of init: $orphaned"
	exec 5>&-
	t=0
	while [ "$(ps -o stat,comm | grep -cE "^Z|cat$")" -gt 0 ] && [ $t -lt 400 ]; do
		sleep 0.05; t=$((t + 1))
	done
	echo "orphans after: $(cats)"
	echo "zombies: $(ps -o stat | grep -c "^Z")"
	trap "echo got TERM; exit 0" TERM
	echo ready
	sleep 1000 & wait'

snapshot_host
env --default-signal "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" sh -c "$storm" storm 1000 \
	</dev/null >"$work/out" 2>"$work/err" &
bg_pid=$!
# Forking 2,000 processes with ash takes a few seconds: allow a minute.
wait_for "$work/out" '^ready$' 1200
kill -TERM "$bg_pid"
for ((i = 0; i < 200; i++)); do kill -0 "$bg_pid" 2>/dev/null || break; sleep 0.05; done
kill -KILL "$bg_pid" 2>/dev/null
wait "$bg_pid"
RC=$?
bg_pid=
OUT=$(cat "$work/out")

like "$OUT" '^orphans before: 1000$' "the workload started 1000 orphans"
like "$OUT" '^children of init: 1000$' "all 1000 are children of init"
like "$OUT" '^orphans after: 0$' "they all exited"
like "$OUT" '^zombies: 0$' "no zombie is left in the container"
like "$OUT" '^got TERM$' "after the storm, init still forwards TERM"
is "$RC" 0 "the container exits with the trap's status"
is "$(cat "$work/err")" "" "nothing on stderr"
no_leaks "no process or mount left behind"
done_testing
