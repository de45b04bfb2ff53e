#!/bin/bash
# t/301-seccomp-arches.t: the seccomp filter of each architecture carapace
# builds for, the host's and, on x86-64, arm64's (cross-built, run under
# qemu-user): t/seccomp-verdicts.c builds it as carapace run does and says
# what it answers to named calls. Both answer the same but where they
# differ on purpose (the calls arm64 lacks, the compat ABIs), one profile
# file serves both, and a misspelt name is refused by both. The kernel's
# side (a denied call, a killed compat call, for real) is t/300's and, for
# arm64, t/900's VM's.
. "$(dirname "$0")/tap.sh"
need_binary

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

# on ARCH PROGRAM ARGS...: runs build/[ARCH/]PROGRAM, under qemu-user if foreign.
on() {
	local arch=$1 prog=$2; shift 2
	if [ "$arch" = "$(uname -m)" ]; then
		"$TOP/build/$prog" "$@"
	else
		qemu-aarch64-static "$TOP/build/$arch/$prog" "$@"
	fi
}
# verdicts ARCH [PROFILE]: the harness of ARCH, built and run.
verdicts() { local arch=$1; shift; on "$arch" unit/seccomp-verdicts "$@"; }
# archs ARCH: the seccomp ABIs that ARCH's carapace features lists.
archs() {
	if [ "$1" = "$(uname -m)" ]; then "$CARAPACE" features; else on "$1" carapace features; fi |
		tr -d ' \t\n' | grep -o '"archs":\[[^]]*\]'
}

arches=$(uname -m)
make -s -C "$TOP" build/unit/seccomp-verdicts >&2 ||
	{ echo "Bail out! make build/unit/seccomp-verdicts failed"; exit 1; }
if [ "$arches" = x86_64 ] && command -v aarch64-linux-musl-gcc >/dev/null &&
	command -v qemu-aarch64-static >/dev/null; then
	if make -s -C "$TOP" ARCH=aarch64 build/aarch64/unit/seccomp-verdicts \
		build/aarch64/carapace >&2; then
		arches="$arches aarch64"
	else
		echo "Bail out! make ARCH=aarch64 failed"
		exit 1
	fi
fi

# What both say to the default profile.
common='read: allow
openat: allow
mkdirat: allow
mount: EPERM
keyctl: EPERM
bpf: EPERM
kexec_load: EPERM
clone(0): allow
clone(CLONE_NEWUSER): EPERM
clone(CLONE_NEWNS|SIGCHLD): EPERM
clone3: ENOSYS
personality(0xffffffff): allow
personality(PER_LINUX32): allow
personality(0x40008): EPERM
socket(AF_INET): allow
socket(AF_VSOCK): EPERM
statmount: ENOSYS
exit_group: allow
number 1000: ENOSYS
compat read: kill-process
another machine'"'"'s read: kill-process'
# And where they differ: x86-64's old calls, and x32 (numbers from 0x40000000, -1 too).
own_x86_64='open: allow
fork: allow
number -1: kill-process
x32 read: kill-process'
own_aarch64='open: none
fork: none
number -1: ENOSYS'

archs_x86_64='"archs":["SCMP_ARCH_X32","SCMP_ARCH_X86","SCMP_ARCH_X86_64"]'
archs_aarch64='"archs":["SCMP_ARCH_AARCH64","SCMP_ARCH_ARM"]'

# A profile written once: x86-64's names that arm64 lacks are skipped there.
printf 'default: allow\nopen errno\nfork kill\nmkdirat errno\nmount kill\n' >"$work/shared"
shared_x86_64='open: EPERM
fork: kill-process
mkdirat: EPERM
mount: kill-process'
shared_aarch64='open: none
fork: none
mkdirat: EPERM
mount: kill-process'
printf 'default: allow\nopne errno\n' >"$work/misspelt"
# The OCI form, as an engine writes it for arm64: its native and compat ABIs.
cat >"$work/oci.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
 "architectures": ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
 "syscalls": [{"names": ["read", "open", "openat", "exit_group"], "action": "SCMP_ACT_ALLOW"}]}
EOF

for arch in x86_64 aarch64; do
	case " $arches " in
	*" $arch "*) ;;
	*) for _ in 1 2 3 4 5 6 7 8; do skip "$arch: no build of it runs here"; done; continue ;;
	esac
	own=own_$arch shared=shared_$arch
	out=$(verdicts "$arch")
	is "$(printf '%s\n' "$out" | grep -vxF "${!own}" | LC_ALL=C sort)" \
		"$(printf '%s\n' "$common" | LC_ALL=C sort)" \
		"$arch: the default filter: denied, argument-checked and killed calls"
	is "$(printf '%s\n' "$out" | grep -xF "${!own}")" "${!own}" \
		"$arch: ... and its own answers (the calls it lacks, its compat ABIs)"
	run verdicts "$arch" "$work/shared"
	is "$RC:$(printf '%s\n' "$OUT" | grep -E '^(open|fork|mkdirat|mount):')" "0:${!shared}" \
		"$arch: one profile file: what it names, where the architecture has it"
	run verdicts "$arch" "$work/misspelt"
	is "$RC" 125 "$arch: a misspelt name stops it"
	is "$ERR" "carapace: seccomp: $work/misspelt:2: unknown system call 'opne'" "... saying which"
	run verdicts "$arch" "$work/oci.json"
	is "$RC:$(printf '%s\n' "$OUT" | grep -E '^(read|openat|mount|compat read):' | tr '\n' ' ')" \
		"0:read: allow openat: allow mount: EPERM compat read: kill-process " \
		"$arch: an OCI profile for arm64's two ABIs: its rules, and 32-bit calls killed"
	is "$(printf '%s\n' "$OUT" | grep '^open:')" \
		"$([ "$arch" = x86_64 ] && echo 'open: allow' || echo 'open: none')" \
		"$arch: ... the names it lacks skipped"
	own=archs_$arch
	is "$(archs "$arch")" "${!own}" "$arch: carapace features lists its own ABIs"
done
done_testing
