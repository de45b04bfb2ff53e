#!/bin/bash
# t/600-oci-bundle.t: carapace run --bundle DIR, the OCI front end
# (src/oci-config.c): what config.json asks for is what the workload sees,
# from inside; its exit code comes through; bad config.json is one line
# naming the field, exit 125; nothing is left behind.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
b=$TMPDIR/bundle
oci_bundle "$b"

# The process: args, env exactly as given (and HOME, which it lacks, from
# the passwd, as runc and crun add it), cwd, and the exit code.
oci_patch "$b" 'c["process"]["args"] = ["sh", "-c", "echo \"$0|$1|$FOO|$(pwd)\"; env | sort | tr \"\\n\" \" \"; exit 42", "a b", "c"]
c["process"]["env"] = ["PATH=/bin:/sbin", "FOO=x=y \u00e9"]
c["process"]["cwd"] = "/etc"'
oci_run "$b"
is "$RC" 42 "the workload's exit code comes through"
is "$(printf '%s\n' "$OUT" | head -1)" "a b|c|x=y é|/etc" "args, env and cwd are the config's"
is "$(printf '%s\n' "$OUT" | tail -1)" "FOO=x=y é HOME=/root PATH=/bin:/sbin PWD=/etc SHLVL=1 " \
	"the environment is the config's, nothing added (but the shell's own, and root's HOME)"
is "$ERR" "" "nothing on stderr"

# The hostname, the read-only root, the masked and read-only paths.
oci_bundle "$b"
oci_patch "$b" 'c["hostname"] = "oci-host"
c["process"]["args"] = ["sh", "-c", "hostname; touch /x 2>/dev/null && echo root-rw || echo root-ro; wc -c </proc/timer_list; echo 1 >/proc/sys/kernel/domainname 2>/dev/null && echo sys-rw || echo sys-ro"]'
oci_run "$b"
is "$RC" 0 "runs"
is "$OUT" "$(printf 'oci-host\nroot-ro\n0\nsys-ro')" \
	"hostname set, root read-only, /proc/timer_list masked, /proc/sys read-only"

# Nothing masked or read-only when the config says so; a writable root.
rw=$TMPDIR/rw
mkdir -p "$rw/rootfs"
cp -a "$ROOTFS/." "$rw/rootfs/"
oci_bundle "$rw"
rm "$rw/rootfs/rootfs"	# oci_bundle's symlink, into the copy
oci_patch "$rw" 'c["root"]["readonly"] = False
c["linux"]["maskedPaths"] = []; c["linux"]["readonlyPaths"] = []
c["process"]["args"] = ["sh", "-c", "echo hi >/written; test $(wc -c </proc/timer_list) -gt 0 && echo timer_list-visible; echo 1 >/proc/sys/kernel/domainname 2>/dev/null && echo sys-rw || echo sys-ro"]'
oci_run "$rw"
is "$OUT" "$(printf 'timer_list-visible\nsys-rw')" \
	"maskedPaths and readonlyPaths []: nothing masked, nothing read-only"
is "$(cat "$rw/rootfs/written" 2>/dev/null)" hi "root.readonly false: the bundle's rootfs is written"

# containerd 1.6's own config.json (as ctr run wrote it: t/fuzz/oci/), on the
# copy: only its command, to end, and its cgroup, the test's, are changed.
cp "$TOP/t/fuzz/oci/containerd.json" "$rw/config.json"
oci_patch "$rw" 'c["process"]["args"] = ["sh", "-c", "cat /proc/self/status | grep ^CapBnd; hostname"]
c["linux"]["cgroupsPath"] = "/" + os.environ["TEST_CGROUP_PARENT"] + "/containerd"'
oci_run "$rw"
is "$RC:$OUT" "0:$(printf 'CapBnd:\t00000000a80425fb\n%s' "$(hostname)")" \
	"containerd's config.json runs: its capabilities, and the host's hostname in its UTS namespace"

# Mounts, in order: a tmpfs with its options, a bind relative to the bundle, read-only.
oci_bundle "$b"
mkdir -p "$b/data"
echo payload >"$b/data/file"
oci_patch "$b" 'c["mounts"] += [
 {"destination": "/mnt", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "noexec", "size=1m", "mode=700"]},
 {"destination": "/mnt/data", "type": "bind", "source": "data", "options": ["rbind", "ro", "rprivate"]}]
c["process"]["args"] = ["sh", "-c", "grep \" /mnt\" /proc/mounts | cut -d\" \" -f2-4; stat -c %a /mnt; cat /mnt/data/file; touch /mnt/data/x 2>/dev/null || echo bind-ro"]'
oci_run "$b"
is "$RC" 0 "runs with more mounts"
like "$OUT" "^/mnt tmpfs rw,nosuid,nodev,noexec,.*size=1024k" "the tmpfs has its flags and size"
like "$OUT" "/mnt/data [^ ]+ ro," "the bind is read-only"
like "$OUT" "$(printf '700\npayload\nbind-ro')" "mode=700, and the bind's source is the bundle's data"

# The atime options: on a new filesystem and on a bind (relatime, the
# kernel's default, shows unless another mode is asked for).
oci_bundle "$b"
oci_patch "$b" 'c["mounts"] += [
 {"destination": "/mnt", "type": "tmpfs", "options": ["noatime", "nodiratime"]},
 {"destination": "/mnt/data", "type": "bind", "source": "data", "options": ["rbind", "noatime"]},
 {"destination": "/tmp", "type": "tmpfs", "options": ["strictatime"]}]
c["process"]["args"] = ["sh", "-c", "grep -E \" /(mnt|mnt/data|tmp) \" /proc/self/mountinfo | cut -d\" \" -f5,6 | sort"]'
oci_run "$b"
is "$OUT" "$(printf '/mnt rw,noatime,nodiratime\n/mnt/data rw,noatime\n/tmp rw')" \
	"noatime, nodiratime and strictatime, on a tmpfs and on a bind"

# Namespaces: as listed, and only those.
host_net=$(readlink /proc/self/ns/net) host_uts=$(readlink /proc/self/ns/uts)
oci_bundle "$b"
oci_patch "$b" 'c["process"]["args"] = ["sh", "-c", "readlink /proc/self/ns/net; readlink /proc/self/ns/uts; readlink /proc/self/ns/ipc; echo $$"]'
oci_run "$b"
set -- $OUT
isnt "$1" "$host_net" "network listed: a network namespace of its own"
isnt "$2" "$host_uts" "uts listed: a UTS namespace of its own"
is "$4" 2 "pid listed: the workload is PID 2, under carapace's init"
oci_patch "$b" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] not in ("network", "uts")]
del c["hostname"]'
oci_run "$b"
set -- $OUT
is "$1" "$host_net" "network not listed: the host's network namespace"
is "$2" "$host_uts" "uts not listed: the host's UTS namespace"
oci_patch "$b" 'c["hostname"] = "x"'
oci_run "$b"
is "$RC:$ERR" "125:carapace: config.json: hostname: needs a UTS namespace of the container's own" \
	"a hostname without a UTS namespace is refused"

# Bad input: one line that names the field, exit 125, nothing run.
bad() {	# bad DESC EXPECTED-ERR [PATCH]
	oci_bundle "$b"
	[ -n "${3:-}" ] && oci_patch "$b" "$3"
	oci_run "$b"
	is "$RC:$ERR" "125:carapace: config.json: $2" "$1"
}
bad "a wrong type" "process.args: not an array but a string" 'c["process"]["args"] = "sh"'
bad "a wrong type, deeper" "linux.namespaces[1].type: not a string but a number" \
	'c["linux"]["namespaces"][1]["type"] = 3'
bad "a relative mount destination" "mounts[1].destination: not an absolute path: 'dev'" \
	'c["mounts"][1]["destination"] = "dev"'
bad "an unknown mount option" "mounts[3].options[1]: unknown option 'bogus' (of the mount on /dev/shm)" \
	'c["mounts"][3]["options"][1] = "bogus"'
bad "an unknown namespace type" "linux.namespaces[0].type: not a namespace type: 'pod'" \
	'c["linux"]["namespaces"][0]["type"] = "pod"'
bad "an integer out of range" "process.user.uid: out of range (0 to 4294967294): -1" \
	'c["process"]["user"]["uid"] = -1'
bad "a fraction for an integer" "process.rlimits[0].soft: not an integer: 1.5" \
	'c["process"]["rlimits"][0]["soft"] = 1.5'
bad "an unknown capability" "process.capabilities.bounding[0]: not a capability carapace knows: 'CAP_FLY'" \
	'c["process"]["capabilities"]["bounding"][0] = "CAP_FLY"'
bad "a missing field" "process: cwd: missing" 'del c["process"]["cwd"]'
bad "another spec version" "ociVersion: carapace reads the runtime spec 1.x, not '2.0.0'" \
	'c["ociVersion"] = "2.0.0"'
oci_bundle "$b"
printf '{ "ociVersion": "1.0.2",\n  "process": { "args": ["sh"] "cwd": "/" } }\n' >"$b/config.json"
oci_run "$b"
is "$RC:$ERR" "125:carapace: config.json: line 2, column 30: not valid JSON: expected ','" \
	"malformed JSON: where"
printf '{ "ociVersion": "1.0.2", "hostname": "a", "hostname": "b" }' >"$b/config.json"
oci_run "$b"
is "$RC:$ERR" "125:carapace: config.json: hostname: given twice" "a key twice"
printf '{ "ociVersion": "1.0.2", "hostname": "a\\u0000b" }' >"$b/config.json"
oci_run "$b"
is "$RC:$ERR" "125:carapace: config.json: hostname: a string with a NUL (\\u0000) in it" \
	"a NUL in a string"
rm "$b/config.json"
oci_run "$b"
is "$RC:$ERR" "125:carapace: config.json: $(realpath "$b")/config.json: No such file or directory" \
	"a bundle without config.json"
oci_bundle "$b"
oci_run "$b" --pids 10
is "$RC:$ERR" "125:carapace: run: --bundle: config.json gives the container, not --pids (only --name, --quiet and --verbose go with it)" \
	"--bundle with another container option"
oci_run "$b" /bin/sh
is "$RC:$ERR" "125:carapace: run: --bundle: config.json gives the command (process.args), not the command line" \
	"--bundle with a command"

no_leaks
done_testing
