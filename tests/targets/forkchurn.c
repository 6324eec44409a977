/* SPDX-License-Identifier: MIT */
/* Target: short-lived children at a fixed rate. Forks RATE children per
 * second for SECONDS; each spins in child_burst() for about 1 ms of CPU
 * and exits; the parent reaps them and spins in parent_tick() between
 * forks. With "thread", starts a thread instead and joins it at once (a
 * thread that hands short jobs to new threads), for SECONDS, with 1/RATE
 * s of its own CPU time in parent_tick() between two (thread creation is
 * slow under a profiler, a schedule by the clock would leave the main
 * thread none). Prints "ready" first,
 * "forks=N reaped=N" at the end, then its pid ("pid N"), the main
 * thread's own CPU time ("main_ms N") and the part of it in
 * parent_tick() ("tick_ms N"), so a test knows how many of the main
 * thread's samples are due.
 *   forkchurn [RATE [SECONDS [fork|thread]]]   (500, 3, fork) */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <string.h>
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

static double tick_cpu;	/* the parent's CPU time in parent_tick() */

/* Spins until the clock reads until and cpu s of CPU time have passed. */
static void __attribute__((noinline, noclone))
parent_tick(double until, double cpu)
{
	double from = cpu_now();

	while (wall_now() < until || cpu_now() < from + cpu)
		for (int i = 0; i < 1000; i++)
			sink += (unsigned long)i * 3;
	tick_cpu += cpu_now() - from;
}

static void *
thread_burst(void *arg)
{
	(void)arg;
	child_burst();
	return NULL;
}

/* One child process. 1 when started. */
static int
fork_child(void)
{
	pid_t c = fork();

	if (c == 0) {
		child_burst();
		_exit(0);
	}
	return c > 0;
}

static void
thread_churn(int rate, double secs, long *started)
{
	double end = wall_now() + secs;
	pthread_t t;

	while (wall_now() < end) {
		if (pthread_create(&t, NULL, thread_burst, NULL) == 0 &&
		    pthread_join(t, NULL) == 0)
			++*started;
		parent_tick(0, 1.0 / rate);
	}
}

int
main(int argc, char **argv)
{
	int rate = argc > 1 ? atoi(argv[1]) : 500;
	double secs = argc > 2 ? atof(argv[2]) : 3, t0, next;
	bool thread = argc > 3 && strcmp(argv[3], "thread") == 0;
	long forks = 0, reaped = 0, want;

	if (rate <= 0 || secs <= 0)
		return 2;
	want = (long)(rate * secs);
	printf("ready\n");
	fflush(stdout);
	t0 = wall_now();
	if (thread) {
		thread_churn(rate, secs, &forks);
		reaped = forks;
		want = 0;
	}
	while (forks < want) {
		forks += fork_child();
		while (waitpid(-1, NULL, WNOHANG) > 0)
			reaped++;
		next = t0 + (double)forks / rate;
		parent_tick(next, 0);
	}
	while (waitpid(-1, NULL, 0) > 0)
		reaped++;
	printf("forks=%ld reaped=%ld in %.2f s\n", forks, reaped,
	    wall_now() - t0);
	printf("pid %d\nmain_ms %ld\ntick_ms %ld\n", (int)getpid(),
	    (long)(cpu_now() * 1000), (long)(tick_cpu * 1000));
	fflush(stdout);
	return 0;
}
