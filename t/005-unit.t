#!/bin/bash
# t/005-unit.t: the parsers alone (tar, seccomp profiles, sizes, CPUs,
# ulimits, passwd and group files) and validate_spec: t/unit.c, linked with the modules and
# built here by the Makefile, prints its own TAP. With the ASan build as
# $CARAPACE, the ASan build of it (make check-asan).
. "$(dirname "$0")/tap.sh"

unit=$TOP/build/unit/unit
case $CARAPACE in "$TOP"/build/asan/*) unit=$TOP/build/asan/unit ;; esac
make -s -C "$TOP" "${unit#"$TOP"/}" >&2 || { echo "Bail out! make ${unit#"$TOP"/} failed"; exit 1; }
"$unit"
