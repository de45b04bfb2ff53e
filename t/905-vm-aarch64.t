#!/bin/bash
# t/905-vm-aarch64.t: t/900-vm.t's guest tests on arm64, emulated: Debian's
# arm64 cloud kernel under qemu-system-aarch64 -machine virt -cpu max (TCG),
# with carapace built by make ARCH=aarch64 (build/aarch64/carapace). A pure
# cgroup v2 system, the initramfs fallback, limits, OOM, seccomp (a denied
# call; a 32-bit ARM program's compat call, killed), user namespaces.
# The verdict comes out on a virtio serial port, as arm64's virt machine
# has no isa-debug-exit. The first run downloads the kernel, busybox-static
# and bash-static for arm64 into build/aarch64/vm/.
. "$(dirname "$0")/tap.sh"
. "$TOP/t/vm/relay.sh"

command -v qemu-system-aarch64 >/dev/null ||
	skip_all "qemu-system-aarch64 not installed (apt-get install qemu-system-arm)"
# On an arm64 host, make's own build is arm64's.
if [ "$(uname -m)" = aarch64 ]; then
	binary=$TOP/carapace
else
	binary=$TOP/build/aarch64/carapace
	for tool in aarch64-linux-musl-gcc aarch64-linux-gnu-g++; do
		command -v "$tool" >/dev/null ||
			skip_all "no $tool: the arm64 cross tools are missing (make ARCH=aarch64 deps)"
	done
fi
# make check-asan's run is about the host's build; this one tests its own.
asan_build && skip_all "make check-asan tests the host's build; the arm64 VM runs in make check"
need_root

# The arm64 binary, from the same sources as $CARAPACE: up to date, or
# built now (make is quiet when there is nothing to do).
if ! make -s -C "$TOP" ARCH=aarch64 >&2; then
	fail "make ARCH=aarch64 builds ${binary#$TOP/}"
	done_testing
fi
CARAPACE=$binary
vm_tests aarch64 "a virtio serial port"
vm_forged aarch64

done_testing
