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
	run "$CARAPACE" run -q $opts -e "DB_PASSWORD=$secret" -w / -r "$ROOTFS" sh -c "$cmdline_probe"
	is "$OUT" "$(printf 'carapace|init|\n0')" "${opts:-root}: /proc/1/cmdline is exactly carapace\\0init\\0, no -e value nor host path"
done
run cara sh -c 'cat /proc/1/environ'
like "$RC $ERR" "^1 .*Permission denied" "/proc/1/environ stays shut to root in the container"
# The launcher's own command line, on the host, is untouched.
"$CARAPACE" run -q -e "DB_PASSWORD=$secret" -r "$ROOTFS" sleep 30 </dev/null &
launcher=$!
for ((i = 0; i < 200; i++)); do
	init=$(pgrep -P "$launcher" | head -n 1)
	[ -n "$init" ] && [ "$(tr '\0' '|' <"/proc/$init/cmdline")" = "carapace|init|" ] && break
	sleep 0.05
done
like "$(tr '\0' ' ' <"/proc/$launcher/cmdline")" "DB_PASSWORD=$secret" "on the host, the launcher's cmdline is as it was given"
is "$(tr '\0' '|' <"/proc/$init/cmdline" 2>/dev/null)" "carapace|init|" "... and its init's reads carapace init there too"
kill "$launcher"; wait "$launcher" 2>/dev/null

no_leaks "no process, mount or cgroup left behind"
done_testing
