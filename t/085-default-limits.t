#!/bin/bash
# t/085-default-limits.t: what every container gets without asking (a pids
# limit, a /dev with few inodes), observed from outside and inside; and the
# cgroups that carapace removes: only its own, never another tool's or the
# parent that the user named.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

v1_mount() {
	awk -v c="$1" '$0 ~ " - cgroup " { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $5 }' \
		/proc/self/mountinfo | head -1
}
P=$(v1_mount pids)
[ -n "$P" ] || skip_all "no v1 pids hierarchy: this test is for v1 and hybrid hosts"
M=$(v1_mount memory)

snapshot_host

# --- the default pids limit: 2048, from outside and inside
"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --name "dflt-$$" /bin/sleep 100 </dev/null 2>/dev/null &
launcher=$!
for try in $(seq 100); do
	grep -q . "$P/$TEST_CGROUP_PARENT/dflt-$$/cgroup.procs" 2>/dev/null && break
	sleep 0.05
done
is "$(cat "$P/$TEST_CGROUP_PARENT/dflt-$$/pids.max" 2>/dev/null)" 2048 "default: the leaf's pids.max on the host is 2048"
kill -TERM "$launcher"
wait "$launcher"
run cara cat /sys/fs/cgroup/pids/pids.max
is "$RC:$OUT" 0:2048 "default: pids.max inside is 2048"
# A fork bomb (of 3000 at most) ends at the default: the shell that can't
# fork dies, and its parent reads the count with builtins, which don't fork.
run cara /bin/sh -c 'sh -c "i=0; while [ \$i -lt 3000 ]; do sleep 100 & i=\$((i + 1)); done" 2>/dev/null
	read n </sys/fs/cgroup/pids/pids.current; echo $n'
ok "default: a fork bomb stops at 2048 processes (${OUT:-none})" \
	test "${OUT:-0}" -ge 2040 -a "${OUT:-9999}" -le 2048
run cara --pids 3000 cat /sys/fs/cgroup/pids/pids.max
is "$OUT" 3000 "--pids 3000 raises it"
run cara --pids unlimited /bin/sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo none'
like "$OUT" '^(none|max)$' "--pids unlimited: no pids limit"
no_leaks "the pids default: nothing left behind"

# --- /dev: a tmpfs of 4096 inodes, so empty files can't eat the host's memory
run cara /bin/sh -c 'stat -f -c %c /dev; i=0; while [ $i -lt 10000 ] && printf "" >/dev/f$i; do i=$((i + 1)); done; echo $i'
is "$(echo "$OUT" | head -1)" 4096 "/dev has 4096 inodes"
made=$(echo "$OUT" | tail -1)
ok "/dev: file $made fails, below 4096" test "${made:-0}" -gt 4000 -a "${made:-9999}" -lt 4096
like "$ERR" 'No space left on device' "/dev: the file past the limit fails with ENOSPC"

# --- /dev/shm and --tmpfs: an inode per 4 KiB of their size, not half of RAM's pages
run cara /bin/sh -c 'stat -f -c %c /dev/shm; i=0; while [ $i -lt 20000 ] && printf "" >/dev/shm/f$i; do i=$((i + 1)); done; echo $i'
is "$(echo "$OUT" | head -1)" 16384 "/dev/shm (64m) has 16384 inodes"
made=$(echo "$OUT" | tail -1)
ok "/dev/shm: file $made fails, at most 16384" test "${made:-0}" -gt 16000 -a "${made:-99999}" -le 16384
like "$ERR" 'No space left on device' "/dev/shm: the file past the limit fails with ENOSPC"
run cara --tmpfs /t --tmpfs /s:size=1m --tmpfs /n:size=1m,nr_inodes=1000 \
	--mount type=tmpfs,dst=/m,size=2m /bin/sh -c \
	'stat -f -c %c /t /s /n /m; i=0; while [ $i -lt 2000 ] && printf "" >/s/f$i; do i=$((i + 1)); done; echo $i'
is "$(echo $OUT)" "16385 257 1000 513 256" \
	"--tmpfs: 16385 inodes by default (64m), 257 for 1m, nr_inodes= as given, --mount's too; file 257 of 1m fails"
like "$ERR" 'No space left on device' "--tmpfs: the file past the limit fails with ENOSPC"
no_leaks "tmpfs inodes: nothing left behind"

# --- --memory-swap -1 on v1 is unlimited swap: memsw's -1
if [ -n "$M" ] && [ -e "$M/memory.memsw.limit_in_bytes" ]; then
	run cara --memory 100m --memory-swap -1 /bin/sh -c \
		'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'
	is "$RC:$(echo $OUT)" "0:104857600 $(cat "$M/memory.memsw.limit_in_bytes")" \
		"--memory 100m --memory-swap -1: memsw is unlimited, as the root's"
else
	skip "no v1 memory.memsw files: swap accounting is off"
fi

# --- the sweep: another tool's empty cgroup and the user's parent stay
parent="h4sweep-$$"
own_cgroup "$parent" "h4made-$$"
for h in "$P" "$M"; do mkdir -p "$h/$parent/other-tool-cgroup"; done
run cara --cgroup-parent "$parent" --pids 10 true
is "$RC" 0 "--cgroup-parent $parent: the container runs"
ok "another tool's empty cgroup in the parent survives (pids)" test -d "$P/$parent/other-tool-cgroup"
ok "another tool's empty cgroup in the parent survives (memory)" test -d "$M/$parent/other-tool-cgroup"
rmdir "$P/$parent/other-tool-cgroup" "$M/$parent/other-tool-cgroup"
run cara --cgroup-parent "$parent" --pids 10 true
ok "the parent the user made survives, even empty" test -d "$P/$parent" -a -d "$M/$parent"
# A launcher killed with SIGKILL: its leaf is carapace's, and the next run takes it.
"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --cgroup-parent "$parent" --name stale --pids 10 /bin/sleep 100 \
	</dev/null 2>/dev/null &
launcher=$!
for try in $(seq 100); do
	grep -q . "$P/$parent/stale/cgroup.procs" 2>/dev/null && break
	sleep 0.05
done
{ kill -9 "$launcher"; wait "$launcher"; } 2>/dev/null
for try in $(seq 100); do
	[ -z "$(cat "$P/$parent/stale/cgroup.procs" 2>/dev/null)" ] && break
	sleep 0.05
done
ok "a killed launcher's leaf is left (the test's premise)" test -d "$P/$parent/stale"
run cara --cgroup-parent "$parent" --pids 10 true
ok "a killed launcher's leaf: the next run sweeps it" test ! -e "$P/$parent/stale"
ok "and the user's parent stays" test -d "$P/$parent"
# A launcher killed between a leaf's mkdir and its mark leaves an unmarked
# leaf and its note on the parent; made here by hand, as that moment is short.
xattr() { python3 -c 'import os, sys
p, op = sys.argv[1], sys.argv[2]
if op == "set": os.setxattr(p, sys.argv[3], sys.argv[4].encode())
else: print(" ".join(sorted(n for n in os.listxattr(p) if ".new." in n)))' "$@"; }
true & dead=$!; wait "$dead"
for h in "$P" "$M"; do
	mkdir "$h/$parent/halfmade" "$h/$parent/foreign" "$h/$parent/alive"
	xattr "$h/$parent" set "trusted.carapace.new.$dead" halfmade
	xattr "$h/$parent" set "trusted.carapace.new.$$" alive
done
true & dead2=$!; wait "$dead2"
for h in "$P" "$M"; do
	mkdir "$h/$parent/.halfdot"
	xattr "$h/$parent" set "trusted.carapace.new.$dead2" .halfdot
done
run cara --cgroup-parent "$parent" --pids 10 true
ok "a dead launcher's noted, unmarked leaf is swept (pids)" test ! -e "$P/$parent/halfmade"
ok "... one whose name starts with a dot too" test ! -e "$P/$parent/.halfdot" -a ! -e "$M/$parent/.halfdot"
ok "a dead launcher's noted, unmarked leaf is swept (memory)" test ! -e "$M/$parent/halfmade"
is "$(xattr "$P/$parent" list)" "trusted.carapace.new.$$" \
	"its note goes; a live launcher's note stays, and the run leaves none of its own"
ok "a live launcher's noted leaf stays" test -d "$P/$parent/alive" -a -d "$M/$parent/alive"
ok "an unmarked leaf with no note (another tool's) stays" test -d "$P/$parent/foreign"
for h in "$P" "$M"; do
	rmdir "$h/$parent/foreign" "$h/$parent/alive"
	python3 -c 'import os, sys; os.removexattr(sys.argv[1], sys.argv[2])' "$h/$parent" "trusted.carapace.new.$$"
done
# A note names its launcher's pid namespace too, "<pidns>-<pid>": a pid means
# something in its namespace only, and launchers in many share the cgroups.
# One of ours with a dead pid is swept; another namespace's is not judged here.
NS=$(stat -Lc %i /proc/self/ns/pid)
OWN=$(printf '%x' "$NS") OTHER=$(printf '%x' $((NS + 1)))
for h in "$P" "$M"; do
	mkdir "$h/$parent/halfns" "$h/$parent/otherns"
	xattr "$h/$parent" set "trusted.carapace.new.$OWN-$dead" halfns
	xattr "$h/$parent" set "trusted.carapace.new.$OTHER-$dead" otherns
done
run cara --cgroup-parent "$parent" --pids 10 true
ok "a dead launcher of our pid namespace: its noted leaf is swept" \
	test ! -e "$P/$parent/halfns" -a ! -e "$M/$parent/halfns"
ok "another pid namespace's noted leaf stays: its pid says nothing here" \
	test -d "$P/$parent/otherns" -a -d "$M/$parent/otherns"
is "$(xattr "$P/$parent" list)" "trusted.carapace.new.$OTHER-$dead" "and so does its note, alone"
for h in "$P" "$M"; do
	rmdir "$h/$parent/otherns"
	python3 -c 'import os, sys; os.removexattr(sys.argv[1], sys.argv[2])' "$h/$parent" \
		"trusted.carapace.new.$OTHER-$dead"
done
# The same moment for a parent folder that carapace makes: its note is on the
# folder above, two levels above the leaf.
# half_made NAME TAIL: an unmarked $parent/NAME in both hierarchies, and on
# $parent the note trusted.carapace.new.TAIL naming it, as a killed launcher leaves.
half_made() {
	for h in "$P" "$M"; do
		mkdir "$h/$parent/$1" && xattr "$h/$parent" set "trusted.carapace.new.$2" "$1"
	done
}
half_made halfparent "$dead"
run cara --cgroup-parent "$parent/sub/deeper" --pids 10 true
is "$RC" 0 "--cgroup-parent $parent/sub/deeper: carapace makes two folders"
ok "a dead launcher's noted, unmarked parent folder two levels up is swept" \
	test ! -e "$P/$parent/halfparent" -a ! -e "$M/$parent/halfparent"
ok "the folders carapace made are gone, and the user's parent stays" \
	test ! -e "$P/$parent/sub" -a -d "$P/$parent"
is "$(xattr "$P/$parent" list)$(xattr "$M/$parent" list)" "" \
	"no note is left on the user's parent, the dead one's nor the run's own"
# The parent folder of the run itself, made and noted by a launcher killed
# before its mark (t/650's killed creates hit it: the folder was left
# unmarked, and stayed): the run's own leaf is in it when the sweep comes,
# so it is marked, and the run removes it when done.
half_made halfown "$OWN-$dead"
run cara --cgroup-parent "$parent/halfown/sub" --pids 10 true
is "$RC" 0 "--cgroup-parent $parent/halfown/sub, halfown unmarked and noted by a dead launcher"
ok "that parent folder is gone once the run is (pids)" test ! -e "$P/$parent/halfown"
ok "that parent folder is gone once the run is (memory)" test ! -e "$M/$parent/halfown"
is "$(xattr "$P/$parent" list)$(xattr "$M/$parent" list)" "" "and so is its note"
for h in "$P" "$M"; do rmdir "$h/$parent/halfown/sub" "$h/$parent/halfown" 2>/dev/null; done
# The sweep is bounded: a start looks at 8 leaves of its parent at most,
# from a place chosen at random (all of them where they are few), so that
# N parallel starts don't each walk the N - 1 others' leaves. 12 stale
# leaves, marked as a killed launcher's are: a run takes 8, the next 4.
for i in $(seq 12); do
	mkdir "$P/$parent/stale$i" && xattr "$P/$parent/stale$i" set trusted.carapace leaf
done
run cara --cgroup-parent "$parent" --pids 10 true
is "$RC:$(ls -d "$P/$parent"/stale* 2>/dev/null | wc -l)" 0:4 "the sweep is bounded: of 12 stale leaves, a run takes 8"
run cara --cgroup-parent "$parent" --pids 10 true
is "$RC:$(ls -d "$P/$parent"/stale* 2>/dev/null | wc -l)" 0:0 "... and the next run the 4 left"
for h in "$P" "$M"; do rmdir "$h/$parent"; done
# A parent that carapace made goes when it is empty.
run cara --cgroup-parent "h4made-$$/sub" --pids 10 true
ok "a parent that carapace made is removed when empty" test ! -e "$P/h4made-$$"
# A launcher killed at the mkdir of a parent folder that was already there
# (strace's SIGKILL at its first mkdir): the folder is the user's, and no
# note may name it for the next run's sweep to take while it is empty.
if command -v strace >/dev/null; then
	own_cgroup "h7user-$$"
	for h in "$P" "$M"; do mkdir "$h/h7user-$$"; done
	{ strace -f -qq -o /dev/null -e trace=mkdir -e inject=mkdir:signal=KILL:when=1 \
		"$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent "h7user-$$/sub" --pids 10 true \
		</dev/null; } 2>/dev/null
	run cara --cgroup-parent "h7user-$$-other" --pids 10 true
	ok "a parent the user made stays after a launcher killed at its mkdir, and the next sweep" \
		test -d "$P/h7user-$$" -a -d "$M/h7user-$$"
	for h in "$P" "$M"; do rmdir "$h/h7user-$$/sub" "$h/h7user-$$" 2>/dev/null; done
else
	skip "no strace: it kills a launcher at its mkdir"
fi
no_leaks "the sweep: nothing left behind"

# --- --name of a container whose launcher was killed a moment ago: its
# 250 processes take a while to die, and hold the leaf until they have.
good=0
for i in $(seq 20); do
	"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --name "again-$$" --pids 1000 /bin/sh -c \
		'i=0; while [ $i -lt 250 ]; do sleep 100 & i=$((i + 1)); done; wait' </dev/null 2>/dev/null &
	launcher=$!
	for try in $(seq 200); do
		[ "$(cat "$P/$TEST_CGROUP_PARENT/again-$$/pids.current" 2>/dev/null)" -ge 250 ] 2>/dev/null && break
		sleep 0.02
	done
	{ kill -9 "$launcher"; wait "$launcher"; } 2>/dev/null
	run timeout 10 "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --name "again-$$" --pids 1000 /bin/true
	[ "$RC" = 0 ] && good=$((good + 1))
	[ "$RC" = 0 ] || diag "try $i: $RC $ERR"
done
is "$good" 20 "--name right after its launcher's SIGKILL: 20 of 20 start"
no_leaks "--name again: nothing left behind"

done_testing
