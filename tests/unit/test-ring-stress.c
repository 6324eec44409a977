/* SPDX-License-Identifier: MIT */
/* Two-thread stress test of the ring: a producer sends numbered, checksummed
 * records of random length into a small ring, never waiting; the consumer
 * checks order, integrity and that every gap is a drop the producer saw.
 * The producer sets a window of a quarter of the ring again every
 * STRESS_WINDOW_EVERY records (the consumer's lags grow it back), so
 * records also go to 0 early, at the window's end.
 * Usage: test-ring-stress [RECORDS]  (or RING_STRESS_RECORDS=N). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "ctop/ring.h"
#include "../tap.h"

#if defined(__SANITIZE_THREAD__)
#define STRESS_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STRESS_TSAN 1
#endif
#endif

#ifdef STRESS_TSAN
#define STRESS_DEFAULT	1000000ull	/* TSan runs ~10x slower */
#else
#define STRESS_DEFAULT	10000000ull
#endif
#define STRESS_RING	(64 * 1024)
#define STRESS_TYPE	1u
#define STRESS_JUNK	2u
#define STRESS_PAUSE	32768		/* the consumer naps every N records */
#define STRESS_WINDOW	(STRESS_RING / 4)
#define STRESS_WINDOW_EVERY 1024

struct stress {
	struct ring ring;
	uint64_t records;		/* to send */
	uint64_t sent;			/* sent (fewer when out of time) */
	double deadline;		/* CLOCK_MONOTONIC seconds */
	uint64_t seed;
	_Atomic uint64_t *dropped_map;	/* one bit per dropped sequence */
	_Atomic int done;

	/* Producer's figures (read after join). */
	uint64_t drops, junk_drops, aborts, shorts, pushes, large;
	uint64_t early;			/* records put at 0 before the end */

	/* Consumer's figures (read after join). */
	uint64_t received, bytes, last, bad_order, bad_sum, bad_gap, bad_type;
	uint64_t naps;
};

static uint64_t
splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* The bytes after the sequence number, a function of (seq, len). */
static void
filler(unsigned char *p, size_t from, size_t len, uint64_t seq)
{
	uint64_t s = seq ^ ((uint64_t)len << 40);

	for (size_t i = from; i < len; i += 8) {
		uint64_t v = splitmix(&s);
		size_t n = len - i < 8 ? len - i : 8;

		memcpy(p + i, &v, n);
	}
}

static uint64_t
checksum(const unsigned char *p, size_t len, uint64_t seq)
{
	uint64_t h = seq * 0x9e3779b97f4a7c15ull ^ len;

	for (size_t i = 16; i < len; i += 8) {
		uint64_t w = 0;
		size_t n = len - i < 8 ? len - i : 8;

		memcpy(&w, p + i, n);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

/* Layout: u64 seq, then (len >= 16) u64 checksum of the rest, then
 * filler. Records of 8..15 bytes carry seq and filler only. */
static void
stress_fill(unsigned char *p, size_t len, uint64_t seq)
{
	uint64_t sum;

	memcpy(p, &seq, 8);
	if (len < 16) {
		filler(p, 8, len, seq);
		return;
	}
	filler(p, 16, len, seq);
	sum = checksum(p, len, seq);
	memcpy(p + 8, &sum, 8);
}

static int
stress_intact(const unsigned char *p, size_t len, uint64_t seq)
{
	unsigned char want[16];
	uint64_t sum;

	if (len < 16) {
		filler(want, 8, len, seq);
		return memcmp(p + 8, want + 8, len - 8) == 0;
	}
	memcpy(&sum, p + 8, 8);
	return sum == checksum(p, len, seq);
}

/* Mostly 8..600 bytes; 1/64 up to 8 KiB; 1/4096 up to the maximum. */
static size_t
stress_len(uint64_t *rng, size_t max)
{
	uint64_t x = splitmix(rng);

	if ((x & 4095) == 0)
		return 8 + (x >> 20) % (max - 8 + 1);
	if ((x & 63) == 0)
		return 601 + (x >> 20) % (8192 - 600);
	return 8 + (x >> 20) % 593;
}

static void
stress_mark_dropped(struct stress *st, uint64_t seq)
{
	/* relaxed: the consumer reads the bit only after the acquire of a
	 * later head, which the producer stores after this (program order). */
	atomic_fetch_or_explicit(&st->dropped_map[seq / 64],
	    1ull << (seq % 64), memory_order_relaxed);
}

static int
stress_was_dropped(struct stress *st, uint64_t seq)
{
	/* relaxed: ordered by the ring's acquire of head, see above. */
	return (atomic_load_explicit(&st->dropped_map[seq / 64],
	    memory_order_relaxed) >> (seq % 64)) & 1;
}

/* Reserves and abandons a junk record: it must leave no trace. */
static void
stress_junk(struct stress *st, size_t len)
{
	unsigned char *p = ring_reserve(&st->ring, STRESS_JUNK, len);

	if (p == NULL) {
		st->junk_drops++;
		return;
	}
	memset(p, 0xa5, len);
	ring_abort(&st->ring);
	st->aborts++;
}

/* Sends one record by ring_push, by a shrunk reservation or a plain one. */
static int
stress_send(struct stress *st, uint64_t seq, size_t len, uint64_t how,
    unsigned char *scratch)
{
	size_t max = ring_max_record(&st->ring), extra;
	unsigned char *p;

	if (how % 4 == 0) {
		stress_fill(scratch, len, seq);
		st->pushes++;
		return ring_push(&st->ring, STRESS_TYPE, scratch, len);
	}
	extra = how % 4 == 1 ? (how >> 8) % 512 : 0;
	if (len + extra > max)
		extra = max - len;
	p = ring_reserve(&st->ring, STRESS_TYPE, len + extra);
	if (p == NULL)
		return 0;
	/* Scribble on the part we give back: it must never be seen. */
	memset(p + len, 0x5a, extra);
	stress_fill(p, len, seq);
	ring_commit(&st->ring, len);
	st->shorts += extra != 0;
	return 1;
}

static double stress_now(void);

static void *
stress_producer(void *arg)
{
	struct stress *st = arg;
	size_t max = ring_max_record(&st->ring);
	uint64_t rng = st->seed;
	static unsigned char scratch[STRESS_RING / 2];
	unsigned in_a_row = 0;
	uint64_t seq, at;

	for (seq = 0; seq < st->records; seq++) {
		size_t len = stress_len(&rng, max);

		/* On a badly overloaded machine, stop at the deadline: what
		 * was sent is still checked record by record. */
		if (seq % 65536 == 0 && seq > 0 && stress_now() > st->deadline)
			break;
		uint64_t how = splitmix(&rng);

		if (how % 32 == 31)
			stress_junk(st, 8 + (how >> 32) % 1024);
		st->large += len > 600;
		if (seq % STRESS_WINDOW_EVERY == 0)
			ring_set_window(&st->ring, STRESS_WINDOW);
		at = ring_mark(&st->ring) & st->ring.mask;
		if (!stress_send(st, seq, len, how >> 5, scratch)) {
			/* A sampler pays for the capture either way; so
			 * does this producer, or it would race ahead and
			 * drop nearly everything. */
			stress_fill(scratch, len, seq);
			stress_mark_dropped(st, seq);
			st->drops++;
			/* On a loaded machine both threads may share a core:
			 * let the consumer run, or little gets through. */
			if (++in_a_row % 16 == 0)
				sched_yield();
		} else {
			in_a_row = 0;
			/* At 0 now, though the record fitted before the end. */
			st->early += (ring_mark(&st->ring) & st->ring.mask) <
			    at && at + 8 + ((len + 7) & ~(size_t)7) <=
			    st->ring.size;
		}
	}
	st->sent = seq;
	/* release: the consumer that sees done also sees the last head. */
	atomic_store_explicit(&st->done, 1, memory_order_release);
	return NULL;
}

/* Every sequence in (from, to) must have been dropped by the producer. */
static void
stress_check_gap(struct stress *st, uint64_t from, uint64_t to)
{
	for (uint64_t k = from + 1; k < to; k++)
		if (!stress_was_dropped(st, k) && st->bad_gap++ < 5)
			diag("sequence %" PRIu64 " missing but not dropped", k);
}

static void
stress_check(struct stress *st, const unsigned char *p, uint32_t type,
    size_t len)
{
	uint64_t seq;

	if (type != STRESS_TYPE || len < 8) {
		if (st->bad_type++ < 5)
			diag("record of type %u, %zu bytes", type, len);
		return;
	}
	memcpy(&seq, p, 8);
	if (seq >= st->records ||
	    (st->received > 0 && seq <= st->last)) {
		if (st->bad_order++ < 5)
			diag("sequence %" PRIu64 " after %" PRIu64, seq,
			    st->last);
		return;
	}
	if (!stress_intact(p, len, seq) && st->bad_sum++ < 5)
		diag("sequence %" PRIu64 " (%zu bytes) corrupt", seq, len);
	if (stress_was_dropped(st, seq) && st->bad_gap++ < 5)
		diag("sequence %" PRIu64 " arrived but was dropped", seq);
	stress_check_gap(st, st->received > 0 ? st->last : (uint64_t)-1, seq);
	st->last = seq;
	st->received++;
	st->bytes += len;
}

static void
stress_nap(long ns)
{
	struct timespec ts = { 0, ns };

	nanosleep(&ts, NULL);
}

static void *
stress_consumer(void *arg)
{
	struct stress *st = arg;
	unsigned idle = 0;

	for (;;) {
		const unsigned char *p;
		uint32_t type;
		size_t len;
		/* acquire, pairs with the producer's release of done. */
		int done = atomic_load_explicit(&st->done,
		    memory_order_acquire);

		p = ring_peek(&st->ring, &type, &len);
		if (p == NULL) {
			if (done)
				break;
			if (++idle % 64 == 0)
				sched_yield();
			continue;
		}
		if (st->received % 16 == 0 &&
		    ring_peek(&st->ring, NULL, NULL) != p &&
		    st->bad_order++ < 5)
			diag("a second peek moved");
		stress_check(st, p, type, len);
		ring_release(&st->ring);
		/* Let the ring fill up now and then: drops must happen. */
		if (st->received % STRESS_PAUSE == 0) {
			stress_nap(200000);
			st->naps++;
		}
	}
	return NULL;
}

static uint64_t
stress_records(int argc, char **argv)
{
	const char *s = argc > 1 ? argv[1] : getenv("RING_STRESS_RECORDS");
	unsigned long long n;
	char *end;

	if (s == NULL || *s == '\0')
		return STRESS_DEFAULT;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || n < 1000)
		return 0;
	return n;
}

static double
stress_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
stress_report(struct stress *st, double secs)
{
	uint64_t laps = (ring_pushed(&st->ring) ? st->bytes : 0) / STRESS_RING;

	diag("seed %#" PRIx64 ", ring %d bytes", st->seed, STRESS_RING);
	diag("sent %" PRIu64 ", received %" PRIu64 ", dropped %" PRIu64
	    " (%.1f%%) in %.2f s (%.2f M records/s sent)", st->sent,
	    st->received, st->drops, 100.0 * st->drops / st->sent, secs,
	    st->sent / secs / 1e6);
	if (st->sent < st->records)
		diag("out of time after %" PRIu64 " of %" PRIu64 " records "
		    "(RING_STRESS_SECONDS)", st->sent, st->records);
	diag("%" PRIu64 " payload MB, >= %" PRIu64 " laps of the ring, %"
	    PRIu64 " records > 600 bytes, %" PRIu64 " via ring_push, %" PRIu64
	    " shrunk, %" PRIu64 " aborted, %" PRIu64 " consumer naps",
	    st->bytes / 1000000, laps, st->large, st->pushes, st->shorts,
	    st->aborts, st->naps);
}

int
main(int argc, char **argv)
{
	static struct stress st;
	pthread_t prod, cons;
	const char *seed = getenv("RING_STRESS_SEED");
	double t0, secs;

	st.records = stress_records(argc, argv);
	if (st.records == 0) {
		fprintf(stderr, "usage: test-ring-stress [RECORDS >= 1000]\n");
		return 2;
	}
	st.seed = seed ? strtoull(seed, NULL, 0) : 0x5eed0f41c2b3a7ull;
	st.dropped_map = calloc(st.records / 64 + 1, sizeof(*st.dropped_map));
	ok(st.dropped_map != NULL, "allocate the drop map");
	is_int(ring_init(&st.ring, STRESS_RING), 0, "ring of 64 KiB");
	if (st.dropped_map == NULL || st.ring.buf == NULL)
		return done_testing();

	t0 = stress_now();
	st.deadline = t0 + (getenv("RING_STRESS_SECONDS") ?
	    atof(getenv("RING_STRESS_SECONDS")) : 120);
	ok(pthread_create(&cons, NULL, stress_consumer, &st) == 0 &&
	    pthread_create(&prod, NULL, stress_producer, &st) == 0,
	    "start consumer and producer");
	pthread_join(prod, NULL);
	pthread_join(cons, NULL);
	secs = stress_now() - t0;
	stress_report(&st, secs);

	is_int(st.received + st.drops, st.sent,
	    "received + dropped == sent");
	is_int(st.bad_order, 0, "sequence numbers strictly increasing");
	is_int(st.bad_sum, 0, "every payload intact (checksum)");
	is_int(st.bad_type, 0, "no junk, no padding, no short record seen");
	if (st.received > 0)
		stress_check_gap(&st, st.last, st.sent);
	is_int(st.bad_gap, 0, "gaps exactly where the producer dropped");
	is_int(ring_dropped(&st.ring), st.drops + st.junk_drops,
	    "ring_dropped matches the producer's count");
	is_int(ring_pushed(&st.ring), st.received,
	    "ring_pushed matches the records received");
	is_int(ring_used(&st.ring), 0, "the ring is empty at the end");
	ok(st.drops > 0, "drops happened (%" PRIu64 ")", st.drops);
	ok(st.received > st.sent / 20, "a fair share got through (%" PRIu64
	    ")", st.received);
	ok(st.bytes / STRESS_RING > 100, "the ring wrapped (%" PRIu64
	    " laps)", st.bytes / STRESS_RING);
	ok(st.shorts > 0 && st.aborts > 0 && st.pushes > 0 && st.large > 0,
	    "shrunk, aborted, pushed and large records all exercised");
	ok(st.early > 0, "records put at 0 at the window's end (%" PRIu64 ")",
	    st.early);
	ring_fini(&st.ring);
	free(st.dropped_map);
	return done_testing();
}
