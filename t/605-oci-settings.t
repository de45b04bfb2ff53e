#!/bin/bash
# t/605-oci-settings.t: what a config.json asks of the container's process
# and namespaces takes effect inside it (`carapace run --bundle`): the
# user's ids and groups exactly, HOME, umask, oomScoreAdj, consoleSize, the five
# capability sets, personality, domainname, sysctls, namespaces joined by
# path, rootfsPropagation and linux.devices; and bad input is refused.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
command -v jq >/dev/null || skip_all "no jq to write config.json"

work=$(mktemp -d)
chmod 755 "$work"
helpers=()
end_helpers() { for p in "${helpers[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; helpers=(); }
trap end_helpers EXIT
snapshot_host

# bundle PATCH: $work/b/config.json is a minimal config (root: $ROOTFS, read-only;
# the usual mounts; pid, ipc, uts, mount and network namespaces) with the JSON
# PATCH merged in (objects merge, arrays replace; a top-level null drops a field).
bundle() {
	mkdir -p "$work/b"
	jq -n --arg root "$ROOTFS" --argjson patch "$1" '{
		ociVersion: "1.0.2",
		process: { user: { uid: 0, gid: 0 }, args: ["true"], cwd: "/",
			   env: ["PATH=/bin:/sbin:/usr/bin"] },
		root: { path: $root, readonly: true },
		hostname: "oci",
		mounts: [
			{ destination: "/proc", type: "proc", source: "proc" },
			{ destination: "/dev", type: "tmpfs", source: "tmpfs",
			  options: ["nosuid", "mode=755", "size=1m"] },
			{ destination: "/dev/pts", type: "devpts", source: "devpts",
			  options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666"] },
			{ destination: "/sys", type: "sysfs", source: "sysfs",
			  options: ["nosuid", "noexec", "nodev", "ro"] }
		],
		linux: { namespaces: [ { type: "pid" }, { type: "ipc" }, { type: "uts" },
				       { type: "mount" }, { type: "network" } ] }
	} * $patch | with_entries(select(.value != null))' >"$work/b/config.json"
}
# in_oci PATCH SCRIPT: runs sh -c SCRIPT in a bundle of PATCH; $OUT, $ERR, $RC.
in_oci() {
	bundle "$(jq -n --argjson p "$1" --arg s "$2" '$p * { process: { args: ["sh", "-c", $s] } }')"
	run "$CARAPACE" run -q --bundle "$work/b"
}
status_field() { printf '%s\n' "$OUT" | sed -n "s/^$1:[[:space:]]*//p"; }

# --- process.user: uid, gid and additionalGids exactly, nothing from /etc/group
in_oci '{ "process": { "user": { "uid": 1000, "gid": 1000, "additionalGids": [10, 50, 7] } } }' \
	'id -u; id -g; grep Groups /proc/self/status'
is "$(printf '%s\n' "$OUT" | head -2 | tr '\n' ' ')" "1000 1000 " "uid and gid as given"
is "$(status_field Groups | xargs)" "7 10 50" "additionalGids exactly: Groups is 7 10 50"
in_oci '{ "process": { "user": { "uid": 1000, "gid": 1000 } } }' 'grep Groups /proc/self/status'
# The rootfs's /etc/group lists uid 1000's user (app) in staff (50): not taken.
is "$RC $(status_field Groups | xargs)" "0 " "no additionalGids: no groups, though /etc/group has some for uid 1000"

# --- HOME: the process's env's, or else the uid's home in the container's
# /etc/passwd (engines give no HOME: runc does the same), or else /
in_oci '{}' 'echo "$HOME"'
is "$OUT" /root "no HOME in the env, uid 0: the passwd's /root"
in_oci '{ "process": { "user": { "uid": 1000, "gid": 1000 } } }' 'echo "$HOME"'
is "$OUT" /home/app "no HOME in the env, uid 1000: the passwd's /home/app"
in_oci '{ "process": { "user": { "uid": 4242, "gid": 4242 } } }' 'echo "$HOME"'
is "$OUT" / "no HOME in the env, a uid the passwd lacks: /"
in_oci '{ "process": { "user": { "uid": 1000, "gid": 1000 }, "env": ["PATH=/bin", "HOME=/given"] } }' 'echo "$HOME"'
is "$OUT" /given "HOME in the env: kept"

# --- umask
in_oci '{ "process": { "user": { "umask": 23 } } }' 'grep Umask /proc/self/status'
is "$(status_field Umask)" 0027 "umask 027 (23)"
in_oci '{}' 'grep Umask /proc/self/status'
is "$(status_field Umask)" "$(printf '%04o' "$(umask)")" "no umask: the caller's"

# --- oomScoreAdj: raised; lowered only with CAP_SYS_RESOURCE
in_oci '{ "process": { "oomScoreAdj": 500 } }' 'cat /proc/self/oom_score_adj'
is "$RC $OUT" "0 500" "oomScoreAdj 500"
cap_eff=$(sed -n 's/^CapEff:\t//p' /proc/self/status)
if (( (0x$cap_eff >> 24) & 1 )); then
	skip "this host gives root CAP_SYS_RESOURCE: lowering works"
else
	in_oci '{ "process": { "oomScoreAdj": -500 } }' 'cat /proc/self/oom_score_adj'
	like "$RC $ERR" "^125 carapace: process.oomScoreAdj: -500: lowering it takes CAP_SYS_RESOURCE" \
		"oomScoreAdj below the current one, without CAP_SYS_RESOURCE: a clear error"
fi

# --- consoleSize, on the pty (carapace's own stdin is no terminal here)
in_oci '{ "process": { "terminal": true, "consoleSize": { "height": 31, "width": 97 } } }' 'stty size'
is "$RC $(printf '%s' "$OUT" | tr -d '\r')" "0 31 97" "consoleSize: stty size is 31 97"

# --- capabilities: the five sets
caps='["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]'
in_oci "{ \"process\": { \"capabilities\": { \"bounding\": $caps, \"effective\": $caps,
	\"permitted\": $caps } } }" 'grep ^Cap /proc/self/status'
is "$(status_field CapBnd) $(status_field CapEff) $(status_field CapPrm)" \
	"0000000000000421 0000000000000421 0000000000000421" "root: bounding, effective and permitted as given"
is "$(status_field CapInh) $(status_field CapAmb)" "0000000000000000 0000000000000000" \
	"... inheritable and ambient empty as given"
one='["CAP_NET_BIND_SERVICE"]'
in_oci "{ \"process\": { \"user\": { \"uid\": 1000, \"gid\": 1000 }, \"capabilities\": {
	\"bounding\": $caps, \"effective\": $one, \"permitted\": $one, \"inheritable\": $one,
	\"ambient\": $one } } }" 'grep ^Cap /proc/self/status'
is "$(status_field CapBnd)" 0000000000000421 "uid 1000: bounding as given"
is "$(status_field CapInh) $(status_field CapPrm) $(status_field CapEff) $(status_field CapAmb)" \
	"0000000000000400 0000000000000400 0000000000000400 0000000000000400" \
	"... and NET_BIND_SERVICE inheritable, ambient, so permitted and effective across the exec"
in_oci "{ \"process\": { \"user\": { \"uid\": 1000, \"gid\": 1000 }, \"capabilities\": {
	\"bounding\": $caps, \"effective\": $one, \"permitted\": $one } } }" 'grep ^Cap /proc/self/status'
is "$(status_field CapPrm) $(status_field CapEff)" "0000000000000000 0000000000000000" \
	"uid 1000 without ambient: no capability after the exec, as the kernel says"
in_oci "{ \"process\": { \"user\": { \"uid\": 1000, \"gid\": 1000 }, \"capabilities\": {
	\"bounding\": $caps, \"permitted\": $one, \"ambient\": $one } } }" 'grep ^CapAmb /proc/self/status'
is "$RC $(status_field CapAmb)" "0 0000000000000000" \
	"ambient without inheritable: skipped, as runc does (its own default config.json has such)"
run cara grep ^Cap /proc/self/status
like "$OUT" "CapInh:.0000000000000000" "carapace run: inheritable still empty"
unlike "$OUT" "CapEff:.0000000000000000" "... and root keeps its default capabilities"

# --- personality
in_oci '{ "linux": { "personality": { "domain": "LINUX32" } } }' 'uname -m'
linux32_refused="^125 carapace: config.json: linux.personality.domain: LINUX32: this kernel runs no 32-bit programs \\(Invalid argument\\)$"
case $(uname -m) in
x86_64) is "$RC $OUT" "0 i686" "personality LINUX32: uname -m says i686" ;;
# A CPU without AArch32 at EL0 (many newer cores) refuses it: the kernel says EINVAL.
aarch64) if [ "$RC" = 0 ]; then
		is "$OUT" armv8l "personality LINUX32: uname -m says armv8l"
	else
		like "$RC $ERR" "$linux32_refused" "personality LINUX32: refused, this CPU runs no AArch32"
	fi ;;
*) skip "neither x86-64 nor arm64" ;;
esac
# Such a kernel, as a filter plays it: refused before anything is made.
cc=${CC:-cc}
if "$cc" -O2 -Wall -Werror -o "$work/nosys-linux32" "$TOP/t/nosys-linux32.c"; then
	run "$work/nosys-linux32" "$CARAPACE" run -q --bundle "$work/b"
	like "$RC $ERR" "$linux32_refused" \
		"personality LINUX32 where the kernel answers EINVAL (arm64 without AArch32): refused"
	in_oci '{ "linux": { "personality": { "domain": "LINUX" } } }' 'uname -m'
	run "$work/nosys-linux32" "$CARAPACE" run -q --bundle "$work/b"
	is "$RC $OUT" "0 $(uname -m)" "... and LINUX still runs there"
else
	skip "no $cc for t/nosys-linux32.c"; skip "no $cc for t/nosys-linux32.c"
fi

# --- LSM labels carapace can't apply
if [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ] &&
   [ -d /sys/kernel/security/apparmor ]; then
	skip "this host has AppArmor"
else
	in_oci '{ "process": { "apparmorProfile": "carapace-test" } }' 'true'
	like "$RC $ERR" "^125 carapace: .*AppArmor is not enabled on this host" \
		"apparmorProfile where AppArmor is off: a clear error"
fi
in_oci '{ "process": { "selinuxLabel": "system_u:system_r:container_t:s0" } }' 'true'
like "$RC $ERR" "^125 carapace: .*SELinux" "selinuxLabel: a clear error"

# --- domainname
in_oci '{ "domainname": "example.org" }' 'cat /proc/sys/kernel/domainname; hostname'
is "$RC $(echo $OUT)" "0 example.org oci" "domainname, beside the hostname"
host_domain=$(cat /proc/sys/kernel/domainname)
isnt "$host_domain" example.org "... the host's is its own"
in_oci '{ "hostname": null, "domainname": "example.org",
	"linux": { "namespaces": [ { "type": "pid" }, { "type": "mount" } ] } }' 'true'
like "$RC $ERR" "^125 carapace: (config.json: )?domainname: needs a (uts|UTS) namespace" "domainname without a uts namespace: refused"
is "$(cat /proc/sys/kernel/domainname)" "$host_domain" "... the host's domainname unchanged"

# --- sysctls
host_fwd=$(cat /proc/sys/net/ipv4/ip_forward)
want=$((1 - host_fwd))
in_oci "{ \"linux\": { \"sysctl\": { \"net.ipv4.ip_forward\": \"$want\", \"kernel.shmmni\": \"1234\" } } }" \
	'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmni'
is "$RC $(echo $OUT)" "0 $want 1234" "sysctl net.ipv4.ip_forward and kernel.shmmni, inside"
is "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd" "... the host's ip_forward unchanged"
in_oci '{ "hostname": null, "linux": { "sysctl": { "net.ipv4.ip_forward": "1" },
	"namespaces": [ { "type": "pid" }, { "type": "mount" } ] } }' 'true'
like "$RC $ERR" "^125 carapace: linux.sysctl: net.ipv4.ip_forward: needs a net namespace" \
	"a net sysctl without a network namespace: refused"
in_oci '{ "linux": { "sysctl": { "kernel.panic": "1" } } }' 'true'
like "$RC $ERR" "^125 carapace: linux.sysctl: kernel.panic: not in any namespace" "kernel.panic: refused"
in_oci '{ "linux": { "sysctl": { "net.ipv4..ip_forward": "1" } } }' 'true'
like "$RC $ERR" "^125 carapace: (config.json: )?linux.sysctl.*net.ipv4..ip_forward.*: not a sysctl name" "an empty name in a key: refused"
in_oci '{ "linux": { "sysctl": { "net.ipv4.ip_forward": "1\n2" } } }' 'true'
like "$RC $ERR" "^125 carapace: linux.sysctl: net.ipv4.ip_forward: the value has a newline" "a value with a newline: refused"
in_oci '{ "linux": { "sysctl": { "net.ipv4.no_such_thing": "1" } } }' 'true'
like "$RC $ERR" "^125 carapace: linux.sysctl: net.ipv4.no_such_thing: the kernel has no such setting" \
	"a sysctl the kernel lacks: a clear error"

# --- namespaces joined by path
unshare --net --uts sleep 1000 &
helpers+=($!)
for _ in $(seq 100); do
	[ "$(readlink /proc/$!/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.05
done
net=/proc/$!/ns/net uts=/proc/$!/ns/uts
in_oci "{ \"hostname\": null, \"linux\": { \"namespaces\": [ { \"type\": \"pid\" }, { \"type\": \"mount\" }, { \"type\": \"ipc\" },
	{ \"type\": \"network\", \"path\": \"$net\" }, { \"type\": \"uts\", \"path\": \"$uts\" } ],
	\"sysctl\": { \"net.ipv4.ip_forward\": \"$want\" } } }" \
	'readlink /proc/self/ns/net; readlink /proc/self/ns/uts; cat /proc/sys/net/ipv4/ip_forward; ls /sys/class/net; hostname'
is "$(printf '%s\n' "$OUT" | sed -n 1p)" "$(readlink "$net")" "joined network namespace: /proc/self/ns/net is that of the path"
is "$(printf '%s\n' "$OUT" | sed -n 2p)" "$(readlink "$uts")" "joined uts namespace too"
is "$(printf '%s\n' "$OUT" | sed -n 3p)" "$want" "... and the sysctl written in the joined one"
is "$(nsenter --net="$net" cat /proc/sys/net/ipv4/ip_forward)" "$want" "... as seen from outside, in it"
is "$(printf '%s\n' "$OUT" | sed -n '4,$p' | xargs)" "lo $(hostname)" \
	"... the sysfs mounted is the joined one's (lo only), the hostname the joined one's"
# unshare waits for its child, the namespace's PID 1, which only SIGKILL ends.
unshare --pid --fork --mount-proc sleep 1000 &
pidns=
for _ in $(seq 100); do
	child=$(cat /proc/$!/task/$!/children 2>/dev/null | xargs)
	[ -n "$child" ] && pidns=/proc/$child/ns/pid && helpers+=("$child" $!) && break
	sleep 0.05
done
in_oci "{ \"hostname\": null, \"linux\": { \"namespaces\": [ { \"type\": \"pid\", \"path\": \"$pidns\" }, { \"type\": \"mount\" } ] } }" \
	'readlink /proc/self/ns/pid; cat /proc/1/comm; echo $$'
is "$(printf '%s\n' "$OUT" | sed -n 1p)" "$(readlink "$pidns")" "joined pid namespace"
is "$(printf '%s\n' "$OUT" | sed -n 2p)" sleep "... whose PID 1 is its own (sleep)"
isnt "$(printf '%s\n' "$OUT" | sed -n 3p)" 1 "... the workload is not PID 1 of it"
touch "$work/plain"
in_oci "{ \"hostname\": null, \"linux\": { \"namespaces\": [ { \"type\": \"mount\" }, { \"type\": \"network\", \"path\": \"$work/plain\" } ] } }" 'true'
like "$RC $ERR" "^125 carapace: linux.namespaces: net: .*/plain: not a namespace file" "a regular file as a namespace: refused"
in_oci "{ \"hostname\": null, \"linux\": { \"namespaces\": [ { \"type\": \"mount\" }, { \"type\": \"network\", \"path\": \"$uts\" } ] } }" 'true'
like "$RC $ERR" "^125 carapace: linux.namespaces: net: .*: a uts namespace, not a net one" "a uts namespace given as network: refused"
in_oci "{ \"hostname\": null, \"linux\": { \"namespaces\": [ { \"type\": \"mount\" }, { \"type\": \"network\", \"path\": \"$work/none\" } ] } }" 'true'
like "$RC $ERR" "^125 carapace: linux.namespaces: net: .*/none: No such file" "a missing namespace path: refused"
in_oci "{ \"hostname\": null, \"linux\": { \"namespaces\": [ { \"type\": \"mount\" }, { \"type\": \"ipc\", \"path\": \"/proc/self/ns/ipc\" },
	{ \"type\": \"network\" } ] } }" 'readlink /proc/self/ns/ipc'
is "$RC $OUT" "0 $(readlink /proc/self/ns/ipc)" "joined the host's own ipc namespace: allowed"
host_shmmni=$(cat /proc/sys/kernel/shmmni)
in_oci "{ \"hostname\": null, \"linux\": { \"namespaces\": [ { \"type\": \"mount\" }, { \"type\": \"ipc\", \"path\": \"/proc/self/ns/ipc\" },
	{ \"type\": \"network\" } ], \"sysctl\": { \"kernel.shmmni\": \"99\" } } }" 'true'
like "$RC $ERR" "^125 carapace: linux.sysctl: kernel.shmmni: the joined ipc namespace is the host's" \
	"... but no ipc sysctl in it"
is "$(cat /proc/sys/kernel/shmmni)" "$host_shmmni" "... the host's kernel.shmmni unchanged"
in_oci "{ \"hostname\": null, \"linux\": { \"namespaces\": [ { \"type\": \"mount\" }, { \"type\": \"network\", \"path\": \"/proc/self/ns/net\" } ],
	\"sysctl\": { \"net.ipv4.ip_forward\": \"$want\" } } }" 'true'
like "$RC $ERR" "^125 carapace: linux.sysctl: net.ipv4.ip_forward: the joined net namespace is the host's" \
	"a net sysctl in the host's network namespace, joined: refused"
is "$(cat /proc/sys/net/ipv4/ip_forward)" "$host_fwd" "... the host's ip_forward unchanged"

# --- rootfsPropagation, after pivot_root
# mountinfo's fifth field is the mount point.
in_oci '{}' "awk '\$5 == \"/\"' /proc/self/mountinfo"
like "$OUT" "^[0-9]+ [0-9]+ [0-9]+:[0-9]+ [^ ]+ / " "mountinfo has the root's line"
unlike "$OUT" "shared:" "no rootfsPropagation: / is private"
in_oci '{ "linux": { "rootfsPropagation": "shared" } }' "awk '\$5 == \"/\"' /proc/self/mountinfo; awk '\$5 == \"/proc\"' /proc/self/mountinfo"
like "$(printf '%s\n' "$OUT" | sed -n 1p)" " / [^ ]+ shared:[0-9]+ " "rootfsPropagation shared: / is shared"
unlike "$(printf '%s\n' "$OUT" | sed -n 2p)" "shared:" "... and not its submounts (no MS_REC)"
in_oci '{ "linux": { "rootfsPropagation": "runbindable" } }' "awk '\$5 == \"/proc\"' /proc/self/mountinfo"
like "$OUT" " unbindable" "rootfsPropagation runbindable: the submounts too"

# --- linux.devices
in_oci '{ "linux": { "devices": [
	{ "path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 416, "uid": 1000, "gid": 50 },
	{ "path": "/dev/sub/dir/myzero", "type": "c", "major": 1, "minor": 5 },
	{ "path": "/dev/myfifo", "type": "p", "fileMode": 384 } ] } }' \
	'stat -c "%F %a %u %g %t:%T" /dev/mynull /dev/sub/dir/myzero /dev/myfifo; head -c 3 /dev/sub/dir/myzero | od -An -tx1'
is "$(printf '%s\n' "$OUT" | sed -n 1p)" "character special file 640 1000 50 1:3" "a device with mode, uid and gid"
is "$(printf '%s\n' "$OUT" | sed -n 2p)" "character special file 666 0 0 1:5" "... one in folders made on the way, 0666 by default"
is "$(printf '%s\n' "$OUT" | sed -n 3p)" "fifo 600 0 0 0:0" "... a fifo"
is "$(printf '%s\n' "$OUT" | sed -n 4p | xargs)" "00 00 00" "... and the node works"
in_oci '{ "linux": { "devices": [ { "path": "/etc/evil", "type": "c", "major": 1, "minor": 3 } ] } }' 'true'
like "$RC $ERR" "^125 carapace: linux.devices: /etc/evil: not a file's path under /dev" "a device outside /dev: refused"
in_oci '{ "linux": { "devices": [ { "path": "/dev/../etc/evil", "type": "c", "major": 1, "minor": 3 } ] } }' 'true'
like "$RC $ERR" "^125 carapace: linux.devices: /dev/../etc/evil: not a file's path under /dev" "... through ..: refused"
in_oci '{ "linux": { "devices": [ { "path": "/dev/fd/evil", "type": "c", "major": 1, "minor": 3 } ] } }' 'true'
like "$RC $ERR" "^125 carapace: linux.devices: /dev/fd/evil: fd: .*(symbolic links|Not a directory)" \
	"... through a symlink in /dev: refused"
# linux.resources.devices, as v1's devices cgroup holds them on a v1 or
# hybrid host (a device program on v2): v1 reads a rule "a" as every
# device with every access, whatever numbers follow it.
dev51='"devices": [ { "path": "/dev/c51", "type": "c", "major": 5, "minor": 1 } ]'
in_oci "{ \"linux\": { $dev51, \"resources\": { \"devices\": [
	{ \"allow\": true, \"type\": \"a\", \"major\": 2047, \"minor\": 9, \"access\": \"m\" } ] } } }" \
	'exec 3</dev/c51 && echo opened'
like "$RC $ERR" "^[1-9].*c51: Operation not permitted" "an allow of a 2047:9 m opens not the host's console (c 5:1)"
in_oci "{ \"linux\": { $dev51, \"resources\": { \"devices\": [
	{ \"allow\": true, \"type\": \"c\", \"major\": 5, \"access\": \"rw\" },
	{ \"allow\": false, \"type\": \"c\", \"major\": 5, \"minor\": 1, \"access\": \"r\" } ] } } }" \
	'exec 3</dev/c51 && echo opened'
if [ -d /sys/fs/cgroup/devices ]; then
	like "$RC $ERR" "^125 carapace: linux.resources.devices: rule 2: a deny of part of rule 1's allow, which v1's devices cgroup can't hold" \
		"v1: a deny of part of an allow (c 5:* rw, then not c 5:1 r) is refused, not left undone"
else
	like "$RC $ERR" "^[1-9].*c51: Operation not permitted" "v2: a deny of part of an allow holds (c 5:* rw, then not c 5:1 r)"
fi
# A volume on /dev/host, a host folder: the node goes on /dev's tmpfs,
# before the volume covers it, never into the host's folder.
mkdir -p "$work/host-dir"
in_oci "{ \"mounts\": [ { \"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\" },
	{ \"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\" },
	{ \"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\" },
	{ \"destination\": \"/dev/host\", \"type\": \"bind\", \"source\": \"$work/host-dir\", \"options\": [\"bind\"] } ],
	\"linux\": { \"devices\": [ { \"path\": \"/dev/host/evil\", \"type\": \"c\", \"major\": 1, \"minor\": 3 } ] } }" 'ls /dev/host'
is "$RC $OUT" "0 " "a device under a volume on /dev: the volume shows its own files"
ok "... nothing made in the host's folder" test ! -e "$work/host-dir/evil"

end_helpers
no_leaks
done_testing
