/* SPDX-License-Identifier: MIT */
/* Unit test of the joiner (src/unwind/join.c) on walks made up here: a
 * truncated walk is continued through the links whole walks of its
 * thread taught, or left as it is (no link, another thread, no room); a
 * whole walk whose callers changed under a frame shows the join wrong
 * when it is checked; before the split, whole walks rehearse it.
 * test-unwind joins real samples. */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "../../src/unwind/internal.h"
#include "tap.h"

#define BASE 0x7ff000000000ull	/* the stack pointer of frame 0 */
#define TID 7

struct walk_in {
	int n;
	struct unwind_frame f[16];
};

/* Whether a wrong join is told, and then not again. */
static bool
told_once(struct unwinder *u)
{
	bool first = unwind_take_join_fail(u);

	return first && !unwind_take_join_fail(u);
}

/* A walk of n frames: pcs[i] at BASE + offs[i]. */
static struct walk_in
make(int n, const uint64_t *pcs, const uint64_t *offs)
{
	struct walk_in w = { n, { { 0 } } };

	for (int i = 0; i < n; i++)
		w.f[i] = (struct unwind_frame){ pcs[i], i == 0, BASE + offs[i] };
	return w;
}

static uint32_t flags = SAMPLE_STACK_SPLIT;	/* the samples' */

static enum unwind_end
after(struct unwinder *u, struct walk_in *w, int32_t tid, uint32_t len,
    enum unwind_end end, int max)
{
	struct rec_sample s;

	memset(&s, 0, sizeof s);
	s.tid = tid;
	s.stack_addr = BASE;
	s.stack_len = len;
	s.flags = flags;
	u->last_reach = end == UNWIND_TRUNCATED ? len : 8192;
	u->last_unjoined = false;	/* as unwind_sample does */
	u->stats.ends[end]++;
	unwind__join_after(u, &s, w->f, &w->n, max, &end);
	return end;
}

static bool
pcs_are(const struct walk_in *w, int n, const uint64_t *pcs)
{
	if (w->n != n)
		return false;
	for (int i = 0; i < n; i++)
		if (w->f[i].pc != pcs[i])
			return false;
	return true;
}

/* Before the split (SAMPLE_STACK_TRIAL): deep whole walks rehearse it,
 * one in SAMPLE_SPLIT_EVERY teaching its links as a whole copy would,
 * the others checked as the short copies they would be. */
static void
test_trial(void)
{
	static struct unwinder u;
	static const uint64_t a_pc[] = { 0x10, 0x20, 0x30, 0x40, 0x50 };
	static const uint64_t b_pc[] = { 0x10, 0x20, 0x30, 0x41, 0x51 };
	static const uint64_t m_pc[] = { 0x10, 0x20, 0x31, 0x40, 0x50 };
	static const uint64_t a_off[] = { 0, 0x400, 0x900, 0x1400, 0x2000 };
	struct walk_in w;
	uint64_t checks;
	int unjoined = 0;

	flags = SAMPLE_STACK_TRIAL;
	for (unsigned i = 0; i < SAMPLE_SPLIT_EVERY; i++) {
		w = make(5, a_pc, a_off);
		after(&u, &w, TID, 16384, UNWIND_COMPLETE, 64);
		unjoined += unwind_last_unjoined(&u);
	}
	ok(u.stats.join_checks == SAMPLE_SPLIT_EVERY - 1 &&
	    u.stats.join_fails == 0 && unjoined == 0, "rehearsal: the first "
	    "of %u whole walks taught, the others checked as short copies "
	    "(%llu checks, %llu wrong, %d unjoined)", SAMPLE_SPLIT_EVERY,
	    (unsigned long long)u.stats.join_checks,
	    (unsigned long long)u.stats.join_fails, unjoined);
	w = make(5, a_pc, a_off);	/* the next whole copy's: taught */
	after(&u, &w, TID, 16384, UNWIND_COMPLETE, 64);
	w = make(5, m_pc, a_off);
	after(&u, &w, TID, 16384, UNWIND_COMPLETE, 64);
	ok(unwind_last_unjoined(&u) && w.n == 5, "rehearsal: a frame no "
	    "link knows where the short copy would end: unjoined (the walk "
	    "itself whole)");
	w = make(5, b_pc, a_off);
	after(&u, &w, TID, 16384, UNWIND_COMPLETE, 64);
	ok(!unwind_last_unjoined(&u) && u.stats.join_fails == 1 &&
	    unwind_take_join_fail(&u), "rehearsal: other callers above a "
	    "known frame: a wrong join, told");
	checks = u.stats.join_checks;
	w = make(5, a_pc, a_off);
	after(&u, &w, TID + 1, 16384, UNWIND_COMPLETE, 64);
	ok(!unwind_last_unjoined(&u) && u.stats.join_checks == checks &&
	    w.n == 5,
	    "rehearsal: another thread's deep walk, checked before any of its "
	    "walks taught: no link, not counted unjoined");
	w = make(2, a_pc, a_off);
	after(&u, &w, TID, 3584, UNWIND_TRUNCATED, 64);
	ok(w.n == 2, "rehearsal: a truncated walk is not joined (not split "
	    "yet)");
	unwind__join_clear(&u);
	flags = SAMPLE_STACK_SPLIT;
}

int
main(void)
{
	static struct unwinder u;
	static const uint64_t a_pc[] = { 0x10, 0x20, 0x30, 0x40, 0x50 };
	static const uint64_t a_off[] = { 0, 0x400, 0x900, 0x1400, 0x2000 };
	static const uint64_t b_pc[] = { 0x10, 0x20, 0x30, 0x41, 0x51 };
	static const uint64_t t_pc[] = { 0x15, 0x30 };
	static const uint64_t t_off[] = { 0x200, 0x900 };
	static const uint64_t want_a[] = { 0x15, 0x30, 0x40, 0x50 };
	static const uint64_t want_b[] = { 0x15, 0x30, 0x41, 0x51 };
	static const uint64_t m_pc[] = { 0x15, 0x31 };
	struct walk_in w;
	enum unwind_end e;

	w = make(2, t_pc, t_off);
	e = after(&u, &w, TID, 3584, UNWIND_TRUNCATED, 64);
	ok(e == UNWIND_TRUNCATED && w.n == 2, "no whole walk yet: truncated "
	    "as it was");
	ok(!unwind_last_unjoined(&u), "... and not counted unjoined: no "
	    "whole walk of the thread taught anything yet");

	w = make(5, a_pc, a_off);
	e = after(&u, &w, TID, 16384, UNWIND_COMPLETE, 64);
	ok(e == UNWIND_COMPLETE && w.n == 5, "a whole walk stays whole");
	ok(u.stats.join_checks == 0, "... and is not checked: no link ran "
	    "through where a short copy ends");

	w = make(2, t_pc, t_off);
	e = after(&u, &w, TID, 3584, UNWIND_TRUNCATED, 64);
	ok(e == UNWIND_JOINED && pcs_are(&w, 4, want_a), "a truncated walk "
	    "ending at a frame the whole walk had: joined to its callers "
	    "(%d frames, %s)", w.n, unwind_end_name(e));
	ok(w.f[3].sp == BASE + 0x2000 && !w.f[3].exact, "the joined frames "
	    "carry their stack pointers, as return addresses");
	ok(u.stats.ends[UNWIND_JOINED] == 1 &&
	    u.stats.ends[UNWIND_TRUNCATED] == 1, "counted joined, not "
	    "truncated");

	flags = 0;
	w = make(2, t_pc, t_off);
	e = after(&u, &w, TID, 3584, UNWIND_TRUNCATED, 64);
	ok(e == UNWIND_TRUNCATED && w.n == 2, "a sample taken without the "
	    "split (a fixed size): truncated, not joined");
	flags = SAMPLE_STACK_SPLIT;

	w = make(2, m_pc, t_off);
	e = after(&u, &w, TID, 3584, UNWIND_TRUNCATED, 64);
	ok(e == UNWIND_TRUNCATED && w.n == 2 && unwind_last_unjoined(&u),
	    "another pc at that stack pointer: no link, truncated, counted "
	    "unjoined (the thread was taught)");
	w = make(2, t_pc, t_off);
	e = after(&u, &w, TID + 1, 3584, UNWIND_TRUNCATED, 64);
	ok(e == UNWIND_TRUNCATED && w.n == 2 && !unwind_last_unjoined(&u),
	    "another thread: truncated, not counted unjoined (none of its "
	    "whole walks seen)");
	w = make(2, t_pc, t_off);
	e = after(&u, &w, TID, 3584, UNWIND_TRUNCATED, 3);
	ok(e == UNWIND_TRUNCATED && w.n == 2, "no room for the callers: "
	    "truncated, the frames as they were");

	/* The same frame at 0x900, other callers above it. */
	w = make(5, b_pc, a_off);
	after(&u, &w, TID, 16384, UNWIND_COMPLETE, 64);
	ok(u.stats.join_checks == 1 && u.stats.join_fails == 1,
	    "a whole walk with other callers above a known frame: its join "
	    "checked and found wrong (%llu of %llu)",
	    (unsigned long long)u.stats.join_fails,
	    (unsigned long long)u.stats.join_checks);
	ok(told_once(&u),
	    "the failure told once");
	w = make(2, t_pc, t_off);
	e = after(&u, &w, TID, 3584, UNWIND_TRUNCATED, 64);
	ok(e == UNWIND_JOINED && pcs_are(&w, 4, want_b), "the next join "
	    "takes the last whole walk's callers");

	w = make(5, a_pc, a_off);
	after(&u, &w, TID, 16384, UNWIND_COMPLETE, 64);
	w = make(5, a_pc, a_off);
	after(&u, &w, TID, 16384, UNWIND_COMPLETE, 64);
	ok(u.stats.join_checks == 3 && u.stats.join_fails == 2,
	    "the first callers back: found wrong once more, then agreeing "
	    "(%llu wrong of %llu)", (unsigned long long)u.stats.join_fails,
	    (unsigned long long)u.stats.join_checks);
	(void)unwind_take_join_fail(&u);

	/* Stack pointers that do not rise are no stack: nothing above the
	 * frame where they stop is taught. */
	{
		static const uint64_t l_pc[] = { 0x60, 0x70, 0x80 };
		static const uint64_t l_off[] = { 0x100, 0xa00, 0x300 };
		static const uint64_t s_pc[] = { 0x61, 0x70 };
		static const uint64_t s_off[] = { 0x180, 0xa00 };

		w = make(3, l_pc, l_off);
		after(&u, &w, TID + 2, 16384, UNWIND_COMPLETE, 64);
		w = make(2, s_pc, s_off);
		e = after(&u, &w, TID + 2, 3584, UNWIND_TRUNCATED, 64);
		ok(e == UNWIND_TRUNCATED && w.n == 2, "a whole walk whose "
		    "stack pointer fell taught no link there");
	}
	unwind__join_clear(&u);
	w = make(2, t_pc, t_off);
	e = after(&u, &w, TID, 3584, UNWIND_TRUNCATED, 64);
	ok(e == UNWIND_TRUNCATED && !unwind_last_unjoined(&u), "the links "
	    "forgotten (the modules changed): truncated, not counted "
	    "unjoined until a whole walk teaches again");
	test_trial();
	return done_testing();
}
