#!/bin/bash
# t/006-arch.t: make ARCH=aarch64 (issue 16) builds a static arm64 carapace
# with Debian's cross gcc and musl:arm64, apart from the host's objects: the
# ELF header says so, its stripped size is reported against the limit, and
# under qemu-aarch64-static (qemu-user-static), when it is there, it runs.
# On an arm64 host, make alone builds it: the binary under test is then
# $CARAPACE itself.
. "$(dirname "$0")/tap.sh"

limit=204800
cd "$TOP" || exit 1

run make -s ARCH=mips64
like "$RC $ERR" "^2 Makefile:[0-9]+: \*\*\* ARCH=mips64: not one carapace builds for" \
	"make ARCH=mips64: refused, by name"

if [ "$(uname -m)" = aarch64 ]; then
	bin=$CARAPACE strip=strip
	[ -x "$bin" ] || skip_all "no $bin: run make"
else
	for tool in aarch64-linux-musl-gcc aarch64-linux-gnu-g++ aarch64-linux-gnu-strip; do
		command -v "$tool" >/dev/null ||
			skip_all "no $tool (README: Building for a board; make ARCH=aarch64 deps)"
	done
	bin=$TOP/build/aarch64/carapace strip=aarch64-linux-gnu-strip
	host_sum=$(sha256sum carapace 2>/dev/null)
	run make -s -j2 ARCH=aarch64
	is "$RC" 0 "make ARCH=aarch64 builds"
	[ "$RC" = 0 ] || diag "$ERR"
	is "$(sha256sum carapace 2>/dev/null)" "$host_sum" "... and leaves the host's ./carapace as it was"
	others=$(for o in $(find build/aarch64 -name '*.o'); do
		readelf -h "$o" | grep -q 'Machine:.*AArch64' || echo "$o"; done)
	is "$others" "" "... from arm64 objects only, in build/aarch64/"
	if [ -e carapace ]; then
		run make -q
		is "$RC" 0 "... and the host's build is still up to date (make -q)"
	else
		skip "no host build to compare"
	fi
fi

header=$(readelf -hlW "$bin" 2>&1)
like "$header" 'Class:[[:space:]]+ELF64' "$bin: ELF64"
like "$header" 'Machine:[[:space:]]+AArch64' "$bin: AArch64"
like "$header" 'Type:[[:space:]]+EXEC' "$bin: an executable, not position-independent"
unlike "$header" 'INTERP|DYNAMIC' "$bin: static: no interpreter, no dynamic section"

stripped=$(mktemp)
trap 'rm -f "$stripped"' EXIT
cp "$bin" "$stripped" && "$strip" "$stripped"
size=$(stat -c %s "$stripped")
note "arm64 carapace: $size bytes stripped (limit $limit)"
ok "stripped, $size bytes: within $limit (packed: README.md, Size)" test "$size" -le "$limit"

qemu=
[ "$(uname -m)" = aarch64 ] || qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64) ||
	qemu=none
if [ "$qemu" = none ]; then
	for i in 1 2 3 4; do skip "no qemu-aarch64-static (apt-get install qemu-user-static)"; done
else
	run $qemu "$bin" --version
	like "$RC $OUT" '^0 carapace [0-9]+\.[0-9]+' "it runs: --version"
	run $qemu "$bin" --help
	like "$RC $OUT" '^0 Usage: carapace ' "--help"
	run $qemu "$bin" run -r /nonexistent true
	like "$RC $ERR" '^125 carapace: rootfs: /nonexistent: No such file or directory' \
		"bad input: one line and 125, as on x86-64"
	# A damaged copy: the packed binary's start (src/unpack.c) refuses it.
	python3 -c 'import sys
b = bytearray(open(sys.argv[1], "rb").read())
at = b.find(b"carapace:code_lz4") + len("carapace:code_lz4")
b[at + 60000:at + 64096] = bytes(4096)
open(sys.argv[2], "wb").write(b)' "$bin" "$stripped" && chmod +x "$stripped"
	run $qemu "$stripped" --version
	is "$RC:$OUT:$ERR" "125::carapace: unpack: code: damaged (the file was cut or changed: copy it again)" \
		"a damaged copy: the start's one line and 125, as on x86-64"
fi

done_testing
