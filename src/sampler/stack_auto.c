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
 * run would otherwise be all at the starting size). */
#include "config.h"

#include "internal.h"

#define STACK_AUTO_MIN 1024u		/* the smallest copy */
#define STACK_AUTO_ROUND 512u
#define STACK_AUTO_FIRST_WALKS 32u	/* the first decision */
#define STACK_AUTO_WINDOW_WALKS 64u	/* then windows of this many walks */
#define STACK_AUTO_WINDOW_NS (2000ull * 1000 * 1000)	/* and this long */
#define STACK_AUTO_GROW 4u		/* a copy that ran out: times this */

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

static bool
window_done(const struct stack_auto *a, uint64_t now_ns)
{
	if (!a->learned)
		return a->walks >= STACK_AUTO_FIRST_WALKS;
	return a->walks >= STACK_AUTO_WINDOW_WALKS &&
	    now_ns - a->since_ns >= STACK_AUTO_WINDOW_NS;
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
		/* Relearn soon: a jump after a truncation is a guess. */
		return change(a, to, now_ns, false);
	if (!window_done(a, now_ns))
		return 0;
	if ((to = shrink_to(a)) != 0)
		return change(a, to, now_ns, true);
	/* A new window: what the old one saw is forgotten, slowly. */
	change(a, a->size, now_ns, true);
	return 0;
}
