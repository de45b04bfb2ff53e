#!/bin/bash
# t/tty-bench.sh: what -t costs (issue 17). The pty relay's rate next to
# the host's own pty (script(1)'s relay), and start plus exit at a terminal
# with -t and with -T. A report only: rounds interleaved, medians printed;
# it never fails on numbers. Runs itself under script(1) for a terminal.
# Env: CARAPACE (./carapace), ROOTFS (./rootfs), TTY_BENCH_RUNS (30),
# TTY_BENCH_MIB (64), BENCH_BEFORE (another binary, timed alongside).

set -u

CARAPACE=$(realpath -m "${CARAPACE:-./carapace}")
ROOTFS=$(realpath -m "${ROOTFS:-./rootfs}")
RUNS=${TTY_BENCH_RUNS:-30}
MIB=${TTY_BENCH_MIB:-64}
export CARAPACE ROOTFS TTY_BENCH_RUNS=$RUNS TTY_BENCH_MIB=$MIB
[ "$(id -u)" = 0 ] || { echo "tty-bench: run it as root" >&2; exit 1; }
command -v script >/dev/null || { echo "tty-bench: no script(1)" >&2; exit 1; }
if ! [ -t 0 ]; then
	exec script -qec "$(printf '%q ' "$0" "$@")" /dev/null </dev/null
fi

DD="dd if=/dev/zero bs=64k count=$((MIB * 16)) status=none"
bins=("$CARAPACE")
[ -n "${BENCH_BEFORE:-}" ] && bins+=("$(realpath -m "$BENCH_BEFORE")")

# rounds UNIT CMD...: each CMD once a round, RUNS rounds; prints each CMD's
# median, in ms, or as MiB/s when UNIT is rate.
rounds() {
	local unit=$1 i k s e; shift
	local -a all=()
	for ((i = 0; i < RUNS; i++)); do
		for ((k = 0; k < $#; k++)); do
			local c=$((k + 1))
			s=${EPOCHREALTIME/[.,]/}
			eval "${!c}" </dev/tty >/dev/null 2>&1
			e=${EPOCHREALTIME/[.,]/}
			all[k]+="$((e - s)) "
		done
	done
	for ((k = 0; k < $#; k++)); do
		local c=$((k + 1))
		# shellcheck disable=SC2086 # one number a word
		printf '%s\n' ${all[k]} | sort -n | awk -v u="$unit" -v mib="$MIB" -v c="${!c}" \
			'{ v[NR] = $1 } END { m = v[int((NR + 1) / 2)] / 1000
			if (u == "rate") printf "%8.1f MiB/s  %s\n", mib / (m / 1000), c
			else printf "%8.2f ms     %s\n", m, c }'
	done
}

echo "# $MIB MiB of dd through a pty, median of $RUNS rounds ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
rows=("script -qc '$DD' /dev/null")
for b in "${bins[@]}"; do
	rows+=("$b run -q -t -r $ROOTFS $DD" "script -qc '$b run -q -t -r $ROOTFS $DD' /dev/null")
done
rounds rate "${rows[@]}"
echo "# the host pty's row is one pty and script's relay: compare the first"
echo "# carapace row (its pty and relay, to /dev/null) with it; the second is"
echo "# what a person at a terminal gets, two ptys in series"
echo "# start and exit at a terminal, median of $RUNS rounds"
rows=()
for b in "${bins[@]}"; do
	rows+=("$b run -q -t -r $ROOTFS true" "$b run -q -T -r $ROOTFS true")
done
rounds ms "${rows[@]}"
