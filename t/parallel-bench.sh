#!/bin/bash
# t/parallel-bench.sh: containers a second when N start at once (make bench).
# A batch is N starts of /bin/true launched together (bash &, one fork and
# an exec each) and waited for; its wall time, from the first fork to the
# last exit, gives N / time containers a second. Each peer runs one batch to
# warm up, then PAR_BATCHES batches, the peers taking turns in a new random
# order each round, so that a passing load, and what a batch leaves the
# kernel to tear down after it, spread over all of them; a row gives the
# median batch.
# A report only: it fails only when carapace itself cannot run.
#
# Usage (root): t/parallel-bench.sh [NAME=COMMAND ...]
#   Without arguments, the peers: carapace, carapace --privileged (and both
#   again for BENCH_BEFORE, a second carapace binary), crun, bwrap and
#   unshare+chroot. A NAME=COMMAND row runs COMMAND, one line that bash
#   evaluates, in which $i is the start's number in its batch (0 to N-1):
#     t/parallel-bench.sh "new=./carapace run -q -r rootfs /bin/true" \
#       "old=/work/shared/carapace-before run -q -r rootfs /bin/true"
# Env: CARAPACE (./carapace), ROOTFS (./rootfs), BENCH_BEFORE (none),
#   PAR_N (100), PAR_BATCHES (5).
# cleanup is called by the trap:
# shellcheck disable=SC2317

set -u
N=${PAR_N:-100}
BATCHES=${PAR_BATCHES:-5}

# batch COMMAND: one batch of N; prints "microseconds failed".
batch() {
	local i p t0 t1 failed=0 pids=()
	t0=${EPOCHREALTIME/[.,]/}
	for ((i = 0; i < N; i++)); do
		(eval "exec $1") >/dev/null 2>&1 </dev/null &
		pids+=("$!")
	done
	for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
	t1=${EPOCHREALTIME/[.,]/}
	echo "$((t1 - t0)) $failed"
}
# Re-entry point: crun's batches run inside its own mount namespace (below).
if [ "${1:-}" = __batch ]; then batch "$2"; exit; fi

[ "$(id -u)" = 0 ] || { echo "parallel-bench.sh: needs root" >&2; exit 1; }
CARAPACE=$(realpath -m "${CARAPACE:-./carapace}")
ROOTFS=$(realpath -m "${ROOTFS:-./rootfs}")
BEFORE=${BENCH_BEFORE:+$(realpath -m "$BENCH_BEFORE")}
self=$(realpath "$0")
q() { printf '%q ' "$@"; }
note() { printf '# %s\n' "$@"; }

tmp=$(mktemp -d /tmp/carapace-parbench.XXXXXX) || exit 1
id=parbench-$$
cleanup() {
	# crun removes its state and cgroups when `run` returns; this is only
	# for an interrupted batch, whose starts get the same signal.
	wait
	if [ -d "$tmp/crun" ]; then
		for c in $(crun --root "$tmp/crun" list -q 2>/dev/null); do
			crun --root "$tmp/crun" delete -f "$c" >/dev/null 2>&1
		done
	fi
	find /sys/fs/cgroup -maxdepth 8 -type d -name "$id-*" -exec rmdir {} + 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# crun refuses hybrid cgroups: it runs where a tmpfs hides cgroup2, in a
# mount namespace of its own (as in t/bench.sh).
crun_ns=
if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	crun_ns=$(q unshare -m sh -c 'umount /sys/fs/cgroup/unified &&
		mount -t tmpfs -o size=1m bench /sys/fs/cgroup/unified && exec "$@"' sh)
fi
crun_bundle() { # runc's default spec for crun, read-write, /bin/true
	local dir=$tmp/bundle root
	mkdir -p "$dir" "$tmp/crun" && (cd "$dir" && crun spec) || return 1
	root=$(printf '%s' "$ROOTFS" | sed 's/[&|\\]/\\&/g')
	sed -i -e 's|"terminal": true|"terminal": false|' -e 's|"readonly": true|"readonly": false|' \
		-e 's|^\([[:space:]]*\)"sh"$|\1"/bin/true"|' -e "s|\"path\": \"rootfs\"|\"path\": \"$root\"|" \
		"$dir/config.json" && echo "$dir"
}

names=() cmds=() wraps=()
add() { names+=("$1") cmds+=("$2") wraps+=("${3:-}"); }
if [ $# -gt 0 ]; then
	for row; do add "${row%%=*}" "${row#*=}"; done
else
	add carapace "$(q "$CARAPACE" run -q -r "$ROOTFS") /bin/true"
	add carapace-privileged "$(q "$CARAPACE" run -q --privileged -r "$ROOTFS") /bin/true"
	if [ -n "$BEFORE" ]; then
		add carapace-before "$(q "$BEFORE" run -q -r "$ROOTFS") /bin/true"
		add carapace-before-privileged "$(q "$BEFORE" run -q --privileged -r "$ROOTFS") /bin/true"
	fi
	if command -v crun >/dev/null && b=$(crun_bundle); then
		add crun "$(q crun --root "$tmp/crun" run --bundle "$b") $id-\$i" "$crun_ns"
	fi
	command -v bwrap >/dev/null &&
		add bwrap "$(q bwrap --unshare-all --bind "$ROOTFS" / --proc /proc --dev /dev) /bin/true"
	add unshare+chroot "$(q unshare --fork --pid --mount --uts --ipc --net chroot "$ROOTFS") /bin/true"
fi

# One start of each first: a peer that fails is left out, with its error.
keep=()
for k in "${!names[@]}"; do
	if err=$(i=0; eval "${wraps[k]} ${cmds[k]}" 2>&1 </dev/null); then keep+=("$k")
	else note "${names[k]}: skipped, it fails: $(printf '%s' "$err" | head -n 1)"; fi
done

note "$N parallel starts of /bin/true: containers a second from the median of" \
	"$BATCHES batches (after one to warm up), the peers taking turns in random order"
for ((r = 0; r <= BATCHES; r++)); do
	for k in $(shuf -e "${keep[@]}"); do	# a new order each round
		out=$(eval "${wraps[k]} $(q "$BASH" "$self" __batch "${cmds[k]}")") || continue
		[ "$r" -gt 0 ] && echo "${names[k]} $out" >>"$tmp/batches"
	done
done
[ -s "$tmp/batches" ] || { echo "parallel-bench.sh: nothing measured" >&2; exit 1; }

# A row: name, the median of the batches' containers a second (the starts
# that succeeded over the batch's time), the median batch time, the failures.
for k in "${keep[@]}"; do
	awk -v n="${names[k]}" -v N="$N" '$1 == n { print ($2 ? (N - $3) * 1e6 / $2 : 0), $2, $3 }' \
		"$tmp/batches" | sort -n | awk -v n="${names[k]}" '
		{ r[NR] = $1; t[NR] = $2; f += $3 }
		END { m = int((NR + 1) / 2)	# odd counts: the median; even: the lower
			printf "%s %.1f %.1f %d\n", n, r[m], t[m] / 1000, f }'
done >"$tmp/rows"
read -r _ base _ < <(grep '^carapace ' "$tmp/rows") || base=
printf '%-26s %12s %14s %8s %14s\n' name containers/s "batch ms" failed peer/carapace
while read -r name rate ms failed; do
	awk -v n="$name" -v r="$rate" -v ms="$ms" -v f="$failed" -v b="$base" 'BEGIN {
		printf "%-26s %12.0f %14.1f %8d %14s\n", n, r, ms, f,
			b == "" ? "-" : sprintf("%.2fx", r / b) }'
done <"$tmp/rows"
# The target: carapace, every default on, at least as many a second as
# carapace --privileged before (BENCH_BEFORE's), else as this binary's.
ref=carapace-before-privileged
grep -q "^$ref " "$tmp/rows" || ref=carapace-privileged
if [ -n "$base" ] && read -r _ p _ < <(grep "^$ref " "$tmp/rows"); then
	awk -v c="$base" -v p="$p" -v r="$ref" 'BEGIN {
		printf "# target: carapace containers/s >= %s: %.2fx, %s\n", r, c / p,
			(c / p >= 1 ? "met" : "NOT met") }'
fi
exit 0
