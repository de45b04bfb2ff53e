#!/bin/bash
# t/015-ipc-exit.t: the launcher and init's message layer (src/ipc.c) and
# the exit path (src/util.c), built alone with t/ipc-exit.c and checked
# directly: typed messages arrive whole or not at all, and a forked child
# that fails never runs the launcher's clean-up (see t/ipc-exit.c for why
# no run of carapace can show that).
. "$(dirname "$0")/tap.sh"
command -v musl-gcc >/dev/null || skip_all "no musl-gcc to build t/ipc-exit.c"
[ -e "$TOP/build/include/.stamp" ] || skip_all "no build/include: run make"

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
musl-gcc -static -O2 -std=gnu11 -Wall -Wextra -Werror -isystem "$TOP/build/include" \
	-o "$work/ipc-exit" "$TOP/t/ipc-exit.c" "$TOP/src/util.c" "$TOP/src/ipc.c" ||
	{ echo "Bail out! t/ipc-exit.c does not build"; exit 1; }
"$work/ipc-exit"
