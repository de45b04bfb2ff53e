/*
 * debug-exit VALUE: end the VM through QEMU's isa-debug-exit device.
 *
 * QEMU started with -device isa-debug-exit,iobase=0xf4,iosize=0x04 exits
 * with status (VALUE << 1) | 1 when a byte is written to port 0xf4.  The
 * guest writes 0 for PASS (qemu exits 1) and 1 for FAIL (qemu exits 3), so
 * a clean qemu exit 0 (a reboot or power-off) never reads as success.
 *
 * Built with musl-gcc -static so it runs in a bare initramfs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

#define DEBUG_EXIT_PORT 0xf4

/* sys/io.h has outb(value, port) too; written out, the one instruction that
 * ends the VM is in plain sight. */
static inline void out_byte(unsigned char value, unsigned short port)
{
	__asm__ volatile ("outb %0, %1" : : "a" (value), "Nd" (port));
}

int main(int argc, char **argv)
{
	char *end;
	long value;

	if (argc != 2) {
		fprintf(stderr, "usage: debug-exit VALUE (0 = pass, 1 = fail)\n");
		return 2;
	}
	value = strtol(argv[1], &end, 0);
	if (*argv[1] == '\0' || *end != '\0' || value < 0 || value > 255) {
		fprintf(stderr, "debug-exit: bad value '%s'\n", argv[1]);
		return 2;
	}
	if (ioperm(DEBUG_EXIT_PORT, 4, 1) != 0) {
		perror("debug-exit: ioperm");
		return 1;
	}
	out_byte((unsigned char)value, DEBUG_EXIT_PORT);

	/* Only reached without the device: QEMU would have exited already. */
	fprintf(stderr, "debug-exit: no isa-debug-exit device at port 0x%x\n",
		DEBUG_EXIT_PORT);
	return 1;
}
