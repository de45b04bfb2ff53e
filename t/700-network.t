#!/bin/bash
# t/700-network.t: --network none, host, ns:PATH, container:NAME and
# bridge, with -p and --subnet (issue 14), and the /etc files that carapace
# binds into the container. The whole test runs in a network namespace it
# makes (unshare --net, lo up): the bridge, the rules, every address and
# port live there and vanish with it. Traffic goes only to loopback and to
# addresses inside that namespace and the namespaces it makes. The
# namespace the test was started in is never changed: checked at the end.
. "$(dirname "$0")/tap.sh"

network_test -- "$@"
FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)

STATE=$TMPDIR/state
net() { "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" "$@"; }
# net_bg ARGS... &: the same, with $! carapace's own pid.
net_bg() { exec "$CARAPACE" --root "$STATE" run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" "$@"; }
get() { timeout 5 busybox wget -q -O- "$1" 2>/dev/null; }

# one_line: RC 125 and one line of error, beginning "carapace: ".
one_line() {
	is "$RC:$(printf '%s\n' "$ERR" | wc -l)" "125:1" "$1: exit 125, one line"
	like "$ERR" "^carapace: $2" "$1: says $2"
}

# --- none, the default: lo only, and carapace's /etc files
HOSTNAME_BEFORE=$(cat "$ROOTFS/etc/hostname")
run net --hostname web -- sh -c 'ls /sys/class/net; cat /etc/hostname; grep -w web /etc/hosts'
is "$RC" 0 "--network none (the default) runs"
is "$(printf '%s\n' "$OUT" | head -n 1)" "lo" "it has only lo"
is "$(printf '%s\n' "$OUT" | sed -n 2p)" "web" "/etc/hostname says the --hostname"
like "$OUT" "127.0.1.1.web" "/etc/hosts has the hostname"
run net -- sh -c 'grep -c nameserver /etc/resolv.conf; echo x >/etc/hostname'
like "$OUT" "^0" "none: /etc/resolv.conf names no name server"
isnt "$RC" 0 "the bound /etc files are read-only"
is "$(cat "$ROOTFS/etc/hostname")" "$HOSTNAME_BEFORE" "the rootfs's /etc/hostname is untouched"
ok "no /etc/resolv.conf made in the rootfs" test ! -e "$ROOTFS/etc/resolv.conf"
run net -- grep ' /etc/hosts ' /proc/self/mountinfo
like "$OUT" "^[0-9]+ [0-9]+ [0-9]+:[0-9]+ /hosts /etc/hosts ro,[^ ]* - tmpfs tmpfs [^ ]*size=12k," \
	"/etc/hosts is bound from a tmpfs of its own, a page for each file (12k), not from the state root's disk"
# That tmpfs's own mount goes with the old root's unmount (init puts it
# under its scratch tmpfs): in the container, its three binds alone.
run net -- sh -c 'dev=$(awk "\$5 == \"/etc/hosts\" { print \$3 }" /proc/self/mountinfo)
	awk -v d="$dev" "\$3 == d { print \$4, \$5 }" /proc/self/mountinfo'
is "$OUT" "/hostname /etc/hostname
/hosts /etc/hosts
/resolv.conf /etc/resolv.conf" "the files' tmpfs is mounted nowhere else in the container"
net -d --name etc-in-tmpfs sleep 1000 >/dev/null
ok "while it runs, the state root has no .network" test ! -e "$STATE/.network"
"$CARAPACE" --root "$STATE" stop -t 0 etc-in-tmpfs >/dev/null
"$CARAPACE" --root "$STATE" rm etc-in-tmpfs
ok "the state root's .network is gone after the run" test ! -e "$STATE/.network"

# --- host
ip link add cara7dummy type bridge
LINKS_BEFORE=$(ip -d link)
run "$CARAPACE" --root "$STATE" run -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" \
	--verbose --network host -- ls /sys/class/net
like "$OUT" "cara7dummy" "--network host sees the namespace's interfaces"
like "$ERR" "warning: --network host: the container sees every interface" \
	"--verbose warns about --network host"
run net --network host -- cat /etc/hosts
like "$OUT" "127.0.1.1.carapace" "host: /etc/hosts has the hostname"

run net --network host --uidmap 0:100000:65536 -- true
one_line "host with a user namespace" "--network host: not with a user namespace"

# --- ns:PATH
touch "$TMPDIR/netns"
unshare --net="$TMPDIR/netns" ip link add cara7ns type bridge
run net --network ns:"$TMPDIR/netns" -- ls /sys/class/net
like "$OUT" "cara7ns" "--network ns:PATH joins that namespace"
unlike "$OUT" "cara7dummy" "and not the launcher's"
umount "$TMPDIR/netns"
run net --network ns:/etc/passwd -- true
one_line "ns: to a file that is no namespace" "--network: ns:/etc/passwd: not a network namespace"
run net --network ns:/proc/self/ns/uts -- true
one_line "ns: to a uts namespace" "--network: ns:/proc/self/ns/uts: not a network namespace"
run net --network ns:"$TMPDIR/nope" -- true
one_line "ns: to no file" "--network: ns:$TMPDIR/nope: No such file"

# --- container:NAME, an OCI container's namespace
oci_bundle "$TMPDIR/b" c7
oci_patch "$TMPDIR/b" 'c["process"]["args"] = ["sleep", "60"]'
"$CARAPACE" --root "$STATE" create --bundle "$TMPDIR/b" c7 >/dev/null 2>&1 </dev/null
PID=$("$CARAPACE" --root "$STATE" state c7 | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')
run net --network container:c7 -- readlink /proc/self/ns/net
is "$OUT" "$(readlink "/proc/$PID/ns/net")" "--network container:NAME joins its namespace"
"$CARAPACE" --root "$STATE" delete --force c7
run net --network container:c7 -- true
one_line "container: naming no container" "--network: container:c7: no such container"
run net --network container:bad/name -- true
is "$RC" 125 "container: with a bad name: 125"

# --- bad input
run net --network bogus -- true
one_line "--network bogus" "--network: 'bogus'"
run net -p 99999:80 -- true
one_line "-p 99999:80" "-p: '99999:80': port 99999 is not 1 to 65535"
run net -p abc -- true
one_line "-p abc" "-p: 'abc': expected"
run net -p 80:80/sctp -- true
one_line "-p with sctp" "-p: '80:80/sctp': the protocol is tcp or udp"
run net $(for i in $(seq 33); do echo -p $((9000 + i)):80; done) -- true
one_line "33 published ports" "-p: '9033:80': at most 32 ports"
run net --network none -p 8080:80 -- true
one_line "-p with --network none" "-p: only with --network bridge"
run net --network host -p 8080:80 -- true
one_line "-p with --network host" "-p: only with --network bridge"
run net --subnet 10.1.0.0/24 -- true
one_line "--subnet without the bridge" "--subnet: only with --network bridge"
run net --network bridge --subnet 10.1.0.0/8 -- true
one_line "--subnet /8" "--subnet: '10.1.0.0/8'"
ip link add cara7route type veth peer name cara7rpeer
ip addr add 10.77.0.1/24 dev cara7route
ip link set cara7route up; ip link set cara7rpeer up
run net --network bridge --subnet 10.77.0.0/16 -- true
one_line "--subnet over a route" "--subnet: 10.77.0.0/16 overlaps the host's route to 10.77.0.0/24"
ip link del cara7route

# --- bridge: an address, the gateway, two containers, --subnet
run net --network bridge -- sh -c 'ip -4 addr show eth0; ip route; ping -c 1 -W 2 10.89.0.1'
is "$RC" 0 "--network bridge runs"
like "$OUT" "inet 10.89.0.2/24" "the first container has 10.89.0.2/24"
like "$OUT" "default via 10.89.0.1 dev eth0" "with a default route through the bridge"
like "$OUT" "1 packets received" "and reaches the bridge"
settle
run net --network bridge --hostname b1 -- cat /etc/hosts
like "$OUT" "10.89.0.2.b1" "/etc/hosts has the container's address and name"
settle
net_bg --network bridge --name c7a -- sleep 30 &
L1=$!
for _ in $(seq 100); do grep -q "^lease 10.89.0.2 $L1-" "$STATE/.network/leases" 2>/dev/null && break; sleep 0.1; done
sleep 0.3
run net --network bridge -- sh -c 'ip -4 addr show eth0; ping -c 1 -W 2 10.89.0.2'
like "$OUT" "inet 10.89.0.3/24" "a second container has the next address"
like "$OUT" "1 packets received" "two containers on the bridge reach each other"
run net --network bridge --subnet 10.91.0.0/24 -- true
one_line "another --subnet while the bridge has containers" "--subnet: 10.91.0.0/24: the bridge carapace0 has 10.89.0.0/24"

# --- the launcher SIGKILLed: its lease and folder are swept at the next start
{ kill -KILL "$L1"; wait "$L1"; } 2>/dev/null
like "$(cat "$STATE/.network/leases")" "lease 10.89.0.2 $L1-[0-9a-f]{16}\b" "a SIGKILLed launcher leaves its lease"
run net --network bridge -- sh -c 'ip -4 addr show eth0'
like "$OUT" "inet 10.89.0.2/24" "the next start sweeps it: the address is free again"
ok "no lease file once no container runs" test ! -e "$STATE/.network/leases"
ok "no folder of the dead launcher left, nor .network" test ! -e "$STATE/.network"
settle
run net --network bridge --subnet 10.91.0.0/24 -- sh -c 'ip -4 addr show eth0'
like "$OUT" "inet 10.91.0.2/24" "--subnet chooses the subnet"

# --- NAT: the container reaches what the host reaches, through masquerading
touch "$TMPDIR/outside"
unshare --net="$TMPDIR/outside" true
ip link add cara7out type veth peer name eth9 netns "$TMPDIR/outside"
ip addr add 192.0.2.1/24 dev cara7out
ip link set cara7out up
nsenter --net="$TMPDIR/outside" sh -c 'ip link set lo up; ip addr add 192.0.2.2/24 dev eth9; ip link set eth9 up'
run net --network bridge -- ping -c 1 -W 2 192.0.2.2
like "$OUT" "1 packets received" "a namespace beyond the host, with no route back, answers: masqueraded"
ip link del cara7out
umount "$TMPDIR/outside"

# --- -p: busybox httpd in a container, from the test's namespace
mkdir -p "$TMPDIR/www"
echo hello-700 >"$TMPDIR/www/index.html"
settle
net_bg -v "$TMPDIR/www:/www:ro" -p 8080:80 -p 127.0.0.1:8081:80 -- busybox httpd -f -p 80 -h /www &
L2=$!
for _ in $(seq 100); do get http://127.0.0.1:8080/ >/dev/null && break; sleep 0.1; done
is "$(get http://127.0.0.1:8080/)" hello-700 "-p 8080:80: 127.0.0.1:8080 answers"
is "$(get http://127.0.0.1:8081/)" hello-700 "-p 127.0.0.1:8081:80 answers on 127.0.0.1"
like "$(nft list table ip carapace)" "tcp dport 8080 dnat to 10.89.0.2:80" "the rule is in table ip carapace"
run net --network bridge -- wget -q -O- http://10.89.0.1:8080/
is "$OUT" hello-700 "another container on the bridge reaches the published port (hairpin)"
run net -p 8080:80 -- true
one_line "a host port already published" "-p: host port 8080/tcp: already published for 10.89.0.2"
busybox nc -l -p 8090 >/dev/null 2>&1 &
NC=$!
sleep 0.3
run net -p 8090:80 -- true
one_line "a host port in use" "-p: host port 8090/tcp: already in use"
kill "$NC" 2>/dev/null
kill -TERM "$L2"
wait "$L2"

# --- -p .../udp: the rule (the rootfs's busybox has no UDP server to answer)
settle
net_bg -p 5353:53/udp -- sleep 30 &
L3=$!
for _ in $(seq 100); do nft list table ip carapace 2>/dev/null | grep -q "udp dport 5353" && break; sleep 0.1; done
like "$(nft list table ip carapace)" "fib daddr type local udp dport 5353 dnat to 10.89.0.2:53" \
	"-p 5353:53/udp: a udp rule in table ip carapace"
kill -TERM "$L3"
wait "$L3"

# --- "shocker": a container given DAC_READ_SEARCH opens files by handles it
# makes up (open_by_handle_at), anywhere on the filesystem of a mount it
# has. carapace's /etc files are in a tmpfs of their own, never binds of
# the host's disk where the state root is (/run here is ext4), for none and
# bridge alike. The control: a volume of the test's, on the host's disk,
# does give the disk's root (inode 2), so the probe can tell.
if command -v musl-gcc >/dev/null; then
	mkdir "$TMPDIR/probe"
	cat >"$TMPDIR/probe/shocker.c" <<'SHOCKER'
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
	struct { struct file_handle h; unsigned int ino_gen[2]; } fh = { { 8, 1 }, { 2, 0 } };
	int mnt = open(argv[1], O_RDONLY), fd;

	if (argc != 2 || mnt < 0)
		return 2;
	fd = open_by_handle_at(mnt, &fh.h, O_RDONLY | O_DIRECTORY);
	printf(fd < 0 ? "refused: %s\n" : "opened the root of %s's filesystem\n",
	       fd < 0 ? strerror(errno) : argv[1]);
	return fd < 0;
}
SHOCKER
	musl-gcc -static -O2 -o "$TMPDIR/probe/shocker" "$TMPDIR/probe/shocker.c"
	shock() { net --cap-add DAC_READ_SEARCH -v "$TMPDIR/probe:/probe:ro" "$@"; }
	if [ "$(stat -f -c %T "$TMPDIR")" = ext2/ext3 ]; then
		run shock -- /probe/shocker /probe/shocker
		is "$RC:$OUT" "0:opened the root of /probe/shocker's filesystem" \
			"the control: through a volume of the host's disk, the probe opens the disk's root"
	else
		skip "the control needs \$TMPDIR on ext4 ($(stat -f -c %T "$TMPDIR"))"
	fi
	for mode in none bridge; do
		run shock --network "$mode" -- /probe/shocker /etc/hosts
		like "$RC:$OUT" "^1:refused: " "--network $mode: no handle opens the host's disk through /etc/hosts"
		settle
	done
else
	for _ in 1 2 3; do skip "no musl-gcc to build the probe"; done
fi

# --- nothing left behind
settle
is "$(ip -d link)" "$LINKS_BEFORE" "the namespace's links are as before: no bridge, no veth"
is "$(nft list ruleset)" "" "no nftables rule left"
is "$(cat /proc/sys/net/ipv4/ip_forward)" "$FORWARD_BEFORE" "ip_forward is as before"
ok "no lease file" test ! -e "$STATE/.network/leases"
ok "no /etc files' folder, no lock, no .network" test ! -e "$STATE/.network"
no_leaks
is "$(outer_state)" "$OUTER_BEFORE" "the namespace the test started in is unchanged"
done_testing
