#!/bin/bash
# t/007-syscall-tables.t: the system call tables src/gen-syscalls.sh makes
# for src/seccomp.c, for x86-64 and for arm64 (cross: on any host), against
# the kernel's headers as another compiler reads them (glibc's gcc, whose
# arm64 cross headers are a copy of their own in /usr/aarch64-linux-gnu),
# and against numbers known from the kernel's ABI, which never change. An
# architecture whose compilers are missing is skipped.
. "$(dirname "$0")/tap.sh"

work=$(mktemp -d)
trap 'rm -rf -- "$work"' EXIT
gen=$TOP/src/gen-syscalls.sh

# rows TABLE: "name number" per line, in the table's order.
rows() { sed -n 's/^\tX(\([0-9]*\), \([a-z0-9_]*\)) \\$/\2 \1/p' "$1"; }

# check_arch ARCH GEN_CC CHECK_CC ASM_DIR KNOWN ABSENT LATER_OK
check_arch() {
	local arch=$1 gen_cc=$2 check_cc=$3 asm=$4 known=$5 absent=$6 later_ok=$7
	local inc=$work/$arch/include table=$work/$arch/syscall-table.h

	if ! command -v "$gen_cc" >/dev/null || ! command -v "$check_cc" >/dev/null ||
		[ ! -d "$asm" ]; then
		for _ in 1 2 3 4 5 6 7 8; do skip "$arch: no $gen_cc, $check_cc or $asm"; done
		return
	fi
	# The build's include folder: the kernel's headers, asm/ the arch's.
	mkdir -p "$inc"
	ln -s /usr/include/linux /usr/include/asm-generic "$inc/"
	ln -s "$asm" "$inc/asm"
	sh "$gen" "$gen_cc" -isystem "$inc" >"$table" 2>"$work/err"
	is "$?:$(cat "$work/err")" 0: "$arch: src/gen-syscalls.sh $gen_cc writes a table"
	like "$(head -3 "$table")" "SYSCALL_ARCH_$arch 1" "$arch: the table says its architecture"
	rows "$table" >"$work/$arch/rows"
	local n
	n=$(wc -l <"$work/$arch/rows")
	is "$(grep -c "^#define SYSCALL_COUNT $n\$" "$table")" 1 \
		"$arch: SYSCALL_COUNT is its $n rows"
	ok "$arch: sorted by name, byte by byte, no name twice" \
		env LC_ALL=C sort -c -u -k1,1 "$work/$arch/rows"

	# Its _Static_asserts, compiled by the other compiler with its headers.
	printf '#include <asm/unistd.h>\n#include "%s"\nint x;\n' "$table" >"$work/$arch/check.c"
	ok "$arch: $check_cc, its own headers: each __NR_ is the table's number" \
		"$check_cc" -fsyntax-only -Werror "$work/$arch/check.c"
	# Each name that header numbers is in the table; each other one is a
	# later call, which that header predates.
	printf '#include <asm/unistd.h>\n' | "$check_cc" -E -dM -x c - |
		awk '$1 == "#define" && $2 ~ /^__NR_/ && $2 != "__NR_syscalls" &&
			$2 != "__NR_arch_specific_syscall" { print substr($2, 6) }' |
		LC_ALL=C sort >"$work/$arch/header-names"
	is "$(cut -d' ' -f1 "$work/$arch/rows" | LC_ALL=C comm -13 - "$work/$arch/header-names")" "" \
		"$arch: every name the header has is in the table"
	is "$(cut -d' ' -f1 "$work/$arch/rows" | LC_ALL=C comm -23 - "$work/$arch/header-names" |
		grep -vxE "$later_ok")" "" "$arch: the table's other names are later calls"

	# Numbers from the ABI itself, and names the architecture lacks.
	local got want=
	got=$(for w in $known $absent; do
		awk -v n="${w%%=*}" '$1 == n { print n "=" $2; f = 1 } END { if (!f) print n "=none" }' \
			"$work/$arch/rows"
	done | tr '\n' ' ')
	for w in $known; do want+="$w "; done
	for w in $absent; do want+="$w=none "; done
	is "$got" "$want" "$arch: known numbers, and the calls it lacks"
}

later='cachestat|fchmodat2|map_shadow_stack|futex_wake|futex_wait|futex_requeue|statmount|listmount|lsm_get_self_attr|lsm_set_self_attr|lsm_list_modules|mseal|uretprobe|setxattrat|getxattrat|listxattrat|removexattrat|open_tree_attr|file_getattr|file_setattr'

check_arch x86_64 musl-gcc x86_64-linux-gnu-gcc /usr/include/x86_64-linux-gnu/asm \
	"read=0 write=1 open=2 close=3 clone=56 fork=57 execve=59 exit=60 socket=41
	 personality=135 arch_prctl=158 exit_group=231 openat=257 uretprobe=335 clone3=435
	 io_uring_setup=425 cachestat=451 open_tree_attr=467 file_setattr=469" \
	"set_tls cacheflush sync_file_range2" "$later"

# arm64: the musl wrapper of Debian's cross gcc makes it, as make ARCH=aarch64.
check_arch aarch64 aarch64-linux-musl-gcc aarch64-linux-gnu-gcc /usr/include/aarch64-linux-gnu/asm \
	"io_setup=0 fcntl=25 openat=56 close=57 read=63 write=64 newfstatat=79 exit=93
	 exit_group=94 personality=92 socket=198 clone=220 execve=221 mmap=222
	 renameat=38 io_uring_setup=425 clone3=435 cachestat=451 open_tree_attr=467 file_setattr=469" \
	"open fork vfork arch_prctl uretprobe stat pipe dup2" "$later"

# SYSCALL_ELSEWHERE: the names only the other architecture has.
elsewhere() { sed -n 's/^#define SYSCALL_ELSEWHERE "\(.*\)"$/\1/p' "$work/$1/syscall-table.h" | tr ' ' '\n' | sed '/^$/d'; }
if [ -s "$work/x86_64/rows" ] && [ -s "$work/aarch64/rows" ]; then
	cut -d' ' -f1 "$work/x86_64/rows" >"$work/x86_64/names"
	cut -d' ' -f1 "$work/aarch64/rows" >"$work/aarch64/names"
	is "$(elsewhere aarch64 | tr '\n' ' ')" \
		"$(LC_ALL=C comm -23 "$work/x86_64/names" "$work/aarch64/names" | tr '\n' ' ')" \
		"aarch64: SYSCALL_ELSEWHERE is what x86-64 has and arm64 lacks"
	is "$(elsewhere x86_64 | tr '\n' ' ')" \
		"$(LC_ALL=C comm -13 "$work/x86_64/names" "$work/aarch64/names" | tr '\n' ' ')" \
		"x86_64: SYSCALL_ELSEWHERE is what arm64 has and x86-64 lacks (nothing)"
else
	skip "SYSCALL_ELSEWHERE: needs both tables"
	skip "SYSCALL_ELSEWHERE: needs both tables"
fi

# --- what the generator refuses: a compiler stand-in says what "header" it read.
fake_cc() {
	printf '#!/bin/sh\ncat <<"EOF"\n%s\nEOF\n' "$1" >"$work/cc"
	chmod +x "$work/cc"
}
fake_cc '#define __x86_64__ 1
#define __NR_read 0
#define __NR_cachestat 999'
run sh "$gen" "$work/cc"
is "$RC" 1 "a header that numbers a later call otherwise: refused"
like "$ERR" "cachestat is 999 in the header, not 451" "... saying which"
fake_cc '#define __x86_64__ 1
#define __NR_read (__NR_SYSCALL_BASE + 3)'
run sh "$gen" "$work/cc"
is "$RC" 1 "a number that isn't one: refused"
like "$ERR" "__NR_read is \(__NR_SYSCALL_BASE" "... saying which"
fake_cc '#define __riscv 1
#define __NR_read 63'
run sh "$gen" "$work/cc"
is "$RC" 1 "an architecture with no table: refused"
fake_cc '#define __aarch64__ 1
#define __NR3264_fcntl 25
#define __NR_fcntl __NR3264_fcntl
#define __NR_syscalls 470'
run sh "$gen" "$work/cc"
like "$OUT" "X\(25, fcntl\)" "asm-generic's __NR3264_ names are followed to their numbers"
unlike "$OUT" "X\([0-9]*, syscalls\)" "__NR_syscalls, a count, is no system call"
done_testing
