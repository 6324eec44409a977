/* SPDX-License-Identifier: MIT */
/* push: one interval's profile (the difference of two cumulative views)
 * and its payload. The encoder is one switch on the format, so pprof is
 * one more case when its encoder lands. */
#include "config.h"

#include "ctop/push.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/export.h"

struct pview *
push_interval(const struct pview *prev, const struct pview *cur)
{
	struct pview *v = calloc(1, sizeof *v);
	uint32_t i, j;

	if (v == NULL)
		return NULL;
	v->nodes = malloc((cur->n_nodes ? cur->n_nodes : 1) *
	    sizeof *v->nodes);
	if (v->nodes == NULL) {
		free(v);
		return NULL;
	}
	memcpy(v->nodes, cur->nodes, cur->n_nodes * sizeof *v->nodes);
	v->n_nodes = cur->n_nodes;
	v->frames = cur->frames;
	v->n_frames = cur->n_frames;
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

int
push_encode(enum push_format fmt, const struct pview *const *views,
    size_t n, char **buf, size_t *len, const char **content_type)
{
	*buf = NULL;
	*len = 0;
	switch (fmt) {
	case PUSH_FORMAT_FOLDED:
		/* Pyroscope's default format: "stack count" lines. */
		*content_type = "text/plain";
		return encode_folded(views, n, buf, len);
	}
	return -EINVAL;
}
