#!/bin/bash
# t/705-network-attacks.t: the rootfs is hostile to carapace's /etc files.
# A symlink, a folder or a fifo where /etc/hosts, /etc/resolv.conf or /etc
# itself should be is left as it is, with a warning: nothing is bound or
# written through it, on the host or in the rootfs. And container: of a
# container that is no more, or never ran. Every run is --network none:
# the test needs no network namespace of its own.
. "$(dirname "$0")/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root"
STATE=$TMPDIR/state
R=$TMPDIR/rootfs
cp -a "$ROOTFS" "$R"
net() { "$CARAPACE" --root "$STATE" run -q -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" "$@"; }
snapshot_host

# --- /etc/hosts a symlink to a host file, /etc/resolv.conf a fifo, /etc/hostname a folder
echo victim >"$TMPDIR/victim"
rm -f "$R/etc/hosts" "$R/etc/hostname"
ln -s "$TMPDIR/victim" "$R/etc/hosts"
mkfifo "$R/etc/resolv.conf"
mkdir "$R/etc/hostname"
run "$CARAPACE" --root "$STATE" run -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" \
	--hostname evil -- sh -c 'readlink /etc/hosts; test -p /etc/resolv.conf && echo fifo; test -d /etc/hostname && echo dir'
is "$RC" 0 "the container runs"
is "$OUT" "$TMPDIR/victim"$'\nfifo\ndir' "each is left as it is in the container"
like "$ERR" "warning: network: /etc/hosts: not a regular file in the rootfs" "a warning for the symlink"
like "$ERR" "warning: network: /etc/resolv.conf: not a regular file" "a warning for the fifo"
is "$(cat "$TMPDIR/victim")" victim "the host file the symlink names is untouched"
is "$(grep -c "$TMPDIR/victim" /proc/self/mountinfo)" 0 "and nothing is mounted on it"
ok "the symlink in the rootfs is still a symlink" test -L "$R/etc/hosts"

# --- /etc itself a symlink out of the root
mv "$R/etc" "$R/etc.real"
mkdir "$TMPDIR/outside"
ln -s "$TMPDIR/outside" "$R/etc"
run "$CARAPACE" --root "$STATE" run -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" -- true
is "$RC" 0 "a rootfs whose /etc is a symlink runs"
like "$ERR" "warning: network: /etc: .* carapace's files not bound" "with a warning"
is "$(ls -A "$TMPDIR/outside")" "" "nothing is made where the symlink points"
rm "$R/etc"
mv "$R/etc.real" "$R/etc"

# --- no /etc/resolv.conf: made in the overlay, not in the rootfs folder
rm -f "$R/etc/resolv.conf"
run net -- test -f /etc/resolv.conf
is "$RC" 0 "a missing /etc/resolv.conf is there in the container"
ok "but not in the rootfs folder" test ! -e "$R/etc/resolv.conf"
for mode in --read-only --rootfs-rw; do
	run net $mode -- true
	ok "$mode: no /etc/resolv.conf made in the rootfs folder, which is the root" \
		test ! -e "$R/etc/resolv.conf"
done

# --- container: of a container whose init is gone
oci_bundle "$TMPDIR/b" c705
oci_patch "$TMPDIR/b" 'c["process"]["args"] = ["sleep", "60"]'
"$CARAPACE" --root "$STATE" create --bundle "$TMPDIR/b" c705 >/dev/null 2>&1 </dev/null
PID=$("$CARAPACE" --root "$STATE" state c705 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
kill -KILL "$PID"
for _ in $(seq 100); do [ -e "/proc/$PID" ] || break; sleep 0.05; done
run net --network container:c705 -- true
is "$RC:$ERR" "125:carapace: --network: container:c705: not running" "container: of a stopped container: 125, one line"
"$CARAPACE" --root "$STATE" delete --force c705

ok "no /etc files' folder left, nor .network" test ! -e "$STATE/.network"
no_leaks
done_testing
