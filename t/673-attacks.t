#!/bin/bash
# t/673-attacks.t: an attacker's review of issue 13's and 14's new code
# (exec, run's registration and -d, update, the network). The container's
# root is hostile, and so is an ordinary user on the host. What broke is
# tested here with its fix; what held is tested so that it stays held:
# - the state root's own entries (.network) are no container IDs;
# - --hostname with a line break or a space can't add lines or names to
#   the container's /etc/hosts;
# - a container on the bridge with CAP_NET_RAW can't reach a service on the
#   host's 127.0.0.1 by framing packets to the gateway (route_localnet on
#   the bridge, the CVE-2020-8558 class), in the test's own netns; nor is
#   the loopback (or a link-local, multicast, reserved range) a --subnet;
#   and its IPv6 router advertisements route neither the host nor another
#   container (CVE-2020-10749, CVE-2020-13401): IPv6 is off on the bridge
#   and on the containers' eth0; a neighbour routing the subnet through the
#   host reaches published ports only;
# - exec: no ptrace, /proc/PID/exe or /proc/PID/fd of a carapace process from
#   inside before its exec, even with CAP_SYS_PTRACE; no host fd; a FIFO,
#   huge, or symlinked /etc/passwd; ids out of range or outside the map; a
#   SIGKILLed exec -u leaves no process;
# - an ordinary user can't see or touch root's containers; two runs of one
#   name: one wins, though the first is held before it locks its folder; update's overflowing values are refused;
# - exec's seccomp filter is the one run compiled from --seccomp FILE, though
#   the container rewrites the file (in a volume).
# All under a private --root that ends empty, nothing left behind.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs
command -v musl-gcc >/dev/null || skip_all "no musl-gcc to build the probes"

S=$TMPDIR/state
mkdir -m 0700 "$S"
# What a run SIGKILLed between making its new folder and renaming it to
# its ID leaves, for an ID no command names again: a run's sweep removes
# it (the state root is checked empty at the end).
mkdir "$S/.new-gone"
user=carapace-t673-$$
bg_pids=
cleanup() {
	local pid n
	# shellcheck disable=SC2086 # pids, one a word
	for pid in $bg_pids; do kill -KILL "$pid" 2>/dev/null; done
	# The state roots of the network checks' own namespaces too: a check that
	# timed out never reached its rm -f.
	for n in "$S"/* "$S".*/*; do
		[ -e "$n" ] && "$CARAPACE" --root "${n%/*}" rm -f "${n##*/}" >/dev/null 2>&1
	done
	id "$user" >/dev/null 2>&1 && userdel "$user"
}
trap cleanup EXIT
cr() { "$CARAPACE" --root "$S" "$@"; }
R=$TMPDIR/rootfs
rund() { cr run -q -d -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" "$@"; }
runs() { cr run -q -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" "$@"; }

# The test rootfs with the two probes of this test in /bin.
cp -a "$ROOTFS" "$R"
for probe in exec-spy martian-send ra-send; do
	musl-gcc -static -O2 -isystem "$TOP/build/include" -o "$R/bin/$probe" "$TOP/t/$probe.c" ||
		{ echo "Bail out! can't build t/$probe.c"; exit 1; }
done
snapshot_host

# --- the state root's own entries are not containers
runs -d --name holder sleep 1000 >/dev/null
# Root's /etc files are in a tmpfs of their own: only a bridge's lease makes .network.
ok "a running container with no bridge makes no .network" test ! -e "$S/.network"
mkdir "$S/.network" && touch "$S/.network/lock"	# as a bridged run's lease has it
run cr delete .network
is "$RC:$ERR" "125:carapace: .network: not a valid container ID (letters, digits and _.+-, not starting with a dot, at most 250 bytes)" \
	"delete .network: refused, not taken for a container's folder"
ok "... and .network's lock file is still there" test -e "$S/.network/lock"
run cr state .network
is "$RC" 125 "state .network: refused too"
run runs --name .network true
like "$RC:$ERR" "^125:carapace: --name: not a valid name: '.network'" "run --name .network: refused"
run runs --name .x true
is "$RC" 125 "run --name .x: any name starting with a dot"
cr stop -t 0 holder >/dev/null; cr rm holder
rm -f "$S/.network/lock"; rmdir "$S/.network"

# --- --hostname reaches /etc/hosts: no line break, no space
run runs --hostname "$(printf 'web\n10.6.6.6\tbank.example')" cat /etc/hosts
is "$RC:$ERR" "125:carapace: --hostname: 'web\\n10.6.6.6\\tbank.example': a space or a line break, in a line of /etc/hosts" \
	"a hostname with a newline is refused, one line"
unlike "$OUT" "bank.example" "... and adds no line to /etc/hosts"
run runs --hostname "web other" true
is "$RC" 125 "a hostname with a space (a second name in /etc/hosts): refused"
run runs --hostname web.example-1 sh -c 'hostname; grep -c "	web.example-1$" /etc/hosts'
is "$RC:$OUT" "0:web.example-1
1" "an ordinary hostname is the container's, one line of /etc/hosts"

# --- the bridge: the host's loopback is not the container's
if command -v nft >/dev/null && command -v python3 >/dev/null && command -v unshare >/dev/null; then
	cat >"$TMPDIR/martian.sh" <<-EOF
	set -u
	ip link set lo up
	# Two listeners on the test namespace's "host": on the bridge's side
	# (0.0.0.0:9998, the control: the probe's frames do arrive) and on its
	# loopback only (127.0.0.1:9999, what must stay out of reach).
	python3 -c '
	import os, select, socket, time
	a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); a.bind(("0.0.0.0", 9998))
	b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); b.bind(("127.0.0.1", 9999))
	open("$TMPDIR/listening", "w").close()
	end = time.time() + 15
	while time.time() < end:
	    r, _, _ = select.select([a, b], [], [], 0.5)
	    for s in r:
	        print("got", s.getsockname()[1], s.recv(100).decode(), flush=True)
	    if os.path.exists("$TMPDIR/sent") and not r:
	        break
	' >"$TMPDIR/listener.out" &
	lp=\$!
	while [ ! -e "$TMPDIR/listening" ]; do sleep 0.05; done
	"$CARAPACE" --root "$S.martian" run -q -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" --network bridge \
		sh -c 'gw=\$(ip route | sed -n "s/^default via \([0-9.]*\).*/\1/p")
		ping -c 1 -W 2 "\$gw" >/dev/null
		martian-send eth0 "\$gw" "\$gw" 9998 control &&
		martian-send eth0 "\$gw" 127.0.0.1 9999 loopback-secret && echo sent'
	sleep 1	# the last datagram's way through the bridge; the listener reads until told
	echo done >"$TMPDIR/sent"
	wait \$lp
	EOF
	run timeout -k 5 60 unshare --net bash "$TMPDIR/martian.sh"
	is "$RC:$OUT" "0:sent" "a container on the bridge framed datagrams to the gateway, by its MAC"
	like "$(cat "$TMPDIR/listener.out")" "got 9998 control" "the control reached the host side of the bridge"
	unlike "$(cat "$TMPDIR/listener.out")" "loopback-secret" \
		"the one to 127.0.0.1 did not reach a service on the host's loopback"
	# IPv6 router advertisements from a container: not the host's routes, nor
	# another container's (the bridge and the containers are IPv4's).
	cat >"$TMPDIR/ra.sh" <<-EOF
	set -u
	ip link set lo up
	cr() { "$CARAPACE" --root "$S.ra" "\$@"; }
	rund() { cr run -q -d -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" --network bridge "\$@"; }
	rund --name ra sleep 1000 >/dev/null
	rund --name ra-victim sleep 1000 >/dev/null
	echo "eth0 ipv6 off: \$(cr exec ra cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6)"
	cr exec ra sh -c 'for i in 1 2 3; do ra-send eth0 1800 2>/dev/null; sleep 0.3; done'
	echo "host: \$(ip -6 route show default)"
	echo "victim: \$(cr exec ra-victim ip -6 route show default)"
	cr rm -f ra; cr rm -f ra-victim
	EOF
	run timeout -k 5 60 unshare --net bash "$TMPDIR/ra.sh"
	is "$RC:$OUT" "0:eth0 ipv6 off: 1
host: 
victim: " "a container's router advertisements: no IPv6 default route for the host, nor for another container"
	# Six bridged runs at once: the flocked lease file gives each its own address.
	cat >"$TMPDIR/leases.sh" <<-EOF
	ip link set lo up
	for i in 1 2 3 4 5 6; do	# through a pipe: each line whole
		"$CARAPACE" --root "$S.leases" run -q -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" --network bridge \
			sh -c 'ip -4 addr show eth0 | sed -n "s/.*inet \([0-9.]*\).*/\1/p"; sleep 2' &
	done | cat
	EOF
	run timeout -k 5 60 unshare --net bash "$TMPDIR/leases.sh"
	is "$(sort -u <<<"$OUT" | grep -c .):$(grep -c . <<<"$OUT")" "6:6" "six bridged runs at once: six addresses, all different" ||
		diag "$ERR"
	# A neighbour of the host (a namespace on a veth) that routes the bridge's
	# subnet through it: the published port answers, the unpublished one not.
	cat >"$TMPDIR/routed.sh" <<-EOF
	set -u
	ip link set lo up
	unshare --net sleep 1000 &
	nb=\$!
	sleep 0.2
	ip link add t673a type veth peer name t673a-in netns /proc/\$nb/ns/net
	ip addr add 192.168.77.1/24 dev t673a
	ip link set t673a up
	nsenter -t \$nb -n sh -c 'ip link set lo up; ip addr add 192.168.77.2/24 dev t673a-in
		ip link set t673a-in up; ip route add default via 192.168.77.1'
	"$CARAPACE" --root "$S.routed" run -q -d -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" --name routed \
		-p 8080:80 -p 8081:81 sh -c 'mkdir /www; echo published >/www/index.html
		httpd -p 80 -h /www; httpd -f -p 81 -h /www' >/dev/null
	gw=\$("$CARAPACE" --root "$S.routed" exec routed ip -4 addr show eth0 | sed -n 's/.*inet \([0-9.]*\).*/\1/p')
	nsenter -t \$nb -n wget -q -t 1 -T 3 -O - http://192.168.77.1:8080/ 2>&1
	nsenter -t \$nb -n wget -q -t 1 -T 3 -O - "http://\$gw:81/" 2>&1 || echo "direct: refused"
	"$CARAPACE" --root "$S.routed" rm -f routed
	kill \$nb
	EOF
	run timeout -k 5 60 unshare --net bash "$TMPDIR/routed.sh"
	is "$OUT" "published
direct: refused" "a neighbour reaches the published port through the host's address, not the container's own, routed through the host" ||
		diag "$ERR"
	# The loopback as the bridge's subnet: the host's 127.0.0.1 would be carapace0's.
	for subnet in 127.0.0.0/24 169.254.0.0/24 224.0.0.0/24 255.255.255.0/24; do
		run timeout -k 5 60 unshare --net "$CARAPACE" --root "$S.subnet" run -q -r "$R" \
			--cgroup-parent "$TEST_CGROUP_PARENT" --network bridge --subnet "$subnet" true
		is "$RC:$ERR" "125:carapace: --subnet: '$subnet': not an ordinary unicast subnet (loopback, link-local, multicast or reserved)" \
			"--subnet $subnet: refused"
	done
else
	for ((i = 0; i < 10; i++)); do skip "no nft, python3 or unshare"; done
fi

# --- exec: nothing of carapace's to reach from inside before the exec
rund --name spy --cap-add SYS_PTRACE sleep 1000 >/dev/null
is "$(cr exec spy sh -c 'grep CapEff /proc/self/status | cut -c9-')" 00000000a80c25fb \
	"the container has CAP_SYS_PTRACE (in the host's user namespace)"
secret=t673-secret-$$
cr exec spy exec-spy 8 "$secret" >"$TMPDIR/spy.out" 2>&1 &
spy=$!
bg_pids+=" $spy"
wait_for "$TMPDIR/spy.out" . 1 2>/dev/null
for ((i = 0; i < 100; i++)); do cr exec -e "S=$secret" spy true; cr exec -u nobody spy true; done
wait "$spy"
spy_rc=$?
like "$(tail -n 1 "$TMPDIR/spy.out")" "^tries [1-9][0-9]* hits 0$" \
	"200 execs watched from inside: no ptrace, no /proc/PID/exe, /proc/PID/fd, nor an -e value in a cmdline"
is "$spy_rc" 0 "... the spy found nothing: $(grep -m 3 BROKEN "$TMPDIR/spy.out" | tr '\n' ' ')"

rund --name x1 sleep 1000 >/dev/null
run cr exec x1 sh -c 'ls /proc/self/fd | tr "\n" " "' 5</etc 7>"$TMPDIR/w" 9</
is "$RC:$OUT" "0:0 1 2 3 " "exec: the caller's fds 5, 7 and 9 are not the process's"
for u in 4294967295 0:4294967295 99999999999; do
	run cr exec -u "$u" x1 id
	is "$RC" 125 "exec -u $u: refused"
done
# The container's own paths, made symlinks that would lead out on the host.
mkdir "$TMPDIR/host-only"
cr exec x1 sh -c "ln -s /../../../../..$TMPDIR/host-only /w; ln -s /proc/1/root/../../..$TMPDIR/host-only /w2"
for w in /w /w2; do
	run cr exec -w "$w" x1 pwd
	like "$RC:$ERR" "^125:carapace: workdir: $w: No such file or directory" \
		"exec -w $w, a symlink to a host folder: resolved inside the root, where there is none"
done
run cr exec --preserve-fds 100000 x1 true
like "$RC:$ERR" "^125:carapace: --preserve-fds: " "exec --preserve-fds 100000: refused"
# The container's /etc/passwd, made hostile by the container's root.
for how in "mkfifo /etc/passwd" "ln -s /dev/zero /etc/passwd" "mkdir /etc/passwd" \
	"head -c 5000000 /dev/zero | tr '\\0' a >/etc/passwd" "ln -s /proc/1/environ /etc/passwd"; do
	cr exec x1 sh -c "rm -rf /etc/passwd; $how"
	run timeout -k 5 30 "$CARAPACE" --root "$S" exec -u nobody x1 id
	like "$RC:$ERR" "^125:carapace: --user: " "exec -u nobody, /etc/passwd by '$how': refused, not stuck"
done
cr exec x1 sh -c 'rm -rf /etc/passwd; echo "nobody:x:65534:65534::/:/bin/sh" >/etc/passwd'
"$CARAPACE" --root "$S" exec -u nobody x1 sleep 777 </dev/null &
ex=$!
for ((i = 0; i < 200; i++)); do p=$(pgrep -P "$ex" -x sleep) && break; sleep 0.05; done
ok "exec -u nobody: its process runs as exec's child" test -n "$p"
{ kill -KILL "$ex"; wait "$ex"; } 2>/dev/null
for ((i = 0; i < 200; i++)); do [ "$(ps -o stat= -p "${p:-0}" | cut -c1)" = S ] || break; sleep 0.05; done
isnt "$(ps -o stat= -p "${p:-0}" | cut -c1)" S "a SIGKILLed exec -u nobody: its process does not run on"

rund --name u1 --userns --uidmap 0:100000:65536 sleep 1000 >/dev/null
run cr exec -u 65536 u1 id
is "$RC:$ERR" "125:carapace: --user: uid 65536: not mapped in the user namespace" \
	"exec -u of a uid outside the container's map: refused"

# --- exec's seccomp filter is the container's, not what --seccomp's file says now:
# here the file is in a volume that the container writes.
mkdir "$TMPDIR/vol"
echo '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}' \
	>"$TMPDIR/vol/profile.json"
rund --name sc -v "$TMPDIR/vol:/vol" --seccomp "$TMPDIR/vol/profile.json" sleep 1000 >/dev/null
run cr exec sc mkdir /tmp/a
is "$RC" 1 "exec: the container's --seccomp profile denies mkdir"
cr exec sc sh -c 'echo "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}" >/vol/profile.json'
run cr exec sc mkdir /tmp/b
is "$RC" 1 "the container rewrote the profile in its volume: exec's process is still denied mkdir"
cr exec sc sh -c 'echo garbage >/vol/profile.json'
run cr exec sc sh -c 'mkdir /tmp/c'
is "$RC:$ERR" "1:mkdir: can't create directory '/tmp/c': Operation not permitted" \
	"... and a profile made garbage changes nothing either"

# --- an ordinary user against root's state root
useradd -r -M -s /bin/sh "$user"
chmod 0755 "$TMPDIR"
for cmd in "ps" "state x1" "kill x1 KILL" "logs x1" "rm -f x1" "stop x1" "pause x1" \
	"update --pids-limit 1 x1" "exec x1 true"; do
	run su "$user" -c "$CARAPACE --root $S $cmd"
	like "$RC:$ERR" "^125:carapace: " "an ordinary user: $cmd: refused"
done
is "$(cr state x1 | grep -c '"status": "running"')" 1 "and x1 runs on"

# --- two runs of one name at once: one wins
for i in 1 2 3 4 5 6; do
	(rund --name race sleep 1000 >"$TMPDIR/race.$i" 2>&1; echo "rc $?" >>"$TMPDIR/race.$i") &
done
wait
is "$(cat "$TMPDIR"/race.* | grep -c '^rc 0$')" 1 "six runs --name race at once: one starts"
is "$(cat "$TMPDIR"/race.* | grep -c 'a container of that name is running')" 5 "five say the name is taken"
# The same with the first held between making its folder and locking it
# (strace delays its first flock, the folder's lock; in a state root of
# its own, so that no sweep's lock of another folder comes first; by
# another name, as the cgroup leaf "race" is taken): the five start once
# the folder is there, and find it locked, not a stopped container's that
# rm would remove. (The folder was made under its name, then locked: 5/5
# said "a stopped container", and the test above once in a while under load.)
if command -v strace >/dev/null; then
	S2=$S.race
	mkdir -m 0700 "$S2"
	rm -f "$TMPDIR"/race.*
	strace -o /dev/null -e trace=flock -e inject=flock:delay_enter=1000000:when=1 \
		"$CARAPACE" --root "$S2" run -q -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" \
		--name race2 sleep 1000 >/dev/null 2>&1 &
	first=$! others=
	bg_pids+=" $first"
	for ((i = 0; i < 400; i++)); do [ -d "$S2/race2" ] && break; sleep 0.05; done
	for i in 2 3 4 5 6; do
		("$CARAPACE" --root "$S2" run -q -d -r "$R" --cgroup-parent "$TEST_CGROUP_PARENT" \
			--name race2 sleep 1000 >"$TMPDIR/race.$i" 2>&1; echo "rc $?" >>"$TMPDIR/race.$i") &
		others+=" $!"
	done
	# shellcheck disable=SC2086 # pids, one a word
	wait $others
	for ((i = 0; i < 400; i++)); do
		"$CARAPACE" --root "$S2" state race2 2>/dev/null | grep -q '"status": "running"' && break
		sleep 0.05
	done
	is "$("$CARAPACE" --root "$S2" state race2 | grep -c '"status": "running"')" 1 \
		"the first run, held before its lock, starts"
	is "$(cat "$TMPDIR"/race.* | grep -c 'a container of that name is running')" 5 \
		"the five that came meanwhile say the name is taken"
	"$CARAPACE" --root "$S2" kill race2 KILL
	wait "$first"
else
	skip "no strace to hold a run before its lock"
	skip "no strace to hold a run before its lock"
fi

# --- update: overflowing values
for o in "--memory 99999999999999999999999" "--pids-limit 18446744073709551616" \
	"--cpu-quota -9223372036854775809" "--cpu-shares 99999999999999" "--cpuset-cpus 0-99999"; do
	# shellcheck disable=SC2086 # the option and its value
	run cr update $o x1
	is "$RC" 125 "update $o: refused"
done
run cr update --resources - x1 <<<'{"pids":{"limit":-99999999999999999999}}'
is "$RC" 125 "update --resources with a limit out of range: refused"

for n in spy x1 u1 sc race; do cr rm -f "$n" >/dev/null 2>&1; done
rm -rf "$S/.network"
is "$(ls -A "$S")" "" "the state root is empty"
# The network tests' own state roots (one a namespace: the leases are a state
# root's, the bridge a namespace's): their .network aside, empty.
is "$(for d in "$S".*; do [ -d "$d" ] && ls -A "$d" | grep -vx .network; done)" "" \
	"the network tests' state roots are empty"
rm -rf "$S".*
no_leaks
done_testing
