#!/bin/bash
# t/062-docker-habits.t: what docker users type. -i and --rm are taken (stdin
# is passed on and nothing is left behind anyway), --env-file reads docker's
# format, and docker's options that carapace lacks (--entrypoint above all)
# say what carapace offers instead, in one line and exit 125.
. "$(dirname "$0")/tap.sh"
need_root
need_binary
need_rootfs

snapshot_host
S=$TMPDIR/state
mkdir -m 0700 "$S"
cleanup() {
	local n
	for n in $(ls "$S" 2>/dev/null); do "$CARAPACE" --root "$S" rm -f "$n" >/dev/null 2>&1; done
}
trap cleanup EXIT
cr() { "$CARAPACE" --root "$S" "$@"; }
box() { cr run -q -r "$ROOTFS" --cgroup-parent "$TEST_CGROUP_PARENT" "$@"; }

# bad DESC ERE CMD...: CMD exits 125 with one line `carapace: ...` matching ERE.
bad() {
	local desc=$1 ere=$2; shift 2
	run "$@"
	is "$RC" 125 "$desc: exit 125"
	is "$(printf '%s\n' "$ERR" | wc -l)" 1 "$desc: one line"
	like "$ERR" "$ere" "$desc: says what carapace offers instead"
}

# --- -i and --rm: taken, and they change nothing
printf 'from stdin\n' >"$TMPDIR/in"
run_in "$TMPDIR/in" box -i cat
is "$RC:$OUT" "0:from stdin" "-i: stdin reaches the workload"
run_in "$TMPDIR/in" box --interactive --rm cat
is "$RC:$OUT" "0:from stdin" "--interactive --rm: the same"
run_in "$TMPDIR/in" box -it --rm -T cat
is "$RC:$OUT" "0:from stdin" "-it then -T: the same, without a pty"
run box --rm sh -c 'exit 3'
is "$RC" 3 "--rm: the workload's status comes back"
is "$(ls -A "$S")" "" "--rm: nothing left in the state root"
run "$CARAPACE" run --help
like "$OUT" '^ +-i, --interactive +taken for docker.s sake: stdin is always passed on' "--help says what -i does"
like "$OUT" "^ +--rm +taken for docker.s sake" "--help says what --rm does"
no_leaks "-i and --rm"

# --- --env-file: docker's format
printf '%s\n' '# a comment' '' '  A=1' 'B= two words ' 'C="quoted"' 'FROM_HOST' 'UNSET_ON_HOST' \
	'D=from file' >"$TMPDIR/env"
printf 'E=crlf\r\n' >>"$TMPDIR/env"
run env -u UNSET_ON_HOST FROM_HOST=host-value "$CARAPACE" --root "$S" run -q -r "$ROOTFS" \
	--cgroup-parent "$TEST_CGROUP_PARENT" --env-file "$TMPDIR/env" -e D=from-e \
	sh -c 'echo "[$A][$B][$C][$FROM_HOST][${UNSET_ON_HOST-unset}][$D][$E]"'
is "$RC:$OUT" '0:[1][ two words ]["quoted"][host-value][unset][from-e][crlf]' \
	"--env-file: values as written (quotes too), a bare NAME from the host, a later -e wins"
printf 'D=second\n' >"$TMPDIR/env2"
run box -e D=from-e --env-file "$TMPDIR/env" --env-file "$TMPDIR/env2" sh -c 'echo "$D $A"'
is "$RC:$OUT" "0:second 1" "--env-file twice, after -e: the last one given wins"
bad "--env-file missing" "^carapace: --env-file: $TMPDIR/nope: No such file or directory\$" \
	box --env-file "$TMPDIR/nope" true
printf 'A B=1\n' >"$TMPDIR/env-space"
bad "--env-file with a space in a name" \
	"^carapace: --env-file: $TMPDIR/env-space: line 1: expected NAME=VALUE or NAME: 'A B=1'\$" \
	box --env-file "$TMPDIR/env-space" true
printf 'A=1\n=2\n' >"$TMPDIR/env-noname"
bad "--env-file with no name" "line 2: expected NAME=VALUE or NAME: '=2'\$" \
	box --env-file "$TMPDIR/env-noname" true
bad "--env-file of a folder" "^carapace: --env-file: $TMPDIR: not a regular file\$" \
	box --env-file "$TMPDIR" true

# exec into a run -d container sees the variables as run read them, from a
# relative path, even once the file changed.
(cd "$TMPDIR" && exec "$CARAPACE" --root "$S" run -q -d -r "$ROOTFS" --cgroup-parent \
	"$TEST_CGROUP_PARENT" --name envd --env-file env2 sleep 1000 >/dev/null)
printf 'D=changed\n' >"$TMPDIR/env2"
run cr exec envd sh -c 'echo "$D"'
is "$RC:$OUT" "0:second" "exec into a run -d --env-file container: run's values"
cr rm -f envd >/dev/null 2>&1
is "$(ls -A "$S")" "" "run -d --env-file: nothing left after rm -f"
no_leaks "--env-file"

# --- docker's options that carapace lacks: what it offers instead
bad "--entrypoint" "^carapace: run: unknown option: --entrypoint: carapace has no image config" \
	box --entrypoint /bin/sh true
bad "--entrypoint=VALUE" "^carapace: run: unknown option: --entrypoint: .*give the whole command after the options\$" \
	box --entrypoint=/bin/sh true
bad "--restart" "^carapace: run: unknown option: --restart: carapace restarts nothing" \
	box --restart always true
bad "-m" "^carapace: run: unknown option: -m: use --memory SIZE\$" box -m 64m true
bad "-P" "^carapace: run: unknown option: -P: publish each port: -p HOST:CONTAINER\$" box -P true
bad "--shm-size" "use --tmpfs /dev/shm:size=SIZE\$" box --shm-size 1g true
bad "--pull" "carapace pulls no images: -r takes a folder or a tarball\$" box --pull always true
bad "--dns" "bind your own with -v FILE:/etc/resolv.conf\$" box --dns 1.1.1.1 true
bad "an unknown option docker lacks too" "^carapace: run: unknown option: --frobnicate\$" \
	box --frobnicate true
# What the hints offer works.
printf 'nameserver 192.0.2.53\n' >"$TMPDIR/resolv"
run box -v "$TMPDIR/resolv:/etc/resolv.conf" cat /etc/resolv.conf
is "$RC:$OUT" "0:nameserver 192.0.2.53" "the --dns hint: a bound resolv.conf is the container's"
run box --tmpfs /dev/shm:size=1m sh -c "df -k /dev/shm | awk 'NR == 2 { print \$2 }'"
is "$RC:$OUT" "0:1024" "the --shm-size hint: --tmpfs /dev/shm:size=1m"
no_leaks "docker's options"

done_testing
