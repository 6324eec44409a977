/* SPDX-License-Identifier: MIT */
/* A folded file as a source: one profile, views built on demand. Folded
 * carries no threads and no times, so every view is the whole file. */
#include "config.h"

#include "load_source.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctop/export.h"
#include "ctop/profile.h"

struct load_source {
	struct profile *profile;
	struct pview *view;
	char *path;
	char name[64];		/* the file's name without its extension */
	const char *snapshot_dir;
};

struct load_source *
load_source_new(const char *path, const char *snapshot_dir, char **cause)
{
	struct load_source *ls = calloc(1, sizeof *ls);
	struct pview_params all = { 0, 0 };
	char *copy, *dot;

	*cause = NULL;
	if (ls == NULL || (ls->profile = profile_new(NULL)) == NULL ||
	    (ls->path = strdup(path)) == NULL) {
		load_source_free(ls);
		*cause = strdup("out of memory");
		return NULL;
	}
	if (folded_read(ls->profile, path, cause) < 0) {
		load_source_free(ls);
		return NULL;
	}
	ls->view = profile_view(ls->profile, &all, 0);
	if (ls->view == NULL) {
		load_source_free(ls);
		*cause = strdup("out of memory");
		return NULL;
	}
	copy = strdup(path);
	snprintf(ls->name, sizeof ls->name, "%s", copy ? basename(copy) : "snapshot");
	free(copy);
	dot = strrchr(ls->name, '.');
	if (dot != NULL && dot != ls->name)
		*dot = '\0';
	ls->snapshot_dir = snapshot_dir;
	return ls;
}

static struct pview *
load_view(void *ctx, const struct pview_params *params)
{
	struct load_source *ls = ctx;

	(void)params;
	return pview_ref(ls->view);
}

static void
load_status(void *ctx, struct source_status *out)
{
	struct load_source *ls = ctx;

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
load_reset(void *ctx)
{
	(void)ctx;
}

static int
load_save(void *ctx, const struct pview *v, uint32_t node, char **path,
    char **cause)
{
	struct load_source *ls = ctx;

	return export_write_snapshot(ls->snapshot_dir, ls->name, v, node, path,
	    cause);
}

static const struct source_ops load_ops = {
	.view = load_view,
	.status = load_status,
	.reset = load_reset,
	.save = load_save,
};

struct source
load_source_get(struct load_source *ls)
{
	struct source s = { &load_ops, ls };

	return s;
}

void
load_source_free(struct load_source *ls)
{
	if (ls == NULL)
		return;
	pview_unref(ls->view);
	profile_free(ls->profile);
	free(ls->path);
	free(ls);
}
