/* SPDX-License-Identifier: MIT */
/* bench-ring: ring throughput between a producer and a consumer thread,
 * for 64-byte and 4 KiB records; prints the median of 5 runs per size.
 * The producer retries on a full ring here (the sampler would drop). */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctop/ring.h"

#define BENCH_RING	((size_t)1 << 20)
#define BENCH_RUNS	5

struct bench {
	struct ring ring;
	size_t len;
	uint64_t records;
	uint64_t sink;		/* keeps the consumer's reads alive */
};

static inline void
bench_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *
bench_producer(void *arg)
{
	struct bench *b = arg;
	unsigned char *data = malloc(b->len);

	if (data == NULL)
		abort();
	memset(data, 0x3c, b->len);
	for (uint64_t i = 0; i < b->records; i++) {
		memcpy(data, &i, sizeof(i));
		while (!ring_push(&b->ring, 1, data, b->len))
			bench_relax();
	}
	free(data);
	return NULL;
}

/* Copies every record out, as the worker reads a whole sample. */
static void *
bench_consumer(void *arg)
{
	struct bench *b = arg;
	unsigned char *copy = malloc(b->len);
	uint64_t got = 0, sink = 0;

	if (copy == NULL)
		abort();
	while (got < b->records) {
		size_t len;
		const void *p = ring_peek(&b->ring, NULL, &len);

		if (p == NULL) {
			bench_relax();
			continue;
		}
		memcpy(copy, p, len);
		sink += copy[0] + copy[len - 1];
		ring_release(&b->ring);
		got++;
	}
	b->sink = sink;
	free(copy);
	return NULL;
}

/* One run: returns records per second, or 0 on failure. */
static double
bench_run(size_t len, uint64_t records)
{
	struct bench b = { .len = len, .records = records };
	pthread_t prod, cons;
	double t0, secs;

	if (ring_init(&b.ring, BENCH_RING) != 0)
		return 0;
	t0 = bench_now();
	if (pthread_create(&cons, NULL, bench_consumer, &b) != 0)
		return 0;
	if (pthread_create(&prod, NULL, bench_producer, &b) != 0)
		abort();
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	secs = bench_now() - t0;
	ring_fini(&b.ring);
	return records / secs;
}

static int
bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
bench_size(size_t len, uint64_t records)
{
	double rate[BENCH_RUNS], med;

	for (int i = 0; i < BENCH_RUNS; i++) {
		rate[i] = bench_run(len, records);
		if (rate[i] == 0) {
			fprintf(stderr, "bench-ring: run failed\n");
			return 1;
		}
	}
	qsort(rate, BENCH_RUNS, sizeof(rate[0]), bench_cmp);
	med = rate[BENCH_RUNS / 2];
	printf("%5zu B records: %7.2f M records/s %8.0f MB/s  "
	    "(median of %d runs, %.2f-%.2f M/s)\n", len, med / 1e6,
	    med * len / 1e6, BENCH_RUNS, rate[0] / 1e6,
	    rate[BENCH_RUNS - 1] / 1e6);
	fflush(stdout);
	return 0;
}

int
main(void)
{
	printf("ring of %zu KiB, 1 producer + 1 consumer thread, %lu records"
	    " of 64 B and %lu of 4 KiB per run\n", BENCH_RING / 1024,
	    10000000ul, 500000ul);
	if (bench_size(64, 10000000) != 0 || bench_size(4096, 500000) != 0)
		return 1;
	return 0;
}
