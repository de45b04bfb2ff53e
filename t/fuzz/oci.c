/*
 * t/fuzz/oci.c: afl++ harness of the config.json reader (src/oci-config.c):
 * argv[1] is the file (afl's @@), parsed as a bundle's config.json would
 * be, into a struct container, and nothing run. Bad input is die()'s exit
 * 125, which afl counts as a normal end; a crash, a hang or a sanitizer's
 * report is a finding.
 *
 * SPDX-License-Identifier: MIT
 */
#include "../../src/carapace.h"

int main(int argc, char **argv)
{
	struct container c = { 0 };
	struct text_file t;

	if (!open_text_file(&t, "", argc > 1 ? argv[1] : "/dev/stdin"))
		return 1;
	oci_parse_config(&c, t.data, t.len, "/bundle");
	close_text_file(&t);
	return 0;
}
