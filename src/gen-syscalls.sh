#!/bin/sh
# src/gen-syscalls.sh: the system call table of the architecture being
# built, for src/seccomp.c, made from the kernel's own numbers.
#
#   sh src/gen-syscalls.sh CC [FLAGS...] >syscall-table.h
#
# CC with FLAGS is the build's compiler (musl-gcc, aarch64-linux-musl-gcc):
# its preprocessor reads <asm/unistd.h> as the build does, so the numbers
# are the target's, whichever machine builds. The file it writes:
#
#   SYSCALL_TABLE(X)	X(number, name) for each system call, sorted by
#			name (bytes, as memcmp compares): syscall_number()
#			is a binary search of it
#   SYSCALL_COUNT	how many
#   SYSCALL_NAMES_SIZE	the bytes of the names, each ended by a NUL
#   SYSCALL_ELSEWHERE	the names that only the other architectures
#			carapace builds for have, separated by spaces: a
#			profile naming them serves them all
#   SYSCALL_NR_name	each one's number, for the default profile; -1
#			for those of SYSCALL_ELSEWHERE
#   SYSCALL_ARCH	the architecture read, x86_64 or aarch64
#   checks		_Static_assert(__NR_name == number) for each, where
#			the header of the build names it
#
# Only sh, awk, sort and the compiler's preprocessor: what any machine that
# builds carapace has.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 CC [FLAGS...]" >&2; exit 2; }

macros=$(printf '#include <asm/unistd.h>\n' | "$@" -E -dM -x c -)
case $macros in
*"#define __x86_64__ "*) arch=x86_64 ;;
*"#define __aarch64__ "*) arch=aarch64 ;;
*) echo "$0: $1 builds for an architecture carapace has no table of" >&2; exit 1 ;;
esac

# System calls newer than the oldest header carapace builds with (Linux
# 6.1's, Debian 12's), by hand: NAME NUMBER [ARCH]. Since Linux 5.1 a new
# call has the same number on every architecture but alpha's; an ARCH
# says it exists there only. Where the header has one, the header wins,
# and one it numbers otherwise stops the build.
later='cachestat 451
fchmodat2 452
map_shadow_stack 453
futex_wake 454
futex_wait 455
futex_requeue 456
statmount 457
listmount 458
lsm_get_self_attr 459
lsm_set_self_attr 460
lsm_list_modules 461
mseal 462
uretprobe 335 x86_64
setxattrat 463
getxattrat 464
listxattrat 465
removexattrat 466
open_tree_attr 467
file_getattr 468
file_setattr 469'

# x86-64's calls that arm64 lacks: the old ones that asm-generic, which
# arm64's numbers are, left out (open, fork, stat, ...) and x86's own.
# None is new since Linux 3.0 but uretprobe; arm64 has none x86-64 lacks.
# (t/006 checks this against the two tables.)
x86_64_only='_sysctl access afs_syscall alarm arch_prctl chmod chown creat create_module
dup2 epoll_create epoll_ctl_old epoll_wait epoll_wait_old eventfd fork futimesat
get_kernel_syms get_thread_area getdents getpgrp getpmsg inotify_init ioperm iopl
lchown link lstat mkdir mknod modify_ldt open pause pipe poll putpmsg query_module
readlink rename rmdir security select set_thread_area signalfd stat symlink sysfs
time tuxcall unlink uretprobe uselib ustat utime utimes vfork vserver'
case $arch in
x86_64) elsewhere= ;;
aarch64) elsewhere=$(echo $x86_64_only) ;;
esac

table=$(printf '%s\n' "$macros" | awk -v arch="$arch" -v later="$later" '
	# #define __NR_name VALUE, VALUE a number or another macro: asm-generic
	# names some __NR3264_name, for the 32- and 64-bit ABIs to differ.
	$1 == "#define" && $2 ~ /^__NR/ {
		v = $0
		sub(/^#define[ \t]+[^ \t]+[ \t]+/, "", v)
		value[$2] = v
	}
	END {
		for (m in value) {
			if (m !~ /^__NR_/)
				continue
			name = substr(m, 6)
			# not system calls: the count, and where arch calls begin
			if (name == "syscalls" || name == "arch_specific_syscall")
				continue
			v = value[m]
			for (depth = 0; v in value && depth < 4; depth++)
				v = value[v]
			if (v !~ /^[0-9]+$/) {
				print "gen-syscalls: " m " is " value[m] ", not a number" > "/dev/stderr"
				exit 1
			}
			nr[name] = v + 0
		}
		n = split(later, line, "\n")
		for (i = 1; i <= n; i++) {
			split(line[i], w, " ")
			if (w[3] != "" && w[3] != arch)
				continue
			if (!(w[1] in nr))
				nr[w[1]] = w[2] + 0
			else if (nr[w[1]] != w[2] + 0) {
				print "gen-syscalls: " w[1] " is " nr[w[1]] " in the header, not " w[2] > "/dev/stderr"
				exit 1
			}
		}
		for (name in nr)
			print name, nr[name]
	}')
table=$(printf '%s\n' "$table" | LC_ALL=C sort)

[ -n "$table" ] || { echo "$0: no system calls in <asm/unistd.h>" >&2; exit 1; }
printf '%s\n' "$table" | awk -v arch="$arch" -v elsewhere="$elsewhere" '
	BEGIN {
		print "/* Made by src/gen-syscalls.sh from <asm/unistd.h>: do not edit. */"
		print "#define SYSCALL_ARCH_" arch " 1"
		print "#define SYSCALL_TABLE(X) \\"
	}
	{ names[NR] = $1; nrs[NR] = $2; printf "\tX(%d, %s) \\\n", $2, $1; offset += length($1) + 1 }
	END {
		print ""
		print "#define SYSCALL_COUNT " NR
		print "#define SYSCALL_NAMES_SIZE " offset
		print "#define SYSCALL_ELSEWHERE \"" elsewhere "\""
		for (i = 1; i <= NR; i++)
			print "#define SYSCALL_NR_" names[i] " " nrs[i]
		n = split(elsewhere, other, " ")
		for (i = 1; i <= n; i++)
			print "#define SYSCALL_NR_" other[i] " (-1)"
		for (i = 1; i <= NR; i++) {
			print "#ifdef __NR_" names[i]
			print "_Static_assert(__NR_" names[i] " == " nrs[i] ", \"__NR_" names[i] " is not " nrs[i] "\");"
			print "#endif"
		}
	}'
