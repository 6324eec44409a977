/* SPDX-License-Identifier: MIT */
/* Accuracy tests of unwind + symbols on real targets sampled with the
 * test capture: exact call chains (with and without frame pointers, and
 * stripped), a callback under libc's qsort, inline frames, a signal
 * handler, deep recursion (truncated, never mis-rooted), libraries
 * dlopen'ed and swapped at one address; then the cost per sample. */
#include "config.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tap.h"
#include "capture.h"
#include "ctop/symbols.h"
#include "ctop/unwind.h"

#define NSAMPLES 200
#define MAX_UNWIND 1024
#define MAX_FRAMES 2048

/* One sample unwound and named, innermost frame first. */
struct stack {
	int n;
	struct frame f[MAX_FRAMES];
	bool exact[MAX_FRAMES];	/* of the unwind frame each came from */
	enum unwind_end end;
};

struct run {
	struct capture c;
	struct symbols *sym;
	struct unwinder *uw;
	struct rec_sample *smp[NSAMPLES];
	int n;
};

static struct stack st;

static void
stack_build(struct run *r, const struct rec_sample *s, struct stack *out)
{
	static struct unwind_frame uf[MAX_UNWIND];
	int n = unwind_sample(r->uw, s, uf, MAX_UNWIND, &out->end);

	out->n = 0;
	for (int i = 0; i < n && out->n < MAX_FRAMES; i++) {
		int k = symbols_resolve(r->sym, uf[i].pc, uf[i].exact,
		    out->f + out->n, MAX_FRAMES - out->n);

		for (int j = 0; j < k; j++)
			out->exact[out->n + j] = uf[i].exact;
		out->n += k;
	}
}

static void
stack_diag(const char *what, const struct stack *s)
{
	char buf[1024];
	size_t len = 0;

	for (int i = 0; i < s->n && i < 24 && len < sizeof buf - 64; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s%s",
		    i ? " <- " : "", s->f[i].name,
		    s->f[i].kind == FRAME_INLINE ? "[i]" : "");
	diag("%s: %s (%s)", what, buf, unwind_end_name(s->end));
}

static int
run_start(struct run *r, char *const argv[], size_t stack_size)
{
	memset(r, 0, sizeof *r);
	if (capture_start(&r->c, argv) < 0)
		return -1;
	r->sym = symbols_new(r->c.pid, NULL, NULL);
	r->uw = r->sym ? unwind_new(r->sym, NULL) : NULL;
	if (!r->uw) {
		capture_stop(&r->c);
		return -1;
	}
	r->n = capture_samples(&r->c, stack_size, r->smp, NSAMPLES);
	return 0;
}

static void
run_free(struct run *r)
{
	capture_stop(&r->c);
	for (int i = 0; i < r->n; i++)
		free(r->smp[i]);
	unwind_free(r->uw);
	symbols_free(r->sym);
}

static bool
is_name(const struct frame *f, const char *name)
{
	return f->name && strcmp(f->name, name) == 0;
}

/* Below main only libc's start code may follow: named when libc's debug
 * symbols are installed, else "libc.so.6+0x..." (its local symbols are
 * not in .dynsym). */
static bool
is_start_code(const struct frame *f)
{
	if (f->name && strncmp(f->name, "libc.so", 7) == 0 &&
	    strstr(f->name, "+0x") != NULL)
		return true;
	return is_name(f, "__libc_start_call_main") ||
	    is_name(f, "__libc_start_main") ||
	    is_name(f, "__libc_start_main_impl") || is_name(f, "_start");
}

/* The stack is exactly want[] (innermost first), then start code, and
 * the walk completed. */
static bool
stack_is(const struct stack *s, const char *const *want, int nwant)
{
	if (s->end != UNWIND_COMPLETE || s->n < nwant)
		return false;
	for (int i = 0; i < nwant; i++) {
		if (!is_name(&s->f[i], want[i]))
			return false;
	}
	for (int i = nwant; i < s->n; i++) {
		if (!is_start_code(&s->f[i]))
			return false;
	}
	return true;
}

static void
test_chain(const char *target, const char *what)
{
	static const char *const want[] = { "spin", "c", "b", "a", "main" };
	char *argv[] = { (char *)capture_target(target), NULL };
	struct run r;
	int good = 0, shown = 0;

	if (run_start(&r, argv, 16384) < 0) {
		ok(0, "%s: start", what);
		return;
	}
	for (int i = 0; i < r.n; i++) {
		stack_build(&r, r.smp[i], &st);
		if (stack_is(&st, want, 5))
			good++;
		else if (shown++ < 3)
			stack_diag(what, &st);
	}
	ok(r.n == NSAMPLES && good * 100 >= r.n * 95,
	    "%s: main->a->b->c->spin, complete, in %d/%d samples", what, good,
	    r.n);
	run_free(&r);
}

static bool
is_qsort_internal(const struct frame *f)
{
	return is_name(f, "qsort") || is_name(f, "qsort_r") ||
	    is_name(f, "__qsort_r") || is_name(f, "msort_with_tmp") ||
	    is_name(f, "msort_with_tmp.part.0");
}

static void
test_qsort(void)
{
	char *argv[] = { (char *)capture_target("qsortcb"), NULL };
	struct run r;
	int good = 0, shown = 0;

	if (run_start(&r, argv, 16384) < 0) {
		ok(0, "qsortcb: start");
		return;
	}
	for (int i = 0; i < r.n; i++) {
		int k = 1, named = 0;

		stack_build(&r, r.smp[i], &st);
		if (st.n > 0 && is_name(&st.f[0], "compare_ints")) {
			for (; k < st.n && st.f[k].module &&
			    strcmp(st.f[k].module, "libc.so.6") == 0; k++)
				named += is_qsort_internal(&st.f[k]);
			if (named && k + 1 < st.n &&
			    is_name(&st.f[k], "sort_it") &&
			    is_name(&st.f[k + 1], "main") &&
			    st.end == UNWIND_COMPLETE) {
				good++;
				continue;
			}
		}
		if (shown++ < 3)
			stack_diag("qsortcb", &st);
	}
	ok(r.n == NSAMPLES && good * 100 >= r.n * 90,
	    "qsortcb: compare_ints <- qsort internals (libc) <- sort_it <- "
	    "main in %d/%d samples", good, r.n);
	run_free(&r);
}

static bool
is_file(const struct frame *f, const char *base)
{
	size_t a, b = strlen(base);

	if (!f->file)
		return false;
	a = strlen(f->file);
	return a >= b && strcmp(f->file + a - b, base) == 0 && f->line > 0;
}

static void
test_inline(void)
{
	char *argv[] = { (char *)capture_target("inline"), NULL };
	struct run r;
	int good = 0, shown = 0;

	if (run_start(&r, argv, 16384) < 0) {
		ok(0, "inline: start");
		return;
	}
	for (int i = 0; i < r.n; i++) {
		stack_build(&r, r.smp[i], &st);
		if (st.n >= 4 && is_name(&st.f[0], "leaf") &&
		    st.f[0].kind == FRAME_INLINE &&
		    is_name(&st.f[1], "middle") &&
		    st.f[1].kind == FRAME_INLINE &&
		    is_name(&st.f[2], "parent") &&
		    st.f[2].kind == FRAME_FUNC && is_name(&st.f[3], "main") &&
		    is_file(&st.f[0], "inline.c") &&
		    is_file(&st.f[1], "inline.c") &&
		    is_file(&st.f[2], "inline.c") &&
		    st.f[0].line != st.f[1].line &&
		    st.f[1].line != st.f[2].line &&
		    st.end == UNWIND_COMPLETE)
			good++;
		else if (shown++ < 3)
			stack_diag("inline", &st);
	}
	ok(r.n == NSAMPLES && good * 100 >= r.n * 95,
	    "inline: leaf[i] <- middle[i] <- parent <- main with inline.c "
	    "lines in %d/%d samples", good, r.n);
	if (r.n) {
		stack_build(&r, r.smp[0], &st);
		if (st.n >= 3)
			diag("inline lines: leaf %u, middle %u, parent %u",
			    st.f[0].line, st.f[1].line, st.f[2].line);
	}
	run_free(&r);
}

static void
test_signal(void)
{
	char *argv[] = { (char *)capture_target("sighandler"), NULL };
	struct run r;
	int good = 0, shown = 0;

	if (run_start(&r, argv, 16384) < 0) {
		ok(0, "sighandler: start");
		return;
	}
	for (int i = 0; i < r.n; i++) {
		stack_build(&r, r.smp[i], &st);
		if (st.n >= 4 && is_name(&st.f[0], "handler") &&
		    (is_name(&st.f[1], "__restore_rt") ||
		    (st.f[1].module && !strcmp(st.f[1].module, "libc.so.6"))) &&
		    is_name(&st.f[2], "interrupted") && st.exact[2] &&
		    is_name(&st.f[3], "main") && st.end == UNWIND_COMPLETE)
			good++;
		else if (shown++ < 3)
			stack_diag("sighandler", &st);
	}
	ok(r.n == NSAMPLES && good * 100 >= r.n * 95,
	    "sighandler: handler <- __restore_rt <- interrupted (exact pc) "
	    "<- main in %d/%d samples", good, r.n);
	run_free(&r);
}

/* depth frames of rec under spin; truncated copies must end TRUNCATED with
 * nothing but rec frames above spin (never a wrong root). */
static void
test_recurse(const char *depth, size_t stack_size, bool complete)
{
	char *argv[] = { (char *)capture_target("recurse"), (char *)depth,
	    NULL };
	int want_depth = atoi(depth);
	struct run r;
	int good = 0, shown = 0, wrong_root = 0;

	if (run_start(&r, argv, stack_size) < 0) {
		ok(0, "recurse %s: start", depth);
		return;
	}
	for (int i = 0; i < r.n; i++) {
		int recs = 0, k = 1;

		stack_build(&r, r.smp[i], &st);
		if (st.n < 1 || !is_name(&st.f[0], "spin"))
			continue;	/* a sample in rec itself: rare */
		for (; k < st.n && is_name(&st.f[k], "rec"); k++)
			recs++;
		if (complete) {
			if (st.end == UNWIND_COMPLETE &&
			    recs == want_depth + 1 && k < st.n &&
			    is_name(&st.f[k], "main"))
				good++;
			else if (shown++ < 2)
				diag("recurse: %d rec frames, then %s (%s)",
				    recs, k < st.n ? st.f[k].name : "nothing",
				    unwind_end_name(st.end));
		} else {
			if (k != st.n)
				wrong_root++;
			if (st.end == UNWIND_TRUNCATED && k == st.n)
				good++;
			else if (shown++ < 2)
				stack_diag("recurse", &st);
		}
	}
	if (complete) {
		ok(r.n == NSAMPLES && good * 100 >= r.n * 95,
		    "recurse depth %s, %zu-byte copy: complete with %d rec "
		    "frames in %d/%d samples", depth, stack_size,
		    want_depth + 1, good, r.n);
	} else {
		ok(r.n == NSAMPLES && good * 100 >= r.n * 95,
		    "recurse depth %s, %zu-byte copy: truncated in %d/%d "
		    "samples", depth, stack_size, good, r.n);
		is_int(wrong_root, 0, "recurse depth %s: no wrong root", depth);
	}
	run_free(&r);
}

/* Leaf names of n fresh samples: how many are `want`, how many `stale`. */
static void
dl_phase(struct run *r, const char *want, const char *stale, int *good,
    int *bad, int n)
{
	*good = *bad = 0;
	for (int i = 0; i < n; i++) {
		struct rec_sample *s = capture_sample(&r->c, 16384);

		if (!s)
			continue;
		stack_build(r, s, &st);
		if (st.n >= 2 && is_name(&st.f[0], want) &&
		    is_name(&st.f[1], "main") && st.end == UNWIND_COMPLETE)
			(*good)++;
		if (st.n >= 1 && is_name(&st.f[0], stale))
			(*bad)++;
		free(s);
		usleep(2000 + (unsigned)(rand() % 2000));
	}
}

static void
test_dlopen(void)
{
	char *argv[] = { (char *)capture_target("dlopener"), NULL };
	char cmd[4200];
	struct run r;
	int good, bad;
	uint64_t gen;

	memset(&r, 0, sizeof r);
	if (capture_start(&r.c, argv) < 0) {
		ok(0, "dlopener: start");
		return;
	}
	r.sym = symbols_new(r.c.pid, NULL, NULL);
	r.uw = r.sym ? unwind_new(r.sym, NULL) : NULL;
	ok(r.uw != NULL, "dlopener: symbols and unwinder before dlopen");
	if (!r.uw) {
		run_free(&r);
		return;
	}
	snprintf(cmd, sizeof cmd, "load %s dlhot_spin\n",
	    capture_target("libdlhot.so"));
	capture_send(&r.c, cmd);
	capture_wait_line(&r.c, "loaded", 5000);
	usleep(20 * 1000);
	/* As the sampler's maps-changed event would have it. */
	symbols_reload(r.sym);
	dl_phase(&r, "dlhot_spin", "dlhot2_spin", &good, &bad, 50);
	ok(good >= 45, "dlopen after creation: dlhot_spin <- main in %d/50",
	    good);
	gen = symbols_generation(r.sym);
	snprintf(cmd, sizeof cmd, "load %s dlhot2_spin\n",
	    capture_target("libdlhot2.so"));
	capture_send(&r.c, cmd);
	capture_wait_line(&r.c, "loaded", 5000);
	usleep(20 * 1000);
	/* The worker re-reads the maps when the sampler says they changed
	 * (REC_MAPS_CHANGED); here the test is the sampler. */
	symbols_reload(r.sym);
	ok(symbols_generation(r.sym) > gen, "dlclose bumps the generation");
	dl_phase(&r, "dlhot2_spin", "dlhot_spin", &good, &bad, 50);
	ok(good >= 45 && bad == 0,
	    "swapped library: dlhot2_spin <- main in %d/50, stale name in %d",
	    good, bad);
	run_free(&r);
}

/* --unwind auto on a target's samples: after a first pass that teaches
 * it which modules keep frame pointers, every stack is the one DWARF
 * alone gives, pc for pc; frame pointers are used only where the target
 * was built with them (fp_built), never in Debian's libc. */
static void
test_auto(const char *target, bool fp_built)
{
	char *argv[] = { (char *)capture_target(target), NULL };
	static struct unwind_frame fa[MAX_UNWIND], fd[MAX_UNWIND];
	struct unwind_stats before, after;
	char note[256];
	struct run r;
	int same = 0, shown = 0;

	if (run_start(&r, argv, 16384) < 0) {
		ok(0, "auto %s: start", target);
		return;
	}
	unwind_set_method(r.uw, UNWIND_METHOD_AUTO);
	for (int i = 0; i < r.n; i++) {
		enum unwind_end e;

		unwind_sample(r.uw, r.smp[i], fa, MAX_UNWIND, &e);
	}
	unwind_get_stats(r.uw, &before);
	for (int i = 0; i < r.n; i++) {
		enum unwind_end ea, ed;
		int na, nd;

		unwind_set_method(r.uw, UNWIND_METHOD_AUTO);
		na = unwind_sample(r.uw, r.smp[i], fa, MAX_UNWIND, &ea);
		unwind_set_method(r.uw, UNWIND_METHOD_DWARF);
		nd = unwind_sample(r.uw, r.smp[i], fd, MAX_UNWIND, &ed);
		if (na == nd && ea == ed &&
		    memcmp(fa, fd, sizeof *fa * (size_t)na) == 0)
			same++;
		else if (shown++ < 3)
			diag("auto %s: %d frames (%s), dwarf %d (%s)", target,
			    na, unwind_end_name(ea), nd, unwind_end_name(ed));
	}
	unwind_get_stats(r.uw, &after);
	unwind_fp_note(r.uw, note, sizeof note);
	diag("auto %s: %s; %" PRIu64 " of %" PRIu64 " frames by frame "
	    "pointer; %" PRIu64 " checks, %" PRIu64 " disagreed", target, note,
	    after.fp_frames, after.fp_frames + after.dwarf_frames,
	    after.fp_checks, after.fp_fails);
	ok(r.n == NSAMPLES && same == r.n,
	    "auto %s: the same stack as DWARF alone in %d/%d samples", target,
	    same, r.n);
	if (fp_built)
		ok(after.fp_frames - before.fp_frames >= (uint64_t)r.n &&
		    strstr(note, target) != NULL && !strstr(note, "libc"),
		    "auto %s: frame pointers trusted in %s only (%" PRIu64
		    " frames by them in the second pass)", target, target,
		    after.fp_frames - before.fp_frames);
	else
		ok(after.fp_frames == 0 && strstr(note, "none") != NULL &&
		    after.fp_fails * 2 > after.fp_checks,
		    "auto %s: no module trusted without frame pointers (%"
		    PRIu64 " of %" PRIu64 " checks disagreed)", target,
		    after.fp_fails, after.fp_checks);
	run_free(&r);
}

/* A walk of s by an unwinder whose memo was just emptied (unwind_flush):
 * what the walk finds without it. */
static int
walk_afresh(struct unwinder *uw, const struct rec_sample *s,
    struct unwind_frame *f, enum unwind_end *e)
{
	unwind_flush(uw);
	return unwind_sample(uw, s, f, MAX_UNWIND, e);
}

static bool
same_walk(const struct unwind_frame *a, int na, enum unwind_end ea,
    const struct unwind_frame *b, int nb, enum unwind_end eb)
{
	if (na != nb || ea != eb)
		return false;
	for (int i = 0; i < na; i++)
		if (a[i].pc != b[i].pc || a[i].exact != b[i].exact)
			return false;
	return true;
}

/* The index of the first 8-byte word of s's copy that holds v, or -1. */
static int
word_holding(const struct rec_sample *s, uint64_t v)
{
	const unsigned char *stack = rec_sample_stack(s);

	for (uint32_t off = 0; off + 8 <= s->stack_len; off += 8) {
		uint64_t w;

		memcpy(&w, stack + off, 8);
		if (w == v)
			return (int)(off / 8);
	}
	return -1;
}

/* The walk memo (memo.c) on real samples of chain, in auto mode: every
 * walk finds what a walk without the memo finds, twice over; many are
 * answered from it (a loop's samples repeat their stack); a return
 * address changed in a copy is walked again, not answered; a frame
 * pointer that no CFI of the walk reads (rbp, a general register in
 * code built without frame pointers) changes no answer. */
static void
test_memo(void)
{
	char *argv[] = { (char *)capture_target("chain"), NULL };
	static struct unwind_frame fm[MAX_UNWIND], ff[MAX_UNWIND];
	struct unwinder *fresh;
	struct unwind_stats us;
	struct rec_sample *c;
	enum unwind_end em, ef;
	int nm, nf, same = 0, walks = 0, k = -1, slot = -1;
	struct run r;
	size_t size;

	if (run_start(&r, argv, 16384) < 0 || r.n == 0) {
		ok(0, "memo: start");
		return;
	}
	fresh = unwind_new(r.sym, NULL);
	unwind_set_method(r.uw, UNWIND_METHOD_AUTO);
	unwind_set_method(fresh, UNWIND_METHOD_AUTO);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < r.n; i++) {
			nm = unwind_sample(r.uw, r.smp[i], fm, MAX_UNWIND,
			    &em);
			nf = walk_afresh(fresh, r.smp[i], ff, &ef);
			walks++;
			if (same_walk(fm, nm, em, ff, nf, ef))
				same++;
			else
				diag("memo: sample %d: %d frames (%s), afresh "
				    "%d (%s)", i, nm, unwind_end_name(em), nf,
				    unwind_end_name(ef));
		}
	}
	unwind_get_stats(r.uw, &us);
	is_int(same, walks, "memo: every walk as without it (2 x %d "
	    "samples of chain, auto)", r.n);
	/* 176 of 400 here: the loop's pcs are many, the slots 64. */
	ok(us.remembered * 4 >= us.walks, "memo: %" PRIu64 " of %" PRIu64
	    " walks answered from it (want a quarter)", us.remembered,
	    us.walks);

	/* A sample with main's return address in its copy, walked once
	 * (kept), then changed there to a's: walked again, not answered. */
	for (int i = 0; i < r.n && k < 0; i++) {
		nm = unwind_sample(r.uw, r.smp[i], fm, MAX_UNWIND, &em);
		if (nm >= 5 && (slot = word_holding(r.smp[i], fm[4].pc)) >= 0)
			k = i;
	}
	size = k < 0 ? 0 : rec_sample_size(r.smp[k]);
	c = k < 0 ? NULL : malloc(size);
	ok(c != NULL, "memo: a sample with main's return address in its "
	    "copy (sample %d, word %d)", k, slot);
	if (c == NULL)
		goto out;
	memcpy(c, r.smp[k], size);
	unwind_sample(r.uw, c, fm, MAX_UNWIND, &em);
	unwind_get_stats(r.uw, &us);
	{
		uint64_t was = us.remembered, other = fm[3].pc;
		unsigned char *stack = (unsigned char *)rec_sample_stack(c);

		memcpy(stack + 8 * slot, &other, 8);
		nm = unwind_sample(r.uw, c, fm, MAX_UNWIND, &em);
		nf = walk_afresh(fresh, c, ff, &ef);
		unwind_get_stats(r.uw, &us);
		ok(us.remembered == was && same_walk(fm, nm, em, ff, nf, ef),
		    "memo: a return address changed in the copy: walked again "
		    "(%" PRIu64 " answers before, %" PRIu64 " after), as "
		    "afresh (%d frames, %s)", was, us.remembered, nm,
		    unwind_end_name(em));
		memcpy(c, r.smp[k], size);
		unwind_sample(r.uw, c, fm, MAX_UNWIND, &em);
		unwind_get_stats(r.uw, &us);
		was = us.remembered;
		c->regs[CTOP_REG_RBP] ^= 0x5a5a5a5a0;
		nm = unwind_sample(r.uw, c, fm, MAX_UNWIND, &em);
		nf = walk_afresh(fresh, c, ff, &ef);
		unwind_get_stats(r.uw, &us);
		ok(us.remembered == was + 1 &&
		    same_walk(fm, nm, em, ff, nf, ef), "memo: another rbp "
		    "(no frame of chain's walk reads it): answered, as "
		    "afresh (%d frames, %s)", nm, unwind_end_name(em));
	}
	free(c);
out:
	unwind_free(fresh);
	run_free(&r);
}

/* s with its copy cut to len bytes, as a short copy of the same stack
 * would hold it (not marked as holding the whole stack), taken while the
 * copies are split (SAMPLE_STACK_SPLIT). */
static struct rec_sample *
cut_copy(const struct rec_sample *s, uint32_t len)
{
	size_t size = rec_sample_size(s);
	struct rec_sample *c = malloc(size);

	if (c == NULL)
		return NULL;
	memcpy(c, s, size);
	c->stack_len = len < s->stack_len ? len : s->stack_len;
	c->flags &= ~(uint32_t)SAMPLE_STACK_SHORT;
	c->flags |= SAMPLE_STACK_SPLIT;
	return c;
}

/* Whether a and b have the same pcs. */
static bool
same_pcs(const struct unwind_frame *a, int na, const struct unwind_frame *b,
    int nb)
{
	if (na != nb)
		return false;
	for (int i = 0; i < na; i++)
		if (a[i].pc != b[i].pc)
			return false;
	return true;
}

/* Whether a wrong join is told, and then not again. */
static bool
told_once(struct unwinder *u)
{
	bool first = unwind_take_join_fail(u);

	return first && !unwind_take_join_fail(u);
}

/* The joiner (join.c) on real samples of joinpaths, copied whole (about
 * 11 KiB of stack under path_a), taken while the copies are split, each
 * walked first cut to a short copy's 3584 bytes, then whole: once whole walks of the thread taught their links, the cut
 * copies are joined to exactly the frames their whole walks have, and
 * the whole walks' checks agree; another thread's cut copy, or a fresh
 * unwinder's, stays truncated. With path_a and path_b in turn (the same
 * frames at the same addresses below either), some joins name the other
 * path: the checks find them, and the unwinder tells. */
static void
test_join(void)
{
	char *argv[] = { (char *)capture_target("joinpaths"), "40", "a", NULL };
	static struct unwind_frame fw[MAX_UNWIND], fc[MAX_UNWIND];
	struct unwinder *fresh;
	struct unwind_stats us;
	enum unwind_end ew, ec;
	int nw, nc, whole = 0, joined = 0, exact = 0, other = 0, alone = 0;
	struct run r;

	if (run_start(&r, argv, 65536) < 0 || r.n < NSAMPLES) {
		ok(0, "join: start");
		return;
	}
	fresh = unwind_new(r.sym, NULL);
	for (int i = 0; i < r.n; i++) {
		struct rec_sample *c = cut_copy(r.smp[i], SAMPLE_SPLIT_SHORT);

		r.smp[i]->flags |= SAMPLE_STACK_SPLIT;

		if (c == NULL)
			break;
		nc = unwind_sample(r.uw, c, fc, MAX_UNWIND, &ec);
		nw = unwind_sample(r.uw, r.smp[i], fw, MAX_UNWIND, &ew);
		whole += ew == UNWIND_COMPLETE;
		joined += ec == UNWIND_JOINED;
		exact += ec == UNWIND_JOINED && ew == UNWIND_COMPLETE &&
		    same_pcs(fw, nw, fc, nc);
		unwind_sample(fresh, c, fc, MAX_UNWIND, &ec);
		alone += ec == UNWIND_TRUNCATED;
		c->tid += 1;
		unwind_sample(r.uw, c, fc, MAX_UNWIND, &ec);
		other += ec == UNWIND_TRUNCATED;
		free(c);
	}
	unwind_get_stats(r.uw, &us);
	ok(whole == r.n, "join: %d/%d samples of joinpaths 40 whole with a "
	    "64 KiB copy", whole, r.n);
	/* The first sample's cut copy has no whole walk before it. */
	ok(joined >= r.n - 1 && exact == joined, "join: cut to %u bytes, "
	    "%d/%d joined to the walks before, %d of them exactly as their "
	    "own whole walk", SAMPLE_SPLIT_SHORT, joined, r.n, exact);
	ok(alone == r.n && other == r.n, "join: truncated without links "
	    "(%d/%d) and on another thread (%d/%d)", alone, r.n, other, r.n);
	ok(us.join_checks >= (uint64_t)r.n - 2 && us.join_fails == 0 &&
	    !unwind_take_join_fail(r.uw), "join: %" PRIu64 " whole walks "
	    "checked against their join, %" PRIu64 " wrong", us.join_checks,
	    us.join_fails);
	unwind_free(fresh);
	run_free(&r);

	argv[2] = "ab";
	if (run_start(&r, argv, 65536) < 0 || r.n < NSAMPLES) {
		ok(0, "join: start ab");
		return;
	}
	for (int i = 0; i < r.n; i++) {
		struct rec_sample *c = cut_copy(r.smp[i], SAMPLE_SPLIT_SHORT);

		r.smp[i]->flags |= SAMPLE_STACK_SPLIT;

		if (c == NULL)
			break;
		unwind_sample(r.uw, c, fc, MAX_UNWIND, &ec);
		free(c);
		unwind_sample(r.uw, r.smp[i], fw, MAX_UNWIND, &ew);
	}
	unwind_get_stats(r.uw, &us);
	ok(us.join_fails > 0 && told_once(r.uw), "join: path_a and path_b "
	    "in turn: %" PRIu64 " of %" PRIu64 " checked joins found wrong, "
	    "told once",
	    us.join_fails, us.join_checks);
	run_free(&r);
}

/* --unwind fp on the frame-pointer build: the chain of saved rbp values
 * names main, a and b (c is lost: spin, a leaf, keeps no frame, as the
 * kernel's walk loses it too), and stops at libc's start code, which has
 * no frame pointer, instead of inventing callers. */
static void
test_fp_only(void)
{
	static const char *const want[] = { "spin", "b", "a", "main" };
	char *argv[] = { (char *)capture_target("chain-fp"), NULL };
	struct run r;
	int good = 0, invented = 0, shown = 0;

	if (run_start(&r, argv, 16384) < 0) {
		ok(0, "fp chain-fp: start");
		return;
	}
	unwind_set_method(r.uw, UNWIND_METHOD_FP);
	for (int i = 0; i < r.n; i++) {
		bool match = true;

		stack_build(&r, r.smp[i], &st);
		for (int k = 0; k < 4 && match; k++)
			match = k < st.n && is_name(&st.f[k], want[k]);
		for (int k = 4; k < st.n; k++)
			invented += !is_start_code(&st.f[k]);
		good += match;
		if (!match && shown++ < 3)
			stack_diag("fp chain-fp", &st);
	}
	ok(r.n == NSAMPLES && good * 100 >= r.n * 95 && invented == 0,
	    "fp chain-fp: spin <- b <- a <- main in %d/%d samples, %d "
	    "invented frames below main", good, r.n, invented);
	run_free(&r);
}

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Cost per sample of unwind_sample and symbols_resolve: the first sample
 * (everything cold), a first pass (cold caches), a second pass (warm). */
static void
measure(const char *target, enum unwind_method method)
{
	char *argv[] = { (char *)capture_target(target), NULL };
	static struct unwind_frame uf[MAX_UNWIND];
	struct frame f[64];
	struct run r;
	double t_unw[2] = { 0, 0 }, t_sym[2] = { 0, 0 }, first_u = 0,
	    first_s = 0;
	long frames = 0;

	if (run_start(&r, argv, 16384) < 0 || r.n == 0) {
		ok(0, "measure: start %s", target);
		return;
	}
	unwind_set_method(r.uw, method);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < r.n; i++) {
			enum unwind_end end;
			double t0 = now_us(), t1, t2;
			int n = unwind_sample(r.uw, r.smp[i], uf, MAX_UNWIND,
			    &end);

			t1 = now_us();
			for (int j = 0; j < n; j++)
				symbols_resolve(r.sym, uf[j].pc, uf[j].exact,
				    f, 64);
			t2 = now_us();
			t_unw[pass] += t1 - t0;
			t_sym[pass] += t2 - t1;
			if (pass == 0 && i == 0) {
				first_u = t1 - t0;
				first_s = t2 - t1;
			}
			if (pass == 1)
				frames += n;
		}
	}
	diag("cost %s, %s (%.1f frames/sample): first sample unwind %.0f us, "
	    "resolve %.0f us", target, method == UNWIND_METHOD_AUTO ? "auto" :
	    "dwarf", (double)frames / r.n, first_u, first_s);
	diag("cost %s: cold pass unwind %.1f us/sample, resolve %.1f "
	    "us/sample; warm pass unwind %.1f us/sample, resolve %.2f "
	    "us/sample", target, t_unw[0] / r.n, t_sym[0] / r.n,
	    t_unw[1] / r.n, t_sym[1] / r.n);
	/* What the pc cache is for, not this machine's speed (a bound in
	 * microseconds failed on a loaded machine: unwind 307 us): naming
	 * a pc again costs less than naming it first, which loads the
	 * module's symbols (hundreds of microseconds against a tenth of
	 * one). An unwind of these few frames costs a few microseconds
	 * either way, below the noise: its figures are bench-engine's. */
	ok(t_sym[1] < t_sym[0],
	    "%s: resolve from the cache %.2f us per sample, first %.2f us "
	    "(unwind %.1f then %.1f us)", target, t_sym[1] / r.n,
	    t_sym[0] / r.n, t_unw[0] / r.n, t_unw[1] / r.n);
	run_free(&r);
}

/* Without a capture: a pc in no module has no unwind info, and a short
 * frame limit ends the walk at MAX_DEPTH. */
static void
test_synthetic(void)
{
	static struct unwind_frame uf[8];
	struct symbols *sym = symbols_new(getpid(), NULL, NULL);
	struct unwinder *uw = sym ? unwind_new(sym, NULL) : NULL;
	struct rec_sample *s = calloc(1, sizeof *s + 64);
	struct unwind_stats us;
	enum unwind_end end;
	int n;

	ok(uw && s, "unwinder over this process");
	if (!uw || !s)
		goto out;
	/* The heap is mapped but is no module: no unwind tables there. */
	s->regs[CTOP_REG_RIP] = (uint64_t)(uintptr_t)s;
	s->regs[CTOP_REG_RSP] = s->stack_addr = 0x1000;
	s->stack_len = 64;
	n = unwind_sample(uw, s, uf, 8, &end);
	ok(n == 1 && uf[0].exact && uf[0].pc == (uint64_t)(uintptr_t)s,
	    "no info: the sampled pc alone, exact (%d frames)", n);
	is_str(unwind_end_name(end), unwind_end_name(UNWIND_NO_INFO),
	    "no info: end reason");
	unwind_get_stats(uw, &us);
	is_int(us.ends[UNWIND_NO_INFO], 1, "no info counted");
	is_int(us.walks, 1, "one walk counted");
out:
	free(s);
	unwind_free(uw);
	symbols_free(sym);
}

/* A function of this program: at its first instruction CFA = rsp + 8,
 * so the return address is read at rsp itself. */
__attribute__((noinline)) static int
wrap_target(int x)
{
	return x + 1;
}

/* Regression (a crash as an unprivileged user): the stack-copy bounds
 * check computed addr + 8, which wraps for an address within 8 bytes of
 * 2^64 and let a read far outside the copy through (here 4 KiB below the
 * copy: garbage read as a caller, or a segfault). A stack pointer up
 * there must end the walk at the sampled pc; a copy that ends exactly at
 * 2^64 must still be read (DWARF finds the "return address" in it). */
static void
test_wrap(void)
{
	static const enum unwind_method methods[] = { UNWIND_METHOD_DWARF,
	    UNWIND_METHOD_FP, UNWIND_METHOD_AUTO };
	static const uint64_t sps[] = { UINT64_MAX - 3, UINT64_MAX - 7,
	    UINT64_MAX };
	static struct unwind_frame uf[8];
	struct symbols *sym = symbols_new(getpid(), NULL, NULL);
	struct unwinder *uw = sym ? unwind_new(sym, NULL) : NULL;
	struct rec_sample *s = calloc(1, sizeof *s + 64);
	uint64_t pc = (uint64_t)(uintptr_t)wrap_target, fill;
	enum unwind_end end;
	int n, wrap_ok = 0, top_ok = 0;

	ok(uw && s && wrap_target(1) == 2, "unwinder over this process");
	if (!uw || !s)
		goto out;
	memset(s + 1, 0x41, 64);
	memcpy(&fill, s + 1, 8);
	s->stack_len = 64;
	for (size_t m = 0; m < 3; m++) {
		unwind_set_method(uw, methods[m]);
		for (size_t i = 0; i < 3; i++) {
			s->regs[CTOP_REG_RIP] = pc;
			s->regs[CTOP_REG_RSP] = s->regs[CTOP_REG_RBP] = sps[i];
			s->stack_addr = 0x1000;
			n = unwind_sample(uw, s, uf, 8, &end);
			if (n == 1 && uf[0].pc == pc)
				wrap_ok++;
			else
				diag("method %zu, sp %#llx: %d frames (%s)", m,
				    (unsigned long long)sps[i], n,
				    unwind_end_name(end));
		}
		/* fp: 0x4141... is in no module, so no caller. */
		s->stack_addr = s->regs[CTOP_REG_RSP] =
		    s->regs[CTOP_REG_RBP] = UINT64_MAX - 63;
		n = unwind_sample(uw, s, uf, 8, &end);
		if (methods[m] == UNWIND_METHOD_FP ? n == 1 :
		    n == 2 && uf[1].pc == fill)
			top_ok++;
		else
			diag("method %zu, copy at the top: %d frames (%s)", m,
			    n, unwind_end_name(end));
	}
	is_int(wrap_ok, 9, "sp within 8 bytes of 2^64, copy far below: the "
	    "sampled pc alone (dwarf, fp, auto x 3 stack pointers)");
	is_int(top_ok, 3, "a copy ending at 2^64 is read (dwarf, fp, auto)");
out:
	free(s);
	unwind_free(uw);
	symbols_free(sym);
}

static void
test_max_depth(void)
{
	char *argv[] = { (char *)capture_target("chain"), NULL };
	static struct unwind_frame uf[3];
	struct run r;
	enum unwind_end end;
	int n;

	if (run_start(&r, argv, 16384) < 0 || r.n == 0) {
		ok(0, "max depth: start");
		return;
	}
	n = unwind_sample(r.uw, r.smp[0], uf, 3, &end);
	ok(n == 3 && end == UNWIND_MAX_DEPTH, "a 3-frame limit: %d frames, "
	    "%s", n, unwind_end_name(end));
	ok(uf[0].exact && !uf[1].exact && !uf[2].exact,
	    "sampled pc exact, return addresses not");
	run_free(&r);
}

int
main(void)
{
	int rc;

	srand(1);
	test_synthetic();
	test_wrap();
	rc = capture_probe();
	if (rc < 0) {
		skip(strerror(-rc), "ptrace of a child not permitted here: "
		    "target tests");
		return done_testing();
	}
	test_max_depth();
	test_chain("chain", "chain -O2 -fomit-frame-pointer");
	test_chain("chain-fp", "chain -fno-omit-frame-pointer");
	test_chain("chain-stripped", "chain stripped + debuglink");
	test_qsort();
	test_inline();
	test_signal();
	test_recurse("500", 16384, false);
	test_recurse("200", 65536, true);
	test_dlopen();
	test_auto("chain-fp", true);
	test_auto("qsortcb-fp", true);
	test_auto("chain", false);
	test_fp_only();
	test_memo();
	test_join();
	measure("qsortcb", UNWIND_METHOD_DWARF);
	measure("chain", UNWIND_METHOD_DWARF);
	measure("chain-fp", UNWIND_METHOD_DWARF);
	measure("chain-fp", UNWIND_METHOD_AUTO);
	return done_testing();
}
