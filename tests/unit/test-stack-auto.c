/* SPDX-License-Identifier: MIT */
/* Unit test of --stack-size auto (src/sampler/stack_auto.c and the word
 * of include/ctop/stack_need.h): the copy grows at once when a walk ran
 * out of it, shrinks slowly, and keeps a margin over the deepest read. */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "../../src/sampler/internal.h"
#include "tap.h"

#define MS (1000ull * 1000)

static struct stack_need_seen
seen(uint32_t reach, uint32_t walks, uint32_t truncated_at)
{
	return (struct stack_need_seen){ reach, walks, truncated_at, 0,
	    false };
}

static void
test_fit(void)
{
	is_int(sampler__stack_fit(0), 1024, "no reach: the smallest copy");
	is_int(sampler__stack_fit(2000), 4096, "2000 bytes read: half as "
	    "much again and 1 KiB, in 512-byte steps (4096)");
	is_int(sampler__stack_fit(60000), 65528, "at most perf's 65528");
}

static void
test_word(void)
{
	struct stack_need n = { 0 };
	struct stack_need_seen s;

	stack_need_note(&n, 800, 4096, false, false);
	stack_need_note(&n, 3000, 4096, false, false);
	stack_need_note(&n, 4096, 4096, true, false);
	stack_need_note(&n, 100, 1024, true, false);
	s = stack_need_take(&n);
	ok(s.reach == 4096 && s.walks == 4 && s.truncated_at == 4096,
	    "the word keeps the deepest reach, the walks and the longest copy "
	    "that ran out (%u %u %u)", s.reach, s.walks, s.truncated_at);
	s = stack_need_take(&n);
	ok(s.reach == 0 && s.walks == 0 && s.truncated_at == 0,
	    "taking it starts anew");
	stack_need_note(&n, 3584, 3584, true, true);
	stack_need_note(&n, 3584, 3584, true, false);
	stack_need_note(&n, 90000, 65528, false, true);
	stack_need_join_failed(&n);
	s = stack_need_take(&n);
	ok(s.unjoined == 2 && s.join_failed && s.reach == 90000 &&
	    s.walks == 3 && s.truncated_at == 3584, "the word keeps the "
	    "walks no join continued and a wrong join beside the rest "
	    "(%u unjoined, %d, reach %u, %u walks, %u)", s.unjoined,
	    s.join_failed, s.reach, s.walks, s.truncated_at);
	ok(!stack_need_take(&n).join_failed, "... and forgets them when "
	    "taken");
	for (int i = 0; i < 70000; i++)
		stack_need_note(&n, 8, 64, false, (i & 1) != 0);
	s = stack_need_take(&n);
	ok(s.walks == STACK_NEED_COUNT_MAX && s.reach == 8 &&
	    s.unjoined == STACK_NEED_UNJOINED_MAX && !s.join_failed,
	    "the counts of walks and unjoined saturate, the reach stays "
	    "exact, no field runs into the next");
}

static void
test_shrink(void)
{
	struct stack_auto a;
	struct stack_need_seen s;
	uint32_t to;

	sampler__stack_auto_init(&a, 16384, 0);
	s = seen(1500, 20, 0);
	is_int(sampler__stack_auto_next(&a, &s, 10 * MS), 0,
	    "too few walks yet: the size stays");
	s = seen(1800, 20, 0);
	to = sampler__stack_auto_next(&a, &s, 20 * MS);
	is_int(to, sampler__stack_fit(1800), "after the first walks: down to "
	    "the deepest read with its margin at once (%u)", to);
	s = seen(600, 500, 0);
	is_int(sampler__stack_auto_next(&a, &s, 1000 * MS), 0,
	    "then shallower walks: no shrink before a window of 2 s");
	s = seen(600, 10, 0);
	to = sampler__stack_auto_next(&a, &s, 2100 * MS);
	is_int(to, sampler__stack_fit(600), "after 2 s of them: shrinks (%u)",
	    to);
	s = seen(900, 500, 0);
	sampler__stack_auto_next(&a, &s, 3000 * MS);
	is_int(sampler__stack_auto_next(&a, &s, 4200 * MS), 0,
	    "a window that needed about as much: no reopening for little");
}

static void
test_grow(void)
{
	struct stack_auto a;
	struct stack_need_seen s;
	uint32_t to;

	sampler__stack_auto_init(&a, 4096, 0);
	a.learned = true;
	s = seen(4096, 1, 4096);
	to = sampler__stack_auto_next(&a, &s, 5 * MS);
	is_int(to, 16384, "a walk ran out of the copy: four times as much "
	    "at once (%u)", to);
	s = seen(4096, 3, 4096);
	is_int(sampler__stack_auto_next(&a, &s, 6 * MS), 0,
	    "walks of copies taken before the change do not count");
	s = seen(16384, 1, 16384);
	is_int(sampler__stack_auto_next(&a, &s, 7 * MS), 65528,
	    "again: up to perf's most");
	s = seen(65528, 1, 65528);
	is_int(sampler__stack_auto_next(&a, &s, 8 * MS), 0,
	    "at the most: nothing more to do");
	sampler__stack_auto_init(&a, 4096, 0);
	a.learned = true;
	s = seen(3000, 5, 0);
	to = sampler__stack_auto_next(&a, &s, 5 * MS);
	is_int(to, sampler__stack_fit(3000), "a walk came within the "
	    "margin: grows before one runs out (%u)", to);
	s = seen(20000, 40, 0);
	is_int(sampler__stack_auto_next(&a, &s, 30 * MS),
	    sampler__stack_fit(20000), "after a growth the rule relearns "
	    "within the first walks");
}

/* A depth that comes and goes: a shrink a growth undid within a window
 * doubles the windows, so the events are not opened again several times
 * a second; a growth on a walk that ran out relearns early only while no
 * shrink was undone. */
static void
test_backoff(void)
{
	struct stack_auto a;
	struct stack_need_seen s;
	uint32_t to;

	sampler__stack_auto_init(&a, 16384, 0);
	s = seen(1800, 40, 0);
	is_int(sampler__stack_auto_next(&a, &s, 20 * MS),
	    sampler__stack_fit(1800), "the first walks: down at once");
	s = seen(3000, 5, 0);
	to = sampler__stack_auto_next(&a, &s, 500 * MS);
	is_int(to, sampler__stack_fit(3000), "a walk within the margin half "
	    "a second later: grows (%u)", to);
	ok(a.backoff == 1 && a.learned, "... the shrink undone: windows twice "
	    "as long (backoff %u), the size not a guess", a.backoff);
	s = seen(1000, 500, 0);
	is_int(sampler__stack_auto_next(&a, &s, 2600 * MS), 0,
	    "shallow walks for 2.1 s: no shrink yet");
	to = sampler__stack_auto_next(&a, &s, 4600 * MS);
	is_int(to, sampler__stack_fit(1000), "after 4 s of them: shrinks (%u)",
	    to);
	s = seen(to, 1, to);
	to = sampler__stack_auto_next(&a, &s, 4700 * MS);
	ok(to == 4 * sampler__stack_fit(1000) && a.backoff == 2 && !a.learned,
	    "a walk ran out right after: four times at once (%u), backoff %u",
	    to, a.backoff);
	s = seen(1000, 40, 0);
	is_int(sampler__stack_auto_next(&a, &s, 4800 * MS), 0,
	    "no early shrink after that growth: a shrink was undone before");
	to = sampler__stack_auto_next(&a, &s, 4800 * MS + 8000 * MS);
	is_int(to, sampler__stack_fit(1000), "a window of 8 s later: shrinks "
	    "(%u)", to);
	for (uint64_t i = 1; i <= 8; i++) {	/* shrunk, grown again */
		a.size = 1024;
		a.shrunk_ns = 13 * 1000 * MS + i;
		s = seen(8192, 1, 0);
		sampler__stack_auto_next(&a, &s, 13 * 1000 * MS + i + 1);
	}
	ok(a.backoff == 4, "at most 16 times longer (backoff %u)", a.backoff);
}

/* The hand-off across threads, as the worker (notes) and the sampler
 * (takes) use it: every walk counted once, the deepest reach seen (run
 * under TSan by .ci/run). */
#define NOTES 20000u

struct noting {
	struct stack_need need;
	atomic_bool done;
};

static void *
noter(void *arg)
{
	struct noting *w = arg;

	for (uint32_t i = 1; i <= NOTES; i++)
		stack_need_note(&w->need, i % 5000 +
		    (i == NOTES / 2 ? 60000 : 0), 65528, false, false);
	atomic_store(&w->done, true);
	return NULL;
}

static void
test_threads(void)
{
	struct noting w = { { 0 }, false };
	struct stack_need_seen s;
	uint64_t walks = 0;
	uint32_t reach = 0;
	bool last = false;
	pthread_t t;

	if (pthread_create(&t, NULL, noter, &w) != 0) {
		ok(false, "pthread_create");
		return;
	}
	/* Taken while it notes, then once more after it is done. */
	while (!last) {
		last = atomic_load(&w.done);
		s = stack_need_take(&w.need);
		walks += s.walks;
		if (s.reach > reach)
			reach = s.reach;
	}
	pthread_join(t, NULL);
	ok(walks == NOTES && reach == 60000 + NOTES / 2 % 5000,
	    "across threads: %llu of %u walks counted, deepest %u",
	    (unsigned long long)walks, NOTES, reach);
}

int
main(void)
{
	test_fit();
	test_word();
	test_threads();
	test_shrink();
	test_grow();
	test_backoff();
	return done_testing();
}
