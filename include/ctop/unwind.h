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
#include <stddef.h>
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
	UNWIND_JOINED,		/* ran out of the copy, and the rest found
				 * in the thread's recent whole walks
				 * (src/unwind/join.c): the outermost frame */
	UNWIND_END_COUNT
};

struct unwind_frame {
	uint64_t pc;
	bool exact;		/* pc is where execution is (the sampled ip,
				 * or an ip interrupted by a signal), not a
				 * return address: no pc - 1 */
	uint64_t sp;		/* the frame's stack pointer (0: a kernel
				 * chain's): with pc, what join.c keys on */
};

/* How callers are found. */
enum unwind_method {
	UNWIND_METHOD_DWARF,	/* CFI from .eh_frame for every frame */
	UNWIND_METHOD_FP,	/* the frame-pointer chain (rbp) only */
	UNWIND_METHOD_AUTO,	/* DWARF, and frame pointers out of the
				 * frames of modules where sampled checks
				 * found them to agree with DWARF */
};

struct unwind_stats {
	uint64_t walks;
	uint64_t ends[UNWIND_END_COUNT];
	uint64_t dwarf_frames;	/* frames found by a DWARF step (or the
				 * sampled ip) */
	uint64_t fp_frames;	/* frames found by a frame-pointer step */
	uint64_t fp_checks;	/* auto: DWARF steps compared with the frame
				 * pointer */
	uint64_t fp_fails;	/* ... that disagreed */
	uint64_t remembered;	/* walks answered by a walk that read the
				 * same (no walk done) */
	uint64_t join_checks;	/* whole walks also joined from where a
				 * short copy would have ended (join.c) */
	uint64_t join_fails;	/* ... where the join found other callers */
};

struct unwinder;

/* Returns a new unwinder over the modules of sym, or NULL with *cause. */
/* Called first on the thread that unwinds (the worker): blocks every
 * signal on it for good, so that libunwind's lock needs no system call
 * there (src/unwind/sigmask.c). */
void unwind_thread_init(void);

struct unwinder *unwind_new(struct symbols *sym, char **cause);
void unwind_free(struct unwinder *u);

/* DWARF unless set. The stack copy is walked in every method: fp reads
 * the chain of saved rbp values in it. */
void unwind_set_method(struct unwinder *u, enum unwind_method method);

/* Drops cached unwind tables (the maps changed or the process exec'd). */
void unwind_flush(struct unwinder *u);

/* The pcs of sample s, innermost first: the kernel part of its chain
 * (perf), then the user part: the kernel's frame-pointer chain when the
 * sample has one (--unwind fp with perf), else a walk of the stack copy
 * from the sampled registers. Writes at most max frames; returns the
 * number written and sets *end (UNWIND_COMPLETE for a chain alone). */
int unwind_sample(struct unwinder *u, const struct rec_sample *s,
    struct unwind_frame *frames, int max, enum unwind_end *end);

const char *unwind_end_name(enum unwind_end end);

/* Writes "fp trusted: MODULE, ..." (or "fp trusted: none") naming the
 * modules whose frame pointers --unwind auto uses now; returns how many. */
int unwind_fp_note(struct unwinder *u, char *buf, size_t size);
void unwind_get_stats(const struct unwinder *u, struct unwind_stats *out);

/* How deep into its stack copy the last unwind_sample read: bytes from
 * the copy's start (the sampled sp) to the end of the highest read, 0
 * when it walked no copy. A complete walk needed no more than this; a
 * truncated one needed more than the copy had. --stack-size auto sizes
 * the copies from it. */
uint32_t unwind_last_reach(const struct unwinder *u);

/* Whether a join (UNWIND_JOINED) was found wrong since the last call: a
 * whole walk, joined from where a short copy would have ended, got other
 * callers than it has (src/unwind/join.c). --stack-size auto then gives
 * every sample the whole copy. */
bool unwind_take_join_fail(struct unwinder *u);

/* Whether the last unwind_sample ran out of a split copy and no link
 * continued it, or (rehearsing the split) would have, though a whole walk
 * of its thread taught links before. */
bool unwind_last_unjoined(const struct unwinder *u);

#endif
