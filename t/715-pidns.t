#!/bin/bash
# t/715-pidns.t: runs started in private pid namespaces (unshare -pf
# --mount-proc: what a CI runner, a container or systemd-nspawn gives),
# each launcher PID 1 of its own, share the state root with one another:
# a pid says nothing across them, so no run may take or sweep what a run
# of another made (its lease, its /etc files' folder) for a pid that its
# own /proc shows dead, or another's. The whole test runs in a network
# namespace it makes (unshare --net, lo up), as t/700 does; traffic stays
# in it.
. "$(dirname "$0")/tap.sh"

network_test pgrep -- "$@"

STATE=$TMPDIR/state
# in_pidns ARGS...: carapace run ARGS as PID 1 of a pid namespace of its own.
in_pidns() {
	unshare -pf --mount-proc -- "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" \
		--cgroup-parent "$TEST_CGROUP_PARENT" "$@"
}
# in_pidns_bg ARGS... &: the same, with $! unshare's pid.
in_pidns_bg() {
	exec unshare -pf --mount-proc -- "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" \
		--cgroup-parent "$TEST_CGROUP_PARENT" "$@"
}
# launcher PID: the carapace that unshare PID runs, PID 1 of its namespace.
launcher() {
	local l
	for _ in $(seq 50); do
		l=$(pgrep -P "$1") && { echo "$l"; return; }
		sleep 0.1
	done
	diag "no launcher under unshare $1"
}
# until FILE has N lines matching ERE, at most 10 s.
until_lines() {
	for _ in $(seq 100); do
		[ "$(grep -cE "$3" "$1" 2>/dev/null)" = "$2" ] && return 0
		sleep 0.1
	done
	diag "$1: not $2 lines of /$3/: $(cat "$1" 2>/dev/null)"
}
folders() { find "$STATE/.network" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | sort; }

# --- the bridge: two launchers, each PID 1 of its pid namespace
in_pidns_bg --network bridge -- sleep 30 2>"$TMPDIR/a.err" &
A=$!
until_lines "$STATE/.network/leases" 1 '^lease '
A_LEASE=$(grep '^lease ' "$STATE/.network/leases")
like "$A_LEASE" '^lease 10\.89\.0\.2 1-[0-9a-f]{16}$' \
	"a lease names its launcher's folder, PID-RANDOM (PID 1 here)"
run in_pidns --network bridge -- sh -c 'ip -4 -o addr show eth0; cat /etc/hostname'
is "$RC" 0 "a second run, PID 1 of another pid namespace, runs"
like "$OUT" "inet 10\.89\.0\.3/24" "with an address of its own: the first one's lease was not swept"
like "$OUT" '^carapace$' "and its own /etc/hostname"
is "$(grep '^lease ' "$STATE/.network/leases")" "$A_LEASE" "the first run's lease is there, alone"
ok "and so is its folder" test -d "$STATE/.network/$(echo "$A_LEASE" | cut -d' ' -f3)"
settle 1

# Two at once, both PID 1, while the first one runs: three addresses.
for i in 1 2; do
	in_pidns --network bridge -- sh -c 'ip -4 -o addr show eth0; sleep 1' >"$TMPDIR/par$i" 2>&1 &
	P[$i]=$!
done
wait "${P[1]}"; R1=$?
wait "${P[2]}"; R2=$?
is "$R1:$R2" 0:0 "two more at once, in two more pid namespaces, run"
ADDRS=$(cat "$TMPDIR/par1" "$TMPDIR/par2" | grep -o 'inet [0-9.]*' | sort -u | wc -l)
is "$ADDRS" 2 "with two addresses"
unlike "$(cat "$TMPDIR/par1" "$TMPDIR/par2")" "inet 10\.89\.0\.2/" "neither of them the first one's"
is "$(grep '^lease ' "$STATE/.network/leases")" "$A_LEASE" "the first run's lease is there still"

# --- the first launcher SIGKILLed: a run in another pid namespace takes its lease back
settle 1
A_PID=$(launcher "$A")
{ kill -KILL "$A_PID"; wait "$A"; } 2>/dev/null
ok "the first launcher is gone, SIGKILLed" test ! -e "/proc/$A_PID"
like "$(grep '^lease ' "$STATE/.network/leases")" "^$A_LEASE\$" "its lease is left (the test's premise)"
settle
run in_pidns --network bridge -- ip -4 -o addr show eth0
like "$OUT" "inet 10\.89\.0\.2/24" "a SIGKILLed launcher's lease is taken back from another pid namespace"
ok "its folder and .network are gone" test ! -e "$STATE/.network"

# --- the /etc files' folders: a bridged run's (root's --network none has
# none: its files are in a tmpfs), swept by neither a bridged run nor a
# --network none run of another pid namespace while its launcher lives
in_pidns_bg --network bridge -- sleep 30 &
B=$!
for _ in $(seq 100); do [ -n "$(folders)" ] && break; sleep 0.1; done
B_FOLDER=$(folders)
like "$B_FOLDER" '/\.network/1-[0-9a-f]{16}$' "a bridged run has its /etc files' folder"
run in_pidns -- cat /etc/hostname
is "$RC:$OUT" 0:carapace "a --network none run, PID 1 of another pid namespace, runs"
is "$(folders)" "$B_FOLDER" "it makes no folder, and sweeps not the first run's"
run in_pidns --network bridge -- cat /etc/hostname
is "$RC:$OUT" 0:carapace "a second bridged run, PID 1 of another pid namespace, runs"
is "$(folders)" "$B_FOLDER" "the first run's folder is not swept, and the second one's is gone"
B_PID=$(launcher "$B")
{ kill -KILL "$B_PID"; wait "$B"; } 2>/dev/null
ok "the first launcher is gone, SIGKILLed" test ! -e "/proc/$B_PID"
is "$(folders)" "$B_FOLDER" "its folder is left (the test's premise)"
run in_pidns -- true
is "$RC:$(folders)" "0:" "a --network none run of another pid namespace sweeps the dead one's folder"
settle
run in_pidns --network bridge -- true
is "$RC" 0 "a bridged run takes the lease back"
ok "and .network goes with it" test ! -e "$STATE/.network"

# --- run -d and --name in a pid namespace: the names made up are not PID-TIME
unshare -pf --mount-proc -- sh -c '
	"$CARAPACE" --root "$0" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" -d -- sleep 30
	"$CARAPACE" --root "$0" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" -d --name pn1 -- sleep 30
	"$CARAPACE" --root "$0" ps
	"$CARAPACE" --root "$0" stop -t 1 pn1 >/dev/null
	"$CARAPACE" --root "$0" rm pn1
	for n in $("$CARAPACE" --root "$0" ps | awk "NR > 1 { print \$1 }"); do
		"$CARAPACE" --root "$0" stop -t 1 "$n" && "$CARAPACE" --root "$0" rm "$n"
	done' "$STATE" >"$TMPDIR/detached" 2>&1
is "$?" 0 "run -d, with and without --name, ps, stop and rm, in a pid namespace"
like "$(cat "$TMPDIR/detached")" "^carapace-[0-9]+-[0-9a-f]{6}$" "a name made up: carapace-PID-RANDOM"
like "$(cat "$TMPDIR/detached")" '^pn1 +running ' "ps shows them running"
is "$(ls -A "$STATE" | grep -vx .network)" "" "nothing left in the state root"

# --- run -d in a pid namespace, seen from another one (the test's): its pid
# means nothing here, so its status comes from its owner lock, and a stop
# from here is refused (it would signal whatever has that pid here).
unshare -pf --mount-proc -- sh -c '"$CARAPACE" --root "$0" run -q -r "$ROOTFS" \
	--cgroup-parent "$TEST_CGROUP_PARENT" -d --name pn2 -- sleep 60 >/dev/null && exec sleep 60' \
	"$STATE" &
NS=$!
for _ in $(seq 100); do "$CARAPACE" --root "$STATE" ps 2>/dev/null | grep -q '^pn2 ' && break; sleep 0.1; done
run "$CARAPACE" --root "$STATE" ps
like "$OUT" '^pn2 +running ' "ps from another pid namespace: running, as its owner lock says"
run "$CARAPACE" --root "$STATE" stop -t 1 pn2
is "$RC:$ERR" "125:carapace: stop: pn2: its init is of another pid namespace (pid $(cut -d' ' -f2 \
	"$STATE/pn2/state" | head -n 1) there): stop it from there" "stop from another pid namespace: refused"
run "$CARAPACE" --root "$STATE" rm -f pn2
is "$RC" 125 "rm -f too"
run "$CARAPACE" --root "$STATE" exec pn2 true
like "$RC:$ERR" "^125:carapace: exec: pn2: its init is of another pid namespace" \
	"exec too: it would join whatever has that pid here"
like "$("$CARAPACE" --root "$STATE" ps)" '^pn2 +running ' "and it still runs"
SH=$(pgrep -P "$NS" -x sleep)
run nsenter -t "$SH" -p -m "$CARAPACE" --root "$STATE" stop -t 1 pn2
is "$RC" 0 "stop from its own pid namespace stops it"
run "$CARAPACE" --root "$STATE" rm pn2
is "$RC" 0 "and then rm from here removes it: it is stopped, in any namespace"
{ kill -KILL "$SH"; wait "$NS"; } 2>/dev/null

# --- nothing left behind
settle
is "$(ip -d link)" "$LINKS_BEFORE" "the namespace's links are as before: no bridge, no veth"
is "$(nft list ruleset)" "" "no nftables rule left"
ok "no .network" test ! -e "$STATE/.network"
no_leaks
is "$(outer_state)" "$OUTER_BEFORE" "the namespace the test started in is unchanged"
done_testing
