#!/bin/bash
# t/measure-init.sh: measurements of carapace's init, not tests:
#  1. how long init takes to reap N (default 10,000) orphans that exit at
#     once, against a parent that reaps its own N children (the cost of the
#     exits themselves);
#  1b. reaping alone: N zombies made while init is stopped (SIGSTOP from
#     the host), timed from SIGCONT until the last is gone;
#  2. the latency from a SIGTERM sent to the launcher to the workload's
#     handler running, median of ROUNDS (default 100), on CLOCK_MONOTONIC.
# Each also for `carapace init -s` and tini -s, and without any init.
# Usage: t/measure-init.sh   (env: N, REPS, ROUNDS, CARAPACE, ROOTFS)
# Prints "# " lines. Figures depend on the machine's load: look at it too.
# With N=10000 it takes minutes: forking 20,000 processes is most of it.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
command -v musl-gcc >/dev/null || skip_all "no musl-gcc to build t/init-probe.c"

N=${N:-10000}
REPS=${REPS:-1}
ROUNDS=${ROUNDS:-100}

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
probe=$work/init-probe
musl-gcc -static -O2 -o "$probe" "$TOP/t/init-probe.c" || exit 1
# The probe runs in a private copy of the rootfs: the shared one stays as is.
cp -a -- "$ROOTFS" "$work/rootfs"
cp -- "$probe" "$work/rootfs/bin/init-probe"

TINI=$(command -v tini || true)
note "$(uname -r), $(nproc) cpus, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# median VALUES...: the middle one (the upper middle for an even count).
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int(NR / 2) + 1] }'; }

# storm LABEL COMMAND...: runs COMMAND (ending in `init-probe storm MODE N`)
# REPS times; prints the median milliseconds.
storm() {
	local label=$1 i t times=(); shift
	for ((i = 0; i < REPS; i++)); do
		t=$("$@" </dev/null 2>/dev/null) || { note "$label: failed"; return; }
		times+=("$t")
	done
	note "$(printf '%-44s %8s ms  (runs: %s)' "$label" "$(median "${times[@]}")" "${times[*]}")"
}

note "1. reaping $N processes that exit at once (median of $REPS)"
storm "carapace run: init reaps $N orphans" \
	"$CARAPACE" run -q -r "$work/rootfs" init-probe storm orphans "$N"
storm "carapace run: workload reaps $N children" \
	"$CARAPACE" run -q -r "$work/rootfs" init-probe storm children "$N"
storm "carapace init -s: reaps $N orphans" "$CARAPACE" init -s -- "$probe" storm orphans "$N"
if [ -n "$TINI" ]; then
	storm "tini -s: reaps $N orphans" "$TINI" -s -- "$probe" storm orphans "$N"
fi
storm "no init: the probe reaps $N children" "$probe" storm children "$N"

# reap_only LABEL self|child COMMAND...: COMMAND ends in `init-probe storm
# zombies N`; init is COMMAND's process (self) or its child (child: the
# launcher's). Prints the median milliseconds from SIGCONT to no zombie.
reap_only() {
	local label=$1 which=$2 i line init t0 t1 times=(); shift 2
	for ((i = 0; i < REPS; i++)); do
		coproc PROBE { exec "$@" 2>/dev/null; }
		read -r line <&"${PROBE[0]}"		# spawned
		if [ "$which" = child ]; then init=$(pgrep -P "$PROBE_PID"); else init=$PROBE_PID; fi
		kill -STOP "$init"
		echo go >&"${PROBE[1]}"
		read -r line <&"${PROBE[0]}"		# zombies: all N wait for init
		t0=$EPOCHREALTIME
		kill -CONT "$init"
		read -r line t1 <&"${PROBE[0]}"	# t1 NS: none left
		wait "$PROBE_PID"
		times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", (b / 1e9 - a) * 1e3 }')")
	done
	note "$(printf '%-44s %8s ms  (runs: %s)' "$label" "$(median "${times[@]}")" "${times[*]}")"
}

note "1b. reaping $N zombies: from SIGCONT to the stopped init to none left (median of $REPS)"
reap_only "carapace run: init reaps $N zombies" child \
	"$CARAPACE" run -q -r "$work/rootfs" init-probe storm zombies "$N"
reap_only "carapace init -s: reaps $N zombies" self "$CARAPACE" init -s -- "$probe" storm zombies "$N"
if [ -n "$TINI" ]; then
	reap_only "tini -s: reaps $N zombies" self "$TINI" -s -- "$probe" storm zombies "$N"
fi

note "2. SIGTERM to the launcher -> workload's handler, microseconds ($ROUNDS rounds)"
latency() {
	local label=$1; shift
	note "$(printf '%-28s %s' "$label" "$("$probe" siglat "$ROUNDS" "$@" </dev/null 2>&1)")"
}
# The first TERM arms the stop timeout: the longest one keeps the container alive.
latency "carapace run" "$CARAPACE" run -q --stop-timeout 86400 -r "$work/rootfs" init-probe sigprobe
latency "carapace init -s" "$CARAPACE" init -s -- "$probe" sigprobe
if [ -n "$TINI" ]; then latency "tini -s" "$TINI" -s -- "$probe" sigprobe; fi
latency "no init (direct)" "$probe" sigprobe
