/* SPDX-License-Identifier: MIT */
/* ring: a lock-free single-producer/single-consumer ring of variable-length
 * records. The only channel out of the sampler thread.
 *
 * Memory ordering (the pairing every fence in ring.c refers to):
 *
 *   producer                          consumer
 *   --------                          --------
 *   t = load_acquire(tail)    (A)     h = load_acquire(head)        (C)
 *   write record bytes                read record bytes
 *   store_release(head, h')   (B)     store_release(tail, t')       (D)
 *
 * (B) pairs with (C): the consumer sees the record bytes once it sees the new
 * head. (D) pairs with (A): the producer overwrites bytes only after the
 * consumer is done reading them. head and tail are free-running 64-bit byte
 * counters; the position in the buffer is counter & mask.
 *
 * Records are 8-byte aligned and contiguous in the buffer: a record that
 * would straddle the end is preceded by a padding record and placed at the
 * start. A full ring never blocks the producer: the reservation fails and
 * the record is counted as dropped.
 *
 * A window (ring_set_window) keeps the bytes used, and so the memory the
 * ring makes resident, to the buffer's first part while the consumer
 * keeps up: at the window's end the producer pads to the buffer's end and
 * starts again at 0, as at the end itself. When the consumer lags there
 * (a quarter of the window unread), or a record is dropped, the window
 * doubles, up to the whole buffer: a burst still has all of it.
 */
#ifndef CTOP_RING_H
#define CTOP_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RING_CACHELINE 64

/* Embedded by the caller; initialise with ring_init(). Fields are private. */
struct ring {
	/* Producer's line: written by the producer only. */
	alignas(RING_CACHELINE) _Atomic uint64_t head;
	uint64_t tail_cache;		/* producer's last view of tail */
	uint64_t reserved_at;		/* start of the open reservation */
	uint32_t reserved_len;		/* its payload capacity, 0 if none */
	_Atomic uint64_t dropped;	/* reservations refused (full) */
	_Atomic uint64_t pushed;	/* records committed */
	uint64_t window;		/* bytes used while the consumer keeps
					 * up: size when no window was set */
	uint64_t touched;		/* bytes of the buffer written so far */
	bool prefaulted;		/* ring_prefault ran: a window that
					 * grows faults its new part in too */

	/* Consumer's line: written by the consumer only. */
	alignas(RING_CACHELINE) _Atomic uint64_t tail;
	uint64_t head_cache;		/* consumer's last view of head */
	uint64_t peeked_len;		/* bytes of the record being read */

	/* Read-only after init. */
	alignas(RING_CACHELINE) unsigned char *buf;
	uint64_t size;			/* bytes, a power of two */
	uint64_t mask;
};

/* Allocates a ring of `bytes` (a power of two, 4 KiB to 1 GiB).
 * Returns 0 or -EINVAL / -ENOMEM. Thread: any, before sharing. */
int ring_init(struct ring *r, size_t bytes);

/* Keeps the bytes used to the first `bytes` of the buffer (a power of
 * two, 4 KiB up to the size) while the consumer keeps up; the window
 * grows when it lags or a record is dropped. Thread: producer, or any
 * before sharing. */
int ring_set_window(struct ring *r, size_t bytes);

/* Faults every page of the window in (the whole buffer without one),
 * keeping what it holds, so that the producer takes no page fault later
 * (the ptrace sampler writes into a reservation while the target is
 * stopped); a window that grows faults its new part in as it grows.
 * Thread: producer. */
void ring_prefault(struct ring *r);

/* Frees the buffer. Thread: any, after both ends stopped. */
void ring_fini(struct ring *r);

/* Largest payload one record may carry: size / 2 minus the header. */
size_t ring_max_record(const struct ring *r);

/* Reserves room for a record of `len` payload bytes and type `type` (not 0)
 * and returns where to write the payload (8-byte aligned), or NULL when the
 * ring is full (the record is counted as dropped) or len is too large.
 * At most one reservation is open at a time. Thread: producer. */
void *ring_reserve(struct ring *r, uint32_t type, size_t len);

/* Publishes the open reservation, keeping only its first `len` bytes
 * (len <= the reserved length). Thread: producer. */
void ring_commit(struct ring *r, size_t len);

/* Abandons the open reservation without publishing it (not counted as
 * dropped). Thread: producer. */
void ring_abort(struct ring *r);

/* Copies one record into the ring: reserve + memcpy + commit. Returns false
 * when it was dropped. Thread: producer. */
bool ring_push(struct ring *r, uint32_t type, const void *data, size_t len);

/* Returns the oldest unread record's payload and sets *type and *len, or
 * returns NULL when the ring is empty. The bytes stay valid until
 * ring_release(). Thread: consumer. */
const void *ring_peek(struct ring *r, uint32_t *type, size_t *len);

/* Frees the record returned by the last ring_peek(). Thread: consumer. */
void ring_release(struct ring *r);

/* Counters, readable from any thread (relaxed loads). */
uint64_t ring_dropped(const struct ring *r);
uint64_t ring_pushed(const struct ring *r);
/* Bytes currently in use (approximate when read outside the two ends). */
uint64_t ring_used(const struct ring *r);

/* The producer's mark of everything pushed so far, and whether the
 * consumer has released every record up to that mark (processed them:
 * the consumer releases a record after it is done with it). Thread: the
 * producer. */
uint64_t ring_mark(const struct ring *r);
bool ring_passed(const struct ring *r, uint64_t mark);

#endif
