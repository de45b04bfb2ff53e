#!/bin/bash
# t/070-parallel.t: containers started at once from one rootfs don't get in
# each other's way: each has its own hostname, PID namespace and output.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

# A barrier, so that all N really run at the same time: each container says
# "ready" on fd 3, then reads fd 4 to its end, which comes when the test
# closes the only writer, once all N are ready. The test holds both FIFOs
# open read-write so that no open blocks; the launchers must not inherit
# those fds, or they would hold the write end open too.
N=10
mkfifo "$work/ready" "$work/go"
exec 7<>"$work/ready" 8<>"$work/go"
pids=()
for i in $(seq $N); do
	cara --hostname "box-$i" -e "N=$i" --preserve-fds 2 sh -c \
		'echo ready >&3; cat <&4; echo "$(hostname) $$ $N"' \
		</dev/null >"$work/out.$i" 2>"$work/err.$i" 3>"$work/ready" 4<"$work/go" 7>&- 8>&- &
	pids+=($!)
done

# The timeout only bounds a failure; passing never waits on it.
ready=0
while [ "$ready" -lt "$N" ] && read -r -t 30 line <&7; do
	ready=$((ready + 1))
done
is "$ready" "$N" "all $N containers run at the same time"
exec 7>&- 8>&-

failed=
for i in $(seq $N); do
	wait "${pids[$((i - 1))]}" || failed="$failed $i"
done
is "$failed" "" "every container exits 0"

for i in $(seq $N); do
	is "$(cat "$work/out.$i")" "box-$i 2 $i" "container $i: its own hostname, PID 2, its own env and output"
done
is "$(cat "$work/err".*)" "" "no container printed an error"

# --- a start-up storm: launchers that start together make, lock, sweep
# and remove their cgroups side by side; none may take another's.
storm_failed=0 storm_errors=
for round in 1 2; do
	pids=()
	for i in $(seq 20); do
		cara true </dev/null >/dev/null 2>"$work/storm.$i" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do wait "$pid" || storm_failed=$((storm_failed + 1)); done
	storm_errors+=$(cat "$work"/storm.*)
done
is "$storm_failed" 0 "40 containers started 20 at a time all exit 0"
is "$storm_errors" "" "and none prints an error"

no_leaks
done_testing
