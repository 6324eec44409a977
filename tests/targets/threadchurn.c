/* SPDX-License-Identifier: MIT */
/* Target: creates and joins short threads (about 500 per second, two at
 * a time), each spinning a little in churn_work().
 *   threadchurn [seconds [count_file]]   (0 or none: until killed)
 * Prints "ready" at start and "threads=N" when it ends by itself; with
 * count_file, keeps the number of threads it made so far there (a long
 * at offset 0, rewritten after each pair), so a test can count the
 * threads made while it watched. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static void __attribute__((noinline, noclone))
churn_work(unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		sink += i;
}

static void *
worker(void *arg)
{
	(void)arg;
	churn_work(1000000);
	return NULL;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0, t0 = now();
	struct timespec gap = { 0, 3000000 };
	int count = argc > 2 ? open(argv[2], O_WRONLY | O_CLOEXEC) : -1;
	pthread_t a, b;
	long n = 0;

	printf("ready\n");
	fflush(stdout);
	while (secs <= 0 || now() - t0 < secs) {
		if (pthread_create(&a, NULL, worker, NULL) != 0 ||
		    pthread_create(&b, NULL, worker, NULL) != 0) {
			perror("pthread_create");
			return 1;
		}
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		n += 2;
		if (count >= 0 && pwrite(count, &n, sizeof n, 0) != sizeof n)
			return 1;
		nanosleep(&gap, NULL);
	}
	printf("threads=%ld\n", n);
	return 0;
}
