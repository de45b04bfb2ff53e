#!/bin/bash
# t/bench.sh: start-up time (back to back, spaced, in parallel, from a
# tarball), the OCI commands, memory and size of carapace next to its peers
# (make bench). A report only: it never fails on numbers, only when carapace
# itself cannot run.
# Env: CARAPACE (./carapace), ROOTFS (./rootfs), BENCH_RUNS (50), BENCH_ROUNDS (5:
# the runs of a table in rounds, its rows taking turns), BENCH_MEM_RUNS (3),
# BENCH_SPACED_RUNS (30: the start-up rows again, each start 0.25 s after the
# last one ended), PAR_N (100) and PAR_BATCHES (5) for t/parallel-bench.sh,
# BENCH_TAR_FILES (5000: files of 4 KiB in the tarball row), BENCH_BEFORE (a
# second carapace binary, "carapace-before" in every row, for a before and
# after from one run), BENCH_UNPACKED (build/carapace.elf beside a packed
# CARAPACE: "carapace-unpacked" in the start-up rows and the size table,
# what packing costs), BENCH_ROWS (all: some of startup spaced parallel
# tarball oci exec memory size).
# cleanup, launcher_hwm and tree_rss are called indirectly:
# shellcheck disable=SC2317

set -u

CARAPACE=$(realpath -m "${CARAPACE:-./carapace}")
ROOTFS=$(realpath -m "${ROOTFS:-./rootfs}")
export BENCH_RUNS=${BENCH_RUNS:-50}
MEM_RUNS=${BENCH_MEM_RUNS:-3}
SPACED_RUNS=${BENCH_SPACED_RUNS:-30}
BEFORE=${BENCH_BEFORE:+$(realpath -m "$BENCH_BEFORE")}
# The program a packed ./carapace holds (README.md, "Size"): none if unpacked.
UNPACKED=${BENCH_UNPACKED-$(dirname "$CARAPACE")/build/carapace.elf}
[ -x "$UNPACKED" ] && ! cmp -s "$UNPACKED" "$CARAPACE" || UNPACKED=

# time_cmd NAME CMD SAMPLES [WARMUPS]: BENCH_RUNS runs of CMD after WARMUPS
# (3) untimed ones; appends "NAME ms" for each run to SAMPLES. CMD is one
# string, shell-quoted, as hyperfine -N splits it the same way. With
# BENCH_PREPARE set, that command (split the same way) runs untimed before
# each run, warm-ups too: "sleep 0.25" spaces the starts.
time_cmd() {
	local name=$1 cmd=$2 samples=$3 warmups=${4:-3} json prep=()
	[ -n "${BENCH_PREPARE:-}" ] && prep=(--prepare "$BENCH_PREPARE")
	if command -v hyperfine >/dev/null; then
		json=$(mktemp "$samples.XXXXXX")	# in the bench dir, removed with it
		# -N: no intermediate shell, so there is nothing to subtract.
		hyperfine -N --warmup "$warmups" --runs "$BENCH_RUNS" "${prep[@]}" \
			--export-json "$json" "$cmd" >/dev/null 2>"$samples.err" || { rm -f "$json"; return 1; }
		# Its "times" array, one a line, in seconds.
		awk -v n="$name" '/"times": \[/ { on = 1; next } on && /\]/ { exit }
			on { gsub(/[ ,]/, ""); printf "%s %.3f\n", n, $0 * 1000 }' "$json" >>"$samples"
		rm -f "$json"
		return
	fi
	# Fallback loop. EPOCHREALTIME (bash 5) costs no fork, unlike date +%s%N.
	local i t0 t1
	for ((i = 0; i < warmups; i++)); do
		eval "${BENCH_PREPARE:-}" >/dev/null 2>&1 </dev/null
		eval "$cmd" >/dev/null 2>&1 </dev/null
	done
	for ((i = 0; i < BENCH_RUNS; i++)); do
		eval "${BENCH_PREPARE:-}" >/dev/null 2>&1 </dev/null
		t0=${EPOCHREALTIME/[.,]/}
		eval "$cmd" >/dev/null 2>"$samples.err" </dev/null || return 1
		t1=${EPOCHREALTIME/[.,]/}
		echo "$name $(((t1 - t0) / 1000)).$(printf '%03d' $(((t1 - t0) % 1000)))"
	done >>"$samples"
}

# Re-entry point: crun's timing runs inside its own mount namespace (below).
if [ "${1:-}" = __time ]; then shift; time_cmd "$@"; exit; fi

note() { printf '# %s\n' "$@"; }	# one line per argument

# summarize SAMPLES: "NAME median mean stddev" (ms) for each name, in the
# order SAMPLES first names them.
summarize() {
	awk '!($1 in n) { order[++k] = $1 } { v[$1, ++n[$1]] = $2 }
		END { for (o = 1; o <= k; o++) { name = order[o]; c = n[name]; s = ss = 0
			for (i = 1; i <= c; i++) { x[i] = v[name, i]; s += x[i]; ss += x[i] ^ 2 }
			for (i = 2; i <= c; i++)	# insertion sort: c is small
				for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
			m = s / c; sd = c > 1 ? sqrt((ss - c * m * m) / (c - 1)) : 0
			if (sd != sd || ss - c * m * m < 0) sd = 0
			med = c % 2 ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2
			printf "%s %.3f %.3f %.3f\n", name, med, m, sd } }' "$1"
}

# why NAME ROUND CMD ERRFILE: a note on a row that failed: what hyperfine
# said, and what the command says when run once more.
why() {
	local said again rc
	said=$(sed -n 's/^Error: \(.*code: -*[0-9]*\).*/\1/p; s/^Error: //p' "$4" 2>/dev/null | head -n 1)
	again=$(eval "$3" 2>&1 >/dev/null </dev/null); rc=$?
	[ "$rc" = 0 ] && again="it passes"; again=${again:-"exit $rc"}
	note "$1: timing failed in round $(($2 + 1)): ${said:-?}; run once more: ${again%%$'\n'*}"
}

in_rounds() { # RUNS: what rounds does, in words
	local r=${BENCH_ROUNDS:-5}
	echo "$(((${1} + r - 1) / r * r)) runs each, in $r rounds taking turns in random order" \
		"(3 warm-ups, then ${2:-1} a round)"
}

# rounds RESULTS RUNS: times the rows of t_names, t_cmds, t_wraps, t_preps
# (a BENCH_PREPARE of the row's own) and t_runs (its runs a round), their
# RUNS in BENCH_ROUNDS (5) rounds in which the rows take turns, in a new
# random order each, so that the machine's passing load and the order
# spread over all of them; writes summarize's lines to RESULTS, in the
# rows' order. The first round warms up with 3 runs, the others with
# ROUND_WARMUPS (1).
rounds() {
	local results=$1 r k warm runs w rounds=${BENCH_ROUNDS:-5} failed=()
	local -x BENCH_RUNS=$(((${2} + ${BENCH_ROUNDS:-5} - 1) / ${BENCH_ROUNDS:-5}))
	: >"$results.samples"
	for ((r = 0; r < rounds; r++)); do
		warm=${ROUND_WARMUPS:-1}; [ "$r" = 0 ] && warm=3
		# A new order each round: a start pays for some of the teardown of
		# the one before it, so no row should always follow the same one.
		for k in $(shuf -e "${!t_names[@]}"); do
			[ -n "${failed[k]:-}" ] && continue
			# A row of slow starts has its own runs a round, and 1 warm-up.
			runs=$BENCH_RUNS w=$warm
			[ -n "${t_runs[k]:-}" ] && runs=${t_runs[k]} w=$((r == 0))
			eval "${t_wraps[k]:-} $(q env BENCH_PREPARE="${t_preps[k]:-${BENCH_PREPARE:-}}" \
				BENCH_RUNS="$runs" "$BASH" "$self" __time "${t_names[k]}" "${t_cmds[k]}" \
				"$results.samples" "$w")" && continue
			why "${t_names[k]}" "$r" "${t_wraps[k]:-} ${t_cmds[k]}" "$results.samples.err"
			failed[k]=1
		done
	done
	summarize "$results.samples" >"$results.any-order"
	for k in "${!t_names[@]}"; do
		awk -v n="${t_names[k]}" '$1 == n' "$results.any-order"
	done >"$results"
}
q() { printf '%q ' "$@"; }
ratio() { # A B: A/B, or - when either is unknown
	case $1$2 in *-*) echo - ;; *) awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }' ;; esac
}

[ "$(id -u)" = 0 ] || { echo "bench.sh: needs root (namespaces, runc, crun)" >&2; exit 1; }
have() { command -v "$1" >/dev/null; }
have hyperfine || { apt-get install -y hyperfine >/dev/null 2>&1; have hyperfine; } ||
	note "no hyperfine: timing with a bash loop instead"
have /usr/bin/time || { apt-get install -y time >/dev/null 2>&1; have /usr/bin/time; } ||
	note "no GNU time: no tree memory"

self=$(realpath "$0")
tmp=$(mktemp -d /tmp/carapace-bench.XXXXXX) || exit 1
id=peerbench-$$
cleanup() {
	# runc/crun remove their state and cgroups when `run` returns; this is
	# only for an interrupted run. rmdir removes nothing but empty cgroups.
	local r name wrap
	for r in "$tmp"/runc "$tmp"/crun "$tmp"/oci-* "$tmp"/exec-*; do
		[ -d "$r" ] || continue
		name=${r##*/}; name=${name#*-}
		wrap=; [ "$name" = crun ] && wrap=${crun_ns:-}
		eval "$wrap $(q "$(runtime_bin "$name")" --root "$r") delete --force $id" >/dev/null 2>&1
		eval "$wrap $(q "$(runtime_bin "$name")" --root "$r") delete --force $id-oci" >/dev/null 2>&1
		eval "$wrap $(q "$(runtime_bin "$name")" --root "$r") delete --force $id-exec" >/dev/null 2>&1
	done
	find /sys/fs/cgroup -maxdepth 8 -type d \( -name "$id" -o -name "$id-*" \) -exec rmdir {} + 2>/dev/null
	[ -d "$tmp/cache" ] && "$CARAPACE" prune --cache "$tmp/cache" >/dev/null 2>&1
	rm -rf "$tmp"
}
runtime_bin() { # NAME: the OCI runtime's binary
	case $1 in carapace) echo "$CARAPACE" ;; carapace-before) echo "$BEFORE" ;; *) echo "$1" ;; esac
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x "$ROOTFS/bin/true" ]; then
	note "no $ROOTFS/bin/true (run ./setup.sh): using a throwaway busybox rootfs"
	ROOTFS=$tmp/rootfs
	mkdir -p "$ROOTFS"/{bin,proc,dev,sys,tmp}
	cp "$(command -v busybox)" "$ROOTFS/bin/busybox" || exit 1
	for applet in true sleep sh; do ln -s busybox "$ROOTFS/bin/$applet"; done
fi

# bundle PROGRAM ARG...: an OCI bundle (runc's default spec) running that,
# one for each command line (sleep 1 and sleep 1000 are two).
bundle() {
	local dir args root
	dir=$tmp/bundle-$(printf '%s' "${*##*/}" | tr -c '[:alnum:]' _)
	if [ ! -e "$dir/config.json" ]; then
		mkdir -p "$dir"
		if command -v runc >/dev/null; then (cd "$dir" && runc spec); else (cd "$dir" && crun spec); fi
		args=$(printf '"%s", ' "$@"); args=${args%, }
		root=$(printf '%s' "$ROOTFS" | sed 's/[&|\\]/\\&/g')
		sed -i -e 's|"terminal": true|"terminal": false|' -e 's|"readonly": true|"readonly": false|' \
			-e "s|^\\([[:space:]]*\\)\"sh\"\$|\\1$args|" -e "s|\"path\": \"rootfs\"|\"path\": \"$root\"|" \
			"$dir/config.json"
	fi
	echo "$dir"
}

# Rootless rows: an ordinary user (nobody), the same way for both.
as_nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# peer_cmd NAME PROGRAM ARG...: NAME's command line (quoted, one string, as
# hyperfine -N splits it) running PROGRAM in the rootfs.
peer_cmd() {
	local name=$1; shift
	case $name in
	carapace) q "$CARAPACE" run -q -r "$ROOTFS" "$@" ;;
	carapace-before) q "$BEFORE" run -q -r "$ROOTFS" "$@" ;;
	carapace-unpacked) q "$UNPACKED" run -q -r "$ROOTFS" "$@" ;;
	carapace-overlay) q "$CARAPACE" run -q --overlay -r "$ROOTFS" "$@" ;;
	carapace-userns) q "$CARAPACE" run -q --uidmap 0:300000:65536 -r "$ROOTFS" "$@" ;;
	carapace-rootless) q "${as_nobody[@]}" "$CARAPACE" run -q -r "$ROOTFS" "$@" ;;
	bwrap-rootless) q "${as_nobody[@]}" bwrap --unshare-all --uid 0 --gid 0 \
		--bind "$ROOTFS" / --proc /proc --dev /dev "$@" ;;
	bare-exec) q "$ROOTFS$1" "${@:2}" ;;
	unshare+chroot) q unshare --fork --pid --mount --uts --ipc --net chroot "$ROOTFS" "$@" ;;
	bwrap) q bwrap --unshare-all --bind "$ROOTFS" / --proc /proc --dev /dev "$@" ;;
	crun | runc) mkdir -p "$tmp/$name"; q "$name" --root "$tmp/$name" run --bundle "$(bundle "$@")" "$id" ;;
	esac
}

# crun refuses hybrid cgroups. In a private mount namespace, a tmpfs hides
# cgroup2 so crun sees plain v1; what crun writes there dies with the
# namespace. hyperfine itself runs in there, so only crun is timed.
crun_ns=
if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	crun_ns=$(q unshare -m sh -c 'umount /sys/fs/cgroup/unified &&
		mount -t tmpfs -o size=1m bench /sys/fs/cgroup/unified && exec "$@"' sh)
fi

# Probe each once, so a peer that is missing or broken is skipped with a note.
names=() cmds=() wraps=()
for name in carapace ${BEFORE:+carapace-before} ${UNPACKED:+carapace-unpacked} carapace-overlay \
	carapace-userns bare-exec unshare+chroot bwrap crun runc carapace-rootless bwrap-rootless; do
	case $name in
	carapace-before) needs=$BEFORE ;; carapace-unpacked) needs=$UNPACKED ;;
	carapace*) needs=$CARAPACE ;; bare-exec) needs=$ROOTFS/bin/true ;;
	unshare+chroot) needs=unshare ;; bwrap-rootless) needs=bwrap ;; *) needs=$name ;;
	esac
	if ! command -v "$needs" >/dev/null; then note "$name: skipped, no $needs"; continue; fi
	wrap=; [ "$name" = crun ] && wrap=$crun_ns
	cmd=$(peer_cmd "$name" /bin/true)
	if ! err=$(eval "$wrap $cmd" 2>&1 </dev/null); then
		note "$name: skipped, it fails: $(printf '%s' "$err" | head -n 1)"; continue
	fi
	names+=("$name") cmds+=("$cmd") wraps+=("$wrap")
done

# startup_rows RESULTS RUNS [GAP]: the start-up of each peer, into RESULTS,
# then its table: medians, and the ratios to carapace.
startup_rows() {
	local results=$1 name med mean sd base
	local -x BENCH_PREPARE=${3:+sleep $3}
	# Spaced starts follow no teardown: a warm-up a round would buy nothing.
	local ROUND_WARMUPS=1; [ -n "${3:-}" ] && ROUND_WARMUPS=0
	t_names=("${names[@]}") t_cmds=("${cmds[@]}") t_wraps=("${wraps[@]}") t_preps=() t_runs=()
	rounds "$results" "$2"
	read -r _ base _ < <(grep '^carapace ' "$results") || base=-
	# ± is two bytes and printf pads bytes: hence 22 for 21 columns.
	printf '%-18s %10s %22s %14s %14s\n' name "median ms" "mean ± sd ms" peer/carapace carapace/peer
	while read -r name med mean sd; do
		printf '%-18s %10.2f %13.2f ± %5.2f %14s %14s\n' "$name" "$med" "$mean" "$sd" \
			"$(ratio "$med" "$base")" "$(ratio "$base" "$med")"
	done <"$results"
}

# after_before RESULTS [WHAT]: carapace's median against the unpacked
# program's, and against BENCH_BEFORE's.
after_before() {
	local c p u
	read -r _ c _ < <(grep '^carapace ' "$1") || return 0
	if read -r _ u _ < <(grep '^carapace-unpacked ' "$1"); then
		awk -v c="$c" -v u="$u" -v w="${2:-}" 'BEGIN {
			printf "# packed/unpacked%s: carapace %.2f ms, carapace-unpacked %.2f ms: %.2fx\n", w, c, u, c / u }'
	fi
	read -r _ p _ < <(grep '^carapace-before ' "$1") || return 0
	awk -v c="$c" -v p="$p" -v w="${2:-}" 'BEGIN {
		printf "# after/before%s: carapace %.2f ms, carapace-before %.2f ms: %.2fx\n", w, c, p, c / p }'
}

# target RESULTS PEER FACTOR [WHAT]: carapace's median against PEER's.
target() {
	local c p
	read -r _ c _ < <(grep '^carapace ' "$1") || { note "target vs $2: carapace not measured"; return; }
	read -r _ p _ < <(grep "^$2 " "$1") || { note "target vs $2: not measured"; return; }
	awk -v c="$c" -v p="$p" -v f="$3" -v n="$2" -v w="${4:-}" 'BEGIN {
		printf "# target%s: carapace median <= %.1fx %s: %.2fx, %s\n", w, f, n, c / p,
			c / p <= f ? "met" : "NOT met" }'
}

# The start-up rows back to back, with their targets.
startup_section() {
	local rl brl ovl
	note "start-up of '... /bin/true', back to back: $(in_rounds "$BENCH_RUNS"), by $(
		command -v hyperfine >/dev/null && echo hyperfine -N || echo a bash loop)"
	startup_rows "$tmp/times" "$BENCH_RUNS"
	read -r _ base _ < <(grep '^carapace ' "$tmp/times") || base=-
	echo
	target "$tmp/times" unshare+chroot 1.0; target "$tmp/times" crun 0.5
	after_before "$tmp/times"
	if read -r _ rl _ < <(grep '^carapace-rootless ' "$tmp/times") &&
		read -r _ brl _ < <(grep '^bwrap-rootless ' "$tmp/times"); then
		awk -v c="$rl" -v b="$brl" 'BEGIN { printf "# rootless: carapace %.2fx bwrap, both as nobody\n", c / b }'
	fi
	# --overlay against a plain carapace run: within 1.3x.
	if read -r _ ovl _ < <(grep '^carapace-overlay ' "$tmp/times") && [ "$base" != - ]; then
		awk -v c="$base" -v o="$ovl" 'BEGIN {
			printf "# target: carapace --overlay median <= 1.3x carapace: %.2fx, %s\n", o / c,
				o / c <= 1.3 ? "met" : "NOT met" }'
	fi
}

# Spaced: what a start costs when the last container's teardown (its
# namespaces, mounts, cgroup, freed after it exits, some of it by RCU) is
# over, as for starts that come one by one, not in a loop.
spaced_section() {
	note "start-up of '... /bin/true', spaced: each start 0.25 s after the last one ended" \
		"(hyperfine --prepare 'sleep 0.25'), $(in_rounds "$SPACED_RUNS" 0)"
	startup_rows "$tmp/spaced-times" "$SPACED_RUNS" 0.25
	echo
	target "$tmp/spaced-times" unshare+chroot 1.0 " (spaced)"
	target "$tmp/spaced-times" crun 0.5 " (spaced)"
	after_before "$tmp/spaced-times" " (spaced)"
}

# Parallel: PAR_N (100) starts at once, containers a second (t/parallel-bench.sh).
parallel_section() {
	CARAPACE=$CARAPACE ROOTFS=$ROOTFS BENCH_BEFORE=$BEFORE "${self%/*}/parallel-bench.sh" ||
		note "parallel: not measured"
}

# Tarball: `run -r x.tar` against a folder of the same content. Where
# carapace keeps a cache of unpacked tarballs (run --cache), it is one of
# the run's own, and the rows are the second start (hyperfine's warm-ups
# fill the cache), the first (the cache emptied before each, untimed; 2
# runs a round, as each costs about ten of the others) and
# --cache none (unpacked into memory at each start, as before the cache);
# without one, every start unpacks. The tarball is the rootfs and
# BENCH_TAR_FILES (5000) files of 4 KiB, about a small distribution's
# count, plain tar, so that the rows measure the unpack and not a
# decompressor.
tarball_section() {
	local dir=$tmp/tarroot tar=$tmp/rootfs.tar n=${BENCH_TAR_FILES:-5000} k page cache=()
	mkdir -p "$dir/usr/share/bench" && cp -a "$ROOTFS/." "$dir/" || return
	page=$(printf '%4096s' '')
	for ((k = 0; k < n; k++)); do printf '%s' "$page" >"$dir/usr/share/bench/$k"; done
	tar -C "$dir" -cf "$tar" . || return
	"$CARAPACE" run --help 2>&1 | grep -q -- '--cache DIR' && cache=(--cache "$tmp/cache")
	note "run -r of a tarball ($(du -m "$tar" | cut -f1) MiB, $((n + $(find "$ROOTFS" | wc -l))) entries)" \
		"against a folder of the same content, $(
			[ ${#cache[@]} = 0 ] && echo "no cache: every start unpacks" ||
			echo "cached: tarball is the second start")" \
		"$(in_rounds "$BENCH_RUNS")"
	local results=$tmp/tar-times
	t_names=(carapace-folder carapace-tarball) t_wraps=() t_preps=() t_runs=()
	t_cmds=("$(q "$CARAPACE" run -q -r "$dir" /bin/true)"
		"$(q "$CARAPACE" run -q "${cache[@]}" -r "$tar" /bin/true)")
	if [ ${#cache[@]} != 0 ]; then
		t_names+=(carapace-tarball-first carapace-tarball-nocache)
		t_cmds+=("${t_cmds[1]}" "$(q "$CARAPACE" run -q --cache none -r "$tar" /bin/true)")
		t_preps[2]=$(q "$CARAPACE" prune --cache "$tmp/cache") t_runs[2]=2
	fi
	if [ -n "$BEFORE" ]; then
		t_names+=(carapace-before-folder carapace-before-tarball)
		t_cmds+=("$(q "$BEFORE" run -q -r "$dir" /bin/true)" "$(q "$BEFORE" run -q -r "$tar" /bin/true)")
	fi
	rounds "$results" "$BENCH_RUNS"
	printf '%-24s %10s %22s %14s\n' name "median ms" "mean ± sd ms" tarball/folder
	[ ${#cache[@]} = 0 ] || "$CARAPACE" prune "${cache[@]}" >/dev/null 2>&1
	awk '{ name[NR] = $1; med[NR] = $2; mean[NR] = $3; sd[NR] = $4; by[$1] = $2 }
		END { for (i = 1; i <= NR; i++) { f = name[i]; sub(/-tarball.*$/, "-folder", f)
			printf "%-24s %10.2f %13.2f ± %5.2f %14s\n", name[i], med[i], mean[i], sd[i],
				name[i] ~ /-tarball/ && by[f] ? sprintf("%.2fx", med[i] / by[f]) : "" } }' "$results"
	# "Costs what a folder costs": within a tenth, about one run's noise.
	read -r _ k _ < <(grep '^carapace-tarball ' "$results") || return
	read -r _ page _ < <(grep '^carapace-folder ' "$results") || return
	awk -v t="$k" -v f="$page" 'BEGIN {
		printf "# target: the second start of a tarball <= 1.1x a folder: %.2fx, %s\n",
			t / f, (t / f <= 1.1 ? "met" : "NOT met") }'
}

# OCI: create + start + delete of /bin/true, as engines drive a runtime, the
# same three calls for each in one bash -c (so each pays the same shell).
oci_section() {
	local name bin wrap r life cmd err obase med mean sd oci_results=$tmp/oci-times
	note "OCI create + start + delete of /bin/true: $(in_rounds "$BENCH_RUNS")"
	t_names=() t_cmds=() t_wraps=() t_preps=() t_runs=()
	for name in carapace ${BEFORE:+carapace-before} crun runc; do
		bin=$(runtime_bin "$name")
		command -v "$bin" >/dev/null || { note "$name: skipped, no $bin"; continue; }
		wrap=; [ "$name" = crun ] && wrap=$crun_ns
		mkdir -p "$tmp/oci-$name"
		r=$(q "$bin" --root "$tmp/oci-$name")
		# One line: hyperfine -N splits words as a shell does, but knows no $'\n'.
		life="$r create --bundle $(q "$(bundle /bin/true)") $id-oci && $r start $id-oci"
		cmd=$(q bash -c "$life && $r delete --force $id-oci")
		if ! err=$(eval "$wrap $cmd" 2>&1 </dev/null); then
			note "$name: skipped, it fails: $(printf '%s' "$err" | head -n 1)"
			eval "$r delete --force $id-oci" >/dev/null 2>&1
			continue
		fi
		t_names+=("$name") t_cmds+=("$cmd") t_wraps+=("$wrap")
	done
	rounds "$oci_results" "$BENCH_RUNS"
	read -r _ obase _ < <(grep '^carapace ' "$oci_results") || obase=-
	printf '%-18s %10s %22s %14s\n' name "median ms" "mean ± sd ms" carapace/peer
	while read -r name med mean sd; do
		printf '%-18s %10.2f %13.2f ± %5.2f %14s\n' "$name" "$med" "$mean" "$sd" "$(ratio "$obase" "$med")"
	done <"$oci_results"
	target "$oci_results" crun 0.5 " (OCI create+start+delete)"
	after_before "$oci_results" " (OCI create+start+delete)"
}

# exec: /bin/true into a running container (its init, sleep), as podman
# exec and ctr task exec ask a runtime, for each runtime: create and start
# once, then the timing of exec alone, then delete. For crun, all of it in
# crun's mount namespace.
exec_section() {
	local name bin wrap r up err ebase med mean sd k exec_results=$tmp/exec-times downs=()
	note "OCI exec of /bin/true into a running container (sleep 1000, made once for each" \
		"runtime): $(in_rounds "$BENCH_RUNS")"
	t_names=() t_cmds=() t_wraps=() t_preps=() t_runs=()
	for name in carapace ${BEFORE:+carapace-before} crun runc; do
		bin=$(runtime_bin "$name")
		command -v "$bin" >/dev/null || { note "$name: skipped, no $bin"; continue; }
		wrap=; [ "$name" = crun ] && wrap=$crun_ns
		mkdir -p "$tmp/exec-$name"
		r=$(q "$bin" --root "$tmp/exec-$name")
		up="$r create --bundle $(q "$(bundle /bin/sleep 1000)") $id-exec </dev/null >/dev/null 2>&1 && $r start $id-exec"
		downs+=("$wrap $r delete --force $id-exec")
		if ! err=$(eval "$wrap $(q bash -c "$up")" 2>&1 </dev/null); then
			note "$name: skipped, its create or start fails: $(printf '%s' "$err" | head -n 1)"
		elif ! err=$(eval "$wrap $r exec $id-exec /bin/true" 2>&1 </dev/null); then
			note "$name: skipped, it fails: $(printf '%s' "$err" | head -n 1)"
		else
			t_names+=("$name") t_cmds+=("$r exec $id-exec /bin/true") t_wraps+=("$wrap")
		fi
	done
	rounds "$exec_results" "$BENCH_RUNS"
	for k in "${!downs[@]}"; do eval "${downs[k]}" >/dev/null 2>&1; done
	read -r _ ebase _ < <(grep '^carapace ' "$exec_results") || ebase=-
	printf '%-18s %10s %22s %14s\n' name "median ms" "mean ± sd ms" carapace/peer
	while read -r name med mean sd; do
		printf '%-18s %10.2f %13.2f ± %5.2f %14s\n' "$name" "$med" "$mean" "$sd" "$(ratio "$ebase" "$med")"
	done <"$exec_results"
	target "$exec_results" crun 0.5 " (OCI exec)"
	after_before "$exec_results" " (OCI exec)"
}

# launcher_hwm I: VmHWM of NAME's launcher process alone, read while the
# workload sleeps; GNU time can only tell the biggest process of the tree.
launcher_hwm() {
	local pid kib
	# Late enough for runc on a busy machine, before the workload exits.
	( eval "exec ${wraps[$1]} $(peer_cmd "${names[$1]}" /bin/sleep 1)" ) >/dev/null 2>&1 </dev/null &
	pid=$!
	sleep 0.7
	kib=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status" 2>/dev/null)
	wait "$pid" && [ -n "$kib" ] && echo "$kib"
}
tree_rss() {
	[ -x /usr/bin/time ] || return
	eval "${wraps[$1]} $(q /usr/bin/time -f %M -o "$tmp/rss")${cmds[$1]}" >/dev/null 2>&1 </dev/null &&
		cat "$tmp/rss"
}
median_of() { # FUNCTION I: median of BENCH_MEM_RUNS outputs, or -
	local r
	for ((r = 0; r < MEM_RUNS; r++)); do "$1" "$2"; done | sort -n |
		awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "-" }'
}

memory_section() {
	local i hwm tree chwm ctree
	note "memory: peak RSS in KiB, median of $MEM_RUNS runs. launcher: VmHWM of the launcher" \
		"process alone (workload /bin/sleep 1). tree: GNU time %M, the biggest process" \
		"the launcher waited for, itself included: often the busybox workload." \
		"For carapace the launcher and the container's init are the same binary."
	printf '%-18s %12s %14s %12s %14s\n' name "launcher KiB" peer/carapace "tree KiB" peer/carapace
	chwm=- ctree=-
	for i in "${!names[@]}"; do
		hwm=$(median_of launcher_hwm "$i") tree=$(median_of tree_rss "$i")
		[ "${names[i]}" = carapace ] && chwm=$hwm ctree=$tree
		printf '%-18s %12s %14s %12s %14s\n' "${names[i]}" "$hwm" "$(ratio "$hwm" "$chwm")" \
			"$tree" "$(ratio "$tree" "$ctree")"
	done
}

size_section() {
	local csize bin path size link
	note "size: bytes after strip (a stripped copy); dynamic ones also load libraries"
	printf '%-18s %10s %8s %14s\n' binary bytes linkage peer/carapace
	csize=-
	for bin in "$CARAPACE" ${UNPACKED:+"$UNPACKED"} ${BEFORE:+"$BEFORE"} crun runc bwrap tini tini-static; do
		path=$(command -v "$bin") || continue
		cp "$path" "$tmp/strip" && { strip "$tmp/strip" 2>/dev/null || true; }
		size=$(stat -c %s "$tmp/strip")
		link=static; readelf -l "$tmp/strip" 2>/dev/null | grep -q INTERP && link=dynamic
		[ "$path" = "$CARAPACE" ] && csize=$size
		printf '%-18s %10s %8s %14s\n' "$(basename "$path")" "$size" "$link" "$(ratio "$size" "$csize")"
	done
}

# BENCH_ROWS: the sections to run, by name (default all of them).
sections=(startup spaced parallel tarball oci exec memory size)
base=-
for section in ${BENCH_ROWS:-${sections[*]}}; do
	case " ${sections[*]} " in *" $section "*) ;; *) note "BENCH_ROWS: no section $section"; continue ;; esac
	[ "$section" = spaced ] && [ "$SPACED_RUNS" -le 0 ] && continue
	echo
	"${section}_section"
done

note "bench.sh: $SECONDS s"
[ "$base" != - ] || [[ " ${BENCH_ROWS-startup} " != *" startup "* ]] || { echo "bench.sh: carapace was not measured (no $CARAPACE? run make)" >&2; exit 1; }
exit 0
