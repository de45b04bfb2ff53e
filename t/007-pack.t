#!/bin/bash
# t/007-pack.t: ./carapace as make packs it (issue 16's size): within 200
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
	"its code at $code_start, where it was linked: read and execute, not a file's"
like "$maps" "^$data_page-[0-9a-f]+ rw-p 00000000 00:00 0 " "its data at $data_page: read and write"
is "$(awk '$2 ~ /w.x/' <<<"$maps")" "" "no mapping both writable and executable"
file_bytes=0
while read -r range _ _ _ _ path; do
	[ "$path" = "$(readlink -f "$CARAPACE")" ] || continue
	file_bytes=$((file_bytes + 0x${range#*-} - 0x${range%-*}))
done <<<"$maps"
ok "of the file, only the start's pages stay mapped ($file_bytes bytes), not the compressed program" \
	test "$file_bytes" -gt 0 -a "$file_bytes" -le 12288

# --- a damaged file: one line, 125, nothing of carapace run
damage() {	# damage NAME PYTHON: a copy of carapace changed by PYTHON, on b (its bytes)
	python3 - "$CARAPACE" "$work/$1" "$2" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
frame = b.find(b'\x04\x22\x4d\x18')
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
