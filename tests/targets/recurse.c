/* SPDX-License-Identifier: MIT */
/* Test target: rec recurses DEPTH times (argv[1], default 500) with about
 * 64 bytes of frame each, then spins: a stack deeper than a small copy. */
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))

volatile unsigned long sink;

NOINLINE unsigned long
spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
	return sink;
}

NOINLINE unsigned long
rec(int depth)
{
	volatile unsigned long pad[4];
	unsigned long r;

	pad[0] = (unsigned long)depth;
	if (depth <= 0)
		r = spin(1ul << 22);
	else
		r = rec(depth - 1);
	/* Not a tail call, nor an accumulator loop. */
	__asm__ volatile("" : "+r"(r));
	return r + pad[0];
}

int
main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 500;

	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (;;)
		rec(depth);
}
