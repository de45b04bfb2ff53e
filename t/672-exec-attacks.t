#!/bin/bash
# carapace exec against a hostile container and careless input: no
# capability beyond the container's bounding set, no uid that means
# "unchanged" or lies outside the container's map, no process left when a
# non-detached exec is SIGKILLed (even after its uid change), no hang on a
# FIFO or a huge file at the container's /etc/passwd, a bound on
# --preserve-fds, and until its exec the process is not dumpable: the
# container can't open its fds, environ or exe, and its command line holds
# no host path.
. "$(dirname "$0")/tap.sh"
oci_lifecycle
snapshot_host
ex() { "$CARAPACE" --root "$STATE" exec "$@"; }

bundle a1 --set 'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["syslog"],"action":"SCMP_ACT_ERRNO"}]}' \
	--set process.noNewPrivileges=true -- sleep 1000
create_bg a1
oci start a1
W=$(pgrep -P "$(cat "$B/a1.pid")" | head -n 1)
bnd=$(awk '/^CapBnd:/ { print $2 }' "/proc/$W/status")

# --- capabilities: the container's bounding set is the limit
run ex --cap CAP_SYS_ADMIN a1 true
is "$RC:$ERR" "125:carapace: exec: --cap CAP_SYS_ADMIN: not in the container's bounding set" \
	"--cap SYS_ADMIN, which the container lacks, is refused"
run ex --cap ALL a1 true
like "$RC:$ERR" "^125:carapace: exec: --cap CAP_[A-Z_]+: not in the container's bounding set$" \
	"--cap ALL is refused"
run ex a1 sh -c 'grep CapBnd /proc/self/status'
is "$OUT" "CapBnd:	$bnd" "a plain exec gets the container process's bounding set"
cat >"$TMPDIR/caps.json" <<'JSON'
{ "args": [ "true" ], "cwd": "/", "user": { "uid": 0, "gid": 0 },
  "capabilities": { "bounding": [ "CAP_SYS_ADMIN" ], "effective": [ "CAP_SYS_ADMIN" ],
                    "permitted": [ "CAP_SYS_ADMIN" ] } }
JSON
run ex --process "$TMPDIR/caps.json" a1
is "$RC:$ERR" "125:carapace: exec: --process: capabilities: CAP_SYS_ADMIN: not in the container's bounding set" \
	"a process file's capability beyond the bounding set is refused"
# Where create withheld MKNOD (no device cgroup to keep the host's devices
# shut: a state note without it), exec withholds it too, though the
# config's bounding set lists it. The note (the state's bounding line) is
# edited here to stand for it.
ok "the config gives the container CAP_MKNOD" test $(( 0x$bnd & (1 << 27) )) -ne 0
sed -i "s/^bounding .*/bounding $(printf '%#x' $(( 0x$bnd & ~(1 << 27) )))/" "$STATE/a1/state"
run ex --cap MKNOD a1 true
is "$RC:$ERR" "125:carapace: exec: --cap CAP_MKNOD: not in the container's bounding set" \
	"--cap MKNOD is refused where create withheld it"
run ex a1 sh -c 'grep CapBnd /proc/self/status'
is "$(( 0x$(printf '%s' "$OUT" | awk '{ print $2 }') & (1 << 27) ))" 0 "and a plain exec lacks it"

# --- users: (uid_t)-1 means "unchanged" to setresuid
run ex -u 4294967295 a1 id -u
is "$RC:$ERR" "125:carapace: exec: --user: '4294967295': 4294967295 is no id (at most 4294967294)" \
	"-u 4294967295 is refused"
run ex -u 0:4294967295 a1 id -u
like "$RC:$ERR" "^125:carapace: exec: --user: '0:4294967295': 4294967295 is no id" "so is the gid"
run ex -u 99999999999 a1 id -u
like "$RC:$ERR" "^125:carapace: exec: --user: '99999999999': " "and one past 32 bits"
run ex -u '' a1 id -u
like "$RC:$ERR" "^125:carapace: exec: --user: '': an empty user" "and an empty one"
printf '{ "args": [ "id" ], "cwd": "/", "user": { "uid": 4294967295, "gid": 0 } }' >"$TMPDIR/uid.json"
run ex --process "$TMPDIR/uid.json" a1
like "$RC:$ERR" "^125:carapace: config.json: process.user.uid: " "a process file's uid 4294967295 too"

# --- in a user namespace, a uid outside its map is refused
map='[{"containerID":0,"hostID":200000,"size":65536}]'
bundle u1 --set 'linux.namespaces=[{"type":"pid"},{"type":"ipc"},{"type":"uts"},{"type":"mount"},{"type":"network"},{"type":"user"}]' \
	--set "linux.uidMappings=$map" --set "linux.gidMappings=$map" -- sleep 1000
create_bg u1
oci start u1
UW=$(pgrep -P "$(cat "$B/u1.pid")" | head -n 1)
if [ -n "$UW" ] && [ "$(stat -c %u "/proc/$UW")" = 200000 ]; then
	run ex u1 sh -c 'id -u; readlink /proc/self/ns/user'
	is "$RC:$OUT" "0:0
$(readlink "/proc/$UW/ns/user")" "exec in a user namespace: its root, in its namespace"
	run ex -d --pid-file "$TMPDIR/u1.exec" -u 1000 u1 sleep 1000
	is "$(stat -c %u "/proc/$(cat "$TMPDIR/u1.exec")")" 201000 "uid 1000 inside is 201000 on the host"
	kill -KILL "$(cat "$TMPDIR/u1.exec")"
	run ex -u 70000 u1 id -u
	is "$RC:$ERR" "125:carapace: --user: uid 70000: not mapped in the user namespace" \
		"a uid outside the map is refused"
else
	skip "no user namespace container here"; skip "no user namespace container here"
	skip "no user namespace container here"
fi
oci delete --force u1

# --- a SIGKILLed exec leaves no process, even one that changed its uid
# In a subshell, whose stderr takes the shell's own "Killed" line.
{ "$CARAPACE" --root "$STATE" exec -u nobody a1 sh -c 'echo ready; exec sleep 1000' >"$TMPDIR/k.out" &
  echo $! >"$TMPDIR/k.pid"; wait; } 2>/dev/null &
OUTER=$!
wait_for "$TMPDIR/k.out" '^ready$'
EXEC=$(cat "$TMPDIR/k.pid")
P=$(pgrep -P "$EXEC" | head -n 1)
is "$(stat -c %u "/proc/$P" 2>/dev/null)" 65534 "exec -u nobody's process runs as nobody"
kill -KILL "$EXEC"
wait "$OUTER"
# Dead: gone, or a zombie that the host's init (its new parent) has yet to reap.
dead() { [ ! -e "/proc/$1" ] || grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
for i in $(seq 100); do dead "$P" && break; sleep 0.05; done
ok "exec SIGKILLed: its process is dead too" dead "$P"

# --- the container's /etc/passwd: a FIFO or a huge file is no hang, no blow-up
cp -a "$ROOTFS" "$TMPDIR/rootfs2"
"$TOP/t/oci/make-bundle.py" "$B/a2" "$TMPDIR/rootfs2" "/$TEST_CGROUP_PARENT/a2" -- sleep 1000
create_bg a2
oci start a2
rm "$TMPDIR/rootfs2/etc/passwd"
mkfifo "$TMPDIR/rootfs2/etc/passwd"
run timeout 20 "$CARAPACE" --root "$STATE" exec -u nobody a2 true
is "$RC:$ERR" "125:carapace: --user: the container's /etc/passwd: not a regular file" \
	"a FIFO at /etc/passwd: refused at once, no hang"
rm "$TMPDIR/rootfs2/etc/passwd"
truncate -s 200M "$TMPDIR/rootfs2/etc/passwd"
run timeout 20 "$CARAPACE" --root "$STATE" exec -u nobody a2 true
like "$RC:$ERR" "^125:carapace: --user: the container's /etc/passwd: larger than [0-9]+ MiB$" \
	"a huge /etc/passwd: refused, not read whole"
rm "$TMPDIR/rootfs2/etc/passwd"
ln -s /etc/shadow-of-the-host "$TMPDIR/rootfs2/etc/passwd"
run timeout 20 "$CARAPACE" --root "$STATE" exec -u nobody a2 true
is "$RC:$ERR" "125:carapace: --user: nobody: no such user in the container's /etc/passwd" \
	"a symlink at /etc/passwd leads nowhere outside the container"
oci delete --force a2

# --- fds: a bound on --preserve-fds, none that isn't open, none not asked for
run ex --preserve-fds 1001 a1 true
like "$RC:$ERR" "^125:carapace: --preserve-fds: " "--preserve-fds 1001: refused"
run ex --preserve-fds 3 a1 true 3</dev/null 4</dev/null
is "$RC:$ERR" "125:carapace: exec: --preserve-fds 3: fd 5 is not open" "an fd that isn't open: refused"
run ex a1 sh -c 'ls /proc/self/fd | tr "\n" " "' 7<"$TMPDIR/k.out"
is "$OUT" "0 1 2 3 " "an fd of the caller's that --preserve-fds doesn't name doesn't reach the process"

# --- until its exec, the process is not dumpable and holds no host path
# strace holds the process for 3 s in its last call before the exec, the
# seccomp filter's (with no_new_privs: see start_container_workload), when
# it has the uid and capabilities of the container's own process. In a
# container with CAP_SYS_ADMIN (which no Landlock domain may have, as it
# may mount), only the process's non-dumpable flag then keeps the
# container's root (no CAP_SYS_PTRACE) out of its fds and exe; its environ
# some kernels let it read all the same (6.18 does), so exec wipes the
# host's environment it started with. (A ptrace
# attach would fail anyway, strace being its tracer: the same check guards
# ptrace and these files.)
bundle a3 --set 'linux.seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["syslog"],"action":"SCMP_ACT_ERRNO"}]}' \
	--set process.noNewPrivileges=true \
	--set 'process.capabilities={"bounding":["CAP_SYS_ADMIN","CAP_KILL"],"effective":["CAP_SYS_ADMIN","CAP_KILL"],"permitted":["CAP_SYS_ADMIN","CAP_KILL"]}' \
	-- sleep 1000
create_bg a3
oci start a3
if asan_build; then
	skip_sealed_copy 6 "CAP_SYS_ADMIN"
elif command -v strace >/dev/null; then
	CARAPACE_HOST_SECRET=host-only strace -f -qq -o /dev/null -e trace=seccomp \
		-e inject=seccomp:delay_enter=3000000 "$CARAPACE" --root "$STATE" exec a3 true &
	TRACED=$!
	run ex a3 sh -c 'for i in $(seq 100); do
		for p in /proc/[0-9]*; do
			n=${p#/proc/}
			[ "$n" = 1 ] || [ "$n" = $$ ] || [ "$(tr "\0" " " <$p/cmdline)" != "carapace init " ] && continue
			# Held in the seccomp call: no_new_privs is set, the caps are dropped.
			grep -q "^NoNewPrivs:.1" $p/status || continue
			[ "$(grep ^CapPrm: $p/status)" = "$(grep ^CapPrm: /proc/self/status)" ] || continue
			echo "found $n"; tr "\0" " " <$p/cmdline; echo
			readlink $p/fd/0 >/dev/null 2>&1; echo "fd $?"
			echo "environ $(tr "\0" "\n" <$p/environ 2>/dev/null | grep -c host-only)"
			readlink $p/exe >/dev/null 2>&1; echo "exe $?"
			readlink /proc/2/fd/0 >/dev/null 2>&1; echo "control $?"
			exit 0
		done
		sleep 0.05
	done'
	wait "$TRACED"
	like "$OUT" '^found [0-9]+' "the container sees exec's process before its exec"
	like "$OUT" '^fd 1$' "but can't follow its fds"
	like "$OUT" '^environ 0$' "nor read exec's (the host's) environment in it"
	like "$OUT" '^exe 1$' "nor follow its exe to the host's carapace"
	like "$OUT" '^control 0$' "(it can follow those of its own process, dumpable)"
	like "$OUT" '^carapace init $' "its command line reads carapace init: no host path, no option"
else
	for i in 1 2 3 4 5 6; do skip "no strace"; done
fi
oci delete --force a3

oci delete --force a1
no_leaks
done_testing
