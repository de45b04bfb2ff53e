#!/bin/bash
# t/720-network-leases.t: the bridge's leases with many containers: a
# start looks at a bounded number of leases (8), each one in turn, so that
# its cost does not grow with the containers on the bridge; and still no
# two live containers share an address, and a SIGKILLed launcher's lease
# comes back. Leases of launchers that live are made cheaply here: a
# folder in .network held (flock) by a process of the test's, as a
# launcher holds its own. The whole test runs in a network namespace it
# makes (unshare --net, lo up), as t/700 does; traffic stays in it.
. "$(dirname "$0")/tap.sh"

network_test flock -- "$@"

STATE=$TMPDIR/state
LEASES=$STATE/.network/leases
net() { "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" "$@"; }
net_bg() { exec "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" "$@"; }
count() { grep -c '^lease ' "$LEASES" 2>/dev/null || echo 0; }
until_leases() {
	for _ in $(seq 150); do [ "$(count)" = "$1" ] && return 0; sleep 0.1; done
	diag "$(count) leases, not $1: $(cat "$LEASES" 2>/dev/null)"
}

# --- ten at once: ten addresses
for i in $(seq 10); do net_bg --network bridge -- sleep 60 & BG[$i]=$!; done
until_leases 10
is "$(grep '^lease ' "$LEASES" | cut -d' ' -f2 | sort -u | wc -l)" 10 \
	"ten containers started at once: ten leases, ten addresses"
run net --network bridge -- ip -4 -o addr show eth0
like "$OUT" "inet 10\.89\.0\.12/24" "the eleventh has the next one"
# Three SIGKILLed: their addresses come back.
KILLED=$(grep '^lease ' "$LEASES" | sed -n '3p;5p;7p' | cut -d' ' -f2 | sort)
PIDS=$(grep '^lease ' "$LEASES" | sed -n '3p;5p;7p' | cut -d' ' -f3 | cut -d- -f1)
# shellcheck disable=SC2086 # three pids
{ kill -KILL $PIDS; wait $PIDS; } 2>/dev/null
settle 7
run net --network bridge -- true
is "$RC" 0 "a run meanwhile: its start and its exit look at all ten leases"
settle 7
for i in 1 2 3; do
	net_bg --network bridge -- sleep 60 & AGAIN[$i]=$!
	until_leases $((7 + i))
done
is "$(grep '^lease ' "$LEASES" | cut -d' ' -f2 | sort -u | wc -l)" 10 \
	"three launchers SIGKILLed, three more started: ten leases, ten addresses"
is "$(grep '^lease ' "$LEASES" | cut -d' ' -f2 | sort | comm -12 - <(echo "$KILLED") | wc -l)" 3 \
	"the SIGKILLed launchers' addresses are given again"
kill -TERM "${BG[@]}" "${AGAIN[@]}" 2>/dev/null
wait "${AGAIN[@]}" 2>/dev/null
for _ in $(seq 100); do [ -e "$LEASES" ] || break; sleep 0.1; done
ok "all gone: no lease file" test ! -e "$LEASES"
settle

# --- the sweep is bounded: 20 live leases, then one of a launcher gone
net_bg --network bridge -- sleep 60 &
KEEP=$!
until_leases 1
HOLDERS=()
{
	flock 9
	for i in $(seq 100 119); do
		key=1-$(printf '%016x' "$i")
		mkdir "$STATE/.network/$key"
		(flock 8 && exec sleep 60) 8<"$STATE/.network/$key" 9<&- &
		HOLDERS+=($!)
		echo "lease 10.89.0.$i $key" >>"$LEASES"
	done
	mkdir "$STATE/.network/1-00000000000000ff"
	echo "lease 10.89.0.120 1-00000000000000ff" >>"$LEASES"
} 9<"$STATE/.network/lock"
sleep 0.3	# the holders' flocks
is "$(count)" 22 "one container, 20 leases of launchers that live, one of a launcher gone"
run net --network bridge -- true
is "$RC" 0 "a start, with 22 leases"
like "$(cat "$LEASES")" "lease 10\.89\.0\.120 " "the start and its exit looked at 16 of them: the dead one is still there"
run net --network bridge -- true
run net --network bridge -- true
unlike "$(cat "$LEASES")" "lease 10\.89\.0\.120 " "each comes round in turn: two starts later, it is swept"
ok "and its folder with it" test ! -e "$STATE/.network/1-00000000000000ff"
is "$(count)" 21 "the live ones stay"
# Their launchers gone, all at once: the last exit sweeps them all and takes the bridge down.
kill "${HOLDERS[@]}"
wait "${HOLDERS[@]}" 2>/dev/null
kill -TERM "$KEEP"
wait "$KEEP"
ok "the last container's exit sweeps 20 dead leases: no .network left" test ! -e "$STATE/.network"

# --- nothing left behind
settle
is "$(ip -d link)" "$LINKS_BEFORE" "the namespace's links are as before: no bridge, no veth"
is "$(nft list ruleset)" "" "no nftables rule left"
no_leaks
is "$(outer_state)" "$OUTER_BEFORE" "the namespace the test started in is unchanged"
done_testing
