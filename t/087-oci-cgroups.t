#!/bin/bash
# t/087-oci-cgroups.t: an OCI container's cgroups (src/cgroup.c), driven
# by t/oci-cgroups.c as carapace create, delete, kill --all and state
# would: linux.resources' limits seen in the leaves and one enforced (the
# device rules, on a shell moved into the leaf), bad values refused before
# any cgroup exists, the description a state file keeps and a forged one
# refused, and the sweep that keeps a leaf whose creator exited while its
# processes live.
. "$(dirname "$0")/tap.sh"
need_root
need_binary

v1_mount() {
	awk -v c="$1" '$0 ~ " - cgroup " { n = split($NF, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) print $5 }' \
		/proc/self/mountinfo | head -1
}
M=$(v1_mount memory) D=$(v1_mount devices) C=$(v1_mount cpu) S=$(v1_mount cpuset)
U=$(awk '$0 ~ " - cgroup2 " { print $5; exit }' /proc/self/mountinfo)
[ -n "$M" ] && [ -n "$D" ] && [ -n "$C" ] && [ -n "$S" ] ||
	skip_all "no v1 memory, devices, cpu and cpuset: this test is for v1 and hybrid hosts"
T=$TOP/build/unit/oci-cgroups
make -s -C "$TOP" build/unit/oci-cgroups >&2 || { echo "Bail out! make build/unit/oci-cgroups failed"; exit 1; }
P=$TEST_CGROUP_PARENT
hugetlb_v2=false
[ -n "$U" ] && grep -qw hugetlb "$U/cgroup.controllers" && [ -z "$(v1_mount hugetlb)" ] && hugetlb_v2=true

snapshot_host

# --- resources: each in its file, from the host
settings=(reservation=33554432 swappiness=7 no-oom quota=25000 period=50000 mems=0
	device=allow:c:1:11:r device=allow:b:7:0:r)
$hugetlb_v2 && settings+=(hugetlb=2MB:4194304 unified=hugetlb.1GB.max=0)
run "$T" create "$P" res "${settings[@]}"
is "$RC" 0 "create: the cgroups are made (${ERR})"
desc=$TMPDIR/res
printf '%s\n' "$OUT" >"$desc"
pid=$(sed -n 's/^pid //p' <<<"$ERR")
like "$OUT" "^v1 leaf ours $M $P/res\$" "describe: a line for the memory leaf, ours"
like "$OUT" "^v1 parent ours $M $P\$" "describe: its parent folder before it, carapace's"
unlike "$OUT" "(^| )\\.\\.|//" "describe: no .. and no empty name"
is "$(cat "$M/$P/res/memory.soft_limit_in_bytes")" 33554432 "memory.reservation: memory.soft_limit_in_bytes"
is "$(cat "$M/$P/res/memory.swappiness")" 7 "memory.swappiness: memory.swappiness"
like "$(cat "$M/$P/res/memory.oom_control")" "oom_kill_disable 1" "memory.disableOOMKiller: memory.oom_control"
is "$(cat "$C/$P/res/cpu.cfs_period_us") $(cat "$C/$P/res/cpu.cfs_quota_us")" "50000 25000" \
	"cpu.period and quota: cfs_period_us, cfs_quota_us"
is "$(cat "$S/$P/res/cpuset.mems")" 0 "cpuset.mems: cpuset.mems"
if $hugetlb_v2; then
	is "$(cat "$U/$P/res/hugetlb.2MB.max")" 4194304 "hugepageLimits: v2's hugetlb.2MB.max"
	is "$(cat "$U/$P/res/hugetlb.1GB.max")" 0 "unified: hugetlb.1GB.max written"
else
	skip "no v2 hugetlb here"; skip "no v2 hugetlb here"
fi
is "$(head -4 "$D/$P/res/devices.list")" "c 1:11 r
b 7:0 r
c *:* m
b *:* m" "devices: the config's rules first, then the defaults"

# --- enforced: a shell moved into the leaf opens what the rules allow, no more
probe() { # DEVICE: a shell in leaf $1's device cgroup reads one byte of it
	sh -c 'echo $$ >"$1/cgroup.procs" && exec head -c0 "$2"' sh "$D/$P/$1" "$2" 2>&1
}
run probe res /dev/kmsg
is "$RC" 0 "devices: an allowed c 1:11 r opens for reading ($OUT)"
run sh -c "echo \$\$ >'$D/$P/res/cgroup.procs' && exec sh -c ': >/dev/kmsg'"
like "$RC:$OUT$ERR" "^[1-9].*ermitted" "devices: not for writing, which the rule does not give"
run probe res /dev/loop0
is "$RC" 0 "devices: an allowed b 7:0 r opens"
run probe res /dev/loop1
like "$RC:$OUT" "^1:.*Operation not permitted" "devices: b 7:1, not allowed, is denied"
run probe res /dev/null
is "$RC" 0 "devices: the defaults, /dev/null, stay usable"

# --- the description, read back as state, kill --all and delete would
"$T" procs "$desc"
is "$?" 0 "procs: the leaf holds its process"
run "$T" signal "$desc" 0
is "$OUT" 1 "signal: one process signalled"

# --- the sweep: a leaf whose creator exited but whose processes live stays
run cara --name other true
is "$RC" 0 "another container in the same parent runs (and sweeps it)"
ok "the sweep keeps the OCI leaf whose creator is gone" test -d "$M/$P/res"
ok "and its process lives" kill -0 "$pid"
run "$T" create "$P" res
like "$RC:$ERR" "^125:.*res: a container of that name is running" "the same name again: refused, and kept"
ok "still there" kill -0 "$pid"
# The launcher's own leaf (no OCI) whose launcher is gone is a killed
# launcher's: the sweep empties and removes it, as ever. On a hybrid host
# its devices and freezer are its v2 leaf's, and it has no other.
run "$T" create "$P" plain launcher
lpid=$(sed -n 's/^pid //p' <<<"$ERR")
plain_at=$D
[ -n "$U" ] && plain_at=$U
ok "(its leaf is there)" test -d "$plain_at/$P/plain"
run cara --name other true
for i in $(seq 100); do kill -0 "$lpid" 2>/dev/null || break; sleep 0.05; done
nok "a plain leaf whose launcher is gone: its process is killed by the sweep" kill -0 "$lpid" 2>/dev/null
run cara --name other true
ok "and the leaf goes at the next" test ! -d "$plain_at/$P/plain"

# --- kill --all, then delete
run "$T" signal "$desc" 15
is "$RC:$OUT" 0:1 "signal 15: one process"
for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
nok "the process is gone" kill -0 "$pid" 2>/dev/null
"$T" procs "$desc"
is "$?" 1 "procs: none left"
mkdir "$M/$P/res/child"
run "$T" remove "$desc"
like "$RC:$ERR" "^1:.*cgroup: rmdir $M/$P/res: (Device or )?[Rr]esource busy" \
	"remove: a leaf it can't remove is an error, with a line"
rmdir "$M/$P/res/child"
run "$T" remove "$desc"
is "$RC:$ERR" "0:" "remove: the folders go"
ok "the leaf is gone" test ! -d "$M/$P/res"
ok "its parent, carapace's, too" test ! -d "$M/$P"
run "$T" remove "$desc"
is "$RC" 0 "remove again: what is gone already is fine"

# --- remove kills what is left, on every hierarchy
run "$T" create "$P" busy
printf '%s\n' "$OUT" >"$TMPDIR/busy"
bpid=$(sed -n 's/^pid //p' <<<"$ERR")
run "$T" remove "$TMPDIR/busy"
is "$RC" 0 "remove: a leaf with a process"
for i in $(seq 100); do kill -0 "$bpid" 2>/dev/null || break; sleep 0.05; done
nok "its process is killed" kill -0 "$bpid" 2>/dev/null

# --- a forged description is refused, and nothing is touched
mkdir -p "$TMPDIR/victim"
forged() { printf '%s\n' "$1" >"$TMPDIR/forged"; run "$T" remove "$TMPDIR/forged"; }
forged "v1 leaf ours $M $P/../../../$TMPDIR/victim"
like "$RC:$ERR" "^1:.*not a cgroup of this host" "remove: a path with .. is refused"
forged "v1 leaf ours $TMPDIR victim"
like "$RC:$ERR" "^1:.*not a cgroup of this host" "remove: a mount that is no cgroup hierarchy is refused"
forged "v1 leaf ours / $TMPDIR/victim"
like "$RC:$ERR" "^1:" "remove: the root is no hierarchy either"
forged "v2 leaf ours $M $P/x"
like "$RC:$ERR" "^1:" "remove: a v1 hierarchy said to be v2 is refused"
forged "v1 leaf ours $M /$P/x"
like "$RC:$ERR" "^1:" "remove: an absolute path is refused"
ok "the folder named is still there" test -d "$TMPDIR/victim"
printf 'v1 leaf ours %s x/../..\n' "$M" >"$TMPDIR/forged"
run "$T" signal "$TMPDIR/forged" 0
is "$RC" 1 "signal: refused too"

# --- bad values, refused before any cgroup exists
bad() { run "$T" create "$P" bad "$@"; }
bad unified=memory.high=10M
like "$RC:$ERR" "^125:carapace: linux.resources.unified: memory.high: the memory controller is not on cgroup v2 on this host \(it is on v1\)" \
	"unified: a key of a v1 controller is refused"
bad unified=../cgroup.procs=1
like "$RC:$ERR" "^125:carapace: linux.resources.unified: not a cgroup file name: '../cgroup.procs'" "unified: a name with / is refused"
bad unified=blkio.weight=10
like "$RC:$ERR" "^125:.*blkio.weight: not a file of a cgroup v2 controller" "unified: v1's names are no v2 files"
if [ -n "$U" ]; then
	bad unified=cgroup.nosuch=1
	like "$RC:$ERR" "^125:carapace: linux.resources.unified: .*/cgroup.nosuch: 1: No such file or directory" \
		"unified: a file that does not exist is refused"
else skip "no cgroup v2"; fi
bad hugetlb=2MB/../x:1
like "$RC:$ERR" "^125:carapace: linux.resources.hugepageLimits: not a page size: '2MB/../x'" "hugetlb: a bad page size"
bad device=allow:x:1:3:rwm
like "$RC:$ERR" "^125:carapace: linux.resources.devices: rule 1: not a device rule" "devices: a bad type"
bad device=allow:c:1:3:rwz
like "$RC:$ERR" "^125:carapace: linux.resources.devices: rule 1" "devices: a bad access"
ok "no leaf of a refused config" test ! -d "$M/$P/bad"

# --- cgroupsPath's forms
split() { run "$T" split "$1"; }
split /a/b/c
is "$OUT" "a/b c" "cgroupsPath /a/b/c: parent a/b, leaf c"
split b/c
is "$OUT" "carapace/b c" "a relative b/c: under carapace's parent"
split c
is "$OUT" "carapace c" "a relative c: carapace/c"
split system.slice:docker:abc
like "$RC:$ERR" "^125:carapace: config.json: linux.cgroupsPath: 'system.slice:docker:abc': the systemd form .*carapace has none" \
	"the systemd form: a clear error"
split /c
like "$RC:$ERR" "^125:.*at a hierarchy's root" "/c: no leaf at a hierarchy's root"
split /a/
like "$RC:$ERR" "^125:.*no cgroup name at its end" "/a/: no name"

# --- through carapace run --bundle: seen from inside, and enforced
if [ -x "$ROOTFS/bin/busybox" ]; then
	b=$TMPDIR/bundle
	oci_bundle "$b"
	oci_patch "$b" '
r = c["linux"]["resources"] = {}
r["memory"] = {"reservation": 33554432, "swappiness": 7, "disableOOMKiller": True}
r["cpu"] = {"quota": 25000, "period": 50000, "mems": "0"}
r["devices"] = [{"allow": False, "access": "rwm"},
		{"allow": True, "type": "c", "major": 1, "minor": 11, "access": "r"},
		{"allow": True, "type": "b", "major": 7, "minor": 0, "access": "r"}]
if "'"$hugetlb_v2"'" == "true":
	r["hugepageLimits"] = [{"pageSize": "2MB", "limit": 4194304}]
	r["unified"] = {"hugetlb.1GB.max": "0"}
for k in ("bounding", "effective", "permitted"):
	c["process"]["capabilities"][k].append("CAP_MKNOD")
c["process"]["args"] = ["sh", "-c", """cd /sys/fs/cgroup
cat memory/memory.soft_limit_in_bytes memory/memory.swappiness cpu/cpu.cfs_period_us cpu/cpu.cfs_quota_us cpuset/cpuset.mems
grep oom_kill_disable memory/memory.oom_control
cat unified/hugetlb.2MB.max unified/hugetlb.1GB.max 2>/dev/null
mknod /dev/k c 1 11 && { (: >/dev/k) 2>/dev/null || echo kmsg write denied; }
mknod /dev/l0 b 7 0 && head -c0 /dev/l0 && echo loop0 read
mknod /dev/l1 b 7 1 && { head -c0 /dev/l1 2>/dev/null || echo loop1 denied; }
: >/dev/null && echo null ok"""]
'
	oci_run "$b"
	want="33554432 7 50000 25000 0 oom_kill_disable 1"
	$hugetlb_v2 && want+=" 4194304 0"
	is "$RC:$(echo $OUT)" "0:$want kmsg write denied loop0 read loop1 denied null ok" \
		"run --bundle: each limit seen inside; c 1:11 r: no write; b 7:0 r: read; b 7:1 denied; /dev/null kept ($ERR)"
	oci_patch "$b" 'c["linux"]["resources"] = {"unified": {"memory.high": "10M"}}'
	oci_run "$b"
	like "$RC:$ERR" "^125:.*linux.resources.unified: memory.high: the memory controller is not on cgroup v2" \
		"run --bundle: a unified key of a v1 controller is refused"
	oci_patch "$b" 'c["linux"]["resources"] = {"devices": [{"allow": True, "type": "x"}]}'
	oci_run "$b"
	like "$RC:$ERR" "^125:carapace: config.json: linux.resources.devices\[0\].type: not a, c or b: 'x'" \
		"run --bundle: a bad device rule"
	oci_patch "$b" 'c["linux"]["cgroupsPath"] = "machine.slice:libpod:x"'
	oci_run "$b"
	like "$RC:$ERR" "^125:.*the systemd form" "run --bundle: a systemd cgroupsPath"
else
	skip "no rootfs"; skip "no rootfs"; skip "no rootfs"; skip "no rootfs"
fi

no_leaks
done_testing
