/* SPDX-License-Identifier: MIT */
/* Unit test of the live source's exit drain (source_live_opts.exit_drain_s)
 * and of a refresh ending the worker's nap:
 * without a limit every queued sample reaches the profile; with one, the
 * worker stops turning them when its time is spent, and every sample is
 * either in the profile or counted as unprocessed. The samples are this
 * process's own, as chains of two pcs (no stack copy), so the worker
 * names them with real symbols of a real process. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctop/record.h"
#include "ctop/ring.h"
#include "ctop/source.h"
#include "ctop/util.h"
#include "tap.h"

#define RING_TEST_BYTES (64u << 20)

static __attribute__((noinline)) uint64_t
leaf_pc(void)
{
	return (uint64_t)(uintptr_t)__builtin_return_address(0);
}

static void
push_samples(struct ring *r, unsigned n)
{
	struct {
		struct rec_sample s;
		uint64_t pcs[2];
	} rec;

	memset(&rec, 0, sizeof rec);
	rec.s.tid = rec.s.pid = getpid();
	rec.s.user_len = 2;
	rec.s.weight = 1;
	rec.pcs[0] = leaf_pc();
	rec.pcs[1] = (uint64_t)(uintptr_t)&push_samples + 1;
	for (unsigned i = 0; i < n; i++) {
		rec.s.time_ns = util_now_ns();
		if (!ring_push(r, REC_SAMPLE, &rec, sizeof rec))
			break;
	}
}

/* Queues n samples, starts the worker and stops it at once. */
static void
run(double exit_drain_s, unsigned n, struct source_summary *sum,
    double *stop_s)
{
	struct source_live_opts o = { .pid = getpid(), .hz = 99,
	    .mode_name = "cpu", .unwind = UNWIND_METHOD_FP,
	    .exit_drain_s = exit_drain_s };
	struct source src;
	struct ring r;
	char *cause = NULL;
	uint64_t t0;

	memset(sum, 0, sizeof *sum);
	if (ring_init(&r, RING_TEST_BYTES) < 0)
		return;
	push_samples(&r, n);
	if (source_open_live(&src, &r, NULL, &o, &cause) < 0) {
		ok(0, "cannot start the worker: %s", cause);
		return;
	}
	t0 = util_now_ns();
	source_stop(&src);
	*stop_s = (double)(util_now_ns() - t0) / 1e9;
	source_summary(&src, sum);
	source_close(&src);
	ring_fini(&r);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A view asked for ends the worker's nap: with nothing to do the worker
 * naps up to 100 ms (on 2 CPUs), and a refresh woke it only when that
 * ended (a view 50 ms late at the median); now the refresh wakes it.
 * Views are published only when asked (publish_s 100). The median of 15
 * refreshes' latencies, each after 230-412 ms idle (the naps at their
 * longest). Also the main thread <-> worker hand-off TSan checks. */
static void
refresh_wakes(void)
{
	struct source_live_opts o = { .pid = getpid(), .hz = 99,
	    .mode_name = "cpu", .unwind = UNWIND_METHOD_FP, .views = true,
	    .publish_s = 100 };
	struct pview_params all = { 0, 0, 0 };
	struct pview *old, *v = NULL;
	uint64_t lat[15], t0;
	struct timespec idle = { 0, 0 };
	struct source src;
	struct ring r;
	char *cause = NULL;
	int n = 0;

	if (ring_init(&r, 1u << 20) < 0 ||
	    source_open_live(&src, &r, NULL, &o, &cause) < 0) {
		ok(0, "refresh: cannot start the worker: %s", cause);
		return;
	}
	for (int i = 0; i < 15; i++) {
		/* Idle times of every phase against the naps' 100 ms (300
		 * ms, their multiple, met each nap's end). */
		idle.tv_nsec = (230 + 13 * i) * 1000 * 1000;
		nanosleep(&idle, NULL);
		old = src.ops->view(src.ctx, &all);
		t0 = util_now_ns();
		src.ops->refresh(src.ctx);
		while (util_now_ns() - t0 < 2000000000ull) {
			v = src.ops->view(src.ctx, &all);
			if (v != old)
				break;
			pview_unref(v);
			v = NULL;
		}
		if (v != NULL && v != old)
			lat[n++] = util_now_ns() - t0;
		pview_unref(v);
		pview_unref(old);
		v = NULL;
	}
	source_stop(&src);
	source_close(&src);
	ring_fini(&r);
	qsort(lat, (size_t)n, sizeof lat[0], cmp_u64);
	ok(n == 15 && lat[n / 2] < 20000000ull, "a refresh wakes the napping "
	    "worker: a new view in %.1f ms at the median of %d (want under "
	    "20 ms; a 100 ms nap waited out: about 50)",
	    n ? (double)lat[n / 2] / 1e6 : -1.0, n);
}

int
main(void)
{
	struct source_summary sum;
	double stop_s = 0;

	run(0, 50000, &sum, &stop_s);
	ok(sum.samples == 50000 && sum.unprocessed == 0, "no limit: all "
	    "50000 queued samples in the profile (%" PRIu64 ", %" PRIu64
	    " unprocessed, stop took %.3f s)", sum.samples, sum.unprocessed,
	    stop_s);

	run(0.001, 200000, &sum, &stop_s);
	ok(sum.unprocessed > 0 && sum.samples + sum.unprocessed == 200000,
	    "1 ms to drain 200000: %" PRIu64 " in the profile + %" PRIu64
	    " unprocessed = 200000 (stop took %.3f s)", sum.samples,
	    sum.unprocessed, stop_s);
	ok(sum.records < 200000, "the worker consumed %" PRIu64 " records "
	    "before its time ran out", sum.records);
	refresh_wakes();
	return done_testing();
}
