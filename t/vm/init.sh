#!/bin/sh
# /init of carapace's test VM (installed by build-initramfs.sh).
#
# Mounts a pure cgroup v2 system, runs /guest.t and gives the verdict on
# a channel of its own, never the console: on x86-64 through isa-debug-exit
# (/bin/debug-exit: 0 = PASS, qemu exits 1; 1 = FAIL, qemu exits 3); where
# the initramfs has no debug-exit (aarch64), "PASS" or "FAIL" on the virtio
# port named carapace.verdict, which QEMU writes to run.sh's file, then a
# power-off. If init itself exits, the kernel panics, panic=-1 reboots and
# QEMU's -no-reboot exits 0 with no verdict written: never a PASS.

set -u
PATH=/bin
export PATH

# verdict_port: the device of the virtio port named carapace.verdict.
verdict_port() {
	for port in /sys/class/virtio-ports/*; do
		[ "$(cat "$port/name" 2>/dev/null)" = carapace.verdict ] || continue
		echo "/dev/${port##*/}"
		return 0
	done
	return 1
}

# verdict 0|1: never returns.
verdict() {
	echo "--- guest verdict $1 ---"
	if [ -x /bin/debug-exit ]; then
		debug-exit "$1"
		echo "init: debug-exit failed, ending init instead" >&2
		exit 1
	fi
	if port=$(verdict_port); then
		case $1 in 0) said=PASS ;; *) said=FAIL ;; esac
		# QEMU has it in its file once write(2) returns: the driver
		# waits for the host to take the buffer.
		if echo "$said" >"$port"; then
			poweroff -f
			sleep 10
		fi
	fi
	echo "init: no verdict channel, ending init instead" >&2
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
# In build-initramfs.sh's order, each after those it needs.
while read -r module; do
	must "load $module" insmod "/lib/modules/$module"
done </lib/modules/modules.order
# Only emergencies (a panic) may interleave with the TAP on the console.
echo 1 >/proc/sys/kernel/printk
# A hostname of our own, so that the container's "carapace" is its own doing.
hostname carapace-vm

uptime_s() { read -r up _ </proc/uptime && echo "$up"; }

# The guest's watchdog: run.sh's carapace.timeout on the kernel's command
# line, under its own, so that a hang gets a verdict. carapace.guest=forge
# (VM_GUEST=forge): a guest that prints a passing TAP and a PASS verdict on
# the console, then powers off without its channel: run.sh must say FAIL.
guest_timeout=90 guest=tests
for word in $(cat /proc/cmdline); do
	case $word in
	carapace.timeout=[0-9]*) guest_timeout=${word#*=} ;;
	carapace.guest=forge) guest=forge ;;
	esac
done
if [ "$guest" = forge ]; then
	echo "--- guest TAP begin ---"
	echo "ok 1 - a forged result"
	echo "--- guest TAP end (exit 0) ---"
	echo "--- guest verdict 0 ---"
	echo PASS
	poweroff -f
	exit 1
fi

echo "--- guest TAP begin ---"
echo "# vm: guest kernel and init up after $(uptime_s) s"
CARAPACE=/bin/carapace ROOTFS=/rootfs timeout "$guest_timeout" /guest.t </dev/null
rc=$?
echo "# vm: guest tests done at $(uptime_s) s"
echo "--- guest TAP end (exit $rc) ---"
[ "$rc" -eq 0 ] && verdict 0
verdict 1
