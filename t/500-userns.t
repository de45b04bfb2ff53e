#!/bin/bash
# t/500-userns.t: user namespaces. Root with --uidmap: root in the container
# is an unprivileged uid on the host. An ordinary user (rootless): root
# inside is that user outside, with its /etc/subuid ranges through newuidmap
# when it has some, and a single mapping otherwise. Either way everything
# that needs no host privilege works, and nothing else does.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

work=$(mktemp -d)
solo=carapace-t-solo-$$	# an ordinary user without subordinate ids (of this run: tests share the host)
sub=carapace-t-sub-$$	# one with 400000-465535 in /etc/subuid and /etc/subgid
cleanup() {
	local u
	mountpoint -q "$work/shared" 2>/dev/null && umount "$work/shared"
	for u in "$solo" "$sub"; do
		id "$u" >/dev/null 2>&1 && userdel "$u"
	done
	rm -rf -- "$work"
}
trap cleanup EXIT
chmod 755 "$work"
# Every user must reach the binary and the rootfs: copies, in a folder they may read.
mkdir "$work/bin"
# (asan_build knows the build by its path: asked before the copy.)
asan=; asan_build && asan=1
cp "$CARAPACE" "$work/bin/carapace"
CARAPACE=$work/bin/carapace
cp -a "$ROOTFS" "$work/rootfs"
R=$work/rootfs
mkdir -m 777 "$work/vol"
printf 'host root only\n' >"$work/secret"
chmod 600 "$work/secret"
snapshot_host

# Root, 65536 ids from 300000 (300000 itself is root inside).
M=(--uidmap 0:300000:65536)
ns() { "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" "${M[@]}" "$@"; }

# --- root with --uidmap: the maps, seen from inside
run ns sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map'
is "$RC" 0 "--uidmap: the container runs"
is "$(echo "$OUT" | sed -n 1,2p | tr '\n' ' ')" "0 0 " "--uidmap: the workload is uid 0 and gid 0 inside"
is "$(echo "$OUT" | sed -n 3,4p | awk '{print $1, $2, $3}' | tr '\n' ' ')" \
	"0 300000 65536 0 300000 65536 " "--uidmap: uid_map and gid_map (the gid map follows the uid map)"
run ns --gidmap 0:350000:1000 cat /proc/self/gid_map
is "$(echo $OUT)" "0 350000 1000" "--gidmap: a gid map of its own"
run ns --uidmap 65536:400000:10 cat /proc/self/uid_map
is "$(echo "$OUT" | awk '{print $1, $2, $3}' | tr '\n' ' ')" "0 300000 65536 65536 400000 10 " \
	"--uidmap twice: two ranges"
run ns sh -c 'ls -l /proc/self/ns/user; readlink /proc/self/ns/user'
isnt "$(echo "$OUT" | tail -1)" "$(readlink /proc/self/ns/user)" "--uidmap: a user namespace of its own"

# --- root with --uidmap: seen from outside, the workload is uid 300000
"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" "${M[@]}" sh -c 'echo started; exec sleep 30' >"$work/bg.out" 2>&1 &
bg=$!
wait_for "$work/bg.out" started
wpid=$(pgrep -u 300000 -x sleep | head -1)
ok "outside: the workload runs as uid 300000" test -n "$wpid"
is "$(awk '/^Uid:|^Gid:/ { print $2, $3, $4, $5 }' "/proc/${wpid:-0}/status" 2>&1 | tr '\n' ' ')" \
	"300000 300000 300000 300000 300000 300000 300000 300000 " \
	"outside: its real, effective, saved and fs uids and gids are 300000"
kill -TERM "$bg"; wait "$bg"
is "$?" 143 "outside: TERM to the launcher ends it as usual (128+15)"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" "${M[@]}" -v "$work/vol:/vol" sh -c 'touch /vol/by-root'
is "$(stat -c %u:%g "$work/vol/by-root" 2>&1)" 300000:300000 \
	"outside: a file root makes in a volume belongs to 300000:300000"
if [ -n "$asan" ]; then skip_sealed_copy 2 --privileged; else
	run ns -v "$work/secret:/secret" --privileged sh -c 'cat /secret'
	isnt "$RC" 0 "--privileged root inside can't read a host root's 0600 file in a volume"
	like "$ERR" 'Permission denied' "  the kernel says: Permission denied"
fi

# --- with --rootfs-rw, the rootfs is an idmapped mount, read-only: the host
# root's files are root's inside, and what root wrote there would be the host root's.
run ns --rootfs-rw sh -c 'stat -c %u:%g /etc/passwd /; grep -c " / .*idmapped" /proc/self/mountinfo; touch /made-inside'
is "$(echo $OUT)" "0:0 0:0 1" "idmapped rootfs: host root's files are root's inside"
like "$ERR" 'Read-only file system' "idmapped rootfs: read-only, so root inside writes nothing as host root"
ok "idmapped rootfs: nothing was written" test ! -e "$R/made-inside"
run ns --overlay sh -c 'echo x >/etc/over && stat -c %u /etc/over'
is "$OUT" 0 "--overlay on the idmapped rootfs: root writes /etc, in memory"
ok "--overlay: the rootfs is untouched" test ! -e "$R/etc/over"
run ns sh -c 'stat -c %u:%g /etc/passwd; echo x >/etc/default-over && stat -c %u /etc/default-over;
	grep -c "^overlay / overlay" /proc/mounts'
is "$(echo $OUT)" "0:0 0 1" "by default, an overlay on the idmapped rootfs: root's files, root writes /etc, in memory"
ok "  the rootfs is untouched" test ! -e "$R/etc/default-over"
mkdir "$work/ovl"
run ns --overlay-dir "$work/ovl" true
is "$RC" 125 "--overlay-dir of host root's under --uidmap: exit 125"
is "$ERR" "carapace: --overlay-dir: $work/ovl: belongs to uid 0, but the container's root is uid 300000 on the host" \
	"  the message says whose it must be"
chown 300000:300000 "$work/ovl"
run ns --overlay-dir "$work/ovl" sh -c 'echo k >/etc/kept'
is "$(stat -c %u:%g "$work/ovl/upper/etc/kept" 2>&1)" 300000:300000 \
	"--overlay-dir given to 300000: the changes are kept there, as the mapped root's"
if [ -n "$asan" ]; then skip_sealed_copy 1 "--cap-add SYS_ADMIN"; else
	run ns --cap-add SYS_ADMIN sh -c 'stat -c %u /etc/passwd'
	is "$OUT" 65534 "with CAP_SYS_ADMIN, which could remount it, the rootfs is not idmapped"
fi
# A rootfs on a shared mount (systemd makes / shared): the idmapped copy must
# not share, or the container's mounts would show up on the host.
mkdir "$work/shared"
mount --bind "$work/shared" "$work/shared" && mount --make-shared "$work/shared"
cp -a "$ROOTFS" "$work/shared/rootfs"
before=$(awk '{ print $5 }' /proc/self/mountinfo | sort)
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/shared/rootfs" "${M[@]}" --rootfs-rw sh -c 'grep -c idmapped /proc/self/mountinfo'
is "$RC:$OUT" 0:1 "a rootfs on a shared mount: the container runs, idmapped"
is "$(awk '{ print $5 }' /proc/self/mountinfo | sort)" "$before" "a rootfs on a shared mount: no mount reached the host"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/shared/rootfs" "${M[@]}" sh -c 'grep -c "^overlay / overlay" /proc/mounts'
is "$RC:$OUT" 0:1 "a rootfs on a shared mount, the default overlay: the container runs"
is "$(awk '{ print $5 }' /proc/self/mountinfo | sort)" "$before" "  and no mount reached the host"
umount "$work/shared"

if [ -n "$asan" ]; then skip_sealed_copy 1 --privileged; else
	run ns --privileged sh -c 'test -e /dev/vda -o -e /dev/sda -o -e /dev/nvme0n1 && echo host-dev; cat /dev/vda 2>&1 | head -c 0; grep CapEff /proc/self/status'
	like "$OUT" 'host-dev' "--uidmap --privileged: the host's /dev, bound (no devtmpfs in a user namespace)"
fi

# --- the container works as usual
run ns sh -c 'exit 7'
is "$RC" 7 "--uidmap: the exit status comes back"
run ns sh -c 'kill -KILL $$'
is "$RC" 137 "--uidmap: a signal's death is 128+N"
run ns sh -c 'hostname; echo x >/dev/null && head -c 4 /dev/zero | wc -c; stat -c %t:%T /dev/null;
	awk '\''$2 == "/dev/null" { print $4 }'\'' /proc/mounts | grep -o "nosuid.*noexec"'
is "$(echo $OUT)" "carapace 4 1:3 nosuid,noexec" \
	"--uidmap: hostname, /dev/null (1:3, bound from the host, nosuid and noexec) and /dev/zero"
run ns sh -c 'ps -o pid,comm | sed -n 2p'
is "$(echo $OUT)" "1 carapace" "--uidmap: carapace is PID 1"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" "${M[@]}" -v "$work/vol:/vol" -u 1000:1000 sh -c 'id -u; touch /vol/by-1000'
is "$OUT" 1000 "-u 1000: a mapped uid"
is "$(stat -c %u "$work/vol/by-1000" 2>&1)" 301000 "-u 1000: its file is 301000's outside"
run ns -u 70000 true
is "$RC" 125 "-u 70000, not in the map: exit 125"
is "$ERR" "carapace: --user: uid 70000: not mapped in the user namespace" "  the message says why"
run ns --tmpfs /scratch sh -c 'echo x >/scratch/f && cat /scratch/f'
is "$OUT" x "--uidmap: a tmpfs works"
run ns --pids 6 sh -c 'for i in 1 2 3 4 5 6 7; do sleep 100 & done; echo all-started'
like "$ERR" "can't fork" "--uidmap with --pids 6: the kernel stops the seventh process"
unlike "$OUT" all-started "--uidmap with --pids 6: not all seven started"

# --- what root inside may not do, even with every capability inside
all=(--cap-add ALL --seccomp unconfined)
if [ -n "$asan" ]; then skip_sealed_copy 4 "--cap-add ALL"; else
	run ns "${all[@]}" sh -c 'mknod /dev/sda-copy b 8 0'
	isnt "$RC" 0 "every capability inside: mknod of a block device fails"
	run ns "${all[@]}" sh -c 'echo evil >/proc/sys/kernel/hostname'
	isnt "$RC" 0 "every capability inside: /proc/sys/kernel/hostname can't be written"
	run ns "${all[@]}" sh -c 'mount -t tmpfs none /mnt && echo mounted; umount /mnt'
	is "$OUT" mounted "every capability inside: a tmpfs, in the container's own mount namespace"
	run ns "${all[@]}" readlink /proc/1/exe
	isnt "$RC" 0 "every capability inside: /proc/1/exe stays closed"
fi
for cmd in 'cat /proc/1/environ' 'readlink /proc/1/exe' 'ls /proc/1/root/' 'cat /proc/1/mem'; do
	run ns sh -c "$cmd >/dev/null"
	isnt "$RC" 0 "--uidmap: root inside can't use init's /proc entry: $cmd"
done
run "$CARAPACE" inspect -r "$R" "${M[@]}"
like "$OUT" 'user +isolated: yes' "inspect: the user namespace is isolated"
like "$(echo "$OUT" | grep -A1 uid_map: | tr -s ' \n' ' ')" '^ ?uid_map: 0 300000 65536 ?$' \
	"inspect: it reports the uid map"
like "$OUT" 'host_uid: 300000' "inspect: root inside is uid 300000 on the host"
run "$CARAPACE" inspect -r "$R" "${M[@]}" --json
like "$OUT" '"host_uid": ?300000' "inspect --json: host_uid too"
# Where no user namespace may be made (a limit of 0, set in a namespace of its own).
run unshare -Ur sh -c 'echo 0 >/proc/sys/user/max_user_namespaces &&
	exec "$0" run -q --privileged --uidmap 0:0:1 -r "$1" true' "$CARAPACE" "$R"
is "$RC" 125 "no user namespace allowed: exit 125"
like "$ERR" '^carapace: clone: No space left on device: no user namespace may be made here \(see user\.max_user_namespaces' \
	"  the message says why"
no_leaks "root with --uidmap: nothing left behind"

# --- rootless
useradd -r -M -s /bin/sh "$solo"
useradd -r -M -s /bin/sh "$sub"
solo_uid=$(id -u "$solo"); solo_gid=$(id -g "$solo")
as() { local u=$1; shift; setpriv --reuid "$u" --regid "$u" --clear-groups "$@"; }
rl() { local u=$1; shift; as "$u" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" "$@"; }

run rl "$solo" sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'
is "$RC" 0 "rootless: the container runs"
is "$(echo "$OUT" | sed -n 1,2p | tr '\n' ' ')" "0 0 " "rootless: root inside"
is "$(echo "$OUT" | sed -n 3,4p | awk '{print $1, $2, $3}' | tr '\n' ' ')" \
	"0 $solo_uid 1 0 $solo_gid 1 " "rootless, no subordinate ids: the user's own uid and gid, once"
is "$(echo "$OUT" | sed -n 5p)" deny "rootless, single mapping: setgroups is denied, as the kernel requires"
run rl "$solo" --rootfs-rw sh -c 'hostname; ps -o pid,comm | sed -n 2p; awk '\''$5 == "/"'\'' /proc/self/mountinfo | wc -l;
	touch /etc/rootless-was-here; echo x >/dev/null && echo null-ok'
is "$(echo $OUT)" "carapace 1 carapace 1 null-ok" \
	"rootless: hostname, PID 1, one root mount, /dev/null"
like "$ERR" "Permission denied" "rootless --rootfs-rw: the host root's /etc refuses root inside"
ok "rootless: and nothing was written there" test ! -e "$R/etc/rootless-was-here"
chmod 1777 "$R/tmp"
run rl "$solo" --rootfs-rw sh -c 'echo x >/tmp/f; stat -c %u /tmp/f'
is "$OUT" 0 "rootless --rootfs-rw: a file the user makes is root's inside"
is "$(stat -c %U "$R/tmp/f" 2>&1)" "$solo" "rootless --rootfs-rw: and the user's outside"
# By default, no overlay on a rootfs of unmapped owners: a read-only root, said once.
run as "$solo" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -r "$R" sh -c 'echo x >/tmp/g; grep " / " /proc/mounts | cut -d" " -f4 | cut -d, -f1'
like "$ERR" 'Read-only file system' "rootless, default, a rootfs of root's: the root is read-only"
is "$OUT" ro "  / is mounted ro"
like "$ERR" "^carapace: warning: rootfs: $R: no overlay \(its owner is not mapped in the user namespace\): the root is read-only; --rootfs-rw writes the folder itself\$" \
	"  a warning says why, and what makes it writable"
ok "  and nothing was written to the rootfs" test ! -e "$R/tmp/g"
rm -f "$R/tmp/f"; chmod 755 "$R/tmp"
# A read-only root of root's can't take new mount targets: the rootfs has them.
mkdir -p "$R/scratch" "$R/vol"
run rl "$solo" --tmpfs /scratch -v "$work/vol:/vol" sh -c 'echo x >/scratch/f && cat /scratch/f; ls -d /vol'
is "$(echo $OUT)" "x /vol" "rootless: a tmpfs and a bind of a folder the user may use"
run rl "$solo" -v "$work/secret:/secret" --cap-add ALL --seccomp unconfined cat /secret
isnt "$RC" 0 "rootless: a host root's 0600 file stays closed, whatever the caps inside"
as "$solo" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" --verbose -r "$R" true >/dev/null 2>"$work/verbose"
like "$(cat "$work/verbose")" 'root: entered with pivot_root' "rootless: pivot_root, not the chroot fallback"
like "$(cat "$work/verbose")" "userns: uids 0:$solo_uid:1, gids 0:$solo_gid:1, written by carapace" \
	"rootless, single mapping: --verbose says carapace wrote the maps"
like "$(cat "$work/verbose")" 'cgroup: none: rootless' "rootless: --verbose says no cgroup is made"
like "$(cat "$work/verbose")" 'cgroup: rootless: no default pids limit \(give --pids for one\)' \
	"rootless: no default pids limit, and --verbose says so"
# The host's /etc/subuid read whole-line: the tail of a 539-byte line is no
# range of solo's (a private mount namespace: the host's file stays as it is).
printf '%s%s:600000:65536\n' "$(printf 'x%.0s' $(seq 511))" "$solo" >"$work/long-subuid"
chmod 644 "$work/long-subuid"
run unshare -m sh -c 'mount --bind "$1" /etc/subuid && mount --bind "$1" /etc/subgid &&
	exec setpriv --reuid "$2" --regid "$2" --clear-groups "$3" run -q -r "$4" cat /proc/self/uid_map' \
	sh "$work/long-subuid" "$solo" "$CARAPACE" "$R"
is "$RC:$(echo $OUT)" "0:0 $solo_uid 1" "rootless: the tail of a long /etc/subuid line is no range"
run rl "$solo" sh -c 'exit 3'
is "$RC" 3 "rootless: the exit status comes back"
run rl "$solo" --pids 10 true
is "$RC" 125 "rootless: a limit without a delegated cgroup: exit 125"
like "$ERR" '^carapace: cgroup: .*: Permission denied \(rootless, limits need a cgroup delegated to uid [0-9]+: see --cgroup-parent\)$' \
	"  the message says why"
run rl "$solo" --overlay true
is "$RC" 125 "rootless --overlay on a rootfs of unmapped owners: exit 125"
is "$ERR" "carapace: --overlay: the rootfs's owner is not mapped in the user namespace" "  the message says why"
run rl "$solo" -u 1000 true
is "$RC" 125 "rootless, single mapping: -u 1000 is exit 125"
run rl "$solo" --uidmap 0:100:10 true
is "$RC" 125 "rootless: --uidmap beyond the user's ids: exit 125"
like "$ERR" '^carapace: userns: .*newuidmap 0:100:10: failed' "  the message names the helper and the range"
# A rootfs of the user's own: --overlay works.
cp -a "$ROOTFS" "$work/own-rootfs"
chown -R "$solo:" "$work/own-rootfs"
run as "$solo" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/own-rootfs" --overlay sh -c 'echo y >/etc/y && stat -c %u /etc/y'
is "$OUT" 0 "rootless --overlay on the user's own rootfs: root inside writes /etc"
ok "rootless --overlay: the rootfs is untouched" test ! -e "$work/own-rootfs/etc/y"
run as "$solo" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -r "$work/own-rootfs" sh -c 'echo y >/etc/y && grep -c "^overlay / overlay" /proc/mounts'
is "$RC:$OUT:$ERR" 0:1: "rootless on the user's own rootfs: the default overlay, without a warning"
ok "  the rootfs is untouched" test ! -e "$work/own-rootfs/etc/y"

# A tarball rootfs is unpacked inside the user namespace: root's files are fine,
# another owner needs a map that has it.
tar -C "$ROOTFS" --owner=0 --group=0 -cf "$work/root-owned.tar" .
mkdir -p "$work/t/home/app" && tar -C "$work/t" --owner=1000 --group=1000 -cf "$work/app-owned.tar" .
chmod 644 "$work/root-owned.tar" "$work/app-owned.tar"
run rl "$solo" -r "$work/root-owned.tar" sh -c 'echo z >/etc/z && stat -c %u /etc/z'
is "$OUT" 0 "rootless: a tarball rootfs of root's files: unpacked, writable"
run rl "$solo" -r "$work/app-owned.tar" true
is "$RC" 125 "rootless, single mapping: a tarball with uid 1000's files: exit 125"
like "$ERR" "^carapace: rootfs: $work/app-owned.tar: \./: owner 1000:1000 is not mapped in the user namespace\$" \
	"  the message says why"

# --- rootless: a launcher killed with SIGKILL takes the container along
setpriv --reuid "$solo" --regid "$solo" --clear-groups \
	"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" sh -c 'echo started; exec sleep 60' >"$work/kill.out" 2>&1 &
bg=$!
wait_for "$work/kill.out" started
kill -KILL "$bg"; wait "$bg" 2>/dev/null
for i in $(seq 50); do pgrep -u "$solo" >/dev/null || break; sleep 0.1; done
ok "rootless: SIGKILL to the launcher: no process of the user is left" bash -c "! pgrep -u $solo"

# --- rootless with subordinate ids: newuidmap and newgidmap
if command -v newuidmap >/dev/null && command -v newgidmap >/dev/null; then
	usermod --add-subuids 400000-465535 --add-subgids 400000-465535 "$sub"
	sub_uid=$(id -u "$sub"); sub_gid=$(id -g "$sub")
	run rl "$sub" sh -c 'cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'
	is "$(echo "$OUT" | sed -n 1,4p | awk '{print $1, $2, $3}' | tr '\n' ' ')" \
		"0 $sub_uid 1 1 400000 65536 0 $sub_gid 1 1 400000 65536 " \
		"rootless with /etc/subuid ranges: root is the user, 1 and up its range"
	is "$(echo "$OUT" | sed -n 5p)" allow "rootless with ranges: setgroups stays allowed"
	run rl "$sub" --verbose true
	like "$ERR" 'written by newuidmap and newgidmap' "rootless with ranges: --verbose names the helpers"
	run rl "$sub" -v "$work/vol:/vol" -u 1234:1234 --group-add 10 sh -c 'id -u; id -G; touch /vol/by-sub-1234'
	is "$(echo $OUT)" "1234 1234 10" "rootless with ranges: -u 1234:1234 and --group-add 10"
	is "$(stat -c %u:%g "$work/vol/by-sub-1234" 2>&1)" 401233:401233 \
		"rootless with ranges: uid 1234 inside is 401233 outside"
	run rl "$sub" --uidmap 0:"$sub_uid":1 --uidmap 1:400000:10 --gidmap 0:"$sub_gid":1 \
		sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	is "$(echo "$OUT" | awk '{print $1, $2, $3}' | tr '\n' ' ')" "0 $sub_uid 1 1 400000 10 0 $sub_gid 1 " \
		"rootless: --uidmap and --gidmap within the user's ranges"
	run rl "$sub" --uidmap 0:"$sub_uid":1 --uidmap 1:500000:10 true
	is "$RC" 125 "rootless: --uidmap outside the user's ranges: exit 125"
	like "$ERR" "^carapace: userns: /usr/bin/newuidmap 0:$sub_uid:1,1:500000:10: failed: newuidmap: " \
		"  one line, with newuidmap's own words"
else
	for i in 1 2 3 4 5 6 7 8; do skip "no newuidmap and newgidmap (package uidmap)"; done
fi
no_leaks "rootless: nothing left behind"
done_testing
