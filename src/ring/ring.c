/* SPDX-License-Identifier: MIT */
/* ring: lock-free SPSC ring of variable-length records (see
 * include/ctop/ring.h for the contract and the (A)-(D) fence pairing).
 * Each record is an 8-byte header followed by its payload, padded to 8. */
#include "config.h"

#include "ctop/ring.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define RING_MIN_BYTES	((size_t)4096)
#define RING_MAX_BYTES	((size_t)1 << 30)
#define RING_PAGE	4096
#define RING_TYPE_PAD	0u	/* padding up to the end of the buffer */

/* In front of every record, at an 8-aligned position. */
struct ring_hdr {
	uint32_t len;		/* payload bytes (padding: bytes after hdr) */
	uint32_t type;		/* caller's type, or RING_TYPE_PAD */
};

#define RING_HDR	((uint64_t)sizeof(struct ring_hdr))

static inline uint64_t
ring_align(uint64_t n)
{
	return (n + 7) & ~(uint64_t)7;
}

static inline struct ring_hdr *
ring_hdr_at(const struct ring *r, uint64_t pos)
{
	return (struct ring_hdr *)(r->buf + (pos & r->mask));
}

/* Bumps a counter that only the calling thread writes. */
static inline void
ring_count(_Atomic uint64_t *c)
{
	/* relaxed load + store, not a locked RMW: there is one writer, and
	 * readers only need an untorn value, not an ordering. */
	uint64_t n = atomic_load_explicit(c, memory_order_relaxed);

	/* relaxed: same reason; the store only has to be atomic. */
	atomic_store_explicit(c, n + 1, memory_order_relaxed);
}

int
ring_init(struct ring *r, size_t bytes)
{
	unsigned char *buf;

	if (r == NULL || bytes < RING_MIN_BYTES || bytes > RING_MAX_BYTES ||
	    (bytes & (bytes - 1)) != 0)
		return -EINVAL;
	/* Page-aligned, so every counter & mask that is a multiple of 8 is an
	 * 8-aligned address. */
	/* Pages are faulted in on first use, or all at once by
	 * ring_prefault() for a producer that must not take page faults. */
	buf = aligned_alloc(RING_PAGE, bytes);
	if (buf == NULL)
		return -ENOMEM;

	memset(r, 0, sizeof(*r));
	/* Not shared yet: plain initialisation, no ordering needed. */
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->dropped, 0);
	atomic_init(&r->pushed, 0);
	r->buf = buf;
	r->size = bytes;
	r->mask = bytes - 1;
	r->window = bytes;
	return 0;
}

int
ring_set_window(struct ring *r, size_t bytes)
{
	if (r == NULL || bytes < RING_MIN_BYTES || bytes > r->size ||
	    (bytes & (bytes - 1)) != 0)
		return -EINVAL;
	r->window = bytes;
	return 0;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23		/* Linux 5.14 */
#endif

/* Faults [from, to) of the buffer in. The kernel populates writable
 * pages and keeps their content, so records already there are safe.
 * Older kernels refuse: then touch only the bytes no record has reached
 * yet (past r->touched), which no one reads. */
static void
ring_fault_in(struct ring *r, uint64_t from, uint64_t to)
{
	if (madvise(r->buf + from, to - from, MADV_POPULATE_WRITE) == 0)
		return;
	if (from < r->touched)
		from = r->touched;
	if (from < to)
		memset(r->buf + from, 0, to - from);
}

void
ring_prefault(struct ring *r)
{
	r->prefaulted = true;
	ring_fault_in(r, 0, r->window);
}

/* Doubles the window until it holds [0, end), up to the size. */
static void
ring_grow_window(struct ring *r, uint64_t end)
{
	uint64_t was = r->window;

	while (r->window < r->size && (r->window == was || r->window < end))
		r->window *= 2;
	if (r->prefaulted && r->window > was)
		ring_fault_in(r, was, r->window);
}

void
ring_fini(struct ring *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	r->buf = NULL;
	r->size = 0;
	r->mask = 0;
}

size_t
ring_max_record(const struct ring *r)
{
	/* Half the ring keeps a record plus the padding before it (< one
	 * record) within the size, so an empty ring always accepts it. */
	return r->size ? (size_t)(r->size / 2 - RING_HDR) : 0;
}

/* True when `need` bytes after `head` are free. Thread: producer. */
static bool
ring_has_room(struct ring *r, uint64_t head, uint64_t need)
{
	if (r->size - (head - r->tail_cache) >= need)
		return true;
	/* (A) acquire, pairs with the consumer's release of tail (D): its
	 * reads of the bytes we are about to reuse are finished. Done only
	 * when the cached tail says "full", to keep the line unshared. */
	r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
	return r->size - (head - r->tail_cache) >= need;
}

/* Whether a record of rec bytes at head, which fits before the buffer's
 * end, goes to 0 instead because it would cross the window's end. Only
 * while the unread bytes are few: what then lies between 0 and the
 * consumer is all the room a burst has until the consumer passes the
 * padding; else the window grows and this lap goes on past it. */
static bool
ring_wrap_early(struct ring *r, uint64_t head, uint64_t rec)
{
	uint64_t pos = head & r->mask, unread;

	if (pos + rec <= r->window)
		return false;
	/* (A) acquire, as in ring_has_room: the bytes at 0 this lap reuses
	 * were read. Once per lap, when the window's end is reached. */
	r->tail_cache = atomic_load_explicit(&r->tail, memory_order_acquire);
	unread = head - r->tail_cache;
	if (pos > 0 && rec <= r->window && unread <= r->window / 4 &&
	    pos >= unread + rec)
		return true;
	ring_grow_window(r, pos + rec);
	return false;
}

static void
ring_put_hdr(struct ring *r, uint64_t pos, uint32_t type, uint64_t len)
{
	struct ring_hdr *h = ring_hdr_at(r, pos);

	h->len = (uint32_t)len;
	h->type = type;
}

void *
ring_reserve(struct ring *r, uint32_t type, size_t len)
{
	uint64_t head, rec, to_end, need, start;

	/* A second open reservation is a caller bug; refuse it (not a drop). */
	assert(r->reserved_len == 0);
	if (type == RING_TYPE_PAD || len == 0 || len > ring_max_record(r) ||
	    r->reserved_len != 0)
		return NULL;

	/* relaxed: only this thread stores head, so it reads its own value. */
	head = atomic_load_explicit(&r->head, memory_order_relaxed);
	rec = RING_HDR + ring_align(len);
	to_end = r->size - (head & r->mask);
	/* A record never straddles the end, nor the window's while the
	 * consumer keeps up: pad to the end and start at 0. */
	need = rec <= to_end && !ring_wrap_early(r, head, rec) ? rec :
	    to_end + rec;
	if (!ring_has_room(r, head, need)) {
		ring_count(&r->dropped);
		ring_grow_window(r, 0);
		return NULL;
	}
	start = head + (need - rec);
	/* to_end >= 8 always (positions are 8-aligned), so the padding
	 * header fits. It stays invisible until ring_commit() moves head. */
	if (start != head)
		ring_put_hdr(r, head, RING_TYPE_PAD, to_end - RING_HDR);
	ring_put_hdr(r, start, type, len);
	if ((start & r->mask) + rec > r->touched)
		r->touched = (start & r->mask) + rec;
	r->reserved_at = start;
	r->reserved_len = (uint32_t)len;
	return r->buf + ((start + RING_HDR) & r->mask);
}

void
ring_commit(struct ring *r, size_t len)
{
	uint64_t end;

	assert(r->reserved_len != 0 && len <= r->reserved_len);
	if (r->reserved_len == 0)
		return;
	if (len > r->reserved_len)
		len = r->reserved_len;
	ring_hdr_at(r, r->reserved_at)->len = (uint32_t)len;
	end = r->reserved_at + RING_HDR + ring_align(len);
	r->reserved_len = 0;
	ring_count(&r->pushed);
	/* (B) release, pairs with the consumer's acquire of head (C): the
	 * padding, header and payload are visible before the new head. */
	atomic_store_explicit(&r->head, end, memory_order_release);
}

void
ring_abort(struct ring *r)
{
	/* head never moved, so the bytes written stay in free space. */
	r->reserved_len = 0;
}

bool
ring_push(struct ring *r, uint32_t type, const void *data, size_t len)
{
	void *p = ring_reserve(r, type, len);

	if (p == NULL)
		return false;
	memcpy(p, data, len);
	ring_commit(r, len);
	return true;
}

const void *
ring_peek(struct ring *r, uint32_t *type, size_t *len)
{
	const struct ring_hdr *h;
	uint64_t tail, pos;

	/* relaxed: only this thread stores tail, so it reads its own value. */
	tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	if (tail == r->head_cache) {
		/* (C) acquire, pairs with the producer's release of head (B):
		 * the bytes of every record before that head are visible. */
		r->head_cache = atomic_load_explicit(&r->head,
		    memory_order_acquire);
		if (tail == r->head_cache)
			return NULL;
	}
	pos = tail;
	h = ring_hdr_at(r, pos);
	/* Padding is published by the same head store as the record that
	 * follows it at offset 0, so that record is there. */
	if (h->type == RING_TYPE_PAD) {
		pos += RING_HDR + h->len;
		h = ring_hdr_at(r, pos);
	}
	r->peeked_len = pos - tail + RING_HDR + ring_align(h->len);
	if (type != NULL)
		*type = h->type;
	if (len != NULL)
		*len = h->len;
	return h + 1;
}

void
ring_release(struct ring *r)
{
	uint64_t tail;

	if (r->peeked_len == 0)
		return;
	/* relaxed: only this thread stores tail, so it reads its own value. */
	tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	/* (D) release, pairs with the producer's acquire of tail (A): our
	 * reads of the record are done before it may overwrite the bytes. */
	atomic_store_explicit(&r->tail, tail + r->peeked_len,
	    memory_order_release);
	r->peeked_len = 0;
}

uint64_t
ring_dropped(const struct ring *r)
{
	/* relaxed: a statistic, no data depends on it. */
	return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}

uint64_t
ring_pushed(const struct ring *r)
{
	/* relaxed: a statistic, no data depends on it. */
	return atomic_load_explicit(&r->pushed, memory_order_relaxed);
}

uint64_t
ring_mark(const struct ring *r)
{
	/* relaxed: the producer reads its own end. */
	return atomic_load_explicit(&r->head, memory_order_relaxed);
}

bool
ring_passed(const struct ring *r, uint64_t mark)
{
	/* acquire, pairs with the consumer's release of the tail: what it
	 * did with the records before it (a walk folded into the stack-need
	 * word) happened before. */
	return atomic_load_explicit(&r->tail, memory_order_acquire) >= mark;
}

uint64_t
ring_used(const struct ring *r)
{
	uint64_t tail, head;

	/* acquire, pairs with (D): the head read below is then at least the
	 * head the consumer saw when it stored this tail, so head >= tail. */
	tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	/* relaxed: any head at or after that one will do for an estimate. */
	head = atomic_load_explicit(&r->head, memory_order_relaxed);
	return head - tail;
}
