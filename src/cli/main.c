/* SPDX-License-Identifier: MIT */
/* ctop-prof entry point (being built up: see docs/ARCHITECTURE.md). */
#include "config.h"

#include <stdio.h>

int
main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "ctop-prof: not implemented yet\n");
	return 1;
}
