#!/bin/bash
# t/vm/run.sh: boot a Debian cloud kernel under QEMU with an initramfs that
# runs t/vm/guest.t, so carapace is tested on a pure cgroup v2 system and
# from an initramfs (where pivot_root fails).
#
# Prints the guest's TAP lines (and a few "# vm: ..." notes) on stdout and
# exits 0 only when the guest reported PASS through isa-debug-exit.
# On failure the whole console log goes to stderr.
#
# Env: CARAPACE (default ./carapace), VM_CACHE (default build/vm),
# VM_TIMEOUT (seconds for the whole boot, default 120).
# Downloads (kernel, bash-static) are kept in VM_CACHE: a second run needs
# no network.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CARAPACE=$(realpath -m "${CARAPACE:-$TOP/carapace}")
VM_CACHE=$(realpath -m "${VM_CACHE:-$TOP/build/vm}")
VM_TIMEOUT=${VM_TIMEOUT:-120}
# The meta-package follows Debian's current cloud kernel; its dependency
# names the versioned image package, which is what we download.
KERNEL_META=linux-image-cloud-amd64
export CARAPACE VM_CACHE TOP

say() { printf 'vm: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# fetch_deb PACKAGE: print the directory holding PACKAGE's unpacked .deb,
# downloading it only the first time. The unpacked tree is the cache; the
# .deb itself is not kept.
fetch_deb() {
	local pkg=$1 dir=$VM_CACHE/pkg/$1 tmp deb
	if [ ! -e "$dir/.unpacked" ]; then
		say "downloading $pkg"
		mkdir -p -- "$VM_CACHE/pkg" || return 1
		tmp=$(mktemp -d "$VM_CACHE/download.XXXXXX") || return 1
		# Sandbox user root: _apt may not write into our cache.
		if (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2) &&
			deb=$(ls "$tmp"/*.deb) && rm -rf -- "$dir" && dpkg-deb -x "$deb" "$dir"; then
			touch "$dir/.unpacked"
		fi
		rm -rf -- "$tmp"
		[ -e "$dir/.unpacked" ] || { say "cannot download or unpack $pkg"; return 1; }
	fi
	echo "$dir"
}

# kernel_package: the versioned image package, looked up so that a new
# Debian kernel is picked up. apt-cache takes seconds here (no pkgcache.bin),
# so the answer is kept until apt's package lists change. Falls back to the
# newest kernel cached when apt has no lists (before apt-get update).
kernel_package() {
	local pkg answer=$VM_CACHE/kernel-package lists=/var/lib/apt/lists
	if [ -s "$answer" ] && [ ! "$lists" -nt "$answer" ]; then
		cat "$answer"
		return
	fi
	pkg=$(apt-cache depends "$KERNEL_META" 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
	[ -z "$pkg" ] || echo "$pkg" >"$answer"
	if [ -z "$pkg" ]; then
		pkg=$(ls -d "$VM_CACHE"/pkg/linux-image-[0-9]* 2>/dev/null | sort -V | tail -n 1)
		pkg=${pkg##*/}
	fi
	[ -n "$pkg" ] || { say "apt-cache knows no $KERNEL_META (run apt-get update)"; return 1; }
	echo "$pkg"
}

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
command -v musl-gcc >/dev/null || die "musl-gcc not found (apt-get install musl-tools)"
[ -x "$CARAPACE" ] || die "$CARAPACE not built: run make"
mkdir -p -- "$VM_CACHE" || die "cannot create $VM_CACHE"

t_start=$EPOCHREALTIME

kpkg=$(kernel_package) || exit 1
kdir=$(fetch_deb "$kpkg") || exit 1
kernel=$(ls "$kdir"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$kernel" ] || die "no boot/vmlinuz-* in $kpkg"
# Kernels that Debian has since replaced: 100 MB each, unpacked.
for old in "$VM_CACHE"/pkg/linux-image-*; do
	[ "$old" = "$kdir" ] || rm -rf -- "$old"
done
bashdir=$(fetch_deb bash-static) || exit 1

# The helper is tiny: rebuilding it only when its source changed is enough.
debug_exit=$VM_CACHE/debug-exit
if [ ! -x "$debug_exit" ] || [ "$HERE/debug-exit.c" -nt "$debug_exit" ]; then
	musl-gcc -static -O2 -Wall -o "$debug_exit" "$HERE/debug-exit.c" ||
		die "cannot build debug-exit"
fi

# t/seccomp-probe.c too: this kernel runs int 0x80, the host's may not.
seccomp_probe=$VM_CACHE/seccomp-probe
if [ ! -x "$seccomp_probe" ] || [ "$TOP/t/seccomp-probe.c" -nt "$seccomp_probe" ]; then
	musl-gcc -static -O2 -Wall -isystem "$TOP/build/include" -o "$seccomp_probe" \
		"$TOP/t/seccomp-probe.c" ||
		die "cannot build seccomp-probe"
fi

# t/oci-cgroups.c, linked with the modules as they are built for $CARAPACE.
make -s -C "$TOP" build/unit/oci-cgroups >&2 || die "cannot build build/unit/oci-cgroups"

initramfs=$VM_CACHE/initramfs.cpio.gz
OCI_CGROUPS=$TOP/build/unit/oci-cgroups SECCOMP_PROBE=$seccomp_probe \
KERNEL_DIR=$kdir DEBUG_EXIT=$debug_exit BASH_STATIC=$bashdir/bin/bash-static \
	"$HERE/build-initramfs.sh" "$initramfs" || die "cannot build the initramfs"

t_boot=$EPOCHREALTIME
console=$VM_CACHE/console.log

# -nodefaults: no NIC, VGA or monitor to set up; the serial port is all we
# use. stdin is /dev/null so nothing typed reaches the guest or QEMU.
# Started in the background so that a signal to us still ends QEMU.
timeout -k 5 "$VM_TIMEOUT" qemu-system-x86_64 \
	-accel tcg -m 512 -smp 1 \
	-nodefaults -display none -serial stdio -no-reboot \
	-kernel "$kernel" -initrd "$initramfs" \
	-append 'console=ttyS0 quiet panic=-1' \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	</dev/null >"$console" 2>&1 &
qemu_pid=$!
trap 'kill "$qemu_pid" 2>/dev/null; exit 1' INT TERM HUP
wait "$qemu_pid"
qemu_rc=$?
trap - INT TERM HUP

t_end=$EPOCHREALTIME
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# The serial console ends lines with CR LF. Only what the guest printed
# between its markers is TAP; kernel lines stay in the log.
tap=$(tr -d '\r' <"$console" | sed -n '/^--- guest TAP begin ---$/,/^--- guest TAP end/{
	/^--- guest TAP /d
	p
}')
[ -z "$tap" ] || printf '%s\n' "$tap"
echo "# vm: kernel $kpkg"
echo "# vm: prepare $(seconds "$t_start" "$t_boot") s, boot and tests $(seconds "$t_boot" "$t_end") s, total $(seconds "$t_start" "$t_end") s"

# A PASS must also be backed by the TAP: tests that ran, none failed.
case $qemu_rc in
1)
	if ! grep -q '^ok ' <<<"$tap"; then why="guest said PASS but no test passed"
	elif grep -q '^not ok ' <<<"$tap"; then why="guest said PASS but a test failed"
	else echo "# vm: verdict PASS"; exit 0
	fi ;;
3) why="guest reported FAIL" ;;
0) why="no verdict: the guest rebooted or its init died (qemu exit 0)" ;;
124|137) why="no verdict: timed out after ${VM_TIMEOUT}s" ;;
*) why="no verdict: qemu exit $qemu_rc" ;;
esac
echo "# vm: verdict FAIL: $why"
{
	say "FAIL: $why; console log ($console):"
	tr -d '\r' <"$console"
} >&2
exit 1
