/*
 * t/rename-race.c: the attacker of t/320-mount-race.t. Swaps each pair of
 * names in DIR with renameat2(RENAME_EXCHANGE), over and over, until
 * killed: run by the rootfs folder's unprivileged owner while a container
 * starts on it. Usage: rename-race DIR A B [C D ...]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char **argv)
{
	int dir;

	if (argc < 4 || argc % 2) {
		fprintf(stderr, "usage: rename-race DIR A B [C D ...]\n");
		return 2;
	}
	if ((dir = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0) {
		perror(argv[1]);
		return 1;
	}
	for (;;)
		for (int i = 2; i < argc; i += 2)
			if (syscall(SYS_renameat2, dir, argv[i], dir, argv[i + 1], RENAME_EXCHANGE)) {
				perror("renameat2");
				return 1;
			}
}
