#!/bin/bash
# t/016-leak-checks.t: tap.sh's leak checks see what a test left, and only
# that. A test that leaves a cgroup, processes and mounts fails, naming
# each; and test files pass while unrelated containers (and mounts) come,
# go and run on the same host, as they do on a real one.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

work=$(mktemp -d)
unrelated= churn= leak_pids=
cleanup() {
	rm -f "$work/churn.on"
	# shellcheck disable=SC2086 # pids, one a word
	for pid in $unrelated $churn $leak_pids; do kill "$pid" 2>/dev/null; done
	for pid in $unrelated $churn; do wait "$pid" 2>/dev/null; done
	umount -q "$work/elsewhere" "$work/unrelated-mnt" "$work/churn-mnt" 2>/dev/null
	umount -q "$work"/carapace-test-*/left-mount 2>/dev/null
	rm -rf --one-file-system -- "$work"
}
trap cleanup EXIT
snapshot_host

# A cgroup hierarchy to make the deliberate cgroups in: v1's pids, or v2's.
hierarchy=$(_tap_cgroup_mounts | grep -E '/(pids|unified)$' | head -1)
[ -n "$hierarchy" ] || hierarchy=$(_tap_cgroup_mounts | head -1)

# --- a test that leaves things behind: each is named
mkdir "$work/elsewhere"
cat >"$work/leaky.t" <<'EOF'
#!/bin/bash
. "$TOP/t/tap.sh"
snapshot_host
mkdir -p "$HIERARCHY/$TEST_CGROUP_PARENT/left-cgroup"
# A container whose launcher is orphaned: it carries the test's id.
( "$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" --name left-container \
	sleep 1000 </dev/null >/dev/null 2>&1 & echo "$!" >>"$PIDS" )
# No id and no parent: found by its cgroup.
( env -i sleep 1001 </dev/null >/dev/null 2>&1 & echo "$!" >>"$PIDS"
	echo "$!" >"$HIERARCHY/$TEST_CGROUP_PARENT/left-cgroup/cgroup.procs" )
# A daemon's container, without the id or a cgroup (--privileged, no
# limit): found as the daemon's descendant.
# The launcher's pid is recorded too, so that the kill below ends it.
( sh -c 'env -i "$CARAPACE" run -q -r "$ROOTFS" --privileged --pids unlimited sleep 1002 &
	echo "$!" >>"$PIDS"; wait' </dev/null >/dev/null 2>&1 & echo "$!" >>"$PIDS" )
mkdir "$TMPDIR/left-mount" "$TMPDIR/bound"
mount -t tmpfs left-tmpfs "$TMPDIR/left-mount"
mount --bind "$TMPDIR/bound" "$ELSEWHERE"
# Each of them up before the check.
for i in $(seq 100); do
	[ "$(pgrep -fc '^sleep 100[012]$')" = 3 ] && [ "$(pgrep -fc "^$CARAPACE run")" -ge 2 ] && break
	sleep 0.05
done
echo "# test dir $TMPDIR"
no_leaks "deliberate leaks"
done_testing
EOF
run env HIERARCHY="$hierarchy" PIDS="$work/pids" ELSEWHERE="$work/elsewhere" bash "$work/leaky.t"
leak_pids=$(cat "$work/pids" 2>/dev/null)
child_tmp=$(echo "$OUT" | sed -n 's/^# test dir //p')
left=$(echo "$ERR" | sed -n 's/^# leaky left behind: //p')
is "$RC:$(echo "$OUT" | grep '^not ok')" "1:not ok 1 - deliberate leaks" "a test that leaves things fails"
leaf='[^ ]*/carapace-test-leaky-[0-9]+'
like "$left" "^cgroup $hierarchy/carapace-test-leaky-[0-9]+/left-cgroup\$" \
	"  the message names the test and the cgroup it made"
like "$left" "^cgroup $hierarchy/carapace-test-leaky-[0-9]+/left-container\$" \
	"  and its container's leaf"
like "$left" "^process [0-9]+ \(sleep\) in $leaf/left-container\$" \
	"  and the container's process, by its cgroup"
like "$left" "^process [0-9]+ \(carapace\) in $leaf/left-container\$" \
	"  and the container's init"
like "$left" "^process [0-9]+ \(sleep\) in $hierarchy/carapace-test-leaky-[0-9]+/left-cgroup\$" \
	"  a process without the test's id, by its cgroup"
# The daemon's container is --privileged: it runs through the sealed copy.
if asan_build; then skip_sealed_copy 2 "the daemon's container"; else
	is "$(echo "$left" | grep -c '^process [0-9]* (carapace)$')" 3 \
		"  the orphaned launcher, and the daemon's launcher and init, by the test's id and descent"
	is "$(echo "$left" | grep -c '^process ')" 6 "  6 processes in all"
fi
like "$left" "^mount $child_tmp/left-mount \(tmpfs left-tmpfs\)\$" "  a mount in the test's folder"
like "$left" "^mount $work/elsewhere \(" "  a bind of the test's folder elsewhere"
is "$(echo "$left" | grep -c '^mount ')" 2 "  2 mounts in all"
like "$left" "^state folder /run/carapace/left-container\$" "  and the state folder its run registered"
is "$(echo "$left" | grep -Evc "^(cgroup $leaf(/left-(cgroup|container))?|process .*|mount .*|state folder .*)\$")" 0 \
	"  and nothing that isn't the test's"
# shellcheck disable=SC2086
kill $leak_pids 2>/dev/null
for i in $(seq 100); do pgrep -f '^sleep 100[012]$' >/dev/null || break; sleep 0.05; done
umount "$work/elsewhere" "$child_tmp/left-mount"
rm -rf --one-file-system -- "$child_tmp"
rmdir "$hierarchy"/carapace-test-leaky-*/left-cgroup "$hierarchy"/carapace-test-leaky-* 2>/dev/null
leak_pids=
no_leaks "the deliberate leaks are cleaned up"

# --- test files beside unrelated containers: they pass
# One runs all along (in the default parent, as a user's would), one in a
# parent of its own; others start and stop, and a mount comes and goes,
# while the test files run. None of it carries this test's id.
mkdir "$work/unrelated-mnt" "$work/churn-mnt"
mount -t tmpfs unrelated "$work/unrelated-mnt"
env -u CARAPACE_TEST_ID "$CARAPACE" run -q -r "$ROOTFS" sleep 1003 </dev/null >/dev/null 2>&1 &
unrelated=$!
env -u CARAPACE_TEST_ID "$CARAPACE" run -q -r "$ROOTFS" --cgroup-parent "carapace-unrelated-$$" \
	--pids 100 sleep 1004 </dev/null >/dev/null 2>&1 &
unrelated+=" $!"
touch "$work/churn.on"
env -u CARAPACE_TEST_ID bash -c 'while [ -e "$1/churn.on" ]; do
	"$CARAPACE" run -q -r "$ROOTFS" -v "$1:/mnt" sleep 0.2
	mount -t tmpfs churn "$1/churn-mnt" && sleep 0.1 && umount "$1/churn-mnt"
done' churn "$work" </dev/null >/dev/null 2>&1 &
churn=$!
for i in $(seq 100); do [ "$(pgrep -fc '^sleep 100[34]$')" = 2 ] && break; sleep 0.05; done
is "$(pgrep -fc '^sleep 100[34]$')" 2 "the unrelated containers run"
own_cgroup "carapace-unrelated-$$"
for file in 030-exit-codes 080-cgroups 130-launcher-kill 210-tmpfs-readonly; do
	run bash "$TOP/t/$file.t"
	is "$RC:$(echo "$OUT" | grep '^not ok')" 0: "t/$file.t passes beside them"
	[ "$RC" = 0 ] || diag "$OUT" "$ERR"
done
ok "the unrelated containers ran all along" kill -0 $unrelated
ok "  the default parent held one of them" \
	test -n "$(find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -path '*/carapace/carapace-*' -type d)"
rm -f "$work/churn.on"
wait "$churn"
# shellcheck disable=SC2086
kill $unrelated
# shellcheck disable=SC2086
wait $unrelated
unrelated= churn=
umount "$work/unrelated-mnt"
no_leaks
done_testing
