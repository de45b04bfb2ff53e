#!/bin/bash
# t/220-overlay.t: --overlay writes to an overlay whose upper layer is in
# memory, or in --overlay-dir: the rootfs folder is never changed, so that
# many containers share one pristine rootfs without seeing each other.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null ||
	skip_all "the kernel has no overlay filesystem"

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
chmod 755 "$work"
# A copy without /proc and /sys: their mount targets must be made in the overlay.
cp -a "$ROOTFS" "$work/rootfs"
R=$work/rootfs
rm -rf -- "$R/proc" "$R/sys"
ovl() { "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay "$@"; }
# tree_sum DIR: one checksum of names, types, modes, owners, link targets and contents.
tree_sum() {
	(cd "$1" && find . -printf '%p %y %m %U:%G %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum) | sha256sum
}
pristine=$(tree_sum "$R")

# --- writes stay in the overlay
run ovl sh -c 'echo hi >/etc/new && cat /etc/new && rm /bin/ls && mkdir /newdir && chmod 700 /etc &&
	[ ! -e /bin/ls ] && echo gone; grep -c "^overlay / overlay" /proc/mounts; ls -d /proc/1 /sys/kernel'
is "$RC" 0 "--overlay: the command runs"
is "$OUT" "$(printf 'hi\ngone\n1\n/proc/1\n/sys/kernel')" \
	"--overlay: writes, removals and new folders show inside; / is an overlay; /proc and /sys are mounted"
is "$(tree_sum "$R")" "$pristine" "--overlay: the rootfs folder is unchanged, checksum of the whole tree"
ok "--overlay: /proc and /sys were made in the overlay, not in the rootfs" test ! -e "$R/proc" -a ! -e "$R/sys"
run ovl stat -c '%a %U' /
is "$OUT" "$(stat -c '%a %U' "$R")" "--overlay: / has the rootfs's mode and owner"

# --- two containers at once don't see each other's writes
ovl sh -c 'echo a >/who; sleep 1; cat /who; ls /only-b 2>/dev/null; true' >"$work/a" 2>&1 &
a=$!
sleep 0.3
run ovl sh -c 'cat /who 2>/dev/null; echo b >/who; echo b >/only-b; cat /who'
wait $a
is "$(cat "$work/a")" a "two overlays: the first sees only its own writes"
is "$OUT" b "two overlays: the second doesn't see the first's"
is "$(tree_sum "$R")" "$pristine" "two overlays: the rootfs folder is still unchanged"

# --- with volumes, tmpfs and --read-only
mkdir "$work/vol"
run ovl -v "$work/vol:/made/by/volume" --tmpfs /made/tmp sh -c 'echo v >/made/by/volume/v; ls -d /made/tmp'
is "$OUT" /made/tmp "--overlay: volume and tmpfs targets are made in the overlay"
is "$(cat "$work/vol/v" 2>&1)" v "--overlay: the volume writes to the host"
ok "--overlay: the targets were not made in the rootfs" test ! -e "$R/made"
run ovl --read-only sh -c 'touch /x'
like "$ERR" 'Read-only file system' "--overlay --read-only: the overlay is read-only"

# --- --overlay-dir keeps the changes
mkdir "$work/changes"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay-dir "$work/changes" sh -c 'echo kept >/etc/kept; rm /etc/os-release'
is "$RC" 0 "--overlay-dir: the command runs"
is "$(cat "$work/changes/upper/etc/kept" 2>&1)" kept "--overlay-dir: the change is in DIR/upper"
ok "--overlay-dir: DIR/work exists" test -d "$work/changes/work"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay-dir "$work/changes" sh -c 'cat /etc/kept; [ -e /etc/os-release ] || echo removed'
is "$OUT" "$(printf 'kept\nremoved')" "--overlay-dir: the next container sees the changes"
"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay-dir "$work/changes" sleep 2 &
busy=$!
sleep 0.5
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay-dir "$work/changes" true
wait $busy
is "$RC" 125 "--overlay-dir in use by a running container: exit 125"
like "$ERR" "^carapace: --overlay-dir: $work/changes: in use by another container\$" \
	"--overlay-dir in use: the message says so"
run ovl cat /etc/kept
isnt "$RC" 0 "--overlay without the dir: the changes are not there"
is "$(tree_sum "$R")" "$pristine" "--overlay-dir: the rootfs folder is unchanged"

# --- a rootfs on an overlay: it works where the kernel stacks them, else a clear error
lower=$work/stacked
mkdir -p "$lower/upper" "$lower/work" "$lower/merged"
run unshare -m sh -c 'mount --make-rprivate / &&
	mount -t overlay stacked -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/merged" &&
	"$3" run -q -r "$2/merged" --overlay sh -c "echo x >/stacked-test && cat /stacked-test"' - "$R" "$lower" "$CARAPACE"
if [ "$RC" = 0 ]; then
	is "$OUT" x "a rootfs on an overlay: the kernel stacks another on it"
else
	like "$ERR" '^carapace: --overlay: the rootfs .* is on an overlay already' \
		"a rootfs on an overlay: a clear error"
fi

# --- bad input
# A missing --overlay-dir is made, 0700, the caller's (or with a user
# namespace, the container root's); its folder must exist, and a symlink as
# its name, even a dangling one, is never followed to make it.
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay-dir "$work/new-changes" \
	sh -c 'echo kept >/kept'
is "$RC:$ERR" "0:" "--overlay-dir missing: made, and the container runs"
is "$(stat -c '%a %u:%g' "$work/new-changes" 2>&1):$(cat "$work/new-changes/upper/kept" 2>&1)" \
	"700 $(id -u):$(id -g):kept" "  0700, the caller's, with the changes in it"
run env -C "$work" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" \
	--overlay-dir rel-changes/ true
is "$RC:$ERR:$(stat -c %a "$work/rel-changes" 2>&1)" "0::700" "--overlay-dir relative, with a slash: made"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --uidmap 0:200000:65536 \
	--overlay-dir "$work/userns-changes" sh -c 'echo y >/y'
is "$RC:$ERR:$(stat -c '%a %u:%g' "$work/userns-changes" 2>&1)" "0::700 200000:200000" \
	"--overlay-dir missing, with --uidmap: made for the container's root"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay-dir "$work/nonexistent/deeper" true
is "$RC" 125 "--overlay-dir in a missing folder: exit 125"
like "$ERR" "^carapace: --overlay-dir: $work/nonexistent: No such file or directory\$" \
	"--overlay-dir in a missing folder: the message names it"
ok "  nothing is made" test ! -e "$work/nonexistent"
ln -s "$work/dangling-target" "$work/dangling"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay-dir "$work/dangling" true
is "$RC" 125 "--overlay-dir a dangling symlink: exit 125"
like "$ERR" "^carapace: --overlay-dir: $work/dangling: No such file or directory\$" "  says so"
ok "  its target is not made" test ! -e "$work/dangling-target"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay-dir "$R/new-in-rootfs" true
is "$RC" 125 "--overlay-dir missing, in the rootfs: exit 125"
like "$ERR" '^carapace: --overlay-dir: .*: must not be in the rootfs, nor hold it$' "  refused"
ok "  and not made in the rootfs" test ! -e "$R/new-in-rootfs"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay-dir "$R/tmp" true
is "$RC" 125 "--overlay-dir in the rootfs: exit 125"
like "$ERR" '^carapace: --overlay-dir: .*: must not be in the rootfs, nor hold it$' \
	"--overlay-dir in the rootfs: refused"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" --overlay-dir "$work" true
like "$ERR" 'must not be in the rootfs, nor hold it$' "--overlay-dir holding the rootfs: refused"
is "$(tree_sum "$R")" "$pristine" "in the end, the rootfs folder is unchanged"

no_leaks
done_testing
