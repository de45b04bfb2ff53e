#!/bin/bash
# update and events of an OCI container, as podman (update --resources FILE)
# and containerd's shim (events --stats) call them: update changes the
# limits of a running container at once, and the kernel enforces them (a
# lowered pids limit stops the next fork inside, a lowered memory limit
# OOM-kills the next large allocation); events reports usage in runc's
# JSON and the OOM kill. Checked from outside (the cgroup files, exit
# codes) and inside (the workload's own lines). Bad input: one line, 125.
. "$(dirname "$0")/tap.sh"
oci_lifecycle

V2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
# cgfile CONTROLLER ID: the container's leaf of CONTROLLER, v1's or v2's.
cgdir() {
	if [ -d "/sys/fs/cgroup/$1/$TEST_CGROUP_PARENT/$2" ]; then
		echo "/sys/fs/cgroup/$1/$TEST_CGROUP_PARENT/$2"
	else
		echo "$V2/$TEST_CGROUP_PARENT/$2"
	fi
}
v1() { [ -d "/sys/fs/cgroup/$1/$TEST_CGROUP_PARENT" ]; }

# json_get EXPR: python3's value of EXPR on the JSON object in $OUT's first line, as j.
json_get() {
	printf '%s\n' "$OUT" | head -n 1 | python3 -c "import json,sys; j = json.load(sys.stdin); print($1)"
}

# A workload that forks on request: for each line the test writes to its
# FIFO (through /proc/PID/root), a subshell that forks /bin/true. A fork
# that fails ends only the subshell (ash exits on one), so with init and
# sh, a pids limit of 3 lets the subshell be and stops its fork.
WAIT='mkfifo /dev/shm/f && exec 3<>/dev/shm/f'
FORKER="$WAIT; echo ready; while read -r x <&3; do if (/bin/true && echo fork-ok); then :; else echo fork-failed; fi; done"
# One that allocates (and touches) 32 MiB, dd's buffer, for each line: on
# request, so that no allocation is under way when a lower limit is written
# (v1 refuses one below the usage it can't reclaim, EBUSY).
ALLOCATOR="$WAIT; echo ready; while read -r x <&3; do if dd if=/dev/zero of=/dev/null bs=32M count=1 2>/dev/null; then echo alloc-ok; else echo alloc-failed; fi; done"
# ask_inside ID PREFIX: one request to ID's workload; prints its answer, PREFIX-*.
ask_inside() {
	local before i
	before=$(grep -ac "^$2-" "$B/$1.out")
	echo go >"/proc/$(cat "$B/$1.pid")/root/dev/shm/f"
	for i in $(seq 200); do
		[ "$(grep -ac "^$2-" "$B/$1.out")" -gt "$before" ] && break
		sleep 0.05
	done
	grep -a "^$2-" "$B/$1.out" | tail -n 1
}
# fork_inside ID: asks ID's forker for a fork; prints what it said.
fork_inside() { ask_inside "$1" fork; }

snapshot_host

# --- pids: a lowered limit stops the next fork inside; a raised one lets it
bundle u1 -- sh -c "$FORKER"
create_bg u1
oci start u1
wait_for "$B/u1.out" '^ready$'
is "$(fork_inside u1)" fork-ok "inside, a fork works"
PIDS=$(cgdir pids u1)
run oci update --pids-limit 3 u1
is "$RC:$ERR" "0:" "update --pids-limit 3 succeeds"
is "$(cat "$PIDS/pids.max")" 3 "pids.max says 3"
is "$(fork_inside u1)" fork-failed "inside, the next fork fails (init, sh and the subshell are 3)"
run oci update --pids-limit -1 u1
is "$RC:$(cat "$PIDS/pids.max")" "0:max" "update --pids-limit -1: pids.max says max"
is "$(fork_inside u1)" fork-ok "inside, forks work again"

# --- the other flags, each into its file
run oci update --cpu-quota 50000 --cpu-period 200000 --cpu-shares 512 --cpuset-cpus 0 u1
is "$RC:$ERR" "0:" "update of the CPU flags succeeds"
CPU=$(cgdir cpu u1)
if v1 cpu; then
	is "$(cat "$CPU/cpu.cfs_quota_us") $(cat "$CPU/cpu.cfs_period_us")" "50000 200000" \
		"v1: the quota and the period in their files"
	is "$(cat "$CPU/cpu.shares")" 512 "v1: cpu.shares"
else
	is "$(cat "$CPU/cpu.max")" "50000 200000" "v2: cpu.max holds the quota and the period"
	is "$(cat "$CPU/cpu.weight")" 20 "v2: cpu.weight, as runc converts 512 shares"
fi
is "$(cat "$(cgdir cpuset u1)/cpuset.cpus")" 0 "cpuset.cpus"
run oci update --cpu-period 100000 u1
if v1 cpu; then
	is "$(cat "$CPU/cpu.cfs_quota_us") $(cat "$CPU/cpu.cfs_period_us")" "50000 100000" \
		"a period alone keeps the quota"
else
	is "$(cat "$CPU/cpu.max")" "50000 100000" "a period alone keeps the quota"
fi
run oci update --cpu-quota -1 u1
if v1 cpu; then
	is "$(cat "$CPU/cpu.cfs_quota_us")" -1 "--cpu-quota -1: no quota"
else
	like "$(cat "$CPU/cpu.max")" '^max ' "--cpu-quota -1: no quota"
fi

# --- --resources, as podman sends it: only the changed keys
printf '{"pids":{"limit":7},"cpu":{"shares":1024}}' >"$B/r.json"
run oci update --resources "$B/r.json" u1
is "$RC:$ERR" "0:" "update --resources FILE succeeds"
is "$(cat "$PIDS/pids.max")" 7 "  its pids limit is in pids.max"
run_in <(printf '{"pids":{"limit":9}}') "$CARAPACE" --root "$STATE" update -r - u1
is "$RC:$(cat "$PIDS/pids.max")" "0:9" "update -r - reads stdin"
run oci update --resources "$B/r.json" --pids-limit 11 u1
is "$(cat "$PIDS/pids.max")" 11 "a flag after --resources wins"

# --- events: stats in runc's shape; the stream ends with the container
run oci events --stats u1
is "$RC:$ERR" "0:" "events --stats succeeds"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "  one line"
is "$(json_get 'j["type"], j["id"]')" "stats u1" "  type stats, the container's id"
is "$(json_get 'sorted(k for k in ("cpu", "memory", "pids") if k in j["data"])')" \
	"['cpu', 'memory', 'pids']" "  data has cpu, memory and pids"
is "$(json_get 'j["data"]["pids"]["limit"]')" 11 "  pids.limit is the limit in force"
CUR=$(json_get 'j["data"]["pids"]["current"]')
ok "  pids.current ($CUR) counts init and sh" test "$CUR" -ge 2
ok "  cpu.usage.total is some CPU time" test "$(json_get 'j["data"]["cpu"]["usage"]["total"]')" -gt 0
ok "  memory.usage.usage is some memory" test "$(json_get 'j["data"]["memory"]["usage"]["usage"]')" -gt 0
oci events --interval 100ms u1 >"$B/u1.events" &
EVENTS=$!
wait_for "$B/u1.events" '"type":"stats"'
ok "the events stream is running" kill -0 "$EVENTS"
oci kill u1 KILL
wait "$REAPER_PID"
for _ in $(seq 100); do kill -0 "$EVENTS" 2>/dev/null || break; sleep 0.05; done
if kill -0 "$EVENTS" 2>/dev/null; then
	fail "the events stream ends with the container"
	kill "$EVENTS"
else
	pass "the events stream ends with the container"
fi
wait "$EVENTS"
is "$?" 0 "  and exits 0"
is "$(python3 -c 'import json,sys
print(all(json.loads(l)["type"] == "stats" for l in open(sys.argv[1])))' "$B/u1.events")" True \
	"  every line of it is a JSON stats event"

# --- a stopped container: refused
run oci update --pids-limit 5 u1
like "$RC:$ERR" '^125:carapace: update: u1: container is stopped$' "update of a stopped container: 125"
run oci events --stats u1
like "$RC:$ERR" '^125:carapace: events: u1: container is stopped$' "events of a stopped container: 125"
oci delete u1

# --- memory: a lowered limit, in the file and felt by an allocation (OOM-killed)
bundle u2 -- sh -c "$ALLOCATOR"
create_bg u2
oci start u2
wait_for "$B/u2.out" '^ready$'
is "$(ask_inside u2 alloc)" alloc-ok "inside, 32 MiB can be allocated"
oci events --interval 100ms u2 >"$B/u2.events" &
EVENTS=$!
wait_for "$B/u2.events" '"type":"stats"'
run oci update --memory 16m --memory-swap 16m u2
is "$RC:$ERR" "0:" "update --memory 16m --memory-swap 16m succeeds"
MEM=$(cgdir memory u2)
if v1 memory; then
	is "$(cat "$MEM/memory.limit_in_bytes")" 16777216 "v1: memory.limit_in_bytes says 16 MiB"
else
	is "$(cat "$MEM/memory.max")" 16777216 "v2: memory.max says 16 MiB"
fi
is "$(ask_inside u2 alloc)" alloc-failed "inside, the 32 MiB allocation fails"
wait_for "$B/u2.events" '"type":"oom"'
like "$(grep '"type":"oom"' "$B/u2.events" | head -n 1)" '^\{"type":"oom","id":"u2"\}$' \
	"events says oom, for u2"
if v1 memory; then
	ok "v1: memory.oom_control counts the kill" grep -q '^oom_kill [1-9]' "$MEM/memory.oom_control"
else
	ok "v2: memory.events counts the kill" grep -q '^oom_kill [1-9]' "$MEM/memory.events"
fi
run oci update --memory 256m --memory-swap 256m u2
is "$RC:$ERR" "0:" "raising the limit again succeeds (memory + swap first on v1)"
is "$(ask_inside u2 alloc)" alloc-ok "inside, the allocation works again"
oci delete --force u2
wait "$REAPER_PID"
wait "$EVENTS"
is "$?" 0 "the events stream of u2 ends with it, status 0"
no_leaks "update and events leave nothing behind"

# --- a config's memory limit of -1 (none) with no swap: taken, as runc takes it
bundle u4 --set 'linux.resources.memory={"limit": -1}' -- true
run "$CARAPACE" --root "$STATE" run -q --bundle "$B/u4"
is "$RC:$ERR" "0:" "config.json: memory.limit -1 without swap runs (no 'swap: needs a limit')"

# --- bad input: one line, 125
one_line_125() { is "$RC:$(printf '%s\n' "$ERR" | wc -l)" "125:1" "$1: one line, 125"; }
bundle u3 -- sleep 1000
create_bg u3
run oci update --pids-limit 5 nosuch
like "$ERR" '^carapace: container nosuch does not exist$' "update of an unknown ID"
one_line_125 "  it"
run oci events --stats nosuch
like "$ERR" '^carapace: container nosuch does not exist$' "events of an unknown ID"
one_line_125 "  it"
for bad in "--pids-limit abc" "--pids-limit 0" "--memory 1x" "--memory 1k" "--cpu-quota 5" \
	"--cpu-period 10" "--cpu-shares 1" "--cpuset-cpus x" "--blkio-weight 5"; do
	# shellcheck disable=SC2086 # the option and its value, two words
	run oci update $bad u3
	one_line_125 "update $bad"
done
printf '{"pids":{"limit":7},"memory":{"limitt":1}}' >"$B/bad.json"
run oci update --resources "$B/bad.json" u3
like "$ERR" "^carapace: update: --resources: memory.limitt: not a key carapace knows$" \
	"--resources with an unknown key names it"
one_line_125 "  it"
is "$(cat "$(cgdir pids u3)/pids.max")" max "  and changes nothing (its pids limit is not written)"
printf '{"pids":' >"$B/bad.json"
run oci update --resources "$B/bad.json" u3
like "$ERR" "^carapace: update: --resources: line 1, column .*: not valid JSON" "--resources, not JSON"
run oci update --resources "$B/none.json" u3
like "$ERR" "^carapace: update: --resources: $B/none.json: No such file" "--resources, no file"
run oci update u3 extra
one_line_125 "update with two operands"
run oci update
one_line_125 "update without an ID"
run oci events --interval 5x u3
like "$ERR" "^carapace: events: --interval: not a duration" "events --interval 5x"
one_line_125 "  it"
cp "$STATE/u3/cgroups" "$B/u3.cgroups"
printf 'v1 leaf ours /etc passwd\n' >"$STATE/u3/cgroups"
for cmd in "update --pids-limit 5" "events --stats"; do
	# shellcheck disable=SC2086 # the command and its option, words
	run oci $cmd u3
	like "$ERR" "not a cgroup of this host: 'v1 leaf ours /etc passwd'" "$cmd with a forged cgroups file"
	one_line_125 "  it"
done
cp "$B/u3.cgroups" "$STATE/u3/cgroups"
run oci update --pids-limit 5 u3
is "$RC:$(cat "$(cgdir pids u3)/pids.max")" "0:5" "update of a created (not started) container works"
oci delete --force u3
wait "$REAPER_PID"
no_leaks "bad input leaves nothing behind"

# --- carapace run, without --memory: its memory leaf is there all the same
# (every container's is), so update gives it a limit, enforced at once: a
# 64 MiB allocation (dd's buffer) is OOM-killed past 16 MiB. One process
# allocates: with head|tail, head's pipe writes charged the leaf while
# tail was being killed, and a second OOM kill took the shell (or, under
# ASan, init), so that nothing was printed (1 run in 4 of make check-asan).
"$CARAPACE" --root "$STATE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --name r1 sh -c \
	'while [ ! -e /tmp/go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null && echo alloc-ok || echo alloc-failed' \
	</dev/null >"$B/r1.out" 2>"$B/r1.err" &
r1=$!
for i in $(seq 200); do [ -s "$(cgdir memory r1)/cgroup.procs" ] && break; sleep 0.05; done
MEM=$(cgdir memory r1)
run oci update --memory 16m --memory-swap 16m r1
is "$RC:$ERR" "0:" "run without --memory: update --memory 16m --memory-swap 16m succeeds"
if v1 memory; then
	is "$(cat "$MEM/memory.limit_in_bytes")" 16777216 "v1: its leaf's memory.limit_in_bytes says 16 MiB"
else
	is "$(cat "$MEM/memory.max")" 16777216 "v2: its leaf's memory.max says 16 MiB"
fi
touch "/proc/$(head -n 1 "$MEM/cgroup.procs")/root/tmp/go"
wait "$r1"
is "$(cat "$B/r1.out")" alloc-failed "inside, the 64 MiB allocation is killed"
like "$(cat "$B/r1.err")" "OOM killer \(memory limit 16M\)" "the run says so, with the limit update gave"
no_leaks "run and update: nothing left behind"

done_testing
