#!/bin/bash
# t/010-setup.t: setup.sh builds a busybox rootfs, and imports tarballs
# without ever writing outside the target directory.
. "$(dirname "$0")/tap.sh"
need_root
[ -x /bin/busybox ] || skip_all "busybox-static is not installed"

SETUP=$TOP/setup.sh
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

tree() { (cd "$1" && find . -printf '%p %m %u %y %l\n' | sort); }
# What a hostile archive could change: names, types, sizes and modes.
snapshot() { find "$work" -printf '%p %y %s %m %l\n' | sort; }
one_line_error() {
	[ "$RC" = 1 ] && [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] &&
		[ "${ERR#setup.sh: }" != "$ERR" ]
}
is_applet() { [ -L "$1" ] && [ "$1" -ef "$R/bin/busybox" ]; }

run "$SETUP" --help
is "$RC" 0 "--help exits 0"
like "$OUT" '^Usage: ' "--help prints usage"

# --- the default build, into ./rootfs of the current directory
mkdir "$work/def"
run bash -c 'cd "$1" && exec "$2"' - "$work/def" "$SETUP"
is "$RC" 0 "default build succeeds"
is "$ERR" "" "default build prints no errors"
R=$work/def/rootfs
is "$(ls -A "$work/def")" rootfs "the build left only ./rootfs behind"
is "$(chroot "$R" /bin/sh -c 'echo hi' 2>&1)" hi "busybox sh runs in the rootfs"
for l in bin/sh usr/bin/env sbin/ip; do ok "applet link $l" is_applet "$R/$l"; done
missing=$(/bin/busybox --list-full | while read -r a; do [ -e "$R/$a" ] || echo "$a"; done)
is "$missing" "" "every applet of busybox --list-full has a link"
is "$(stat -c %a "$R/tmp")" 1777 "/tmp is 1777"
is "$(stat -c %a "$R/var/tmp")" 1777 "/var/tmp is 1777"
is "$(stat -c %a "$R/root")" 700 "/root is 0700"
is "$(stat -c %u:%g "$R/home/app")" 1000:1000 "/home/app belongs to app"
for d in proc sys dev run mnt opt srv usr/sbin; do ok "/$d exists" test -d "$R/$d"; done
for f in passwd group hostname os-release hosts; do ok "/etc/$f exists" test -s "$R/etc/$f"; done
ok "passwd has root" grep -qx 'root:x:0:0:root:/root:/bin/sh' "$R/etc/passwd"
ok "passwd has app" grep -qx 'app:x:1000:1000:app:/home/app:/bin/sh' "$R/etc/passwd"
ok "group has staff with member app" grep -qx 'staff:x:50:app' "$R/etc/group"
is "$(cat "$R/etc/hostname")" carapace "hostname is carapace"
ok "os-release has the busybox version" grep -qx 'VERSION_ID=[0-9][0-9.]*' "$R/etc/os-release"
ok "hosts has localhost" grep -q '^127\.0\.0\.1[[:space:]]*localhost' "$R/etc/hosts"
is "$(chroot "$R" /bin/sh -c 'id app' 2>&1)" "uid=1000(app) gid=1000(app) groups=1000(app),50(staff)" \
	"app's groups resolve inside the rootfs"

# --- idempotence: a second run updates in place and changes nothing
before=$(tree "$R")
run "$SETUP" "$R"
is "$RC" 0 "second run succeeds"
is "$ERR" "" "second run prints no errors"
is "$(tree "$R")" "$before" "second run leaves the same tree"

# --- updating in place never writes through the tree's own symlinks
mkdir -p "$work/evil/rootfs" "$work/evil/host-etc"
ln -s "$work/evil/host-etc" "$work/evil/rootfs/etc"
run "$SETUP" "$work/evil/rootfs"
ok "a symlinked /etc is refused with a one-line error" one_line_error
is "$(ls -A "$work/evil/host-etc")" "" "nothing was written through the symlink"

# --- no busybox-static: hide it in a private mount namespace
if unshare -m true 2>/dev/null; then
	run unshare -m bash -c 'mount --bind /dev/null /bin/busybox && exec "$1" "$2"' \
		- "$SETUP" "$work/nobb/rootfs"
	is "$ERR" "setup.sh: busybox-static is not installed; apt-get install busybox-static (as root), or BUSYBOX=FILE ./setup.sh with a static busybox" \
		"missing busybox-static is reported"
	is "$RC" 1 "missing busybox-static exits 1"
	is "$(ls -A "$work/nobb" 2>/dev/null)" "" "missing busybox-static leaves no directory"
else
	skip "unshare -m does not work here" && skip "" && skip ""
fi

# --- --from with good tarballs, plain and compressed
for comp in tar gz xz bz2 zst; do
	case $comp in
	tar) flag='' tool=cat ;; gz) flag=-z tool=gzip ;; xz) flag=-J tool=xz ;;
	bz2) flag=-j tool=bzip2 ;; zst) flag=--zstd tool=zstd ;;
	esac
	if ! command -v "$tool" >/dev/null; then
		skip "$tool not installed" && skip "" && skip "" && skip ""
		continue
	fi
	tb=$work/good.$comp
	tar -C "$R" ${flag:+"$flag"} -cf "$tb" .
	dest=$work/from-$comp/rootfs
	run "$SETUP" --from "$tb" "$dest"
	is "$RC" 0 "--from $comp tarball succeeds"
	is "$(chroot "$dest" /bin/sh -c 'echo hi' 2>&1)" hi "--from $comp: sh runs in it"
	is "$(tree "$dest")" "$(tree "$R")" "--from $comp: same tree, owners and modes"
	is "$(ls -A "$work/from-$comp")" rootfs "--from $comp: no temp dir left"
done

mkdir "$work/empty"
run "$SETUP" --from "$work/good.tar" "$work/empty"
is "$RC" 0 "--from into an existing empty directory succeeds"
ok "--from into an empty directory fills it" test -x "$work/empty/bin/busybox"
mkdir -p "$work/full/rootfs" && echo keep >"$work/full/rootfs/mine"
run "$SETUP" --from "$work/good.tar" "$work/full/rootfs"
ok "--from into a non-empty directory fails with one line" one_line_error
like "$ERR" 'not empty' "the error says the directory is not empty"
is "$(ls -A "$work/full/rootfs" "$work/full")" "$(printf '%s\n' "$work/full:" rootfs '' "$work/full/rootfs:" mine)" \
	"the non-empty directory is untouched"

# --- hostile and broken tarballs: refused, nothing written anywhere
# refused NAME TARBALL: import into a fresh directory must fail cleanly.
refused_n=0
refused() {
	local name=$1 tarball=$2 parent before
	refused_n=$((refused_n + 1))
	parent=$work/refused-$refused_n
	mkdir "$parent"
	before=$(snapshot)
	run "$SETUP" --from "$tarball" "$parent/rootfs"
	ok "$name: refused with a one-line error" one_line_error
	[ "$RC" = 1 ] || diag "rc=$RC err=$ERR"
	is "$(snapshot)" "$before" "$name: nothing written, no directory left"
}

mkdir "$work/abs-target" && echo evil >"$work/abs-target/evil"
tar -P -cf "$work/abs.tar" "$work/abs-target/evil"
rm "$work/abs-target/evil"
refused "absolute path" "$work/abs.tar"

mkdir -p "$work/dd/sub" && echo evil >"$work/dd/escape"
tar -P -C "$work/dd/sub" -cf "$work/dotdot.tar" ../escape
tar -P -C "$work/dd/sub" --transform='s,^,a/../../,' -cf "$work/dotdot2.tar" ../escape
rm -r "$work/dd"
refused "../escape entry" "$work/dotdot.tar"
refused "a/../../../escape entry" "$work/dotdot2.tar"

mkdir -p "$work/marker-dir" "$work/st1" "$work/st2/link" "$work/st3"
ln -s "$work/marker-dir" "$work/st1/link"
echo evil >"$work/st2/link/evil"
chmod 0777 "$work/st2/link"
tar -C "$work/st1" -cf "$work/symlink.tar" link
tar -C "$work/st2" -rf "$work/symlink.tar" link/evil
refused "entry through a symlink of the archive" "$work/symlink.tar"
tar -C "$work/st1" -cf "$work/symdir.tar" link
tar -C "$work/st2" --no-recursion -rf "$work/symdir.tar" link
refused "symlink then directory of the same name" "$work/symdir.tar"
ln -s ../../../.. "$work/st3/link"
tar -C "$work/st3" -cf "$work/relsym.tar" link
tar -C "$work/st2" -rf "$work/relsym.tar" link/evil
refused "entry through a relative symlink" "$work/relsym.tar"
rm -r "$work/st1" "$work/st2" "$work/st3"

mkdir "$work/hl" && echo x >"$work/hl/x" && ln "$work/hl/x" "$work/hl/y"
# Only the hard link's target is rewritten (flags RSh), the file stays "x".
tar -P -C "$work/hl" --transform='s,^x$,../x,RSh' -cf "$work/hardlink.tar" x y
rm -r "$work/hl"
refused "hard link to ../x" "$work/hardlink.tar"

mkdir -p "$work/devs/dev" && mknod "$work/devs/dev/null" c 1 3 && mknod "$work/devs/sda" b 8 0
tar -C "$work/devs" -cf "$work/devok.tar" dev
tar -C "$work/devs" -cf "$work/devbad.tar" dev sda
rm -r "$work/devs"
run "$SETUP" --from "$work/devok.tar" "$work/devok/rootfs"
is "$RC" 0 "a device node under dev/ is accepted"
refused "device node outside dev/" "$work/devbad.tar"

refused "missing tarball" "$work/no-such.tar"
like "$ERR" "^setup.sh: $work/no-such.tar: " "missing tarball: the error names it"
head -c 4096 /dev/urandom >"$work/garbage.tar"
refused "garbage tarball" "$work/garbage.tar"
like "$ERR" "^setup.sh: $work/garbage.tar: " "garbage tarball: the error names it"
if [ -f "$work/good.gz" ]; then
	head -c 100000 "$work/good.gz" >"$work/truncated.tar.gz"
	refused "truncated tarball" "$work/truncated.tar.gz"
fi
: >"$work/empty.tar"
refused "empty tarball" "$work/empty.tar"

# --- h8 (issue 15): an ordinary user builds and imports a rootfs, no root needed.
# A throwaway user of the test's own, removed at exit; its folder is the test's.
uuser=carapace-t010-$$
useradd -r -M -s /bin/sh "$uuser"
trap 'userdel "$uuser" 2>/dev/null; rm -rf -- "$work"' EXIT
chmod 755 "$work" && mkdir "$work/user" && chown "$uuser:" "$work/user"
# TMPDIR: the harness's is root's; the user's own is in its folder.
as_user() { setpriv --reuid="$uuser" --regid="$uuser" --init-groups env TMPDIR="$work/user" "$@"; }
run as_user "$SETUP" "$work/user/rootfs"
is "$RC" 0 "an ordinary user builds a rootfs"
is "$ERR" "" "the user's build prints no errors"
R=$work/user/rootfs
is "$(chroot "$R" /bin/sh -c 'echo hi' 2>&1)" hi "busybox sh runs in the user's rootfs"
is "$(find "$R" ! -user "$uuser" | head -3)" "" "every file of the user's rootfs is the user's"
is "$(stat -c %a "$R/root" "$R/tmp")" "$(printf '700\n1777')" "the user's rootfs: /root 0700, /tmp 1777"
is "$(ls -A "$work/user")" rootfs "the user's build left only the rootfs behind"
tar -C "$R" -cf "$work/user/r.tar" .
run as_user "$SETUP" --from "$work/user/r.tar" "$work/user/imported"
is "$RC" 0 "an ordinary user imports a tarball"
is "$(chroot "$work/user/imported" /bin/sh -c 'echo hi' 2>&1)" hi "busybox sh runs in the user's import"
is "$(find "$work/user/imported" ! -user "$uuser" | head -3)" "" "every imported file is the user's"
mkdir -p "$work/udev/dev" && mknod "$work/udev/dev/null" c 1 3 && tar -C "$work/udev" -cf "$work/user/dev.tar" dev
run as_user "$SETUP" --from "$work/user/dev.tar" "$work/user/devs"
is "$RC" 0 "an ordinary user imports a tarball with a device node under dev/ (skipped)"
ok "the device node was not made" test ! -e "$work/user/devs/dev/null"
run as_user env BUSYBOX="$R/bin/busybox" "$SETUP" "$work/user/own"
is "$RC" 0 "BUSYBOX=FILE: a busybox of the user's own"
ok "BUSYBOX=FILE: its busybox is the one given" cmp -s "$R/bin/busybox" "$work/user/own/bin/busybox"
rm -rf -- "$work/user" "$work/udev"

done_testing
