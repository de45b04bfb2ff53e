#!/bin/bash
# t/246-overlay-dir-symlinks.t: --overlay-dir DIR in a folder of an ordinary
# user's (the rootfs owner keeping its changes). The user's "upper" or
# "work" as a symlink to a folder of root's must not become the overlay's
# layer (the container's root would read and write it), and an "upper"
# swapped for a symlink while carapace makes it must not lead its chmod to
# a host file (the rootfs folder's mode, 0777 if its owner likes).
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

attacker_setup carapace-t-ovldir
as() { setpriv --reuid="$user" --regid="$user" --clear-groups "$@"; }
mkdir -m 700 "$work/hostdir"
printf 'host root only\n' >"$work/hostdir/secret"
chmod 600 "$work/hostdir/secret"
D=$work/D
mkdir "$D"
chown "$user" "$D"
snapshot_host

# --- a symlink for upper, or for work, planted before the start
for layer in upper work; do
	rm -rf "$D/upper" "$D/work"
	as ln -s "$work/hostdir" "$D/$layer"
	run cara --overlay-dir "$D" sh -c 'cat /secret; echo x >/newfile'
	is "$RC" 125 "$layer as a symlink to root's folder: the start is refused"
	like "$ERR" "^carapace: --overlay: $layer: " "  with one line that says so"
	unlike "$OUT" 'host root only' "  the folder's file is not read"
	is "$(ls "$work/hostdir")" secret "  nothing written into the folder"
done
rm -f "$D/upper" "$D/work"
run cara --overlay-dir "$D" sh -c 'echo kept >/f'
run cara --overlay-dir "$D" cat /f
is "$RC:$OUT" "0:kept" "real folders: the changes are kept, as before"

# --- upper swapped for a symlink to a host file while carapace makes it
if command -v musl-gcc >/dev/null; then cc="musl-gcc -static"; else cc=gcc; fi
cat >"$work/swap.c" <<'EOF'
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>
/* Swaps A and B in DIR, over and over; ENOENT while one is missing is fine. */
int main(int argc, char **argv)
{
	int dir = open(argv[1], O_PATH | O_DIRECTORY);

	for (;;)
		syscall(SYS_renameat2, dir, argv[2], dir, argv[3], 1 << 1);
}
EOF
$cc -O2 -o "$work/swap" "$work/swap.c" || { echo "Bail out! no C compiler"; exit 1; }
printf 'secret\n' >"$work/victim"
chmod 600 "$work/victim"
setpriv --reuid="$user" --regid="$user" --clear-groups "$work/swap" "$D" upper alt &
racer=$!
for ((i = 0; i < 100; i++)); do
	as sh -c 'cd "$1" && for n in upper work alt; do
		if [ -L $n ]; then rm -f $n; elif [ -d $n ]; then mv $n old.$n.$2; fi
	done; ln -s "$3" alt' sh "$D" "$i" "$work/victim"
	"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --overlay-dir "$D" true 2>/dev/null
done
ok "the attacker raced all along" kill -0 "$racer"
kill "$racer"; wait "$racer" 2>/dev/null; racer=
is "$(stat -c %a "$work/victim")" 600 "the host file's mode is unchanged"

no_leaks
done_testing
