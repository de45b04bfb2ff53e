#!/bin/bash
# t/lease-bench.sh: what one --network bridge start costs with N containers
# live on the bridge, in a network namespace of its own, as the tests run:
# the launcher's system calls (strace -c, the launcher alone: no child,
# init's nor nft's) and the median time of a start of /bin/true. A report.
# Env: CARAPACE (./carapace), ROOTFS (./rootfs), BENCH_RUNS (20),
# LEASE_N ("0 50 200").
set -u
CARAPACE=$(realpath -m "${CARAPACE:-./carapace}")
ROOTFS=$(realpath -m "${ROOTFS:-./rootfs}")
RUNS=${BENCH_RUNS:-20}
if [ "${1:-}" != --in-netns ]; then
	[ "$(id -u)" = 0 ] || { echo "lease-bench.sh: needs root" >&2; exit 1; }
	exec unshare --net "$0" --in-netns
fi
ip link set lo up
STATE=$(mktemp -d) TRACE=$(mktemp)
KEEP=()
stop_all() {
	[ ${#KEEP[@]} -gt 0 ] && kill "${KEEP[@]}" 2>/dev/null && wait "${KEEP[@]}" 2>/dev/null
	KEEP=()
}
trap 'stop_all; rm -rf "$STATE" "$TRACE"' EXIT
run() { "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" --pids 8 "$@"; }
run_bg() { exec "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" --pids 8 "$@"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
leases() { grep -c '^lease ' "$STATE/.network/leases" 2>/dev/null || echo 0; }
# Until N leases are there, at most 60 s.
until_leases() {
	for _ in $(seq 600); do [ "$(leases)" -ge "$1" ] && return 0; sleep 0.1; done
	echo "lease-bench.sh: $(leases) leases, not $1" >&2
	return 1
}
for n in ${LEASE_N:-0 50 200}; do
	stop_all
	for _ in $(seq 200); do ip -o link | grep -q ': cp[0-9a-f]\{8\}[@:]' || break; sleep 0.05; done
	for ((i = 0; i < n; i++)); do
		run_bg --network bridge -- sleep 3600 & KEEP+=($!)
		[ $((i % 10)) = 9 ] && until_leases $((i + 1))
	done
	until_leases "$n" || exit 1
	# One start, traced: the launcher's own calls.
	strace -c -o "$TRACE" "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" --pids 8 \
		--network bridge -- true
	calls=$(awk '$NF == "total" { print $4 }' "$TRACE")
	detail=$(awk '$NF ~ /^(openat|flock|read|close|getdents64|ioctl|socket|write)$/ {
		printf "%s %s, ", $NF, $4 }' "$TRACE")
	ms=$(for ((r = 0; r < RUNS; r++)); do
		t0=${EPOCHREALTIME/[.,]/}
		run --network bridge -- true || exit 1
		t1=${EPOCHREALTIME/[.,]/}
		echo $((t1 - t0))
	done | median | awk '{ printf "%.2f", $1 / 1000 }')
	printf '# N=%d live on the bridge: one start %s system calls (launcher), median of %d starts %s ms\n' \
		"$n" "$calls" "$RUNS" "$ms"
	printf '#   %s\n' "${detail%, }"
	[ -n "${LEASE_TRACE_ALL:-}" ] && sed "s/^/#     /" "$TRACE"
done
