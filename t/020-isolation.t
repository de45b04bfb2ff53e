#!/bin/bash
# t/020-isolation.t: what `carapace run` shows the command: its own PIDs,
# hostname, root, /proc, /sys, network and /dev, and a clean environment.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT

# --- PID namespace: carapace's init is PID 1, the command PID 2
run cara sh -c 'echo $$ $PPID'
is "$RC" 0 "a command runs"
is "$OUT" "2 1" "the command is PID 2, child of PID 1"
run cara cat /proc/1/comm
is "$OUT" carapace "PID 1's comm is carapace"
run cara sh -c 'tr "\0" "\n" </proc/1/cmdline | head -n 1'
is "${OUT##*/}" carapace "PID 1's cmdline is carapace's"

# ls is PID 2 itself, so /proc must hold exactly 1 and 2.
run cara ls -1 /proc
is "$(printf '%s\n' "$OUT" | grep -E '^[0-9]+$' | tr '\n' ' ')" "1 2 " \
	"/proc lists only init and the command"
run cara ps -o pid,comm
is "$(printf '%s\n' "$OUT" | tail -n +2 | awk '{print $1, $2}' | tr '\n' ' ')" "1 carapace 2 ps " \
	"ps sees only init and itself"

# --- UTS namespace
host_name=$(hostname)
run cara hostname
is "$OUT" carapace "the default hostname is carapace"
run cara --hostname box-1 sh -c 'hostname; echo "$HOSTNAME"'
is "$OUT" "$(printf 'box-1\nbox-1')" "--hostname sets the hostname and \$HOSTNAME"
name64=$(printf 'h%.0s' $(seq 64))
run cara --hostname "$name64" hostname
is "$OUT" "$name64" "a 64-character hostname works"
# Without CAP_SYS_ADMIN, as in docker, the command can't rename the container.
run cara hostname changed-inside
isnt "$RC" 0 "the command can't change the hostname"
is "$(hostname)" "$host_name" "the host's hostname is unchanged"

# --- mount namespace and root: a host file outside the rootfs is unreachable
marker=$(mktemp /tmp/carapace-marker.XXXXXXXX)
secret=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$secret" >"$marker"
run cara cat "$marker"
isnt "$RC" 0 "the host's marker file can't be opened by its path"
unlike "$OUT" "$secret" "the marker's content doesn't show"
name=${marker##*/}
run cara find / -path /proc -prune -o -path /sys -prune -o -name "$name" -print
is "$OUT" "" "find / doesn't find the marker anywhere in the container"
# The same search must find what is there, or the check above proves nothing.
run cara find / -path /proc -prune -o -path /sys -prune -o -name busybox -print
is "$OUT" /bin/busybox "find / does find the rootfs's /bin/busybox"
rm -f -- "$marker"
run cara sh -c 'cd /.. && pwd && stat -c %i:%d / /.. | uniq | wc -l'
is "$(echo $OUT)" "/ 1" "/.. is / in the container"

# --- /sys is read-only
run cara touch /sys/x
isnt "$RC" 0 "touch /sys/x fails"
like "$ERR" 'Read-only file system' "because /sys is read-only"
run cara grep ' /sys ' /proc/mounts
like "$OUT" '^sysfs /sys sysfs ro[,]' "/proc/mounts shows /sys ro"
is "$(printf '%s\n' "$OUT" | grep -c .)" 1 "/sys is mounted once"

# --- network namespace: loopback only, and up
run cara ls /sys/class/net
is "$OUT" lo "the only interface is lo"
run cara cat /sys/class/net/lo/flags
# IFF_UP is bit 0; anything but a hex number must fail, not abort the script.
if [[ $OUT =~ ^0x[0-9a-f]+$ ]]; then up=$(( OUT & 1 )); else up="not a number"; fi
is "$up" 1 "lo is up (flags $OUT)"
run cara ping -c 1 -W 2 127.0.0.1
is "$RC" 0 "127.0.0.1 answers ping"

# --- /dev: a fixed set of nodes, none of the host's devices
run cara ls -A /dev
is "$(printf '%s\n' "$OUT" | sort | tr '\n' ' ')" \
	"fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero " \
	"/dev holds exactly the standard nodes"
run cara stat -c '%F %t:%T' /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty
is "$OUT" "$(printf 'character special file %s\n' 1:3 1:5 1:7 1:8 1:9 5:0)" \
	"null zero full random urandom tty are char devices with the right numbers"
run cara sh -c 'echo x >/dev/null && head -c 4 /dev/zero | od -An -tx1'
is "$(echo $OUT)" "00 00 00 00" "/dev/null and /dev/zero work"
# The host's block devices, and the usual names in case /sys/block is empty.
host_devs=$(echo sda vda nvme0n1 $(ls /sys/block 2>/dev/null))
run cara sh -c 'for d; do [ ! -e "/dev/$d" ] || echo "$d"; done' - $host_devs
is "$RC:$OUT" 0: "no host device in /dev ($host_devs)"
run cara sh -c 'for l in stdin stdout stderr fd ptmx; do readlink /dev/$l; done'
is "$OUT" "$(printf '%s\n' /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2 /proc/self/fd pts/ptmx)" \
	"the /dev symlinks point where they should"

# --- environment: only the defaults, never the host's
defaults=$(printf '%s\n' HOME=/root HOSTNAME=carapace \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
export CARAPACE_TEST_HOST_VAR=leaked
run env -u TERM "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" env
is "$RC" 0 "env runs"
is "$(printf '%s\n' "$OUT" | sort)" "$defaults" "without TERM the environment is PATH, HOME, HOSTNAME"
run env TERM=xterm-test "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" env
is "$(printf '%s\n' "$OUT" | sort)" "$(printf '%s\n' "$defaults" TERM=xterm-test | sort)" \
	"the host's TERM is passed"
run env -u TERM "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --env FOO=bar --env 'SPACE=a b=c' env
is "$(printf '%s\n' "$OUT" | sort)" "$(printf '%s\n' "$defaults" FOO=bar 'SPACE=a b=c' | sort)" \
	"--env NAME=VALUE adds variables, values kept whole"
run env -u TERM "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" -e CARAPACE_TEST_HOST_VAR -e CARAPACE_TEST_UNSET env
is "$(printf '%s\n' "$OUT" | sort)" "$(printf '%s\n' "$defaults" CARAPACE_TEST_HOST_VAR=leaked | sort)" \
	"-e NAME passes the host's value, and nothing for an unset NAME"
run env -u TERM "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" -e PATH=/usr/bin -e FOO=1 -e FOO=2 env
is "$(printf '%s\n' "$OUT" | sort)" "$(printf '%s\n' FOO=2 HOME=/root HOSTNAME=carapace PATH=/usr/bin)" \
	"-e overrides PATH and an earlier -e, once each"
run cara -e PATH=/nonexistent ls /
is "$RC" 127 "the command is looked up in the container's PATH, not the host's"
run cara --hostname y sh -c 'echo $HOSTNAME'
is "$OUT" y "HOSTNAME follows --hostname"
# -e wins over every default, as it does for PATH above and in docker.
run cara -e HOSTNAME=x --hostname y sh -c 'echo $HOSTNAME; hostname'
is "$OUT" "$(printf 'x\ny')" "-e HOSTNAME=x overrides the default \$HOSTNAME, not the hostname"

# --- working directory
run cara pwd
is "$OUT" / "the default workdir is /"
run cara --workdir /tmp pwd
is "$OUT" /tmp "--workdir /tmp"
run cara -w /usr/bin sh -c 'pwd; echo "$PWD"'
is "$(printf '%s\n' "$OUT" | head -n 1)" /usr/bin "-w /usr/bin"

no_leaks
done_testing
