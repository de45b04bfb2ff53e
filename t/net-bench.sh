#!/bin/bash
# t/net-bench.sh: what --network bridge costs (make bench), in a network
# namespace of its own, as the tests run: start-up against --network none,
# and iperf3's TCP throughput from the namespace into a container over the
# bridge against the namespace's own loopback, as ratios. A report only.
# Env: CARAPACE (./carapace), ROOTFS (./rootfs), BENCH_RUNS (50).
set -u
CARAPACE=$(realpath -m "${CARAPACE:-./carapace}")
ROOTFS=$(realpath -m "${ROOTFS:-./rootfs}")
RUNS=${BENCH_RUNS:-50}
if [ "${1:-}" != --in-netns ]; then
	[ "$(id -u)" = 0 ] || { echo "net-bench.sh: needs root" >&2; exit 1; }
	exec unshare --net "$0" --in-netns
fi
ip link set lo up
STATE=$(mktemp -d)
trap 'rm -rf "$STATE"' EXIT
run() { "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" "$@"; }
run_bg() { exec "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" "$@"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# start MODE: the median of RUNS starts of /bin/true, in ms.
start() {
	local i t0 t1
	for ((i = 0; i < RUNS; i++)); do
		t0=${EPOCHREALTIME/[.,]/}
		run --network "$1" -- true || return 1
		t1=${EPOCHREALTIME/[.,]/}
		echo $((t1 - t0))
		sleep "${2:-0}"
	done | median | awk '{ printf "%.2f", $1 / 1000 }'
}
# A container on the bridge that stays, so that the bridge is there for each start.
run_bg --network bridge -- sleep 3600 & KEEP=$!
for _ in $(seq 100); do [ -e "$STATE/.network/leases" ] && break; sleep 0.05; done
# Back to back, and 0.2 s apart: the kernel tears a namespace with a veth down
# after its end, and the next start waits for that (rtnl, RCU).
for gap in 0 0.2; do
	none=$(start none $gap) bridge=$(start bridge $gap)
	printf '# start-up, median of %d, %s s apart: --network none %s ms, bridge %s ms (+%s ms)\n' \
		"$RUNS" "$gap" "$none" "$bridge" "$(awk -v a="$bridge" -v b="$none" 'BEGIN { printf "%.2f", a - b }')"
done
kill "$KEEP"; wait "$KEEP" 2>/dev/null
command -v iperf3 >/dev/null || { echo "# no iperf3 (Debian's iperf3): no throughput"; exit 0; }
gbits() { iperf3 -c "$1" -t 3 -J | awk -F'[:,]' '/"bits_per_second"/ { b = $2 } END { printf "%.2f", b / 1e9 }'; }
iperf3 -s -1 -B 127.0.0.1 >/dev/null & sleep 0.3
lo=$(gbits 127.0.0.1)
run_bg --network bridge -- sleep 3600 & KEEP=$!
for _ in $(seq 100); do [ -e "$STATE/.network/leases" ] && break; sleep 0.05; done
sleep 0.3
INIT=$(pgrep -P "$KEEP" | head -n 1)
nsenter -t "$INIT" -n iperf3 -s -1 -B 10.89.0.2 >/dev/null & sleep 0.3
br=$(gbits 10.89.0.2)
kill "$KEEP"; wait "$KEEP" 2>/dev/null
printf '# TCP, iperf3 3 s: loopback %s Gbit/s, into a container over the bridge %s Gbit/s (%s)\n' \
	"$lo" "$br" "$(awk -v a="$br" -v b="$lo" 'BEGIN { printf "%.2fx", a / b }')"
