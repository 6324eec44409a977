/* SPDX-License-Identifier: MIT */
/* Test target for --stack-size auto: dive recurses DEPTH times (argv[1],
 * default 40) with a 1 KiB frame each, then spins at the bottom until
 * SECONDS (argv[2], default 2) have passed, and exits. DEPTH 40 needs
 * about 41 KiB of stack copy to reach main: deeper than 16384; DEPTH 0
 * is a shallow program. LATE (argv[3], default 0) threads more start at
 * a quarter of SECONDS and dive as deep until the end: threads the
 * profiler meets after it has judged the copies' size. MAIN_DEPTH
 * (argv[4], default DEPTH): how deep main itself dives (0 with LATE
 * threads: only threads other than main are deep). */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))
#define FRAME_BYTES 1024

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
	while (now_s() < until)
		for (unsigned long i = 0; i < 100000; i++)
			sink += i;
}

NOINLINE unsigned long
dive(int depth, double until)
{
	volatile char frame[FRAME_BYTES];

	frame[0] = (char)depth;
	frame[FRAME_BYTES - 1] = (char)depth;
	if (depth <= 0)
		spin(until);
	else
		dive(depth - 1, until);
	/* Not a tail call: the frame lives until the return. */
	return (unsigned long)frame[0] + (unsigned long)frame[FRAME_BYTES - 1];
}

struct late {
	int depth, threads;
	double start, until;
};

static void *
late_dive(void *arg)
{
	const struct late *l = arg;

	dive(l->depth, l->until);
	return NULL;
}

/* Sleeps until l->start, then starts l->threads divers and waits. */
static void *
late_start(void *arg)
{
	const struct late *l = arg;
	pthread_t t[64];
	int n = 0;
	struct timespec nap = { 0, 10000000 };

	while (now_s() < l->start)
		nanosleep(&nap, NULL);
	while (n < l->threads && n < 64 &&
	    pthread_create(&t[n], NULL, late_dive, arg) == 0)
		n++;
	while (n > 0)
		pthread_join(t[--n], NULL);
	return NULL;
}

int
main(int argc, char **argv)
{
	int depth = argc > 1 ? atoi(argv[1]) : 40;
	double secs = argc > 2 ? atof(argv[2]) : 2.0, t0 = now_s();
	struct late late = { depth, argc > 3 ? atoi(argv[3]) : 0,
		t0 + secs / 4, t0 + secs };
	pthread_t starter;
	int started = late.threads > 0 &&
	    pthread_create(&starter, NULL, late_start, &late) == 0;

	sink += dive(argc > 4 ? atoi(argv[4]) : depth, late.until);
	if (started)
		pthread_join(starter, NULL);
	return 0;
}
