#!/bin/bash
# t/640-oci-spec.t: carapace spec writes a valid config.json with carapace
# run's defaults, which carapace itself and runc both run; --rootless maps
# the calling user; an existing config.json is never overwritten; carapace
# features is valid JSON with runc's keys, and what it lists is accepted.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

valid_json() { python3 -m json.tool "$1" >/dev/null; }

snapshot_host
b=$TMPDIR/bundle
mkdir -p "$b"

# The file: valid JSON, carapace's secure defaults.
cd "$b" && run "$CARAPACE" spec && cd - >/dev/null
is "$RC" 0 "carapace spec: exit 0"
is "$OUT$ERR" "" "carapace spec: says nothing"
ok "config.json is valid JSON" valid_json "$b/config.json"
check='import json, sys
c = json.load(open(sys.argv[1]))
p, l = c["process"], c["linux"]
print(c["ociVersion"], p["args"], p["terminal"], p["user"], p["cwd"], p["noNewPrivileges"])
print(c["root"], c["hostname"], p["rlimits"])
print(sorted(p["capabilities"]), p["capabilities"]["bounding"] == p["capabilities"]["effective"] == p["capabilities"]["permitted"])
print([n["type"] for n in l["namespaces"]], "uidMappings" in l, l.get("resources"))
print([(m["destination"], m["type"]) for m in c["mounts"]])
print(len(l["maskedPaths"]), len(l["readonlyPaths"]), "/proc/kcore" in l["maskedPaths"], "/proc/sys" in l["readonlyPaths"])'
run python3 -c "$check" "$b/config.json"
is "$OUT" "1.0.2 ['sh'] True {'uid': 0, 'gid': 0} / True
{'path': 'rootfs', 'readonly': True} carapace [{'type': 'RLIMIT_NOFILE', 'hard': 1024, 'soft': 1024}]
['bounding', 'effective', 'permitted'] True
['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup'] False {'devices': [{'allow': False, 'access': 'rwm'}], 'pids': {'limit': 2048}}
[('/proc', 'proc'), ('/sys', 'sysfs'), ('/dev', 'tmpfs'), ('/dev/pts', 'devpts'), ('/dev/shm', 'tmpfs'), ('/dev/mqueue', 'mqueue'), ('/sys/fs/cgroup', 'cgroup')]
10 6 True True" "args sh, a terminal, root, no_new_privs, a read-only rootfs, nofile, the namespaces, pids, no device, the default mounts and paths"

# What carapace run gives is what the spec gives: run both, from inside.
probe='grep -E "^Cap(Prm|Eff|Bnd|Inh|Amb)" /proc/self/status; grep NoNewPrivs /proc/self/status; cat /proc/1/cgroup >/dev/null; ulimit -n; wc -c </proc/timer_list; touch /proc/sys/x 2>&1 | sed "s/.*: //"; touch /x 2>&1 | sed "s/.*: //"; grep -vE " cgroup2? " /proc/mounts | grep -vc " /etc/"'
ln -s "$ROOTFS" "$b/rootfs"
python3 - "$b/config.json" "$probe" "$TEST_CGROUP_PARENT" <<-'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", sys.argv[2]]
c["linux"]["cgroupsPath"] = "/" + sys.argv[3] + "/spec"
json.dump(c, open(sys.argv[1], "w"))
PY
oci_run "$b"
spec_out=$OUT
is "$RC:$ERR" "0:" "carapace run --bundle runs carapace spec's config.json"
run cara --read-only --ulimit nofile=1024 sh -c "$probe"
# The command line's root is an overlay, read-only here: /proc/mounts has one
# line of its own (the lower layer's name aside), as many as the spec's. Not
# the cgroup hierarchies: an engine's container has a leaf (so a mount) in
# cpu, cpuacct, cpuset and blkio besides run's, for update and events, and
# on a hybrid host run's has a v2 leaf (its devices and freezer) instead of
# v1's devices and freezer.
# (carapace run binds its own /etc/hostname, hosts and resolv.conf: not counted.)
is "$spec_out" "$OUT" "the spec gives what carapace run gives: capabilities, no_new_privs, masks, read-only paths"
like "$spec_out" "CapEff:	00000000a80425fb" "docker's capabilities, no more"

# runc runs it too (runc spec's format, with runc's own defaults left out).
if command -v runc >/dev/null; then
	id=carapace-640-$$
	python3 - "$b/config.json" "$ROOTFS" <<-'PY'
	import json, sys
	c = json.load(open(sys.argv[1]))
	c["root"]["path"] = sys.argv[2]	# runc wants no symlink there
	json.dump(c, open(sys.argv[1], "w"))
	PY
	run timeout 60 runc run -b "$b" "$id"
	runc delete -f "$id" >/dev/null 2>&1
	# runc removes its leaf, not the parent it made: only that, if empty.
	rmdir /sys/fs/cgroup/*/"$TEST_CGROUP_PARENT" /sys/fs/cgroup/"$TEST_CGROUP_PARENT" 2>/dev/null
	is "$RC:$ERR" "0:" "runc runs carapace spec's config.json"
	like "$OUT" "CapEff:	00000000a80425fb" "runc gives it docker's capabilities too"
else
	skip "no runc"
	skip "no runc"
fi

# Never over an existing file, nor through a symlink.
sum=$(md5sum <"$b/config.json")
run "$CARAPACE" spec --bundle "$b"
is "$RC" 125 "an existing config.json: exit 125"
is "$ERR" "carapace: spec: $b/config.json: exists already: remove it first" "an existing config.json: one line"
is "$(md5sum <"$b/config.json")" "$sum" "an existing config.json is left as it was"
l=$TMPDIR/link
mkdir -p "$l"
ln -s "$TMPDIR/elsewhere" "$l/config.json"
run "$CARAPACE" spec -b "$l"
is "$RC" 125 "config.json a dangling symlink: exit 125"
ok "nothing is written through the symlink" test ! -e "$TMPDIR/elsewhere"
run "$CARAPACE" spec --bundle "$TMPDIR/nope"
is "$RC:$ERR" "125:carapace: spec: $TMPDIR/nope: No such file or directory" "a missing bundle folder: one line, 125"
run "$CARAPACE" spec extra
is "$RC:$ERR" "125:carapace: spec: takes no operand: extra" "an operand: one line, 125"
run "$CARAPACE" spec --rootlessly
is "$RC:$ERR" "125:carapace: spec: unknown option: --rootlessly" "a bad option: one line, 125"

# --rootless: a user namespace that maps only the calling user, no limits.
r=$TMPDIR/rootless
mkdir -p "$r"
chown 65534:65534 "$r"
run setpriv --reuid=65534 --regid=65534 --clear-groups "$CARAPACE" spec --rootless --bundle "$r"
is "$RC:$ERR" "0:" "carapace spec --rootless as nobody"
ok "its config.json is valid JSON" valid_json "$r/config.json"
run python3 -c 'import json, sys
c = json.load(open(sys.argv[1])); l = c["linux"]
print([n["type"] for n in l["namespaces"]], l["uidMappings"], l["gidMappings"], "resources" in l)
print([m.get("options") for m in c["mounts"] if m["type"] == "devpts"])' "$r/config.json"
is "$OUT" "['pid', 'network', 'ipc', 'uts', 'mount', 'cgroup', 'user'] [{'containerID': 0, 'hostID': 65534, 'size': 1}] [{'containerID': 0, 'hostID': 65534, 'size': 1}] False
[['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'max=128']]" \
	"a user namespace, the caller's uid and gid as root, no resources, devpts without gid=5"
ln -s "$ROOTFS" "$r/rootfs"
python3 - "$r/config.json" <<-'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "cat /proc/self/uid_map /proc/self/gid_map; id -u"]
json.dump(c, open(sys.argv[1], "w"))
PY
run setpriv --reuid=65534 --regid=65534 --clear-groups "$CARAPACE" run -q --bundle "$r"
is "$RC:$ERR" "0:" "nobody runs the rootless config.json with carapace run --bundle"
is "$(echo $OUT)" "0 65534 1 0 65534 1 0" "root inside is nobody outside"

# features: valid JSON, runc's keys, the truth.
run "$CARAPACE" features
is "$RC" 0 "carapace features: exit 0"
features=$OUT
printf '%s\n' "$features" >"$TMPDIR/features.json"
ok "its output is valid JSON" valid_json "$TMPDIR/features.json"
run python3 -c 'import json, sys
f = json.load(open(sys.argv[1])); l = f["linux"]
print(sorted(f), sorted(l))
print(f["ociVersionMin"], f["ociVersionMax"], f["hooks"])
print(l["namespaces"], len(l["capabilities"]), "CAP_SYS_ADMIN" in l["capabilities"])
print(l["cgroup"], l["seccomp"]["enabled"], "SCMP_ACT_NOTIFY" in l["seccomp"]["actions"], len(l["seccomp"]["operators"]), l["seccomp"]["archs"])
print(l["apparmor"], l["selinux"], l["intelRdt"], list(f["annotations"]))' "$TMPDIR/features.json"
is "$OUT" "['annotations', 'hooks', 'linux', 'mountOptions', 'ociVersionMax', 'ociVersionMin'] ['apparmor', 'capabilities', 'cgroup', 'intelRdt', 'namespaces', 'seccomp', 'selinux']
1.0.0 1.0.2 ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']
['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'] 41 True
{'v1': True, 'v2': True, 'systemd': False, 'systemdUser': False} True False 7 ['SCMP_ARCH_X32', 'SCMP_ARCH_X86', 'SCMP_ARCH_X86_64']
{'enabled': True} {'enabled': False} {'enabled': False} ['org.carapace.version']" \
	"features: runc's keys; the hooks, namespaces, capabilities, cgroups, seccomp carapace has"

# Every mount option features lists is one config.json may give.
f=$TMPDIR/opts
oci_bundle "$f"
refused=
for o in $(python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["mountOptions"]))' "$TMPDIR/features.json"); do
	case $o in
	*bind|*private|*slave|*shared|*unbindable) m='{"destination": "/mnt", "type": "bind", "source": "/tmp", "options": ["rbind", "'$o'"]}' ;;
	*) m='{"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["'$o'"]}' ;;
	esac
	oci_bundle "$f"
	oci_patch "$f" 'c["mounts"].append('"$m"')'
	oci_run "$f"
	# A parse error, not the kernel's (tmpfs takes no "silent"): the word is known.
	case $ERR in *"unknown option"*) refused="$refused $o" ;; esac
done
is "$refused" "" "config.json takes every mount option that features lists"
run "$CARAPACE" features --json
is "$RC:$ERR" "125:carapace: features: unknown option: --json" "features: a bad option: one line, 125"

no_leaks
done_testing
