# t/tap.sh: TAP helpers for carapace's shell tests.
# Source it first: . "$(dirname "$0")/tap.sh"
# Tests run from anywhere; paths below are absolute so a test may cd freely.

set -u

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CARAPACE=$(realpath -m "${CARAPACE:-$TOP/carapace}")
ROOTFS=$(realpath -m "${ROOTFS:-$TOP/rootfs}")
export CARAPACE ROOTFS TOP

_tap_n=0
_tap_failed=0
_tap_planned=

plan() { _tap_planned=$1; echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }
note() { printf '# %s\n' "$@"; }

pass() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
fail() {
	_tap_n=$((_tap_n + 1)); _tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $*"
}

# ok DESC CMD...: passes when CMD exits 0.
ok() {
	local desc=$1; shift
	if "$@"; then pass "$desc"; else fail "$desc"; diag "command failed: $*"; fi
}

# nok DESC CMD...: passes when CMD exits non-zero.
nok() {
	local desc=$1; shift
	if "$@"; then fail "$desc"; diag "command succeeded: $*"; else pass "$desc"; fi
}

# is GOT EXPECTED DESC
is() {
	if [ "$1" = "$2" ]; then pass "$3"; else
		fail "$3"; diag "     got: '$1'" "expected: '$2'"
	fi
}

# isnt GOT UNEXPECTED DESC
isnt() {
	if [ "$1" != "$2" ]; then pass "$3"; else
		fail "$3"; diag "got the unexpected '$1'"
	fi
}

# like GOT ERE DESC
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then pass "$3"; else
		fail "$3"; diag "     got: '$1'" "expected to match: /$2/"
	fi
}

# unlike GOT ERE DESC
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3"; diag "     got: '$1'" "expected not to match: /$2/"
	else pass "$3"; fi
}

skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }

done_testing() {
	[ -n "$_tap_planned" ] || echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}

# run CMD...: runs CMD, capturing $OUT, $ERR and $RC, with stdin from /dev/null
# unless the caller redirects it (use run_in for that).
run() { run_in /dev/null "$@"; }
run_in() {
	local in=$1; shift
	local o e
	o=$(mktemp) e=$(mktemp)
	"$@" <"$in" >"$o" 2>"$e"
	RC=$?
	OUT=$(cat "$o") ERR=$(cat "$e")
	rm -f "$o" "$e"
}

# crun_in ARGS...: shorthand for running carapace quietly in the test rootfs.
cara() { "$CARAPACE" run -q -r "$ROOTFS" "$@"; }

# Leak checks: what carapace may leave on the host is mounts, cgroup
# directories and processes. snapshot_host records them, no_leaks compares.
_host_state() {
	awk '{print $5}' /proc/self/mountinfo | sort
	find /sys/fs/cgroup -mindepth 1 -type d -name '*carapace*' 2>/dev/null | sort
	# One ls, not a readlink per process: forks are slow on a loaded VM.
	# (Not find -lname: the VM's busybox find lacks it.)
	ls -l /proc/[0-9]*/exe 2>/dev/null | awk -v exe="$CARAPACE" \
		'$NF == exe { split($(NF - 2), p, "/"); print "process " p[3] }' | sort
}
snapshot_host() { _tap_snapshot=$(_host_state); }
no_leaks() {
	local now i
	# A container that just exited may take a moment to vanish from /proc.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		now=$(_host_state)
		[ "$now" = "$_tap_snapshot" ] && break
		sleep 0.2
	done
	if [ "$now" = "$_tap_snapshot" ]; then pass "${1:-nothing left behind}"; else
		fail "${1:-nothing left behind}"
		diag "$(diff <(echo "$_tap_snapshot") <(echo "$now"))"
	fi
}

# wait_for FILE ERE [TRIES]: polls every 0.05 s (TRIES times, default 200: 10 s)
# until a line of FILE matches ERE.
wait_for() {
	local i
	for ((i = 0; i < ${3:-200}; i++)); do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	diag "timed out waiting for /$2/ in $1"
	return 1
}

# term_blocked PID: PID runs carapace (not yet bash or env before the exec)
# and has SIGTERM blocked, so a TERM now is taken, not fatal.
term_blocked() {
	local key value
	[ "/proc/$1/exe" -ef "$CARAPACE" ] || return 1
	while read -r key value; do
		if [ "$key" = SigBlk: ]; then (( 0x$value & 0x4000 )); return; fi
	done <"/proc/$1/status"
	return 1
}

# early_term_codes CMD...: 20 times, starts CMD in the background (with
# default signal dispositions) and sends it TERM as soon as carapace has
# TERM blocked; prints the 20 exit codes. $bg_pid names the one running.
early_term_codes() {
	local i j codes=
	for ((i = 0; i < 20; i++)); do
		env --default-signal "$@" </dev/null >/dev/null 2>&1 &
		bg_pid=$!
		for ((j = 0; j < 100000; j++)); do term_blocked "$bg_pid" 2>/dev/null && break; done
		kill -TERM "$bg_pid"
		wait "$bg_pid"
		codes+="$? "
		bg_pid=
	done
	echo "$codes"
}

# need_root: these tests create namespaces and mounts.
need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root"; }
need_binary() { [ -x "$CARAPACE" ] || skip_all "no $CARAPACE: run make"; }
need_rootfs() { [ -x "$ROOTFS/bin/busybox" ] || skip_all "no $ROOTFS: run ./setup.sh"; }
