#!/bin/bash
# carapace exec: a new process in a running container, as podman, containerd's
# shim and people call it. It joins every namespace, the cgroup and the root
# of the container, and gets the container's capabilities, no_new_privs,
# seccomp filter and rlimits (compared here with those of the container's own
# process, from outside and inside); its exit status comes back; --detach
# leaves it running with its pid in --pid-file; -t gives it a pty of the
# container's. Bad input and a paused, stopped or unknown container get one
# line and 125, and exec leaves nothing behind: no process, no state change.
. "$(dirname "$0")/tap.sh"
oci_lifecycle
snapshot_host

# workload_of ID: the host pid of the container's own process (init's child).
workload_of() { pgrep -P "$(cat "$B/$1.pid")" | head -n 1; }
# ns_of PID: its namespaces, one "name:[inode]" a line, as readlink gives them.
ns_of() { for n in mnt pid net uts ipc cgroup user; do readlink "/proc/$1/ns/$n"; done; }
status_fields() { grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' "$1"; }

# A container with a seccomp filter of its own, a bounding set wider than
# its effective one (CAP_NET_ADMIN), an rlimit and a hostname.
seccomp='{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["syslog"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}'
caps='{"bounding":["CAP_CHOWN","CAP_KILL","CAP_SETUID","CAP_SETGID","CAP_NET_ADMIN","CAP_DAC_OVERRIDE"],
"effective":["CAP_CHOWN","CAP_KILL","CAP_SETUID","CAP_SETGID","CAP_DAC_OVERRIDE"],
"permitted":["CAP_CHOWN","CAP_KILL","CAP_SETUID","CAP_SETGID","CAP_DAC_OVERRIDE"]}'
bundle e1 --set "linux.seccomp=$seccomp" --set "process.capabilities=$caps" \
	--set 'process.rlimits=[{"type":"RLIMIT_NOFILE","hard":777,"soft":555}]' \
	--set 'process.noNewPrivileges=true' -- sleep 1000
create_bg e1
oci start e1
W=$(workload_of e1)
ok "the container's process runs" test -n "$W"
state_before=$(oci state e1)

# --- from outside: the same namespaces, cgroups and root as the container's process
run oci exec e1 sh -c 'echo hello; hostname'
is "$RC:$OUT:$ERR" "0:hello
oci-test:" "exec runs a command in the container, with its hostname"
run oci exec --detach --pid-file "$TMPDIR/e1.exec.pid" e1 sleep 1000
is "$RC:$ERR" "0:" "exec --detach returns once the process runs"
X=$(cat "$TMPDIR/e1.exec.pid" 2>/dev/null)
ok "--pid-file names a live process" kill -0 "${X:-0}"
is "$(ns_of "$X")" "$(ns_of "$W")" "it is in every namespace of the container's process"
is "$(cat "/proc/$X/cgroup")" "$(cat "/proc/$W/cgroup")" "and in its cgroups"
is "$(stat -L -c %d:%i "/proc/$X/root/")" "$(stat -L -c %d:%i "/proc/$W/root/")" "with its root"
is "$(status_fields "/proc/$X/status")" "$(status_fields "/proc/$W/status")" \
	"with its capabilities, no_new_privs and seccomp filter"
is "$(grep 'open files' "/proc/$X/limits")" "$(grep 'open files' "/proc/$W/limits")" "and its rlimits"
like "$(oci ps --format json e1)" "[\[,]$X[],]" "ps lists it among the container's processes"
kill -KILL "$X"

# --- from inside: what the process sees is the container
inside=$(oci exec e1 sh -c 'echo "pid $$"; cat /proc/1/cmdline | tr "\0" " "; echo;
	grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; cat /proc/self/cgroup | grep pids;
	ls /proc/self/fd | tr "\n" " "; echo; dmesg >/dev/null 2>&1; echo "dmesg $?"')
unlike "$inside" '^pid 1$' "inside, the process is not PID 1"
like "$inside" '^carapace init $' "its PID 1 is the container's init"
like "$inside" $'^NoNewPrivs:\t1$' "no_new_privs is set"
like "$inside" $'^Seccomp:\t2$' "a seccomp filter is on"
like "$inside" '^[0-9]+:pids:/$' "its cgroup is the root of the container's cgroup namespace"
like "$inside" '^0 1 2 3 $' "it has fds 0, 1 and 2 only (3: ls's own folder)"
like "$inside" '^dmesg 1$' "the container's seccomp filter denies syslog"

# --- exit statuses
run oci exec e1 sh -c 'exit 7'
is "$RC" 7 "the process's exit status is exec's"
run oci exec e1 sh -c 'kill -KILL $$'
is "$RC" 137 "128+N when signal N killed it"
run oci exec e1 nosuch
is "$RC:$ERR" "127:carapace: exec: nosuch: No such file or directory" "a missing command: 127"
run oci exec e1 /etc/passwd
is "$RC:$ERR" "126:carapace: exec: /etc/passwd: Permission denied" "a non-executable one: 126"

# --- exec's options on the process
run oci exec -e FOO=bar -w /tmp -u nobody e1 sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g)"'
is "$RC:$OUT" "0:bar /tmp 65534:65534" "-e, -w and -u set its environment, folder and user"
run oci exec --env FOO=1 --cwd /etc --user 1234:5678 e1 sh -c 'echo "$FOO $(pwd) $(id -u):$(id -g)"'
is "$RC:$OUT" "0:1 /etc 1234:5678" "--env, --cwd and --user UID:GID too"
echo input >"$TMPDIR/stdin"
run_in "$TMPDIR/stdin" oci exec -i e1 sh -c 'read x; echo "got $x"'
is "$RC:$OUT" "0:got input" "stdin is passed (-i is accepted)"
run oci exec e1 sh -c 'grep CapEff /proc/self/status'
eff=$(printf '%s' "$OUT" | awk '{ print $2 }')
run oci exec --cap CAP_NET_ADMIN e1 sh -c 'grep CapEff /proc/self/status'
is "$(( 0x$(printf '%s' "$OUT" | awk '{ print $2 }') ^ 0x$eff ))" "$(( 1 << 12 ))" \
	"--cap CAP_NET_ADMIN adds it, from the container's bounding set"
run oci exec --no-new-privs e1 true
is "$RC" 0 "--no-new-privs is taken"
echo "from fd 3" >"$TMPDIR/fd3"
run oci exec --preserve-fds 1 e1 sh -c 'cat <&3' 3<"$TMPDIR/fd3"
is "$RC:$OUT" "0:from fd 3" "--preserve-fds 1 passes fd 3"

# --- --process FILE: the runtime spec's process object, as engines write it
cat >"$TMPDIR/process.json" <<'JSON'
{ "terminal": false, "user": { "uid": 1000, "gid": 1001, "additionalGids": [ 1002 ] },
  "args": [ "sh", "-c", "echo \"$HELLO $(pwd) $(id -u) $(id -G)\"; grep CapEff /proc/self/status" ],
  "env": [ "PATH=/bin:/usr/bin", "HELLO=world" ], "cwd": "/dev",
  "capabilities": { "bounding": [ "CAP_KILL" ], "effective": [ "CAP_KILL" ], "permitted": [ "CAP_KILL" ],
                    "inheritable": [ "CAP_KILL" ], "ambient": [ "CAP_KILL" ] },
  "noNewPrivileges": true }
JSON
run oci exec --process "$TMPDIR/process.json" e1
is "$RC:$OUT" "0:world /dev 1000 1001 1002
CapEff:	0000000000000020" "--process gives args, env, cwd, user and (ambient) capabilities"
printf '{ "args": [ "sh", "-c", "echo $HOME" ], "env": [ "PATH=/bin" ], "cwd": "/", "user": { "uid": 65534, "gid": 65534 } }' >"$TMPDIR/home.json"
run oci exec --process "$TMPDIR/home.json" e1
is "$RC:$OUT" "0:$(awk -F: '$3 == 65534 { print $6; exit }' "$ROOTFS/etc/passwd")" \
	"--process with a uid and no HOME: HOME from the container's /etc/passwd, as runc (ctr exec --user)"
printf '{ "args": [ "/bin/cat", "/proc/self/oom_score_adj" ], "cwd": "/", "oomScoreAdj": 432 }' >"$TMPDIR/oom.json"
run oci exec --process "$TMPDIR/oom.json" e1
is "$RC:$OUT" "0:432" "--process: its oomScoreAdj"
run oci exec --process "$TMPDIR/process.json" e1 true
is "$RC:$ERR" "125:carapace: exec: e1: a command or --process, not both" "not both"
printf '{ "args": [] , "cwd": "/" }' >"$TMPDIR/bad.json"
run oci exec --process "$TMPDIR/bad.json" e1
like "$RC:$ERR" '^125:carapace: config.json: process.args: empty' "a bad process file: 125, and the field"

# --- a terminal: relayed by exec, or sent to the console socket
run oci exec -t e1 sh -c 'tty; exit 3'
like "$RC:$OUT" '^3:/dev/pts/[0-9]+' "-t: the process's terminal is a pty of the container's devpts"
"$TOP/t/oci/console-receiver.py" "$TMPDIR/console.sock" "$TMPDIR/console.out" &
RECEIVER=$!
for i in $(seq 200); do [ -e "$TMPDIR/console.out.ready" ] && break; sleep 0.05; done
run oci exec --detach --tty --console-socket "$TMPDIR/console.sock" e1 sh -c 'echo "tty: $(tty)"'
is "$RC:$ERR" "0:" "exec --detach --tty --console-socket, as podman calls it"
wait "$RECEIVER"
like "$(head -n 1 "$TMPDIR/console.out")" '^got 1 fd, payload b./dev/ptmx., isatty True$' \
	"the console socket got the pty's master"
like "$(cat "$TMPDIR/console.out")" 'tty: /dev/pts/[0-9]+' "and the process's output"
run oci exec --detach --tty e1 true
is "$RC:$ERR" "125:carapace: exec: --tty with --detach: give --console-socket" "--tty --detach needs a console socket"
run oci exec --console-socket "$TMPDIR/console.sock" e1 true
is "$RC:$ERR" "125:carapace: exec: --console-socket: without --tty (or terminal: true)" \
	"--console-socket needs a terminal"

# --- signals reach the process
"$CARAPACE" --root "$STATE" exec e1 sh -c 'trap "exit 5" TERM; echo ready; while :; do sleep 0.05; done' \
	>"$TMPDIR/sig.out" &
EXEC=$!
wait_for "$TMPDIR/sig.out" '^ready$'
kill -TERM "$EXEC"
wait "$EXEC"
is "$?" 5 "TERM to exec is forwarded to the process"

# --- bad input and containers that can't take a process
run oci exec e1
is "$RC:$ERR" "125:carapace: exec: e1: no command given, and no --process" "no command: 125"
run oci exec
is "$RC:$ERR" "125:carapace: exec: no container ID given (see carapace exec --help)" "no ID: 125"
run oci exec nosuch true
is "$RC:$ERR" "125:carapace: exec: container nosuch does not exist" "an unknown ID: 125"
run oci exec --bogus e1 true
is "$RC:$ERR" "125:carapace: exec: unknown option: --bogus" "an unknown option: 125"
run setpriv --reuid=65534 --regid=65534 --clear-groups "$CARAPACE" --root "$STATE" exec e1 true
is "$RC:$ERR" "125:carapace: exec: not supported rootless: a container's init is not dumpable, and only root may enter its namespaces" \
	"an ordinary user's exec: refused, and why"
oci pause e1
run oci exec e1 true
is "$RC:$ERR" "125:carapace: exec: e1: container is paused (resume it first)" "a paused container: refused"
oci resume e1
bundle e2 -- true
create_bg e2
run oci exec e2 true
is "$RC:$ERR" "125:carapace: exec: e2: container is not running (created)" "a created one: refused"
oci start e2
wait "$REAPER_PID"
run oci exec e2 true
is "$RC:$ERR" "125:carapace: exec: e2: container is not running (stopped)" "a stopped one: refused"
oci delete e2

# --- a kernel whose setns takes no pidfd (before 5.8): one /proc/PID/ns file at a time
cc=gcc
command -v musl-gcc >/dev/null && cc="musl-gcc -static"
if $cc -O2 -Wall -Werror -isystem "$TOP/build/include" -o "$TMPDIR/nosys-setns-pidfd" "$TOP/t/nosys-setns-pidfd.c"; then
	run "$TMPDIR/nosys-setns-pidfd" "$CARAPACE" --root "$STATE" --debug exec e1 sh -c \
		'for n in mnt pid net uts ipc cgroup user; do readlink /proc/self/ns/$n; done'
	is "$RC:$OUT" "0:$(ns_of "$W")" "without setns by pidfd, exec joins the same namespaces"
	like "$ERR" '^carapace: exec: setns by pidfd: Invalid argument: through /proc/PID/ns$' \
		"  through the /proc/PID/ns files, and says so with --debug"
else
	fail "t/nosys-setns-pidfd.c builds with $cc"; skip "no t/nosys-setns-pidfd"
fi

# --- a container whose init entered its root by chroot (--no-pivot)
bundle e3 -- sleep 1000
oci create --no-pivot --bundle "$B/e3" --pid-file "$B/e3.pid" e3 </dev/null >/dev/null 2>&1
oci start e3
W3=$(workload_of e3)
run oci exec e3 stat -c %d:%i /
is "$OUT" "$(stat -L -c %d:%i "/proc/$W3/root/")" "create --no-pivot: exec's root is init's, not the mount namespace's"
# --- a run --name registration: exec rebuilds run's settings from run-args
# (NUL-separated, paths absolute, without "run" and the command), as an
# older carapace wrote them, in a file (now they are state lines, t/680);
# here laid into e3's state folder by hand.
printf -- '--rootfs\0%s\0-e\0FROMRUN=1\0' "$ROOTFS" >"$STATE/e3/run-args"
run oci exec e3 sh -c 'echo "$FROMRUN $HOME"; grep ^Seccomp: /proc/self/status'
is "$RC:$OUT" "0:1 /root
Seccomp:	2" "exec takes run's environment and run's default seccomp filter from run-args"
rm "$STATE/e3/run-args"
oci delete --force e3

# --- nothing changed, nothing left
is "$(oci state e1)" "$state_before" "the container's state is as it was"
is "$(pgrep -P "$(cat "$B/e1.pid")" | tr '\n' ' ')" "$W " "init has its own process only, again"
run oci ps --format json e1
is "$OUT" "[$(cat "$B/e1.pid"),$W]" "and its cgroups hold init and that process only"
oci delete --force e1
no_leaks
done_testing
