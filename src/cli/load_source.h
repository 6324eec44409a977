/* SPDX-License-Identifier: MIT */
/* load_source: a struct source over a folded file read once (--load). */
#ifndef CTOP_CLI_LOAD_SOURCE_H
#define CTOP_CLI_LOAD_SOURCE_H

#include "ctop/source.h"

struct load_source;

/* Reads path. NULL with *cause ("PATH:LINE: what") on failure. */
struct load_source *load_source_new(const char *path,
    const char *snapshot_dir, char **cause);
struct source load_source_get(struct load_source *ls);
void load_source_free(struct load_source *ls);

#endif
