#!/bin/bash
# t/240-root-default.t: by default the container's root writes to a
# throwaway overlay in memory: it leaves no setuid file nor device in the
# rootfs folder, and each run starts fresh; only --rootfs-rw writes the
# folder. No mount of rootfs content holds a device. The tmpfs under the
# root (the overlay's changes, a tarball) and --tmpfs have bounds that the
# kernel enforces, and a tar bomb stops at them with one clear line.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	skip_all "the kernel has no overlay filesystem"
command -v python3 >/dev/null || skip_all "no python3 to make the test tarballs"

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
chmod 755 "$work"
cp -a "$ROOTFS" "$work/rootfs"
R=$work/rootfs
box() { "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" "$@"; }
# tree_sum DIR: one checksum of names, types, modes, owners, devices, link targets and contents.
tree_sum() {
	(cd "$1" && find . -printf '%p %y %m %U:%G %l\n' | LC_ALL=C sort &&
		find . \( -type b -o -type c \) -exec stat -c '%n %t:%T' {} + | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum
}
# planted DIR: what the attack below may leave: set-id files and devices.
planted() { find "$1" \( -perm -4000 -o -perm -2000 -o -type b -o -type c \) -newer "$work/start" | sort; }
# opts MOUNT: the flags of MOUNT in the container, among ro, rw, nosuid, nodev, noexec.
opts='awk -v m="$1" '\''$2 == m { n = split($4, o, ","); for (i = 1; i <= n; i++)
	if (o[i] ~ /^(ro|rw|nosuid|nodev|noexec)$/) printf "%s ", o[i]; print "" }'\'' /proc/mounts'
# The attack of a hostile root: a setuid copy of a shell, devices, a changed /etc.
attack='cp /bin/busybox /x && chmod 4755 /x && mknod /d c 1 3 && mknod /etc/b b 8 0 &&
	echo evil::0:0::/:/bin/sh >>/etc/passwd && mkdir /newdir && rm /bin/ls && echo done'
touch "$work/start"
pristine=$(tree_sum "$R")

# --- by default, nothing reaches the rootfs folder
run box sh -c "$attack"
is "$RC:$OUT" 0:done "default: the attack runs, as root in the container"
is "$(tree_sum "$R")" "$pristine" "default: the rootfs folder is unchanged, checksum of the whole tree"
is "$(planted "$R")" "" "default: no setuid file nor device in the rootfs folder"
run box sh -c 'ls /x /d /newdir 2>&1; [ -e /bin/ls ] && echo ls-back; grep -c evil /etc/passwd'
is "$OUT" "$(printf 'ls: /x: No such file or directory\nls: /d: No such file or directory
ls: /newdir: No such file or directory\nls-back\n0')" "default: the next run starts fresh"
run box sh -c "grep -c '^overlay / overlay' /proc/mounts; f() { $opts; }; f /"
is "$OUT" "$(printf '1\nrw nodev ')" "default: / is an overlay, writable, nodev"

# --- --rootfs-rw writes the folder itself, and says so in --help
run "$CARAPACE" run --help
like "$(echo "$OUT" | grep -A1 -- '--rootfs-rw' | tr -s ' \n' ' ')" 'write the rootfs folder itself: .*setuid' \
	"--rootfs-rw: its help says the root can leave setuid files"
cp -a "$ROOTFS" "$work/rw"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/rw" --rootfs-rw sh -c "$attack; f() { $opts; }; f /"
is "$RC:$OUT" "$(printf '0:done\nrw nodev ')" "--rootfs-rw: the attack runs; / is the folder, nodev"
is "$(stat -c '%a %U' "$work/rw/x" 2>&1)" "4755 root" "--rootfs-rw: the setuid file is on the host"
is "$(stat -c '%F %t:%T' "$work/rw/d" 2>&1)" "character special file 1:3" "--rootfs-rw: the node is on the host"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/rw" --rootfs-rw sh -c 'cat /etc/passwd | grep -c evil'
is "$OUT" 1 "--rootfs-rw: the next run sees the change"
rm -rf -- "$work/rw"

# --- no device in rootfs content: a node made in the root, or in a tarball, can't be opened
nodev_check() { # DESC CARAPACE_ARGS...: a node made in / is no device
	local desc=$1; shift
	run "$@" sh -c 'mknod /nd c 1 3 && echo made; echo x >/nd && echo opened || echo refused
		head -c 1 /nd >/dev/null && echo read || echo refused'
	is "$OUT" "$(printf 'made\nrefused\nrefused')" "$desc: a node c 1 3 made in / can't be opened for writing nor reading"
	like "$ERR" 'Permission denied' "$desc: the kernel says EACCES"
}
nodev_check "default overlay" box
if asan_build; then skip_sealed_copy 2 --privileged; else nodev_check "--privileged" box --privileged; fi
cp -a "$ROOTFS" "$work/rw"
nodev_check "--rootfs-rw" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/rw" --rootfs-rw
# A node that the rootfs holds on the host: the overlay's lower layer, or the folder itself.
mknod -m 666 "$work/rw/host-null" c 1 3
for mode in "" --rootfs-rw --read-only --privileged; do
	if [ "$mode" = --privileged ] && asan_build; then skip_sealed_copy 2 "$mode"; continue; fi
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/rw" $mode sh -c 'echo x >/host-null && echo opened || echo refused
		head -c 1 /host-null >/dev/null && echo read || echo refused'
	is "$OUT" "$(printf 'refused\nrefused')" "a node c 1 3 in the rootfs folder${mode:+, $mode}: it can't be opened"
	like "$ERR" 'host-null: Permission denied' "a node in the rootfs folder${mode:+, $mode}: the kernel says EACCES"
done
rm -rf -- "$work/rw"
if asan_build; then skip_sealed_copy 1 --privileged; else
	run box --privileged sh -c "f() { $opts; }; f /"
	is "$OUT" "rw nodev " "--privileged: / is nodev too (it has the host's /dev for devices)"
fi
mkdir "$work/changes"
nodev_check "--overlay-dir" box --overlay-dir "$work/changes"
is "$(stat -c '%F %t:%T' "$work/changes/upper/nd" 2>&1)" "character special file 1:3" \
	"--overlay-dir: the node is kept in DIR, as asked (the help says so)"
run box sh -c 'echo x >/dev/null && head -c 3 /dev/zero | wc -c'
is "$OUT" 3 "carapace's own /dev still holds devices"
mkdir "$work/images"
tar -C "$ROOTFS" -cf "$work/images/nodes.tar" .
python3 - "$work/images/nodes.tar" <<-'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1], 'a') as t:
    for name, minor in ('null', 3), ('zero', 5):
        ti = tarfile.TarInfo('tar-' + name)
        ti.type, ti.devmajor, ti.devminor, ti.mode = tarfile.CHRTYPE, 1, minor, 0o666
        t.addfile(ti)
EOF
for mode in "" --rootfs-rw --read-only; do
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/nodes.tar" $mode sh -c \
		"stat -c '%t:%T' /tar-null; echo x >/tar-null && echo opened; head -c 1 /tar-zero | wc -c; f() { $opts; }; f /"
	is "$OUT" "$(printf '1:3\n0\n%snodev ' "$([ "$mode" = --read-only ] && echo 'ro ' || echo 'rw ')")" \
		"a tarball${mode:+ with $mode}: its nodes 1:3 and 1:5 can't be opened; / is nodev"
	like "$ERR" 'tar-null: Permission denied' "a tarball${mode:+ with $mode}: the kernel says EACCES"
done

# --- the bounds: the root's tmpfs (--rootfs-size) and --tmpfs (size=)
fill() { echo "dd if=/dev/zero of=$1 bs=1M count=$2 2>&1 | grep -o 'No space left on device'; df -k ${1%/*}/ | awk 'NR == 2 { print \$2 }'"; }
run box sh -c "$(fill /big 513)"
is "$OUT" "$(printf 'No space left on device\n524288')" "default: the overlay's changes stop at 512 MiB (ENOSPC)"
run box --rootfs-size 600m sh -c "$(fill /big 513)"
is "$OUT" 614400 "--rootfs-size 600m: 513 MiB fit"
run box --rootfs-size 8m sh -c "$(fill /big 9)"
is "$OUT" "$(printf 'No space left on device\n8192')" "--rootfs-size 8m: the ninth MiB doesn't fit"
run box --rootfs-size 4m sh -c 'i=0; while [ $i -lt 1100 ]; do touch /f$i 2>/dev/null || break; i=$((i + 1)); done
	touch /f$i; df -k / | awk "NR == 2 { print (\$4 > 3000) }"'
like "$ERR" 'No space left on device' "--rootfs-size 4m: empty files run out before 1100 (an inode per 4 KiB)"
is "$OUT" 1 "  while more than 3000 KiB are free"
run box --memory 64m sh -c "$(fill /big 33)"
is "$OUT" "$(printf 'No space left on device\n32768')" "--memory 64m: the root's tmpfs is half of it"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/nodes.tar" sh -c "$(fill /big 513)"
is "$OUT" "$(printf 'No space left on device\n524288')" "a tarball: its tmpfs stops at 512 MiB"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/nodes.tar" --rootfs-size 20m sh -c 'df -k / | awk "NR == 2 { print \$2 }"'
is "$OUT" 20480 "a tarball with --rootfs-size 20m: a 20 MiB tmpfs"
run box --tmpfs /t sh -c "$(fill /t/big 65)"
is "$OUT" "$(printf 'No space left on device\n65536')" "--tmpfs /t: 64 MiB by default (ENOSPC past it)"
run box --tmpfs /t:size=100m sh -c "$(fill /t/big 65)"
is "$OUT" 102400 "--tmpfs /t:size=100m: 65 MiB fit"
run box --mount type=tmpfs,dst=/t sh -c "$(fill /t/big 65)"
is "$OUT" "$(printf 'No space left on device\n65536')" "--mount type=tmpfs: 64 MiB by default too"

# --- a tar bomb: 600 MiB of zeros in a small .tar.gz
"$TOP/t/tar-bomb.py" "$work/images/bomb.tar" bin/bomb 600
gzip -1 "$work/images/bomb.tar"
bomb=$work/images/bomb.tar.gz
ok "the bomb is small on disk" test "$(stat -c %s "$bomb")" -lt $((4 << 20))
for args in "" "--memory 64m"; do
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$bomb" $args /bin/true
	is "$RC" 125 "a tar bomb${args:+ with $args}: exit 125"
	size=512m; [ -n "$args" ] && size=32m
	is "$ERR" "carapace: rootfs: $bomb: bin/bomb: the root's tmpfs is full ($size; --rootfs-size raises it)" \
		"a tar bomb${args:+ with $args}: one line says the root's tmpfs is full, and what raises it"
done

# --- bad input
run box --rootfs-rw --read-only true
is "$RC:$ERR" "125:carapace: --rootfs-rw: not with --read-only, --overlay or --overlay-dir" \
	"--rootfs-rw with --read-only: exit 125, one line"
run box --overlay --rootfs-rw true
is "$RC" 125 "--rootfs-rw with --overlay: exit 125"
run box --rootfs-size 0 true
is "$RC:$ERR" "125:carapace: --rootfs-size: not a size (bytes, or with k, m or g): '0'" \
	"--rootfs-size 0: exit 125, one line"
run box --rootfs-size 1x true
is "$RC" 125 "--rootfs-size 1x: exit 125"
is "$(tree_sum "$R")" "$pristine" "in the end, the rootfs folder is unchanged"

no_leaks
done_testing
