/* SPDX-License-Identifier: MIT */
/* Test target: a callback called by libc's qsort (perf's dwarf-unwind
 * trick), so unwinding must cross libc (no frame pointers) between
 * compare_ints and sort_it. */
#include <stdlib.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define COUNT 4096

volatile unsigned long sink;

NOINLINE int
compare_ints(const void *pa, const void *pb)
{
	int x = *(const int *)pa, y = *(const int *)pb;

	/* Burn time here so nearly every sample lands in the callback: the
	 * tests want compare_ints as the leaf in 90% of the samples, and
	 * with 300 rounds a CPU that forwards the volatile store at once
	 * left 10% in qsort's own merge (179 of 200). With 3000 the merge
	 * has about 1%, whatever the CPU. */
	for (int i = 0; i < 3000; i++)
		sink += (unsigned long)i;
	return (x > y) - (x < y);
}

NOINLINE void
sort_it(int *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		v[i] = rand();
	qsort(v, n, sizeof *v, compare_ints);
	__asm__ volatile("" ::: "memory");
}

int
main(void)
{
	static int v[COUNT];

	if (write(1, "ready\n", 6) != 6)
		return 1;
	for (;;)
		sort_it(v, COUNT);
}
