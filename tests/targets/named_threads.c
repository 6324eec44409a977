/* SPDX-License-Identifier: MIT */
/* Thread target: N spinning threads named worker-1..worker-N (each in its
 * own function spin_worker_1..spin_worker_8; spin_worker_n past 8),
 * optionally M more named late-1..late-M started after a delay (spinning
 * in spin_late), and optionally K sleeping threads named sleeper-1.. that
 * block in sleep_forever (seen only in wall mode). Main blocks in
 * pthread_join. Expected: worker-K;...;spin_worker_K in each thread.
 * Prints "ready" once the first threads run (before the late ones).
 * Usage: named_threads [--threads N] [--late M --after SECS]
 *                      [--sleepers K] [--seconds S] */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TARGET_FRAME __attribute__((noinline, noclone))
#define MAX_THREADS 256

static double run_until;	/* CLOCK_MONOTONIC seconds, 0 = forever */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Burns about a millisecond; the caller's frame is what tests look for. */
static inline void
spin_body(void)
{
	uint64_t x = 1;

	for (int i = 0; i < 300000; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(x));
	}
}

static bool
time_is_up(void)
{
	return run_until > 0 && now_s() >= run_until;
}

#define SPIN_FN(name)					\
	TARGET_FRAME void name(void);			\
	TARGET_FRAME void				\
	name(void)					\
	{						\
		while (!time_is_up())			\
			spin_body();			\
	}

SPIN_FN(spin_worker_1)
SPIN_FN(spin_worker_2)
SPIN_FN(spin_worker_3)
SPIN_FN(spin_worker_4)
SPIN_FN(spin_worker_5)
SPIN_FN(spin_worker_6)
SPIN_FN(spin_worker_7)
SPIN_FN(spin_worker_8)
SPIN_FN(spin_worker_n)
SPIN_FN(spin_late)

TARGET_FRAME void sleep_forever(void);

TARGET_FRAME void
sleep_forever(void)
{
	while (!time_is_up())
		usleep(100000);
}

static void (*const worker_fns[])(void) = {
	spin_worker_1, spin_worker_2, spin_worker_3, spin_worker_4,
	spin_worker_5, spin_worker_6, spin_worker_7, spin_worker_8,
};

struct thread_arg {
	char name[16];
	void (*fn)(void);
};

static void *
thread_main(void *p)
{
	struct thread_arg *arg = p;

	pthread_setname_np(pthread_self(), arg->name);
	arg->fn();
	return NULL;
}

static pthread_t threads[MAX_THREADS];
static struct thread_arg args[MAX_THREADS];
static int n_threads;

static void
start_thread(const char *prefix, int k, void (*fn)(void))
{
	struct thread_arg *arg = &args[n_threads];
	int err;

	snprintf(arg->name, sizeof arg->name, "%s-%d", prefix, k);
	arg->fn = fn;
	err = pthread_create(&threads[n_threads], NULL, thread_main, arg);
	if (err) {
		fprintf(stderr, "named_threads: pthread_create: %s\n",
		    strerror(err));
		exit(1);
	}
	n_threads++;
}

static long
parse_count(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < 0 || v > MAX_THREADS / 4) {
		fprintf(stderr, "named_threads: bad count %s (0-%d)\n", s,
		    MAX_THREADS / 4);
		exit(2);
	}
	return v;
}

static double
parse_secs(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end || end == s || v < 0) {
		fprintf(stderr, "named_threads: bad seconds %s\n", s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "late", required_argument, NULL, 'l' },
		{ "after", required_argument, NULL, 'a' },
		{ "sleepers", required_argument, NULL, 'S' },
		{ "seconds", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	long workers = 2, late = 0, sleepers = 0;
	double after = 1.0, seconds = 0;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 't': workers = parse_count(optarg); break;
		case 'l': late = parse_count(optarg); break;
		case 'a': after = parse_secs(optarg); break;
		case 'S': sleepers = parse_count(optarg); break;
		case 's': seconds = parse_secs(optarg); break;
		default:
			fprintf(stderr, "usage: named_threads [--threads N] "
			    "[--late M --after SECS] [--sleepers K] "
			    "[--seconds S]\n");
			return 2;
		}
	}
	if (seconds > 0)
		run_until = now_s() + seconds;
	for (int k = 1; k <= workers; k++)
		start_thread("worker", k, k <= 8 ? worker_fns[k - 1]
		    : spin_worker_n);
	for (int k = 1; k <= sleepers; k++)
		start_thread("sleeper", k, sleep_forever);
	/* Tests attach now: the late threads are born after that. */
	printf("ready\n");
	fflush(stdout);
	if (late > 0) {
		struct timespec ts = {
			.tv_sec = (time_t)after,
			.tv_nsec = (long)((after - (time_t)after) * 1e9),
		};

		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
		for (int k = 1; k <= late; k++)
			start_thread("late", k, spin_late);
	}
	for (int i = 0; i < n_threads; i++)
		pthread_join(threads[i], NULL);
	return 0;
}
