/* SPDX-License-Identifier: MIT */
/* Runs from a copy of its own text, as Node.js does with
 * --use-largepages: at start it copies its executable mapping into
 * anonymous memory and calls copied_hot there. copied_hot and its callee
 * copied_leaf use no data and call nothing outside the text, so the copy
 * runs as the original would. Expected: nearly all samples under
 * copied_hot -> copied_leaf, named from this file's symbols although no
 * file backs the pcs, and unwound with the file's CFI moved to the copy
 * (built without frame pointers, so nothing else would do). Argument:
 * millions of steps, times two (default 6). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

uint64_t copied_leaf(uint64_t x);
uint64_t copied_hot(long n);

__attribute__((noinline)) uint64_t
copied_leaf(uint64_t x)
{
	for (int i = 0; i < 50; i++)
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	return x;
}

__attribute__((noinline)) uint64_t
copied_hot(long n)
{
	uint64_t x = 1;

	for (long i = 0; i < n; i++)
		x = copied_leaf(x) ^ (uint64_t)i;
	return x;
}

/* The executable mapping of this file that holds addr: [*lo, *hi). */
static int
text_of(uintptr_t addr, uintptr_t *lo, uintptr_t *hi)
{
	char line[512], perm[5];
	FILE *f = fopen("/proc/self/maps", "re");
	int found = -1;

	if (!f)
		return -1;
	while (found < 0 && fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lx-%lx %4s", lo, hi, perm) == 3 &&
		    perm[2] == 'x' && addr >= *lo && addr < *hi)
			found = 0;
	}
	fclose(f);
	return found;
}

int
main(int argc, char **argv)
{
	long n = (argc > 1 ? atol(argv[1]) : 6) * 2000000L;
	uintptr_t lo, hi, fn = (uintptr_t)copied_hot;
	uint64_t (*hot)(long);
	void *copy;

	if (text_of(fn, &lo, &hi) < 0)
		return 2;
	copy = mmap(NULL, hi - lo, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (copy == MAP_FAILED)
		return 2;
	memcpy(copy, (void *)lo, hi - lo);
	if (mprotect(copy, hi - lo, PROT_READ | PROT_EXEC) < 0)
		return 2;
	hot = (uint64_t (*)(long))((uintptr_t)copy + (fn - lo));
	printf("%llu\n", (unsigned long long)hot(n));
	return 0;
}
