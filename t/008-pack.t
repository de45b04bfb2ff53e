#!/bin/bash
# t/008-pack.t: ./carapace as make packs it (issue 16's size): within 200
# KiB stripped; the same program as build/carapace.elf once loaded, loaded
# where that was linked, its code read and execute only and nothing both
# writable and executable; the compressed copy gone from memory; and a
# damaged file stops with one line and 125, before carapace runs at all.
. "$(dirname "$0")/tap.sh"
need_binary
asan_build && skip_all "the ASan build is not packed"
elf=$TOP/build/carapace.elf
[ "$CARAPACE" -ef "$TOP/carapace" ] || skip_all "$CARAPACE is not this folder's ./carapace"
[ -f "$elf" ] || skip_all "no $elf: run make"
readelf -hW "$CARAPACE" | grep -q 'Entry point address: *0x80' ||
	skip_all "$CARAPACE is not packed (make PACK=0)"

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

cp "$CARAPACE" "$work/stripped" && strip "$work/stripped"
size=$(stat -c %s "$work/stripped")
note "carapace ($(uname -m)): $size bytes stripped, $(stat -c %s "$elf") unpacked"
ok "stripped, $size bytes: within 204800" test "$size" -le 204800
ok "smaller than the program it holds" test "$size" -lt "$(stat -c %s "$elf")"

# --- the same program
for args in --version --help "run --help" "init --help"; do
	# shellcheck disable=SC2086 # words, on purpose
	is "$("$CARAPACE" $args 2>&1; echo "rc $?")" "$("$elf" $args 2>&1; echo "rc $?")" \
		"carapace $args: as the unpacked program says it"
done
run "$CARAPACE" run --no-such-option
is "$RC:$ERR" "125:carapace: run: unknown option: --no-such-option" \
	"bad input: the program's own line and code"

# --- where it is: a live carapace's maps, against the unpacked ELF's program headers
code=$(readelf -lW "$elf" | awk '$1 == "LOAD" && $7 == "R" && $8 == "E" { print $3 }')
data=$(readelf -lW "$elf" | awk '$1 == "LOAD" && $7 == "RW" { print $3 }')
"$CARAPACE" init -s -- sleep 100 &
pid=$!
for try in $(seq 100); do [ "/proc/$pid/exe" -ef "$CARAPACE" ] && grep -q sleep "/proc/$pid/task/$pid/children" 2>/dev/null && break; sleep 0.05; done
maps=$(cat "/proc/$pid/maps")
kill "$pid"; wait "$pid" 2>/dev/null
printf -v code_start '%08x' "$code"
data_page=$(printf '%08x' $(( data & ~4095 )))
like "$maps" "^$code_start-[0-9a-f]+ r-xp 00000000 00:00 0 " \
	"its code at $code_start, where it was linked: read and execute, anonymous"
like "$maps" "^$data_page-[0-9a-f]+ rw-p 00000000 00:00 0 " "its data at $data_page: read and write"
is "$(awk '$2 ~ /w.x/' <<<"$maps")" "" "no mapping both writable and executable"
file_bytes=0
while read -r range _ _ _ _ path; do
	[ "$path" = "$(readlink -f "$CARAPACE")" ] || continue
	file_bytes=$((file_bytes + 0x${range#*-} - 0x${range%-*}))
done <<<"$maps"
ok "of the file, only the start's pages stay mapped ($file_bytes bytes), not the compressed program" \
	test "$file_bytes" -gt 0 -a "$file_bytes" -le 12288

# --- where anonymous memory may not become executable, or not be had:
# the code comes from a memfd, mapped read and execute as ld.so maps a library
mdwe() {	# mdwe CMD...: CMD with PR_SET_MDWE's PR_MDWE_REFUSE_EXEC_GAIN (Linux 6.3)
	python3 -c 'import ctypes, os, sys
if ctypes.CDLL(None).prctl(65, 1, 0, 0, 0): sys.exit("no PR_SET_MDWE here")
os.execv(sys.argv[1], sys.argv[1:])' "$@"
}
if mdwe /bin/true 2>/dev/null; then
	run mdwe "$CARAPACE" run -r "$ROOTFS" /bin/echo hi
	is "$RC:$OUT" "0:hi" "under PR_SET_MDWE (no memory made executable after it was writable): it runs"
	run mdwe "$elf" --version
	is "$RC" 0 "... as the unpacked program does"
else
	skip "no PR_SET_MDWE (Linux < 6.3)"; skip "no PR_SET_MDWE (Linux < 6.3)"
fi
run sh -c "ulimit -d 250; exec \"\$0\" --version" "$CARAPACE"
is "$RC:$OUT" "0:$("$elf" --version)" "with RLIMIT_DATA (ulimit -d 250: KiB) below its code's size: it runs, as the unpacked program does"
# The sealed copy (--cap-add SYS_ADMIN) starts under the workload's profile:
# one that refuses mprotect to PROT_EXEC, as MemoryDenyWriteExecute does.
cat >"$work/nox.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mprotect"], "action": "SCMP_ACT_ERRNO",
 "args": [{"index": 2, "value": 4, "valueTwo": 4, "op": "SCMP_CMP_MASKED_EQ"}]}]}
EOF
if [ "$(id -u)" = 0 ] && [ -x "$ROOTFS/bin/busybox" ]; then
	run "$CARAPACE" run --cap-add SYS_ADMIN --seccomp "$work/nox.json" -r "$ROOTFS" /bin/echo hi
	is "$RC:$OUT" "0:hi" "the sealed copy under a profile that refuses mprotect(PROT_EXEC): it runs"
else
	skip "needs root and the rootfs"
fi

# --- a damaged file: one line, 125, nothing of carapace run
damage() {	# damage NAME PYTHON: a copy of carapace changed by PYTHON, on b (its bytes)
	python3 - "$CARAPACE" "$work/$1" "$2" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
tag = b'carapace:code_lz4'
frame = b.find(tag) + len(tag)
assert b[frame:frame + 4] == b'\x04\x22\x4d\x18', 'no frame after the tag'
assert b.find(tag, frame) < 0, 'two tags'

exec(sys.argv[3])
open(sys.argv[2], 'wb').write(b)
EOF
	chmod +x "$work/$1"
}
damage magic 'b[frame] = 5'
damage middle 'b[frame + 60000:frame + 64096] = bytes(4096)'
damage size 'b[frame + 7:frame + 11] = (0x7ffffff0).to_bytes(4, "little")'
damage flags 'b[frame + 4] = 0x70'
for copy in magic middle size flags; do
	run "$work/$copy" --version
	is "$RC:$OUT:$ERR" "125::carapace: unpack: code: damaged (the file was cut or changed: copy it again)" \
		"a copy damaged ($copy): one line, 125, and no output"
done
done_testing
