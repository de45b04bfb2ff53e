#!/bin/bash
# t/seccomp-bench.sh: what the default seccomp filter costs a system call.
#
#   t/seccomp-bench.sh [ROUNDS [CALLS]]
#
# Runs t/seccomp-probe's loop of CALLS system calls in containers with and
# without the filter, ROUNDS times, alternating, and prints the fastest and
# the median nanoseconds per call of each. Three calls: getppid (allowed
# whatever its arguments, so since Linux 5.11 the kernel caches the verdict
# and skips the filter), personality(0xffffffff) (allowed after an argument
# check: the filter runs every time) and keyctl (denied: the filter runs,
# then the call returns EPERM without reaching the kernel's keyctl).
# The minimum is the figure to compare: other load only ever adds time.
. "$(dirname "$0")/tap.sh"

rounds=${1:-15}
calls=${2:-200000}
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
cp -a "$ROOTFS" "$work/rootfs"
musl-gcc -static -O2 -isystem "$TOP/build/include" -o "$work/rootfs/bin/seccomp-probe" \
	"$TOP/t/seccomp-probe.c" || exit 1

# name: the call's number and first argument
tests="getppid:110:0 personality:135:0xffffffff keyctl:250:99"
for ((i = 0; i < rounds; i++)); do
	for t in $tests; do
		IFS=: read -r name nr arg <<<"$t"
		for mode in unconfined default; do
			opt=()
			[ "$mode" = unconfined ] && opt=(--seccomp unconfined)
			ns=$("$CARAPACE" run -q "${opt[@]}" -r "$work/rootfs" \
				seccomp-probe bench "$calls" "$nr" "$arg")
			echo "$name $mode $ns" >>"$work/results"
		done
	done
done

printf '%-12s %-11s %8s %8s   (ns per call, %d rounds of %d calls)\n' \
	call filter min median "$rounds" "$calls"
for t in $tests; do
	name=${t%%:*}
	for mode in unconfined default; do
		awk -v n="$name" -v m="$mode" '$1 == n && $2 == m { print $3 }' "$work/results" |
			sort -g | awk -v n="$name" -v m="$mode" '
				{ v[NR] = $1 }
				END { printf "%-12s %-11s %8.1f %8.1f\n", n, m, v[1], v[int((NR + 1) / 2)] }'
	done
done
