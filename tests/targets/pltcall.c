/* SPDX-License-Identifier: MIT */
/* A hot path that is a PLT call: main calls libc's labs, a few
 * instructions, through its PLT stub (-fno-builtin keeps the call), so
 * the stub itself takes a good share of the samples (a third measured).
 * Expected leaves: labs, labs@plt, main. Argument: millions of calls
 * (default 300). */
#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char **argv)
{
	long n = (argc > 1 ? atol(argv[1]) : 300) * 1000000L;
	volatile long t = 0;

	for (long i = 0; i < n; i++)
		t += labs(i - 7);
	printf("%ld\n", (long)t);
	return 0;
}
