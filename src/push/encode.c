/* SPDX-License-Identifier: MIT */
/* push: one interval's profile (the difference of two cumulative views)
 * and its payload: pprof (threads as sample labels), or folded lines. */
#include "config.h"

#include "ctop/push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/export.h"

/* Whether leaf a sorts before (node, tid, pcnode), as views sort them. */
static int
leaf_before(const struct pview_leaf *a, uint32_t node, int32_t tid,
    uint32_t pcnode)
{
	if (a->node != node)
		return a->node < node;
	if (a->tid != tid)
		return a->tid < tid;
	return a->pcnode < pcnode;
}

/* The count of prev's leaf (node, tid, pcnode), 0 when it has none. A
 * pcnode is a profile node, stable between resets as node ids are; one
 * (node, tid) has a leaf per address the stack ended at. */
static uint64_t
prev_leaf_count(const struct pview *prev, uint32_t node, int32_t tid,
    uint32_t pcnode)
{
	uint32_t lo = 0, hi = prev->n_leaves;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (leaf_before(&prev->leaves[mid], node, tid, pcnode))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < prev->n_leaves && prev->leaves[lo].node == node &&
	    prev->leaves[lo].tid == tid && prev->leaves[lo].pcnode == pcnode)
		return prev->leaves[lo].count;
	return 0;
}

/* The interval's leaves: each (node, thread) of cur less prev's count,
 * those left with samples kept, in cur's order (still sorted). */
static int
interval_leaves(struct pview *v, const struct pview *prev,
    const struct pview *cur)
{
	uint32_t i, n = 0;

	if (cur->leaves == NULL)
		return 0;
	v->leaves = malloc((cur->n_leaves ? cur->n_leaves : 1) *
	    sizeof *v->leaves);
	if (v->leaves == NULL)
		return -ENOMEM;
	for (i = 0; i < cur->n_leaves; i++) {
		struct pview_leaf l = cur->leaves[i];
		uint32_t j = PROFILE_NO_NODE;
		uint64_t before = 0;

		if (prev != NULL && prev->leaves != NULL)
			j = pview_find(prev, cur->nodes[l.node].id);
		if (j != PROFILE_NO_NODE)
			before = prev_leaf_count(prev, j, l.tid, l.pcnode);
		if (before <= l.count)
			l.count -= before;
		if (l.count > 0)
			v->leaves[n++] = l;
	}
	v->n_leaves = n;
	return 0;
}

struct pview *
push_interval(const struct pview *prev, const struct pview *cur)
{
	struct pview *v = calloc(1, sizeof *v);
	uint32_t i, j;

	if (v == NULL)
		return NULL;
	v->nodes = malloc((cur->n_nodes ? cur->n_nodes : 1) *
	    sizeof *v->nodes);
	if (v->nodes == NULL || interval_leaves(v, prev, cur) < 0) {
		push_interval_free(v);
		return NULL;
	}
	memcpy(v->nodes, cur->nodes, cur->n_nodes * sizeof *v->nodes);
	v->n_nodes = cur->n_nodes;
	v->frames = cur->frames;
	v->n_frames = cur->n_frames;
	/* Borrowed from cur as frames are: the stacks by address, the
	 * locations and modules pprof writes. */
	v->modules = cur->modules;
	v->n_modules = cur->n_modules;
	v->locs = cur->locs;
	v->n_locs = cur->n_locs;
	v->lines = cur->lines;
	v->pcnodes = cur->pcnodes;
	v->n_pcnodes = cur->n_pcnodes;
	/* The thread names, for pprof's labels (their counts are the run's,
	 * not the interval's: only the names are read). */
	v->threads = cur->threads;
	v->n_threads = cur->n_threads;
	v->params = cur->params;
	v->time_ns = cur->time_ns;
	atomic_init(&v->refs, 1);
	/* Node ids are stable across the views of one profile, so a node's
	 * samples in the interval are its self count now minus then. Counts
	 * only grow between resets (the caller starts from zero after one). */
	for (i = 0; i < v->n_nodes; i++) {
		struct pview_node *n = &v->nodes[i];

		j = prev != NULL ? pview_find(prev, n->id) : PROFILE_NO_NODE;
		if (j != PROFILE_NO_NODE && prev->nodes[j].self <= n->self)
			n->self -= prev->nodes[j].self;
		n->total = n->self;
	}
	/* Totals again, children before parents: a cumulative view lists a
	 * parent before its children. */
	for (i = v->n_nodes; i-- > 1;)
		if (v->nodes[i].parent < i)
			v->nodes[v->nodes[i].parent].total += v->nodes[i].total;
	v->total = v->n_nodes ? v->nodes[0].total : 0;
	return v;
}

void
push_interval_free(struct pview *v)
{
	if (v == NULL)
		return;
	free(v->nodes);
	free(v->leaves);
	free(v);
}

/* Folded lines of each view in turn: a stack in two views is two lines,
 * which Pyroscope adds up as it does any repeated stack. */
static int
encode_folded(const struct pview *const *views, size_t n, char **buf,
    size_t *len)
{
	FILE *f = open_memstream(buf, len);
	size_t i;
	int err = 0;

	if (f == NULL)
		return -errno;
	for (i = 0; i < n && err == 0; i++)
		err = folded_write(f, views[i], 0);
	if (fclose(f) != 0 && err == 0)
		err = -ENOMEM;
	if (err < 0) {
		free(*buf);
		*buf = NULL;
	}
	return err;
}

/* pprof of one view (several views are several payloads: see
 * push_encode_interval). */
static int
encode_pprof(const struct pview *v, const struct export_meta *meta,
    char **buf, size_t *len)
{
	unsigned char *b = NULL;
	int err = export_pprof_encode(v, 0, meta, &b, len);

	*buf = (char *)b;
	return err;
}

int
push_encode(enum push_format fmt, const struct pview *const *views,
    size_t n, const struct export_meta *meta, char **buf, size_t *len,
    const char **content_type)
{
	*buf = NULL;
	*len = 0;
	switch (fmt) {
	case PUSH_FORMAT_FOLDED:
		/* Pyroscope's default format: "stack count" lines. */
		*content_type = "text/plain";
		return encode_folded(views, n, buf, len);
	case PUSH_FORMAT_PPROF:
		*content_type = "application/octet-stream";
		return n == 1 ? encode_pprof(views[0], meta, buf, len) :
		    -EINVAL;
	}
	return -EINVAL;
}
