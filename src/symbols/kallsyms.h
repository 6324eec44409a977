/* SPDX-License-Identifier: MIT */
/* kallsyms: names kernel addresses (the kernel part of a perf call chain)
 * from /proc/kallsyms, loaded on first use. Without real addresses there
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

/* True once the table is loaded with real addresses. */
bool kallsyms_usable(struct kallsyms *k);

/* The kernel image's text [_stext, _etext), for pprof's Mapping; false
 * when the table has no real addresses or lacks them. */
bool kallsyms_text(struct kallsyms *k, uint64_t *lo, uint64_t *hi);

/* The running kernel's GNU build id in hex (from /sys/kernel/notes);
 * false when not readable. size: at least 2 * 20 + 1. */
bool kallsyms_build_id(char *hex, size_t size);

#endif
