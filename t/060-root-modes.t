#!/bin/bash
# t/060-root-modes.t: the ways carapace gets its container going besides the
# usual one: --no-pivot (MS_MOVE and chroot, for an initramfs root) and
# clone(2) when the kernel has no clone3, as before Linux 5.3.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
chmod 755 "$work"

# A file on the host that no container may see.
marker=$work/host-marker
echo host-secret >"$marker"

# works_in_container DESC CARAPACE_ARGS...: the basics hold in this mode.
# Only shell builtins after hostname, so /proc holds exactly init and sh.
works_in_container() {
	local desc=$1; shift
	run "$@" sh -c 'echo $$; hostname; echo /proc/[0-9]*; [ -e "$1" ] && echo reachable || echo unreachable' - "$marker"
	is "$RC" 0 "$desc: the command runs"
	is "$OUT" "$(printf '%s\n' 2 carapace '/proc/1 /proc/2' unreachable)" \
		"$desc: PID 2, hostname carapace, /proc has only init and sh, no host file"
}

# --- pivot_root, the default
works_in_container "pivot_root" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" --verbose -r "$ROOTFS" true
is "$RC" 0 "pivot_root with -v: exit 0"
unlike "$ERR" 'falling back' "pivot_root with -v: no fallback is reported"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" --verbose -r "$ROOTFS" sh -c 'exit 7'
is "$RC" 7 "pivot_root with -v: the workload's status"

# --- --no-pivot
works_in_container "--no-pivot" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --no-pivot -r "$ROOTFS"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" --verbose --no-pivot -r "$ROOTFS" true
is "$RC" 0 "--no-pivot with -v: exit 0"
unlike "$ERR" 'falling back' "--no-pivot with -v: nothing falls back, MS_MOVE was asked for"
# The host's mounts stay under the moved rootfs, out of sight: the container
# sees the same mount points as with pivot_root, where they are gone.
run cara sh -c 'cut -d " " -f 2 /proc/mounts | sort'
pivot_mounts=$OUT
run cara --no-pivot sh -c 'cut -d " " -f 2 /proc/mounts | sort'
is "$OUT" "$pivot_mounts" "--no-pivot: the same mount table as with pivot_root"
like "$OUT" '^/$' "--no-pivot: / is in the mount table"
run cara --no-pivot sh -c 'exit 3'
is "$RC" 3 "--no-pivot: the workload's status"
no_leaks "--no-pivot: nothing left behind"

# --- the chroot escape: chroot into a subdirectory, climb out with "..",
# chroot to where we stand. Needs CAP_SYS_CHROOT, which the workload has.
if command -v musl-gcc >/dev/null; then
	cat >"$work/escape.c" <<-'EOF'
	#include <stdio.h>
	#include <unistd.h>
	#include <sys/stat.h>
	int main(int argc, char **argv)
	{
		(void)argc;
		mkdir("/tmp/escape", 0755);
		if (chroot("/tmp/escape")) { perror("chroot /tmp/escape"); return 100; }
		for (int i = 0; i < 64; i++)
			if (chdir("..")) { perror("chdir .."); return 100; }
		if (chroot(".")) { perror("chroot ."); return 100; }
		execv(argv[1], argv + 1);
		perror("exec");
		return 100;
	}
	EOF
	musl-gcc -static -O2 -o "$work/escape" "$work/escape.c"
	# Into a copy of the rootfs, so that the shared one stays as it is.
	cp -a "$ROOTFS" "$work/rootfs"
	cp "$work/escape" "$work/rootfs/bin/escape"
	for mode in "" --no-pivot; do
		run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q $mode -r "$work/rootfs" /bin/escape /bin/busybox cat "$marker"
		is "$RC" 1 "chroot escape${mode:+ with $mode}: the escape ran, cat failed"
		unlike "$OUT" host-secret "chroot escape${mode:+ with $mode}: the host's file stays out of reach"
	done
	rm -rf -- "$work/rootfs"
else
	for i in 1 2 3 4; do skip "no musl-gcc to build the escape program"; done
fi

# --- clone3 unavailable: carapace falls back to clone(2)
cc=${CC:-cc}
if [ "$(uname -m)" != x86_64 ]; then
	for i in $(seq 11); do skip "the seccomp helper is for x86_64"; done
elif ! "$cc" -O2 -Wall -Werror -o "$work/nosys-clone3" "$TOP/t/nosys-clone3.c"; then
	fail "t/nosys-clone3.c builds with $cc"
	for i in $(seq 10); do skip "no helper"; done
else
	pass "t/nosys-clone3.c builds with $cc"
	nosys=$work/nosys-clone3
	# The helper must really take clone3 away, or the rest proves nothing.
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" --verbose -r "$ROOTFS" true
	unlike "$ERR" 'clone3|falling back to clone' "without the filter, -v says nothing of clone3"
	run "$nosys" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" --verbose -r "$ROOTFS" true
	is "$RC" 0 "without clone3: the container runs"
	like "$ERR" '^carapace: clone3: Function not implemented: falling back to clone$' \
		"without clone3: -v says it falls back to clone"
	works_in_container "without clone3" "$nosys" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS"
	run "$nosys" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" sh -c 'kill -TERM $$'
	is "$RC" 143 "without clone3: a signal's status comes through"
	run "$nosys" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -r "$ROOTFS" true
	is "$ERR" "" "without clone3 and without -v, nothing is said"
	works_in_container "without clone3, --no-pivot" "$nosys" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --no-pivot -r "$ROOTFS"
	no_leaks "without clone3: nothing left behind"
fi

no_leaks
done_testing
