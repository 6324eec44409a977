/* SPDX-License-Identifier: MIT */
/* Unit test of the ptrace sampler's schedule (sampler__schedule in
 * src/sampler/ptrace_threads.c): the gaps between a thread's samples are
 * random, never under half the mean (so a busy thread has always used
 * half a period by its next sample and cpu mode stops it), never over one
 * and a half, their mean the rate asked, and a thread far behind starts
 * afresh instead of a burst of catch-up samples. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "../../src/sampler/internal.h"
#include "tap.h"

#define DRAWS 100000
#define MEAN_NS 10101010ull	/* -F 99 */

static struct sampler s;	/* large: not on the stack */

int
main(void)
{
	struct sthread t;
	uint64_t gap, lo = UINT64_MAX, hi = 0, sum = 0, prev;
	unsigned under_mean = 0, i;

	memset(&t, 0, sizeof t);
	s.rng = 0x9e3779b97f4a7c15ull;
	s.mean_gap_ns = MEAN_NS;
	t.next_ns = prev = 1000000000ull;
	for (i = 0; i < DRAWS; i++) {
		/* On time: the sampler asks for the next one when this one
		 * is due. */
		sampler__schedule(&s, &t, t.next_ns);
		gap = t.next_ns - prev;
		prev = t.next_ns;
		lo = gap < lo ? gap : lo;
		hi = gap > hi ? gap : hi;
		sum += gap;
		under_mean += gap < MEAN_NS;
	}
	ok(lo >= MEAN_NS / 2, "no gap under half the mean (shortest %.3f "
	    "of it)", (double)lo / MEAN_NS);
	ok(hi < MEAN_NS + MEAN_NS / 2, "no gap of 1.5 means or more (longest "
	    "%.3f)", (double)hi / MEAN_NS);
	ok(lo < MEAN_NS * 51 / 100 && hi > MEAN_NS * 149 / 100,
	    "the gaps fill the range (%.3f to %.3f)", (double)lo / MEAN_NS,
	    (double)hi / MEAN_NS);
	/* Uniform over [0.5, 1.5): the mean within 0.5% (its standard
	 * error over 100000 draws is 0.09%), half of them under it. */
	ok((double)sum / DRAWS > MEAN_NS * 0.995 &&
	    (double)sum / DRAWS < MEAN_NS * 1.005,
	    "the mean gap is the period asked (%.4f of it)",
	    (double)sum / DRAWS / MEAN_NS);
	ok(under_mean > DRAWS * 49 / 100 && under_mean < DRAWS * 51 / 100,
	    "half the gaps under the mean (%u of %u)", under_mean, DRAWS);

	/* 200 ms behind (a stopped thread, a busy sampler): the next sample
	 * is a gap after now, not at the old schedule. */
	t.next_ns = 1000000000ull;
	sampler__schedule(&s, &t, t.next_ns + 200000000ull);
	gap = t.next_ns - (1000000000ull + 200000000ull);
	ok(gap >= MEAN_NS / 2 && gap < MEAN_NS + MEAN_NS / 2,
	    "far behind: the next sample a gap after now (%.3f of the mean)",
	    (double)gap / MEAN_NS);
	/* 50 ms behind: kept on its schedule (the rate stays the one
	 * asked when the sampler is a little late). */
	t.next_ns = 1000000000ull;
	sampler__schedule(&s, &t, t.next_ns + 50000000ull);
	ok(t.next_ns < 1000000000ull + MEAN_NS + MEAN_NS / 2,
	    "a little behind: the schedule kept (next due %.3f means after "
	    "the last)", (double)(t.next_ns - 1000000000ull) / MEAN_NS);
	return done_testing();
}
