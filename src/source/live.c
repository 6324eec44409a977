/* SPDX-License-Identifier: MIT */
/* The live source: struct source over the worker thread (worker.c), and
 * the calls every source answers (source_stop, source_close...). */
#include "config.h"

#include "ctop/source.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctop/export.h"
#include "worker.h"

static struct pview *
live_view(void *ctx, const struct pview_params *params)
{
	return worker_view(ctx, params);
}

static void
live_status(void *ctx, struct source_status *out)
{
	worker_status(ctx, out);
}

static void
live_reset(void *ctx)
{
	worker_reset(ctx);
}

static void
live_refresh(void *ctx)
{
	worker_refresh(ctx);
}

/* The snapshot's name part: the target's pid, or "all" (-a). */
static void
snapshot_label(const struct worker *w, char *buf, size_t size)
{
	if (worker_pid(w) > 0)
		snprintf(buf, size, "%d", (int)worker_pid(w));
	else
		snprintf(buf, size, "all");
}

/* What a snapshot says of the run (pprof's period, times, comments), as
 * --output's file does: the status now, and what the options said. */
static void
live_meta(struct worker *w, struct export_meta *m)
{
	const struct source_live_opts *o = worker_opts(w);
	struct source_status st;

	worker_status(w, &st);
	memset(m, 0, sizeof(*m));
	source_status_meta(&st, m);
	m->command = o->command;
	m->unwind = o->unwind == UNWIND_METHOD_FP ? "fp" :
	    o->unwind == UNWIND_METHOD_DWARF ? "dwarf" : "auto";
}

/* Saving runs on the caller's thread: the view is immutable and the file
 * is written from it alone, so the worker's state is not touched. */
static int
live_save(void *ctx, const struct pview *v, uint32_t node, char **path,
    char **cause)
{
	struct worker *w = ctx;
	struct export_meta meta;
	char label[16];

	snapshot_label(w, label, sizeof label);
	live_meta(w, &meta);
	return export_write_snapshot(worker_snapshot_dir(w), label,
	    worker_snapshot_format(w), v, node, &meta, path, cause);
}

static int
live_save_diff(void *ctx, const struct pdiff *d, uint32_t node, char **path,
    char **cause)
{
	struct worker *w = ctx;
	char label[16];

	snapshot_label(w, label, sizeof label);
	return export_write_diff_snapshot(worker_snapshot_dir(w), label, d,
	    node, path, cause);
}

static void
live_stop(void *ctx)
{
	worker_stop(ctx);
}

static struct pview *
live_final_view(void *ctx)
{
	return worker_final_view(ctx);
}

static void
live_summary(void *ctx, struct source_summary *out)
{
	worker_get_summary(ctx, out);
}

static void
live_close(void *ctx)
{
	worker_free(ctx);
}

static const struct source_ops live_ops = {
	.view = live_view,
	.status = live_status,
	.reset = live_reset,
	.refresh = live_refresh,
	.save = live_save,
	.save_diff = live_save_diff,
	.stop = live_stop,
	.final_view = live_final_view,
	.summary = live_summary,
	.close = live_close,
};

int
source_open_live(struct source *src, struct ring *ring,
    struct sampler *sampler, const struct source_live_opts *opts,
    char **cause)
{
	struct worker *w = worker_new(ring, sampler, opts, cause);
	int err;

	memset(src, 0, sizeof *src);
	if (w == NULL)
		return -ENOMEM;
	if (opts->views)
		worker_want_views(w);
	if ((err = worker_start(w)) < 0) {
		worker_free(w);
		*cause = strdup(strerror(-err));
		return err;
	}
	src->ops = &live_ops;
	src->ctx = w;
	return 0;
}

void
source_stop(struct source *src)
{
	if (src->ops != NULL && src->ops->stop != NULL)
		src->ops->stop(src->ctx);
}

void
source_status_meta(const struct source_status *st, struct export_meta *m)
{
	m->pid = st->pid;
	m->backend = st->backend;
	m->mode = st->mode;
	m->hz = st->hz_requested;
	m->lost = st->dropped;
	m->truncated = st->truncated;
	m->elapsed_s = st->elapsed_s;
}

struct pview *
source_final_view(struct source *src)
{
	return src->ops != NULL ? src->ops->final_view(src->ctx) : NULL;
}

void
source_summary(struct source *src, struct source_summary *out)
{
	memset(out, 0, sizeof *out);
	if (src->ops != NULL && src->ops->summary != NULL)
		src->ops->summary(src->ctx, out);
}

void
source_close(struct source *src)
{
	if (src->ops != NULL)
		src->ops->close(src->ctx);
	src->ops = NULL;
	src->ctx = NULL;
}
