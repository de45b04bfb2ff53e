#!/bin/bash
# t/305-oci-seccomp.t: seccomp profiles in the OCI form (config.json's
# linux.seccomp), run from inside the container: through --seccomp FILE,
# which takes a JSON profile too, and through an OCI bundle (run --bundle).
# t/seccomp-probe.c makes one system call and prints "ok" or the errno's
# name; t/unit.c checks the compiled filters instruction by instruction.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
probe_rootfs "$work/rootfs"

box() { "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/rootfs" "$@"; }
# profile NAME DEFAULT RULES...: $work/NAME.json, each RULE one syscalls[] entry.
profile() {
	local name=$1 dflt=$2 rules
	shift 2
	rules=$(IFS=,; printf '%s' "$*")
	printf '{"defaultAction": "%s", "architectures": ["SCMP_ARCH_X86_64"], "syscalls": [%s]}\n' \
		"$dflt" "$rules" >"$work/$name.json"
}
status_line() { printf '%s\n' "$OUT" | awk -v k="$1:" '$1 == k { print $2 }'; }

# --- errnoRet, and the default action
profile enosys SCMP_ACT_ALLOW \
	'{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}'
run box --seccomp "$work/enosys.json" mkdir /tmp/x
isnt "$RC" 0 "errnoRet 38: mkdir fails"
like "$ERR" "Function not implemented" "... with ENOSYS"
run box --seccomp "$work/enosys.json" seccomp-probe syscall 83 /tmp/y 0700
is "$OUT" ENOSYS "errnoRet 38: mkdir(2) itself gets ENOSYS"
run box --seccomp "$work/enosys.json" sh -c 'touch /tmp/f && rm /tmp/f && echo fine'
is "$OUT" fine "the default action (SCMP_ACT_ALLOW) lets the rest through"
run box --seccomp "$work/enosys.json" cat /proc/self/status
is "$(status_line Seccomp)" 2 "the workload runs under the filter"

# --- args: a call allowed with one argument only
profile socket SCMP_ACT_ALLOW \
	'{"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQ"}]}' \
	'{"names": ["socket"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}'
run box --seccomp "$work/socket.json" seccomp-probe socket 1
is "$OUT" ok "socket(AF_UNIX) matches the rule that allows it"
run box --seccomp "$work/socket.json" seccomp-probe socket 2
is "$OUT" EACCES "socket(AF_INET) falls to the next rule: its errnoRet, EACCES"
profile personality SCMP_ACT_ALLOW \
	'{"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}' \
	'{"names": ["personality"], "action": "SCMP_ACT_ERRNO"}'
run box --seccomp "$work/personality.json" seccomp-probe personality 0
is "$OUT" ok "personality(0) is allowed"
run box --seccomp "$work/personality.json" seccomp-probe personality 0xffffffff
is "$OUT" EPERM "personality(0xffffffff) is denied, with SCMP_ACT_ERRNO's EPERM"

# --- all 64 bits: only the high word differs
profile high SCMP_ACT_ALLOW \
	'{"names": ["personality"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "args": [{"index": 0, "value": 4294967296, "op": "SCMP_CMP_EQ"}]}'
run box --seccomp "$work/high.json" seccomp-probe personality 0x100000000
is "$OUT" ENOSYS "personality(1 << 32) matches a rule for 1 << 32"
run box --seccomp "$work/high.json" seccomp-probe personality 0
is "$OUT" ok "personality(0), the same low word, doesn't"
profile above SCMP_ACT_ALLOW \
	'{"names": ["getppid"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 1, "value": 4294967295, "op": "SCMP_CMP_GT"}]}'
run box --seccomp "$work/above.json" seccomp-probe syscall 110 0 0x100000000
is "$OUT" EPERM "SCMP_CMP_GT 0xffffffff: an argument of 1 << 32, in args[1], is above"
run box --seccomp "$work/above.json" seccomp-probe syscall 110 0 0xffffffff
is "$OUT" ok "SCMP_CMP_GT 0xffffffff: 0xffffffff is not"

# --- MASKED_EQ: clone with CLONE_NEWUSER among its flags
profile masked SCMP_ACT_ALLOW \
	'{"names": ["clone"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 268435456, "valueTwo": 268435456, "op": "SCMP_CMP_MASKED_EQ"}]}'
run box --seccomp "$work/masked.json" seccomp-probe clone 0x10000000
is "$OUT" EPERM "MASKED_EQ: clone(CLONE_NEWUSER) is denied"
run box --seccomp "$work/masked.json" seccomp-probe clone 0
is "$OUT" ok "MASKED_EQ: clone without it runs"

# --- the other actions
profile kill SCMP_ACT_ALLOW '{"names": ["keyctl"], "action": "SCMP_ACT_KILL_PROCESS"}' \
	'{"names": ["add_key"], "action": "SCMP_ACT_KILL"}' \
	'{"names": ["getppid"], "action": "SCMP_ACT_LOG"}' \
	'{"names": ["getpgrp"], "action": "SCMP_ACT_TRAP"}'
run box --seccomp "$work/kill.json" seccomp-probe keyctl
is "$RC" 159 "SCMP_ACT_KILL_PROCESS: exit 159 (128 + SIGSYS)"
run box --seccomp "$work/kill.json" seccomp-probe add_key
is "$RC" 159 "SCMP_ACT_KILL (the thread, here the only one): exit 159"
run box --seccomp "$work/kill.json" seccomp-probe syscall 110
is "$RC:$OUT" 0:ok "SCMP_ACT_LOG: the call runs (and the kernel logs it)"
run box --seccomp "$work/kill.json" seccomp-probe syscall 111
is "$RC" 159 "SCMP_ACT_TRAP: SIGSYS, unhandled, ends it: exit 159"
printf '{"defaultAction": "SCMP_ACT_LOG", "flags": ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]}\n' \
	>"$work/log.json"
run box --seccomp "$work/log.json" sh -c 'grep ^Seccomp: /proc/self/status'
is "$RC:$OUT" "0:Seccomp:	2" "defaultAction SCMP_ACT_LOG with flags LOG and SPEC_ALLOW: a filter, and sh runs"

# --- podman's default profile, as podman 4.3 writes it into config.json
podman=$TOP/t/oci-seccomp/podman.json
everyday='ls / >/dev/null && cat /etc/passwd >/dev/null && sleep 0.1 && ps >/dev/null &&
	mkdir /tmp/d && echo x >/tmp/d/f && rm -r /tmp/d && date >/dev/null && echo fine'
run box --seccomp "$podman" sh -c "$everyday"
is "$RC:$OUT" 0:fine "podman's profile: busybox sh, ls, cat, sleep, ps, mkdir, rm and date work"
run box --seccomp "$podman" seccomp-probe personality 0x40008
is "$OUT" ENOSYS "podman's profile: personality(0x40008) gets its default, errno 38"
run box --seccomp "$podman" seccomp-probe personality 8
is "$OUT" ok "podman's profile: personality(PER_LINUX32) runs"
run box --seccomp "$podman" seccomp-probe syscall 246
is "$OUT" EPERM "podman's profile: kexec_load gets EPERM"
run box --seccomp "$podman" seccomp-probe x32
is "$RC" 159 "podman's profile lists SCMP_ARCH_X32, yet an x32 call is killed"
run box --seccomp unconfined seccomp-probe i386
if [ "$OUT" = ok ]; then
	run box --seccomp "$podman" seccomp-probe i386
	is "$RC" 159 "podman's profile lists SCMP_ARCH_X86, yet an i386 call is killed"
else
	skip "this kernel doesn't run int 0x80 for 64-bit programs"
fi

# --- bad input: one line, exit 125
bad_json() {	# DESC MESSAGE JSON
	printf '%s\n' "$3" >"$work/bad.json"
	run box --seccomp "$work/bad.json" true
	is "$RC" 125 "$1: exit 125"
	is "$ERR" "carapace: seccomp: $work/bad.json: $2" "$1: says which field and why, in one line"
}
bad_json "an unknown action" "syscalls[0].action: unknown action 'SCMP_ACT_DENY'" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_DENY"}]}'
bad_json "an unknown op" "syscalls[0].args[0].op: unknown op 'SCMP_CMP_IN'" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_IN"}]}]}'
bad_json "index 6" "syscalls[0].args[0].index: 6 is more than 5" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}'
bad_json "missing names" "syscalls[0]: no names" \
	'{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"action": "SCMP_ACT_ALLOW"}]}'
bad_json "SCMP_ACT_NOTIFY" \
	"defaultAction: SCMP_ACT_NOTIFY needs a seccomp agent, which carapace does not support" \
	'{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/agent.sock"}'
bad_json "broken JSON" "not valid JSON" '{"defaultAction": "SCMP_ACT_ALLOW",'

# --- through an OCI bundle: linux.seccomp of config.json (t/tap.sh's oci_bundle)
if type oci_bundle >/dev/null 2>&1 && "$CARAPACE" run --help 2>&1 | grep -q -- --bundle; then
	b=$work/bundle
	oci_bundle "$b" oci-seccomp
	ln -sfn "$work/rootfs" "$b/rootfs"
	bundle() {	# PROFILE ARGS...: run ARGS with PROFILE as linux.seccomp
		local profile=$1
		shift
		printf '%s\0' "$@" >"$work/args"
		oci_patch "$b" "c['linux']['seccomp'] = json.load(open('$profile'))
c['process']['args'] = open('$work/args').read().split('\0')[:-1]"
		oci_run "$b"
	}
	bundle "$work/personality.json" seccomp-probe personality 0xffffffff
	is "$OUT" EPERM "bundle: linux.seccomp's rules apply: personality(0xffffffff) is denied"
	bundle "$work/personality.json" seccomp-probe personality 0
	is "$OUT" ok "bundle: ... and its args: personality(0) runs"
	bundle "$work/enosys.json" seccomp-probe syscall 83 /tmp/y 0700
	is "$OUT" ENOSYS "bundle: errnoRet 38 gives ENOSYS"
	bundle "$work/high.json" seccomp-probe personality 0x100000000
	is "$OUT" ENOSYS "bundle: a rule for 1 << 32 matches it, on all 64 bits"
	bundle "$work/kill.json" seccomp-probe keyctl
	is "$RC" 159 "bundle: SCMP_ACT_KILL_PROCESS gives 159"
	# (oci_bundle's root is read-only: the writes go to /dev/shm)
	bundle "$podman" sh -c "cd /dev/shm && ${everyday//\/tmp//dev/shm}"
	is "$RC:$OUT" 0:fine "bundle: podman's default profile runs busybox sh, ls, ps, mkdir..." ||
		diag "$ERR"
	bundle "$podman" seccomp-probe x32
	is "$RC" 159 "bundle: podman's profile: an x32 call is killed"
	printf '%s\0' sh -c 'grep ^Seccomp: /proc/self/status' >"$work/args"
	oci_patch "$b" "del c['linux']['seccomp']
c['process']['args'] = open('$work/args').read().split('\0')[:-1]"
	oci_run "$b"
	is "$OUT" "Seccomp:	0" "bundle: no linux.seccomp, no filter (as runc)"
	printf '%s\n' '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 6, "value": 0, "op": "SCMP_CMP_EQ"}]}]}' >"$work/bad.json"
	bundle "$work/bad.json" true
	is "$RC:$ERR" "125:carapace: config.json: linux.seccomp.syscalls[0].args[0].index: 6 is more than 5" \
		"bundle: a bad index: exit 125, one line that names the field"
	printf '%s\n' '{"defaultAction": "SCMP_ACT_KILL_PROCESS", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_JUMP"}]}' >"$work/bad.json"
	bundle "$work/bad.json" true
	is "$RC:$ERR" "125:carapace: config.json: linux.seccomp.syscalls[0].action: unknown action 'SCMP_ACT_JUMP'" \
		"bundle: an unknown action: exit 125, one line"
else
	skip "no run --bundle in this build yet"
fi

no_leaks
done_testing
