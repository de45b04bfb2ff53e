#!/bin/bash
# t/325-submounts.t: a read-only root is read-only all the way down. Under
# --uidmap the rootfs is an idmapped mount, and root inside writes as the
# host's root: a host mount below the rootfs folder (a bind on rootfs/mnt/sub)
# must be read-only too, or root inside leaves a setuid binary there. So
# with --read-only. Carapace's own mounts (/dev, /proc, tmpfs, volumes)
# keep their modes. And every procfs or sysfs carapace mounts, not only
# /proc and /sys, gets the masked and read-only paths (--mount type=proc).
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

work=$(mktemp -d)
R=$work/rootfs
cleanup() {
	local m
	for m in "$R/mnt/sub/deeper" "$R/mnt/sub"; do
		mountpoint -q "$m" 2>/dev/null && umount "$m"
	done
	rm -rf -- "$work"
}
trap cleanup EXIT
chmod 755 "$work"	# root of the user namespace must reach the rootfs
cp -a "$ROOTFS" "$R"
mkdir -p "$work/s" "$work/s2" "$R/mnt/sub"
mkdir -m 777 "$work/vol"
mount --bind "$work/s" "$R/mnt/sub"
mkdir "$R/mnt/sub/deeper"
mount --bind "$work/s2" "$R/mnt/sub/deeper"
snapshot_host
c() { "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$R" "$@"; }
nothing_in() { [ -z "$(ls -A "$work/s" "$work/s2" | grep -v -e '^deeper$' -e ':$' -e '^$')" ]; }
# Each write in turn; a line per path: ok, or the error.
writes='for f in "$@"; do if touch "$f" 2>/dev/null; then echo "$f ok"; else echo "$f no"; fi; done'
ro_err() { echo "$ERR" | grep -c 'Read-only file system'; }

# --- --uidmap: the idmapped root, and the submounts under it
M=(--uidmap 0:300000:65536)
# --rootfs-rw: the idmapped root itself, not the default overlay above it.
run c "${M[@]}" --rootfs-rw sh -c 'grep -c " / .*idmapped" /proc/self/mountinfo
	touch /mnt/sub/x; touch /mnt/sub/deeper/x; cp /bin/busybox /mnt/sub/sh && chmod 4755 /mnt/sub/sh'
is "$OUT" 1 "--uidmap: the rootfs is an idmapped mount"
is "$(ro_err)" 3 "--uidmap: a submount and the one below it are read-only (3 writes refused)"
ok "--uidmap: nothing was written on the host, no setuid binary" nothing_in
run c "${M[@]}" --rootfs-rw --tmpfs /t -v "$work/vol:/vol" sh -c "$writes" sh /dev/shm/a /t/a /vol/a /tmp/a
is "$(echo $OUT)" "/dev/shm/a ok /t/a ok /vol/a ok /tmp/a no" \
	"--uidmap: /dev/shm, a --tmpfs and a volume stay writable; the root does not"
ok "--uidmap: the volume's file is on the host" test -e "$work/vol/a"
rm -f "$work/vol/a"
# The default, a throwaway overlay on the idmapped root: the writes land in it.
run c "${M[@]}" sh -c 'touch /mnt/sub/x && cp /bin/busybox /mnt/sub/sh && chmod 4755 /mnt/sub/sh && echo written'
is "$OUT" written "--uidmap, default overlay: the writes go to the overlay"
ok "--uidmap, default overlay: nothing was written in the host's submounts" nothing_in

# --- --read-only: the same for a root without a user namespace
run c --read-only --tmpfs /t -v "$work/vol:/vol" sh -c "$writes" sh \
	/mnt/sub/a /mnt/sub/deeper/a /etc/a /dev/shm/a /t/a /vol/a
is "$(echo $OUT)" "/mnt/sub/a no /mnt/sub/deeper/a no /etc/a no /dev/shm/a ok /t/a ok /vol/a ok" \
	"--read-only: submounts are read-only; carapace's mounts and volumes keep their modes"
ok "--read-only: nothing was written in the submounts" nothing_in
ok "--read-only: the volume's file is on the host" test -e "$work/vol/a"
rm -f "$work/vol/a"
run c --read-only sh -c 'grep -E " /mnt/sub(/deeper)? " /proc/self/mountinfo | awk "{print \$5, \$6}"'
is "$(echo $OUT)" "/mnt/sub ro,nodev,relatime /mnt/sub/deeper ro,nodev,relatime" \
	"--read-only: mountinfo inside says ro for both"

# --- --rootfs-rw leaves the submounts writable, as the host has them
run c --rootfs-rw sh -c "$writes" sh /mnt/sub/a
is "$OUT" "/mnt/sub/a ok" "--rootfs-rw: the submount is writable"
ok "  the file is on the host" test -e "$work/s/a"
rm -f "$work/s/a"
ok "outside: the host's submount is still writable" touch "$R/mnt/sub/deeper/host"
rm -f "$work/s2/host"

# --- every procfs and sysfs carapace mounts is masked as /proc and /sys are
expected=
for f in kcore keys timer_list sched_debug; do
	if [ -e "/proc/$f" ]; then expected+="$f:character special file:1,3 "; else expected+="$f:none "; fi
done
masks='for f in kcore keys timer_list sched_debug; do echo "$f:$(stat -c %F:%t,%T $1/$f 2>&- || echo none)"; done'
run c --mount type=proc,dst=/p2 sh -c "$masks" sh /p2
is "$(echo $OUT) " "$expected" "--mount type=proc: its kcore, keys, timer_list and sched_debug are masked"
run c --mount type=proc,dst=/p2 sh -c '(: >>/p2/sys/kernel/core_pattern) 2>&1; awk "{print \$5, \$6}" /proc/self/mountinfo'
like "$OUT" 'core_pattern: Read-only file system' "--mount type=proc: /p2/sys is read-only"
proc_set=$(echo "$OUT" | grep '^/proc/' | sed 's|^/proc/||' | sort)
p2_set=$(echo "$OUT" | grep '^/p2/' | sed 's|^/p2/||' | sort)
like "$p2_set" '^sys ro,nosuid,nodev,noexec' "--mount type=proc: mountinfo inside: /p2/sys read-only"
is "$p2_set" "$proc_set" "--mount type=proc: the same masks and read-only binds as /proc"
# (In a user namespace, the host root's core_pattern is denied anyway: ask mountinfo.)
run c "${M[@]}" --mount type=proc,dst=/p2 sh -c "$masks; grep -c ' /p2/sys ro,' /proc/self/mountinfo" sh /p2
is "$(echo $OUT) " "${expected}1 " "--uidmap and --mount type=proc: masked and read-only too"
run c --mount type=proc,dst=/proc sh -c "$masks" sh /proc
is "$(echo $OUT) " "$expected" "--mount type=proc on /proc itself: masked like the default"
if [ -n "$(ls -A /sys/firmware)" ]; then
	run c --mount type=sysfs,dst=/s2 sh -c 'ls -A /s2/firmware | wc -l; touch /s2/firmware/x'
	is "$OUT" 0 "--mount type=sysfs: its firmware folder is masked, empty"
	like "$ERR" 'Read-only file system' "  and read-only"
else
	skip "the host has no /sys/firmware"; skip "the host has no /sys/firmware"
fi
if asan_build; then skip_sealed_copy 1 --privileged; else
	run c --privileged --mount type=proc,dst=/p2 sh -c 'stat -c %F /p2/timer_list; : >>/p2/sys/kernel/core_pattern && echo w'
	is "$(echo $OUT)" "regular empty file w" "--privileged: no masks, as for /proc"
fi

no_leaks
done_testing
