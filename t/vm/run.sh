#!/bin/bash
# t/vm/run.sh: boot a Debian cloud kernel under QEMU with an initramfs that
# runs t/vm/guest.t, so carapace is tested on a pure cgroup v2 system and
# from an initramfs (where pivot_root fails).
#
# Prints the guest's TAP lines (and a few "# vm: ..." notes) on stdout and
# exits 0 only when the guest reported PASS on its verdict channel, which
# no line on the console can forge: x86-64's isa-debug-exit device (QEMU's
# exit status), or on aarch64, whose virt machine has none, a virtio
# serial port that QEMU writes to a file of ours, after which the guest
# powers off. On failure the whole console log goes to stderr.
#
# Env: VM_ARCH (x86_64 or aarch64, default the host's) picks the guest:
# aarch64 is Debian's arm64 cloud kernel under qemu-system-aarch64
# -machine virt -cpu max, emulated (TCG) as x86-64 is.
# CARAPACE (default ./carapace, or build/ARCH/carapace for another
# architecture, as make ARCH=... builds it), VM_CACHE (default build/vm,
# or build/ARCH/vm), VM_TIMEOUT (seconds for the whole boot, default 120
# for x86-64, 600 for aarch64). VM_GUEST=forge: instead of the tests, a
# guest that forges a pass on the console (t/vm/init.sh), for the VM tests
# to see run.sh fail it.
# Downloads (kernel, bash-static, and for aarch64 busybox-static) are kept
# in VM_CACHE: a second run needs no network.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
VM_ARCH=${VM_ARCH:-$(uname -m)}

say() { printf 'vm: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# What differs between the guests. DEB_ARCH: Debian's name; CC: a static
# musl compiler for the guest's helpers; BUSYBOX: the guest's (the host's
# busybox-static when it is the same architecture, else downloaded).
case $VM_ARCH in
x86_64)
	DEB_ARCH=amd64 QEMU=qemu-system-x86_64 CC=musl-gcc CONSOLE=ttyS0
	QEMU_MACHINE=(-accel tcg)
	timeout_default=120 ;;
aarch64)
	# -cpu max: the kernel's arm64 features, and AArch32 at EL0 for the
	# compat system call test. pauth-impdef: pointer authentication with
	# QEMU's own cheap hash, not the QARMA cipher emulated: a bare boot to
	# init took 13.5 s with it, 3.7 s without. The guest can't tell.
	DEB_ARCH=arm64 QEMU=qemu-system-aarch64 CC=aarch64-linux-musl-gcc CONSOLE=ttyAMA0
	QEMU_MACHINE=(-accel tcg -machine virt -cpu max,pauth-impdef=on)
	# The verdict port's driver and its transport are =m in the arm64
	# cloud kernel, as overlay is in both (build-initramfs.sh).
	K=kernel/drivers/virtio
	VM_MODULES="$K/virtio_ring.ko $K/virtio.ko $K/virtio_mmio.ko
		kernel/drivers/char/virtio_console.ko kernel/fs/overlayfs/overlay.ko"
	export VM_MODULES
	timeout_default=600 ;;
*)
	die "VM_ARCH=$VM_ARCH: the test VM knows x86_64 and aarch64" ;;
esac
if [ "$VM_ARCH" = "$(uname -m)" ]; then
	default_carapace=$TOP/carapace default_cache=$TOP/build/vm CC=musl-gcc
else
	default_carapace=$TOP/build/$VM_ARCH/carapace default_cache=$TOP/build/$VM_ARCH/vm
fi
CARAPACE=$(realpath -m "${CARAPACE:-$default_carapace}")
VM_CACHE=$(realpath -m "${VM_CACHE:-$default_cache}")
VM_TIMEOUT=${VM_TIMEOUT:-$timeout_default}
# The meta-package follows Debian's current cloud kernel; its dependency
# names the versioned image package, which is what we download.
KERNEL_META=linux-image-cloud-$DEB_ARCH:$DEB_ARCH
export CARAPACE VM_CACHE TOP

# fetch_deb PACKAGE[:ARCH]: print the directory holding PACKAGE's unpacked
# .deb, downloading it only the first time. The unpacked tree is the cache
# (one per guest architecture, so named without it); the .deb itself is
# not kept.
fetch_deb() {
	local pkg=$1 dir=$VM_CACHE/pkg/${1%%:*} tmp deb
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
		[ -z "$pkg" ] || pkg=$pkg:$DEB_ARCH
	fi
	[ -n "$pkg" ] || { say "apt-cache knows no $KERNEL_META (run apt-get update)"; return 1; }
	echo "$pkg"
}

command -v "$QEMU" >/dev/null || die "$QEMU not found (apt-get install qemu-system-${QEMU#qemu-system-})"
command -v "$CC" >/dev/null || die "$CC not found (apt-get install musl-tools, or musl-dev:$DEB_ARCH)"
[ -x "$CARAPACE" ] || die "$CARAPACE not built: run make ARCH=$VM_ARCH"
mkdir -p -- "$VM_CACHE" || die "cannot create $VM_CACHE"

t_start=$EPOCHREALTIME

kpkg=$(kernel_package) || exit 1
kdir=$(fetch_deb "$kpkg") || exit 1
# arm64's vmlinuz is the kernel's plain Image, which QEMU boots as it is.
kernel=$(ls "$kdir"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$kernel" ] || die "no boot/vmlinuz-* in $kpkg"
# Kernels that Debian has since replaced: 100 MB each, unpacked.
for old in "$VM_CACHE"/pkg/linux-image-*; do
	[ "$old" = "$kdir" ] || rm -rf -- "$old"
done
bashdir=$(fetch_deb "bash-static:$DEB_ARCH") || exit 1
if [ "$VM_ARCH" = "$(uname -m)" ]; then
	busybox=/bin/busybox
else
	# busybox-static:arm64 can't be installed beside the host's.
	busybox=$(fetch_deb "busybox-static:$DEB_ARCH")/bin/busybox || exit 1
fi

# The make of $CARAPACE's architecture: its build folder and headers.
make_arch() { make -s -C "$TOP" ARCH="$VM_ARCH" "$@" >&2; }
build=build
[ "$VM_ARCH" = "$(uname -m)" ] || build=build/$VM_ARCH
make_arch "$build/include/.stamp" || die "cannot link the kernel headers into $build/include"

# build_helper NAME SOURCE [CFLAGS...]: a static helper for the guest,
# rebuilt only when its source changed.
build_helper() {
	local out=$VM_CACHE/$1 src=$2
	shift 2
	if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
		"$CC" -static -O2 -Wall "$@" -o "$out" "$src" >&2 || die "cannot build $1"
	fi
	echo "$out"
}

# The verdict channel: isa-debug-exit is x86's; aarch64's is a virtio
# serial port (init finds it by name) written to $verdict.
verdict=$VM_CACHE/verdict
debug_exit= verdict_device=()
case $VM_ARCH in
x86_64)
	debug_exit=$(build_helper debug-exit "$HERE/debug-exit.c") || exit 1
	verdict_device=(-device isa-debug-exit,iobase=0xf4,iosize=0x04) ;;
aarch64)
	verdict_device=(-device virtio-serial-device
		-chardev "file,id=verdict,path=$verdict"
		-device virtserialport,chardev=verdict,name=carapace.verdict) ;;
esac

# t/seccomp-probe.c too: this kernel runs int 0x80 (x86-64), the host's
# may not.
seccomp_probe=$(build_helper seccomp-probe "$TOP/t/seccomp-probe.c" -isystem "$TOP/$build/include") || exit 1
# A 32-bit ARM program, for the compat system call an aarch64 one can't make.
arm32_probe=
if [ "$VM_ARCH" = aarch64 ]; then
	arm32_probe=$VM_CACHE/arm32-probe
	"$HERE/arm32-probe.sh" >"$arm32_probe" && chmod 0755 "$arm32_probe" ||
		die "cannot write arm32-probe"
fi

# t/oci-cgroups.c, linked with the modules as they are built for $CARAPACE.
make_arch "$build/unit/oci-cgroups" || die "cannot build $build/unit/oci-cgroups"

initramfs=$VM_CACHE/initramfs.cpio.gz
OCI_CGROUPS=$TOP/$build/unit/oci-cgroups SECCOMP_PROBE=$seccomp_probe ARM32_PROBE=$arm32_probe \
KERNEL_DIR=$kdir DEBUG_EXIT=$debug_exit BASH_STATIC=$bashdir/bin/bash-static BUSYBOX=$busybox \
	"$HERE/build-initramfs.sh" "$initramfs" || die "cannot build the initramfs"

t_boot=$EPOCHREALTIME
console=$VM_CACHE/console.log

# -nodefaults: no NIC, VGA or monitor to set up; the serial port is all we
# use. stdin is /dev/null so nothing typed reaches the guest or QEMU.
# carapace.timeout: the guest's own watchdog, under ours, so that a hang
# still gets a verdict. Started in the background so that a signal to us
# still ends QEMU.
guest_timeout=$((VM_TIMEOUT > 60 ? VM_TIMEOUT - 30 : VM_TIMEOUT / 2))
rm -f -- "$verdict"
timeout -k 5 "$VM_TIMEOUT" "$QEMU" \
	"${QEMU_MACHINE[@]}" -m 512 -smp 1 \
	-nodefaults -display none -serial stdio -no-reboot \
	-kernel "$kernel" -initrd "$initramfs" \
	-append "console=$CONSOLE quiet panic=-1 carapace.timeout=$guest_timeout carapace.guest=${VM_GUEST:-tests}" \
	"${verdict_device[@]}" \
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
echo "# vm: $VM_ARCH kernel $kpkg"
echo "# vm: prepare $(seconds "$t_start" "$t_boot") s, boot and tests $(seconds "$t_boot" "$t_end") s, total $(seconds "$t_start" "$t_end") s"

# The guest's verdict as x86-64's QEMU reports it: isa-debug-exit makes
# 0 (PASS) qemu's 1 and 1 (FAIL) its 3. aarch64's is the port's file,
# when QEMU ended cleanly (the guest powered off): PASS or FAIL, alone.
said=
case $VM_ARCH:$qemu_rc in
x86_64:1) said=PASS ;;
x86_64:3) said=FAIL ;;
aarch64:0) [ ! -s "$verdict" ] || said=$(cat -- "$verdict") ;;
esac
# A PASS must also be backed by the TAP: tests that ran, none failed.
case $said:$qemu_rc in
PASS:*)
	if ! grep -q '^ok ' <<<"$tap"; then why="guest said PASS but no test passed"
	elif grep -q '^not ok ' <<<"$tap"; then why="guest said PASS but a test failed"
	else echo "# vm: verdict PASS"; exit 0
	fi ;;
FAIL:*) why="guest reported FAIL" ;;
:0) why="no verdict: the guest rebooted, powered off or its init died (qemu exit 0)" ;;
:124|:137) why="no verdict: timed out after ${VM_TIMEOUT}s" ;;
:*) why="no verdict: qemu exit $qemu_rc" ;;
*) why="no verdict: the verdict port said '$said'" ;;
esac
echo "# vm: verdict FAIL: $why"
{
	say "FAIL: $why; console log ($console):"
	tr -d '\r' <"$console"
} >&2
exit 1
