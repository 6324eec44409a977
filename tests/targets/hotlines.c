/* SPDX-License-Identifier: MIT */
/* Test target for the source view (L): work() spends about half its time
 * in its own loop on SELF_LINE, a quarter in a call to callee() on
 * CALL_LINE and a quarter in the always-inlined inl() called on
 * INL_CALL_LINE, whose loop is on INL_LINE. Each loop is on one line so
 * that the line of every pc in it is that line whatever the compiler
 * does. The tests find the lines by their markers. */
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define INLINE static inline __attribute__((always_inline))
#define N (1ul << 21)

volatile unsigned long sink;

NOINLINE void
callee(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) sink += i * 3; /* CALLEE_LINE */
}

INLINE void
inl(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) sink += i * 5; /* INL_LINE */
}

NOINLINE void
work(void)
{
	for (unsigned long i = 0; i < 2 * N; i++) sink += i * 7; /* SELF_LINE */
	callee(N); /* CALL_LINE */
	inl(N); /* INL_CALL_LINE */
}

int
main(void)
{
	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (;;)
		work();
}
