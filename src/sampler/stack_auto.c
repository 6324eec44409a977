/* SPDX-License-Identifier: MIT */
/* sampler: --stack-size auto, the rule. The perf backend's events copy a
 * fixed number of stack bytes per sample (sample_stack_user), and the
 * kernel reserves all of it in every record whatever the stack holds; a
 * size is changed only by opening the events again (perf_reopen). The
 * worker tells how deep its walks read into the copies (struct
 * stack_need): the size follows the deepest read with a margin. It grows
 * at once, when a walk ran out of the copy (four times the size: the depth
 * it needed is unknown, and each step costs the samples taken meanwhile)
 * or came within the margin; it shrinks slowly, when a whole window of
 * walks needed much less, but early once, after the first walks (a short
 * run would otherwise be all at the starting size), and after a growth
 * on a walk that ran out (four times is a guess). A shrink that a growth
 * undoes within a window doubles the windows (up to 16 times): a program
 * whose depth comes and goes (cc1plus) had its events opened again 4 to 7
 * times a second, each time losing a few milliseconds of samples. */
#include "config.h"

#include "internal.h"

#define STACK_AUTO_MIN 1024u		/* the smallest copy */
#define STACK_AUTO_ROUND 512u
#define STACK_AUTO_FIRST_WALKS 32u	/* the first decision */
#define STACK_AUTO_WINDOW_WALKS 64u	/* then windows of this many walks */
#define STACK_AUTO_WINDOW_NS (2000ull * 1000 * 1000)	/* and this long */
#define STACK_AUTO_GROW 4u		/* a copy that ran out: times this */
#define STACK_AUTO_BACKOFF_MAX 4u	/* windows at most 16 times longer */

/* The copy for walks that read reach bytes: half as much again and 1 KiB
 * (a deeper call than seen so far fits), in 512-byte steps. */
uint32_t
sampler__stack_fit(uint32_t reach)
{
	uint64_t want = (uint64_t)reach + reach / 2 + 1024;

	want = (want + STACK_AUTO_ROUND - 1) / STACK_AUTO_ROUND *
	    STACK_AUTO_ROUND;
	if (want < STACK_AUTO_MIN)
		want = STACK_AUTO_MIN;
	return want > SAMPLER_STACK_MAX ? SAMPLER_STACK_MAX : (uint32_t)want;
}

void
sampler__stack_auto_init(struct stack_auto *a, uint32_t size, uint64_t now_ns)
{
	a->size = size;
	a->learned = false;
	a->reach = a->walks = 0;
	a->since_ns = now_ns;
	a->shrunk_ns = 0;
	a->backoff = 0;
}

static uint64_t
window_ns(const struct stack_auto *a)
{
	return STACK_AUTO_WINDOW_NS << a->backoff;
}

static uint32_t
change(struct stack_auto *a, uint32_t size, uint64_t now_ns, bool learned)
{
	a->size = size;
	a->learned = learned;
	a->reach = a->walks = 0;
	a->since_ns = now_ns;
	return size;
}

/* The size to grow to at once, or 0. A truncation counts only when it
 * happened at the size now: samples taken before the last change are
 * still on their way through the worker. */
static uint32_t
grow_to(const struct stack_auto *a, const struct stack_need_seen *seen)
{
	uint32_t fit = sampler__stack_fit(a->reach);

	if (seen->truncated_at >= a->size && a->size < SAMPLER_STACK_MAX) {
		uint64_t more = (uint64_t)a->size * STACK_AUTO_GROW;

		if (more < fit)
			more = fit;
		return more > SAMPLER_STACK_MAX ? SAMPLER_STACK_MAX :
		    (uint32_t)more;
	}
	return fit > a->size ? fit : 0;
}

/* The size to shrink to at the end of a window, or 0. Only a change
 * worth a reopening: a quarter less at least. */
static uint32_t
shrink_to(const struct stack_auto *a)
{
	uint32_t fit = sampler__stack_fit(a->reach);

	return fit <= a->size - a->size / 4 ? fit : 0;
}

/* Whether the window's walks are enough to judge: the first few while
 * the size is a guess (at the start, after a walk ran out), unless a
 * shrink was undone before; else a window's walks and time. */
static bool
window_done(const struct stack_auto *a, uint64_t now_ns)
{
	if (!a->learned && a->backoff == 0)
		return a->walks >= STACK_AUTO_FIRST_WALKS;
	return a->walks >= STACK_AUTO_WINDOW_WALKS &&
	    now_ns - a->since_ns >= window_ns(a);
}

/* A growth: the size is a guess only when a walk ran out; a shrink it
 * undoes within a window lengthens the windows. */
static uint32_t
grow(struct stack_auto *a, const struct stack_need_seen *seen, uint32_t to,
    uint64_t now_ns)
{
	bool ran_out = seen->truncated_at >= a->size;

	if (a->shrunk_ns != 0 && now_ns - a->shrunk_ns < window_ns(a) &&
	    a->backoff < STACK_AUTO_BACKOFF_MAX)
		a->backoff++;
	return change(a, to, now_ns, a->learned && !ran_out);
}

uint32_t
sampler__stack_auto_next(struct stack_auto *a,
    const struct stack_need_seen *seen, uint64_t now_ns)
{
	uint32_t to;

	if (seen->reach > a->reach)
		a->reach = seen->reach;
	a->walks += seen->walks;
	if ((to = grow_to(a, seen)) != 0)
		return grow(a, seen, to, now_ns);
	if (!window_done(a, now_ns))
		return 0;
	if ((to = shrink_to(a)) != 0) {
		a->shrunk_ns = now_ns;
		return change(a, to, now_ns, true);
	}
	/* A new window: what the old one saw is forgotten, slowly. */
	change(a, a->size, now_ns, true);
	return 0;
}
