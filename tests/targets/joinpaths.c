/* SPDX-License-Identifier: MIT */
/* Test target for the joiner (src/unwind/join.c): main reaches dive,
 * which recurses DEPTH times (argv[1], default 40) with a 256-byte frame
 * each and spins at the bottom, through one of two callers whose frames
 * are the same size, path_a and path_b. With argv[2] "a" it stays under
 * path_a for good (every stack the same above the spin); with "ab" it
 * returns every 20 ms or so and takes the other path, so that the frames
 * near the bottom lie at the same addresses under either caller. Prints
 * "ready" first. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noclone))
#define FRAME_BYTES 256

volatile unsigned long sink;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

NOINLINE void
spin(double until)
{
	do
		for (unsigned long i = 0; i < 20000; i++)
			sink += i;
	while (until == 0 || now_s() < until);
}

NOINLINE unsigned long
dive(int depth, double until)
{
	volatile char frame[FRAME_BYTES];

	frame[0] = (char)depth;
	if (depth <= 0)
		spin(until);
	else
		dive(depth - 1, until);
	/* Not a tail call: the frame lives until the return. */
	return (unsigned long)frame[0];
}

/* Two callers, the same frame; different code (not folded into one). */
NOINLINE void
path_a(int depth, double until)
{
	volatile char pad[64];

	pad[0] = 'a';
	sink += dive(depth, until) + (unsigned long)pad[0];
}

NOINLINE void
path_b(int depth, double until)
{
	volatile char pad[64];

	pad[0] = 'b';
	sink += dive(depth, until) * 3 + (unsigned long)pad[0];
}

int
main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 40;
	int both = argc > 2 && strcmp(argv[2], "ab") == 0;

	if (write(1, "ready\n", 6) != 6)
		return 1;
	if (!both)
		path_a(depth, 0);	/* spins for good */
	for (;;) {
		path_a(depth, now_s() + 0.02);
		path_b(depth, now_s() + 0.02);
	}
}
