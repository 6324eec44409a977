/* SPDX-License-Identifier: MIT */
/* unwind: turns one raw sample (registers + stack copy) into a list of
 * program counters with libunwind, using a remote address space with our
 * own accessors: registers from the sample, stack memory from the copy,
 * unwind tables (.eh_frame_hdr/.eh_frame, .debug_frame) from the ELF files
 * found through symbols_module(). Nothing reads the live target.
 * Thread: the worker only. */
#ifndef CTOP_UNWIND_H
#define CTOP_UNWIND_H

#include <stdbool.h>
#include <stdint.h>

#include "ctop/record.h"
#include "ctop/symbols.h"

/* Why a walk stopped. */
enum unwind_end {
	UNWIND_COMPLETE,	/* reached the outermost frame (_start, the
				 * thread's start routine) */
	UNWIND_TRUNCATED,	/* needed stack bytes beyond the copy */
	UNWIND_NO_INFO,		/* no unwind information for a pc */
	UNWIND_BAD_FRAME,	/* unwind info led nowhere sensible */
	UNWIND_MAX_DEPTH,	/* hit the caller's frame limit */
	UNWIND_END_COUNT
};

struct unwind_frame {
	uint64_t pc;
	bool exact;		/* pc is where execution is (the sampled ip,
				 * or an ip interrupted by a signal), not a
				 * return address: no pc - 1 */
};

struct unwind_stats {
	uint64_t walks;
	uint64_t ends[UNWIND_END_COUNT];
};

struct unwinder;

/* Returns a new unwinder over the modules of sym, or NULL with *cause. */
struct unwinder *unwind_new(struct symbols *sym, char **cause);
void unwind_free(struct unwinder *u);

/* Drops cached unwind tables (the maps changed or the process exec'd). */
void unwind_flush(struct unwinder *u);

/* Walks sample s; writes at most max frames, innermost first (frames[0] is
 * the sampled ip). Returns the number written and sets *end. */
int unwind_sample(struct unwinder *u, const struct rec_sample *s,
    struct unwind_frame *frames, int max, enum unwind_end *end);

const char *unwind_end_name(enum unwind_end end);
void unwind_get_stats(const struct unwinder *u, struct unwind_stats *out);

#endif
