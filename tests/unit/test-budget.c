/* SPDX-License-Identifier: MIT */
/* Unit test of the overhead budget's rule (src/sampler/budget.c): the
 * period multiple k (the rate -F/k) after a window that cost a share of
 * the target's CPU time, what of a tick counts as that cost, and what of
 * a ptrace sample's round trip counts as its thread's pause. */
#include "config.h"

#include <math.h>
#include <stdio.h>

#include "../../src/sampler/internal.h"
#include "tap.h"

int
main(void)
{
	const double lim = 0.02;	/* --max-overhead 2 */
	unsigned k;

	is_int(sampler__budget_next_k(0, 0.5, 1, 999), 1,
	    "no budget: the rate stays");
	is_int(sampler__budget_next_k(lim, 0.015, 1, 999), 1,
	    "under the budget at -F: the rate stays");
	/* The cost per sample is about constant: 10% at 999 Hz aims at
	 * 80% of 2% with 999 * 0.016 / 0.10 = 159.8 Hz, the rate -F/k at
	 * or under it: k 7 (142.7 Hz). */
	k = sampler__budget_next_k(lim, 0.10, 1, 999);
	is_int(k, 7, "5x over: lowered to the aim in one step (k %u)", k);
	k = sampler__budget_next_k(lim, 0.50, 1, 999);
	is_int(k, 8, "25x over: lowered by the most one window moves, 8x "
	    "(k %u)", k);
	k = sampler__budget_next_k(lim, 0.025, 1, 999);
	ok(k == 2, "25%% over: k %u (-F/k at or under 80%% of the budget: "
	    "999 Hz * 0.8 * 2 / 2.5 = 639 -> k 2, 499.5 Hz)", k);
	ok(999.0 / k * 0.025 / 999.0 <= 0.8 * lim + 1e-9,
	    "... which costs at most the aim");
	is_int(sampler__budget_next_k(lim, 0.018, 4, 999), 4,
	    "between half the budget and the budget: stays");
	k = sampler__budget_next_k(lim, 0.004, 8, 999);
	ok(k < 8 && k >= 2, "well under (0.4%% at k 8): raised (k %u)", k);
	is_int(sampler__budget_next_k(lim, 0.004, 1, 999), 1,
	    "well under at -F: never above -F");
	is_int(sampler__budget_next_k(lim, 0.0, 50, 999), 7,
	    "no cost seen: up by the most one step moves (k 50 -> 7)");
	is_int(sampler__budget_next_k(lim, 50.0, 500, 999), 999,
	    "never under 1 Hz (k at most -F)");
	is_int(sampler__budget_next_k(lim, 0.5, 1, 1), 1,
	    "-F 1: nothing lower");
	is_int(sampler__budget_next_k(lim, -1, 3, 999), 3,
	    "an unknown cost: the rate stays");
	/* The cost judged by: none from one window alone (a spike while
	 * the worker loads debug information moves nothing), then the lower
	 * median of the windows since the rate last moved. */
	{
		const uint32_t spike[] = { 90000 }, two[] = { 90000, 10000 };
		const uint32_t three[] = { 30000, 90000, 10000 };
		const uint32_t six[] = { 1, 2, 3, 4, 5, 6 };

		ok(sampler__budget_judged(spike, 1) < 0,
		    "one window (9%%): no judgement yet");
		ok(sampler__budget_judged(spike, 0) < 0, "no window: none");
		ok(sampler__budget_judged(two, 2) == 0.01,
		    "two windows, 9%% and 1%%: judged by 1%% (the lower)");
		ok(sampler__budget_judged(three, 3) == 0.03,
		    "three: by their median, 3%%");
		ok(sampler__budget_judged(six, 5) == 3e-6,
		    "more than five: the five kept (ring), their median");
		is_int(sampler__budget_next_k(lim,
		    sampler__budget_judged(spike, 1), 1, 999), 1,
		    "... and the rule leaves the rate where it is");
	}
	/* What of a tick counts: 1 ms held, 0.5 ms of ctop-prof's CPU, of
	 * which the target's part (own_share). */
	is_int((int)sampler__budget_lost(1000000, 500000, 1.95, 64, 1.0),
	    500000, "64 runnable threads on 2 CPUs, machine full: the held "
	    "time is not lost (a sibling ran), ctop-prof's CPU is");
	is_int((int)sampler__budget_lost(1000000, 500000, 1.0, 64, 0.5),
	    250000, "... beside another busy program (1 CPU got): half of "
	    "ctop-prof's CPU");
	is_int((int)sampler__budget_lost(1000000, 500000, 0.98, 1, 0),
	    1000000, "one busy thread, a CPU idle: the held time is lost, "
	    "ctop-prof's CPU is not");
	is_int((int)sampler__budget_lost(1000000, 500000, 0.98, 1, 1.0),
	    1500000, "one busy thread on a full machine, all of it the "
	    "target's: both");
	is_int((int)sampler__budget_lost(1000000, 500000, 2.0, 2.4, 0),
	    1000000, "two busy threads on 2 CPUs: no sibling waits, held lost");
	is_int((int)sampler__budget_lost(1000000, 0, 1.9, -1, 0),
	    1000000, "runnable threads unknown: the held time counts");
	/* The target's part of ctop-prof's CPU: seconds of one 1 s tick. */
	ok(sampler__budget_own_share(false, 0.3, 0.02, 1.5) == 0,
	    "a CPU idle: none of ctop-prof's CPU came out of the target");
	ok(sampler__budget_own_share(true, 1.95, 0.05, 2.0) == 1,
	    "full, the target all that ran beside ctop-prof (64 threads): "
	    "all of it");
	ok(fabs(sampler__budget_own_share(true, 0.3, 0.02, 2.0) -
	    0.3 / 1.98) < 1e-9, "full, a test suite beside them got 1.68 "
	    "CPU-s: the target's 0.3 of the 1.98 the others got (%.3f)",
	    sampler__budget_own_share(true, 0.3, 0.02, 2.0));
	ok(sampler__budget_own_share(true, 1.0, 2.0, 2.0) == 1,
	    "full and nothing but ctop-prof ran: all of it (no division "
	    "by zero)");
	/* A ptrace sample's pause, in us: interrupt at 0, stop seen at
	 * ts, resume asked and done; a stop later than 2 ms was late. */
	is_int((int)(sampler__budget_held(0, 20000, 50000, 55000,
	    2000000) / 1000), 55, "a quick sample: interrupt to resume done, "
	    "55 us");
	is_int((int)(sampler__budget_held(0, 250000, 290000, 3290000,
	    2000000) / 1000), 540, "a 3 ms resume counts as long as the "
	    "stop took (250 us): 540 us, not 3290");
	is_int((int)(sampler__budget_held(1000, 5001000, 5041000, 5046000,
	    2000000) / 1000), 40, "a late stop (5 ms, the thread off its "
	    "CPU): its hold from the stop seen, 40 us, and no resume time");
	is_int((int)(sampler__budget_held(100000, 50000, 90000, 95000,
	    2000000) / 1000), 40, "the stop seen before the interrupt's "
	    "time (clock order): no latency, 40 us held");
	is_int((int)sampler__budget_held(0, 100, 50, 40, 2000000), 100,
	    "times out of order count nothing below zero");
	return done_testing();
}
