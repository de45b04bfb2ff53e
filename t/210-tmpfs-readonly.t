#!/bin/bash
# t/210-tmpfs-readonly.t: --tmpfs and --mount type=tmpfs give the container
# a tmpfs of the size, mode and flags asked; --read-only makes the root
# read-only while volumes, tmpfs, /dev and /proc keep their own modes.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
chmod 755 "$work"
cp -a "$ROOTFS" "$work/rootfs"
R=$work/rootfs
box() { "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" "$@"; }
# opts MOUNT: the flags of MOUNT in the container, among ro, rw, nosuid, nodev, noexec.
opts='awk -v m="$1" '\''$2 == m { n = split($4, o, ","); for (i = 1; i <= n; i++)
	if (o[i] ~ /^(ro|rw|nosuid|nodev|noexec)$/) printf "%s ", o[i]; print "" }'\'' /proc/mounts'

# --- --tmpfs
run box --rootfs-rw --tmpfs /run/cache:size=2m,mode=700 sh -c \
	'df -k /run/cache | awk "NR == 2 { print \$2 }"; stat -c %a /run/cache; echo x >/run/cache/f && echo written'
is "$RC" 0 "--tmpfs: the command runs"
is "$OUT" "$(printf '2048\n700\nwritten')" "--tmpfs size=2m,mode=700: df says 2048 KiB, the mode is 700, it is writable"
ok "--tmpfs: the missing target was made in the rootfs (--rootfs-rw)" test -d "$R/run/cache"
ok "--tmpfs: what was written there stayed in memory" test ! -e "$R/run/cache/f"
run box --tmpfs /scratch sh -c "stat -c %a /scratch; f() { $opts; }; f /scratch"
is "$OUT" "$(printf '1777\nrw nosuid nodev noexec ')" "--tmpfs default: mode 1777, nosuid, nodev, noexec"
run box --tmpfs /scratch:exec,ro sh -c "f() { $opts; }; f /scratch"
is "$OUT" "ro nosuid nodev " "--tmpfs exec,ro: exec allowed, read-only"
run box --tmpfs /scratch:uid=1234,gid=5678,nr_inodes=2k sh -c 'stat -c %u:%g /scratch; df -i /scratch | awk "NR == 2 { print \$2 }"'
is "$OUT" "$(printf '1234:5678\n2048')" "--tmpfs uid, gid and nr_inodes reach tmpfs"
run box --tmpfs /dev/shm:size=1m df -k /dev/shm
is "$(echo "$OUT" | awk 'NR == 2 { print $2 }')" 1024 "--tmpfs on /dev/shm goes over the default one"
run box --mount type=tmpfs,dst=/scratch,tmpfs-size=3m,tmpfs-mode=750 sh -c \
	'df -k /scratch | awk "NR == 2 { print \$2 }"; stat -c %a /scratch'
is "$OUT" "$(printf '3072\n750')" "--mount type=tmpfs with docker's tmpfs-size and tmpfs-mode"
run box --mount type=tmpfs,target=/scratch,size=1m,mode=711,readonly sh -c 'stat -c %a /scratch; touch /scratch/x'
is "$OUT" 711 "--mount type=tmpfs with size= and mode="
like "$ERR" 'Read-only file system' "--mount type=tmpfs,readonly: read-only"
run box --mount type=proc,dst=/proc2 sh -c 'ls /proc2/self/status'
is "$OUT" /proc2/self/status "--mount type=proc mounts another /proc"

# --- --read-only
mkdir "$work/vol" "$R/mnt/vol"
run box --read-only --tmpfs /tmp -v "$work/vol:/mnt/vol" sh -c \
	'touch /x; echo y >/tmp/y && echo tmp ok; echo z >/mnt/vol/z && echo vol ok;
	 echo s >/dev/shm/s && echo shm ok; cat /proc/self/comm'
like "$ERR" '^touch: /x: Read-only file system$' "--read-only: a write to / fails with EROFS"
is "$OUT" "$(printf 'tmp ok\nvol ok\nshm ok\ncat')" \
	"--read-only: /tmp on a --tmpfs, a rw volume, /dev/shm and /proc work"
is "$(cat "$work/vol/z" 2>&1)" z "--read-only: what went to the volume is on the host"
run box --read-only sh -c "f() { $opts; }; f /; f /proc; f /dev; f /sys"
is "$OUT" "$(printf 'ro nodev \nrw nosuid nodev noexec \nrw nosuid noexec \nro nosuid nodev noexec ')" \
	"--read-only: / is ro (and nodev), /proc, /dev and /sys keep their flags"
# A missing target is never made in the rootfs folder that --read-only keeps
# unwritten: refused, with what to do; on a tmpfs of the container's, made.
before=$(cd "$R" && find . | LC_ALL=C sort)
run box --read-only -v "$work/vol:/made/for/it" ls -d /made/for/it
is "$RC:$ERR" "125:carapace: volume $work/vol:/made/for/it: destination: /made/for/it is missing in the rootfs folder, which carapace doesn't write: make it there, or drop --read-only (the overlay takes it)" \
	"--read-only: a missing volume target: refused, with what to do"
run box --read-only --tmpfs /new-tmpfs true
like "$RC:$ERR" "^125:carapace: tmpfs /new-tmpfs: destination: /new-tmpfs is missing in the rootfs folder" \
	"--read-only: a missing --tmpfs target: refused"
run box --read-only --tmpfs /tmp -v "$work/vol:/tmp/made/for/it" ls -d /tmp/made/for/it
is "$RC:$OUT" "0:/tmp/made/for/it" "--read-only: a missing target on the container's tmpfs is made"
run box -v "$work/vol:/made/in/overlay" ls -d /made/in/overlay
is "$RC:$OUT" "0:/made/in/overlay" "the default overlay: a missing target is made in it"
is "$(cd "$R" && find . | LC_ALL=C sort)" "$before" "the rootfs folder is as it was"
# Nor carapace's own /etc files: a rootfs without /etc gets none made in it.
cp -a "$R" "$work/no-etc" && rm -rf "$work/no-etc/etc"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/no-etc" --read-only true
is "$RC:$(ls -d "$work/no-etc/etc" 2>&1)" "0:ls: cannot access '$work/no-etc/etc': No such file or directory" \
	"--read-only, a rootfs without /etc: no /etc made in it"
run box --rootfs-rw -v "$work/vol:/made/by/rw" true
is "$RC:$(ls -d "$R/made/by/rw" 2>&1)" "0:$R/made/by/rw" "--rootfs-rw: a missing target is made in the folder, as asked"
run box --read-only -w /nonexistent true
is "$RC" 125 "--read-only: a missing workdir can't be made later"
cc=${CC:-cc}
if [ "$(uname -m)" = x86_64 ] && "$cc" -O2 -o "$work/nosys-mount" "$TOP/t/nosys-mount.c" 2>/dev/null; then
	run "$work/nosys-mount" mount_setattr "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --read-only sh -c "touch /x; f() { $opts; }; f /"
	like "$ERR" 'Read-only file system' "--read-only without mount_setattr (before 5.12): / is read-only"
	is "$OUT" "ro nodev " "--read-only without mount_setattr: / is ro (and nodev)"
else
	skip "no x86_64 seccomp helper"; skip "no x86_64 seccomp helper"
fi

# --- bad input
bad() {
	local desc=$1 ere=$2; shift 2
	run "$@"
	is "$RC" 125 "$desc: exit 125"
	is "$(printf '%s\n' "$ERR" | wc -l)" 1 "$desc: one line"
	like "$ERR" "$ere" "$desc: the message says what is wrong"
}
bad "--tmpfs relative" '^carapace: tmpfs tmp: the destination must be an absolute path$' box --tmpfs tmp true
# A bad value of a known option is named as a bad value, with what it should be.
bad "--tmpfs size=lots" "^carapace: tmpfs /tmp:size=lots: bad size value: 'lots' \(bytes, with k, m, g or % of RAM\)\$" \
	box --tmpfs /tmp:size=lots true
bad "--tmpfs mode=999" "^carapace: tmpfs /tmp:mode=999: bad mode value: '999' \(octal\)\$" box --tmpfs /tmp:mode=999 true
bad "--tmpfs uid=root" "^carapace: tmpfs /tmp:uid=root: bad uid value: 'root' \(a number\)\$" box --tmpfs /tmp:uid=root true
bad "--tmpfs nr_inodes=" "^carapace: tmpfs /tmp:nr_inodes=: bad nr_inodes value: '' " box --tmpfs /tmp:nr_inodes= true
bad "--mount tmpfs-size=lots" "^carapace: mount type=tmpfs,dst=/t,tmpfs-size=lots: bad size value: 'lots' " \
	box --mount type=tmpfs,dst=/t,tmpfs-size=lots true
bad "--tmpfs frob" "^carapace: tmpfs /tmp:frob: unknown option: 'frob'\$" box --tmpfs /tmp:frob true
bad "--tmpfs propagation" 'propagation is for binds only' box --tmpfs /tmp:rslave true
bad "--tmpfs size=1x" "^carapace: tmpfs /tmp:size=1x: bad size value: '1x' " box --tmpfs /tmp:size=1x true
bad "--mount type=proc,size=1m" 'are for tmpfs only' box --mount type=proc,dst=/p,size=1m true
bad "--tmpfs with a size tmpfs refuses" '^carapace: tmpfs /tmp:size=1m1m: mount: Invalid argument$' \
	box --tmpfs /tmp:size=1m1m true

no_leaks
done_testing
