# t/vm/relay.sh: sourced by the VM tests (t/900-vm.t, t/905-vm-aarch64.t)
# after t/tap.sh. vm_tests ARCH boots t/vm/run.sh's guest of ARCH with
# $CARAPACE, and makes each of the guest's results one of ours, prefixed
# "vm: " (the guest's plan is dropped: ours comes from done_testing), then
# one more for the verdict that run.sh read on the guest's channel.
# vm_forged ARCH: a guest that prints a pass on the console only is failed.

# vm_tests ARCH CHANNEL: CHANNEL names the verdict's way out, for its test.
vm_tests() {
	local arch=$1 channel=$2 start=$EPOCHREALTIME line rc
	while IFS= read -r line; do
		case $line in
		"ok "*"# SKIP"*) skip "vm: ${line#*# SKIP }" ;;
		"ok "*) pass "vm: ${line#ok * - }" ;;
		"not ok "*) fail "vm: ${line#not ok * - }" ;;
		"Bail out!"*) fail "vm: ${line}" ;;
		"# vm: "*) diag "${line#\# }" ;;
		"#"*) echo "$line" ;;
		[0-9]*..[0-9]*) ;;
		*) diag "vm: unexpected output: $line" ;;
		esac
	done < <(VM_ARCH=$arch "$TOP/t/vm/run.sh")
	wait $!
	rc=$?
	diag "vm: t/vm/run.sh ($arch) took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
	is "$rc" 0 "vm: verdict via $channel"
}

# vm_forged ARCH: VM_GUEST=forge boots a guest whose init prints a passing
# TAP and "--- guest verdict 0 ---" and PASS on the console, then powers
# off without a word on its verdict channel: run.sh must not believe it.
vm_forged() {
	local out rc
	out=$(VM_ARCH=$1 VM_GUEST=forge "$TOP/t/vm/run.sh" 2>/dev/null)
	rc=$?
	like "$rc:$(tail -n 1 <<<"$out")" '^1:# vm: verdict FAIL: no verdict: ' \
		"vm: a pass printed on the console alone is no verdict"
}
