#!/bin/bash
# t/900-vm.t: carapace in a VM with a pure cgroup v2 kernel, run from an
# initramfs (where pivot_root fails). t/vm/run.sh boots it under QEMU (TCG);
# each of the guest's results becomes one of ours, prefixed "vm: ".
# The first run downloads a Debian cloud kernel into build/vm/.
# t/905-vm-aarch64.t runs the same guest tests on arm64.
. "$(dirname "$0")/tap.sh"
. "$TOP/t/vm/relay.sh"

command -v qemu-system-x86_64 >/dev/null ||
	skip_all "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
need_binary
asan_build && skip_all "the ASan build is dynamic: the VM's initramfs has no glibc or libasan"
# setup.sh builds the guest's container rootfs, which needs root.
need_root

vm_tests x86_64 isa-debug-exit
vm_forged x86_64

done_testing
