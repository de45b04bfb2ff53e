#!/bin/bash
# t/230-rootfs-tarball.t: --rootfs takes a tarball (.tar, .tar.gz, .tar.xz),
# unpacked into memory for each container. Hostile tarballs (absolute
# paths, "..", writing through a symlink) are refused with exit 125, and
# nothing is written outside the container's memory.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
command -v tar >/dev/null || skip_all "no tar to make the tarballs"

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
chmod 755 "$work"
# The tarballs lie in a folder of their own, to see that nothing is left there.
mkdir "$work/images" "$work/outside"
tar -C "$ROOTFS" -cf "$work/images/root.tar" .
listing() { (cd "$1" && find . -printf '%p %y %m %s\n' | LC_ALL=C sort); }

# --- plain, gzip, xz and pax tarballs
for kind in tar tar.gz tar.xz pax.tar; do
	case $kind in
	tar.gz) command -v gzip >/dev/null || { skip "no gzip"; skip "no gzip"; continue; }
		gzip -c "$work/images/root.tar" >"$work/images/root.$kind" ;;
	tar.xz) command -v xz >/dev/null || { skip "no xz"; skip "no xz"; continue; }
		xz -c "$work/images/root.tar" >"$work/images/root.$kind" ;;
	pax.tar) tar -C "$ROOTFS" --format=pax -cf "$work/images/root.$kind" . ;;
	esac
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/root.$kind" sh -c \
		'ls /bin/busybox && echo new >/etc/new && cat /etc/new && grep -c " / " /proc/mounts'
	is "$RC" 0 "$kind: the container runs from the tarball"
	is "$OUT" "$(printf '/bin/busybox\nnew\n1')" "$kind: its files are there, and / is writable"
done
images_before=$(listing "$work/images")
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/root.tar" sh -c 'cat /etc/new'
isnt "$RC" 0 "a write doesn't outlive its container"
is "$(listing "$work/images")" "$images_before" "the tarballs' folder is as it was"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/root.tar" stat -c '%a %u:%g' / /tmp /root
is "$OUT" "$(stat -c '%a %u:%g' "$ROOTFS" "$ROOTFS/tmp" "$ROOTFS/root")" \
	"modes and owners come from the tarball"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/root.tar" --overlay --read-only sh -c 'touch /x; grep -c "^overlay / " /proc/mounts'
like "$ERR" 'Read-only file system' "a tarball with --overlay --read-only: read-only"
is "$OUT" 1 "a tarball with --overlay: / is an overlay"
mkdir "$work/changes"
"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/root.tar" --overlay-dir "$work/changes" sh -c 'echo kept >/kept'
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/root.tar" --overlay-dir "$work/changes" cat /kept
is "$OUT" kept "a tarball with --overlay-dir: the changes are kept"

# A tarball not named like one is known by its content: ustar's magic at 257,
# or a compression's; a file that is neither is no rootfs.
mkdir "$work/sniff"
cp "$work/images/root.tar" "$work/sniff/root.img"
for tool in gzip xz bzip2 zstd; do
	if command -v $tool >/dev/null; then
		$tool -c "$work/images/root.tar" >"$work/sniff/root-$tool.img"
	fi
done
for img in "$work"/sniff/*.img; do
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$img" sh -c 'cat /etc/new 2>&1; ls /bin/busybox'
	is "$RC:$OUT" "0:cat: can't open '/etc/new': No such file or directory
/bin/busybox" "${img##*/}: a tarball by its content, not its name"
done
# -r -: the tarball on stdin, plain or compressed; the workload's stdin is at its end.
for img in "$work/sniff/root.img" "$work/sniff/root-gzip.img"; do
	[ -e "$img" ] || { skip "no $img"; continue; }
	run_in "$img" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r - sh -c \
		'echo new >/etc/new; cat /etc/new; wc -c; grep -c " / " /proc/mounts'
	is "$RC:$OUT" "0:$(printf 'new\n0\n1')" "-r - <${img##*/}: unpacked from stdin, writable, stdin read to its end"
done
run_in "$work/sniff/root.img" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r - \
	--uidmap 0:100000:65536 --overlay-dir "$work/stdin-changes" sh -c 'echo kept >/kept; id -u'
is "$RC:$OUT:$(cat "$work/stdin-changes/upper/kept" 2>&1)" "0:0:kept" "-r - with --uidmap and --overlay-dir"
# The memfd it was copied into is gone once unpacked: init holds what it holds without -r -.
# Init closes the launcher's socket just after it forks the workload: the
# list is read once it stays the same (an ASan init is slow to get there).
init_fds='for i in 1 2 3 4 5 6 7 8 9 10; do l=$(ls /proc/1/fd); sleep 0.05
	[ "$l" = "$(ls /proc/1/fd)" ] && break; done; echo "$l"'
run_in "$work/sniff/root.img" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r - sh -c "$init_fds"
fds_stdin=$OUT
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/sniff/root.img" sh -c "$init_fds"
# By count: the numbers differ by the one that the memfd took in the launcher.
is "$(echo "$fds_stdin" | wc -l)" "$(echo "$OUT" | wc -l)" "-r -: init keeps no copy of the tarball (as many fds as with the file)"
# run -d -r -, and exec into it: exec takes run's tarball as read, not its own stdin.
mkdir -m 700 "$work/state"
run_in "$work/sniff/root.img" "$CARAPACE" --root "$work/state" run --cgroup-parent "$TEST_CGROUP_PARENT" \
	-q -d --name from-stdin -r - sleep 1000
is "$RC:$OUT" "0:from-stdin" "run -d -r -: runs"
run "$CARAPACE" --root "$work/state" exec from-stdin cat /etc/hostname
is "$RC:$OUT" "0:carapace" "exec into a -r - container"
"$CARAPACE" --root "$work/state" rm -f from-stdin >/dev/null
is "$(ls -A "$work/state")" "" "rm -f of it: the state root is empty"
run_in /dev/null "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r - true
is "$RC:$ERR" "125:carapace: rootfs: -: stdin is empty: pipe a tarball in" "-r - </dev/null: 125, says so"
head -c 1024 /dev/zero >"$work/sniff/zeros.img"
run_in "$work/sniff/zeros.img" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r - true
is "$RC:$ERR" "125:carapace: rootfs: -: stdin is no tarball (nor gzip, xz, bzip2 or zstd data)" \
	"-r - of no tarball: 125, says so"
run_in "$work/sniff/root.img" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r - \
	--rootfs-size 1m true
is "$RC:$ERR" "125:carapace: rootfs: -: the tarball on stdin is larger than the root's tmpfs (1m; --rootfs-size raises it)" \
	"-r - past --rootfs-size: 125, says so"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/sniff/zeros.img" true
is "$RC" 125 "a file that is no tarball: 125"
like "$ERR" "^carapace: rootfs: $work/sniff/zeros.img: Not a directory, nor a tarball\$" \
	"a file that is no tarball: says so"

# --- what GNU and pax tarballs hold: links, set-id bits, owners, long names, nodes
if ! command -v python3 >/dev/null; then
	for i in $(seq 34); do skip "no python3 to make the test tarballs"; done
else
	cp "$work/images/root.tar" "$work/images/rich.tar"
	python3 - "$work/images/rich.tar" <<-'EOF'
	import io, sys, tarfile
	with tarfile.open(sys.argv[1], 'a', format=tarfile.GNU_FORMAT) as t:
	    def add(name, type=tarfile.REGTYPE, data=None, **kw):
	        ti = tarfile.TarInfo(name)
	        ti.type = type
	        for k, v in kw.items():
	            setattr(ti, k, v)
	        if data is not None:
	            ti.size = len(data)
	        t.addfile(ti, io.BytesIO(data) if data is not None else None)
	    add('./deep/er/file', data=b'deep', mode=0o4755, uid=1234, gid=5678)
	    add('deep/hard', tarfile.LNKTYPE, linkname='./deep/er/file')
	    add('sym', tarfile.SYMTYPE, linkname='/etc/passwd')
	    add('hard-to-sym', tarfile.LNKTYPE, linkname='sym')
	    add('long/' + 'x' * 150 + '/' + 'y' * 120, data=b'long')
	    add('fifo', tarfile.FIFOTYPE, mode=0o600)
	    add('zero', tarfile.CHRTYPE, devmajor=1, devminor=5, mode=0o666)
	    add('etc/os-release', data=b'replaced\n', mode=0o600)
	EOF
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/rich.tar" sh -c \
		'stat -c "%a %u:%g %h" /deep/er/file; cat /deep/hard; echo; readlink /sym; readlink /hard-to-sym;
		 cat /long/x*/y*; echo; stat -c "%F %a" /fifo; stat -c "%t:%T %a" /zero; cat /etc/os-release'
	is "$RC" 0 "a GNU tarball with links, nodes and long names: the container runs"
	is "$OUT" "$(printf '4755 1234:5678 2\ndeep\n/etc/passwd\n/etc/passwd\nlong\nfifo 600\n1:5 666\nreplaced')" \
		"set-id bits after owners, hard links, symlinks, a 270-byte name, a fifo, a device, a later entry wins"
	tar -C "$ROOTFS" --format=pax -cf "$work/images/paxlong.tar" . &&
		mkdir -p "$work/paxsrc/$(printf 'p%.0s' $(seq 120))/$(printf 'q%.0s' $(seq 120))" &&
		echo pax >"$work/paxsrc/$(printf 'p%.0s' $(seq 120))/$(printf 'q%.0s' $(seq 120))/f" &&
		tar -C "$work/paxsrc" --format=pax -rf "$work/images/paxlong.tar" .
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/paxlong.tar" sh -c 'cat /p*/q*/f'
	is "$OUT" pax "a pax tarball's long path"

	# --- hostile tarballs: exit 125, one line, nothing written outside
	hostile() { # NAME ENTRIES...: a tarball of busybox's /bin and the given entries
		python3 - "$work/images/$1.tar" "$work/outside" "${@:2}" <<-'EOF'
		import io, sys, tarfile
		out, outside, entries = sys.argv[1], sys.argv[2], sys.argv[3:]
		with tarfile.open(out, 'w', format=tarfile.GNU_FORMAT) as t:
		    for e in entries:
		        kind, name, arg = e.split(':', 2)
		        name, arg = name.replace('@', outside), arg.replace('@', outside)
		        ti = tarfile.TarInfo(name)
		        data = None
		        if kind == 'file':
		            data = arg.encode()
		            ti.size = len(data)
		        elif kind == 'dir':
		            ti.type = tarfile.DIRTYPE
		        elif kind == 'sym':
		            ti.type, ti.linkname = tarfile.SYMTYPE, arg
		        elif kind == 'hard':
		            ti.type, ti.linkname = tarfile.LNKTYPE, arg
		        t.addfile(ti, io.BytesIO(data) if data is not None else None)
		EOF
	}
	refused() { # NAME ERE DESC
		run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/$1.tar" /bin/true
		is "$RC" 125 "$3: exit 125"
		is "$(printf '%s\n' "$ERR" | wc -l)" 1 "$3: one line"
		like "$ERR" "^carapace: rootfs: $work/images/$1.tar: $2" "$3: the message says why"
		is "$(ls -A "$work/outside")" "" "$3: nothing written outside"
	}
	hostile dotdot 'dir:bin:' 'file:../../outside/evil:pwned'
	refused dotdot "\\.\\./\\.\\./outside/evil: refused: a path with '\\.\\.'" "an entry with ../"
	hostile inner 'dir:bin:' 'file:bin/../../../outside/evil:pwned'
	refused inner "bin/\\.\\./.*: refused: a path with '\\.\\.'" "an entry with .. inside"
	hostile absolute 'dir:bin:' 'file:@/evil:pwned'
	refused absolute "$work/outside/evil: refused: an absolute path" "an absolute entry"
	hostile through 'sym:escape:@' 'file:escape/evil:pwned'
	refused through 'escape/evil: refused: escape is a symlink' "a symlink, then a file through it"
	hostile deep 'dir:a:' 'sym:a/up:../../../../../../..' "file:a/up$work/outside/evil:pwned"
	refused deep 'a/up/.*: refused: a/up is a symlink' "a symlink climbing out, then a file through it"
	hostile hardout 'file:x:x' "hard:h:../../../../../../..$work/outside/f"
	refused hardout "h: hard link to \\.\\./.*: refused: a path with '\\.\\.'" "a hard link to a file outside"
	# An archive that is cut short, or no archive at all.
	head -c 100000 "$work/images/root.tar" >"$work/images/cut.tar"
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/cut.tar" /bin/true
	like "$ERR" "^carapace: rootfs: $work/images/cut.tar: the archive is cut short\$" "a tarball cut short: refused"
	head -c 4096 /dev/urandom >"$work/images/noise.tar"
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/noise.tar" /bin/true
	like "$ERR" "^carapace: rootfs: $work/images/noise.tar: not a tar archive\$" "noise: not a tar archive"
	# An entry of INT64_MAX bytes, then one that is its data to GNU tar: the
	# size is damage, never an overflow that steps over the data.
	for kind in base256 pax paxuid; do
		python3 - "$work/images/$kind.tar" "$ROOTFS" "$kind" <<-'EOF'
		import sys, tarfile
		out, root, kind = sys.argv[1:]
		def header(name, size, type=b'0'):
		    h = bytearray(512)
		    h[0:len(name)] = name
		    for off, v in ((100, b'0000644\0'), (108, b'0000000\0'), (116, b'0000000\0'),
		                   (124, size), (136, b'00000000000\0'), (156, type), (257, b'ustar  \0')):
		        h[off:off + len(v)] = v
		    h[148:156] = b' ' * 8
		    h[148:156] = b'%06o\0 ' % sum(h)
		    return bytes(h)
		big = (1 << 63) - 1
		if kind == 'base256':
		    raw = header(b'big', b'\x80' + big.to_bytes(11, 'big'))
		elif kind == 'pax':
		    rec = b' size=%d\n' % big
		    rec = b'%d' % (len(rec) + 2) + rec
		    raw = header(b'PaxHeaders/big', b'%011o\0' % len(rec), b'x') + rec.ljust(512, b'\0')
		    raw += header(b'big', b'%011o\0' % 0)
		if kind == 'paxuid':	# 2^32: as a uid_t, that is 0, root
		    rec = b' uid=4294967296\n'
		    rec = b'%d' % (len(rec) + 2) + rec
		    raw = header(b'PaxHeaders/owned', b'%011o\0' % len(rec), b'x') + rec.ljust(512, b'\0')
		    raw += header(b'owned', b'%011o\0' % 0)
		if kind != 'paxuid':
		    raw += header(b'hidden', b'%011o\0' % 7) + b'hidden\n'.ljust(512, b'\0')
		with tarfile.open(out, 'w', format=tarfile.GNU_FORMAT) as t:
		    t.add(root, arcname='.')
		    t.fileobj.write(raw)
		    t.offset += len(raw)
		EOF
		[ "$kind" = paxuid ] && continue	# its checks follow the loop
		ok "$kind size INT64_MAX: GNU tar sees no entry 'hidden'" \
			sh -c "! tar tf '$work/images/$kind.tar' 2>/dev/null | grep -qx hidden"
		run timeout 10 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/$kind.tar" cat /hidden
		is "$RC" 125 "$kind size INT64_MAX: exit 125"
		is "$(printf '%s\n' "$ERR" | wc -l)" 1 "$kind size INT64_MAX: one line"
		like "$ERR" "^carapace: rootfs: $work/images/$kind.tar: (big: a damaged header|a bad pax size: '9223372036854775807')\$" \
			"$kind size INT64_MAX: a damaged header"
		is "$OUT" "" "$kind size INT64_MAX: 'hidden' is never extracted"
	done
	run timeout 10 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/paxuid.tar" stat -c %u /owned
	is "$RC:$OUT" 125: "a pax uid of 2^32 (0 as a uid_t): exit 125, nothing runs"
	is "$ERR" "carapace: rootfs: $work/images/paxuid.tar: a bad pax uid: '4294967296'" \
		"a pax uid of 2^32: the message says so"
fi

# --- compressed, without the decompressor on the host
if [ -e "$work/images/root.tar.gz" ]; then
	# Into memory, and into a cache that hasn't it yet (a cached one needs no gzip).
	for cache in none "$work/gz-cache"; do
		run env PATH=/nonexistent "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q \
			--cache "$cache" -r "$work/images/root.tar.gz" /bin/true
		is "$RC" 125 "a .tar.gz without gzip in PATH, --cache ${cache##*/}: exit 125"
		like "$ERR" "^carapace: rootfs: $work/images/root.tar.gz: unpacking it needs gzip: No such file or directory\$" \
			"a .tar.gz without gzip in PATH, --cache ${cache##*/}: the message says so"
	done
	is "$(ls -A "$work/gz-cache")" "" "  and the cache holds nothing of it"
	head -c 300000 "$work/images/root.tar.gz" >"$work/images/cut.tar.gz"
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/images/cut.tar.gz" /bin/true
	like "$ERR" "^carapace: rootfs: $work/images/cut.tar.gz: gzip -dc failed" "a .tar.gz cut short: gzip's failure is named"
else
	for i in 1 2 3 4 5 6; do skip "no gzip"; done
fi

no_leaks
done_testing
