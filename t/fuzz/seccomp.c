/*
 * t/fuzz/seccomp.c: afl++ harness of the seccomp profile readers (the text
 * form, and the OCI JSON form: oci.json is its seed) and the
 * filter built from it (src/seccomp.c): argv[1] is the profile (afl's @@).
 * The filter is built, not installed. A bad profile is die()'s exit 125,
 * which afl counts as a normal end; a crash or a sanitizer's report is a
 * finding.
 *
 * SPDX-License-Identifier: MIT
 */
#include "../../src/carapace.h"

int main(int argc, char **argv)
{
	struct container c = { .privileges.seccomp = argc > 1 ? argv[1] : "/dev/stdin" };

	static struct seccomp_filter f;

	build_seccomp(&c, &f);
	return 0;
}
