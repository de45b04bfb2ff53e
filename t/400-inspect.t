#!/bin/bash
# t/400-inspect.t: `carapace inspect` makes the container as run would and
# reports, from inside, what the workload would get: namespaces, ids,
# capabilities, seccomp, cgroup limits, masked paths and mounts.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host

inspect() { "$CARAPACE" inspect -q -r "$ROOTFS" "$@"; }

# section NAME: the lines of the text report's section NAME, without its heading.
section() { printf '%s\n' "$OUT" | sed -n "/^$1:\$/,/^\$/p" | sed '1d;/^$/d'; }
# paths_in NAME [STATE]: the paths that section NAME lists (in STATE), on one line.
paths_in() {
	section "$1" | awk -v s="${2:-}" '{ sub(/:$/, "", $1) } s == "" || $2 == s { print $1 }' |
		paste -sd ' '
}
# The container's own lists, as it gets them by default: runc's.
default_masked='/proc/acpi /proc/kcore /proc/keys /proc/latency_stats /proc/timer_list
/proc/timer_stats /proc/sched_debug /proc/scsi /sys/firmware /sys/devices/virtual/powercap'
default_masked=$(echo $default_masked)
default_read_only='/proc/asound /proc/bus /proc/fs /proc/irq /proc/sys /proc/sysrq-trigger'

# --- the text report
run inspect --hostname box-1
is "$RC" 0 "inspect exits 0"
is "$ERR" "" "inspect says nothing on stderr"
for s in namespaces identity capabilities security cgroup masked_paths read_only_paths mounts; do
	like "$OUT" "^$s:\$" "the report has the section $s"
done
like "$OUT" '^hostname: box-1$' "the hostname is --hostname's"
like "$OUT" "^kernel: $(uname -r | sed 's/[.+]/\\&/g')\$" "the kernel release is the host's"
like "$OUT" "^arch: $(uname -m)\$" "the architecture is the host's (uname -m)"

# The launcher and this shell share their namespaces: the report's host
# column must be this shell's, and the isolated ones must differ from it.
for ns in pid mnt uts ipc net cgroup; do
	like "$(section namespaces)" "^  $ns +isolated: yes  inside: $ns:\[[0-9]+\]  host: $ns:\[$(stat -L -c %i /proc/self/ns/$ns)\]\$" \
		"the $ns namespace is isolated"
done
# No user namespace yet: the workload's root is the host's root.
like "$(section namespaces)" "^  user +isolated: no  inside: user:\[$(stat -L -c %i /proc/self/ns/user)\]" \
	"the user namespace is the host's"
like "$(section identity)" '^  uid: +0$' "the workload runs as uid 0"
like "$(section identity)" '^  uid_map:$' "the uid_map is reported"

caps=$(section capabilities)
like "$caps" '^  effective: .*CAP_CHOWN( |$)' "the effective set has CAP_CHOWN"
like "$caps" '^  bounding: .*CAP_NET_BIND_SERVICE( |$)' "the bounding set has CAP_NET_BIND_SERVICE"
unlike "$caps" 'CAP_SYS_ADMIN' "no set has CAP_SYS_ADMIN"
like "$caps" '^  ambient: +\(none\)$' "the ambient set is empty"
like "$(section security)" '^  no_new_privs: +(yes|no)$' "no_new_privs is reported"
like "$(section security)" '^  seccomp: +(disabled|strict|filter)$' "the seccomp mode is reported"

# What this kernel lacks is absent; what it has must be masked or read-only.
masked=$(section masked_paths) read_only=$(section read_only_paths)
for p in /proc/kcore /proc/keys /proc/timer_list /sys/firmware; do
	like "$masked" "^  $p: +(masked|absent)\$" "$p is masked"
done
for p in /proc/sys /proc/irq /proc/sysrq-trigger; do
	like "$read_only" "^  $p: +(read-only|absent)\$" "$p is read-only"
done
# The report checks the paths this container was given, and no others.
is "$(paths_in masked_paths)" "$default_masked" "the masked paths listed are the container's"
is "$(printf '%s\n' "$masked" | grep -cvE ': +(masked|absent)$')" 0 \
	"each of them is masked, or absent from this kernel"
is "$(paths_in read_only_paths)" "$default_read_only" "the read-only paths listed are the container's"
is "$(printf '%s\n' "$read_only" | grep -cvE ': +(read-only|absent)$')" 0 \
	"each of them is read-only, or absent from this kernel"
like "$(section mounts)" '^  /proc +type: proc  source: proc  root: /  options: rw,' "the mounts include /proc"
like "$(section mounts)" '^  / +type: ' "the mounts include /"
# What the report calls masked reads as nothing inside: a file's first byte, a folder's names.
claimed=$(paths_in masked_paths masked)
isnt "$claimed" "" "the report calls some of them masked"
read_each='for p; do if [ -d "$p" ]; then ls -A "$p"; else head -c 1 "$p"; fi; done 2>/dev/null; echo end'
# shellcheck disable=SC2086 # the paths are words
run "$CARAPACE" run -q -r "$ROOTFS" sh -c "$read_each" sh $claimed
is "$OUT" end "every path the report calls masked reads as empty inside"
if asan_build; then skip_sealed_copy 1 --privileged; else
	# shellcheck disable=SC2086
	run "$CARAPACE" run -q -r "$ROOTFS" --privileged sh -c "$read_each" sh $claimed
	isnt "$OUT" end "unmasked (--privileged), the same paths have something to read"
fi

# --- the report follows the options
run inspect --privileged
caps=$(section capabilities)
like "$caps" '^  effective: .*CAP_SYS_ADMIN( |$)' "--privileged: CAP_SYS_ADMIN is effective"
# --privileged masks nothing and makes nothing read-only: the report lists nothing.
like "$OUT" '^masked_paths: \(none\)$' "--privileged: no masked path is listed"
like "$OUT" '^read_only_paths: \(none\)$' "--privileged: no read-only path is listed"
unlike "$(section mounts)" '^  /proc/(sys|kcore) ' "--privileged: /proc/sys and /proc/kcore are not mounted over"
run inspect --user nobody
like "$(section identity)" '^  uid: +65534$' "--user nobody: uid 65534"
like "$(section capabilities)" '^  effective: +\(none\)$' "--user nobody: no effective capability"

# --- a command is accepted, and not run
run inspect -- sh -c 'echo ran; exit 3'
is "$RC" 0 "inspect with a command exits 0"
unlike "$OUT" '^ran$' "the command doesn't run"

# --- JSON
run inspect --json --hostname box-2
is "$RC" 0 "inspect --json exits 0"
like "$OUT" '^\{' "--json writes JSON"
# json_py ARGS...: python3 ARGS with $json on stdin, setting $OUT and $RC.
json_py() { OUT=$(printf '%s\n' "$json" | python3 "$@" 2>&1); RC=$?; }
if command -v python3 >/dev/null; then
	json=$OUT
	json_py -m json.tool
	is "$RC" 0 "the JSON is valid (python3 -m json.tool)"
	json_py -c '
import json, sys
d = json.load(sys.stdin)
for k in ("hostname", "kernel", "arch", "namespaces", "identity", "capabilities", "security",
	  "cgroup", "masked_paths", "read_only_paths", "mounts"):
	assert k in d, k
ns = d["namespaces"]
assert all(ns[n]["isolated"] is True for n in ("pid", "mnt", "uts", "ipc", "net", "cgroup"))
assert ns["user"]["isolated"] is False
assert d["hostname"] == "box-2"
assert d["arch"] == sys.argv[3], d["arch"]
assert "CAP_CHOWN" in d["capabilities"]["effective"]
assert "CAP_SYS_ADMIN" not in d["capabilities"]["bounding"]
assert any(m["target"] == "/proc" and m["type"] == "proc" for m in d["mounts"])
assert isinstance(d["security"]["no_new_privs"], bool)
assert list(d["masked_paths"]) == sys.argv[1].split(), d["masked_paths"]
assert set(d["masked_paths"].values()) <= {"masked", "absent"}, d["masked_paths"]
assert "masked" in d["masked_paths"].values(), d["masked_paths"]
assert list(d["read_only_paths"]) == sys.argv[2].split(), d["read_only_paths"]
assert set(d["read_only_paths"].values()) <= {"read-only", "absent"}, d["read_only_paths"]
print("ok")' "$default_masked" "$default_read_only" "$(uname -m)"
	is "$OUT" ok "the JSON has every section, and the right values"
	run inspect --json --privileged
	json=$OUT
	json_py -c '
import json, sys
d = json.load(sys.stdin)
assert d["masked_paths"] == {} and d["read_only_paths"] == {}, d
print("ok")'
	is "$OUT" ok "--privileged: the JSON lists no masked and no read-only path"
	# A hostname of quotes, a backslash, a control character and a byte that is
	# no UTF-8 must still make valid JSON.
	run inspect --json --hostname "$(printf 'a"b\\c\001\377')"
	json=$OUT
	json_py -c 'import json, sys; sys.stdout.buffer.write(json.load(sys.stdin)["hostname"].encode())'
	is "$OUT" "$(printf 'a"b\\c\001\357\277\275')" "odd bytes are escaped, invalid UTF-8 replaced"
else
	skip "no python3 to check the JSON"
	skip "no python3 to check the JSON"
	skip "no python3 to check the JSON"
	skip "no python3 to check the JSON"
fi

# --- cgroup limits, as seen inside
if awk '$1 == "pids" && $4 == 1 { found = 1 } END { exit !found }' /proc/cgroups; then
	run inspect --pids 7
	is "$RC" 0 "inspect --pids 7 exits 0"
	like "$(section cgroup)" '^    pids\.max: +7$' "the report shows pids.max 7"
	run inspect --json --pids 7
	like "$OUT" '"pids\.max": "7"' "the JSON shows pids.max 7"
else
	skip "no pids cgroup controller"
	skip "no pids cgroup controller"
	skip "no pids cgroup controller"
fi

# --- options: the run options, and --json only for inspect
run inspect --no-such-option
is "$RC" 125 "a bad option exits 125"
is "$ERR" "carapace: inspect: unknown option: --no-such-option" "the error names the option"
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --json true
is "$RC" 125 "run --json exits 125"
is "$ERR" "carapace: run: --json: only carapace inspect has it" "run --json says why"
run "$CARAPACE" inspect --help
is "$RC" 0 "inspect --help exits 0"
like "$OUT" '^Usage: carapace inspect ' "inspect --help shows inspect's usage"
like "$OUT" '--json' "inspect --help lists --json"
run "$CARAPACE" --help
like "$OUT" '^  inspect ' "carapace --help lists inspect"

no_leaks
done_testing
