/* SPDX-License-Identifier: MIT */
/* symbols: the hook where interpreter frames are merged with the native
 * ones (issue 11: CPython). A stack is given native pc by native pc, as
 * unwound; at its end each pc is named through the one pc cache, the
 * pcs whose function is _PyEval_EvalFrameDefault are marked, and
 * python_merge puts in place of each such activation the Python frames it
 * ran, named by the python namer "qualname (file.py:firstlineno)" with the
 * executing line as the frame's line (the TUI's WHERE). When the chain and
 * the native stack do not fit, or the chain was cut, the native stack is
 * kept and counted. Thread: the worker (as the rest of symbols). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/python.h"
#include "ctop/util.h"
#include "internal.h"

#define EVAL_NAME "_PyEval_EvalFrameDefault"
enum { EVAL_UNKNOWN, EVAL_NO, EVAL_YES };

struct symbols__interp {
	struct python_namer *namer;		/* this stack's; NULL: none */
	/* The stack being built: native pcs innermost first. */
	uint64_t *pcs;
	bool *exact;
	size_t n, cap;
	const struct python_chain *chain;
	uint64_t epoch;
	/* Per native frame, root first: its ids in ids[], is it eval. */
	uint32_t *first, *count;
	uint32_t *loc;			/* its location in the profile */
	uint8_t *is_eval;
	size_t fcap;
	uint32_t *ids;
	size_t ids_cap;
	struct python_merged *merged;
	size_t mcap;
	/* Per profile frame id: EVAL_*. */
	uint8_t *eval_of;
	size_t eval_cap;
	struct symbols_python_stats stats;
};

static struct symbols__interp *
interp(struct symbols *s)
{
	if (s->interp == NULL)
		s->interp = calloc(1, sizeof *s->interp);
	return s->interp;
}

void
symbols__interp_free(struct symbols *s)
{
	struct symbols__interp *in = s->interp;

	if (in == NULL)
		return;
	free(in->pcs);
	free(in->exact);
	free(in->first);
	free(in->count);
	free(in->loc);
	free(in->is_eval);
	free(in->ids);
	free(in->merged);
	free(in->eval_of);
	free(in);
	s->interp = NULL;
}

void
symbols_stack_begin(struct symbols *s, struct python_namer *namer,
    const struct python_chain *chain, uint64_t time_ns)
{
	struct symbols__interp *in = interp(s);

	if (in == NULL)
		return;
	in->n = 0;
	in->namer = namer;
	in->chain = namer != NULL ? chain : NULL;
	in->epoch = python_epoch(time_ns);
}

void
symbols_stack_push(struct symbols *s, uint64_t pc, bool exact)
{
	struct symbols__interp *in = s->interp;
	size_t c1, c2;

	if (in == NULL)
		return;
	if (in->n == in->cap) {
		c1 = c2 = in->cap;
		if (util_grow(&in->pcs, &c1, in->n + 1, sizeof *in->pcs,
		    256) < 0 || util_grow(&in->exact, &c2, in->n + 1,
		    sizeof *in->exact, 256) < 0)
			return;
		in->cap = c1 < c2 ? c1 : c2;
	}
	in->pcs[in->n] = pc;
	in->exact[in->n] = exact;
	in->n++;
}

/* Whether frame id is _PyEval_EvalFrameDefault (or a part of it the
 * compiler split off, "_PyEval_EvalFrameDefault.cold"). */
static bool
is_eval_id(struct symbols *s, struct symbols__interp *in, uint32_t id)
{
	const struct frame *f;
	size_t len = strlen(EVAL_NAME), old = in->eval_cap;

	if (id == PROFILE_NO_FRAME)
		return false;
	if (id >= in->eval_cap) {
		if (util_grow(&in->eval_of, &in->eval_cap, (size_t)id + 1, 1,
		    1024) < 0)
			return false;
		memset(in->eval_of + old, EVAL_UNKNOWN, in->eval_cap - old);
	}
	if (in->eval_of[id] == EVAL_UNKNOWN) {
		f = profile_frame(s->opts.profile, id);
		in->eval_of[id] = f != NULL && f->kind == FRAME_FUNC &&
		    strncmp(f->name, EVAL_NAME, len) == 0 &&
		    (f->name[len] == '\0' || f->name[len] == '.') ?
		    EVAL_YES : EVAL_NO;
	}
	return in->eval_of[id] == EVAL_YES;
}

/* Names every native frame, root first, into in->ids; marks eval ones.
 * Returns the number of eval activations, -1 out of memory. */
static int
name_native(struct symbols *s, struct symbols__interp *in)
{
	const uint32_t *ids;
	size_t k = 0, i, r, c;
	uint32_t n;
	int evals = 0;

	c = in->fcap;
	if (util_grow(&in->first, &c, in->n, sizeof *in->first, 256) < 0)
		return -1;
	c = in->fcap;
	if (util_grow(&in->count, &c, in->n, sizeof *in->count, 256) < 0)
		return -1;
	c = in->fcap;
	if (util_grow(&in->loc, &c, in->n, sizeof *in->loc, 256) < 0)
		return -1;
	c = in->fcap;
	if (util_grow(&in->is_eval, &c, in->n, 1, 256) < 0)
		return -1;
	in->fcap = c;
	for (r = 0; r < in->n; r++) {
		i = in->n - 1 - r;	/* pcs are innermost first */
		n = symbols_frame_ids(s, in->pcs[i], in->exact[i], &ids);
		if (util_grow(&in->ids, &in->ids_cap, k + n, sizeof *in->ids,
		    1024) < 0)
			return -1;
		memcpy(in->ids + k, ids, n * sizeof *ids);
		in->first[r] = (uint32_t)k;
		in->count[r] = n;
		in->loc[r] = symbols__frame_loc(s, in->pcs[i], in->exact[i],
		    ids, n);
		/* ids are innermost first: the function is the last. */
		in->is_eval[r] = n > 0 && is_eval_id(s, in, ids[n - 1]);
		evals += in->is_eval[r];
		k += n;
	}
	return evals;
}

/* The frame id of Python frame i of the chain; PROFILE_NO_FRAME when the
 * namer could not read it. */
static uint32_t
python_id(struct symbols *s, struct symbols__interp *in, uint16_t i)
{
	const struct python_frame *pf = &in->chain->frames[i];
	struct python_name nm;
	struct frame f;

	if (python_namer_lookup(in->namer, pf->code, pf->lasti, in->epoch,
	    &nm) < 0)
		return PROFILE_NO_FRAME;
	memset(&f, 0, sizeof f);
	f.name = nm.name;
	f.file = nm.file;
	f.line = nm.line > 0 ? (uint32_t)nm.line : 0;
	f.kind = FRAME_FUNC;
	return profile_intern(s->opts.profile, &f);
}

/* Writes native frame r's ids root first (its function, then inlined
 * callees), and its location for each into locs (NULL: not asked). */
static size_t
put_native(struct symbols__interp *in, size_t r, uint32_t *out,
    uint32_t *locs, size_t k, size_t cap)
{
	uint32_t j;

	for (j = in->count[r]; j > 0 && k < cap; j--) {
		if (locs)
			locs[k] = in->loc[r];
		out[k++] = in->ids[in->first[r] + j - 1];
	}
	return k;
}

/* The merged stack into out, or 0 when a Python frame had no name. */
static size_t
put_merged(struct symbols *s, struct symbols__interp *in, int m,
    uint32_t *out, uint32_t *locs, size_t cap)
{
	size_t k = 0;
	uint32_t id;
	int i;

	for (i = 0; i < m && k < cap; i++) {
		if (!in->merged[i].python) {
			k = put_native(in, in->merged[i].index, out, locs, k,
			    cap);
			continue;
		}
		id = python_id(s, in, in->merged[i].index);
		if (id == PROFILE_NO_FRAME)
			return 0;
		if (locs)	/* interpreted: no machine address */
			locs[k] = PROFILE_NO_LOC;
		out[k++] = id;
	}
	return k;
}

/* Merges with the chain; returns the ids written, 0 to keep the native
 * stack (counted). */
static size_t
merge(struct symbols *s, struct symbols__interp *in, uint32_t *out,
    uint32_t *locs, size_t cap)
{
	size_t want = in->n + in->chain->n, k;
	int m;

	if (util_grow(&in->merged, &in->mcap, want, sizeof *in->merged,
	    512) < 0)
		return 0;
	m = python_merge(in->is_eval, in->n, in->chain, in->merged,
	    in->mcap);
	if (m == PYTHON_MERGE_MISMATCH) {
		in->stats.mismatch++;
		return 0;
	}
	if (m == PYTHON_MERGE_TRUNCATED || m < 0) {
		in->stats.truncated++;
		return 0;
	}
	k = put_merged(s, in, m, out, locs, cap);
	if (k == 0)
		in->stats.unnamed++;
	else
		in->stats.merged++;
	return k;
}

/* A stack with no chain to merge (a native process, or a sample without
 * one): each pc's ids straight into out, root first, as before Python
 * frames existed; no copy, no eval marks. */
static size_t
name_plain(struct symbols *s, struct symbols__interp *in, uint32_t *out,
    uint32_t *locs, size_t cap)
{
	const uint32_t *ids;
	size_t k = 0, r, i;
	uint32_t n, loc = PROFILE_NO_LOC;

	for (r = 0; r < in->n && k < cap; r++) {
		i = in->n - 1 - r;	/* pcs are innermost first */
		n = symbols_frame_ids(s, in->pcs[i], in->exact[i], &ids);
		if (locs)
			loc = symbols__frame_loc(s, in->pcs[i], in->exact[i],
			    ids, n);
		for (; n > 0 && k < cap; n--) {
			if (locs)
				locs[k] = loc;
			out[k++] = ids[n - 1];
		}
	}
	return k;
}

size_t
symbols_stack_end(struct symbols *s, uint32_t *out, size_t cap)
{
	return symbols_stack_end_locs(s, out, NULL, cap);
}

size_t
symbols_stack_end_locs(struct symbols *s, uint32_t *out, uint32_t *locs,
    size_t cap)
{
	struct symbols__interp *in = s->interp;
	size_t k = 0, r;
	int evals;

	if (in == NULL)
		return 0;
	if (in->chain == NULL)
		return name_plain(s, in, out, locs, cap);
	evals = name_native(s, in);
	if (evals < 0)
		return 0;
	in->stats.chains++;
	/* A chain without frames fits a stack without eval. */
	if (evals > 0 || in->chain->n > 0)
		k = merge(s, in, out, locs, cap);
	else
		in->stats.merged++;
	if (k > 0)
		return k;
	for (r = 0; r < in->n && k < cap; r++)
		k = put_native(in, r, out, locs, k, cap);
	return k;
}

void
symbols_python_stats(const struct symbols *s,
    struct symbols_python_stats *out)
{
	memset(out, 0, sizeof *out);
	if (s->interp != NULL)
		*out = s->interp->stats;
}
