/* SPDX-License-Identifier: MIT */
/* What the worker's walks needed of the stack copies, told back to the
 * sampler for --stack-size auto. The ring goes one way only (sampler to
 * worker) and the sampler must never read worker state, so this is the
 * one thing the worker tells the sampler: a single atomic word that cli
 * makes and hands to both (neither includes the other's headers). The
 * worker folds each walk in (stack_need_note); the sampler takes what
 * gathered since its last look and zeroes it (stack_need_take). A word
 * that saturates loses nothing that matters: the deepest reach is kept
 * exactly, the count of walks only says "enough". Thread: worker writes, sampler
 * takes; lock-free, no ordering with other data (relaxed). */
#ifndef CTOP_STACK_NEED_H
#define CTOP_STACK_NEED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Bits 0-16: the deepest reach (bytes above sp a walk read); 17-30:
 * walks that ran out of their copy and were not joined (see
 * src/unwind/join.c); 31: a joined stack was found wrong
 * (unwind_take_join_fail); 32-47: walks; 48-63: the longest copy a walk
 * ran out of (joined or not), 0 when none did: the sampler tells a copy
 * of the size it asks now from one of a size it asked before (copies are
 * at most 65528 bytes). */
struct stack_need {
	_Atomic uint64_t word;
};

struct stack_need_seen {
	uint32_t reach;		/* deepest reach of the walks */
	uint32_t walks;		/* at most 65535 */
	uint32_t truncated_at;	/* longest copy a walk ran out of, or 0 */
	uint32_t unjoined;	/* walks that ran out, not joined */
	bool join_failed;	/* a join was found wrong */
};

#define STACK_NEED_COUNT_MAX 0xffffu
#define STACK_NEED_REACH_MAX 0x1ffffu
#define STACK_NEED_UNJOINED_MAX 0x3fffu
#define STACK_NEED_JOIN_FAILED (1ull << 31)

static inline uint64_t
stack_need__pack(const struct stack_need_seen *s)
{
	return (uint64_t)(s->reach & STACK_NEED_REACH_MAX) |
	    (uint64_t)(s->unjoined & STACK_NEED_UNJOINED_MAX) << 17 |
	    (s->join_failed ? STACK_NEED_JOIN_FAILED : 0) |
	    (uint64_t)s->walks << 32 | (uint64_t)s->truncated_at << 48;
}

static inline struct stack_need_seen
stack_need__unpack(uint64_t w)
{
	return (struct stack_need_seen){ (uint32_t)w & STACK_NEED_REACH_MAX,
	    (uint32_t)(w >> 32) & STACK_NEED_COUNT_MAX,
	    (uint32_t)(w >> 48) & STACK_NEED_COUNT_MAX,
	    (uint32_t)(w >> 17) & STACK_NEED_UNJOINED_MAX,
	    (w & STACK_NEED_JOIN_FAILED) != 0 };
}

/* One walk over a copy of copy_len bytes: reach bytes read, truncated if
 * it needed more, unjoined if that was not made good (join.c). */
static inline void
stack_need_note(struct stack_need *n, uint32_t reach, uint32_t copy_len,
    bool truncated, bool unjoined)
{
	uint64_t old = atomic_load_explicit(&n->word, memory_order_relaxed);
	struct stack_need_seen s;

	do {
		s = stack_need__unpack(old);
		if (reach > s.reach)
			s.reach = reach;
		if (s.walks < STACK_NEED_COUNT_MAX)
			s.walks++;
		if (unjoined && s.unjoined < STACK_NEED_UNJOINED_MAX)
			s.unjoined++;
		if (truncated && copy_len > s.truncated_at)
			s.truncated_at = copy_len > STACK_NEED_COUNT_MAX ?
			    STACK_NEED_COUNT_MAX : copy_len;
	} while (!atomic_compare_exchange_weak_explicit(&n->word, &old,
	    stack_need__pack(&s), memory_order_relaxed,
	    memory_order_relaxed));
}

/* A joined stack was found wrong: the sampler stops splitting. */
static inline void
stack_need_join_failed(struct stack_need *n)
{
	atomic_fetch_or_explicit(&n->word, STACK_NEED_JOIN_FAILED,
	    memory_order_relaxed);
}

/* What the walks since the last take needed; starts a new gathering. */
static inline struct stack_need_seen
stack_need_take(struct stack_need *n)
{
	return stack_need__unpack(atomic_exchange_explicit(&n->word, 0,
	    memory_order_relaxed));
}

#endif
