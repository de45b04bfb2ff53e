/*
 * src/pack.c is not carapace's: it is the build's tool that cuts the
 * linked carapace (build/carapace.elf) into what src/unpack.c needs to
 * load it again: the file bytes of its two PT_LOAD segments, code and
 * data, each to be compressed (lz4), and a header with where each goes in
 * memory, the entry and the program headers' address.
 *
 *   pack ELF DIR STUB_BASE   writes DIR/code.bin, DIR/data.bin, DIR/image.h
 *
 * It refuses any other layout than the one the Makefile links (a static,
 * non-PIE ELF64 whose first segment holds the ELF and program headers,
 * below STUB_BASE, where the unpacker itself is linked), and says why.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *elf_path;

__attribute__((noreturn, format(printf, 1, 2)))
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pack: %s: ", elf_path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static unsigned char *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		die("%s", strerror(errno));
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
		die("read: %s", strerror(errno));
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void write_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f))
		die("%s: %s", path, strerror(errno));
}

/* The ELF header, checked: ours, static, one of the machines we build for. */
static const Elf64_Ehdr *check_header(const unsigned char *elf, size_t len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;

	if (len < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		die("not a little-endian ELF64 file");
	if (eh->e_type != ET_EXEC)
		die("not a non-PIE executable (e_type %u)", eh->e_type);
	if (eh->e_machine != EM_X86_64 && eh->e_machine != EM_AARCH64)
		die("machine %u: not x86-64 nor aarch64", eh->e_machine);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > len ||
	    (size_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		die("bad program headers");
	return eh;
}

/* The two PT_LOAD segments, code (R+X, from offset 0) then data (R+W). */
static void find_segments(const unsigned char *elf, size_t len, const Elf64_Phdr *seg[2])
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(elf + eh->e_phoff);
	int n = 0;

	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_INTERP || ph[i].p_type == PT_DYNAMIC ||
		    ph[i].p_type == PT_TLS)
			die("segment %d: type %u, which the unpacker doesn't set up", i, ph[i].p_type);
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (n == 2)
			die("more than two PT_LOAD segments");
		if (ph[i].p_offset > len || ph[i].p_filesz > len - ph[i].p_offset ||
		    ph[i].p_filesz > ph[i].p_memsz)
			die("segment %d: outside the file", i);
		seg[n++] = &ph[i];
	}
	if (n != 2 || seg[0]->p_flags != (PF_R | PF_X) || seg[1]->p_flags != (PF_R | PF_W))
		die("not the two segments R+X and R+W that the Makefile links");
	if (seg[0]->p_offset != 0 || eh->e_phoff + (size_t)eh->e_phnum * sizeof *ph > seg[0]->p_filesz)
		die("the program headers are not in the first segment");
	/* A page of both would be mapped twice: aarch64 kernels have pages of up to 64 KiB. */
	unsigned long long page = eh->e_machine == EM_AARCH64 ? 65536 : 4096;
	if ((seg[0]->p_vaddr + seg[0]->p_memsz + page - 1) / page > seg[1]->p_vaddr / page)
		die("the code and data segments share a page of %llu bytes (link with a max-page-size of it)",
		    page);
}

int main(int argc, char **argv)
{
	const Elf64_Phdr *seg[2];
	unsigned long long stub_base;
	unsigned char *elf;
	size_t len;
	FILE *h;
	char path[4096];

	if (argc != 4) {
		fprintf(stderr, "usage: pack ELF DIR STUB_BASE\n");
		return 2;
	}
	elf_path = argv[1];
	stub_base = strtoull(argv[3], NULL, 0);
	elf = read_whole(argv[1], &len);
	const Elf64_Ehdr *eh = check_header(elf, len);
	find_segments(elf, len, seg);
	if (seg[1]->p_vaddr + seg[1]->p_memsz > stub_base)
		die("ends at %#llx, above the unpacker's %#llx",
		    (unsigned long long)(seg[1]->p_vaddr + seg[1]->p_memsz), stub_base);
	write_file(argv[2], "code.bin", elf + seg[0]->p_offset, seg[0]->p_filesz);
	write_file(argv[2], "data.bin", elf + seg[1]->p_offset, seg[1]->p_filesz);
	snprintf(path, sizeof path, "%s/image.h", argv[2]);
	h = fopen(path, "w");
	if (!h)
		die("%s: %s", path, strerror(errno));
	fprintf(h, "/* Made by src/pack.c from %s: where src/unpack.c puts it. */\n", argv[1]);
	fprintf(h, "#define IMAGE_MACHINE %u\n", eh->e_machine);
	fprintf(h, "#define IMAGE_ENTRY %#llxUL\n", (unsigned long long)eh->e_entry);
	fprintf(h, "#define IMAGE_PHDR %#llxUL\n", (unsigned long long)(seg[0]->p_vaddr + eh->e_phoff));
	fprintf(h, "#define IMAGE_PHNUM %uUL\n", eh->e_phnum);
	for (int i = 0; i < 2; i++)
		fprintf(h, "#define IMAGE_%s_VADDR %#llxUL\n#define IMAGE_%s_FILESZ %#llxUL\n"
			"#define IMAGE_%s_MEMSZ %#llxUL\n",
			i ? "DATA" : "CODE", (unsigned long long)seg[i]->p_vaddr,
			i ? "DATA" : "CODE", (unsigned long long)seg[i]->p_filesz,
			i ? "DATA" : "CODE", (unsigned long long)seg[i]->p_memsz);
	if (fclose(h))
		die("%s: %s", path, strerror(errno));
	free(elf);
	return 0;
}
