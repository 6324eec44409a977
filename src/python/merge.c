/* SPDX-License-Identifier: MIT */
/* python merge: one stack from the native frames and the Python chain,
 * as py-spy --native does. Each _PyEval_EvalFrameDefault activation ran
 * one run of Python frames, from its entry frame up to the next entry
 * frame (exclusive) leafwards, so the i-th eval activation from the root
 * owns the i-th run from the root. Counts that differ mean the two were
 * not read at the same moment (perf reads the chain after the sample) or
 * an activation is between its prologue and its first frame: the caller
 * keeps the native stack. */
#include "config.h"

#include "ctop/python.h"

/* Where, in the leaf-first chain, each run ends (its entry frame), root
 * run first: runs[0] is the index of the root-most entry frame. */
static int
chain_runs(const struct python_chain *c, uint16_t *ends)
{
	int k = 0, i;

	for (i = c->n - 1; i >= 0; i--)
		if (c->frames[i].flags & PYTHON_FRAME_ENTRY)
			ends[k++] = (uint16_t)i;
	return k;
}

int
python_merge(const uint8_t *is_eval, size_t nnative,
    const struct python_chain *chain, struct python_merged *out,
    size_t cap)
{
	uint16_t ends[PYTHON_MAX_DEPTH];
	size_t i, nout = 0, evals = 0;
	int run = 0, nruns;

	if (chain->flags & PYTHON_CHAIN_TRUNCATED)
		return PYTHON_MERGE_TRUNCATED;
	for (i = 0; i < nnative; i++)
		evals += is_eval[i] != 0;
	nruns = chain_runs(chain, ends);
	/* Frames rootwards of the root-most entry frame belong to no
	 * activation: the chain cannot be this stack's. */
	if ((size_t)nruns != evals ||
	    (chain->n && !(chain->frames[chain->n - 1].flags &
	    PYTHON_FRAME_ENTRY)))
		return PYTHON_MERGE_MISMATCH;
	for (i = 0; i < nnative; i++) {
		int j, stop;

		if (!is_eval[i]) {
			if (nout == cap)
				return PYTHON_MERGE_NOSPACE;
			out[nout].index = (uint16_t)i;
			out[nout++].python = 0;
			continue;
		}
		/* This run: from its entry frame leafwards, up to the next
		 * run's entry frame (or the leaf). */
		stop = run + 1 < nruns ? ends[run + 1] : -1;
		for (j = ends[run]; j > stop; j--) {
			if (nout == cap)
				return PYTHON_MERGE_NOSPACE;
			out[nout].index = (uint16_t)j;
			out[nout++].python = 1;
		}
		run++;
	}
	return (int)nout;
}
