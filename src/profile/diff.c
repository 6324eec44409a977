/* SPDX-License-Identifier: MIT */
/* Diffs: a view against a baseline view, matched by frame names (what a
 * loaded snapshot keeps of a frame), with shares per sample of each side
 * so that a 10 s run compares with a 60 s one. */
#include "config.h"

#include "ctop/profile.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------------------
 * Frame keys: kind and name
 * ------------------------------------------------------------------------ */

static uint32_t
key_hash(const struct frame *f)
{
	const unsigned char *s = (const unsigned char *)(f->name ? f->name :
	    "");
	uint32_t h = 2166136261u ^ f->kind;

	while (*s)
		h = (h ^ *s++) * 16777619u;
	return (uint32_t)profile__mix64(h);
}

static bool
key_same(const struct frame *a, const struct frame *b)
{
	return a->kind == b->kind && strcmp(a->name ? a->name : "",
	    b->name ? b->name : "") == 0;
}

/* after's frames by key: canon[id] is the first frame id with id's key,
 * which stands for all of them. */
struct keytab {
	uint32_t *slot, cap;
	uint32_t *canon;
	const struct pview *v;
};

static uint32_t
keytab_find(const struct keytab *t, const struct frame *f)
{
	uint32_t j = key_hash(f) & (t->cap - 1);

	for (; t->slot[j] != PROFILE__EMPTY; j = (j + 1) & (t->cap - 1))
		if (key_same(&t->v->frames[t->slot[j]], f))
			return t->slot[j];
	return PROFILE_NO_FRAME;
}

static int
keytab_build(struct keytab *t, const struct pview *v)
{
	uint32_t i, j;

	t->v = v;
	t->cap = 16;
	while (t->cap / 2 <= v->n_frames)
		t->cap *= 2;
	t->slot = malloc((size_t)t->cap * sizeof(*t->slot));
	t->canon = malloc((v->n_frames ? v->n_frames : 1) * sizeof(*t->canon));
	if (!t->slot || !t->canon)
		return -ENOMEM;
	memset(t->slot, 0xff, (size_t)t->cap * sizeof(*t->slot));
	for (i = 0; i < v->n_frames; i++) {
		const struct frame *f = &v->frames[i];

		j = key_hash(f) & (t->cap - 1);
		for (; t->slot[j] != PROFILE__EMPTY; j = (j + 1) & (t->cap - 1))
			if (key_same(&v->frames[t->slot[j]], f))
				break;
		if (t->slot[j] == PROFILE__EMPTY)
			t->slot[j] = i;
		t->canon[i] = t->slot[j];
	}
	return 0;
}

static void
keytab_free(struct keytab *t)
{
	free(t->slot);
	free(t->canon);
}

/* The one process frame with samples in v, or PROFILE_NO_FRAME when
 * there are none or several. */
static uint32_t
only_process(const struct pview *v)
{
	uint32_t i, found = PROFILE_NO_FRAME;

	for (i = 0; i < v->n_funcs; i++) {
		if (v->frames[v->funcs[i].frame].kind != FRAME_PROCESS)
			continue;
		if (found != PROFILE_NO_FRAME)
			return PROFILE_NO_FRAME;
		found = v->funcs[i].frame;
	}
	return found;
}

/* bmap[before frame] = after's canonical frame with its key, or
 * PROFILE_NO_FRAME. */
static uint32_t *
map_frames(const struct keytab *t, const struct pview *a,
    const struct pview *b)
{
	uint32_t *bmap = malloc((b->n_frames ? b->n_frames : 1) *
	    sizeof(*bmap));
	uint32_t i, pa = only_process(a), pb = only_process(b);

	if (!bmap)
		return NULL;
	for (i = 0; i < b->n_frames; i++) {
		uint32_t f = keytab_find(t, &b->frames[i]);

		bmap[i] = f == PROFILE_NO_FRAME ? f : t->canon[f];
	}
	if (pa != PROFILE_NO_FRAME && pb != PROFILE_NO_FRAME)
		bmap[pb] = t->canon[pa];
	return bmap;
}

/* ------------------------------------------------------------------------
 * Nodes: after's paths in the baseline
 * ------------------------------------------------------------------------ */

/* The baseline's nodes keyed by (parent, mapped frame); top down, a node
 * of after finds its match below the match of its parent. */
static int
match_nodes(struct pdiff *d, const struct keytab *t, const uint32_t *bmap)
{
	const struct pview *a = d->after, *b = d->before;
	uint32_t cap = 16, *tab, i, j, h;

	while (cap / 2 <= b->n_nodes)
		cap *= 2;
	tab = malloc((size_t)cap * sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	memset(tab, 0xff, (size_t)cap * sizeof(*tab));
	for (i = 1; i < b->n_nodes; i++) {
		uint32_t f = bmap[b->nodes[i].frame];

		if (f == PROFILE_NO_FRAME)
			continue;
		h = profile__pair_hash(b->nodes[i].parent, f) & (cap - 1);
		for (; tab[h] != PROFILE__EMPTY; h = (h + 1) & (cap - 1))
			if (b->nodes[tab[h]].parent == b->nodes[i].parent &&
			    bmap[b->nodes[tab[h]].frame] == f)
				break;
		if (tab[h] == PROFILE__EMPTY)
			tab[h] = i;	/* the first of equal names wins */
	}
	d->node_base[0] = 0;
	d->base_node[0] = 0;
	/* Preorder: a parent's match is known before its children's. */
	for (i = 1; i < a->n_nodes; i++) {
		uint32_t bp = d->node_base[a->nodes[i].parent];
		uint32_t f = t->canon[a->nodes[i].frame];

		d->node_base[i] = PROFILE_NO_NODE;
		if (bp == PROFILE_NO_NODE)
			continue;
		h = profile__pair_hash(bp, f) & (cap - 1);
		for (; (j = tab[h]) != PROFILE__EMPTY; h = (h + 1) & (cap - 1))
			if (b->nodes[j].parent == bp &&
			    bmap[b->nodes[j].frame] == f)
				break;
		if (j != PROFILE__EMPTY && d->base_node[j] == PROFILE_NO_NODE) {
			d->node_base[i] = j;
			d->base_node[j] = i;
		}
	}
	free(tab);
	return 0;
}

/* ------------------------------------------------------------------------
 * Functions: after's rows with the baseline's counts, then the gone ones
 * ------------------------------------------------------------------------ */

static int
match_funcs(struct pdiff *d, const struct keytab *t, const uint32_t *bmap)
{
	const struct pview *a = d->after, *b = d->before;
	uint32_t na = a->n_frames ? a->n_frames : 1, i, n_gone = 0;
	uint64_t *self = calloc(na, sizeof(*self));
	uint64_t *total = calloc(na, sizeof(*total));
	uint8_t *shown = calloc(na, 1);
	struct frame *gone = malloc((b->n_funcs ? b->n_funcs : 1) *
	    sizeof(*gone));
	uint64_t *gself = malloc((b->n_funcs ? b->n_funcs : 1) *
	    sizeof(*gself)), *gtotal = malloc((b->n_funcs ? b->n_funcs : 1) *
	    sizeof(*gtotal));
	int err = -ENOMEM;

	if (!self || !total || !shown || !gone || !gself || !gtotal)
		goto out;
	for (i = 0; i < a->n_funcs; i++)
		shown[t->canon[a->funcs[i].frame]] = 1;
	for (i = 0; i < b->n_funcs; i++) {
		const struct pview_func *bf = &b->funcs[i];
		uint32_t c = bmap[bf->frame];

		if (c != PROFILE_NO_FRAME && shown[c]) {
			self[c] += bf->self;
			total[c] += bf->total;
			continue;
		}
		gone[n_gone] = b->frames[bf->frame];
		gself[n_gone] = bf->self;
		gtotal[n_gone++] = bf->total;
	}
	d->view = profile__view_extend(a, gone, n_gone, d->before);
	d->base_self = calloc(a->n_funcs + n_gone + 1, sizeof(uint64_t));
	d->base_total = calloc(a->n_funcs + n_gone + 1, sizeof(uint64_t));
	if (!d->view || !d->base_self || !d->base_total)
		goto out;
	/* Frames of one key share the baseline's counts: the first row (the
	 * largest self) takes them. */
	for (i = 0; i < a->n_funcs; i++) {
		uint32_t c = t->canon[a->funcs[i].frame];

		d->base_self[i] = self[c];
		d->base_total[i] = total[c] < d->before->total ? total[c] :
		    d->before->total;
		self[c] = total[c] = 0;
	}
	for (i = 0; i < n_gone; i++) {
		d->base_self[a->n_funcs + i] = gself[i];
		d->base_total[a->n_funcs + i] = gtotal[i];
	}
	d->n_after_funcs = a->n_funcs;
	err = 0;
out:
	free(self);
	free(total);
	free(shown);
	free(gone);
	free(gself);
	free(gtotal);
	return err;
}

/* ------------------------------------------------------------------------
 * The diff
 * ------------------------------------------------------------------------ */

static int
diff_fill(struct pdiff *d)
{
	struct keytab t;
	uint32_t *bmap = NULL;
	int err = -ENOMEM;

	memset(&t, 0, sizeof(t));
	if (keytab_build(&t, d->after) || !(bmap = map_frames(&t, d->after,
	    d->before)))
		goto out;
	d->node_base = malloc((size_t)d->after->n_nodes *
	    sizeof(*d->node_base));
	d->base_node = malloc((d->before->n_nodes ? d->before->n_nodes : 1) *
	    sizeof(*d->base_node));
	if (!d->node_base || !d->base_node)
		goto out;
	memset(d->base_node, 0xff, (d->before->n_nodes ?
	    d->before->n_nodes : 1) * sizeof(*d->base_node));
	if ((err = match_nodes(d, &t, bmap)) == 0)
		err = match_funcs(d, &t, bmap);
out:
	free(bmap);
	keytab_free(&t);
	return err;
}

/* An empty baseline: every path and function of after is new. */
static int
diff_fill_empty(struct pdiff *d)
{
	uint32_t i;

	d->node_base = malloc((size_t)d->after->n_nodes *
	    sizeof(*d->node_base));
	d->base_node = NULL;
	d->view = profile__view_extend(d->after, NULL, 0, NULL);
	d->base_self = calloc(d->after->n_funcs + 1, sizeof(uint64_t));
	d->base_total = calloc(d->after->n_funcs + 1, sizeof(uint64_t));
	if (!d->node_base || !d->view || !d->base_self || !d->base_total)
		return -ENOMEM;
	for (i = 0; i < d->after->n_nodes; i++)
		d->node_base[i] = i ? PROFILE_NO_NODE : 0;
	d->n_after_funcs = d->after->n_funcs;
	return 0;
}

struct pdiff *
pview_diff(struct pview *after, struct pview *before, uint64_t after_all,
    uint64_t before_all)
{
	struct pdiff *d;
	int err;

	if (!after || !(d = calloc(1, sizeof(*d))))
		return NULL;
	d->after = pview_ref(after);
	d->before = pview_ref(before);
	d->after_all = after_all ? after_all : after->total;
	d->before_all = before_all ? before_all : before ? before->total : 0;
	err = before ? diff_fill(d) : diff_fill_empty(d);
	if (err) {
		pdiff_free(d);
		return NULL;
	}
	return d;
}

void
pdiff_free(struct pdiff *d)
{
	if (!d)
		return;
	pview_unref(d->view);
	pview_unref(d->after);
	pview_unref(d->before);
	free(d->base_self);
	free(d->base_total);
	free(d->node_base);
	free(d->base_node);
	free(d);
}

/* ------------------------------------------------------------------------
 * Changes
 * ------------------------------------------------------------------------ */

double
pdiff_noise(uint64_t a, uint64_t na, uint64_t b, uint64_t nb)
{
	double p = na ? (double)a / (double)na : 0.0;
	double q = nb ? (double)b / (double)nb : 0.0;
	double var = (na ? p * (1 - p) / (double)na : 0.0) +
	    (nb ? q * (1 - q) / (double)nb : 0.0);
	double pts = 300.0 * sqrt(var);

	return pts > 0.05 ? pts : 0.05;
}

static enum pdiff_change
classify(uint64_t a, uint64_t na, uint64_t b, uint64_t nb, double *delta)
{
	double pa = na ? 100.0 * (double)a / (double)na : 0.0;
	double pb = nb ? 100.0 * (double)b / (double)nb : 0.0;
	double dl = pa - pb;

	if (delta)
		*delta = dl;
	/* A function seen a few times in one run only is noise too. */
	if (fabs(dl) < pdiff_noise(a, na, b, nb))
		return PDIFF_SAME;
	if (a && !b && nb)
		return PDIFF_NEW;
	if (!a && b)
		return PDIFF_GONE;
	return dl > 0 ? PDIFF_GREW : PDIFF_SHRANK;
}

enum pdiff_change
pdiff_func(const struct pdiff *d, uint32_t i, bool total, double *delta)
{
	const struct pview_func *f;

	if (i >= d->view->n_funcs) {
		if (delta)
			*delta = 0;
		return PDIFF_SAME;
	}
	f = &d->view->funcs[i];
	if (total)
		return classify(f->total, d->after_all, d->base_total[i],
		    d->before_all, delta);
	return classify(f->self, d->after_all, d->base_self[i],
	    d->before_all, delta);
}

enum pdiff_change
pdiff_node(const struct pdiff *d, uint32_t n, double *delta,
    double *before_pct)
{
	uint32_t b;
	uint64_t bt;

	if (n >= d->after->n_nodes) {
		if (delta)
			*delta = 0;
		if (before_pct)
			*before_pct = 0;
		return PDIFF_SAME;
	}
	b = d->node_base[n];
	bt = b != PROFILE_NO_NODE && d->before ? d->before->nodes[b].total : 0;
	if (before_pct)
		*before_pct = d->before_all ? 100.0 * (double)bt /
		    (double)d->before_all : 0.0;
	return classify(d->after->nodes[n].total, d->after_all, bt,
	    d->before_all, delta);
}

uint32_t
pview_frame_lookup(const struct pview *v, const struct frame *f)
{
	uint32_t i;

	if (!v || !f)
		return PROFILE_NO_FRAME;
	for (i = 0; i < v->n_funcs; i++)
		if (key_same(&v->frames[v->funcs[i].frame], f))
			return v->funcs[i].frame;
	return PROFILE_NO_FRAME;
}

double
pdiff_gone_below(const struct pdiff *d, uint32_t n)
{
	uint32_t b, c;
	uint64_t gone = 0;

	if (!d->before || !d->before_all || n >= d->after->n_nodes ||
	    (b = d->node_base[n]) == PROFILE_NO_NODE)
		return 0;
	for (c = d->before->nodes[b].first_child; c != PROFILE_NO_NODE;
	    c = d->before->nodes[c].next_sibling)
		if (d->base_node[c] == PROFILE_NO_NODE)
			gone += d->before->nodes[c].total;
	return 100.0 * (double)gone / (double)d->before_all;
}
