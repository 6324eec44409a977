/* SPDX-License-Identifier: MIT */
/* export: snapshot files: folded stacks (the format of FlameGraph's
 * stackcollapse tools), pprof (google/pprof's profile.proto, gzipped),
 * speedscope's JSON and an SVG flame graph.
 * Files are written to a
 * temporary file made with mkstemp in the destination directory, then
 * either rename()d over a name the user gave (--output, see below) or
 * link()ed to a new name that never overwrites anything (the `s` key).
 * Thread: the thread that owns the view or profile (worker or main). */
#ifndef CTOP_EXPORT_H
#define CTOP_EXPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "ctop/profile.h"

enum export_format {
	EXPORT_FOLDED,
	EXPORT_PPROF,
	EXPORT_SPEEDSCOPE,
	EXPORT_SVG,
};

/* What a view does not know about the run it came from, for the formats
 * that carry it (pprof's period, times and comments). Any field may be
 * zero or NULL: unknown, and left out. */
struct export_meta {
	pid_t pid;		/* the target process */
	const char *command;	/* the launched command line */
	const char *backend;	/* "perf", "ptrace" */
	const char *mode;	/* "cpu" or "wall": pprof's sample type */
	const char *unwind;	/* "auto", "dwarf", "fp" */
	unsigned hz;		/* samples per second per thread: the period */
	uint64_t lost;		/* samples dropped (ring full, kernel) */
	uint64_t truncated;	/* stacks cut short by the stack copy */
	double elapsed_s;	/* how long sampling ran, ending now */
	bool svg_icicle;	/* SVG: root at the top (else at the bottom) */
};

/* Folded frame name: `;` and line breaks become `_`, and the kind's suffix
 * is added (_[i], _[k], _[j]). Writes at most size bytes (NUL included)
 * and returns the full length, like snprintf. */
size_t folded_frame_name(const struct frame *f, char *buf, size_t size);

/* Writes, one line per stack, every stack of view v that passes through
 * `node` (0 = all), frames root first. Returns 0 or -errno. */
int folded_write(FILE *out, const struct pview *v, uint32_t node);

/* A diff in FlameGraph's two-count folded format (difffolded.pl's):
 * "frames before after" for every stack of d->after through its node
 * `node` (0 = all) and every stack only the baseline has below the match
 * of node; the before counts scaled to after's samples (d->after_all /
 * d->before_all, as difffolded.pl -n does). Returns 0 or -errno. */
int folded_write_diff(FILE *out, const struct pdiff *d, uint32_t node);

/* pprof: the stacks of view v through node (0 = all) as a gzipped
 * perftools.profiles.Profile, the bytes of a .pb.gz file, in *buf (caller
 * frees; *len bytes). Sample types samples/count and, when meta gives the
 * rate, cpu/nanoseconds (wall/nanoseconds in wall mode); one Sample per
 * (stack, thread), labelled thread, thread_id, process (the stack's
 * process frame, which is not a location: it is no code) and pid (the
 * one "PID comm" names with --children and -a, else meta's). meta may
 * be NULL.
 * Returns 0, or -ENOMEM, -EINVAL (node out of range) or -ERANGE (a count
 * over INT64_MAX, which pprof's int64 values cannot hold). */
int export_pprof_encode(const struct pview *v, uint32_t node,
    const struct export_meta *meta, unsigned char **buf, size_t *len);

/* export_pprof_encode's bytes written to out. Returns 0 or -errno. */
int pprof_write(FILE *out, const struct pview *v, uint32_t node,
    const struct export_meta *meta);

/* speedscope JSON (speedscope.app's file format): shared.frames with
 * name (the folded name), file and line; one sampled profile per thread,
 * "comm tid", weights in samples; activeProfileIndex the busiest thread.
 * Returns 0 or -errno. */
int speedscope_write(FILE *out, const struct pview *v, uint32_t node);

/* An interactive flame graph in one self-contained SVG file (script and
 * style inline): titles with samples and percent, click to zoom, regex
 * search with the matched percent, colours by kind; root at the bottom,
 * or at the top with icicle. Frames under 0.1 px wide are left out (their
 * samples stay in their parent). Returns 0 or -errno. */
int svg_write(FILE *out, const struct pview *v, uint32_t node, bool icicle);

/* Reads folded stacks from path into p (thread 0, time 0). An empty file
 * is an empty profile. Malformed input (a line without a count, a count
 * that is not a positive decimal, a NUL byte, a line over 16 MiB) returns
 * -EINVAL and sets *cause to "PATH:LINE: what is wrong" (caller frees);
 * I/O errors return -errno with a cause. p keeps what was read before the
 * error: callers discard it. */
int folded_read(struct profile *p, const char *path, char **cause);

/* --load: reads path ("-" = standard input) into p, the format told by
 * the content: gzip or raw pprof protobuf, speedscope JSON (its sampled
 * profiles, one per thread), `perf script` text, else folded
 * (as folded_read). Threads, modules, files, lines and inline frames are
 * kept where the input has them. Malformed input returns -EINVAL with
 * *cause "PATH: byte N: what" or "PATH:LINE: what" (caller frees); p keeps
 * what was read before: callers discard it. */
int export_read(struct profile *p, const char *path, char **cause);

/* The format for a file name: by extension, folded when unknown. Returns
 * 0, or -EINVAL for a format that is not implemented yet (and sets
 * *cause). name may be NULL for the default. */
int export_format_parse(const char *name, const char *path,
    enum export_format *out, char **cause);

/* Writes v (through node) to a new file DIR/BASE.EXT, never overwriting
 * and never through a symlink: mkstemp + link(), trying BASE-1.EXT,
 * BASE-2.EXT... on a clash. Sets *path_out to the name used (caller
 * frees). Returns 0 or -errno with *cause. */
int export_write_new(const char *dir, const char *base, enum export_format fmt,
    const struct pview *v, uint32_t node, char **path_out, char **cause);

/* The `s` key's snapshot: writes v (through node) in format fmt to a new
 * file DIR/ctop-prof-LABEL-YYYYmmdd-HHMMSS.EXT (dir NULL = working
 * directory; EXT the format's: folded, pb.gz, speedscope.json, svg), never
 * overwriting (export_write_new). LABEL is the pid, or the name of a
 * loaded file. meta is the run, as for --output (NULL: unknown; a loaded
 * file's view tells its own). Returns 0 and *path_out, or -errno and
 * *cause. */
int export_write_snapshot(const char *dir, const char *label,
    enum export_format fmt, const struct pview *v, uint32_t node,
    const struct export_meta *meta, char **path_out, char **cause);

/* The diff's snapshot beside it (the s key in a diff): the two-count
 * folded stacks of d through node (folded_write_diff) in a new file
 * DIR/ctop-prof-LABEL-YYYYmmdd-HHMMSS-diff.folded, never overwriting.
 * Returns 0 and *path_out, or -errno and *cause. */
int export_write_diff_snapshot(const char *dir, const char *label,
    const struct pdiff *d, uint32_t node, char **path_out, char **cause);

/* Writes text (len bytes) to a new file
 * DIR/ctop-prof-LABEL-WHAT-YYYYmmdd-HHMMSS.txt the way export_write_new
 * does (never overwriting, never through a symlink). Returns 0 and
 * *path_out, or -errno and *cause. */
int export_write_text(const char *dir, const char *label, const char *what,
    const char *text, size_t len, char **path_out, char **cause);

/* ------------------------------------------------------------------------
 * --output FILE: the user's file, and nothing else of theirs, is written.
 * - a regular file or a new name: a temporary file .ctopXXXXXX (mkstemp
 *   style: O_EXCL, 0600) beside it, written and synced, then given the old
 *   file's owner (when permitted), mode and ACL, then rename()d over it.
 *   A failure leaves the old file as it was. Other hard links to the old
 *   file keep the old contents (rename makes a new file).
 * - a symlink: the link stays and its target is written as above; a link
 *   in a sticky world-writable directory owned neither by us nor by the
 *   directory's owner is refused (-EACCES), as protected_symlinks does.
 * - a character device, FIFO or socket: opened (a socket: connected) and
 *   written through, never replaced. A FIFO without a reader is waited
 *   for EXPORT_FIFO_WAIT_MS, then refused (-ENXIO).
 * - "-": standard output.
 * - a directory or a block device: refused with -EISDIR (a usage error).
 * ------------------------------------------------------------------------ */

/* How long the final write waits for a FIFO's reader. */
#define EXPORT_FIFO_WAIT_MS 10000

enum export_place_kind {
	EXPORT_PLACE_FILE,	/* regular file or new name: replaced */
	EXPORT_PLACE_STREAM,	/* device, FIFO, socket: written through */
	EXPORT_PLACE_STDOUT,	/* "-" */
};

struct export_place {
	const char *path;		/* as given; borrowed */
	enum export_place_kind kind;	/* as found when checked */
	const struct export_meta *meta;	/* the run, for the formats that
					 * carry it; NULL (as after
					 * export_place_check) = unknown */
};

/* Checks before sampling that path can be written as above: for a file,
 * a temporary file is created and removed beside it; a stream is only
 * checked for write permission (opening a FIFO now would end its reader).
 * Fills pl. Returns 0, -EISDIR for a directory or block device (usage
 * error), or -errno; *cause is one line naming the file (caller frees). */
int export_place_check(const char *path, struct export_place *pl,
    char **cause);

/* Writes the whole view v to the place. With checkpoint, only a file is
 * written (a partial profile replacing the last one); a stream or stdout
 * gets nothing until the final write. The path is resolved again, so a
 * link changed meanwhile is checked again. Returns 0 or -errno, *cause. */
int export_place_write(const struct export_place *pl, enum export_format fmt,
    const struct pview *v, bool checkpoint, char **cause);

/* Follows path's symlinks (at most 40), each checked with the rule
 * above. Sets *final (caller frees) and *st (lstat of *final; st_mode 0
 * when it does not exist). Returns 0 or -errno with *cause. */
int export_path_resolve(const char *path, char **final, struct stat *st,
    char **cause);

/* Opens the existing non-regular path (st from export_path_resolve) for
 * writing without replacing it: a socket is connected (stream), anything
 * else opened O_NONBLOCK (a FIFO without a reader is retried for wait_ms,
 * then -ENXIO), then set blocking. Close-on-exec. Returns fd or -errno. */
int export_open_through(const char *path, const struct stat *st, int wait_ms,
    char **cause);

#endif
