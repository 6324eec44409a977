/* SPDX-License-Identifier: MIT */
/* A THROWAWAY stand-in for src/ring/ring.c, only so test-sampler links
 * before the ring module lands; delete it (and its line in
 * src/sampler/local.mk) when it does. Simple SPSC ring per ctop/ring.h:
 * 8-byte header {len, type}, 8-aligned records, padding type 0. */
#include "config.h"

#include "ctop/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct hdr {
	uint32_t len;		/* payload bytes */
	uint32_t type;		/* 0: padding to the end of the buffer */
};

#define ALIGN8(x) (((x) + 7) & ~(uint64_t)7)

int
ring_init(struct ring *r, size_t bytes)
{
	if (bytes < 4096 || (bytes & (bytes - 1)))
		return -EINVAL;
	memset(r, 0, sizeof *r);
	r->buf = aligned_alloc(4096, bytes);
	if (!r->buf)
		return -ENOMEM;
	r->size = bytes;
	r->mask = bytes - 1;
	return 0;
}

void
ring_fini(struct ring *r)
{
	free(r->buf);
	r->buf = NULL;
}

size_t
ring_max_record(const struct ring *r)
{
	return r->size / 2 - sizeof(struct hdr);
}

void *
ring_reserve(struct ring *r, uint32_t type, size_t len)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t need = sizeof(struct hdr) + ALIGN8(len), pos, pad;
	struct hdr *h;

	if (len > ring_max_record(r))
		return NULL;
	pos = head & r->mask;
	pad = pos + need > r->size ? r->size - pos : 0;
	if (head + pad + need - r->tail_cache > r->size) {
		/* acquire: pairs with the consumer's release of tail */
		r->tail_cache = atomic_load_explicit(&r->tail,
		    memory_order_acquire);
		if (head + pad + need - r->tail_cache > r->size) {
			atomic_fetch_add_explicit(&r->dropped, 1,
			    memory_order_relaxed);
			return NULL;
		}
	}
	if (pad) {
		h = (struct hdr *)(r->buf + pos);
		h->len = (uint32_t)(pad - sizeof *h);
		h->type = 0;
		head += pad;
		pos = 0;
	}
	h = (struct hdr *)(r->buf + pos);
	h->type = type;
	h->len = (uint32_t)len;
	r->reserved_at = head;
	r->reserved_len = (uint32_t)len;
	return h + 1;
}

void
ring_commit(struct ring *r, size_t len)
{
	struct hdr *h = (struct hdr *)(r->buf + (r->reserved_at & r->mask));

	h->len = (uint32_t)len;
	/* release: the record bytes are visible before the new head */
	atomic_store_explicit(&r->head, r->reserved_at + sizeof *h +
	    ALIGN8(len), memory_order_release);
	atomic_fetch_add_explicit(&r->pushed, 1, memory_order_relaxed);
	r->reserved_len = 0;
}

void
ring_abort(struct ring *r)
{
	r->reserved_len = 0;
}

bool
ring_push(struct ring *r, uint32_t type, const void *data, size_t len)
{
	void *p = ring_reserve(r, type, len);

	if (!p)
		return false;
	memcpy(p, data, len);
	ring_commit(r, len);
	return true;
}

const void *
ring_peek(struct ring *r, uint32_t *type, size_t *len)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	struct hdr *h;

	for (;;) {
		if (tail == r->head_cache) {
			/* acquire: pairs with the producer's release */
			r->head_cache = atomic_load_explicit(&r->head,
			    memory_order_acquire);
			if (tail == r->head_cache)
				return NULL;
		}
		h = (struct hdr *)(r->buf + (tail & r->mask));
		if (h->type != 0)
			break;
		tail += sizeof *h + h->len;
		atomic_store_explicit(&r->tail, tail, memory_order_release);
	}
	*type = h->type;
	*len = h->len;
	r->peeked_len = sizeof *h + ALIGN8(h->len);
	return h + 1;
}

void
ring_release(struct ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

	/* release: we are done reading before the producer reuses bytes */
	atomic_store_explicit(&r->tail, tail + r->peeked_len,
	    memory_order_release);
}

uint64_t
ring_dropped(const struct ring *r)
{
	return atomic_load_explicit(&r->dropped, memory_order_relaxed);
}

uint64_t
ring_pushed(const struct ring *r)
{
	return atomic_load_explicit(&r->pushed, memory_order_relaxed);
}

uint64_t
ring_used(const struct ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_relaxed) -
	    atomic_load_explicit(&r->tail, memory_order_relaxed);
}
