#!/bin/bash
# t/235-tarball-cache.t: root's tarball is unpacked once into --cache (here
# a folder of the test's), named by the SHA-256 of its tar stream, and each
# container gets an overlay on it: the second start reads nothing, a write
# in a container never reaches it, nobody on the host can read or write it,
# a changed archive gets an entry of its own, a hostile one is refused and
# leaves nothing, and prune removes what no container holds, and what a
# SIGKILL left mid-unpack.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
command -v tar >/dev/null || skip_all "no tar to make the tarballs"
command -v python3 >/dev/null || skip_all "no python3 to make hostile tarballs"

snapshot_host
W=$TMPDIR/w C=$TMPDIR/w/cache S=$TMPDIR/state
mkdir -m 755 "$W" "$W/img"
mkdir -m 700 "$S"
bg_pids=
cleanup() {
	local p
	# shellcheck disable=SC2086 # pids, one a word
	for p in $bg_pids; do kill -KILL "$p" 2>/dev/null; done
	"$CARAPACE" --root "$S" rm -f c1 >/dev/null 2>&1
	[ -p "$W/gate" ] && timeout 5 sh -c 'echo go >"$1"' sh "$W/gate"
}
trap cleanup EXIT
crun() { "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --cache "$C" "$@"; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
entries() { ls -A "$C" 2>/dev/null | grep -Ev '^[is]-' | LC_ALL=C sort | tr '\n' ' '; }
# The entry as the host sees it: names, types, modes, owners, sizes, times and contents.
tree_sum() {
	(cd "$1" && find . -printf '%p %y %m %u:%g %s %T@ %i\n' | LC_ALL=C sort &&
		find . -type f -exec md5sum {} + | LC_ALL=C sort) | md5sum
}

cp -a "$ROOTFS" "$W/tree"
echo marker-one >"$W/tree/marker"
tar -C "$W/tree" -cf "$W/img/root.tar" .
h=$(sum "$W/img/root.tar")

# --- the first start unpacks into the cache, named by the tar stream's SHA-256
run crun -r "$W/img/root.tar" sh -c 'cat /marker; grep -c "^overlay / " /proc/mounts'
is "$RC:$OUT" "$(printf '0:marker-one\n1')" "first start: runs, / is an overlay"
is "$(entries)" "$h " "the cache holds one entry, named as sha256sum names the archive"
is "$(stat -c '%u %a' "$C")" "0 700" "the cache folder is root's, 0700"
is "$(stat -c '%a %u:%g' "$C/$h" "$C/$h/tmp" "$C/$h/root")" "$(stat -c '%a %u:%g' "$W/tree" "$W/tree/tmp" "$W/tree/root")" \
	"the entry's modes and owners are the archive's"
ls_before=$(stat -c '%i %Y' "$C/$h") sum_before=$(tree_sum "$C/$h")
# The C rounds, where the CPU's SHA extensions would be used: the same key.
CARAPACE_SHA256_C=1 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --cache "$W/c-cache" \
	-r "$W/img/root.tar" true
is "$(ls "$W/c-cache" | grep -Ev '^[is]-')" "$h" "SHA-256 in C (CARAPACE_SHA256_C=1): the same key"
"$CARAPACE" prune --cache "$W/c-cache" >/dev/null

# --- the second start takes the entry as it is: a .tar.gz of the same stream needs no gzip
if command -v gzip >/dev/null; then
	gzip -c "$W/img/root.tar" >"$W/img/root.tar.gz"
	run crun -r "$W/img/root.tar.gz" cat /marker
	is "$RC:$OUT" 0:marker-one "the same stream, gzipped: runs"
	is "$(entries)" "$h " "  and shares the plain tarball's entry"
	run env PATH=/nonexistent "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q \
		--cache "$C" -r "$W/img/root.tar.gz" cat /marker
	is "$RC:$OUT" 0:marker-one "second start of the .tar.gz: no gzip in PATH, none needed (not unpacked again)"
else
	skip "no gzip"; skip "no gzip"; skip "no gzip"
fi
run crun -r "$W/img/root.tar" cat /marker
is "$RC:$OUT" 0:marker-one "second start of the .tar: runs"
is "$(stat -c '%i %Y' "$C/$h"):$(tree_sum "$C/$h")" "$ls_before:$sum_before" \
	"  the entry is the same inode, unchanged"

# --- a container's root writes to its overlay, never to the entry
run crun -r "$W/img/root.tar" sh -c 'echo evil >>/etc/passwd && rm /marker && chmod 4777 /bin/busybox &&
	mkdir /new && touch /bin/new && mknod /null2 c 1 3 && tail -1 /etc/passwd && ls -ld /new'
like "$RC:$OUT" '^0:evil' "the container's root writes / (passwd, rm, chmod 4777, mkdir, mknod)"
is "$(tree_sum "$C/$h")" "$sum_before" "  the entry is unchanged"
run crun -r "$W/img/root.tar" sh -c 'cat /marker; tail -1 /etc/passwd; ls /new 2>&1'
unlike "$OUT" evil "the next container starts from the archive again"
like "$OUT" '^marker-one' "  its /marker is there"
run crun -r "$W/img/root.tar" sh -c 'grep "^overlay / " /proc/self/mountinfo'
unlike "$OUT" "$C" "the container's mountinfo doesn't name the cache's path"
run crun -r "$W/img/root.tar" ls -l /proc/1/fd /proc/self/fd
unlike "$OUT" "$C|$h" "no fd of init's or of the workload's is on the cache"

# --- an ordinary user on the host can neither read nor write it
for cmd in "ls $C" "cat $C/$h/marker" "touch $C/$h/x" "touch $C/x" "ls $C/$h/bin"; do
	# shellcheck disable=SC2086 # the command's words
	run setpriv --reuid 65534 --regid 65534 --clear-groups $cmd
	like "$RC:$ERR" '^[1-9].*Permission denied' "nobody: $cmd: Permission denied"
done
is "$(tree_sum "$C/$h")" "$sum_before" "  the entry is unchanged"

# --- a changed archive (same size, same mtime: only its ctime says so) gets an entry of its own
mtime=$(stat -c %Y "$W/img/root.tar")
python3 - "$W/img/root.tar" <<-'EOF'
	import sys
	with open(sys.argv[1], 'r+b') as f:
	    data = f.read()
	    f.seek(data.index(b'marker-one'))
	    f.write(b'marker-two')
EOF
touch -m -d "@$mtime" "$W/img/root.tar"
h2=$(sum "$W/img/root.tar")
is "$(stat -c %Y "$W/img/root.tar")" "$mtime" "the changed archive has the old mtime and size"
run crun -r "$W/img/root.tar" cat /marker
is "$RC:$OUT" 0:marker-two "the changed archive: the container sees the change"
is "$(entries)" "$(printf '%s\n' "$h" "$h2" | LC_ALL=C sort | tr '\n' ' ')" \
	"  in a new entry, named by its new SHA-256"

# --- concurrent first starts of one archive: one entry, no temp left
cp "$W/img/root.tar" "$W/img/copy.tar"
echo marker-three >"$W/tree/marker"
tar -C "$W/tree" -cf "$W/img/three.tar" .
h3=$(sum "$W/img/three.tar")
pids=
for i in 1 2 3 4; do crun -r "$W/img/three.tar" cat /marker >"$W/par.$i" 2>&1 & pids="$pids $!"; done
rcs=
# shellcheck disable=SC2086 # pids, one a word
for p in $pids; do wait "$p"; rcs="$rcs$?"; done
is "$rcs:$(cat "$W"/par.* | sort -u)" "0000:marker-three" "4 first starts at once: all run"
is "$(entries)" "$(printf '%s\n' "$h" "$h2" "$h3" | LC_ALL=C sort | tr '\n' ' ')" \
	"  one entry for them, no temp folder left"

# --- launchers with the same PID (each PID 1 of a pid namespace): no one takes another's folder
N=$W/ns-cache
mkdir -m 700 "$N" && mkdir "$N/tmp-1-0000000000000000" && echo held >"$N/tmp-1-0000000000000000/f"
(exec 9<"$N/tmp-1-0000000000000000" && flock -x 9 && exec sleep 1000) & holder=$!
bg_pids="$bg_pids $holder"
for m in p1 p2; do
	echo "marker-$m" >"$W/tree/marker"
	tar -C "$W/tree" -cf "$W/img/$m.tar" .
done
for m in p1 p2; do
	unshare -pf --mount-proc "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q \
		--cache "$N" -r "$W/img/$m.tar" true >/dev/null 2>&1	# the cache's part done before the rest
done
is "$(cat "$N/$(sum "$W/img/p1.tar")/marker"):$(cat "$N/$(sum "$W/img/p2.tar")/marker")" "marker-p1:marker-p2" \
	"two first starts, each as PID 1 of its pid namespace: each entry holds its own archive"
is "$(cat "$N/tmp-1-0000000000000000/f" 2>&1)" held "  a held tmp-1-... of another launcher's is left alone"
kill "$holder"; wait "$holder" 2>/dev/null
run "$CARAPACE" prune --cache "$N"
ok "  and prune takes it once no one holds it" test ! -e "$N/tmp-1-0000000000000000"

# --- hostile archives are refused as before, and leave nothing in the cache
python3 - "$W/img" <<-'EOF'
	import io, sys, tarfile
	def make(name, members):
	    with tarfile.open(f'{sys.argv[1]}/{name}.tar', 'w', format=tarfile.GNU_FORMAT) as t:
	        for m, data in members:
	            t.addfile(m, io.BytesIO(data) if data is not None else None)
	def f(name, data=b'x'):
	    i = tarfile.TarInfo(name); i.size = len(data); return (i, data)
	def l(name, target):
	    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = target; return (i, None)
	make('abs', [f('/etc/evil')])
	make('dotdot', [f('../evil')])
	make('through', [l('a', '/tmp'), f('a/evil')])
EOF
before=$(entries)
for kind in abs dotdot through; do
	run crun -r "$W/img/$kind.tar" true
	like "$RC:$ERR" "^125:carapace: rootfs: $W/img/$kind.tar: .*refused" "$kind: refused, 125"
done
is "$(entries)" "$before" "  no entry, no temp folder left"
"$TOP/t/tar-bomb.py" "$W/img/bomb.tar" bomb 20
run crun --rootfs-size 8m -r "$W/img/bomb.tar" true
is "$RC:$ERR" "125:carapace: rootfs: $W/img/bomb.tar: bomb: the root's tmpfs is full (8m; --rootfs-size raises it)" \
	"a tarball past --rootfs-size: 125, the bound named"
is "$(entries)" "$before" "  nothing left of it"

# --- --cache none: into memory for each container, as without a cache
run crun --cache none -r "$W/img/three.tar" sh -c 'cat /marker; grep -c "^overlay / " /proc/mounts; :'
is "$RC:$OUT" "$(printf '0:marker-three\n0')" "--cache none: a root of its own in memory, no overlay"

# --- the archive's path swapped between a tarball and a FIFO after validation: never a hang
mkfifo "$W/img/fifo"
ln -s "$W/img/three.tar" "$W/img/swap.tar"
(while :; do ln -sfT "$W/img/fifo" "$W/img/swap.tar"; ln -sfT "$W/img/three.tar" "$W/img/swap.tar"; done) &
swapper=$!
bg_pids="$bg_pids $swapper"
rcs=
for ((i = 0; i < 30; i++)); do
	timeout 20 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --cache "$W/swap-cache" \
		-r "$W/img/swap.tar" true >/dev/null 2>&1
	rcs="$rcs $?"
done
kill "$swapper"; wait "$swapper" 2>/dev/null
unlike "$rcs" '124' "30 starts of a path swapped to a FIFO and back: none hangs (exits:$(echo $rcs | tr ' ' '\n' | sort | uniq -c | tr '\n' ' '))"
"$CARAPACE" prune --cache "$W/swap-cache" >/dev/null

# --- SIGKILL mid-unpack: the temp folder stays, unheld; the next unpacking and prune remove it
if command -v gzip >/dev/null; then
	gzip="$(command -v gzip)"
	mkdir "$W/fakebin"
	mkfifo "$W/gate"
	printf '#!/bin/sh\n"%s" "$@" | head -c 400000\nread x <"%s"\n' "$gzip" "$W/gate" >"$W/fakebin/gzip"
	chmod 755 "$W/fakebin/gzip"
	gzip -c "$W/img/three.tar" >"$W/img/three.tar.gz"
	cp "$W/img/three.tar.gz" "$W/img/four.tar.gz"	# another inode: no memo
	(PATH=$W/fakebin:$PATH exec "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --cache "$C" \
		-r "$W/img/four.tar.gz" true) >/dev/null 2>&1 &
	killed=$!
	bg_pids="$bg_pids $killed"
	for ((i = 0; i < 200; i++)); do compgen -G "$C/tmp-$killed-*/bin" >/dev/null && break; sleep 0.05; done
	tmp=$(compgen -G "$C/tmp-$killed-*")
	ok "an unpacking under way: tmp-PID-RANDOM in the cache" test -d "$tmp/bin"
	kill -KILL "$killed"
	wait "$killed" 2>/dev/null
	timeout 5 sh -c 'echo go >"$1"' sh "$W/gate"
	ok "  its launcher SIGKILLed: tmp-PID-RANDOM stays" test -d "$tmp"
	run crun -r "$W/img/four.tar.gz" cat /marker
	is "$RC:$OUT" 0:marker-three "the next start unpacks it"
	ok "  and removed what the SIGKILL left" test ! -e "$tmp"
else
	for i in 1 2 3 4; do skip "no gzip"; done
fi

# --- a tree 1500 folders deep: unpacked, and removed by prune with no fd per level
python3 - "$W/img/deep.tar" "$W/img/three.tar" <<-'EOF'
	import sys, tarfile
	with tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT) as t, tarfile.open(sys.argv[2]) as base:
	    for m in base.getmembers():
	        t.addfile(m, base.extractfile(m) if m.isreg() else None)
	    d = tarfile.TarInfo('deep' + '/d' * 1500); d.type = tarfile.DIRTYPE; t.addfile(d)
EOF
run crun --cache "$W/deep-cache" -r "$W/img/deep.tar" sh -c 'cd /deep && find . -type d | wc -l'
is "$RC:$OUT" 0:1501 "an archive 1500 folders deep runs from the cache"
hd=$(sum "$W/img/deep.tar")
(ulimit -n 64; "$CARAPACE" prune --cache "$W/deep-cache" >"$W/prune.out" 2>&1)
like "$(cat "$W/prune.out")" "^removed $hd" "prune, with 64 fds at most, removes it"
is "$(ls -A "$W/deep-cache")" "" "  all of it"

# --- prune: unused entries go, used ones stay; a run -d's monitor holds its entry
run "$CARAPACE" --root "$S" run -d --name c1 --cgroup-parent "$TEST_CGROUP_PARENT" -q --cache "$C" \
	-r "$W/img/three.tar" sleep 1000
is "$RC:$OUT" 0:c1 "run -d of a cached tarball"
mkdir "$C/tmp-999999999-0123456789abcdef" "$C/old-$h"	# what SIGKILLs left, held by no one
ln -s x "$C/tmp-999999999-0123456789abcdef.memo"
run "$CARAPACE" prune --cache "$C"
is "$RC:$(printf '%s\n' "$OUT" | LC_ALL=C sort)" "0:$(printf '%s\n' "in use $h3" "removed $h" "removed $h2" | LC_ALL=C sort)" \
	"prune: removes the unused entries, keeps the running container's"
is "$(entries)" "$h3 " "  only the entry in use is left, and no leftover"
is "$(for m in "$C"/i-*; do readlink "$m" | cut -c1-64; done | sort -u)" "$h3" "  and only the memos that name it"
run "$CARAPACE" --root "$S" exec c1 cat /marker
is "$RC:$OUT" 0:marker-three "  the container still runs from it"
"$CARAPACE" --root "$S" rm -f c1 >/dev/null 2>&1
run "$CARAPACE" prune --cache "$C"
is "$RC:$OUT" "0:removed $h3" "once the container is gone, prune removes its entry"
is "$(ls -A "$C")" "" "  the cache is empty"
run crun -r "$W/img/three.tar" cat /marker
is "$RC:$OUT" 0:marker-three "a start after prune unpacks again"

# --- prune --keep SIZE: the last used entries that fit stay, the rest go
K=$W/keep-cache
for m in a b c; do
	echo "marker-$m" >"$W/tree/marker"
	tar -C "$W/tree" -cf "$W/img/$m.tar" .
	eval "h_$m=\$(sum "\$W/img/\$m.tar")"
done
for m in a b c a; do "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --cache "$K" -r "$W/img/$m.tar" true; done
# shellcheck disable=SC2154 # h_a, h_b and h_c: made by eval
size_of() { readlink "$K/s-$1"; }
is "$(size_of "$h_a")" "$(size_of "$h_b")" "each entry's size is recorded (s-HASH): $(size_of "$h_a") bytes"
keep=$(( ($(size_of "$h_a") * 5 / 2) / 1024 ))k
run "$CARAPACE" prune --cache "$K" --keep "$keep"
is "$RC:$OUT" "0:$(printf 'kept %s\nkept %s\nremoved %s' "$h_a" "$h_c" "$h_b")" \
	"prune --keep $keep (2.5 entries): the 2 last used stay, the least recently used goes"
is "$(ls -A "$K" | grep -c "$h_b")" 0 "  with its size and memo"
run "$CARAPACE" prune --cache "$K" --keep 1k
is "$RC:$OUT" "0:$(printf 'removed %s\nremoved %s' "$h_a" "$h_c")" "prune --keep 1k: none fits"
is "$(ls -A "$K")" "" "  the cache is empty"
run "$CARAPACE" prune --cache "$K" --keep lots
is "$RC:$ERR" "125:carapace: prune: --keep: not a size (bytes, or with k, m or g): 'lots'" \
	"prune --keep lots: 125, one line"

# --- $CARAPACE_CACHE is the default of run and prune
CARAPACE_CACHE=$W/env-cache "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$W/img/three.tar" true
is "$(ls "$W/env-cache" | grep -Ev '^[is]-')" "$h3" "run: \$CARAPACE_CACHE is the cache without --cache"
run env CARAPACE_CACHE="$W/env-cache" "$CARAPACE" prune
is "$RC:$OUT:$(ls -A "$W/env-cache")" "0:removed $h3:" "prune: \$CARAPACE_CACHE too"

# --- bad input
run "$CARAPACE" prune --cache "$C" extra
is "$RC:$ERR" "125:carapace: prune: takes no operand: 'extra'" "prune with an operand: 125, one line"
run "$CARAPACE" prune --cache cache
is "$RC:$ERR" "125:carapace: prune: not an absolute path: 'cache'" "prune --cache relative: 125"
run "$CARAPACE" prune --bogus
is "$RC" 125 "prune --bogus: 125"
run "$CARAPACE" prune --cache "$W/none"
is "$RC:$OUT:$(ls -A "$W" | grep -c none)" "0::0" "prune of a cache that isn't there: nothing to do, nothing made"
mkdir -m 755 "$W/open"
run "$CARAPACE" prune --cache "$W/open"
is "$RC:$ERR" "125:carapace: prune: $W/open: must be root's and mode 0700 (is uid 0, mode 755)" \
	"prune of a folder others may read: 125"
mkdir -m 700 "$W/users" && chown 65534:65534 "$W/users"
run crun --cache "$W/users" -r "$W/img/three.tar" true
is "$RC:$ERR" "125:carapace: --cache: $W/users: must be root's and mode 0700 (is uid 65534, mode 700)" \
	"run --cache on a folder of another user: 125"
is "$(ls -A "$W/users")" "" "  nothing unpacked there"
mkdir -m 755 "$W/home" && chown 65534:65534 "$W/home"
run crun --cache "$W/home/cache" -r "$W/img/three.tar" true
is "$RC:$ERR" "125:carapace: --cache: $W/home/cache: its folder $W/home may be changed by uid 65534 or others: the cache must be in root's folders" \
	"run --cache in a folder of another user: 125"
is "$(ls -A "$W/home")" "" "  nothing made there"
mkdir -m 700 "$W/home/cache"
run crun --cache "$W/home/cache" -r "$W/img/three.tar" true
like "$RC:$ERR" "^125:.*its folder $W/home may be changed by uid 65534" "  nor in a root's 0700 folder in it"
mkdir -m 700 "$W/root-cache"
ln -s "$W/root-cache" "$W/link"
run crun --cache "$W/link" -r "$W/img/three.tar" true
is "$RC:$ERR" "125:carapace: --cache: $W/link: a symlink or '..' on the way (it is $W/root-cache): name the folder itself" \
	"run --cache through a symlink, even to a folder of root's: 125"
# A user's symlink in /tmp to another root-only folder: prune must not empty it.
mkdir -m 700 "$W/victim" && mkdir "$W/victim/tmp-5-0123456789abcdef" "$W/victim/old-$h"
ln -s "$W/victim" "$W/rvlink" && chown -h 65534:65534 "$W/rvlink"
run "$CARAPACE" prune --cache "$W/rvlink"
like "$RC:$ERR" "^125:carapace: prune: $W/rvlink: a symlink" "prune --cache through a user's symlink: 125"
is "$(ls "$W/victim" | tr '\n' ' ')" "old-$h tmp-5-0123456789abcdef " "  the folder it leads to is untouched"
run crun --cache "$W/home/../root-cache" -r "$W/img/three.tar" true
like "$RC:$ERR" "^125:carapace: --cache: $W/home/../root-cache: a symlink or '..'" "run --cache with '..': 125"
ln -s "$W/home/cache" "$W/link2"
is "$(ls -A "$W/home/cache")" "" "  nothing unpacked there"
run crun --cache rel -r "$W/img/three.tar" true
is "$RC:$ERR" "125:carapace: --cache: not an absolute path: 'rel'" "run --cache relative: 125"
: >"$W/file"
run crun --cache "$W/file" -r "$W/img/three.tar" true
like "$RC:$ERR" "^125:carapace: --cache: (mkdir )?$W/file: Not a directory" "run --cache on a file: 125"
run setpriv --reuid 65534 --regid 65534 --clear-groups "$CARAPACE" prune --cache "$C"
is "$RC:$ERR" "125:carapace: prune: $C: Permission denied" "prune as nobody: 125, Permission denied"
"$CARAPACE" prune --cache "$C" >/dev/null

no_leaks
done_testing
