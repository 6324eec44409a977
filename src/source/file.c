/* SPDX-License-Identifier: MIT */
/* A snapshot file as a source: one profile read once, views built on
 * demand. No format --load reads keeps times, so a view is cumulative
 * whatever window it is asked for; threads are kept where the format has
 * them (pprof, speedscope, perf script; folded has none), and T filters
 * by them as in a live view. */
#include "config.h"

#include "ctop/source.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctop/export.h"
#include "ctop/profile.h"

struct file_source {
	struct profile *profile;
	struct pview *view;		/* all threads */
	struct pview *thread_view;	/* the last one-thread view, or NULL */
	char *path;
	char name[64];		/* the file's name without its extension */
	const char *snapshot_dir;
	enum export_format snapshot_format;
};

static void file_free(struct file_source *ls);

static struct file_source *
file_new(const char *path, const char *snapshot_dir, char **cause)
{
	struct file_source *ls = calloc(1, sizeof *ls);
	struct pview_params all = { 0, 0, 0 };
	char *copy, *dot;

	*cause = NULL;
	/* Standard input ("-") is called stdin on the status line and in the
	 * names of snapshots saved from it: "-" read as a stray dash. */
	if (ls == NULL || (ls->profile = profile_new(NULL)) == NULL ||
	    (ls->path = strdup(strcmp(path, "-") ? path : "stdin")) == NULL) {
		file_free(ls);
		*cause = strdup("out of memory");
		return NULL;
	}
	if (export_read(ls->profile, path, cause) < 0) {
		file_free(ls);
		return NULL;
	}
	ls->view = profile_view(ls->profile, &all, 0);
	if (ls->view == NULL) {
		file_free(ls);
		*cause = strdup("out of memory");
		return NULL;
	}
	copy = strdup(ls->path);
	snprintf(ls->name, sizeof ls->name, "%s", copy ? basename(copy) : "snapshot");
	free(copy);
	dot = strrchr(ls->name, '.');
	if (dot != NULL && dot != ls->name)
		*dot = '\0';
	ls->snapshot_dir = snapshot_dir;
	return ls;
}

/* The view of params' thread. The UI asks again at every refresh, so the
 * last thread's view is kept rather than built each time. NULL when out
 * of memory (the UI keeps what it shows). */
static struct pview *
file_view(void *ctx, const struct pview_params *params)
{
	struct file_source *ls = ctx;
	struct pview_params one = { params->tid, 0, 0 };
	struct pview *v;

	if (!params->tid)
		return pview_ref(ls->view);
	if (ls->thread_view && ls->thread_view->params.tid == params->tid)
		return pview_ref(ls->thread_view);
	v = profile_view(ls->profile, &one, 0);
	if (v == NULL)
		return NULL;
	pview_unref(ls->thread_view);
	ls->thread_view = v;
	return pview_ref(v);
}

static void
file_status(void *ctx, struct source_status *out)
{
	struct file_source *ls = ctx;

	memset(out, 0, sizeof *out);
	out->live = false;
	/* The file's own name: a long directory must not push it out of the
	 * 64 bytes of comm. */
	snprintf(out->comm, sizeof out->comm, "%s", strrchr(ls->path, '/') ?
	    strrchr(ls->path, '/') + 1 : ls->path);
	out->backend = "file";
	out->mode = "cpu";
	out->samples = ls->view->total;
	out->exit_status = -1;
}

static void
file_reset(void *ctx)
{
	(void)ctx;
}

static int
file_save(void *ctx, const struct pview *v, uint32_t node, char **path,
    char **cause)
{
	struct file_source *ls = ctx;

	/* The file's own run, as it said it, comes with its views. */
	return export_write_snapshot(ls->snapshot_dir, ls->name,
	    ls->snapshot_format, v, node, NULL, path, cause);
}

static int
file_save_diff(void *ctx, const struct pdiff *d, uint32_t node, char **path,
    char **cause)
{
	struct file_source *ls = ctx;

	return export_write_diff_snapshot(ls->snapshot_dir, ls->name, d, node,
	    path, cause);
}

static struct pview *
file_final_view(void *ctx)
{
	struct file_source *ls = ctx;

	return pview_ref(ls->view);
}

static void
file_close(void *ctx)
{
	file_free(ctx);
}

static const struct source_ops file_ops = {
	.view = file_view,
	.status = file_status,
	.reset = file_reset,
	.save = file_save,
	.save_diff = file_save_diff,
	.final_view = file_final_view,
	.close = file_close,
};

static void
file_free(struct file_source *ls)
{
	if (ls == NULL)
		return;
	pview_unref(ls->view);
	pview_unref(ls->thread_view);
	profile_free(ls->profile);
	free(ls->path);
	free(ls);
}

int
source_open_file(struct source *src, const char *path,
    const char *snapshot_dir, enum export_format snapshot_format,
    char **cause)
{
	struct file_source *fs = file_new(path, snapshot_dir, cause);

	memset(src, 0, sizeof *src);
	if (fs == NULL)
		return -EINVAL;
	fs->snapshot_format = snapshot_format;
	src->ops = &file_ops;
	src->ctx = fs;
	return 0;
}
