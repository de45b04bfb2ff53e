#!/bin/bash
# t/900-vm.t: carapace in a VM with a pure cgroup v2 kernel, run from an
# initramfs (where pivot_root fails). t/vm/run.sh boots it under QEMU (TCG);
# each of the guest's results becomes one of ours, prefixed "vm: ".
# The first run downloads a Debian cloud kernel into build/vm/.
. "$(dirname "$0")/tap.sh"

command -v qemu-system-x86_64 >/dev/null ||
	skip_all "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
need_binary
asan_build && skip_all "the ASan build is dynamic: the VM's initramfs has no glibc or libasan"
# setup.sh builds the guest's container rootfs, which needs root.
need_root

start=$EPOCHREALTIME
while IFS= read -r line; do
	case $line in
	"ok "*"# SKIP"*) skip "vm: ${line#*# SKIP }" ;;
	"ok "*) pass "vm: ${line#ok * - }" ;;
	"not ok "*) fail "vm: ${line#not ok * - }" ;;
	"Bail out!"*) fail "vm: ${line}" ;;
	"# vm: "*) diag "${line#\# }" ;;
	"#"*) echo "$line" ;;
	# The guest's plan: ours comes from done_testing.
	[0-9]*..[0-9]*) ;;
	*) diag "vm: unexpected output: $line" ;;
	esac
done < <("$TOP/t/vm/run.sh")
wait $!
rc=$?
diag "vm: t/vm/run.sh took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
is "$rc" 0 "vm: verdict via isa-debug-exit"

done_testing
