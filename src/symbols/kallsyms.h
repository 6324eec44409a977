/* SPDX-License-Identifier: MIT */
/* kallsyms: names kernel addresses (the kernel part of a perf call chain)
 * from /proc/kallsyms (the image's part kept between runs where a store
 * is given), loaded on first use. Without real addresses there
 * (kptr_restrict, no privilege) every kernel pc is named "[kernel]".
 * Module-internal to symbols. Thread: the worker. */
#ifndef CTOP_SYMBOLS_KALLSYMS_H
#define CTOP_SYMBOLS_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Lowest kernel address on x86-64: anything at or above is kernel. */
#define KALLSYMS_KERNEL_BASE 0xffff800000000000ull

struct kallsyms;

struct kallsyms *kallsyms_new(void);
void kallsyms_free(struct kallsyms *k);

/* The function containing pc, or "[kernel]"; the string lives as long
 * as k. *module is "[kernel.kallsyms]" or the module's name. */
const char *kallsyms_name(struct kallsyms *k, uint64_t pc,
    const char **module);

/* Loads the table from a file in /proc/kallsyms' format (the tests' own;
 * kallsyms_usable reads /proc/kallsyms), once. True when it named text. */
bool kallsyms_load_file(struct kallsyms *k, const char *path);

/* Where the kernel image's part of the table is kept between runs (the
 * store, kallkeep.c), or NULL: nowhere. Taken before the first lookup,
 * ignored after; dir must outlive k. */
void kallsyms_keep_in(struct kallsyms *k, const char *dir);

/* Loads the table from path (in /proc/kallsyms' format) and dir's kept
 * table of the kernel with build id id, once: from the kept one, placed
 * by path's _text, when there is one (a pc outside the image then reads
 * path whole, on first use); else from path whole, the image's part
 * then kept. True when it named text. (kallsyms_usable calls it with
 * /proc/kallsyms and the running kernel's build id.) */
bool kallsyms_load_kept(struct kallsyms *k, const char *path,
    const char *dir, const char *id);

/* Whether the image's table came from the kept one. */
bool kallsyms_from_kept(const struct kallsyms *k);

/* True once the table is loaded with real addresses. */
bool kallsyms_usable(struct kallsyms *k);

/* The kernel image's text [_stext, _etext), for pprof's Mapping; false
 * when the table has no real addresses or lacks them. */
bool kallsyms_text(struct kallsyms *k, uint64_t *lo, uint64_t *hi);

/* The running kernel's GNU build id in hex (from /sys/kernel/notes);
 * false when not readable. size: at least 2 * 20 + 1. */
bool kallsyms_build_id(char *hex, size_t size);

#endif
