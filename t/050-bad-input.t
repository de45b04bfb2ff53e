#!/bin/bash
# t/050-bad-input.t: every mistake on the command line ends carapace with
# exit 125 and one line on stderr, `carapace: ...`, that names the mistake,
# and leaves no mount or process behind. Help and version exit 0.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
chmod 755 "$work"

# bad DESC ERE CMD...: CMD exits 125 with one line `carapace: ...` matching ERE.
bad() {
	local desc=$1 ere=$2; shift 2
	run "$@"
	is "$RC" 125 "$desc: exit 125"
	if [ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] && [ "${ERR#carapace: }" != "$ERR" ]; then
		pass "$desc: one line starting with 'carapace: '"
	else
		fail "$desc: one line starting with 'carapace: '"
		diag "stderr: '$ERR'"
	fi
	like "$ERR" "$ere" "$desc: the message says what is wrong"
	is "$OUT" "" "$desc: nothing on stdout"
}
C=$CARAPACE

# --- the rootfs
hint=' \(give one with -r DIR or \$CARAPACE_ROOTFS, or make \./rootfs with \./setup\.sh rootfs\)$'
bad "missing rootfs" "^carapace: rootfs: /nonexistent/rootfs: No such file or directory$hint" \
	"$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -r /nonexistent/rootfs true
echo x >"$work/file"
bad "rootfs that is a file" "^carapace: rootfs: $work/file: Not a directory, nor a tarball\$" \
	"$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -r "$work/file" true
bad "missing \$CARAPACE_ROOTFS" "^carapace: rootfs: /nonexistent/env-rootfs: No such file or directory$hint" \
	env CARAPACE_ROOTFS=/nonexistent/env-rootfs "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" true
bad "no ./rootfs in the current directory" "^carapace: rootfs: \\./rootfs: No such file or directory$hint" \
	env -u CARAPACE_ROOTFS -C "$work" "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" true

# The same ways of naming a good rootfs work, so the failures above are the paths'.
run env -C "${ROOTFS%/*}" "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "${ROOTFS##*/}" true
is "$RC:$ERR" 0: "a relative --rootfs works"
run env CARAPACE_ROOTFS="$ROOTFS" "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q true
is "$RC:$ERR" 0: "\$CARAPACE_ROOTFS names the rootfs"
ln -s "$ROOTFS" "$work/rootfs"
run env -u CARAPACE_ROOTFS -C "$work" "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q true
is "$RC:$ERR" 0: "./rootfs is the default"
rm "$work/rootfs"

# --- options
bad "unknown long option" '^carapace: run: unknown option: --bogus$' "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" --bogus -r "$ROOTFS" true
bad "unknown short option" '^carapace: run: unknown option: -x$' "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -x -r "$ROOTFS" true
bad "missing argument of a long option" '^carapace: run: option --hostname needs an argument$' \
	"$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -r "$ROOTFS" --hostname
bad "missing argument of a short option" '^carapace: run: option -r needs an argument$' \
	"$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -r
bad "missing argument of --rootfs" '^carapace: run: option --rootfs needs an argument$' \
	"$C" run --cgroup-parent "$TEST_CGROUP_PARENT" --rootfs
bad "no command" '^carapace: run: no command given' "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -r "$ROOTFS"
bad "no command after --" '^carapace: run: no command given' "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -r "$ROOTFS" --
bad "--stop-timeout abc" "^carapace: --stop-timeout: .*'abc'" cara --stop-timeout abc true
bad "--stop-timeout -1" "^carapace: --stop-timeout: .*'-1'" cara --stop-timeout -1 true
bad "--stop-timeout 86401" "^carapace: --stop-timeout: .*'86401'" cara --stop-timeout 86401 true
bad "--stop-timeout 5s" "^carapace: --stop-timeout: .*'5s'" cara --stop-timeout 5s true
bad "--preserve-fds x" "^carapace: --preserve-fds: .*'x'" cara --preserve-fds x true
bad "--preserve-fds 1 with fd 3 closed" '^carapace: --preserve-fds: fd 3: Bad file descriptor$' \
	cara --preserve-fds 1 true 3<&-
bad "--preserve-fds 2 with fd 4 closed" '^carapace: --preserve-fds: fd 4: Bad file descriptor$' \
	cara --preserve-fds 2 true 3<"$work/file" 4<&-
# The same option with the fd open works, so the failures above are the fd's.
run cara --preserve-fds 1 cat /proc/self/fd/3 3<"$work/file"
is "$RC:$OUT" 0:x "--preserve-fds 1 with fd 3 open passes it"
bad "--env without a name" "^carapace: --env: .*'=x'" cara --env =x true
bad "--env empty" "^carapace: --env: .*''" cara --env '' true

# --- the workdir: relative is refused at once, a missing one in the container
bad "relative --workdir" "^carapace: --workdir: not an absolute path: 'tmp'\$" cara --workdir tmp pwd
bad "missing --workdir" '^carapace: workdir: /no/such/dir: No such file or directory$' \
	cara --workdir /no/such/dir pwd
no_leaks "missing --workdir: nothing left behind"
bad "--workdir that is a file" '^carapace: workdir: /etc/passwd: Not a directory$' \
	cara -w /etc/passwd pwd
# The host's directories are not the container's.
mkdir "$work/host-only-dir"
bad "--workdir that exists only on the host" "^carapace: workdir: $work/host-only-dir: No such file" \
	cara -w "$work/host-only-dir" pwd
no_leaks "--workdir on the host only: nothing left behind"

# --- the hostname
bad "empty --hostname" "^carapace: --hostname: .*''" cara --hostname '' true
long=$(printf 'h%.0s' $(seq 65))
bad "65-character --hostname" "^carapace: --hostname: .*'$long'" cara --hostname "$long" true

# --- files that are no text files, lines longer than a buffer, values that
# only look like numbers: exit 125 in one line, at once (timeout: no hang)
mkfifo "$work/fifo"
bad "--seccomp /dev/zero" '^carapace: seccomp: /dev/zero: not a regular file$' \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --seccomp /dev/zero true
bad "--seccomp of a FIFO" "^carapace: seccomp: $work/fifo: not a regular file\$" \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --seccomp "$work/fifo" true
# A comment longer than a buffer is one comment: its tail is no rule.
{ echo 'default: allow'; printf '# %0300d mkdir errno\n' 0; } >"$work/long-comment.profile"
run timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --overlay --seccomp "$work/long-comment.profile" mkdir /tmp/made
is "$RC:$ERR" 0: "a seccomp comment of 300 bytes: its tail is no rule (mkdir works)"
{ echo 'default: allow'; printf 'x%.0s' $(seq 300); echo ' errno'; } >"$work/long-rule.profile"
bad "a seccomp rule of 300 bytes" "^carapace: seccomp: $work/long-rule.profile:2: unknown system call 'x{64}'\$" \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" --seccomp "$work/long-rule.profile" true
printf 'default: errno\n' >"$work/errno.profile"
bad "inspect with a profile that denies write" \
	"^carapace: inspect: seccomp: $work/errno.profile: the profile denies write, which the report needs\$" \
	timeout 10 "$C" inspect -q -r "$ROOTFS" --seccomp "$work/errno.profile"

# The container's /etc/passwd: a device, a FIFO, a long line, bad fields.
cp -a "$ROOTFS" "$work/root"
rm "$work/root/etc/passwd"
mknod "$work/root/etc/passwd" c 1 5
bad "-u with /etc/passwd /dev/zero" "^carapace: --user: the container's /etc/passwd: not a regular file\$" \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/root" -u app true
rm "$work/root/etc/passwd"
mkfifo "$work/root/etc/passwd"
bad "-u with /etc/passwd a FIFO" "^carapace: --user: the container's /etc/passwd: not a regular file\$" \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/root" -u app true
rm "$work/root/etc/passwd"
# A /proc file says it has 0 bytes, and this one holds 8 per page of memory.
ln -s /proc/self/pagemap "$work/root/etc/passwd"
bad "-u with /etc/passwd a link to /proc/self/pagemap" \
	"^carapace: --user: the container's /etc/passwd: (Invalid argument|larger than 4 MiB)\$" \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/root" -u app true
rm "$work/root/etc/passwd"
head -c 5000000 /dev/zero | tr '\0' '\n' >"$work/root/etc/passwd"
bad "-u with a 5 MB /etc/passwd" "^carapace: --user: the container's /etc/passwd: larger than 4 MiB\$" \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/root" -u app true
rm "$work/root/etc/passwd"
# app's GECOS field fills a 4095-byte line; "ghost:x:0:0:" is its tail.
{ echo 'root:x:0:0:root:/root:/bin/sh'
  printf 'app:x:1000:1000:%s' "$(printf 'g%.0s' $(seq 4079))"; echo 'ghost:x:0:0:'
  echo 'badgid:x:1001:staff::/:/bin/sh'
  echo '::0:0::/:/bin/sh'; } >"$work/root/etc/passwd"
bad "-u the tail of a long /etc/passwd line" \
	"^carapace: --user: ghost: no such user in the container's /etc/passwd\$" \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/root" -u ghost id -u
bad "-u a user whose gid is no number" \
	"^carapace: --user: badgid: the container's /etc/passwd gives a bad gid: 'staff'\$" \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/root" -u badgid id -u
bad "-u ''" "^carapace: --user: : no such user in the container's /etc/passwd\$" \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/root" -u '' id -u
run timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/root" -u 1000 id -u
is "$RC:$OUT" 0:1000 "-u 1000 with that /etc/passwd: the long line is app's, whole"
bad "-u 4294967296" "^carapace: --user: 4294967296: no such user in the container's /etc/passwd\$" \
	timeout 10 "$C" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$work/root" -u 4294967296 id -u

# Sizes and CPU counts: digits, nothing before them, a floor under memory.
bad "--memory 1" "^carapace: --memory: at least 6m: '1'\$" cara --memory 1 true
bad "--memory 1k" "^carapace: --memory: at least 6m: '1k'\$" cara --memory 1k true
bad "--memory ' 5m'" "^carapace: --memory: not a size \(bytes, or with k, m or g\): ' 5m'\$" \
	cara --memory ' 5m' true
bad "--memory +8m" "^carapace: --memory: not a size" cara --memory +8m true
bad "--cpus ' 1'" "^carapace: --cpus: not a number from 0.001 to 1024: ' 1'\$" cara --cpus ' 1' true
bad "--cpus 1e0" "^carapace: --cpus: not a number from 0.001 to 1024: '1e0'\$" cara --cpus 1e0 true
bad "--pids 0" "^carapace: --pids: must be from 1 to 4194304, or unlimited: '0'\$" cara --pids 0 true
bad "--cpuset-cpus ," "^carapace: --cpuset-cpus: not a CPU list like 0-2,4: ','\$" cara --cpuset-cpus , true
bad "--cpuset-cpus 0,,1" "^carapace: --cpuset-cpus: not a CPU list" cara --cpuset-cpus 0,,1 true
bad "--cpuset-cpus 1-0" "^carapace: --cpuset-cpus: not a CPU list" cara --cpuset-cpus 1-0 true
cpus=$(nproc --all)
bad "--cpuset-cpus $((cpus + 5)) on $cpus CPUs" \
	"^carapace: --cpuset-cpus: CPU $((cpus + 5)) is not one carapace may run on \($(nproc) online\): '$((cpus + 5))'\$" \
	cara --cpuset-cpus $((cpus + 5)) true
# A newline in the input stays in the one line, written out.
bad "a newline in an option's value" "^carapace: --env: expected NAME=VALUE: '=x\\\\ny'\$" \
	cara --env $'=x\ny' true
bad "a newline in -u, reported from the container" \
	"^carapace: --user: a\\\\nb: no such user in the container's /etc/passwd\$" cara -u $'a\nb' true
no_leaks "bad files and values: nothing left behind"

# --- the command line as a whole
bad "no arguments" '^carapace: no command given \(see carapace --help\)$' "$C"
bad "unknown command" '^carapace: unknown command: frob' "$C" frob
bad "unknown option before the command" '^carapace: unknown option: --frob' "$C" --frob

# --- user namespace maps
R=(run -r "$ROOTFS")
bad "--uidmap without COUNT" "^carapace: --uidmap: expected IN:OUT:COUNT: '0:100000'\$" \
	"$C" "${R[@]}" --uidmap 0:100000 true
bad "--uidmap with a name" "^carapace: --gidmap: expected IN:OUT:COUNT: 'a:b:c'\$" \
	"$C" "${R[@]}" --gidmap a:b:c true
bad "--uidmap with a sign" "expected IN:OUT:COUNT: '0:-1:10'" "$C" "${R[@]}" --uidmap 0:-1:10 true
bad "--uidmap of nothing" "^carapace: --uidmap: an empty range, or one past 4294967294: '0:100000:0'\$" \
	"$C" "${R[@]}" --uidmap 0:100000:0 true
bad "--uidmap past the last id" "one past 4294967294" "$C" "${R[@]}" --uidmap 0:4294967290:10 true
bad "--uidmap ranges that overlap" "^carapace: --uidmap: '5:200000:10' overlaps an earlier range\$" \
	"$C" "${R[@]}" --uidmap 0:100000:10 --uidmap 5:200000:10 true
bad "--uidmap onto the same host ids twice" "overlaps an earlier range" \
	"$C" "${R[@]}" --uidmap 0:100000:10 --uidmap 10:100005:10 true
bad "--uidmap without the container's root" '^carapace: --uidmap: maps no uid 0, the container.s root$' \
	"$C" "${R[@]}" --uidmap 1:100000:10 true
bad "--gidmap without the container's root" '^carapace: --gidmap: maps no gid 0, the container.s root$' \
	"$C" "${R[@]}" --uidmap 0:100000:10 --gidmap 1:100000:10 true
if ! grep -qs '^\(root\|0\):' /etc/subuid; then
	bad "--userns as root, without maps or ranges" \
		'^carapace: --userns: give --uidmap, or give root a range in /etc/subuid$' \
		"$C" "${R[@]}" --userns true
else
	for i in 1 2 3 4; do skip "root has a range in /etc/subuid"; done
fi

# --- an ordinary user (the rootless tests are in t/500-userns.t)
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null &&
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$C"; then
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$C" run --help
	is "$RC" 0 "not root: run --help works"
else
	skip "setpriv can't run $C as nobody"
fi

no_leaks "after every bad input: nothing left behind"

# --- help and version
run "$C" --help
is "$RC" 0 "carapace --help exits 0"
like "$OUT" '^Usage: carapace ' "carapace --help prints usage on stdout"
like "$OUT" '^ +run ' "carapace --help lists run"
is "$ERR" "" "carapace --help prints nothing on stderr"
run "$C" -h
is "$RC:$(printf '%s\n' "$OUT" | head -n 1)" "0:Usage: carapace [OPTIONS] COMMAND [OPTIONS] ..." "carapace -h is --help"
run "$C" run --help
is "$RC" 0 "carapace run --help exits 0"
like "$OUT" '^Usage: carapace run ' "carapace run --help prints run's usage"
for opt in '-r, --rootfs DIR' '-e, --env NAME=VALUE' '-w, --workdir DIR' '--hostname NAME' \
	'--no-pivot' '--stop-timeout' '--preserve-fds'; do
	like "$OUT" "^ +$opt " "carapace run --help lists $opt"
done
run "$C" run -r /nonexistent -h
is "$RC" 0 "run -h after other options exits 0, before any check"
run "$C" -V
is "$RC" 0 "carapace -V exits 0"
like "$OUT" '^carapace [0-9]+\.[0-9]+\.[0-9]+$' "carapace -V prints the version"
run "$C" --version
is "$RC:$OUT" "0:$("$C" -V)" "--version is -V"

done_testing
