/* SPDX-License-Identifier: MIT */
/* Unit test of the live source's exit drain (source_live_opts.exit_drain_s):
 * without a limit every queued sample reaches the profile; with one, the
 * worker stops turning them when its time is spent, and every sample is
 * either in the profile or counted as unprocessed. The samples are this
 * process's own, as chains of two pcs (no stack copy), so the worker
 * names them with real symbols of a real process. */
#include "config.h"

#include <stdint.h>
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
	return done_testing();
}
