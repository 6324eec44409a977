/* SPDX-License-Identifier: MIT */
/* sampler, perf backend: what one sample costs the thread it interrupts
 * (the kernel's timer interrupt, registers, call chain and stack copy into
 * the ring), for the overhead budget. Measured once at start on the
 * sampler thread itself: a fixed busy loop timed with and without an
 * event like the target's (same stack size, registers, chain) sampling
 * it at CALIB_HZ, in alternate 1 ms chunks (CALIB_RUNS * CALIB_CHUNKS
 * of each). About 0.6 s, only under --max-overhead. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ctop/util.h"
#include "perf_internal.h"

#define CALIB_RUNS 7
#define CALIB_HZ 10000
#define CALIB_CHUNK_NS (1000ull * 1000)	/* timed between two drains */
#define CALIB_CHUNKS 40			/* per run: 40 ms, 400 samples */
#define CALIB_PAGES 64		/* 256 KiB: one chunk's samples fit */
#define CALIB_DEFAULT_NS 5000	/* when it cannot tell */
#define CALIB_MIN_NS 1000
#define CALIB_MAX_NS 1000000

static volatile uint64_t calib_sink;

/* n rounds of work the compiler cannot remove. */
static uint64_t
timed_spin(uint64_t n)
{
	uint64_t t0 = util_now_ns(), x = calib_sink;

	for (uint64_t i = 0; i < n; i++)
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	calib_sink = x;
	return util_now_ns() - t0;
}

/* Rounds of timed_spin() that take about ns. */
static uint64_t
rounds_for(uint64_t ns)
{
	uint64_t n = 1 << 16, t;

	while ((t = timed_spin(n)) < ns / 8 && n < (1ull << 40))
		n *= 2;
	return t ? n * ns / t : n;
}

/* Sample records the kernel wrote since the last call, which frees them
 * (the ring holds one chunk's samples: none lost). */
static uint64_t
ring_count(struct perf_event_mmap_page *meta)
{
	const unsigned char *data = (const unsigned char *)meta +
	    meta->data_offset;
	uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = meta->data_tail, size = meta->data_size, n = 0;

	while (tail + sizeof(struct perf_event_header) <= head) {
		struct perf_event_header h;
		uint64_t off = tail & (size - 1);

		if (off + sizeof h > size)
			break;	/* a header across the end: stop counting */
		memcpy(&h, data + off, sizeof h);
		if (h.size == 0)
			break;
		n += h.type == PERF_RECORD_SAMPLE;
		tail += h.size;
	}
	__atomic_store_n(&meta->data_tail, head, __ATOMIC_RELEASE);
	return n;
}

static uint64_t
fastest(const uint64_t *v, int n)
{
	uint64_t m = UINT64_MAX;

	for (int i = 0; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return m;
}

/* The cost per sample of each calm pair into cost[]; their number. */
static int
calm_costs(const uint64_t *bare, const uint64_t *with, const uint64_t *got,
    int n, int64_t *cost)
{
	uint64_t b = fastest(bare, n) * 3 / 2, w = fastest(with, n) * 3 / 2;
	int k = 0;

	for (int i = 0; i < n; i++)
		if (got[i] > 0 && bare[i] <= b && with[i] <= w)
			cost[k++] = ((int64_t)with[i] - (int64_t)bare[i]) /
			    (int64_t)got[i];
	return k;
}

static int
cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
calibrate_once(const struct perf_event_attr *like)
{
	enum { CHUNKS = CALIB_RUNS * CALIB_CHUNKS };
	struct perf_event_attr a = *like;
	size_t len = (size_t)(CALIB_PAGES + 1) * 4096;
	struct perf_event_mmap_page *meta;
	uint64_t n, bare[CHUNKS], with[CHUNKS], got[CHUNKS];
	int64_t cost[CHUNKS], c;
	int fd, runs = 0;

	a.inherit = a.inherit_thread = 0;
	a.disabled = 1;
	a.enable_on_exec = 0;
	a.mmap = a.mmap2 = a.comm = a.comm_exec = a.task = 0;
	a.watermark = 0;
	a.wakeup_events = 0;
	a.sample_period = 1000000000ull / CALIB_HZ;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1,
	    PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return CALIB_DEFAULT_NS;
	meta = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (meta == MAP_FAILED) {
		close(fd);
		return CALIB_DEFAULT_NS;
	}
	n = rounds_for(CALIB_CHUNK_NS);
	for (int i = 0; i < CHUNKS; i++) {
		bare[i] = timed_spin(n);
		ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
		with[i] = timed_spin(n);
		ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
		/* Emptied between chunks, untimed: a full ring would make
		 * the kernel skip the copy. */
		got[i] = ring_count(meta);
	}
	munmap(meta, len);
	close(fd);
	/* Each sampled chunk against the bare one just before it, which
	 * ran in about the same conditions, in the calm pairs only (both
	 * within half again of the fastest of their kind: not preempted),
	 * the median of the differences per sample: the samples' cost.
	 * 15 us here, quiet or under a load of 7 on 2 CPUs, where the
	 * target's slowdown at 999 Hz says 16 us; the fastest bare chunk as
	 * the only reference said 0.5 us under load, all pairs 100 us. */
	runs = calm_costs(bare, with, got, CHUNKS, cost);
	if (runs == 0)
		return CALIB_DEFAULT_NS;
	qsort(cost, (size_t)runs, sizeof cost[0], cmp_i64);
	c = cost[runs / 2];
	return c < 0 ? 0 : c > CALIB_MAX_NS ? CALIB_MAX_NS : (uint64_t)c;
}

/* A result under CALIB_MIN_NS is a noisy machine's (no sample of a
 * stack copy costs so little): measured once more, then taken as the
 * floor. */
uint64_t
perf__calibrate(const struct perf_event_attr *like)
{
	uint64_t ns = calibrate_once(like);

	if (ns < CALIB_MIN_NS)
		ns = calibrate_once(like);
	return ns < CALIB_MIN_NS ? CALIB_MIN_NS : ns;
}
