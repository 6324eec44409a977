/* SPDX-License-Identifier: MIT */
/* sampler: the overhead budget (--max-overhead). Every BUDGET_WINDOW_NS of
 * sampling, the cost the profiler put on the target in that time is
 * compared with the target's CPU time: the backend's own (ptrace: the time
 * its threads were held stopped, from the interrupt to the resume
 * (sampler__budget_held), in the stretches when no sibling waited to
 * run in their place; perf: the kernel's work per sample, from a
 * calibration at start, times the samples), plus the target's part of
 * ctop-prof's own CPU time in the stretches when no CPU of the machine was
 * idle (then what ctop-prof ran came out of the time of those that ran,
 * each as much as it got: with 64 busy threads on 2 CPUs, that is most of
 * the cost; beside a test suite, a small part). Over the budget, the rate
 * is lowered to aim at BUDGET_AIM of it (never below 1 Hz); well under it,
 * raised again towards -F. The rule judges by the lower median of the
 * windows since the rate last moved, and only from the second of them on:
 * one window made long by a busy machine (the worker loading debug
 * information beside the sampler, a CI run beside both: 2 changes at -F 49
 * under a 5% budget once) moves nothing alone. The cost per sample is about
 * constant, so one step lands near the aim; a step moves the rate by at
 * most BUDGET_STEP either way. The period is always a whole multiple k of
 * -F's (the rate -F/k): a sample stands for k samples at -F (ptrace weighs
 * by CPU time in -F's periods, perf by k), so shares stay exact across rate
 * changes. */
#include "config.h"

#include <math.h>
#include <time.h>
#include <unistd.h>

#include "ctop/util.h"
#include "internal.h"

#define BUDGET_WINDOW_NS (1000ull * 1000 * 1000)
#define BUDGET_MIN_CPU_NS (50ull * 1000 * 1000)	/* a window to judge by */
#define BUDGET_MIN_SAMPLES 30	/* ... at a low rate, this many samples */
#define BUDGET_MAX_WINDOW_NS (5000ull * 1000 * 1000)	/* or this long */
#define BUDGET_AIM 0.8		/* of the budget, when the rate moves */
#define BUDGET_ROOM 0.5		/* under this share of it: raise */
#define BUDGET_STEP 8.0		/* the most one window moves the rate */
#define BUDGET_MIN_SEEN 16	/* looks at threads to tell how many run */

static uint64_t
load64(_Atomic uint64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

void
sampler__budget_init(struct sampler *s)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	s->budget.limit = s->opts.max_overhead_pct / 100.0;
	s->budget.ncpu = ncpu > 0 ? (double)ncpu : 1;
	s->budget.t0 = 0;
	s->budget.runnable = -1;
	s->budget.n_since = 0;
	atomic_store_explicit(&s->period_k, 1, memory_order_relaxed);
	atomic_store_explicit(&s->period_k_max, 1, memory_order_relaxed);
}

/* The period multiple after a window that cost `ratio` of the target's
 * CPU time at multiple k, with the budget limit (a share) and -F want:
 * k when it stays. */
unsigned
sampler__budget_next_k(double limit, double ratio, unsigned k, unsigned want)
{
	double f, hz = (double)want / k, next;

	if (limit <= 0 || ratio < 0)
		return k;
	if (ratio > limit)
		f = BUDGET_AIM * limit / ratio;
	else if (ratio < BUDGET_ROOM * limit && k > 1)
		f = ratio > 0 ? BUDGET_AIM * limit / ratio : BUDGET_STEP;
	else
		return k;
	if (f < 1 / BUDGET_STEP)
		f = 1 / BUDGET_STEP;
	if (f > BUDGET_STEP)
		f = BUDGET_STEP;
	next = hz * f;
	/* The rate -F/k at or under next: never over the aim. */
	k = next <= 1 ? want : (unsigned)ceil((double)want / next);
	return k < 1 ? 1 : k > want ? want : k;
}

static uint64_t
own_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The target's runnable threads (running or waiting for a CPU) of late:
 * its threads times the share of the ptrace sampler's looks at them that
 * found one runnable, over the looks since the last estimate once they
 * are BUDGET_MIN_SEEN; -1 before (and with perf, which looks at none). */
static double
runnable_threads(struct sampler *s)
{
	struct sampler_budget *b = &s->budget;
	uint64_t seen = s->seen_threads - b->tick_seen;

	if (seen >= BUDGET_MIN_SEEN) {
		b->runnable = (double)s->nth *
		    (double)(s->seen_runnable - b->tick_runnable) /
		    (double)seen;
		b->tick_seen = s->seen_threads;
		b->tick_runnable = s->seen_runnable;
	}
	return b->runnable;
}

/* The machine's busy CPU time in the tick (all its CPUs' but their
 * idle time, /proc/stat), or -1 when that cannot be read. */
static double
machine_busy(const struct sampler_budget *b, double wall, uint64_t idle)
{
	if (idle && b->tick_idle && idle >= b->tick_idle)
		return b->ncpu * wall - (double)(idle - b->tick_idle);
	return -1;
}

/* True when no CPU of the machine sat idle for half the tick; where that
 * cannot be read, when the target and ctop-prof together used nearly
 * every CPU. */
static bool
machine_full(const struct sampler_budget *b, double wall, double busy,
    double used)
{
	if (busy >= 0)
		return b->ncpu * wall - busy < 0.5 * wall;
	return used / wall > b->ncpu - 0.5;
}

/* What of one tick the target lost to ctop-prof besides the kernel's
 * work: the time its threads were held stopped, unless a runnable
 * sibling waited for a CPU and ran in their place (64 busy threads on 2
 * CPUs lose nothing to one held: the wait for the sampler to be scheduled
 * among them, 0.5 ms a stop, once made the budget count 1.5% at 30 Hz,
 * and lowering the rate lowered nothing); and the target's part of
 * ctop-prof's own CPU time (sampler__budget_own_share). */
uint64_t
sampler__budget_lost(uint64_t held, uint64_t own, double got,
    double runnable, double own_share)
{
	return (uint64_t)((double)own * own_share) +
	    (runnable < 0 || runnable <= got + 0.5 ? held : 0);
}

/* A ptrace sample's pause, as the budget counts it: from the interrupt
 * (t0) to the resume's call (asked), and of the call (until done) no more
 * than the stop took to come (t0 to ts, the stop seen): both are the
 * machine's time to reach the thread's CPU, and a longer call is the
 * sampler's CPU given away. On a virtual machine at 49 Hz one resume in
 * six took 1-5 ms, the host running something else as the thread woke;
 * over 72 such samples the thread's own clock lost 75.6 ms, the hold
 * counted from the stop seen to the call's return (before) 154.8 ms (the
 * budget then lowered the rate to 3-5 Hz under 0.3% and still counted
 * 1-3%), this way 41.3 ms. At 999 Hz the clock lost 4.5%; counted 1.8-2.2%
 * before, 2.5-4.8% this way. A stop later than late_ns (the thread was
 * off its CPU, its stop captured later) adds no latency. */
uint64_t
sampler__budget_held(uint64_t t0, uint64_t ts, uint64_t asked,
    uint64_t done, uint64_t late_ns)
{
	uint64_t stop = ts >= t0 && ts - t0 <= late_ns ? ts - t0 : 0;
	uint64_t call = done >= asked ? done - asked : 0;

	return stop + (asked >= ts ? asked - ts : 0) +
	    (call < stop ? call : stop);
}

/* With no CPU idle, ctop-prof's CPU time came out of the processes that
 * ran, each as much as its share of what they got: all of it when the
 * target is all that ran beside it (64 busy threads), a seventh when a
 * test suite beside them got six times the target's time. Counted whole,
 * the latter once measured 8-9% for -F 49 on ptrace under a 5% budget,
 * the rate lowered to 16 Hz and the cost the same: what it counted was
 * not the rate's. */
double
sampler__budget_own_share(bool full, double target, double own, double busy)
{
	double others = busy - own;

	if (!full)
		return 0;
	if (others <= 0 || target >= others)
		return 1;
	return target / others;
}

/* Adds the last tick's loss to b->counted_ns. */
static void
note_tick(struct sampler *s, uint64_t now, uint64_t cpu, uint64_t held)
{
	struct sampler_budget *b = &s->budget;
	uint64_t own = own_cpu_ns(), idle = sampler__proc_idle_ns();
	double wall, target, mine, busy, runnable = runnable_threads(s);
	bool full;

	if (b->tick_ns && now > b->tick_ns && cpu >= b->tick_cpu &&
	    own >= b->tick_own && held >= b->tick_held) {
		wall = (double)(now - b->tick_ns);
		target = (double)(cpu - b->tick_cpu);
		mine = (double)(own - b->tick_own);
		busy = machine_busy(b, wall, idle);
		full = machine_full(b, wall, busy, target + mine);
		b->counted_ns += sampler__budget_lost(held - b->tick_held,
		    own - b->tick_own, target / wall, runnable,
		    sampler__budget_own_share(full, target, mine,
		    busy >= 0 ? busy : b->ncpu * wall));
	}
	b->tick_ns = now;
	b->tick_cpu = cpu;
	b->tick_own = own;
	b->tick_held = held;
	b->tick_idle = idle;
}

/* Sorts n (at most BUDGET_RECENT) costs into v and returns them. */
static uint32_t *
sorted_copy(uint32_t *v, const uint32_t *ppm, unsigned n)
{
	uint32_t t;

	for (unsigned i = 0; i < n; i++)
		v[i] = ppm[i];
	for (unsigned i = 1; i < n; i++)	/* insertion sort of five */
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v;
}

double
sampler__budget_judged(const uint32_t *ppm, unsigned n)
{
	uint32_t v[BUDGET_RECENT];

	if (n < BUDGET_JUDGE_MIN)
		return -1;
	if (n > BUDGET_RECENT)
		n = BUDGET_RECENT;
	return sorted_copy(v, ppm, n)[(n - 1) / 2] / 1e6;
}

/* The median cost of the last BUDGET_RECENT windows (fewer at first):
 * one window is noisy on a loaded machine (a thread held while the
 * sampler waits for a CPU), a few of them say what the budget keeps. */
static uint32_t
recent_median(const struct sampler_budget *b)
{
	uint32_t v[BUDGET_RECENT];
	unsigned n = b->n_recent < BUDGET_RECENT ? b->n_recent : BUDGET_RECENT;

	return n ? sorted_copy(v, b->recent_ppm, n)[n / 2] : 0;
}

static void
note_window(struct sampler *s, double ratio)
{
	struct sampler_budget *b = &s->budget;
	double ppm = ratio * 1e6;
	uint32_t cost = ppm > UINT32_MAX ? UINT32_MAX : (uint32_t)ppm;

	b->recent_ppm[b->n_recent++ % BUDGET_RECENT] = cost;
	b->since_ppm[b->n_since++ % BUDGET_RECENT] = cost;
	atomic_store_explicit(&s->budget_cost_ppm, (uint64_t)ppm,
	    memory_order_relaxed);
	atomic_store_explicit(&s->budget_median_ppm, recent_median(b),
	    memory_order_relaxed);
}

/* Called by the backend after each CPU time reading (every 100 ms) with
 * its own cost to the target so far (ns). Returns the period multiple it
 * should now sample at when that changed, else 0; the backend applies it
 * and says so with sampler__budget_commit. */
unsigned
sampler__budget_tick(struct sampler *s, uint64_t kernel_ns, uint64_t held_ns)
{
	struct sampler_budget *b = &s->budget;
	uint64_t now = util_now_ns(), cpu = load64(&s->cpu_last_ns);
	uint64_t taken = load64(&s->samples) + load64(&s->dropped);
	unsigned k = atomic_load_explicit(&s->period_k, memory_order_relaxed);
	unsigned next;
	double ratio;

	uint64_t cost_ns;

	if (b->limit <= 0 || cpu == 0)
		return 0;
	note_tick(s, now, cpu, held_ns);
	cost_ns = kernel_ns + b->counted_ns;
	if (b->t0 == 0 || cost_ns < b->cost0 || cpu < b->cpu0) {
		b->t0 = now;
		b->cost0 = cost_ns;
		b->cpu0 = cpu;
		b->n0 = taken;
		return 0;
	}
	/* One stop made long by the machine weighs little among many. */
	if (now - b->t0 < BUDGET_WINDOW_NS || cpu - b->cpu0 < BUDGET_MIN_CPU_NS ||
	    (taken - b->n0 < BUDGET_MIN_SAMPLES &&
	    now - b->t0 < BUDGET_MAX_WINDOW_NS))
		return 0;
	ratio = (double)(cost_ns - b->cost0) / (double)(cpu - b->cpu0);
	note_window(s, ratio);
	b->t0 = now;
	b->cost0 = cost_ns;
	b->cpu0 = cpu;
	b->n0 = taken;
	ratio = sampler__budget_judged(b->since_ppm, b->n_since);
	next = sampler__budget_next_k(b->limit, ratio, k, s->opts.hz);
	return next == k ? 0 : next;
}

/* Keeps the change for the summary's rate over time: the first ones,
 * then the last in the final slot (the main thread reads them). */
static void
note_step(struct sampler *s, unsigned k)
{
	uint64_t t0 = atomic_load_explicit(&s->start_ns, memory_order_relaxed);
	uint64_t now = util_now_ns();
	struct sampler_hz_step step = {
		.at_ms = (uint32_t)(t0 && now > t0 ? (now - t0) / 1000000 : 0),
		.hz = (double)s->opts.hz / k,
	};

	pthread_mutex_lock(&s->lock);
	if (s->n_hz_hist < SAMPLER_HZ_HIST)
		s->n_hz_hist++;
	s->hz_hist[s->n_hz_hist - 1] = step;
	pthread_mutex_unlock(&s->lock);
}

void
sampler__budget_commit(struct sampler *s, unsigned k)
{
	atomic_store_explicit(&s->period_k, k, memory_order_relaxed);
	s->budget.n_since = 0;	/* windows at the old rate judge no more */
	if (k > atomic_load_explicit(&s->period_k_max, memory_order_relaxed))
		atomic_store_explicit(&s->period_k_max, k,
		    memory_order_relaxed);
	atomic_fetch_add_explicit(&s->hz_changes, 1, memory_order_relaxed);
	note_step(s, k);
}
