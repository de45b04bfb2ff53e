/*
 * src/unpack.c is the start of a packed carapace (make's default, issue
 * 16's size): the kernel loads this small program, linked at UNPACK_BASE
 * above carapace's own addresses, and it puts carapace where carapace was
 * linked, as the kernel would have: its code and data segments decoded
 * (LZ4, src/lz4.h) into fresh anonymous memory, the code then made read
 * and execute only, the data read and write, the rest zero. It points the
 * auxiliary vector's program headers and entry at carapace's, and jumps to
 * carapace's entry with the stack as the kernel left it: musl's start
 * finds what it needs there. /proc/self/exe is still the file run.
 *
 * No libc here: this runs before carapace's own start, so it makes its
 * system calls itself, and fails with one line and 125 (carapace's own
 * failure), never half loaded. src/pack.c made image.h.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdbool.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "image.h"
#include "lz4.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/*
 * The two segments' lz4 frames, as `lz4 -12` wrote them (the Makefile),
 * each after a tag that tests look for (t/008-pack.t damages a frame).
 */
#define INCBIN(name, file) \
	__asm__(".section .rodata." #name ",\"a\"\n.ascii \"carapace:" #name "\"\n" \
		#name ":\n.incbin \"" file "\"\n" #name "_end:\n.previous")
INCBIN(code_lz4, IMAGE_DIR "/code.lz4");
INCBIN(data_lz4, IMAGE_DIR "/data.lz4");
extern const uint8_t code_lz4[], code_lz4_end[], data_lz4[], data_lz4_end[];

#if defined(__x86_64__)
/* The stack as the kernel made it: argc, argv, envp, auxv; rbx keeps it. */
__asm__(".text\n.globl _start\n_start:\n"
	"	xor %ebp, %ebp\n"
	"	mov %rsp, %rdi\n"
	"	mov %rsp, %rbx\n"
	"	and $-16, %rsp\n"
	"	call unpack\n"
	"	mov %rbx, %rsp\n"
	"	xor %edx, %edx\n"
	"	jmp *%rax\n");

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
__asm__(".text\n.globl _start\n_start:\n"
	"	mov x29, #0\n"
	"	mov x30, #0\n"
	"	mov x0, sp\n"
	"	mov x19, x0\n"
	"	bl unpack\n"
	"	mov sp, x19\n"
	"	br x0\n");

static long sys6(long nr, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = nr, x0 __asm__("x0") = a, x1 __asm__("x1") = b,
		x2 __asm__("x2") = c, x3 __asm__("x3") = d, x4 __asm__("x4") = e,
		x5 __asm__("x5") = f;

	__asm__ volatile("svc 0" : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}
#else
#error "src/unpack.c: no start for this architecture (README.md, Other architectures)"
#endif

static size_t length(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/* "carapace: unpack: WHAT: WHY", and 125: nothing of carapace has run. */
__attribute__((noreturn))
static void fail(const char *what, const char *why)
{
	const char *parts[] = { "carapace: unpack: ", what, ": ", why, "\n" };

	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
		sys6(SYS_write, 2, (long)parts[i], (long)length(parts[i]), 0, 0, 0);
	for (;;)
		sys6(SYS_exit_group, 125, 0, 0, 0, 0, 0);
}

/* Fails unless a mapping landed at START: "mmap failed" or "address taken". */
static void check_mapped(const char *what, long addr, uintptr_t start)
{
	if (addr != (long)start)
		fail(what, addr < 0 && addr > -4096 ? "mmap failed at its address" :
			   "its address is taken (a kernel before 4.17 moved it)");
}

static void decode(const char *what, const uint8_t *frame, const uint8_t *frame_end,
		   uint8_t *to, size_t len)
{
	if (lz4_decode_frame(frame, frame_end, to, len))
		fail(what, "damaged (the file was cut or changed: copy it again)");
#if defined(__aarch64__)
	/* The kernel syncs caches as it maps code; this costs little and holds anyway. */
	__builtin___clear_cache((char *)to, (char *)to + len);
#endif
}

/*
 * The data segment: fresh anonymous pages where it was linked, its file's
 * part decoded into them, the rest (bss) zero; mostly bss, whose pages come
 * as they are touched, as they would have (populating them cost 0.19 ms).
 */
static void load_data(uintptr_t vaddr, size_t filesz, size_t memsz, size_t page)
{
	uintptr_t start = vaddr & ~(page - 1), end = (vaddr + memsz + page - 1) & ~(page - 1);

	check_mapped("data", sys6(SYS_mmap, (long)start, (long)(end - start),
				  PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), start);
	decode("data", data_lz4, data_lz4_end, (uint8_t *)vaddr, filesz);
}

/*
 * The code where anonymous memory may not become executable (PR_SET_MDWE,
 * systemd's MemoryDenyWriteExecute, SELinux without execmem, a seccomp
 * profile like them) or may not be had (RLIMIT_DATA): decoded into a memfd
 * through a writable shared mapping, then mapped read and execute from it
 * where it was linked, as ld.so maps a library. Not the first way: its
 * shared memory costs a start 0.2 to 0.3 ms more. False without a memfd.
 */
static bool load_code_memfd(uintptr_t start, size_t len, size_t offset)
{
	long fd = sys6(SYS_memfd_create, (long)"carapace", MFD_CLOEXEC | MFD_ALLOW_SEALING,
		       0, 0, 0, 0), rw;

	if (fd < 0)
		return false;
	if (sys6(SYS_ftruncate, fd, (long)len, 0, 0, 0, 0))
		fail("code", "ftruncate of its memfd failed");
	rw = sys6(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
		  fd, 0);
	if (rw < 0 && rw > -4096)
		fail("code", "mmap of its memfd failed");
	decode("code", code_lz4, code_lz4_end, (uint8_t *)rw + offset, IMAGE_CODE_FILESZ);
	sys6(SYS_munmap, rw, (long)len, 0, 0, 0, 0);
	/* Sealed, as the sealed copy is: nobody writes it through a /proc link. */
	if (sys6(SYS_fcntl, fd, F_ADD_SEALS,
		 F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE, 0, 0, 0))
		fail("code", "sealing its memfd failed");
	check_mapped("code", sys6(SYS_mmap, (long)start, (long)len, PROT_READ | PROT_EXEC,
				  MAP_PRIVATE | MAP_FIXED_NOREPLACE | MAP_POPULATE, fd, 0), start);
	sys6(SYS_close, fd, 0, 0, 0, 0, 0);
	return true;
}

/*
 * The code: fresh anonymous pages where it was linked, all made at once
 * (MAP_POPULATE: every one is written), decoded into, then made read and
 * execute only. Where that is refused, through a memfd (above).
 */
static void load_code(size_t page)
{
	uintptr_t start = IMAGE_CODE_VADDR & ~(page - 1);
	uintptr_t end = (IMAGE_CODE_VADDR + IMAGE_CODE_MEMSZ + page - 1) & ~(page - 1);
	size_t len = end - start, offset = IMAGE_CODE_VADDR - start;
	long addr = sys6(SYS_mmap, (long)start, (long)len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE, -1, 0);

	if (addr == -ENOMEM && load_code_memfd(start, len, offset))
		return;
	check_mapped("code", addr, start);
	decode("code", code_lz4, code_lz4_end, (uint8_t *)IMAGE_CODE_VADDR, IMAGE_CODE_FILESZ);
	if (!sys6(SYS_mprotect, (long)start, (long)len, PROT_READ | PROT_EXEC, 0, 0, 0))
		return;
	sys6(SYS_munmap, (long)start, (long)len, 0, 0, 0, 0);
	if (!load_code_memfd(start, len, offset))
		fail("code", "it may not be made executable, and no memfd for it "
			     "(a seccomp profile? build with make PACK=0)");
}

/* The whole pages of a compressed frame, no longer needed. */
static void drop_frame(const uint8_t *frame, const uint8_t *frame_end, size_t page)
{
	uintptr_t start = ((uintptr_t)frame + page - 1) & ~(page - 1);
	uintptr_t end = (uintptr_t)frame_end & ~(page - 1);

	if (end > start)
		sys6(SYS_munmap, (long)start, (long)(end - start), 0, 0, 0, 0);
}

/* From _start: loads carapace, fixes the auxiliary vector, returns the entry. */
__attribute__((used)) uintptr_t unpack(long *sp)
{
	char **envp = (char **)(sp + 1 + sp[0] + 1);
	Elf64_auxv_t *aux;
	size_t page = 4096;

	while (*envp)
		envp++;
	aux = (Elf64_auxv_t *)(envp + 1);
	for (Elf64_auxv_t *a = aux; a->a_type != AT_NULL; a++)
		if (a->a_type == AT_PAGESZ)
			page = a->a_un.a_val;
	load_code(page);
	load_data(IMAGE_DATA_VADDR, IMAGE_DATA_FILESZ, IMAGE_DATA_MEMSZ, page);
	drop_frame(code_lz4, code_lz4_end, page);
	drop_frame(data_lz4, data_lz4_end, page);
	for (Elf64_auxv_t *a = aux; a->a_type != AT_NULL; a++)
		if (a->a_type == AT_PHDR)
			a->a_un.a_val = IMAGE_PHDR;
		else if (a->a_type == AT_PHNUM)
			a->a_un.a_val = IMAGE_PHNUM;
		else if (a->a_type == AT_PHENT)
			a->a_un.a_val = sizeof(Elf64_Phdr);
		else if (a->a_type == AT_ENTRY)
			a->a_un.a_val = IMAGE_ENTRY;
	return IMAGE_ENTRY;
}
