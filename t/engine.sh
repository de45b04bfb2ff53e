# t/engine.sh: what the engine tests (t/610-podman.t, t/620-containerd.t)
# share: the OCI runtime under test, and the leak checks for what an engine
# and its runtime leave behind. Source it after tap.sh.

# The runtime under test is carapace; ENGINE_RUNTIME=/usr/sbin/runc runs
# the same tests against runc, to prove the harness.
RUNTIME=$(realpath -m "${ENGINE_RUNTIME:-$CARAPACE}")
[ -x "$RUNTIME" ] || skip_all "no runtime $RUNTIME: run make, or set ENGINE_RUNTIME"

# The busybox rootfs as a tar, the layer of the test's image.
rootfs_tar() { tar -C "$ROOTFS" -cf "$1" .; }

# engine_state_dir DIR...: folders the runtime keeps a container's state in
# (ROOT/ID): host_state_extra names those still there.
_engine_state_dirs=$TMPDIR/engine-state-dirs
: >"$_engine_state_dirs"
engine_state_dir() { printf '%s\n' "$@" >>"$_engine_state_dirs"; }

# What no_leaks checks besides tap.sh's mounts, cgroups and processes:
# - the runtime's state folders (above);
# - processes of the runtime (its own binary) anywhere: podman's conmon
#   starts it with an environment of its own;
# - processes that carry the test's CARAPACE_TEST_ID but are not the test
#   shell's descendants: an engine's daemons that went away from it (a
#   containerd shim, which inherits containerd's environment);
# - network namespaces that an engine pins under /run/netns;
# - mounts under $ENGINE_DIRS, the engine's folders outside $TMPDIR.
host_state_extra() {
	local d
	while IFS= read -r d; do
		[ -e "$d" ] && echo "state $d"
	done <"$_engine_state_dirs"
	{
		echo "root $$"
		grep -lzsx "CARAPACE_TEST_ID=$CARAPACE_TEST_ID" /proc/[0-9]*/environ |
			sed -n 's,^/proc/\([0-9]*\)/environ$,env \1,p'
		cat /proc/[0-9]*/stat 2>/dev/null |
			sed -n 's/^\([0-9]*\) (\(.*\)) . \([0-9]*\) .*/stat \1 \3 \2/p'
		ls -l /proc/[0-9]*/exe 2>/dev/null | awk -v exe="$RUNTIME" \
			'$NF == exe { split($(NF - 2), p, "/"); print "exe " p[3] }'
	} | awk '
		$1 == "root" { root = $2 }
		$1 == "env" { env[$2] = 1 }
		$1 == "exe" { exe[$2] = 1 }
		$1 == "stat" { ppid[$2] = $3; c = $0; sub(/^stat [0-9]+ [0-9]+ /, "", c); comm[$2] = c }
		function mine(pid, n) {
			for (n = 0; pid + 0 > 1 && n < 1000; n++) {
				if (pid == root) return 1
				pid = ppid[pid]
			}
			return 0
		}
		END {
			for (pid in exe)
				if (pid in ppid) print "runtime process " pid " (" comm[pid] ")"
			for (pid in env)
				if ((pid in ppid) && !(pid in exe) && !mine(pid))
					print "engine process " pid " (" comm[pid] ")"
		}'
	for d in /run/netns/*; do [ -e "$d" ] && echo "netns $d"; done
	mountpoint -q /run/netns 2>/dev/null && echo "mount /run/netns"
	for d in ${ENGINE_DIRS:-}; do
		awk -v d="$d" 'substr($5, 1, length(d) + 1) == d "/" { print "mount " $5 }' /proc/self/mountinfo
	done
}

# drop_engine_cgroups: the engine's own cgroups under the test's parent go
# (podman's conmon/, and the parent itself, which runtimes make and leave:
# runc does), in every hierarchy, once empty. A container's cgroup that is
# left keeps the parent there, and no_leaks names both.
drop_engine_cgroups() {
	local m i left
	for ((i = 0; i < 20; i++)); do
		left=
		for m in $(_tap_cgroup_mounts); do
			[ -d "$m/$TEST_CGROUP_PARENT" ] || continue
			rmdir "$m/$TEST_CGROUP_PARENT/conmon" "$m/$TEST_CGROUP_PARENT" 2>/dev/null
			[ -d "$m/$TEST_CGROUP_PARENT" ] && left=1
		done
		[ -z "$left" ] && return
		sleep 0.1
	done
}

# nothing_left DESC: the engine's cgroups dropped, no_leaks.
nothing_left() { drop_engine_cgroups; no_leaks "$1"; }


# live_pid PID: PID is a number above 1 and a live process (kill -0 of an
# empty or 0 pid would signal the test's own group, and pass).
live_pid() { [[ ${1:-} =~ ^[0-9]+$ ]] && [ "$1" -gt 1 ] && kill -0 "$1"; }
