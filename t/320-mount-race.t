#!/bin/bash
# t/320-mount-race.t: the rootfs folder's owner, an ordinary user, swaps
# "proc" and "dev" with symlinks (renameat2 RENAME_EXCHANGE, in a loop)
# while rootful containers start on it. Carapace resolves each target once,
# without symlinks, mounts onto that fd and masks through the mount's fd:
# whatever the names are at any moment, no start gives the workload an
# unmasked procfs (a writable core_pattern is host root) or a /dev node
# that isn't the device it claims to be (the attacker's bytes for urandom).
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

STARTS=${RACE_STARTS:-300}
attacker_setup carapace-t-race racer
cp -a "$ROOTFS" "$work/rootfs"
R=$work/rootfs
# The attacker's: the folder, its proc and dev (with bytes of its own where
# urandom would be, were /dev's tmpfs put elsewhere), and the two symlinks
# that stand in for them half of the time.
printf 'ATTACKER' >"$R/dev/urandom"
printf 'ATTACKER' >"$R/dev/null"
mkdir -p "$R/dev/shm"
ln -s /proc_x/self/net "$R/proc_x"
ln -s /dev_x/shm "$R/dev_x"
chown -R "$user" "$R/dev" "$R/proc"
chown -h "$user" "$R" "$R/proc_x" "$R/dev_x"
pattern=$(cat /proc/sys/kernel/core_pattern)
snapshot_host

# --- first, without the race: each name caught as the symlink, for good
touch "$work/mark"
for n in proc dev; do
	mv "$R/$n" "$R/$n.real" && mv "$R/${n}_x" "$R/$n" && mv "$R/$n.real" "$R/${n}_x"
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" true
	is "$RC" 125 "a symlink for /$n: the start is refused"
	like "$ERR" "^carapace: mount: /$n: destination: .*" "  with one line that says so"
	is "$(find "$R/${n}_x" -mindepth 1 -newer "$work/mark" | head -3)" "" \
		"  nothing made through the symlink"
	mv "$R/$n" "$R/$n.link" && mv "$R/${n}_x" "$R/$n" && mv "$R/$n.link" "$R/${n}_x"
done

# Opening core_pattern for appending writes nothing: it only asks whether
# the workload could. Each /dev node, by either name, must be the device
# if it is there at all (the other name may be the symlink at that moment).
# No 2>/dev/null: while "dev" is the symlink, that would make a file.
probe='w=0 b=0
for d in /proc /proc_x; do (: >>$d/sys/kernel/core_pattern) 2>&- && w=$((w + 1)); done
for d in /dev /dev_x; do
	for n in null:1,3 zero:1,5 urandom:1,9; do
		# One look: the names may change between two.
		s=$(stat -L -c %F:%t,%T $d/${n%%:*} 2>&-) &&
			[ "$s" != "character special file:${n#*:}" ] && b=$((b + 1))
	done
done
echo "result $w $b"'

setpriv --reuid="$user" --regid="$user" --clear-groups \
	"$work/rename-race" "$R" proc proc_x dev dev_x &
racer=$!
started=0 writable=0 wrong=0 refused=0 other=0
for ((i = 0; i < STARTS; i++)); do
	out=$("$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" sh -c "$probe" 2>"$work/err")
	rc=$?
	set -- $out
	if [ "${1:-}" = result ]; then
		started=$((started + 1))
		[ "$2" -gt 0 ] && writable=$((writable + 1))
		[ "$3" -gt 0 ] && wrong=$((wrong + 1))
	elif [ "$rc" = 125 ] && [ "$(wc -l <"$work/err")" = 1 ] && grep -q '^carapace: ' "$work/err"; then
		refused=$((refused + 1))
	else
		other=$((other + 1))
		diag "start $i: rc $rc: $out $(cat "$work/err")"
	fi
done
ok "the attacker raced all along" kill -0 "$racer"
kill "$racer"; wait "$racer" 2>/dev/null; racer=
note "$STARTS starts: $started ran, $refused refused; core_pattern writable in $writable, wrong /dev nodes in $wrong"
ok "the race let some containers start ($started of $STARTS)" test "$started" -ge $((STARTS / 20))
is "$writable" 0 "no start gave the workload a writable core_pattern, by /proc or /proc_x"
is "$wrong" 0 "no start gave the workload a /dev node that isn't the device"
is "$other" 0 "a start either runs or is refused with one line and 125"
is "$(cat /proc/sys/kernel/core_pattern)" "$pattern" "outside: core_pattern unchanged"
no_leaks
done_testing
