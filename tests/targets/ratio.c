/* SPDX-License-Identifier: MIT */
/* Accuracy target: work_a and work_b have identical bodies and are called
 * A:B times per round (default 3:1), in an order drawn afresh each round,
 * so work_a holds A/(A+B) of the CPU time (75%) by construction. Expected hot path:
 *   main;ratio_round;work_a  75%   main;ratio_round;work_b  25%
 * Usage: ratio [--seconds N] [--after-usr1] [--ratio A:B | A:B]. Runs
 * until killed unless --seconds is given; with --after-usr1 it sleeps
 * (no CPU, no sample) until a SIGUSR1, and the seconds count from it. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "cpu_report.h"

#define TARGET_FRAME __attribute__((noinline, noclone))

/* Iterations per call: about 100 us, short against a 1 ms sampling
 * period so the split does not depend on where a sample lands. */
#define SPINS 100000

static volatile uint64_t sink;

/* The two bodies must stay byte for byte alike. Each iteration is a
 * dependent multiply-add, so its time is the same wherever the loop is
 * placed; the empty asm keeps the compiler from folding the loop. */
TARGET_FRAME void work_a(void);
TARGET_FRAME void work_b(void);

TARGET_FRAME void
work_a(void)
{
	uint64_t x = sink;

	for (int i = 0; i < SPINS; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(x));
	}
	sink = x;
}

TARGET_FRAME void
work_b(void)
{
	uint64_t x = sink;

	for (int i = 0; i < SPINS; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		__asm__ volatile("" : "+r"(x));
	}
	sink = x;
}

/* xorshift64: the order of a round's calls, nothing else. */
static uint64_t
next_random(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ull;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return x;
}

/* A calls of work_a and B of work_b in an order drawn afresh each round
 * (each call work_a with the chance of the work_a calls left): a fixed
 * order repeats every A + B calls, and a sampler whose period is a
 * multiple of a round (perf's cpu-clock at a fixed period on a quiet
 * machine) would see the same call every time. Counts per round stay
 * exact. */
static TARGET_FRAME void
ratio_round(long a, long b)
{
	while (a + b > 0) {
		if ((long)(next_random() % (uint64_t)(a + b)) < a) {
			work_a();
			a--;
		} else {
			work_b();
			b--;
		}
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int
parse_ratio(const char *s, long *a, long *b)
{
	char *end;

	errno = 0;
	*a = strtol(s, &end, 10);
	if (errno || end == s || *end != ':' || *a < 0 || *a > 1000)
		return -1;
	s = end + 1;
	*b = strtol(s, &end, 10);
	if (errno || end == s || *end || *b < 0 || *b > 1000 || *a + *b == 0)
		return -1;
	return 0;
}

static void
usage_error(void)
{
	fprintf(stderr, "usage: ratio [--seconds N] [--after-usr1] [--ratio A:B | A:B]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "ratio", required_argument, NULL, 'r' },
		{ "after-usr1", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	double seconds = 0, deadline;
	long a = 3, b = 1;
	bool after_usr1 = false;
	sigset_t usr1;
	char *end;
	int c, sig;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			seconds = strtod(optarg, &end);
			if (*end || end == optarg || seconds <= 0)
				usage_error();
			break;
		case 'r':
			if (parse_ratio(optarg, &a, &b) < 0)
				usage_error();
			break;
		case 'u':
			after_usr1 = true;
			break;
		default:
			usage_error();
		}
	}
	if (optind < argc && parse_ratio(argv[optind++], &a, &b) < 0)
		usage_error();
	if (optind < argc)
		usage_error();
	if (after_usr1) {
		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		sigprocmask(SIG_BLOCK, &usr1, NULL);
		while (sigwait(&usr1, &sig) != 0)
			;
	}
	deadline = now_s() + seconds;
	while (seconds == 0 || now_s() < deadline)
		ratio_round(a, b);
	report_cpu_time();
	return 0;
}
