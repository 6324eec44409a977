/* SPDX-License-Identifier: MIT */
/* Frame-pointer unwinding over the stack copy, and the per-module trust
 * that --unwind auto puts in it.
 *
 * A frame-pointer step reads the saved rbp and the return address at rbp
 * and rbp + 8: two loads instead of a CFI lookup and interpretation, so
 * it is many times cheaper than a DWARF step. It is only right in code
 * that keeps rbp as a frame pointer; Debian builds its libraries without
 * (rbp is a general register there), and a walk through them invents
 * callers. So --unwind auto learns, module by module, whether the frame
 * pointer agrees with DWARF: every DWARF step out of a frame (a return
 * address, past the prologue) is compared with what the frame-pointer
 * step would have given, and a module is trusted once enough comparisons
 * agreed. Steps out of trusted modules' frames then take the frame
 * pointer; the walk goes back to DWARF at the first frame of a module
 * that is not trusted (libc's start code under main, for instance). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "internal.h"

/* A module is trusted after this many comparisons with at most 1 in 100
 * disagreeing. Few enough to decide within the first second at 99 Hz
 * for the hot code; strict enough that code without frame pointers,
 * which disagrees nearly always, never passes. */
#define FP_MIN_CHECKS 32
#define FP_MAX_FAIL_PER_100 1

bool
unwind__fp_trusted(const struct umod *um)
{
	return um != NULL && um->fp_checks >= FP_MIN_CHECKS &&
	    um->fp_fails * 100 <= um->fp_checks * FP_MAX_FAIL_PER_100;
}

/* The caller's registers by the frame pointer of frame r, read from the
 * copy; false when rbp does not point at a frame record in it. */
static bool
fp_read(struct walk *w, const struct fp_regs *r, struct fp_regs *up)
{
	uint64_t at = r->bp - w->s->stack_addr;

	if (r->bp < r->sp || (r->bp & 7) != 0 ||
	    !unwind__in_copy(w->s, r->bp, 16))
		return false;
	unwind__read_copy(w, at, &up->bp, 8);
	unwind__read_copy(w, at + 8, &up->pc, 8);
	up->sp = r->bp + 16;
	return true;
}

/* Called after a DWARF step from frame `from` (a return address, so past
 * its function's prologue) to `to`: counts whether the frame pointer
 * would have given the same caller. */
void
unwind__fp_check(struct walk *w, const struct fp_regs *from,
    const struct fp_regs *to)
{
	struct umod *um = unwind__umod_get(w, from->pc - 1);
	struct fp_regs up;
	bool trusted;

	if (um == NULL)
		return;
	trusted = unwind__fp_trusted(um);
	um->fp_checks++;
	w->u->stats.fp_checks++;
	w->observing = true;	/* reads that change no frame */
	if (!fp_read(w, from, &up) || up.pc != to->pc || up.sp != to->sp) {
		um->fp_fails++;
		w->u->stats.fp_fails++;
	}
	w->observing = false;
	/* Walks change with trust: remembered ones are forgotten. */
	if (unwind__fp_trusted(um) != trusted)
		w->u->trust_epoch++;
}

/* Why a frame-pointer walk could go no further from r. */
static enum unwind_end
fp_stop(const struct walk *w, const struct fp_regs *r)
{
	/* _start and the thread entry clear rbp: the end of the chain. */
	if (r->bp == 0)
		return UNWIND_COMPLETE;
	if (!unwind__in_copy(w->s, r->bp, 16) && unwind__in_span(w->s, r->bp) &&
	    r->bp >= r->sp && !(w->s->flags & SAMPLE_STACK_SHORT))
		return UNWIND_TRUNCATED;
	return UNWIND_BAD_FRAME;
}

/* Walks by frame pointer from frame r (already in frames[]), appending
 * callers. With trusted_only (auto), stops and returns true, r being the
 * frame for DWARF to go on from, before stepping out of a frame whose
 * module is not trusted or wherever the chain looks odd (rbp cleared,
 * outside the copy, a return address in no module): DWARF then decides
 * how the walk ends, so auto ends every walk as DWARF alone would.
 * Otherwise (fp) returns false with *end set. */
bool
unwind__fp_walk(struct walk *w, struct fp_regs *r,
    struct unwind_frame *frames, int *n, int max, bool trusted_only,
    enum unwind_end *end)
{
	struct fp_regs up;

	for (;;) {
		if (trusted_only &&
		    !unwind__fp_trusted(unwind__umod_get(w, r->pc - 1)))
			return true;
		if (!fp_read(w, r, &up)) {
			*end = fp_stop(w, r);
			return trusted_only;
		}
		if (up.pc == 0) {
			*end = UNWIND_COMPLETE;
			return trusted_only;
		}
		/* A return address outside every module is a broken chain
		 * (rbp used as a general register), not a caller. */
		if (unwind__umod_get(w, up.pc - 1) == NULL) {
			*end = UNWIND_BAD_FRAME;
			return trusted_only;
		}
		if (*n >= max) {
			*end = UNWIND_MAX_DEPTH;
			return false;
		}
		frames[(*n)++] = (struct unwind_frame){ up.pc, false,
		    up.sp };
		w->u->stats.fp_frames++;
		*r = up;
	}
}

static const char *
umod_name(const struct umod *um)
{
	const char *name = dwfl_module_info(um->mod, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL), *slash;

	if (name == NULL)
		return "?";
	slash = strrchr(name, '/');
	return slash ? slash + 1 : name;
}

/* "fp trusted: a, b" or "fp trusted: none": the modules whose frame
 * pointers are used now. Returns how many there are. */
int
unwind__fp_note(struct unwinder *u, char *buf, size_t size)
{
	size_t len;
	int n = 0;

	len = (size_t)snprintf(buf, size, "fp trusted:");
	for (size_t i = 0; i < u->n_mods && len < size; i++) {
		if (!unwind__fp_trusted(&u->mods[i]))
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s %s",
		    n ? "," : "", umod_name(&u->mods[i]));
		n++;
	}
	if (n == 0 && len < size)
		snprintf(buf + len, size - len, " none");
	return n;
}
