/* SPDX-License-Identifier: MIT */
/* Shared by the fuzz targets of the --load readers beside the folded one
 * (fuzz-pprof.c, fuzz-perfscript.c, fuzz-speedscope.c): export_read
 * over a file of the input, which tells the format by content, seeded
 * with pprof (gzipped and raw) in corpus/pprof and `perf script` text in
 * corpus/perfscript. An error must be -EINVAL (or -ENOMEM, -EFBIG) with a
 * one-line cause naming the file; a profile that reads must be consistent
 * and survive a pprof round trip (written, read back: the same total and
 * the same stacks). */
#ifndef CTOP_TESTS_FUZZ_LOAD_H
#define CTOP_TESTS_FUZZ_LOAD_H

#include "fuzz.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/export.h"
#include "ctop/profile.h"

/* Every node's total is its self plus its children's; leaves add up. */
static void
check_view(const struct pview *v)
{
	uint64_t leaves = 0;
	uint32_t i, c;

	fuzz_check(v->n_nodes >= 1 && v->nodes[0].total == v->total,
	    "root total");
	for (i = 0; i < v->n_leaves; i++)
		leaves += v->leaves[i].count;
	fuzz_check(leaves == v->total, "leaves %llu, total %llu",
	    (unsigned long long)leaves, (unsigned long long)v->total);
	for (i = 0; i < v->n_nodes; i++) {
		uint64_t sum = v->nodes[i].self;

		for (c = v->nodes[i].first_child; c != PROFILE_NO_NODE;
		    c = v->nodes[c].next_sibling)
			sum += v->nodes[c].total;
		fuzz_check(sum == v->nodes[i].total, "node %u", i);
	}
}

/* Reads the bytes as a file; *vp is the view when it read (else NULL). */
static int
load(struct fuzz_file *file, const void *data, size_t size,
    struct profile **pp, struct pview **vp, char **cause)
{
	const char *path = fuzz_file_set(file, data, size);
	int err;

	fuzz_check(path != NULL, "memfd: %s", strerror(errno));
	*vp = NULL;
	*cause = NULL;
	if (!(*pp = profile_new(NULL)))
		return -ENOMEM;
	err = export_read(*pp, path, cause);
	if (err)
		fuzz_check(err == -EINVAL || err == -ENOMEM || err == -EFBIG,
		    "error %d", err);
	if (err && err != -ENOMEM)
		fuzz_check(*cause && strncmp(*cause, path, strlen(path)) == 0 &&
		    !strchr(*cause, '\n'), "cause \"%s\" for %s",
		    *cause ? *cause : "(none)", path);
	if (!err)
		*vp = profile_view(*pp, NULL, 0);
	return err;
}

static int
dt_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Whether two views of as many nodes have the same (depth, total) pairs. */
static int
shape_equal(const struct pview *a, const struct pview *b)
{
	uint64_t *x = malloc(a->n_nodes * 2 * sizeof(*x));
	uint64_t *y = malloc(a->n_nodes * 2 * sizeof(*y));
	uint32_t i;
	int same = 1;

	if (!x || !y) {
		free(x);
		free(y);
		return 1;	/* out of memory: nothing to say */
	}
	for (i = 0; i < a->n_nodes; i++) {
		x[2 * i] = a->nodes[i].depth;
		x[2 * i + 1] = a->nodes[i].total;
		y[2 * i] = b->nodes[i].depth;
		y[2 * i + 1] = b->nodes[i].total;
	}
	qsort(x, a->n_nodes, 2 * sizeof(*x), dt_cmp);
	qsort(y, a->n_nodes, 2 * sizeof(*y), dt_cmp);
	same = memcmp(x, y, a->n_nodes * 2 * sizeof(*x)) == 0;
	free(x);
	free(y);
	return same;
}

/* The view written as pprof and read back: same total, same stacks. */
static void
check_pprof_round_trip(const struct pview *v)
{
	static struct fuzz_file file2 = FUZZ_FILE_INIT;
	unsigned char *buf = NULL;
	struct profile *p2 = NULL;
	struct pview *v2 = NULL;
	char *cause = NULL;
	size_t len;
	int err;

	if (export_pprof_encode(v, 0, NULL, &buf, &len))
		return;
	err = load(&file2, buf, len, &p2, &v2, &cause);
	fuzz_check(err == 0 || err == -ENOMEM, "our own pprof: %s",
	    cause ? cause : "?");
	if (v2) {
		fuzz_check(v2->total == v->total, "total %llu after pprof, "
		    "%llu before", (unsigned long long)v2->total,
		    (unsigned long long)v->total);
		/* Same shape: the same (depth, total) nodes. Siblings of equal
		 * totals may come in another order (a frame's kind can change:
		 * an inlined frame with no function around it). */
		fuzz_check(v2->n_nodes == v->n_nodes, "%u nodes, %u before",
		    v2->n_nodes, v->n_nodes);
		fuzz_check(shape_equal(v, v2), "the trees differ");
	}
	pview_unref(v2);
	profile_free(p2);
	free(cause);
	free(buf);
}

static inline int
fuzz_load_one(const uint8_t *data, size_t size)
{
	static struct fuzz_file file1 = FUZZ_FILE_INIT;
	struct profile *p;
	struct pview *v;
	char *cause;

	if (load(&file1, data, size, &p, &v, &cause) == 0 && v) {
		check_view(v);
		check_pprof_round_trip(v);
	}
	pview_unref(v);
	profile_free(p);
	free(cause);
	return 0;
}

#endif
