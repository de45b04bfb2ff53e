#!/bin/bash
# t/vm/arm32-probe.sh: write arm32-probe, a static 32-bit ARM (EABI) program
# of 128 bytes, to stdout. In the arm64 test VM it runs in the container as
# an AArch32 process (the kernel's CONFIG_COMPAT, and QEMU's -cpu max has
# AArch32 at EL0): its getpid is a system call of the compat ABI,
# AUDIT_ARCH_ARM, which carapace's filter must kill. An aarch64 program
# can't make one: A64 has no instruction that enters the compat table.
#
# It makes getpid, then writes "ok\n" and exits 0, as t/seccomp-probe.c's
# i386 call does; killed, it dies by SIGSYS (status 159).
#
# Written here byte by byte: Debian's cross compilers for armhf are one
# more toolchain for eleven instructions.

set -eu

# le N BYTES: N as a little-endian number of BYTES bytes.
le() {
	local n=$1 i
	for ((i = 0; i < $2; i++)); do
		printf "\\x$(printf %02x $((n >> 8 * i & 255)))"
	done
}

BASE=0x10000	# where the one segment is loaded
EHDR=52		# ELF32 header
PHDR=32		# one program header
# A32 code, each word an instruction (EABI: system call number in r7).
CODE=(
	0xe3a07014	# mov r7, #20        getpid (the compat table's number)
	0xef000000	# svc #0
	0xe3a00001	# mov r0, #1         write(1, msg, 3)
	0xe28f1014	# add r1, pc, #20    msg, 28 past here; pc reads 8 ahead
	0xe3a02003	# mov r2, #3
	0xe3a07004	# mov r7, #4         write
	0xef000000	# svc #0
	0xe3a00000	# mov r0, #0         exit(0)
	0xe3a07001	# mov r7, #1         exit
	0xef000000	# svc #0
)
MSG='ok\n\0'	# 4 bytes, so the file ends word-aligned
SIZE=$((EHDR + PHDR + 4 * ${#CODE[@]} + 4))

# ELF header: 32-bit, little-endian, version 1, System V ABI.
printf '\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00'
le 2 2			# e_type: ET_EXEC
le 40 2			# e_machine: EM_ARM
le 1 4			# e_version
le $((BASE + EHDR + PHDR)) 4	# e_entry: the first instruction
le $EHDR 4		# e_phoff
le 0 4			# e_shoff: no sections
le 0x05000400 4		# e_flags: EABI version 5, hard float
le $EHDR 2		# e_ehsize
le $PHDR 2		# e_phentsize
le 1 2			# e_phnum
le 0 2; le 0 2; le 0 2	# e_shentsize, e_shnum, e_shstrndx
# Program header: the whole file as one read-and-execute PT_LOAD segment.
le 1 4			# p_type: PT_LOAD
le 0 4			# p_offset
le $BASE 4		# p_vaddr
le $BASE 4		# p_paddr
le $SIZE 4		# p_filesz
le $SIZE 4		# p_memsz
le 5 4			# p_flags: PF_R | PF_X
le 0x1000 4		# p_align
for word in "${CODE[@]}"; do
	le "$word" 4
done
printf "$MSG"
