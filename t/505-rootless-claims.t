#!/bin/bash
# t/505-rootless-claims.t: what the README says of rootless runs (issue 15).
# A rootfs folder of the user's holding root's files gets no half-working
# overlay (/ writable, /etc "Permission denied"): --overlay is refused and
# the default is a read-only root, as for a rootfs of root's. A rootfs the
# user built with setup.sh gets its overlay. On cgroup v1, a limit works
# with folders root made and chowned, named by --cgroup-parent.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
[ -x /bin/busybox ] || skip_all "busybox-static is not installed"
unshare -U true 2>/dev/null || skip_all "no user namespaces here"

user=carapace-t505-$$
useradd -r -M -s /bin/sh "$user"
work=$TMPDIR/w
mkdir "$work" && chown "$user:" "$work"
delegated=()
trap 'for d in "${delegated[@]}"; do rmdir "$d"; done; userdel "$user"' EXIT
as_user() { setpriv --reuid="$user" --regid="$user" --clear-groups env TMPDIR="$work" "$@"; }
snapshot_host

# --- a folder of the user's, filled by root's setup.sh
mkdir "$work/mixed" && chown "$user:$user" "$work/mixed"
"$TOP/setup.sh" "$work/mixed" >/dev/null
is "$(stat -c %U:%U "$work/mixed/etc")" root:root "the mixed rootfs: /etc is root's"
run as_user "$CARAPACE" run -q --overlay -r "$work/mixed" sh -c 'echo x >/etc/x'
is "$RC" 125 "the mixed rootfs: --overlay is refused"
is "$ERR" "carapace: --overlay: the rootfs's owner is not mapped in the user namespace" \
	"the mixed rootfs: --overlay says why"
run as_user "$CARAPACE" run -r "$work/mixed" sh -c '{ echo x >/a; } 2>&1; { echo x >/etc/x; } 2>&1; true'
like "$OUT" "^sh: can't create /a: Read-only file system" "the mixed rootfs: the default root is read-only"
like "$ERR" "no overlay \(its owner is not mapped in the user namespace\): the root is read-only" \
	"the mixed rootfs: the default says so in a warning"
ok "the mixed rootfs was not written" test ! -e "$work/mixed/a" -a ! -e "$work/mixed/etc/x"

# --- a rootfs the user built
as_user "$TOP/setup.sh" "$work/own" >/dev/null
run as_user "$CARAPACE" run -q -r "$work/own" sh -c 'echo x >/etc/x && cat /etc/x && ls -ld /etc'
is "$RC" 0 "the user's rootfs: the overlay is writable"
like "$OUT" "^x
drwxr-xr-x +[0-9]+ root +root " "the user's rootfs: /etc is root's inside, and written"
ok "the user's rootfs was not written" test ! -e "$work/own/etc/x"

# --- cgroup v1: limits in folders root made and chowned to the user
if [ -d /sys/fs/cgroup/pids ] && [ -d /sys/fs/cgroup/memory ]; then
	# Not under $TEST_CGROUP_PARENT: these the test makes, and removes before no_leaks.
	parent=carapace-t505-delegated-$$
	own_cgroup "$parent"
	for h in pids memory; do
		mkdir -p "/sys/fs/cgroup/$h/$parent" && delegated=("/sys/fs/cgroup/$h/$parent" "${delegated[@]}")
		chown -R "$user" "/sys/fs/cgroup/$h/$parent"
	done
	run as_user "$CARAPACE" run -q -r "$work/own" --cgroup-parent "$parent" --pids 5 --memory 32m \
		sh -c 'cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/memory/memory.limit_in_bytes'
	is "$RC" 0 "v1 rootless: limits in chowned folders run"
	is "$OUT" "$(printf '5\n33554432')" "v1 rootless: the pids and memory limits are set"
	run as_user "$CARAPACE" run -q -r "$work/own" --cgroup-parent "$parent" --pids 5 \
		sh -c 'sleep 100 & sleep 100 & sleep 100 & sleep 100 &'
	like "$ERR" "can't fork" "v1 rootless: the fourth sleep (with init and sh, the sixth process) fails"
	run as_user "$CARAPACE" run -q -r "$work/own" --cgroup-parent "$parent" --cpus 1 true
	is "$RC" 125 "v1 rootless: a limit of a hierarchy not delegated is exit 125"
	like "$ERR" "^carapace: cgroup: mkdir /sys/fs/cgroup/cpu[^ ]*/$parent: Permission denied \(rootless, limits need a cgroup delegated to uid [0-9]+: see --cgroup-parent\)$" \
		"v1 rootless: ... and says what it needs"
	is "$(find "${delegated[@]}" -mindepth 1 -type d)" "" "v1 rootless: no container cgroup is left"
	rmdir "${delegated[@]}" && delegated=()
else
	for i in 1 2 3 4 5 6; do skip "not cgroup v1"; done
fi
no_leaks
done_testing
