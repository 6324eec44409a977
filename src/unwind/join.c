/* SPDX-License-Identifier: MIT */
/* unwind: a walk that ran out of its stack copy, joined to the callers a
 * whole walk of the same thread found.
 *
 * With --stack-size auto on a program whose stacks are deep, most samples
 * copy SAMPLE_SPLIT_SHORT bytes and one in SAMPLE_SPLIT_EVERY the whole
 * depth (the sampler's split, whose samples are marked
 * SAMPLE_STACK_SPLIT: only theirs are joined; a fixed size's copies stay
 * truncated). A short copy's walk ends where the copy does, at a frame (a
 * pc and the stack pointer it runs on) deeper in the stack than where the
 * program's calls change fastest: the frames above it are those of the
 * thread's last whole walks through the same frame. Every whole walk
 * teaches its links, frame to caller, keyed by thread, pc and stack
 * pointer; a walk that ran out is continued from its last frame by
 * following them to the outermost frame (simpleperf's callchain joiner
 * does the same). A missing link leaves it truncated.
 *
 * A join is a guess where the copy ends: a function entered at the same
 * stack pointer from two callers between two whole walks gets the last
 * one's. So it is checked: a whole walk that a short copy would have cut
 * is first joined from where that copy would have ended, before it
 * teaches its links, and the join compared with it (stats.join_checks,
 * join_fails). Before the split, the sampler marks the samples
 * SAMPLE_STACK_TRIAL and the walks rehearse it: most deep whole walks
 * are checked as short copies and teach nothing, as they would. The
 * worker tells the sampler what the checks and joins found (a wrong join,
 * a short walk no link continued) through stack_need.h's word: the split
 * begins after a rehearsal that went well and ends at the first wrong
 * join, or when too many short walks stay truncated.
 *
 * Four ways to a bucket: a link replaces the bucket's oldest. Thread:
 * the worker. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define JOIN_SLOTS 8192u	/* links: 48 bytes each */
#define JOIN_WAYS 4u		/* a key's place: any of a bucket's 4 */
/* Whole walks that read less than this teach nothing: a short copy's
 * walk ends deeper (a shallow program pays nothing). */
#define JOIN_LEARN_REACH 2048u
#define JOIN_CHECK_FRAMES 512	/* longer walks are not checked */
#define JOIN_TAUGHT 256u	/* threads remembered as taught */

struct join_link {
	uint64_t pc, sp;	/* a frame of a whole walk */
	uint64_t up_pc, up_sp;	/* its caller's; up_pc 0: the outermost */
	int32_t tid;		/* 0: an empty slot */
	uint32_t stamp;		/* when taught: the oldest is replaced */
};

struct unwind_join {
	struct join_link slot[JOIN_SLOTS];
	uint32_t clock;		/* links taught */
	uint32_t rehearsed;	/* whole walks rehearsed as split ones */
	bool fail_untold;	/* unwind_take_join_fail */
	/* Threads a whole walk taught, by tid modulo JOIN_TAUGHT (two
	 * threads in one slot: the other counts as untaught). */
	int32_t taught[JOIN_TAUGHT];
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

static int32_t *
taught_slot(struct unwind_join *j, int32_t tid)
{
	return &j->taught[(uint32_t)tid % JOIN_TAUGHT];
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
		*taught_slot(j, tid) = tid;
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

/* The join a short copy of a whole walk would have had, compared with the
 * walk. Counts, and returns, what it gave. */
static enum join_check
check(struct unwinder *u, const struct rec_sample *s,
    const struct unwind_frame *frames, int n)
{
	int cut = short_end(s, frames, n, SAMPLE_SPLIT_SHORT);
	enum join_check got;

	if (cut < 0 || n > JOIN_CHECK_FRAMES)
		return JOIN_AGREES;	/* the short copy held it all */
	got = join_check(u->join, s, frames, n, cut);
	if (got != JOIN_NONE)
		u->stats.join_checks++;
	if (got == JOIN_DIFFERS) {
		u->stats.join_fails++;
		u->join->fail_untold = true;
	}
	return got;
}

/* Whether a whole walk of tid taught links since the table was made: a
 * short walk of a thread not yet taught (a new thread, or the table just
 * made again after the modules changed) says nothing of how fast its
 * stacks change, and is not counted unjoined. */
static bool
taught(struct unwind_join *j, int32_t tid)
{
	return j != NULL && *taught_slot(j, tid) == tid;
}

/* A whole walk while the copies are split: checked, then its links
 * taught. Before the split (SAMPLE_STACK_TRIAL), a rehearsal of it: a
 * walk deeper than a short copy is, but for one in SAMPLE_SPLIT_EVERY (the
 * whole ones to come), checked as the short copy it would be and teaches
 * nothing; a join that finds no link counts as unjoined, as it would
 * (a thread's, once a walk of it taught). */
static void
whole_walk(struct unwinder *u, const struct rec_sample *s,
    const struct unwind_frame *frames, int n)
{
	struct unwind_join *j = u->join;

	if (s->flags & SAMPLE_STACK_SPLIT) {
		check(u, s, frames, n);
	} else if (u->last_reach > SAMPLE_SPLIT_SHORT &&
	    j->rehearsed++ % SAMPLE_SPLIT_EVERY != 0) {
		u->last_unjoined = check(u, s, frames, n) == JOIN_NONE &&
		    taught(j, s->tid);
		return;
	}
	learn(j, s->tid, frames, n);
}

void
unwind__join_after(struct unwinder *u, const struct rec_sample *s,
    struct unwind_frame *frames, int *n, int max, enum unwind_end *end)
{
	if (!(s->flags & (SAMPLE_STACK_SPLIT | SAMPLE_STACK_TRIAL)) || *n < 1)
		return;
	if (*end == UNWIND_TRUNCATED && (s->flags & SAMPLE_STACK_SPLIT)) {
		if (u->join != NULL && follow(u->join, s->tid, frames, n, max)) {
			u->stats.ends[UNWIND_TRUNCATED]--;
			u->stats.ends[UNWIND_JOINED]++;
			*end = UNWIND_JOINED;
		} else {
			u->last_unjoined = taught(u->join, s->tid);
		}
		return;
	}
	if (*end != UNWIND_COMPLETE || *n < 2 ||
	    u->last_reach < JOIN_LEARN_REACH)
		return;
	if (u->join == NULL && !(u->join = calloc(1, sizeof *u->join)))
		return;
	whole_walk(u, s, frames, *n);
}

bool
unwind_last_unjoined(const struct unwinder *u)
{
	return u->last_unjoined;
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
