#!/bin/bash
# t/340-proc1-exe.t: what the container sees of PID 1 and of the host's
# carapace binary. /proc/1/cmdline reads "carapace init", never the
# launcher's argv (-e values, host paths). No process in the container can
# execute the host binary (a "#!/proc/self/exe" script) or open it for
# writing, through /proc/self/exe, /proc/1/exe or a given fd, even with
# --cap-add SYS_PTRACE; its bytes stay as they were.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
chmod 755 "$work"
snapshot_host
sum_before=$(sha256sum <"$CARAPACE")
secret=s3cr3t-$$-value

# --- item 7: /proc/1/cmdline, as root and as nobody, with and without a
# user namespace. od shows the NULs; tr makes them visible to `is`.
cmdline_probe='tr "\0" "|" </proc/1/cmdline; echo; grep -c -e '"$secret"' -e '"$TOP"' /proc/1/cmdline'
for opts in "" "-u nobody" "--userns --uidmap 0:100000:65536" "--userns --uidmap 0:100000:65536 -u nobody"; do
	# shellcheck disable=SC2086
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q $opts -e "DB_PASSWORD=$secret" -w / -r "$ROOTFS" sh -c "$cmdline_probe"
	is "$OUT" "$(printf 'carapace|init|\n0')" "${opts:-root}: /proc/1/cmdline is exactly carapace\\0init\\0, no -e value nor host path"
done
run cara sh -c 'cat /proc/1/environ'
like "$RC $ERR" "^1 .*Permission denied" "/proc/1/environ stays shut to root in the container"
run cara --cap-add SYS_PTRACE sh -c 'cat /proc/1/environ'
like "$RC $ERR" "^1 .*Permission denied" "... even with --cap-add SYS_PTRACE"
# With CAP_SYS_ADMIN some kernels (6.18) open it anyway: what it shows of
# the host's environment (the caller's, an engine's) is zeroed, while the
# process still gets -e NAME's host value.
if asan_build; then
	skip_sealed_copy 1 "--cap-add SYS_ADMIN"
else
	run env "HOST_SECRET=$secret" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q \
		--cap-add SYS_ADMIN -e HOST_SECRET -r "$ROOTFS" \
		sh -c 'tr -d "\0" </proc/1/environ 2>/dev/null | grep -c "$HOST_SECRET"; echo "$HOST_SECRET"'
	is "$OUT" "$(printf '0\n%s' "$secret")" "--cap-add SYS_ADMIN: no host variable in /proc/1/environ, -e NAME still passed"
fi
# The launcher's own command line, on the host, is untouched.
"$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -e "DB_PASSWORD=$secret" -r "$ROOTFS" sleep 30 </dev/null &
launcher=$!
for ((i = 0; i < 200; i++)); do
	init=$(pgrep -P "$launcher" | head -n 1)
	[ -n "$init" ] && [ "$(tr '\0' '|' <"/proc/$init/cmdline")" = "carapace|init|" ] && break
	sleep 0.05
done
like "$(tr '\0' ' ' <"/proc/$launcher/cmdline")" "DB_PASSWORD=$secret" "on the host, the launcher's cmdline is as it was given"
is "$(tr '\0' '|' <"/proc/$init/cmdline" 2>/dev/null)" "carapace|init|" "... and its init's reads carapace init there too"
kill "$launcher"; wait "$launcher" 2>/dev/null

# --- item 8: the host's carapace binary. A private rootfs holds the
# "#!/proc/self/exe" script and a static ptrace helper.
cp -a -- "$ROOTFS" "$work/rootfs"
printf '#!/proc/self/exe\necho the host binary ran this\n' >"$work/rootfs/bin/x"
chmod 755 "$work/rootfs/bin/x"
have_ptrace=
if command -v musl-gcc >/dev/null &&
	musl-gcc -static -O2 -o "$work/rootfs/bin/ptrace-attach" "$TOP/t/ptrace-attach.c"; then
	have_ptrace=1
fi
nosys=
if [ "$(uname -m)" = x86_64 ] && cc -O2 -Wall -Werror -o "$work/nosys-landlock" "$TOP/t/nosys-landlock.c"; then
	nosys=$work/nosys-landlock
fi
# Every process in the container: its exe can't be opened for writing; init's
# can't be opened at all (so not executed), nor run, nor ptraced.
probe='for p in /proc/[0-9]*; do ( : >>"$p/exe" ) 2>/dev/null && echo "wrote $p/exe"; done
( : >>/proc/self/exe ) 2>/dev/null && echo "wrote /proc/self/exe"
( exec 3</proc/1/exe ) 2>/dev/null && echo "opened /proc/1/exe"
/proc/1/exe --version 2>/dev/null && echo "ran /proc/1/exe"
if [ -x /bin/ptrace-attach ]; then ptrace-attach 1 2>/dev/null && echo "ptraced init"; fi
echo probed'

# guarded NAME CMD...: the script, then the probe, through CMD (a carapace run).
guarded() {
	local name=$1; shift
	run "$@" -r "$work/rootfs" /bin/x
	is "$RC" 126 "$name: a #!/proc/self/exe script can't run the host binary (126)"
	like "$ERR" '^carapace: (exec: /bin/x: Permission denied|refusing to run carapace again in the container)' \
		"$name: ... with a clear message"
	unlike "$OUT" 'ran this' "$name: ... and its body never runs"
	run "$@" -r "$work/rootfs" sh -c "$probe"
	is "$OUT" probed "$name: no /proc/N/exe opens for writing, /proc/1/exe neither opens, runs nor ptraces"
}
guarded "root" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q
guarded "-u nobody" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -u nobody
guarded "--cap-add SYS_PTRACE" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --cap-add SYS_PTRACE
guarded "--userns --cap-add SYS_PTRACE" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --userns --uidmap 0:100000:65536 --cap-add SYS_PTRACE
# The sealed copy is carapace itself, run in the container: the ASan build
# needs glibc and libasan there, which the rootfs doesn't have.
if asan_build; then
	for i in 1 2 3 4 5; do skip "the sealed copy: the ASan build can't run in the rootfs"; done
else
	guarded "--cap-add SYS_ADMIN (the sealed copy)" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --cap-add SYS_ADMIN
	run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" --verbose --cap-add SYS_ADMIN -r "$ROOTFS" true
	like "$ERR" 'exec: through a sealed copy of carapace' "--cap-add SYS_ADMIN: the exec goes through the sealed copy"
fi
run "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" --verbose -r "$ROOTFS" true
like "$ERR" 'exec: Landlock keeps' "by default, Landlock guards the host binary"
run cara --cap-add SYS_ADMIN --cap-add SYS_PTRACE true
is "$RC:$ERR" "125:carapace: --cap-add SYS_PTRACE: would reach init and the host's carapace binary with CAP_SYS_ADMIN" \
	"--cap-add SYS_ADMIN with SYS_PTRACE, no user namespace: refused"
if [ -n "$nosys" ] && asan_build; then
	skip "no Landlock: the sealed copy: the ASan build can't run in the rootfs"
elif [ -n "$nosys" ]; then
	guarded "no Landlock (the sealed copy)" "$nosys" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q
	run "$nosys" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" --verbose -r "$ROOTFS" true
	like "$ERR" 'exec: through a sealed copy of carapace' "no Landlock: the exec goes through the sealed copy"
	run "$nosys" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" sh -c 'exit 3'
	is "$RC" 3 "no Landlock: the command's exit status is kept"
	run "$nosys" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q -r "$ROOTFS" nosuch
	is "$RC:$ERR" "127:carapace: exec: nosuch: No such file or directory" "no Landlock: a missing command is 127, as before"
	run "$nosys" "$CARAPACE" run --cgroup-parent "$TEST_CGROUP_PARENT" -q --cap-add SYS_PTRACE -r "$ROOTFS" true
	like "$RC:$ERR" "^125:carapace: --cap-add SYS_PTRACE: would reach init .* without Landlock" \
		"no Landlock: --cap-add SYS_PTRACE without a user namespace is refused"
else
	skip "no x86_64 or no cc: the fallback without Landlock"
fi

# A given fd: the host binary itself, read-only, can't be run through
# /proc/self/fd/3 nor written. A host file that no process runs (what the
# binary would be without ETXTBSY) can't be reopened for writing either.
run cara --preserve-fds 1 sh -c '/proc/self/fd/3 --version; : >>/proc/self/fd/3' 3<"$CARAPACE"
unlike "$OUT" '^carapace ' "the host binary, given read-only as fd 3, doesn't run through /proc/self/fd/3"
like "$ERR" '/proc/self/fd/3: (Permission denied|Text file busy)' "... nor opens for writing"
echo original >"$work/hostfile"
run cara --preserve-fds 1 sh -c 'echo evil >/proc/self/fd/3' 3<"$work/hostfile"
like "$RC $ERR" '^[1-9].*Permission denied' "a host file given read-only can't be reopened for writing"
is "$(cat "$work/hostfile")" original "... and it is unchanged"
is "$(sha256sum <"$CARAPACE")" "$sum_before" "the host's carapace binary is unchanged"

# What still works: a host file or terminal given as stdout or a preserved
# fd, reopened for writing; a preserved directory; the rootfs's programs.
cara sh -c 'echo out >/dev/stdout; echo err >/dev/stderr' >"$work/out" 2>"$work/err"
is "$(cat "$work/out") $(cat "$work/err")" "out err" "echo >/dev/stdout and >/dev/stderr reach host files"
mkdir "$work/given"
run cara --preserve-fds 2 sh -c 'echo w >/proc/self/fd/3 && echo d >/proc/self/fd/4/new && echo ok' \
	3>"$work/given/w" 4<"$work/given"
is "$RC $OUT $(cat "$work/given/w" "$work/given/new" 2>/dev/null | tr '\n' ' ')" "0 ok w d " \
	"a preserved writable file and a preserved directory are writable through /proc/self/fd"

no_leaks "no process, mount or cgroup left behind"
done_testing
