/* SPDX-License-Identifier: MIT */
/* Single-thread tests of the ring: boundaries (empty, full, wrap, padding,
 * 64-bit counter overflow), reserve/commit/abort and exact drop counts. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ctop/ring.h"
#include "../tap.h"

#define SMALL		4096
#define MODEL_MAX	8192	/* records the model queue can hold */

/* A deterministic byte pattern for record `seq` of `len` bytes. */
static unsigned char
pattern(uint64_t seq, size_t i)
{
	return (unsigned char)(seq * 31 + i * 7 + (i >> 8));
}

static void
fill(unsigned char *p, size_t len, uint64_t seq)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern(seq, i);
}

static int
check(const unsigned char *p, size_t len, uint64_t seq)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(seq, i))
			return 0;
	return 1;
}

static uint64_t
head_of(struct ring *r)
{
	return atomic_load(&r->head);
}

/* Moves both counters (and the sides' cached copies) to `at`, as if that
 * many bytes had gone through an empty ring. */
static void
preset(struct ring *r, uint64_t at)
{
	atomic_store(&r->head, at);
	atomic_store(&r->tail, at);
	r->tail_cache = at;
	r->head_cache = at;
}

static void
test_init(void)
{
	static const size_t bad[] = { 0, 8, 2048, 4095, 5000, 12288,
	    (size_t)1 << 31 };
	struct ring r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(ring_init(&r, bad[i]), -EINVAL, "init %zu bytes fails",
		    bad[i]);
	is_int(ring_init(NULL, SMALL), -EINVAL, "init NULL fails");
	is_int(ring_init(&r, SMALL), 0, "init 4 KiB");
	is_int(ring_max_record(&r), SMALL / 2 - 8, "max record is size/2 - 8");
	ok(((uintptr_t)r.buf & 4095) == 0, "buffer is page-aligned");
	ring_fini(&r);
	ring_fini(&r);
	ok(r.buf == NULL, "fini twice is harmless");
	is_int(ring_init(&r, (size_t)1 << 20), 0, "init 1 MiB");
	is_int(ring_max_record(&r), (1 << 19) - 8, "1 MiB: max record");
	ring_fini(&r);
}

static void
test_empty(void)
{
	struct ring r;
	uint32_t type = 99;
	size_t len = 99;
	unsigned char buf[16] = "0123456789abcde";
	const unsigned char *p;

	ring_init(&r, SMALL);
	ok(ring_peek(&r, &type, &len) == NULL, "empty ring: peek is NULL");
	is_int(ring_used(&r), 0, "empty ring: used 0");
	ring_release(&r);
	is_int(ring_used(&r), 0, "release without peek is a no-op");

	ok(ring_push(&r, 7, buf, 15), "push 15 bytes");
	is_int(ring_used(&r), 24, "used = 8 header + 16 padded payload");
	p = ring_peek(&r, &type, &len);
	ok(p != NULL && type == 7 && len == 15 && memcmp(p, buf, 15) == 0,
	    "peek returns type, length and bytes");
	ok(ring_peek(&r, NULL, NULL) == p, "peek again: the same record");
	ring_release(&r);
	ok(ring_peek(&r, &type, &len) == NULL, "empty again after release");
	is_int(ring_used(&r), 0, "used back to 0");
	is_int(ring_pushed(&r), 1, "pushed counts 1");
	is_int(ring_dropped(&r), 0, "nothing dropped");
	ring_fini(&r);
}

static void
test_invalid(void)
{
	struct ring r;
	size_t max;

	ring_init(&r, SMALL);
	max = ring_max_record(&r);
	ok(ring_reserve(&r, 0, 8) == NULL, "type 0 is refused");
	ok(ring_reserve(&r, 1, 0) == NULL, "length 0 is refused");
	ok(ring_reserve(&r, 1, max + 1) == NULL, "max + 1 is refused");
	ok(ring_reserve(&r, 1, SIZE_MAX) == NULL, "SIZE_MAX is refused");
	ok(!ring_push(&r, 1, "", 0), "push of 0 bytes fails");
	ok(!ring_push(&r, 0, "x", 1), "push of type 0 fails");
	is_int(ring_dropped(&r), 0, "invalid requests are not drops");
	is_int(ring_used(&r), 0, "and take no room");
	ok(ring_reserve(&r, 1, 8) != NULL, "a valid reservation still works");
	ring_abort(&r);
	ring_fini(&r);
}

static void
test_alignment(void)
{
	struct ring r;
	int good = 1;

	ring_init(&r, SMALL);
	for (uint64_t len = 1; len <= 300; len++) {
		unsigned char *p = ring_reserve(&r, 1, len);
		size_t got = 0;

		if (p == NULL || ((uintptr_t)p & 7) != 0) {
			good = 0;
			break;
		}
		fill(p, len, len);
		ring_commit(&r, len);
		if (ring_peek(&r, NULL, &got) != p || got != len ||
		    !check(p, len, len))
			good = 0;
		ring_release(&r);
	}
	ok(good, "records of 1..300 bytes: 8-aligned, peek = reserve, intact");
	ok(head_of(&r) > 4 * SMALL, "and they went around the ring 4 times");
	ring_fini(&r);
}

/* 64-byte records (72 with the header) fill 4032 of 4096 bytes; the 64
 * left at the end only fit one once a record has been freed, with padding. */
static void
test_full(void)
{
	struct ring r;
	unsigned char buf[64];
	int pushed = 0, refused = 0, good = 1;
	const unsigned char *p;
	size_t len;
	uint64_t seq;

	ring_init(&r, SMALL);
	for (seq = 0; seq < 100; seq++) {
		fill(buf, sizeof(buf), seq);
		if (ring_push(&r, 1, buf, sizeof(buf)))
			pushed++;
		else
			refused++;
	}
	is_int(pushed, 56, "56 records of 64 bytes fit in 4 KiB");
	is_int(refused, 44, "the other 44 are refused");
	is_int(ring_dropped(&r), 44, "and counted as dropped, exactly");
	is_int(ring_pushed(&r), 56, "pushed counts 56");
	is_int(ring_used(&r), 56 * 72, "used 4032");
	ok(ring_reserve(&r, 1, 57) == NULL, "57 bytes (+8) do not fit in 64");
	is_int(ring_dropped(&r), 45, "which counts one more drop");

	p = ring_peek(&r, NULL, &len);
	ok(p != NULL && len == 64 && check(p, 64, 0), "first record is seq 0");
	ring_release(&r);
	fill(buf, sizeof(buf), 1000);
	ok(ring_push(&r, 2, buf, sizeof(buf)), "one freed: the next one fits");
	is_int(ring_used(&r), SMALL, "after 64 bytes of padding: used 4096");
	ok(!ring_push(&r, 2, buf, 8), "now full to the byte");
	is_int(ring_dropped(&r), 46, "drops 46");

	for (seq = 1; seq < 56; seq++) {
		uint32_t type = 0;

		p = ring_peek(&r, &type, &len);
		if (p == NULL || type != 1 || len != 64 || !check(p, 64, seq))
			good = 0;
		ring_release(&r);
	}
	ok(good, "records 1..55 come out in order and intact");
	p = ring_peek(&r, NULL, &len);
	ok(p == r.buf + 8 && len == 64 && check(p, 64, 1000),
	    "then the padded one, from the start of the buffer");
	ring_release(&r);
	ok(ring_peek(&r, NULL, NULL) == NULL, "then the ring is empty");
	is_int(ring_used(&r), 0, "used 0, padding included");
	ring_fini(&r);
}

static void
test_commit_short(void)
{
	struct ring r;
	unsigned char *w;
	const unsigned char *p;
	size_t len;

	ring_init(&r, SMALL);
	w = ring_reserve(&r, 3, 200);
	fill(w, 200, 5);
	is_int(ring_used(&r), 0, "an open reservation is not visible");
	ok(ring_peek(&r, NULL, NULL) == NULL, "nor peekable");
	ring_commit(&r, 10);
	is_int(ring_used(&r), 24, "commit 10 of 200: only 24 bytes used");
	p = ring_peek(&r, NULL, &len);
	ok(p == w && len == 10 && check(p, 10, 5), "peek sees 10 bytes");
	ring_release(&r);

	/* A shrunk record whose padding was already laid down. */
	preset(&r, 10 * SMALL - 64);
	w = ring_reserve(&r, 3, 100);
	ok(w == r.buf + 8, "100 bytes at 64 from the end go to the start");
	fill(w, 100, 6);
	ring_commit(&r, 1);
	is_int(ring_used(&r), 64 + 16, "commit 1: padding 64 + record 16");
	p = ring_peek(&r, NULL, &len);
	ok(p == w && len == 1 && check(p, 1, 6), "peek skips the padding");
	ring_release(&r);
	is_int(ring_used(&r), 0, "release frees padding and record");
	is_int(ring_pushed(&r), 2, "pushed 2");
	ring_fini(&r);
}

static void
test_abort(void)
{
	struct ring r;
	unsigned char *w, buf[100];
	const unsigned char *p;
	size_t len;

	ring_init(&r, SMALL);
	w = ring_reserve(&r, 3, 100);
	memset(w, 0xee, 100);
	ring_abort(&r);
	is_int(ring_used(&r), 0, "abort: nothing used");
	ok(ring_peek(&r, NULL, NULL) == NULL, "abort: nothing to peek");
	is_int(ring_pushed(&r), 0, "abort: not pushed");
	is_int(ring_dropped(&r), 0, "abort: not dropped");

	/* Aborting a reservation that had laid down padding. */
	preset(&r, 3 * SMALL - 64);
	w = ring_reserve(&r, 3, 100);
	memset(w, 0xee, 100);
	ring_abort(&r);
	fill(buf, 40, 7);
	ok(ring_push(&r, 4, buf, 40), "40 bytes fit before the end");
	p = ring_peek(&r, NULL, &len);
	ok(p == r.buf + SMALL - 56 && len == 40 && check(p, 40, 7),
	    "and come out from there, not after stale padding");
	ring_release(&r);
	fill(buf, 100, 8);
	ok(ring_push(&r, 4, buf, 100), "then 100 bytes wrap");
	p = ring_peek(&r, NULL, &len);
	ok(p == r.buf + 8 && len == 100 && check(p, 100, 8), "intact");
	ring_release(&r);
	ring_fini(&r);
}

/* Largest records, from every 8-aligned starting offset. */
static void
test_max(void)
{
	struct ring r;
	size_t max, len;
	unsigned char *w;
	const unsigned char *p;
	int good = 1;

	ring_init(&r, SMALL);
	max = ring_max_record(&r);
	for (uint64_t off = 0; off < SMALL; off += 8) {
		preset(&r, 5 * SMALL + off);
		w = ring_reserve(&r, 9, max);
		if (w == NULL) {
			good = 0;
			break;
		}
		fill(w, max, off);
		ring_commit(&r, max);
		p = ring_peek(&r, NULL, &len);
		if (p != w || len != max || !check(p, max, off) ||
		    ring_used(&r) > SMALL)
			good = 0;
		ring_release(&r);
	}
	ok(good, "a max record fits an empty ring at all 512 offsets");
	is_int(ring_dropped(&r), 0, "no drops");
	preset(&r, 0);
	ok(ring_reserve(&r, 9, max) != NULL, "max at 0");
	ring_commit(&r, max);
	ok(ring_reserve(&r, 9, max) != NULL, "a second max fills the ring");
	ring_commit(&r, max);
	is_int(ring_used(&r), SMALL, "used 4096");
	ok(ring_reserve(&r, 9, 1) == NULL, "third refused");
	is_int(ring_dropped(&r), 1, "one drop");
	ring_fini(&r);
}

/* Two records of each size from each offset in the last 256 bytes. */
static void
test_wrap_sizes(void)
{
	static const size_t sizes[] = { 1, 7, 8, 9, 56, 57, 63, 64, 65, 100,
	    247, 248, 249, 1000, 2039, 2040 };
	struct ring r;
	int good = 1;

	ring_init(&r, SMALL);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		size_t n = sizes[s];

		for (uint64_t off = SMALL - 256; off <= SMALL; off += 8) {
			uint64_t k, pushed = 0;

			preset(&r, 7 * SMALL + off);
			for (k = 0; k < 2; k++) {
				unsigned char *w = ring_reserve(&r, 5, n);

				if (w == NULL)
					break;
				fill(w, n, n + k);
				ring_commit(&r, n);
				pushed++;
			}
			/* Only two halves plus padding may not fit. */
			if (pushed < (n > 1024 ? 1u : 2u))
				good = 0;
			for (k = 0; k < pushed; k++) {
				const unsigned char *p;
				size_t len;

				p = ring_peek(&r, NULL, &len);
				if (p == NULL || len != n ||
				    !check(p, n, n + k) ||
				    p + n > r.buf + SMALL)
					good = 0;
				ring_release(&r);
			}
			if (ring_used(&r) != 0 || ring_peek(&r, NULL, NULL))
				good = 0;
		}
	}
	ok(good, "16 sizes x 33 offsets across the end: in order, intact, "
	    "contiguous");
	ring_fini(&r);
}

/* An independent model of the ring's byte accounting: it predicts which
 * pushes fit and what ring_used() says, and checks every byte read. */
struct model {
	uint64_t head, tail, size, pushed, dropped, next_seq;
	uint64_t q_seq[MODEL_MAX], q_len[MODEL_MAX], q_bytes[MODEL_MAX];
	uint32_t q_type[MODEL_MAX];
	unsigned q_first, q_n;
	uint64_t rng;
	int bad;
};

static uint64_t
model_rand(struct model *m)
{
	m->rng ^= m->rng << 13;
	m->rng ^= m->rng >> 7;
	m->rng ^= m->rng << 17;
	return m->rng;
}

static size_t
model_len(struct model *m, size_t max)
{
	uint64_t x = model_rand(m);

	if ((x & 15) == 0)
		return 1 + (x >> 8) % max;
	return 1 + (x >> 8) % 300;
}

static void
model_push(struct ring *r, struct model *m)
{
	size_t max = ring_max_record(r), len = model_len(m, max), keep = len;
	uint64_t rec = 8 + ((len + 7) & ~7ul), to_end, need, start;
	uint32_t type = 1 + (uint32_t)(model_rand(m) % 1000);
	unsigned char *w;
	unsigned i;

	to_end = m->size - (m->head & (m->size - 1));
	need = rec <= to_end ? rec : to_end + rec;
	w = ring_reserve(r, type, len);
	if ((w != NULL) != (m->size - (m->head - m->tail) >= need)) {
		m->bad++;
		diag("push of %zu at head %" PRIu64 " tail %" PRIu64
		    ": got %s", len, m->head, m->tail, w ? "room" : "full");
		return;
	}
	if (w == NULL) {
		m->dropped++;
		return;
	}
	if (model_rand(m) % 8 == 0) {		/* abort */
		ring_abort(r);
		return;
	}
	if (model_rand(m) % 4 == 0)		/* commit shorter */
		keep = 1 + model_rand(m) % len;
	fill(w, keep, m->next_seq);
	ring_commit(r, keep);
	start = m->head + (need - rec);
	i = (m->q_first + m->q_n++) % MODEL_MAX;
	m->q_seq[i] = m->next_seq++;
	m->q_len[i] = keep;
	m->q_type[i] = type;
	m->q_bytes[i] = start - m->head + 8 + ((keep + 7) & ~7ul);
	m->head += m->q_bytes[i];
	m->pushed++;
}

static void
model_pop(struct ring *r, struct model *m)
{
	const unsigned char *p;
	uint32_t type;
	size_t len;
	unsigned i = m->q_first;

	p = ring_peek(r, &type, &len);
	if ((p == NULL) != (m->q_n == 0)) {
		m->bad++;
		diag("peek: got %p with %u queued", (const void *)p, m->q_n);
		return;
	}
	if (p == NULL)
		return;
	if (len != m->q_len[i] || type != m->q_type[i] ||
	    !check(p, len, m->q_seq[i]) || ((uintptr_t)p & 7) != 0 ||
	    p + len > r->buf + m->size) {
		m->bad++;
		diag("record %" PRIu64 ": len %zu want %" PRIu64,
		    m->q_seq[i], len, m->q_len[i]);
	}
	ring_release(r);
	m->tail += m->q_bytes[i];
	m->q_first = (i + 1) % MODEL_MAX;
	m->q_n--;
}

static void
test_model(size_t bytes, uint64_t start, unsigned steps, const char *what,
    int wraps)
{
	static struct model m;
	struct ring r;

	ring_init(&r, bytes);
	preset(&r, start);
	memset(&m, 0, sizeof(m));
	m.head = m.tail = start;
	m.size = bytes;
	m.rng = 0x9e3779b97f4a7c15ull ^ bytes ^ start;
	for (unsigned n = 0; n < steps && m.bad < 5; n++) {
		/* Phases that mostly fill, then mostly drain the ring. */
		unsigned push_pct = (n / 500) % 2 ? 70 : 35;

		if (model_rand(&m) % 100 < push_pct)
			model_push(&r, &m);
		else
			model_pop(&r, &m);
		if (ring_used(&r) != m.head - m.tail ||
		    head_of(&r) != m.head) {
			m.bad++;
			diag("used %" PRIu64 " want %" PRIu64,
			    ring_used(&r), m.head - m.tail);
		}
	}
	while (m.q_n > 0 && m.bad < 5)
		model_pop(&r, &m);
	is_int(m.bad, 0, "%s: %u random steps agree with the model", what,
	    steps);
	ok(m.pushed > steps / 4 && m.dropped > 100,
	    "%s: %" PRIu64 " records through, %" PRIu64 " dropped", what,
	    m.pushed, m.dropped);
	is_int(ring_pushed(&r), m.pushed, "%s: ring_pushed exact", what);
	is_int(ring_dropped(&r), m.dropped, "%s: ring_dropped exact", what);
	ok(m.head - start > 20 * bytes, "%s: %" PRIu64 " laps", what,
	    (m.head - start) / bytes);
	if (wraps)
		ok(m.head < start, "%s: the 64-bit counters wrapped past 0",
		    what);
	ring_fini(&r);
}

/* Pages of [p, p + len) resident now (mincore). */
static size_t
resident_pages(const void *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), n = len / page, in = 0;
	unsigned char vec[1024];

	if (n > sizeof vec || mincore((void *)p, len, vec) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		in += vec[i] & 1;
	return in;
}

/* ring_prefault faults in every page and keeps the records in the ring;
 * before it, a fresh ring holds only the pages it wrote. */
static void
test_prefault(void)
{
	struct ring r;
	const size_t bytes = 1u << 20, page = (size_t)sysconf(_SC_PAGESIZE);
	const char *msg[3] = { "first", "second", "third" };
	const void *data;
	uint32_t type;
	size_t len, before, after;
	int good = 0;

	if (ring_init(&r, bytes) != 0) {
		ok(0, "prefault: ring_init");
		return;
	}
	for (int i = 0; i < 3; i++)
		ring_push(&r, 7, msg[i], strlen(msg[i]) + 1);
	before = resident_pages(r.buf, bytes);
	ring_prefault(&r);
	after = resident_pages(r.buf, bytes);
	ok(before < bytes / page / 2 && after == bytes / page,
	    "prefault: %zu of %zu pages resident before, %zu after", before,
	    bytes / page, after);
	for (int i = 0; i < 3 && (data = ring_peek(&r, &type, &len)); i++) {
		good += type == 7 && strcmp(data, msg[i]) == 0;
		ring_release(&r);
	}
	ok(good == 3, "prefault: the 3 records pushed before are intact");
	ring_fini(&r);
}

/* ring_mark / ring_passed: the records pushed before a mark are all
 * released (processed) before it counts as passed; later ones do not
 * matter. */
static void
test_mark(void)
{
	struct ring r;
	uint32_t type, v = 7;
	size_t len;
	uint64_t mark;

	if (ring_init(&r, SMALL) != 0) {
		ok(0, "mark: init");
		return;
	}
	ok(ring_passed(&r, ring_mark(&r)), "mark: an empty ring has passed "
	    "its mark");
	for (int i = 0; i < 3; i++)
		ring_push(&r, 1, &v, sizeof v);
	mark = ring_mark(&r);
	ring_push(&r, 1, &v, sizeof v);	/* after the mark */
	ok(!ring_passed(&r, mark), "mark: 3 records before it, none read");
	ring_peek(&r, &type, &len);
	ring_release(&r);
	ring_peek(&r, &type, &len);
	ok(!ring_passed(&r, mark), "mark: one released, one peeked: not yet");
	ring_release(&r);
	ring_peek(&r, &type, &len);
	ok(!ring_passed(&r, mark), "mark: the last one peeked, not released");
	ring_release(&r);
	ok(ring_passed(&r, mark), "mark: all three released: passed (the one "
	    "after it still queued)");
	ring_fini(&r);
}

/* Pushes record seq of len bytes; false when dropped. */
static bool
push_seq(struct ring *r, uint64_t seq, size_t len)
{
	unsigned char *w = ring_reserve(r, 3, len);

	if (w == NULL)
		return false;
	fill(w, len, seq);
	ring_commit(r, len);
	return true;
}

/* Pops the oldest record and checks it is seq; false when not. */
static bool
pop_seq(struct ring *r, uint64_t seq, size_t len)
{
	uint32_t type;
	size_t got;
	const unsigned char *p = ring_peek(r, &type, &got);
	bool good = p != NULL && type == 3 && got == len && check(p, len, seq);

	if (p != NULL)
		ring_release(r);
	return good;
}

/* A window keeps a ring whose consumer keeps up within its first bytes
 * (what the ring makes resident); a consumer that lags, or a drop, grows
 * it back to the whole buffer, so a burst loses nothing to it. */
static void
test_window(void)
{
	enum { SIZE = 1 << 20, WINDOW = 64 << 10, LEN = 1000 };
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint64_t seq = 0, first;
	size_t resident, held = 0;
	struct ring r;
	int good = 0;

	if (ring_init(&r, SIZE) != 0) {
		ok(0, "window: ring_init");
		return;
	}
	ok(ring_set_window(&r, 1000) == -EINVAL &&
	    ring_set_window(&r, 2 * SIZE) == -EINVAL &&
	    ring_set_window(&r, WINDOW) == 0, "window: not a power of two "
	    "or past the size refused, 64 KiB taken");
	/* 3000 records of 1000 bytes (about 46 windows), each read at once. */
	for (int i = 0; i < 3000; i++, seq++)
		good += push_seq(&r, seq, LEN) && pop_seq(&r, seq, LEN);
	resident = resident_pages(r.buf, SIZE);
	is_int(good, 3000, "window: 3000 records through, each intact");
	ok(resident <= WINDOW / page && r.window == WINDOW,
	    "window: a consumer that keeps up: %zu of %zu pages resident, the "
	    "window still %" PRIu64 " bytes", resident, (size_t)SIZE / page,
	    r.window);
	/* The consumer stops: the producer fills the whole buffer. */
	for (first = seq; push_seq(&r, seq, LEN); seq++)
		held++;
	ok(held >= (SIZE - 2 * 1008) / 1008 && r.window == SIZE,
	    "window: a consumer that stopped: %zu records held (%d fit the "
	    "buffer), the window grown to %" PRIu64, held, SIZE / 1008,
	    r.window);
	good = 0;
	for (uint64_t s = first; s < seq; s++)
		good += pop_seq(&r, s, LEN);
	ok(good == (int)held && ring_used(&r) == 0, "window: the %zu held "
	    "come out in order, intact", held);
	ring_fini(&r);
}

/* With a window, ring_prefault faults in the window only, and a window
 * that grows faults its new part in. */
static void
test_window_prefault(void)
{
	enum { SIZE = 1 << 20, WINDOW = 64 << 10, LEN = 1000 };
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t before, after;
	uint64_t seq = 0;
	struct ring r;

	if (ring_init(&r, SIZE) != 0 || ring_set_window(&r, WINDOW) != 0) {
		ok(0, "window prefault: ring_init");
		return;
	}
	ring_prefault(&r);
	before = resident_pages(r.buf, SIZE);
	/* 100 KiB unread: the window's end reached with a quarter of it
	 * unread, so it doubles. */
	while (seq < 100)
		push_seq(&r, seq++, LEN);
	after = resident_pages(r.buf, SIZE);
	ok(before == WINDOW / page && r.window == 2 * WINDOW &&
	    after == 2 * WINDOW / page, "window prefault: %zu pages resident, "
	    "%zu after the window grew to %" PRIu64, before, after, r.window);
	ring_fini(&r);
}

int
main(void)
{
	test_init();
	test_mark();
	test_prefault();
	test_window();
	test_window_prefault();
	test_empty();
	test_invalid();
	test_alignment();
	test_full();
	test_commit_short();
	test_abort();
	test_max();
	test_wrap_sizes();
	test_model(SMALL, 0, 200000, "4 KiB", 0);
	test_model(65536, 0, 200000, "64 KiB", 0);
	test_model(SMALL, UINT64_MAX - 2 * SMALL - 127, 200000,
	    "4 KiB near UINT64_MAX", 1);
	test_model(65536, -(uint64_t)(3 * 4096 + 64), 200000,
	    "64 KiB near UINT64_MAX", 1);
	return done_testing();
}
