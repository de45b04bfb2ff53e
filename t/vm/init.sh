#!/bin/sh
# /init of carapace's test VM (installed by build-initramfs.sh).
#
# Mounts a pure cgroup v2 system, runs /guest.t and ends the VM through
# isa-debug-exit: 0 = PASS (qemu exits 1), 1 = FAIL (qemu exits 3).
# If init itself exits, the kernel panics, panic=-1 reboots and QEMU's
# -no-reboot exits 0, which run.sh reads as "no verdict": never a PASS.

set -u
PATH=/bin
export PATH

# verdict 0|1: never returns.
verdict() {
	echo "--- guest verdict $1 ---"
	debug-exit "$1"
	echo "init: debug-exit failed, ending init instead" >&2
	exit 1
}

# must DESC CMD...: set-up steps; a failure is a FAIL verdict with a reason.
must() {
	desc=$1
	shift
	"$@" && return 0
	echo "init: cannot $desc: $*" >&2
	verdict 1
}

# Applet links are made here, as --install needs /proc/self/exe. It keeps
# what exists: /bin/realpath stays the GNU-like stand-in tap.sh needs.
busybox mount -t proc proc /proc || exit 1
busybox --install -s /bin || exit 1
must "mount /dev" mount -t devtmpfs devtmpfs /dev
# No-op when the initramfs had dev/console; otherwise init starts without fds.
exec </dev/console >/dev/console 2>&1
must "mount /sys" mount -t sysfs sysfs /sys
# cgroup2 only, and no v1 hierarchy at all: that is the point of the VM.
must "mount cgroup2" mount -t cgroup2 cgroup2 /sys/fs/cgroup
# bash's <(...) needs /dev/fd, which devtmpfs doesn't provide.
must "link /dev/fd" ln -s /proc/self/fd /dev/fd
ln -s /proc/self/fd/0 /dev/stdin
ln -s /proc/self/fd/1 /dev/stdout
ln -s /proc/self/fd/2 /dev/stderr
for module in /lib/modules/*.ko; do
	[ -e "$module" ] || continue
	must "load $module" insmod "$module"
done
# Only emergencies (a panic) may interleave with the TAP on the console.
echo 1 >/proc/sys/kernel/printk
# A hostname of our own, so that the container's "carapace" is its own doing.
hostname carapace-vm

uptime_s() { read -r up _ </proc/uptime && echo "$up"; }

echo "--- guest TAP begin ---"
echo "# vm: guest kernel and init up after $(uptime_s) s"
# The guest watchdog stays under run.sh's 120 s so a hang gets a verdict.
CARAPACE=/bin/carapace ROOTFS=/rootfs timeout 90 /guest.t </dev/null
rc=$?
echo "# vm: guest tests done at $(uptime_s) s"
echo "--- guest TAP end (exit $rc) ---"
[ "$rc" -eq 0 ] && verdict 0
verdict 1
