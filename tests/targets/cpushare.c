/* SPDX-License-Identifier: MIT */
/* CPU-share target: three threads spin for ever, each in its own function
 * with the same body, at nice 0, 2 and 5, so that on one CPU (taskset -c 0)
 * the scheduler gives them about 51%, 33% and 17% of it, and each of them
 * is runnable all the time while running only part of it. The truth is
 * measured, not assumed: each thread counts its own iterations (same cost
 * each), and main writes "hi N mid N lo N" to FILE every 50 ms (a new file
 * renamed over it, so a reader never sees half a line).
 * Expected hot paths:  ...;spin_hi  ...;spin_mid  ...;spin_lo
 * Usage: cpushare FILE   (prints "ready" once the threads run) */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define TARGET_FRAME __attribute__((noinline, noclone))
#define BATCH 10000

static _Atomic uint64_t done[3];
static const int nices[3] = { 0, 2, 5 };

/* One batch of dependent multiply-adds: the same time wherever it runs.
 * The three copies must stay alike so an iteration costs the same. */
#define SPIN_BODY(i)							\
	uint64_t x = (uint64_t)(i) + 1;					\
	for (;;) {							\
		for (int k = 0; k < BATCH; k++) {			\
			x = x * 6364136223846793005ULL +		\
			    1442695040888963407ULL;			\
			__asm__ volatile("" : "+r"(x));			\
		}							\
		atomic_fetch_add_explicit(&done[i], 1,			\
		    memory_order_relaxed);				\
	}

TARGET_FRAME static void spin_hi(void) { SPIN_BODY(0) }
TARGET_FRAME static void spin_mid(void) { SPIN_BODY(1) }
TARGET_FRAME static void spin_lo(void) { SPIN_BODY(2) }

static void *
worker(void *arg)
{
	int i = (int)(intptr_t)arg;

	/* Linux applies a nice value to one thread when given its tid. */
	setpriority(PRIO_PROCESS, (id_t)gettid(), nices[i]);
	if (i == 0)
		spin_hi();
	else if (i == 1)
		spin_mid();
	else
		spin_lo();
	return NULL;
}

static void
write_counts(const char *path, const char *tmp)
{
	FILE *f = fopen(tmp, "w");

	if (!f)
		return;
	fprintf(f, "hi %llu mid %llu lo %llu\n",
	    (unsigned long long)atomic_load(&done[0]),
	    (unsigned long long)atomic_load(&done[1]),
	    (unsigned long long)atomic_load(&done[2]));
	if (fclose(f) == 0)
		rename(tmp, path);
}

int
main(int argc, char **argv)
{
	struct timespec nap = { 0, 50 * 1000 * 1000 };
	char tmp[4096];
	pthread_t th;

	if (argc != 2) {
		fprintf(stderr, "usage: cpushare FILE\n");
		return 2;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
	for (intptr_t i = 0; i < 3; i++)
		if (pthread_create(&th, NULL, worker, (void *)i) != 0)
			return 1;
	write_counts(argv[1], tmp);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		nanosleep(&nap, NULL);
		write_counts(argv[1], tmp);
	}
}
