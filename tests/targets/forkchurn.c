/* SPDX-License-Identifier: MIT */
/* Target: short-lived children at a fixed rate. Forks RATE children per
 * second for SECONDS; each spins in child_burst() for about 1 ms of CPU
 * and exits; the parent reaps them and spins in parent_tick() between
 * forks. Prints "ready" first and "forks=N reaped=N" at the end.
 *   forkchurn [RATE [SECONDS]]   (500, 3) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static double
cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void __attribute__((noinline, noclone))
child_burst(void)
{
	double end = cpu_now() + 0.001;

	while (cpu_now() < end)
		for (int i = 0; i < 1000; i++)
			sink += (unsigned long)i * 7;
}

static void __attribute__((noinline, noclone))
parent_tick(double until)
{
	while (wall_now() < until)
		for (int i = 0; i < 1000; i++)
			sink += (unsigned long)i * 3;
}

int
main(int argc, char **argv)
{
	int rate = argc > 1 ? atoi(argv[1]) : 500;
	double secs = argc > 2 ? atof(argv[2]) : 3, t0, next;
	long forks = 0, reaped = 0, want;

	if (rate <= 0 || secs <= 0)
		return 2;
	want = (long)(rate * secs);
	printf("ready\n");
	fflush(stdout);
	t0 = wall_now();
	for (forks = 0; forks < want; ) {
		pid_t c = fork();

		if (c == 0) {
			child_burst();
			_exit(0);
		}
		if (c > 0)
			forks++;
		while (waitpid(-1, NULL, WNOHANG) > 0)
			reaped++;
		next = t0 + (double)forks / rate;
		parent_tick(next);
	}
	while (waitpid(-1, NULL, 0) > 0)
		reaped++;
	printf("forks=%ld reaped=%ld in %.2f s\n", forks, reaped,
	    wall_now() - t0);
	return 0;
}
