/* SPDX-License-Identifier: MIT */
/* unwind: a walk that ran out of its stack copy, joined to the callers a
 * whole walk of the same thread found.
 *
 * With --stack-size auto on a program whose stacks are deep, most samples
 * copy a few KiB and one in PERF_DEEP_EVERY the whole depth (the sampler's
 * split, which marks its samples SAMPLE_STACK_SPLIT: only theirs are
 * joined; a fixed size's copies stay truncated). A short copy's walk ends where the copy does, at a frame (a pc
 * and the stack pointer it runs on) that lies deeper in the stack than
 * where the program's calls change fastest: the frames above it are those
 * of the thread's last whole walks through the same frame. Every whole
 * walk teaches its links, frame to caller, keyed by thread, pc and stack
 * pointer; a walk that ran out is continued from its last frame by
 * following them to the outermost frame (simpleperf's callchain joiner
 * does the same). A missing link leaves it truncated.
 *
 * A join is a guess where the copy ends: a function entered at the same
 * stack pointer from two callers between two whole walks gets the last
 * one's. It is measured: a whole walk that a short copy would have cut
 * is first joined from where that copy would have ended, before it
 * teaches its links, and the join compared with it (stats.join_checks,
 * join_fails); the sampler stops splitting when one disagrees (the
 * worker tells it through stack_need.h's word).
 *
 * Four ways to a bucket: a link replaces the bucket's oldest. Thread:
 * the worker. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define JOIN_SLOTS 8192u	/* links: 48 bytes each */
#define JOIN_WAYS 4u		/* a key's place: any of a bucket's 4 */
/* Whole walks that read less than this need no joining and teach
 * nothing until a walk has run out (a shallow program pays nothing). */
#define JOIN_LEARN_REACH 2048u
#define JOIN_CHECK_FRAMES 512	/* longer walks are not checked */
#define JOIN_CHECK_WHILE 256	/* walks since the last that ran out */

struct join_link {
	uint64_t pc, sp;	/* a frame of a whole walk */
	uint64_t up_pc, up_sp;	/* its caller's; up_pc 0: the outermost */
	int32_t tid;		/* 0: an empty slot */
	uint32_t stamp;		/* when taught: the oldest is replaced */
};

struct unwind_join {
	struct join_link slot[JOIN_SLOTS];
	uint32_t clock;		/* links taught */
	uint32_t short_len;	/* the copy a walk last ran out of */
	uint64_t short_walk;	/* stats.walks then */
	bool fail_untold;	/* unwind_take_join_fail */
	struct unwind_frame check[JOIN_CHECK_FRAMES];	/* join_check's */
};

/* The bucket of a key: a direct-mapped table lost a deep chain's link
 * for a whole run when two of its frames hashed alike (deepstack's 45
 * frames in 8192 slots: about one run in eight). */
static struct join_link *
bucket_of(struct unwind_join *j, int32_t tid, uint64_t pc, uint64_t sp)
{
	uint64_t h = (pc ^ sp * 0x9e3779b97f4a7c15ull ^ (uint64_t)tid << 40) *
	    0xff51afd7ed558ccdull;

	return &j->slot[(h >> 32) % (JOIN_SLOTS / JOIN_WAYS) * JOIN_WAYS];
}

static const struct join_link *
find(struct unwind_join *j, int32_t tid, uint64_t pc, uint64_t sp)
{
	const struct join_link *b = bucket_of(j, tid, pc, sp);

	for (unsigned i = 0; i < JOIN_WAYS; i++)
		if (b[i].tid == tid && b[i].pc == pc && b[i].sp == sp)
			return &b[i];
	return NULL;
}

/* Where a key's link goes: its own slot, else the bucket's oldest. */
static struct join_link *
place(struct unwind_join *j, int32_t tid, uint64_t pc, uint64_t sp)
{
	struct join_link *b = bucket_of(j, tid, pc, sp), *old = b;

	for (unsigned i = 0; i < JOIN_WAYS; i++) {
		if (b[i].tid == tid && b[i].pc == pc && b[i].sp == sp)
			return &b[i];
		if (b[i].stamp < old->stamp)
			old = &b[i];
	}
	return old;
}

/* Appends to frames[0..*n) the callers of frames[*n - 1] the links know,
 * to the outermost frame. False (*n as it was) when a link is missing or
 * max is reached first. Callers' stack pointers rise at every link: the
 * chain cannot loop. */
static bool
follow(struct unwind_join *j, int32_t tid, struct unwind_frame *frames,
    int *n, int max)
{
	const struct unwind_frame *last = &frames[*n - 1];
	const struct join_link *l = find(j, tid, last->pc, last->sp);
	int k = *n;

	if (last->sp == 0)
		return false;
	while (l != NULL && l->up_pc != 0) {
		if (k == max || l->up_sp <= l->sp)
			return false;
		frames[k++] = (struct unwind_frame){ l->up_pc, false,
			l->up_sp };
		l = find(j, tid, l->up_pc, l->up_sp);
	}
	if (l == NULL)
		return false;
	*n = k;
	return true;
}

/* The links of a whole walk's frames. */
static void
learn(struct unwind_join *j, int32_t tid, const struct unwind_frame *frames,
    int n)
{
	for (int i = 0; i < n; i++) {
		const struct unwind_frame *f = &frames[i], *up = f + 1;
		struct join_link *l;

		if (f->sp == 0)
			continue;
		if (i + 1 < n && up->sp <= f->sp)
			return;		/* not a stack: teach nothing above */
		l = place(j, tid, f->pc, f->sp);
		*l = (struct join_link){ f->pc, f->sp,
			i + 1 < n ? up->pc : 0, i + 1 < n ? up->sp : 0, tid,
			++j->clock };
	}
}

/* Where a copy of short_len bytes would have ended s's walk: its last
 * frame whose stack pointer lies in that copy (the step that found it
 * read the return address just below), or -1 when such a copy would
 * have held the whole walk or nothing of it. */
static int
short_end(const struct rec_sample *s, const struct unwind_frame *frames,
    int n, uint32_t short_len)
{
	int i = 0;

	if (short_len == 0 || s->stack_len <= short_len)
		return -1;
	while (i + 1 < n && frames[i + 1].sp != 0 &&
	    frames[i + 1].sp - s->stack_addr <= short_len)
		i++;
	return i + 1 < n && i > 0 ? i : -1;
}

/* What the join from frames[cut] gives against what the whole walk
 * found. */
enum join_check {
	JOIN_NONE,	/* a link missing: the walk would have stayed
			 * truncated, not been joined wrong */
	JOIN_AGREES,
	JOIN_DIFFERS,
};

static enum join_check
join_check(struct unwind_join *j, const struct rec_sample *s,
    const struct unwind_frame *frames, int n, int cut)
{
	int k = cut + 1;

	memcpy(j->check, frames, sizeof *frames * (size_t)k);
	if (!follow(j, s->tid, j->check, &k, JOIN_CHECK_FRAMES))
		return JOIN_NONE;
	if (k != n)
		return JOIN_DIFFERS;
	for (int i = cut + 1; i < n; i++)
		if (j->check[i].pc != frames[i].pc)
			return JOIN_DIFFERS;
	return JOIN_AGREES;
}

/* A whole walk: first the join that a short copy would have got from it,
 * checked, then its links taught. */
static void
check_and_learn(struct unwinder *u, const struct rec_sample *s,
    const struct unwind_frame *frames, int n)
{
	struct unwind_join *j = u->join;
	enum join_check got;
	int cut = -1;

	/* Checked while short copies come (the split may have ended). */
	if (u->stats.walks - j->short_walk <= JOIN_CHECK_WHILE)
		cut = short_end(s, frames, n, j->short_len);

	if (cut >= 0 && n <= JOIN_CHECK_FRAMES &&
	    (got = join_check(j, s, frames, n, cut)) != JOIN_NONE) {
		u->stats.join_checks++;
		if (got == JOIN_DIFFERS) {
			u->stats.join_fails++;
			j->fail_untold = true;
		}
	}
	learn(j, s->tid, frames, n);
}

void
unwind__join_after(struct unwinder *u, const struct rec_sample *s,
    struct unwind_frame *frames, int *n, int max, enum unwind_end *end)
{
	if (*end == UNWIND_TRUNCATED && *n > 0 &&
	    (s->flags & SAMPLE_STACK_SPLIT)) {
		if (u->join == NULL && !(u->join = calloc(1, sizeof *u->join)))
			return;
		u->join->short_len = s->stack_len;
		u->join->short_walk = u->stats.walks;
		if (follow(u->join, s->tid, frames, n, max)) {
			u->stats.ends[UNWIND_TRUNCATED]--;
			u->stats.ends[UNWIND_JOINED]++;
			*end = UNWIND_JOINED;
		}
		return;
	}
	if (*end != UNWIND_COMPLETE || *n < 2)
		return;
	if (u->join == NULL && u->last_reach < JOIN_LEARN_REACH)
		return;
	if (u->join == NULL && !(u->join = calloc(1, sizeof *u->join)))
		return;
	check_and_learn(u, s, frames, *n);
}

bool
unwind_take_join_fail(struct unwinder *u)
{
	bool was = u->join != NULL && u->join->fail_untold;

	if (was)
		u->join->fail_untold = false;
	return was;
}

void
unwind__join_clear(struct unwinder *u)
{
	free(u->join);
	u->join = NULL;
}
