#!/bin/bash
# t/245-root-folder-race.t: the owner of the folder that holds the rootfs
# (or the tarball), an ordinary user, swaps the rootfs folder itself with a
# symlink to a folder of its own (renameat2 RENAME_EXCHANGE, in a loop)
# while rootful containers start with the default root, an overlay in
# memory. Carapace looks the folder up once and makes the root's tmpfs,
# layers and overlay from that fd: whatever the name means a moment later,
# the layers (the container root's files, setuid ones too) are never put
# in a folder on the host, the user's or the rootfs's.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

STARTS=${RACE_STARTS:-200}
attacker_setup carapace-t-rootrace racer
# The user's: P, and its folder B with the symlink alt to it. The rootfs
# and the tarball's folder are root's, only their names are the user's.
P=$work/p
mkdir "$P" "$P/B" "$P/imgs"
cp -a "$ROOTFS" "$P/rootfs"
tar -C "$ROOTFS" -cf "$P/imgs/root.tar" .
cp "$P/imgs/root.tar" "$P/B/root.tar"
ln -s "$P/B" "$P/alt"
chown "$user" "$P" "$P/B" "$P/B/root.tar"
chown -h "$user" "$P/alt"
snapshot_host

# Writes a setuid copy of busybox in the root: were the upper layer on the
# host, the user would have a setuid-root shell there.
probe='cp /bin/busybox /sx && chmod 4755 /sx && echo ran'

# $1: what is raced (rootfs, imgs); $2: the -r argument.
race() {
	local started=0 other=0 out rc
	setpriv --reuid="$user" --regid="$user" --clear-groups \
		"$work/rename-race" "$P" "$1" alt &
	racer=$!
	for ((i = 0; i < STARTS; i++)); do
		out=$("$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$2" sh -c "$probe" 2>"$work/err")
		rc=$?
		if [ "$rc" = 0 ] && [ "$out" = ran ]; then
			started=$((started + 1))
		elif [ "$rc" != 0 ] && [ "$(wc -l <"$work/err")" = 1 ] &&
		     grep -q '^carapace: ' "$work/err"; then
			:
		else
			other=$((other + 1))
			diag "start $i: rc $rc: $out $(cat "$work/err")"
		fi
	done
	ok "the attacker raced all along ($1)" kill -0 "$racer"
	kill "$racer"; wait "$racer" 2>/dev/null; racer=
	# The names back as they were, if the racer stopped between.
	if [ -L "$P/$1" ]; then
		mv -T "$P/$1" "$P/alt.tmp" && mv -T "$P/alt" "$P/$1" && mv -T "$P/alt.tmp" "$P/alt"
	fi
	note "$1: $STARTS starts, $started ran"
	ok "  some containers ran ($started of $STARTS)" test "$started" -gt 0
	is "$other" 0 "  a start either runs or fails with one line"
}

race rootfs "$P/rootfs"
is "$(find "$P/B" "$P/rootfs" -maxdepth 1 \( -name upper -o -name work -o -name merged \) | head -3)" "" \
	"no overlay layer was made in the user's folder or in the rootfs"
is "$(find "$P" -perm -4000 | head -3)" "" "no setuid file on the host"

race imgs "$P/imgs/root.tar"
is "$(find "$P/B" "$P/imgs" -maxdepth 1 \( -name lower -o -name upper -o -name merged \) | head -3)" "" \
	"no tarball was unpacked, no layer made, in the user's folder or the tarball's"
is "$(find "$P" -perm -4000 | head -3)" "" "no setuid file on the host"
is "$(find "$P" -user root -newer "$P/B/root.tar" ! -path "$P/rootfs*" ! -path "$P/imgs*" | head -3)" "" \
	"nothing of root's in the user's folder"

no_leaks
done_testing
