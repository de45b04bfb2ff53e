/*
 * man.c: writes carapace(1), in roff, from the option tables of
 * src/options.c (make man). A build step, not a command of carapace: the
 * page would cost the binary 2 KB that its size limit does not have.
 *
 * SPDX-License-Identifier: MIT
 */
#include "../src/carapace.h"

int main(void)
{
	print_man(stdout);
	if (fflush(stdout) || ferror(stdout))
		die_errno("man page: stdout");
	return 0;
}
