/*
 * t/fuzz/tar.c: afl++ harness of the tar reader (src/tar.c): stdin is the
 * archive, unpacked as carapace unpacks a rootfs tarball. Each run gets a
 * private mount namespace and a fresh, small, nodev tmpfs to unpack into,
 * gone when the run ends: no file lands on the host, and no device node
 * made opens anything. Needs root. An error is die()'s exit 125, which afl
 * counts as a normal end; a crash or a sanitizer's report is a finding.
 *
 * SPDX-License-Identifier: MIT
 */
#include "../../src/carapace.h"

#define FUZZ_ROOT "/tmp/carapace-fuzz-tar"

int main(void)
{
	struct tar t = { .name = "fuzz.tar", .in = STDIN_FILENO, .decompressor = -1,
			 .room = 16 << 20 };
	int root;

	if (mkdir(FUZZ_ROOT, 0700) && errno != EEXIST)
		die_errno("fuzz: mkdir %s", FUZZ_ROOT);
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("fuzz", FUZZ_ROOT, "tmpfs", MS_NODEV | MS_NOSUID, "size=16m,nr_inodes=4096"))
		die_errno("fuzz: a private tmpfs at %s (run as root)", FUZZ_ROOT);
	root = open(FUZZ_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		die_errno("fuzz: %s", FUZZ_ROOT);
	unpack_tarball(&t, root);
	return 0;
}
