#!/bin/bash
# t/630-oci-hooks.t: config.json's hooks with carapace run --bundle: each
# kind runs at its moment, in order, with the state on its stdin; prestart
# sees the container's namespaces; a failing or hanging hook before the
# start stops the container (125, nothing left), after it is a warning;
# poststop runs once the container is gone.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
b=$TMPDIR/bundle
log=$TMPDIR/log
oci_bundle "$b"

# A host hook: keeps its state, notes its kind, what it sees of the pid.
hook=$TMPDIR/hook
cat >"$hook" <<-'SH'
#!/bin/sh
kind=$1 log=$2
cat >"$log.$kind"
state=$log.$kind
[ "$kind" = poststop ] && state=$log.prestart	# it has no pid: is prestart's gone?
pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$state")
echo "$kind $(readlink /proc/self/ns/mnt) ${pid:+$(readlink /proc/$pid/ns/net)} $(kill -0 "${pid:-0}" 2>/dev/null && echo alive || echo gone)" >>"$log"
echo "hook $kind"
SH
chmod 755 "$hook"
host_hooks() {	# KIND...: config.json's hooks of each KIND, the host hook
	for k in "$@"; do
		printf 'c.setdefault("hooks", {})["%s"] = [{"path": "%s", "args": ["hook", "%s", "%s"]}]\n' \
			"$k" "$hook" "$k" "$log"
	done
}

oci_patch "$b" "$(host_hooks prestart createRuntime createContainer poststart poststop)
c[\"hooks\"][\"startContainer\"] = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"cat >/dev/null; echo hook startContainer \$(hostname)\"]}]
c[\"process\"][\"args\"] = [\"sh\", \"-c\", \"echo workload; exit 3\"]
c[\"annotations\"] = {\"org.example.k\": \"v\"}"
oci_run "$b"
is "$RC" 3 "with hooks, the workload runs and its exit code comes through"
is "$OUT" "workload" "the workload's output is its own"
is "$(grep -v startContainer <<<"$ERR")" "$(printf 'hook prestart\nhook createRuntime\nhook createContainer\nhook poststart\nhook poststop')" \
	"the host's hooks run in order, their stdout on carapace's stderr"
like "$ERR" "hook startContainer oci" "startContainer runs inside the container (its hostname, its /bin/sh)"
host_mnt=$(readlink /proc/self/ns/mnt) host_net=$(readlink /proc/self/ns/net)
run awk '{ print $1 }' "$log"
is "$(echo $OUT)" "prestart createRuntime createContainer poststart poststop" "each hook once, in order"
read -r _ pre_mnt pre_net pre_alive <<<"$(grep ^prestart "$log")"
is "$pre_mnt" "$host_mnt" "prestart runs in the host's mount namespace"
ok "prestart: /proc/PID/ns/net is the container's, not the host's" test -n "$pre_net" -a "$pre_net" != "$host_net"
is "$pre_alive" alive "prestart: the container's pid is alive"
read -r _ cc_mnt _ _ <<<"$(grep ^createContainer "$log")"
ok "createContainer runs in the container's mount namespace" test -n "$cc_mnt" -a "$cc_mnt" != "$host_mnt"
is "$(grep ^poststop "$log" | awk '{ print $NF }')" gone "poststop runs after the container ended"
states=$(python3 - "$log" "$b" <<-'PY'
import json, sys
log, bundle = sys.argv[1], sys.argv[2]
s = {k: json.load(open(log + "." + k)) for k in
     ["prestart", "createRuntime", "createContainer", "poststart", "poststop"]}
print(*[s[k]["status"] for k in s])
print(all(v["bundle"] == bundle and v["id"] and v["ociVersion"] and
          v["annotations"] == {"org.example.k": "v"} for v in s.values()))
print(s["prestart"]["pid"] == s["createRuntime"]["pid"] == s["createContainer"]["pid"]
      == s["poststart"]["pid"] > 1, "pid" in s["poststop"])
PY
)
is "$states" "creating creating creating running stopped
True
True False" "the states: creating, running, stopped; the bundle, the id, the annotations; one host pid, none once stopped"

# A failing hook before the start: 125, the container never starts, nothing left.
for k in prestart createRuntime createContainer startContainer; do
	oci_bundle "$b"
	oci_patch "$b" "c[\"hooks\"] = {\"$k\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"exit 4\"]}]}
c[\"process\"][\"args\"] = [\"sh\", \"-c\", \"echo workload\"]"
	oci_run "$b"
	is "$RC:$OUT:$ERR" "125::carapace: hook $k /bin/sh: exited with 4" "a failing $k hook: 125, one line, no workload"
done
no_leaks

# After the start: a warning, and the workload's status.
for k in poststart poststop; do
	oci_bundle "$b"
	oci_patch "$b" "c[\"hooks\"] = {\"$k\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"kill -9 \$\$\"]}]}
c[\"process\"][\"args\"] = [\"sh\", \"-c\", \"exit 5\"]"
	run "$CARAPACE" run --bundle "$b"
	is "$RC:$ERR" "5:carapace: warning: hook $k /bin/sh: killed by signal 9" "a failing $k hook: a warning, the workload's status"
done

# A hook that hangs past its timeout is killed, with what it started.
oci_bundle "$b"
oci_patch "$b" "c[\"hooks\"] = {\"createRuntime\": [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"sleep 6301; :\"], \"timeout\": 1}]}"
oci_run "$b"
is "$RC:$ERR" "125:carapace: hook createRuntime /bin/sh: timed out after 1 s, killed" "a hanging hook: killed at its timeout, 125"
ok "its child is gone too" test -z "$(pgrep -f 'sleep 6301')"

no_leaks
done_testing
