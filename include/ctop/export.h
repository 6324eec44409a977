/* SPDX-License-Identifier: MIT */
/* export: snapshot files. Folded stacks now (the format of FlameGraph's
 * stackcollapse tools); other formats later. Files are written to a
 * temporary file made with mkstemp in the destination directory, then
 * either rename()d over a name the user gave (--output) or link()ed to a
 * new name that never overwrites anything (the `s` key).
 * Thread: the thread that owns the view or profile (worker or main). */
#ifndef CTOP_EXPORT_H
#define CTOP_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include "ctop/profile.h"

enum export_format {
	EXPORT_FOLDED,
};

/* Folded frame name: `;` and line breaks become `_`, and the kind's suffix
 * is added (_[i], _[k], _[j]). Writes at most size bytes (NUL included)
 * and returns the full length, like snprintf. */
size_t folded_frame_name(const struct frame *f, char *buf, size_t size);

/* Writes, one line per stack, every stack of view v that passes through
 * `node` (0 = all), frames root first. Returns 0 or -errno. */
int folded_write(FILE *out, const struct pview *v, uint32_t node);

/* Reads folded stacks from path into p (thread 0, time 0). An empty file
 * is an empty profile. Malformed input (a line without a count, a count
 * that is not a positive decimal, a NUL byte, a line over 16 MiB) returns
 * -EINVAL and sets *cause to "PATH:LINE: what is wrong" (caller frees);
 * I/O errors return -errno with a cause. p keeps what was read before the
 * error: callers discard it. */
int folded_read(struct profile *p, const char *path, char **cause);

/* The format for a file name: by extension, folded when unknown. Returns
 * 0, or -EINVAL for a format that is not implemented yet (and sets
 * *cause). name may be NULL for the default. */
int export_format_parse(const char *name, const char *path,
    enum export_format *out, char **cause);

/* Checks before sampling that the file `path` can be created: its
 * directory exists and is writable. Returns 0 or -errno with *cause. */
int export_check_output(const char *path, char **cause);

/* Writes v (through node) to `path`, replacing it atomically
 * (mkstemp + rename). Returns 0 or -errno with *cause. */
int export_write_replace(const char *path, enum export_format fmt,
    const struct pview *v, uint32_t node, char **cause);

/* Writes v (through node) to a new file DIR/BASE.EXT, never overwriting
 * and never through a symlink: mkstemp + link(), trying BASE-1.EXT,
 * BASE-2.EXT... on a clash. Sets *path_out to the name used (caller
 * frees). Returns 0 or -errno with *cause. */
int export_write_new(const char *dir, const char *base, enum export_format fmt,
    const struct pview *v, uint32_t node, char **path_out, char **cause);

/* The `s` key's snapshot: writes v (through node) as folded stacks to a new
 * file DIR/ctop-prof-LABEL-YYYYmmdd-HHMMSS.folded (dir NULL = working
 * directory), never overwriting (export_write_new). LABEL is the pid, or the
 * name of a loaded file. Returns 0 and *path_out, or -errno and *cause. */
int export_write_snapshot(const char *dir, const char *label,
    const struct pview *v, uint32_t node, char **path_out, char **cause);

#endif
