#!/bin/bash
# t/300-seccomp.t: the default seccomp filter, --seccomp PROFILE|unconfined
# and no_new_privs. Most checks run t/seccomp-probe.c, which makes one
# system call and prints "ok" or the errno's name, in a copy of the rootfs.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
probe_rootfs "$work/rootfs"

box() { "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/rootfs" "$@"; }
status_line() { printf '%s\n' "$OUT" | awk -v k="$1:" '$1 == k { print $2 }'; }

# --- what the kernel says about the workload
run box cat /proc/self/status
is "$(status_line Seccomp)" 2 "by default the workload runs under a seccomp filter"
is "$(status_line NoNewPrivs)" 1 "by default no_new_privs is set"
is "$(status_line CapEff)" 00000000a80425fb "no_new_privs keeps docker's capabilities across the exec"
run box --allow-new-privs cat /proc/self/status
is "$(status_line NoNewPrivs)" 0 "--allow-new-privs leaves no_new_privs unset"
is "$(status_line Seccomp)" 2 "--allow-new-privs still installs the filter"
run box --seccomp unconfined cat /proc/self/status
is "$(status_line Seccomp)" 0 "--seccomp unconfined installs no filter"

# --- ordinary programs don't notice the filter
everyday='ls / >/dev/null && cat /etc/passwd >/dev/null && sleep 0.1 && ps >/dev/null &&
	mkdir /tmp/d && echo x >/tmp/d/f && rm -r /tmp/d && date >/dev/null && echo fine'
run box sh -c "$everyday"
is "$RC:$OUT" 0:fine "sh, ls, cat, sleep, ps, mkdir, rm and date work"
run box --allow-new-privs sh -c "$everyday"
is "$RC:$OUT" 0:fine "they work with --allow-new-privs too"
run box seccomp-probe clone 0
is "$OUT" ok "clone without namespace flags works (fork)"
run box linux32 true
is "$RC" 0 "personality(PER_LINUX32) works (docker allows it)"
run box seccomp-probe personality 0xffffffff
is "$OUT" ok "personality(0xffffffff), the query, works"
run box seccomp-probe socket 2
is "$OUT" ok "socket(AF_INET) works"

# --- what docker's default profile denies
run box mount -t tmpfs none /mnt
isnt "$RC" 0 "busybox mount fails"
run box seccomp-probe syscall 165
is "$OUT" EPERM "mount(2) fails with EPERM"
run box seccomp-probe syscall 166
is "$OUT" EPERM "umount2(2) fails with EPERM"
run box seccomp-probe add_key
is "$OUT" EPERM "add_key fails with EPERM"
run box seccomp-probe keyctl
is "$OUT" EPERM "keyctl fails with EPERM"
run box seccomp-probe personality 0x40008
is "$OUT" EPERM "personality(PER_LINUX32|ADDR_NO_RANDOMIZE) fails with EPERM"
run box seccomp-probe socket 40
is "$OUT" EPERM "socket(AF_VSOCK) fails with EPERM"
run box seccomp-probe clone 0x10000000
is "$OUT" EPERM "clone(CLONE_NEWUSER) fails with EPERM"
run box seccomp-probe clone3
is "$OUT" ENOSYS "clone3 fails with ENOSYS, so that libc falls back to clone"
# unshare -U needs no capability: only the filter stops it.
run box unshare -U true
isnt "$RC" 0 "unshare -U fails"
like "$ERR" "Operation not permitted" "... with EPERM"
run box unshare -m true
isnt "$RC" 0 "unshare -m fails"
for nr in 246 320 321 298 323; do	# kexec_load kexec_file_load bpf perf_event_open userfaultfd
	run box seccomp-probe syscall $nr
	is "$OUT" EPERM "system call $nr fails with EPERM"
done
# Calls newer than the profile get ENOSYS, as on an older kernel.
run box seccomp-probe syscall 457
is "$OUT" ENOSYS "statmount (457), newer than docker's profile, fails with ENOSYS"
run box seccomp-probe syscall 1000
is "$OUT" ENOSYS "an unknown number fails with ENOSYS"

# --- foreign ABIs are killed
run box seccomp-probe x32
is "$RC" 159 "an x32 system call kills the workload with SIGSYS (128+31)"
run box --seccomp unconfined seccomp-probe x32
isnt "$RC" 159 "without the filter, the x32 call isn't killed"
run box --seccomp unconfined seccomp-probe i386
if [ "$OUT" = ok ]; then
	run box seccomp-probe i386
	is "$RC" 159 "an i386 system call (int 0x80) kills the workload with SIGSYS"
else
	skip "this kernel doesn't run int 0x80 for 64-bit programs (rc $RC)"
fi

# --- unconfined: what only the filter blocked works again
run box --seccomp unconfined unshare -U true
is "$RC" 0 "--seccomp unconfined: unshare -U works"
run box --seccomp unconfined seccomp-probe add_key
is "$OUT" ok "--seccomp unconfined: add_key works"
run box --seccomp unconfined seccomp-probe personality 0x40008
is "$OUT" ok "--seccomp unconfined: any personality works"
run box --allow-new-privs unshare -U true
isnt "$RC" 0 "--allow-new-privs: unshare -U still fails"

# --- profiles
cat >"$work/no-mkdir" <<'EOF'
# Everything but making directories.
default: allow
mkdir errno
mkdirat errno	# some libcs use this one
keyctl kill
EOF
run box --seccomp "$work/no-mkdir" mkdir /tmp/x
isnt "$RC" 0 "a profile denying mkdir makes mkdir fail"
like "$ERR" "Operation not permitted" "... with EPERM"
run box --seccomp "$work/no-mkdir" sh -c 'touch /tmp/y && unshare -U true && echo fine'
is "$OUT" fine "what the profile doesn't name is allowed (default: allow)"
run box --seccomp "$work/no-mkdir" seccomp-probe keyctl
is "$RC" 159 "a profile's kill action kills with SIGSYS"
run box --seccomp "$work/no-mkdir" seccomp-probe syscall 1000
is "$OUT" ENOSYS "default: allow lets unknown numbers through to the kernel"
run box --seccomp "$work/no-mkdir" --allow-new-privs mkdir /tmp/x
isnt "$RC" 0 "the profile applies with --allow-new-privs too"

# The table's last name: a profile can name every x86-64 system call.
printf 'default: allow\nopen_tree_attr errno\n' >"$work/last"
run box --seccomp "$work/last" seccomp-probe syscall 467
is "$OUT" EPERM "a profile can name open_tree_attr (467), the last one carapace knows"

# A profile that denies even execve: the command can't run, and carapace
# ends instead of spinning in an _exit that the filter denies.
printf 'default: errno\n' >"$work/deny-all"
# (ASan's runtime makes system calls of its own before a noreturn call, as
# sigaltstack: denied, they end the ASan build with its exit 86.)
if asan_build; then
	skip "a profile that denies execve: the ASan build's runtime can't run under it"
else
	run timeout 20 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/rootfs" --seccomp "$work/deny-all" true
	is "$RC" 126 "a profile that denies execve: exit 126, not a hang"
fi

# A bad profile: exit 125 and one line that names the file and line.
bad_profile() {	# DESC ERE CONTENT
	printf '%b' "$3" >"$work/bad"
	run box --seccomp "$work/bad" true
	is "$RC" 125 "$1: exit 125"
	like "$ERR" "^carapace: seccomp: $work/bad$2" "$1: says so in one line"
	is "$(printf '%s\n' "$ERR" | wc -l)" 1 "$1: only one line"
}
bad_profile "an unknown system call" ":3: unknown system call 'mkdri'$" \
	'# comment\ndefault: allow\nmkdri errno\n'
bad_profile "an unknown action" ":2: unknown action 'deny'" 'default: allow\nmkdir deny\n'
bad_profile "a rule before the default" ":1: expected 'default: ACTION' first" 'mkdir errno\n'
bad_profile "an empty profile" ": no 'default: ACTION' line" '# nothing\n'
bad_profile "a line with three words" ":2: expected NAME ACTION" 'default: allow\nmkdir errno now\n'
run box --seccomp "$work/missing" true
is "$RC" 125 "a missing profile: exit 125"
is "$ERR" "carapace: seccomp: $work/missing: No such file or directory" "a missing profile: says so"

no_leaks
done_testing
