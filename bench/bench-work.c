/* SPDX-License-Identifier: MIT */
/* Benchmark target: a fixed amount of CPU work, split over T threads,
 * through a few call levels; prints its own elapsed wall time, so the
 * slowdown a profiler causes is measured by the target itself.
 *   bench-work [--threads T] [--work N]   (N: millions of iterations,
 *   over all threads) */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define NOINLINE __attribute__((noinline, noclone))

static volatile unsigned long sink;

NOINLINE static unsigned long
leaf(unsigned long n)
{
	unsigned long s = 0;

	for (unsigned long i = 0; i < n; i++)
		s += i ^ (s >> 3);
	return s;
}

NOINLINE static unsigned long
mid(unsigned long n)
{
	unsigned long r = leaf(n);

	__asm__ volatile("" : "+r"(r));
	return r + 1;
}

NOINLINE static unsigned long
top(unsigned long n)
{
	unsigned long r = mid(n);

	__asm__ volatile("" : "+r"(r));
	return r + 1;
}

static void *
worker(void *arg)
{
	unsigned long left = *(unsigned long *)arg;

	/* Chunks of 100k iterations keep the call chain on every stack. */
	while (left > 0) {
		unsigned long n = left < 100000 ? left : 100000;

		sink += top(n);
		left -= n;
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "work", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long threads = 1, work = 1000, each;
	struct timespec a, b;
	pthread_t *th;
	int c;

	while ((c = getopt_long(argc, argv, "t:w:", opts, NULL)) != -1) {
		if (c == 't')
			threads = strtoul(optarg, NULL, 10);
		else if (c == 'w')
			work = strtoul(optarg, NULL, 10);
		else
			return 2;
	}
	if (threads < 1 || threads > 1024)
		return 2;
	each = work * 1000000ul / threads;
	th = calloc(threads, sizeof *th);
	if (!th)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (unsigned long i = 0; i < threads; i++)
		pthread_create(&th[i], NULL, worker, &each);
	for (unsigned long i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("elapsed %.6f\n", (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	free(th);
	return 0;
}
