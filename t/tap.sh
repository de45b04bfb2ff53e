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
# skip_all WHY: the whole test skipped; after some tests ran, the rest of it.
skip_all() {
	[ "$_tap_n" -eq 0 ] && { echo "1..0 # SKIP $*"; exit 0; }
	note "the rest skipped: $*"
	done_testing
}
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

# What a test makes is its own, and its leak checks look at nothing else,
# so that other containers on the host (or another run of the suite) can't
# fail it, nor hide what it left:
# - cgroups: its containers' go under $TEST_CGROUP_PARENT (cara gives it;
#   a direct "$CARAPACE" run passes --cgroup-parent "$TEST_CGROUP_PARENT"),
#   and own_cgroup names any other it makes (a --name under the default
#   parent, carapace, when that parent is what the test is about);
# - files: $TMPDIR is a folder of its own, so mktemp's files are the test's;
# - processes: its descendants, and processes that carry CARAPACE_TEST_ID
#   in their environment (a daemon's, as tmux's server, reparented away),
#   with theirs.
TEST_NAME=$(basename "$0" .t)
CARAPACE_TEST_ID=$TEST_NAME-$$
TEST_CGROUP_PARENT=carapace-test-$CARAPACE_TEST_ID
# Under an outer test's $TMPDIR, if it is there (a test may chroot or
# change its mount namespace, and then run a test of its own).
[ -d "${TMPDIR:-/tmp}" ] || TMPDIR=/tmp
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/carapace-test-$CARAPACE_TEST_ID.XXXXXX") ||
	{ echo "Bail out! $TEST_NAME: no temporary folder"; exit 1; }
# Not mktemp's 0700: a test's ordinary users reach their folders in it.
chmod 0755 "$TMPDIR"
# Root's tarballs are unpacked into the test's cache, which goes with $TMPDIR.
CARAPACE_CACHE=$TMPDIR/cache
export CARAPACE_TEST_ID TEST_CGROUP_PARENT TMPDIR CARAPACE_CACHE
_tap_own_cgroups=()

# own_cgroup PATH...: cgroup paths (from a hierarchy's root; shell patterns
# too) that the test makes outside $TEST_CGROUP_PARENT; no_leaks checks
# that they go.
own_cgroup() { _tap_own_cgroups+=("$@"); }

# $TMPDIR goes when the test exits, after the test's own EXIT trap: this
# trap keeps a test's "trap CMD EXIT" for _tap_exit to run first.
_tap_exit_cmd=
trap() {
	if [ $# = 2 ] && [ "$2" = EXIT ]; then
		if [ "$1" = - ]; then _tap_exit_cmd=; else _tap_exit_cmd=$1; fi
	else
		builtin trap "$@"
	fi
}
_tap_exit() {
	local rc=$?
	eval "$_tap_exit_cmd"
	# Never across a mount that a failed test left: only the test's files.
	rm -rf --one-file-system -- "$TMPDIR" 2>/dev/null || rmdir -- "$TMPDIR" 2>/dev/null
	exit "$rc"
}
builtin trap _tap_exit EXIT

# cara ARGS...: shorthand for running carapace quietly in the test rootfs,
# in the test's cgroup parent.
cara() { "$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" "$@"; }

# Leak checks: what carapace may leave on the host is mounts, cgroup
# directories and processes. snapshot_host records the test's own,
# no_leaks reports what is new since.

# The hierarchies' mount points, v1 and v2 (mountinfo has a variable
# number of optional fields before the "-" separator).
_tap_cgroup_mounts() {
	awk '{ for (i = 7; $i != "-"; i++); if ($(i + 1) ~ /^cgroup2?$/) print $5 }' /proc/self/mountinfo
}

# The test's cgroups, one directory a line: under its parent, in every
# hierarchy, and those that own_cgroup named.
_tap_cgroup_dirs() {
	local m p d
	for m in $(_tap_cgroup_mounts); do
		for p in "$TEST_CGROUP_PARENT" "${_tap_own_cgroups[@]}"; do
			# shellcheck disable=SC2206 # a pattern, as own_cgroup allows
			for d in "$m"/$p; do [ -d "$d" ] && find "$d" -type d; done
		done
	done 2>/dev/null | sort -u
}

# The test's processes that carapace may leave: of the test's (see above),
# those that run $CARAPACE; and every process in the test's cgroups (DIRS).
# One ls and one cat for all, not a readlink per process: forks are slow
# on a loaded VM. (Not find -lname: the VM's busybox find lacks it.)
_tap_processes() {
	local d
	{
		echo "root $$"
		grep -lzsx "CARAPACE_TEST_ID=$CARAPACE_TEST_ID" /proc/[0-9]*/environ |
			sed -n 's,^/proc/\([0-9]*\)/environ$,root \1,p'
		# "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses.
		cat /proc/[0-9]*/stat 2>/dev/null |
			sed -n 's/^\([0-9]*\) (\(.*\)) . \([0-9]*\) .*/stat \1 \3 \2/p'
		ls -l /proc/[0-9]*/exe 2>/dev/null | awk -v exe="$CARAPACE" \
			'$NF == exe { split($(NF - 2), p, "/"); print "exe " p[3] }'
		for d; do sed "s,^,cgroup $d ," "$d/cgroup.procs" 2>/dev/null; done
	} | awk '
		$1 == "root" { root[$2] = 1 }
		$1 == "stat" { ppid[$2] = $3; c = $0; sub(/^stat [0-9]+ [0-9]+ /, "", c); comm[$2] = c }
		$1 == "exe" { exe[$2] = 1 }
		$1 == "cgroup" { if (!($3 in where)) where[$3] = $2 }
		# Whether PID descends from a root: the chain of parents, up to 1 or 0.
		function ours(pid, n) {
			for (n = 0; pid + 0 > 1 && n < 1000; n++) {
				if (pid in root) return 1
				pid = ppid[pid]
			}
			return 0
		}
		END {
			for (pid in where)
				if (pid in ppid)
					print "process " pid " (" comm[pid] ") in " where[pid]
			for (pid in exe)
				if (!(pid in where) && (pid in ppid) && ours(pid))
					print "process " pid " (" comm[pid] ")"
		}'
}

# The test's mounts: mount points under its paths (its $TMPDIR, the
# checkout, the rootfs), and anywhere, a bind of something under them (a
# mount whose device is theirs and whose root, the folder bound, is in
# them). A mount elsewhere can't be told from another tool's; a container
# whose mount namespace leaked would fail the isolation tests too.
_tap_mounts() {
	awk -v paths="$TMPDIR $ROOTFS $TOP" '
		function under(p, d) { return d == "/" || p == d || substr(p, 1, length(d) + 1) == d "/" }
		{ mp[NR] = $5; dev[NR] = $3; root[NR] = $4; line[NR] = $0 }
		END {
			n = split(paths, path, " ")
			# Where each path is on its device: its mount'"'"'s root, and the rest.
			for (i = 1; i <= n; i++) {
				best = 0
				# The longest mount point; the last of equals, on top.
				for (j = 1; j <= NR; j++)
					if (under(path[i], mp[j]) && (!best || length(mp[j]) >= length(mp[best])))
						best = j
				if (!best) continue
				rest = mp[best] == "/" ? path[i] : substr(path[i], length(mp[best]) + 1)
				pdev[i] = dev[best]
				proot[i] = root[best] == "/" ? (rest == "" ? "/" : rest) : root[best] rest
			}
			for (j = 1; j <= NR; j++) {
				split(line[j], f, " - ")
				split(f[2], t, " ")
				for (i = 1; i <= n; i++)
					if (under(mp[j], path[i]) || (i in pdev && dev[j] == pdev[i] &&
					    under(root[j], proot[i]))) {
						print "mount " mp[j] " (" t[1] " " t[2] ")"
						break
					}
			}
		}' /proc/self/mountinfo
}

# The state folders that the test's runs registered under the default root
# (carapace run registers every container: src/monitor.c): a run that was
# given the test's cgroup parent names it in a run_arg line of its state
# (escaped: the name has nothing to escape).
_tap_states() {
	local f
	for f in /run/carapace/*/state; do
		[ -f "$f" ] && grep -qxF -- "run_arg $TEST_CGROUP_PARENT" "$f" && echo "state folder ${f%/state}"
	done 2>/dev/null
}

# A test may define host_state_extra to print more of what it owns, one
# thing a line (an engine's state folders, its daemons): no_leaks reports
# the lines that are new since snapshot_host too.
_host_state() {
	local dirs
	dirs=$(_tap_cgroup_dirs)
	_tap_mounts | sort
	_tap_states
	if declare -F host_state_extra >/dev/null; then host_state_extra | sort; fi
	[ -n "$dirs" ] && printf 'cgroup %s\n' $dirs
	# shellcheck disable=SC2086 # one directory a word: cgroup paths have no spaces
	_tap_processes $dirs | sort
}
snapshot_host() { _tap_snapshot=$(_host_state); }

# no_leaks [DESC]: passes when the test made nothing since snapshot_host
# that is still there; a failure lists what was left, one line each.
no_leaks() {
	local now left i
	# A container that just exited may take a moment to vanish from /proc.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		now=$(_host_state)
		left=$(awk 'NR == FNR { old[$0]; next } $0 != "" && !($0 in old)' \
			<(printf '%s\n' "$_tap_snapshot") <(printf '%s\n' "$now"))
		[ -z "$left" ] && break
		sleep 0.2
	done
	if [ -z "$left" ]; then pass "${1:-nothing left behind}"; else
		fail "${1:-nothing left behind}"
		diag "$(printf '%s\n' "$left" | sed "s|^|$TEST_NAME left behind: |")"
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
# asan_build: $CARAPACE is make check-asan's build, dynamic and linked
# with glibc and libasan, which the test rootfs and the VM don't have.
asan_build() { case $CARAPACE in "$TOP"/build/asan/*) return 0 ;; esac; return 1; }
# skip_sealed_copy N [WHAT]: N skips, for the asan_build's subtests that
# need the sealed copy (--privileged, CAP_SYS_ADMIN, no Landlock): that copy
# is carapace itself, exec'd in the container, where the ASan build can't run.
skip_sealed_copy() {
	local i
	for ((i = 0; i < $1; i++)); do
		skip "${2:+$2: }the sealed copy: the ASan build can't run in the rootfs"
	done
}
need_rootfs() { [ -x "$ROOTFS/bin/busybox" ] || skip_all "no $ROOTFS: run ./setup.sh"; }

# attacker_setup USER [racer]: the race tests' stage. $work, a folder of the
# test's (755, so that USER may go through it); USER, a throwaway ordinary
# user, the attacker, made now and removed at exit; with "racer", the
# rename racer (t/rename-race.c) built as $work/rename-race. A test that
# starts the racer puts its pid in $racer, and the exit ends it.
attacker_setup() {
	work=$(mktemp -d) user=$1-$$ racer=	# this run's user: tests share the host
	trap _attacker_cleanup EXIT
	chmod 755 "$work"
	if [ "${2:-}" = racer ]; then
		local cc=gcc
		command -v musl-gcc >/dev/null && cc="musl-gcc -static"
		$cc -O2 -Wall -o "$work/rename-race" "$TOP/t/rename-race.c" ||
			{ echo "Bail out! no C compiler"; exit 1; }
	fi
	useradd -r -M -s /bin/sh "$user"
}
_attacker_cleanup() {
	[ -n "$racer" ] && kill "$racer" 2>/dev/null && wait "$racer" 2>/dev/null
	id "$user" >/dev/null 2>&1 && userdel "$user"
	rm -rf -- "$work"
}

# oci_bundle DIR [NAME]: an OCI bundle in DIR (made if missing): a minimal
# valid config.json, as runc spec writes it but with a read-only root (the
# test rootfs, through DIR/rootfs, a symlink to it, as root.path is relative
# to the bundle), the usual mounts and namespaces, the command sh -c true,
# and its cgroup NAME (default: the folder's name) under the test's parent.
oci_bundle() {
	local dir=$1 name=${2:-$(basename "$1")}
	mkdir -p "$dir"
	ln -sfn "$ROOTFS" "$dir/rootfs"
	cat >"$dir/config.json" <<-JSON
	{
		"ociVersion": "1.0.2",
		"process": {
			"terminal": false,
			"user": { "uid": 0, "gid": 0 },
			"args": [ "sh", "-c", "true" ],
			"env": [ "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm" ],
			"cwd": "/",
			"capabilities": {
				"bounding": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
				"effective": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
				"permitted": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ],
				"ambient": [ "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE" ]
			},
			"rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
			"noNewPrivileges": true
		},
		"root": { "path": "rootfs", "readonly": true },
		"hostname": "oci",
		"mounts": [
			{ "destination": "/proc", "type": "proc", "source": "proc" },
			{ "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
			  "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
			{ "destination": "/dev/pts", "type": "devpts", "source": "devpts",
			  "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5" ] },
			{ "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
			  "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
			{ "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
			  "options": [ "nosuid", "noexec", "nodev" ] },
			{ "destination": "/sys", "type": "sysfs", "source": "sysfs",
			  "options": [ "nosuid", "noexec", "nodev", "ro" ] },
			{ "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
			  "options": [ "nosuid", "noexec", "nodev", "relatime", "ro" ] }
		],
		"linux": {
			"cgroupsPath": "/$TEST_CGROUP_PARENT/$name",
			"namespaces": [ { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
					{ "type": "uts" }, { "type": "mount" }, { "type": "cgroup" } ],
			"maskedPaths": [ "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
					 "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
					 "/sys/firmware", "/proc/scsi" ],
			"readonlyPaths": [ "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
					   "/proc/sys", "/proc/sysrq-trigger" ]
		}
	}
	JSON
}

# oci_patch DIR PYTHON...: edits DIR/config.json, as c, with python3
# statements: oci_patch "$b" 'c["process"]["args"] = ["true"]'.
oci_patch() {
	python3 - "$1/config.json" "$2" <<-'PY'
	import json, os, sys
	path, code = sys.argv[1], sys.argv[2]
	with open(path) as f:
	    c = json.load(f)
	exec(code)
	with open(path, "w") as f:
	    json.dump(c, f, indent=1)
	PY
}

# oci_run DIR [ARGS...]: carapace run --bundle DIR, quietly, as run captures it.
oci_run() { local dir=$1; shift; run "$CARAPACE" run -q --bundle "$dir" "$@"; }

# oci_lifecycle: the OCI life cycle as engines drive it, for t/650 to t/675.
# Sets STATE (the --root), B (the bundles' folder) and REAPER, and defines:
#   oci ARGS...          carapace --root $STATE ARGS...
#   bundle ID [make-bundle options] -- ARGS...
#                        a bundle in $B/ID (t/oci/make-bundle.py), in the
#                        test's cgroup parent
#   create_bg ID [GLOBAL OPTIONS...]
#                        create under t/oci-reaper.py (conmon's part), in the
#                        background: the reaper's status lines go to
#                        $B/ID.status, the container's output to $B/ID.out,
#                        its pid to $B/ID.pid; REAPER_PID is the reaper's
#   status_of ID         the "status" of carapace state's JSON
# It needs root, the binary, the rootfs and python3 (the bundles), or skips all.
oci_lifecycle() {
	need_root
	need_binary
	need_rootfs
	command -v python3 >/dev/null || skip_all "needs python3"
	STATE=$TMPDIR/state
	B=$TMPDIR/bundle
	REAPER=$TOP/t/oci-reaper.py
	oci() { "$CARAPACE" --root "$STATE" "$@"; }
	bundle() {
		local id=$1; shift
		"$TOP/t/oci/make-bundle.py" "$B/$id" "$ROOTFS" "/$TEST_CGROUP_PARENT/$id" "$@"
	}
	create_bg() {
		local id=$1; shift
		rm -f "$B/$id.status" "$B/$id.pid"
		"$REAPER" "$B/$id.pid" "$B/$id.status" \
			"$CARAPACE" --root "$STATE" "$@" create --bundle "$B/$id" --pid-file "$B/$id.pid" "$id" \
			>"$B/$id.out" 2>"$B/$id.err" </dev/null &
		REAPER_PID=$!
		wait_for "$B/$id.status" '^(created|create) '
	}
	status_of() {
		oci state "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'
	}
}

# probe_rootfs DIR: a copy of the test rootfs in DIR with t/seccomp-probe.c
# built into it as /bin/seccomp-probe (t/300, t/305); skips the test
# without musl-gcc or when the probe doesn't build. build/include has the
# kernel headers that musl lacks (make puts them there).
probe_rootfs() {
	command -v musl-gcc >/dev/null || skip_all "no musl-gcc to build t/seccomp-probe.c"
	cp -a "$ROOTFS" "$1"
	musl-gcc -static -O2 -isystem "$TOP/build/include" -o "$1/bin/seccomp-probe" \
		"$TOP/t/seccomp-probe.c" || skip_all "can't build t/seccomp-probe.c"
}

# The network tests' own namespace (t/700, t/715, t/720): in_own_netns "$@",
# first thing, runs the test again in a network namespace it makes (unshare
# --net), lo up there; the bridge, the rules, every address and port live
# there and vanish with it. outer_state prints the namespace the test was
# started in, which must be the same at the end.
in_own_netns() {
	if [ "${1:-}" != --in-netns ]; then
		unshare --net bash "$0" --in-netns $$
		exit $?
	fi
	_tap_outer=$2
	ip link set lo up || { echo "Bail out! lo up"; exit 1; }
}
outer_state() { nsenter --net="/proc/$_tap_outer/ns/net" sh -c 'ip -d link; nft list ruleset'; }

# network_test [TOOL...] -- "$@": the start of a test of the bridge (as
# root, in a network namespace of its own, with unshare, nsenter, ip, nft
# and each TOOL), and the outer namespace's links and rules as they were
# (OUTER_BEFORE), this one's links (LINKS_BEFORE) and the host's
# snapshot, to check at the end that it left nothing.
network_test() {
	local t tools=(unshare nsenter ip nft)
	while [ $# -gt 0 ] && [ "$1" != -- ]; do tools+=("$1"); shift; done
	shift
	[ "$(id -u)" = 0 ] || skip_all "needs root: the bridge, veths and nftables"
	for t in "${tools[@]}"; do
		command -v "$t" >/dev/null || skip_all "no $t"
	done
	in_own_netns "$@"
	OUTER_BEFORE=$(outer_state)
	LINKS_BEFORE=$(ip -d link)
	snapshot_host
}

# settle [N]: until N carapace veths are left (0), at most 10 s. A container's
# veth goes with its namespace, which the kernel tears down after the end:
# an address is given again only once its veth is gone.
settle() {
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(ip -o link | grep -c ': cp[0-9a-f]\{8\}[@:]')" -le "${1:-0}" ] && return 0
		sleep 0.05
	done
	diag "a veth is still there: $(ip -o link | grep -o 'cp[0-9a-f]\{8\}')"
}
