/* SPDX-License-Identifier: MIT */
/* Test target: main -> a -> b -> c -> spin, each noinline and not a tail
 * call, so nearly every sample must unwind to exactly that chain. Built
 * without and with frame pointers (chain, chain-fp) and stripped with a
 * separate debug file (chain-stripped). Prints "ready" when hot. */
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
/* Keeps the compiler from turning "call; return" into a jump. */
#define KEEP(x) __asm__ volatile("" : "+r"(x))

volatile unsigned long sink;

NOINLINE unsigned long
spin(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i;
	return sink;
}

NOINLINE unsigned long
c(unsigned long n)
{
	unsigned long r = spin(n);

	KEEP(r);
	return r + 1;
}

NOINLINE unsigned long
b(unsigned long n)
{
	unsigned long r = c(n);

	KEEP(r);
	return r + 2;
}

NOINLINE unsigned long
a(unsigned long n)
{
	unsigned long r = b(n);

	KEEP(r);
	return r + 3;
}

int
main(void)
{
	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (;;)
		a(1ul << 22);
}
