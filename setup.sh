#!/bin/bash
# setup.sh: build a busybox rootfs for carapace offline, or import a rootfs tarball.
set -euo pipefail
umask 022

# BUSYBOX=FILE: a static busybox of your own (an ordinary user can't apt-get).
BUSYBOX=${BUSYBOX:-/bin/busybox}
custom_busybox=''
if [ "$BUSYBOX" != /bin/busybox ]; then custom_busybox=1; fi
FHS_DIRS=(proc sys dev tmp root home home/app var var/tmp run etc usr usr/bin usr/sbin bin sbin mnt opt srv)

usage() {
	cat <<-EOF
	Usage: ./setup.sh [DIR]                 build a busybox rootfs in DIR (default ./rootfs)
	       ./setup.sh --from TARBALL [DIR]  import a rootfs tarball (Alpine minirootfs,
	                                        docker export; plain, gz, xz, bz2 or zstd)
	       ./setup.sh --help
	The build uses the host's busybox-static (or BUSYBOX=FILE, a static busybox) and
	needs no network; running it again updates DIR in place. It needs no root: as an
	ordinary user the files are the user's, which a rootless container sees as root's. --from refuses unsafe archives and a DIR that is not empty.
	EOF
}

die() { printf 'setup.sh: %s\n' "$*" >&2; exit 1; }

# Everything is built beside DIR and renamed into place at the end, so
# whatever way we exit, the half-made temp dir must go.
tmp='' work=''
cleanup() {
	if [ -n "$tmp" ]; then rm -rf -- "$tmp"; fi
	if [ -n "$work" ]; then rm -rf -- "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# put FILE MODE: write stdin to FILE. Removing it first means an existing
# symlink is replaced rather than written through.
put() {
	rm -f -- "$1"
	cat >"$1"
	chmod "$2" "$1"
}

populate() {
	local root=$1 d applet up version dirs=()
	for d in "${FHS_DIRS[@]}"; do
		# Updating an existing tree: never follow its symlinks out of it.
		[ ! -L "$root/$d" ] || die "$root/$d: is a symlink, refusing to write through it"
		dirs+=("$root/$d")
	done
	mkdir -p -- "${dirs[@]}"
	# As an ordinary user the files stay the user's: a rootless container
	# maps that uid to its root, so they are root's inside it.
	if [ "$as_root" ]; then chown 0:0 -- "${dirs[@]}"; fi
	chmod 0755 -- "${dirs[@]}"
	chmod 1777 "$root/tmp" "$root/var/tmp"
	chmod 0700 "$root/root"
	if [ "$as_root" ]; then chown 1000:1000 "$root/home/app"; fi

	# Copy then rename: a running container may be executing the old binary.
	rm -f -- "$root/bin/.busybox.new"
	cp -- "$BUSYBOX" "$root/bin/.busybox.new"
	chmod 0755 "$root/bin/.busybox.new"
	mv -f -- "$root/bin/.busybox.new" "$root/bin/busybox"

	# Relative links, so they resolve the same inside and outside the rootfs.
	# Links that already lead to busybox are kept: a fork per applet is slow.
	while read -r applet; do
		[ "$applet" != bin/busybox ] || continue
		if [ -L "$root/$applet" ] && [ "$root/$applet" -ef "$root/bin/busybox" ]; then
			continue
		fi
		up=${applet//[!\/]/}
		up=${up//\//../}
		if [[ $applet == */* && ! -d $root/${applet%/*} ]]; then mkdir -p -- "$root/${applet%/*}"; fi
		ln -sfn -- "${up}bin/busybox" "$root/$applet"
	done < <("$BUSYBOX" --list-full)

	version=$("$BUSYBOX" 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')
	put "$root/etc/passwd" 0644 <<-EOF
	root:x:0:0:root:/root:/bin/sh
	app:x:1000:1000:app:/home/app:/bin/sh
	nobody:x:65534:65534:nobody:/nonexistent:/bin/false
	EOF
	put "$root/etc/group" 0644 <<-EOF
	root:x:0:
	tty:x:5:
	staff:x:50:app
	app:x:1000:
	nogroup:x:65534:
	EOF
	echo carapace | put "$root/etc/hostname" 0644
	put "$root/etc/hosts" 0644 <<-EOF
	127.0.0.1	localhost
	::1	localhost ip6-localhost ip6-loopback
	127.0.1.1	carapace
	EOF
	put "$root/etc/os-release" 0644 <<-EOF
	NAME="carapace busybox"
	ID=carapace-busybox
	VERSION_ID=$version
	PRETTY_NAME="carapace busybox $version"
	EOF
}

# Reads `LC_ALL=C tar -P --quoting-style=c --numeric-owner -tv` output and
# prints why the archive is unsafe (exit 1), or nothing. With C quoting every
# name is one "..." string in which '/' and '.' are never escaped, so paths
# can be checked in their quoted form.
CHECK_AWK='
function bad(why) { print why; failed = 1; exit 1 }
function qlen(s) { return match(s, /^"([^"\\]|\\.)*"/) ? RLENGTH : 0 }
function norm(p, what,   n, a, i, out) {
	if (substr(p, 1, 1) == "/") bad(what " \"" p "\" is absolute")
	n = split(p, a, "/")
	for (i = 1; i <= n; i++) {
		if (a[i] == "" || a[i] == ".") continue
		if (a[i] == "..") bad(what " \"" p "\" has a \"..\" component")
		out = out == "" ? a[i] : out "/" a[i]
	}
	return out
}
# The first proper prefix of p that the archive makes a symlink, if any.
function via_symlink(p,   n, a, i, pre) {
	n = split(p, a, "/")
	for (i = 1; i < n; i++) {
		pre = i == 1 ? a[1] : pre "/" a[i]
		if (pre in sym) return pre
	}
	return ""
}
{
	type = substr($0, 1, 1)
	if (index("-dlhcbp", type) == 0) bad("unsupported entry type: " $0)
	rest = substr($0, index($0, "\""))
	if (!(len = qlen(rest))) bad("cannot parse listing: " $0)
	name = substr(rest, 2, len - 2)
	rest = substr(rest, len + 1)
	path = norm(name, "path")
	if (path == "" && type != "d") bad("the archive root is not a directory")
	# carapace mounts a tmpfs on /dev; device nodes elsewhere would expose the host.
	if ((type == "c" || type == "b") && path !~ /^dev\//) bad("device node \"" path "\" outside /dev")
	sep = type == "l" ? " -> " : type == "h" ? " link to " : ""
	if (sep != "") {
		if (substr(rest, 1, length(sep)) != sep) bad("cannot parse listing: " $0)
		rest = substr(rest, length(sep) + 1)
		if (!(len = qlen(rest))) bad("cannot parse listing: " $0)
		if (type == "h") hard[NR] = norm(substr(rest, 2, len - 2), "hard link target")
		rest = substr(rest, len + 1)
	}
	if (rest != "") bad("cannot parse listing: " $0)
	if (type == "l") sym[path] = 1
	paths[NR] = path
	seen[path]++
}
END {
	if (failed) exit 1
	if (NR == 0) bad("the archive is empty")
	for (i = 1; i <= NR; i++) {
		p = paths[i]
		if ((p in sym) && seen[p] > 1) bad("\"" p "\" is a symlink and another entry too")
		if ((s = via_symlink(p)) != "") bad("\"" p "\" goes through the symlink \"" s "\"")
		if ((i in hard) && (s = via_symlink(hard[i])) != "")
			bad("hard link target \"" hard[i] "\" goes through the symlink \"" s "\"")
	}
}'

# make_tmp: the temp dir beside DIR that will be renamed to DIR.
make_tmp() {
	mkdir -p -- "$(dirname -- "$dir")"
	tmp=$(mktemp -d "$dir.tmp.XXXXXX")
	chmod 0755 "$tmp"
}

# import TARBALL: check the listing, then extract beside $dir and rename.
import() {
	local tarball=$1 why
	[ -e "$tarball" ] || die "$tarball: no such file"
	[ -f "$tarball" ] || die "$tarball: not a regular file"
	[ -r "$tarball" ] || die "$tarball: not readable"
	[[ $(tar --version 2>/dev/null) == *"GNU tar"* ]] || die "tar: GNU tar is needed for --from"
	work=$(mktemp -d)
	# LC_ALL=C: the listing is parsed ("link to" is translated in other locales).
	if ! LC_ALL=C tar -P --quoting-style=c --numeric-owner -tvf "$tarball" \
		>"$work/list" 2>"$work/err"; then
		why=$(sed -n '/./{s/^tar: //;p;q}' "$work/err")
		die "$tarball: cannot read archive: ${why:-tar failed}"
	fi
	why=$(awk "$CHECK_AWK" "$work/list") || die "$tarball: unsafe archive: $why"

	make_tmp
	# As root tar keeps owners and modes; numeric ids because the names in
	# the archive mean the rootfs's users, not the host's. An ordinary user
	# can't give files away: they become the user's (root in a rootless
	# container), and device nodes can't be made (carapace makes /dev anyway).
	local owner=(--same-owner)
	if [ -z "$as_root" ]; then owner=(--no-same-owner --exclude='dev/*'); fi
	if ! tar -xf "$tarball" -C "$tmp" --numeric-owner "${owner[@]}" \
		--same-permissions --no-overwrite-dir 2>"$work/err"; then
		why=$(sed -n '/./{s/^tar: //;p;q}' "$work/err")
		die "$tarball: extraction failed: ${why:-tar failed}"
	fi
	mv -T -- "$tmp" "$dir" || die "$dir: cannot rename $tmp into place"
	tmp=
}

from='' dir=''
while [ $# -gt 0 ]; do
	case $1 in
	-h|--help) usage; exit 0 ;;
	--from) [ $# -ge 2 ] || die "--from needs a TARBALL"; from=$2; shift ;;
	--from=*) from=${1#--from=} ;;
	--) shift; break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) [ -z "$dir" ] || die "too many arguments"; dir=$1 ;;
	esac
	shift
done
if [ $# -gt 0 ]; then
	if [ $# -gt 1 ] || [ -n "$dir" ]; then die "too many arguments"; fi
	dir=$1
fi
dir=${dir:-./rootfs}
while [[ $dir == */ && $dir != / ]]; do dir=${dir%/}; done
[ "$dir" != / ] || die "refusing to use / as the rootfs"
as_root=''
if [ "$(id -u)" = 0 ]; then as_root=1; fi
if [ -e "$dir" ] || [ -L "$dir" ]; then
	[ -d "$dir" ] || die "$dir: exists and is not a directory"
fi

if [ -n "$from" ]; then
	if [ -d "$dir" ] && [ -n "$(ls -A -- "$dir")" ]; then
		die "$dir: exists and is not empty; --from needs a new or empty directory"
	fi
	import "$from"
	exit 0
fi

# Debian's non-static busybox also installs /bin/busybox, but it would not
# run inside the rootfs without the host's libc.
if [ ! -x "$BUSYBOX" ] || { [ -z "$custom_busybox" ] && command -v dpkg-query >/dev/null &&
	[ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null)" != "install ok installed" ]; }; then
	die "busybox-static is not installed; apt-get install busybox-static (as root), or BUSYBOX=FILE ./setup.sh with a static busybox"
fi
if [ -d "$dir" ]; then
	populate "$dir"
else
	make_tmp
	populate "$tmp"
	mv -T -- "$tmp" "$dir"
	tmp=
fi
