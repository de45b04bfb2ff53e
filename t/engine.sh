# t/engine.sh: what the engine tests (t/610-podman.t, t/615-podman-exec.t,
# t/620-containerd.t, t/625-containerd-exec.t) share: the OCI runtime under
# test, the leak checks for what an engine and its runtime leave behind, and
# the setups of podman (podman_setup) and containerd (containerd_setup).
# Source it after tap.sh.

# The runtime under test is carapace; ENGINE_RUNTIME=/usr/sbin/runc runs
# the same tests against runc, to prove the harness.
RUNTIME=$(realpath -m "${ENGINE_RUNTIME:-$CARAPACE}")
[ -x "$RUNTIME" ] || skip_all "no runtime $RUNTIME: run make, or set ENGINE_RUNTIME"

# runtime_has COMMAND: the runtime under test knows COMMAND (a carapace
# from before it says "unknown command"; runc and crun know them all).
runtime_has() {
	case $("$RUNTIME" "$1" 2>&1 </dev/null) in *"unknown command"*) return 1 ;; esac
}

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

# engine_done DESC: the engine's own go (its cleanup: podman's storage,
# containerd's daemon), then no_leaks against the host as it was before
# the setup.
engine_done() {
	"$_engine_cleanup"
	trap - EXIT
	_tap_snapshot=$_engine_start_snapshot
	no_leaks "$1"
}

# podman_setup: podman's configuration, storage and state, all in the
# test's folder, and the test's image ($IMAGE) imported from the rootfs.
# Defines new_cid, prun, last_id, inspect and wait_logs (below); the EXIT
# trap and engine_done remove it all. Run from $TMPDIR: conmon writes files
# in its folder (an "oom" file when the OOM killer came).
#
# The runtime is named carapace (podman keys what it expects of a runtime on
# its name, hence the name in runtime_supports_json); it is $RUNTIME, which
# keeps a container's state in its default --root, $STATE_ROOT (podman
# passes no --root). The host's limits: root's hard nofile is 20000 here,
# and the bounding set lacks CAP_SYS_RESOURCE, so podman's default ulimits
# can't be raised to. Its run folder and tmp_dir are in a short folder of
# their own: under a long path (as $TMPDIR's) conmon's attach socket fails,
# and each podman run then waits 20 s for an exit code that comes another
# way.
podman_setup() {
	local f d
	command -v podman >/dev/null || skip_all "podman is not installed (apt-get install podman)"
	command -v conmon >/dev/null || skip_all "conmon is not installed (apt-get install conmon)"
	case ${RUNTIME##*/} in
	runc) STATE_ROOT=/run/runc ;;
	crun) STATE_ROOT=/run/crun ;;
	*) STATE_ROOT=/run/carapace ;;
	esac
	STATE_ROOT=${ENGINE_STATE_ROOT:-$STATE_ROOT}
	# podman --init's init: catatonit, or tini's static build.
	INIT=
	for f in /usr/libexec/podman/catatonit /usr/bin/catatonit /usr/bin/tini-static; do
		[ -x "$f" ] && { INIT=$f; break; }
	done
	cd "$TMPDIR" || exit 1
	snapshot_host
	_engine_start_snapshot=$_tap_snapshot

	eng=$TMPDIR/podman
	short=$(mktemp -d /tmp/pm.XXXXXX) || { echo "Bail out! no folder in /tmp"; exit 1; }
	ENGINE_DIRS=$short
	mkdir -p "$eng/root" "$short/run" "$short/tmp" "$eng/net" "$eng/volumes"
	cat >"$eng/containers.conf" <<-EOC
	[containers]
	default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
	netns = "none"
	${INIT:+init_path = \"$INIT\"}
	[engine]
	cgroup_manager = "cgroupfs"
	events_logger = "file"
	events_logfile_path = "$eng/events.log"
	tmp_dir = "$short/tmp"
	static_dir = "$eng/root/libpod"
	volume_path = "$eng/volumes"
	runtime = "carapace"
	runtime_supports_json = ["crun", "runc", "kata", "runsc", "krun", "carapace"]
	[engine.runtimes]
	carapace = ["$RUNTIME"]
	[network]
	network_config_dir = "$eng/net"
	EOC
	cat >"$eng/storage.conf" <<-EOC
	[storage]
	driver = "overlay"
	graphroot = "$eng/root"
	runroot = "$short/run"
	# Not the driver's bind of its folder on itself, which comes and goes.
	[storage.options.overlay]
	skip_mount_home = "true"
	EOC
	export CONTAINERS_CONF=$eng/containers.conf CONTAINERS_STORAGE_CONF=$eng/storage.conf
	# Host folders that podman or netavark make when they are missing, and
	# that the test removes if it made them (netavark's ipam lock lives in one).
	_podman_made_dirs=()
	for d in /run/containers/networks /run/containers; do
		[ -e "$d" ] || _podman_made_dirs+=("$d")
	done
	# Podman makes /run/netns a shared bind of itself, once, and keeps it:
	# the test's to remove, if it was not there, once no namespace is
	# pinned in it.
	_podman_made_netns=
	[ -e /run/netns ] || _podman_made_netns=1

	IMAGE=localhost/carapace-test:latest
	_engine_cleanup=podman_cleanup
	trap podman_cleanup EXIT
	rootfs_tar "$TMPDIR/rootfs.tar"
	podman import -q "$TMPDIR/rootfs.tar" "$IMAGE" >/dev/null ||
		{ echo "Bail out! podman import failed"; exit 1; }
	rm -f "$TMPDIR/rootfs.tar"
	_runs=0
}

drop_run_netns() {
	[ -n "$_podman_made_netns" ] && [ -d /run/netns ] || return 0
	[ -z "$(ls -A /run/netns)" ] || return 0
	mountpoint -q /run/netns && umount /run/netns
	rmdir /run/netns
}

podman_cleanup() {
	local d
	podman rm -a -f -t 0 >/dev/null 2>&1
	podman rmi -a -f >/dev/null 2>&1
	# What podman failed to unmount (a container's root), so that no rm
	# crosses it.
	for d in "$eng" "$short"; do
		awk -v d="$d" 'substr($5, 1, length(d) + 1) == d "/" { print $5 }' /proc/self/mountinfo
	done | sort -r | while read -r m; do umount "$m"; done
	rm -rf --one-file-system -- "$short"
	drop_engine_cgroups
	drop_run_netns
	for d in "${_podman_made_dirs[@]}"; do
		[ "$d" = /run/containers/networks ] && rm -f "$d/ipam.db"
		rmdir "$d" 2>/dev/null
	done
}

# prun ARGS...: podman run in the test's cgroup parent, bounded in time.
# The run's container id goes to the file $cid, which new_cid names before
# (in the test's shell, not in a prun's $(...)); last_id reads it, and the
# container's state folder becomes one the leak checks look for.
new_cid() { _runs=$((_runs + 1)); cid=$TMPDIR/cid.$_runs; }
# Default signal dispositions, not the test's (a shell's & ignores SIGINT),
# so that what the workload gets is conmon's and the runtime's doing.
prun() {
	env --default-signal timeout -k 5 120 podman run --cgroup-parent "/$TEST_CGROUP_PARENT" --cidfile "$cid" "$@"
}
last_id() {
	local id
	id=$(cat "$cid" 2>/dev/null) && [ -n "$id" ] && engine_state_dir "$STATE_ROOT/$id"
	echo "$id"
}
# inspect ID FORMAT: one of podman inspect's fields.
inspect() { podman inspect -f "$2" "$1" 2>/dev/null; }
# wait_logs ID ERE: podman logs ID has a line matching ERE (10 s).
wait_logs() {
	local i
	for ((i = 0; i < 100; i++)); do
		podman logs "$1" 2>/dev/null | grep -Eq -- "$2" && return 0
		sleep 0.1
	done
	diag "podman logs $1: no /$2/ in: $(podman logs "$1" 2>&1 | tail -n 5)"
	return 1
}

# containerd_setup: a containerd of the test's own (its socket, root, state
# and config in the test's folder, no CRI plugin), started now and stopped
# by the EXIT trap or engine_done, with the test's image ($IMAGE) imported.
# The namespace ($NS) is the test's cgroup parent: ctr's containers'
# cgroups are /NS/ID, under $TEST_CGROUP_PARENT. The runtime's --root,
# $RROOT, is in the test's folder too (the shim adds the namespace).
# Defines c, cq, crun, task_status and wait_status (below).
containerd_setup() {
	local d i
	command -v containerd >/dev/null || skip_all "containerd is not installed (apt-get install containerd)"
	command -v ctr >/dev/null || skip_all "ctr is not installed (apt-get install containerd)"
	command -v containerd-shim-runc-v2 >/dev/null || skip_all "containerd-shim-runc-v2 is not installed"
	snapshot_host
	_engine_start_snapshot=$_tap_snapshot

	eng=$TMPDIR/containerd
	mkdir -p "$eng" "$eng/fifo"
	sock=$eng/containerd.sock
	cat >"$eng/config.toml" <<-EOC
	version = 2
	root = "$eng/root"
	state = "$eng/state"
	disabled_plugins = [
		"io.containerd.grpc.v1.cri",
		"io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
		"io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs",
		"io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
	]
	[grpc]
	  address = "$sock"
	[ttrpc]
	  address = "$sock.ttrpc"
	[debug]
	  address = ""
	[metrics]
	  address = ""
	EOC
	# The shims' sockets are in /run/containerd/s whatever the config says:
	# the test removes the folders it made.
	_containerd_made_dirs=()
	for d in /run/containerd/s /run/containerd; do
		[ -e "$d" ] || _containerd_made_dirs+=("$d")
	done
	NS=$TEST_CGROUP_PARENT
	RROOT=$eng/runtime-root
	IMAGE=localhost/carapace-test:latest

	_containerd_daemon=
	_engine_cleanup=containerd_cleanup
	trap containerd_cleanup EXIT
	containerd --config "$eng/config.toml" >"$eng/log" 2>&1 &
	_containerd_daemon=$!
	for ((i = 0; i < 100; i++)); do
		[ -S "$sock" ] && c version >/dev/null 2>&1 && break
		sleep 0.1
	done
	c version >/dev/null 2>&1 || { echo "Bail out! containerd did not start: $(tail -n 3 "$eng/log")"; exit 1; }
	containerd_import_image
}

# The image: an OCI image layout of the busybox rootfs, one layer, written
# here (no registry is reachable) and imported with ctr.
containerd_import_image() {
	local img=$TMPDIR/image diff_id layer config manifest
	mkdir -p "$img/blobs/sha256"
	rootfs_tar "$TMPDIR/layer.tar"
	diff_id=$(sha256sum "$TMPDIR/layer.tar" | cut -d' ' -f1)
	layer=$(_oci_blob "$img" "$TMPDIR/layer.tar" application/vnd.oci.image.layer.v1.tar)
	printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$(dpkg --print-architecture 2>/dev/null || echo amd64)" "$diff_id" >"$TMPDIR/config.json"
	config=$(_oci_blob "$img" "$TMPDIR/config.json" application/vnd.oci.image.config.v1+json)
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":%s,"layers":[%s]}' \
		"$config" "$layer" >"$TMPDIR/manifest.json"
	manifest=$(_oci_blob "$img" "$TMPDIR/manifest.json" application/vnd.oci.image.manifest.v1+json)
	printf '{"schemaVersion":2,"manifests":[%s]}' \
		"${manifest%\}},\"annotations\":{\"io.containerd.image.name\":\"$IMAGE\",\"org.opencontainers.image.ref.name\":\"latest\"}}" \
		>"$img/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$img/oci-layout"
	tar -C "$img" -cf "$TMPDIR/image.tar" . && rm -rf -- "$img"
	c image import --all-platforms "$TMPDIR/image.tar" >/dev/null ||
		{ echo "Bail out! ctr image import failed"; exit 1; }
	rm -f "$TMPDIR/image.tar"
	c image ls -q | grep -qx "$IMAGE" || { echo "Bail out! no $IMAGE after the import"; exit 1; }
}
# _oci_blob LAYOUT FILE MEDIATYPE: moves FILE into the layout; prints its
# descriptor.
_oci_blob() {
	local d s
	d=$(sha256sum "$2" | cut -d' ' -f1) s=$(stat -c %s "$2")
	mv "$2" "$1/blobs/sha256/$d"
	printf '{"mediaType":"%s","digest":"sha256:%s","size":%s}' "$3" "$d" "$s"
}

containerd_cleanup() {
	local id d
	if [ -n "$_containerd_daemon" ]; then
		for id in $(c task ls -q 2>/dev/null); do
			c task kill -s KILL "$id" >/dev/null 2>&1
			c task delete -f "$id" >/dev/null 2>&1
		done
		for id in $(c container ls -q 2>/dev/null); do c container delete "$id" >/dev/null 2>&1; done
		c image rm "$IMAGE" >/dev/null 2>&1
		kill -TERM "$_containerd_daemon" 2>/dev/null && wait "$_containerd_daemon"
		_containerd_daemon=
	fi
	awk -v d="$eng" 'substr($5, 1, length(d) + 1) == d "/" { print $5 }' /proc/self/mountinfo |
		sort -r | while read -r m; do umount "$m"; done
	drop_engine_cgroups
	for d in "${_containerd_made_dirs[@]}"; do rmdir "$d" 2>/dev/null; done
}

# c ARGS...: ctr on the test's daemon and namespace, bounded in time.
c() { timeout -k 5 60 ctr --address "$sock" --namespace "$NS" "$@"; }
# cq ARGS...: c, quiet: for the checks that expect a failure, and cleanups.
cq() { c "$@" >/dev/null 2>&1; }
# crun ID ARGS...: ctr run of the image with the runtime under test; ID's
# state folder becomes one the leak checks look for.
crun() {
	local id=$1; shift
	engine_state_dir "$RROOT/$NS/$id"
	c run --runc-binary "$RUNTIME" --runc-root "$RROOT" --fifo-dir "$eng/fifo" "$@"
}
# task_status ID: RUNNING, STOPPED... from ctr task ls.
task_status() { c task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }
# wait_status ID STATUS: until the task is in STATUS (10 s).
wait_status() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(task_status "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	diag "task $1: $(task_status "$1"), not $2"
	return 1
}
