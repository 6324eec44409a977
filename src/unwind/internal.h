/* SPDX-License-Identifier: MIT */
/* unwind internals: the per-module cache shared by the DWARF walker
 * (unwind.c) and the frame-pointer walker (fp.c). Thread: the worker. */
#ifndef CTOP_UNWIND_INTERNAL_H
#define CTOP_UNWIND_INTERNAL_H

#include <gelf.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libunwind.h>

#include "ctop/unwind.h"

/* Reads at most this far above the copy are taken for stack reads the
 * copy was too short for (the default thread stack is 8 MiB). */
#define STACK_SPAN (8ull << 20)
#define MAX_SEGS 16

/* What we keep per module: where its file bytes are, its unwind table
 * (built on first use), and how often its frame pointers agreed with
 * DWARF unwinding (--unwind auto). */
struct umod {
	Dwfl_Module *mod;
	uint64_t lo, hi;
	GElf_Addr bias;
	const unsigned char *raw;
	size_t rawsize;
	struct {
		uint64_t vaddr, filesz, offset;
	} segs[MAX_SEGS];
	int nsegs;
	bool have_table;
	unw_dyn_info_t di;
	uint64_t fp_checks;	/* DWARF steps out of its frames compared */
	uint64_t fp_fails;	/* ... where the frame pointer disagreed */
};

struct unwind_memo;

struct unwinder {
	struct symbols *sym;
	unw_addr_space_t as;
	enum unwind_method method;
	uint64_t generation;
	struct umod *mods;
	size_t n_mods, cap_mods;
	size_t last;		/* index of the last module used */
	struct unwind_stats stats;
	uint32_t last_reach;	/* the last walk's reach: unwind_last_reach */
	uint64_t trust_epoch;	/* bumped when a module's trust changes */
	struct unwind_memo *memo;	/* memo.c; NULL until a walk is kept */
	struct unwind_join *join;	/* join.c; NULL until a marked walk
					 * read deep */
	bool last_unjoined;		/* unwind_last_unjoined */
};

/* What a walk read, for memo.c: the words of the copy (offset from its
 * start) and the registers libunwind asked for. */
#define MEMO_READS 64
#define MEMO_FRAMES 48

struct memo_read {
	uint32_t off, len;
	uint64_t val;
};

struct walk_note {
	uint64_t regs_read;	/* a bit per DWARF register number */
	bool spoilt;		/* read something not noted: not kept */
	int nreads;
	struct memo_read reads[MEMO_READS];
};

/* The state of one walk, handed to every accessor as `arg`. */
struct walk {
	struct unwinder *u;
	const struct rec_sample *s;
	const unsigned char *stack;
	const uint64_t *regs;	/* where libunwind starts: DWARF order */
	bool beyond;		/* a stack read fell past the copy */
	bool noinfo;		/* find_proc_info found no table entry */
	uint64_t reach;		/* bytes of the copy read, from its start
				 * to the end of the highest read */
	struct walk_note *note;	/* NULL: nothing noted */
	bool observing;		/* reading registers for the frame-pointer
				 * comparisons, which change no frame: not
				 * noted */
};

/* Whether the n bytes at addr lie in the stack copy of s. Never computes
 * addr + n or stack_addr + stack_len: either wraps near 2^64, and a
 * wrapped end once let a read far outside the copy through (a segfault). */
static inline bool
unwind__in_copy(const struct rec_sample *s, uint64_t addr, uint64_t n)
{
	return addr >= s->stack_addr && n <= s->stack_len &&
	    addr - s->stack_addr <= s->stack_len - n;
}

/* Whether addr lies in [stack_addr, stack_addr + STACK_SPAN), where the
 * stack goes on past a copy that was too short. */
static inline bool
unwind__in_span(const struct rec_sample *s, uint64_t addr)
{
	return addr >= s->stack_addr && addr - s->stack_addr < STACK_SPAN;
}

/* Copies n bytes at offset off of the stack copy (the caller checked
 * they are in it) and notes how deep the walk has read: what the sampler
 * learns --stack-size auto from (unwind_last_reach). */
static inline void
unwind__read_copy(struct walk *w, uint64_t off, void *dst, size_t n)
{
	struct walk_note *note = w->note;

	memcpy(dst, w->stack + off, n);
	if (off + n > w->reach)
		w->reach = off + n;
	if (note == NULL || note->spoilt || w->observing)
		return;
	if (note->nreads == MEMO_READS || n > 8) {
		note->spoilt = true;
		return;
	}
	note->reads[note->nreads].off = (uint32_t)off;
	note->reads[note->nreads].len = (uint32_t)n;
	note->reads[note->nreads].val = 0;
	memcpy(&note->reads[note->nreads++].val, w->stack + off, n);
}

/* The walk consulted something its note cannot replay. */
static inline void
unwind__spoil(struct walk *w)
{
	if (w->note != NULL)
		w->note->spoilt = true;
}

/* The registers a frame-pointer step needs and gives. */
struct fp_regs {
	uint64_t pc, sp, bp;
};

/* unwind.c */
struct umod *unwind__umod_get(struct walk *w, uint64_t addr);

/* fp.c */
bool unwind__fp_trusted(const struct umod *um);
void unwind__fp_check(struct walk *w, const struct fp_regs *from,
    const struct fp_regs *to);
bool unwind__fp_walk(struct walk *w, struct fp_regs *r,
    struct unwind_frame *frames, int *n, int max, bool trusted_only,
    enum unwind_end *end);
int unwind__fp_note(struct unwinder *u, char *buf, size_t size);

/* memo.c */
int unwind__memo_find(struct unwinder *u, const struct rec_sample *s,
    struct unwind_frame *frames, int max, enum unwind_end *end);
void unwind__memo_keep(struct unwinder *u, const struct rec_sample *s,
    const struct walk_note *note, const struct unwind_stats *before,
    const struct unwind_frame *frames, int n, enum unwind_end end,
    uint64_t epoch);
void unwind__memo_clear(struct unwinder *u);

/* join.c: after a walk of a sample marked SAMPLE_STACK_SPLIT or _TRIAL
 * (the memo's answers included), a truncated one continued through the
 * thread's recent whole walks (*end becomes UNWIND_JOINED), a whole one
 * checked and learnt from. */
void unwind__join_after(struct unwinder *u, const struct rec_sample *s,
    struct unwind_frame *frames, int *n, int max, enum unwind_end *end);
void unwind__join_clear(struct unwinder *u);

#endif
