#!/bin/bash
# t/056-quick-start.t: every command of the README's quick start does what
# the README shows. The commands are the "$ " lines of its ```console blocks,
# each followed by its output (stdout and stderr) up to the next "$ " line;
# "..." in the output stands for anything. Run from the top folder, with
# the test's own container name, port and folder in place of web, 8080 and
# /tmp/www, so that parallel tests don't collide, in a network namespace of
# its own.
# The service publishes a port: the bridge, its rules and its address live in
# a network namespace of the test's own, never the host's.
if [ -z "${T056_OWN_NETNS:-}" ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	export T056_OWN_NETNS=1
	exec unshare --net bash -c 'ip link set lo up && exec bash "$0" "$@"' "$0" "$@"
fi
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
command -v curl >/dev/null || skip_all "no curl"

name=q056-$$
port=$((20000 + $$ % 20000))
while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
trap '"$CARAPACE" rm -f "$name" >/dev/null 2>&1' EXIT
own_cgroup "carapace/$name"	# the service's cgroup, under the default parent
export CARAPACE_ROOTFS=$ROOTFS
snapshot_host

# The quick start's transcripts, as "$ COMMAND" and output lines.
transcript=$(awk '/^## Quick start/ { on = 1; next } on && /^## / { exit }
	on && /^```console$/ { inblock = 1; next } inblock && /^```$/ { inblock = 0; print "$ "; next }
	inblock { print }' "$TOP/README.md")
ncmd=$(grep -c '^\$ .' <<<"$transcript")
ok "the quick start shows commands ($ncmd)" test "$ncmd" -ge 10

# check CMD EXPECTED: run CMD (after the substitutions), compare with EXPECTED.
check() {
	local cmd=$1 want=$2 got pattern
	cmd=$(sed -e "s/\\bweb\\b/$name/g" -e "s/8080/$port/g" -e "s#/tmp/www#$TMPDIR/www#g" \
		-e "s#\\./carapace#$CARAPACE#g" -e "s# rootfs/# $ROOTFS/#g" <<<"$cmd")
	want=$(sed "s/\\bweb\\b/$name/g" <<<"$want")
	got=$(cd "$TOP" && timeout 30 bash -c "$cmd" 2>&1)
	pattern=$(sed -e 's/[][*?\\]/\\&/g' -e 's/\.\.\./*/g' <<<"$want")
	# shellcheck disable=SC2053 # a pattern, on purpose
	if [[ $got == $pattern ]]; then pass "quick start: $1"; else
		fail "quick start: $1"
		diag "got:" "$got" "expected:" "$want"
	fi
}
cmd='' out=''
while IFS= read -r line; do
	if [[ $line == '$ '* ]]; then
		[ -z "$cmd" ] || check "$cmd" "$out"
		cmd=${line#\$ } out=''
	else
		out+=${out:+$'\n'}$line
	fi
done <<<"$transcript"
[ -z "$cmd" ] || check "$cmd" "$out"

is "$("$CARAPACE" ps | grep -c "^$name ")" 0 "the quick start's service is gone"

# make run: the shell's status in one line of its own, none of make's noise.
if [ "$CARAPACE" = "$TOP/carapace" ] && [ "$ROOTFS" = "$TOP/rootfs" ] &&
	[ -z "$(find "$TOP/src" "$TOP/carapace.c" "$TOP/inspector.cpp" "$TOP/Makefile" -newer "$CARAPACE" -print -quit)" ] &&
	[ "$ROOTFS/bin/busybox" -nt "$TOP/setup.sh" ]; then
	# Up to date (make -q can't say: its jsmn.h link is remade each time), so make builds nothing.
	got=$(echo 'exit 3' | make -C "$TOP" -s --no-print-directory run 2>&1 >/dev/null)
	rc=$?
	is "$got" "make run: the container exited with status 3" "make run: a shell's exit 3 is one line"
	is "$rc" 0 "make run: make exits 0 (it can't pass on 3)"
	got=$(echo 'exit 0' | make -C "$TOP" -s --no-print-directory run 2>&1 >/dev/null)
	is "$got" "" "make run: a shell's exit 0 says nothing"
else
	for i in 1 2 3; do skip "make run: the build is not ./carapace and ./rootfs, or not up to date"; done
fi
no_leaks
done_testing
