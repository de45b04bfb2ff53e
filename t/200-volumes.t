#!/bin/bash
# t/200-volumes.t: -v and --mount type=bind put host folders and files in the
# container, read-write or read-only all the way down, on the target the
# rootfs names and never through its symlinks to the host. Bad volumes end
# carapace with 125 before anything is mounted or made.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
work=$(mktemp -d)
marker=
cleanup() {
	# Submounts made on the host for a test, innermost first.
	local m
	for m in "$work/src/sub" "$work/shared/sub" "$work/shared"; do
		mountpoint -q "$m" 2>/dev/null && umount "$m"
	done
	[ -n "$marker" ] && rm -rf -- "$marker"
	rm -rf -- "$work"
}
trap cleanup EXIT
chmod 755 "$work"
# Missing targets are made in the rootfs: a private copy keeps the shared one
# as it is, written with --rootfs-rw, so that they are seen on the host.
cp -a "$ROOTFS" "$work/rootfs"
R=$work/rootfs
vol() { "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --rootfs-rw "$@"; }

mkdir "$work/src"
echo from-host >"$work/src/file"

# --- a read-write volume
run vol -v "$work/src:/mnt/data" sh -c \
	'cat /mnt/data/file && echo one >/mnt/data/by-root && echo two >/mnt/data/by-other &&
	 chown 1234:5678 /mnt/data/by-other'
is "$RC" 0 "rw volume: the command runs"
is "$OUT" from-host "rw volume: the host's file shows inside"
is "$(cat "$work/src/by-root" 2>&1)" one "rw volume: a file written inside is on the host"
is "$(stat -c %u:%g "$work/src/by-root")" 0:0 "rw volume: root's file is root's on the host"
is "$(stat -c %u:%g "$work/src/by-other")" 1234:5678 "rw volume: a chowned file keeps its owner on the host"
ok "rw volume: the missing target was made in the rootfs, as a folder" test -d "$R/mnt/data"
run vol -v "$work/src:/mnt/data" grep ' /mnt/data ' /proc/mounts
like "$OUT" ' rw,nosuid' "rw volume: mounted rw and nosuid by default"

# --- read-only, and read-only all the way down
run vol -v "$work/src:/mnt/data:ro" sh -c 'echo x >/mnt/data/x'
isnt "$RC" 0 "ro volume: a write fails"
like "$ERR" 'Read-only file system' "ro volume: with EROFS"
ok "ro volume: nothing reached the host" test ! -e "$work/src/x"

mkdir "$work/src/sub"
mount -t tmpfs -o size=1m carapace-test-sub "$work/src/sub"
echo in-sub >"$work/src/sub/file"
run vol -v "$work/src:/mnt/data:ro" sh -c 'cat /mnt/data/sub/file; echo x >/mnt/data/sub/x'
is "$OUT" in-sub "ro volume: the host's submount shows inside"
like "$ERR" 'Read-only file system' "ro volume: a write to the submount fails with EROFS too"
ok "ro volume: nothing reached the submount" test ! -e "$work/src/sub/x"
run vol --mount "type=bind,source=$work/src,target=/mnt/data,readonly" sh -c 'echo x >/mnt/data/sub/x'
like "$ERR" 'Read-only file system' "--mount readonly: the submount is read-only too"
run vol -v "$work/src:/mnt/data:ro" awk '$2 ~ "^/mnt/data" { print $2, substr($4, 1, 3) }' /proc/mounts
is "$OUT" "$(printf '/mnt/data ro,\n/mnt/data/sub ro,')" "ro volume: /proc/mounts shows both mounts ro"
run vol -v "$work/src:/mnt/data" sh -c 'echo y >/mnt/data/sub/y'
is "$(cat "$work/src/sub/y" 2>&1)" y "rw volume: the submount comes along, writable"

# Before mount_setattr (Linux 5.12) and openat2 (5.6), the same holds.
cc=${CC:-cc}
if [ "$(uname -m)" != x86_64 ] || ! "$cc" -O2 -o "$work/nosys-mount" "$TOP/t/nosys-mount.c" 2>/dev/null; then
	for i in 1 2 3 4; do skip "no x86_64 seccomp helper"; done
else
	nosys=$work/nosys-mount
	run "$nosys" mount_setattr,openat2 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" -v "$work/src:/mnt/old:ro" \
		sh -c 'cat /mnt/old/sub/file; echo x >/mnt/old/x; echo x >/mnt/old/sub/x'
	is "$OUT" in-sub "without mount_setattr and openat2: the volume is there"
	is "$(printf '%s\n' "$ERR" | grep -c 'Read-only file system')" 2 \
		"without mount_setattr and openat2: read-only, submount too"
	run "$nosys" open_tree "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" -v "$work/src:/mnt/data" true
	is "$RC" 125 "without open_tree (before Linux 5.2): exit 125"
	like "$ERR" '^carapace: volume .*: source: open_tree \(Linux 5\.2\): Function not implemented$' \
		"without open_tree: the message says what is missing"
fi
umount "$work/src/sub"

# --- a file
run vol -v "$work/src/file:/etc/host-file:ro" cat /etc/host-file
is "$OUT" from-host "file volume: the file shows inside"
ok "file volume: the missing target was made as an empty file" \
	test -f "$R/etc/host-file" -a ! -s "$R/etc/host-file"
run vol -v "$work/src/file:/etc/host-file" sh -c 'echo changed >/etc/host-file'
is "$(cat "$work/src/file")" changed "file volume: a write inside changes the host's file"
run vol -v "$work/src/file:/etc" true
is "$RC" 125 "a file onto a folder: exit 125"
like "$ERR" "^carapace: volume $work/src/file:/etc: destination: Is a directory\$" \
	"a file onto a folder: the message names the volume"
run vol -v "$work/src:/etc/host-file" true
like "$ERR" "^carapace: volume $work/src:/etc/host-file: destination: Not a directory\$" \
	"a folder onto a file: refused"

# --- options and ordering
# flags MOUNT: the mount's flags among ro, nosuid, nodev and noexec.
flags='awk -v m="$1" '\''$2 == m { n = split($4, o, ","); for (i = 1; i <= n; i++)
	if (o[i] ~ /^(ro|rw|nosuid|nodev|noexec)$/) printf "%s ", o[i]; print "" }'\'' /proc/mounts'
run vol -v "$work/src:/mnt/a:noexec,nodev" -v "$work/src/file:/mnt/a/file:ro" \
	sh -c "f() { $flags; }; f /mnt/a; f /mnt/a/file"
is "$OUT" "$(printf 'rw nosuid nodev noexec \nro nosuid ')" \
	"volumes mount in order, a file volume inside a folder one, each with its options"
run vol -v "$work/src:/dev/shm/host" ls /dev/shm/host/file
is "$OUT" /dev/shm/host/file "a volume goes on top of the default mounts (/dev/shm)"
# A relative source is the launcher's working folder's.
run env -C "$work" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" -v src:/mnt/data cat /mnt/data/file
is "$OUT" changed "a relative source is taken from the current folder"

# --- propagation: rslave sees what the host mounts later, private doesn't
mkdir -p "$work/shared/sub"
mount --bind "$work/shared" "$work/shared" && mount --make-shared "$work/shared"
waiter='for i in $(seq 50); do [ -e /mnt/s/sub/flag ] && { echo seen; exit; }; sleep 0.1; done; echo unseen'
for prop in rslave rprivate; do
	vol -v "$work/shared:/mnt/s:$prop" sh -c "$waiter" >"$work/prop-$prop" 2>&1 &
	pids="${pids:-} $!"
done
sleep 1
mount -t tmpfs -o size=1m carapace-test-shared "$work/shared/sub" && touch "$work/shared/sub/flag"
wait $pids
is "$(cat "$work/prop-rslave")" seen "rslave: a mount the host makes later shows inside"
is "$(cat "$work/prop-rprivate")" unseen "rprivate (the default): it doesn't"
umount "$work/shared/sub" "$work/shared"

# --- a hostile rootfs: a target that is a symlink to a host folder
marker=$(mktemp -d /tmp/host-marker-XXXXXX)
ln -s "$marker" "$R/thatlink"
run vol -v "$work/src:/thatlink" sh -c 'ls /thatlink'
if [ "$RC" = 0 ]; then
	pass "symlink to a missing folder: the bind landed inside the rootfs"
else
	is "$RC" 125 "symlink to a missing folder: the bind is refused"
fi
is "$(ls -A "$marker")" "" "symlink to a missing folder: the host folder stays empty"
# The same folder inside the rootfs: the link resolves there, not on the host.
mkdir -p "$R$marker"
run vol -v "$work/src:/thatlink" sh -c 'cat /thatlink/file; grep -c " '"$marker"' " /proc/mounts'
is "$OUT" "$(printf 'changed\n1')" "symlink to a folder: the bind is on the rootfs's folder"
is "$(ls -A "$marker")" "" "symlink to a folder: the host folder stays empty"
is "$(ls -A "$R$marker")" "" "symlink to a folder: and the rootfs's too, once it is over"
ln -s ../../../../../../.. "$R/uplink"
run vol -v "$work/src:/uplink$marker/deeper" cat "$marker/deeper/file"
is "$OUT" changed "a symlink climbing out with ..: it stops at the container's root"
ok "a symlink climbing out with ..: nothing was made on the host" test ! -e "$marker/deeper"

# A rootfs whose /proc, /sys and /dev lead to the host: the defaults are
# mounted before the root change, and still never outside the rootfs.
mkdir "$marker/proc" "$marker/sys" "$marker/dev"
cp -a "$ROOTFS" "$work/evil"
rm -rf "$work/evil/proc" "$work/evil/sys" "$work/evil/dev"
ln -s "$marker/proc" "$work/evil/proc"
ln -s "../../../../../../..$marker/sys" "$work/evil/sys"
ln -s "$marker/dev" "$work/evil/dev"
evil_ran() {
	local desc=$1; shift
	run "$@" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/evil" cat /proc/self/stat
	if [ "$RC" = 0 ]; then pass "$desc: ran inside the rootfs"; else
		is "$RC" 125 "$desc: refused"
		like "$ERR" '^carapace: mount: /[a-z]*: destination: ' "$desc: the message names the mount"
	fi
	is "$(find "$marker" -mindepth 2 | wc -l)" 0 "$desc: nothing made in the host's folders"
	is "$(awk -v m="$marker" 'index($5, m) == 1' /proc/self/mountinfo)" "" \
		"$desc: nothing mounted on them"
}
evil_ran "/proc, /sys and /dev as symlinks to host folders"
mkdir -p "$work/evil$marker/proc" "$work/evil$marker/sys" "$work/evil$marker/dev"
evil_ran "the same, with the folders in the rootfs too"
if [ -n "${nosys:-}" ]; then
	run "$nosys" openat2 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/evil" true
	is "$RC" 125 "without openat2: a symlinked /proc is refused"
	# ELOOP in libc's words: musl's, or glibc's for the ASan build.
	loop="Symbolic link loop"
	asan_build && loop="Too many levels of symbolic links"
	is "$ERR" "carapace: mount: /proc: destination: $loop" \
		"without openat2: the message says why"
	is "$(find "$marker" -mindepth 2 | wc -l)" 0 "without openat2: nothing made on the host"
else
	for i in 1 2 3; do skip "no x86_64 seccomp helper"; done
fi
rm -rf -- "$marker"
marker=

# --- bad input: one line, exit 125, nothing made, nothing left behind
bad() {
	local desc=$1 ere=$2; shift 2
	run "$@"
	is "$RC" 125 "$desc: exit 125"
	if [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ]; then pass "$desc: one line"; else
		fail "$desc: one line"; diag "stderr: '$ERR'"
	fi
	like "$ERR" "$ere" "$desc: the message says what is wrong"
}
bad "missing source" "^carapace: volume /nonexistent/data:/mnt/new: source: No such file or directory\$" \
	vol -v /nonexistent/data:/mnt/new true
ok "missing source: no target was made" test ! -e "$R/mnt/new"
bad "no colon" '^carapace: volume /tmp: expected SRC:DST\[:OPTS\]$' vol -v /tmp true
bad "no source" '^carapace: volume :/mnt: expected SRC:DST' vol -v :/mnt true
bad "empty destination" '^carapace: volume /tmp:: the destination must be an absolute path$' \
	vol -v /tmp: true
bad "relative destination" '^carapace: volume /tmp:mnt: the destination must be an absolute path$' \
	vol -v /tmp:mnt true
bad "unknown option" "^carapace: volume /tmp:/mnt:ro,bogus: unknown option: 'bogus'\$" \
	vol -v /tmp:/mnt:ro,bogus true
bad "a tmpfs option on a volume" "unknown option: 'size=1m'" vol -v /tmp:/mnt:size=1m true
bad "the root as destination" '^carapace: volume /tmp:/: destination: the container.s root' \
	vol -v /tmp:/ true
bad "--mount without type" '^carapace: mount src=/tmp,dst=/mnt: needs type=' \
	vol --mount src=/tmp,dst=/mnt true
bad "--mount type=nfs" "^carapace: mount type=nfs,src=/tmp,dst=/mnt: unknown type 'nfs'" \
	vol --mount type=nfs,src=/tmp,dst=/mnt true
bad "--mount unknown key" "^carapace: mount type=bind,src=/tmp,dst=/mnt,color=red: unknown option: 'color=red'\$" \
	vol --mount type=bind,src=/tmp,dst=/mnt,color=red true
bad "--mount bind without source" '^carapace: mount type=bind,dst=/mnt: a bind needs a source$' \
	vol --mount type=bind,dst=/mnt true
bad "--mount without destination" 'the destination must be an absolute path$' \
	vol --mount type=bind,src=/tmp true
bad "--mount readonly=maybe" "not true or false: 'readonly=maybe'" \
	vol --mount type=bind,src=/tmp,dst=/mnt,readonly=maybe true
bad "--mount bad propagation" "unknown option: 'bind-propagation=shared'" \
	vol --mount type=bind,src=/tmp,dst=/mnt,bind-propagation=shared true
ok "bad input: no target was made" test ! -e "$R/mnt/new"
# A good --mount, for contrast: docker's key names, and readonly=false.
run vol --mount "type=bind,src=$work/src,destination=/mnt/data,readonly=false,bind-propagation=rslave" \
	sh -c 'grep " /mnt/data " /proc/mounts | cut -d" " -f4 | cut -d, -f1'
is "$OUT" rw "--mount: docker's keys and readonly=false work"

no_leaks
done_testing
