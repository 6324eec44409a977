/* SPDX-License-Identifier: MIT */
/* unwind: walks remembered by what they read.
 *
 * A walk is a function of what it reads: the registers libunwind asks
 * for, the words of the stack copy it loads, the modules' files (the
 * same until the maps change: the symbols' generation) and the frame-
 * pointer trust of those modules (trust_epoch). A profiled program spends
 * its time in loops, so most samples of a thread repeat a stack the walk
 * has just read: same pc, same stack pointer, same saved registers and
 * return addresses, whatever its other registers and locals hold. Each
 * walk notes what it read (struct walk_note); a later sample with the same
 * pc, stack pointer and copy, whose noted registers and words hold the
 * same values, gets the remembered frames without a walk. That is exact,
 * not a guess: the walk would read the same values and find the same
 * frames.
 *
 * --unwind auto compares DWARF's steps with the frame pointer's as it
 * walks; those reads change no frame and are not noted (rbp is often a
 * general register, different in every sample), and a remembered walk
 * compares nothing: trust is learnt from the walks done, among them
 * auto's walks by DWARF alone (one in FP_VERIFY_EVERY), never remembered.
 * Not remembered either: walks that consulted what the note does not
 * cover (a frame without CFI, stepped by the frame pointer or at clone's
 * syscall, which asks the symbols about code outside files; a frame
 * pointer chain taken in a trusted module), and walks longer than an
 * entry holds. Direct-mapped by pc and stack pointer: an entry is
 * replaced by the next walk that maps to it. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MEMO_SLOTS 64u		/* entries; about 2.3 KB each */

struct memo_entry {
	bool used;
	uint64_t rip, rsp, stack_addr, stack_len, epoch;
	uint32_t short_flag;
	uint64_t regs[CTOP_NREGS];	/* the sample's, for note.regs_read */
	struct walk_note note;
	int n;
	struct unwind_frame frames[MEMO_FRAMES];
	enum unwind_end end;
	uint32_t reach;
	uint64_t dwarf_frames, fp_frames;
};

struct unwind_memo {
	struct memo_entry slot[MEMO_SLOTS];
};

static struct memo_entry *
slot_of(struct unwind_memo *m, const struct rec_sample *s)
{
	uint64_t h = (s->regs[CTOP_REG_RIP] ^ s->regs[CTOP_REG_RSP] *
	    0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;

	return &m->slot[(h >> 32) % MEMO_SLOTS];
}

void
unwind__memo_clear(struct unwinder *u)
{
	free(u->memo);
	u->memo = NULL;
}

static bool
same_key(const struct memo_entry *e, const struct rec_sample *s,
    uint64_t epoch)
{
	return e->used && e->rip == s->regs[CTOP_REG_RIP] &&
	    e->rsp == s->regs[CTOP_REG_RSP] && e->stack_addr == s->stack_addr &&
	    e->stack_len == s->stack_len && e->epoch == epoch &&
	    e->short_flag == (s->flags & SAMPLE_STACK_SHORT);
}

/* Whether the noted registers and words hold what they held. */
static bool
same_reads(const struct memo_entry *e, const struct rec_sample *s)
{
	const unsigned char *stack = rec_sample_stack(s);
	uint64_t mask = e->note.regs_read;

	while (mask) {
		int r = __builtin_ctzll(mask);

		if (s->regs[r] != e->regs[r])
			return false;
		mask &= mask - 1;
	}
	for (int i = 0; i < e->note.nreads; i++) {
		const struct memo_read *rd = &e->note.reads[i];
		uint64_t now = 0;

		/* A constant-size copy: a load, where memcmp was a call
		 * (8% of the worker's CPU). */
		if (rd->len == 8)
			memcpy(&now, stack + rd->off, 8);
		else
			memcpy(&now, stack + rd->off, rd->len);
		if (now != rd->val)
			return false;
	}
	return true;
}

/* The frames of a walk that read what a remembered one read, its frame
 * counts taken again; -1 when none did. */
int
unwind__memo_find(struct unwinder *u, const struct rec_sample *s,
    struct unwind_frame *frames, int max, enum unwind_end *end)
{
	struct memo_entry *e;

	if (u->memo == NULL)
		return -1;
	e = slot_of(u->memo, s);
	if (!same_key(e, s, u->trust_epoch) || e->n > max ||
	    !same_reads(e, s))
		return -1;
	memcpy(frames, e->frames, (size_t)e->n * sizeof *frames);
	*end = e->end;
	u->last_reach = e->reach;
	u->stats.dwarf_frames += e->dwarf_frames;
	u->stats.fp_frames += e->fp_frames;
	u->stats.remembered++;
	return e->n;
}

/* Remembers a walk of s that found frames[0..n) after noting what it
 * read in *note; the stats before it are in *before. */
void
unwind__memo_keep(struct unwinder *u, const struct rec_sample *s,
    const struct walk_note *note, const struct unwind_stats *before,
    const struct unwind_frame *frames, int n, enum unwind_end end,
    uint64_t epoch)
{
	struct memo_entry *e;

	if (note->spoilt || n > MEMO_FRAMES || epoch != u->trust_epoch)
		return;
	if (u->memo == NULL && (u->memo = calloc(1, sizeof *u->memo)) == NULL)
		return;
	e = slot_of(u->memo, s);
	e->used = true;
	e->rip = s->regs[CTOP_REG_RIP];
	e->rsp = s->regs[CTOP_REG_RSP];
	e->stack_addr = s->stack_addr;
	e->stack_len = s->stack_len;
	e->epoch = epoch;
	e->short_flag = s->flags & SAMPLE_STACK_SHORT;
	memcpy(e->regs, s->regs, sizeof e->regs);
	e->note.regs_read = note->regs_read;
	e->note.spoilt = false;
	e->note.nreads = note->nreads;
	memcpy(e->note.reads, note->reads,
	    (size_t)note->nreads * sizeof *note->reads);
	e->n = n;
	memcpy(e->frames, frames, (size_t)n * sizeof *frames);
	e->end = end;
	e->reach = u->last_reach;
	e->dwarf_frames = u->stats.dwarf_frames - before->dwarf_frames;
	e->fp_frames = u->stats.fp_frames - before->fp_frames;
}
