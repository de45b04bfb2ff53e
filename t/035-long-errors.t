#!/bin/bash
# t/035-long-errors.t: an error from inside the container reaches the user
# whole, as one line "carapace: <what>: <why>", however long its text, up
# to the bound of 8 KiB (ERROR_TEXT_MAX); a longer one is cut where it
# shows, keeping its why. The exit code is the one the container reported.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
chmod 755 "$work"

# long_path N: N folders of 100 characters: a path of 101 * N characters.
long_path() {
	local i p=
	for ((i = 0; i < $1; i++)); do p+=/$(printf "d%02d%097d" "$i" 0); done
	printf '%s' "$p"
}
lines() { printf '%s\n' "$1" | wc -l; }

# --- from the workload's side, before its exec: --workdir
dir=$(long_path 20)/x
run cara -w "$dir" true
is "$RC" 125 "a workdir of ${#dir} characters: exit 125"
is "$ERR" "carapace: workdir: $dir: No such file or directory" \
	"a workdir of ${#dir} characters: the whole path, and why"
is "$(lines "$ERR")" 1 "a workdir of ${#dir} characters: one line"

# A newline at the end of a long text is written out, not cut off or kept.
run cara -w "$dir"$'\nend' true
is "$ERR" "carapace: workdir: $dir\\nend: No such file or directory" \
	"a long workdir with a newline at its end: whole, on one line"

# --- exec: not found (127) and not executable (126)
run cara "$dir/cmd"
is "$RC" 127 "a command of ${#dir} characters not found: exit 127"
is "$ERR" "carapace: exec: $dir/cmd: No such file or directory" \
	"a command of ${#dir} characters not found: the whole path, and why"

deep=$(long_path 22)
mkdir -p "$work/vol$deep"
: >"$work/vol$deep/file"
run cara -v "$work/vol:/vol" "/vol$deep/file"
is "$RC" 126 "a non-executable command of ${#deep} characters: exit 126"
is "$ERR" "carapace: exec: /vol$deep/file: Permission denied" \
	"a non-executable command of ${#deep} characters: the whole path, and why"
no_leaks "long errors: nothing left behind"

# --- longer than the bound: cut before the why, and it shows
prefix="carapace: "
dir=$(long_path 90)
run cara -w "$dir" true
is "$RC" 125 "a workdir of ${#dir} characters: exit 125"
is "$(lines "$ERR")" 1 "a workdir of ${#dir} characters: one line"
# ENAMETOOLONG in libc's words: musl's, or glibc's for the ASan build.
toolong="Filename too long"
asan_build && toolong="File name too long"
like "$ERR" "^carapace: workdir: /d00[0-9]*/d01[/d0-9]*\.\.\.: $toolong\$" \
	"a workdir of ${#dir} characters: cut, with ... before the why"
is "${#ERR}" $((${#prefix} + 8191)) \
	"a workdir of ${#dir} characters: cut at the bound, 8191 characters of text"

# --- the workload's own codes above 127 are its own
run cara sh -c 'exit 200'
is "$RC" 200 "exit 200 from inside: exit 200"
is "$ERR" "" "exit 200 from inside: carapace says nothing"
no_leaks "nothing left behind"

done_testing
