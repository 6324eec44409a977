/* SPDX-License-Identifier: MIT */
/* Test target (perf's inlineloop shape): leaf and middle are always
 * inlined into the noinline parent, so samples must show leaf and middle
 * as inline frames inside parent, with file:line from DWARF. */
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define INLINE static inline __attribute__((always_inline))

volatile unsigned long sink;

INLINE unsigned long
leaf(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink += i * 3;	/* LEAF_LINE */
	return sink;
}

INLINE unsigned long
middle(unsigned long n)
{
	unsigned long r = leaf(n);	/* MIDDLE_LINE */

	__asm__ volatile("" : "+r"(r));
	return r + 1;
}

NOINLINE unsigned long
parent(unsigned long n)
{
	unsigned long r = middle(n);	/* PARENT_LINE */

	__asm__ volatile("" : "+r"(r));
	return r + 2;
}

int
main(void)
{
	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (;;)
		parent(1ul << 22);
}
