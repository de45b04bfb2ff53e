#!/bin/bash
# t/710-network-rootless.t: an ordinary user's --network bridge is pasta's
# (Debian's passt): the container reaches what the host reaches, and -p
# publishes a port. All in a network and mount namespace the test makes:
# the "host" is that namespace, with one veth to a namespace beyond it
# (192.0.2.0/24, TEST-NET-1, only ever inside this test), and /dev/net/tun
# is a node of the test's own, 0666, bound over the host's in its mount
# namespace only (hosts keep it 0600 or 0666: the test must not depend on
# it, nor change it).
. "$(dirname "$0")/tap.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root to make the namespaces and become nobody"
for t in unshare nsenter ip setpriv mknod; do
	command -v $t >/dev/null || skip_all "no $t"
done
command -v pasta >/dev/null || skip_all "no pasta (package passt)"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
if [ "${1:-}" != --in-netns ]; then
	unshare --net --mount bash "$0" --in-netns $$
	exit $?
fi
OUTER=$2
outer_links() { nsenter --net="/proc/$OUTER/ns/net" ip -d link; }
OUTER_BEFORE=$(outer_links)
TUN_BEFORE=$(stat -c %a /dev/net/tun)
mount --make-rprivate /
mkdir "$TMPDIR/dev"
mount -t tmpfs tmpfs "$TMPDIR/dev"
mknod -m 666 "$TMPDIR/dev/tun" c 10 200
mount --bind "$TMPDIR/dev/tun" /dev/net/tun
ip link set lo up
touch "$TMPDIR/outside"
unshare --net="$TMPDIR/outside" true
ip link add cara710 type veth peer name eth9 netns "$TMPDIR/outside"
ip addr add 192.0.2.1/24 dev cara710
ip link set cara710 up
ip route add default via 192.0.2.2
nsenter --net="$TMPDIR/outside" sh -c 'ip link set lo up; ip addr add 192.0.2.2/24 dev eth9; ip link set eth9 up'
mkdir "$TMPDIR/www"
echo beyond-710 >"$TMPDIR/www/index.html"
nsenter --net="$TMPDIR/outside" busybox httpd -f -p 192.0.2.2:8099 -h "$TMPDIR/www" &
HTTPD=$!
XDG=$TMPDIR/xdg
mkdir "$XDG"
chown nobody "$XDG"
as_nobody() {
	setpriv --reuid nobody --regid nogroup --clear-groups env XDG_RUNTIME_DIR="$XDG" \
		"$CARAPACE" run -q -r "$ROOTFS" "$@"
}
# as_nobody_bg ARGS... &: the same, with $! carapace's own pid.
as_nobody_bg() {
	exec setpriv --reuid nobody --regid nogroup --clear-groups env XDG_RUNTIME_DIR="$XDG" \
		"$CARAPACE" run -q -r "$ROOTFS" "$@"
}
snapshot_host
sleep 0.3

run as_nobody --network bridge -- sh -c 'ip -4 addr show cara710; wget -q -O- http://192.0.2.2:8099/'
is "$RC" 0 "rootless --network bridge runs"
like "$OUT" "inet 192.0.2.1/24" "pasta gives the container the host's address"
like "$OUT" "beyond-710" "the container reaches what the host reaches"

as_nobody_bg --tmpfs /tmp -p 8082:80 -- sh -c 'echo inside-710 >/tmp/index.html; exec busybox httpd -f -p 80 -h /tmp' &
L=$!
for _ in $(seq 100); do [ "$(timeout 5 busybox wget -q -O- http://127.0.0.1:8082/ 2>/dev/null)" = inside-710 ] && break; sleep 0.1; done
is "$(timeout 5 busybox wget -q -O- http://127.0.0.1:8082/ 2>/dev/null)" inside-710 \
	"rootless -p 8082:80: 127.0.0.1:8082 answers"
PASTA=$(ps -o pid=,comm= --ppid "$L" | awk '$2 ~ /^pas/ { print $1 }')
kill -KILL "$L"
wait "$L" 2>/dev/null
for _ in $(seq 100); do [ -n "$PASTA" ] && [ -e "/proc/$PASTA" ] || break; sleep 0.05; done
ok "pasta ($PASTA) ends with its SIGKILLed launcher" test -n "$PASTA" -a ! -e "/proc/$PASTA"

kill "$HTTPD"
wait "$HTTPD" 2>/dev/null
umount "$TMPDIR/outside"
ip link del cara710 2>/dev/null
run as_nobody -- true
ok "the next start swept the SIGKILLed launcher's /etc files" test ! -e "$XDG/carapace/.network"
no_leaks
umount /dev/net/tun
is "$(stat -c %a /dev/net/tun)" "$TUN_BEFORE" "the host's /dev/net/tun is as it was"
is "$(outer_links)" "$OUTER_BEFORE" "the namespace the test started in is unchanged"
done_testing
